"""How fast the embedded `digits` data set is drawn (target: 60,000 in < 10 s on one core).

    python bench/digits_rate.py [--n 60000] [--threads 1] [--seed 0]

Prints images/s and the time for 60k, as wall-clock and as CPU time of this process
(the CPU time is the honest number on a shared, busy machine).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1: one core)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from train.data import digits
    t0, c0 = time.perf_counter(), time.process_time()
    digits.variants()                                     # skeleton set-up, once per process
    t1, c1 = time.perf_counter(), time.process_time()
    x, labels, factors, _ = digits.make_digits(a.n, seed=a.seed)
    t2, c2 = time.perf_counter(), time.process_time()
    wall, cpu = t2 - t1, c2 - c1
    print(f"digits: {a.n} images 28x28, torch threads={a.threads}")
    print(f"  set-up          {t1 - t0:6.2f} s wall")
    print(f"  draw            {wall:6.2f} s wall  {cpu:6.2f} s CPU")
    print(f"  rate            {a.n / wall:8.0f} images/s wall  {a.n / cpu:8.0f} images/s CPU")
    print(f"  time for 60k    {60000 * wall / a.n:6.2f} s wall  {60000 * cpu / a.n:6.2f} s CPU "
          f"(target < 10 s)")
    print(f"  mean ink {x.mean().item():.4f} (MNIST: 0.1307)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
