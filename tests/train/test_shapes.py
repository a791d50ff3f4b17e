"""The embedded colour shapes: determinism, factors that match the pixels, streaming."""
import numpy as np
import pytest
import torch

from gan_models.errors import DatasetError
from train.data import load_dataset
from train.data.shapes import BACKGROUND, SHAPES, ShapesDataset, draw_factors
from train.data_stream import DataStream


@pytest.fixture(scope="module")
def sub():
    return load_dataset("shapes", n=3000, seed=0).take(600)


def _fg(x):
    """Foreground mask of images in [-1, 1]: far from the background colour."""
    img = (x.numpy() + 1) / 2                                         # (N, 3, H, W)
    bg = np.asarray(BACKGROUND)[None, :, None, None]
    return np.abs(img - bg).sum(1) > 0.3                              # (N, H, W)


def test_images_are_64x64_rgb_in_range_with_balanced_shapes(sub):
    assert sub.x.shape == (600, 3, 64, 64) and sub.x.dtype == torch.float32
    assert sub.x.min() >= -1 and sub.x.max() <= 1
    assert sub.class_names == list(SHAPES)
    counts = np.bincount(sub.labels.numpy(), minlength=4)
    assert counts.min() > 100                                        # ~150 each
    assert sorted(sub.factors) == ["hue", "rotation", "scale", "x", "y"]


def test_deterministic_from_the_seed_and_a_longer_set_extends_a_shorter_one():
    a = ShapesDataset(5000, seed=3).images(np.arange(40))[0]
    b = ShapesDataset(9000, seed=3).images(np.arange(40))[0]
    c = ShapesDataset(5000, seed=4).images(np.arange(40))[0]
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    s1, f1 = draw_factors(100, seed=1)
    s2, f2 = draw_factors(100, seed=1)
    assert np.array_equal(s1, s2) and all(np.array_equal(f1[k], f2[k]) for k in f1)


def test_drawn_factors_are_what_the_pixels_show(sub):
    mask = _fg(sub.x)
    area = mask.sum((1, 2))
    assert area.min() > 30                                           # every image shows its shape
    yy, xx = np.mgrid[0:64, 0:64] + 0.5
    cx = (mask * xx).sum((1, 2)) / area / 32 - 1                     # frame units
    cy = (mask * yy).sum((1, 2)) / area / 32 - 1
    circles = sub.labels.numpy() == SHAPES.index("circle")
    # the centroid of a circle (a square, a cross) is its centre
    for k, est in (("x", cx), ("y", cy)):
        err = np.abs(est - sub.factors[k])[sub.labels.numpy() != SHAPES.index("triangle")]
        assert np.percentile(err, 95) < 0.03, k
    # a circle's area is pi r^2
    r = np.sqrt(area[circles] / np.pi) / 32
    assert np.abs(r - sub.factors["scale"][circles]).max() < 0.03
    # the brightest channel follows the hue: red near 0, green near 1/3, blue near 2/3
    col = np.stack([(sub.x[i].numpy()[:, mask[i]]).mean(1) for i in range(len(sub))])
    hue = sub.factors["hue"]
    for ch, centre in ((0, 0.0), (1, 1 / 3), (2, 2 / 3)):
        near = np.abs(((hue - centre + 0.5) % 1.0) - 0.5) < 0.08
        assert (col[near].argmax(1) == ch).all()


def test_streamed_batches_carry_labels_and_keep_no_images():
    ds = load_dataset("shapes", n=1000)
    assert ds.x is None and ds.streamed
    stream = DataStream(ds, 16, torch.Generator().manual_seed(0))
    x, y = stream.next()
    assert x.shape == (16, 3, 64, 64) and y.shape == (16,) and y.max() < 4
    assert stream.steps_per_epoch == 1000 // 16
    again = DataStream(ds, 16, torch.Generator().manual_seed(0)).next()
    assert torch.equal(x, again[0]) and torch.equal(y, again[1])


def test_wrong_size_is_refused_with_a_clear_message():
    with pytest.raises(DatasetError, match="64x64 RGB only"):
        load_dataset("shapes", image_size=32)


def test_cgan_trains_on_shapes_labels(tmp_path):
    from train.cli import entry
    rc = entry(["--model", "cgan", "--dataset", "shapes", "--steps", "2", "--batch-size", "8",
                "--g-width", "4", "--d-width", "4", "--n-data", "200", "--out", str(tmp_path / "run"),
                "--quiet"])
    assert rc == 0
    import json
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["model"]["num_classes"] == 4 and cfg["dataset"]["streamed"] is True
    assert cfg["model"]["data_shape"] == [3, 64, 64]


def test_mono_variant_is_the_same_shapes_in_one_colour():
    """shapes:mono (fewer nuisance factors for InfoGAN): every image one colour, and the shapes,
    positions and sizes of the coloured set with the same seed; the shapes judge applies to it."""
    from train import judges, shapes_metrics
    from train.shapes_metrics import estimate_factors
    col = load_dataset("shapes", n=2000, seed=0)
    mono = load_dataset("shapes:mono", n=2000, seed=0)
    assert mono.name == "shapes:mono" and mono.describe()["factor_doc"]["hue"].startswith("0.15 (one colour")
    assert np.array_equal(mono.shape, col.shape)
    assert all(np.array_equal(mono.factors[k], col.factors[k]) for k in ("x", "y", "scale", "rotation"))
    assert np.unique(mono.factors["hue"]).tolist() == [np.float32(0.15)]
    xm, ym = mono.images(np.arange(200))
    xc, _ = col.images(np.arange(200))
    assert np.mean(_fg(xm) != _fg(xc)) < 0.005             # the same sprites (edges aside) ...
    hue = estimate_factors(xm)["hue"]
    assert np.nanmax(np.abs(hue - 0.15)) < 0.01             # ... in one colour
    assert np.nanstd(estimate_factors(xc)["hue"]) > 0.1
    taken = mono.take(50)
    assert taken.name == "shapes:mono" and torch.equal(taken.x, xm[:50])
    assert judges.judge_module(taken) is shapes_metrics
    with pytest.raises(DatasetError, match="shapes:grey: no such variant of shapes; expected one of shapes:mono"):
        load_dataset("shapes:grey")
