"""User images of any size: brought to 28, 32 or 64 (padded or resized, never cropped), the
notice and the describe() record, --image-size, and bad files refused by name (exit 2)."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from train.cli import entry
from train.data import load_dataset
from train.data.sizes import SIZES, fit_notice, pick_size

BRIGHT = 1.0 - 1e-5          # "white" in [-1, 1], with float slack


def idx_bytes(arr: np.ndarray, magic: int | None = None) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    magic = magic if magic is not None else (0x0800 | arr.ndim)
    return magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in arr.shape) + arr.tobytes()


def write_idx(folder: Path, imgs: np.ndarray, labels: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(imgs))
    if labels:
        (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(len(imgs)) % 10))
    return folder


def digit_scans(n=40, h=8, w=8) -> np.ndarray:
    """Black scans with a white 2x2 block in the top-left corner."""
    imgs = np.zeros((n, h, w), np.uint8)
    imgs[:, :2, :2] = 255
    return imgs


def train_args(dataset, tmp_path, *extra) -> list[str]:
    return ["--model", "dcgan", "--dataset", str(dataset), "--steps", "2", "--batch-size", "8",
            "--out", str(tmp_path / "run"), "--device", "cpu", "--num-threads", "1",
            "--g-width", "8", "--d-width", "8", "--quiet", *extra]


def test_nearest_size_rule():
    # padded when at most 1/8 short of a size, else resized to the nearest in scale
    picks = {8: 28, 20: 28, 24: 28, 25: 28, 27: 28, 28: 28, 29: 32, 30: 32, 32: 32, 40: 32,
             48: 64, 56: 64, 63: 64, 64: 64, 100: 64, 1000: 64}
    assert {s: pick_size([s]) for s in picks} == picks
    assert pick_size([16, 30, 40, 50, 64]) == 32            # the median image decides


def test_idx_8x8_resized_to_28(tmp_path):
    d = load_dataset(write_idx(tmp_path / "scans", digit_scans()), sizes=SIZES)
    assert d.x.shape == (40, 1, 28, 28) and d.num_classes == 10
    assert float(d.x[:, 0, :5, :5].min()) > 0.5            # the white block is still top-left
    assert float(d.x[:, 0, 10:, 10:].max()) == -1.0         # and nothing else lit up
    desc = d.describe()
    assert desc["resized_from"] == [8, 8] and desc["resized_to"] == [28, 28]
    assert desc["fit"] == "resized (antialiased)"
    json.dumps(desc)
    assert fit_notice(desc) == ("data: 8x8 grey images (IDX, 40) resized (antialiased) to 28x28; "
                                "--image-size 32 or 64 to choose another size")
    assert load_dataset(tmp_path / "scans", sizes=SIZES, image_size=64).x.shape == (40, 1, 64, 64)
    assert load_dataset(tmp_path / "scans").x.shape == (40, 1, 8, 8)   # the plain API: native


def test_idx_30x30_padded_to_32_keeps_every_pixel(tmp_path):
    rng = np.random.default_rng(0)
    imgs = np.zeros((10, 30, 30), np.uint8)
    imgs[:, 5:25, 5:25] = rng.integers(0, 256, (10, 20, 20))
    imgs[:, 27:, 27:] = 255                                   # a mark in the far corner
    d = load_dataset(write_idx(tmp_path, imgs), sizes=SIZES)
    assert d.x.shape == (10, 1, 32, 32)
    assert torch.equal(d.x[:, 0, 1:31, 1:31], torch.tensor(imgs).float() / 127.5 - 1)  # exact
    assert float(d.x[:, 0, 0].max()) == -1.0 and float(d.x[:, 0, 31].max()) == -1.0   # black border
    desc = d.describe()
    assert (desc["resized_from"], desc["resized_to"], desc["fit"]) == ([30, 30], [32, 32], "padded")
    assert "30x30 grey images (IDX, 10) padded to 32x32; --image-size 28 or 64" in fit_notice(desc)


def test_idx_non_square_padded_not_cropped(tmp_path):
    imgs = np.zeros((6, 20, 12), np.uint8)                   # 20 rows, 12 columns
    imgs[:, 0, :] = 255                                       # marks on the top and bottom rows:
    imgs[:, 19, :] = 255                                      # a centre crop would lose them
    d = load_dataset(write_idx(tmp_path, imgs, labels=False), sizes=SIZES)
    assert d.x.shape == (6, 1, 28, 28) and d.labels is None
    assert float(d.x[:, 0, 0, 10:18].min()) > 0 and float(d.x[:, 0, 27, 10:18].min()) > 0
    assert float(d.x[:, 0, :, :5].max()) == -1.0 and float(d.x[:, 0, :, -5:].max()) == -1.0
    desc = d.describe()
    assert desc["resized_from"] == [20, 12] and desc["fit"] == "padded to square, resized (antialiased)"
    assert fit_notice(desc).startswith("data: 12x20 grey images (IDX, 6) padded to square")


def test_native_sizes_need_no_notice(tmp_path):
    d = load_dataset(write_idx(tmp_path, digit_scans(h=28, w=28)), sizes=SIZES)
    assert d.x.shape == (40, 1, 28, 28) and "resized_from" not in d.describe()
    assert fit_notice(d.describe()) is None


def test_image_folder_of_mixed_sizes_and_modes(tmp_path):
    from PIL import Image
    rgba = np.zeros((40, 40, 4), np.uint8)                    # transparent, opaque red top-left
    rgba[:10, :10] = (255, 0, 0, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a_rgba.png")
    Image.fromarray(np.full((16, 16), 200, np.uint8), "L").save(tmp_path / "b_grey.png")
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / "c_rgb.png")
    wide = np.zeros((28, 30), np.uint8)                       # 30x28: padded, pixels kept
    wide[:, -3:] = 255
    Image.fromarray(wide, "L").save(tmp_path / "d_grey_wide.png")
    photo = np.zeros((30, 50, 3), np.uint8)                   # a 50x30 JPEG, white right edge
    photo[:, -8:] = 255
    Image.fromarray(photo).save(tmp_path / "e_photo.jpg", quality=95)
    d = load_dataset(tmp_path, sizes=SIZES)
    assert d.x.shape == (5, 3, 32, 32)                         # median side 40 -> 32
    red = d.x[0]
    assert float(red[0, :6, :6].min()) > 0.9 and float(red[1:, :6, :6].max()) < -0.9
    assert float(red[:, 10:, 10:].max()) == -1.0               # transparency -> black
    assert torch.allclose(d.x[1], torch.full((3, 32, 32), 200 / 127.5 - 1), atol=1e-5)
    assert torch.equal(d.x[3, 0, 2:30, 1:31], torch.tensor(wide).float() / 127.5 - 1)
    jpg = d.x[4, 0]                                            # 50x30 -> 50x50 -> 32x32
    assert float(jpg[16, -3:].min()) > 0.8 and float(jpg[16, :20].max()) < -0.8  # edge kept
    assert float(jpg[:5].max()) < -0.8 and float(jpg[-5:].max()) < -0.8        # padded, black
    desc = d.describe()
    assert desc["resized_from"] == {"smallest": [16, 16], "largest": [64, 64], "sizes": 5}
    assert desc["fit"] == "padded or resized (antialiased)"
    assert fit_notice(desc) == ("data: colour images of 5 sizes, 16x16 to 64x64 (image folder, 5) "
                                "padded or resized (antialiased) to 32x32; --image-size 28 or 64 to "
                                "choose another size")
    assert load_dataset(tmp_path, sizes=SIZES, image_size=64).x.shape == (5, 3, 64, 64)


def write_batch(path: Path, data, labels) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": list(labels)}, f, protocol=2)


def test_cifar_style_batches_of_other_sizes(tmp_path):
    planes = np.zeros((6, 3, 16, 16), np.uint8)
    planes[:, 0, :4, :4] = 255                                # red block top-left
    write_batch(tmp_path / "a" / "data_batch_1", planes.reshape(6, -1), range(6))   # (N, 3*S*S)
    d = load_dataset(tmp_path / "a", sizes=SIZES)
    assert d.x.shape == (6, 3, 28, 28) and d.labels.tolist() == list(range(6))
    assert float(d.x[:, 0, :6, :6].min()) > 0.5 and float(d.x[:, 1:, :6, :6].max()) < -0.5
    assert d.describe()["resized_from"] == [16, 16]
    hwc = np.zeros((4, 30, 30, 3), np.uint8)                  # (N, H, W, C) at 30x30
    hwc[:, -2:, -2:, 2] = 255
    write_batch(tmp_path / "b" / "data_batch_1", hwc, range(4))
    b = load_dataset(tmp_path / "b", sizes=SIZES)
    assert b.x.shape == (4, 3, 32, 32) and float(b.x[:, 2, 29:31, 29:31].min()) == 1.0
    assert fit_notice(b.describe()).startswith("data: 30x30 colour images (CIFAR-10, 4) padded to 32x32")


def _bad_idx_truncated(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(digit_scans())[:-50])
    return "train-images-idx3-ubyte", "truncated"


def _bad_idx_tiny(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(digit_scans(h=3, w=3)))
    return "train-images-idx3-ubyte", "at least 4x4"


def _not_an_image(tmp_path):
    from PIL import Image
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "ok.png")
    (tmp_path / "scan_07.png").write_text("this is a text file")
    return "scan_07.png", "not a readable image"


def _tiny_image(tmp_path):
    from PIL import Image
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "ok.png")
    Image.fromarray(np.zeros((3, 12), np.uint8)).save(tmp_path / "dot.png")
    return "dot.png", "12x3 pixels; expected images of at least 4x4"


def _cifar_wrong_shape(tmp_path):
    write_batch(tmp_path / "data_batch_1", np.zeros((2, 100), np.uint8), [0, 1])
    return "data_batch_1", "(N, 3072)"


def _cifar_sizes_differ(tmp_path):
    write_batch(tmp_path / "data_batch_1", np.zeros((2, 3072), np.uint8), [0, 1])
    write_batch(tmp_path / "data_batch_2", np.zeros((2, 768), np.uint8), [0, 1])
    return "data_batch_2", "one size in every batch"


@pytest.mark.parametrize("make", [_bad_idx_truncated, _bad_idx_tiny, _not_an_image, _tiny_image,
                                  _cifar_wrong_shape, _cifar_sizes_differ])
def test_bad_files_one_line_naming_the_file_exit_2(tmp_path, capsys, make):
    data = tmp_path / "data"
    data.mkdir()
    name, expected = make(data)
    assert entry(train_args(data, tmp_path)) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("gan-explorer: error: ")
    assert name in err and expected in err


def test_image_size_must_be_a_supported_size(tmp_path, capsys):
    scans = write_idx(tmp_path / "scans", digit_scans())
    assert entry(train_args(scans, tmp_path, "--image-size", "48")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gan-explorer: error: --image-size 48: expected 28, 32 or 64")
    assert not (tmp_path / "run").exists()


def test_train_on_8x8_idx_end_to_end(tmp_path, capsys):
    scans = write_idx(tmp_path / "scans", digit_scans(n=32))
    assert entry(train_args(scans, tmp_path)) == 0
    err = capsys.readouterr().err
    notice = [line for line in err.splitlines() if line.startswith("data: ")]
    assert notice == ["data: 8x8 grey images (IDX, 32) resized (antialiased) to 28x28; "
                      "--image-size 32 or 64 to choose another size"]
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["dataset"]["resized_from"] == [8, 8] and cfg["dataset"]["resized_to"] == [28, 28]
    assert cfg["model"]["data_shape"] == [1, 28, 28]
    assert (tmp_path / "run" / "checkpoints" / "latest.safetensors").exists()
