"""`gan-explorer sample`: PNG grids with metadata, .npy arrays, latents from a file, errors."""
import numpy as np
import pytest
import torch

from explorer.cli import main
from gan_models import default_config
from gan_models.checkpoint import save_checkpoint
from gan_models.images import read_png_text
from gan_models.registry import build_generator


@pytest.fixture
def ckpts(tmp_path):
    out = {}
    for kind, shape in (("cgan", (1, 28, 28)), ("infogan", (1, 28, 28)), ("gan", (2,))):
        cfg = default_config(kind, shape, **({"g_width": 8, "d_width": 8} if kind != "gan" else {}))
        torch.manual_seed(0)
        out[kind] = save_checkpoint(tmp_path / f"{kind}.safetensors", cfg, build_generator(cfg),
                                    meta={"class_names": [f"c{i}" for i in range(10)]})
    return out


def test_png_grid_with_metadata(ckpts, tmp_path):
    out = tmp_path / "g.png"
    assert main(["sample", str(ckpts["cgan"]), "-o", str(out), "--n", "16", "--seed", "5", "--label", "c3"]) == 0
    text = read_png_text(out)
    assert text["seed"] == "5" and text["label"].startswith("3")


def test_npy_same_seed_same_images_and_codes_change_them(ckpts, tmp_path):
    a, b, c = (tmp_path / f"{n}.npy" for n in "abc")
    main(["sample", str(ckpts["infogan"]), "-o", str(a), "--n", "4", "--seed", "1"])
    main(["sample", str(ckpts["infogan"]), "-o", str(b), "--n", "4", "--seed", "1"])
    main(["sample", str(ckpts["infogan"]), "-o", str(c), "--n", "4", "--seed", "1", "--code", "cat1=7"])
    xa, xb, xc = np.load(a), np.load(b), np.load(c)
    assert xa.shape == (4, 1, 28, 28) and xa.min() >= -1 and xa.max() <= 1
    assert np.array_equal(xa, xb) and not np.allclose(xa, xc)


def test_given_latents_and_points(ckpts, tmp_path):
    z = tmp_path / "z.npy"
    np.save(z, np.zeros((3, 2), np.float32))
    out = tmp_path / "p.npy"
    assert main(["sample", str(ckpts["gan"]), "-o", str(out), "--z", str(z)]) == 0
    pts = np.load(out)
    assert pts.shape == (3, 2) and np.allclose(pts[0], pts[1])


@pytest.mark.parametrize("args,needle", [
    (["--label", "12"], "out of range"),
    (["--code", "cat1=3"], "no InfoGAN codes"),
    (["-o", "x.jpg"], ".png or .npy"),
])
def test_errors_exit_2(ckpts, tmp_path, capsys, args, needle):
    argv = ["sample", str(ckpts["cgan"]), "-o", str(tmp_path / "x.png")] + args
    if "-o" in args:
        argv = ["sample", str(ckpts["cgan"])] + args
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_wrong_layout_pth_is_a_clear_error(tmp_path, capsys):
    torch.save({"foo.weight": torch.zeros(2)}, tmp_path / "netG_epoch_1.pth")
    assert main(["sample", str(tmp_path / "netG_epoch_1.pth"), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "netG_epoch_1.pth" in err and "not a PyTorch DCGAN example generator" in err
