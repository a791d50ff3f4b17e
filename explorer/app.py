"""Application set-up and the entry point of `gan-explorer [PATH]`.

`GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE=1` makes the app print the time from process start to
the window's first paint and to the first sample grid painted on screen, and quit
(bench/cold_start.py uses it).

The window comes first: its frame is built from modules that do not import torch and shown
at once; torch, the panels' modules and the first model load on helper threads (the render
thread loads the model, as always), and the panels are built when their modules are in.
"""
from __future__ import annotations

import os
import sys
import time

ORG, APP = "GAN Explorer", "GAN Explorer"


def display_name() -> str:
    """The app's display name, "GAN Explorer 0.1.0": every window title ends with it."""
    from .version import version
    return f"{APP} {version()}"
EXIT_AFTER_FIRST_IMAGE = "GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE"
_T_IMPORT = time.monotonic()        # fallback start time where /proc is missing


def _no_display() -> bool:
    """Linux with no X11/Wayland display and no platform chosen explicitly."""
    return (not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")))


def make_application(argv: list[str] | None = None, *, plots: bool = True):
    """The QApplication (created once), named so QSettings lands in the user's config folder.
    plots=False leaves pyqtgraph (~0.4 s to import here) to whoever builds the first plot."""
    if _no_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"   # no display: Qt would abort the process
    from PySide6.QtWidgets import QApplication

    from . import refcount_guard
    refcount_guard.apply()   # PySide6 6.12 + Python 3.11 drains None's refcount on every paint

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
        app.setOrganizationName(ORG)
        app.setApplicationName(APP)
        # Qt (xcb, Windows) appends " — <display name>" to every window title that does not
        # already end with it: "GAN Explorer 0.1.0 — GAN Explorer" with APP here. The window's
        # titles end with this name (main_window.APP_TITLE), so nothing is appended
        app.setApplicationDisplayName(display_name())
        from .frozen import icon_path
        if icon_path().is_file():
            from PySide6.QtGui import QIcon
            app.setWindowIcon(QIcon(str(icon_path())))
    if plots:
        import pyqtgraph as pg
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
    app = make_application(plots=False)
    from .main_window import MainWindow          # imports no torch: the frame comes first
    from .model_list import default_bundled_dir

    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl+C in the terminal quits (Qt's loop hides it from Python)
    # panels import torch on a helper thread; GAN_EXPLORER_DEFER=0 builds them first, as before
    # (bench/cold_start.py --compare GAN_EXPLORER_DEFER=0)
    window = MainWindow(deferred=os.environ.get("GAN_EXPLORER_DEFER", "1") != "0")
    start = initial_model(path, window.settings, default_bundled_dir())
    if os.environ.get(EXIT_AFTER_FIRST_IMAGE):
        _exit_after_first_image(app, window)
    window.show()
    if start:
        window.open_model(start)                 # the render thread imports torch and loads it
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
    """Print `window shown: X.XX s` at the window's first paint and `first image: X.XX s` once
    the first render is painted, then quit."""
    from PySide6.QtCore import QTimer
    done = []
    _report_first_paint(window, "window shown")

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

    def hook_panels() -> None:
        for panel in window.panels.values():
            grid = getattr(panel, "grid", None)
            if grid is not None and hasattr(grid, "painted"):
                grid.painted.connect(lambda _frame: report("image grid"))
    if window.panels:
        hook_panels()
    else:
        window.contents_ready.connect(hook_panels)
    window.renderer.result_ready.connect(on_result)
    window.renderer.model_failed.connect(lambda _p, m: (print(f"first image: failed: {m}", flush=True),
                                                        app.exit(2)))


def _report_first_paint(widget, what: str, then=None) -> None:
    """Print `<what>: X.XX s` (since process start) when `widget` is first painted, then call
    `then()` if given. Also used by bench/cold_start.py's bare PySide6 window, so both are
    timed the same way."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                print(f"{what}: {seconds_since_process_start():.2f} s", flush=True)
                obj.removeEventFilter(self)
                if then is not None:
                    QTimer.singleShot(0, then)
            return False
    widget._first_paint_filter = _FirstPaint(widget)
    widget.installEventFilter(widget._first_paint_filter)
