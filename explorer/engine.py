"""The model side of rendering: loads a checkpoint and turns requests into uint8 images.

Pure torch + numpy, no Qt. One `Engine` lives on the render thread and owns the only copy of
the networks (the UI thread never touches an `nn.Module`). A failed load leaves the previous
model in place.

A progressive request whose forward is estimated to take long (a 64x64 grid: ~100 ms on a
laptop-class CPU core) is rendered in chunks: the first sample alone, then the rest of the
first row, then chunks of whole rows that grow from about `chunk_s` to `max_chunk_s` of
forward (larger batches cost less per sample); every chunk but the last is handed out as a
partial result as soon as it is tiled, and the caller may abandon the rest between chunks.
Batch norm is in eval mode, so the chunks give the pixels one batched forward gives.
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

from gan_models.images import Uint8Images, to_uint8

from .model_session import ModelInfo, info_from_checkpoint
from .pixels import Mosaic
from .requests import (DirectionsRequest, DirectionsResult, GridSpec, LoadRequest, Patch, RenderRequest,
                       RenderResult)

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


def chunk_plan(n: int, ncol: int, sample_s: float, chunk_s: float,
               max_chunk_s: float | None = None) -> list[tuple[int, int]]:
    """[start, stop) sample ranges of a progressive grid: the first sample alone (the first
    update costs one batch-1 forward), the rest of the first row, then whole rows, as many per
    chunk as fit in its budget of forward at `sample_s` a sample (at least one row). The budget
    starts at `chunk_s` and doubles with each chunk up to `max_chunk_s` (default `chunk_s`):
    small batches cost more per sample (batch 8 of the DCGAN-64 ~9 % more than batch 64 on a
    CPU core), so later chunks grow once the first rows are on screen. Each range is part of one
    row or whole rows, so its cells are one rectangle of the mosaic."""
    chunks = [(0, 1)]
    if ncol > 1 and n > 1:
        chunks.append((1, min(ncol, n)))
    cap = max(chunk_s, max_chunk_s if max_chunk_s is not None else chunk_s)
    budget, a = chunk_s, ncol
    while a < n:
        rows = max(1, int(budget / (sample_s * ncol))) if sample_s > 0 else 1
        b = min(n, a + rows * ncol)
        chunks.append((a, b))
        a, budget = b, min(cap, 2 * budget)
    return chunks


class Engine:
    # A progressive request is chunked when its forward is estimated above `progressive_above_s`:
    # below it the whole grid is painted about as soon as a first chunk would be, and each chunk
    # costs ~0.5 ms of tiling, hand-over and paint (the 8x8 grid of a 28x28 model, 9-12 ms, stays
    # one forward; 64x64, 60-250 ms, is chunked). `chunk_s`: a newer request waits for the chunk
    # in flight, so a chunk is kept to about one display frame.
    progressive_above_s = 0.030
    chunk_s = 0.012
    max_chunk_s = 0.050       # later chunks grow to ~3 frames: fewer, larger batches
    frame_s = 1 / 60          # partial results are handed out at most this often (one display frame)

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
        self.sample_s: float | None = None   # forward seconds per sample, measured (for chunk_plan)

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
        self.sample_s = self._probe() if info.is_image else None
        return info

    @torch.inference_mode()
    def _probe(self, n: int = 4) -> float | None:
        """Seconds per sample of a batch-n forward (the second of two): the first render's
        estimate, before any render has measured one."""
        try:
            g_input = self.generator.build_input(torch.zeros(n, self.info.z_dim, device=self.device))
            for _ in range(2):
                t0 = time.perf_counter()
                self.generator(g_input)
                if self.device.type == "cuda":
                    torch.cuda.synchronize()
            return (time.perf_counter() - t0) / n
        except Exception:                      # the first render will say what is wrong
            log.exception("timing the generator failed")
            return None

    def _measured(self, seconds: float, n: int) -> None:
        """Learn the forward's cost per sample from a chunk of n (small batches say little)."""
        if n >= 4:
            s = seconds / n
            self.sample_s = s if self.sample_s is None else 0.7 * self.sample_s + 0.3 * s

    def plan(self, req: RenderRequest, specs: tuple, n: int) -> list[tuple[int, int]]:
        """The chunks a request is rendered in: one unless it is progressive, has one mosaic and
        its forward is estimated above `progressive_above_s`."""
        if not req.progressive or len(specs) != 1 or n < 2:
            return [(0, n)]
        est = self.sample_s
        if est is None or est * n <= self.progressive_above_s:
            return [(0, n)]
        return chunk_plan(n, specs[0].ncol, est, self.chunk_s, self.max_chunk_s)

    # ------------------------------------------------------------------ rendering
    def _inputs(self, req: RenderRequest):
        b, dev = req.batch, self.device
        z = torch.from_numpy(b.z).to(dev)                                        # (B, z_dim)
        label = torch.from_numpy(b.label).to(dev) if b.label is not None else None  # (B, K)
        codes = torch.from_numpy(b.codes).to(dev) if b.codes is not None else None  # (B, code_dim)
        return z, label, codes

    @torch.inference_mode()
    def run(self, req: RenderRequest, on_partial=None, should_stop=None) -> RenderResult | None:
        """Render a request. For a chunked one (`plan`), `on_partial(result)` gets a partial result
        after each chunk but the last, and `should_stop()` is asked before each chunk after the
        first: True abandons the request (returns None)."""
        t0 = time.perf_counter()
        info = self.info
        if info is None or self.generator is None:
            raise RuntimeError("no model is loaded")
        z, label, codes = self._inputs(req)
        if info.num_classes and label is None:
            label = torch.zeros(z.shape[0], info.num_classes, device=self.device)
            label[:, 0] = 1
        g_input = self.generator.build_input(z, label, codes)                     # (B, input_dim)
        n = g_input.shape[0]
        if not info.is_image:
            x = self.forward(g_input)                                             # (B, D)
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            out = RenderResult(req.channel, req.stamp, req.model_id, req.batch, done=n,
                               forward_s=time.perf_counter() - t0)
            if req.scores and self.discriminator is not None:
                out.scores = self._scores(x, label)
            out.points = np.ascontiguousarray(x.float().cpu().numpy())            # (B, D) float32
            out.first_s = out.total_s = time.perf_counter() - t0
            return out
        scores = req.scores and self.discriminator is not None
        specs = tuple(req.grids) or (GridSpec(n, int(math.ceil(math.sqrt(n)))),)
        c, h, w = info.output_shape
        mosaics, starts, s = [], [], 0
        for spec in specs:
            mosaics.append(Mosaic(spec.count, spec.ncol, spec.pad, (h, w, c), spec.zoom, spec.size))
            starts.append(s)
            s += spec.count
        chunks = self.plan(req, specs, n)
        images = None if len(chunks) == 1 else np.empty((n, h, w, c), np.uint8)   # (B, H, W, C)
        score_parts, forward_s, first_s, patches, since, shown_at = [], 0.0, 0.0, [], 0, 0.0
        for k, (a, b) in enumerate(chunks):
            if k and should_stop is not None and should_stop():
                return None
            t1 = time.perf_counter()
            part = g_input if len(chunks) == 1 else g_input[a:b]
            if scores:
                x, images_t = self.forward(part), None                            # (b-a, C, H, W)
            else:
                x, images_t = None, self.forward_u8(part)                         # (b-a, H, W, C) uint8
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t1
            forward_s += dt
            self._measured(dt, b - a)
            if scores:
                score_parts.append(self._scores(x, None if label is None else label[a:b]))
            chunk = to_uint8(x, info.value_range) if images_t is None else np.ascontiguousarray(images_t.cpu().numpy())
            if images is None:
                images = chunk
            else:
                images[a:b] = chunk
            for i, (m, s) in enumerate(zip(mosaics, starts)):
                lo, hi = max(a, s), min(b, s + m.count)
                if lo < hi:
                    region = m.add(images[lo:hi], lo - s, hi - s)
                    if len(chunks) > 1:
                        patches.append(_patch(i, m, region))
            if k == 0:
                first_s = time.perf_counter() - t0
            now = time.perf_counter()
            if b < n and on_partial is not None and (k == 0 or now - shown_at >= self.frame_s):
                # at most one partial result a display frame: more would cost the UI thread paints
                # nobody sees; the patches of the chunks in between go with the next one
                on_partial(RenderResult(req.channel, req.stamp, req.model_id, req.batch, images=images[:b],
                                        specs=specs, scores=_joined(score_parts), forward_s=forward_s,
                                        total_s=now - t0, partial=True, start=since, done=b,
                                        patches=patches, first_s=first_s))
                patches, since, shown_at = [], b, now
        out = RenderResult(req.channel, req.stamp, req.model_id, req.batch, images=images, specs=specs,
                           scores=_joined(score_parts) if scores else None, forward_s=forward_s,
                           start=since, done=n, patches=patches, first_s=first_s)
        out.grids = [m.pixels for m in mosaics]                                   # (H, W, C) uint8 each
        out.display = [m.display for m in mosaics]                                # (zH, zW, 4) uint8 each
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
        """P(real) per sample (BEGAN: D's reconstruction error, `ModelInfo.d_score_kind`); None
        where D cannot score single samples (d_score_kind "none": PacGAN, minibatch std)."""
        if self.info.d_score_kind == "none":
            return None
        try:
            if getattr(self.discriminator, "score_kind", "") == "reconstruction":
                return self.discriminator.rec_error(x.float()).cpu().numpy()     # (B,)
            logit = self.discriminator(x, label) if self.info.num_classes else self.discriminator(x)
        except Exception:                     # D's score is an extra; never fail the render for it
            log.exception("discriminator scoring failed")
            return None
        return torch.sigmoid(logit.float()).cpu().numpy()                        # (B,)


def _joined(parts: list) -> np.ndarray | None:
    """The per-chunk D scores as one array, or None if there are none (or a chunk had none)."""
    if not parts or any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _patch(i: int, m: Mosaic, region: tuple) -> Patch:
    """Mosaic i's region (y0, y1, x0, x1), now final, as a Patch over the mosaic's own buffers."""
    return Patch(i, region, m.map.region(*region), m.pixels, m.display)
