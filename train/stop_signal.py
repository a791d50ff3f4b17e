"""Stop requests (SIGINT / SIGTERM) for the headless trainer, remembered from the first moment.

The app's Stop button sends SIGINT. Before the trainer's loop runs, Python's default handler
turns it into a KeyboardInterrupt wherever the process is: a traceback during the imports of
start-up, or an ImportError (seen: numpy reporting "PyCapsule_Import could not import module
datetime"), and once a Train-tab test's run, stopped right after it started under load, trained
on to the end: the request can be lost where an import failure is handled. So
the entry points install this handler before anything heavy is imported: a first signal only
sets the flag (the trainer saves and stops at its next step, exit 130), a second one
interrupts at once. Imports nothing but the standard library.
"""
from __future__ import annotations

import signal

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_requested = [False]


def _on_signal(signum, frame) -> None:
    if _requested[0]:
        raise KeyboardInterrupt
    _requested[0] = True


def install() -> list:
    """Handle SIGINT/SIGTERM as stop requests from now on; returns the previous handlers."""
    return [signal.signal(s, _on_signal) for s in SIGNALS]


def restore(old: list) -> None:
    """The previous handlers back, and the request forgotten (a next run in this process starts clean)."""
    for s, h in zip(SIGNALS, old):
        signal.signal(s, h)
    _requested[0] = False


def requested() -> bool:
    """Has a stop been asked for since install()?"""
    return _requested[0]
