"""Probe panel: how good are D's features without labels? (the DCGAN paper's D + linear SVM)

Runs `train.feature_probe` on a worker thread: a linear classifier on D's max-pooled conv
features, beside two baselines measured in the same run (raw pixels, a randomly initialised
D of the same architecture), and a 2D PCA of D's features coloured by class. On a data set with
factors (the colour shapes) a second table gives, per factor, D's accuracy beside raw pixels'
and the gain. The worker loads its own copy of the checkpoint; nothing here shares a module
with the render thread.

A run takes minutes on a CPU: a progress bar shows the share of the work done (weighted by
each step's estimated cost) with an estimate of the time left, extrapolated from the time so
far; Cancel stops the worker between steps. Results are kept per checkpoint file and settings
(explorer/probe_cache.py), so opening the same checkpoint again shows its result at once.
"""
from __future__ import annotations

import json
import struct
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from gan_models.errors import GanExplorerError

from ..model_list import default_bundled_dir
from ..probe_cache import ProbeCache, probe_key
from .base import Panel

INTRO = ("Trains a linear classifier on the discriminator's features (each conv layer max-pooled "
         "to 4x4 and concatenated, as in the DCGAN paper) using only a few labels, and compares it "
         "with raw pixels and with a randomly initialised D of the same architecture.")


FACTOR_COLUMNS = (("factor", "factor"), ("chance", "chance"), ("D", "discriminator"),
                  ("pixels", "raw pixels"), ("random D", "random D"), ("gain", "gain"))
GAIN_COLOURS = {True: "#1a7f37", False: "#b42318"}       # green: D beats pixels; red: it does not


PROBE_SHARE = 0.95       # of the progress bar; the PCA of D's features is the rest


def checkpoint_has_discriminator(path) -> bool:
    """Does this safetensors file hold D's tensors ("D.*")? Reads the header only (no torch)."""
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            if not 0 < n < 100_000_000:
                return False
            header = json.loads(f.read(n))
    except (OSError, ValueError, struct.error):
        return False
    return isinstance(header, dict) and any(k.startswith("D.") for k in header)


def bundled_with_discriminator(folder: Path | None = None) -> list[str]:
    """Names of the bundled models that carry their D (today: dcgan-faces, dcgan-shapes)."""
    folder = Path(folder or default_bundled_dir())
    files = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []
    return [p.stem for p in files if checkpoint_has_discriminator(p)]


class ProbeWorker(QThread):
    finished_ok = Signal(object)    # {"table": run_probe result, "pca": feature_pca result}
    failed = Signal(str)
    progressed = Signal(float, str)  # fraction of the work done, the step just finished
    cancelled = Signal()

    def __init__(self, path, labels, n_data, n_test, parent=None):
        super().__init__(parent)
        self.path, self.labels, self.n_data, self.n_test = path, labels, n_data, n_test
        self._stop = threading.Event()

    def cancel(self) -> None:
        """Ask the worker to stop at its next step (any thread)."""
        self._stop.set()

    def run(self) -> None:
        try:
            from train.feature_probe import (ProbeCancelled, feature_pca, load_d_checkpoint, probe_data,
                                             run_probe)
        except Exception as e:  # noqa: BLE001  (reported, never raised on a worker)
            self.failed.emit(f"the probe failed: {type(e).__name__}: {e}")
            return
        try:
            table = run_probe(self.path, labels=self.labels, n_test=self.n_test, n_data=self.n_data,
                              progress=lambda f, what: self.progressed.emit(PROBE_SHARE * f, what),
                              should_stop=self._stop.is_set)
            ck = load_d_checkpoint(self.path)
            ds = probe_data(ck, None, self.n_data)
            if self._stop.is_set():
                raise ProbeCancelled()
            pca = feature_pca(ck.discriminator, ds.x, ds.labels, n=1000)
            pca["class_names"] = list(ds.class_names)
            self.progressed.emit(1.0, "PCA of D's features")
            self.finished_ok.emit({"table": table, "pca": pca})
        except ProbeCancelled:
            self.cancelled.emit()
        except GanExplorerError as e:
            self.failed.emit(str(e))
        except Exception as e:  # a worker never takes the window down
            self.failed.emit(f"the probe failed: {type(e).__name__}: {e}")


class ProbePanel(Panel):
    name = "probe"
    title = "D probe"

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        self.worker: ProbeWorker | None = None
        self.n_test = 2000
        self.n_data = 10000
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.labels_a, self.labels_b = QSpinBox(), QSpinBox()
        for box, v in ((self.labels_a, 100), (self.labels_b, 1000)):
            box.setRange(10, 20000)
            box.setSingleStep(100)
            box.setValue(v)
        self.run_button = QPushButton("Run probe")
        self.run_button.clicked.connect(self._on_run_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.cache = ProbeCache()
        self._t0 = 0.0
        row = QHBoxLayout()
        for w in (QLabel("Labels:"), self.labels_a, QLabel("and"), self.labels_b, self.run_button,
                  self.cancel_button):
            row.addWidget(w)
        row.addWidget(self.progress, 1)
        self.table = QTableWidget(3, 3)
        self.table.setVerticalHeaderLabels(["discriminator", "raw pixels", "random D"])
        self.table.setMinimumWidth(360)
        self.factor_title = QLabel("")
        self.factor_title.setWordWrap(True)
        self.factor_table = QTableWidget(0, len(FACTOR_COLUMNS))
        self.factor_table.setHorizontalHeaderLabels([c for c, _ in FACTOR_COLUMNS])
        self.factor_table.verticalHeader().setVisible(False)
        for w in (self.factor_title, self.factor_table):
            w.setVisible(False)
        import pyqtgraph as pg   # lazily: only when the panel is built
        self.plot = pg.PlotWidget(title="PCA of D's features")
        self.plot.addLegend(offset=(5, 5))
        self.plot.setMinimumSize(360, 300)
        left = QVBoxLayout()
        left.addWidget(self.table)
        left.addWidget(self.factor_title)
        left.addWidget(self.factor_table)
        left.addWidget(self.status)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.plot, 2)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(row)
        lay.addLayout(body, 1)
        self.result: dict | None = None

    @staticmethod
    def unavailable_reason(info) -> str | None:
        if not info.has_discriminator:
            with_d = bundled_with_discriminator()
            bundled = (f"Of the bundled models only {', '.join(with_d)} carries its D. " if len(with_d) == 1 else
                       f"Bundled models with D: {', '.join(with_d)}. " if with_d else
                       "No bundled model carries D. ")
            return ("This file has no discriminator (it holds the generator only), and the probe reads D's "
                    f"features. {bundled}Training checkpoints keep D: open a run folder under runs/.")
        if not info.is_image:
            return "The feature probe works on image models; this one makes points."
        return None

    def _labels(self) -> tuple:
        return tuple(sorted({self.labels_a.value(), self.labels_b.value()}))

    def _key(self, path=None) -> str | None:
        path = path or (self.info.path if self.info is not None else None)
        return None if path is None else probe_key(path, self._labels(), self.n_data, self.n_test)

    def set_model(self, info) -> None:
        super().set_model(info)
        cached = self.cache.get(self._key())
        if cached is not None:
            self._show_result(cached)
            self.status.setText(self.status.text() + " Saved result for this checkpoint: Run probe measures again.")
            return
        self.status.setText(f"Data: {info.meta.get('dataset', '?')} — press Run probe. It takes minutes on a "
                            "CPU; a bar shows the progress and the time left, and Cancel stops it.")

    def _on_run_clicked(self) -> None:
        if self.info is None or (self.worker and self.worker.isRunning()):
            return
        labels = self._labels()
        self._table_columns(labels)
        self._set_running(True)
        self.status.setText("Running: extracting features and fitting three classifiers…")
        self._t0 = time.monotonic()
        self.worker = ProbeWorker(self.info.path, labels, self.n_data, self.n_test, self)
        self.worker.key = self._key()
        self.worker.finished_ok.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.progressed.connect(self._on_worker_progressed)
        self.worker.cancelled.connect(self._on_worker_cancelled)
        self.worker.start()

    def _table_columns(self, labels) -> None:
        self.table.setColumnCount(len(labels) + 1)
        self.table.setHorizontalHeaderLabels([f"{n} labels" for n in labels] + ["features"])

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setValue(0)
            self.progress.setFormat("starting…")

    def _on_cancel_clicked(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling: the probe stops after its current step…")

    def _on_worker_progressed(self, fraction: float, what: str) -> None:
        self.progress.setValue(int(1000 * fraction))
        elapsed = time.monotonic() - self._t0
        self.progress.setFormat(f"{100 * fraction:.0f}% · {eta_text(fraction, elapsed)}")
        self.status.setText(f"Running: {what} done ({elapsed:.0f} s so far).")

    def _on_worker_cancelled(self) -> None:
        self._set_running(False)
        self.status.setText(f"Cancelled after {time.monotonic() - self._t0:.0f} s. Run probe starts again.")

    def _on_worker_failed(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(message)
        self.status_message.emit(message)

    def _on_worker_finished(self, res: dict) -> None:
        self._set_running(False)
        self.cache.put(getattr(self.sender(), "key", None) or self._key(), res)
        self._show_result(res)

    def _show_result(self, res: dict) -> None:
        self.result = res
        table = res["table"]
        self._table_columns(table["labels"])      # a saved result shown on opening: no run set them
        for r, row in enumerate(table["rows"]):
            for c, n in enumerate(table["labels"]):
                self.table.setItem(r, c, QTableWidgetItem(f"{100 * row['accuracy'][str(n)]:.1f}%"))
            self.table.setItem(r, len(table["labels"]), QTableWidgetItem(f"{row['dim']:,}"))
        self.table.resizeColumnsToContents()
        _fit_height(self.table)
        self.status.setText(f"Test accuracy on {table['n_test']} held-out images of {table['dataset']} "
                            f"({table['seconds']} s).")
        self._show_factors(table.get("factors"))
        self._draw_pca(res["pca"])

    def _show_factors(self, fa: dict | None) -> None:
        for w in (self.factor_title, self.factor_table):
            w.setVisible(bool(fa))
        if not fa:
            return
        from train.feature_probe import bins_text
        self.factor_title.setText(f"Per factor, {fa['labels']} labels ({bins_text(fa.get('bins') or {})}; "
                                  "chance = the largest test class). Gain = D minus raw pixels, "
                                  "in accuracy points.")
        self.factor_table.setRowCount(len(fa["rows"]))
        for r, row in enumerate(fa["rows"]):
            for c, (_, key) in enumerate(FACTOR_COLUMNS):
                v = row[key]
                text = (v.replace("_", " ") if isinstance(v, str) else
                        f"{100 * v:+.1f}" if key == "gain" else f"{100 * v:.1f}%")
                item = QTableWidgetItem(text)
                if key == "gain":
                    item.setForeground(QColor(GAIN_COLOURS[v > 0]))
                self.factor_table.setItem(r, c, item)
        self.factor_table.resizeColumnsToContents()
        _fit_width(self.factor_table)           # the faces' nine rows and long names: no scroll bars
        _fit_height(self.factor_table)

    def prepare_screenshot(self):
        """Start a run, unless set_model already showed this checkpoint's saved result (a run takes
        minutes: 14 on dcgan-faces here), and return the 'done' test the screenshot command waits on."""
        if self.cache.get(self._key()) is None:
            self._on_run_clicked()
        return self.run_button.isEnabled          # enabled again when the worker finished or failed

    def _draw_pca(self, pca: dict) -> None:
        import pyqtgraph as pg
        self.plot.clear()
        coords, labels = pca["coords"], pca["labels"]
        names = pca.get("class_names") or []
        if labels is None:
            self.plot.addItem(pg.ScatterPlotItem(coords[:, 0], coords[:, 1], size=4, pen=None))
            return
        for k in np.unique(labels):
            m = labels == k
            colour = pg.intColor(int(k), hues=max(10, len(names)))
            self.plot.addItem(pg.ScatterPlotItem(coords[m, 0], coords[m, 1], size=5, pen=None,
                                                 brush=pg.mkBrush(colour),
                                                 name=names[int(k)] if int(k) < len(names) else str(k)))
        self.plot.setLabel("bottom", f"PC1/PC2 explain {100 * pca['explained']:.0f}% of the variance")


def eta_text(fraction: float, elapsed: float) -> str:
    """"about 3 min left", extrapolated from the time so far; "estimating…" before 2% or 2 s."""
    if fraction < 0.02 or elapsed < 2:
        return "estimating…"
    left = elapsed * (1 - fraction) / fraction
    if left < 60:
        return f"about {max(1, round(left))} s left"
    return f"about {round(left / 60)} min left" if left >= 600 else f"about {left / 60:.1f} min left"


def _fit_width(table: QTableWidget) -> None:
    """At least as wide as its columns: the layout gives the plot what is left, not a scroll bar."""
    table.setMinimumWidth(sum(table.columnWidth(c) for c in range(table.columnCount()))
                          + (table.verticalHeader().width() if table.verticalHeader().isVisible() else 0)
                          + 2 * table.frameWidth())


def _fit_height(table: QTableWidget) -> None:
    """No empty band below a short table: exactly its header and rows tall."""
    table.setFixedHeight(table.horizontalHeader().height() + 4
                         + sum(table.rowHeight(i) for i in range(table.rowCount())))
