"""The embedded cartoon faces: determinism, attributes in range and visible in the pixels,
the label choice, streaming and training on them."""
import numpy as np
import pytest
import torch

import train.data.faces as F
from gan_models.errors import DatasetError
from train.data import load_dataset
from train.data.faces import DISCRETE, RANGES, FacesDataset, draw_factors, render


def _one(**kw):
    """The attributes of one face: the middle of every range, short black hair, then kw."""
    f = {k: np.zeros(1, np.float32) for k in DISCRETE}
    for k, (lo, hi) in RANGES.items():
        f[k] = np.array([(lo + hi) / 2], np.float32)
    for k, v in kw.items():
        f[k] = np.array([v], np.float32)
    return f


def _img(**kw) -> np.ndarray:
    return ((render(_one(**kw))[0].numpy() + 1) / 2).transpose(1, 2, 0)      # (64, 64, 3) in [0, 1]


def test_deterministic_from_seed_and_index_and_a_longer_set_extends_a_shorter_one():
    a = FacesDataset(5000, seed=3).images(np.arange(300, 340))[0]
    b = FacesDataset(9000, seed=3).images(np.arange(300, 340))[0]
    c = FacesDataset(5000, seed=4).images(np.arange(300, 340))[0]
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (40, 3, 64, 64) and a.dtype == torch.float32 and a.min() >= -1 and a.max() <= 1
    # an image does not depend on the batch it is drawn in (grouped by hair style inside render)
    ds = FacesDataset(1000, seed=3)
    one = torch.stack([ds.images([i])[0][0] for i in (5, 17, 999)])
    assert torch.allclose(one, ds.images([5, 17, 999])[0], atol=1e-6)


def test_images_drawn_side_by_side_on_threads_are_the_ones_drawn_on_one():
    ds = FacesDataset(3000, seed=2)
    idx = np.arange(0, 3000, 5)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)                  # chunks go to two worker threads
        two = ds.images(idx)[0]
        torch.set_num_threads(1)
        one = ds.images(idx)[0]
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one, two)


def test_attributes_are_in_range_and_independent_with_the_documented_frequencies():
    f = draw_factors(40000, seed=0)
    for k, names in DISCRETE.items():
        share = np.bincount(f[k].astype(int), minlength=len(names)) / len(f[k])
        assert len(share) == len(names) and np.abs(share - 1 / len(names)).max() < 0.015, k
    for k, (lo, hi) in RANGES.items():
        assert f[k].min() >= lo and f[k].max() <= hi and f[k].max() - f[k].min() > 0.95 * (hi - lo), k
    both = np.mean((f["glasses"] == 1) & (f["smile"] == 1))
    assert abs(both - 0.25) < 0.015                                       # independent


def test_each_attribute_changes_the_pixels_it_names():
    base = _img()
    glasses = np.abs(_img(glasses=1) - base).max(2) > 0.1
    rows, cols = np.nonzero(glasses)
    assert glasses.sum() > 60 and rows.min() >= 18 and rows.max() <= 38       # only around the eyes
    smile = np.abs(_img(smile=1) - base).max(2) > 0.1
    rows, _ = np.nonzero(smile)
    assert smile.sum() > 25 and rows.min() >= 34                                # only at the mouth
    # hair colour: the top of the head is the hair's colour for every style; skin: the cheek
    for style in range(4):
        for colour in range(5):
            im = _img(hair_style=style, hair_colour=colour, tilt=12.0)
            assert np.allclose(im[12, 32], F.HAIR[colour], atol=2e-3), (style, colour)
    for tone in (0.0, 0.5, 1.0):
        want = (1 - tone) * np.asarray(F.SKIN_LIGHT) + tone * np.asarray(F.SKIN_DARK)
        assert np.allclose(_img(skin=tone)[36, 22], want, atol=2e-3)
    # long hair and an afro cover more of the frame than short hair; a bun sits on top
    bg = lambda im: (np.abs(im - np.asarray(F.BACKGROUND)).max(2) < 0.02).sum()    # noqa: E731
    assert bg(_img(hair_style=1)) < bg(_img(hair_style=0)) - 150
    assert bg(_img(hair_style=2)) < bg(_img(hair_style=1))
    assert bg(_img(hair_style=3)) < bg(_img(hair_style=0))
    # width: more skin; eye size: more white
    skin = lambda im: (np.abs(im - im[36, 22]).max(2) < 0.02).sum()               # noqa: E731
    assert skin(_img(width=0.46)) < skin(_img(width=0.53)) < skin(_img(width=0.60))
    white = lambda im: (im.min(2) > 0.95).sum()                                    # noqa: E731
    assert white(_img(eye_size=0.07)) < white(_img(eye_size=0.095)) < white(_img(eye_size=0.12))


def test_tilt_turns_the_head_and_a_mirrored_tilt_is_the_mirror_image():
    for t in (5.0, 12.0):
        assert np.allclose(_img(tilt=t)[:, ::-1], _img(tilt=-t), atol=1e-4)      # short hair is symmetric
    assert np.abs(_img(tilt=12.0) - _img(tilt=0.0)).max() > 0.5


def test_every_layer_lies_inside_its_box_for_the_extremes(monkeypatch):
    """render computes each layer only inside a fixed box: drawing on the whole frame instead
    must give the same image for every extreme of the attributes."""
    rng = np.random.default_rng(0)
    n = 300
    f = {k: rng.integers(0, len(v), n).astype(np.float32) for k, v in DISCRETE.items()}
    for k, (lo, hi) in RANGES.items():
        f[k] = np.where(rng.random(n) < 0.5, lo, hi).astype(np.float32)
    tight = render(f)
    full = (0, 64, 0, 64)
    for name in F.BOXES:
        monkeypatch.setattr(F, name, full)
    monkeypatch.setattr(F, "BACK", {k: full for k in F.BACK})
    assert (render(f) - tight).abs().max() < 1e-4


def test_labels_default_to_glasses_by_smile_and_can_be_another_attribute():
    ds = load_dataset("faces", n=2000)
    assert ds.streamed and ds.x is None and ds.num_classes == 4 and ds.name == "faces"
    assert ds.class_names[3] == "glasses, smiling"
    x, y = ds.images(np.arange(50))
    f = ds.factors
    assert np.array_equal(y.numpy(), (f["glasses"][:50] * 2 + f["smile"][:50]).astype(int))
    hs = load_dataset("faces:hair_style", n=100)
    assert hs.class_names == ["short", "long", "afro", "bun"] and hs.name == "faces:hair_style"
    assert np.array_equal(hs.images(np.arange(20))[1].numpy(), hs.factors["hair_style"][:20].astype(int))
    assert load_dataset("faces:glasses*hair_colour", n=10).num_classes == 10
    sub = ds.take(30)
    assert sub.x.shape == (30, 3, 64, 64) and sorted(sub.factors) == sorted(list(DISCRETE) + list(RANGES))
    assert sub.describe()["label"] == "glasses*smile" and sub.describe()["version"] == F.VERSION


@pytest.mark.parametrize("name, needle", [("faces:beard", "faces label 'beard'"),
                                          ("faces:glasses*glasses", "two of them"),
                                          ("faces:smile*glasses*hair_style", "two of them")])
def test_a_bad_label_is_one_clear_error(name, needle):
    with pytest.raises(DatasetError, match=needle):
        load_dataset(name, n=10)


def test_wrong_size_is_refused_with_a_clear_message():
    with pytest.raises(DatasetError, match="64x64 RGB only"):
        load_dataset("faces", image_size=32)


def test_a_cgan_trains_on_the_faces_labels_from_the_command_line(tmp_path):
    from train.cli import entry
    rc = entry(["--model", "cgan", "--dataset", "faces", "--steps", "2", "--batch-size", "8",
                "--g-width", "4", "--d-width", "4", "--n-data", "200", "--out", str(tmp_path / "run"),
                "--quiet"])
    assert rc == 0
    import json
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["model"]["num_classes"] == 4 and cfg["dataset"]["streamed"] is True
    assert cfg["model"]["data_shape"] == [3, 64, 64]
    assert (tmp_path / "run" / "checkpoints" / "latest.safetensors").exists()
