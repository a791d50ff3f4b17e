"""In-memory image/point data sets and the image conversions every loader shares."""
from __future__ import annotations

import numpy as np
import torch

from gan_models.errors import DatasetError

from .sizes import FitLog, fit_images, how


class ArrayDataset:
    """A finite data set held in memory.

    x: float32 (N, C, H, W) in [-1, 1] for images (or (N, D) for points);
    labels: int64 (N,) or None; factors: name -> (N,) float32 ground truth (may be empty);
    class_names: one name per class (empty when unlabelled).
    """

    value_range = (-1.0, 1.0)

    def __init__(self, name: str, x: torch.Tensor, labels: torch.Tensor | None = None, *,
                 class_names: list[str] | None = None, factors: dict | None = None,
                 source: str = "builtin", extra: dict | None = None):
        if x.dtype != torch.float32:
            x = x.float()
        if labels is not None:
            labels = labels.long()
            if labels.shape != (x.shape[0],):
                raise DatasetError(f"{source}: {labels.shape[0]} labels for {x.shape[0]} samples")
        self.name = name
        self.x = x
        self.labels = labels
        self.factors = {k: np.asarray(v, dtype=np.float32) for k, v in (factors or {}).items()}
        if labels is None:
            class_names = []
        elif not class_names:
            k = int(labels.max()) + 1 if len(labels) else 0
            class_names = [str(i) for i in range(k)]
        self.class_names = list(class_names)
        self.num_classes = len(self.class_names)
        self.data_shape = tuple(x.shape[1:])
        self.is_image = x.dim() == 4
        self.source = source
        self.extra = dict(extra or {})

    def __len__(self) -> int:
        return self.x.shape[0]

    def sample_batch(self, batch: int, gen: torch.Generator | None = None):
        """`batch` samples drawn uniformly with replacement -> (x, labels or None)."""
        idx = torch.randint(0, len(self), (int(batch),), generator=gen)
        return self.x[idx], (self.labels[idx] if self.labels is not None else None)

    def describe(self) -> dict:
        d = {
            "name": self.name,
            "source": self.source,
            "count": len(self),
            "shape": list(self.data_shape),
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "is_image": self.is_image,
            "value_range": list(self.value_range),
            "factors": sorted(self.factors),
        }
        d.update(self.extra)
        return d

    def __repr__(self) -> str:
        return (f"ArrayDataset({self.name!r}, n={len(self)}, shape={self.data_shape}, "
                f"classes={self.num_classes})")


def subset_indices(total: int, n: int | None, seed: int) -> np.ndarray | None:
    """A seeded random subset of n indices (sorted), or None for all."""
    if n is None or n >= total:
        return None
    if n <= 0:
        raise DatasetError(f"n: expected a positive number of samples, got {n}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(total, size=n, replace=False))


def check_options(image_size, channels) -> None:
    if image_size is not None and (not isinstance(image_size, (int, np.integer)) or image_size < 4):
        raise DatasetError(f"image_size: expected an integer >= 4 (e.g. 28, 32 or 64), got {image_size!r}")
    if channels is not None and channels not in (1, 3):
        raise DatasetError(f"channels: expected 1 (grayscale) or 3 (RGB), got {channels!r}")


def to_grayscale(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) -> (N, 1, H, W) luminance (ITU-R 601, as PIL's 'L')."""
    w = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def conform(x: torch.Tensor, image_size: int | None, channels: int | None,
            chunk: int = 4096, log: FitLog | None = None) -> torch.Tensor:
    """float (N, C, H, W) in [0, 1] -> brought to image_size x image_size (padded or resized,
    nothing cut off: sizes.py) and converted to `channels`, then mapped to [-1, 1]. What was
    done is counted in `log`. Works in chunks."""
    n, c, h, w = x.shape
    out_c = channels or c
    mode = how(h, w, image_size) if image_size else "none"
    if log is not None:
        log.add(h, w, mode, n)
    if mode == "none" and out_c == c:
        return x.mul_(2.0).sub_(1.0)
    out_hw = (h, w) if mode == "none" else (image_size, image_size)
    out = torch.empty(n, out_c, *out_hw)
    for s in range(0, n, chunk):
        part = x[s:s + chunk]
        if out_c == 1 and c == 3:
            part = to_grayscale(part)
        if mode != "none":
            part, _ = fit_images(part, image_size)                      # (n, C, S, S)
        if out_c == 3 and part.shape[1] == 1:
            part = part.expand(-1, 3, -1, -1)
        out[s:s + chunk] = part
    return out.mul_(2.0).sub_(1.0)
