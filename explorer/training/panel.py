"""TrainPanel: the Train tab. The recipes on the left, each with what it trains and how long it
takes on this machine (measured: estimates.py); the settings on the right, the few that matter
in view and the rest under Advanced; below them Start / Pause / Resume / Stop, progress with
ETA and images/s, and "Open in explorer". Fits a 1024x768 window without scrolling sideways.

Training runs in a child process (`TrainingProcess`); progress is read back from the run
folder by a `FolderPoller` thread, exactly as the monitor reads it.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton,
                               QScrollArea, QVBoxLayout)

from gan_models.errors import GanExplorerError
from train.estimate import describe_seconds
from train.run_folder import new_run_dir

from .estimates import Estimator, estimate_key
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
    auto_measure = True                # time the recipes on the first visit (the tests switch it off)
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

        self.estimator = Estimator(parent=self)
        self._recipe_sig: dict[str, str | None] = {}     # recipe -> the form's speed signature it gave
        self._measured = False
        self._pending: set[str] = set()                   # recipes' keys being measured now
        self.estimate_note = QLabel(
            "Times are estimates: a few real training steps of each recipe timed on this machine, "
            "times the recipe's steps. Hover over a recipe for how each was measured.")
        self.estimate_note.setWordWrap(True)
        self.estimate_note.setStyleSheet("color: palette(placeholder-text);")
        self.remeasure_button = QPushButton("Re-measure")
        self.remeasure_button.setToolTip("Time every recipe again (e.g. after the machine's load changed)")
        self.estimate_label = QLabel("")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setTextFormat(Qt.TextFormat.RichText)
        self.estimate_button = QPushButton("Estimate time")
        self.estimate_button.setToolTip("Time a few steps of these settings on this machine (a few seconds)")

        recipes_box = QGroupBox("Start from a recipe")
        rl = QVBoxLayout(recipes_box)
        rl.addWidget(self.form.recipe, 1)
        rl.addWidget(self.estimate_note)
        rl.addWidget(self.remeasure_button, 0, Qt.AlignmentFlag.AlignRight)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll = scroll
        settings_box = QGroupBox("Settings")
        sl = QVBoxLayout(settings_box)
        sl.addWidget(scroll, 1)
        est_row = QHBoxLayout()
        est_row.addWidget(self.estimate_label, 1)
        est_row.addWidget(self.estimate_button, 0, Qt.AlignmentFlag.AlignTop)
        self.form.below_basic.addLayout(est_row)          # under the settings it is the time of
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
        right = QVBoxLayout()
        right.addWidget(settings_box, 1)
        right.addWidget(box, 0)
        lay = QHBoxLayout(self)
        lay.addWidget(recipes_box, 2)
        lay.addLayout(right, 3)

        self.form.recipe.currentIndexChanged.connect(self._on_recipe_current_index_changed)
        self.form.settings_changed.connect(self._update_estimate)
        self.estimator.estimate_ready.connect(self._on_estimator_estimate_ready)
        self.estimator.estimate_failed.connect(self._on_estimator_estimate_failed)
        self.estimator.busy_changed.connect(lambda _: self._update_estimate())
        self.remeasure_button.clicked.connect(lambda: self.measure_recipes(again=True))
        self.estimate_button.clicked.connect(self._on_estimate_button_clicked)
        self.start_button.clicked.connect(self._on_start_button_clicked)
        self.pause_button.clicked.connect(self.process.pause)
        self.resume_button.clicked.connect(self.process.resume)
        self.stop_button.clicked.connect(self.process.stop)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.form.validity_changed.connect(lambda _: self._update_buttons())
        self.process.state_changed.connect(self._on_process_state_changed)
        self.process.finished.connect(self._on_process_finished)
        self._update_buttons()
        self._update_estimate()

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
        try:
            args = self.form.args(out)
        except GanExplorerError as e:             # e.g. the runs folder is read-only or the disk full
            self.form.message.setText(str(e))
            return None
        self._launch(args, out)
        return out

    def resume_run(self, run_dir) -> None:
        """Continue a stopped (or diverged) run from its latest good checkpoint."""
        if self.process.active:
            self.status.setText("A run is already active; stop it first.")
            return
        self._launch(["--resume", str(run_dir), "--quiet"], Path(run_dir))

    def measure_recipes(self, again: bool = False) -> None:
        """Show each recipe's time: kept ones at once, the others measured in the background
        (again: every recipe measured afresh)."""
        self._measured = True
        todo = []
        for name, path in self.form.recipe.recipes():
            key = self._recipe_key(path)
            e = None if again else self.estimator.cache.get(key)
            if e is not None:
                self._show_recipe_estimate(name, e)
            elif key not in self._pending:
                todo.append((name, path))
                self._pending.add(key)
                self.form.recipe.set_estimate(name, "measuring…")
        self.estimator.measure_recipes(todo, {n: self._recipe_key(p) for n, p in todo})

    def estimate_for_form(self) -> dict | None:
        """The kept estimate that holds for the form as it is (its recipe's, if only the length,
        seed or logging changed since the recipe was picked; else one measured for these settings)."""
        sig = self.form.speed_signature()
        if sig is None:
            return None
        name, path = self.form.recipe.currentText(), self.form.recipe.currentData()
        if path and self._recipe_sig.get(name) == sig:
            e = self.estimator.cache.get(self._recipe_key(path))
            if e is not None:
                return e
        return self.estimator.cache.get(estimate_key(sig))

    def showEvent(self, event) -> None:                        # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._measured and self.auto_measure:           # first visit: not at start-up, where the window loads models
            self.measure_recipes()

    def confirm_close(self) -> bool:
        """Window closing: ask whether to stop (saving) or keep the run going. False = cancel."""
        self.estimator.stop()
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
        if self.estimator.busy:         # timing beside a training run would slow both and skew the times
            self.estimator.stop("not measured: a training run started (Re-measure when it is done)")
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

    @staticmethod
    def _recipe_key(path) -> str:
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            text = str(path)
        return estimate_key("recipe:" + text)

    def _show_recipe_estimate(self, name: str, e: dict) -> None:
        self.form.recipe.set_estimate(name, f"{describe_seconds(e['seconds'])} (est.)", _detail(e, e["steps"]))

    def _update_estimate(self) -> None:
        """The line under the settings: the time these settings take here, or a button to measure it."""
        e = self.estimate_for_form()
        self.estimate_button.setVisible(e is None and self.form.valid)
        self.estimate_button.setEnabled(not self.estimator.busy and not self.process.active)
        if e is not None:
            steps = self.form.total_steps(e.get("steps_per_epoch") or 0)
            self.estimate_label.setText(f"<b>Estimated time on this machine: {describe_seconds(e['setup_s'] + steps * e['step_s'])}</b>"
                                        f"<br><small>{_detail(e, steps)}</small>")
        elif not self.form.valid:
            self.estimate_label.setText("")
        else:
            self.estimate_label.setText("Measuring…" if self.estimator.busy else
                                        "No time estimate for these settings yet: a few steps timed here tell.")

    def _update_buttons(self) -> None:
        st = self.process.state
        self.start_button.setEnabled(self.form.valid and not self.process.active)
        self.pause_button.setEnabled(st == "running" and CAN_PAUSE)
        self.resume_button.setEnabled(st == "paused")
        self.stop_button.setEnabled(st in ("running", "paused"))
        self.form.setEnabled(not self.process.active)
        self.form.recipe.setEnabled(not self.process.active)
        self.remeasure_button.setEnabled(not self.process.active)
        self.estimate_button.setEnabled(not self.process.active and not self.estimator.busy)
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
    def _on_recipe_current_index_changed(self, _i: int) -> None:
        name = self.form.recipe.currentText()      # the form has filled itself from the recipe by now
        if self.form.recipe.currentData():
            self._recipe_sig[name] = self.form.speed_signature()
        self._update_estimate()

    def _on_estimator_estimate_ready(self, key: str, e: dict) -> None:
        self._pending.discard(key)
        for name, path in self.form.recipe.recipes():
            if self._recipe_key(path) == key:
                self._show_recipe_estimate(name, e)
        self._update_estimate()

    def _on_estimator_estimate_failed(self, key: str, message: str) -> None:
        self._pending.discard(key)
        for name, path in self.form.recipe.recipes():
            if self._recipe_key(path) == key:
                self.form.recipe.set_estimate(name, "not measured" if message.startswith("not measured")
                                              else "no estimate", message)
        if key == estimate_key(self.form.speed_signature() or ""):
            self.estimate_label.setText(f"Could not estimate these settings: {message}")

    def _on_estimate_button_clicked(self) -> None:
        sig = self.form.speed_signature()
        if sig is None:
            return
        out = Path(tempfile.mkdtemp(prefix="gan-explorer-estimate-"))    # the form's app-recipe.toml
        self.estimator.measure_args(estimate_key(sig), self.form.args(out), cleanup=str(out))
        self._update_estimate()

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


def _detail(e: dict, steps: int) -> str:
    """How an estimate was made, in one sentence."""
    where = f"{e['device']}, {e['threads']} thread{'s' * (e['threads'] != 1)}" + (", bf16" if e.get("bf16") else "")
    load = e.get("load")
    busy = f" with the machine busy (load {load:.1f} on {e['cores']} cores)" if load and load >= 0.75 * e.get("cores", 1) else ""
    return (f"An estimate: {e['timed_steps']} training steps timed on this machine ({where}) at "
            f"{e['step_s']:.3g} s a step × {steps:,} steps + {e['setup_s']:.0f} s setup; measured "
            f"{e['measured_at']}{busy}.")
