import pytest

from train.config import TrainConfig

TINY = {"g_width": 8, "d_width": 8}
# `train` flags of a tiny toy run, and the one-line-exit-2 check, for the CLI hardening tests
TOY_ARGS = ["--model", "gan", "--dataset", "ring8", "--batch-size", "16", "--g-width", "8", "--d-width", "8",
            "--num-threads", "1", "--quiet"]


def one_line_exit_2(argv, capsys, needle):
    from train.cli import entry
    assert entry(["train"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert needle in err, err


def tiny_config(kind="dcgan", dataset="digits", steps=6, **kw) -> TrainConfig:
    """A few steps on a small slice of data with tiny nets: seconds, not minutes."""
    overrides = dict(TINY) if kind != "gan" or dataset == "digits" else {}
    if kind == "infogan":
        overrides["q_width"] = 8
    overrides.update(kw.pop("model_overrides", {}))
    base = dict(model=kind, dataset=dataset, steps=steps, batch_size=16, n_data=256 if dataset == "digits" else 0,
                log_every=2, sample_every=4, checkpoint_every=4, n_fixed=20, num_threads=1, device="cpu")
    base.update(kw)
    return TrainConfig(**base, model_overrides=overrides).validate()


def poisoned_after_checkpoint(tmp_path, **kw):
    """A tiny DCGAN run stopped at step 4 (a good checkpoint saved), then G's first weight set to
    NaN. Returns (trainer, last_good path, its bytes) for the NaN-guard tests."""
    import torch
    from train.setup import create_trainer
    tr = create_trainer(tiny_config("dcgan", steps=20, **kw), out=tmp_path / "run")
    tr.run(should_stop=lambda: tr.step_count >= 4)
    good = tmp_path / "run" / "checkpoints" / "last_good.safetensors"
    before = good.read_bytes()
    with torch.no_grad():
        next(tr.G.parameters()).fill_(float("nan"))
    return tr, good, before


@pytest.fixture
def tiny():
    return tiny_config
