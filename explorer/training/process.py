"""TrainingProcess: runs `python -m train ... --out RUN` as a child process and controls it.

Why a subprocess and not a thread: a crash, a NaN abort or an out-of-memory kill in training
cannot take the window down; the run is exactly a terminal run (same CLI, same engine, same
folder), so the monitor follows it like any other run folder; and closing the window can
leave it running ("keep training in the background" = detach). Pause/resume are
SIGSTOP/SIGCONT; stop is SIGINT, which the CLI turns into "save, then exit 130".
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from .. import child_environ
from ..frozen import train_command

CAN_PAUSE = hasattr(signal, "SIGSTOP")


class TrainingProcess(QObject):
    state_changed = Signal(str)          # idle | running | paused | stopping | finished | stopped | failed
    finished = Signal(str, str)          # final state, message (the CLI's last lines on failure)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.proc: subprocess.Popen | None = None
        self.run_dir: Path | None = None
        self.state = "idle"
        self.returncode: int | None = None
        self.stop_file: Path | None = None
        self._log = None
        self._timer = QTimer(self, interval=200)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def active(self) -> bool:
        return self.state in ("running", "paused", "stopping")

    @property
    def log_path(self) -> Path | None:
        return self.run_dir / "train.log" if self.run_dir else None

    def start(self, args: list[str], run_dir) -> None:
        """Start `train` with these CLI args, writing into run_dir (made here; the CLI fills it)."""
        if self.active:
            raise RuntimeError("a training run is already active")
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        env = child_environ(PYTHONUNBUFFERED="1")
        # stop() creates this file: the trainer checks it every step, so a Stop pressed while the child
        # is still starting (when a signal can be lost, or ignored if inherited so) is never missed
        self.stop_file = self.run_dir / f".stop-{os.getpid()}-{int(time.time() * 1000)}"
        args = [*args, "--stop-file", str(self.stop_file)]
        self.proc = subprocess.Popen(train_command(*args), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=os.getcwd(),
                                     start_new_session=True)   # Ctrl+C in our terminal does not reach it
        self.returncode = None
        self._set_state("running")
        self._timer.start()

    def pause(self) -> None:
        if self.state == "running" and CAN_PAUSE:
            os.kill(self.proc.pid, signal.SIGSTOP)
            self._set_state("paused")

    def resume(self) -> None:
        if self.state == "paused":
            os.kill(self.proc.pid, signal.SIGCONT)
            self._set_state("running")

    def stop(self) -> None:
        """Ask the run to stop: it saves a checkpoint and exits (the CLI's Ctrl-C path)."""
        if not self.active or self.proc is None:
            return
        try:
            self.stop_file.touch()
        except OSError:
            pass                                   # the signal below still asks
        try:
            self.proc.send_signal(signal.SIGINT)
            if CAN_PAUSE and self.state == "paused":
                os.kill(self.proc.pid, signal.SIGCONT)   # a stopped process cannot handle SIGINT
        except ProcessLookupError:
            pass
        self._set_state("stopping")

    def detach(self) -> None:
        """Leave the run going on its own (window closing, 'keep training')."""
        if self.state == "paused":
            self.resume()
        self._timer.stop()
        self.proc = None
        self._close_log()
        self._set_state("idle")

    def wait(self, timeout: float = 30.0) -> int | None:
        """Block until the child exits (used on close after stop()); returns its exit code."""
        if self.proc is None:
            return self.returncode
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._on_timer_timeout()
        return self.returncode

    # ------------------------------------------------------------------ helpers
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""
        return "\n".join([l for l in text.replace("\r", "\n").splitlines() if l.strip()][-lines:])

    def _on_timer_timeout(self) -> None:
        if self.proc is None:
            return
        rc = self.proc.poll()
        if rc is None:
            return
        self._timer.stop()
        self.returncode = rc
        self.proc = None
        if self.stop_file is not None:
            self.stop_file.unlink(missing_ok=True)
        self._close_log()
        if rc == 0:
            final, msg = "finished", "Training finished."
        elif rc == 130 or (rc < 0 and -rc in (signal.SIGINT, signal.SIGTERM)):
            final, msg = "stopped", "Training stopped; the checkpoint was saved."
        else:
            final, msg = "failed", f"Training ended with exit code {rc}.\n{self.log_tail()}"
        self._set_state(final)
        self.finished.emit(final, msg)
