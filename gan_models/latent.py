"""Latent operations: seeded sampling, truncation, interpolation, arithmetic, sweeps.

All functions are pure torch on CPU tensors. A seed maps to the same z on every run and
every machine: sampling uses its own `torch.Generator`, never the global RNG.
"""
from __future__ import annotations

from typing import Sequence

import torch


def sample_z(n: int, z_dim: int, seed: int = 0, dist: str = "normal",
             truncation: float | None = None) -> torch.Tensor:
    """(n, z_dim) latents for `seed`, drawn the way the model was trained.

    truncation (0 < psi <= 1) scales z toward the prior's mean, z * psi: the simple
    "truncation trick" trading variety for typicality (None or 1 means off).
    """
    gen = torch.Generator().manual_seed(int(seed))
    if dist == "normal":
        z = torch.randn(n, z_dim, generator=gen)
    elif dist == "uniform":
        z = torch.rand(n, z_dim, generator=gen) * 2 - 1
    else:
        raise ValueError(f"unknown z distribution {dist!r}; expected 'normal' or 'uniform'")
    return truncate(z, truncation)


def prior_inputs(spec, n: int, seed: int = 0, truncation: float | None = None, label: int | None = None):
    """n generator inputs for `seed`, drawn as in training: (z, labels, codes, cat, cont).

    spec: anything with z_dim, z_dist, num_classes and code_layout (a Generator, the explorer's
    ModelInfo). z comes from the seed's own stream (`sample_z`); class labels (n,) int64, uniform
    or all `label`, and code values come from a second stream (seed + 1), so a model with codes
    or labels draws the same z as one without. labels / codes / cat / cont are None where the
    model has no such input.
    """
    z = sample_z(n, spec.z_dim, seed, spec.z_dist, truncation)                 # (n, z_dim)
    gen = torch.Generator().manual_seed(int(seed) + 1)
    labels = cat = cont = codes = None
    if spec.num_classes:
        labels = (torch.full((n,), int(label), dtype=torch.long) if label is not None
                  else torch.randint(0, spec.num_classes, (n,), generator=gen))    # (n,)
    layout = spec.code_layout
    if layout:
        cat, cont = layout.sample(n, gen)
        codes = layout.encode(cat, cont, n)                                      # (n, code_dim)
    return z, labels, codes, cat, cont


def truncate(z, psi: float | None):
    """Pull z toward the prior's mean (0) by psi in (0, 1]; None or 1 leaves z unchanged.
    z is a tensor or a float32 numpy array (the explorer's latents); the same type comes back."""
    if psi is None or psi == 1:
        return z
    if not 0 < psi <= 1:
        raise ValueError(f"truncation must be in (0, 1], got {psi}")
    return z * psi


def lerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Straight-line interpolation; t is a float or a (T,) tensor (returns (T, dim))."""
    t = torch.as_tensor(t, dtype=a.dtype)
    if t.dim() == 0:
        return a + (b - a) * t
    return a[None] + (b - a)[None] * t[:, None]   # (T, dim)


def slerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Spherical interpolation (keeps a Gaussian latent's norm typical); falls back to lerp
    when a and b are (nearly) parallel."""
    t = torch.as_tensor(t, dtype=a.dtype)
    scalar = t.dim() == 0
    t = t.reshape(-1, 1)                                       # (T, 1)
    na, nb = a.norm(), b.norm()
    cos = torch.clamp((a @ b) / (na * nb + 1e-12), -1.0, 1.0)
    omega = torch.arccos(cos)
    so = torch.sin(omega)
    if so.abs() < 1e-6:
        out = a[None] + (b - a)[None] * t
    else:
        out = (torch.sin((1 - t) * omega) / so) * a[None] + (torch.sin(t * omega) / so) * b[None]
    return out[0] if scalar else out                           # (T, dim)


def interpolate(a: torch.Tensor, b: torch.Tensor, steps: int, mode: str = "lerp") -> torch.Tensor:
    """(steps, dim) path from a to b inclusive."""
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    t = torch.linspace(0, 1, steps)
    if mode == "lerp":
        return lerp(a, b, t)
    if mode == "slerp":
        return slerp(a, b, t)
    raise ValueError(f"unknown interpolation mode {mode!r}; expected 'lerp' or 'slerp'")


def interpolate_path(points: Sequence[torch.Tensor], steps_per_leg: int, mode: str = "lerp") -> torch.Tensor:
    """Through several latents in order: legs share their endpoints (no duplicates)."""
    if len(points) < 2:
        raise ValueError("a path needs at least 2 latents")
    legs = [interpolate(points[i], points[i + 1], steps_per_leg, mode) for i in range(len(points) - 1)]
    return torch.cat([legs[0]] + [leg[1:] for leg in legs[1:]])


def mean_latent(exemplars: Sequence[torch.Tensor] | torch.Tensor) -> torch.Tensor:
    """Mean of one or more exemplar latents (the DCGAN paper averages 3 per concept)."""
    x = torch.stack(list(exemplars)) if not torch.is_tensor(exemplars) else exemplars
    if x.dim() == 1:
        return x
    if x.shape[0] == 0:
        raise ValueError("a slot needs at least one latent")
    return x.mean(0)


def arithmetic(a, b, c) -> torch.Tensor:
    """mean(a) - mean(b) + mean(c): "smiling woman - neutral woman + neutral man"."""
    return mean_latent(a) - mean_latent(b) + mean_latent(c)


def neighbours(z: torch.Tensor, n: int, scale: float = 0.25, seed: int = 0) -> torch.Tensor:
    """(n, dim) small random perturbations of z, to show a result is not a fluke."""
    gen = torch.Generator().manual_seed(int(seed))
    return z[None] + scale * torch.randn(n, z.shape[-1], generator=gen)


def sweep_z_dim(z: torch.Tensor, dim: int, values) -> torch.Tensor:
    """(R, z_dim) rows x V values -> (R * V, z_dim) with z[:, dim] set to each value, row-major."""
    values = torch.as_tensor(values, dtype=z.dtype)
    out = z[:, None, :].repeat(1, len(values), 1)             # (R, V, z_dim)
    out[:, :, dim] = values[None, :]
    return out.reshape(-1, z.shape[1])


def sweep_codes(layout, rows: int, code: str, values, cat: torch.Tensor | None = None,
                cont: torch.Tensor | None = None) -> torch.Tensor:
    """Code vectors for a sweep grid: `rows` rows x len(values) columns, row-major.

    layout: a `CodeLayout`; code: a name from `layout.names()` ("cat1", "cont2", ...);
    values: category indices for a categorical code, floats for a continuous one.
    cat (n_cat,) / cont (n_cont,) give the other codes' fixed values (default 0).
    Returns (rows * V, layout.dim).
    """
    names = layout.names()
    if code not in names:
        raise ValueError(f"unknown code {code!r}; this model has {', '.join(names) or 'no codes'}")
    n_cat = len(layout.categorical)
    v = len(values)
    cat_b = (cat if cat is not None else torch.zeros(n_cat, dtype=torch.long)).long().repeat(rows * v, 1)
    cont_b = (cont if cont is not None else torch.zeros(layout.continuous)).float().repeat(rows * v, 1)
    i = names.index(code)
    col = torch.as_tensor(values).repeat(rows)                # (rows * V,)
    if i < n_cat:
        cat_b[:, i] = col.long()
    else:
        cont_b[:, i - n_cat] = col.float()
    return layout.encode(cat_b, cont_b, rows * v)
