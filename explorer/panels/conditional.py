"""ConditionalPanel (CGAN): one fixed z per row, the classes across the columns, and a
soft-label slider that mixes two classes with z held fixed."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QSpinBox, QSplitter,
                               QVBoxLayout)

from ..latents import LatentBatch, sample_batch
from ..requests import GridSpec
from ..widgets.controls import FloatSlider, SeedBox
from ..widgets.image_view import ImageGridView
from .base import Panel, single, view_grid

MAX_COLUMNS = 16
MIX_STEPS = 9


class ConditionalPanel(Panel):
    name, title = "conditional", "Conditional"

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        self.grid_result = self.mix_result = None
        self.rows = QSpinBox()
        self.rows.setRange(1, 16)
        self.rows.setValue(6)
        self.rows.setKeyboardTracking(False)
        self.rows.setToolTip("One fixed z per row")
        self.seed = SeedBox(0)
        self.note = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Rows (z)"))
        bar.addWidget(self.rows)
        bar.addSpacing(12)
        bar.addWidget(self.seed)
        bar.addStretch(1)
        bar.addWidget(self.note)
        self.grid = ImageGridView(placeholder="Rendering…")
        self.grid.setToolTip("Click a sample to use its z and class in the mix")

        self.class_a, self.class_b = QComboBox(), QComboBox()
        self.row = QSpinBox()
        self.row.setToolTip("Which row's z the mix uses")
        self.t = FloatSlider(0.0, 1.0, 0.01, 0.5, tooltip="0 = first class, 1 = second class")
        self.mix = ImageGridView(placeholder="Rendering…", min_side=128, fit_height=True)
        self.t.paint_after(self.mix.painted)
        self.mix_strip = ImageGridView(min_side=24, fit_height=True)
        self.mix_strip.setToolTip("From the first class (left) to the second (right), same z")
        form = QGridLayout()
        form.addWidget(QLabel("Mix"), 0, 0)
        form.addWidget(self.class_a, 0, 1)
        form.addWidget(QLabel("with"), 0, 2)
        form.addWidget(self.class_b, 0, 3)
        form.addWidget(QLabel("Row"), 1, 0)
        form.addWidget(self.row, 1, 1)
        form.addWidget(self.t, 1, 2, 1, 2)
        mix_box = QGroupBox("Soft label")
        mix_lay = QVBoxLayout(mix_box)
        mix_lay.addLayout(form)
        self.mix_caption = QLabel("")
        self.mix_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        mix_lay.addWidget(self.mix)
        mix_lay.addWidget(self.mix_caption)
        mix_lay.addWidget(self.mix_strip)
        mix_lay.addStretch(1)
        mix_box.setMaximumWidth(360)
        split = QSplitter()
        split.addWidget(self.grid)
        split.addWidget(mix_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(split, 1)

        self.rows.valueChanged.connect(self._on_rows_changed)
        self.seed.seed_changed.connect(self._on_rows_changed)
        self.grid.cell_clicked.connect(self._on_grid_cell_clicked)
        for w in (self.class_a, self.class_b):
            w.currentIndexChanged.connect(self.request_mix)
        self.row.valueChanged.connect(self.request_mix)
        self.t.value_changed.connect(self.request_mix)

    @staticmethod
    def unavailable_reason(info) -> str | None:
        if info.num_classes == 0:
            return "This model has no class labels: the Conditional panel needs a CGAN checkpoint."
        if not info.is_image:
            return ("This model makes points, not images: the Sampling panel colours its points "
                    "by class instead.")
        return None

    def set_model(self, info) -> None:
        super().set_model(info)
        self.grid_result = self.mix_result = None
        for combo, default in ((self.class_a, 0), (self.class_b, min(1, info.num_classes - 1))):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(list(info.class_names))
            combo.setCurrentIndex(default)
            combo.blockSignals(False)
        shown = min(info.num_classes, MAX_COLUMNS)
        self.note.setText("" if shown == info.num_classes else f"showing the first {shown} of {info.num_classes} classes")
        self._on_rows_changed()

    def new_seed(self) -> None:
        self.seed.new_seed()

    def class_columns(self) -> int:
        return min(self.info.num_classes, MAX_COLUMNS)

    def _z(self) -> np.ndarray:
        return sample_batch(self.info, self.rows.value(), self.seed.value()).z     # (rows, z_dim)

    def request(self) -> int:
        """The class grid: row r uses z[r], column k uses class k."""
        if self.info is None:
            return 0
        rows, k = self.rows.value(), self.class_columns()
        z = np.repeat(self._z(), k, axis=0)                                        # (rows * k, z_dim)
        label = np.tile(np.eye(self.info.num_classes, dtype=np.float32)[:k], (rows, 1))  # (rows * k, K)
        notes = [f"seed {self.seed.value()} row {r}, {self.info.class_name(c)}" for r in range(rows) for c in range(k)]
        self.grid.column_labels = [self.info.class_name(c) for c in range(k)]
        return self.render("grid", LatentBatch(z, label, None, notes), (view_grid(self.grid, rows * k, k),))

    def request_mix(self, *_) -> int:
        """The mixed sample at t, then a strip from class A to class B, all with one z."""
        if self.info is None:
            return 0
        z_row = self._z()[min(self.row.value(), self.rows.value() - 1)]
        eye = np.eye(self.info.num_classes, dtype=np.float32)
        a, b = eye[self.class_a.currentIndex()], eye[self.class_b.currentIndex()]
        ts = np.concatenate([[self.t.value()], np.linspace(0, 1, MIX_STEPS)]).astype(np.float32)[:, None]
        label = (1 - ts) * a[None] + ts * b[None]                                   # (1 + steps, K)
        z = np.repeat(z_row[None], len(ts), axis=0)
        notes = [f"{1 - t:.0%} {self.class_a.currentText()} + {t:.0%} {self.class_b.currentText()}" for t in ts[:, 0]]
        return self.render("mix", LatentBatch(z, label, None, notes), single(1) + (GridSpec(MIX_STEPS, MIX_STEPS, 2),))

    def on_result(self, result) -> None:
        if result.channel.endswith(".grid"):
            self.grid_result = result
            self.grid.show_grid(result)
        else:
            self.mix_result = result
            self.mix.show_grid(result, 0)
            self.mix_strip.show_grid(result, 1)
            self.mix_caption.setText(result.batch.notes[0])

    def export_image(self):
        if self.grid_result is None:
            return None
        meta = self.base_metadata()
        meta.update(seed=self.seed.value(), rows=self.rows.value(), labels=", ".join(self.grid.column_labels))
        return self.grid_result.grids[0], meta, f"classes-seed{self.seed.value()}.png"

    def _on_rows_changed(self, *_) -> None:
        self.row.setRange(0, self.rows.value() - 1)
        self.request()
        self.request_mix()

    def _on_grid_cell_clicked(self, i: int) -> None:
        r, k = divmod(i, self.class_columns())
        for w, v in ((self.row, r), (self.class_a, k)):
            w.blockSignals(True)
            w.setValue(v) if w is self.row else w.setCurrentIndex(v)
            w.blockSignals(False)
        self.request_mix()
