"""PlaygroundPanel: the GAN game on ring8 / grid25 / gauss1d, live (GAN Lab in this app).

Play trains as fast as the toy allows (hundreds of steps a second) while the plot redraws
about 20 times a second; slow motion and single D / G steps show the game move by move.
All training happens on the worker thread; this panel only sends commands and draws
snapshots.
"""
from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QThread, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout)

from ..training.tool_tab import ToolTab
from .view import PlaygroundPlot
from .worker import PlaygroundWorker

SPEEDS = (("max", 0.0), ("100 steps/s", 100.0), ("20 steps/s", 20.0), ("5 steps/s", 5.0),
          ("1 step/s", 1.0))

HELP = """<p><b>How to read it</b></p>
<p><span style="color:#1e8449">&#9679;</span> real data, <span style="color:#6c3483">&#9679;</span> points
G makes from a fixed set of z.</p>
<p>The background is D(x): <span style="background:#8ccd96">&nbsp;green&nbsp;</span> where D says
<i>real</i>, <span style="background:#b58ed6">&nbsp;purple&nbsp;</span> where it says <i>fake</i>, white
where it cannot tell (D = 1/2).</p>
<p><b>One D step</b> sharpens the background around the points; <b>one G step</b> moves the purple
points uphill in D (the arrows show which way). At the equilibrium p_g = p_data and
D(x) = 1/2 everywhere.</p>
<p>On <b>gauss1d</b> the plot shows p_data, p_g, the learned D(x) and the optimal
D*(x) = p_data / (p_data + p_g): both flatten toward 1/2 as G learns.</p>"""


class PlaygroundPanel(ToolTab):
    name = "playground"
    title = "Playground"
    # commands to the worker (queued onto its thread)
    _setup_requested = Signal(object)
    _play_requested = Signal(bool)
    _speed_requested = Signal(float)
    _arrows_requested = Signal(bool)
    _d_step_requested = Signal()
    _g_step_requested = Signal()
    _shutdown_requested = Signal()
    snapshot_shown = Signal(int)          # step of the snapshot just drawn

    def __init__(self, parent=None):
        super().__init__(parent)
        self.snapshot: dict | None = None
        self.source: str | None = None    # checkpoint the toy was loaded from, if any
        self.dataset = QComboBox()
        self.dataset.addItems(["ring8", "grid25", "gauss1d"])
        self.lr = QComboBox()
        for v in ("1e-4", "2e-4", "5e-4", "1e-3", "3e-3"):
            self.lr.addItem(v, float(v))
        self.lr.setCurrentText("1e-3")
        self.g_loss = QComboBox()
        self.g_loss.addItem("non-saturating", "nonsat")
        self.g_loss.addItem("minimax", "minimax")
        self.d_steps = QSpinBox()
        self.d_steps.setRange(1, 10)
        self.d_steps.setPrefix("k = ")
        self.reset_button = QPushButton("Reset")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.d_button = QPushButton("One D step")
        self.g_button = QPushButton("One G step")
        self.speed = QComboBox()
        for text, v in SPEEDS:
            self.speed.addItem(text, v)
        self.arrows = QCheckBox("G's gradient arrows")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.plot = PlaygroundPlot()
        self.help = QLabel(HELP)
        self.help.setWordWrap(True)
        self.help.setFixedWidth(250)
        self.help.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.help.setTextFormat(Qt.TextFormat.RichText)

        row1 = QHBoxLayout()
        for label, w in (("Data", self.dataset), ("lr", self.lr), ("G loss", self.g_loss), ("D steps", self.d_steps)):
            row1.addWidget(QLabel(label))
            row1.addWidget(w)
        row1.addWidget(self.reset_button)
        row1.addStretch(1)
        row2 = QHBoxLayout()
        for w in (self.play_button, self.d_button, self.g_button):
            row2.addWidget(w)
        row2.addWidget(QLabel("Speed"))
        row2.addWidget(self.speed)
        row2.addWidget(self.arrows)
        row2.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.status)
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        body.addWidget(self.help, 0)
        lay.addLayout(body, 1)

        self.thread = QThread(self)
        self.thread.setObjectName("playground")
        self.worker = PlaygroundWorker()
        self.worker.moveToThread(self.thread)
        self._setup_requested.connect(self.worker.setup)
        self._play_requested.connect(self.worker.play)
        self._speed_requested.connect(self.worker.set_speed)
        self._arrows_requested.connect(self.worker.set_arrows)
        self._d_step_requested.connect(self.worker.step_d)
        self._g_step_requested.connect(self.worker.step_g)
        # blocking: the worker must stop its timer on its own thread before the thread quits
        self._shutdown_requested.connect(self.worker.shutdown, Qt.ConnectionType.BlockingQueuedConnection)
        self.worker.snapshot_ready.connect(self._on_worker_snapshot_ready)
        self.worker.failed.connect(self._on_worker_failed)

        self.reset_button.clicked.connect(self.reset)
        self.dataset.currentIndexChanged.connect(lambda _: self.reset())
        for w in (self.lr, self.g_loss):
            w.currentIndexChanged.connect(lambda _: self.reset())
        self.d_steps.valueChanged.connect(lambda _: self.reset())
        self.play_button.toggled.connect(self._on_play_button_toggled)
        self.d_button.clicked.connect(self._d_step_requested)
        self.g_button.clicked.connect(self._g_step_requested)
        self.speed.currentIndexChanged.connect(lambda _: self._speed_requested.emit(self.speed.currentData()))
        self.arrows.toggled.connect(self._arrows_requested)
        self._started = False

    # ------------------------------------------------------------------ public
    def showEvent(self, event) -> None:
        if not self._started:             # build the first toy when the tab is first seen
            self.reset()
        super().showEvent(event)

    def spec(self) -> dict:
        return {"dataset": self.dataset.currentText(), "lr": self.lr.currentData(),
                "g_loss": self.g_loss.currentData(), "d_steps": self.d_steps.value(), "batch": 256}

    def _ensure_thread(self) -> None:
        """The worker thread starts with the first toy (a window that never shows the
        playground never starts it)."""
        if not self.thread.isRunning():
            # Collect garbage here, on the UI thread: a collection triggered inside the worker
            # (e.g. by torch's lazy imports when the first optimizer is built) could finalise
            # Qt wrappers owned by this thread, which crashed a test run (segfault in gc).
            gc.collect()
            _prewarm_optimizer_imports()
            self.thread.start()
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(self.shutdown)

    def reset(self) -> None:
        """A fresh toy GAN with the current settings (stops playing)."""
        self._ensure_thread()
        self._started = True
        self.source = None
        self.play_button.setChecked(False)
        self._setup_requested.emit(self.spec())

    def open_path(self, path) -> None:
        """Continue from a toy checkpoint or run folder (it needs its discriminator)."""
        self._ensure_thread()
        self._started = True
        self.source = str(path)
        self.play_button.setChecked(False)
        self._setup_requested.emit({**self.spec(), "checkpoint": str(path)})

    def set_playing(self, on: bool) -> None:
        self.play_button.setChecked(on)

    def shutdown(self) -> None:
        if self.thread.isRunning():
            self._shutdown_requested.emit()
            self.thread.quit()
            self.thread.wait(10000)

    # ------------------------------------------------------------------ handlers
    def _on_play_button_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        self._speed_requested.emit(self.speed.currentData())
        self._play_requested.emit(on)

    def _on_worker_snapshot_ready(self, snap: dict) -> None:
        self.snapshot = snap
        if self.dataset.currentText() != snap["dataset"]:     # a loaded checkpoint's data set
            self.dataset.blockSignals(True)
            self.dataset.setCurrentText(snap["dataset"])
            self.dataset.blockSignals(False)
        self.plot.show_snapshot(snap)
        v = snap["values"]
        parts = [f"{snap['dataset']}", f"G steps {snap['step']}", f"D steps {snap['d_updates']}"]
        if snap["playing"] and snap["steps_per_s"]:
            parts.append(f"{snap['steps_per_s']:.0f} steps/s")
        if "d_real" in v:
            parts.append(f"D(x) {v['d_real']:.2f}")
        if "d_fake" in v:
            parts.append(f"D(G(z)) {v.get('d_fake_after', v['d_fake']):.2f}")
        if self.source:
            parts.append(f"from {Path(self.source).name}")
        self.status.setText(" · ".join(parts))
        self.snapshot_shown.emit(snap["step"])

    def _on_worker_failed(self, message: str) -> None:
        self.play_button.setChecked(False)
        self.status.setText(message)
        self.status_message.emit(message)


def _prewarm_optimizer_imports() -> None:
    """Building the first torch optimizer imports torch._dynamo (hundreds of modules): do it on
    the UI thread once, so the worker thread never runs that import (and the GC it triggers)."""
    import torch
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
