"""Issue 29: every bad command-line number or path is one line naming the flag, exit 2, before any work."""
import numpy as np
import pytest
import torch

from explorer.cli import main
from gan_models import cli_args as ca
from gan_models import default_config
from gan_models.checkpoint import save_checkpoint
from gan_models.registry import build_generator


@pytest.fixture(scope="module")
def infogan(tmp_path_factory):
    cfg = default_config("infogan", (1, 28, 28), g_width=8, d_width=8)
    torch.manual_seed(0)
    return save_checkpoint(tmp_path_factory.mktemp("ck") / "info.safetensors", cfg, build_generator(cfg))


def _one_line_exit_2(argv, capsys, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert needle in err, err
    return err


@pytest.mark.parametrize("args,needle", [
    (["--seed", str(2**64)], "--seed"), (["--seed", "-1"], "--seed"),
    (["--truncation", "2"], "--truncation"), (["--truncation", "0"], "--truncation"),
    (["--truncation", "nan"], "--truncation"), (["--truncation", "-1"], "--truncation"),
    (["--ncol", "-1"], "--ncol"), (["--ncol", str(10**9)], "--ncol"),
    (["--n", "0"], "--n"), (["--n", "100001"], "--n"),
    (["--code", "cont1=1e308"], "cont1"), (["--code", "cont1=nan"], "cont1"), (["--code", "cont1=inf"], "cont1"),
    (["--device", "foo"], "--device"),
])
def test_sample_bad_numbers(infogan, tmp_path, capsys, args, needle):
    _one_line_exit_2(["sample", str(infogan), "-o", str(tmp_path / "x.png")] + args, capsys, needle)
    assert not (tmp_path / "x.png").exists()


def test_sample_bad_output_paths(infogan, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    for out, needle in ((tmp_path, "is a folder"), ("/proc/self/x.png", "/proc"),
                        (tmp_path / "afile" / "x.png", "is a file"), (tmp_path / "x.jpg", ".png or .npy")):
        _one_line_exit_2(["sample", str(infogan), "-o", str(out)], capsys, needle)


def test_latents_file_whose_header_claims_a_huge_array(infogan, tmp_path, capsys):
    z = tmp_path / "z.npy"
    with open(z, "wb") as f:                     # header says 2^40 rows, the file holds none
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (2**40, 62)})
    _one_line_exit_2(["sample", str(infogan), "-o", str(tmp_path / "x.npy"), "--z", str(z)], capsys, "--z")


def test_sample_npy_streams_in_chunks(infogan, tmp_path):
    out = tmp_path / "x.npy"
    assert main(["sample", str(infogan), "-o", str(out), "--n", "600", "--seed", "2"]) == 0
    a = np.load(out)
    assert a.shape == (600, 1, 28, 28) and np.isfinite(a).all()
    assert not list(tmp_path.glob(".*.tmp"))


def test_png_grid_too_big_is_refused_up_front(infogan, tmp_path, capsys, monkeypatch):
    import explorer.cli as cli
    monkeypatch.setattr(cli, "MAX_PNG_BYTES", 10_000)
    _one_line_exit_2(["sample", str(infogan), "-o", str(tmp_path / "x.png"), "--n", "64"], capsys, "write a .npy")


def test_other_subcommands_share_the_types(infogan, tmp_path, capsys):
    png = tmp_path / "in.png"
    from gan_models.images import save_png
    save_png(png, np.zeros((28, 28, 1), np.uint8))
    _one_line_exit_2(["project", str(infogan), str(png), "-o", str(tmp_path / "z.npy"), "--steps", str(10**9)],
                     capsys, "--steps")
    _one_line_exit_2(["project", str(infogan), str(png), "-o", str(tmp_path)], capsys, "-o")
    _one_line_exit_2(["export", str(infogan), "--onnx", str(tmp_path), "--opset", "12"], capsys, "is a folder")
    _one_line_exit_2(["export", str(infogan), "--onnx", str(tmp_path / "g.onnx"), "--opset", "0"], capsys, "--opset")
    _one_line_exit_2(["eval", str(infogan), "--seed", "-1"], capsys, "--seed")
    _one_line_exit_2(["screenshot", "--panel", "sampling", "-o", str(tmp_path / "s.png"), "--size", "foo"],
                     capsys, "--size")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e309", "x"])
def test_finite_float_refuses_non_numbers(text):
    import argparse
    with pytest.raises(argparse.ArgumentTypeError):
        ca.finite_float(text)


def test_device_names():
    for ok in ("auto", "cpu", "cuda", "cuda:1", "mps"):
        assert ca.device(ok) == ok
    import argparse
    for bad in ("foo", "cuda:", "cudax", "cpu "):
        with pytest.raises(argparse.ArgumentTypeError):
            ca.device(bad)
