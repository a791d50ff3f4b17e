"""Application set-up and the entry point of `gan-explorer [PATH]`.

`GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE=1` makes the app print the time from process start to
the first sample grid painted on screen, and quit (bench/cold_start.py uses it).
"""
from __future__ import annotations

import os
import sys
import time

ORG, APP = "GAN Explorer", "GAN Explorer"
EXIT_AFTER_FIRST_IMAGE = "GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE"
_T_IMPORT = time.monotonic()        # fallback start time where /proc is missing


def _no_display() -> bool:
    """Linux with no X11/Wayland display and no platform chosen explicitly."""
    return (not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")))


def make_application(argv: list[str] | None = None):
    """The QApplication (created once), named so QSettings lands in the user's config folder."""
    if _no_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"   # no display: Qt would abort the process
    from PySide6.QtWidgets import QApplication
    import pyqtgraph as pg

    from . import refcount_guard
    refcount_guard.apply()   # PySide6 6.12 + Python 3.11 drains None's refcount on every paint

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
        app.setOrganizationName(ORG)
        app.setApplicationName(APP)
        app.setApplicationDisplayName(APP)
        from .frozen import icon_path
        if icon_path().is_file():
            from PySide6.QtGui import QIcon
            app.setWindowIcon(QIcon(str(icon_path())))
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    from . import gui_gc
    gui_gc.install(app)      # garbage collection on the UI thread only (see gui_gc)
    gui_gc.freeze()
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


def _prewarm_torch() -> None:
    """Import torch and run one tiny op on a helper thread while Qt starts on this one.

    The first image needs torch (~2.3 s to import here) and the first op's one-time set-up;
    Qt's start-up and window construction need neither, so the two overlap where either
    side leaves the GIL (loading libraries, torch's kernels). Import locks make the UI
    thread wait for the same import instead of repeating it. Off with GAN_EXPLORER_PREWARM=0.
    """
    if os.environ.get("GAN_EXPLORER_PREWARM", "1") == "0":
        return

    def work() -> None:
        try:
            import torch
            torch.nn.functional.conv_transpose2d(torch.zeros(1, 4, 4, 4), torch.zeros(4, 1, 4, 4), stride=2)
            import gan_models.checkpoint  # noqa: F401  (the loader the render thread calls first)
        except Exception:     # a warm-up only: the render thread reports real failures
            pass

    import threading
    threading.Thread(target=work, name="prewarm", daemon=True).start()


def run_app(path: str | None = None) -> int:
    """Open the window (with `path`, a checkpoint file or run folder, if given); returns the
    exit code. A bad `path` shows a message in the window, it does not abort."""
    if _no_display():
        # an offscreen window nobody can see would look like a hang: say so instead
        print("gan-explorer: error: no display found (DISPLAY and WAYLAND_DISPLAY are unset). Run it "
              "in a desktop session, under xvfb-run, or use the headless commands: gan-explorer "
              "sample | train | eval | screenshot (--help on each)", file=sys.stderr)
        return 2
    from .system_libs import xcb_problem
    problem = xcb_problem()          # before Qt: a missing xcb library makes Qt abort the process
    if problem:
        print(f"gan-explorer: error: {problem}", file=sys.stderr)
        return 2
    _prewarm_torch()
    app = make_application()
    from .main_window import MainWindow
    from .model_list import default_bundled_dir

    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl+C in the terminal quits (Qt's loop hides it from Python)
    window = MainWindow()
    start = initial_model(path, window.settings, default_bundled_dir())
    if os.environ.get(EXIT_AFTER_FIRST_IMAGE):
        _exit_after_first_image(app, window)
    window.show()
    if start:
        window.open_model(start)
    return app.exec()


def seconds_since_process_start() -> float:
    """Wall time since this process was created (Linux /proc; else since this module loaded)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])   # field 22: starttime
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _T_IMPORT


def _exit_after_first_image(app, window) -> None:
    """Print `first image: X.XX s` once the first render is painted, then quit."""
    from PySide6.QtCore import QTimer
    done = []

    def report(what: str) -> None:
        if not done:
            done.append(what)
            print(f"first image: {seconds_since_process_start():.2f} s ({what})", flush=True)
            QTimer.singleShot(0, window.close)
            QTimer.singleShot(0, app.quit)

    def on_result(result) -> None:     # points (pyqtgraph) views: force the paint, then report
        if getattr(result, "points", None) is not None:
            window.repaint()
            report("points")

    for panel in window.panels.values():
        grid = getattr(panel, "grid", None)
        if grid is not None and hasattr(grid, "painted"):
            grid.painted.connect(lambda _frame: report("image grid"))
    window.renderer.result_ready.connect(on_result)
    window.renderer.model_failed.connect(lambda _p, m: (print(f"first image: failed: {m}", flush=True),
                                                        app.exit(2)))
