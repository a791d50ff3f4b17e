"""Named latent bookmarks, saved to and loaded from a small JSON file. No Qt.

File format (version 1):
    {"format": "gan-explorer-bookmarks", "version": 1,
     "bookmarks": [{"name": str, "z": [float], "label": [float] | null,
                    "codes": [float] | null, "note": str}, ...]}
Writes are atomic; a bad file raises `BookmarkError` naming the file and what is wrong.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from gan_models.atomic import write_text_atomic
from gan_models.errors import GanExplorerError

from .latents import Latent
from .model_session import ModelInfo

FORMAT = "gan-explorer-bookmarks"
VERSION = 1


class BookmarkError(GanExplorerError):
    """A bookmarks file could not be read, or does not fit the loaded model."""


def save_bookmarks(path, bookmarks: list[tuple[str, Latent]]) -> Path:
    """Atomically write (name, latent) pairs as JSON."""
    def vec(a):
        return None if a is None else [float(v) for v in a]
    items = [{"name": name, "z": vec(x.z), "label": vec(x.label), "codes": vec(x.codes), "note": x.note}
             for name, x in bookmarks]
    doc = {"format": FORMAT, "version": VERSION, "bookmarks": items}
    write_text_atomic(path, json.dumps(doc, indent=1))
    return Path(path)


def load_bookmarks(path, info: ModelInfo | None = None) -> list[tuple[str, Latent]]:
    """Read a bookmarks file; with `info`, also check every latent fits that model."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BookmarkError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BookmarkError(f"{p}: could not be read ({e})") from None
    except json.JSONDecodeError as e:
        raise BookmarkError(f"{p}: not valid JSON (line {e.lineno}: {e.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BookmarkError(f"{p}: not a GAN Explorer bookmarks file (expected \"format\": \"{FORMAT}\")")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise BookmarkError(f"{p}: bookmarks version {doc.get('version')!r} is not supported "
                            f"(this version reads up to {VERSION})")
    items = doc.get("bookmarks")
    if not isinstance(items, list):
        raise BookmarkError(f"{p}: \"bookmarks\" must be a list")
    out = []
    for i, item in enumerate(items):
        where = f"{p}: bookmark {i + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BookmarkError(f"{where}: expected an object with a \"name\" string")
        z = _vector(item.get("z"), f"{where} ({item['name']}): \"z\"", required=True)
        label = _vector(item.get("label"), f"{where}: \"label\"")
        codes = _vector(item.get("codes"), f"{where}: \"codes\"")
        x = Latent(z, label, codes, str(item.get("note", "")))
        if info is not None:
            check_fits(x, info, f"{where} ({item['name']})")
        out.append((item["name"], x))
    return out


def check_fits(x: Latent, info: ModelInfo, where: str = "bookmark") -> None:
    """Raise BookmarkError when x's parts do not match the model's input sizes."""
    want = [("z", info.z_dim, x.z), ("label", info.num_classes, x.label), ("codes", info.code_dim, x.codes)]
    for name, n, part in want:
        have = 0 if part is None else len(part)
        if have != n:
            raise BookmarkError(f"{where}: {name} has {have} values but this model needs {n} "
                                f"(the bookmark was made with a different model)")


def _vector(v, where: str, required: bool = False) -> np.ndarray | None:
    if v is None and not required:
        return None
    if not isinstance(v, list) or not v or not all(
            isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in v):
        raise BookmarkError(f"{where} must be a non-empty list of finite numbers")
    return np.asarray(v, dtype=np.float32)
