"""TrainPanel: the Train tab. Settings on the left; Start / Pause / Resume / Stop, progress
with ETA and images/s, and "Open in explorer" on the right.

Training runs in a child process (`TrainingProcess`); progress is read back from the run
folder by a `FolderPoller` thread, exactly as the monitor reads it.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton,
                               QScrollArea, QVBoxLayout)

from train.run_folder import new_run_dir

from .follower import RunFollower
from .form import TrainForm
from .poller import FolderPoller, Snapshot
from .process import CAN_PAUSE, TrainingProcess
from .tool_tab import ToolTab


def format_eta(seconds: float) -> str:
    if not seconds == seconds or seconds < 0 or seconds > 86400 * 30:
        return "--"
    return time.strftime("%H:%M:%S", time.gmtime(seconds))


class TrainPanel(ToolTab):
    name = "train"
    title = "Train"
    run_started = Signal(str)          # run folder (the monitor follows it)
    open_requested = Signal(str)       # checkpoint to open in the explorer panels

    def __init__(self, runs_dir, parent=None):
        super().__init__(parent)
        self.runs_dir = Path(runs_dir)
        self.form = TrainForm()
        self.process = TrainingProcess(self)
        self.poller: FolderPoller | None = None

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current step; the checkpoint is saved")
        self.open_button = QPushButton("Open checkpoint in explorer")
        self.open_button.setToolTip("Show the latest checkpoint of this run in the sampling, arithmetic, … panels")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("not started")
        self.status = QLabel("Choose the settings and press Start. The run is a folder under "
                             f"{self.runs_dir}; the Monitor tab follows it live.")
        self.status.setWordWrap(True)
        self.run_label = QLabel("")
        self.run_label.setWordWrap(True)

        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(420)
        box = QGroupBox("Run")
        bl = QVBoxLayout(box)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(b)
        bl.addLayout(buttons)
        bl.addWidget(self.progress)
        bl.addWidget(self.status)
        bl.addWidget(self.run_label)
        bl.addWidget(self.open_button)
        bl.addStretch(1)
        lay = QHBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(box, 1)

        self.start_button.clicked.connect(self._on_start_button_clicked)
        self.pause_button.clicked.connect(self.process.pause)
        self.resume_button.clicked.connect(self.process.resume)
        self.stop_button.clicked.connect(self.process.stop)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.form.validity_changed.connect(lambda _: self._update_buttons())
        self.process.state_changed.connect(self._on_process_state_changed)
        self.process.finished.connect(self._on_process_finished)
        self._update_buttons()

    # ------------------------------------------------------------------ public
    @property
    def follower(self) -> RunFollower | None:
        return self.poller.follower if self.poller else None

    def start(self) -> Path | None:
        """Start a new run from the form; returns its folder (None if the form is invalid)."""
        if not self.form.validate() or self.process.active:
            return None
        cfg = self.form.config()
        out = new_run_dir(self.runs_dir, cfg.model, cfg.dataset)
        self._launch(self.form.args(out), out)
        return out

    def resume_run(self, run_dir) -> None:
        """Continue a stopped (or diverged) run from its latest good checkpoint."""
        if self.process.active:
            self.status.setText("A run is already active; stop it first.")
            return
        self._launch(["--resume", str(run_dir), "--quiet"], Path(run_dir))

    def confirm_close(self) -> bool:
        """Window closing: ask whether to stop (saving) or keep the run going. False = cancel."""
        if not self.process.active:
            return True
        choice = self.ask_close()
        if choice == "stop":
            self.process.stop()
            self.process.wait(60)
            return True
        if choice == "keep":
            self.process.detach()
            return True
        return False

    def ask_close(self) -> str:
        """The close question as a dialog: 'stop', 'keep' or 'cancel' (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running",
                          f"A run is still training:\n{self.process.run_dir}\n\n"
                          "Stop it (the checkpoint is saved), or keep it training in the background?",
                          parent=self)
        stop = box.addButton("Stop and save", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep training", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return {id(stop): "stop", id(keep): "keep"}.get(id(box.clickedButton()), "cancel")

    # ------------------------------------------------------------------ helpers
    def _launch(self, args: list[str], run_dir: Path) -> None:
        try:
            self.process.start(args, run_dir)
        except OSError as e:
            self.status.setText(f"Could not start training: {e}")
            return
        if self.poller is not None:
            self.poller.stop()
        self.poller = FolderPoller(run_dir, 0.25, parent=self)
        self.poller.snapshot.connect(self._update_progress)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("starting (loading data, building the models)…")
        self.run_label.setText(f"Run folder: {run_dir}")
        self.poller.start()
        self.run_started.emit(str(run_dir))

    def _update_buttons(self) -> None:
        st = self.process.state
        self.start_button.setEnabled(self.form.valid and not self.process.active)
        self.pause_button.setEnabled(st == "running" and CAN_PAUSE)
        self.resume_button.setEnabled(st == "paused")
        self.stop_button.setEnabled(st in ("running", "paused"))
        self.form.setEnabled(not self.process.active)
        self.open_button.setEnabled(bool(self.follower and self.follower.latest_checkpoint()))

    def _update_progress(self, snap: Snapshot | None = None) -> None:
        """Progress from a poll (the poller thread's, or one done here when snap is None)."""
        if self.poller is None:
            return
        if snap is None:
            snap = self.poller.poll_now()
        row = snap.last_row
        if row and snap.total:
            step, ips = int(row.get("step", 0)), float(row.get("images_per_s") or 0)
            batch = (snap.config or {}).get("train", {}).get("batch_size", 0)
            eta = (snap.total - step) * batch / ips if ips > 0 else float("nan")
            self.progress.setRange(0, snap.total)
            self.progress.setValue(step)
            paused = " · paused" if self.process.state == "paused" else ""
            self.progress.setFormat(f"step {step}/{snap.total} · {ips:.0f} img/s · ETA {format_eta(eta)}{paused}")
        self.open_button.setEnabled(snap.latest_checkpoint is not None)

    # ------------------------------------------------------------------ handlers
    def _on_start_button_clicked(self) -> None:
        self.start()

    def _on_open_button_clicked(self) -> None:
        ck = self.follower.latest_checkpoint() if self.follower else None
        if ck is not None:
            self.open_requested.emit(str(ck))

    def _on_process_state_changed(self, state: str) -> None:
        self._update_buttons()
        if state in ("running", "paused", "stopping"):
            self.status.setText({"running": "Training…", "paused": "Paused (the process is suspended).",
                                 "stopping": "Stopping: saving the checkpoint…"}[state])
            self._update_progress()

    def _on_process_finished(self, state: str, message: str) -> None:
        if self.poller is not None:
            self.poller.stop()
        self._update_progress()
        self._update_buttons()
        self.status.setText(message)
        if state != "failed":
            self.progress.setFormat(self.progress.format().split(" · ETA")[0] + f" · {state}")
        self.status_message.emit(message.splitlines()[0])
