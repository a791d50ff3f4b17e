"""How fast the embedded `shapes` data set is drawn (target: 60,000 images in a few seconds
on two cores).

    python bench/shapes_rate.py [--n 60000] [--threads 2] [--seed 0]

Draws the images the way `take` and the trainer do (chunks of 1,024, nothing kept) and prints
images/s and the time for 60k as wall clock and as CPU time of this process, beside the
baseline of the same run: writing the same number of float images (the cost of just filling
the output), so the ratio says what the drawing itself costs.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2: two cores)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from train.data.shapes import SIZE, ShapesDataset
    t0, c0 = time.perf_counter(), time.process_time()
    ds = ShapesDataset(a.n, seed=a.seed)                  # the factor table
    t1, c1 = time.perf_counter(), time.process_time()
    total = 0.0
    for s in range(0, a.n, 1024):
        x, _ = ds.images(np.arange(s, min(a.n, s + 1024)))
        total += float(x[:, :, 0, 0].sum())               # touch the result
    t2, c2 = time.perf_counter(), time.process_time()
    for s in range(0, a.n, 1024):                         # baseline: fill the same output
        x = torch.empty(min(1024, a.n - s), 3, SIZE, SIZE).fill_(0.5)
    t3 = time.perf_counter()
    wall, cpu, base = t2 - t1, c2 - c1, t3 - t2
    print(f"shapes: {a.n} images {SIZE}x{SIZE} RGB, torch threads={a.threads}, load {os.getloadavg()[0]:.2f}")
    print(f"  factors         {t1 - t0:6.3f} s wall")
    print(f"  draw            {wall:6.2f} s wall  {cpu:6.2f} s CPU")
    print(f"  rate            {a.n / wall:8.0f} images/s wall  {a.n / cpu:8.0f} images/s CPU")
    print(f"  time for 60k    {60000 * wall / a.n:6.2f} s wall  {60000 * cpu / a.n:6.2f} s CPU")
    print(f"  baseline fill   {base:6.2f} s wall (drawing / filling = {wall / max(base, 1e-9):.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
