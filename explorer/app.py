"""Application set-up and the entry point of `gan-explorer [PATH]`."""
from __future__ import annotations

import os
import sys

ORG, APP = "GAN Explorer", "GAN Explorer"


def make_application(argv: list[str] | None = None):
    """The QApplication (created once), named so QSettings lands in the user's config folder."""
    if not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux") \
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"   # no display: don't abort, render offscreen
    from PySide6.QtWidgets import QApplication
    import pyqtgraph as pg

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
        app.setOrganizationName(ORG)
        app.setApplicationName(APP)
        app.setApplicationDisplayName(APP)
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    return app


def initial_model(path: str | None, settings, bundled_dir) -> str | None:
    """What to open at start: the path given, else the last model, else the first bundled one."""
    if path:
        return path
    last = settings.last_model
    if last and os.path.exists(last):
        return last
    bundled = sorted(bundled_dir.glob("*.safetensors")) if bundled_dir.is_dir() else []
    return str(bundled[0]) if bundled else None


def run_app(path: str | None = None) -> int:
    """Open the window (with `path`, a checkpoint file or run folder, if given); returns the
    exit code. A bad `path` shows a message in the window, it does not abort."""
    app = make_application()
    from .main_window import MainWindow
    from .model_list import default_bundled_dir

    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl+C in the terminal quits (Qt's loop hides it from Python)
    window = MainWindow()
    start = initial_model(path, window.settings, default_bundled_dir())
    window.show()
    if start:
        window.open_model(start)
    return app.exec()
