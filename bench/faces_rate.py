"""How fast the embedded `faces` data set is drawn (target: 60,000 images in <= 5 s on two
cores), beside the `shapes` data set drawn in the same run.

    python bench/faces_rate.py [--n 60000] [--threads 2] [--seed 0]

Draws the images the way `take` and the trainer do (chunks of 1,024, nothing kept) and prints
the time for 60k as wall clock and as CPU time of this process, and the ratio to drawing the
same number of `shapes` images in the same run (the baseline: the other procedural colour set),
the two taking turns chunk by chunk. On a machine shared with other work, --threads 1 gives the
steadier ratio: two threads that wait for each other on a busy machine slow faces' many small
steps more than shapes' few large ones.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402


def _draw_both(faces, shapes, n: int) -> dict:
    """{name: (wall s, CPU s)} for drawing images 0..n-1 of each in chunks of 1,024, the two
    data sets taking turns chunk by chunk so that a change in the machine's load hits both."""
    t = {"faces": [0.0, 0.0], "shapes": [0.0, 0.0]}
    total = 0.0
    for s in range(0, n, 1024):
        idx = np.arange(s, min(n, s + 1024))
        for name, ds in (("faces", faces), ("shapes", shapes)):
            t0, c0 = time.perf_counter(), time.process_time()
            x, _ = ds.images(idx)
            total += float(x[:, :, 0, 0].sum())           # touch the result
            t[name][0] += time.perf_counter() - t0
            t[name][1] += time.process_time() - c0
    return t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2: two cores)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from train.data.faces import FacesDataset
    from train.data.shapes import ShapesDataset
    t0 = time.perf_counter()
    faces = FacesDataset(a.n, seed=a.seed)                # the attribute table
    t1 = time.perf_counter()
    shapes = ShapesDataset(a.n, seed=a.seed)
    _draw_both(faces, shapes, 2048)                       # warm-up: first-call allocations
    t = _draw_both(faces, shapes, a.n)
    (fw, fc), (sw, sc) = t["faces"], t["shapes"]
    print(f"faces vs shapes: {a.n} images 64x64 RGB each, torch threads={a.threads}, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"  faces attributes {t1 - t0:6.3f} s wall")
    print(f"  faces  draw      {fw:6.2f} s wall  {fc:6.2f} s CPU   60k in {60000 * fw / a.n:5.2f} s wall")
    print(f"  shapes draw      {sw:6.2f} s wall  {sc:6.2f} s CPU   60k in {60000 * sw / a.n:5.2f} s wall")
    print(f"  faces / shapes   {fw / max(sw, 1e-9):.2f}x wall  {fc / max(sc, 1e-9):.2f}x CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
