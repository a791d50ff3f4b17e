"""Shape-keeping random changes of an image batch, for InfoGAN's categorical code (our addition).

`info_cat_augment`: Q reads the categorical code from a copy of each fake image that has been
moved, scaled, turned, mirrored and recoloured at random (each image its own draw). A code
that G writes into position, size, orientation or colour cannot be read back through these
changes, so to keep I(c; G(z, c)) high G has to carry the code in what they keep: on the
shapes data, the shape. The continuous codes are still read from the unchanged image (they
are meant to follow exactly the factors this removes).

`normalized_silhouette` (for `info_cat_consistency`) is not a random change: it describes an image's
outline with position, size and colour taken out, so outlines can be compared across a batch.

Everything is differentiable in the image (one `grid_sample` and a 3x3 colour matrix), so the
information term's gradient reaches G through the change.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SHIFT = 0.25               # translation, fraction of the half-frame, each axis
SCALE = (0.8, 1.25)        # zoom, log-uniform
# `info_views`: how far the changes go. "full" (the default, made for the shapes): any turn,
# mirrored half the time, any hue. "small" for data whose class a turn or a mirror changes
# (digits: a 6 turned is a 9, a mirrored 2 is no digit): +-15 degrees, +-0.1 moves, 0.9-1.1 zoom,
# no mirror (close to the IIC paper's MNIST changes). "silhouette": the full geometric changes with
# a wider zoom, then the colour is dropped altogether: Q sees only where the image differs from its
# background (a grey mask scaled to [-1, 1]). On the shapes a hue rotation keeps brightness, and the
# code learned primary vs secondary hues through it; a mask carries no colour or brightness at all.
# "levels": the full changes, then a random contrast (GAIN, about the image's median colour) and
# brightness (+-OFFSET) per image. A hue turn keeps brightness, and the bundled infogan-shapes of
# session 20 told two code values apart by a background 0.02 brighter (its Q read them 1.00 through
# "full" views, 0.75 with the backgrounds swapped between images); through "levels" no level can
# carry the code, and unlike "silhouette" the colour's inside of the shape is still seen.
VIEWS = {"full": dict(shift=SHIFT, scale=SCALE, turn=math.pi, mirror=True, hue=True),
         "small": dict(shift=0.1, scale=(0.9, 1.1), turn=math.pi / 12, mirror=False, hue=False),
         "silhouette": dict(shift=SHIFT, scale=(0.7, 1.45), turn=math.pi, mirror=True, hue=False,
                            mask=True),
         "levels": dict(shift=SHIFT, scale=SCALE, turn=math.pi, mirror=True, hue=True, levels=True)}
GAIN = (0.7, 1.4)          # "levels": contrast, log-uniform, about the image's median colour
OFFSET = 0.25              # "levels": brightness, +- this, added to every channel


def _log_uniform(u: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """Uniform draws u in [0, 1) -> log-uniform values in [lo, hi)."""
    return torch.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * u)


def background(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, 1, 1): each image's per-channel median over all its pixels (an object of
    the shapes covers at most ~27 % of the frame, so this is the background's colour)."""
    return x.flatten(2).median(-1).values[..., None, None]


def _hue_rotations(angle: torch.Tensor) -> torch.Tensor:
    """(B,) angles -> (B, 3, 3) rotations of RGB about the grey axis (1, 1, 1): a hue shift that
    keeps brightness and saturation (Rodrigues' formula). A channel *permutation* would not do:
    it keeps apart colours made of one channel (red, green, blue) and of two (yellow, cyan,
    magenta), and on the shapes data a code learned to follow exactly that split."""
    k = torch.full((3,), 3 ** -0.5)
    kx = torch.tensor([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    c, s = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    return c * torch.eye(3) + s * kx + (1 - c) * torch.outer(k, k)


def shape_keeping(x: torch.Tensor, gen: torch.Generator, views: str = "full") -> torch.Tensor:
    """(B, C, H, W) -> the same batch, each image randomly moved (+-SHIFT), zoomed (SCALE),
    turned (any angle), mirrored (half of them) and, for C = 3, its hue shifted (any angle);
    `views` "small": the milder changes of VIEWS.

    Pixels pulled in from outside the frame repeat the border (the shapes' flat background).
    Random draws come from `gen` (a CPU generator: the trainer's, so runs repeat exactly).
    """
    v = VIEWS[views]
    b = x.shape[0]
    u = torch.rand(b, 6, generator=gen)
    # any turn drawn over [0, 2 pi) as before the views existed, so "full" repeats older runs exactly
    angle = u[:, 0] * 2 * math.pi if v["turn"] >= math.pi else (u[:, 0] * 2 - 1) * v["turn"]
    s = _log_uniform(u[:, 1], *v["scale"])
    flip = torch.where(u[:, 2] < 0.5, -1.0, 1.0) if v["mirror"] else torch.ones(b)
    t = (u[:, 3:5] * 2 - 1) * v["shift"]
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    # output pixel p samples the input at A p + t: A = R(angle) diag(flip, 1) / s
    theta = torch.stack([torch.stack([cos * flip, -sin, t[:, 0]], 1),
                         torch.stack([sin * flip, cos, t[:, 1]], 1)], 1)      # (B, 2, 3)
    theta = theta.to(device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if x.shape[1] == 3 and v["hue"]:
        rot = _hue_rotations(u[:, 5] * 2 * math.pi).to(device=x.device, dtype=x.dtype)
        out = torch.einsum("bij,bjhw->bihw", rot, out)
    if v.get("levels"):          # drawn after the others, so "full" repeats older runs exactly
        w = torch.rand(b, 2, generator=gen).to(device=x.device, dtype=x.dtype)
        gain = _log_uniform(w[:, 0], *GAIN)
        mid = background(out)
        out = (out - mid) * gain[:, None, None, None] + mid + ((w[:, 1] * 2 - 1) * OFFSET)[:, None, None, None]
    if v.get("mask"):
        out = silhouette(out)
    return out


def object_mask(x: torch.Tensor, top: float = 0.99) -> torch.Tensor:
    """(B, C, H, W) -> (B, 1, H, W) in [0, 1]: each pixel's L1 colour distance from the image's
    background over the image's `top` quantile of those distances (clipped at 1).

    No handful of pixels can move it, which a generator asked about its own masks will otherwise
    use: the background is the per-channel median of *all* pixels (an object of the shapes covers
    at most ~27 % of the frame), and the scale a high quantile, not the maximum (one stray pixel
    cannot dim the object). Until session 20 the background was the median of the four corners and
    the scale the maximum: the bundled infogan-shapes drew odd corner pixels, and on some small
    shapes the mask came out inverted (the whole frame, with the shape as a hole), the same vector
    for a cross and a triangle. Differentiable in x."""
    d = (x - background(x)).abs().sum(1, keepdim=True)                             # (B, 1, H, W)
    scale = torch.quantile(d.flatten(1), top, dim=1)[:, None, None, None]
    return (d / (scale + 1e-3)).clamp(max=1)


def silhouette(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H, W): `object_mask` scaled to [-1, 1], every channel the same (the
    "silhouette" view: Q sees where the image differs from its background, no colour)."""
    return (2 * object_mask(x) - 1).expand_as(x)


def normalized_silhouette(x: torch.Tensor, size: int = 24, reach: float = 2.2) -> torch.Tensor:
    """(B, C, H, W) -> (B, size * size) unit vectors: each image's object outline with its position,
    size and colour taken out (`info_cat_consistency`'s description of a shape).

    A soft mask of where the image differs from its background (`object_mask`, sharpened), then
    resampled on a size x size grid centred on the mask's centre of mass and spanning `reach`
    radii of gyration each way, so a square drawn small in a corner and large in the middle give
    the same vector. Differentiable in x (through the mask, its centre and its spread).
    """
    x = x.float()
    r = object_mask(x)                                                  # (B, 1, H, W) in [0, 1]
    m = ((r - 0.2) / 0.8).clamp_min(0)                                  # faint noise counts for nothing
    # an opening (3x3 min then max) drops specks narrower than 3 px: a few far pixels would
    # otherwise move the centre and the spread (four corner pixels double a small shape's spread)
    m = F.max_pool2d(-F.max_pool2d(-m, 3, 1, 1), 3, 1, 1)
    b, _, h, w = m.shape
    ys = torch.linspace(-1 + 1 / h, 1 - 1 / h, h, device=x.device).view(1, 1, h, 1)
    xs = torch.linspace(-1 + 1 / w, 1 - 1 / w, w, device=x.device).view(1, 1, 1, w)
    mass = m.sum((2, 3)) + 1e-6                                         # (B, 1)
    cx, cy = (m * xs).sum((2, 3)) / mass, (m * ys).sum((2, 3)) / mass
    var = (m * ((xs - cx[..., None, None]) ** 2 + (ys - cy[..., None, None]) ** 2)).sum((2, 3)) / mass
    s = (var + 1e-6).sqrt() * reach                                     # (B, 1) half-width of the grid
    u = torch.linspace(-1, 1, size, device=x.device)
    gx = cx[:, :, None] + s[:, :, None] * u.view(1, 1, size)            # (B, 1, size)
    gy = cy[:, :, None] + s[:, :, None] * u.view(1, 1, size)
    grid = torch.stack([gx.expand(b, size, size), gy.transpose(1, 2).expand(b, size, size)], -1)
    out = F.grid_sample(m, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return F.normalize(out.flatten(1), dim=1)
