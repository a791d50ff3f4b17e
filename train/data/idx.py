"""MNIST-family IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST), raw or gzipped.

Format (big-endian): magic = 0x00 0x00 <type> <ndim>, then ndim uint32 sizes, then the
data. Images: magic 0x00000803 (ubyte, 3 dims: count, rows, cols); labels: 0x00000801.
EMNIST stores every image transposed; files whose name starts with ``emnist`` are
transposed back.
"""
from __future__ import annotations

import gzip
import math
import re
import zlib
from pathlib import Path

import numpy as np
import torch

from gan_models.errors import DatasetError

from .base import ArrayDataset, conform, subset_indices
from .sizes import MIN_SIDE, FitLog, check_data_bytes, check_pixels, target_size

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot")
_IMG_RE = re.compile(r"idx3[-_.]ubyte(\.gz)?$", re.IGNORECASE)


def is_idx_images(p: Path) -> bool:
    return p.is_file() and bool(_IMG_RE.search(p.name))


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if is_idx_images(p))


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def read_idx(path: Path, expect_magic: int, what: str) -> np.ndarray:
    """Parse one IDX file -> uint8 array of the header's shape; DatasetError names the
    file and the header field at fault. The header is read first: its dimensions are checked
    against the file (a raw file's size; a .gz is never inflated past what they describe) and
    against MAX_DATA_BYTES before the data is read."""
    try:
        with _open(path) as f:
            dims, head = _read_header(f, path, expect_magic, what)
            size = math.prod(dims) if dims else 0
            _check_dims(path, dims, size, what)
            if not path.name.lower().endswith(".gz"):
                have = path.stat().st_size - head
                if have != size:
                    _wrong_size(path, dims, size, have, what)
            raw = f.read(size)
            if len(raw) < size:
                _wrong_size(path, dims, size, len(raw), what)
            if f.read(1):
                _wrong_size(path, dims, size, size + 1, what, at_least=True)
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{path}: cannot read the file ({e}); re-download or unpack it") from e
    return np.frombuffer(raw, dtype=np.uint8).reshape(dims)


def _read_header(f, path: Path, expect_magic: int, what: str) -> tuple[list[int], int]:
    start = f.read(4)
    if len(start) < 4:
        raise DatasetError(f"{path}: header magic: file is only {len(start)} bytes, "
                           f"expected an IDX {what} file")
    magic = int.from_bytes(start, "big")
    if magic != expect_magic:
        raise DatasetError(f"{path}: header magic is 0x{magic:08x}, expected 0x{expect_magic:08x} "
                           f"(IDX {what}, unsigned bytes)")
    ndim = start[3]
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DatasetError(f"{path}: header dimensions: truncated header ({4 + len(sizes)} bytes, "
                           f"need {4 + 4 * ndim})")
    return [int.from_bytes(sizes[4 * i: 4 * i + 4], "big") for i in range(ndim)], 4 + 4 * ndim


def _check_dims(path: Path, dims: list[int], size: int, what: str) -> None:
    if what == "images" and len(dims) == 3:
        if min(dims[1], dims[2]) < MIN_SIDE:
            raise DatasetError(f"{path}: header rows/cols are {dims[1]}x{dims[2]}; expected images of "
                               f"at least {MIN_SIDE}x{MIN_SIDE} pixels")
        check_pixels(dims[1], dims[2], f"{path}: header rows/cols")
    # the whole file is read (--n-data picks from it afterwards): bound what it holds
    check_data_bytes(dims[0] if dims else 0, size // max(dims[0], 1) if dims else 0,
                     f"{path}: header dimensions", subset_helps=False)


def _wrong_size(path: Path, dims, size: int, have: int, what: str, at_least: bool = False):
    if have < size:
        raise DatasetError(f"{path}: truncated: header dimensions {dims} need {size} data bytes, "
                           f"file has {have}")
    raise DatasetError(f"{path}: header dimensions {dims} describe {size} data bytes but the "
                       f"file has {'more' if at_least else have}; not a valid IDX {what} file")


def labels_file_for(images: Path) -> Path | None:
    stem = images.name[:-3] if images.name.lower().endswith(".gz") else images.name
    name = re.sub("idx3", "idx1", re.sub("images", "labels", stem, flags=re.I), flags=re.I)
    for cand in (name, name + ".gz"):
        if (images.parent / cand).is_file():
            return images.parent / cand
    return None


def pick_images_file(folder: Path) -> Path:
    files = image_files(folder)
    if not files:
        raise DatasetError(f"{folder}: no IDX image file (*-images-idx3-ubyte[.gz])")
    # one logical set may be present both raw and gzipped: prefer raw (no unpacking)
    def key(p):
        return p.name[:-3].lower() if p.name.lower().endswith(".gz") else p.name.lower()
    sets: dict[str, Path] = {}
    for p in files:
        sets.setdefault(key(p), p)
        if not p.name.lower().endswith(".gz"):
            sets[key(p)] = p
    train = [p for k, p in sorted(sets.items()) if "train" in k]
    test = [p for k, p in sorted(sets.items()) if "t10k" in k or "test" in k]
    pool = train or test or list(sets.values())
    if len(pool) > 1:
        names = ", ".join(p.name for p in pool)
        raise DatasetError(f"{folder}: holds several IDX image sets ({names}); "
                           f"give the path of the one to use")
    return pool[0]


def load_idx(path: Path, *, image_size=None, channels=None, n=None, seed=0, sizes=None) -> ArrayDataset:
    images_path = path if path.is_file() else pick_images_file(path)
    imgs = read_idx(images_path, IMAGES_MAGIC, "images")
    if imgs.ndim != 3:
        raise DatasetError(f"{images_path}: header dimensions: {imgs.ndim} dims, "
                           f"expected 3 (count, rows, cols)")
    labels = None
    labels_path = labels_file_for(images_path)
    if labels_path is not None:
        lab = read_idx(labels_path, LABELS_MAGIC, "labels")
        if lab.ndim != 1:
            raise DatasetError(f"{labels_path}: header dimensions: {lab.ndim} dims, expected 1")
        if len(lab) != len(imgs):
            raise DatasetError(f"{labels_path}: header count is {len(lab)} labels but "
                               f"{images_path.name} holds {len(imgs)} images")
        labels = lab
    if len(imgs) == 0:
        raise DatasetError(f"{images_path}: header count is 0 images")
    keep = subset_indices(len(imgs), n, seed)
    if keep is not None:
        imgs = imgs[keep]
        labels = labels[keep] if labels is not None else None
    if images_path.name.lower().startswith("emnist"):
        imgs = imgs.transpose(0, 2, 1)
    x = torch.tensor(imgs).unsqueeze(1).float().div_(255.0)       # copies (buffer is read-only)
    size = target_size(image_size, [max(imgs.shape[1:])], sizes)
    log = FitLog(size) if size else None
    x = conform(x, size, channels, log=log)
    lab_t, class_names = None, None
    if labels is not None:
        lab_t = torch.from_numpy(labels.astype(np.int64))
        k = max(10, int(labels.max()) + 1)
        class_names = [str(i) for i in range(k)]
        if k == 10 and any("fashion" in part.lower() for part in images_path.parts):
            class_names = list(FASHION_NAMES)
    name = images_path.parent.name if path.is_dir() else images_path.name
    return ArrayDataset(name or "idx", x, lab_t, class_names=class_names, source=str(path),
                        extra={"format": "idx", "images_file": str(images_path),
                               "labels_file": str(labels_path) if labels_path else None,
                               **(log.record() if log else {})})
