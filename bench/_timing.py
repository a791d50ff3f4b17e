"""Small timing helpers shared by the benchmarks (medians over repeats, after warm-up)."""
from __future__ import annotations

import statistics
import time


def median_ms(fn, repeats: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
