"""Every data set behind one call: ``load_dataset(name_or_path, ...)``.

Built-in names (no files, no downloads):
  ``digits``  procedurally drawn handwritten digits, 28x28 gray, labels 0-9 and the
              ground-truth factors slant/width/thickness/rotation (default n=60,000)
  ``shapes``  procedural colour sprites, 64x64 RGB, labels = shape (square, circle,
              triangle, cross) and the factors hue/x/y/scale/rotation; streamed: each
              batch is drawn when needed (default n=60,000; shapes.py); ``shapes:mono``: the
              same shapes in one colour (fewer nuisance factors, for InfoGAN)
  ``faces``   procedural cartoon faces, 64x64 RGB, labels = glasses x smile and every
              attribute as a factor; ``faces:hair_style`` or ``faces:glasses*smile`` picks the
              label (one attribute or a product of two); streamed (faces.py)
  ``ring8``, ``grid25``, ``gauss1d``  Gaussian mixtures with an exact density (toys.py)

Paths (the format is detected; GAN Explorer never downloads anything):
  * a folder (or file) of MNIST-family IDX files, raw or .gz  (idx.py)
  * a CIFAR-10 / CIFAR-100 python-batches folder              (cifar.py)
  * a folder of PNG/JPEG images, optionally one subfolder per class  (folder.py)
If the folder itself holds none of these, its subfolders (two levels down) are searched
for IDX or CIFAR files, so ``data/`` holding ``MNIST/raw/`` or ``cifar-10-batches-py/``
works too.

``image_size`` / ``channels`` resize / convert images to the model's resolution
(None = native; image folders default to 64; ignored by the toys). ``sizes`` (the trainer
passes 28, 32, 64): without ``image_size``, user images of any other size are padded or
resized to the nearest of these (the rule and its record in describe(): sizes.py).
``n`` keeps a seeded random subset of a file data set (or the number of digits to draw,
or the nominal epoch size of a toy).
Images come back as float32 (N, C, H, W) in [-1, 1]. Every data set is deterministic
from its seed. Every failure a user can cause raises ``DatasetError``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

from gan_models.errors import DatasetError

from .base import ArrayDataset, check_options, conform
from .toys import TOYS, ToyDataset, make_toy

Dataset = Union[ArrayDataset, ToyDataset]

BUILTIN = ("digits", "shapes", "faces") + TOYS
# what each built-in holds, for callers that check a choice without loading it (the Train tab);
# tests/train/test_data.py checks both against the loaded data sets
BUILTIN_SHAPES = {"digits": (1, 28, 28), "shapes": (3, 64, 64), "faces": (3, 64, 64), "ring8": (2,), "grid25": (2,), "gauss1d": (1,)}
LABELLED = ("digits", "shapes", "faces")
DIGITS_DEFAULT_N = 60000

WHERE_TO_GET = (
    "GAN Explorer never downloads data; get it yourself, e.g. "
    "MNIST: http://yann.lecun.com/exdb/mnist/ (train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz); Fashion-MNIST: https://github.com/zalandoresearch/fashion-mnist; "
    "CIFAR-10: https://www.cs.toronto.edu/~kriz/cifar.html (CIFAR-10 python version, unpacked)"
)
EXPECTED = ("expected MNIST IDX files such as train-images-idx3-ubyte.gz, "
            "CIFAR-10 data_batch_1..5, or PNG/JPEG images (optionally one subfolder per class)")

__all__ = ["load_dataset", "list_builtin", "ArrayDataset", "ToyDataset", "Dataset",
           "DatasetError", "detect_format"]


def list_builtin() -> list[str]:
    return list(BUILTIN)


def builtin_choices() -> list[str]:
    """The names a data-set chooser offers: every built-in, each followed by its variants
    (shapes:mono; faces:ATTRIBUTE labels are typed, not listed)."""
    from .shapes import VARIANTS
    names = list(BUILTIN)
    at = names.index("shapes") + 1
    names[at:at] = [f"shapes:{v}" for v in VARIANTS]
    return names


def builtin_family(name: str) -> str | None:
    """The built-in data set a name selects ("shapes:mono" -> "shapes", "faces:hair_style" ->
    "faces", "ring8" -> "ring8"), without drawing it; None for anything else (a path, a typo, an
    unknown variant or label)."""
    key = str(name).strip().lower()
    if key in BUILTIN:
        return key
    family, _, spec = key.partition(":")
    try:
        if family == "shapes":
            from .shapes import ranges
            ranges(spec.strip())
        elif family == "faces":
            from .faces import parse_label
            parse_label(spec)
        else:
            return None
    except DatasetError:
        return None
    return family


def in_memory(dataset, n: int):
    """The data set as one in memory: a streamed one (shapes, faces) renders its first n images once
    (``take``); an in-memory one is returned as it is."""
    if getattr(dataset, "x", None) is None and hasattr(dataset, "take"):
        return dataset.take(min(n, len(dataset)))
    return dataset


def load_dataset(name_or_path: str | os.PathLike, *, image_size: int | None = None,
                 channels: int | None = None, n: int | None = None, seed: int = 0,
                 sizes: tuple[int, ...] | None = None) -> Dataset:
    check_options(image_size, channels)
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n <= 0):
        raise DatasetError(f"n: expected a positive number of samples, got {n!r}")
    key = str(name_or_path).strip()
    if key.lower() in BUILTIN:     # a folder with such a name: pass it as ./digits
        return _builtin(key.lower(), image_size=image_size, channels=channels, n=n, seed=seed)
    if key.lower().startswith("faces:"):          # faces with another attribute as the label
        return _faces(key[6:], image_size=image_size, channels=channels, n=n, seed=seed)
    if key.lower().startswith("shapes:"):         # shapes with fewer nuisance factors (shapes.VARIANTS)
        return _shapes(key[7:].strip().lower(), image_size=image_size, channels=channels, n=n, seed=seed)
    path = Path(os.path.expanduser(key))
    if not key or not path.exists():
        raise DatasetError(
            f"'{key}' is neither a built-in data set ({', '.join(BUILTIN)}) nor an existing "
            f"file or folder. For your own data give a folder: {EXPECTED}. {WHERE_TO_GET}")
    fmt, where = detect_format(path)
    kwargs = dict(image_size=image_size, channels=channels, n=n, seed=seed, sizes=sizes)
    if fmt == "idx":
        from .idx import load_idx
        return load_idx(where, **kwargs)
    if fmt == "cifar":
        from .cifar import load_cifar
        return load_cifar(where, **kwargs)
    from .folder import load_folder
    return load_folder(where, **kwargs)


def detect_format(path: Path) -> tuple[str, Path]:
    """-> ('idx' | 'cifar' | 'images', the file or folder to read); DatasetError if none."""
    from . import cifar, folder, idx
    path = Path(path)
    if path.is_file():
        if idx.is_idx_images(path):
            return "idx", path
        if path.name.startswith(("data_batch_", "test_batch")):
            return "cifar", path
        raise DatasetError(f"{path}: not a data set file; {EXPECTED}. {WHERE_TO_GET}")
    if not path.is_dir():
        raise DatasetError(f"{path}: not a file or folder")
    try:
        if idx.image_files(path):
            return "idx", path
        if cifar.is_cifar_folder(path):
            return "cifar", path
        files, _, _ = folder.scan(path)
        if files:
            # a folder of images, unless its only "images" are inside IDX/CIFAR subfolders
            return "images", path
        found = _search_below(path, depth=2)
    except PermissionError as e:
        raise DatasetError(f"{path}: cannot read the folder ({e})") from e
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise DatasetError(f"{path}: holds several data sets "
                           f"({', '.join(str(p) for _, p in found)}); give the one to use")
    raise DatasetError(f"{path}: no data set found; {EXPECTED}. {WHERE_TO_GET}")


def _search_below(path: Path, depth: int) -> list[tuple[str, Path]]:
    from . import cifar, idx
    found = []
    if depth == 0:
        return found
    for sub in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if idx.image_files(sub):
            found.append(("idx", sub))
        elif cifar.is_cifar_folder(sub):
            found.append(("cifar", sub))
        else:
            found += _search_below(sub, depth - 1)
    return found


def _faces(label, *, image_size, channels, n, seed):
    from .faces import DEFAULT_N, SIZE, FacesDataset
    if image_size not in (None, SIZE) or channels not in (None, 3):
        raise DatasetError(f"faces: drawn at {SIZE}x{SIZE} RGB only (got image_size {image_size}, "
                           f"channels {channels})")
    return FacesDataset(n or DEFAULT_N, seed=seed, label=label)


def _shapes(variant, *, image_size, channels, n, seed):
    from .shapes import DEFAULT_N, SIZE, ShapesDataset
    if image_size not in (None, SIZE) or channels not in (None, 3):
        raise DatasetError(f"shapes: drawn at {SIZE}x{SIZE} RGB only (got image_size {image_size}, "
                           f"channels {channels}); use digits for 28x28 grey")
    return ShapesDataset(n or DEFAULT_N, seed=seed, variant=variant)


def _builtin(name: str, *, image_size, channels, n, seed) -> Dataset:
    if name == "faces":
        return _faces(None, image_size=image_size, channels=channels, n=n, seed=seed)
    if name == "shapes":
        return _shapes(None, image_size=image_size, channels=channels, n=n, seed=seed)
    if name == "digits":
        from .digits import FACTOR_DOC, make_digits
        count = n or DIGITS_DEFAULT_N
        from .sizes import check_data_bytes
        side = max(28, image_size or 28)
        check_data_bytes(count, (channels or 1) * side * side, "digits")    # before drawing them
        x, labels, factors, variant = make_digits(count, seed=seed)
        x = conform(x, image_size, channels)
        return ArrayDataset("digits", x, labels, class_names=[str(i) for i in range(10)],
                            factors=factors, source="builtin:digits",
                            extra={"format": "procedural", "seed": seed,
                                   "factor_doc": dict(FACTOR_DOC)})
    return make_toy(name, seed=seed, n=n)
