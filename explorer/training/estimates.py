"""Training-time estimates for the Train tab: measured on this machine, in a child process, kept.

The child is `gan-explorer estimate --json ...` (train/estimate.py): it builds each run as
`train` would and times a few real steps of its nets, so the UI thread never runs a model and
the child's torch threads never compete with the app's render thread for settings. Answers
are kept in the user's cache folder, one per (what was measured, this machine), so the recipe
list shows its times at once on every later visit; *Re-measure* replaces them.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys

from PySide6.QtCore import QObject, QProcess, Signal

from gan_models.atomic import write_text_atomic

from .. import child_environ
from ..probe_cache import default_cache_dir

VERSION = 1


def machine() -> str:
    """What makes one machine's step times another's: CPU model and count, torch's version."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        from importlib.metadata import version
        torch = version("torch")
    except Exception:
        torch = "?"
    return f"{cpu} x{os.cpu_count()} torch {torch}"


def estimate_key(spec: str) -> str:
    """The cache key of one measured thing (a recipe file's text, a form's speed signature)."""
    return hashlib.sha256(json.dumps([VERSION, spec, machine()]).encode()).hexdigest()[:32]


def estimate_command(*args: str) -> list[str]:
    """The argv of the estimator child (`gan-explorer estimate` in a bundle)."""
    from ..frozen import is_frozen
    head = [sys.executable, "estimate"] if is_frozen() else [sys.executable, "-m", "train", "estimate"]
    return head + list(args)


class EstimateCache:
    """key -> estimate (train/estimate.py's dict), in one JSON file."""

    def __init__(self, path=None):
        self.path = path or default_cache_dir() / "estimates.json"
        try:
            self.data = json.loads(self.path.read_text())
            if not isinstance(self.data, dict):
                self.data = {}
        except (OSError, ValueError):
            self.data = {}

    def get(self, key: str) -> dict | None:
        e = self.data.get(key)
        return e if isinstance(e, dict) and "step_s" in e else None

    def put(self, key: str, estimate: dict) -> None:
        self.data[key] = estimate
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(self.data, indent=1))
        except OSError:
            pass                    # a cache that cannot be written only means measuring again


class Estimator(QObject):
    """Runs the estimator child for a batch of jobs, one child at a time; reports each answer
    as its line arrives (`estimate_ready(key, estimate)`, `estimate_failed(key, message)`)."""
    estimate_ready = Signal(str, dict)
    estimate_failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(self, cache: EstimateCache | None = None, seconds: float = 1.0, parent=None):
        super().__init__(parent)
        self.cache = cache or EstimateCache()
        self.seconds = seconds
        self.proc: QProcess | None = None
        self._names: dict[str, str] = {}     # the child's "name" of a job -> its cache key
        self._queue: list[tuple[list[str], dict[str, str], str | None]] = []
        self._buffer = b""
        self._cleanup: str | None = None      # a folder the running job's files are in, removed after it
        self._stop_reason = ""

    @property
    def busy(self) -> bool:
        return self.proc is not None

    def measure_recipes(self, recipes: list[tuple[str, str]], keys: dict[str, str]) -> None:
        """Time these (name, path) recipes in one child (data sets they share load once)."""
        if recipes:
            self._submit([p for _, p in recipes], {n: keys[n] for n, _ in recipes})

    def measure_args(self, key: str, train_args: list[str], cleanup: str | None = None) -> None:
        """Time the run a `train` command line describes (the form's own settings); cleanup: a
        folder of files the command line names, removed when the job is done."""
        self._submit(["--", *train_args], {"custom": key}, cleanup)

    def stop(self, reason: str = "not measured") -> None:
        """End the jobs; what was not measured yet is reported failed with `reason`."""
        for _, names, cleanup in self._queue:
            for key in names.values():
                self.estimate_failed.emit(key, reason)
            if cleanup:
                shutil.rmtree(cleanup, ignore_errors=True)
        self._queue.clear()
        if self.proc is not None:
            self._stop_reason = reason
            self.proc.kill()
            self.proc.waitForFinished(3000)

    # ------------------------------------------------------------------ helpers
    def _submit(self, args: list[str], names: dict[str, str], cleanup: str | None = None) -> None:
        self._queue.append((args, names, cleanup))
        if self.proc is None:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self.busy_changed.emit(False)
            return
        args, self._names, self._cleanup = self._queue.pop(0)
        self._stop_reason = ""
        cmd = estimate_command("--json", "--seconds", f"{self.seconds:g}", *args)
        self.proc = QProcess(self)
        env = child_environ(PYTHONUNBUFFERED="1")
        from PySide6.QtCore import QProcessEnvironment
        qenv = QProcessEnvironment()
        for k, v in env.items():
            qenv.insert(k, v)
        self.proc.setProcessEnvironment(qenv)
        self.proc.setWorkingDirectory(os.getcwd())
        self.proc.readyReadStandardOutput.connect(self._on_proc_ready_read)
        self.proc.finished.connect(self._on_proc_finished)
        self.proc.errorOccurred.connect(self._on_proc_error_occurred)
        self._buffer = b""
        self.busy_changed.emit(True)
        self.proc.start(cmd[0], cmd[1:])

    def _on_proc_ready_read(self) -> None:
        self._buffer += bytes(self.proc.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            key = self._names.pop(e.get("name"), None) if isinstance(e, dict) else None
            if key is None:
                continue
            if "error" in e:
                self.estimate_failed.emit(key, str(e["error"]))
            else:
                self.cache.put(key, e)
                self.estimate_ready.emit(key, e)

    def _on_proc_error_occurred(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:       # no `finished` follows
            self._on_proc_finished(-1, None)

    def _on_proc_finished(self, code: int, _status) -> None:
        if self.proc is None:
            return
        self._on_proc_ready_read()
        err = bytes(self.proc.readAllStandardError()).decode(errors="replace").strip().splitlines()
        why = self._stop_reason or (err[-1] if err else f"the estimator ended with exit code {code}")
        for key in self._names.values():              # asked for but never answered: say why
            self.estimate_failed.emit(key, why)
        self._names = {}
        if self._cleanup:
            shutil.rmtree(self._cleanup, ignore_errors=True)
            self._cleanup = None
        self.proc.deleteLater()
        self.proc = None
        self._next()
