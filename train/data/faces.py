"""`faces`: procedural cartoon faces, 64x64 RGB, with ground-truth attributes, no files.

Like the Cartoon Set, but drawn by our own code: one large, centred head and shoulders on a
plain background. Every attribute is drawn independently:

* discrete: ``glasses`` (no / yes, half each), ``smile`` (neutral / smiling, half each),
  ``hair_style`` (short, long, afro, bun; a quarter each), ``hair_colour`` (black, brown,
  blonde, red, grey; a fifth each),
* continuous, uniform: ``skin`` (tone, 0 light .. 1 dark), ``width`` (the face's half-width,
  0.46 .. 0.60 of the half-frame), ``eye_size`` (eye radius, 0.07 .. 0.12 of the half-frame)
  and ``tilt`` (the head turned about its centre, -12 .. 12 degrees, positive clockwise).

Drawing: layers back to front (shirt, neck, ears, hair behind the head, face, hair in front,
brows, eyes, nose, mouth, glasses), each an anti-aliased coverage ``clip(0.5 - d, 0, 1)`` of a
signed distance ``d`` in pixels, blended over the canvas. The head is drawn in its own turned
frame; every layer lies in a fixed box of the frame for every attribute value and tilt, so it
is only computed inside that box (a test draws the extremes on whole frames to check), and the
hair behind the head is drawn per hair style. Images are drawn CHUNK at a time, with as many
chunks side by side as torch has threads (see _pool). Nothing is
stored: image i is a pure function of (seed, i), streamed like ``shapes``; drawing costs ~1.5x
what shapes cost (bench/faces_rate.py).

The attribute a CGAN is conditioned on is the data set's label: ``faces`` uses glasses x smile
(4 classes); ``faces:hair_style`` or ``faces:glasses*hair_colour`` choose another one or a
product of two (see ``parse_label``).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from gan_models.errors import DatasetError

from .sizes import check_drawn_n

SIZE = 64
VERSION = 1                     # bump when the drawing changes: judges cached for it are retrained
DEFAULT_N = 60000
CHUNK = 256                     # images drawn at once: 1,024 at a time ran 1.7x slower (cache)
DISCRETE = {
    "glasses": ("no glasses", "glasses"),
    "smile": ("neutral", "smiling"),
    "hair_style": ("short", "long", "afro", "bun"),
    "hair_colour": ("black", "brown", "blonde", "red", "grey"),
}
CONTINUOUS = ("skin", "width", "eye_size", "tilt")
RANGES = {"skin": (0.0, 1.0), "width": (0.46, 0.60), "eye_size": (0.07, 0.12), "tilt": (-12.0, 12.0)}
FACTOR_DOC = {
    "glasses": "0 no glasses, 1 glasses (half each)",
    "smile": "0 neutral, 1 smiling (half each)",
    "hair_style": "0 short, 1 long, 2 afro, 3 bun (a quarter each)",
    "hair_colour": "0 black, 1 brown, 2 blonde, 3 red, 4 grey (a fifth each)",
    "skin": "skin tone, 0 light .. 1 dark",
    "width": "the face's half-width, 0.46 .. 0.60 of the half-frame",
    "eye_size": "eye radius, 0.07 .. 0.12 of the half-frame",
    "tilt": "head tilt in degrees, -12 .. 12 (positive: clockwise on screen)",
}
DEFAULT_LABEL = "glasses*smile"

BACKGROUND = (0.47, 0.68, 0.80)
SHIRT = (0.20, 0.24, 0.36)
SKIN_LIGHT, SKIN_DARK = (0.99, 0.85, 0.72), (0.45, 0.29, 0.19)
HAIR = ((0.09, 0.07, 0.07), (0.45, 0.26, 0.11), (0.96, 0.82, 0.42), (0.82, 0.33, 0.12), (0.80, 0.80, 0.82))
MOUTH_OPEN, MOUTH_LINE, FRAME, PUPIL = (0.55, 0.10, 0.14), (0.42, 0.14, 0.14), (0.07, 0.07, 0.09), (0.12, 0.10, 0.10)
CX, CY = 32.0, 30.0             # head centre, pixels (y down)
HEAD_B = 20.5                   # the face's vertical half-axis, pixels


def parse_label(spec: str | None) -> tuple[str, ...]:
    """'glasses*smile' -> ('glasses', 'smile'): one discrete attribute or a product of two."""
    names = tuple(s.strip() for s in (spec or DEFAULT_LABEL).split("*"))
    bad = [s for s in names if s not in DISCRETE]
    if bad or not 1 <= len(names) <= 2 or len(set(names)) != len(names):
        raise DatasetError(f"faces label '{spec}': expected one of {', '.join(DISCRETE)} or two of them "
                           f"joined by '*' (e.g. glasses*smile)")
    return names


def label_of(attrs: dict, names: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """The label (product index, first attribute major) and its class names."""
    if len(names) == 1:
        return attrs[names[0]].astype(np.int64), list(DISCRETE[names[0]])
    a, b = names
    kb = len(DISCRETE[b])
    lab = attrs[a].astype(np.int64) * kb + attrs[b].astype(np.int64)
    return lab, [f"{va}, {vb}" for va in DISCRETE[a] for vb in DISCRETE[b]]


def draw_factors(n: int, seed: int = 0) -> dict:
    """The attributes of images 0..n-1 for `seed`: {name: (n,) float32} (discrete ones hold the
    value's index). Image i's attributes depend only on (seed, i)."""
    names = list(DISCRETE) + list(CONTINUOUS)
    f = {k: np.empty(n, np.float32) for k in names}
    block = 4096                     # each block of images has its own seeded stream
    for b0 in range(0, n, block):
        rng = np.random.default_rng([seed, b0 // block, 0xFACE5])
        m = min(block, n - b0)
        u = rng.random((len(names), block))[:, :m]
        for j, k in enumerate(names):
            if k in DISCRETE:
                f[k][b0:b0 + m] = np.floor(u[j] * len(DISCRETE[k]))
            else:
                lo, hi = RANGES[k]
                f[k][b0:b0 + m] = lo + (hi - lo) * u[j]
    return f


# ---------------------------------------------------------------- signed distances (pixels)

def _ellipse(u, v, a, b):
    """Approximate distance to an ellipse with half-axes a, b (exact for circles); a, b are
    numbers or (B, 1, 1) tensors."""
    x = u * (1.0 / a)
    x.mul_(x)
    y = v * (1.0 / b)
    x.addcmul_(y, y).sqrt_().sub_(1.0)
    return x.mul_(torch.minimum(torch.as_tensor(a), torch.as_tensor(b)))


def _box(u, v, ax, ay, r=0.0):
    """Rounded box of half-size (ax, ay) with corner radius r."""
    dx, dy = u.abs() - (ax - r), v.abs() - (ay - r)
    out = torch.sqrt(dx.clamp(min=0) ** 2 + dy.clamp(min=0) ** 2)
    return out + torch.maximum(dx, dy).clamp(max=0.0) - r


def _cov(d):
    return (0.5 - d).clamp_(0.0, 1.0)


class _Canvas:
    """The images being drawn, (B, 3, H, W) in [0, 1], and the head's turned frame in boxes of it.

    A box is (y0, y1, x0, x1) in pixels; every layer is computed only inside its own box, which
    holds it for every attribute value and tilt (tests/train/test_faces.py checks the margins).
    """

    def __init__(self, img: torch.Tensor, tilt: np.ndarray):
        self.img = img
        ang = torch.from_numpy(np.ascontiguousarray(tilt, dtype=np.float32)) * (math.pi / 180.0)
        self.c, self.s = torch.cos(ang).view(-1, 1, 1), torch.sin(ang).view(-1, 1, 1)

    def frame(self, box, rows=slice(None)):
        """Head-frame coordinates (u right, v down, origin at the head centre) of the pixel
        centres in the box, for images `rows`: two (B, h, w) tensors."""
        y0, y1, x0, x1 = box
        dx = torch.arange(x0, x1, dtype=torch.float32).add_(0.5 - CX).view(1, 1, -1)
        dy = torch.arange(y0, y1, dtype=torch.float32).add_(0.5 - CY).view(1, -1, 1)
        c, s = self.c[rows], self.s[rows]
        return torch.addcmul(c * dx, s, dy), torch.addcmul(c * dy, s, -dx)    # turned clockwise by the tilt

    def paint(self, box, d, colour, rows=slice(None), alpha=None):
        """Blend `colour` ((3,) or (B, 3)) over the box where the distance d (B, h, w) < 0."""
        y0, y1, x0, x1 = box
        cov = _cov(d)
        if alpha is not None:
            cov = cov.mul_(alpha)
        col = torch.as_tensor(colour, dtype=torch.float32)
        col = col.view(1, 3, 1, 1) if col.dim() == 1 else col.view(-1, 3, 1, 1)
        region = self.img[rows, :, y0:y1, x0:x1]
        region.lerp_(col.expand_as(region), cov[:, None].expand_as(region))


def _constant_layers() -> torch.Tensor:
    """Background and shirt: the same in every image -> (3, 64, 64)."""
    yy, xx = torch.meshgrid(torch.arange(SIZE) + 0.5, torch.arange(SIZE) + 0.5, indexing="ij")
    img = torch.tensor(BACKGROUND).view(3, 1, 1).expand(3, SIZE, SIZE).clone()
    shirt = _cov(_ellipse(xx - CX, yy - 74.0, 29.0, 19.0))
    img += shirt * (torch.tensor(SHIRT).view(3, 1, 1) - img)
    return img


_BASE = _constant_layers()
# each layer's box (y0, y1, x0, x1), pixels
NECK = (38, 58, 24, 40)
EARS = (19, 41, 8, 56)
BACK = {1: (4, 64, 0, 64), 2: (0, 58, 0, 64), 3: (0, 18, 16, 48)}       # hair behind: long, afro, bun
FACE = (8, 53, 10, 54)
CAP = (5, 35, 7, 57)
BROWS = (16, 27, 13, 51)
EYES = (19, 37, 17, 47)                                                 # eyes and pupils
GLASSES = (18, 38, 10, 54)
MOUTH = (30, 52, 18, 46)                                                # nose, mouth
BOXES = ("NECK", "EARS", "FACE", "CAP", "BROWS", "EYES", "GLASSES", "MOUTH")


def render(f: dict, out: torch.Tensor | None = None) -> torch.Tensor:
    """Draw images from their attributes ({name: (B,) array}) -> float32 (B, 3, 64, 64) in [-1, 1]."""
    b = len(f["tilt"])
    style = np.asarray(f["hair_style"]).astype(np.int64)
    order = np.argsort(style, kind="stable")          # one contiguous run of images per hair style
    f = {k: np.asarray(v)[order] for k, v in f.items()}
    img = torch.empty(b, 3, SIZE, SIZE)
    img.copy_(_BASE.expand(b, -1, -1, -1))
    cv = _Canvas(img, f["tilt"])
    t = lambda k: torch.from_numpy(np.ascontiguousarray(f[k], dtype=np.float32)).view(b, 1, 1)  # noqa: E731
    half = SIZE / 2.0
    a = t("width") * half                                                   # face half-width, px
    tone = t("skin").view(b, 1)
    skin = (1 - tone) * torch.tensor(SKIN_LIGHT) + tone * torch.tensor(SKIN_DARK)   # (B, 3)
    hair = torch.tensor(HAIR)[torch.from_numpy(f["hair_colour"].astype(np.int64))]  # (B, 3)
    bounds = np.searchsorted(style[order], np.arange(5))                    # style k: bounds[k]..bounds[k+1]

    # neck (upright: only the head turns), a little darker than the face
    y0, y1, x0, x1 = NECK
    yy = torch.arange(y0, y1, dtype=torch.float32).add_(0.5 - 48.0).view(1, -1, 1)
    xx = torch.arange(x0, x1, dtype=torch.float32).add_(0.5 - CX).view(1, 1, -1)
    cv.paint(NECK, _box(xx, yy, 0.33 * a, 10.0, 2.0), skin * 0.88)
    u, v = cv.frame(EARS)
    cv.paint(EARS, _ellipse(u.abs_().sub_(a), v.add_(1.0), 3.2, 4.6), skin * 0.9)     # both ears: |u|
    # hair behind the head: long, a curtain to the shoulders; afro, a big round puff; bun, a knot
    for k, box in BACK.items():
        rows = slice(int(bounds[k]), int(bounds[k + 1]))
        if rows.start == rows.stop:
            continue
        u, v = cv.frame(box, rows)
        ak = a[rows]
        if k == 1:
            d = torch.minimum(_ellipse(u, v + 1.0, ak + 3.5, HEAD_B + 2.5),
                              _box(u, v - (HEAD_B + 7.0) / 2, ak + 3.5, (HEAD_B + 11.0) / 2, 5.0))
        elif k == 2:
            d = _ellipse(u, v + 4.0, ak + 9.0, HEAD_B + 5.0)
        else:
            d = _ellipse(u, v + HEAD_B + 3.0, 6.5, 6.0)
        cv.paint(box, d, hair[rows] * 0.85, rows)
    u, v = cv.frame(FACE)
    cv.paint(FACE, _ellipse(u, v, a, HEAD_B), skin)
    # hair in front: a cap over the top of the head down to the hairline (a side fringe for long
    # hair, a lower line for an afro)
    u, v = cv.frame(CAP)
    style_t = torch.from_numpy(f["hair_style"].astype(np.int64)).view(b, 1, 1)
    line = (-0.5 * HEAD_B + 0.016 * u * u - 1.5 * (style_t == 1) * ((u + 2.0) * 0.25).clamp_(-1.0, 1.0)
            + 1.0 * (style_t == 2))
    cap = _ellipse(u, v + 0.6, a + 1.6, HEAD_B + 1.6)
    cv.paint(CAP, torch.maximum(cap, v - line), hair)

    # brows, eyes, glasses (both eyes at once: |u| mirrors the left one onto the right)
    ex, ey = 0.36 * a + 1.3, -0.1 * HEAD_B                                  # eye centres (+-ex, ey)
    r = t("eye_size") * half                                                # eye radius, px
    u, v = cv.frame(BROWS)
    cv.paint(BROWS, _box(u.abs() - ex, v - ey + r + 3.2, 3.4, 0.9, 0.8), hair * 0.7)
    u, v = cv.frame(EYES)
    ua, ve = u.abs_().sub_(ex), v.sub_(ey)
    cv.paint(EYES, _ellipse(ua, ve, 1.15 * r, r), (0.98, 0.98, 0.98))
    cv.paint(EYES, _ellipse(ua, ve - 0.2, 0.55 * r, 0.55 * r), PUPIL)
    u, v = cv.frame(GLASSES)
    rg = 5.6                                                                # glasses' ring radius
    ua, ve = u.abs_(), v.sub_(ey)
    bar = torch.maximum(ua - a - 0.5, (ve + 1.0).abs_().sub_(0.7))      # bridge and arms: one bar ...
    ua.sub_(ex)
    dist = torch.sqrt(ua * ua + ve * ve)
    bar = torch.maximum(bar, rg - dist)                                  # ... not inside the rings
    ring = dist.sub_(rg).abs_().sub_(0.75)
    glasses = torch.from_numpy(f["glasses"].astype(np.float32)).view(b, 1, 1)
    cv.paint(GLASSES, torch.minimum(ring, bar), FRAME, alpha=glasses)
    # nose and mouth
    u, v = cv.frame(MOUTH)
    cv.paint(MOUTH, _ellipse(u, v - 0.2 * HEAD_B, 1.7, 2.6), skin * 0.72, alpha=0.8)
    my = 0.5 * HEAD_B
    smile = torch.from_numpy(f["smile"] > 0.5).view(b, 1, 1)
    open_mouth = torch.maximum(_ellipse(u, v - my + 1.5, 6.0, 5.5), -(v - my + 1.5))  # lower half-disc
    line_mouth = _box(u, v - my - 0.5, 4.8, 0.9, 0.9)
    cv.paint(MOUTH, torch.where(smile, open_mouth, line_mouth),
             torch.where(smile.view(b, 1), torch.tensor(MOUTH_OPEN), torch.tensor(MOUTH_LINE)))
    img.mul_(2.0).sub_(1.0)
    res = out if out is not None else torch.empty_like(img)
    res.numpy()[order] = img.numpy()                  # back to the order asked for (numpy: whole-row copies)
    return res


_POOLS: dict = {}


def _pool(workers: int):
    """Threads that draw chunks side by side, one intra-op thread each: a face is ~150 small
    torch steps, and two threads splitting every step waited on each other (on a 2-core
    machine shared with other work, 6x slower than one thread); whole chunks per thread do not.
    (torch.set_num_threads in a thread sets that thread's count only.)"""
    if workers not in _POOLS:
        from concurrent.futures import ThreadPoolExecutor
        _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="faces",
                                             initializer=torch.set_num_threads, initargs=(1,))
    return _POOLS[workers]


class FacesDataset:
    """The streamed data set: n images (nominal), rendered on demand, like ShapesDataset.

    labels: the attribute (or product of two) named by `label` (see parse_label); factors: every
    attribute, discrete ones as their value's index; ``take(n)`` materialises the first n images.
    """

    is_image = True
    streamed = True
    value_range = (-1.0, 1.0)
    data_shape = (3, SIZE, SIZE)
    x = None          # no in-memory array: see take()

    def __init__(self, n: int = DEFAULT_N, seed: int = 0, label: str | None = None):
        if n <= 0:
            raise DatasetError(f"n: expected a positive number of images, got {n}")
        check_drawn_n("faces", n)
        self.label_attrs = parse_label(label)
        self.label_spec = "*".join(self.label_attrs)
        self.name = "faces" if self.label_spec == DEFAULT_LABEL else f"faces:{self.label_spec}"
        self.n, self.seed = int(n), int(seed)
        self.factors = draw_factors(self.n, self.seed)
        self.labels_np, self.class_names = label_of(self.factors, self.label_attrs)
        self.num_classes = len(self.class_names)
        self.labels = None
        self.source = "builtin:faces"

    def __len__(self) -> int:
        return self.n

    def images(self, idx) -> tuple[torch.Tensor, torch.Tensor]:
        """Images idx (any int array) -> (x (B, 3, 64, 64) in [-1, 1], labels (B,))."""
        idx = np.asarray(idx, dtype=np.int64)
        x = torch.empty(len(idx), 3, SIZE, SIZE)
        workers = torch.get_num_threads()
        size = min(CHUNK, max(1, -(-len(idx) // workers)))       # every worker gets a chunk

        def draw(s: int) -> None:
            part = idx[s:s + size]
            render({k: v[part] for k, v in self.factors.items()}, out=x[s:s + len(part)])

        starts = range(0, len(idx), size)
        if workers > 1 and len(starts) > 1:
            list(_pool(workers).map(draw, starts))
        else:
            for s in starts:
                draw(s)
        return x, torch.from_numpy(self.labels_np[idx])

    def sample_batch(self, batch: int, gen: torch.Generator | None = None):
        """`batch` images drawn uniformly with replacement -> (x, labels)."""
        idx = torch.randint(0, self.n, (int(batch),), generator=gen).numpy()
        return self.images(idx)

    def take(self, n: int, start: int = 0):
        """Images start..start+n-1 as an in-memory ArrayDataset (labels and every attribute)."""
        from .base import ArrayDataset
        idx = np.arange(start, min(self.n, start + n))
        x = torch.empty(len(idx), 3, SIZE, SIZE)
        for a in range(0, len(idx), 1024):
            part = idx[a:a + 1024]
            x[a:a + len(part)] = self.images(part)[0]
        return ArrayDataset(self.name, x, torch.from_numpy(self.labels_np[idx]), class_names=self.class_names,
                            factors={k: v[idx] for k, v in self.factors.items()}, source=self.source,
                            extra=self._extra())

    def _extra(self) -> dict:
        return {"format": "procedural", "seed": self.seed, "version": VERSION, "label": self.label_spec,
                "factor_doc": dict(FACTOR_DOC),
                "attribute_values": {k: list(v) for k, v in DISCRETE.items()}}

    def describe(self) -> dict:
        d = {"name": self.name, "source": self.source, "count": self.n, "shape": list(self.data_shape),
             "num_classes": self.num_classes, "class_names": list(self.class_names),
             "is_image": True, "value_range": list(self.value_range), "factors": sorted(self.factors),
             "streamed": True}
        d.update(self._extra())
        return d

    def __repr__(self) -> str:
        return f"FacesDataset(n={self.n}, seed={self.seed}, label={self.label_spec!r})"
