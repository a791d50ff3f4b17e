"""The None-refcount guard keeps a long painting session alive (PySide6 6.12, Python 3.11)."""
import sys

from PySide6.QtGui import QImage, QPainter, QPen

from explorer import refcount_guard


def test_painting_cannot_drain_none(qapp):
    refcount_guard.apply()
    img = QImage(8, 8, QImage.Format.Format_RGB32)
    p = QPainter(img)
    pen = QPen()
    for _ in range(20_000):          # > None's natural ~5,000 references on 3.11
        p.setPen(pen)
    p.end()
    assert sys.getrefcount(None) > 1_000      # still alive; without the guard this aborted
