"""The Arithmetic panel's "by attribute" row for face models (issue 27, part 4).

The DCGAN paper filled each slot with three exemplars of an attribute ("man with glasses").
Here the faces judge picks them: on the first use it reads a pool of the model's own samples
(600 from seed 0, on a JudgeWorker thread), groups their z by (glasses, smile), and *Fill*
puts three random exemplars of the chosen pair into the chosen slot. After every result the
judge reads the result and its neighbours and the row says what it sees ("faces 9 of 9 ·
glasses 8 of 9 · smiling 1 of 9"), so arithmetic is judged by a number, not by eye.
Only for unconditional models of the `faces` data set (the judge knows nothing else).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton

from ..latents import Latent

PAIRS = [((1, 1), "glasses, smiling"), ((1, 0), "glasses, neutral"),
         ((0, 1), "no glasses, smiling"), ((0, 0), "no glasses, neutral")]
PER_SLOT = 3


def applies(info) -> bool:
    return (info is not None and info.is_image and info.meta.get("dataset") == "faces"
            and not info.num_classes and not info.code_layout)


class AttributeFill(QGroupBox):
    """Slot + attribute pair + Fill, and the judge's reading of the last result."""

    def __init__(self, panel, slots: tuple[str, ...]):
        super().__init__("By attribute (the faces judge picks the exemplars and reads the result)")
        self.panel = panel
        self.slot = QComboBox()
        self.slot.addItems(list(slots))
        self.pair = QComboBox()
        for key, text in PAIRS:
            self.pair.addItem(text, key)
        self.fill = QPushButton(f"Fill with {PER_SLOT}")
        self.fill.setToolTip(f"Put {PER_SLOT} of the model's own samples that the judge reads as this pair "
                             "into the slot (their z is averaged, as in the DCGAN paper)")
        self.reading = QLabel("")
        self.reading.setWordWrap(True)
        lay = QHBoxLayout(self)
        for w in (QLabel("Slot"), self.slot, QLabel("as"), self.pair, self.fill):
            lay.addWidget(w)
        lay.addWidget(self.reading, 1)
        self.fill.clicked.connect(self._on_fill)
        self.info, self.pool, self._job, self._workers = None, None, 0, []
        self._latest = {"pool": -1, "read": -1}          # the job whose report counts, per kind
        self._rng = np.random.default_rng(0)
        self.setVisible(False)

    def set_model(self, info) -> None:
        self.info, self.pool = info, None
        self._latest = {"pool": -1, "read": -1}          # reports of the old model's jobs are dropped
        self.fill.setEnabled(True)
        self.reading.setText("")
        self.setVisible(applies(info))

    # ------------------------------------------------------------------ jobs
    def _start(self, kind: str, z=None) -> None:
        from .judge_worker import JudgeWorker
        self._job += 1
        self._latest[kind] = self._job
        w = JudgeWorker(self._job, kind, self.info.path, z=z, parent=self)
        w.finished_ok.connect(self._on_done)
        w.failed.connect(self._on_failed)
        w.finished.connect(lambda w=w: self._workers.remove(w) if w in self._workers else None)
        self._workers.append(w)
        w.start()

    def _on_fill(self) -> None:
        self.fill_slots([(self.slot.currentText(), self.pair.currentData())])

    def fill_slots(self, orders: list) -> None:
        """[(slot, (glasses, smile)), ...]: fill each slot with PER_SLOT judged exemplars (the
        pool is read first if it is not yet)."""
        if self.pool is None:
            self.fill.setEnabled(False)
            self.reading.setText("The judge is reading 600 samples (the first time it is trained: minutes)...")
            self._pending = list(orders)
            self._start("pool")
            return
        for slot, key in orders:
            self._fill_now(slot, key)

    def paper_example(self):
        """The DCGAN paper's figure in our attributes: glasses & smiling - no glasses & smiling +
        no glasses & neutral (expected: glasses, neutral). Returns a callable that is true once
        the judge's reading of the result is shown (for `gan-explorer screenshot`)."""
        self.fill_slots([("A", (1, 1)), ("B", (0, 1)), ("C", (0, 0))])
        return lambda: "as the judge reads them" in self.reading.text() or "failed" in self.reading.text()

    def _fill_now(self, slot: str, key) -> None:
        z, groups = self.pool
        name = dict(PAIRS)[tuple(key)]
        idx = groups.get(tuple(key), [])
        if len(idx) < PER_SLOT:
            self.reading.setText(f"Only {len(idx)} of 600 samples read as '{name}': this model rarely draws it")
            return
        pick = self._rng.choice(idx, PER_SLOT, replace=False)
        latents = [Latent(z[i].copy(), note=f"judge: {name}") for i in pick]
        self.panel.slots[slot].set(latents)              # emits changed -> the panel renders

    def read_result(self, z: np.ndarray) -> None:
        """Have the judge read the result and its neighbours ((n, z_dim) float32): only once the
        user has used "by attribute" (the pool is read), so merely opening the panel on a faces
        model never starts the judge (whose first use trains it: minutes)."""
        if self.isVisible() and self.info is not None and self.pool is not None:
            self._start("read", z=np.ascontiguousarray(z, np.float32))

    def _on_done(self, job: int, kind: str, payload) -> None:
        if job != self._latest.get(kind):
            return
        if kind == "pool":
            self.pool = payload
            self.fill.setEnabled(True)
            self.reading.setText("")
            orders, self._pending = getattr(self, "_pending", []), []
            for slot, key in orders:
                self._fill_now(slot, key)
        else:                                           # only the latest result's reading
            self.reading.setText(f"Result and neighbours, as the judge reads them: {payload}")

    def _on_failed(self, job: int, message: str) -> None:
        if job in self._latest.values():
            self.fill.setEnabled(True)
            self.reading.setText(f"The judge failed: {message}")
