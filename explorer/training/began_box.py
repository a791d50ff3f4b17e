"""The Train tab's BEGAN settings: gamma as a slider, with one sentence on what it trades.

BEGAN's k_t holds D at the equilibrium gamma = E[L(G(z))] / E[L(x)] (Berthelot et al. 2017).
A KindField of the Train form (explorer/training/fields.py): the form places it on BEGAN's rows.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..widgets.controls import FloatSlider

GAMMA_LO, GAMMA_HI, GAMMA_STEP, GAMMA_DEFAULT = 0.1, 1.0, 0.05, 0.5


SENTENCE = ("γ trades diversity for quality: low γ gives sharper, less varied samples; high γ more "
            "varied, less clean ones (the paper: 0.5; 0.3-0.7 typical).")


class BeganBox(QWidget):
    valueChanged = Signal(float)      # the form listens to every kind widget's valueChanged

    def __init__(self, parent=None):
        super().__init__(parent)
        self.gamma = FloatSlider(GAMMA_LO, GAMMA_HI, GAMMA_STEP, GAMMA_DEFAULT, decimals=2, tooltip=(
            "BEGAN's γ (--began-gamma): the ratio of the fakes' to the real images' reconstruction error "
            "that k_t holds D at. Lower trades diversity for quality, higher quality for diversity "
            "(the paper: 0.5; 0.3-0.7 typical)"))
        self.sentence = QLabel(SENTENCE)       # fixed text: a wrapped label re-set on every drag re-lays out
        self.sentence.setWordWrap(True)
        self.sentence.setStyleSheet("color: #555555;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.gamma)
        lay.addWidget(self.sentence)
        self.gamma.value_changed.connect(lambda _g: self.valueChanged.emit(self.value()))

    def value(self) -> float:
        return round(self.gamma.value(), 3)

    def set_value(self, g: float) -> None:
        self.gamma.setValue(min(GAMMA_HI, max(GAMMA_LO, float(g))))
