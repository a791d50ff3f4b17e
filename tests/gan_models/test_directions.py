"""Principal latent directions: a direction planted in a generator is found first."""
import pytest
import torch

from gan_models import default_config
from gan_models.base import Generator
from gan_models.directions import principal_directions


class Planted(Generator):
    """Output = a fixed random image + 5 * z[3] * pattern + 0.3 * (small mixing of all of z)."""

    def __init__(self):
        super().__init__(default_config("gan", (1, 8, 8), z_dim=10, z_dist="normal"))
        g = torch.Generator().manual_seed(0)
        self.bias = torch.nn.Parameter(torch.randn(64, generator=g))
        self.pattern = torch.randn(64, generator=g)
        self.mix = torch.randn(10, 64, generator=g) * 0.3

    def forward(self, g_input):
        z = g_input[:, :10]
        out = self.bias + 5 * z[:, 3:4] * self.pattern + z @ self.mix      # (B, 64)
        return out.view(-1, 1, 8, 8)


def test_the_strongest_direction_is_the_planted_one():
    d = principal_directions(Planted(), k=3, n=600, seed=1)
    assert d.vectors.shape == (3, 10) and d.n == 600
    assert torch.allclose(d.vectors.norm(dim=1), torch.ones(3), atol=1e-5)
    assert abs(float(d.vectors[0, 3])) > 0.95                   # z[3] drives the big component
    assert float(d.explained[0]) > 0.8 and (d.explained[:-1] >= d.explained[1:]).all()
    assert float(d.z_std[0]) == pytest.approx(1.0, abs=0.1)     # a normal prior: unit std along any unit vector


def test_too_few_samples_is_refused():
    with pytest.raises(ValueError, match="n >= 2k"):
        principal_directions(Planted(), k=8, n=10)


def test_never_more_directions_than_z_has_dimensions():
    d = principal_directions(Planted(), k=16, n=600)
    assert d.vectors.shape == (10, 10)
