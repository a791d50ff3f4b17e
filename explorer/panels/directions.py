"""DirectionsPanel: the model's principal latent directions (found unsupervised, GANSpace-
style: gan_models.directions) and a grid that walks one sample along each of them.

Rows: directions, strongest first, labelled with the share of the output's variance they
carry; columns: the base sample moved by -r .. +r prior standard deviations along that
direction (the middle column is the sample itself). The directions are searched once per
model on the render thread (~1 s on a laptop CPU for 2,000 samples), then only the grid is
re-rendered as the controls move.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSpinBox

from ..latents import LatentBatch, random_latent
from ..requests import DirectionsRequest
from ..widgets.controls import FloatSlider, SeedBox
from ..widgets.image_view import ImageGridView
from ..widgets.sample_inspector import TARGETS
from .base import Panel, side_column, view_grid

SAMPLE_CHOICES = (500, 1000, 2000, 5000)


class DirectionsPanel(Panel):
    name, title = "directions", "Directions"

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        self.found = None                 # DirectionsResult for the loaded model
        self.result = None
        self.count = QSpinBox()
        self.count.setRange(1, 16)
        self.count.setValue(6)
        self.count.setKeyboardTracking(False)
        self.count.setToolTip("How many directions to find (rows of the grid)")
        self.samples = QComboBox()
        self.samples.addItems([f"{n:,}" for n in SAMPLE_CHOICES])
        self.samples.setCurrentIndex(SAMPLE_CHOICES.index(2000))
        self.samples.setToolTip("Generated samples whose principal components define the directions")
        self.find_button = QPushButton("Find directions")
        self.find_button.setToolTip("Search again with these settings (runs on the render thread)")
        self.summary = QLabel("")          # changes once per search: a QLabel's re-layout is fine
        self.summary.setWordWrap(True)
        # faces models: directions named by the judge (InterFaceGAN-style) beside the unsupervised ones
        self.source = QComboBox()
        self.source.addItems(["found without labels", "named by the faces judge"])
        self.source.setToolTip("Found without labels: the output's principal components (GANSpace). Named: a "
                               "linear boundary in z per attribute the faces judge reads (+glasses, +smile, "
                               "wider face, bigger eyes)")
        self._named_job, self._workers = 0, []
        find_box = QGroupBox("Directions")
        find_form = QFormLayout(find_box)
        self.find_form = find_form
        find_form.addRow("Kind", self.source)
        find_form.addRow("Count", self.count)
        find_form.addRow("Samples", self.samples)
        find_form.addRow(self.find_button)
        find_form.addRow(self.summary)

        self.seed = SeedBox(0)
        self.index = QSpinBox()
        self.index.setRange(0, 63)
        self.index.setToolTip("Which sample of the seed to walk (as numbered in the Sampling grid)")
        self.columns = QSpinBox()
        self.columns.setRange(3, 15)
        self.columns.setSingleStep(2)
        self.columns.setValue(9)
        self.columns.setToolTip("Steps across each row (odd: the middle one is the sample itself)")
        self.reach = FloatSlider(0.5, 5.0, 0.25, 3.0, tooltip="How far each row walks, in standard "
                                 "deviations of the prior along the direction")
        walk_box = QGroupBox("Walk")
        walk_form = QFormLayout(walk_box)
        walk_form.addRow(self.seed)
        walk_form.addRow("Sample #", self.index)
        walk_form.addRow("Columns", self.columns)
        walk_form.addRow("Reach (σ)", self.reach)

        side_w = side_column(find_box, walk_box)
        self.grid = ImageGridView(placeholder="Finding directions…")
        self.grid.setToolTip("Each row moves one sample along one direction; the middle column is the "
                             "sample. Click an image to send its latent to an arithmetic or "
                             "interpolation slot, or to the bookmarks")
        lay = QHBoxLayout(self)
        lay.addWidget(side_w)
        lay.addWidget(self.grid, 1)

        self.source.currentIndexChanged.connect(self.find)
        self.find_button.clicked.connect(self.find)
        self.count.valueChanged.connect(self.find)
        self.samples.currentIndexChanged.connect(self.find)
        self.seed.seed_changed.connect(self.request)
        self.index.valueChanged.connect(self.request)
        self.columns.valueChanged.connect(self.request)
        self.reach.value_changed.connect(self.request)
        self.reach.paint_after(self.grid.painted)
        self.grid.cell_clicked.connect(self._on_grid_cell_clicked)

    @staticmethod
    def unavailable_reason(info) -> str | None:
        if not info.is_image:
            return ("This model makes points, not images: the Directions panel walks samples "
                    "across image grids.")
        return None

    def set_model(self, info) -> None:
        super().set_model(info)
        from .arithmetic_attrs import applies
        self.find_form.setRowVisible(self.source, applies(info))
        if not applies(info):
            self.source.blockSignals(True)
            self.source.setCurrentIndex(0)
            self.source.blockSignals(False)
        self.found = self.result = None
        self.grid.set_image(None)
        self.find()

    def new_seed(self) -> None:
        self.seed.new_seed()

    # ------------------------------------------------------------------ render
    def find(self, *_) -> int:
        if self.info is None:
            return 0
        self.found = None
        self.grid.set_placeholder("Finding directions…")
        self.summary.setText("Searching…")
        named = self.source.currentIndex() == 1
        self.count.setEnabled(not named)
        self.samples.setEnabled(not named)
        if named:
            return self._find_named()
        n = SAMPLE_CHOICES[self.samples.currentIndex()]
        req = DirectionsRequest(f"{self.name}.find", self.info.model_id, k=self.count.value(), n=n)
        return self.renderer.submit(req)

    def _find_named(self) -> int:
        """The judge's named directions, on a JudgeWorker thread (2,000 samples read, ~5 s)."""
        from .judge_worker import JudgeWorker
        self.summary.setText("The faces judge is reading 2,000 samples (the first time it is trained: minutes)…")
        self._named_job += 1
        w = JudgeWorker(self._named_job, "directions", self.info.path, parent=self)
        w.finished_ok.connect(self._on_named)
        w.failed.connect(lambda job, msg: job == self._named_job and self.summary.setText(f"The judge failed: {msg}"))
        w.finished.connect(lambda w=w: self._workers.remove(w) if w in self._workers else None)
        self._workers.append(w)
        w.start()
        return 0

    def _on_named(self, job: int, kind: str, found) -> None:
        if job != self._named_job or self.source.currentIndex() != 1:
            return
        self.found, self.result = found, None
        self.summary.setText(f"{len(found.names)} directions named by the faces judge from {found.n:,} samples: "
                             "a linear boundary in z per attribute (+glasses and +smile kept orthogonal to "
                             "each other's boundary, so one changes and the other stays).")
        self.request()

    def prepare_screenshot(self):
        """`gan-explorer screenshot` on a faces model: the named directions."""
        if not self.find_form.isRowVisible(self.source):
            return lambda: True
        self.source.setCurrentIndex(1)
        return lambda: hasattr(self.found, "names") and self.result is not None

    def walk_values(self) -> np.ndarray:
        """(columns,) offsets in prior standard deviations, symmetric around 0."""
        r = self.reach.value()
        return np.linspace(-r, r, self.columns.value()).astype(np.float32)

    def request(self, *_) -> int:
        f, info = self.found, self.info
        if info is None or f is None:
            return 0
        base = random_latent(info, self.seed.value(), self.index.value())
        t = self.walk_values()                                                    # (C,)
        k, c = len(f.vectors), len(t)
        steps = (t[None, :, None] * f.z_std[:, None, None]) * f.vectors[:, None, :]   # (k, C, z_dim)
        z = (base.z[None, None, :] + steps).reshape(k * c, -1).astype(np.float32)     # (k*C, z_dim)
        rep = (lambda a: None if a is None else np.repeat(a[None], k * c, axis=0))
        notes = [f"{base.note}, direction {i + 1} {v:+.2f}σ" for i in range(k) for v in t]
        batch = LatentBatch(z, rep(base.label), rep(base.codes), notes)
        self.grid.column_labels = [f"{v:+.1f}σ" if abs(v) > 1e-6 else "sample" for v in t]
        self.grid.row_labels = (list(f.names) if hasattr(f, "names") else
                                [f"#{i + 1} {100 * e:.0f}%" for i, e in enumerate(f.explained)])
        return self.render("walk", batch, (view_grid(self.grid, k * c, c),))

    def on_result(self, result) -> None:
        if result.channel == f"{self.name}.find":
            if self.source.currentIndex() == 1:          # the user switched to the named ones meanwhile
                return
            self.found = result
            share = 100 * float(np.sum(result.explained))
            self.summary.setText(f"{len(result.vectors)} directions from {result.n:,} samples "
                                 f"({result.total_s:.1f} s) carry {share:.0f}% of the output's variance; "
                                 f"each row's own share is on its left.")
            self.request()
            return
        self.result = result
        self.grid.show_grid(result)

    def send(self, i: int, target: str) -> None:
        """Send the latent of image i ("seed 0 #0, direction 2 +1.50σ") to a slot or the bookmarks."""
        latent = self.result.batch.latent(i)
        self.latent_sent.emit(target, latent)
        self.status_message.emit(f"Sent {latent.note} to {target}")

    def _on_grid_cell_clicked(self, i: int) -> None:
        if self.result is None or not 0 <= i < len(self.result.batch):
            return
        self.grid.select(i)
        menu = QMenu(self)
        for target, text, tip in TARGETS:
            action = menu.addAction(text, lambda t=target: self.send(i, t))
            action.setToolTip(tip)
        menu.exec(QCursor.pos())

    def export_image(self):
        if self.result is None or self.found is None:
            return None
        meta = self.base_metadata()
        meta.update(seed=self.seed.value(), sample=self.index.value(),
                    walk=", ".join(self.grid.column_labels), directions=str(len(self.found.vectors)),
                    **({"names": ", ".join(self.found.names)} if hasattr(self.found, "names") else
                       {"explained": ", ".join(f"{100 * e:.1f}%" for e in self.found.explained)}))
        return self.result.grids[0], meta, f"directions-seed{self.seed.value()}.png"
