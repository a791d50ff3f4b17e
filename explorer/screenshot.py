"""`gan-explorer screenshot`: render one panel of the window offscreen to a PNG.

    gan-explorer screenshot --panel codes --model runs/0003-infogan-digits -o docs/screenshots/codes.png

Opens the real window (real render thread) with a throwaway settings file, loads the model,
selects the panel, waits for every render to arrive, and saves `window.grab()`.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

PANEL_NAMES = ("sampling", "arithmetic", "interpolation", "conditional", "codes", "directions", "projector",
               "probe")
TOOL_NAMES = ("monitor", "playground", "train")   # tabs that take a run folder / toy checkpoint / recipe, not a model


def _parser():
    from gan_models import cli_args as ca
    p = ca.Parser(prog="gan-explorer screenshot",
                                description="Save a PNG of one panel of the window, rendered offscreen.")
    p.add_argument("--panel", required=True, choices=PANEL_NAMES + TOOL_NAMES)
    p.add_argument("--model", help="checkpoint file or run folder (default: the first bundled model "
                                   "that the panel supports); for --panel train, the recipe to pick")
    p.add_argument("-o", "--out", required=True, type=ca.out_file(".png"), help="output .png")
    p.add_argument("--size", type=_size, default="1280x800", help="window size WxH in logical pixels (default 1280x800)")
    p.add_argument("--palette", choices=("light", "dark"), default="light", help="colour theme")
    p.add_argument("--timeout", type=ca.float_in(0, 86400), default=300.0,
                   help="seconds to wait for a panel's long job (probe, projector) before giving up "
                        "(default 300; a 64x64 probe on a slow CPU needs more)")
    return p


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if not (320 <= w <= 8000 and 240 <= h <= 8000):
            raise ValueError
        return w, h
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected WxH with W in 320..8000 and H in 240..8000, "
                                         "e.g. 1280x800") from None


def _wait(app, done, timeout_s: float = 60.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        app.processEvents()
        if done():
            return True
        time.sleep(0.01)
    return False


def _bundled_for(panel_cls, bundled_dir: Path) -> str | None:
    """The first bundled model the panel applies to, judged from headers (capabilities)."""
    from gan_models.checkpoint import read_header
    for path in sorted(bundled_dir.glob("*.safetensors")):
        cfg, _ = read_header(path)
        if (panel_cls.name != "conditional" or cfg.num_classes) and \
                (panel_cls.name != "codes" or cfg.code_dim) and (panel_cls.name == "sampling" or cfg.is_image):
            return str(path)
    return None


def main(argv: list[str]) -> int:
    """Returns 0 on success, 2 with a one-line message when the model or panel does not fit."""
    args = _parser().parse_args(argv)
    width, height = args.size
    out = Path(args.out)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from .app import make_application
    from .main_window import MainWindow
    from .model_list import default_bundled_dir

    app = make_application([sys.argv[0]])
    if args.palette == "dark":
        from .theme import dark_palette
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        if args.panel in TOOL_NAMES:
            return _tool_shot(app, window, args, out, width, height)
        panel = window.panels[args.panel]
        model = args.model or _bundled_for(type(panel), default_bundled_dir())
        if model is None:
            print(f"gan-explorer screenshot: no bundled model fits the {args.panel} panel; pass --model PATH",
                  file=sys.stderr)
            return 2
        window.resize(width, height)
        window.show()
        loaded = []
        window.renderer.model_loaded.connect(loaded.append)
        window.open_model(model)
        ok = _wait(app, lambda: (loaded or window.last_error) and window.renderer.is_idle())
        if not loaded:
            print(f"gan-explorer screenshot: {window.last_error or 'timed out loading ' + model}", file=sys.stderr)
            return 2
        if not window.hosts[args.panel].available:
            print(f"gan-explorer screenshot: {window.hosts[args.panel].message.text()}", file=sys.stderr)
            return 2
        window.select_panel(args.panel)
        _wait(app, lambda: False, 0.3)            # let layouts settle, then let any re-render land
        ok = ok and _wait(app, window.renderer.is_idle)
        prepare = getattr(window.panels[args.panel], "prepare_screenshot", None)   # a long job (projector)
        if prepare is not None:
            ok = _wait(app, prepare(), args.timeout) and ok
            if not ok:
                print(f"gan-explorer screenshot: the {args.panel} panel's job did not finish within "
                      f"{args.timeout:g} s (--timeout); the PNG shows it unfinished", file=sys.stderr)
            _wait(app, lambda: False, 0.3)
        if not _save(window, out):
            return 2
    print(f"wrote {out} ({width}x{height}, {args.panel}, {Path(model).name})")
    return 0 if ok else 2


def _save(window, out: Path) -> bool:
    """Grab the window into `out` (atomically: a full disk leaves no half PNG) and close it;
    False, with one line, if it cannot be written."""
    import errno

    from gan_models.atomic import atomic_path
    from gan_models.errors import OutputError
    try:
        with atomic_path(out) as tmp:
            if not window.grab().save(str(tmp), "PNG"):
                raise OSError(errno.EIO, "Qt could not write the PNG")
    except OutputError as e:
        print(f"gan-explorer screenshot: {e}", file=sys.stderr)
        return False
    window.close()
    return True


def _tool_shot(app, window, args, out: Path, width: int, height: int) -> int:
    """Monitor: follow the run folder; playground: load the toy checkpoint (or a fresh toy)."""
    tool = window.tools[args.panel]
    window.resize(width, height)
    window.show()
    window.tabs.setCurrentWidget(tool)
    if args.panel == "train":     # the recipes' times measured (or kept), then a recipe picked
        tool.measure_recipes()
        ok = _wait(app, lambda: not tool.estimator.busy, args.timeout)
        if args.model:
            tool.form.recipe.setCurrentIndex(tool.form.recipe.findText(args.model))
        _wait(app, lambda: False, 0.5)
        error = None if ok else f"the recipes' timing did not finish within {args.timeout:g} s (--timeout)"
    elif args.panel == "monitor":
        if not args.model:
            print("gan-explorer screenshot: --panel monitor needs --model RUN_DIR", file=sys.stderr)
            return 2
        tool.follow(args.model)
        ok = _wait(app, lambda: tool.buffer.n > 0 and tool.redraws > 0, 30)
        _wait(app, lambda: False, 0.5)
        tool.redraw()                # every plot now (the live timer refreshes one per tick)
        _wait(app, lambda: False, 0.2)
        error = None if ok else f"{args.model}: no metrics to show (is it a run folder?)"
    else:
        shown, failed = [], []
        tool.snapshot_shown.connect(shown.append)
        tool.worker.failed.connect(failed.append)
        if args.model:
            _wait(app, lambda: shown or failed, 120)       # the fresh toy shown first
            shown.clear()
            tool.open_path(args.model)
        ok = _wait(app, lambda: shown or failed, 120)
        error = failed[0] if failed else (None if ok else "timed out building the playground")
        _wait(app, lambda: False, 0.3)
        tool.shutdown()
    if error:
        print(f"gan-explorer screenshot: {error}", file=sys.stderr)
        return 2
    if not _save(window, out):
        return 2
    print(f"wrote {out} ({width}x{height}, {args.panel}, {Path(args.model).name if args.model else 'new toy'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
