"""Cold start: process start to the window shown and to the first sample grid painted, each
launch of the app beside a bare PySide6 window launched in the same run (median of N rounds).

    python bench/cold_start.py [--runs 5] [--model CKPT]            # from source (.venv)
    python bench/cold_start.py --exe dist/GANExplorer/GANExplorer    # the bundle
    python bench/cold_start.py --compare VAR=VALUE                  # A/B, launches interleaved

Each app launch runs offscreen with GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE=1: it prints
`window shown: X s` at the main window's first paint and `first image: X s` (both from its own
process start, via /proc) when the first grid is painted, and quits; the times reported are
from launch to those lines, as seen from here. The baseline, launched in every round before the
app, is the least a PySide6 window can do here: a QApplication and a QMainWindow with a label,
timed by the same first-paint hook (explorer.app._report_first_paint), then quit. The target
(issue 28): the app's window within 0.5 s of the bare one. A throwaway config folder keeps
launches independent of your settings. "Warm disk": one untimed round first. Without --model,
a DCGAN digits-sized generator with random weights is written to a temp folder (an image
model: the cold path includes the image grid).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE = ("import sys\n"
        "from PySide6.QtWidgets import QApplication, QLabel, QMainWindow\n"
        "from explorer.app import _report_first_paint\n"
        "app = QApplication(sys.argv[:1])\n"
        "w = QMainWindow()\n"
        "w.setCentralWidget(QLabel('bare'))\n"
        "w.resize(1280, 800)\n"
        "_report_first_paint(w, 'window shown', app.quit)\n"
        "w.show()\n"
        "sys.exit(app.exec())\n")
LINES = ("window shown", "first image")


def demo_checkpoint(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    import torch

    from gan_models import default_config
    from gan_models.checkpoint import save_checkpoint
    from gan_models.registry import build_discriminator, build_generator
    cfg = default_config("dcgan", (1, 28, 28))
    torch.manual_seed(0)
    return save_checkpoint(folder / "dcgan-demo.safetensors", cfg, build_generator(cfg).eval(),
                           build_discriminator(cfg).eval(), meta={"dataset": "digits", "step": 0})


def command(args, model: Path) -> list[str]:
    if args.exe:
        return [str(Path(args.exe).resolve()), str(model)]
    return [sys.executable, "-c", "import sys; from explorer.cli import main; sys.exit(main())", str(model)]


def launch(cmd: list[str], env: dict, timeout: float, want: tuple) -> tuple[dict, float, str]:
    """({line: (seconds to the line as seen from here, seconds reported by the process from its
    own start)}, seconds to exit, output), or ({}, ...) when it failed or missed a line in
    `want`. A onefile bundle unpacks itself before the app's process starts, so only the first
    number of each pair includes the unpacking."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         cwd=tempfile.gettempdir())
    seen, lines = {}, []
    try:
        for line in p.stdout:
            lines.append(line)
            m = re.search(r"(window shown|first image): ([0-9.]+) s", line)
            if m and m.group(1) not in seen:
                seen[m.group(1)] = (time.perf_counter() - t0, float(m.group(2)))
        p.wait(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
    ok = p.returncode == 0 and all(w in seen for w in want)
    return (seen if ok else {}), time.perf_counter() - t0, "".join(lines)


def _median(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--model", help="checkpoint to open (default: a random-weight DCGAN digits model)")
    ap.add_argument("--exe", help="a built GANExplorer executable instead of this source tree")
    ap.add_argument("--compare", metavar="VAR=VALUE",
                    help="also time launches with this environment variable set, alternating with the default")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(args.model) if args.model else demo_checkpoint(Path(tmp))
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE="1",
                   XDG_CONFIG_HOME=str(Path(tmp) / "config"), PYTHONDONTWRITEBYTECODE="1")
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")   # the bare window's hook
        cmd = command(args, model)
        variants = {"default": env}
        if args.compare:
            key, _, value = args.compare.partition("=")
            variants[args.compare] = dict(env, **{key: value})
        bare: list[float] = []
        results = {name: {"window": [], "first": [], "gap": [], "exit": []} for name in variants}
        for i in range(args.runs + 1):
            seen, _, out = launch([sys.executable, "-c", BARE], env, args.timeout, ("window shown",))
            if not seen:
                print(f"bare window failed:\n{out[-2000:]}", file=sys.stderr)
                return 1
            bare_s = seen["window shown"][0]
            if i:
                bare.append(bare_s)
            for name, venv in variants.items():
                seen, wall, out = launch(cmd, venv, args.timeout, LINES)
                if not seen:
                    print(f"launch failed ({name}):\n{out[-2000:]}", file=sys.stderr)
                    return 1
                if i == 0:
                    continue                     # warm the disk cache
                (win, win_rep), (first, first_rep) = seen["window shown"], seen["first image"]
                r = results[name]
                r["window"].append(win)
                r["first"].append(first)
                r["gap"].append(win - bare_s)
                r["exit"].append(wall)
                print(f"run {i} {name}: bare window {bare_s:.2f} s; app window {win:.2f} s "
                      f"({win - bare_s:+.2f} s), first image {first:.2f} s from launch ({win_rep:.2f} / "
                      f"{first_rep:.2f} s reported by the app from its own process start), exit {wall:.2f} s",
                      flush=True)
    what = args.exe or "source tree"
    print(f"bare PySide6 window (same rounds): {_median(bare)}")
    for name, r in results.items():
        print(f"{what}, {model.name}, {name}, {args.runs} rounds: window shown {_median(r['window'])}; "
              f"window minus the same round's bare window {_median(r['gap'])}; first image "
              f"{_median(r['first'])}; launch to exit median {statistics.median(r['exit']):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
