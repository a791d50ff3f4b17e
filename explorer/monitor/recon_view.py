"""BEGAN's reconstructions beside the fixed-z samples: what D's auto-encoder makes of real
images and of G's, at the step the sample grid shows.

The trainer writes them with every sample grid (<run>/recon/step_N_real.png and _fake.png,
train/began_step.py): rows alternate, images then D's reconstructions beneath. L(x) and
L(G(z)) in the plots are the mean pixel error between those rows. Shown only for BEGAN runs.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from train.began_step import recon_path

from ..widgets.image_view import ImageGridView


class ReconPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.views = {}
        self.shown: dict[str, Path | None] = {"real": None, "fake": None}
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        for which, text in (("real", "Real x, and D(x) beneath"), ("fake", "G(z), and D(G(z)) beneath")):
            box = QVBoxLayout()
            title = QLabel(f"<b>{text}</b>")
            title.setToolTip("D is an auto-encoder: every second row is its reconstruction of the row above. "
                             "L(x) and L(G(z)) are the mean pixel error between them.")
            view = ImageGridView(placeholder="D's reconstructions appear with the next sample grid.", max_scale=3)
            box.addWidget(title)
            box.addWidget(view, 1)
            lay.addLayout(box, 1)
            self.views[which] = view

    def resizeEvent(self, event) -> None:
        """As tall as two grids of 8 x 4 tiles (about 2:1) at this width need: no empty band
        between each title and its grid."""
        super().resizeEvent(event)
        w = max(1, (event.size().width() - self.layout().spacing()) // 2)
        title = self.fontMetrics().height() + 8
        h = title + w // 2 + 8
        if self.height() != h:
            self.setFixedHeight(h)

    def show_step(self, run_path, step: int, load) -> None:
        """Show the reconstructions written at `step` (the grids' step); `load` reads a PNG."""
        for which, view in self.views.items():
            path = recon_path(run_path, step, which)
            if path == self.shown[which]:
                continue
            try:
                view.set_image(load(path))
                self.shown[which] = path
            except Exception:             # not written yet (or being written): the next poll shows it
                continue

    def clear(self) -> None:
        for which, view in self.views.items():
            view.set_image(None)
            self.shown[which] = None
