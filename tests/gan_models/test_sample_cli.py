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


def _cells(path, n, ncol, size=28, pad=2):
    """The n (size, size) cells of a saved grid, row-major."""
    from PIL import Image
    a = np.asarray(Image.open(path).convert("L"))
    return [a[pad + (i // ncol) * (size + pad):][:size, pad + (i % ncol) * (size + pad):][:, :size] for i in range(n)]


@pytest.mark.parametrize("kind", ["cgan", "infogan"])
def test_without_label_or_code_every_class_is_drawn_one_per_column(ckpts, tmp_path, kind):
    """A CGAN's classes (an InfoGAN's first categories) across the columns, not all class 0."""
    out, npy = tmp_path / "g.png", tmp_path / "g.npy"
    assert main(["sample", str(ckpts[kind]), "-o", str(out), "--n", "20"]) == 0
    assert main(["sample", str(ckpts[kind]), "-o", str(npy), "--n", "20"]) == 0
    text = read_png_text(out)
    assert "one" in text["columns"] and "per column" in text["columns"]
    from PIL import Image
    assert Image.open(out).size == (10 * 30 + 2, 2 * 30 + 2)                # 10 columns, 2 rows
    x = torch.from_numpy(np.load(npy))
    ck = __import__("gan_models.checkpoint", fromlist=["load_checkpoint"]).load_checkpoint(ckpts[kind])
    g = ck.generator
    z = __import__("gan_models.sample", fromlist=["seeded_latents"]).seeded_latents(g, 20, 0)
    with torch.no_grad():
        if kind == "cgan":
            expected = g.generate(z, torch.arange(20) % 10, None)
            zeros = g.generate(z, torch.zeros(20, dtype=torch.long), None)
        else:
            cat = torch.zeros(20, len(g.code_layout.categorical), dtype=torch.long)
            cat[:, 0] = torch.arange(20) % 10
            expected = g.generate(z, None, g.code_layout.encode(cat, torch.zeros(20, g.code_layout.continuous), 20))
            zeros = g.generate(z, None, g.code_layout.encode(torch.zeros_like(cat),
                                                             torch.zeros(20, g.code_layout.continuous), 20))
    assert torch.allclose(x, expected, atol=1e-7)
    same = [bool(torch.equal(x[i], zeros[i])) for i in range(20)]        # the old default: every sample class 0
    assert same == [i % 10 == 0 for i in range(20)]


def test_help_says_what_the_default_draws(capsys):
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "one class per column" in out and "first categorical code" in out and "scatter" in out


def test_points_model_to_png_draws_generated_over_real(tmp_path):
    from PIL import Image
    cfg = default_config("gan", (2,))
    torch.manual_seed(0)
    ck = save_checkpoint(tmp_path / "ring.safetensors", cfg, build_generator(cfg), meta={"dataset": "ring8"})
    out = tmp_path / "ring.png"
    assert main(["sample", str(ck), "-o", str(out), "--n", "500"]) == 0
    img = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    colours = {tuple(c) for c in np.unique(img, axis=0)}
    assert (230, 110, 20) in colours and (150, 150, 150) in colours     # generated and real points
    assert "ring8" in read_png_text(out)["points"]
