"""The numbers behind the 2D/1D playground, with no Qt: D over a grid, G's gradient arrows,
a kernel density estimate of p_g, and the optimal discriminator D* = p_data / (p_data + p_g).

Everything returns numpy arrays, so a worker thread can compute a snapshot and hand it to the
UI thread without sharing any `nn.Module`.
"""
from __future__ import annotations

import math

import numpy as np
import torch


def _d_prob(D, x: torch.Tensor) -> torch.Tensor:
    """P(real) for each row of x (N, F). PacGAN D sees `pack` copies of the same point, so the
    map shows D's opinion of a pack made of that one point."""
    pack = int(getattr(D, "pack", 1) or 1)
    if pack > 1:
        x = x.repeat_interleave(pack, 0)                       # (N * pack, F)
    return torch.sigmoid(D(x).float().reshape(-1))             # (N,)


@torch.no_grad()
def d_heatmap(D, low, high, res: int = 64) -> np.ndarray:
    """D(x) on a res x res grid over [low, high] (2D) -> float32 (res, res), row 0 at y=low.

    low/high: (2,) per-axis bounds (e.g. `ToyDataset.bounds()`)."""
    xs = np.linspace(low[0], high[0], res, dtype=np.float32)
    ys = np.linspace(low[1], high[1], res, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)                               # (res, res) each, rows follow y
    pts = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))   # (res*res, 2)
    return _d_prob(D, pts).numpy().reshape(res, res).astype(np.float32)


@torch.no_grad()
def d_curve(D, xs: np.ndarray) -> np.ndarray:
    """1D: D(x) at the points xs (n,) -> float32 (n,)."""
    x = torch.from_numpy(np.asarray(xs, np.float32).reshape(-1, 1))
    return _d_prob(D, x).numpy().astype(np.float32)


def g_arrows(D, points: np.ndarray, g_loss: str = "nonsat") -> np.ndarray:
    """Direction G's loss pushes each generated point: -dL_G/dx at x = G(z), (N, D) float32.

    nonsat: L = -log D(x); minimax: L = log(1 - D(x)). Only D's gradient w.r.t. the point is
    taken (D's weights are not touched)."""
    x = torch.tensor(np.asarray(points, np.float32), requires_grad=True)   # (N, D)
    pack = int(getattr(D, "pack", 1) or 1)
    xin = x.repeat_interleave(pack, 0) if pack > 1 else x
    logit = D(xin).float().reshape(-1)
    loss = -torch.nn.functional.logsigmoid(logit) if g_loss == "nonsat" \
        else -torch.nn.functional.softplus(logit)              # log(1 - sigmoid(l)) = -softplus(l)
    (grad,) = torch.autograd.grad(loss.sum(), x)
    return (-grad).numpy().astype(np.float32)


def kde_1d(samples: np.ndarray, xs: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian kernel density of 1D samples evaluated at xs; Silverman's bandwidth by default."""
    s = np.asarray(samples, np.float64).ravel()
    xs = np.asarray(xs, np.float64).ravel()
    if s.size == 0:
        return np.zeros_like(xs)
    if bandwidth is None:
        bandwidth = _silverman(s)
    u = (xs[:, None] - s[None]) / bandwidth                    # (n_xs, n_samples)
    return np.exp(-0.5 * u * u).sum(1) / (s.size * bandwidth * math.sqrt(2 * math.pi))


def _silverman(s: np.ndarray) -> float:
    """Silverman's rule-of-thumb bandwidth for 1D samples."""
    s = np.asarray(s, np.float64).ravel()
    sd = s.std()
    iqr = np.subtract(*np.percentile(s, [75, 25]))
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    return 0.9 * max(spread, 1e-3) * max(s.size, 1) ** -0.2


def optimal_d(p_data: np.ndarray, p_g: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g) (Goodfellow et al. 2014, Prop. 1); 1/2 where both vanish."""
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    return (p_data + eps) / (p_data + p_g + 2 * eps)


def mean_pairwise_distance(x: np.ndarray, max_n: int = 256) -> float:
    """Mean Euclidean distance between rows of x (N, F) (the first max_n rows): a diversity
    score that collapses toward 0 under mode collapse."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)[:max_n]
    n = len(x)
    if n < 2:
        return 0.0
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None] - 2 * x @ x.T, 0.0)
    return float(np.sqrt(d2).sum() / (n * (n - 1)))


@torch.no_grad()
def toy_snapshot(G, D, dataset, z: torch.Tensor, real: np.ndarray, res: int = 64,
                 arrows: bool = False, g_loss: str = "nonsat") -> dict:
    """Everything the playground draws for one moment of training, as numpy arrays.

    2D: 'real' (N, 2), 'fake' (N, 2), 'heat' (res, res) D(x), 'low'/'high' (2,), 'arrows' (N, 2).
    1D: 'xs' (n,), 'p_data', 'p_g' (KDE of the fakes), 'd' (learned D), 'd_opt' (D*), 'fake'.
    """
    was = G.training, D.training
    G.eval(); D.eval()
    try:
        fake = G.generate(z).float().cpu().numpy()                   # (N, dim)
        low, high = dataset.bounds()
        out = {"real": real, "fake": fake, "low": np.asarray(low, np.float32),
               "high": np.asarray(high, np.float32)}
        if fake.shape[1] == 1:
            xs = np.linspace(low[0], high[0], 256)
            p_data = dataset.density(xs[:, None])
            # Silverman's rule over-smooths two separated modes; cap the bandwidth at half the
            # data's own mode width so p_g is drawn no blurrier than p_data
            bw = _silverman(fake[:, 0])
            std = getattr(dataset, "std", None)
            p_g = kde_1d(fake[:, 0], xs, min(bw, std / 2) if std else bw)
            out.update(xs=xs.astype(np.float32), p_data=p_data.astype(np.float32),
                       p_g=p_g.astype(np.float32), d=d_curve(D, xs),
                       d_opt=np.where(p_data + p_g > 1e-3, optimal_d(p_data, p_g), np.nan)
                       .astype(np.float32))      # undefined where neither has mass: not drawn
        else:
            out["heat"] = d_heatmap(D, low, high, res)
            if arrows:
                with torch.enable_grad():
                    out["arrows"] = g_arrows(D, fake, g_loss)
        return out
    finally:
        G.train(was[0]); D.train(was[1])
