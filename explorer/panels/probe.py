"""Probe panel: how good are D's features without labels? (the DCGAN paper's D + linear SVM)

Runs `train.feature_probe` on a worker thread: a linear classifier on D's max-pooled conv
features, beside two baselines measured in the same run (raw pixels, a randomly initialised
D of the same architecture), and a 2D PCA of D's features coloured by class. On a data set with
factors (the colour shapes) a second table gives, per factor, D's accuracy beside raw pixels'
and the gain. The worker loads its own copy of the checkpoint; nothing here shares a module
with the render thread.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from gan_models.errors import GanExplorerError

from .base import Panel

INTRO = ("Trains a linear classifier on the discriminator's features (each conv layer max-pooled "
         "to 4x4 and concatenated, as in the DCGAN paper) using only a few labels, and compares it "
         "with raw pixels and with a randomly initialised D of the same architecture.")


FACTOR_COLUMNS = (("factor", "factor"), ("chance", "chance"), ("D", "discriminator"),
                  ("pixels", "raw pixels"), ("random D", "random D"), ("gain", "gain"))
GAIN_COLOURS = {True: "#1a7f37", False: "#b42318"}       # green: D beats pixels; red: it does not


class ProbeWorker(QThread):
    finished_ok = Signal(object)    # {"table": run_probe result, "pca": feature_pca result}
    failed = Signal(str)

    def __init__(self, path, labels, n_data, n_test, parent=None):
        super().__init__(parent)
        self.path, self.labels, self.n_data, self.n_test = path, labels, n_data, n_test

    def run(self) -> None:
        try:
            from train.feature_probe import feature_pca, load_d_checkpoint, probe_data, run_probe
            table = run_probe(self.path, labels=self.labels, n_test=self.n_test, n_data=self.n_data)
            ck = load_d_checkpoint(self.path)
            ds = probe_data(ck, None, self.n_data)
            pca = feature_pca(ck.discriminator, ds.x, ds.labels, n=1000)
            pca["class_names"] = list(ds.class_names)
            self.finished_ok.emit({"table": table, "pca": pca})
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
        self.status = QLabel("")
        row = QHBoxLayout()
        for w in (QLabel("Labels:"), self.labels_a, QLabel("and"), self.labels_b, self.run_button):
            row.addWidget(w)
        row.addStretch(1)
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
            return ("This file has no discriminator (bundled models are generator-only): the probe "
                    "needs a training checkpoint, e.g. a run folder under runs/.")
        if not info.is_image:
            return "The feature probe works on image models; this one makes points."
        return None

    def set_model(self, info) -> None:
        super().set_model(info)
        self.status.setText(f"Data: {info.meta.get('dataset', '?')} — press Run probe (about a minute on a CPU).")

    def _on_run_clicked(self) -> None:
        if self.info is None or (self.worker and self.worker.isRunning()):
            return
        labels = sorted({self.labels_a.value(), self.labels_b.value()})
        self.table.setColumnCount(len(labels) + 1)
        self.table.setHorizontalHeaderLabels([f"{n} labels" for n in labels] + ["features"])
        self.run_button.setEnabled(False)
        self.status.setText("Running: extracting features and fitting three classifiers…")
        self.worker = ProbeWorker(self.info.path, tuple(labels), self.n_data, self.n_test, self)
        self.worker.finished_ok.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.start()

    def _on_worker_failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.status.setText(message)
        self.status_message.emit(message)

    def _on_worker_finished(self, res: dict) -> None:
        self.run_button.setEnabled(True)
        self.result = res
        table = res["table"]
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
        self.factor_title.setText(f"Per factor, {fa['labels']} labels (quantile bins: 4 for x, y, scale, 6 "
                                  "for hue; chance = the largest test class). Gain = D minus raw pixels, "
                                  "in accuracy points.")
        self.factor_table.setRowCount(len(fa["rows"]))
        for r, row in enumerate(fa["rows"]):
            for c, (_, key) in enumerate(FACTOR_COLUMNS):
                v = row[key]
                text = (v if isinstance(v, str) else f"{100 * v:+.1f}" if key == "gain" else f"{100 * v:.1f}%")
                item = QTableWidgetItem(text)
                if key == "gain":
                    item.setForeground(QColor(GAIN_COLOURS[v > 0]))
                self.factor_table.setItem(r, c, item)
        self.factor_table.resizeColumnsToContents()
        _fit_height(self.factor_table)

    def prepare_screenshot(self):
        """Start a run and return the 'done' test the screenshot command waits on."""
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


def _fit_height(table: QTableWidget) -> None:
    """No empty band below a short table: exactly its header and rows tall."""
    table.setFixedHeight(table.horizontalHeader().height() + 4
                         + sum(table.rowHeight(i) for i in range(table.rowCount())))
