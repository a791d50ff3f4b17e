"""Issue 29, the loader: every bug class found by mutating checkpoints is a CheckpointError naming the
file, raised before anything is built: deep JSON, wrong JSON types, huge configs, NaN weights,
damaged training state, foreign .pth files with int keys, meta or sparse tensors."""
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gan_models import CheckpointError, default_config
from gan_models.checkpoint import load_checkpoint, read_header, save_checkpoint
from gan_models.registry import build_discriminator, build_generator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def good(tmp_path):
    cfg = default_config("cgan", (1, 28, 28), g_width=8, d_width=8)
    torch.manual_seed(0)
    return save_checkpoint(tmp_path / "good.safetensors", cfg, build_generator(cfg), build_discriminator(cfg),
                           meta={"class_names": [str(i) for i in range(10)], "step": 3})


def _with_header(path: Path, fn, raw_header: bytes | None = None) -> Path:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    if raw_header is None:
        fn(header)
        raw_header = json.dumps(header).encode()
    out = path.with_name("bad.safetensors")
    out.write_bytes(struct.pack("<Q", len(raw_header)) + raw_header + raw[8 + n:])
    return out


def _md(**kv):
    return lambda h: h["__metadata__"].update(kv)


def _first_tensor(h):
    return next(k for k in h if k != "__metadata__")


def _set_entry(field, value):
    return lambda h: h[_first_tensor(h)].__setitem__(field, value)


def _meta(good_path, **kv):
    raw = good_path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    meta = json.loads(json.loads(raw[8:8 + n])["__metadata__"]["meta"])
    meta.update(kv)
    return _md(meta=json.dumps(meta))


CASES = {
    "deep nesting in the header": (None, b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    "deep nesting in the config": (_md(config="[" * 200_000 + "]" * 200_000), None, "nested too deeply"),
    "data_offsets of strings": (_set_entry("data_offsets", ["a", 3]), None, "data offsets"),
    "data_offsets of floats": (_set_entry("data_offsets", [0.5, 2]), None, "data offsets"),
    "data_offsets not matching the shape": (_set_entry("data_offsets", [0, 4]), None, "needs"),
    "shape a number": (_set_entry("shape", 5), None, "shape"),
    "shape negative": (_set_entry("shape", [-1, 4]), None, "shape"),
    "dtype a number": (_set_entry("dtype", 5), None, "dtype"),
    "entry a list": (lambda h: h.__setitem__(_first_tensor(h), [1, 2]), None, "not an object"),
    "__metadata__ a list": (lambda h: h.__setitem__("__metadata__", [1]), None, "__metadata__"),
    "format_version a list": (lambda h: h["__metadata__"].__setitem__("format_version", [1]), None,
                              "__metadata__"),
    "config a number": (_md(config="12"), None, "model config"),
    "config with a string width": (None, None, "g_width"),
    "a huge integer": (_md(config='{"z_dim": ' + "9" * 5000 + "}"), None, "not valid JSON"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_headers_are_refused_by_name(good, name):
    fn, raw_header, needle = CASES[name]
    if name == "config with a string width":
        cfg = dict(default_config("cgan", (1, 28, 28), g_width=8, d_width=8).to_dict(), g_width="8")
        fn = _md(config=json.dumps(cfg))
    bad = _with_header(good, fn, raw_header)
    for load in (load_checkpoint, read_header):
        with pytest.raises(CheckpointError, match="bad.safetensors") as e:
            load(bad)
        assert needle in str(e.value), str(e.value)


@pytest.mark.parametrize("meta,needle", [
    ({"value_range": [0, 0]}, "value_range"), ({"value_range": "ab"}, "value_range"),
    ({"value_range": [0, float("nan")]}, "value_range"), ({"class_names": 5}, "class_names"),
    ({"class_names": [1, 2]}, "class_names"), ({"dataset": {"a": 1}}, "dataset"), ({"step": "x"}, "step"),
])
def test_run_facts_of_the_wrong_type_are_refused(good, meta, needle):
    with pytest.raises(CheckpointError, match=needle):
        load_checkpoint(_with_header(good, _meta(good, **meta)))


def test_a_missing_value_range_of_an_image_model_is_the_default(good):
    assert load_checkpoint(_with_header(good, _meta(good, value_range=None))).value_range == [-1.0, 1.0]


_HUGE = {"dcgan 64x64 with d_width 4096": dict(kind="dcgan", arch="conv", data_shape=[3, 64, 64],
                                                g_width=4096, d_width=4096),
         "an mlp over 10^9 inputs": dict(kind="gan", arch="mlp", data_shape=[10**9], g_width=1024,
                                         d_width=1024, z_dim=100)}


@pytest.mark.parametrize("name", list(_HUGE))
def test_configs_too_big_together_are_refused_before_building(good, name):
    """Each field in range, the whole 30-1500 GB: refused from the config alone. Run under a 3 GB
    address-space cap, so a loader that built the networks fails the test instead of the machine."""
    bad = _with_header(good, _md(config=json.dumps(_HUGE[name])))
    code = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
            f"from gan_models.checkpoint import load_checkpoint\nfrom gan_models.errors import CheckpointError\n"
            f"try:\n    load_checkpoint({str(bad)!r})\nexcept CheckpointError as e:\n    print('REFUSED', e)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("REFUSED") and "parameters" in r.stdout, (r.stdout, r.stderr[-2000:])


def test_non_finite_weights_are_refused_naming_the_tensor(tmp_path):
    cfg = default_config("dcgan", (1, 28, 28), g_width=8, d_width=8)
    g = build_generator(cfg)
    name, w = next((k, v) for k, v in g.state_dict().items() if v.is_floating_point() and v.numel() > 1)
    with torch.no_grad():
        w.view(-1)[0] = float("nan")
    p = save_checkpoint(tmp_path / "nan.safetensors", cfg, g)
    with pytest.raises(CheckpointError, match=f"tensor G.{name} holds NaN"):
        load_checkpoint(p)


def test_a_damaged_training_state_skeleton(good):
    bad = _with_header(good, _md(training_state=json.dumps({"__dict__": [["opt", {"__tensor__": "state.nope"}]]})))
    with pytest.raises(CheckpointError, match="training state is damaged"):
        load_checkpoint(bad, training_state=True)
    assert load_checkpoint(bad).generator is not None          # the weights alone still load


def _pytorch_dcgan(nz=16, ngf=4, nc=3) -> dict:
    from fuzz_strategies import dcgan_netg       # tests/ is on sys.path (its conftest.py)
    return dcgan_netg(nz, ngf, nc, tracked=False)


@pytest.mark.parametrize("mutate,needle", [
    (lambda sd: sd.__setitem__(0, torch.zeros(3)), "key 0 is not a name"),
    (lambda sd: sd.__setitem__("main.0.weight", torch.empty(16, 32, 4, 4, device="meta")), "meta"),
    (lambda sd: sd.__setitem__("main.1.bias", torch.zeros(32).to_sparse()), "sparse"),
    (lambda sd: sd["main.3.weight"].view(-1).__setitem__(0, float("inf")), "G.project.weight|G.body"),
])
def test_foreign_pth_files_are_refused_clearly(tmp_path, mutate, needle):
    sd = _pytorch_dcgan()
    assert load_checkpoint(_save_pth(tmp_path / "ok.pth", sd)).generator is not None
    mutate(sd)
    with pytest.raises(CheckpointError, match=needle):
        load_checkpoint(_save_pth(tmp_path / "bad.pth", sd))


def _save_pth(path, sd):
    torch.save(sd, path)
    return path


@pytest.mark.parametrize("count", [torch.zeros(0), torch.zeros(3), torch.tensor([[7]])])
def test_a_foreign_pth_whose_batch_counter_is_not_one_number(tmp_path, count):
    """Found by the Hypothesis fuzzer: a num_batches_tracked of shape (0,) or (3,) crashed the
    weight copy with a RuntimeError; one of shape (1, 1) is still one number and loads."""
    sd = _pytorch_dcgan()
    sd["main.4.num_batches_tracked"] = count
    torch.save(sd, tmp_path / "netG.pth")
    for b in ("main.1", "main.7", "main.10"):
        sd[f"{b}.num_batches_tracked"] = torch.tensor(5)
    if count.numel() == 1:
        g = load_checkpoint(tmp_path / "netG.pth").generator
        assert [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)][1].num_batches_tracked.item() == 7
        return
    with pytest.raises(CheckpointError, match=r"netG.pth: .*main.4.num_batches_tracked has shape .*one number"):
        load_checkpoint(tmp_path / "netG.pth")
