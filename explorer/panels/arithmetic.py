"""ArithmeticPanel: latent vector arithmetic, A − B + C, as in the DCGAN paper.

Each slot holds one or more latents (averaged); the result's neighbours (small random
perturbations) show whether the result is robust or a fluke. Bookmarks keep named latents.
"""
from __future__ import annotations

import json

import numpy as np

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout

from ..latents import combine, concat, neighbours, random_latent, stack
from ..requests import GridSpec
from ..widgets.bookmarks_box import BookmarksBox
from ..widgets.controls import FloatSlider
from ..widgets.image_view import ImageGridView
from ..widgets.latent_slot import LatentSlot
from .arithmetic_attrs import AttributeFill
from .base import Panel, single

SLOTS = ("A", "B", "C")


def _operator(text: str) -> QLabel:
    label = QLabel(f"<span style='font-size:20pt'>{text}</span>")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class ArithmeticPanel(Panel):
    name, title = "arithmetic", "Arithmetic"

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        self.result = None
        self._views = {}     # index in the last request -> view that shows it
        hint = "Empty: click a sample in Sampling, then → {}"
        self.slots = {s: LatentSlot(s, hint.format(s)) for s in SLOTS}
        self.out = LatentSlot("A − B + C", "Fill A, B and C to see the result", removable=False)
        row = QHBoxLayout()
        for s, op in zip(SLOTS, ("−", "+", "=")):
            row.addWidget(self.slots[s], 1)
            row.addWidget(_operator(op))
        row.addWidget(self.out, 1)

        self.count = QSpinBox()
        self.count.setRange(1, 16)
        self.count.setValue(8)
        self.count.setToolTip("How many neighbours of the result to show")
        self.spread = FloatSlider(0.05, 1.0, 0.05, 0.25, tooltip="How far the neighbours stray from the result (σ)")
        self.neighbours = ImageGridView(placeholder="Neighbours of the result appear here", min_side=48)
        self.spread.paint_after(self.neighbours.painted)
        nb = QGroupBox("Neighbours of the result")
        nb_bar = QHBoxLayout()
        nb_bar.addWidget(QLabel("Count"))
        nb_bar.addWidget(self.count)
        nb_bar.addWidget(QLabel("Spread"))
        nb_bar.addWidget(self.spread, 1)
        nb_lay = QVBoxLayout(nb)
        nb_lay.addLayout(nb_bar)
        nb_lay.addWidget(self.neighbours, 1)

        self.bookmarks = BookmarksBox()
        self.bookmarks.setMaximumWidth(320)
        bottom = QHBoxLayout()
        bottom.addWidget(nb, 1)
        bottom.addWidget(self.bookmarks)
        self.by_attribute = AttributeFill(self, SLOTS)       # faces models only (hidden otherwise)
        self._judged_z = None
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.by_attribute)
        lay.addLayout(bottom, 1)

        for slot in self.slots.values():
            slot.changed.connect(self.request)
        self.count.valueChanged.connect(self.request)
        self.spread.value_changed.connect(self.request)
        self.bookmarks.add_button.clicked.connect(self._on_bookmark_clicked)
        self.bookmarks.send_requested.connect(self._on_bookmark_send_requested)
        self.bookmarks.message.connect(self.status_message)

    # ------------------------------------------------------------------ model
    @staticmethod
    def unavailable_reason(info) -> str | None:
        if not info.is_image:
            return ("This model makes points, not images: latent arithmetic is shown on images. "
                    "The Sampling panel plots this model's points.")
        return None

    def set_model(self, info) -> None:
        super().set_model(info)
        self.result = None
        self.bookmarks.set_model(info)
        self.by_attribute.set_model(info)
        for i, s in enumerate(SLOTS):       # start with something to look at: seed 0's first samples
            self.slots[s].blockSignals(True)
            self.slots[s].set([random_latent(info, 0, i)])
            self.slots[s].blockSignals(False)
        self.request()

    def prepare_screenshot(self):
        """`gan-explorer screenshot` on a faces model: the paper's example filled by attribute."""
        return self.by_attribute.paper_example() if self.by_attribute.isVisibleTo(self) else (lambda: True)

    def add_to_slot(self, slot: str, latent) -> None:
        self.slots[slot].add(latent)

    def result_latent(self):
        means = [self.slots[s].mean() for s in SLOTS]
        return combine(*means) if all(m is not None for m in means) else None

    # ------------------------------------------------------------------ render
    def request(self) -> int:
        if self.info is None:
            return 0
        shown = [(self.slots[s].mean(), self.slots[s].view) for s in SLOTS if self.slots[s].latents]
        res = self.result_latent()
        if res is not None:
            shown.append((res, self.out.view))
        else:
            self.out.view.set_image(None)
            self.neighbours.set_image(None)
        if not shown:
            return 0
        self._views = {i: view for i, (_, view) in enumerate(shown)}
        batch = stack([x for x, _ in shown])
        grids = single(len(shown))
        if res is not None:
            n = self.count.value()
            nb = neighbours(res, n, self.spread.value(), seed=1)
            self._judged_z = np.concatenate([res.z[None], nb.z]).astype(np.float32)
            batch = concat([batch, nb])
            grids += (GridSpec(n, n if n <= 4 else (n + 1) // 2, 2),)   # two rows fill the box better
        return self.render("slots", batch, grids)

    def on_result(self, result) -> None:
        self.result = result
        for i, view in self._views.items():
            if i < len(result.grids):
                view.show_grid(result, i)
        if len(result.grids) > len(self._views):
            self.neighbours.show_grid(result, len(result.grids) - 1)
            if self._judged_z is not None:
                self.by_attribute.read_result(self._judged_z)     # the judge's reading, off the UI thread

    def export_image(self):
        if self.result is None or self.result_latent() is None:
            return None
        meta = self.base_metadata()
        res = self.result_latent()
        meta.update(operation="A - B + C", z=json.dumps([round(float(v), 6) for v in res.z]),
                    **{f"slot_{s}": "; ".join(x.note for x in self.slots[s].latents) for s in SLOTS})
        return self.out.view.array(), meta, "arithmetic.png"

    # ------------------------------------------------------------------ handlers
    def _on_bookmark_clicked(self) -> None:
        res = self.result_latent()
        if res is not None:
            self.bookmarks.add(self.bookmarks.name.text().strip(), res)
            self.bookmarks.name.clear()

    def _on_bookmark_send_requested(self, target: str, latent) -> None:
        if target in self.slots:
            self.add_to_slot(target, latent)
        else:
            self.latent_sent.emit(target, latent)
