"""Importing the official PyTorch DCGAN example's generator gives the same images."""
import pytest
import torch
from torch import nn

from gan_models.errors import CheckpointError
from gan_models.legacy import import_pytorch_dcgan, looks_like_pytorch_dcgan


class ReferenceGenerator(nn.Module):
    """The Generator of pytorch/examples dcgan/main.py (ngpu handling dropped)."""

    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


def _reference(nz=100, ngf=64, nc=3, seed=0):
    torch.manual_seed(seed)
    ref = ReferenceGenerator(nz, ngf, nc)
    for m in ref.modules():
        if isinstance(m, nn.ConvTranspose2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):   # trained-looking statistics, not the defaults
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.normal_(m.bias, 0.0, 0.1)
            m.running_mean.normal_(0.0, 0.05)
            m.running_var.uniform_(0.05, 0.3)
            m.num_batches_tracked.fill_(1234)
    return ref.eval()


@pytest.mark.parametrize("nz,ngf,nc", [(100, 64, 3), (20, 8, 1)])
def test_same_images_for_same_z(tmp_path, nz, ngf, nc):
    ref = _reference(nz, ngf, nc)
    path = tmp_path / "netG_epoch_24.pth"
    torch.save(ref.state_dict(), path)
    sd = torch.load(path, map_location="cpu", weights_only=True)
    assert looks_like_pytorch_dcgan(sd)

    cfg, g = import_pytorch_dcgan(sd)
    assert (cfg.kind, cfg.z_dim, cfg.g_width, tuple(cfg.data_shape)) == ("dcgan", nz, ngf, (nc, 64, 64))
    assert not g.training
    z = torch.randn(3, nz, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = ref(z.view(3, nz, 1, 1))          # (3, nc, 64, 64)
        got = g(z)                               # (3, nc, 64, 64)
    assert got.shape == want.shape == (3, nc, 64, 64)
    assert (got - want).abs().max().item() < 1e-5


def test_data_parallel_prefix_is_accepted():
    sd = {f"module.{k}": v for k, v in _reference(16, 4, 3).state_dict().items()}
    assert looks_like_pytorch_dcgan(sd)
    cfg, _ = import_pytorch_dcgan(sd)
    assert cfg.z_dim == 16


def test_other_state_dicts_are_refused_with_a_reason():
    from gan_models.config import default_config
    from gan_models.registry import build_generator
    ours = build_generator(default_config("dcgan", (3, 64, 64))).state_dict()
    assert not looks_like_pytorch_dcgan(ours)
    assert not looks_like_pytorch_dcgan([1, 2])
    with pytest.raises(CheckpointError, match="missing main.0.weight"):
        import_pytorch_dcgan(ours)

    sd = _reference(16, 4, 3).state_dict()
    del sd["main.4.running_var"]
    with pytest.raises(CheckpointError, match="main.4.running_var"):
        import_pytorch_dcgan(sd)

    sd = _reference(16, 4, 3).state_dict()
    sd["main.6.weight"] = torch.zeros(16, 5, 4, 4)     # ngf=4 wants (16, 8, 4, 4)
    with pytest.raises(CheckpointError, match=r"main.6.weight has shape \(16, 5, 4, 4\), expected \(16, 8, 4, 4\)"):
        import_pytorch_dcgan(sd)

    sd = _reference(16, 4, 3).state_dict()
    sd["extra.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match="unexpected extra.weight"):
        import_pytorch_dcgan(sd)

    with pytest.raises(CheckpointError, match="not a state_dict"):
        import_pytorch_dcgan({"main.0.weight": "text"})
