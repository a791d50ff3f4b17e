"""Hypothesis strategies for the data-set half of the loader fuzz test (issue 29, item 4): each
draws a folder as a `write(folder, marker)`: IDX headers (magic, dimensions, counts, gzip), PNG
headers (IHDR sizes, depths, colour types) and chunks, CIFAR pickles of the allowed shape with
wrong fields. Each starts from a valid folder and sets a few drawn fields wrong, so both loading
and refusing are reached."""
from __future__ import annotations

import gzip
import pickle
import struct
import zlib

from hypothesis import strategies as st

from fuzz_strategies import JSON, Payload, damaged


def idx_bytes(dims, data: bytes, magic_type=0x08) -> bytes:
    return (struct.pack(">I", (magic_type << 8) | len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
            + data)


_DIMS = st.sampled_from([0, 1, 2, 3, 7, 28, 255, 8192, 8193, 20000, 2**16, 2**31 - 1, 2**32 - 1]) | st.integers(0, 64)
_IDX_FIELDS = ["n", "rows", "cols", "ndim", "magic", "data", "labels", "label-magic", "bytes"]


@st.composite
def idx_folder(draw):
    """A valid images + labels pair (a few small images), then 0 to 3 drawn fields set wrong."""
    spec = {"n": draw(st.integers(1, 16)), "rows": draw(st.sampled_from([4, 8, 28, 30, 33])),
            "cols": draw(st.sampled_from([4, 8, 28, 30, 33])), "ndim": 3, "magic": 0x08, "data": "exact",
            "labels": "same", "label-magic": 0x08, "bytes": False}
    for field in draw(st.lists(st.sampled_from(_IDX_FIELDS), max_size=3, unique=True)):
        spec[field] = draw({"n": _DIMS, "rows": _DIMS, "cols": _DIMS, "ndim": st.sampled_from([0, 1, 2, 4, 9, 255]),
                            "magic": st.sampled_from([0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
                            "data": st.sampled_from(["short", "long", "little", "none"]),
                            "labels": st.sampled_from([0, 1, "more", "fewer", 2**31, 2**32 - 1]),
                            "label-magic": st.sampled_from([0x09, 0x0D, 0x00]), "bytes": st.just(True)}[field])
    n, rows, cols, ndim = spec["n"], spec["rows"], spec["cols"], spec["ndim"]
    dims = ([n, rows, cols] + [2] * 8)[:ndim] if ndim <= 8 else [n, rows, cols]
    need = n * rows * cols
    size = {"exact": need, "short": need - 1, "long": need + 3, "little": 64, "none": 0}[spec["data"]]
    size = max(0, min(size, 4 << 20))                       # never write more than 4 MiB
    pixels = bytes(draw(st.integers(0, 255)) for _ in range(16)) * (size // 16) + bytes(size % 16)
    imgs = (struct.pack(">I", (spec["magic"] << 8) | ndim) + b"".join(struct.pack(">I", d) for d in dims[:ndim])
            + pixels)
    n_labels = {"same": n, "more": n + 1, "fewer": max(n - 1, 0)}.get(spec["labels"], spec["labels"])
    labels = idx_bytes([n_labels], bytes(min(n_labels, 1 << 20)), spec["label-magic"])
    if spec["bytes"]:
        imgs = draw(damaged(imgs, 0, min(len(imgs), 32)))
    gz = draw(st.booleans())

    def write(folder, marker):
        name = "train-images-idx3-ubyte" + (".gz" if gz else "")
        (folder / name).write_bytes(gzip.compress(imgs, 1) if gz else imgs)
        (folder / "train-labels-idx1-ubyte").write_bytes(labels)
    return write


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(w: int, h: int, depth=8, colour=0, interlace=0, idat: bytes | None = None) -> bytes:
    if idat is None:
        idat = zlib.compress(b"".join(b"\0" + bytes(range(w)) for _ in range(h)))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


_SIDES = st.sampled_from([0, 1, 3, 4, 8, 64, 8192, 8193, 12000, 30000, 2**20, 2**31 - 1, 2**32 - 1]) | st.integers(0, 99)
_BOMB = None


@st.composite
def png_folder(draw):
    op = draw(st.sampled_from(["ihdr", "ihdr", "bomb", "bytes", "chunk"]))
    if op == "ihdr":                              # IHDR fields, CRC kept valid so the decoder reads on
        w, h = draw(_SIDES), draw(_SIDES)
        fill = draw(st.sampled_from([0, 64, 4096, 65536]))
        data = png_bytes(w, h, draw(st.sampled_from([1, 2, 4, 8, 16, 0, 3, 255])),
                         draw(st.sampled_from([0, 2, 3, 4, 6, 1, 7])), draw(st.sampled_from([0, 0, 1, 2])),
                         idat=zlib.compress(bytes(fill)))
    elif op == "bomb":                            # a small file that inflates a lot
        global _BOMB
        _BOMB = _BOMB or png_bytes(6000, 6000, idat=zlib.compress(bytes(6000 * 6001), 9))   # 36 MB from 35 KB
        data = _BOMB
    elif op == "chunk":                           # an extra chunk before IDAT, CRC valid
        kind = draw(st.sampled_from([b"PLTE", b"tRNS", b"iCCP", b"zTXt", b"iTXt", b"eXIf", b"acTL", b"fcTL",
                                     b"sBIT", b"gAMA"]))
        good = png_bytes(8, 8)
        data = good[:33] + _chunk(kind, draw(st.binary(max_size=64))) + good[33:]
    else:
        good = png_bytes(8, 8)
        data = draw(damaged(good, 8, len(good)))

    def write(folder, marker):
        for i in range(2):
            (folder / f"ok{i}.png").write_bytes(png_bytes(8, 8))
        (folder / "z_bad.png").write_bytes(data)
    return write


_LAYOUTS = {"planes": lambda n, s: (n, 3 * s * s), "nchw": lambda n, s: (n, 3, s, s), "nhwc": lambda n, s: (n, s, s, 3),
            "grey": lambda n, s: (n, 1, s, s)}
_CIFAR_FIELDS = ["shape", "dtype", "data", "labels", "label-values", "keys", "meta", "bytes"]


@st.composite
def cifar_folder(draw):
    """A data_batch_1 pickle of the allowed shape (a dict of b'data' and b'labels'), valid, then 0 to 3
    drawn fields set wrong: the array's shape or dtype, the data or labels replaced by other JSON-like
    values, labels out of range or of the wrong count, str keys, a damaged batches.meta, byte damage."""
    import numpy as np
    n, side = draw(st.integers(1, 6)), draw(st.sampled_from([4, 8, 32]))
    spec = {"shape": _LAYOUTS[draw(st.sampled_from(sorted(_LAYOUTS)))](n, side), "dtype": "uint8", "data": "array",
            "labels": "list", "label-values": [i % 10 for i in range(n)], "keys": "bytes", "meta": None,
            "bytes": False}
    for field in draw(st.lists(st.sampled_from(_CIFAR_FIELDS), max_size=3, unique=True)):
        spec[field] = draw({
            "shape": st.lists(st.sampled_from([0, 1, 2, 3, 4, 32, 3072, 3071, 12]), max_size=5).map(tuple),
            "dtype": st.sampled_from(["float32", "int64", "bool", "int8", "object", ">u2"]),
            "data": st.sampled_from(["pool", "missing", "list"]),
            "labels": st.sampled_from(["array", "pool", "missing", "text", "2d"]),
            "label-values": st.lists(st.integers(-2, 12) | st.sampled_from([10**9, 2**63 - 1, -(2**63)]), max_size=8),
            "keys": st.just("str"), "meta": st.sampled_from(["pool", "names", "not-a-dict"]),
            "bytes": st.just(True)}[field])
    pool_data, pool_labels = draw(JSON), draw(JSON)
    protocol = draw(st.sampled_from([2, 4]))
    salt = draw(st.randoms(use_true_random=False))

    def write(folder, marker):
        shape, d = spec["shape"], {}
        big = int(np.prod(shape, dtype=object)) > 1 << 22
        array = np.zeros((2, 3072) if big else shape, dtype=spec["dtype"])
        d["data"] = {"array": array, "pool": pool_data, "list": array.tolist()}.get(spec["data"], None)
        vals = spec["label-values"]
        d["labels"] = {"list": vals, "array": np.array(vals, dtype=object if any(abs(v) > 2**62 for v in vals)
                                                       else np.int64), "pool": pool_labels, "text": "ab",
                       "2d": [vals, vals]}.get(spec["labels"], None)
        d = {k: v for k, v in d.items() if v is not None}
        if spec["keys"] == "bytes":
            d = {k.encode(): v for k, v in d.items()}
        raw = pickle.dumps(d, protocol=protocol)
        if spec["bytes"]:
            i = salt.randrange(len(raw))
            raw = raw[:i] + bytes([salt.randrange(256)]) + raw[i + 1:]
        (folder / "data_batch_1").write_bytes(raw)
        if spec["meta"]:
            names = {"pool": pool_labels, "names": [b"a", "b", 3], "not-a-dict": None}[spec["meta"]]
            meta = [1, 2] if spec["meta"] == "not-a-dict" else {b"label_names": names}
            (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return write


def cifar_payload(marker: str) -> bytes:
    return pickle.dumps({b"data": Payload(marker), b"labels": [0]}, protocol=2)
