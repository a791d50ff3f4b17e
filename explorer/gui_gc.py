"""Python's cyclic garbage collector, run on the UI thread only.

Automatic collection runs on whichever thread happens to allocate past the threshold: the
render thread, the run-folder poller, the playground worker, or torch importing modules. A
collection there can finalise Qt wrappers from cyclic garbage made on the UI thread and
delete their C++ objects from the wrong thread, which crashed a test run once (a segfault in
gc inside the playground worker). So the app switches automatic collection off and collects
from a timer on the UI thread with the same generation thresholds (the pattern pyqtgraph
ships as `GarbageCollector`). Reference counting still frees everything that is not in a
cycle immediately; cycles wait at most one tick.

`freeze()` moves every object alive now (modules, classes, functions: torch, numpy, Qt,
pyqtgraph) out of the collector's reach, so a full collection scans only what the session
created since: the monitor measured full collections of 140 ms on the UI thread otherwise.
The app freezes at start and again a moment after the first model has loaded (torch is
imported by then).
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiGarbageCollector(QObject):
    def __init__(self, parent=None, interval_ms: int = 500):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds (as gc would)."""
        l0, l1, l2 = gc.get_count()
        if l0 > self.threshold[0]:
            gc.collect(0)
            if l1 > self.threshold[1]:
                gc.collect(1)
                if l2 > self.threshold[2]:
                    gc.collect(2)

    def close(self) -> None:
        """Back to automatic collection (tests; the app keeps this until it exits)."""
        self.timer.stop()
        gc.enable()


def freeze() -> None:
    gc.collect()
    gc.freeze()


def install(app) -> GuiGarbageCollector:
    """Once per application: collection moves to the UI thread."""
    collector = getattr(app, "_gui_gc", None)
    if collector is None:
        collector = GuiGarbageCollector(app)
        app._gui_gc = collector
    return collector
