"""SampleInspector: one enlarged sample, where it came from, and where to send it."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QGridLayout, QGroupBox, QPushButton, QVBoxLayout, QWidget

from ..latents import Latent
from ..model_session import ModelInfo
from .controls import StaticText
from .image_view import ImageGridView

TARGETS = (("A", "→ A", "Add to arithmetic slot A"), ("B", "→ B", "Add to arithmetic slot B"),
           ("C", "→ C", "Add to arithmetic slot C"), ("start", "→ Start", "Use as interpolation start"),
           ("end", "→ End", "Use as interpolation end"),
           ("bookmark", "★ Bookmark", "Keep this latent in the Arithmetic panel's bookmarks"))


def send_box(title: str, on_send) -> tuple[QGroupBox, dict]:
    """A group of one button per TARGETS entry, 3 to a row; a click calls on_send(target).
    -> (the group, {target: button})."""
    box = QGroupBox(title)
    grid = QGridLayout(box)
    buttons = {}
    for i, (target, text, tip) in enumerate(TARGETS):
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(lambda _=False, t=target: on_send(t))
        grid.addWidget(b, i // 3, i % 3)
        buttons[target] = b
    return box, buttons


class SampleInspector(QWidget):
    send_requested = Signal(str)       # target: A, B, C, start, end, bookmark
    save_requested = Signal()
    copy_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.latent: Latent | None = None
        self._actions_on = None
        self.view = ImageGridView(placeholder="Click a sample to enlarge it", min_side=160, fit_height=True)
        self.text = StaticText(5, font=QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        send, self.send_buttons = send_box("Send to", self.send_requested.emit)
        grid = send.layout()                   # Save / Copy go on the row below the targets
        self.save_button = QPushButton("Save image…")
        self.copy_button = QPushButton("Copy")
        grid.addWidget(self.save_button, 2, 0, 1, 2)
        grid.addWidget(self.copy_button, 2, 2)
        self.save_button.clicked.connect(self.save_requested)
        self.copy_button.clicked.connect(self.copy_requested)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view)
        lay.addWidget(self.text)
        lay.addStretch(1)
        lay.addWidget(send)
        self.set_enabled_actions(False)

    def set_enabled_actions(self, on: bool) -> None:
        if on == self._actions_on:
            return                     # called on every frame of a drag: 8 calls for nothing
        self._actions_on = on
        for b in (*self.send_buttons.values(), self.save_button, self.copy_button):
            b.setEnabled(on)

    def show_sample(self, image: np.ndarray | None, latent: Latent, info: ModelInfo,
                    score: float | None = None) -> None:
        self.latent = latent
        self.view.set_image(image)
        text = latent.describe(info)
        if score is not None and info.d_score_kind == "reconstruction":
            text += f"\nD's reconstruction error: {score:.3f} (lower = more real to D)"
        elif score is not None:
            text += f"\nD score: {score:.2f} (P(real))"
        self.text.setText(text)
        self.set_enabled_actions(True)

    def clear(self) -> None:
        self.latent = None
        self.view.set_image(None)
        self.text.setText("")
        self.set_enabled_actions(False)
