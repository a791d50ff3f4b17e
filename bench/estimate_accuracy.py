"""How close the Train tab's time estimates come to the real runs, in one sitting.

    python bench/estimate_accuracy.py [--seconds 1]

For each run (bundled recipes, shortened so the bench takes minutes): `gan-explorer estimate`
in a child process (what the Train tab runs), then the same run trained for real with
`python -m train` (sample grids, quality scores and checkpoints included, as in the app), one
after the other. Prints the estimate, the real wall time from launch to exit, and their ratio
(real / estimated; 1.0 = exact). The machine's load is printed beside each: a shared machine's
load moves between the two measurements, and with it the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = [("gan-ring8", ["--recipe", "gan-ring8", "--steps", "3000"]),
        ("dcgan-digits", ["--recipe", "dcgan-digits", "--steps", "300"]),
        ("cgan-shapes", ["--recipe", "cgan-shapes", "--steps", "60", "--sample-every", "30"])]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0, help="timing per estimate (the app's: 1)")
    a = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=ROOT)
    print(f"{'run':14s} {'estimate':>9s} {'real':>8s} {'real/est':>9s}  load (1 min)")
    for name, args in RUNS:
        load0 = os.getloadavg()[0]
        out = subprocess.run([sys.executable, "-m", "train", "estimate", "--json", "--seconds", str(a.seconds),
                              "--", *args], capture_output=True, text=True, env=env, cwd=ROOT)
        est = json.loads(out.stdout.strip().splitlines()[-1])
        if "error" in est:
            print(f"{name}: {est['error']}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "train", *args, "--out", f"{tmp}/run", "--quiet"],
                           check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            real = time.perf_counter() - t0
        print(f"{name:14s} {est['seconds']:8.1f}s {real:7.1f}s {real / est['seconds']:8.2f}x  "
              f"{load0:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
              f"({est['steps']} steps, {est['step_s']:.3g} s/step, setup {est['setup_s']:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
