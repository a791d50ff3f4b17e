"""LatentSlot: a titled image tile holding one or more latents (averaged) with a Clear button."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..latents import Latent, mean
from .image_view import ImageGridView


class LatentSlot(QWidget):
    changed = Signal()

    def __init__(self, title: str, placeholder: str, removable: bool = True, parent=None):
        super().__init__(parent)
        self.latents: list[Latent] = []
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view = ImageGridView(placeholder=placeholder, min_side=120, fit_height=True)
        self.view.setMinimumWidth(120)
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip(f"Empty slot {title}")
        self.clear_button.clicked.connect(self.clear)
        foot = QHBoxLayout()
        foot.addWidget(self.caption, 1)
        foot.addWidget(self.clear_button)
        self.clear_button.setVisible(removable)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.view)
        lay.addLayout(foot)
        lay.addStretch(1)

    def add(self, latent: Latent) -> None:
        self.latents.append(latent)
        self._update_caption()
        self.changed.emit()

    def set(self, latents: list[Latent]) -> None:
        self.latents = list(latents)
        self._update_caption()
        self.changed.emit()

    def clear(self) -> None:
        self.latents = []
        self.view.set_image(None)
        self._update_caption()
        self.changed.emit()

    def mean(self) -> Latent | None:
        return mean(self.latents) if self.latents else None

    def _update_caption(self) -> None:
        n = len(self.latents)
        self.caption.setText("" if n == 0 else self.latents[0].note if n == 1 else f"mean of {n}")
        self.setToolTip("\n".join(x.note for x in self.latents))
        self.clear_button.setEnabled(n > 0)
