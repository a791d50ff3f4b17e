"""CIFAR-10 (and CIFAR-100) "python version" folders, read without running pickled code.

CIFAR-10 (``cifar-10-batches-py``): ``data_batch_1`` .. ``data_batch_5`` (and
``test_batch``), each a pickled dict with b'data' (N, 3072) uint8 (R, G, B planes of
32x32) and b'labels'; ``batches.meta`` has b'label_names'. The training batches are used;
only ``test_batch`` is used when there are none. CIFAR-100 (``cifar-100-python``):
``train`` / ``test`` with b'fine_labels' and ``meta`` with b'fine_label_names'.
Batches in the same layout at another size are read too: b'data' (N, 3*S*S) holds SxS RGB
planes, or an (N, C, H, W) / (N, H, W, C) uint8 array with C = 1 or 3; sizes.py brings
them to the model's size.

The files are pickles, and unpickling can run arbitrary code. They are read with
``SafeUnpickler``, which only lets through what a CIFAR batch contains (dicts, lists,
bytes, str, numbers and numpy arrays); any other global raises DatasetError before
anything is called.
"""
from __future__ import annotations

import io
import math
import pickle
import re
from pathlib import Path

import numpy as np
import torch

from gan_models.errors import DatasetError, in_words

from .base import ArrayDataset, conform, subset_indices
from .sizes import FitLog, check_data_bytes, check_pixels, check_side, target_size

MAX_BATCH_BYTES = 2 * 2**30      # one batch file; CIFAR-10's are 30 MiB, CIFAR-100's train 150 MiB
MAX_CLASSES = 10_000             # what a model's config allows (ModelConfig.num_classes)
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                 "ship", "truck"]

_ALLOWED = {
    ("builtins", "dict"), ("builtins", "list"), ("builtins", "tuple"), ("builtins", "bytes"),
    ("builtins", "bytearray"), ("builtins", "str"), ("builtins", "int"), ("builtins", "float"),
    ("__builtin__", "dict"), ("__builtin__", "list"), ("__builtin__", "tuple"),
    ("__builtin__", "str"), ("__builtin__", "int"), ("__builtin__", "float"),
    ("__builtin__", "unicode"), ("__builtin__", "long"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),   # how Python 3 writes bytes in protocol-2 pickles
}


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals a CIFAR batch needs."""

    def __init__(self, file, path: Path):
        super().__init__(file, encoding="bytes")
        self._path = path

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            if module == "__builtin__":
                module = "builtins"
                name = {"unicode": "str", "long": "int"}.get(name, name)
            if module == "builtins" and name in ("bytes", "bytearray"):
                return self._sized(name)
            if module.startswith("numpy.core."):
                module = "numpy._core." + module[len("numpy.core."):] \
                    if hasattr(np, "_core") else module
            return super().find_class(module, name)
        raise DatasetError(f"{self._path}: refused to load: the pickle asks for {module}.{name}, "
                           f"which a CIFAR batch never contains (the file may be malicious)")

    def _sized(self, name: str):
        """bytes / bytearray, but never bytes(N) for a number N: that is how a few bytes of
        pickle ask for gigabytes of zeros (a CIFAR batch only ever holds bytes it contains)."""
        cls = bytes if name == "bytes" else bytearray

        def make(*args):
            if args and isinstance(args[0], int):
                raise DatasetError(f"{self._path}: refused to load: the pickle asks for {name}({args[0]}), "
                                   "an allocation a CIFAR batch never contains (the file may be malicious)")
            return cls(*args)
        return make

    def persistent_load(self, pid):
        raise DatasetError(f"{self._path}: refused to load: the pickle uses persistent ids")


def safe_load(path: Path):
    try:
        size = path.stat().st_size
        if size > MAX_BATCH_BYTES:
            raise DatasetError(f"{path}: {size / 2**30:.1f} GiB; a CIFAR python batch is at most "
                               f"{MAX_BATCH_BYTES / 2**30:.0f} GiB (CIFAR-10's are 30 MiB)")
        raw = path.read_bytes()
    except OSError as e:
        raise DatasetError(f"{path}: cannot read the file ({e})") from e
    try:
        return SafeUnpickler(io.BytesIO(raw), path).load()
    except DatasetError:
        raise
    except MemoryError:
        raise
    except Exception as e:   # truncated / not a pickle / wrong structure
        raise DatasetError(f"{path}: not a readable CIFAR python batch ({in_words(e)})") from e


def _get(d: dict, key: str):
    if key.encode() in d:
        return d[key.encode()]
    return d.get(key)


def _batch_files(folder: Path) -> tuple[list[Path], str]:
    def num(p):
        m = re.search(r"(\d+)$", p.name)
        return int(m.group(1)) if m else 0
    train = sorted((p for p in folder.glob("data_batch_*") if p.is_file()), key=num)
    if train:
        return train, "cifar10"
    if (folder / "test_batch").is_file():
        return [folder / "test_batch"], "cifar10"
    for name in ("train", "test"):
        if (folder / name).is_file() and (folder / "meta").is_file():
            return [folder / name], "cifar100"
    return [], ""


def is_cifar_folder(folder: Path) -> bool:
    return bool(_batch_files(folder)[0])


def _as_images(data, path: Path) -> np.ndarray:
    """b'data' -> uint8 (N, C, H, W); DatasetError saying the layouts understood."""
    if isinstance(data, np.ndarray) and data.dtype == np.uint8:
        if data.ndim == 2:
            s = math.isqrt(data.shape[1] // 3)
            if s and 3 * s * s == data.shape[1]:
                data = data.reshape(-1, 3, s, s)                  # (N, 3, S, S) RGB planes
        elif data.ndim == 4 and data.shape[1] not in (1, 3) and data.shape[3] in (1, 3):
            data = data.transpose(0, 3, 1, 2)                     # (N, H, W, C) -> (N, C, H, W)
        if data.ndim == 4 and data.shape[1] in (1, 3):
            if len(data) == 0:
                raise DatasetError(f"{path}: field 'data' holds no images (an empty batch)")
            check_side(data.shape[2], data.shape[3], f"{path}: field 'data'")
            check_pixels(data.shape[2], data.shape[3], f"{path}: field 'data'")
            return data
    shape = getattr(data, "shape", None)
    raise DatasetError(f"{path}: field 'data' must be a uint8 array of shape (N, 3072) (32x32 RGB "
                       f"planes; (N, 3*S*S) for SxS) or (N, C, H, W) / (N, H, W, C) with C = 1 or 3, "
                       f"got {type(data).__name__} {getattr(data, 'dtype', '')} {shape}")


def _read_batch(path: Path, label_key: str):
    d = safe_load(path)
    if not isinstance(d, dict):
        raise DatasetError(f"{path}: expected a pickled dict with b'data' and b'labels', "
                           f"got {type(d).__name__}")
    data = _get(d, "data")
    labels = _get(d, label_key)
    data = _as_images(data, path)
    if labels is None:
        raise DatasetError(f"{path}: field '{label_key}' is missing")
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(data) or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{path}: field '{label_key}' must hold {len(data)} integer labels, "
                           f"got {labels.dtype} {labels.shape}")
    return data, labels.astype(np.int64)


def load_cifar(folder: Path, *, image_size=None, channels=None, n=None, seed=0,
               sizes=None) -> ArrayDataset:
    if folder.is_file():
        files, kind = [folder], ("cifar100" if folder.name in ("train", "test") else "cifar10")
        folder = folder.parent
    else:
        files, kind = _batch_files(folder)
    if not files:
        raise DatasetError(f"{folder}: no CIFAR-10 data_batch_1..5 or test_batch files")
    label_key = "fine_labels" if kind == "cifar100" else "labels"
    parts = [_read_batch(p, label_key) for p in files]
    for p, (d, _) in zip(files[1:], parts[1:]):
        if d.shape[1:] != parts[0][0].shape[1:]:
            raise DatasetError(f"{p}: images are {tuple(d.shape[1:])} (C, H, W) but {files[0].name}'s "
                               f"are {tuple(parts[0][0].shape[1:])}; expected one size in every batch")
    data = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    if labels.min() < 0:
        raise DatasetError(f"{files[0]}: field '{label_key}' holds negative labels")
    if labels.max() >= MAX_CLASSES:
        raise DatasetError(f"{files[0]}: field '{label_key}' holds label {int(labels.max())}; "
                           f"expected fewer than {MAX_CLASSES} classes")
    names = None
    meta_name, names_key = ("meta", "fine_label_names") if kind == "cifar100" else \
        ("batches.meta", "label_names")
    if (folder / meta_name).is_file():
        meta = safe_load(folder / meta_name)
        raw = _get(meta, names_key) if isinstance(meta, dict) else None
        if isinstance(raw, (list, tuple)):
            names = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in raw]
    k = int(labels.max()) + 1
    if not names or len(names) < k:
        names = CIFAR10_NAMES if kind == "cifar10" and k <= 10 else [str(i) for i in range(k)]
    keep = subset_indices(len(data), n, seed)
    if keep is not None:
        data, labels = data[keep], labels[keep]
    check_data_bytes(len(data), int(np.prod(data.shape[1:])), str(folder))
    x = torch.from_numpy(np.ascontiguousarray(data)).float().div_(255.0)     # (N, C, H, W)
    size = target_size(image_size, [max(x.shape[2:])], sizes)
    log = FitLog(size) if size else None
    x = conform(x, size, channels, log=log)
    return ArrayDataset(folder.name or kind, x, torch.from_numpy(labels), class_names=list(names),
                        source=str(folder),
                        extra={"format": kind, "files": [p.name for p in files],
                               **(log.record() if log else {})})
