"""The DCGAN feature experiment: pooled D features, a linear probe, two baselines."""
import json

import numpy as np
import pytest
import torch

from gan_models.checkpoint import load_checkpoint, save_checkpoint
from train.feature_probe import feature_dim, feature_pca, features, fit_linear, run_probe
from train.setup import create_trainer

from conftest import tiny_config


@pytest.fixture(scope="module")
def run_ckpt(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("probe") / "run"
    tr = create_trainer(tiny_config("dcgan", steps=4), out=out)
    tr.run()
    return out / "checkpoints" / "latest.safetensors"


def test_feature_dimension_is_16_per_channel_of_each_conv_layer(run_ckpt):
    D = load_checkpoint(run_ckpt).discriminator
    channels = [h.shape[1] for h in D.features(torch.zeros(2, 1, 28, 28))]
    assert channels == [8, 16]                               # d_width 8 -> 8, 16
    assert feature_dim(D, (1, 28, 28)) == sum(16 * c for c in channels) == 384
    assert features(D, torch.zeros(3, 1, 28, 28)).shape == (3, 384)


def test_fast_run_gives_three_rows_of_accuracies(run_ckpt):
    res = run_probe(run_ckpt, labels=(20, 50), n_test=100, n_data=400, l2_grid=(1e-2,))
    assert [r["features"] for r in res["rows"]] == ["discriminator", "raw pixels", "random D"]
    assert res["rows"][1]["dim"] == 784
    for r in res["rows"]:
        assert set(r["accuracy"]) == {"20", "50"}
        assert all(0.0 <= a <= 1.0 for a in r["accuracy"].values())
    json.dumps(res)


def test_linear_probe_separates_separable_data():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(3).repeat(40)
    x = torch.randn(120, 5, generator=g) + 4 * torch.nn.functional.one_hot(y, 5).float()
    res = fit_linear(x[:60], y[:60], x[60:], y[60:], 3)
    assert res["accuracy"] > 0.95


def test_pca_gives_2d_coordinates_with_labels(run_ckpt):
    ck = load_checkpoint(run_ckpt)
    x = torch.rand(50, 1, 28, 28) * 2 - 1
    out = feature_pca(ck.discriminator, x, labels=torch.arange(50) % 10, n=40)
    assert out["coords"].shape == (40, 2) and np.isfinite(out["coords"]).all()
    assert out["labels"].shape == (40,) and 0 < out["explained"] <= 1


def test_generator_only_file_is_refused_with_one_line(run_ckpt, tmp_path, capsys):
    from explorer.cli import main
    ck = load_checkpoint(run_ckpt)
    g_only = save_checkpoint(tmp_path / "g.safetensors", ck.config, ck.generator, None, meta=ck.meta, half=True)
    assert main(["probe", str(g_only), "--labels", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert "generator-only" in err and "discriminator" in err and len(err.splitlines()) == 1


def test_cli_prints_json(run_ckpt, capsys, monkeypatch):
    from explorer.cli import main
    monkeypatch.setattr("train.feature_probe.L2_GRID", (1e-2,))
    assert main(["probe", str(run_ckpt), "--labels", "20", "--n-test", "50", "--n-data", "300", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert len(res["rows"]) == 3


def test_faces_factors_are_the_label_each_attribute_and_the_binned_continuous_ones():
    """On faces the per-factor table names the faces' own attributes (not the shapes' x, y, scale,
    hue, and not a label called "shape"): discrete ones with their own values, continuous ones in
    4 quantile bins."""
    from train.data import in_memory, load_dataset
    from train.feature_probe import bins_text, factor_classes
    ds = in_memory(load_dataset("faces", n=300), 300)
    t = factor_classes(ds)
    assert list(t) == ["glasses × smile", "glasses", "smile", "hair_style", "hair_colour",
                       "skin", "width", "eye_size", "tilt"]
    assert [k for _, k in t.values()] == [4, 2, 2, 4, 5, 4, 4, 4, 4]
    assert np.array_equal(t["hair_style"][0], ds.factors["hair_style"].astype(np.int64))
    assert np.array_equal(t["glasses × smile"][0], t["glasses"][0] * 2 + t["smile"][0])
    skin = t["skin"][0]
    assert set(skin) == {0, 1, 2, 3} and np.bincount(skin).min() >= 60          # balanced quantile bins
    assert (np.diff(skin[np.argsort(ds.factors["skin"])]) >= 0).all()             # in the factor's order
    assert bins_text({"skin": 4, "eye_size": 4}) == "quantile bins: 4 for skin, eye size"
    assert bins_text({"x": 4, "hue": 6}) == "quantile bins: 4 for x, 6 for hue"
