"""CodesPanel (InfoGAN): a slider per continuous code, a selector per categorical code, and a
sweep grid (rows: z samples; columns: one code swept) that follows the sliders live."""
from __future__ import annotations

import numpy as np
import torch
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QSpinBox,
                               QVBoxLayout)

from gan_models.latent import sweep_codes

from ..latents import LatentBatch, sample_batch
from ..widgets.controls import FloatSlider, SeedBox
from ..widgets.image_view import ImageGridView
from .base import Panel, side_column, view_grid

CONT_RANGE = 2.0          # sliders and sweeps span -2..2 (training saw U(-1, 1): beyond is extrapolation)


class CodesPanel(Panel):
    name, title = "codes", "Codes"

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        self.result = None
        self.cat_boxes: list[QComboBox] = []
        self.cont_sliders: list[FloatSlider] = []
        self.code_form = QFormLayout()
        codes_box = QGroupBox("Codes")
        codes_lay = QVBoxLayout(codes_box)
        codes_lay.addLayout(self.code_form)
        self.reset_button = QPushButton("Reset codes")
        codes_lay.addWidget(self.reset_button)

        self.sweep = QComboBox()
        self.sweep.setToolTip("The code that varies across the columns")
        self.columns = QSpinBox()
        self.columns.setRange(3, 16)
        self.columns.setValue(9)
        self.columns.setToolTip("Values of a continuous code between -2 and 2")
        self.rows = QSpinBox()
        self.rows.setRange(1, 16)
        self.rows.setValue(6)
        self.seed = SeedBox(0)
        sweep_box = QGroupBox("Sweep")
        form = QFormLayout(sweep_box)
        form.addRow("Code", self.sweep)
        form.addRow("Columns", self.columns)
        form.addRow("Rows (z)", self.rows)
        form.addRow(self.seed)
        side_w = side_column(codes_box, sweep_box)

        self.grid = ImageGridView(placeholder="Rendering…")
        self.grid.setToolTip("First column: each row's z with the codes set on the left; "
                             "then the swept code's values")
        self.grid.separator_after = 1
        lay = QHBoxLayout(self)
        lay.addWidget(side_w)
        lay.addWidget(self.grid, 1)

        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.sweep.currentIndexChanged.connect(self._on_sweep_changed)
        for w in (self.columns, self.rows):
            w.valueChanged.connect(self.request)
        self.seed.seed_changed.connect(self.request)

    @staticmethod
    def unavailable_reason(info) -> str | None:
        if not info.code_layout:
            return "This model has no InfoGAN codes: the Codes panel needs an InfoGAN checkpoint."
        if not info.is_image:
            return "This model makes points, not images: the Codes panel sweeps codes across image grids."
        return None

    def set_model(self, info) -> None:
        super().set_model(info)
        self.result = None
        while self.code_form.rowCount():
            self.code_form.removeRow(0)
        layout = info.code_layout
        self.cat_boxes = []
        for i, k in enumerate(layout.categorical):
            box = QComboBox()
            box.addItems([str(v) for v in range(k)])
            box.currentIndexChanged.connect(self.request)
            self.code_form.addRow(f"cat{i + 1}", box)
            self.cat_boxes.append(box)
        self.cont_sliders = []
        for i in range(layout.continuous):
            s = FloatSlider(-CONT_RANGE, CONT_RANGE, 0.05, 0.0, tooltip="Trained on -1..1; beyond is extrapolation")
            s.value_changed.connect(self.request)
            s.paint_after(self.grid.painted)
            self.code_form.addRow(f"cont{i + 1}", s)
            self.cont_sliders.append(s)
        self.sweep.blockSignals(True)
        self.sweep.clear()
        self.sweep.addItems(layout.names())
        self.sweep.setCurrentIndex(0)
        self.sweep.blockSignals(False)
        self._on_sweep_changed()

    def new_seed(self) -> None:
        self.seed.new_seed()

    # ------------------------------------------------------------------ render
    def code_values(self) -> tuple[torch.Tensor, torch.Tensor]:
        cat = torch.tensor([b.currentIndex() for b in self.cat_boxes], dtype=torch.long)
        cont = torch.tensor([s.value() for s in self.cont_sliders], dtype=torch.float32)
        return cat, cont

    def sweep_values(self) -> list:
        layout, name = self.info.code_layout, self.sweep.currentText()
        i = layout.names().index(name)
        if i < len(layout.categorical):
            return list(range(min(layout.categorical[i], 16)))
        return [round(float(v), 3) for v in np.linspace(-CONT_RANGE, CONT_RANGE, self.columns.value())]

    def request(self, *_) -> int:
        info = self.info
        if info is None or not self.sweep.currentText():
            return 0
        rows, values, name = self.rows.value(), self.sweep_values(), self.sweep.currentText()
        z = sample_batch(info, rows, self.seed.value()).z                          # (rows, z_dim)
        cat, cont = self.code_values()
        now = info.code_layout.encode(cat[None].repeat(rows, 1), cont[None].repeat(rows, 1), rows)
        swept = sweep_codes(info.code_layout, rows, name, values, cat, cont)       # (rows * V, code_dim)
        v = len(values)
        codes = torch.cat([now[:, None], swept.view(rows, v, -1)], 1).reshape(rows * (v + 1), -1)  # (rows*(1+V), dim)
        notes = [f"row {r}, {'current codes' if j == 0 else f'{name}={values[j - 1]}'}"
                 for r in range(rows) for j in range(v + 1)]
        batch = LatentBatch(np.repeat(z, v + 1, axis=0), None, codes.numpy(), notes)
        self.grid.column_labels = ["now"] + [f"{x:+.1f}" if isinstance(x, float) else str(x) for x in values]
        return self.render("sweep", batch, (view_grid(self.grid, rows * (v + 1), v + 1),))

    def on_result(self, result) -> None:
        self.result = result
        self.grid.show_grid(result)

    def export_image(self):
        if self.result is None:
            return None
        cat, cont = self.code_values()
        meta = self.base_metadata()
        meta.update(seed=self.seed.value(), sweep=self.sweep.currentText(),
                    values=", ".join(self.grid.column_labels[1:]),
                    codes=" ".join([f"cat{i + 1}={int(c)}" for i, c in enumerate(cat)] +
                                   [f"cont{i + 1}={float(c):+.2f}" for i, c in enumerate(cont)]))
        return self.result.grids[0], meta, f"codes-{self.sweep.currentText()}.png"

    def _on_sweep_changed(self, *_) -> None:
        if self.info is not None and self.sweep.currentText():
            i = self.info.code_layout.names().index(self.sweep.currentText())
            self.columns.setEnabled(i >= len(self.info.code_layout.categorical))   # categories set their own count
        self.request()

    def _on_reset_clicked(self) -> None:
        for w in self.cat_boxes + self.cont_sliders:
            w.blockSignals(True)
            w.setCurrentIndex(0) if isinstance(w, QComboBox) else w.setValue(0.0)
            w.blockSignals(False)
        self.request()
