"""Seeded mutation fuzzing of the real loaders (issue 29, item 4).

`make_cases` writes mutated checkpoints (headers, bodies, a bundled model, foreign .pth files,
malicious pickles), IDX files, PNG files and CIFAR batches into a folder, one case per file or
data-set folder. `run_cases` loads them through `gan_models.checkpoint.load_checkpoint` and
`train.data.load_dataset` in worker subprocesses under a 3 GB address-space cap, many cases per
process (the torch import dominates start-up). A worker that dies mid-case (a memory blow-up that
became a signal, a hang) is recorded against that case and a new worker goes on with the next.

Outcomes: `loaded`, `refused` (a GanExplorerError), `crashed` (any other exception),
`memory` (MemoryError), `died` (the worker was killed), `hung` (past the time limit), and
`ran_code` (a malicious pickle's payload left its marker file). Only the first two are allowed.

Also runnable by hand, e.g. on an older commit:
    python tests/fuzz_helpers.py --seed 0 --out /tmp/fuzz
"""
from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import queue
import random
import struct
import subprocess
import sys
import threading
import zlib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEM_CAP = 3 << 30
ALLOWED = {"loaded", "refused"}

# values a hostile header puts where something else is expected
_POOL = [None, True, False, 0, -1, 1, 3, 255, 2**31, 2**63, -(2**63), 10**9, 10**30, 1e308, -1e308,
         0.5, "", "x", "F32", "nan", [], [0], [1, 2], [-1], [10**9, 10**9], [0, 10**12], {}, {"a": 1},
         [[1, 2], [3]], "A" * 5000, {"__dict__": 3}, {"__tensor__": "state.nope"}]


# ----------------------------------------------------------------------------- checkpoint mutations
def _split(raw: bytes):
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def _join(header_bytes: bytes, body: bytes) -> bytes:
    return struct.pack("<Q", len(header_bytes)) + header_bytes + body


def _paths(obj, path=()):
    """Every (container path) inside a JSON tree, for picking a place to mutate."""
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))


def _get(obj, path):
    for k in path:
        obj = obj[k]
    return obj


def _mutate_tree(rng: random.Random, tree):
    """One structural mutation of a JSON tree, in place; returns a short name of what was done."""
    paths = [p for p in _paths(tree) if p]
    if not paths:
        return "empty"
    path = rng.choice(paths)
    parent, key = _get(tree, path[:-1]), path[-1]
    op = rng.random()
    if op < 0.55:
        v = rng.choice(_POOL)
        parent[key] = json.loads(json.dumps(v))
        return "value"
    if op < 0.7 and isinstance(parent, dict):
        del parent[key]
        return "delete"
    if op < 0.8:
        v = parent[key]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            parent[key] = rng.choice([v * 2, v * 1000, -v, v + 1, v - 1, v * 10**6])
            return "scale"
        parent[key] = [v, v] if rng.random() < 0.5 else {"x": v}
        return "wrap"
    if isinstance(parent, dict):
        parent[rng.choice(["extra", "1", "G.extra", "D.net.0.weight", "__metadata__"])] = rng.choice(_POOL)
        return "add"
    parent.append(rng.choice(_POOL))
    return "append"


def mutate_header(rng: random.Random, raw: bytes) -> bytes:
    header, body = _split(raw)
    md = header.get("__metadata__", {})
    inner = [k for k in ("config", "meta", "training_state") if k in md]
    r = rng.random()
    if r < 0.06:                                   # deep nesting (RecursionError in a naive parser)
        depth = rng.choice([2000, 50000])
        where = rng.choice(["outer"] + inner)
        deep = "[" * depth + "]" * depth
        if where == "outer":
            hb = json.dumps(header).encode()[:-1] + b', "deep": ' + deep.encode() + b"}"
            return _join(hb, body)
        md[where] = deep
    elif r < 0.55 and inner:                       # inside the JSON text of config / meta / state
        k = rng.choice(inner)
        tree = {"v": json.loads(md[k])}
        _mutate_tree(rng, tree)
        md[k] = json.dumps(tree.get("v"))
    else:                                          # the safetensors header itself
        _mutate_tree(rng, header)
    return _join(json.dumps(header).encode(), body)


def mutate_bytes(rng: random.Random, raw: bytes, lo: int, hi: int) -> bytes:
    """Byte-level damage between offsets lo and hi: flips, truncation, insertion, the length field."""
    b = bytearray(raw)
    r = rng.random()
    if r < 0.5:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(lo, max(lo + 1, hi))
            if i < len(b):
                b[i] = rng.randrange(256)
        return bytes(b)
    if r < 0.7:
        return bytes(b[:rng.randrange(0, len(b))])
    if r < 0.85:
        i = rng.randrange(lo, max(lo + 1, hi))
        return bytes(b[:i] + os.urandom(rng.randint(1, 64)) + b[i:])
    (n,) = struct.unpack("<Q", raw[:8])
    n2 = rng.choice([0, 1, n - 1, n + 1, n * 2, 2**63, 2**64 - 1, len(raw), 100 * 2**20])
    return struct.pack("<Q", n2 % 2**64) + raw[8:]


def mutate_body(rng: random.Random, raw: bytes) -> bytes:
    (n,) = struct.unpack("<Q", raw[:8])
    start = 8 + n
    b = bytearray(raw)
    if rng.random() < 0.5:                         # NaN / inf / huge float32 patterns in the weights
        pat = rng.choice([struct.pack("<f", float("nan")), struct.pack("<f", float("inf")),
                          struct.pack("<f", 3e38), struct.pack("<e", float("nan")) * 2])
        for _ in range(rng.randint(1, 4)):
            i = start + 4 * rng.randrange(max(1, (len(b) - start) // 4))
            b[i:i + 4] = pat
        return bytes(b[:len(raw)])
    return mutate_bytes(rng, raw, start, len(raw))


# ----------------------------------------------------------------------------- pickles
class _Payload:
    """Unpickling this runs os.mkdir(marker): proof that code from the file ran."""
    def __init__(self, marker: str, fn=os.mkdir):
        self.marker, self.fn = marker, fn

    def __reduce__(self):
        return (self.fn, (self.marker,))


def malicious_pickle(rng: random.Random, marker: str) -> bytes:
    import torch
    payload = _Payload(marker, rng.choice([os.mkdir, os.makedirs]))
    kind = rng.randrange(5)
    if kind == 0:                                  # a raw pickle
        data = pickle.dumps({"main.0.weight": payload}, protocol=rng.choice([2, 4, 5]))
    elif kind == 1:                                # torch.save's zip with the payload inside
        buf = io.BytesIO()
        torch.save({"main.0.weight": torch.zeros(2), "x": payload}, buf)
        data = buf.getvalue()
    elif kind == 2:                                # eval of a string through builtins
        src = f"__import__('os').mkdir({marker!r})".encode()
        data = b"\x80\x02cbuiltins\nexec\n(X" + struct.pack("<I", len(src)) + src + b"tR."
    elif kind == 3:                                # os.system through the old GLOBAL opcode
        cmd = f"mkdir {marker}".encode()
        data = b"\x80\x02cposix\nsystem\n(X" + struct.pack("<I", len(cmd)) + cmd + b"tR."
    else:                                          # a legit-looking state_dict whose tensor is the payload
        data = pickle.dumps({"main.0.weight": payload, "main.1.weight": [1.0]}, protocol=2)
    if rng.random() < 0.3:
        data = mutate_bytes(rng, data, 0, len(data))
    return data


def foreign_pth(rng: random.Random) -> bytes:
    """A torch.save'd state_dict with odd contents: int keys, meta, sparse, wrong shapes, NaN."""
    import torch
    sd = {"main.0.weight": torch.randn(8, 4, 4, 4) * 0.02}
    r = rng.randrange(7)
    if r == 0:
        sd = {0: torch.zeros(3), 1: torch.zeros(2)}
    elif r == 1:
        sd["main.0.weight"] = torch.empty(10**6, 100, device="meta")
    elif r == 2:
        sd["main.0.weight"] = torch.zeros(4, 4).to_sparse()
    elif r == 3:
        sd["main.0.weight"] = torch.full((8, 4, 4, 4), float("nan"))
    elif r == 4:
        sd = [torch.zeros(2)]
    elif r == 5:
        sd = {"main.0.weight": "not a tensor", "main.1.weight": 3}
    else:
        sd = {"state_dict": sd, "epoch": 3}
    buf = io.BytesIO()
    torch.save(sd, buf)
    data = buf.getvalue()
    if rng.random() < 0.3:
        data = mutate_bytes(rng, data, 0, len(data))
    return data


# ----------------------------------------------------------------------------- IDX, PNG, CIFAR
def idx_bytes(dims, data: bytes, magic_type=0x08) -> bytes:
    return (struct.pack(">I", (magic_type << 8) | len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
            + data)


def mutate_idx(rng: random.Random, folder: Path) -> None:
    n = 4
    imgs = idx_bytes([n, 28, 28], bytes(rng.randrange(256) for _ in range(64)) * (n * 28 * 28 // 64))
    labs = idx_bytes([n], bytes([0, 1, 2, 3]))
    r = rng.random()
    b = bytearray(imgs)
    if r < 0.45:                                   # header dimensions from the pool
        i = rng.choice([4, 8, 12])
        b[i:i + 4] = struct.pack(">I", rng.choice([0, 1, 2, 7, 28, 255, 8192, 8193, 20000, 2**16, 2**31 - 1,
                                                   2**32 - 1]))
    elif r < 0.6:                                  # magic: type byte and number of dimensions
        b[rng.choice([2, 3])] = rng.choice([0, 1, 2, 3, 4, 8, 9, 0x0B, 0x0D, 0x0E, 255])
    elif r < 0.7:                                  # label count disagreeing
        labs = idx_bytes([rng.choice([0, 3, 5, 2**31])], bytes([0, 1, 2, 3]))
    else:
        b = bytearray(mutate_bytes(rng, imgs, 0, 32))
    gz = rng.random() < 0.4
    name = "train-images-idx3-ubyte" + (".gz" if gz else "")
    (folder / name).write_bytes(gzip.compress(bytes(b), 1) if gz else bytes(b))
    (folder / "train-labels-idx1-ubyte").write_bytes(labs)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(w: int, h: int, depth=8, colour=0, interlace=0, idat: bytes | None = None) -> bytes:
    if idat is None:
        idat = zlib.compress(b"".join(b"\0" + bytes(range(w)) for _ in range(h)))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def mutate_png(rng: random.Random, folder: Path) -> None:
    for i in range(2):
        (folder / f"ok{i}.png").write_bytes(png_bytes(8, 8))
    r = rng.random()
    if r < 0.5:                                    # IHDR fields, CRC kept valid so the decoder reads on
        w = rng.choice([0, 1, 8, 64, 8192, 8193, 12000, 30000, 2**20, 2**31 - 1, 2**32 - 1])
        h = rng.choice([0, 1, 8, 64, 8192, 8193, 20000, 2**31 - 1])
        data = png_bytes(w, h, rng.choice([1, 2, 4, 8, 16, 3, 0]), rng.choice([0, 2, 3, 4, 6, 1, 7]),
                         rng.choice([0, 0, 1, 2]), idat=zlib.compress(b"\0" * rng.choice([0, 64, 4096])))
    elif r < 0.6:                                  # a small file that inflates a lot
        data = png_bytes(2000, 2000, idat=zlib.compress(bytes(2000 * 2001), 9))   # 4 MB from 4 KB
    else:
        good = png_bytes(8, 8)
        data = mutate_bytes(rng, good, 8, len(good))
    (folder / "z_bad.png").write_bytes(data)


def mutate_cifar(rng: random.Random, folder: Path, marker: str) -> None:
    import numpy as np
    r = rng.randrange(4)
    if r == 0:
        data = pickle.dumps({b"data": _Payload(marker), b"labels": [0]}, protocol=2)
    elif r == 1:
        data = pickle.dumps({b"data": np.zeros((rng.choice([0, 2]), rng.choice([3072, 3071, 0])), np.uint8),
                             b"labels": rng.choice([[], [0, 1], [0, 10**9], [-1, 0], "ab"])}, protocol=2)
    elif r == 2:
        data = pickle.dumps({b"data": rng.choice(_POOL), b"labels": rng.choice(_POOL)}, protocol=2)
    else:
        good = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]}, protocol=2)
        data = mutate_bytes(rng, good, 0, len(good))
    (folder / "data_batch_1").write_bytes(data)


# ----------------------------------------------------------------------------- building the cases
COUNTS = {"ckpt-header": 90, "ckpt-bytes": 35, "ckpt-body": 30, "bundled-header": 25, "foreign-pth": 20,
          "malicious-pickle": 30, "idx": 40, "png": 40, "cifar": 20}


def make_cases(out: Path, seed: int = 0, counts: dict | None = None) -> list[dict]:
    """Write every case under `out`; each case: {id, category, loader, path, marker}."""
    import torch
    from gan_models import default_config
    from gan_models.checkpoint import save_checkpoint
    from gan_models.registry import build_discriminator, build_generator
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    cfg = default_config("cgan", (1, 28, 28), g_width=8, d_width=8)
    torch.manual_seed(seed)
    g = build_generator(cfg)
    good = save_checkpoint(out / "good.safetensors", cfg, g, build_discriminator(cfg),
                           meta={"class_names": [str(i) for i in range(10)], "step": 3},
                           training_state={"step": 3, "opt": {"lr": 2e-4, "m": torch.zeros(4)}})
    good_raw = good.read_bytes()
    bundled_raw = (ROOT / "resources" / "models" / "gan-ring8.safetensors").read_bytes()
    cases = []
    for category, n in (counts or COUNTS).items():
        for i in range(n):
            cid = f"{category}-{i:03d}"
            marker = str(out / f"{cid}.RAN")
            path = out / cid
            loader = "checkpoint"
            if category == "ckpt-header":
                path = path.with_suffix(".safetensors")
                path.write_bytes(mutate_header(rng, good_raw))
            elif category == "ckpt-bytes":
                path = path.with_suffix(".safetensors")
                n_head = struct.unpack("<Q", good_raw[:8])[0]
                path.write_bytes(mutate_bytes(rng, good_raw, 0, 8 + n_head))
            elif category == "ckpt-body":
                path = path.with_suffix(".safetensors")
                path.write_bytes(mutate_body(rng, good_raw))
            elif category == "bundled-header":
                path = path.with_suffix(".safetensors")
                path.write_bytes(mutate_header(rng, bundled_raw))
            elif category == "foreign-pth":
                path = path.with_suffix(".pth")
                path.write_bytes(foreign_pth(rng))
            elif category == "malicious-pickle":
                path = path.with_suffix(rng.choice([".pth", ".pt", ".safetensors"]))
                path.write_bytes(malicious_pickle(rng, marker))
            else:
                loader = "dataset"
                path.mkdir()
                {"idx": lambda: mutate_idx(rng, path), "png": lambda: mutate_png(rng, path),
                 "cifar": lambda: mutate_cifar(rng, path, marker)}[category]()
            cases.append({"id": cid, "category": category, "loader": loader, "path": str(path),
                          "marker": marker, "state": rng.random() < 0.3})
    return cases


# ----------------------------------------------------------------------------- running them
_WORKER = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from gan_models.errors import GanExplorerError
from gan_models.checkpoint import load_checkpoint
from train.data import load_dataset
for line in sys.stdin:
    case = json.loads(line)
    print(json.dumps({{"begin": case["id"]}}), flush=True)
    try:
        if case["loader"] == "checkpoint":
            load_checkpoint(case["path"], training_state=case["state"])
        else:
            load_dataset(case["path"], sizes=(28, 32, 64))
        res = {{"outcome": "loaded", "message": ""}}
    except GanExplorerError as e:
        res = {{"outcome": "refused", "message": str(e)}}
    except MemoryError as e:
        res = {{"outcome": "memory", "message": "MemoryError " + str(e)[:300]}}
    except BaseException as e:
        res = {{"outcome": "crashed", "message": type(e).__name__ + ": " + str(e)[:300]}}
    res["id"] = case["id"]
    print(json.dumps(res), flush=True)
"""


def _run_chain(cases: list[dict], results: dict, python: str, cwd: Path, timeout: float) -> None:
    """Feed cases to one worker; a case that kills the worker or runs past `timeout` seconds is
    recorded as `died` / `hung` and a new worker goes on with the next case."""
    todo = list(cases)
    while todo:
        proc = subprocess.Popen([python, "-c", _WORKER.format(cap=MEM_CAP)], cwd=cwd, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        lines: queue.Queue = queue.Queue()

        def feed(p=proc, batch=todo):
            try:
                p.stdin.write("".join(json.dumps(c) + "\n" for c in batch))
                p.stdin.close()
            except OSError:                      # the worker died; the reader sees it
                pass

        def read(p=proc, q=lines):
            for line in p.stdout:
                q.put(line)
            q.put(None)
        threading.Thread(target=feed, daemon=True).start()
        threading.Thread(target=read, daemon=True).start()
        current, ended = None, False
        while True:
            try:                                 # start-up (torch import) gets the same allowance
                line = lines.get(timeout=timeout)
            except queue.Empty:
                proc.kill()
                break
            if line is None:
                ended = True
                break
            rec = json.loads(line)
            if "begin" in rec:
                current = rec["begin"]
            else:
                results[rec["id"]] = rec
                current = None
        proc.wait()
        if current is not None:                  # the worker died or hung inside this case
            results[current] = {"id": current, "outcome": "died" if ended else "hung",
                                "message": f"worker exit status {proc.returncode}"}
        remaining = [c for c in todo if c["id"] not in results]
        if len(remaining) == len(todo):          # no progress at all (it died starting): stop
            for c in remaining:
                results[c["id"]] = {"id": c["id"], "outcome": "died", "message": "worker did not start"}
            return
        todo = remaining


def run_cases(cases: list[dict], python: str = sys.executable, cwd: Path = ROOT, workers: int = 2,
              timeout: float = 30) -> list[dict]:
    results: dict = {}
    threads = [threading.Thread(target=_run_chain, args=(cases[k::workers], results, python, cwd, timeout))
               for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = []
    for c in cases:
        rec = {**c, **results.get(c["id"], {"outcome": "died", "message": "no result"})}
        if os.path.exists(c["marker"]):
            rec["outcome"] = "ran_code"
        out.append(rec)
    return out


def summarize(results: list[dict]) -> str:
    by = defaultdict(Counter)
    for r in results:
        by[r["category"]][r["outcome"]] += 1
    cols = ["loaded", "refused", "crashed", "memory", "died", "hung", "ran_code"]
    lines = [f"{'category':18s} {'tried':>5s} " + " ".join(f"{c:>8s}" for c in cols)]
    total = Counter()
    for cat, cnt in by.items():
        total.update(cnt)
        lines.append(f"{cat:18s} {sum(cnt.values()):5d} " + " ".join(f"{cnt[c]:8d}" for c in cols))
    lines.append(f"{'total':18s} {sum(total.values()):5d} " + " ".join(f"{total[c]:8d}" for c in cols))
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse
    import tempfile
    sys.path[0] = str(ROOT)          # not tests/, whose gan_models/ folder would shadow the package
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--cwd", type=Path, default=ROOT, help="the checkout whose loaders are fuzzed")
    ap.add_argument("--show", type=int, default=3, help="messages shown per bad outcome class")
    a = ap.parse_args()
    folder = a.out or Path(tempfile.mkdtemp(prefix="fuzz-"))
    res = run_cases(make_cases(folder, a.seed), cwd=a.cwd)
    print(summarize(res))
    shown = Counter()
    for r in res:
        if r["outcome"] not in ALLOWED and shown[(r["category"], r["outcome"])] < a.show:
            shown[(r["category"], r["outcome"])] += 1
            print(f"  {r['id']}: {r['outcome']}: {r['message'][:200]}")
    (folder / "results.json").write_text(json.dumps(res, indent=1))
