"""A folder of PNG/JPEG (also BMP/WebP) images.

Layouts:
* images directly in the folder -> unlabelled;
* one subfolder per class (images anywhere below it) -> labels from the subfolder names,
  sorted; a single subfolder (e.g. ``celeba/img_align_celeba/``) is read as unlabelled.
A folder that mixes loose images with class subfolders is refused (ambiguous).

Images may have any size, mixed in one folder. Each is brought to one common size by the
rule in sizes.py: padded to a square (nothing is cut off), then padded or resized
(antialiased) to ``image_size``; without it, to the size ``sizes`` picks for the median
image (the trainer passes 28, 32, 64), else 64. ``channels``: 3 = RGB, 1 = grayscale;
default 1 when every image is grayscale, else 3. Transparent pixels are composited onto
black. A file that is not a readable image, or is under 4x4 pixels, is refused by name.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gan_models.errors import DatasetError, in_words

from .base import ArrayDataset, subset_indices, to_grayscale
from .sizes import (FitLog, check_data_bytes, check_pixels, check_side, fit_images, how, pil_image, target_size,
                    too_large)

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


_EXIF_ORIENTATION = 0x0112
_SWAPS_SIDES = (5, 6, 7, 8)        # EXIF orientations that turn the image by 90 degrees
_PRESCAN = 256                     # images whose header sizes pick the common size


def _bad(path: Path, e: Exception) -> DatasetError:
    if type(e).__name__ == "DecompressionBombError":
        return DatasetError(too_large(str(path), e))
    return DatasetError(f"{path}: not a readable image ({in_words(e)}); expected a PNG/JPEG/BMP/WebP image")


def _native_size(im) -> tuple[int, int]:
    """(h, w) as shown, after the EXIF orientation; read from the header only."""
    w, h = im.size
    if im.getexif().get(_EXIF_ORIENTATION) in _SWAPS_SIDES:
        w, h = h, w
    return h, w


def _header_side(path: Path) -> int:
    Image = pil_image()
    try:
        with Image.open(path) as im:
            h, w = _native_size(im)
            check_pixels(h, w, str(path))
            return max(h, w)
    except (DatasetError, MemoryError):
        raise
    except Exception as e:      # PIL raises SyntaxError, EOFError, struct.error... on damaged files
        raise _bad(path, e) from e


def _load_one(path: Path, size: int):
    """-> ((size, size, 3) uint8, is grayscale, native (h, w), how it was fitted)."""
    from PIL import ImageOps
    Image = pil_image()
    try:
        with Image.open(path) as im:
            h, w = _native_size(im)
            check_side(h, w, str(path))
            check_pixels(h, w, str(path))                # from the header, before decoding
            if im.format == "JPEG":
                im.draft("RGB", (size, size))     # decode at >= size (JPEG DCT scaling): much faster
            im = ImageOps.exif_transpose(im)
            gray = im.mode in _GRAY_MODES
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                im = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
                im.alpha_composite(rgba)
            arr = np.array(im.convert("RGB"), dtype=np.uint8)         # writable copy
    except (DatasetError, MemoryError):
        raise
    except Exception as e:      # PIL raises SyntaxError, EOFError, struct.error... on damaged files
        raise _bad(path, e) from e
    t = torch.from_numpy(arr).permute(2, 0, 1)[None].float().div_(255.0)   # (1, 3, h', w')
    t, _ = fit_images(t, size)                                           # (1, 3, size, size)
    out = t[0].mul_(255.0).round_().to(torch.uint8).permute(1, 2, 0)     # (size, size, 3)
    return out.numpy(), gray, (h, w), how(h, w, size)


def load_folder(folder: Path, *, image_size=None, channels=None, n=None, seed=0,
                sizes=None) -> ArrayDataset:
    files, labels, class_names = scan(folder)
    if not files:
        raise DatasetError(f"{folder}: no PNG/JPEG images found")
    keep = subset_indices(len(files), n, seed)
    if keep is not None:
        files = [files[i] for i in keep]
        labels = [labels[i] for i in keep] if labels is not None else None
    sides = [_header_side(p) for p in files[::max(1, len(files) // _PRESCAN)]] if sizes and not image_size else []
    size = target_size(image_size, sides, sizes) or DEFAULT_SIZE
    log = FitLog(size)
    check_data_bytes(len(files), 3 * size * size, str(folder))
    buf = np.empty((len(files), size, size, 3), dtype=np.uint8)
    all_gray = True
    for i, p in enumerate(files):
        buf[i], gray, (h, w), mode = _load_one(p, size)
        log.add(h, w, mode)
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
                        source=str(folder), extra={"format": "image-folder", **log.record()})
