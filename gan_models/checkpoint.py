"""The one loader (and writer) for every saved model.

Format: a safetensors file. Tensors are prefixed `G.`, `D.` and `state.` (training state:
optimizers, RNG). The file's metadata holds JSON: the `ModelConfig`, run facts (`meta`:
class names, dataset, value range, step, metrics...) and the structure of the training state.

Loading never executes code from a file: safetensors is pure data, and the only foreign
format (a PyTorch state_dict) is read with `torch.load(weights_only=True)`. The header, the
config and every tensor's name, dtype and shape are validated before anything is built.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .atomic import atomic_path
from .config import ModelConfig
from .checkpoint_header import FORMAT, FORMAT_VERSION, parse_metadata, read_safetensors_header
from .errors import CheckpointError, OutputError, write_failure

SUFFIX = ".safetensors"
_FLOAT_DTYPES = {"F32", "F16", "BF16", "F64"}
_DTYPE_OF = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}
MAX_PARAM_BYTES = 2 * 1024**3   # G + D as float32: 130x the largest bundled model; a config asking for
                                # more (d_width 4096 at 64x64, an MLP over 10^9 inputs) is refused unbuilt


@dataclass
class Checkpoint:
    path: Path
    config: ModelConfig
    meta: dict
    generator: nn.Module
    discriminator: nn.Module | None = None
    training_state: dict | None = None

    @property
    def class_names(self) -> list[str]:
        names = self.meta.get("class_names") or []
        k = self.config.num_classes
        return list(names) if len(names) == k else [str(i) for i in range(k)]

    @property
    def value_range(self):
        return self.meta.get("value_range", [-1.0, 1.0] if self.config.is_image else None)


# ----------------------------------------------------------------------------- paths
def resolve_model_path(path) -> Path:
    """A checkpoint file as-is; a run folder -> its latest checkpoint."""
    p = Path(path).expanduser()
    if not p.exists():
        raise CheckpointError(f"{p}: no such file or folder")
    if p.is_dir():
        for cand in (p / "checkpoints" / f"latest{SUFFIX}", p / f"latest{SUFFIX}"):
            if cand.is_file():
                return cand
        files = sorted(p.glob(f"*{SUFFIX}")) + sorted((p / "checkpoints").glob(f"*{SUFFIX}"))
        if files:
            return max(files, key=lambda f: f.stat().st_mtime)
        raise CheckpointError(f"{p}: a folder with no checkpoint in it (expected a run folder "
                              f"with checkpoints/latest{SUFFIX}, or a {SUFFIX} file)")
    return p


# ----------------------------------------------------------------------------- training-state (de)flattening
def _flatten(obj, tensors: dict, prefix: str):
    """Nested dicts/lists of tensors and JSON scalars -> JSON skeleton + flat tensor dict."""
    if torch.is_tensor(obj):
        key = f"state.{prefix}"
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        return {"__dict__": [[k, _flatten(v, tensors, f"{prefix}.{k}")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_flatten(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"training state at {prefix!r}: cannot store a {type(obj).__name__}")


def _unflatten(obj, tensors: dict):
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        return {k: _unflatten(v, tensors) for k, v in obj["__dict__"]}
    if isinstance(obj, list):
        return [_unflatten(v, tensors) for v in obj]
    return obj


# ----------------------------------------------------------------------------- save
def save_checkpoint(path, config: ModelConfig, generator: nn.Module, discriminator: nn.Module | None = None,
                    meta: dict | None = None, training_state: dict | None = None, half: bool = False) -> Path:
    """Atomically write a checkpoint. `half` stores float tensors of G/D as fp16 (bundled models)."""
    from safetensors.torch import save_file
    path = Path(path)
    tensors: dict[str, torch.Tensor] = {}
    for prefix, module in (("G", generator), ("D", discriminator)):
        if module is None:
            continue
        for k, v in module.state_dict().items():
            v = v.detach().cpu()
            if half and v.is_floating_point():
                v = v.half()
            tensors[f"{prefix}.{k}"] = v.contiguous().clone()   # clone: safetensors refuses shared memory
    state_skeleton = _flatten(training_state, tensors, "") if training_state is not None else None
    full_meta = {"format_version": FORMAT_VERSION, "kind": config.kind,
                 "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                 "source": FORMAT, **(meta or {})}
    header = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
              "config": json.dumps(config.to_dict()), "meta": json.dumps(full_meta),
              "training_state": json.dumps(state_skeleton)}
    from safetensors import SafetensorError
    try:
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=header)
    except SafetensorError as e:                  # its I/O errors (disk full) are not OSErrors
        raise OutputError(write_failure(path, e)) from None
    return path


# ----------------------------------------------------------------------------- load
def read_header(path) -> tuple[ModelConfig, dict]:
    """Config and meta of a checkpoint without reading its tensors (fast, for model lists)."""
    p = resolve_model_path(path)
    if p.is_dir():
        raise CheckpointError(f"{p}: is a folder")
    header, _ = read_safetensors_header(p)
    config, meta, _ = parse_metadata(p, header)
    return config, meta


def _check_tensors(p: Path, header: dict, prefix: str, module: nn.Module, required: bool) -> bool:
    expected = module.state_dict()
    present = {k[len(prefix) + 1:]: v for k, v in header.items() if k.startswith(prefix + ".")}
    if not present and not required:
        return False
    missing = sorted(set(expected) - set(present))
    extra = sorted(set(present) - set(expected))
    if missing:
        raise CheckpointError(f"{p}: tensor {prefix}.{missing[0]} is missing "
                              f"({len(missing)} missing in all); the file does not match its config")
    if extra:
        raise CheckpointError(f"{p}: unexpected tensor {prefix}.{extra[0]}; the file does not match its config")
    for k, t in expected.items():
        info = present[k]
        shape, dtype = list(info.get("shape", [])), info.get("dtype")
        if shape != list(t.shape):
            raise CheckpointError(f"{p}: tensor {prefix}.{k} has shape {tuple(shape)}, "
                                  f"the config needs {tuple(t.shape)}")
        ok = dtype in _FLOAT_DTYPES if t.is_floating_point() else dtype == _DTYPE_OF.get(t.dtype)
        if not ok:
            raise CheckpointError(f"{p}: tensor {prefix}.{k} has dtype {dtype}, expected "
                                  f"{'a float type' if t.is_floating_point() else _DTYPE_OF.get(t.dtype)}")
    return True


def planned_modules(config: ModelConfig) -> tuple[nn.Module, nn.Module, int]:
    """G and D built on the meta device (shapes only, no memory) and their parameter count, so a
    config's size can be checked against MAX_PARAM_BYTES before anything real is allocated (the
    loader here, a new training in train.setup)."""
    from .registry import build_discriminator, build_generator
    with torch.device("meta"):
        g, d = build_generator(config), build_discriminator(config)
    return g, d, sum(t.numel() for m in (g, d) for t in m.state_dict().values())


def too_big(n: int) -> str | None:
    """None, or why n float32 parameters are more than this program builds."""
    if 4 * n <= MAX_PARAM_BYTES:
        return None
    return (f"asks for {n:,} parameters ({4 * n / 1024**3:.1f} GiB as float32); this program builds "
            f"at most {MAX_PARAM_BYTES / 1024**3:.0f} GiB")


def _planned_modules(p: Path, config: ModelConfig) -> tuple[nn.Module, nn.Module]:
    g, d, n = planned_modules(config)
    if why := too_big(n):
        raise CheckpointError(f"{p}: its config {why}")
    return g, d


def _check_finite(p: Path, tensors: dict, prefixes=("G.", "D.")) -> None:
    for name, t in tensors.items():
        if name.startswith(prefixes) and t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CheckpointError(f"{p}: tensor {name} holds NaN or infinite values; the model would "
                                  "draw nothing (a run's checkpoints/last_good.safetensors is always finite)")


def _load_state(module: nn.Module, tensors: dict, prefix: str) -> None:
    sd = module.state_dict()
    module.load_state_dict({k: tensors[f"{prefix}.{k}"].to(sd[k].dtype) for k in sd})


def load_checkpoint(path, device="cpu", training_state: bool = False) -> Checkpoint:
    """Load any saved model: our checkpoints, a run folder, or a foreign PyTorch DCGAN netG.

    Raises `CheckpointError` (message names the file and the reason) for every bad input.
    """
    from .registry import build_discriminator, build_generator
    p = resolve_model_path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: not a regular file")
    with open(p, "rb") as f:
        magic = f.read(9)
    # safetensors: u64 header length then '{'; torch.save: a zip ("PK\x03\x04") or a raw pickle
    is_safetensors = len(magic) == 9 and magic[8:9] == b"{"
    if not is_safetensors and (magic[:4] == b"PK\x03\x04" or magic[:1] == b"\x80"):
        return _load_foreign(p, device)
    header, _ = read_safetensors_header(p)
    config, meta, state_skeleton = parse_metadata(p, header)
    planned_g, planned_d = _planned_modules(p, config)
    _check_tensors(p, header, "G", planned_g, required=True)
    has_d = _check_tensors(p, header, "D", planned_d, required=False)
    if training_state and state_skeleton is None:
        raise CheckpointError(f"{p}: holds no training state (it is a generator-only export); "
                              "resume from a run folder's checkpoint instead")
    from safetensors.torch import load_file
    try:
        tensors = load_file(str(p), device="cpu")
    except Exception as e:  # safetensors raises its own error types for corrupt data
        raise CheckpointError(f"{p}: the tensors could not be read ({e})") from None
    _check_finite(p, tensors)
    generator = build_generator(config)
    _load_state(generator, tensors, "G")
    disc = build_discriminator(config) if has_d else None
    if has_d:
        _load_state(disc, tensors, "D")
    state = None
    if training_state:
        try:
            state = _unflatten(state_skeleton, tensors)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            raise CheckpointError(f"{p}: its training state is damaged (the structure in the metadata "
                                  "does not match the tensors)") from None
    generator.to(device).eval()
    if has_d:
        disc.to(device).eval()
    meta.setdefault("value_range", [-1.0, 1.0] if config.is_image else None)
    return Checkpoint(p, config, meta, generator, disc, state)


def _load_foreign(p: Path, device) -> Checkpoint:
    from .legacy import import_pytorch_dcgan
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception:           # the reason is torch's (UnpicklingError, ...): the user's is this
        raise CheckpointError(f"{p}: a PyTorch pickle that is not a plain state_dict of tensors; it was "
                              "not loaded, so none of its code ran") from None
    try:
        config, generator = import_pytorch_dcgan(obj)
    except CheckpointError as e:
        raise CheckpointError(f"{p}: {e}") from None
    _check_finite(p, {f"G.{k}": v for k, v in generator.state_dict().items()})
    meta = {"format_version": FORMAT_VERSION, "kind": config.kind, "source": "pytorch-dcgan",
            "class_names": [], "dataset": "unknown", "value_range": [-1.0, 1.0], "step": 0, "metrics": {}}
    return Checkpoint(p, config, meta, generator.to(device).eval(), None, None)
