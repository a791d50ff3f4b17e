"""Sample grids from one fixed z, written into the run folder as training goes.

Conditional and InfoGAN models get the papers' picture: one z per row, the label (or the
first categorical code) across the columns, so style stays and class changes.
"""
from __future__ import annotations

import numpy as np
import torch

from gan_models.atomic import atomic_path
from gan_models.images import make_grid, save_png, to_uint8
from gan_models.latent import sample_z


def fixed_inputs(G, n: int, seed: int) -> dict:
    """The fixed (z, label, codes) every sample grid of a run uses."""
    cols = G.num_classes or (G.code_layout.categorical[0] if G.code_layout.categorical else 0)
    if cols:
        rows = max(1, n // cols)
        z = sample_z(rows, G.z_dim, seed + 7919, G.z_dist).repeat_interleave(cols, 0)   # (rows*cols, z)
        col = torch.arange(cols).repeat(rows)
    else:
        z, col = sample_z(n, G.z_dim, seed + 7919, G.z_dist), None
    label = col if G.num_classes else None
    codes = None
    if G.code_layout:
        b = z.shape[0]
        cat = torch.zeros(b, len(G.code_layout.categorical), dtype=torch.long)
        if col is not None:
            cat[:, 0] = col
        codes = G.code_layout.encode(cat, torch.zeros(b, G.code_layout.continuous), b)
    return {"z": z, "label": label, "codes": codes, "ncol": cols or None}


@torch.no_grad()
def render_fixed(G, fixed: dict, device) -> torch.Tensor:
    z = fixed["z"].to(device)
    label = fixed["label"].to(device) if fixed["label"] is not None else None
    codes = fixed["codes"].to(device) if fixed["codes"] is not None else None
    return G.generate(z, label, codes).float().cpu()


def scatter_image(points: np.ndarray, real: np.ndarray | None, size: int = 256, extent: float | None = None) -> np.ndarray:
    """(N, 2) or (N, 1) points -> (size, size, 3) uint8 scatter: real grey, generated orange."""
    pts = [p for p in (real, points) if p is not None]
    if points.shape[1] == 1:                         # 1D: plot as (x, small jitter) strip
        pts = [np.c_[p[:, 0], np.linspace(-0.5, 0.5, len(p))] for p in pts]
    lim = extent or max(1e-3, float(np.abs(np.concatenate(pts)).max()) * 1.1)
    img = np.full((size, size, 3), 255, np.uint8)
    colours = ([(150, 150, 150)] if real is not None else []) + [(230, 110, 20)]
    for p, c in zip(pts, colours):
        ij = np.clip(((p / lim + 1) / 2 * (size - 1)).round().astype(int), 0, size - 1)
        for dy in (0, 1):
            for dx in (0, 1):
                img[np.clip(size - 1 - ij[:, 1] - dy, 0, size - 1), np.clip(ij[:, 0] + dx, 0, size - 1)] = c
    return img


def write_sample(run, step: int, G, fixed: dict, dataset, device) -> None:
    x = render_fixed(G, fixed, device)
    if G.is_image:
        grid = make_grid(to_uint8(x, tuple(dataset.value_range)), fixed["ncol"])
        save_png(run.sample_path(step), grid, {"step": step}, scale=2 if grid.shape[0] < 300 else 1)
    else:
        gen = torch.Generator().manual_seed(0)
        real = dataset.sample_batch(len(x), gen)[0].numpy()
        save_png(run.sample_path(step), scatter_image(x.numpy(), real), {"step": step})
        with atomic_path(run.sample_path(step, "npy")) as tmp, open(tmp, "wb") as f:
            np.save(f, x.numpy())
