"""Issue 29, the data loaders: sizes are checked from headers before anything is decoded, inflated
or allocated; each refusal is a DatasetError naming the file. Cases that an unchecked loader would
turn into gigabytes run in a subprocess under a 3 GB address-space cap."""
import gzip
import pickle
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from gan_models.errors import DatasetError, GanExplorerError
from train.data import load_dataset

ROOT = Path(__file__).resolve().parents[2]


def png(path: Path, w: int, h: int, rows: bytes | None = None) -> Path:
    """A greyscale PNG whose header says w x h; its data is `rows` (default: a few bytes only)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    body = zlib.compress(rows if rows is not None else b"\0" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def refused_under_cap(code: str) -> str:
    prog = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
            "from gan_models.errors import GanExplorerError\n"
            "try:\n" + "".join(f"    {line}\n" for line in code.strip().splitlines()) +
            "    print('LOADED')\nexcept GanExplorerError as e:\n    print('REFUSED', e)\n")
    r = subprocess.run([sys.executable, "-c", prog], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("REFUSED"), (r.stdout, r.stderr[-2000:])
    return r.stdout


def test_a_huge_png_is_refused_from_its_header(tmp_path):
    (tmp_path / "imgs").mkdir()
    png(tmp_path / "imgs" / "a.png", 12000, 12000)
    with pytest.raises(DatasetError, match="a.png: .*at most 8192 pixels a side"):
        load_dataset(tmp_path / "imgs", sizes=(28, 32, 64))


def test_a_long_thin_png_is_refused_before_it_is_fitted(tmp_path):
    (tmp_path / "imgs").mkdir()
    png(tmp_path / "imgs" / "thin.png", 8, 20000, rows=b"\0\0\0\0\0\0\0\0\0" * 20000)
    out = refused_under_cap(f"from train.data import load_dataset\nload_dataset({str(tmp_path / 'imgs')!r}, "
                            "image_size=64)")
    assert "thin.png: image is 8x20000 pixels" in out


def test_the_projector_refuses_a_decompression_bomb_in_one_line(tmp_path):
    from train.projector import load_image
    for w in (12000, 30000):        # over our side limit; over PIL's bomb limit as well
        with pytest.raises(GanExplorerError, match="at most 8192 pixels a side"):
            load_image(png(tmp_path / f"bomb{w}.png", w, w))


def _idx(path: Path, dims, data: bytes = b"", gz=False):
    raw = struct.pack(">I", 0x00000800 | len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + data
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def test_idx_rows_and_cols_beyond_the_side_limit(tmp_path):
    _idx(tmp_path / "train-images-idx3-ubyte", [1, 20000, 20000])
    with pytest.raises(DatasetError, match="header rows/cols: image is 20000x20000"):
        load_dataset(tmp_path)


def test_a_gz_idx_whose_header_claims_gigabytes_is_not_inflated(tmp_path):
    _idx(tmp_path / "train-images-idx3-ubyte.gz", [8_000_000, 28, 28], b"\0" * 1000, gz=True)
    with pytest.raises(DatasetError, match=r"GiB in memory"):
        load_dataset(tmp_path)


def test_a_gz_idx_with_more_data_than_its_header_says_stops_reading(tmp_path):
    f = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(f, "wb") as g:
        g.write(struct.pack(">IIII", 0x803, 2, 28, 28))
        for _ in range(40):                              # 40 MiB of zeros: a 40 KB file
            g.write(bytes(1 << 20))
    with pytest.raises(DatasetError, match="describe 1568 data bytes but the file has more"):
        load_dataset(tmp_path)


def _cifar(folder: Path, batch) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=4))
    return folder


def test_an_empty_cifar_batch(tmp_path):
    d = _cifar(tmp_path / "c", {b"data": np.zeros((0, 3072), np.uint8), b"labels": []})
    with pytest.raises(DatasetError, match="no images"):
        load_dataset(d)


def test_a_cifar_label_of_a_billion_classes(tmp_path):
    d = _cifar(tmp_path / "c", {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10**9]})
    assert "label 1000000000" in refused_under_cap(f"from train.data import load_dataset\n"
                                                   f"load_dataset({str(d)!r})")


def test_a_cifar_pickle_asking_for_a_huge_bytearray(tmp_path):
    class Bomb:
        def __reduce__(self):
            return (bytearray, (3 * 10**9,))
    d = _cifar(tmp_path / "c", {b"data": Bomb(), b"labels": [0]})
    assert "bytearray(3000000000)" in refused_under_cap(f"from train.data import load_dataset\n"
                                                        f"load_dataset({str(d)!r})")


def test_an_oversized_cifar_batch_file_is_refused_by_size(tmp_path, monkeypatch):
    import train.data.cifar as cifar
    d = _cifar(tmp_path / "c", {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]})
    monkeypatch.setattr(cifar, "MAX_BATCH_BYTES", 1000)
    with pytest.raises(DatasetError, match="GiB; a CIFAR python batch is at most"):
        load_dataset(d)


def test_digits_count_over_the_memory_cap(tmp_path):
    assert "--n-data" in refused_under_cap("from train.data import load_dataset\n"
                                           "load_dataset('digits', n=10**8)")


# ---- found by the Hypothesis fuzzer (tests/test_fuzz_loaders.py)
def test_a_png_with_a_damaged_exif_chunk_is_refused_in_one_line(tmp_path):
    """PIL raised SyntaxError ('not a TIFF file') from an eXIf chunk: a crash, not a refusal."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    good = png(tmp_path / "good.png", 8, 8, rows=b"\0" * 72).read_bytes()
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "ok.png").write_bytes(good)
    (tmp_path / "imgs" / "exif.png").write_bytes(good[:33] + chunk(b"eXIf", b"\x04O\xa5\xef") + good[33:])
    with pytest.raises(DatasetError) as e:
        load_dataset(tmp_path / "imgs", sizes=(28, 32, 64))
    msg = str(e.value)
    assert "exif.png: not a readable image" in msg and "Error" not in msg and "\n" not in msg


def test_the_projector_says_why_an_image_is_unreadable(tmp_path):
    """`project CKPT photo.png` said '(OSError)' and nothing else for a truncated file."""
    from train.projector import load_image
    raw = png(tmp_path / "a.png", 64, 64, rows=bytes(65 * 64)).read_bytes()
    (tmp_path / "cut.png").write_bytes(raw[:60])
    with pytest.raises(GanExplorerError, match=r"cut.png: not a readable image \(.*trunc") as e:
        load_image(tmp_path / "cut.png")
    assert "Error" not in str(e.value)


@pytest.mark.parametrize("raw, words", [(b"\x00\x01\x02", "invalid load key"),
                                        (pickle.dumps({b"data": 1}, protocol=2)[:-5], "truncated"),
                                        (b"\x80\x02X\x02\x00\x00\x00\xfc\xfd.", "not UTF-8 text")])
def test_a_damaged_cifar_pickle_is_refused_without_an_exception_name(tmp_path, raw, words):
    """The message said '(UnpicklingError: ...)' / '(UnicodeDecodeError: ...)'."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "data_batch_1").write_bytes(raw)
    with pytest.raises(DatasetError, match="data_batch_1: not a readable CIFAR python batch") as e:
        load_dataset(tmp_path / "c")
    assert words in str(e.value).lower() or words in str(e.value), str(e.value)
    assert "Error" not in str(e.value)


@pytest.mark.parametrize("name", ["faces", "shapes"])
def test_a_drawn_data_set_of_a_hundred_million_images_is_refused_up_front(name, monkeypatch):
    """faces with --n-data 10^8 died in a MemoryError drawing 5.6 GB of factors; shapes took 2.8 GB."""
    import importlib
    module = importlib.import_module(f"train.data.{name}")

    def not_drawn(*a, **k):
        raise AssertionError("the factors were drawn before the size was checked")
    monkeypatch.setattr(module, "draw_factors", not_drawn)
    with pytest.raises(DatasetError, match=rf"{name}: 100000000 images asked for \(--n-data\); .*at most 10,000,000"):
        load_dataset(name, n=10**8)
