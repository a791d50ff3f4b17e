"""The one loader: round trips, and every bad-file case gives a CheckpointError naming the file."""
import json
import os
import pickle
import re
import struct

import pytest
import torch

from gan_models import CheckpointError, default_config
from gan_models.checkpoint import load_checkpoint, read_header, resolve_model_path, save_checkpoint
from gan_models.registry import build_discriminator, build_generator


def _tiny(kind="dcgan"):
    cfg = default_config(kind, (1, 28, 28), g_width=8, d_width=8)
    if kind == "infogan":
        cfg = default_config(kind, (1, 28, 28), g_width=8, d_width=8, q_width=8)
    torch.manual_seed(0)
    return cfg, build_generator(cfg).eval(), build_discriminator(cfg).eval()


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "infogan"])
def test_round_trip_same_outputs(tmp_path, kind):
    cfg, g, d = _tiny(kind)
    p = save_checkpoint(tmp_path / "m.safetensors", cfg, g, d, meta={"class_names": list("abcdefghij"), "step": 7})
    ck = load_checkpoint(p)
    z = torch.randn(5, cfg.z_dim)
    assert torch.equal(g.generate(z, 3 if cfg.num_classes else None), ck.generator.generate(z, 3 if cfg.num_classes else None))
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    y = torch.arange(4) if cfg.num_classes else None
    assert torch.equal(d(x, y), ck.discriminator(x, y))
    assert ck.meta["step"] == 7 and ck.config == cfg
    assert ck.class_names == (list("abcdefghij") if cfg.num_classes else [])


@pytest.mark.parametrize("g_norm", ["none", "batch"])
def test_points_model_round_trip_and_header(tmp_path, g_norm):
    cfg = default_config("gan", (2,), g_norm=g_norm)
    g = build_generator(cfg)
    g.train()
    g(torch.randn(32, 2) + 2)                                  # BatchNorm: running stats away from 0/1
    g.eval()
    p = save_checkpoint(tmp_path / "toy.safetensors", cfg, g, half=True)
    config, meta = read_header(p)
    assert config.data_shape == (2,) and config.g_norm == g_norm and meta["kind"] == "gan"
    ck = load_checkpoint(p)
    assert ck.discriminator is None and ck.value_range is None
    z = torch.randn(16, 2)
    assert torch.allclose(g(z), ck.generator(z), atol=2e-2)  # fp16 storage


def test_training_state_round_trip(tmp_path):
    cfg, g, d = _tiny()
    opt = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999))
    g(g.build_input(torch.randn(2, cfg.z_dim))).sum().backward()
    opt.step()
    state = {"step": 3, "opt_g": opt.state_dict(), "rng": torch.get_rng_state()}
    p = save_checkpoint(tmp_path / "t.safetensors", cfg, g, d, training_state=state)
    ck = load_checkpoint(p, training_state=True)
    opt2 = torch.optim.Adam(ck.generator.parameters(), lr=1e-3)
    opt2.load_state_dict(ck.training_state["opt_g"])
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert s1.keys() == s2.keys()
    assert all(torch.equal(s1[k]["exp_avg"], s2[k]["exp_avg"]) for k in s1)
    assert torch.equal(ck.training_state["rng"], state["rng"])
    with pytest.raises(CheckpointError, match="no training state"):
        load_checkpoint(save_checkpoint(tmp_path / "g.safetensors", cfg, g), training_state=True)


def test_run_folder_resolves_to_latest(tmp_path):
    cfg, g, _ = _tiny()
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    save_checkpoint(tmp_path / "run" / "checkpoints" / "latest.safetensors", cfg, g)
    assert resolve_model_path(tmp_path / "run").name == "latest.safetensors"
    assert load_checkpoint(tmp_path / "run").config.kind == "dcgan"


def _good_file(tmp_path):
    cfg, g, d = _tiny()
    return save_checkpoint(tmp_path / "good.safetensors", cfg, g, d), cfg, g


def _rewrite_header(path, fn):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    fn(header)
    new = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n:])


def _bad_cases(tmp_path):
    good, cfg, g = _good_file(tmp_path)
    raw = good.read_bytes()
    cases = {}
    cases["missing"] = (tmp_path / "nope.safetensors", "no such file")
    (tmp_path / "emptydir").mkdir()
    cases["directory"] = (tmp_path / "emptydir", "no checkpoint")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    cases["empty"] = (tmp_path / "empty.safetensors", "empty")
    (tmp_path / "trunc.safetensors").write_bytes(raw[: len(raw) // 2])
    cases["truncated"] = (tmp_path / "trunc.safetensors", "truncated")
    corrupt = bytearray(raw)
    corrupt[8:40] = b"\xff" * 32
    (tmp_path / "corrupt.safetensors").write_bytes(bytes(corrupt))
    cases["corrupt"] = (tmp_path / "corrupt.safetensors", "not valid JSON")
    (tmp_path / "text.safetensors").write_bytes(b"hello, this is not a model at all")
    cases["foreign"] = (tmp_path / "text.safetensors", "not a GAN Explorer checkpoint")
    from safetensors.torch import save_file
    save_file({"w": torch.zeros(3)}, str(tmp_path / "other.safetensors"), metadata={"x": "y"})
    cases["other safetensors"] = (tmp_path / "other.safetensors", "another program")
    future = tmp_path / "future.safetensors"
    future.write_bytes(raw)
    _rewrite_header(future, lambda h: h["__metadata__"].update(format_version="99"))
    cases["future"] = (future, "newer GAN Explorer")
    shape = tmp_path / "shape.safetensors"
    wide = default_config("dcgan", (1, 28, 28), g_width=16, d_width=8)
    save_checkpoint(shape, wide, build_generator(wide))
    _rewrite_header(shape, lambda h: h["__metadata__"].update(config=json.dumps(cfg.to_dict())))
    cases["wrong shape"] = (shape, "has shape")
    badcfg = tmp_path / "badcfg.safetensors"
    badcfg.write_bytes(raw)
    _rewrite_header(badcfg, lambda h: h["__metadata__"].update(
        config=json.dumps({**cfg.to_dict(), "z_dim": -3})))
    cases["bad config"] = (badcfg, "z_dim")
    pk = tmp_path / "evil.pth"
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    pk.write_bytes(pickle.dumps(Evil()))
    cases["pickle"] = (pk, "none of its code ran")
    return cases, marker


def test_every_bad_file_gives_a_clear_error(tmp_path):
    cases, marker = _bad_cases(tmp_path)
    for name, (path, reason) in cases.items():
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(path)
        msg = str(e.value)
        assert str(path.name) in msg, (name, msg)
        assert reason in msg, (name, msg)
        assert not re.search(r"\b\w+(Error|Exception)\b", msg), (name, msg)    # no Python class names
    assert not marker.exists(), "loading a pickle ran its code"


def test_save_is_atomic_on_failure(tmp_path):
    good, cfg, g = _good_file(tmp_path)
    before = good.read_bytes()

    class Boom(torch.nn.Module):
        def state_dict(self, *a, **k):
            raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        save_checkpoint(good, cfg, g, Boom())
    assert good.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
