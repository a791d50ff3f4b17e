"""Stop requests for the headless trainer: SIGINT / SIGTERM, or a stop file, from the first moment.

Ctrl-C and the app's Stop button send SIGINT. Before the trainer's loop runs, Python's default
handler turns it into a KeyboardInterrupt wherever the process is (a traceback during the
imports of start-up, or an ImportError: seen, numpy reporting "PyCapsule_Import could not import
module datetime"), and in the fresh-clone suite a run sent SIGINT while it was starting never saw
it and trained to the end. So the entry points install this handler before anything heavy is
imported (a first signal only sets the flag: the trainer saves and stops at its next step, exit
130; a second interrupts at once), and the app also names a stop file (`--stop-file`), which it
creates on Stop and `requested()` checks: a file cannot be lost. Standard library only.
"""
from __future__ import annotations

import os
import signal

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_requested = [False]
_stop_file: list[str | None] = [None]


def _on_signal(signum, frame) -> None:
    if _requested[0]:
        raise KeyboardInterrupt
    _requested[0] = True


def install(stop_file: str | None = None) -> list:
    """Handle SIGINT/SIGTERM as stop requests from now on (a request made earlier is kept), and
    watch `stop_file` if given; returns the previous handlers."""
    if stop_file:
        _stop_file[0] = stop_file
    return [signal.signal(s, _on_signal) for s in SIGNALS]


def restore(old: list) -> None:
    """The previous handlers back, the request and the stop file forgotten (a next run in this
    process starts clean)."""
    for s, h in zip(SIGNALS, old):
        signal.signal(s, h)
    _requested[0], _stop_file[0] = False, None


def requested() -> bool:
    """Has a stop been asked for since install(), by a signal or the stop file? (One stat a call.)"""
    return _requested[0] or (_stop_file[0] is not None and os.path.exists(_stop_file[0]))
