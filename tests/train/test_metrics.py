"""Metrics: PacGAN toy numbers, probe-based image metrics, moments, matching, ranks, FID.

Generators here are tiny fakes with known behaviour (exact ring centres, a lookup table of
real images per class), so each metric's expected value is known in advance.
"""
import itertools
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from gan_models.base import CodeLayout
from train import probe as probe_mod
from train.judges import evaluate
from train.metrics import (code_accuracy, code_factor_correlations, code_matching, equilibrium,
                           factor_correlations, frechet_distance, gaussian_stats, image_slant, image_width,
                           label_accuracy, linear_sum_assignment, mode_metrics, probe_fid, rankdata, spearman,
                           toy_metrics)
from train.probe import default_cache_dir, get_probe, probe_key

RING = np.array([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)])
STD = 0.02


class FakeGenerator(nn.Module):
    """The Generator capabilities, with `draw(z, label, codes)` supplying the outputs."""

    def __init__(self, output_shape, z_dim=4, num_classes=0, layout=CodeLayout(), draw=None):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))      # render() reads the device from a parameter
        self.z_dim, self.num_classes, self.code_layout = z_dim, num_classes, layout
        self.output_shape, self.is_image, self.z_dist = tuple(output_shape), len(output_shape) == 3, "normal"
        self.draw = draw

    def generate(self, z, label=None, codes=None):
        return self.draw(z, label, codes)


def _pick(z, m):
    """A per-sample index in [0, m) taken from z (uniform over m for normal z)."""
    return (torch.special.ndtr(z[:, 0]) * m).long().clamp(max=m - 1)


# ------------------------------------------------------------------ toys

def test_exact_ring_centres_capture_all_modes_with_kl_zero():
    out = mode_metrics(np.repeat(RING, 50, axis=0), RING, STD)
    assert out == {"modes": 8.0, "modes_total": 8.0, "hq_fraction": 1.0, "kl": pytest.approx(0, abs=1e-8)}
    g = FakeGenerator((2,), draw=lambda z, l, c: torch.as_tensor(RING, dtype=torch.float32)[_pick(z, 8)])
    out = toy_metrics(g, SimpleNamespace(centres=RING, std=STD), n=2500, seed=0)
    assert out["modes"] == 8 and out["hq_fraction"] == 1.0
    assert 0 <= out["kl"] < 0.01               # only multinomial noise of 2500 draws


def test_toy_metrics_on_the_real_ring8_data_set():
    data = pytest.importorskip("train.data")
    ring = data.load_dataset("ring8")
    centres = torch.as_tensor(ring.centres, dtype=torch.float32)
    g = FakeGenerator((2,), draw=lambda z, l, c: centres[_pick(z, len(centres))] + ring.std * z[:, 1:3])
    out = toy_metrics(g, ring)
    assert out["modes"] == out["modes_total"] == 8
    assert 0.95 < out["hq_fraction"] < 1.0          # a 2-D Gaussian puts ~1.1% beyond 3 std


def test_collapse_to_one_centre_scores_one_mode_and_kl_log_k():
    g = FakeGenerator((2,), draw=lambda z, l, c: torch.as_tensor(RING[3], dtype=torch.float32) + 0.5 * STD * z[:, :2])
    out = toy_metrics(g, SimpleNamespace(centres=RING, std=STD))
    assert out["modes"] == 1 and out["modes_total"] == 8
    assert out["kl"] == pytest.approx(math.log(8), abs=1e-6)


def test_half_the_modes_give_kl_log_2():
    out = mode_metrics(np.repeat(RING[::2], 10, axis=0), RING, STD)
    assert out["modes"] == 4 and out["kl"] == pytest.approx(math.log(2), abs=1e-6)


def test_high_quality_is_within_three_std():
    away = lambda k: RING + np.array([k * STD, 0.0])        # noqa: E731
    assert mode_metrics(away(10), RING, STD)["hq_fraction"] == 0.0
    assert mode_metrics(away(10), RING, STD)["modes"] == 0
    assert mode_metrics(away(10), RING, STD)["kl"] == pytest.approx(math.log(8))   # nothing HQ: worst
    assert mode_metrics(away(2.9), RING, STD)["hq_fraction"] == 1.0
    assert mode_metrics(away(3.1), RING, STD)["hq_fraction"] == 0.0
    mixed = np.concatenate([away(0.5)[:6], away(10)[6:]])
    assert mode_metrics(mixed, RING, STD)["modes"] == 6
    assert mode_metrics(mixed, RING, STD)["hq_fraction"] == pytest.approx(0.75)


# ------------------------------------------------------------------ matching, ranks, Frechet

def _brute_force(c):
    n, m = c.shape
    if n <= m:
        return min(sum(c[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n))
    return min(sum(c[p[j], j] for j in range(m)) for p in itertools.permutations(range(n), m))


@pytest.mark.parametrize("shape", [(6, 6), (6, 6), (4, 6), (6, 3)])
def test_hungarian_matches_brute_force(shape):
    rng = np.random.default_rng(sum(shape))
    for trial in range(40):
        c = rng.normal(size=shape) if trial % 2 else rng.integers(0, 4, size=shape).astype(float)  # ties too
        rows, cols = linear_sum_assignment(c)
        k = min(shape)
        assert len(rows) == len(set(rows.tolist())) == k and len(set(cols.tolist())) == k
        assert list(rows) == sorted(rows)
        assert c[rows, cols].sum() == pytest.approx(_brute_force(c), abs=1e-9)


def test_spearman_against_hand_computed_values():
    assert rankdata([10, 30, 20, 30]).tolist() == [1.0, 3.5, 2.0, 3.5]
    # ranks of b with a tie: [1, 2, 3.5, 5, 3.5]; centred products sum 8, norms 10 and 9.5
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert spearman([1, 2, 3, 4], [1, 8, 27, 64]) == pytest.approx(1.0)     # monotone, not linear
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [5, 5, 5]) == 0.0


def test_frechet_distance_zero_for_same_set_and_grows_with_shift():
    f = np.random.default_rng(0).normal(size=(2000, 8)) @ np.random.default_rng(1).normal(size=(8, 8))
    assert frechet_distance(*gaussian_stats(f), *gaussian_stats(f)) == pytest.approx(0, abs=1e-6)
    d = [frechet_distance(*gaussian_stats(f), *gaussian_stats(f + s)) for s in (0.25, 0.5, 1.0)]
    assert d == pytest.approx([8 * s * s for s in (0.25, 0.5, 1.0)], rel=1e-6)   # ||shift||^2
    # the covariance term: for diagonal covariances it is sum (sqrt(a) - sqrt(b))^2
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    assert frechet_distance(np.zeros(3), np.diag(a), np.zeros(3), np.diag(b)) == \
        pytest.approx(((np.sqrt(a) - np.sqrt(b)) ** 2).sum())


# ------------------------------------------------------------------ image moments

def _bar(slant=0.0, half_width=1.5, size=28, length=16):
    """A vertical bar sheared so its top moves right by `slant` px per px up, in [-1, 1]."""
    r, c = np.mgrid[0:size, 0:size].astype(float)
    centre = (size - 1) / 2
    up = centre - r                                             # y up
    cover = np.clip(half_width + 0.5 - np.abs(c - (centre + slant * up)), 0, 1)   # anti-aliased edges
    ink = (cover * (np.abs(up) <= length / 2)).astype(np.float32)
    return ink[None, None] * 2 - 1                              # (1, 1, H, W)


def test_image_slant_follows_an_applied_shear():
    for s in (-0.4, -0.2, 0.2, 0.4):
        got = image_slant(_bar(s))[0]
        assert np.sign(got) == np.sign(s) and got == pytest.approx(s, abs=0.06)
    assert abs(image_slant(_bar(0.0))[0]) < 1e-9
    assert image_slant(-np.ones((1, 1, 28, 28)))[0] == 0.0      # no ink at all


def test_image_width_grows_with_width_and_ignores_shear():
    w = [image_width(_bar(0.0, hw))[0] for hw in (0.5, 1.5, 3.5)]
    assert w[0] < w[1] < w[2]
    assert image_width(_bar(0.4, 1.5))[0] == pytest.approx(w[1], rel=0.15)


def test_moment_measures_track_the_digits_true_factors():
    data = pytest.importorskip("train.data")
    ds = data.load_dataset("digits", n=2000, seed=0)
    r = factor_correlations(ds.x, ds.factors)
    assert r["slant"] > 0.8 and r["width"] > 0.4


# ------------------------------------------------------------------ probe-based metrics

def _pattern_dataset(n_per_class=60, seed=0):
    """10 classes of 16x16 images: a 4x4 bright square at a class-specific place, plus noise."""
    rng = np.random.default_rng(seed)
    x = np.full((10 * n_per_class, 1, 16, 16), -1.0, dtype=np.float32)
    labels = np.repeat(np.arange(10), n_per_class)
    for i, k in enumerate(labels):
        r, c = 1 + 4 * (k // 4) + rng.integers(-1, 2), 1 + 4 * (k % 4) + rng.integers(-1, 2)
        x[i, 0, max(r, 0):r + 4, max(c, 0):c + 4] = 1.0
    x += rng.normal(0, 0.1, x.shape).astype(np.float32)
    return SimpleNamespace(name="patterns", x=x, labels=labels, num_classes=10, factors={},
                           class_names=[str(k) for k in range(10)])


@pytest.fixture(scope="module")
def patterns():
    return _pattern_dataset()


@pytest.fixture(scope="module")
def probe(patterns, tmp_path_factory):
    return get_probe(patterns, cache_dir=tmp_path_factory.mktemp("probes"), train_steps=40, seed=0)


def _bank(ds, per=20):
    return torch.as_tensor(np.stack([ds.x[ds.labels == k][:per] for k in range(10)]))   # (10, per, 1, 16, 16)


def _lookup_generator(ds, class_of, **kw):
    """class_of(z, label, codes) -> (B,) class; outputs a real image of that class chosen by z."""
    bank = _bank(ds)
    return FakeGenerator((1, 16, 16), draw=lambda z, l, c: bank[class_of(z, l, c), _pick(z, bank.shape[1])], **kw)


def test_probe_learns_the_patterns_and_exposes_labels_and_features(probe, patterns):
    assert probe.accuracy == 1.0
    assert (probe.predict(patterns.x[:200]) == patterns.labels[:200]).mean() > 0.98
    f = probe.features(patterns.x[:5])
    assert f.shape == (5, 64) and f.dtype == np.float32


def test_probe_is_cached_deterministic_and_keyed(patterns, tmp_path, monkeypatch):
    a = get_probe(patterns, cache_dir=tmp_path, train_steps=10, seed=3)
    files = list(tmp_path.glob("*.safetensors"))
    assert len(files) == 1 and "patterns-1x16x16-n600" in files[0].name and "-v1-" in files[0].name
    monkeypatch.setattr(probe_mod, "train_probe", lambda *a, **k: pytest.fail("retrained despite cache"))
    b = get_probe(patterns, cache_dir=tmp_path, train_steps=10, seed=3)
    assert b.accuracy == a.accuracy
    np.testing.assert_array_equal(a.features(patterns.x[:50]), b.features(patterns.x[:50]))
    monkeypatch.undo()
    c = get_probe(patterns, cache_dir=tmp_path / "other", train_steps=10, seed=3)    # same seed, fresh train
    np.testing.assert_array_equal(a.features(patterns.x[:50]), c.features(patterns.x[:50]))
    keys = {probe_key(patterns, 10, 3), probe_key(patterns, 10, 4), probe_key(patterns, 20, 3),
            probe_key(_pattern_dataset(seed=1), 10, 3)}
    assert len(keys) == 4                                      # seed, schedule and data are in the key
    files[0].write_bytes(b"not a safetensors file")
    assert get_probe(patterns, cache_dir=tmp_path, train_steps=10, seed=3).accuracy == a.accuracy   # retrained


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_EXPLORER_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "probes"


def test_label_accuracy_of_a_faithful_and_an_off_by_one_cgan(probe, patterns):
    faithful = _lookup_generator(patterns, lambda z, l, c: l.argmax(1) if l.dim() == 2 else l, num_classes=10)
    assert label_accuracy(faithful, probe, n_per_class=20) == 1.0
    shifted = _lookup_generator(patterns, lambda z, l, c: (l + 1) % 10, num_classes=10)
    assert label_accuracy(shifted, probe, n_per_class=20) == 0.0


def test_code_accuracy_finds_a_permuted_code_to_class_mapping(probe, patterns):
    perm = torch.tensor([3, 7, 0, 9, 1, 5, 2, 8, 6, 4])
    g = _lookup_generator(patterns, lambda z, l, c: perm[c[:, :10].argmax(1)], layout=CodeLayout((10,), 2))
    out = code_matching(g, probe, n_per_value=20)
    assert out["accuracy"] == 1.0 and out["mapping"] == perm.tolist()
    assert code_accuracy(g, probe, n_per_value=20) == 1.0
    ignores_code = _lookup_generator(patterns, lambda z, l, c: torch.zeros(len(z), dtype=torch.long),
                                     layout=CodeLayout((10,), 0))
    assert code_accuracy(ignores_code, probe, n_per_value=20) == pytest.approx(0.1)


def test_probe_fid_small_for_real_images_large_for_wrong_ones(probe, patterns):
    real = _lookup_generator(patterns, lambda z, l, c: torch.arange(len(z)) % 10)
    one_class = _lookup_generator(patterns, lambda z, l, c: torch.zeros(len(z), dtype=torch.long))
    d_real = probe_fid(real, probe, patterns.x, n=200)
    d_one = probe_fid(one_class, probe, patterns.x, n=200)
    assert d_real < 0.25 * d_one


def _shear_width_generator():
    """cont1 sets the bar's slant, cont2 its width; z adds a little of both (nuisance)."""
    def draw(z, l, c):
        s = 0.35 * c[:, 0] + 0.05 * z[:, 1]
        hw = 2.0 + 1.2 * c[:, 1] + 0.2 * z[:, 2]
        return torch.cat([torch.as_tensor(_bar(float(a), float(b))) for a, b in zip(s, hw)])
    return FakeGenerator((1, 28, 28), layout=CodeLayout((), 2), draw=draw)


def test_code_factor_correlations_name_the_slant_and_width_codes():
    out = code_factor_correlations(_shear_width_generator(), n=300)
    assert out["slant_code"] == "cont1" and out["slant_corr"] > 0.9
    assert out["width_code"] == "cont2" and out["width_corr"] > 0.9
    assert abs(out["per_code"]["cont2"]["slant"]) < 0.2
    assert out["per_code"]["cont1"]["slant"] > 0.9      # signed: a positive code leans right


def test_code_sweeps_find_a_width_code_that_other_factors_drown_in_pooled_samples():
    """A code that sets width while z varies width much more: holding z fixed along each sweep
    still shows the code's effect, the pooled correlation hardly does."""
    def draw(z, l, c):
        hw = 2.2 + 0.4 * c[:, 1] + 0.35 * z[:, 2].clamp(-2.5, 2.5)
        return torch.cat([torch.as_tensor(_bar(0.0, float(b))) for b in hw])
    out = code_factor_correlations(FakeGenerator((1, 28, 28), layout=CodeLayout((), 2), draw=draw), n=270)
    assert out["width_code"] == "cont2" and out["width_corr"] > 0.9
    assert abs(out["per_code"]["cont2"]["pooled_width"]) < 0.6
    assert abs(out["per_code"]["cont1"]["width"]) < 0.2


# ------------------------------------------------------------------ equilibrium and evaluate

def test_equilibrium_averages_the_last_window_of_logged_rows():
    rows = [{"d_real": 0.9, "d_fake": 0.1}] * 10 + [{"step": 5}] + [{"d_real": 0.6, "d_fake": 0.4}] * 5
    assert equilibrium(rows, window=5) == {"d_real": pytest.approx(0.6), "d_fake": pytest.approx(0.4), "rows": 5.0}
    assert equilibrium(rows, window=10)["d_real"] == pytest.approx(0.75)
    assert equilibrium([{"step": 1}]) == {"rows": 0.0}


def test_evaluate_picks_metrics_from_capabilities(probe, patterns):
    ring = FakeGenerator((2,), draw=lambda z, l, c: torch.as_tensor(RING, dtype=torch.float32)[_pick(z, 8)])
    toy = evaluate(ring, SimpleNamespace(centres=RING, std=STD), quick=True)
    assert set(toy) == {"modes", "modes_total", "hq_fraction", "kl"} and toy["modes"] == 8

    cgan = _lookup_generator(patterns, lambda z, l, c: l.argmax(1) if l.dim() == 2 else l, num_classes=10)
    out = evaluate(cgan, patterns, probe=probe, quick=True)
    assert set(out) == {"probe_accuracy", "fid", "label_accuracy"} and out["label_accuracy"] == 1.0

    info = _lookup_generator(patterns, lambda z, l, c: c[:, :10].argmax(1), layout=CodeLayout((10,), 1))
    out = evaluate(info, patterns, probe=probe, quick=True)
    assert set(out) == {"probe_accuracy", "fid", "code_accuracy", "slant_corr", "width_corr"}
    assert out["code_accuracy"] == 1.0
    assert all(type(v) is float for v in out.values())
    json.dumps(out, allow_nan=False)

    unlabelled = SimpleNamespace(name="folder", x=patterns.x, labels=None)
    assert evaluate(cgan, unlabelled, probe=probe) == {}
