"""d_norm (batch | spectral | none) and cond (concat | projection): built, saved, loaded."""
import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from gan_models import ConfigError, default_config
from gan_models.checkpoint import load_checkpoint, save_checkpoint
from gan_models.nets import CondBatchNorm2d
from gan_models.registry import build_discriminator, build_generator

SHAPES = [(3, 64, 64), (1, 28, 28)]


def _cfg(kind="cgan", shape=(3, 64, 64), **kw):
    extra = {"num_classes": 4} if kind == "cgan" else {}
    return default_config(kind, shape, g_width=4, d_width=4, z_dim=10, **extra, **kw)


def _q_ids(d):
    return {id(m) for m in d.q.modules()} if hasattr(d, "q") else set()


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "infogan"])
@pytest.mark.parametrize("shape", SHAPES)
def test_spectral_and_none_have_no_batchnorm_in_d_and_spectral_wraps_every_layer(kind, shape):
    for norm in ("spectral", "none"):
        d = build_discriminator(_cfg(kind, shape, d_norm=norm))
        q = _q_ids(d)
        bns = [m for m in d.modules() if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) and id(m) not in q]
        assert not bns, f"{kind} d_norm={norm} still has BatchNorm outside Q"
        layers = [m for m in d.modules() if isinstance(m, nn.Conv2d | nn.Linear) and id(m) not in q]
        wrapped = [parametrize.is_parametrized(m, "weight") for m in layers]
        assert all(wrapped) if norm == "spectral" else not any(wrapped)
    d = build_discriminator(_cfg(kind, shape))                       # the default is DCGAN's BatchNorm
    assert any(isinstance(m, nn.BatchNorm2d) for m in d.modules())


def test_spectral_norm_bounds_each_layer_by_one():
    d = build_discriminator(_cfg("dcgan", d_norm="spectral")).train()
    x = torch.randn(8, 3, 64, 64)
    for _ in range(30):                        # power iteration converges as D runs in train mode
        d(x)
    for m in d.modules():
        if isinstance(m, nn.Linear | nn.Conv2d):
            sigma = torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2)
            assert sigma == pytest.approx(1.0, abs=0.05)


def test_projection_reaches_every_layer_of_g_and_the_logit_of_d():
    cfg = _cfg(cond="projection", d_norm="spectral")
    torch.manual_seed(0)
    g, d = build_generator(cfg).eval(), build_discriminator(cfg).eval()
    assert sum(isinstance(m, CondBatchNorm2d) for m in g.modules()) == 4     # every BN of the 64x64 G
    assert d.blocks[0][0].in_channels == 3                                   # no label planes at D's input
    z = torch.randn(6, cfg.z_dim)
    assert not torch.allclose(g.generate(z, 0), g.generate(z, 1), atol=1e-4)
    x = torch.rand(6, 3, 64, 64) * 2 - 1
    logits = torch.stack([d(x, k) for k in range(4)])                        # (4 labels, 6)
    assert (logits.std(0) > 1e-4).all()                                      # the label moves the logit


def test_cbn_lets_infogans_categorical_code_reach_every_layer_of_g():
    cfg = default_config("infogan", (3, 64, 64), g_width=4, d_width=4, z_dim=10, cat_codes=(4,), cont_codes=2,
                         cond="cbn")
    g = build_generator(cfg).eval()
    assert sum(isinstance(m, CondBatchNorm2d) for m in g.modules()) == 4
    assert all(m.gain.in_features == 4 for m in g.modules() if isinstance(m, CondBatchNorm2d))
    z = torch.randn(3, 10)
    codes = [g.code_layout.encode(torch.full((3, 1), k), torch.zeros(3, 2), 3) for k in (0, 1)]
    assert not torch.allclose(g.generate(z, codes=codes[0]), g.generate(z, codes=codes[1]), atol=1e-4)
    d = build_discriminator(default_config("cgan", (3, 64, 64), g_width=4, d_width=4, num_classes=4, cond="cbn"))
    assert d.blocks[0][0].in_channels == 3 + 4                              # cgan "cbn": D as concat


def test_concat_keeps_the_notes_input_planes():
    d = build_discriminator(_cfg())
    assert d.blocks[0][0].in_channels == 3 + 4 and not hasattr(d, "embed")


@pytest.mark.parametrize("kw", [dict(d_norm="spectral"), dict(d_norm="none"),
                                dict(d_norm="spectral", cond="projection"), dict(cond="projection")])
def test_checkpoint_round_trip_same_outputs(tmp_path, kw):
    cfg = _cfg(**kw)
    torch.manual_seed(0)
    g, d = build_generator(cfg), build_discriminator(cfg)
    x, y = torch.rand(4, 3, 64, 64) * 2 - 1, torch.arange(4)
    for _ in range(3):                                    # move the power iteration's u, v off their start
        d(x, y)
    g.eval(), d.eval()
    ck = load_checkpoint(save_checkpoint(tmp_path / "m.safetensors", cfg, g, d, meta={"step": 1}))
    assert ck.config == cfg and ck.config.d_norm == kw.get("d_norm", "batch")
    z = torch.randn(4, cfg.z_dim)
    assert torch.equal(g.generate(z, y), ck.generator.generate(z, y))
    assert torch.equal(d(x, y), ck.discriminator(x, y))


@pytest.mark.parametrize("kw, field", [
    (dict(kind="dcgan", cond="projection"), "cond"),
    (dict(kind="cgan", cond="projection", pack=2), "cond"),
    (dict(kind="cgan", d_norm="layer"), "d_norm"),
    (dict(kind="cgan", cond="film"), "cond"),
    (dict(kind="dcgan", cond="cbn"), "cond"),
    (dict(kind="infogan", cond="projection"), "cond"),
])
def test_bad_combinations_name_the_field(kw, field):
    kind = kw.pop("kind")
    with pytest.raises(ConfigError, match=field):
        _cfg(kind, **kw)
