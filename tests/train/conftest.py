import pytest

from train.config import TrainConfig

TINY = {"g_width": 8, "d_width": 8}


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


@pytest.fixture
def tiny():
    return tiny_config
