"""Live quality scores: each number moves the way a user would expect for generators whose
behaviour is known in advance (faithful, off-by-one, collapsed, noise), and the trainer
writes them into metrics.jsonl."""
import json

import numpy as np
import pytest
import torch

from gan_models.base import CodeLayout
from train.live_quality import QualityScorer, density_coverage
from train.metrics import best_matching
from train.probe import get_probe

from test_metrics import FakeGenerator, _pattern_dataset, _pick

N = 200


@pytest.fixture(scope="module")
def patterns():
    return _pattern_dataset(n_per_class=60)


@pytest.fixture(scope="module")
def probe(patterns, tmp_path_factory):
    return get_probe(patterns, cache_dir=tmp_path_factory.mktemp("probes"), train_steps=60, seed=0)


def _cgan(ds, shift=0, collapsed=False):
    """Draws a real image of class (label + shift) % 10, picked by z (or always the first)."""
    bank = torch.as_tensor(np.stack([ds.x[ds.labels == k][:40] for k in range(10)]))     # (10, 40, 1, 16, 16)

    def draw(z, label, codes):
        idx = torch.zeros(len(z), dtype=torch.long) if collapsed else _pick(z, bank.shape[1])
        return bank[(label + shift) % 10, idx]
    return FakeGenerator((1, 16, 16), num_classes=10, draw=draw)


def test_density_and_coverage_of_the_same_distribution_and_of_a_collapse():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    density, coverage = density_coverage(real, fake)
    assert coverage > 0.9 and 0.7 < density < 1.3
    collapsed = np.repeat(real[:1], 400, axis=0)
    assert density_coverage(real, collapsed)[1] < 0.05


def test_best_matching_finds_a_permutation_and_not_chance():
    code = np.arange(1000) % 4
    assert best_matching(code, (code + 1) % 4, 4, 4)["accuracy"] == 1.0
    rng = np.random.default_rng(0)
    assert best_matching(code, rng.integers(0, 4, 1000), 4, 4)["accuracy"] < 0.35


def test_a_faithful_cgan_scores_well_and_a_wrong_or_collapsed_one_does_not(patterns, probe):
    scores = {}
    for name, g in (("faithful", _cgan(patterns)), ("off_by_one", _cgan(patterns, shift=1)),
                    ("collapsed", _cgan(patterns, collapsed=True))):
        sc = QualityScorer.for_run(g, patterns, n=N, probe=probe)
        scores[name] = sc.score(g)
    good, wrong, one = scores["faithful"], scores["off_by_one"], scores["collapsed"]
    assert good["q_label_acc"] > 0.9 and wrong["q_label_acc"] < 0.1
    assert good["q_confident"] > 0.8
    assert good["q_coverage"] > 0.5 and one["q_coverage"] < 0.5 * good["q_coverage"]
    assert one["q_fid"] > good["q_fid"]
    assert sc.reference["q_coverage"] > 0.5 and "q_label_acc" not in sc.reference


def test_a_judge_that_tells_junk_from_its_kind_of_image_keeps_junk_out_of_the_confident_share(patterns, probe):
    """A probe with valid() (the faces judge: face or not) counts a sample as confident only when it
    is also read as valid; without valid() the label heads' confidence alone counts (noise read
    confidently as some class is what the faces judge's label heads did on a fresh G)."""
    class Strict:                                   # the same probe, but it calls every sample junk
        def __init__(self, p, ok):
            self.p, self.ok = p, ok
        def __getattr__(self, name):
            return getattr(self.p, name)
        def valid(self, x):
            return np.full(len(x), self.ok)
    g = _cgan(patterns)
    plain = QualityScorer.for_run(g, patterns, n=N, probe=probe).score(g)["q_confident"]
    assert plain > 0.8
    assert QualityScorer.for_run(g, patterns, n=N, probe=Strict(probe, True)).score(g)["q_confident"] == plain
    assert QualityScorer.for_run(g, patterns, n=N, probe=Strict(probe, False)).score(g)["q_confident"] == 0.0


def test_infogan_code_matching_reads_the_categorical_code(patterns, probe):
    bank = torch.as_tensor(np.stack([patterns.x[patterns.labels == k][:40] for k in range(10)]))
    layout = CodeLayout((10,), 0)
    g = FakeGenerator((1, 16, 16), layout=layout,
                      draw=lambda z, l, c: bank[(c.argmax(1) * 3) % 10, _pick(z, 40)])   # code k -> class 3k mod 10
    s = QualityScorer.for_run(g, patterns, n=N, probe=probe).score(g)
    assert s["q_code_acc"] > 0.9


def test_unlabelled_images_use_the_fixed_random_features():
    rng = np.random.default_rng(0)
    x = np.clip(rng.normal(0, 0.3, (600, 3, 16, 16)), -1, 1).astype(np.float32)
    x[:, :, 4:12, 4:12] = 0.8                                          # every image: a bright square
    ds = type("DS", (), {"name": "folder", "x": x, "labels": None, "value_range": (-1.0, 1.0),
                         "__len__": lambda self: len(x)})()
    real_like = FakeGenerator((3, 16, 16), draw=lambda z, l, c: torch.as_tensor(x)[_pick(z, 600)])
    noise = FakeGenerator((3, 16, 16), draw=lambda z, l, c: torch.rand(len(z), 3, 16, 16) * 2 - 1)
    sc = QualityScorer.for_run(real_like, ds, n=N)
    assert sc.probe is None and sc.features_net is not None
    a, b = sc.score(real_like), sc.score(noise)
    assert a["q_fid"] < 0.2 * b["q_fid"] and a["q_coverage"] > 0.5 > b["q_coverage"]
    assert "q_confident" not in a
    assert sc.score(real_like) == a                                    # the same fixed inputs every time


def test_the_trainer_writes_quality_rows_and_the_reference(tmp_path, tiny):
    from train.run_folder import read_jsonl
    from train.setup import create_trainer
    tr = create_trainer(tiny("gan", dataset="ring8", steps=8, quality_n=300), out=tmp_path / "run")
    tr.run()
    rows = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    q = [r for r in rows if "q_modes" in r]
    assert [r["step"] for r in q] == [0, 4, 8]
    assert all(0 <= r["q_hq"] <= 1 and 0 <= r["q_modes"] <= 8 and r["q_time"] >= 0 for r in q)
    assert all("q_modes" not in r for r in rows if "loss_d" in r)     # rows of their own
    tr2 = create_trainer(tiny("gan", dataset="ring8", steps=4, quality_n=0), out=tmp_path / "off")
    tr2.run()
    assert not [r for r in read_jsonl(tmp_path / "off" / "metrics.jsonl") if "q_modes" in r]


def test_quality_failure_is_an_event_not_a_crash(tmp_path, tiny, monkeypatch):
    from train import live_quality
    from train.setup import create_trainer

    def boom(*a, **k):
        raise ValueError("no features for this data")
    monkeypatch.setattr(live_quality.QualityScorer, "for_run", boom)
    tr = create_trainer(tiny("gan", dataset="ring8", steps=4), out=tmp_path / "run")
    assert tr.run() == "finished"
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "quality_unavailable" and "no features" in e["message"] for e in events)


def test_density_and_coverage_in_row_blocks_equal_the_whole_matrix():
    """Issue 29 item 2: the (M, M) distance matrix is made in blocks of rows (1.6 GB at
    --quality-n 10000 before); the scores are the same as from the whole matrix."""
    from train.live_quality import NN_K, pairwise_dist
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(300, 8)), rng.normal(0.3, 1.2, size=(250, 8))
    radii = np.sort(pairwise_dist(real, real), axis=1)[:, NN_K]
    inside = pairwise_dist(real, fake) < radii[:, None]
    whole = (inside.sum() / (NN_K * len(fake)), inside.any(axis=1).mean())
    for rows in (7, 64, 1024):
        assert density_coverage(real, fake, rows=rows) == pytest.approx(whole, abs=1e-12)
