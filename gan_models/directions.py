"""Latent directions: the principal ways G's output varies, pulled back to z.

GANSpace-style (Härkönen et al. 2020), on the output instead of an inner layer: draw n
latents from the prior (labels and codes as in training), take the principal components of
the n generated samples, and regress z on each sample's component scores. The regression
weights of component i, normalised, are a unit direction u_i in z along which G's output
moves mostly along that component: z + t * u_i edits one "factor" (for digits: stroke
thickness, slant, width...). Unsupervised: nothing names the factors; the grid shows them.
Pure torch, no Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .latent import prior_inputs


@dataclass
class Directions:
    vectors: torch.Tensor      # (k, z_dim) unit directions in z, ordered by explained variance
    explained: torch.Tensor    # (k,) fraction of the output's variance on each component
    z_std: torch.Tensor        # (k,) std of the prior's z along each direction (the step unit)
    n: int                     # samples it was computed from


@torch.inference_mode()
def principal_directions(generator, k: int = 8, n: int = 2000, seed: int = 0, batch: int = 250) -> Directions:
    """The top-k output principal components of `generator` as unit directions in z."""
    if k < 1 or n < 2 * k:
        raise ValueError(f"need k >= 1 and n >= 2k samples (k={k}, n={n})")
    dev = next(generator.parameters()).device
    z, labels, codes, _, _ = prior_inputs(generator, n, seed)
    label = None if labels is None else torch.nn.functional.one_hot(labels, generator.num_classes).float()
    outs = []
    for s in range(0, n, batch):
        sl = slice(s, s + batch)
        g_in = generator.build_input(z[sl].to(dev), None if label is None else label[sl].to(dev),
                                     None if codes is None else codes[sl].to(dev))
        outs.append(generator(g_in).float().flatten(1).cpu())                # (b, D)
    x = torch.cat(outs)                                                       # (n, D)
    xc = x - x.mean(0)
    q = min(k + 8, *xc.shape)
    _, s, v = torch.pca_lowrank(xc, q=q, center=False, niter=4)              # v: (D, q)
    k = min(k, q, generator.z_dim)                                           # no more directions than z has dims
    total = xc.pow(2).sum().clamp_min(1e-12)
    explained = s[:k].pow(2) / total                                          # (k,)
    scores = xc @ v[:, :k]                                                    # (n, k)
    zc = z - z.mean(0)
    sc = scores - scores.mean(0)
    w = torch.linalg.lstsq(sc, zc).solution                                   # (k, z_dim): z ~ scores @ w
    vectors = w / w.norm(dim=1, keepdim=True).clamp_min(1e-12)
    z_std = (z @ vectors.T).std(0)                                            # (k,)
    return Directions(vectors.contiguous(), explained, z_std, n)
