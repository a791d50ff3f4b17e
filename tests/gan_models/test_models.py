"""Every (kind, arch, data shape) builds, runs forward and backward, and honours the interface."""
import pytest
import torch
from torch import nn

from gan_models.base import Generator, QOutput
from gan_models.config import default_config
from gan_models.errors import ConfigError
from gan_models.registry import NETWORKS, build_discriminator, build_generator, count_params

B = 4
IMAGE_SHAPES = [(c, s, s) for s in (28, 32, 64) for c in (1, 3)]
SMALL = dict(g_width=8, d_width=8)     # keeps the grid fast; layouts do not depend on width

CASES = (
    [("gan", (2,), {}), ("gan", (2,), dict(g_norm="batch")), ("gan", (1,), {}),
     ("gan", (1, 28, 28), dict(g_width=32, d_width=16))]
    + [("dcgan", s, SMALL) for s in IMAGE_SHAPES]
    + [("cgan", s, SMALL) for s in IMAGE_SHAPES]
    + [("cgan", (2,), {}), ("cgan", (1, 28, 28), dict(arch="mlp", **SMALL))]
    + [("infogan", s, SMALL) for s in IMAGE_SHAPES]
    + [("infogan", (2,), {})]
    + [("began", s, SMALL) for s in IMAGE_SHAPES]
)


def _labels(cfg, n=B):
    return torch.arange(n) % cfg.num_classes if cfg.num_classes else None


def _models(kind, shape, **overrides):
    cfg = default_config(kind, shape, **overrides)
    return cfg, build_generator(cfg), build_discriminator(cfg)


@pytest.mark.parametrize("kind,shape,overrides", CASES,
                         ids=[f"{k}-{'x'.join(map(str, s))}-{o.get('arch', '')}" for k, s, o in CASES])
def test_builds_runs_and_backpropagates(kind, shape, overrides):
    torch.manual_seed(0)
    cfg, g, d = _models(kind, shape, **overrides)
    assert isinstance(g, Generator)
    assert (g.z_dim, g.num_classes, g.output_shape, g.is_image) == \
        (cfg.z_dim, cfg.num_classes, tuple(shape), len(shape) == 3)
    y = _labels(cfg)
    codes = g.code_layout.encode(*g.code_layout.sample(B), B) if g.code_layout else None
    x = g.generate(torch.randn(B, cfg.z_dim), y, codes)
    assert x.shape == (B, *shape)
    assert x.abs().max() <= 1.0                       # tanh output
    logit = d(x, y)
    assert logit.shape == (B,)
    loss = logit.sum()
    if hasattr(d, "forward_with_q"):                  # InfoGAN: Q's parameters need gradients too
        _, q = d.forward_with_q(x)
        loss = loss + sum(t.sum() for t in q.cat_logits) + q.cont_mean.sum() + q.cont_logstd.sum()
    loss.backward()
    for net in (g, d):
        grads = [p.grad for p in net.parameters() if p.requires_grad]
        assert all(gr is not None and torch.isfinite(gr).all() for gr in grads)
    feats = d.features(x.detach(), y)
    assert feats and all(f.shape[0] == B for f in feats)
    if cfg.arch == "conv":
        assert all(f.dim() == 4 for f in feats)       # conv block outputs, for the 4x4 feature probe


def test_every_registered_kind_and_arch_is_covered():
    covered = {(k, default_config(k, s, **o).arch) for k, s, o in CASES}
    assert covered == set(NETWORKS)


def test_unsupported_combination_and_bad_config_raise_config_error():
    cfg = default_config("gan", (1, 28, 28))
    cfg.arch = "conv"
    with pytest.raises(ConfigError, match="arch"):
        build_generator(cfg)
    cfg = default_config("dcgan", (1, 28, 28))
    cfg.z_dim = 0
    with pytest.raises(ConfigError, match="z_dim"):
        build_discriminator(cfg)
    with pytest.raises(ConfigError, match="pack"):
        build_discriminator(default_config("infogan", (1, 28, 28), pack=2))


@pytest.mark.parametrize("g_output,lo,hi", [("sigmoid", 0.0, 1.0), ("tanh", -1.0, 1.0)])
def test_output_range_follows_config(g_output, lo, hi):
    _, g, _ = _models("dcgan", (1, 28, 28), g_output=g_output, **SMALL)
    with torch.no_grad():
        g.train()                                     # batch statistics: a wide spread of values
        x = g.generate(torch.randn(B, 100) * 10)
    assert lo <= x.min() and x.max() <= hi


def test_generator_rejects_wrong_input_width():
    _, g, _ = _models("cgan", (1, 28, 28), **SMALL)
    with pytest.raises(ValueError, match=r"\(B, 110\) = z \(100\) \+ one-hot label \(10\)"):
        g(torch.randn(B, 100))


def test_discriminator_rejects_wrong_image_shape():
    _, _, d = _models("dcgan", (1, 28, 28), **SMALL)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        d(torch.randn(B, 3, 28, 28))


@pytest.mark.parametrize("kind,shape", [("dcgan", (3, 32, 32)), ("gan", (2,)), ("cgan", (1, 28, 28))])
def test_both_heads_give_one_logit_per_input(kind, shape):
    for head, width in (("logit", 1), ("softmax", 2)):
        cfg, g, d = _models(kind, shape, d_head=head, **(SMALL if len(shape) == 3 else {}))
        d.eval()
        x, y = torch.randn(B, *shape).clamp(-1, 1), _labels(cfg)
        raw = d.head_logits(x, y)
        assert raw.shape == (B, width)
        want = raw[:, 0] if width == 1 else raw[:, 0] - raw[:, 1]
        assert torch.allclose(d(x, y), want)
        if width == 2:   # sigmoid(l_real - l_fake) is the softmax's P(real)
            assert torch.allclose(torch.sigmoid(d(x, y)), raw.softmax(1)[:, 0], atol=1e-6)


@pytest.mark.parametrize("kind,shape", [("dcgan", (1, 28, 28)), ("gan", (2,)), ("cgan", (3, 32, 32)),
                                        ("cgan", (2,))])
def test_packing_groups_consecutive_samples(kind, shape):
    cfg, _, d = _models(kind, shape, pack=4, **(SMALL if len(shape) == 3 else {}))
    d.eval()
    x, y = torch.randn(8, *shape), _labels(cfg, 8)
    out = d(x, y)
    assert out.shape == (2,)
    x2 = x.clone()
    x2[5] += 1.0                                      # only the second pack changes
    out2 = d(x2, y)
    assert out2[0] == out[0] and out2[1] != out[1]
    with pytest.raises(ValueError, match="not divisible by pack=4"):
        d(torch.randn(6, *shape), _labels(cfg, 6))


def test_first_conv_sees_packed_channels_and_label_planes():
    _, _, d = _models("cgan", (3, 28, 28), pack=2, **SMALL)
    assert d.blocks[0][0].in_channels == (3 + 10) * 2


@pytest.mark.parametrize("shape", [(1, 28, 28), (2,)])
def test_cgan_uses_labels(shape):
    torch.manual_seed(0)
    cfg, g, d = _models("cgan", shape, **(SMALL if len(shape) == 3 else {}))
    g.eval(), d.eval()
    z = torch.randn(B, cfg.z_dim)
    assert not torch.allclose(g.generate(z, 3), g.generate(z, 5))
    x = torch.randn(B, *shape)
    one, other = torch.full((B,), 1), torch.full((B,), 7)
    assert not torch.allclose(d(x, one), d(x, other))
    soft = nn.functional.one_hot(one, 10).float()     # (B, K) float labels mean the same
    assert torch.allclose(d(x, soft), d(x, one))
    with pytest.raises(ValueError, match="needs labels"):
        d(x)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 64, 64), (2,)])
def test_infogan_q_head(shape):
    cfg, g, d = _models("infogan", shape, cat_codes=(10, 3), cont_codes=2,
                        **(SMALL if len(shape) == 3 else {}))
    assert g.input_dim == cfg.z_dim + 13 + 2
    d.eval()
    x = torch.randn(B, *shape)
    logit, q = d.forward_with_q(x)
    assert isinstance(q, QOutput)
    assert logit.shape == (B,) and torch.allclose(logit, d(x))
    assert [t.shape for t in q.cat_logits] == [(B, 10), (B, 3)]
    assert q.cont_mean.shape == q.cont_logstd.shape == (B, 2)
    _, _, plain = _models("dcgan", (1, 28, 28), **SMALL)
    assert not hasattr(plain, "forward_with_q")       # panels ask for the capability


def test_infogan_28_follows_the_paper():
    """G: FC 1024, FC 7x7x128, upconv 64, upconv 1. D: conv 64, conv 128, FC 1024; Q: FC 128."""
    _, g, d = _models("infogan", (1, 28, 28))
    linears = [m for m in g.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(74, 1024), (1024, 128 * 7 * 7)]
    assert [m.out_channels for m in g.modules() if isinstance(m, nn.ConvTranspose2d)] == [64, 1]
    assert [m.out_channels for m in d.modules() if isinstance(m, nn.Conv2d)] == [64, 128]
    assert d.trunk_dim == 1024 and d.q.hidden[0].out_features == 128


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    _, g, d = _models("dcgan", (3, 64, 64))
    for net in (g, d):
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)) and m.weight.numel() > 1000:
                assert abs(m.weight.std().item() - 0.02) < 0.002
                assert abs(m.weight.mean().item()) < 0.002
            if isinstance(m, nn.BatchNorm2d):
                assert abs(m.weight.mean().item() - 1.0) < 0.01 and m.bias.abs().max() == 0
            if getattr(m, "bias", None) is not None and not isinstance(m, nn.BatchNorm2d):
                assert m.bias.abs().max() == 0


def test_mlp_models_keep_fan_in_init():
    """N(0, 0.02) starves a 2-input MLP; the points GAN trains better with PyTorch's default."""
    _, g, d = _models("gan", (2,))
    assert g.net[0].weight.std() > 0.2                 # U(-1/sqrt(2), 1/sqrt(2)) for 2 inputs
    assert d.hidden[1][0].linear.weight.std() > 0.03   # U(+-1/sqrt(128)): std ~0.05


def test_mlp_generator_batch_norm_option():
    """g_norm="batch": the PacGAN authors' toy G (BatchNorm before every ReLU, no hidden biases).
    In eval mode a sample does not depend on the rest of its batch (running statistics)."""
    _, plain, _ = _models("gan", (2,))
    assert not any(isinstance(m, nn.BatchNorm1d) for m in plain.modules())
    cfg, g, _ = _models("gan", (2,), g_norm="batch", g_layers=3)
    norms = [m for m in g.modules() if isinstance(m, nn.BatchNorm1d)]
    linears = [m for m in g.modules() if isinstance(m, nn.Linear)]
    assert len(norms) == 3 and [m.bias is None for m in linears] == [True, True, True, False]
    g.train()
    for _ in range(3):
        g(torch.randn(64, 2) * 3 + 1)                 # running statistics move
    g.eval()
    z = torch.randn(8, 2)
    with torch.no_grad():
        assert torch.allclose(g(z)[:1], g(z[:1]), atol=1e-6)
    with pytest.raises(ConfigError, match="g_norm"):
        default_config("gan", (2,), g_norm="layer").validate()


def test_dcgan_64_matches_the_paper_layout():
    _, g, d = _models("dcgan", (3, 64, 64))
    assert (g.project.in_features, g.project.out_features) == (100, 8 * 64 * 4 * 4)
    convs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in convs] == [(512, 256), (256, 128), (128, 64), (64, 3)]
    assert [m.out_channels for m in d.modules() if isinstance(m, nn.Conv2d)] == [64, 128, 256, 512]
    # no pooling and no hidden fully connected layers: the only Linear in D is its head
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in d.modules())
    assert [m for m in d.modules() if isinstance(m, nn.Linear)] == [d.head]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.blocks[0])


def test_default_dcgan_28_generator_is_modest():
    _, g, _ = _models("dcgan", (1, 28, 28))
    assert 0.5e6 < count_params(g) < 1.5e6


def test_mlp_discriminator_uses_maxout_and_dropout():
    cfg, _, d = _models("gan", (1, 28, 28), d_width=16)
    assert d.hidden[0][0].linear.out_features == 16 * cfg.maxout_pieces
    x = torch.randn(B, 1, 28, 28)
    d.eval()
    assert torch.equal(d(x), d(x))                    # dropout off in eval
    d.train()
    torch.manual_seed(0)
    assert not torch.equal(d(x), d(x))                # and on in training
