"""SamplingPanel: an N x M grid of samples for a seed and truncation (a scatter/histogram
for points models), an inspector for the clicked sample, and saving/copying."""
from __future__ import annotations

import json

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QSplitter, QStackedWidget, QVBoxLayout)

from gan_models.images import save_png

from ..latents import codes_text, label_text, sample_batch
from ..widgets.controls import FloatSlider, SeedBox, StaticText
from ..widgets.image_view import ImageGridView
from ..widgets.points_view import PointsView
from ..widgets.sample_inspector import SampleInspector
from .base import Panel, view_grid

SCORE_TIPS = {"p_real": "Show the discriminator's P(real) on each sample",
              "reconstruction": "Show D's reconstruction error on each sample (BEGAN: D is an auto-encoder; "
                                "lower = more real to D)",
              "none": "No D score here: this model's D judges samples in pairs (PacGAN) or compares each "
                      "with the rest of its group (minibatch std), so no score belongs to one sample"}


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


def toy_data(info):
    """The toy data set (ring8, grid25, gauss1d) a points model's metadata names, else None."""
    from train.data import load_dataset
    from train.data.toys import TOYS
    name = str(info.meta.get("dataset") or "")
    if name not in TOYS:
        return None
    ds = load_dataset(name)
    return ds if tuple(ds.data_shape) == tuple(info.output_shape) else None


class SamplingPanel(Panel):
    name, title = "sampling", "Sampling"

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        self.result = None
        self._inspected = None              # (stamp, index) the inspector shows from a partial result
        self._toy = self._real = None       # the toy data set of a points model, its real points
        self.rows = _spin(1, 16, 8, "Rows of the grid")
        self.cols = _spin(1, 16, 8, "Columns of the grid")
        self.npoints = _spin(10, 50_000, 2000, "How many points to generate")
        self.seed = SeedBox(0)
        self.truncation = FloatSlider(0.05, 1.0, 0.01, 1.0, tooltip=(
            "Truncation ψ: scales z toward the mean. Lower = more typical, less varied; 1 = off"))
        self.label = QComboBox()
        self.label.setToolTip("Class of every sample (CGAN)")
        self.label.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.label.setMinimumContentsLength(len("Random classes"))   # the first item, unclipped
        self.scores = QCheckBox("D score")
        self.scores.setToolTip(SCORE_TIPS["p_real"])

        bar = QHBoxLayout()
        self._grid_controls = [QLabel("Grid"), self.rows, QLabel("×"), self.cols]
        self._points_controls = [QLabel("Points"), self.npoints]
        self._label_controls = [QLabel("Class"), self.label]
        for w in (*self._grid_controls, *self._points_controls):
            bar.addWidget(w)
        bar.addSpacing(12)
        bar.addWidget(self.seed)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Truncation"))
        bar.addWidget(self.truncation, 1)
        for w in self._label_controls:
            bar.addWidget(w)
        bar.addWidget(self.scores)

        self.grid = ImageGridView(placeholder="Rendering…")
        self.truncation.paint_after(self.grid.painted)    # the handle moves with the new grid
        self.points = PointsView()
        self.views = QStackedWidget()
        self.views.addWidget(self.grid)
        self.views.addWidget(self.points)
        self.inspector = SampleInspector()
        split = QSplitter()
        split.addWidget(self.views)
        split.addWidget(self.inspector)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.split = split

        self.save_grid_button = QPushButton("Save grid…")
        self.copy_grid_button = QPushButton("Copy grid")
        self.timing = StaticText(1, Qt.AlignmentFlag.AlignRight)
        self.timing.setFixedWidth(self.timing.fontMetrics().horizontalAdvance("0000 samples · forward 0000 ms") + 8)
        foot = QHBoxLayout()
        foot.addWidget(self.save_grid_button)
        foot.addWidget(self.copy_grid_button)
        foot.addStretch(1)
        foot.addWidget(self.timing)

        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        lay.addLayout(foot)
        for w in (*self._points_controls, *self._label_controls, self.scores):
            w.setVisible(False)       # shown by set_model when the model has them

        for s in (self.rows, self.cols, self.npoints):
            s.valueChanged.connect(self._on_control_changed)
        self.seed.seed_changed.connect(self._on_control_changed)
        self.truncation.value_changed.connect(self._on_control_changed)
        self.label.currentIndexChanged.connect(self._on_control_changed)
        self.scores.toggled.connect(self._on_control_changed)
        self.grid.cell_clicked.connect(self._on_grid_cell_clicked)
        self.inspector.send_requested.connect(self._on_inspector_send_requested)
        self.inspector.save_requested.connect(self._on_inspector_save_requested)
        self.inspector.copy_requested.connect(lambda: self.copy_image(self.inspector.view.qimage()))
        self.save_grid_button.clicked.connect(lambda: self.save_image_dialog(*self.export_image()))
        self.copy_grid_button.clicked.connect(lambda: self.copy_image(self.grid.qimage()))

    # ------------------------------------------------------------------ model
    def set_model(self, info) -> None:
        super().set_model(info)
        self.result = None
        self.inspector.clear()
        self.grid.set_image(None)
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItem("Random classes", None)
        for i, name in enumerate(info.class_names):
            self.label.addItem(name, i)
        self.label.blockSignals(False)
        for w in self._label_controls:
            w.setVisible(info.num_classes > 0)
        for w in self._grid_controls + [self.inspector, self.save_grid_button, self.copy_grid_button]:
            w.setVisible(info.is_image)
        for w in self._points_controls:
            w.setVisible(not info.is_image)
        self.scores.setVisible(info.has_discriminator and info.is_image)
        self.scores.setEnabled(info.d_score_kind != "none")
        if info.d_score_kind == "none":
            self.scores.setChecked(False)
        self.scores.setToolTip(SCORE_TIPS[info.d_score_kind])
        self.views.setCurrentWidget(self.grid if info.is_image else self.points)
        self._toy, self._real = (None if info.is_image else toy_data(info)), None
        if not info.is_image:
            self.points.configure(info.output_shape[0], info.class_names, with_real=self._toy is not None)
        self.request()

    def new_seed(self) -> None:
        self.seed.new_seed()

    def _real_points(self, n: int) -> np.ndarray | None:
        """n points of the model's toy data set (the same ones for the same n), or None."""
        if self._toy is None:
            return None
        if self._real is None or len(self._real) != n:
            self._real = self._toy.sample(n, torch.Generator().manual_seed(0))[0].numpy()   # (n, D)
        return self._real

    # ------------------------------------------------------------------ requests/results
    def request(self) -> int:
        info = self.info
        if info is None:
            return 0
        psi = self.truncation.value()
        label = self.label.currentData()
        if info.is_image:
            n, ncol = self.rows.value() * self.cols.value(), self.cols.value()
            batch = sample_batch(info, n, self.seed.value(), psi, label)
            return self.render("grid", batch, (view_grid(self.grid, n, ncol),), self.scores.isChecked(),
                               progressive=True)
        batch = sample_batch(info, self.npoints.value(), self.seed.value(), psi, label)
        return self.render("points", batch)

    def on_result(self, result) -> None:
        self.result = result
        self.timing.setText(f"{len(result.batch)} samples · forward {result.forward_s * 1e3:.0f} ms")
        if result.points is not None:
            classes = result.batch.label.argmax(1) if result.batch.label is not None else None
            self.points.set_points(result.points, classes, self._real_points(len(result.points)))
            self.truncation.release_paint()
            return
        spec = result.specs[0]
        self.grid.captions = [self.info.format_score(s) for s in result.scores] if result.scores is not None else []
        self.grid.show_grid(result)
        sel = self.grid.selected if 0 <= self.grid.selected < spec.count else 0
        if self._inspected == (result.stamp, sel):
            self.grid.select(sel)                  # shown with the partial result that had it
        else:
            self._inspect(sel)

    def on_partial(self, result) -> None:
        """The first rows of a grid that takes long (64x64): shown as they come; the enlarged
        sample follows as soon as its own row is there."""
        if result.scores is not None and len(self.grid.captions) == result.specs[0].count:
            self.grid.captions[result.start:result.done] = [self.info.format_score(s)
                                                            for s in result.scores[result.start:]]
        self.grid.show_grid(result)
        sel = self.grid.selected if 0 <= self.grid.selected < result.specs[0].count else 0
        if result.start <= sel < result.done:
            score = float(result.scores[sel]) if result.scores is not None else None
            self.inspector.show_sample(result.images[sel], result.batch.latent(sel), self.info, score)
            self._inspected = (result.stamp, sel)

    def _inspect(self, i: int) -> None:
        r = self.result
        self.grid.select(i)
        score = float(r.scores[i]) if r.scores is not None else None
        self.inspector.show_sample(r.images[i], r.batch.latent(i), self.info, score)

    # ------------------------------------------------------------------ export
    def grid_metadata(self) -> dict:
        r, info = self.result, self.info
        meta = self.base_metadata()
        meta.update(seed=self.seed.value(), truncation=self.truncation.value(),
                    rows=self.rows.value(), cols=self.cols.value())
        if r is not None and r.batch.label is not None:
            meta["labels"] = json.dumps([label_text(x, info) for x in r.batch.label])
        if r is not None and r.batch.codes is not None:
            meta["codes"] = json.dumps([codes_text(x, info) for x in r.batch.codes])
        return meta

    def sample_metadata(self, i: int) -> dict:
        x = self.result.batch.latent(i)
        meta = self.base_metadata()
        meta.update(seed=self.seed.value(), index=i, truncation=self.truncation.value(),
                    z=json.dumps([round(float(v), 6) for v in x.z]))
        if x.label is not None:
            meta["label"] = label_text(x.label, self.info)
        if x.codes is not None:
            meta["codes"] = codes_text(x.codes, self.info)
        return meta

    def export_image(self):
        if self.result is None or self.result.images is None:
            return None
        return self.result.grids[0], self.grid_metadata(), f"samples-seed{self.seed.value()}.png"

    def save_grid(self, path) -> None:
        array, text, _ = self.export_image()
        save_png(path, array, text)

    def save_sample(self, path, i: int | None = None) -> None:
        i = self.grid.selected if i is None else i
        save_png(path, self.result.images[i], self.sample_metadata(i))

    # ------------------------------------------------------------------ handlers
    def _on_control_changed(self, *_):
        self.request()

    def _on_grid_cell_clicked(self, i: int) -> None:
        if self.result is not None and self.result.images is not None:
            self._inspect(i)

    def _on_inspector_send_requested(self, target: str) -> None:
        if self.inspector.latent is not None:
            self.latent_sent.emit(target, self.inspector.latent)
            self.status_message.emit(f"Sent {self.inspector.latent.note} to {target}")

    def _on_inspector_save_requested(self) -> None:
        i = self.grid.selected
        if self.result is not None and i >= 0:
            self.save_image_dialog(self.result.images[i], self.sample_metadata(i),
                                   f"sample-seed{self.seed.value()}-{i}.png")
