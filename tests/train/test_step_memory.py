"""Issue 29, item 2: a batch whose training step would not fit in memory is refused before the
run starts, with the size it would need and the largest batch that fits (train/step_memory.py)."""
import pytest
import torch

from conftest import one_line_exit_2
from gan_models import default_config
from gan_models.errors import ConfigError
from train.step_memory import check_step_memory, device_bytes, floats_per_sample


@pytest.mark.parametrize("kind,shape", [("gan", (2,)), ("gan", (1, 28, 28)), ("dcgan", (3, 64, 64)),
                                        ("cgan", (1, 28, 28)), ("infogan", (1, 28, 28))])
def test_every_model_kind_is_traced(kind, shape):
    cfg = default_config(kind, shape, **({"num_classes": 10} if kind == "cgan" else {}))
    per = floats_per_sample(cfg)
    data = 1
    for v in shape:
        data *= v
    assert per and per > 2 * data


def test_the_estimate_grows_with_the_image_and_the_width():
    small = floats_per_sample(default_config("dcgan", (1, 28, 28)))
    big = floats_per_sample(default_config("dcgan", (3, 64, 64)))
    wide = floats_per_sample(default_config("dcgan", (3, 64, 64), g_width=128, d_width=128))
    assert small < big < wide
    # measured on this CPU: a dcgan-faces step's peak memory grew 3.84 MB a sample (batch 64 -> 512)
    assert 3.0 < 4 * big / 2**20 < 5.0


def test_a_batch_that_does_not_fit_is_refused_with_the_batch_that_does():
    cfg = default_config("dcgan", (3, 64, 64))
    have = 8 * 2**30
    with pytest.raises(ConfigError, match=r"--batch-size 65536: .*needs about 2\d\d\.\d GiB .*8\.0 GiB; "
                                          r"use --batch-size (\d+) or less") as e:
        check_step_memory(65536, cfg, torch.device("cpu"), available=have)
    fit = int(str(e.value).split("use --batch-size ")[1].split()[0])
    check_step_memory(fit, cfg, torch.device("cpu"), available=have)          # the suggestion is accepted
    with pytest.raises(ConfigError):
        check_step_memory(fit + 64, cfg, torch.device("cpu"), available=have)
    check_step_memory(128, cfg, torch.device("cpu"))                           # DCGAN's own batch, here
    assert device_bytes(torch.device("cpu")) > 2**30


def test_train_refuses_a_huge_batch_before_the_run_starts(tmp_path, capsys):
    out = tmp_path / "run"
    one_line_exit_2(["--model", "dcgan", "--dataset", "shapes", "--n-data", "64", "--batch-size", "65536",
                     "--steps", "1", "--out", str(out)], capsys, "use --batch-size")
    assert not out.exists()


def test_the_projector_refuses_a_batch_of_latents_that_does_not_fit(monkeypatch):
    """256 class/code combinations x 64 restarts of a 64x64 model: ~16,000 latents in one batch."""
    import train.step_memory as sm
    from gan_models.registry import build_generator
    from train.projector import ProjectorConfig, project
    cfg = default_config("cgan", (3, 64, 64), num_classes=256, g_width=8, d_width=8)
    g = build_generator(cfg).eval()
    monkeypatch.setattr(sm, "device_bytes", lambda device: 4 * 2**30)
    with pytest.raises(ConfigError, match=r"restarts 64: the projector optimises 16384 latents at once "
                                          r"\(256 class/code combinations x 64 restarts\).*use \d+ restarts or fewer"):
        project(g, torch.zeros(3, 64, 64), cfg=ProjectorConfig(steps=1, restarts=64))


def test_estimate_names_a_batch_that_would_not_fit(capsys):
    """`estimate` times real steps through create_trainer, so it gets the same refusal."""
    import json

    from train.cli import entry
    rc = entry(["estimate", "--json", "--seconds", "0.05", "--", "--model", "dcgan", "--dataset", "shapes",
                "--n-data", "64", "--batch-size", "65536", "--steps", "10"])
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 2 and "--batch-size 65536" in line["error"] and "use --batch-size" in line["error"]
