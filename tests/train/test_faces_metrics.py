"""The judges registry, the faces judge and the faces metrics, scored on oracle generators
that draw real faces and an oracle judge that reads back exactly what was drawn."""
import ast
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import train.faces_judge as FJ
from gan_models.base import CodeLayout
from train import judges
from train.data import faces as F
from train.data import load_dataset
from train.faces_metrics import faces_report, flat_metrics, reading

ROOT = Path(__file__).resolve().parents[2]


class FacesOracle(nn.Module):
    """A fake generator drawing real faces, every attribute from z, except: a CGAN (label=True)
    draws the glasses and smile of its label; an InfoGAN (codes=True) takes the hair style from
    cat1 (permuted) and the eye size and tilt from cont1 and cont2; collapse=True draws one face."""

    def __init__(self, judge, label=False, codes=False, collapse=False):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))           # render() asks for a parameter's device
        self.z_dim, self.z_dist = 8, "normal"
        self.num_classes = 4 if label else 0
        self.code_layout = CodeLayout((4,), 2) if codes else CodeLayout((), 0)
        self.output_shape, self.is_image = (3, 64, 64), True
        self.judge, self.label, self.codes, self.collapse = judge, label, codes, collapse

    def generate(self, z, label=None, codes=None):
        u = (0.5 * (1 + torch.erf(z / 2 ** 0.5))).numpy().astype(np.float64)   # (B, 8) uniform in (0, 1)
        if self.collapse:
            u = np.full_like(u, 0.9)
        f = {k: np.floor(u[:, i] * len(v) * 0.9999) for i, (k, v) in enumerate(F.DISCRETE.items())}
        for i, (k, (lo, hi)) in enumerate(F.RANGES.items()):
            f[k] = lo + (hi - lo) * u[:, 4 + i]
        if self.label and label is not None:
            f["glasses"], f["smile"] = (label // 2).numpy(), (label % 2).numpy()
        if self.codes and codes is not None:
            f["hair_style"] = np.array([2, 0, 3, 1])[codes[:, :4].argmax(1).numpy()]
            for name, col in (("eye_size", 4), ("tilt", 5)):
                lo, hi = F.RANGES[name]
                f[name] = lo + (hi - lo) * (codes[:, col].numpy() + 2) / 4
        f = {k: np.asarray(v, np.float32) for k, v in f.items()}
        x = F.render(f)
        self.judge.remember(x, f)
        return x


class OracleFaceJudge:
    """Reads back exactly the attributes of images it was told about; anything else is not a face."""

    report = {"attributes": {k: 1.0 for k in list(F.DISCRETE) + list(F.CONTINUOUS)}}
    input_shape = (3, 64, 64)
    key = "oracle"

    def __init__(self):
        self.seen = {}

    def remember(self, x, f):
        for i, im in enumerate(x):
            self.seen[im.numpy().tobytes()] = {k: float(v[i]) for k, v in f.items()}

    def read(self, x):
        rows = [self.seen.get(im.numpy().tobytes()) for im in torch.as_tensor(x)]
        out = {}
        for k, n in FJ.HEADS.items():
            out[k] = np.stack([np.eye(n)[int(r[k])] if r else np.full(n, 1 / n) for r in rows]) if rows \
                else np.zeros((0, n))
        for k in F.CONTINUOUS:
            out[k] = np.array([r[k] if r else np.nan for r in rows])
        out["face"] = np.array([1.0 if r else 0.0 for r in rows])
        out["valid"] = out["face"] > 0.5
        out["clear"] = out["valid"].copy()
        return out

    def features(self, x):
        return torch.as_tensor(x).flatten(2).mean(2).double().numpy()             # (N, 3) mean colour

    def for_label(self, spec=None):
        return FJ.LabelView(self, F.parse_label(spec))


@pytest.fixture(scope="module")
def real():
    ds = load_dataset("faces", n=2000, seed=1)
    sub = ds.take(2000)
    judge = OracleFaceJudge()
    judge.remember(sub.x, sub.factors)
    return sub, judge


def test_a_generator_of_real_faces_is_valid_with_the_data_frequencies(real):
    sub, judge = real
    rep = faces_report(FacesOracle(judge), sub, quick=True, probe=judge)
    s = rep["samples"]
    assert s["valid_share"] == 1.0 and s["valid_share_real"] == 1.0
    assert s["max_share_gap"] < 0.1                                    # 500 + 500 samples
    assert "label_accuracy" not in rep and "categorical" not in rep
    collapsed = faces_report(FacesOracle(judge, collapse=True), sub, quick=True, probe=judge)["samples"]
    assert collapsed["valid_share"] == 1.0 and collapsed["max_share_gap"] > 0.45
    assert collapsed["fid"] > 10 * max(s["fid"], 1e-6)
    flat = flat_metrics(rep)
    assert {"valid_share", "clear_share", "fid", "fid_real", "max_share_gap", "skin_w1", "tilt_w1"} <= set(flat)
    assert all(isinstance(v, float) for v in flat.values())


def test_an_image_the_judge_cannot_read_is_not_a_valid_face(real):
    sub, judge = real
    noise = torch.rand(5, 3, 64, 64) * 2 - 1
    r = reading(judge, torch.cat([sub.x[:11], noise]))
    assert r["n"] == 16 and r["valid"] == r["clear"] == 11
    assert r["glasses"][1] == int(sub.factors["glasses"][:11].sum()) + 0   # unread ones count as value 0
    assert len(r["hair_colour"]) == 5 and len(r["skin"]) == 2


@pytest.mark.parametrize("follow", [True, False])
def test_a_cgan_is_scored_by_the_attributes_of_the_label_it_was_asked_for(real, follow):
    sub, judge = real
    g = FacesOracle(judge, label=follow)
    if not follow:
        g.num_classes = 4                                             # takes a label, ignores it
    rep = faces_report(g, sub, quick=True, probe=judge)
    assert (rep["label_accuracy"] == 1.0) if follow else (rep["label_accuracy"] < 0.45)


def test_infogan_codes_are_matched_to_the_attributes_they_drive(real):
    sub, judge = real
    flat = flat_metrics(faces_report(FacesOracle(judge, codes=True), sub, quick=True, probe=judge))
    assert flat["code_accuracy"] == flat["code_hair_style"] == 1.0
    assert flat["code_glasses"] <= 0.5                                 # two of four values matched
    assert flat["eye_size_corr"] > 0.99 and flat["tilt_corr"] > 0.99 and flat["skin_corr"] < 0.3
    g = FacesOracle(judge, codes=True)
    g.codes = False                                                   # has codes, ignores them
    flat = flat_metrics(faces_report(g, sub, quick=True, probe=judge))
    assert flat["code_accuracy"] < 0.45 and flat["eye_size_corr"] < 0.5


def test_the_registry_picks_each_data_sets_judge_and_takes_a_new_one_without_other_edits(
        real, tmp_path, monkeypatch):
    sub, _ = real
    import train.faces_metrics
    import train.label_metrics
    import train.shapes_metrics
    assert judges.judge_module(sub) is train.faces_metrics
    assert judges.judge_module(load_dataset("faces:hair_style", n=10)) is train.faces_metrics
    assert judges.judge_module(load_dataset("shapes", n=10)) is train.shapes_metrics
    assert judges.judge_module(load_dataset("ring8")) is train.label_metrics
    (tmp_path / "my_judge.py").write_text(
        "def applies(ds): return True\n"
        "def judge(ds, cache_dir=None): return 'my judge'\n"
        "def metrics(g, ds, **kw): return {'mine': 1.0, 'seed': float(kw['seed'])}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(judges.JUDGES, "mine", "my_judge")
    ds = type("DS", (), {"name": "mine:variant"})()
    assert judges.judge_for(ds) == "my judge"
    assert judges.evaluate(FacesOracle(OracleFaceJudge()), ds, seed=3) == {"mine": 1.0, "seed": 3.0}


def test_the_shared_metrics_import_no_data_sets_own_metrics():
    def imports(path):
        tree = ast.parse((ROOT / path).read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names.add((node.module or "").split(".")[-1])
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {a.name.split(".")[-1] for a in node.names}
        return names
    own = {"shapes_metrics", "faces_metrics", "label_metrics", "judges", "faces_judge", "faces", "shapes"}
    assert not imports("train/metrics.py") & own
    assert "judges" not in imports("train/shapes_metrics.py") | imports("train/faces_metrics.py")


def test_the_judge_is_cached_reports_every_attribute_and_reads_a_label(tmp_path, monkeypatch):
    monkeypatch.setattr(FJ, "BATCH", 8)
    monkeypatch.setattr(FJ, "HELD_OUT", 40)
    j = FJ.get_judge(tmp_path, steps=3)
    assert set(j.report["attributes"]) == set(F.DISCRETE) | set(F.CONTINUOUS)
    assert 0.0 <= j.report["face_accuracy"] <= 1.0
    files = list(tmp_path.glob("faces-judge-*.safetensors"))
    assert len(files) == 1 and f"-d{F.VERSION}-" in files[0].name
    monkeypatch.setattr(FJ, "train_judge", lambda *a, **k: pytest.fail("retrained despite the cache"))
    again = FJ.get_judge(tmp_path, steps=3)
    x = F.render(F.draw_factors(6, seed=5))
    assert np.allclose(again.features(x), j.features(x), atol=1e-5)
    r = again.read(x)
    assert r["hair_colour"].shape == (6, 5) and r["tilt"].shape == (6,) and r["valid"].dtype == bool
    assert (r["clear"] <= r["valid"]).all()
    view = again.for_label("glasses*smile")
    p = view.probabilities(x)
    assert p.shape == (6, 4) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert np.allclose(p[:, 3], r["glasses"][:, 1] * r["smile"][:, 1], atol=1e-6)
    assert view.num_classes == 4 and view.predict(x).shape == (6,)
    assert view.accuracy == min(j.report["attributes"]["glasses"], j.report["attributes"]["smile"])


def test_eval_cli_reports_face_metrics(tmp_path, monkeypatch):
    from train.cli import entry
    from train.evaluate_cli import evaluate_target
    monkeypatch.setenv("GAN_EXPLORER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(FJ, "JUDGE_STEPS", 3)
    monkeypatch.setattr(FJ, "BATCH", 8)
    monkeypatch.setattr(FJ, "HELD_OUT", 40)
    monkeypatch.setattr("train.faces_metrics.REAL_N", 120)
    torch.set_num_threads(1)
    assert entry(["--model", "infogan", "--dataset", "faces", "--steps", "2", "--batch-size", "8",
                  "--g-width", "4", "--d-width", "4", "--n-data", "200", "--out", str(tmp_path / "run"),
                  "--quiet"]) == 0
    res = evaluate_target(tmp_path / "run", quick=True)
    assert res["dataset"] == "faces"
    for k in ("judge_accuracy", "valid_share", "valid_share_real", "fid", "max_share_gap", "code_accuracy",
              "code_hair_colour", "tilt_corr"):
        assert isinstance(res[k], float), k
    assert "slant_corr" not in res
    json.dumps(res)


def test_live_quality_reads_a_faces_cgan_through_the_registry_judge(real, monkeypatch):
    from train import live_quality
    sub, judge = real
    monkeypatch.setattr("train.faces_judge.get_judge", lambda cache_dir=None, **k: judge)
    probe = live_quality._probe_for(sub, None)                 # what a run on faces gets
    assert isinstance(probe, FJ.LabelView) and probe.num_classes == 4
    for follow, want in ((True, 1.0), (False, 0.45)):
        g = FacesOracle(judge, label=follow)
        g.num_classes = 4
        scores = live_quality.QualityScorer(g, sub, n=100, probe=probe).score(g)
        assert scores["q_confident"] == 1.0
        assert (scores["q_label_acc"] == want) if follow else (scores["q_label_acc"] < want)
