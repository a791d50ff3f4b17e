"""`shapes`: procedural colour sprites, 64x64 RGB, with ground-truth factors, no files.

Like dSprites / 3D-shapes, but drawn by our own code. Every image is one filled shape on a
dark background, with six independent factors drawn uniformly:

* ``shape``: square, circle, triangle, cross (the label, class names as listed),
* ``hue``: colour hue in [0, 0.8] (HSV with saturation 0.85 and value 0.95): red, yellow,
  green, cyan, blue to violet; the range stops short of the wrap back to red so hue is a
  linear factor (a code or a regression can follow it without a discontinuity),
* ``x``, ``y``: the shape's centre, in [-0.2, 0.2] of the half-frame (frame = [-1, 1];
  x to the right, y downwards, as on screen),
* ``scale``: the shape's radius, 0.4 .. 0.65 of the half-frame (12.8 .. 20.8 px),
* ``rotation``: as a fraction of the shape's symmetry period (a quarter turn for the square
  and cross, a third for the triangle; meaningless for the circle). Version 2 draws every
  shape upright (rotation 0): the factor stays in the API, its range is [0, 0].

Drawing: each pixel's signed distance to the shape's outline (exact SDFs in the shape's own
frame, times its scale) gives an anti-aliased coverage ``clip(0.5 - d / pixel, 0, 1)``;
``image = background + coverage * (colour - background)``. A chunk of images is a few
vectorised torch ops per shape: ~60,000 images in about 2 s on two cores
(bench/shapes_rate.py). Nothing is stored: image i is a pure function of (seed, i), so the
data set is *streamed*: the trainer draws indices and renders just that batch, and
``take(n)`` renders a fixed subset for metrics, probes and previews.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from gan_models.errors import DatasetError

from .sizes import check_drawn_n

SIZE = 64
SHAPES = ("square", "circle", "triangle", "cross")
SYMMETRY = {"square": 4, "circle": 1, "triangle": 3, "cross": 4}   # rotation period = 2 pi / k
FACTORS = ("hue", "x", "y", "scale", "rotation")
# Version 2 (issue 26): larger, more centred, upright shapes. Version 1 (x, y in +-0.4, scale
# 0.25-0.5, any rotation) drew objects covering 9.6 % of the frame on average (2.7-20.7 %),
# anywhere in it and turned; CGANs on it drew the asked shape no more often than chance after
# 2,000 steps (issue 26), and with larger centred shapes but random rotation a spectral-norm
# projection CGAN still drew blobs at 1,250 steps (asked shape 0.40). Now a shape covers 10-33 %
# of the frame, within 6.4 px of the centre, upright; hue, position and size still vary.
RANGES = {"hue": (0.0, 0.8), "x": (-0.2, 0.2), "y": (-0.2, 0.2), "scale": (0.4, 0.65),
          "rotation": (0.0, 0.0)}
FACTOR_DOC = {
    "shape": "0 square, 1 circle, 2 triangle, 3 cross (the label)",
    "hue": "colour hue 0 (red) .. 0.8 (violet) (HSV, saturation 0.85, value 0.95)",
    "x": "centre, left -0.2 .. right 0.2 of the half-frame",
    "y": "centre, top -0.2 .. bottom 0.2 of the half-frame",
    "scale": "radius, 0.4 .. 0.65 of the half-frame",
    "rotation": "fraction of the shape's symmetry period (0 in version 2: every shape upright)",
}
# Variants, "shapes:NAME": the same images with fewer nuisance factors (issue 26's allowance).
# "mono": every shape in one colour (hue 0.15, amber). An InfoGAN's categorical code on the
# coloured set took the colour in every measured run (one hue per code value, sessions 12-16);
# with one colour it has to take something else. Every other factor and the shapes themselves
# are those of the coloured set with the same seed (the same random draws).
VARIANTS = {"mono": {"hue": (0.15, 0.15)}}
VARIANT_DOC = {"mono": {"hue": "0.15 (one colour: every shape amber; shape, position and size as in shapes)"}}
BACKGROUND = (0.08, 0.09, 0.12)        # dark blue-grey, the same in every image
SATURATION, VALUE = 0.85, 0.95
DEFAULT_N = 60000


def ranges(variant: str | None = None) -> dict:
    """The factor ranges of the data set or of one of its VARIANTS; DatasetError for an unknown one."""
    if variant is None:
        return dict(RANGES)
    if variant not in VARIANTS:
        raise DatasetError(f"shapes:{variant}: no such variant of shapes; expected one of "
                           f"{', '.join('shapes:' + v for v in VARIANTS)}")
    return {**RANGES, **VARIANTS[variant]}


def draw_factors(n: int, seed: int = 0, variant: str | None = None) -> tuple[np.ndarray, dict]:
    """The factors of images 0..n-1 for `seed`: (shape int64 (n,), {name: float32 (n,)}).

    Image i's factors depend only on (seed, i): a longer set extends a shorter one, and a
    variant draws the same numbers (only its ranges differ).
    """
    rng_of = ranges(variant)
    shape = np.empty(n, np.int64)
    f = {k: np.empty(n, np.float32) for k in FACTORS}
    block = 4096                     # each block of images has its own seeded stream
    for b0 in range(0, n, block):
        rng = np.random.default_rng([seed, b0 // block, 0x5A9E5])
        m = min(block, n - b0)
        u = rng.random((len(FACTORS) + 1, block))[:, :m]
        shape[b0:b0 + m] = (u[0] * len(SHAPES)).astype(np.int64)
        for j, k in enumerate(FACTORS):
            lo, hi = rng_of[k]
            f[k][b0:b0 + m] = lo + (hi - lo) * u[j + 1]
    return shape, f


def _hsv_to_rgb(h: torch.Tensor) -> torch.Tensor:
    """(B,) hue in [0, 1) -> (B, 3) RGB in [0, 1] at the fixed saturation and value."""
    k = torch.tensor([5.0, 3.0, 1.0])
    t = (k[None] + h[:, None] * 6.0) % 6.0                               # (B, 3)
    return VALUE - VALUE * SATURATION * torch.clamp(torch.minimum(t, 4.0 - t), 0.0, 1.0)


def _sdf(name: str, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Signed distance (negative inside) to a unit-radius shape, in its own frame."""
    if name == "circle":
        return torch.sqrt(px * px + py * py) - 1.0
    if name == "square":                                     # half side 0.8 (corner at 1.13)
        return _box(px, py, 0.8, 0.8)
    if name == "cross":                                      # arms 1.0 long, 0.36 half-wide
        return torch.minimum(_box(px, py, 1.0, 0.36), _box(px, py, 0.36, 1.0))
    # equilateral triangle, circumradius 1.05, pointing up (y down on screen), centroid at 0
    r, k = 1.05 * math.sqrt(3.0) / 2.0, math.sqrt(3.0)      # r: half the side
    qx = px.abs() - r
    qy = -py + r / k
    flip = qx + k * qy > 0
    qx, qy = (torch.where(flip, (qx - k * qy) / 2, qx), torch.where(flip, (-k * qx - qy) / 2, qy))
    qx = qx - qx.clamp(-2 * r, 0.0)
    return -torch.sqrt(qx * qx + qy * qy) * torch.sign(qy)


def _box(px, py, ax: float, ay: float) -> torch.Tensor:
    dx, dy = px.abs() - ax, py.abs() - ay
    outside = torch.sqrt(dx.clamp(min=0) ** 2 + dy.clamp(min=0) ** 2)
    return outside + torch.maximum(dx, dy).clamp(max=0.0)


# Every shape fits in a circle of radius 1.14 (the square's corner) times its scale (at most
# 0.65 of the half-frame = 23.7 px): its distances are only computed in a WIN x WIN window
# around its centre (1.5x fewer pixels than the whole frame); the rest is background.
WIN = 52
_OFF = torch.arange(WIN, dtype=torch.float32)


def render(shape: np.ndarray, factors: dict, out: torch.Tensor | None = None) -> torch.Tensor:
    """Draw images from their factors -> float32 (B, 3, 64, 64) in [-1, 1]."""
    b = len(shape)
    img = out if out is not None else torch.empty(b, 3, SIZE, SIZE)
    half = SIZE / 2.0
    cx = torch.from_numpy(np.ascontiguousarray(factors["x"])) * half + half      # (B,) pixels
    cy = torch.from_numpy(np.ascontiguousarray(factors["y"])) * half + half
    ox = torch.floor(cx).long() - WIN // 2                                       # window origin
    oy = torch.floor(cy).long() - WIN // 2
    win = torch.empty(b, WIN, WIN)                                               # coverage
    for s, name in enumerate(SHAPES):
        idx = np.nonzero(shape == s)[0]
        if not len(idx):
            continue
        t = torch.from_numpy(idx)
        sc = torch.from_numpy(factors["scale"][idx])[:, None, None] * half      # (m, 1, 1) px
        ang = torch.from_numpy(factors["rotation"][idx])[:, None, None] * (2 * math.pi / SYMMETRY[name])
        ca, sa = torch.cos(ang), torch.sin(ang)
        dx = (ox[t, None, None] + _OFF[None, None, :] + 0.5 - cx[t, None, None])  # (m, 1, WIN)
        dy = (oy[t, None, None] + _OFF[None, :, None] + 0.5 - cy[t, None, None])  # (m, WIN, 1)
        px = (ca * dx + sa * dy) / sc                                   # (m, WIN, WIN) shape frame
        py = (-sa * dx + ca * dy) / sc
        d = _sdf(name, px, py) * sc                                     # pixels
        win[t] = (0.5 - d).clamp_(0.0, 1.0)
    # place each window on a canvas wide enough for every window (2 px past the frame for the
    # data's own ranges; more for factors outside them, e.g. a test's oracle), then crop the frame
    lo = int(min(ox.min(), oy.min())) if b else 0
    hi = int(max(ox.max(), oy.max())) + WIN if b else SIZE
    pad = max(2, -lo, hi - SIZE)
    cov = torch.zeros(b, SIZE + 2 * pad, SIZE + 2 * pad)
    rows = (oy + pad)[:, None] + torch.arange(WIN)[None]                # (B, WIN)
    cols = (ox + pad)[:, None] + torch.arange(WIN)[None]
    bi = torch.arange(b)[:, None, None]
    cov[bi, rows[:, :, None], cols[:, None, :]] = win
    cov = cov[:, pad:pad + SIZE, pad:pad + SIZE]
    bg = torch.tensor(BACKGROUND)
    col = _hsv_to_rgb(torch.from_numpy(np.ascontiguousarray(factors["hue"])))   # (B, 3)
    torch.addcmul(bg[None, :, None, None], cov[:, None], (col - bg)[:, :, None, None], out=img)
    return img.mul_(2.0).sub_(1.0)


class ShapesDataset:
    """The streamed data set: n images (nominal), rendered on demand.

    Has the interface the trainer and metrics use (name, data_shape, is_image, labels-less
    ``sample_batch`` that also returns labels, num_classes, class_names, factors, describe);
    ``take(n)`` materialises the first n images as an in-memory ArrayDataset.
    """

    is_image = True
    streamed = True
    value_range = (-1.0, 1.0)
    data_shape = (3, SIZE, SIZE)
    x = None          # no in-memory array: see take()
    labels = None

    def __init__(self, n: int = DEFAULT_N, seed: int = 0, variant: str | None = None):
        if n <= 0:
            raise DatasetError(f"n: expected a positive number of images, got {n}")
        ranges(variant)                       # an unknown variant: one line, before any drawing
        check_drawn_n("shapes", n)
        self.variant = variant
        self.name = "shapes" if variant is None else f"shapes:{variant}"
        self.n, self.seed = int(n), int(seed)
        self.shape, self.factors = draw_factors(self.n, self.seed, variant)
        self.class_names = list(SHAPES)
        self.num_classes = len(SHAPES)
        self.source = f"builtin:{self.name}"

    def __len__(self) -> int:
        return self.n

    def images(self, idx) -> tuple[torch.Tensor, torch.Tensor]:
        """Images idx (any int array) -> (x (B, 3, 64, 64) in [-1, 1], shape labels (B,))."""
        idx = np.asarray(idx, dtype=np.int64)
        f = {k: v[idx] for k, v in self.factors.items()}
        return render(self.shape[idx], f), torch.from_numpy(self.shape[idx])

    def sample_batch(self, batch: int, gen: torch.Generator | None = None):
        """`batch` images drawn uniformly with replacement -> (x, labels)."""
        idx = torch.randint(0, self.n, (int(batch),), generator=gen).numpy()
        return self.images(idx)

    def take(self, n: int, start: int = 0):
        """Images start..start+n-1 as an in-memory ArrayDataset (labels and factors)."""
        from .base import ArrayDataset
        stop = min(self.n, start + n)
        idx = np.arange(start, stop)
        x = torch.empty(len(idx), 3, SIZE, SIZE)
        for a in range(0, len(idx), 1024):
            part = idx[a:a + 1024]
            x[a:a + len(part)] = self.images(part)[0]
        factors = {k: v[idx] for k, v in self.factors.items()}
        return ArrayDataset(self.name, x, torch.from_numpy(self.shape[idx]), class_names=self.class_names,
                            factors=factors, source=self.source, extra=self._extra())

    def _extra(self) -> dict:
        doc = {**FACTOR_DOC, **VARIANT_DOC.get(self.variant, {})}
        return {"format": "procedural", "seed": self.seed, "factor_doc": doc}

    def describe(self) -> dict:
        d = {"name": self.name, "source": self.source, "count": self.n, "shape": list(self.data_shape),
             "num_classes": self.num_classes, "class_names": list(self.class_names),
             "is_image": True, "value_range": list(self.value_range), "factors": sorted(self.factors),
             "streamed": True}
        d.update(self._extra())
        return d

    def __repr__(self) -> str:
        v = "" if self.variant is None else f", variant={self.variant!r}"
        return f"ShapesDataset(n={self.n}, seed={self.seed}{v})"
