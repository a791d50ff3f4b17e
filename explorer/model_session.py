"""What the UI knows about the loaded model: its capabilities, never the network itself.

The render thread owns the `nn.Module`s; it hands the UI this frozen snapshot when a load
succeeds. Panels enable themselves from these fields (capabilities, not isinstance checks).
No Qt here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gan_models.base import CodeLayout
from gan_models.config import ModelConfig


@dataclass(frozen=True)
class ModelInfo:
    model_id: int                  # increments on every successful load; requests carry it
    path: Path                     # the checkpoint file that was loaded (run folder resolved)
    config: ModelConfig
    meta: dict
    z_dim: int
    num_classes: int               # 0 = unconditional
    code_layout: CodeLayout        # empty for non-InfoGAN models
    output_shape: tuple            # (C, H, W) or (D,)
    is_image: bool
    z_dist: str                    # "normal" or "uniform": how z is drawn
    class_names: tuple             # one name per class (indices as strings when unnamed)
    value_range: tuple | None      # generator output range for images, None for points
    has_discriminator: bool        # the file has D, so samples can show D's score
    param_count: int               # generator parameters
    device: str                    # "CPU", "CUDA <name>", "MPS"

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def code_dim(self) -> int:
        return self.code_layout.dim

    @property
    def title(self) -> str:
        """Short name for the window title and lists: the run folder or file name."""
        p = self.path
        if p.parent.name == "checkpoints":
            return p.parent.parent.name
        return p.stem

    def describe(self) -> str:
        """One line for the status bar: kind, data, parameter count, step."""
        shape = "x".join(str(s) for s in self.output_shape)
        bits = [self.kind, self.meta.get("dataset") or shape, format_params(self.param_count) + " params"]
        if self.meta.get("step"):
            bits.append(f"step {self.meta['step']}")
        return " · ".join(str(b) for b in bits)

    @property
    def d_score_kind(self) -> str:
        """What the D score column shows: "p_real" (sigmoid of D's logit), "reconstruction" (BEGAN:
        D is an auto-encoder; its mean pixel error on the sample, lower = more real to D) or "none"
        (a PacGAN D scores pairs, a minibatch-std D groups: no score belongs to one sample)."""
        if self.config.kind == "began":
            return "reconstruction"
        return "none" if self.config.pack != 1 or self.config.d_mbstd else "p_real"

    def format_score(self, s: float) -> str:
        return f"{s:.3f}" if self.d_score_kind == "reconstruction" else f"{s:.2f}"

    def class_name(self, i: int) -> str:
        return self.class_names[i] if 0 <= i < len(self.class_names) else str(i)


def format_params(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f} M"
    if n >= 1_000:
        return f"{n / 1e3:.1f} k"
    return str(n)


def info_from_checkpoint(ckpt, model_id: int, param_count: int, device: str) -> ModelInfo:
    """Snapshot a loaded `Checkpoint`; reads the generator's capability attributes only."""
    g = ckpt.generator
    vr = ckpt.meta.get("value_range")
    if g.is_image and vr is None:
        vr = (0.0, 1.0) if ckpt.config.g_output == "sigmoid" else (-1.0, 1.0)
    return ModelInfo(
        model_id=model_id, path=Path(ckpt.path), config=ckpt.config, meta=dict(ckpt.meta),
        z_dim=g.z_dim, num_classes=g.num_classes, code_layout=g.code_layout,
        output_shape=tuple(g.output_shape), is_image=bool(g.is_image), z_dist=g.z_dist,
        class_names=tuple(ckpt.class_names), value_range=tuple(vr) if vr is not None else None,
        has_discriminator=ckpt.discriminator is not None, param_count=param_count, device=device)
