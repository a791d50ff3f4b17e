"""FolderPoller: reads a growing run folder on its own thread, hands snapshots to the UI.

Tailing metrics.jsonl, parsing JSON, listing and decoding sample grids are file and CPU work
that stalled the UI thread by up to ~100 ms per poll while a training process competed for
the cores. Here a Python thread does them every `interval` seconds and sends a `Snapshot`
(only what changed, plus the follower's state) through a queued Qt signal; the UI thread only
appends rows and swaps images. `poll_now()` does one poll inline (tests, and a last read
after a run ends). `extra(follower, update)`, when given, runs on the polling thread too and
its result rides in `Snapshot.extra` (the monitor decodes the newest grid there).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from .follower import RunFollower, Update

log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    update: Update
    state: str
    total: int | None
    last_row: dict | None
    samples: list
    config: dict | None
    latest_checkpoint: Path | None
    ended: bool
    extra: dict = field(default_factory=dict)


class FolderPoller(QObject):
    snapshot = Signal(object)          # Snapshot, on the UI thread
    _ready = Signal(object)            # internal: polling thread -> UI thread

    def __init__(self, path, interval: float = 0.25, extra=None, parent=None, idle_interval: float = 1.0):
        super().__init__(parent)
        self.follower = RunFollower(path)
        self.path = self.follower.path
        self.interval = interval
        self.idle_interval = idle_interval      # a finished run with nothing new: look rarely
        self._extra = extra
        self._lock = threading.Lock()      # one poll at a time (thread or poll_now)
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._ready.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ UI-thread API
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=f"poll {self.path.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop polling; snapshots still queued are dropped."""
        self._stop = True
        self._wake.set()
        t, self._thread = self._thread, None
        if t is not None and t is not threading.current_thread():
            t.join(timeout=2.0)

    def poll_now(self) -> Snapshot:
        """One poll on the calling thread (its snapshot is returned, not emitted)."""
        return self._poll()

    # ------------------------------------------------------------------ polling thread
    def _loop(self) -> None:
        while not self._stop:
            try:
                snap = self._poll()
            except Exception:                  # a half-written file etc.: try again next time
                log.exception("polling %s failed", self.path)
                snap = None
            if snap is not None and not self._stop and (snap.update or snap.extra):
                self._ready.emit(snap)
            quiet = snap is not None and snap.ended and not snap.update
            self._wake.wait(max(self.interval, self.idle_interval) if quiet else self.interval)
            self._wake.clear()

    def _poll(self) -> Snapshot:
        with self._lock:
            f = self.follower
            up = f.poll()
            snap = Snapshot(up, f.state, f.total, f.last_row, list(f.samples), f.config,
                            f.latest_checkpoint(), f.ended)
            if self._extra is not None:
                snap.extra = self._extra(f, up) or {}
            return snap

    def _deliver(self, snap: Snapshot) -> None:
        if not self._stop:
            self.snapshot.emit(snap)
