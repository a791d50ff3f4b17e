"""d_mbstd: ProGAN's minibatch standard deviation in a conv D, built, saved, loaded, refused
where it means nothing, and old files (no such field) still read."""
import pytest
import torch

from gan_models import ConfigError, default_config
from gan_models.checkpoint import load_checkpoint, save_checkpoint
from gan_models.nets import minibatch_std
from gan_models.registry import build_discriminator, build_generator


def _cfg(kind="dcgan", **kw):
    extra = {"num_classes": 4} if kind == "cgan" else {}
    return default_config(kind, (3, 64, 64), g_width=4, d_width=4, z_dim=10, d_norm="spectral", **extra, **kw)


def test_the_extra_map_is_each_groups_spread_and_zero_for_copies():
    torch.manual_seed(0)
    h = torch.randn(8, 3, 2, 2)
    out = minibatch_std(h, 4)
    assert out.shape == (8, 4, 2, 2) and torch.equal(out[:, :3], h)
    # sample i is in group i % 2: the value of group 0 is the mean std over samples 0, 2, 4, 6
    want = h[0::2].std(0, unbiased=False).mean()
    assert out[0, 3, 0, 0].item() == pytest.approx(want.item(), rel=1e-4)
    assert out[2, 3, 1, 1].item() == pytest.approx(want.item(), rel=1e-4)
    copies = minibatch_std(h[:1].expand(8, -1, -1, -1), 4)[:, 3]
    assert copies.max().item() < 1e-3                       # a batch of one image repeated: no spread
    assert minibatch_std(h[:5], 4).shape == (5, 4, 2, 2)    # 5 samples: one group of all five


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "infogan"])
def test_d_sees_the_batch_spread(kind):
    cfg = _cfg(kind, d_mbstd=4)
    torch.manual_seed(0)
    d = build_discriminator(cfg).eval()
    y = torch.arange(8) % 4 if kind == "cgan" else None
    x = torch.rand(8, 3, 64, 64) * 2 - 1
    base = d(x, y) if y is not None else d(x)
    x2 = x.clone()
    x2[4] = -x2[4]                                           # change one sample of group 0 (samples 0, 2, 4, 6)
    moved = d(x2, y) if y is not None else d(x2)
    assert not torch.allclose(base[[0, 2, 6]], moved[[0, 2, 6]], atol=1e-6)   # its group mates' scores move
    assert torch.allclose(base[[1, 3, 5, 7]], moved[[1, 3, 5, 7]], atol=1e-6)  # the other group's do not


def test_round_trip_and_files_without_the_field(tmp_path):
    cfg = _cfg(d_mbstd=4)
    torch.manual_seed(0)
    g, d = build_generator(cfg).eval(), build_discriminator(cfg).eval()
    ck = load_checkpoint(save_checkpoint(tmp_path / "m.safetensors", cfg, g, d, meta={"step": 1}))
    assert ck.config.d_mbstd == 4
    x = torch.rand(4, 3, 64, 64) * 2 - 1
    assert torch.equal(d(x), ck.discriminator(x))
    assert "d_mbstd" not in _cfg().to_dict()                 # off: not written, older versions read the file
    assert cfg.to_dict()["d_mbstd"] == 4


@pytest.mark.parametrize("kw", [dict(kind="gan", arch="mlp"), dict(kind="began")])
def test_refused_where_d_is_not_a_conv_critic(kw):
    kind = kw.pop("kind")
    with pytest.raises(ConfigError, match="d_mbstd"):
        base = dict(g_width=4, d_width=4, d_mbstd=4)
        if kind == "began":
            base["d_norm"] = "none"
        default_config(kind, (3, 64, 64), **base, **kw)
    with pytest.raises(ConfigError, match="d_mbstd"):
        _cfg(d_mbstd=-1)
