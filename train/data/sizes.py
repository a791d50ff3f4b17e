"""Bringing user images of any size to one of the sizes the models are built for.

One rule, used by every loader, for training and for evaluation alike:

* nothing is cut off: a non-square image is padded to a square first;
* an image whose longer side is at most 1/8 short of the target (25-27 -> 28, 29-31 -> 32,
  56-63 -> 64) is padded to it, so its pixels stay exactly as they are;
* any other size is resized (bilinear, antialiased) to the target.

Padding uses each image's own background, the per-channel median of its border pixels, so
digits on black stay on black and drawings on white stay on white (no frame appears).

The target is ``--image-size`` when given; else the supported size (28, 32, 64) that needs
no resize, or else the one nearest in scale to the longer side (for a folder of mixed sizes,
the median longer side): 8 -> 28, 20 -> 28, 30 -> 32 (padded), 40 -> 32, 48 -> 64,
100 -> 64. Every model kind gets the same data, so runs with different models compare.

What was done is recorded in the data set's ``describe()`` (a run's config.json):
``resized_from`` [H, W] (or, for mixed sizes, the smallest/largest [H, W] and the number of
distinct sizes), ``resized_to`` [S, S] and ``fit`` (in words). Text uses W x H, as image
tools do.
"""
from __future__ import annotations

import math
from collections import Counter

import torch
import torch.nn.functional as F

from gan_models.config import CONV_SIZES
from gan_models.errors import DatasetError

SIZES = CONV_SIZES          # what conv models are built for; the trainer uses these for every model
MIN_SIDE = 4                # smaller "images" are almost surely a wrong file or a wrong header
PAD_SHORTFALL = 1 / 8       # pad (keep pixels) when the side is at most this fraction short


MAX_SIDE = 8192             # longest side of one image: padded to a square, 768 MiB as float RGB
MAX_DATA_BYTES = 8 * 2**30  # a data set in memory as float32; more is refused up front (--n-data)


def check_pixels(h: int, w: int, where: str) -> None:
    """Refuse an image whose longer side exceeds MAX_SIDE, from its header, before decoding."""
    if max(h, w) > MAX_SIDE:
        raise DatasetError(f"{where}: image is {w}x{h} pixels; at most {MAX_SIDE} pixels a side "
                           f"(padded to a square it would take {3 * 4 * max(h, w) ** 2 / 2**30:.1f} GiB to fit)")


def check_data_bytes(n: int, values_per_sample: int, where: str, subset_helps: bool = True) -> None:
    """Refuse n samples of `values_per_sample` values (float32 in memory) over MAX_DATA_BYTES."""
    need = 4 * n * values_per_sample
    if need > MAX_DATA_BYTES:
        fit = MAX_DATA_BYTES // max(4 * values_per_sample, 1)
        raise DatasetError(f"{where}: {n} samples take {need / 2**30:.1f} GiB in memory, over the "
                           f"{MAX_DATA_BYTES / 2**30:.0f} GiB a data set may use"
                           + (f"; use --n-data {fit} or fewer" if subset_helps else ""))


MAX_DRAWN = 10**7            # images of a drawn data set (shapes, faces): each keeps its factors in
                            # memory (~30-60 bytes), and 10^8 faces asked for 5.6 GB before a step


def check_drawn_n(name: str, n: int) -> None:
    """Refuse a drawn (streamed) data set of more than MAX_DRAWN images, before drawing factors."""
    if n > MAX_DRAWN:
        raise DatasetError(f"{name}: {n} images asked for (--n-data); a drawn data set holds at most "
                           f"{MAX_DRAWN:,} (each image's factors stay in memory; the default is 60,000)")


def pil_image():
    """PIL's Image module with its decompression-bomb limit set to match MAX_SIDE: PIL raises
    DecompressionBombError at open over twice that area; between once and twice it would only
    warn, and check_pixels (run on the header, before decoding) refuses those in one line."""
    import warnings

    from PIL import Image
    Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    return Image


def too_large(where: str, e: Exception) -> str:
    """The one line for PIL's DecompressionBombError (raised while opening, before our check)."""
    return f"{where}: the image is too large to decode safely ({e}); at most {MAX_SIDE} pixels a side"


def check_side(h: int, w: int, where: str) -> None:
    if min(h, w) < MIN_SIDE:
        raise DatasetError(f"{where}: image is {w}x{h} pixels; expected images of at least "
                           f"{MIN_SIDE}x{MIN_SIDE}")


def how(h: int, w: int, size: int) -> str:
    """-> 'none' | 'pad' | 'resize': what brings an h x w image to size x size."""
    side = max(h, w)
    if side == size:
        return "none" if h == w else "pad"
    if size * (1 - PAD_SHORTFALL) <= side < size:
        return "pad"
    return "resize"


def pick_size(sides, sizes=SIZES) -> int:
    """The target for images whose longer sides are `sides` (see the module docstring)."""
    side = sorted(int(s) for s in sides)[(len(sides) - 1) // 2]
    sizes = sorted(sizes)
    kept = [s for s in sizes if how(side, side, s) != "resize"]
    if kept:
        return kept[0]
    return min(sizes, key=lambda s: (abs(math.log(s / side)), -s))   # a tie goes to the larger


def target_size(image_size, sides, sizes) -> int | None:
    """An explicit image_size, else the pick among `sizes`, else None (native size)."""
    if image_size:
        return int(image_size)
    return pick_size(sides, sizes) if sizes else None


def background(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, 1, 1): the median of each image's border pixels."""
    edge = torch.cat([x[..., 0, :], x[..., -1, :], x[..., :, 0], x[..., :, -1]], dim=-1)  # (N, C, 2W+2H)
    return edge.median(dim=-1, keepdim=True).values.unsqueeze(-1)


def fit_images(x: torch.Tensor, size: int) -> tuple[torch.Tensor, str]:
    """float (N, C, h, w) in [0, 1] -> ((N, C, size, size), how) by the rule above."""
    n, c, h, w = x.shape
    mode = how(h, w, size)
    if mode == "none":
        return x, mode
    canvas = size if mode == "pad" else max(h, w)
    if (h, w) != (canvas, canvas):
        out = background(x).expand(n, c, canvas, canvas).clone()            # (N, C, canvas, canvas)
        top, left = (canvas - h) // 2, (canvas - w) // 2
        out[:, :, top:top + h, left:left + w] = x
        x = out
    if mode == "resize":
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=True).clamp_(0.0, 1.0)                  # (N, C, size, size)
    return x, mode


class FitLog:
    """Counts what was done to images of each native size -> the describe() record."""

    def __init__(self, size: int):
        self.size = int(size)
        self.sizes: Counter = Counter()      # (h, w) -> images
        self.modes: Counter = Counter()      # how -> images
        self.squared = False                 # any non-square image padded to a square

    def add(self, h: int, w: int, mode: str, n: int = 1) -> None:
        self.sizes[(int(h), int(w))] += n
        self.modes[mode] += n
        self.squared |= h != w and mode != "none"

    def record(self) -> dict:
        """{} when every image already had the size."""
        done = {m for m, k in self.modes.items() if k and m != "none"}
        if not done:
            return {}
        if done == {"pad"}:
            fit = "padded"
        elif done == {"resize"}:
            fit = "padded to square, resized (antialiased)" if self.squared else "resized (antialiased)"
        else:
            fit = "padded or resized (antialiased)"
        if len(self.sizes) == 1:
            src = list(next(iter(self.sizes)))
        else:
            by_area = sorted(self.sizes, key=lambda hw: (hw[0] * hw[1], hw))
            src = {"smallest": list(by_area[0]), "largest": list(by_area[-1]), "sizes": len(by_area)}
        return {"resized_from": src, "resized_to": [self.size, self.size], "fit": fit}


_FORMATS = {"idx": "IDX", "image-folder": "image folder", "cifar10": "CIFAR-10",
            "cifar100": "CIFAR-100"}


def fit_notice(desc: dict) -> str | None:
    """The one stderr line saying what was done to the data (None when nothing was)."""
    src = desc.get("resized_from")
    if src is None:
        return None
    size = desc["resized_to"][0]
    colour = "grey" if desc.get("shape", [3])[0] == 1 else "colour"
    where = f"{_FORMATS.get(desc.get('format'), desc.get('format') or desc.get('name'))}, {desc['count']:,}"
    if isinstance(src, dict):
        lo, hi = src["smallest"], src["largest"]
        what = f"{colour} images of {src['sizes']} sizes, {lo[1]}x{lo[0]} to {hi[1]}x{hi[0]} ({where})"
    else:
        what = f"{src[1]}x{src[0]} {colour} images ({where})"
    others = [str(s) for s in SIZES if s != size]
    others = ", ".join(others[:-1]) + " or " + others[-1]
    return f"data: {what} {desc['fit']} to {size}x{size}; --image-size {others} to choose another size"
