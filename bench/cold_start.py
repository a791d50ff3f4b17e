"""Cold start: process start to the first sample grid painted, median of N launches.

    python bench/cold_start.py [--runs 5] [--model CKPT]            # from source (.venv)
    python bench/cold_start.py --exe dist/GANExplorer/GANExplorer    # the bundle
    python bench/cold_start.py --compare GAN_EXPLORER_PREWARM=0     # A/B, launches interleaved

Each launch runs the app offscreen with GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE=1: it prints
`first image: X s` (from its own process start, via /proc) when the first grid is painted,
and quits; the time reported is from launch to that line, as seen from here. A throwaway config folder keeps launches independent of your settings. "Warm
disk": one untimed launch first. Without --model, a DCGAN digits-sized generator with random
weights is written to a temp folder (an image model: the cold path includes the image grid).
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


def launch(cmd: list[str], env: dict, timeout: float) -> tuple[float, float | None, float, str]:
    """(seconds to the `first image` line as seen from here, seconds reported by the app from its
    own process start, seconds to exit, output). A onefile bundle unpacks itself before the app's
    process starts, so only the first number includes the unpacking."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         cwd=tempfile.gettempdir())
    seen, reported, lines = None, None, []
    try:
        for line in p.stdout:
            lines.append(line)
            m = re.search(r"first image: ([0-9.]+) s", line)
            if m and seen is None:
                seen, reported = time.perf_counter() - t0, float(m.group(1))
        p.wait(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
    out = "".join(lines)
    ok = p.returncode == 0 and seen is not None
    return (seen if ok else None), reported, time.perf_counter() - t0, out


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
        if not args.exe:
            env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        cmd = command(args, model)
        variants = {"default": env}
        if args.compare:
            key, _, value = args.compare.partition("=")
            variants[args.compare] = dict(env, **{key: value})
        results = {name: ([], []) for name in variants}
        for i in range(args.runs + 1):
            for name, venv in variants.items():
                first, reported, wall, out = launch(cmd, venv, args.timeout)
                if first is None:
                    print(f"launch failed ({name}):\n{out[-2000:]}", file=sys.stderr)
                    return 1
                if i == 0:
                    continue                     # warm the disk cache
                results[name][0].append(wall)
                results[name][1].append(first)
                print(f"run {i} {name}: first image {first:.2f} s from launch ({reported:.2f} s reported by the "
                      f"app from its own process start), exit {wall:.2f} s", flush=True)
    what = args.exe or "source tree"
    for name, (walls, firsts) in results.items():
        print(f"cold start to first image ({what}, {model.name}, {name}): median {statistics.median(firsts):.2f} s "
              f"over {args.runs} runs (min {min(firsts):.2f}, max {max(firsts):.2f}); "
              f"launch to exit median {statistics.median(walls):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
