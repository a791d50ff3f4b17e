"""`digits`: procedurally drawn handwritten-style digits, 28x28 grayscale, no files.

Each digit 0-9 has two or more pen-stroke skeletons (not font glyphs). A skeleton is a
list of strokes; a stroke is a list of points the pen passes through, joined by a
centripetal Catmull-Rom spline (smooth), and strokes that share a point meet there in a
corner. Every image draws one skeleton with its own random

* per-point jitter on the control points (the spline stays smooth, so strokes wobble like
  a pen) plus a small smooth polynomial warp,
* ``width``: horizontal scale of the skeleton (0.75 .. 1.3),
* ``slant``: shear, x -= slant * y with y pointing down, so positive slant leans right
  (-0.25 .. 0.5, mostly right like real handwriting),
* ``thickness``: stroke width in pixels (1.6 .. 3.6),
* ``rotation`` (degrees, +-8), overall scale and translation,

then it is normalised the way MNIST was: the ink fits a ~20x20 box and its centre of
mass sits at the centre of the 28x28 frame. Ink is white on black, anti-aliased:
``intensity = clip((thickness / 2 - distance_to_stroke) / SOFT + 0.5, 0, 1)``.
Labels are balanced (n/10 of each digit, shuffled), class names '0'..'9'.

Speed: each skeleton is pre-sampled into points ~0.4 px apart (a fixed matrix maps the
jittered control points to them, so a chunk of images of one skeleton is one matmul).
The distance of a pixel to the drawing is the minimum over those points (with points
this dense it differs from the distance to the curve by < 0.05 px where it matters, at
the stroke edge); each point only touches the 7x7 pixels around it, and the maximum ink
per pixel is gathered with ``scatter_reduce(amax)`` on a padded canvas. About 4-5 s of
one core for 60,000 images (bench/digits_rate.py).

The factor values actually used to draw are returned, so InfoGAN's continuous codes can
be compared against them.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import torch

SIZE = 28
BOX = 20.0              # MNIST: ink fitted in a 20x20 box, centred by mass in 28x28
WIN = 7                 # each stroke point touches WIN x WIN pixels around it
SOFT = 1.3              # width in pixels of the anti-aliased edge ramp
PT_PX = 0.55            # target spacing of stroke points in pixels

RANGES = {
    "slant": (-0.25, 0.5),
    "width": (0.75, 1.3),
    "thickness": (1.6, 3.6),
    "rotation": (-8.0, 8.0),
}
FACTOR_DOC = {
    "slant": "shear of the skeleton, x -= slant * y (y down): positive leans right",
    "width": "horizontal scale of the skeleton before normalisation",
    "thickness": "stroke width in pixels",
    "rotation": "rotation in degrees (positive = clockwise on screen)",
}


def _ellipse(cx, cy, rx, ry, start_deg, sweep_deg, n, tilt_deg=0.0):
    """Points on an ellipse, angle 0 = top, increasing clockwise on screen (y down)."""
    out = []
    ct, st = math.cos(math.radians(tilt_deg)), math.sin(math.radians(tilt_deg))
    for i in range(n):
        a = math.radians(start_deg + sweep_deg * i / (n - 1))
        x, y = rx * math.sin(a), -ry * math.cos(a)
        out.append((cx + ct * x - st * y, cy + st * x + ct * y))
    return out


# Skeletons: {digit: [(weight, [stroke, ...]), ...]}; stroke = [(x, y), ...] in a box of
# height ~1 centred on 0, x right, y down. Identical points in different strokes are the
# same control point (jittered together), so corners stay joined.
SKELETONS: dict[int, list] = {
    0: [
        (1.0, [_ellipse(0.0, 0.0, 0.34, 0.5, -10, 380, 14)]),
        (0.6, [_ellipse(0.0, 0.0, 0.24, 0.5, 5, 365, 14, tilt_deg=12)]),
    ],
    1: [
        (1.0, [[(0.02, -0.5), (0.0, 0.0), (-0.02, 0.5)]]),
        (0.7, [[(-0.17, -0.3), (-0.06, -0.4), (0.04, -0.5)],
               [(0.04, -0.5), (0.02, 0.0), (0.0, 0.5)]]),
        (0.25, [[(-0.17, -0.3), (-0.06, -0.4), (0.04, -0.5)],
                [(0.04, -0.5), (0.02, 0.0), (0.0, 0.5)],
                [(-0.17, 0.5), (0.0, 0.5), (0.17, 0.5)]]),
    ],
    2: [
        (1.0, [[(-0.26, -0.28), (-0.12, -0.45), (0.08, -0.5), (0.24, -0.36), (0.22, -0.12),
                (0.02, 0.15), (-0.28, 0.48)],
               [(-0.28, 0.48), (0.0, 0.47), (0.3, 0.46)]]),
        (0.7, [[(-0.26, -0.28), (-0.1, -0.46), (0.1, -0.49), (0.25, -0.33), (0.2, -0.08),
                (0.0, 0.18), (-0.18, 0.38), (-0.27, 0.47), (-0.2, 0.34), (-0.05, 0.37),
                (0.1, 0.45), (0.32, 0.46)]]),
    ],
    3: [
        (1.0, [[(-0.24, -0.36), (-0.05, -0.5), (0.16, -0.45), (0.21, -0.26), (0.05, -0.07),
                (-0.1, -0.03)],
               [(-0.1, -0.03), (0.12, 0.03), (0.25, 0.22), (0.17, 0.42), (-0.05, 0.5),
                (-0.27, 0.38)]]),
        (0.6, [[(-0.24, -0.48), (0.0, -0.48), (0.24, -0.48)],
               [(0.24, -0.48), (0.1, -0.27), (-0.06, -0.08)],
               [(-0.06, -0.08), (0.16, 0.0), (0.26, 0.22), (0.16, 0.43), (-0.06, 0.5),
                (-0.27, 0.38)]]),
    ],
    4: [
        (1.0, [[(0.1, -0.5), (-0.1, -0.17), (-0.3, 0.15)],
               [(-0.3, 0.15), (0.0, 0.15), (0.3, 0.15)],
               [(0.1, -0.5), (0.1, 0.0), (0.1, 0.5)]]),
        (1.0, [[(-0.2, -0.5), (-0.24, -0.2), (-0.27, 0.08)],
               [(-0.27, 0.08), (0.0, 0.1), (0.3, 0.07)],
               [(0.15, -0.45), (0.13, 0.0), (0.11, 0.5)]]),
    ],
    5: [
        (1.0, [[(-0.15, -0.48), (-0.18, -0.28), (-0.21, -0.06)],
               [(-0.21, -0.06), (0.02, -0.14), (0.2, -0.03), (0.25, 0.22), (0.12, 0.44),
                (-0.1, 0.5), (-0.27, 0.38)],
               [(-0.15, -0.48), (0.05, -0.48), (0.26, -0.5)]]),
        (0.7, [[(0.25, -0.5), (0.0, -0.49), (-0.16, -0.48)],
               [(-0.16, -0.48), (-0.2, -0.05)],
               [(-0.2, -0.05), (0.06, -0.09), (0.24, 0.1), (0.2, 0.37), (0.0, 0.5),
                (-0.26, 0.42)]]),
    ],
    6: [
        (1.0, [[(0.18, -0.5), (-0.04, -0.34), (-0.2, -0.08), (-0.24, 0.22), (-0.1, 0.46),
                (0.1, 0.47), (0.22, 0.28), (0.14, 0.06), (-0.06, 0.03), (-0.22, 0.18)]]),
        (0.7, [[(0.1, -0.5), (-0.05, -0.22), (-0.2, 0.1), (-0.2, 0.38), (0.0, 0.5),
                (0.2, 0.38), (0.18, 0.14), (0.0, 0.08), (-0.2, 0.18)]]),
    ],
    7: [
        (1.0, [[(-0.28, -0.46), (0.0, -0.47), (0.28, -0.48)],
               [(0.28, -0.48), (0.12, -0.05), (-0.04, 0.5)]]),
        (0.6, [[(-0.28, -0.46), (0.0, -0.47), (0.28, -0.48)],
               [(0.28, -0.48), (0.12, -0.05), (-0.04, 0.5)],
               [(-0.08, 0.0), (0.1, 0.0), (0.26, 0.0)]]),
        (0.4, [[(-0.27, -0.32), (-0.26, -0.46)],
               [(-0.26, -0.46), (0.0, -0.46), (0.27, -0.47)],
               [(0.27, -0.47), (0.08, 0.0), (-0.02, 0.5)]]),
    ],
    8: [
        (1.0, [[(0.2, -0.36), (0.0, -0.5), (-0.2, -0.37), (-0.14, -0.12), (0.14, 0.08),
                (0.23, 0.32), (0.0, 0.5), (-0.23, 0.32), (-0.14, 0.08), (0.14, -0.12),
                (0.2, -0.36), (0.1, -0.47)]]),
        (0.7, [_ellipse(0.0, -0.26, 0.18, 0.24, 150, 380, 10),
               _ellipse(0.0, 0.24, 0.24, 0.27, -20, 380, 12)]),
    ],
    9: [
        (1.0, [_ellipse(-0.02, -0.24, 0.22, 0.26, 45, -360, 12),
               [_ellipse(-0.02, -0.24, 0.22, 0.26, 45, 0, 2)[0], (0.19, 0.05), (0.16, 0.5)]]),
        (0.7, [_ellipse(-0.02, -0.24, 0.22, 0.26, 45, -360, 12),
               [_ellipse(-0.02, -0.24, 0.22, 0.26, 45, 0, 2)[0], (0.18, 0.12), (0.08, 0.42),
                (-0.14, 0.47)]]),
    ],
}


class _Variant:
    """One skeleton, pre-sampled: sampled points = weights @ control points."""

    def __init__(self, digit: int, strokes: list, weight: float):
        self.digit, self.weight = digit, weight
        uniq: dict = {}
        idx_strokes = []
        for s in strokes:
            idx_strokes.append([uniq.setdefault((round(x, 6), round(y, 6)), len(uniq)) for x, y in s])
        ctrl = np.array(list(uniq.keys()), dtype=np.float64)            # (U, 2)
        self.ctrl = torch.tensor(ctrl, dtype=torch.float32)
        height = ctrl[:, 1].max() - ctrl[:, 1].min()
        px_per_unit = BOX * 1.35 / max(height, 0.5)                      # margin: width, jitter
        rows, same_stroke = [], []
        for s in idx_strokes:
            pts = ctrl[s]
            first = len(rows)
            for i in range(len(s) - 1):
                w4 = _span_weights(pts, i, 64)                            # (64, 4) dense
                length = _curve_length(w4, pts, i)
                k = max(1, math.ceil(length * px_per_unit / PT_PX))
                w4 = _span_weights(pts, i, k, endpoint=(i == len(s) - 2))
                ids = _neighbour_ids(len(s), i)
                r = np.zeros((len(w4), len(ctrl)))
                for j in range(4):
                    r[:, s[ids[j]]] += w4[:, j]
                rows.extend(r)
            same_stroke.extend([True] * (len(rows) - first - 1) + [False])
        self.weights = torch.tensor(np.array(rows), dtype=torch.float32)  # (P, U)
        # same_stroke[i]: points i and i+1 are neighbours on one stroke (for checks)
        self.same_stroke = torch.tensor(same_stroke[:-1])


def _neighbour_ids(n: int, i: int) -> list[int]:
    """Indices (into the stroke) of the 4 Catmull-Rom points of span i; ends clamp and
    are mirrored inside _span_weights."""
    return [max(i - 1, 0), i, i + 1, min(i + 2, n - 1)]


def _knots(pts: np.ndarray, i: int) -> tuple[list, np.ndarray]:
    n = len(pts)
    p1, p2 = pts[i], pts[i + 1]
    # phantom end points mirror the neighbour: P(-1) = 2 P0 - P1, expressed as weights
    p0 = pts[i - 1] if i > 0 else 2 * p1 - p2
    p3 = pts[i + 2] if i + 2 < n else 2 * p2 - p1
    P = [p0, p1, p2, p3]
    t = [0.0]
    for a, b in zip(P[:-1], P[1:]):
        t.append(t[-1] + max(np.linalg.norm(b - a), 1e-4) ** 0.5)     # centripetal
    # weight matrices that express P0..P3 in terms of the stored neighbour ids
    M = np.eye(4)
    if i == 0:
        M[0] = [0, 2, -1, 0]       # P0 = 2*P1 - P2 (stored id 0 == P1)
    if i + 2 >= n:
        M[3] = [0, -1, 2, 0]       # P3 = 2*P2 - P1
    return t, M


def _span_weights(pts: np.ndarray, i: int, k: int, endpoint: bool = False) -> np.ndarray:
    """(k or k+1, 4) weights of the neighbour points for samples along span i
    (Barry-Goldman pyramid evaluated on the identity basis)."""
    t, M = _knots(pts, i)
    ts = np.linspace(t[1], t[2], k + 1)
    if not endpoint:
        ts = ts[:-1]
    u = ts[:, None]
    E = np.eye(4)

    def lerp(a, b, ta, tb):
        return (tb - u) / (tb - ta) * a + (u - ta) / (tb - ta) * b

    A1 = lerp(E[0], E[1], t[0], t[1])
    A2 = lerp(E[1], E[2], t[1], t[2])
    A3 = lerp(E[2], E[3], t[2], t[3])
    B1 = lerp(A1, A2, t[0], t[2])
    B2 = lerp(A2, A3, t[1], t[3])
    return lerp(B1, B2, t[1], t[2]) @ M


def _curve_length(w4: np.ndarray, pts: np.ndarray, i: int) -> float:
    ids = _neighbour_ids(len(pts), i)
    xy = w4 @ pts[ids]
    return float(np.linalg.norm(np.diff(xy, axis=0), axis=1).sum())


_VARIANTS: list[_Variant] | None = None


def variants() -> list[_Variant]:
    global _VARIANTS
    if _VARIANTS is None:
        _VARIANTS = [_Variant(d, strokes, w) for d in range(10) for w, strokes in SKELETONS[d]]
    return _VARIANTS


def _uniform(gen, n, lo, hi):
    return torch.rand(n, generator=gen, dtype=torch.float64).float() * (hi - lo) + lo


@contextlib.contextmanager
def _torch_threads(k: int | None):
    """Run the drawing with k torch threads (None: leave as is), restoring afterwards."""
    old = torch.get_num_threads()
    if k is None or k == old:
        yield
        return
    torch.set_num_threads(k)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def make_digits(n: int = 60000, seed: int = 0, chunk: int = 256, threads: int | None = 1):
    """Draw n digits, deterministic from seed (and independent of threads/chunk).

    Returns (images float32 (n, 1, 28, 28) in [0, 1] (ink = 1), labels int64 (n,)
    (balanced: n // 10 or n // 10 + 1 of each digit, shuffled), factors: name -> float32
    numpy (n,) with the slant, width, thickness and rotation used, skeleton index (n,)).

    `chunk` only trades memory for cache locality. The work is many small tensor ops, for
    which intra-op threads cost more than they give (badly so on a busy machine), so by
    default it runs on one torch thread and restores the thread count afterwards;
    `threads=None` leaves torch's setting alone."""
    with _torch_threads(threads):
        return _make_digits(n, seed, chunk)


def _make_digits(n: int, seed: int, chunk: int):
    if n <= 0:
        raise ValueError("n must be positive")
    vs = variants()
    gen = torch.Generator().manual_seed(int(seed))
    labels = (torch.arange(n) % 10)[torch.randperm(n, generator=gen)]
    # variant per sample: pick among that digit's skeletons by weight
    variant = torch.empty(n, dtype=torch.long)
    u = torch.rand(n, generator=gen)
    for d in range(10):
        ids = [j for j, v in enumerate(vs) if v.digit == d]
        w = torch.tensor([vs[j].weight for j in ids])
        cum = torch.cumsum(w / w.sum(), 0)
        m = labels == d
        pick = torch.searchsorted(cum, u[m].contiguous(), right=True).clamp(max=len(ids) - 1)
        variant[m] = torch.tensor(ids)[pick]
    f = {
        "slant": _uniform(gen, n, *RANGES["slant"]),
        "width": _uniform(gen, n, *RANGES["width"]),
        "thickness": _uniform(gen, n, *RANGES["thickness"]),
        "rotation": _uniform(gen, n, *RANGES["rotation"]),
    }
    scale = _uniform(gen, n, 0.88, 1.0)
    shift = (torch.rand(n, 2, generator=gen) - 0.5) * 1.5              # pixels
    jitter = _uniform(gen, n, 0.012, 0.04)                              # unit-box std
    warp = (torch.rand(n, 4, generator=gen) - 0.5) * 0.3

    images = torch.zeros(n, SIZE * SIZE)
    for j, v in enumerate(vs):
        idx = torch.nonzero(variant == j).flatten()
        if len(idx) == 0:
            continue
        vgen = torch.Generator().manual_seed(int(seed) * 1000003 + j)
        for s in range(0, len(idx), chunk):
            ii = idx[s:s + chunk]
            noise = torch.randn(len(ii), *v.ctrl.shape, generator=vgen)
            ctrl = v.ctrl + noise * jitter[ii, None, None]
            images[ii] = _render(v, ctrl, f["slant"][ii], f["width"][ii], f["thickness"][ii],
                                 f["rotation"][ii], scale[ii], shift[ii], warp[ii])
    images = images.reshape(n, 1, SIZE, SIZE)
    factors = {k: t.numpy().astype(np.float32) for k, t in f.items()}
    return images, labels, factors, variant


def _render(v: _Variant, ctrl, slant, width, thickness, rotation, scale, shift, warp):
    """ctrl (B, U, 2) jittered control points -> (B, 784) ink in [0, 1]."""
    p = torch.matmul(v.weights, ctrl)                                    # (B, P, 2)
    x, y = p[..., 0], p[..., 1]
    # smooth warp: bends and bulges (small quadratic terms)
    x = x + warp[:, 0:1] * y * y + warp[:, 1:2] * x * y
    y = y + warp[:, 2:3] * x * x + warp[:, 3:4] * x * y
    x = x * width[:, None]
    x = x - slant[:, None] * y
    th = torch.deg2rad(rotation)[:, None]
    c, s = torch.cos(th), torch.sin(th)
    x, y = c * x - s * y, s * x + c * y
    # MNIST normalisation: the ink (skeleton + stroke) fits BOX * scale, centred by mass
    lo_x, hi_x = x.amin(1), x.amax(1)
    lo_y, hi_y = y.amin(1), y.amax(1)
    extent = torch.maximum(hi_x - lo_x, hi_y - lo_y)
    k = ((BOX * scale - thickness) / extent)[:, None]
    x, y = x * k, y * k
    q = torch.stack([x, y], -1)                                         # (B, P, 2)
    # centre of mass of the ink ~ mean of the (evenly spaced) points
    offset = (SIZE - 1) / 2 + shift - q.mean(1)                         # pixel centres 0..27
    return _splat(q + offset[:, None], thickness)


PAD = 8                                                                 # canvas margin
CW = SIZE + 2 * PAD                                                     # canvas width
_OFFS = torch.arange(WIN) - WIN // 2                                    # -3 .. 3
_OFFS_F = _OFFS.float()
_OFFS_FLAT = (_OFFS[:, None] * CW + _OFFS[None, :]).reshape(-1)         # (WIN * WIN,)


def _splat(q, thickness):
    """q (B, P, 2) densely sampled stroke points in pixel coordinates (pixel centres at
    0..27) -> (B, 28 * 28) ink in [0, 1]: clip((thickness / 2 - distance) / SOFT + 0.5).

    Work per image: P * WIN * WIN (add, sqrt, sub, then scatter-amax); the division by
    SOFT and the clip to 1 are monotonic, so they run once on the small canvas."""
    B, P, _ = q.shape
    c = (thickness * 0.5 + SOFT * 0.5)[:, None, None, None]
    base = torch.round(q).clamp_(-PAD + WIN // 2, SIZE + PAD - 1 - WIN // 2)   # (B, P, 2)
    d = (base[..., None] + _OFFS_F) - q[..., None]                      # (B, P, 2, WIN)
    d.square_()
    dist = (d[:, :, 1, :, None] + d[:, :, 0, None, :]).sqrt_()          # (B, P, WIN, WIN)
    ink = torch.sub(c, dist, out=dist)
    bl = base.long() + PAD
    flat = (bl[..., 1] * CW + bl[..., 0])[..., None] + _OFFS_FLAT       # (B, P, WIN*WIN)
    out = torch.zeros(B, CW * CW)
    out.scatter_reduce_(1, flat.reshape(B, -1), ink.reshape(B, -1), reduce="amax")
    out = out.reshape(B, CW, CW)[:, PAD:PAD + SIZE, PAD:PAD + SIZE]
    return out.mul_(1.0 / SOFT).clamp_(max=1.0).reshape(B, SIZE * SIZE)
