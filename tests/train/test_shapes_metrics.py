"""Factor metrics for the colour shapes: pixel estimators, code matching, sweeps, the D probe,
the eval CLI and the bundled export that keeps D."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from gan_models.base import CodeLayout
from gan_models.checkpoint import load_checkpoint, read_header
from train.data import load_dataset
from train.data.shapes import render
from train.metrics import code_matching
from train.shapes_metrics import HUE_CUT, code_factor_sweeps, estimate_factors, estimator_agreement
from train.setup import create_trainer

from conftest import tiny_config


@pytest.fixture(scope="module")
def real():
    return load_dataset("shapes", n=400, seed=1).take(400)


class ShapesOracle(nn.Module):
    """A fake InfoGAN generator that draws real shapes: with use_code, cat1 -> shape (permuted),
    cont1 -> x, cont2 -> y; without, every factor comes from z. Remembers what it drew, so
    OracleJudge can read the shape back exactly."""

    def __init__(self, use_code=True):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))           # render() asks for a parameter's device
        self.z_dim, self.z_dist, self.num_classes = 5, "normal", 0
        self.code_layout = CodeLayout((4,), 2)
        self.output_shape, self.is_image = (3, 64, 64), True
        self.use_code, self.drawn = use_code, {}

    def _shape_xy(self, u, label, codes):
        """(shape (B,), x (B,), y (B,)) of each image, from the codes or from z."""
        if self.use_code:
            shape = np.array([2, 0, 3, 1])[codes[:, :4].argmax(1).numpy()]
            return shape, 0.4 * codes[:, 4].numpy(), 0.4 * codes[:, 5].numpy()
        return np.minimum((u[:, 0] * 4).astype(np.int64), 3), 0.8 * u[:, 1] - 0.4, 0.8 * u[:, 4] - 0.4

    def generate(self, z, label=None, codes=None):
        u = torch.sigmoid(z).numpy()                                       # (B, 5) in (0, 1)
        shape, x, y = self._shape_xy(u, label, codes)
        f = {"hue": u[:, 2], "x": x, "y": y, "scale": 0.25 + 0.25 * u[:, 3],
             "rotation": np.zeros(len(z))}
        img = render(shape, {k: np.asarray(v, np.float32) for k, v in f.items()})
        for im, s in zip(img, shape):
            self.drawn[im.numpy().tobytes()] = int(s)
        return img


class OracleJudge:
    num_classes = 4

    def __init__(self, gen):
        self.gen = gen

    def predict(self, x):
        return np.array([self.gen.drawn[im.numpy().tobytes()] for im in x])


def test_estimators_recover_the_true_factors_of_real_images(real):
    r = estimator_agreement(real)
    for k in ("x", "y", "scale", "hue"):
        assert r[k] > 0.95, (k, r)
    assert r["hue_median_error"] < 0.02
    est = estimate_factors(real.x[:5])
    assert set(est) == {"hue", "x", "y", "scale", "area"} and est["x"].shape == (5,)
    empty = estimate_factors(torch.tensor([0.08, 0.09, 0.12])[None, :, None, None].expand(1, 3, 64, 64) * 2 - 1)
    assert np.isnan(empty["x"][0]) and empty["area"][0] == 0


def test_magenta_past_the_data_range_reads_just_below_red():
    h = np.array([0.0, 0.4, 0.8, 0.95], np.float32)                   # the data stops at 0.8 (violet)
    f = {"hue": h, "x": np.zeros(4, np.float32), "y": np.zeros(4, np.float32),
         "scale": np.full(4, 0.4, np.float32), "rotation": np.zeros(4, np.float32)}
    est = estimate_factors(render(np.ones(4, np.int64), f))["hue"]
    assert HUE_CUT == pytest.approx(0.9)
    assert est[:3] == pytest.approx(h[:3], abs=0.01) and est[3] == pytest.approx(-0.05, abs=0.01)


def test_a_generator_that_draws_its_codes_scores_perfectly():
    g = ShapesOracle(use_code=True)
    m = code_matching(g, OracleJudge(g), n_per_value=20)
    assert m["accuracy"] == 1.0 and m["mapping"] == [2, 0, 3, 1]
    s = code_factor_sweeps(g, n=90)
    assert s["matched"]["cont1"][0] == "x" and s["matched"]["cont2"][0] == "y"
    assert s["matched_min"] > 0.95
    assert abs(s["per_code"]["cont1"]["y"]) < 0.2


def test_a_generator_that_ignores_its_codes_scores_near_chance():
    g = ShapesOracle(use_code=False)
    m = code_matching(g, OracleJudge(g), n_per_value=50)
    assert m["accuracy"] < 0.45                               # chance 0.25 (+ the matching's pick)
    s = code_factor_sweeps(g, n=90)
    assert s["matched_min"] < 0.2


@pytest.fixture(scope="module")
def shapes_ckpt(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("shapes") / "run"
    cfg = tiny_config("infogan", dataset="shapes", steps=2, n_data=500, checkpoint_every=2, sample_every=100,
                      model_overrides={"z_dim": 8, "cat_codes": [4], "cont_codes": 2})
    create_trainer(cfg, out=out).run()
    return out / "checkpoints" / "latest.safetensors"


def test_feature_probe_on_shapes_reports_each_factor(shapes_ckpt, capsys):
    from train.feature_probe import run_probe
    from train.probe_cli import cmd_probe
    res = run_probe(shapes_ckpt, labels=(20, 40), n_test=60, n_data=200, l2_grid=(1e-2,))
    fa = res["factors"]
    assert fa["labels"] == 40
    assert [r["factor"] for r in fa["rows"]] == ["shape", "x", "y", "scale", "hue"]
    for r in fa["rows"]:
        assert {"discriminator", "raw pixels", "random D", "chance", "gain", "classes"} <= set(r)
        assert r["gain"] == pytest.approx(r["discriminator"] - r["raw pixels"])
    assert fa["rows"][4]["classes"] == 6 and fa["rows"][1]["classes"] == 4
    json.dumps(res)
    import train.feature_probe as fp
    old = fp.L2_GRID
    fp.L2_GRID = (1e-2,)
    try:
        assert cmd_probe([str(shapes_ckpt), "--labels", "20", "--n-test", "40", "--n-data", "120"]) == 0
    finally:
        fp.L2_GRID = old
    out = capsys.readouterr().out
    assert "per factor" in out and "hue" in out and "gain" in out


def test_eval_cli_reports_shape_metrics(shapes_ckpt, monkeypatch, tmp_path):
    import train.shapes_metrics as sm
    from train.evaluate_cli import evaluate_target
    monkeypatch.setenv("GAN_EXPLORER_CACHE", str(tmp_path))
    monkeypatch.setattr(sm, "REAL_N", 200)
    monkeypatch.setattr(sm, "PROBE_STEPS", 5)
    res = evaluate_target(shapes_ckpt, quick=True)
    assert res["dataset"] == "shapes"
    for k in ("probe_accuracy", "fid", "fid_real", "confident_share", "confident_share_real", "class_kl",
              "class_min_share", "x_w1", "hue_tv", "code_accuracy", "x_corr", "hue_corr", "cont_matched_min"):
        assert isinstance(res[k], float), k
    assert "slant_corr" not in res
    assert 0.0 <= res["class_min_share"] <= 0.25 + 1e-9


def test_export_keeps_the_discriminator_in_fp16_when_asked(shapes_ckpt, tmp_path):
    from train.export import export_bundled
    plain = tmp_path / "g.safetensors"
    with_d = tmp_path / "gd.safetensors"
    export_bundled(shapes_ckpt, plain, name="x", description="x", evaluate=False)
    export_bundled(shapes_ckpt, with_d, name="x", description="x", evaluate=False, keep_discriminator=True)
    assert load_checkpoint(plain).discriminator is None
    ck = load_checkpoint(with_d)
    assert ck.discriminator is not None and ck.training_state is None
    src = load_checkpoint(shapes_ckpt).discriminator.state_dict()
    for k, v in ck.discriminator.state_dict().items():
        if v.is_floating_point():
            assert v.dtype == torch.float32 and torch.allclose(v, src[k].half().float())
    read_header(with_d)
    from safetensors import safe_open
    with safe_open(str(with_d), framework="pt") as f:
        d_keys = [k for k in f.keys() if k.startswith("D.")]
        assert d_keys and all(f.get_tensor(k).dtype in (torch.float16, torch.int64) for k in d_keys)


class ShapesCGANOracle(ShapesOracle):
    """A fake CGAN generator: draws the shape it is asked for (follow=True) or one from z."""

    def __init__(self, follow=True):
        super().__init__(use_code=False)
        self.code_layout, self.num_classes, self.follow = CodeLayout((), 0), 4, follow

    def _shape_xy(self, u, label, codes):
        shape, x, y = super()._shape_xy(u, label, codes)
        return (label.numpy() if self.follow else shape), x, y


class OracleProbe(OracleJudge):
    """OracleJudge with the rest of a Probe's interface (real images, unknown to it, read as 0)."""
    accuracy = 1.0

    def predict(self, x):
        return np.array([self.gen.drawn.get(im.numpy().tobytes(), 0) for im in x])

    def probabilities(self, x):
        return np.eye(4)[self.predict(x)]

    def features(self, x):
        return torch.as_tensor(x).flatten(2).mean(2).double().numpy()             # (N, 3) mean colour


@pytest.mark.parametrize("follow", [True, False])
def test_a_cgan_on_shapes_is_scored_by_the_shape_it_draws_for_each_label(real, follow):
    from train.shapes_metrics import flat_metrics, shapes_report
    g = ShapesCGANOracle(follow)
    rep = shapes_report(g, real, quick=True, probe=OracleProbe(g), with_real=False)
    flat = flat_metrics(rep)
    if follow:
        assert rep["label_accuracy"] == flat["label_accuracy"] == 1.0
    else:
        assert flat["label_accuracy"] < 0.45                  # chance 0.25
    assert "code_accuracy" not in flat                         # no InfoGAN code to match
