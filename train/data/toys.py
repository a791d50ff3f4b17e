"""Toy mixtures of Gaussians with an exact density (the PacGAN / VEEGAN protocol).

* ``ring8``: 8 Gaussians, means (cos 2*pi*i/8, sin 2*pi*i/8) (radius 1), std 0.01.
* ``grid25``: 25 Gaussians, means (i, j) for i, j in {-4, -2, 0, 2, 4}, std 0.05.
* ``gauss1d``: 1D, two Gaussians N(-2, 0.5^2) and N(2, 0.5^2), equal weight. Two
  well-separated modes make the optimal-discriminator picture
  D*(x) = p_data / (p_data + p_g) readable and show mode collapse (G sitting on one
  mode) in one dimension.

All have uniform weights. Points are not in [-1, 1] (value_range None): a generator for
them ends in a linear layer. Sampling is infinite; ``len()`` is only the nominal epoch
size (n, default 10,000) used to count epochs.
"""
from __future__ import annotations

import math

import numpy as np
import torch

TOYS = ("ring8", "grid25", "gauss1d")


class ToyDataset:
    is_image = False
    num_classes = 0
    class_names: list = []
    labels = None
    value_range = None
    factors: dict = {}

    def __init__(self, name: str, centres, std: float, weights=None, *, seed: int = 0,
                 epoch_size: int = 10000, description: str = ""):
        self.name = name
        self.centres = np.asarray(centres, dtype=np.float64)
        if self.centres.ndim == 1:
            self.centres = self.centres[:, None]
        k, dim = self.centres.shape
        self.std = float(std)
        self.weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, float) / np.sum(weights)
        self.data_shape = (dim,)
        self.seed = int(seed)
        self.epoch_size = int(epoch_size)
        self.description = description
        self.class_names = []
        self.factors = {}
        self._centres_t = torch.tensor(self.centres, dtype=torch.float32)
        self._weights_t = torch.tensor(self.weights, dtype=torch.float64)

    def __len__(self) -> int:
        return self.epoch_size

    def _gen(self, gen):
        return gen if gen is not None else torch.Generator().manual_seed(self.seed)

    def sample(self, n: int, gen: torch.Generator | None = None):
        """n points -> (x float32 (n, D), mode index int64 (n,)). Without `gen` the same
        n points come back every call (seeded by the data set's seed)."""
        gen = self._gen(gen)
        mode = torch.multinomial(self._weights_t, int(n), replacement=True, generator=gen)
        noise = torch.randn(int(n), self.data_shape[0], generator=gen)
        return self._centres_t[mode] + self.std * noise, mode

    def sample_batch(self, batch: int, gen: torch.Generator | None = None):
        return self.sample(batch, gen)[0], None

    def log_density(self, x) -> np.ndarray:
        """Exact log p(x) (natural log) of the mixture at points x (n, D) or (n,) for 1D."""
        x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        x = x.astype(np.float64).reshape(-1, self.data_shape[0])
        d2 = ((x[:, None, :] - self.centres[None]) ** 2).sum(-1)       # (n, K)
        dim = self.data_shape[0]
        a = np.log(self.weights)[None] - d2 / (2 * self.std ** 2)
        m = a.max(1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(a - m).sum(1))
        return lse - 0.5 * dim * math.log(2 * math.pi * self.std ** 2)

    def density(self, x) -> np.ndarray:
        return np.exp(self.log_density(x))

    def mode_of(self, x) -> np.ndarray:
        """Index of the nearest centre for each point (for mode-coverage metrics)."""
        x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        x = x.astype(np.float64).reshape(-1, self.data_shape[0])
        return ((x[:, None, :] - self.centres[None]) ** 2).sum(-1).argmin(1)

    def bounds(self, margin: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) per dimension covering every mode (for plots)."""
        m = 6 * self.std + 0.5 if margin is None else margin
        return self.centres.min(0) - m, self.centres.max(0) + m

    def describe(self) -> dict:
        return {
            "name": self.name,
            "source": "builtin",
            "count": None,
            "epoch_size": self.epoch_size,
            "shape": list(self.data_shape),
            "num_classes": 0,
            "is_image": False,
            "value_range": None,
            "modes": len(self.centres),
            "std": self.std,
            "centres": self.centres.tolist(),
            "description": self.description,
        }

    def __repr__(self) -> str:
        return f"ToyDataset({self.name!r}, modes={len(self.centres)}, std={self.std})"


def make_toy(name: str, seed: int = 0, n: int | None = None) -> ToyDataset:
    epoch = int(n) if n else 10000
    if name == "ring8":
        a = 2 * np.pi * np.arange(8) / 8
        return ToyDataset(name, np.stack([np.cos(a), np.sin(a)], 1), 0.01, seed=seed,
                          epoch_size=epoch,
                          description="8 Gaussians on a circle of radius 1, std 0.01")
    if name == "grid25":
        v = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        c = np.array([(i, j) for i in v for j in v])
        return ToyDataset(name, c, 0.05, seed=seed, epoch_size=epoch,
                          description="25 Gaussians at (i, j), i, j in {-4,-2,0,2,4}, std 0.05")
    if name == "gauss1d":
        return ToyDataset(name, np.array([[-2.0], [2.0]]), 0.5, seed=seed, epoch_size=epoch,
                          description="1D: N(-2, 0.5^2) and N(2, 0.5^2), equal weight")
    raise KeyError(name)
