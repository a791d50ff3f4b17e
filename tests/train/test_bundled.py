"""Every bundled model (resources/models/*.safetensors) opens offline through the one loader,
says what it is, carries its metrics, is small, and draws finite samples in range."""
from pathlib import Path

import pytest
import torch

from gan_models.checkpoint import load_checkpoint, read_header
from gan_models.latent import sample_z
from gan_models.sample import render

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "resources" / "models"
EXPECTED = {"gan-ring8": "gan", "gan-grid25": "gan", "dcgan-digits": "dcgan",
            "cgan-digits": "cgan", "infogan-digits": "infogan",
            "dcgan-shapes": "dcgan", "cgan-shapes": "cgan", "infogan-shapes": "infogan",
            "dcgan-faces": "dcgan", "cgan-faces": "cgan", "infogan-faces": "infogan",
            "began-digits": "began"}
# bench/make_models.py KEEP_D: shipped with D for the probe panel (BEGAN: the reconstruction-error column)
WITH_D = {"dcgan-shapes", "dcgan-faces", "began-digits"}
MAX_BYTES = 4 * 1024 * 1024


def _path(name):
    p = MODELS / f"{name}.safetensors"
    if not p.exists():
        pytest.skip(f"{p} not built yet (make models)")
    return p


def test_all_twelve_are_bundled():
    missing = [n for n in EXPECTED if not (MODELS / f"{n}.safetensors").exists()]
    assert not missing, f"missing bundled models: {missing} (make models)"


@pytest.mark.parametrize("name,kind", sorted(EXPECTED.items()))
def test_bundled_model_metadata_and_samples(name, kind):
    torch.set_num_threads(1)
    p = _path(name)
    assert p.stat().st_size <= MAX_BYTES
    ck = load_checkpoint(p)
    assert ck.training_state is None                                    # never optimizer state
    assert (ck.discriminator is not None) == (name in WITH_D)           # G only, or G and D
    assert ck.config.kind == kind == ck.meta["kind"]
    meta = ck.meta
    assert meta["name"] == name and meta["description"] and meta["recipe"].endswith(f"{name}.toml")
    assert (ROOT / meta["recipe"]).is_file()
    m = meta["metrics"]
    assert m and all(isinstance(v, float) for v in m.values())
    cfg, hdr_meta = read_header(p)                                       # fast path agrees
    assert cfg.kind == kind and hdr_meta["metrics"] == m
    faces = meta.get("dataset") == "faces"
    if faces:                                    # measured by the faces judge (train/faces_metrics.py)
        assert {"fid", "judge_accuracy", "valid_share", "max_share_gap"} <= set(m)
        assert m["valid_share"] >= 0.85 and m["valid_share_real"] > 0.95
    elif ck.config.is_image:
        assert {"fid", "probe_accuracy"} <= set(m)
    else:
        assert {"modes", "modes_total", "hq_fraction", "kl"} <= set(m)
        assert m["modes_total"] == (8.0 if name == "gan-ring8" else 25.0)
    if kind == "cgan":
        names = {"shapes": ["square", "circle", "triangle", "cross"],
                 "faces": ["no glasses, neutral", "no glasses, smiling", "glasses, neutral", "glasses, smiling"]}.get(
            meta.get("dataset"), [str(i) for i in range(10)])
        assert ck.class_names == names and ck.config.num_classes == len(names)
        assert "label_accuracy" in m
    shapes = meta.get("dataset") == "shapes"
    if shapes:                                   # 64x64 colour, measured by the shape classifier
        assert tuple(ck.config.data_shape) == (3, 64, 64)
        assert {"confident_share", "confident_share_real", "class_kl", "hue_tv", "x_w1"} <= set(m)
        assert 0 <= m["confident_share"] <= 1 and m["confident_share_real"] > 0.95
    if kind == "infogan":
        layout = ck.generator.code_layout
        if shapes:
            assert tuple(layout.categorical) == (4,) and layout.continuous == 4
            assert {"code_accuracy", "x_corr", "y_corr", "hue_corr", "scale_corr"} <= set(m)
            assert 0.25 <= m["code_accuracy"] <= 1           # 4 shapes: chance is 0.25
        elif faces:                              # code matched against every discrete attribute
            assert tuple(layout.categorical) == (4,) and layout.continuous == 4
            assert {"code_accuracy", "code_hair_style", "code_glasses_x_smile", "skin_corr", "tilt_corr"} <= set(m)
        else:
            assert tuple(layout.categorical) == (10,) and layout.continuous == 2
            assert {"code_accuracy", "slant_corr", "width_corr"} <= set(m)
    g = ck.generator
    z = sample_z(16, g.z_dim, 0, g.z_dist)
    label = torch.arange(16) % g.num_classes if g.num_classes else None
    codes = g.code_layout.encode(*g.code_layout.sample(16, torch.Generator().manual_seed(0)), 16) \
        if g.code_layout else None
    x = render(g, z, label, codes)
    assert x.shape == (16, *g.output_shape) and torch.isfinite(x).all()
    if ck.config.is_image:
        lo, hi = ck.value_range
        assert x.min() >= lo - 1e-3 and x.max() <= hi + 1e-3
    else:
        assert x.abs().max() < 20          # points near the toy's support (ring radius 1, grid +-4)


def test_quality_bench_on_user_idx_data(tmp_path, monkeypatch):
    """bench/quality.py --data PATH: short models on a tiny IDX folder -> the image table."""
    import importlib.util
    import sys

    import numpy as np
    monkeypatch.setenv("GAN_EXPLORER_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    n = 200
    labels = np.arange(n) % 10
    imgs = np.zeros((n, 28, 28), np.uint8)
    for i, c in enumerate(labels):                       # one bar per class: learnable, tiny
        imgs[i, 4:24, 2 + 2 * c: 4 + 2 * c] = 255
        imgs[i] = np.clip(imgs[i] + rng.integers(0, 30, (28, 28)), 0, 255)
    data = tmp_path / "mnist"
    data.mkdir()

    def idx(arr):
        arr = np.asarray(arr, np.uint8)
        head = (0x0800 | arr.ndim).to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
        return head + arr.tobytes()
    (data / "train-images-idx3-ubyte").write_bytes(idx(imgs))
    (data / "train-labels-idx1-ubyte").write_bytes(idx(labels))
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "bench" / "quality.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_quality"] = mod
    spec.loader.exec_module(mod)
    out = tmp_path / "bench.md"
    raw = tmp_path / "bench.json"
    assert mod.main(["--data", str(data), "--digit-steps", "2", "--digit-width", "8", "--threads", "1",
                     "--quick", "--probe-steps", "10",
                     "--out", str(out), "--json", str(raw)]) == 0
    text = out.read_text()
    assert "CGAN label accuracy" in text and "InfoGAN categorical code accuracy" in text and "probe FID" in text
    import json
    res = json.loads(raw.read_text())
    assert set(res["images"]) == {"dcgan-data", "cgan-data", "infogan-data"}
    assert 0 <= res["images"]["cgan-data"]["label_accuracy"] <= 1
    assert "toys" not in res


def test_quality_bench_merges_a_toy_protocol_run_in_parts():
    """--first-seed + --toys-from: seeds 0-1 and 2-3 of one protocol become one 4-seed row."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_quality_merge", ROOT / "bench" / "quality.py")
    q = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(q)

    def row(seeds, hq, steps=4000):
        per = [{"seed": s, "modes": 8.0, "hq_fraction": h, "kl": 0.1} for s, h in zip(seeds, hq)]
        return q.summarise_toy({"toy": "ring8", "variant": "GAN", "pack": 1, "steps": steps, "lr": 1e-3,
                                "batch_size": 256, "per_seed": per, "seconds": 10.0, "paper": (6.3, 98.2)})
    merged = q.merge_toy_rows([row([0, 1], [0.5, 0.7]), row([2, 3], [0.9, 0.5]), row([0], [0.2], steps=8000),
                               row([1], [0.1])])          # seed 1 again (a re-run elsewhere): the first one counts
    assert len(merged) == 2
    four = next(r for r in merged if r["steps"] == 4000)
    assert four["seeds"] == 4 and [m["seed"] for m in four["per_seed"]] == [0, 1, 2, 3]
    assert four["hq"][0] == pytest.approx(65.0) and four["seconds"] == 20.0
    assert next(r for r in merged if r["steps"] == 8000)["seeds"] == 1      # another protocol stays apart


def test_benchmarks_page_is_what_quality_py_writes_from_the_saved_results(tmp_path):
    """docs/benchmarks.md is produced by bench/quality.py: rebuilt from bench/results (the saved
    raw results, as `make benchmarks-page` does), every table row and note comes out the same."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_quality_page", ROOT / "bench" / "quality.py")
    q = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(q)
    res = ROOT / "bench" / "results"
    out = tmp_path / "benchmarks.md"
    assert q.main(["--toys-from", str(res / "toys"), "--probe-from", str(res / "probe.json"),
                   "--projector-from", str(res / "projector.json"), "--shapes-from", str(res / "shapes.json"),
                   "--notes-file", str(res / "notes.md"), "--out", str(out)]) == 0

    def body(text):        # the page less the lines that describe this particular run of it
        return [ln for ln in text.splitlines()
                if not ln.startswith(("- Machine:", "- Date:", "- Command:", "Total time of this bench"))]
    committed, rebuilt = body((ROOT / "docs" / "benchmarks.md").read_text()), body(out.read_text())
    assert sum(ln.startswith("| ring8 |") or ln.startswith("| grid25 |") for ln in rebuilt) >= 10
    assert rebuilt == committed, "docs/benchmarks.md is stale: run `make benchmarks-page`"
