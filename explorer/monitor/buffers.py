"""Metric buffers for live plots: preallocated, growing by doubling, bounded in memory.

`SeriesBuffer` keeps one float64 step column and one float32 column per metric. Appends
copy into the preallocated arrays (amortised O(1)); `view(key)` returns array *views*, so a
redraw never copies. Past `max_points` rows the buffer keeps every other row and then
accepts only every `stride`-th new row: a run of any length costs at most
max_points * (8 + 4 * keys) bytes (2**20 rows, 9 metrics: 46 MB).
"""
from __future__ import annotations

import math

import numpy as np

METRICS = ("d_real", "d_fake", "d_fake_after", "loss_d", "loss_g", "loss_info", "grad_norm_g",
           "images_per_s", "m_global", "k_t", "loss_real_rec", "loss_fake_rec")   # the last four: BEGAN
# live quality rows (train/live_quality.py): logged every quality_every steps, in rows of their own
Q_METRICS = ("q_fid", "q_fid_ratio", "q_confident", "q_coverage", "q_density", "q_label_acc", "q_code_acc", "q_hq", "q_modes")


def split_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """metrics.jsonl rows -> (training rows, quality rows): quality scores come in rows of
    their own (step + q_*), which would otherwise put a gap in every training curve."""
    train, quality = [], []
    for r in rows:
        (quality if "q_fid" in r or "q_hq" in r else train).append(r)
    return train, quality


class SeriesBuffer:
    def __init__(self, keys=METRICS, capacity: int = 1024, max_points: int = 2 ** 20):
        self.keys = tuple(keys)
        self.max_points = max_points
        self.n = 0
        self.stride = 1                 # rows kept: every stride-th one (1 until the cap is hit)
        self._seen = 0                  # rows offered since the last decimation
        self.version = 0                # bumps on every change (redraw only when it moved)
        self.decimations = 0            # bumps when old rows were thinned (caches must reset)
        self._alloc(capacity)

    def _alloc(self, cap: int) -> None:
        self.steps = np.zeros(cap, np.float64)
        self.cols = {k: np.full(cap, np.nan, np.float32) for k in self.keys}

    def clear(self) -> None:
        self.n, self.stride, self._seen = 0, 1, 0
        self.version += 1
        self.decimations += 1

    def _grow(self, need: int) -> None:
        cap = len(self.steps)
        if need <= cap:
            return
        new = min(max(need, cap * 2), self.max_points)
        steps, cols = self.steps, self.cols
        self._alloc(new)
        self.steps[:self.n] = steps[:self.n]
        for k in self.keys:
            self.cols[k][:self.n] = cols[k][:self.n]

    def _decimate(self) -> None:
        keep = self.n // 2
        self.steps[:keep] = self.steps[1:self.n:2][:keep]      # keep the odd rows (the newest end stays)
        for k in self.keys:
            self.cols[k][:keep] = self.cols[k][1:self.n:2][:keep]
        self.n, self.stride = keep, self.stride * 2
        self.decimations += 1

    def append_rows(self, rows: list[dict]) -> None:
        """Metrics rows (dicts with 'step' and any of the keys; missing keys are NaN)."""
        base = self._seen
        while True:
            kept = rows if self.stride == 1 else \
                [r for i, r in enumerate(rows) if (base + i + 1) % self.stride == 0]
            if self.n + len(kept) <= self.max_points:
                break
            self._decimate()      # row idx kept while (idx + 1) % stride == 0, before and after
        self._seen = base + len(rows)
        if not kept:
            return
        m = len(kept)
        self._grow(self.n + m)
        sl = slice(self.n, self.n + m)
        self.steps[sl] = [r.get("step", math.nan) for r in kept]
        for k in self.keys:
            self.cols[k][sl] = [_num(r.get(k)) for r in kept]
        self.n += m
        self.version += 1

    def x(self) -> np.ndarray:
        return self.steps[:self.n]

    def view(self, key: str) -> np.ndarray:
        return self.cols[key][:self.n]

    def has(self, key: str) -> bool:
        return self.n > 0 and bool(np.isfinite(self.view(key)).any())


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def ema(x: np.ndarray, alpha: float, start: float | None = None) -> np.ndarray:
    """Exponential moving average y_t = alpha * y_{t-1} + (1 - alpha) * x_t, vectorised in
    chunks (y_t = a^t (y_0 + (1-a) cumsum(x_j a^-j))) short enough that a^-L stays < 1e12.
    `start`: the average just before x[0] (to extend a cached result); NaNs are carried over."""
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    if alpha <= 0 or x.size == 0:
        out[:] = x
        return out
    xf = x.copy()
    bad = ~np.isfinite(xf)
    if bad.any():                                    # hold the last finite value through NaN gaps
        idx = np.where(~bad, np.arange(len(xf)), 0)
        np.maximum.accumulate(idx, out=idx)
        xf = xf[idx]
    L = int(max(1, min(4096, 12 * math.log(10) / -math.log(alpha))))
    prev = xf[0] if start is None or not math.isfinite(start) else start
    powers = alpha ** np.arange(1, L + 1)            # a^1 .. a^L
    inv = alpha ** -np.arange(0, L)                  # a^0 .. a^-(L-1)
    for s in range(0, len(xf), L):
        c = xf[s:s + L]
        k = len(c)
        acc = np.cumsum(c * inv[:k]) * (1 - alpha)   # sum_j a^-j (1-a) x_j
        out[s:s + k] = powers[:k] * prev + acc * powers[:k] / alpha
        prev = out[s + k - 1]
    out[bad] = np.nan
    return out


class Envelope:
    """Peak (min/max) decimation of one growing column, cached and extended incrementally.

    Rows are grouped in buckets of k (a power of two, so k changes only when the data has
    doubled); each full bucket becomes two points (its min and its max), the unfinished
    tail stays raw. A redraw of 10^6 rows hands the plot ~`target` to 2 * `target` points and costs only the
    rows added since the last one.
    """

    def __init__(self, target: int = 2000):
        self.target = target
        self.key = None
        self.x = np.zeros(0)
        self.lo = np.zeros(0, np.float32)
        self.hi = np.zeros(0, np.float32)
        self.done = 0                     # full buckets computed

    def get(self, x: np.ndarray, y: np.ndarray, stamp) -> tuple[np.ndarray, np.ndarray]:
        n = len(x)
        if n <= self.target:
            return x, y
        k = 1 << max(0, math.ceil(math.log2(2 * n / self.target)))
        if (k, stamp) != self.key:        # bucket size changed or rows were thinned: start over
            self.key, self.done = (k, stamp), 0
            cap = n // k + self.target
            self.x, self.lo, self.hi = np.zeros(cap), np.zeros(cap, np.float32), np.zeros(cap, np.float32)
        full = n // k
        if full > self.done:
            if full > len(self.x):
                grow = full + self.target
                self.x = np.resize(self.x, grow)
                self.lo, self.hi = np.resize(self.lo, grow), np.resize(self.hi, grow)
            a, b = self.done * k, full * k
            blk = y[a:b].reshape(-1, k)                                 # (new buckets, k)
            self.lo[self.done:full] = np.fmin.reduce(blk, axis=1)       # fmin: NaNs ignored
            self.hi[self.done:full] = np.fmax.reduce(blk, axis=1)
            self.x[self.done:full] = x[a:b:k]
            self.done = full
        m = self.done
        xs = np.empty(2 * m + (n - m * k))
        ys = np.empty(len(xs), np.float32)
        xs[0:2 * m:2] = xs[1:2 * m:2] = self.x[:m]
        ys[0:2 * m:2], ys[1:2 * m:2] = self.lo[:m], self.hi[:m]
        xs[2 * m:], ys[2 * m:] = x[m * k:], y[m * k:]
        return xs, ys
