"""Hypothesis strategies for the loader fuzz test (issue 29, item 4): each draws one damaged file
(its bytes, or a `write(path, marker)` for cases that need the marker path). The data-set folders
(IDX, PNG, CIFAR) are drawn in tests/fuzz_data.py.

What is drawn: JSON mutations of a real checkpoint's safetensors header and of the config / meta /
training state inside it (values of the wrong type, sizes scaled up until a network that is in
range field by field is huge, deletions, deep nesting); byte flips, insertions and truncation of
the header region and the body, NaN / inf patterns in the weights, a wrong length field; foreign
PyTorch state_dicts (int keys, meta, sparse, complex, wrong shapes, NaN) and malicious pickles.
"""
from __future__ import annotations

import copy
import io
import json
import os
import pickle
import struct

from hypothesis import strategies as st

# values a hostile header puts where something else is expected (with the config's range limits:
# widths of 4096 are each in range, and together a network of tens of GiB)
POOL = [None, True, False, 0, -1, 1, 3, 16, 255, 1024, 4096, 10000, 2**31, 2**63, -(2**63), 10**9, 10**30, 1e308, -1e308,
        0.5, float("nan"), float("inf"), "", "x", "F32", "nan", [], [0], [1, 2], [-1], [10**9, 10**9],
        [0, 10**12], {}, {"a": 1}, [[1, 2], [3]], "A" * 5000, {"__dict__": 3}, {"__tensor__": "state.nope"},
        {"__dict__": [[1, 2]]}]
_SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=6))
# deep copies: a drawn list or dict is mutated further in place, and the pool must stay as it is
JSON = st.one_of(st.sampled_from(POOL).map(copy.deepcopy),
                 st.recursive(_SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c,
                                                                                         max_size=3),
                              max_leaves=6))
SCALE = [0, -1, 2, 3, 64, 1000, 10**6, 0.5]


# ----------------------------------------------------------------------------- byte-level damage
class Raw(bytes):
    """A file's bytes, shown short in Hypothesis's reports."""
    def __repr__(self):
        return f"<{len(self)} bytes>"


def split(raw: bytes):
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def join(header_bytes: bytes, body: bytes) -> bytes:
    return struct.pack("<Q", len(header_bytes)) + header_bytes + body


@st.composite
def damaged(draw, raw: bytes, lo: int = 0, hi: int | None = None) -> bytes:
    """Byte-level damage between offsets lo and hi: flips, truncation, insertion."""
    hi = max(lo + 1, len(raw) if hi is None else hi)
    b = bytearray(raw)
    op = draw(st.sampled_from(["flip", "truncate", "insert"]))
    if op == "flip":
        for i, v in draw(st.lists(st.tuples(st.integers(lo, hi - 1), st.integers(0, 255)), min_size=1, max_size=8)):
            if i < len(b):
                b[i] = v
        return bytes(b)
    if op == "truncate":
        return bytes(b[:draw(st.integers(0, len(b) - 1))])
    i = draw(st.integers(lo, hi))
    return bytes(b[:i] + draw(st.binary(min_size=1, max_size=64)) + b[i:])


# ----------------------------------------------------------------------------- checkpoints
def _paths(obj, path=()):
    """Every container path inside a JSON tree, for picking a place to mutate."""
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))


def _mutate_tree(draw, tree) -> None:
    """One structural mutation of a JSON tree, in place."""
    paths = [p for p in _paths(tree) if p]
    if not paths:
        return
    path = draw(st.sampled_from(paths))
    parent = tree
    for k in path[:-1]:
        parent = parent[k]
    key, v = path[-1], parent[path[-1]]
    op = draw(st.sampled_from(["value", "value", "scale", "delete", "wrap", "add"]))
    if op == "scale" and isinstance(v, (int, float)) and not isinstance(v, bool):
        parent[key] = v * draw(st.sampled_from(SCALE)) + draw(st.sampled_from([0, 0, 1, -1]))
    elif op == "delete" and isinstance(parent, dict):
        del parent[key]
    elif op == "wrap":
        parent[key] = [v, v] if draw(st.booleans()) else {"x": v}
    elif op == "add" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["extra", "1", "G.extra", "D.net.0.weight", "__metadata__"]))] = draw(JSON)
    elif op == "add":
        parent.append(draw(JSON))
    else:
        parent[key] = draw(JSON)


@st.composite
def header_mutation(draw, raw: bytes) -> bytes:
    """The safetensors header, or the JSON text of config / meta / training_state inside it."""
    header, body = split(raw)
    md = header["__metadata__"]
    where = draw(st.sampled_from(["header", "config", "config", "meta", "training_state", "deep"]))
    if where == "deep":                           # RecursionError in a naive parser
        deep = "[" * draw(st.sampled_from([2000, 50000]))
        deep += "]" * len(deep)
        inner = draw(st.sampled_from(["outer", "config", "meta", "training_state"]))
        if inner == "outer":
            return join(json.dumps(header).encode()[:-1] + b', "deep": ' + deep.encode() + b"}", body)
        md[inner] = deep
    elif where == "header" or where not in md:
        for _ in range(draw(st.integers(1, 3))):
            _mutate_tree(draw, header)
    else:
        tree = {"v": json.loads(md[where])}
        for _ in range(draw(st.integers(1, 3))):
            _mutate_tree(draw, tree)
        md[where] = json.dumps(tree.get("v"))
    return join(json.dumps(header).encode(), body)


@st.composite
def header_bytes_mutation(draw, raw: bytes) -> bytes:
    """Bytes of the length field and the header text."""
    (n,) = struct.unpack("<Q", raw[:8])
    if draw(st.integers(0, 4)) == 0:
        n2 = draw(st.sampled_from([0, 1, n - 1, n + 1, n * 2, 2**63, 2**64 - 1, len(raw), 100 * 2**20])
                  | st.integers(0, 2**64 - 1))
        return struct.pack("<Q", n2) + raw[8:]
    return draw(damaged(raw, 0, 8 + n))


_NONFINITE = [struct.pack("<f", float("nan")), struct.pack("<f", float("inf")), struct.pack("<f", -float("inf")),
              struct.pack("<f", 3e38), struct.pack("<e", float("nan")) * 2, struct.pack("<e", float("inf")) * 2]


@st.composite
def body_mutation(draw, raw: bytes) -> bytes:
    """The tensor data: NaN / inf / huge floats at drawn places, or byte damage."""
    (n,) = struct.unpack("<Q", raw[:8])
    start = 8 + n
    if draw(st.booleans()):
        b = bytearray(raw)
        pat = draw(st.sampled_from(_NONFINITE))
        for k in draw(st.lists(st.integers(0, (len(b) - start) // 4 - 1), min_size=1, max_size=4)):
            b[start + 4 * k:start + 4 * k + 4] = pat
        return bytes(b)
    return draw(damaged(raw, start, len(raw)))


# ----------------------------------------------------------------------------- foreign .pth and pickles
def dcgan_netg(nz=16, ngf=4, nc=3, tracked=True) -> dict:
    """The state_dict the PyTorch DCGAN example saves (netG), small; also used by
    tests/gan_models/test_checkpoint_hardening.py."""
    import torch
    chans = [nz, 8 * ngf, 4 * ngf, 2 * ngf, ngf, nc]
    sd = {}
    for i, c in enumerate(("main.0", "main.3", "main.6", "main.9", "main.12")):
        sd[f"{c}.weight"] = torch.randn(chans[i], chans[i + 1], 4, 4) * 0.02
    for i, b in enumerate(("main.1", "main.4", "main.7", "main.10")):
        k = chans[i + 1]
        sd.update({f"{b}.weight": torch.ones(k), f"{b}.bias": torch.zeros(k), f"{b}.running_mean": torch.zeros(k),
                   f"{b}.running_var": torch.ones(k)})
        if tracked:
            sd[f"{b}.num_batches_tracked"] = torch.tensor(5)
    return sd


@st.composite
def odd_tensor(draw, like):
    """A tensor in place of `like`: another dtype, shape, layout, device, or non-finite values."""
    import torch
    like = like if torch.is_tensor(like) and like.layout == torch.strided and not like.is_meta else torch.zeros(3)
    op = draw(st.sampled_from(["dtype", "shape", "nan", "inf", "meta", "sparse", "scalar", "not-a-tensor"]))
    if op == "dtype":
        return like.to(draw(st.sampled_from([torch.float64, torch.float16, torch.bfloat16, torch.int64,
                                             torch.uint8, torch.bool, torch.complex64])))
    if op == "shape":
        return torch.zeros(draw(st.lists(st.integers(0, 9), max_size=5)))
    if op in ("nan", "inf"):
        return torch.full_like(like, float(op)) if like.is_floating_point() else like
    if op == "meta":
        return torch.empty(draw(st.sampled_from([(10**6, 100), (2**20, 2**20), tuple(like.shape)])), device="meta")
    if op == "sparse":
        return torch.zeros(4, 4).to_sparse()
    if op == "scalar":
        return torch.tensor(draw(st.floats(allow_nan=True) | st.integers(-(2**63), 2**63 - 1)))
    return draw(JSON)


@st.composite
def foreign_pth(draw) -> bytes:
    """A torch.save'd file: the DCGAN example's netG with drawn damage, or another object."""
    import torch
    torch.manual_seed(draw(st.integers(0, 3)))
    sd = dcgan_netg(nz=draw(st.sampled_from([1, 8, 100])), ngf=draw(st.sampled_from([1, 4])),
                     nc=draw(st.sampled_from([1, 3, 2])))
    op = draw(st.sampled_from(["tensor", "tensor", "tensor", "key", "drop", "wrap", "list", "prefix", "none"]))
    if op == "tensor":
        for _ in range(draw(st.integers(1, 2))):
            k = draw(st.sampled_from(sorted(sd)))
            sd[k] = draw(odd_tensor(sd[k]))
    elif op == "key":
        sd[draw(st.sampled_from([0, -1, 3.5, ("a", 1), "main.99.weight", "module.main.0.weight"]))] = torch.zeros(2)
    elif op == "drop":
        del sd[draw(st.sampled_from(sorted(sd)))]
    elif op == "wrap":
        sd = {"state_dict": sd, "epoch": 3}
    elif op == "list":
        sd = list(sd.values())
    elif op == "prefix":
        sd = {f"module.{k}": v for k, v in sd.items()}
    buf = io.BytesIO()
    torch.save(sd, buf)
    data = buf.getvalue()
    return draw(damaged(data)) if draw(st.integers(0, 3)) == 0 else data


class Payload:
    """Unpickling this runs fn(marker) (os.mkdir): proof that code from the file ran."""
    def __init__(self, marker: str, fn=os.mkdir):
        self.marker, self.fn = marker, fn

    def __reduce__(self):
        return (self.fn, (self.marker,))


def malicious_pickle(kind: int, protocol: int, marker: str) -> bytes:
    import torch
    payload = Payload(marker)
    if kind == 0:                                  # a raw pickle
        return pickle.dumps({"main.0.weight": payload}, protocol=protocol)
    if kind == 1:                                  # torch.save's zip with the payload inside
        buf = io.BytesIO()
        torch.save({"main.0.weight": torch.zeros(2), "x": payload}, buf)
        return buf.getvalue()
    if kind == 2:                                  # exec of a string through builtins
        src = f"__import__('os').mkdir({marker!r})".encode()
        return b"\x80\x02cbuiltins\nexec\n(X" + struct.pack("<I", len(src)) + src + b"tR."
    if kind == 3:                                  # os.system through the old GLOBAL opcode
        cmd = f"mkdir {marker}".encode()
        return b"\x80\x02cposix\nsystem\n(X" + struct.pack("<I", len(cmd)) + cmd + b"tR."
    # a legit-looking state_dict whose tensor is the payload
    return pickle.dumps({"main.0.weight": payload, "main.1.weight": [1.0]}, protocol=protocol)


@st.composite
def malicious_file(draw):
    """write(path, marker) for a pickle that runs code when unpickled naively."""
    kind, protocol = draw(st.integers(0, 4)), draw(st.sampled_from([2, 4, 5]))
    suffix = draw(st.sampled_from([".pth", ".pt", ".safetensors", ".ckpt"]))
    damage = draw(st.integers(0, 3)) == 0
    salt = draw(st.randoms(use_true_random=False))

    def write(path, marker):
        data = malicious_pickle(kind, protocol, marker)
        if damage:                                 # damage away from the payload's start
            i = salt.randrange(len(data))
            data = data[:i] + bytes([salt.randrange(256)]) + data[i + 1:]
        path = path.with_suffix(suffix)
        path.write_bytes(data)
        return path
    return write
