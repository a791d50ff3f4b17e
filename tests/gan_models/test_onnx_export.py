"""ONNX export: every kind of generator runs in onnxruntime at any batch size and matches torch."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from explorer.cli import main
from gan_models import default_config
from gan_models.checkpoint import load_checkpoint, save_checkpoint
from gan_models.onnx_export import export_generator_onnx, export_onnx
from gan_models.registry import build_generator

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "models"
TOLERANCE = 1e-4
CONFIGS = {   # small models of every kind and architecture the registry builds
    "gan-points": lambda: default_config("gan", (2,), g_width=16),
    "gan-points-batchnorm": lambda: default_config("gan", (2,), g_width=16, g_norm="batch"),
    "gan-mlp-image": lambda: default_config("gan", (1, 28, 28), g_width=32),
    "dcgan-28": lambda: default_config("dcgan", (1, 28, 28), g_width=8),
    "dcgan-32-rgb": lambda: default_config("dcgan", (3, 32, 32), g_width=4, z_dim=20),
    "cgan-conv": lambda: default_config("cgan", (1, 28, 28), g_width=8),
    "cgan-projection-64": lambda: default_config("cgan", (3, 64, 64), g_width=4, z_dim=20, num_classes=4,
                                                 cond="projection", d_norm="spectral"),
    "cgan-points": lambda: default_config("cgan", (2,), num_classes=3, g_width=16),
    "infogan-conv": lambda: default_config("infogan", (1, 28, 28), g_width=8),
    "infogan-cbn-64": lambda: default_config("infogan", (3, 64, 64), g_width=4, z_dim=8, cat_codes=(4,),
                                             cont_codes=2, cond="cbn", d_norm="spectral"),
    "began-28": lambda: default_config("began", (1, 28, 28), g_width=8, z_dim=16),
    "began-64-rgb": lambda: default_config("began", (3, 64, 64), g_width=4, z_dim=8),
    "infogan-points": lambda: default_config("infogan", (2,), arch="mlp", cat_codes=(3,), cont_codes=1,
                                             g_width=16, z_dim=4),
}
KINDS = list(CONFIGS) + ["bundled-infogan-digits", "bundled-gan-ring8"]


def _vivid(g: nn.Module) -> nn.Module:
    """Weights and BatchNorm statistics far from the defaults, so train-mode BN or a wrong
    input order would show up as a large difference."""
    torch.manual_seed(0)
    for m in g.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.2)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return g


def _checkpoint(kind: str, folder: Path) -> Path:
    if kind.startswith("bundled-"):
        return BUNDLED / f"{kind[len('bundled-'):]}.safetensors"
    cfg = CONFIGS[kind]()
    names = [f"class{i}" for i in range(cfg.num_classes)]
    return save_checkpoint(folder / f"{kind}.safetensors", cfg, _vivid(build_generator(cfg)).eval(),
                           meta={"class_names": names, "dataset": "toy", "step": 7})


def _inputs(g, n: int, seed: int) -> dict:
    """Random z, one-hot labels and codes as numpy arrays, keyed by ONNX input name."""
    gen = torch.Generator().manual_seed(seed)
    feeds = {"z": torch.randn(n, g.z_dim, generator=gen)}
    if g.num_classes:
        feeds["label_onehot"] = nn.functional.one_hot(
            torch.randint(0, g.num_classes, (n,), generator=gen), g.num_classes).float()
    if g.code_layout:
        cat, cont = g.code_layout.sample(n, gen)
        feeds["codes"] = g.code_layout.encode(cat, cont, n)
    return {k: v.numpy() for k, v in feeds.items()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """kind -> (loaded checkpoint, .onnx path, summary), each exported once."""
    folder = tmp_path_factory.mktemp("onnx")
    cache = {}

    def get(kind):
        if kind not in cache:
            ck = load_checkpoint(_checkpoint(kind, folder))
            summary = export_generator_onnx(ck, folder / f"{kind}.onnx")
            cache[kind] = (ck, summary.path, summary)
        return cache[kind]
    return get


@pytest.mark.parametrize("kind", KINDS)
def test_onnx_matches_torch_at_two_batch_sizes(exported, kind):
    ck, path, _ = exported(kind)
    g = ck.generator
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == list(_inputs(g, 1, 0))
    for n, seed in ((1, 1), (9, 2)):                  # dynamic batch: not the export's batch of 2
        feeds = _inputs(g, n, seed)
        (onnx_out,) = sess.run(None, feeds)
        with torch.no_grad():
            ref = g.generate(torch.from_numpy(feeds["z"]),
                             torch.from_numpy(feeds["label_onehot"]) if "label_onehot" in feeds else None,
                             torch.from_numpy(feeds["codes"]) if "codes" in feeds else None).numpy()
        assert onnx_out.shape == (n, *g.output_shape)
        diff = float(np.abs(onnx_out - ref).max())
        print(f"{kind}: batch {n} max abs diff {diff:.2e}")
        assert diff <= TOLERANCE, f"{kind}: batch {n} differs from torch by {diff}"
        if g.is_image:
            assert -1 - TOLERANCE <= onnx_out.min() and onnx_out.max() <= 1 + TOLERANCE   # tanh, up to rounding


def test_metadata_describes_inputs_outputs_and_model(exported):
    import json
    _, path, summary = exported("infogan-conv")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    assert meta == summary.metadata
    assert meta["model_kind"] == "infogan" and json.loads(meta["z_dim"]) == 62
    assert json.loads(meta["value_range"]) == [-1.0, 1.0]
    layout = json.loads(meta["code_layout"])
    assert layout["categorical"] == [10] and layout["continuous"] == 2
    assert [c["start"] for c in layout["columns"]] == [0, 10, 11]
    assert [i["name"] for i in json.loads(meta["inputs"])] == ["z", "codes"]
    assert json.loads(meta["outputs"])[0]["shape"] == ["N", 1, 28, 28]
    assert [d.dim_param for d in _dims(path, "image")][:1] == ["N"]
    cgan = exported("cgan-points")[2].metadata
    assert json.loads(cgan["class_names"]) == ["class0", "class1", "class2"]
    assert json.loads(cgan["value_range"]) is None      # linear output: points are unbounded


def _dims(path, output_name):
    import onnx
    model = onnx.load(str(path))
    (out,) = [o for o in model.graph.output if o.name == output_name]
    return list(out.type.tensor_type.shape.dim)


def test_export_leaves_the_loaded_model_untouched_and_uses_eval_batchnorm(tmp_path):
    ck = load_checkpoint(_checkpoint("gan-points-batchnorm", tmp_path))
    g = ck.generator.train()                           # even a model left in train mode
    before = {k: v.clone() for k, v in g.state_dict().items()}
    export_generator_onnx(ck, tmp_path / "g.onnx")
    assert g.training and all(p.requires_grad for p in g.parameters())
    assert all(torch.equal(v, g.state_dict()[k]) for k, v in before.items())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temp file left
    z = _inputs(g, 5, 3)["z"]
    (onnx_out,) = ort.InferenceSession(str(tmp_path / "g.onnx")).run(None, {"z": z})
    with torch.no_grad():
        eval_out = copy.deepcopy(g).eval()(torch.from_numpy(z)).numpy()   # BatchNorm on running stats
        batch_stats_out = copy.deepcopy(g)(torch.from_numpy(z)).numpy()    # on this batch's stats
    assert np.abs(onnx_out - eval_out).max() <= TOLERANCE < np.abs(onnx_out - batch_stats_out).max()


def test_cli_writes_the_file_and_prints_the_summary(tmp_path, capsys):
    out = tmp_path / "sub" / "G.onnx"
    assert main(["export", str(BUNDLED / "cgan-digits.safetensors"), "--onnx", str(out)]) == 0
    printed = capsys.readouterr().out
    assert len(printed.strip().splitlines()) == 5        # the summary, none of the exporter's chatter
    assert out.is_file() and out.stat().st_size > 100_000
    assert f"wrote {out}" in printed and "cgan generator" in printed
    assert "z             float32 (N, 100)" in printed
    assert "label_onehot  float32 (N, 10)" in printed
    assert "image         float32 (N, 1, 28, 28)  in [-1, 1]" in printed


@pytest.mark.parametrize("args,needle", [
    (["export", "no/such.safetensors", "--onnx", "G.onnx"], "no/such.safetensors: no such file"),
    (["export", str(BUNDLED / "gan-ring8.safetensors"), "--onnx", "G.pt"], "must end in .onnx"),
    (["export", str(BUNDLED / "gan-ring8.safetensors"), "--onnx", "G.onnx", "--opset", "7"], "--opset 7"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_exporter_package_names_what_to_install(tmp_path, capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnxscript", None)   # as if it were not installed
    assert main(["export", str(BUNDLED / "gan-ring8.safetensors"), "--onnx", str(tmp_path / "G.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert "onnxscript" in err and "pip install" in err and len(err.splitlines()) == 1


def test_export_onnx_loads_a_run_folder(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    ckpt = _checkpoint("dcgan-32-rgb", tmp_path)
    ckpt.rename(run / "checkpoints" / "latest.safetensors")
    summary = export_onnx(run, tmp_path / "g.onnx")
    assert summary.outputs[0].shape == ("N", 3, 32, 32) and summary.metadata["source"] == "latest.safetensors"
