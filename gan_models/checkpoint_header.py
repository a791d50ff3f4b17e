"""Reading and validating a checkpoint's header: everything in it is checked for type and range
before the loader (checkpoint.py) builds or reads anything.

A safetensors file starts with an 8-byte length and a JSON header: one entry per tensor
(dtype, shape, data offsets) and `__metadata__`, an object of strings. Ours holds JSON text
in `config` (the ModelConfig), `meta` (run facts) and `training_state` (the structure of the
optimizer/RNG state). A hostile or corrupt header (deep nesting, wrong JSON types, offsets
that disagree with shapes) is a `CheckpointError` naming the file and the field.
"""
from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from .config import ModelConfig
from .errors import CheckpointError, ConfigError

FORMAT = "gan-explorer"
FORMAT_VERSION = 1
_MAX_HEADER = 100 * 1024 * 1024
_ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
             "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


def read_safetensors_header(p: Path) -> tuple[dict, int]:
    size = p.stat().st_size
    if size == 0:
        raise CheckpointError(f"{p}: the file is empty")
    with open(p, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{p}: the file is too short to be a checkpoint ({size} bytes)")
        (n,) = struct.unpack("<Q", head)
        if n == 0 or n > _MAX_HEADER or 8 + n > size:
            raise CheckpointError(f"{p}: not a GAN Explorer checkpoint (no valid safetensors header; "
                                  "the file is corrupt, truncated, or of another format)")
        raw = f.read(n)
    header = _json(p, raw, "the safetensors header")
    if not isinstance(header, dict):
        raise CheckpointError(f"{p}: the safetensors header is not a JSON object (file corrupt)")
    data_len = size - 8 - n
    md = header.get("__metadata__", {})
    if not isinstance(md, dict) or not all(isinstance(v, str) for v in md.values()):
        raise CheckpointError(f"{p}: the header's __metadata__ is not an object of strings (file corrupt)")
    for name, info in header.items():
        if name != "__metadata__":
            _check_entry(p, name, info, data_len, size)
    return header, data_len


def _json(p: Path, raw, what: str):
    """JSON text -> value; CheckpointError for bad text, absurd nesting or absurdly long numbers."""
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:   # JSONDecodeError is a ValueError
        why = "nested too deeply" if isinstance(e, RecursionError) else "not valid JSON"
        raise CheckpointError(f"{p}: {what} is {why} (file corrupt)") from None


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_entry(p: Path, name: str, info, data_len: int, size: int) -> None:
    """One tensor's header entry: dtype, shape and data offsets of the right types, agreeing."""
    if not isinstance(info, dict):
        raise CheckpointError(f"{p}: tensor {name!r}: its header entry is not an object (file corrupt)")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(v) for v in offsets):
        raise CheckpointError(f"{p}: tensor {name!r} has no valid data offsets (file corrupt)")
    if not isinstance(dtype, str) or dtype not in _ITEMSIZE:
        raise CheckpointError(f"{p}: tensor {name!r} has dtype {str(dtype)[:40]!r}, not a tensor type "
                              "(file corrupt)")
    if not isinstance(shape, list) or len(shape) > 8 or not all(_is_int(v) and v >= 0 for v in shape):
        raise CheckpointError(f"{p}: tensor {name!r} has shape {str(shape)[:60]}; expected a list of at most "
                              "8 sizes >= 0 (file corrupt)")
    start, end = offsets
    if not (0 <= start <= end <= data_len):
        raise CheckpointError(f"{p}: tensor {name!r} lies beyond the end of the file "
                              f"(the file is truncated: {size} bytes)")
    numel = 1
    for v in shape:
        numel *= v
    if numel * _ITEMSIZE[dtype] != end - start:
        raise CheckpointError(f"{p}: tensor {name!r}: shape {tuple(shape)} of {dtype} needs "
                              f"{numel * _ITEMSIZE[dtype]} bytes, its data offsets span {end - start} (file corrupt)")


def parse_metadata(p: Path, header: dict) -> tuple[ModelConfig, dict, object]:
    md = header.get("__metadata__") or {}           # an object of strings (_read_safetensors_header)
    if md.get("format") != FORMAT:
        raise CheckpointError(f"{p}: a safetensors file, but not a GAN Explorer checkpoint "
                              "(its metadata has no 'format: gan-explorer'; "
                              "it was written by another program)")
    try:
        version = int(md.get("format_version", "0"))
    except ValueError:
        raise CheckpointError(f"{p}: format_version {md.get('format_version')!r} is not a number") from None
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{p}: written by a newer GAN Explorer (format version {version}; this "
                              f"version reads up to {FORMAT_VERSION}). Update GAN Explorer to open it.")
    if version < 1:
        raise CheckpointError(f"{p}: format_version {version} is not valid")
    if "config" not in md:
        raise CheckpointError(f"{p}: the metadata has no model config")
    raw_config = _json(p, md["config"], "the metadata's model config")
    meta = _json(p, md.get("meta", "{}"), "the metadata's 'meta'")
    state = _json(p, md.get("training_state", "null"), "the metadata's training state")
    try:
        config = ModelConfig.from_dict(raw_config, where=f"{p}: model config")
    except ConfigError as e:
        raise CheckpointError(str(e)) from None
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{p}: bad model config: {e}") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{p}: the metadata 'meta' is not a JSON object")
    _check_meta(p, meta, config)
    return config, meta, state


def _check_meta(p: Path, meta: dict, config: ModelConfig) -> None:
    """The run facts the app and the CLI use, of the types they use them as."""
    names = meta.get("class_names")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise CheckpointError(f"{p}: the metadata's class_names is not a list of names (file corrupt)")
    vr = meta.get("value_range")
    if vr is None and config.is_image:
        meta["value_range"] = [-1.0, 1.0]
    elif vr is not None:
        ok = (isinstance(vr, list) and len(vr) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                             and math.isfinite(v) for v in vr) and vr[0] < vr[1])
        if not ok:
            raise CheckpointError(f"{p}: the metadata's value_range is {str(vr)[:60]}; expected [low, high] "
                                  "with finite low < high (file corrupt)")
    for key, types in (("dataset", str), ("step", int), ("run", str)):
        v = meta.get(key)
        if v is not None and (not isinstance(v, types) or isinstance(v, bool)):
            raise CheckpointError(f"{p}: the metadata's {key} is {str(v)[:40]!r}, not a "
                                  f"{'number' if types is int else 'text'} (file corrupt)")
