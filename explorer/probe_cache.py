"""Saved D-probe results, one per (checkpoint file as it is now, probe settings), so a second
visit shows the result at once instead of minutes of work again. No Qt, no torch.

The key holds the checkpoint's resolved path, size and modification time: a run's
latest.safetensors rewritten by a newer checkpoint gets a new key, never a stale result.
Results are JSON files in the user's cache folder (GAN_EXPLORER_CACHE_DIR overrides it), and
kept in memory for the session.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from gan_models.atomic import write_text_atomic

VERSION = 1          # bump when the probe's output changes meaning


def default_cache_dir() -> Path:
    env = os.environ.get("GAN_EXPLORER_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "gan-explorer"


def probe_key(checkpoint, labels, n_data: int, n_test: int) -> str | None:
    """A hex key for this checkpoint file (as it is now) and these settings; None if unreadable."""
    p = Path(checkpoint)
    try:
        st = p.stat()
        p = p.resolve()
    except OSError:
        return None
    ident = json.dumps([VERSION, str(p), st.st_size, st.st_mtime_ns, sorted(int(n) for n in labels),
                        int(n_data), int(n_test)])
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


class ProbeCache:
    _memory: dict = {}           # key -> result, shared by every panel in the process

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir() / "probe"

    def get(self, key: str | None) -> dict | None:
        if key is None:
            return None
        if key in self._memory:
            return self._memory[key]
        try:
            data = json.loads((self.folder / f"{key}.json").read_text())
            res = _decode(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self._memory[key] = res
        return res

    def put(self, key: str | None, result: dict) -> None:
        if key is None:
            return
        self._memory[key] = result
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.folder / f"{key}.json", json.dumps(_encode(result)))
        except OSError:
            pass          # a cache that cannot be written is only slower next time


def _encode(result: dict) -> dict:
    pca = result["pca"]
    return {"table": result["table"],
            "pca": {"coords": np.asarray(pca["coords"]).tolist(),
                    "labels": None if pca["labels"] is None else np.asarray(pca["labels"]).tolist(),
                    "explained": float(pca["explained"]), "class_names": list(pca.get("class_names") or [])}}


def _decode(data: dict) -> dict:
    pca = data["pca"]
    coords = np.asarray(pca["coords"], np.float32).reshape(-1, 2)
    labels = None if pca["labels"] is None else np.asarray(pca["labels"], np.int64)
    return {"table": data["table"],
            "pca": {"coords": coords, "labels": labels, "explained": float(pca["explained"]),
                    "class_names": list(pca.get("class_names") or [])}}
