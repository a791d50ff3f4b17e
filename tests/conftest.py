"""Shared test set-up: Qt must run offscreen (with no display, creating a QApplication
would abort the whole pytest process), so default the platform before anything imports Qt."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# PySide6 6.12 on Python 3.11 releases a reference to None on every QPainter call that returns
# nothing; a long test session that paints a lot would abort with "none_dealloc". The app
# applies the same guard in make_application().
from explorer import refcount_guard  # noqa: E402  (ctypes only, no Qt)

refcount_guard.apply()
