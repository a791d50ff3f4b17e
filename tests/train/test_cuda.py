"""The CUDA paths: training (every kind, bf16, channels-last, compile), resume, the render engine.

They run only where torch sees a CUDA GPU (a lent GPU machine; CI has none, so CI skips them).
Qt-free on purpose: the GPU machine has torch but no PySide6.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gan_models.checkpoint import load_checkpoint
from train.run_folder import read_jsonl, training_rows
from train.setup import create_trainer, resume_trainer

from conftest import poisoned_after_checkpoint, tiny_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "models"


@pytest.mark.parametrize("kind,dataset", [("gan", "ring8"), ("dcgan", "digits"), ("cgan", "digits"),
                                          ("infogan", "digits")])
def test_each_kind_trains_on_cuda_and_its_checkpoint_loads_on_the_cpu(tmp_path, kind, dataset):
    tr = create_trainer(tiny_config(kind, dataset, device="cuda"), out=tmp_path / "run")
    assert next(tr.G.parameters()).is_cuda and tr.run() == "finished"
    rows = training_rows(read_jsonl(tmp_path / "run" / "metrics.jsonl"))
    assert [r["step"] for r in rows] == [2, 4, 6] and all(np.isfinite(r["loss_d"]) for r in rows)
    ck = load_checkpoint(tmp_path / "run", device="cpu")
    assert ck.meta["step"] == 6 and not next(ck.generator.parameters()).is_cuda


@pytest.mark.parametrize("opts", [{"amp": "bf16"}, {"channels_last": True}, {"compile": True},
                                  {"amp": "bf16", "channels_last": True, "compile": True}])
def test_speed_options_train_dcgan_on_cuda(tmp_path, opts):
    tr = create_trainer(tiny_config("dcgan", device="cuda", steps=8, **opts), out=tmp_path / "run")
    assert tr.run() == "finished"
    rows = training_rows(read_jsonl(tmp_path / "run" / "metrics.jsonl"))
    assert all(np.isfinite(r["loss_g"]) and 0 <= r["d_fake"] <= 1 for r in rows)
    ck = load_checkpoint(tmp_path / "run")                  # same parameter names as eager
    assert ck.meta["step"] == 8


def test_resume_on_cuda_continues_the_run(tmp_path):
    cfg = tiny_config("infogan", device="cuda", steps=10, checkpoint_every=0, autosave_seconds=1e9)
    b = create_trainer(cfg, out=tmp_path / "b")
    b.run(should_stop=lambda: b.step_count >= 5)
    b2 = resume_trainer(tmp_path / "b")
    assert b2.step_count == 5 and next(b2.G.parameters()).is_cuda
    assert b2.run() == "finished"
    assert [r["step"] for r in training_rows(read_jsonl(tmp_path / "b" / "metrics.jsonl"))] == [2, 4, 6, 8, 10]


@pytest.mark.parametrize("name", ["dcgan-digits", "cgan-digits", "infogan-digits", "gan-ring8"])
def test_render_engine_on_cuda_matches_the_cpu(name):
    from explorer.engine import Engine
    from explorer.latents import sample_batch
    from explorer.requests import LoadRequest, RenderRequest
    outs = []
    for dev in ("cpu", "cuda"):
        eng = Engine(device=dev)
        info = eng.load(LoadRequest(str(BUNDLED / f"{name}.safetensors"), 1))
        res = eng.run(RenderRequest("t", 1, sample_batch(info, 16, seed=3)))
        outs.append(res.images if res.images is not None else res.points)
    cpu, gpu = outs
    if cpu.dtype == np.uint8:          # images: at most a grey level or two apart (fp16 weights, TF32)
        assert np.abs(cpu.astype(int) - gpu.astype(int)).max() <= 8
        assert np.abs(cpu.astype(int) - gpu.astype(int)).mean() < 0.5
    else:
        assert np.allclose(cpu, gpu, atol=1e-2)


def test_nan_guard_fires_at_the_next_logged_row_on_cuda(tmp_path):
    from train.engine import TrainingDiverged
    tr, good, before = poisoned_after_checkpoint(tmp_path, device="cuda")   # log_every 2, NaN after step 4
    with pytest.raises(TrainingDiverged) as e:
        tr.run()
    assert "step 6" in str(e.value) and good.read_bytes() == before   # the row at step 6 saw it
    assert read_jsonl(tmp_path / "run" / "events.jsonl")[-1]["event"] == "diverged"


def test_step_on_cuda_queues_without_waiting_for_the_gpu(tmp_path):
    """No device sync inside step(): the numbers stay on the GPU until a logged row."""
    tr = create_trainer(tiny_config("dcgan", device="cuda", steps=20, log_every=10), out=tmp_path / "run")
    tr.step()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")            # any synchronising call inside now raises
    try:
        vals = tr.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert all(torch.is_tensor(v) and v.is_cuda for v in vals.values())
