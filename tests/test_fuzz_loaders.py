"""Issue 29, item 4: property-based fuzzing of the real loaders. Hypothesis draws damaged
checkpoints (header JSON, header bytes, body bytes, a bundled model's header), foreign .pth files,
malicious pickles, IDX, PNG and CIFAR folders (tests/fuzz_strategies.py, tests/fuzz_data.py); each case is loaded in a
capped worker subprocess (tests/fuzz_helpers.py). The property: the file loads, or is refused with
one GanExplorerError line naming no Python exception; never another exception, a memory blow-up, a
hang, or code from the file running.

Reproducible: derandomized, no example database. FUZZ_SCALE=4 draws four times as many cases;
FUZZ_COUNT_ONLY=1 and FUZZ_TARGET=CHECKOUT count the outcomes of another checkout without asserting
(tests/fuzz_helpers.py)."""
import json
import os
import pickle

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_data as fd
import fuzz_strategies as fs
from fuzz_helpers import COUNT_ONLY, EXAMPLES, ROOT, TALLY, FuzzRig, LoaderWorker, problem, summarize

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), derandomize=True, database=None, deadline=None,
                    print_blob=False, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    worker = LoaderWorker()
    yield FuzzRig(tmp_path_factory.mktemp("fuzz"), worker)
    worker.close()
    print("\n" + summarize() + f"\n(worker started {worker.starts} times)")
    for (cat, outcome), msg in sorted(EXAMPLES.items()):
        if outcome not in ("loaded", "refused"):
            print(f"  {cat} {outcome}: {msg}")
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as f:
            json.dump({k: dict(v) for k, v in TALLY.items()}, f, indent=1)


@pytest.fixture(scope="module")
def good_raw(tmp_path_factory) -> bytes:
    """A small CGAN checkpoint with D, meta and a training state: every header field there is."""
    from gan_models import default_config
    from gan_models.checkpoint import save_checkpoint
    from gan_models.registry import build_discriminator, build_generator
    cfg = default_config("cgan", (1, 28, 28), g_width=8, d_width=8)
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path_factory.mktemp("good") / "good.safetensors", cfg, build_generator(cfg),
                           build_discriminator(cfg), meta={"class_names": [str(i) for i in range(10)], "step": 3,
                                                           "created": "2026-12-07T00:00:00+00:00"},   # same bytes every run
                           training_state={"step": 3, "opt": {"lr": 2e-4, "m": torch.zeros(4)}})
    header, body = fs.split(path.read_bytes())     # safetensors writes __metadata__ in hash order,
    return fs.Raw(fs.join(json.dumps(header, sort_keys=True).encode(), body))   # new each process: sort it


def _file(data: bytes, suffix=".safetensors"):
    def write(path, marker):
        path = path.with_suffix(suffix)
        path.write_bytes(data)
        return path
    return write


@fuzz(100)
@given(data=st.data(), state=st.booleans())
def test_checkpoint_header_json(rig, good_raw, data, state):
    rig.check("ckpt-header", _file(data.draw(fs.header_mutation(good_raw))), state=state)


@fuzz(40)
@given(data=st.data(), state=st.booleans())
def test_bundled_model_header_json(rig, data, state):
    raw = fs.Raw((ROOT / "resources" / "models" / "gan-ring8.safetensors").read_bytes())
    rig.check("bundled-header", _file(data.draw(fs.header_mutation(raw))), state=state)


@fuzz(40)
@given(data=st.data())
def test_checkpoint_header_bytes(rig, good_raw, data):
    rig.check("ckpt-bytes", _file(data.draw(fs.header_bytes_mutation(good_raw))))


@fuzz(50)
@given(data=st.data(), state=st.booleans())
def test_checkpoint_body(rig, good_raw, data, state):
    rig.check("ckpt-body", _file(data.draw(fs.body_mutation(good_raw))), state=state)


@fuzz(50)
@given(data=fs.foreign_pth(), suffix=st.sampled_from([".pth", ".pt"]))
def test_foreign_pytorch_file(rig, data, suffix):
    rig.check("foreign-pth", _file(data, suffix))


@fuzz(30)
@given(write=fs.malicious_file())
def test_malicious_pickle_never_runs(rig, write):
    result = rig.check("malicious-pickle", write)
    assert result["outcome"] == "refused" or COUNT_ONLY, result


@fuzz(60)
@given(write=fd.idx_folder())
def test_idx_folder(rig, write):
    rig.check("idx", write, loader="dataset")


@fuzz(60)
@given(write=fd.png_folder())
def test_png_folder(rig, write):
    rig.check("png", write, loader="dataset")


@fuzz(60)
@given(write=fd.cifar_folder() | st.just(lambda folder, marker: (folder / "data_batch_1").write_bytes(
    fd.cifar_payload(marker))))
def test_cifar_folder(rig, write):
    rig.check("cifar", write, loader="dataset")


def test_the_fuzzer_reaches_both_sides():
    """The draws reach both outcomes of the loaders, so the property says something (runs after
    the fuzz tests above, in file order)."""
    if not TALLY:
        pytest.skip("the fuzz tests did not run")
    for cat in ("ckpt-header", "ckpt-body", "bundled-header", "foreign-pth", "idx", "png", "cifar"):
        if cat in TALLY:
            assert TALLY[cat]["loaded"] and TALLY[cat]["refused"], (cat, TALLY[cat])


def test_the_pickle_payload_would_leave_its_marker(tmp_path):
    """The `ran_code` check is real: unpickled naively, the fuzzer's payloads do run."""
    import io
    for kind in range(5):
        marker = tmp_path / f"ran{kind}"
        data = fs.malicious_pickle(kind, 2, str(marker))
        if data[:2] == b"PK":
            torch.load(io.BytesIO(data), weights_only=False)
        else:
            pickle.loads(data)
        assert marker.is_dir(), kind
    marker = tmp_path / "cifar"
    pickle.loads(fd.cifar_payload(str(marker)))
    assert marker.is_dir()


def test_the_property_rejects_what_it_should():
    assert problem({"outcome": "refused", "message": "a.safetensors: the file is empty"}) is None
    assert problem({"outcome": "loaded", "message": ""}) is None
    for bad in ({"outcome": "crashed", "message": "TypeError: x"}, {"outcome": "died", "message": ""},
                {"outcome": "refused", "message": "two\nlines"},
                {"outcome": "refused", "message": "x.pth: not a batch (UnpicklingError: bad)"}):
        assert problem(bad), bad
