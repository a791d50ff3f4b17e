"""The model side of rendering: loads a checkpoint and turns requests into uint8 images.

Pure torch + numpy, no Qt. One `Engine` lives on the render thread and owns the only copy of
the networks (the UI thread never touches an `nn.Module`). A failed load leaves the previous
model in place.
"""
from __future__ import annotations

import logging
import math
import os
import time
import warnings
from collections import OrderedDict

import numpy as np
import torch

from gan_models.images import Uint8Images, make_grid, to_uint8

from .model_session import ModelInfo, info_from_checkpoint
from .pixels import display_rgb32
from .requests import DirectionsRequest, DirectionsResult, GridSpec, LoadRequest, RenderRequest, RenderResult

log = logging.getLogger(__name__)


def pick_device() -> tuple[torch.device, str]:
    """The best local device and a name for the status bar."""
    if torch.cuda.is_available():
        return torch.device("cuda"), f"CUDA {torch.cuda.get_device_name(0)}"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps"), "MPS"
    return torch.device("cpu"), "CPU"


class FastForward:
    """A generator's forward run as a TorchScript trace, one per input shape (CPU only).

    Why: the eager forward is a few hundred Python-level module calls, each needing the GIL,
    so whenever the UI thread runs Python (painting, slots) the render thread waits. Measured
    with a Python thread spinning beside it, the bundled cgan-digits forward (batch 64) took
    80 ms eager vs 27 ms traced (15.7 vs 14.5 ms alone). A trace executes in C++ without the
    GIL. Traces are specialised to one input shape: a shape is traced on its second use (a
    slider drag repeats one shape; a one-off shape is not worth the ~10 forwards a trace
    costs), at most `max_shapes` are kept; any failure falls back to eager for good. GAN_EXPLORER_TRACE=0 disables it.
    torch.jit is deprecated upstream but kept working in the torch versions we pin (<2.14).
    """

    def __init__(self, generator, max_shapes: int = 8, post: torch.nn.Module | None = None):
        self.generator = generator
        # `post` runs on the generator's output inside the same trace (Uint8Images: the conversion
        # to display bytes then costs no Python-level tensor calls either)
        self.module = generator if post is None else torch.nn.Sequential(generator, post)
        self.max_shapes = max_shapes
        self._traces: OrderedDict = OrderedDict()
        self._seen: set = set()                  # shapes used once (traced on their second use)
        self.enabled = os.environ.get("GAN_EXPLORER_TRACE", "1") != "0"

    def __call__(self, g_input: torch.Tensor) -> torch.Tensor:
        if not self.enabled or g_input.device.type != "cpu":
            return self.module(g_input)
        key = (tuple(g_input.shape), g_input.dtype)
        fn = self._traces.get(key)
        if fn is None and key not in self._seen:
            self._seen.add(key)                  # first use of a shape: eager (tracing costs
            return self.module(g_input)          # ~10 forwards; one-off shapes never pay it)
        if fn is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")          # deprecation and tracer warnings
                    fn = torch.jit.freeze(torch.jit.trace(self.module.eval(), g_input, check_trace=False))
                    # a trace can bake values in silently: check it on a different input once
                    probe = g_input.flip(0) + 0.5
                    traced, eager = fn(probe), self.module(probe)
                    tol = 1e-4 if traced.is_floating_point() else 1      # uint8: a rounding step
                    ok = traced.dtype == eager.dtype and torch.allclose(traced.float(), eager.float(),
                                                                        rtol=1e-4, atol=tol)
            except Exception:                                # an unsupported op: eager from now on
                log.exception("tracing the generator failed; using the eager forward")
                ok = False
            if not ok:
                log.warning("the traced generator differs from the eager one; using the eager forward")
                self.enabled = False
                return self.module(g_input)
            self._traces[key] = fn
            while len(self._traces) > self.max_shapes:
                self._traces.popitem(last=False)
        self._traces.move_to_end(key)
        return fn(g_input)


class Engine:
    def __init__(self, device: str | torch.device | None = None, loader=None):
        if device is None:
            self.device, self.device_name = pick_device()
        else:
            self.device = torch.device(device)
            self.device_name = self.device.type.upper()
        self._loader = loader            # for tests; default: gan_models.checkpoint.load_checkpoint
        self.generator = None
        self.forward = None              # FastForward of the generator
        self.forward_u8 = None           # ... and of generator + Uint8Images (image models)
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
        self.forward = FastForward(self.generator)
        # images without D scores: generator + uint8 conversion in one trace (saved ~0.2 ms of
        # per-op Python dispatch per frame on a 2-core laptop-class CPU)
        self.forward_u8 = FastForward(self.generator, post=Uint8Images(info.value_range)) if info.is_image else None
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
        g_input = self.generator.build_input(z, label, codes)
        scores = req.scores and self.discriminator is not None
        if info.is_image and not scores:
            x, images = None, self.forward_u8(g_input)                          # (B, H, W, C) uint8
        else:
            x, images = self.forward(g_input), None                             # (B, *output_shape)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        t1 = time.perf_counter()
        out = RenderResult(req.channel, req.stamp, req.model_id, req.batch, forward_s=t1 - t0)
        if scores:
            out.scores = self._scores(x, label)
        if info.is_image:
            images = to_uint8(x, info.value_range) if images is None else np.ascontiguousarray(images.cpu().numpy())
            out.images = images
            specs = req.grids or (GridSpec(len(images), int(math.ceil(math.sqrt(len(images))))),)
            out.specs = tuple(specs)
            start = 0
            for spec in specs:
                part = images[start:start + spec.count]
                grid = part[0] if spec.count == 1 and spec.pad == 0 else make_grid(part, spec.ncol, spec.pad)
                out.grids.append(grid)                                        # (H, W, C) uint8
                out.display.append(display_rgb32(grid, spec.zoom, spec.size))  # (zH, zW, 4) uint8
                start += spec.count
        else:
            out.points = np.ascontiguousarray(x.float().cpu().numpy())          # (B, D) float32
        out.total_s = time.perf_counter() - t0
        return out

    def directions(self, req: DirectionsRequest) -> DirectionsResult:
        from gan_models.directions import principal_directions
        t0 = time.perf_counter()
        if self.generator is None:
            raise RuntimeError("no model is loaded")
        d = principal_directions(self.generator, k=req.k, n=req.n, seed=req.seed)
        return DirectionsResult(req.channel, req.stamp, req.model_id, d.vectors.numpy().astype(np.float32),
                                d.explained.numpy(), d.z_std.numpy(), d.n, time.perf_counter() - t0)

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
