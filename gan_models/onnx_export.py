"""ONNX export of the generator of any model the one loader opens (`gan-explorer export`).

The graph takes separate named float32 inputs, only those the model has, so a user never
has to know how the generator concatenates them internally:

    z             (N, z_dim)      noise, N(0, 1) or U(-1, 1) as the model was trained (meta z_dist)
    label_onehot  (N, K)          CGAN only: one-hot class (soft labels mix classes), K = num_classes
    codes         (N, code_dim)   InfoGAN only: each categorical code one-hot, then the continuous
                                  codes (trained on U(-1, 1)); column layout in meta code_layout

and returns one output, `image` (N, C, H, W) in the model's value range (tanh: [-1, 1]) or
`points` (N, D). N is dynamic. The same facts (plus class names, value range, the model
config) are in the ONNX model's metadata_props, read back with
`onnxruntime.InferenceSession(path).get_modelmeta().custom_metadata_map`.

Uses torch.onnx's torch.export-based exporter (`dynamo=True`, the default since torch 2.9;
the TorchScript one is deprecated), which needs the `onnx` and `onnxscript` packages:
`pip install 'gan-explorer[onnx]'`. Never imports Qt.
"""
from __future__ import annotations

import contextlib
import copy
import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .atomic import atomic_path
from .checkpoint import Checkpoint, load_checkpoint
from .errors import GanExplorerError

BATCH = "N"            # the name of the dynamic batch dimension in the graph
_EXAMPLE_BATCH = 2     # torch.export specialises a batch of 1 to a constant


@dataclass(frozen=True)
class OnnxTensor:
    """One graph input or output as a user sees it."""
    name: str
    shape: tuple       # ("N", ...) with the dynamic batch first
    doc: str

    def line(self) -> str:
        return f"{self.name:<13} float32 ({', '.join(map(str, self.shape))})  {self.doc}"


@dataclass(frozen=True)
class OnnxSummary:
    """What `export_onnx` wrote: the printed summary and the metadata stored in the file."""
    path: Path
    size_bytes: int
    opset: int
    inputs: tuple
    outputs: tuple
    metadata: dict

    def lines(self) -> list[str]:
        m = self.metadata
        head = (f"wrote {self.path} ({self.size_bytes / 1e6:.2f} MB, ONNX opset {self.opset}): "
                f"{m['model_kind']} generator from {m['source']}")
        return ([head] + [f"  input  {t.line()}" for t in self.inputs]
                + [f"  output {t.line()}" for t in self.outputs]
                + [f"  {BATCH} (the batch) is dynamic; metadata_props hold model_kind, z_dim, z_dist, "
                   "class_names, code_layout, value_range, config"])


def _value_range(ck: Checkpoint):
    """[lo, hi] of the generator's output, or None for an unbounded (linear) output."""
    if ck.config.is_image and ck.value_range is not None:
        return [float(v) for v in ck.value_range]
    return {"tanh": [-1.0, 1.0], "sigmoid": [0.0, 1.0]}.get(ck.config.g_output)


def _code_columns(layout) -> list[dict]:
    """Which columns of `codes` hold which InfoGAN code."""
    cols, start = [], 0
    names = layout.names()
    for name, k in zip(names, layout.categorical):
        cols.append({"name": name, "kind": "categorical one-hot", "start": start, "width": k})
        start += k
    for name in names[len(layout.categorical):]:
        cols.append({"name": name, "kind": "continuous", "start": start, "width": 1, "trained_on": [-1.0, 1.0]})
        start += 1
    return cols


def describe_io(ck: Checkpoint) -> tuple[tuple, tuple]:
    """The graph's (inputs, outputs) as `OnnxTensor`s, only the inputs this model has."""
    g = ck.generator
    dist = "N(0, 1)" if g.z_dist == "normal" else "U(-1, 1)"
    inputs = [OnnxTensor("z", (BATCH, g.z_dim), f"noise, drawn from {dist} in training")]
    if g.num_classes:
        names = ck.class_names
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        inputs.append(OnnxTensor("label_onehot", (BATCH, g.num_classes), f"one-hot class ({shown})"))
    if g.code_layout:
        parts = [f"{c['name']} [{c['start']}:{c['start'] + c['width']}]" for c in _code_columns(g.code_layout)]
        inputs.append(OnnxTensor("codes", (BATCH, g.code_layout.dim),
                                 "InfoGAN codes: " + ", ".join(parts) + "; categorical one-hot, continuous in [-1, 1]"))
    vr = _value_range(ck)
    rng = f"in [{vr[0]:g}, {vr[1]:g}]" if vr else "unbounded (linear output)"
    out = OnnxTensor("image" if g.is_image else "points", (BATCH, *g.output_shape), rng)
    return tuple(inputs), (out,)


def onnx_metadata(ck: Checkpoint, inputs, outputs) -> dict:
    """String key/values for the ONNX model's metadata_props."""
    g, cfg = ck.generator, ck.config
    try:
        from importlib.metadata import version
        ours = version("gan-explorer")
    except Exception:
        ours = "unknown"
    io = lambda ts: [{"name": t.name, "dtype": "float32", "shape": list(t.shape), "doc": t.doc} for t in ts]  # noqa: E731
    meta = {
        "model_kind": cfg.kind, "arch": cfg.arch, "z_dim": g.z_dim, "z_dist": g.z_dist,
        "num_classes": g.num_classes, "class_names": ck.class_names,
        "code_layout": {"categorical": list(g.code_layout.categorical), "continuous": g.code_layout.continuous,
                        "columns": _code_columns(g.code_layout)},
        "output_kind": "image" if g.is_image else "points", "output_shape": list(g.output_shape),
        "value_range": _value_range(ck), "inputs": io(inputs), "outputs": io(outputs),
        "batch_dim": BATCH, "config": cfg.to_dict(), "source": ck.path.name,
        "dataset": ck.meta.get("dataset") or "", "step": ck.meta.get("step") or 0,
        "exporter": f"gan-explorer {ours}, torch {torch.__version__}",
    }
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()}


class _NamedInputs(nn.Module):
    """Separate named inputs -> the generator's one (N, z + label + codes) input."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        return self.generator(torch.cat(parts, dim=1))     # (N, input_dim) -> (N, *output_shape)


def _check_out_path(out_path) -> Path:
    out = Path(out_path)
    if out.suffix.lower() != ".onnx":
        raise GanExplorerError(f"{out}: the ONNX output file must end in .onnx (e.g. G.onnx)")
    if out.is_dir():
        raise GanExplorerError(f"{out}: is a folder; give the .onnx file to write")
    return out


def _require_packages():
    for module in ("onnx", "onnxscript"):
        try:
            __import__(module)
        except ImportError:
            raise GanExplorerError(f"ONNX export needs the Python package '{module}': "
                                   "pip install 'gan-explorer[onnx]' (or pip install onnx onnxscript)") from None


def export_generator_onnx(ck: Checkpoint, out_path, opset: int | None = None) -> OnnxSummary:
    """Write `ck`'s generator as an ONNX model to `out_path` (atomically); `ck` is left untouched.

    Parameters
    ----------
    ck : a loaded `Checkpoint` (any kind: GAN, DCGAN, CGAN, InfoGAN, images or points)
    out_path : the .onnx file to write
    opset : ONNX opset; None = the exporter's default

    Returns
    -------
    OnnxSummary with the graph's inputs/outputs and the metadata written into the file.
    """
    out = _check_out_path(out_path)
    _require_packages()
    import onnx
    # a float32 eval-mode copy: BatchNorm uses its running statistics, the caller's model is untouched
    g = copy.deepcopy(ck.generator).float().cpu().eval()
    for p in g.parameters():
        p.requires_grad_(False)
    inputs, outputs = describe_io(ck)
    args = tuple(torch.zeros(_EXAMPLE_BATCH, t.shape[1]) for t in inputs)
    batch = torch.export.Dim(BATCH, min=1)
    with _quiet_exporter():
        try:
            program = torch.onnx.export(
                _NamedInputs(g).eval(), args, dynamo=True, opset_version=opset, verbose=False,
                input_names=[t.name for t in inputs], output_names=[t.name for t in outputs],
                dynamic_shapes=({"parts": tuple({0: batch} for _ in inputs)}))
        except Exception as e:   # the exporter's own error types; one line for the user
            raise GanExplorerError(f"{ck.path}: the ONNX export failed ({type(e).__name__}: "
                                   f"{str(e).splitlines()[0] if str(e) else ''})") from None
    proto = program.model_proto
    opset_used = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset is not None and opset_used != opset:     # the exporter falls back silently
        raise GanExplorerError(f"--opset {opset}: the exporter cannot convert this model to opset {opset} "
                               f"(it fell back to {opset_used}); try a newer opset, or leave --opset out")
    for value in list(proto.graph.input) + list(proto.graph.output):   # one readable name for N
        value.type.tensor_type.shape.dim[0].dim_param = BATCH
    metadata = onnx_metadata(ck, inputs, outputs)
    del proto.metadata_props[:]
    for k, v in metadata.items():
        proto.metadata_props.add(key=k, value=v)
    proto.doc_string = f"GAN Explorer {metadata['model_kind']} generator from {metadata['source']}"
    with atomic_path(out) as tmp:
        onnx.save_model(proto, str(tmp))
    return OnnxSummary(out, out.stat().st_size, opset_used, inputs, outputs, metadata)


def export_onnx(checkpoint, out_path, opset: int | None = None) -> OnnxSummary:
    """Load `checkpoint` (file, run folder, bundled model) on the CPU and export its generator."""
    _check_out_path(out_path)              # both checks before the (slower) load
    _require_packages()
    return export_generator_onnx(load_checkpoint(checkpoint, device="cpu"), out_path, opset)


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter logs progress, warns and notes optional dependencies; a user wants one summary."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
