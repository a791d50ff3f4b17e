"""Data sets: embedded digits, toys, IDX / image-folder / CIFAR loaders, safety."""
from __future__ import annotations

import gzip
import json
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_models.errors import DatasetError
from train.data import ArrayDataset, ToyDataset, list_builtin, load_dataset

ROOT = Path(__file__).resolve().parents[2]


def spearman(a, b) -> float:
    ra = np.argsort(np.argsort(np.asarray(a)))
    rb = np.argsort(np.argsort(np.asarray(b)))
    return float(np.corrcoef(ra, rb)[0, 1])


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", n=2000, seed=0)


def ink_moments(x: torch.Tensor):
    """(N, 1, H, W) in [-1, 1] -> mass, centre (mx, my), var_x, var_y, cov_xy of the ink."""
    ink = (x[:, 0] + 1) / 2
    h, w = ink.shape[1:]
    ys = torch.arange(h).float()[None, :, None]
    xs = torch.arange(w).float()[None, None, :]
    m = ink.sum((1, 2))
    mx = (ink * xs).sum((1, 2)) / m
    my = (ink * ys).sum((1, 2)) / m
    dx, dy = xs - mx[:, None, None], ys - my[:, None, None]
    vx = (ink * dx * dx).sum((1, 2)) / m
    vy = (ink * dy * dy).sum((1, 2)) / m
    cxy = (ink * dx * dy).sum((1, 2)) / m
    return m, mx, my, vx, vy, cxy


# ---------------------------------------------------------------- digits

def test_builtin_names():
    assert list_builtin() == ["digits", "shapes", "faces", "ring8", "grid25", "gauss1d"]


def test_builtin_table_says_what_each_builtin_holds():
    """The Train tab checks a choice against train.data's table without loading the data set."""
    from train.data import BUILTIN, BUILTIN_SHAPES, LABELLED
    assert set(BUILTIN_SHAPES) == set(BUILTIN)
    for name in BUILTIN:
        ds = load_dataset(name, n=64)
        assert tuple(ds.data_shape) == BUILTIN_SHAPES[name], name
        assert (ds.num_classes > 0) == (name in LABELLED), name


def test_digits_shapes_range_labels(digits):
    d = digits
    assert isinstance(d, ArrayDataset)
    assert d.name == "digits" and len(d) == 2000
    assert d.x.shape == (2000, 1, 28, 28) and d.x.dtype == torch.float32
    assert d.data_shape == (1, 28, 28) and d.is_image
    assert d.value_range == (-1.0, 1.0)
    assert float(d.x.min()) == -1.0 and float(d.x.max()) == 1.0
    assert d.labels.dtype == torch.int64 and d.labels.shape == (2000,)
    assert sorted(d.labels.unique().tolist()) == list(range(10))
    assert torch.bincount(d.labels).min() >= 199          # balanced
    assert d.class_names == [str(i) for i in range(10)] and d.num_classes == 10
    desc = d.describe()
    json.dumps(desc)
    assert desc["count"] == 2000 and desc["shape"] == [1, 28, 28] and desc["num_classes"] == 10
    for k in ("slant", "width", "thickness"):
        assert d.factors[k].shape == (2000,)
        assert np.isfinite(d.factors[k]).all() and d.factors[k].std() > 0


def test_digits_look_like_mnist(digits):
    """White ink on black, ~20 px tall, centred by mass, mean intensity close to MNIST's."""
    x = digits.x
    m, mx, my, *_ = ink_moments(x)
    assert abs(float(mx.mean()) - 13.5) < 0.6 and abs(float(my.mean()) - 13.5) < 0.6
    assert float((mx - 13.5).abs().max()) < 2.5 and float((my - 13.5).abs().max()) < 2.5
    rows = ((x[:, 0] + 1) / 2 > 0.3).any(2)
    top = rows.float().argmax(1)
    bottom = 27 - rows.flip(1).float().argmax(1)
    height = (bottom - top + 1).float()
    assert 17 <= float(height.median()) <= 22
    ink = (x + 1) / 2
    assert 0.08 < float(ink.mean()) < 0.18                # MNIST: 0.13
    assert float((ink > 0.5).float().mean()) < 0.2        # mostly background


def test_digits_factors_measure_what_they_claim(digits):
    f, lab = digits.factors, digits.labels.numpy()
    m, mx, my, vx, vy, cxy = ink_moments(digits.x)
    # slant: shear of x with height (y down) -> the regression slope of x on y
    skew = (-cxy / vy).numpy()
    assert spearman(f["slant"], skew) > 0.8
    # width: horizontal spread of the ink once the slant is taken out
    deslanted = (vx - cxy ** 2 / vy).sqrt().numpy()
    assert spearman(f["width"], deslanted) > 0.5
    per_class = [spearman(f["width"][lab == c], deslanted[lab == c]) for c in range(2, 10)]
    assert np.median(per_class) > 0.7
    # thickness: more ink for the same digit
    per_class = [spearman(f["thickness"][lab == c], m.numpy()[lab == c]) for c in range(10)]
    assert min(per_class) > 0.6


def test_digits_deterministic():
    a = load_dataset("digits", n=300, seed=7)
    b = load_dataset("digits", n=300, seed=7)
    c = load_dataset("digits", n=300, seed=8)
    assert torch.equal(a.x, b.x) and torch.equal(a.labels, b.labels)
    for k in a.factors:
        assert np.array_equal(a.factors[k], b.factors[k])
    assert not torch.equal(a.x, c.x)


def test_digits_same_with_other_thread_count():
    from train.data.digits import make_digits
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = make_digits(200, seed=3)[0]
        torch.set_num_threads(2)
        b = make_digits(200, seed=3, chunk=64, threads=None)[0]
    finally:
        torch.set_num_threads(old)
    assert torch.equal(a, b)


def test_digits_resize_and_channels():
    d = load_dataset("digits", n=50, image_size=32, channels=3)
    assert d.x.shape == (50, 3, 32, 32) and d.data_shape == (3, 32, 32)
    assert float(d.x.min()) >= -1.0 and float(d.x.max()) <= 1.0
    assert torch.equal(d.x[:, 0], d.x[:, 2])


def test_sample_batch(digits):
    g1 = torch.Generator().manual_seed(5)
    g2 = torch.Generator().manual_seed(5)
    x1, y1 = digits.sample_batch(64, g1)
    x2, y2 = digits.sample_batch(64, g2)
    assert x1.shape == (64, 1, 28, 28) and y1.shape == (64,) and y1.dtype == torch.int64
    assert torch.equal(x1, x2) and torch.equal(y1, y2)


# ---------------------------------------------------------------- toys

def test_toy_centres_exact():
    r = load_dataset("ring8")
    a = 2 * np.pi * np.arange(8) / 8
    assert isinstance(r, ToyDataset)
    assert np.allclose(r.centres, np.stack([np.cos(a), np.sin(a)], 1), atol=1e-12)
    assert r.std == 0.01 and r.data_shape == (2,)
    g = load_dataset("grid25")
    want = {(i, j) for i in (-4, -2, 0, 2, 4) for j in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in g.centres.tolist()} == want and g.std == 0.05
    o = load_dataset("gauss1d")
    assert o.data_shape == (1,) and o.centres.tolist() == [[-2.0], [2.0]] and o.std == 0.5
    for t in (r, g, o):
        assert np.allclose(t.weights, 1 / len(t.centres))
        assert t.value_range is None and not t.is_image and t.num_classes == 0
        assert t.labels is None and t.class_names == []
        json.dumps(t.describe())


@pytest.mark.parametrize("name", ["ring8", "grid25", "gauss1d"])
def test_toy_samples_near_centres(name):
    t = load_dataset(name)
    gen = torch.Generator().manual_seed(0)
    x, mode = t.sample(20000, gen)
    assert x.dtype == torch.float32 and x.shape == (20000, t.data_shape[0])
    c = torch.tensor(t.centres, dtype=torch.float32)[mode]
    dist = (x - c).norm(dim=1) / t.std
    assert float(dist.max()) < 6.5
    assert len(mode.unique()) == len(t.centres)
    # nearest centre = the mode drawn (gauss1d's modes are 8 std apart: rare crossings)
    assert (t.mode_of(x) == mode.numpy()).mean() > 0.999
    xb, yb = t.sample_batch(16, gen)
    assert xb.shape == (16, t.data_shape[0]) and yb is None
    # deterministic from the seed when no generator is given
    assert torch.equal(t.sample(10)[0], t.sample(10)[0])


@pytest.mark.parametrize("name", ["ring8", "grid25", "gauss1d"])
def test_toy_log_density_matches_formula(name):
    t = load_dataset(name)
    rng = np.random.default_rng(0)
    pts = t.centres[rng.integers(0, len(t.centres), 50)] + rng.normal(0, 2 * t.std, (50, t.data_shape[0]))
    dim = t.data_shape[0]
    direct = np.zeros(len(pts))
    for mu, w in zip(t.centres, t.weights):
        d2 = ((pts - mu) ** 2).sum(1)
        direct += w * np.exp(-d2 / (2 * t.std ** 2)) / (2 * math.pi * t.std ** 2) ** (dim / 2)
    assert np.allclose(t.log_density(pts), np.log(direct), rtol=1e-9, atol=1e-9)
    assert np.allclose(t.density(torch.tensor(pts)), direct, rtol=1e-6)
    far = t.log_density(np.full((1, dim), 100.0))
    assert np.isfinite(far).all() and far[0] < -1000   # log-sum-exp, no underflow to -inf


def test_toy_density_integrates_to_one():
    o = load_dataset("gauss1d")
    xs = np.linspace(-8, 8, 20001)
    assert abs(np.trapezoid(o.density(xs[:, None]), xs) - 1) < 1e-6
    # a Riemann sum of a Gaussian with step <= std/2 is exact to ~1e-9
    for name, step in (("grid25", 0.025), ("ring8", 0.005)):
        t = load_dataset(name)
        lo, hi = t.bounds()
        gx = np.arange(lo[0], hi[0], step)
        gy = np.arange(lo[1], hi[1], step)
        X, Y = np.meshgrid(gx, gy)
        total = t.density(np.stack([X.ravel(), Y.ravel()], 1)).sum() * step * step
        assert abs(total - 1) < 1e-6, name


# ---------------------------------------------------------------- IDX

def idx_bytes(arr: np.ndarray, magic: int | None = None) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    magic = magic if magic is not None else (0x0800 | arr.ndim)
    head = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return head + arr.tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def fake_idx(n=20, h=10, w=12, seed=0):
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 256, (n, h, w), dtype=np.uint8)
    imgs[0] = 0
    imgs[1] = 255
    labels = (np.arange(n) % 10).astype(np.uint8)
    return imgs, labels


@pytest.mark.parametrize("gz", [False, True])
def test_idx_loads_and_resizes(tmp_path, gz):
    imgs, labels = fake_idx()
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(imgs), gz)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels), gz)
    d = load_dataset(str(tmp_path), image_size=28)
    assert d.x.shape == (20, 1, 28, 28) and d.x.dtype == torch.float32
    assert torch.equal(d.labels, torch.tensor(labels, dtype=torch.long))
    assert d.class_names == [str(i) for i in range(10)] and d.num_classes == 10
    assert float(d.x.min()) >= -1 and float(d.x.max()) <= 1
    assert float(d.x[0].max()) == -1.0                       # black image stays black
    native = load_dataset(str(tmp_path))
    assert native.x.shape == (20, 1, 10, 12)
    assert torch.allclose(native.x[:, 0], torch.tensor(imgs).float() / 127.5 - 1)
    assert load_dataset(str(tmp_path), image_size=32, channels=3).x.shape == (20, 3, 32, 32)
    json.dumps(d.describe())


def test_idx_prefers_train_then_t10k_and_labels_optional(tmp_path):
    tr, trl = fake_idx(n=30)
    te, tel = fake_idx(n=7, seed=1)
    write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(te), gz=True)
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(tel), gz=True)
    assert len(load_dataset(tmp_path)) == 7
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(tr), gz=True)
    d = load_dataset(tmp_path)
    assert len(d) == 30 and d.labels is None and d.num_classes == 0


def test_idx_emnist_names_and_many_classes(tmp_path):
    imgs, _ = fake_idx(n=26, h=28, w=28)
    labels = np.arange(1, 27, dtype=np.uint8)
    write(tmp_path / "emnist-letters-train-images-idx3-ubyte", idx_bytes(imgs), gz=True)
    write(tmp_path / "emnist-letters-train-labels-idx1-ubyte", idx_bytes(labels), gz=True)
    d = load_dataset(tmp_path)
    assert d.num_classes == 27 and d.class_names[26] == "26"
    # EMNIST stores images transposed; they come back upright
    assert torch.allclose(d.x[3, 0], torch.tensor(imgs[3].T).float() / 127.5 - 1)


def test_idx_found_in_subfolder(tmp_path):
    imgs, labels = fake_idx()
    write(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte", idx_bytes(imgs))
    write(tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte", idx_bytes(labels))
    assert len(load_dataset(tmp_path)) == 20


def test_idx_subset_n_is_seeded(tmp_path):
    imgs, labels = fake_idx(n=50)
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(imgs))
    a = load_dataset(tmp_path, n=10, seed=1)
    b = load_dataset(tmp_path, n=10, seed=1)
    assert len(a) == 10 and torch.equal(a.x, b.x)


def test_idx_bad_magic(tmp_path):
    imgs, labels = fake_idx()
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(imgs, magic=0x0000080C), gz=True)
    with pytest.raises(DatasetError) as e:
        load_dataset(tmp_path)
    assert "train-images-idx3-ubyte.gz" in str(e.value) and "magic" in str(e.value)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated(tmp_path, gz):
    imgs, _ = fake_idx()
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(imgs)[:-100], gz)
    with pytest.raises(DatasetError) as e:
        load_dataset(tmp_path)
    assert "train-images-idx3-ubyte" in str(e.value) and "truncated" in str(e.value)


def test_idx_broken_gzip(tmp_path):
    imgs, _ = fake_idx()
    raw = gzip.compress(idx_bytes(imgs))
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz"):
        load_dataset(tmp_path)


def test_idx_label_count_mismatch(tmp_path):
    imgs, labels = fake_idx()
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(imgs))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels[:-1]))
    with pytest.raises(DatasetError) as e:
        load_dataset(tmp_path)
    assert "train-labels-idx1-ubyte" in str(e.value) and "count" in str(e.value)


def test_idx_labels_bad_magic(tmp_path):
    imgs, labels = fake_idx()
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(imgs))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels[:, None]))   # 2 dims
    with pytest.raises(DatasetError, match="train-labels-idx1-ubyte.*magic"):
        load_dataset(tmp_path)


# ---------------------------------------------------------------- image folders

def test_image_folder_with_classes(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(0)
    for cls, n, size in (("dogs", 3, (40, 30)), ("cats", 2, (20, 50))):
        (tmp_path / cls).mkdir()
        for i in range(n):
            arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(arr).save(tmp_path / cls / f"{i}.png")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "cats" / "x.jpg")
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    d = load_dataset(str(tmp_path), image_size=16)
    assert d.class_names == ["cats", "dogs"] and d.num_classes == 2
    assert d.x.shape == (6, 3, 16, 16)
    assert d.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert float(d.x.min()) >= -1 and float(d.x.max()) <= 1
    g = load_dataset(str(tmp_path), image_size=16, channels=1)
    assert g.x.shape == (6, 1, 16, 16)
    assert load_dataset(str(tmp_path)).x.shape == (6, 3, 64, 64)     # default size 64


def test_image_folder_loose_grayscale(tmp_path):
    from PIL import Image
    for i in range(4):
        Image.fromarray(np.full((10, 14), 60 * i, np.uint8), mode="L").save(tmp_path / f"{i}.png")
    d = load_dataset(tmp_path, image_size=8)
    assert d.x.shape == (4, 1, 8, 8) and d.labels is None and d.num_classes == 0
    assert torch.allclose(d.x[2], torch.full((1, 8, 8), 120 / 127.5 - 1), atol=1e-5)


def test_image_folder_bad_file_and_mixed(tmp_path):
    from PIL import Image
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "ok.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DatasetError, match="broken.png"):
        load_dataset(tmp_path)
    (tmp_path / "broken.png").unlink()
    (tmp_path / "sub").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "sub" / "a.png")
    with pytest.raises(DatasetError, match="subfolder"):
        load_dataset(tmp_path)


# ---------------------------------------------------------------- CIFAR

def write_cifar(folder: Path, protocol: int, batches=2, per=5):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    all_data, all_labels = [], []
    for b in range(1, batches + 1):
        data = rng.integers(0, 256, (per, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per)]
        with open(folder / f"data_batch_{b}", "wb") as f:
            pickle.dump({b"batch_label": b"training batch", b"labels": labels, b"data": data,
                         b"filenames": [b"x.png"] * per}, f, protocol=protocol)
        all_data.append(data)
        all_labels += labels
    names = [f"class{i}".encode() for i in range(10)]
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": names, b"num_vis": 3072}, f, protocol=protocol)
    return np.concatenate(all_data), all_labels


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batches_load(tmp_path, protocol):
    folder = tmp_path / "cifar-10-batches-py"
    data, labels = write_cifar(folder, protocol)
    d = load_dataset(str(folder))
    assert d.x.shape == (10, 3, 32, 32) and d.labels.tolist() == labels
    assert d.class_names == [f"class{i}" for i in range(10)]
    # row layout: 1024 red, 1024 green, 1024 blue, row-major 32x32
    want = torch.tensor(data[3].reshape(3, 32, 32)).float() / 127.5 - 1
    assert torch.allclose(d.x[3], want)
    small = load_dataset(str(tmp_path), image_size=28, channels=1)   # found one level down
    assert small.x.shape == (10, 1, 28, 28)


def test_cifar_numpy1_pickles_load(tmp_path):
    """The real files name numpy.core.multiarray (numpy 1.x); numpy 2 calls it numpy._core."""
    folder = tmp_path / "cifar-10-batches-py"
    data, labels = write_cifar(folder, protocol=2, batches=1)
    p = folder / "data_batch_1"
    raw = p.read_bytes()
    assert b"numpy._core.multiarray" in raw
    p.write_bytes(raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    d = load_dataset(folder)
    assert d.labels.tolist() == labels and d.x.shape == (5, 3, 32, 32)


class _Evil:
    def __init__(self, target: str):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


class _EvalEvil:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


@pytest.mark.parametrize("payload", ["system", "eval", "nested"])
def test_cifar_malicious_pickle_runs_nothing(tmp_path, payload):
    folder = tmp_path / "cifar"
    folder.mkdir()
    marker = tmp_path / "pwned"
    evil = {"system": _Evil(str(marker)), "eval": _EvalEvil(),
            "nested": {b"data": np.zeros((1, 3072), np.uint8), b"labels": [_Evil(str(marker))]}}[payload]
    with open(folder / "data_batch_1", "wb") as f:
        pickle.dump(evil, f, protocol=2)
    with pytest.raises(DatasetError) as e:
        load_dataset(folder)
    assert "data_batch_1" in str(e.value)
    assert not marker.exists()


def test_cifar_garbage_and_wrong_shape(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(b"not a pickle at all")
    with pytest.raises(DatasetError, match="data_batch_1"):
        load_dataset(folder)
    with open(folder / "data_batch_1", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(DatasetError, match="3072"):
        load_dataset(folder)


# ---------------------------------------------------------------- errors, hygiene

def test_unknown_name_and_missing_path(tmp_path):
    with pytest.raises(DatasetError) as e:
        load_dataset("mnist-please")
    msg = str(e.value)
    assert all(n in msg for n in ("digits", "ring8", "grid25", "gauss1d"))
    with pytest.raises(DatasetError, match="nope"):
        load_dataset(str(tmp_path / "nope"))


def test_empty_folder_says_what_was_expected(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(DatasetError) as e:
        load_dataset(tmp_path)
    msg = str(e.value)
    assert str(tmp_path) in msg and "idx3-ubyte" in msg and "data_batch" in msg
    assert "PNG" in msg and "never downloads" in msg


def test_bad_options():
    with pytest.raises(DatasetError, match="channels"):
        load_dataset("digits", n=10, channels=2)
    with pytest.raises(DatasetError, match="image_size"):
        load_dataset("digits", n=10, image_size=0)
    with pytest.raises(DatasetError, match="n"):
        load_dataset("digits", n=0)


def test_no_qt_in_train():
    import re
    qt = re.compile(r"^\s*(from|import)\s+(PySide6|PyQt\d|pyqtgraph)\b", re.M)
    for p in (ROOT / "train").rglob("*.py"):
        assert not qt.search(p.read_text()), f"{p} imports Qt"
    code = ("import sys, train.data; train.data.load_dataset('ring8'); "
            "print(any(m.split('.')[0] in ('PySide6', 'pyqtgraph') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
