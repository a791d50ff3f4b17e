"""The playground's math: D over a grid, G's arrows, KDE, D* and the diversity score."""
import numpy as np
import torch

from gan_models import default_config
from gan_models.registry import build_discriminator, build_generator
from train.data import load_dataset
from train.playground_math import (d_heatmap, g_arrows, kde_1d, mean_pairwise_distance, optimal_d,
                                   toy_snapshot)


def _models(dim, pack=1):
    torch.manual_seed(0)
    cfg = default_config("gan", (dim,), g_width=16, d_width=16, pack=pack)
    return build_generator(cfg), build_discriminator(cfg)


def test_heatmap_is_a_probability_map_on_the_grid():
    _, d = _models(2, pack=2)
    heat = d_heatmap(d, np.array([-1.5, -1.5]), np.array([1.5, 1.5]), res=32)
    assert heat.shape == (32, 32) and heat.dtype == np.float32
    assert ((heat > 0) & (heat < 1)).all()


def test_arrows_point_up_the_discriminator():
    _, d = _models(2)
    pts = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    arrows = g_arrows(d, pts)
    assert arrows.shape == pts.shape
    # a small step along the arrow raises D(x) (G moves its points toward "real")
    with torch.no_grad():
        before = torch.sigmoid(d(torch.from_numpy(pts))).numpy()
        after = torch.sigmoid(d(torch.from_numpy(pts + 1e-3 * arrows))).numpy()
    assert (after >= before - 1e-6).mean() > 0.95


def test_kde_integrates_to_one_and_optimal_d_is_half_when_equal():
    xs = np.linspace(-6, 6, 2001)
    s = np.random.default_rng(0).normal(size=2000)
    p = kde_1d(s, xs)
    assert abs(np.trapezoid(p, xs) - 1) < 1e-2
    assert np.allclose(optimal_d(p, p), 0.5)
    assert optimal_d(np.array([1.0]), np.array([0.0]))[0] > 0.999


def test_diversity_collapses_for_identical_rows():
    x = np.random.default_rng(0).normal(size=(30, 8))
    assert mean_pairwise_distance(x) > 1
    assert mean_pairwise_distance(np.repeat(x[:1], 30, 0)) < 1e-6


def test_snapshots_for_2d_and_1d():
    for name, dim in (("ring8", 2), ("gauss1d", 1)):
        ds = load_dataset(name)
        g, d = _models(dim)
        z = torch.randn(64, g.z_dim)
        snap = toy_snapshot(g, d, ds, z, ds.sample(64)[0].numpy(), res=16, arrows=True)
        assert snap["fake"].shape == (64, dim)
        if dim == 2:
            assert snap["heat"].shape == (16, 16) and snap["arrows"].shape == (64, 2)
        else:
            assert snap["d_opt"].shape == snap["xs"].shape == snap["p_g"].shape
