"""Turning user choices (seed, latents, label, codes) into generator outputs, headless.

Used by `gan-explorer sample` and by anything else that renders a loaded checkpoint.
"""
from __future__ import annotations

import math
import os

import numpy as np
import torch

from .base import CodeLayout
from .errors import GanExplorerError
from .latent import sample_z

CODE_MAX = 100.0      # continuous codes: the app's sliders go to +-2; far past that is overflow, not art


def parse_label(label: str | int | None, class_names: list[str], num_classes: int) -> int | None:
    """A class index or a class name -> index; None when the model is unconditional."""
    if label is None:
        return None
    if num_classes == 0:
        raise GanExplorerError("--label: this model is not conditional (it has no class labels)")
    s = str(label)
    if s in class_names and not s.lstrip("-").isdigit():
        return class_names.index(s)
    try:
        i = int(s)
    except ValueError:
        raise GanExplorerError(f"--label {s!r}: expected a class index 0..{num_classes - 1} or one of "
                               f"{', '.join(class_names)}") from None
    if not 0 <= i < num_classes:
        raise GanExplorerError(f"--label {i}: out of range; this model has classes 0..{num_classes - 1}")
    return i


def parse_codes(layout: CodeLayout, items: list[str] | None, batch: int) -> torch.Tensor | None:
    """["cat1=3", "cont2=-1.5"] -> (batch, layout.dim) code vectors; unset codes default to 0."""
    if not layout:
        if items:
            raise GanExplorerError("--code: this model has no InfoGAN codes")
        return None
    names = layout.names()
    n_cat = len(layout.categorical)
    cat = torch.zeros(batch, n_cat, dtype=torch.long)
    cont = torch.zeros(batch, layout.continuous)
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or name not in names:
            raise GanExplorerError(f"--code {item!r}: expected NAME=VALUE with NAME one of {', '.join(names)}")
        i = names.index(name)
        try:
            if i < n_cat:
                v = int(value)
                if not 0 <= v < layout.categorical[i]:
                    raise ValueError
                cat[:, i] = v
            else:
                v = float(value)
                if not (math.isfinite(v) and abs(v) <= CODE_MAX):
                    raise ValueError
                cont[:, i - n_cat] = v
        except ValueError:
            expected = (f"an integer 0..{layout.categorical[i] - 1}" if i < n_cat
                        else f"a finite number in [-{CODE_MAX:g}, {CODE_MAX:g}]")
            raise GanExplorerError(f"--code {item!r}: {name} must be {expected}") from None
    return layout.encode(cat, cont, batch)


def load_latents(path, z_dim: int, max_n: int = 100_000) -> torch.Tensor:
    """An (N, z_dim) .npy array of latents, N <= max_n, validated. The header is read first,
    so a file that claims a huge shape is refused before anything is allocated."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read(f)                                     # the header only
    except (OSError, ValueError, SyntaxError) as e:
        raise GanExplorerError(f"--z {path}: not a readable .npy array ({e})") from None
    if len(shape) != 2 or shape[1] != z_dim or not np.issubdtype(dtype, np.number):
        raise GanExplorerError(f"--z {path}: expected a numeric (N, {z_dim}) array, got {dtype} {shape}")
    if not 1 <= shape[0] <= max_n:
        raise GanExplorerError(f"--z {path}: holds {shape[0]} latents; expected 1 to {max_n}")
    if os.path.getsize(path) < shape[0] * shape[1] * dtype.itemsize:
        raise GanExplorerError(f"--z {path}: the file is shorter than its header says (truncated)")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise GanExplorerError(f"--z {path}: not a readable .npy array ({e})") from None
    if arr.ndim != 2 or arr.shape[1] != z_dim or not np.issubdtype(arr.dtype, np.number):
        raise GanExplorerError(f"--z {path}: expected a numeric (N, {z_dim}) array, got {arr.dtype} {arr.shape}")
    if not np.isfinite(arr).all():
        raise GanExplorerError(f"--z {path}: contains NaN or infinite values")
    return torch.from_numpy(arr.astype(np.float32))


@torch.no_grad()
def iter_render(generator, z: torch.Tensor, label: int | torch.Tensor | None = None,
                codes: torch.Tensor | None = None, batch: int = 256):
    """Generator outputs for latents z, one chunk of at most `batch` at a time (CPU float)."""
    dev = next(generator.parameters()).device
    for i in range(0, z.shape[0], batch):
        zi = z[i:i + batch].to(dev)
        li = label[i:i + batch].to(dev) if torch.is_tensor(label) else label
        ci = codes[i:i + batch].to(dev) if codes is not None else None
        yield generator.generate(zi, li, ci).float().cpu()


def render(generator, z: torch.Tensor, label: int | torch.Tensor | None = None,
           codes: torch.Tensor | None = None, batch: int = 256) -> torch.Tensor:
    """Generator outputs for latents z in chunks (keeps the model's working memory flat)."""
    return torch.cat(list(iter_render(generator, z, label, codes, batch)))


def spread_conditions(generator, n: int) -> tuple[torch.Tensor | None, torch.Tensor | None, int | None]:
    """Labels or codes that show everything a conditional model can draw: sample i gets class
    i % K (a CGAN) or first category i % k (an InfoGAN; other codes 0), so a grid K wide has one
    class per column, as the training sample grids do. -> (labels (n,) or None, codes
    (n, code_dim) or None, K or None for an unconditional model)."""
    k = generator.num_classes
    layout = generator.code_layout
    if k:
        return torch.arange(n) % k, None, k                                       # (n,)
    if layout and layout.categorical:
        cat = torch.zeros(n, len(layout.categorical), dtype=torch.long)
        cat[:, 0] = torch.arange(n) % layout.categorical[0]
        codes = layout.encode(cat, torch.zeros(n, layout.continuous), n)          # (n, code_dim)
        return None, codes, layout.categorical[0]
    return None, None, None


def seeded_latents(generator, n: int, seed: int, truncation: float | None = None) -> torch.Tensor:
    return sample_z(n, generator.z_dim, seed, generator.z_dist, truncation)
