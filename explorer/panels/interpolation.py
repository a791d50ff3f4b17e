"""InterpolationPanel: a strip of samples between two latents, lerp or slerp (or both),
exported as a PNG strip or an animated GIF."""
from __future__ import annotations

import json
import random

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout)

from gan_models.images import save_gif, save_png

from ..latents import concat, interpolate, random_latent
from ..requests import GridSpec
from ..widgets.controls import StaticText
from ..widgets.image_view import ImageGridView
from ..widgets.latent_slot import LatentSlot
from .base import Panel


class InterpolationPanel(Panel):
    name, title = "interpolation", "Interpolation"

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        self.result = None
        self.start = LatentSlot("Start", "Pick a start: Sampling → Start", removable=False)
        self.end = LatentSlot("End", "Pick an end: Sampling → End", removable=False)
        self.steps = QSpinBox()
        self.steps.setRange(2, 32)
        self.steps.setValue(10)
        self.steps.setKeyboardTracking(False)
        self.mode = QComboBox()
        self.mode.addItem("slerp (spherical)", "slerp")
        self.mode.addItem("lerp (straight line)", "lerp")
        self.mode.setToolTip("slerp keeps a Gaussian latent's length typical along the way")
        self.both = QCheckBox("Compare lerp and slerp")
        self.both.setToolTip("Show both paths, one row each")
        self.swap_button = QPushButton("Swap")
        self.random_button = QPushButton("Random endpoints")
        self.random_button.setToolTip("Two random latents (N or Ctrl+R)")
        bar = QHBoxLayout()
        for w in (QLabel("Steps"), self.steps, QLabel("Path"), self.mode, self.both):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.swap_button)
        bar.addWidget(self.random_button)
        ends = QHBoxLayout()
        ends.addWidget(self.start, 1)
        ends.addSpacing(24)
        ends.addWidget(self.end, 1)
        self.strip = ImageGridView(placeholder="Rendering…", fit_height=True)
        self.save_png_button = QPushButton("Export PNG…")
        self.save_gif_button = QPushButton("Export GIF…")
        self.timing = StaticText(1, Qt.AlignmentFlag.AlignRight)
        self.timing.setFixedWidth(self.timing.fontMetrics().horizontalAdvance("0000 samples · forward 0000 ms") + 8)
        foot = QHBoxLayout()
        foot.addWidget(self.save_png_button)
        foot.addWidget(self.save_gif_button)
        foot.addStretch(1)
        foot.addWidget(self.timing)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addLayout(ends, 1)
        lay.addWidget(self.strip)
        lay.addLayout(foot)

        self.steps.valueChanged.connect(self.request)
        self.mode.currentIndexChanged.connect(self.request)
        self.both.toggled.connect(self._on_both_toggled)
        self.swap_button.clicked.connect(self._on_swap_clicked)
        self.random_button.clicked.connect(self.new_seed)
        self.start.changed.connect(self.request)
        self.end.changed.connect(self.request)
        self.save_png_button.clicked.connect(self._on_save_png_clicked)
        self.save_gif_button.clicked.connect(self._on_save_gif_clicked)

    @staticmethod
    def unavailable_reason(info) -> str | None:
        if not info.is_image:
            return ("This model makes points, not images: interpolation strips are shown on images. "
                    "The Sampling panel plots this model's points.")
        return None

    def set_model(self, info) -> None:
        super().set_model(info)
        self.result = None
        self._set_endpoints(random_latent(info, 0, 0), random_latent(info, 0, 1))

    def set_endpoint(self, which: str, latent) -> None:
        (self.start if which == "start" else self.end).set([latent])

    def new_seed(self) -> None:
        if self.info is not None:
            seed = random.randint(0, 99_999)
            self._set_endpoints(random_latent(self.info, seed, 0), random_latent(self.info, seed, 1))

    def _set_endpoints(self, a, b) -> None:
        self.start.blockSignals(True)
        self.start.set([a])
        self.start.blockSignals(False)
        self.end.set([b])

    # ------------------------------------------------------------------ render
    def request(self) -> int:
        a, b = self.start.mean(), self.end.mean()
        if self.info is None or a is None or b is None:
            return 0
        n = self.steps.value()
        modes = ["lerp", "slerp"] if self.both.isChecked() else [self.mode.currentData()]
        batch = concat([interpolate(a, b, n, m) for m in modes])
        self.strip.row_labels = modes if len(modes) > 1 else []
        return self.render("strip", batch, (GridSpec(n * len(modes), n, 2),))

    def on_result(self, result) -> None:
        self.result = result
        spec = result.specs[0]
        self.strip.show_grid(result)
        self.start.view.set_image(result.images[0])
        self.end.view.set_image(result.images[spec.ncol - 1])
        self.timing.setText(f"{spec.count} samples · forward {result.forward_s * 1e3:.0f} ms")

    # ------------------------------------------------------------------ export
    def metadata(self) -> dict:
        meta = self.base_metadata()
        a, b = self.start.mean(), self.end.mean()
        meta.update(steps=self.steps.value(), path="lerp+slerp" if self.both.isChecked() else self.mode.currentData(),
                    start=a.note, end=b.note, z_start=json.dumps([round(float(v), 6) for v in a.z]),
                    z_end=json.dumps([round(float(v), 6) for v in b.z]))
        return meta

    def export_image(self):
        if self.result is None:
            return None
        return self.result.grids[0], self.metadata(), "interpolation.png"

    def save_strip(self, path) -> None:
        save_png(path, self.result.grids[0], self.metadata())

    def save_animation(self, path) -> None:
        """Animated GIF of the first path, there and back (ping-pong), upscaled for viewing."""
        frames = list(self.result.images[: self.result.specs[0].ncol])
        frames = frames + frames[-2:0:-1]
        h = frames[0].shape[0]
        save_gif(path, frames, duration_ms=90, scale=max(1, 128 // h))

    # ------------------------------------------------------------------ handlers
    def _on_both_toggled(self, on: bool) -> None:
        self.mode.setEnabled(not on)
        self.request()

    def _on_swap_clicked(self) -> None:
        a, b = self.start.latents, self.end.latents
        self.start.blockSignals(True)
        self.start.set(b)
        self.start.blockSignals(False)
        self.end.set(a)

    def _on_save_png_clicked(self) -> None:
        if self.result is not None:
            self.save_image_dialog(*self.export_image())

    def _on_save_gif_clicked(self) -> None:
        if self.result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", "interpolation.gif", "GIF (*.gif)")
        if path:
            self.save_animation(path)
            self.status_message.emit(f"Saved {path}")
