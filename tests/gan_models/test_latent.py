import pytest
import torch

from gan_models import latent
from gan_models.base import CodeLayout


def test_seeded_sampling_is_deterministic_and_matches_prior():
    a = latent.sample_z(1000, 16, seed=3)
    assert torch.equal(a, latent.sample_z(1000, 16, seed=3))
    assert not torch.equal(a, latent.sample_z(1000, 16, seed=4))
    assert abs(a.mean()) < 0.05 and abs(a.std() - 1) < 0.05
    u = latent.sample_z(1000, 16, seed=3, dist="uniform")
    assert u.min() >= -1 and u.max() <= 1 and abs(u.mean()) < 0.05
    # global RNG state is not touched
    torch.manual_seed(0); x = torch.rand(1)
    torch.manual_seed(0); latent.sample_z(4, 4, seed=9); assert torch.equal(torch.rand(1), x)


def test_truncation_shrinks_toward_mean():
    z = latent.sample_z(100, 8, 0)
    assert torch.allclose(latent.sample_z(100, 8, 0, truncation=0.5), z * 0.5)
    with pytest.raises(ValueError):
        latent.truncate(z, 1.5)


def test_slerp_endpoints_and_norm():
    a, b = torch.randn(64), torch.randn(64)
    path = latent.interpolate(a, b, 9, "slerp")
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    # slerp between equal-norm vectors keeps the norm; lerp dips in the middle
    b = b / b.norm() * a.norm()
    s = latent.interpolate(a, b, 9, "slerp").norm(dim=1)
    assert torch.allclose(s, a.norm().expand(9), rtol=1e-4)
    assert latent.interpolate(a, b, 9, "lerp").norm(dim=1)[4] < a.norm() * 0.95
    p = latent.interpolate_path([a, b, a], 5)
    assert p.shape == (9, 64) and torch.allclose(p[4], b)


def test_arithmetic_averages_exemplars():
    a = [torch.tensor([1.0, 0]), torch.tensor([3.0, 0])]
    b = [torch.tensor([0.0, 1])]
    c = [torch.tensor([0.0, 0]), torch.tensor([0.0, 4])]
    assert torch.allclose(latent.arithmetic(a, b, c), torch.tensor([2.0, 1.0]))
    z = torch.randn(5)
    assert torch.allclose(latent.arithmetic([z], [z], [z]), z)


def test_sweeps():
    z = torch.randn(3, 4)
    s = latent.sweep_z_dim(z, 2, [-1.0, 0.0, 1.0])
    assert s.shape == (9, 4) and torch.equal(s[:, 2], torch.tensor([-1.0, 0, 1] * 3))
    lay = CodeLayout((10,), 2)
    c = latent.sweep_codes(lay, rows=2, code="cat1", values=range(10))
    assert c.shape == (20, 12) and torch.equal(c[:10, :10].argmax(1), torch.arange(10))
    c = latent.sweep_codes(lay, rows=2, code="cont2", values=[-2.0, 2.0])
    assert torch.equal(c[:, 11], torch.tensor([-2.0, 2, -2, 2])) and torch.all(c[:, 0] == 1)
    with pytest.raises(ValueError, match="cat1"):
        latent.sweep_codes(lay, 1, "c9", [0])
