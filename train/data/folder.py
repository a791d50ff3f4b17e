"""A folder of PNG/JPEG (also BMP/WebP) images.

Layouts:
* images directly in the folder -> unlabelled;
* one subfolder per class (images anywhere below it) -> labels from the subfolder names,
  sorted; a single subfolder (e.g. ``celeba/img_align_celeba/``) is read as unlabelled.
A folder that mixes loose images with class subfolders is refused (ambiguous).

Every image is centre-cropped to a square and resized (PIL bilinear, antialiased) to
``image_size`` (default 64). ``channels``: 3 = RGB, 1 = grayscale; default 1 when every
image is grayscale, else 3. Transparent pixels are composited onto black.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gan_models.errors import DatasetError

from .base import ArrayDataset, subset_indices, to_grayscale

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
DEFAULT_SIZE = 64
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def _visible(name: str) -> bool:
    return not name.startswith(".") and name != "__MACOSX"


def is_image_file(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_EXTS and _visible(p.name) and p.is_file()


def scan(folder: Path) -> tuple[list[Path], list[int] | None, list[str]]:
    """-> (files, labels or None, class names). Empty files list when nothing found."""
    loose = sorted(p for p in folder.iterdir() if is_image_file(p))
    classes = []
    for d in sorted((p for p in folder.iterdir() if p.is_dir() and _visible(p.name)), key=lambda p: p.name):
        files = sorted(p for p in d.rglob("*") if is_image_file(p)
                       and all(_visible(q) for q in p.relative_to(d).parts))
        if files:
            classes.append((d.name, files))
    if loose and classes:
        raise DatasetError(
            f"{folder}: holds both loose images ({loose[0].name}, ...) and subfolders of images "
            f"({', '.join(c for c, _ in classes[:3])}); put every image in a class subfolder, "
            f"or keep only loose images")
    if loose:
        return loose, None, []
    if len(classes) == 1:
        return classes[0][1], None, []
    files, labels = [], []
    for i, (_, fs) in enumerate(classes):
        files += fs
        labels += [i] * len(fs)
    return files, (labels if classes else None), [c for c, _ in classes]


def _load_one(path: Path, size: int):
    from PIL import Image, ImageOps
    try:
        with Image.open(path) as im:
            if im.format == "JPEG":
                im.draft("RGB", (size, size))
            im = ImageOps.exif_transpose(im)
            gray = im.mode in _GRAY_MODES
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                im = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
                im.alpha_composite(rgba)
            im = im.convert("RGB")
            w, h = im.size
            s = min(w, h)
            left, top = (w - s) // 2, (h - s) // 2
            im = im.resize((size, size), Image.Resampling.BILINEAR, box=(left, top, left + s, top + s))
            return np.asarray(im, dtype=np.uint8), gray
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise DatasetError(f"{path}: not a readable image ({e})") from e


def load_folder(folder: Path, *, image_size=None, channels=None, n=None, seed=0) -> ArrayDataset:
    files, labels, class_names = scan(folder)
    if not files:
        raise DatasetError(f"{folder}: no PNG/JPEG images found")
    keep = subset_indices(len(files), n, seed)
    if keep is not None:
        files = [files[i] for i in keep]
        labels = [labels[i] for i in keep] if labels is not None else None
    size = int(image_size or DEFAULT_SIZE)
    buf = np.empty((len(files), size, size, 3), dtype=np.uint8)
    all_gray = True
    for i, p in enumerate(files):
        buf[i], gray = _load_one(p, size)
        all_gray &= gray
    out_c = channels or (1 if all_gray else 3)
    x = torch.from_numpy(buf).permute(0, 3, 1, 2)                      # (N, 3, S, S) uint8
    if out_c == 1:
        x = to_grayscale(x.float())
    else:
        x = x.to(torch.float32, memory_format=torch.contiguous_format)
    x = x.div_(127.5).sub_(1.0)
    lab = torch.tensor(labels, dtype=torch.long) if labels is not None else None
    return ArrayDataset(folder.name or "images", x, lab, class_names=class_names,
                        source=str(folder), extra={"format": "image-folder"})
