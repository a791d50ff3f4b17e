"""The model side of rendering: loads a checkpoint and turns requests into uint8 images.

Pure torch + numpy, no Qt. One `Engine` lives on the render thread and owns the only copy of
the networks (the UI thread never touches an `nn.Module`). A failed load leaves the previous
model in place.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np
import torch

from gan_models.images import make_grid, to_uint8

from .model_session import ModelInfo, info_from_checkpoint
from .pixels import display_rgb32
from .requests import GridSpec, LoadRequest, RenderRequest, RenderResult

log = logging.getLogger(__name__)


def pick_device() -> tuple[torch.device, str]:
    """The best local device and a name for the status bar."""
    if torch.cuda.is_available():
        return torch.device("cuda"), f"CUDA {torch.cuda.get_device_name(0)}"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps"), "MPS"
    return torch.device("cpu"), "CPU"


class Engine:
    def __init__(self, device: str | torch.device | None = None, loader=None):
        if device is None:
            self.device, self.device_name = pick_device()
        else:
            self.device = torch.device(device)
            self.device_name = self.device.type.upper()
        self._loader = loader            # for tests; default: gan_models.checkpoint.load_checkpoint
        self.generator = None
        self.discriminator = None
        self.info: ModelInfo | None = None

    # ------------------------------------------------------------------ loading
    def load(self, req: LoadRequest) -> ModelInfo:
        """Load and swap in a model; raises CheckpointError and keeps the old one on failure."""
        from gan_models.registry import count_params
        loader = self._loader
        if loader is None:
            from gan_models.checkpoint import load_checkpoint as loader
        ckpt = loader(req.path, device=self.device)
        info = info_from_checkpoint(ckpt, req.model_id, count_params(ckpt.generator), self.device_name)
        self.generator = ckpt.generator.eval()
        self.discriminator = ckpt.discriminator.eval() if ckpt.discriminator is not None else None
        self.info = info
        return info

    # ------------------------------------------------------------------ rendering
    def _inputs(self, req: RenderRequest):
        b, dev = req.batch, self.device
        z = torch.from_numpy(b.z).to(dev)                                        # (B, z_dim)
        label = torch.from_numpy(b.label).to(dev) if b.label is not None else None  # (B, K)
        codes = torch.from_numpy(b.codes).to(dev) if b.codes is not None else None  # (B, code_dim)
        return z, label, codes

    @torch.inference_mode()
    def run(self, req: RenderRequest) -> RenderResult:
        t0 = time.perf_counter()
        info = self.info
        if info is None or self.generator is None:
            raise RuntimeError("no model is loaded")
        z, label, codes = self._inputs(req)
        if info.num_classes and label is None:
            label = torch.zeros(z.shape[0], info.num_classes, device=self.device)
            label[:, 0] = 1
        x = self.generator.generate(z, label, codes)                             # (B, *output_shape)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        t1 = time.perf_counter()
        out = RenderResult(req.channel, req.stamp, req.model_id, req.batch, forward_s=t1 - t0)
        if req.scores and self.discriminator is not None:
            out.scores = self._scores(x, label)
        if info.is_image:
            images = to_uint8(x, info.value_range)                              # (B, H, W, C) uint8
            out.images = images
            specs = req.grids or (GridSpec(len(images), int(math.ceil(math.sqrt(len(images))))),)
            out.specs = tuple(specs)
            start = 0
            for spec in specs:
                part = images[start:start + spec.count]
                grid = part[0] if spec.count == 1 and spec.pad == 0 else make_grid(part, spec.ncol, spec.pad)
                out.grids.append(grid)                                        # (H, W, C) uint8
                out.display.append(display_rgb32(grid, spec.zoom))            # (zH, zW, 4) uint8
                start += spec.count
        else:
            out.points = np.ascontiguousarray(x.float().cpu().numpy())          # (B, D) float32
        out.total_s = time.perf_counter() - t0
        return out

    def _scores(self, x: torch.Tensor, label) -> np.ndarray | None:
        """P(real) per sample; None where D cannot score single samples (PacGAN packs them)."""
        if getattr(self.discriminator, "pack", 1) != 1:
            return None
        try:
            logit = self.discriminator(x, label) if self.info.num_classes else self.discriminator(x)
        except Exception:                     # D's score is an extra; never fail the render for it
            log.exception("discriminator scoring failed")
            return None
        return torch.sigmoid(logit.float()).cpu().numpy()                        # (B,)
