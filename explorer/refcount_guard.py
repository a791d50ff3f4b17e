"""Work around a PySide6 6.12 reference-count bug on Python < 3.12 that crashes live plots.

Measured here (PySide6 6.12.0, CPython 3.11.7): every QPainter call that returns nothing
(setPen, drawPath, save, restore, setTransform, ...) releases one reference to `None` that
it never took; bool-returning calls do the same to True/False. pyqtgraph paints from Python,
so a plot redrawn 20 times a second drains None's ~5,000 references within a minute or two
and the interpreter aborts ("Fatal Python error: none_dealloc"). Python 3.12 made these
singletons immortal, which hides the bug; here we give them the same effect by adding 2^40
references once (no memory is used: only the counter moves). Harmless on a fixed PySide6.
"""
from __future__ import annotations

import sys

_applied = False


def apply() -> bool:
    """Make None/True/False effectively immortal on CPython < 3.12 (idempotent)."""
    global _applied
    if _applied or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import ctypes
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40    # ob_refcnt is the first field
    _applied = True
    return True
