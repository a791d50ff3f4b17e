"""Latents as the panels pass them around: z plus the label and codes that go with it.

A `Latent` is one point of the generator's input (z, a soft label vector for CGANs, a code
vector for InfoGANs), so averaging, arithmetic and interpolation treat all parts alike and
A - A + A is exactly A. A `LatentBatch` is the same as arrays, ready for a render request.
Pure numpy/torch, no Qt.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch

from gan_models import latent as L

from .model_session import ModelInfo


@dataclass(frozen=True)
class Latent:
    z: np.ndarray                      # (z_dim,) float32
    label: np.ndarray | None = None    # (K,) float32 soft label (CGAN)
    codes: np.ndarray | None = None    # (code_dim,) float32 code vector (InfoGAN)
    note: str = ""                     # where it came from, e.g. "seed 7 #12"

    def parts(self) -> list:
        return [self.z, self.label, self.codes]

    def describe(self, info: ModelInfo | None = None, dims: int = 6) -> str:
        """Human summary: note, first z dims, label and codes."""
        head = ", ".join(f"{v:+.2f}" for v in self.z[:dims])
        lines = [self.note] if self.note else []
        lines.append(f"z[:{min(dims, len(self.z))}] = [{head}{', …' if len(self.z) > dims else ''}]")
        if self.label is not None:
            lines.append("label: " + label_text(self.label, info))
        if self.codes is not None and info is not None:
            lines.append("codes: " + codes_text(self.codes, info))
        return "\n".join(lines)


@dataclass
class LatentBatch:
    z: np.ndarray                       # (B, z_dim) float32
    label: np.ndarray | None = None     # (B, K) float32
    codes: np.ndarray | None = None     # (B, code_dim) float32
    notes: list = field(default_factory=list)

    def __len__(self) -> int:
        return self.z.shape[0]

    def latent(self, i: int) -> Latent:
        return Latent(self.z[i].copy(),
                      None if self.label is None else self.label[i].copy(),
                      None if self.codes is None else self.codes[i].copy(),
                      self.notes[i] if i < len(self.notes) else "")


def stack(latents: list[Latent]) -> LatentBatch:
    """Latents -> arrays for one request."""
    def col(parts):
        return None if parts[0] is None else np.stack(parts).astype(np.float32)
    return LatentBatch(col([x.z for x in latents]), col([x.label for x in latents]),
                       col([x.codes for x in latents]), [x.note for x in latents])


def mean(latents: list[Latent], note: str = "") -> Latent:
    """Average of one or more latents, every part alike (a DCGAN-paper concept vector)."""
    if not latents:
        raise ValueError("a slot needs at least one latent")
    b = stack(latents)
    avg = [None if a is None else a.mean(0) for a in (b.z, b.label, b.codes)]
    return Latent(*avg, note=note or (latents[0].note if len(latents) == 1 else f"mean of {len(latents)}"))


def combine(a: Latent, b: Latent, c: Latent) -> Latent:
    """a - b + c on every part (z, label, codes)."""
    out = [None if pa is None else (pa - pb + pc).astype(np.float32)
           for pa, pb, pc in zip(a.parts(), b.parts(), c.parts())]
    return Latent(*out, note="A − B + C")


_DRAWS: OrderedDict = OrderedDict()     # what the prior draw depends on -> the untruncated LatentBatch


def sample_batch(info: ModelInfo, n: int, seed: int, truncation: float | None = None,
                 label: int | None = None) -> LatentBatch:
    """n latents for `seed`, drawn as the model was trained: z from its prior; CGAN labels
    uniform over classes (or all `label`); InfoGAN codes from the code prior.

    The untruncated draw is kept for the last few (prior, n, seed, label): dragging the
    truncation slider redraws the same latents, and drawing them sat on the UI thread's path
    from slider to render request (0.3-0.4 ms per change with the render thread busy).
    """
    key = (info.z_dim, info.z_dist, info.num_classes, info.code_layout, n, seed, label)
    draw = _DRAWS.get(key)
    if draw is None:
        z, labels, codes, _, _ = L.prior_inputs(info, n, seed, None, label)
        lab = None if labels is None else np.eye(info.num_classes, dtype=np.float32)[labels.numpy()]   # (n, K)
        draw = LatentBatch(z.numpy().astype(np.float32), lab, None if codes is None else codes.numpy(),
                           [f"seed {seed} #{i}" for i in range(n)])
        _DRAWS[key] = draw
        while len(_DRAWS) > 8:
            _DRAWS.popitem(last=False)
    _DRAWS.move_to_end(key)
    # z * psi in numpy: the bits torch gives, without torch's dispatch on the UI thread's path
    # (float(): a numpy float64 psi would make the product float64)
    z = L.truncate(draw.z, None if truncation is None else float(truncation))
    return LatentBatch(z.copy() if z is draw.z else z,                # psi None / 1: the cache itself
                       None if draw.label is None else draw.label.copy(),
                       None if draw.codes is None else draw.codes.copy(), list(draw.notes))


def random_latent(info: ModelInfo, seed: int, index: int = 0) -> Latent:
    """Sample #index of `seed` as the default 8x8 Sampling grid draws it."""
    return sample_batch(info, max(index + 1, 64), seed).latent(index)


def interpolate(a: Latent, b: Latent, steps: int, mode: str) -> LatentBatch:
    """steps latents from a to b inclusive; lerp or slerp on z, lerp on label and codes."""
    za, zb = torch.from_numpy(a.z), torch.from_numpy(b.z)
    z = L.interpolate(za, zb, steps, mode).numpy()                          # (steps, z_dim)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]              # (steps, 1)

    def mix(pa, pb):
        return None if pa is None else ((1 - t) * pa[None] + t * pb[None]).astype(np.float32)
    return LatentBatch(z.astype(np.float32), mix(a.label, b.label), mix(a.codes, b.codes),
                       [f"{mode} t={x:.2f}" for x in t[:, 0]])


def neighbours(x: Latent, n: int, scale: float, seed: int = 0) -> LatentBatch:
    """n small perturbations of x's z (label and codes kept)."""
    z = L.neighbours(torch.from_numpy(x.z), n, scale, seed).numpy().astype(np.float32)
    rep = (lambda p: None if p is None else np.repeat(p[None], n, 0))
    return LatentBatch(z, rep(x.label), rep(x.codes), [f"neighbour {i + 1}" for i in range(n)])


def concat(batches: list[LatentBatch]) -> LatentBatch:
    def cat(parts):
        return None if parts[0] is None else np.concatenate(parts).astype(np.float32)
    return LatentBatch(cat([b.z for b in batches]), cat([b.label for b in batches]),
                       cat([b.codes for b in batches]), sum((b.notes for b in batches), []))


def label_text(label: np.ndarray, info: ModelInfo | None) -> str:
    """"3 (cat)" for a one-hot label, "60% 3 + 40% 8" for a soft one."""
    values = label.tolist()              # plain floats: this runs on every shown sample, and
    order = sorted(range(len(values)), key=lambda i: -values[i])   # numpy per-call cost dominated
    name = (lambda i: info.class_name(int(i)) if info is not None else str(int(i)))
    if abs(values[order[0]] - 1.0) <= 1e-5 and abs(sum(map(abs, values)) - 1.0) <= 1e-5:
        return name(order[0])
    parts = [f"{values[i]:.0%} {name(i)}" for i in order[:3] if abs(values[i]) > 1e-3]
    return " + ".join(parts) or "none"


def codes_text(codes: np.ndarray, info: ModelInfo) -> str:
    """"cat1=3 cont1=+0.50 cont2=-1.00" from a code vector."""
    layout, out, i = info.code_layout, [], 0
    for j, k in enumerate(layout.categorical):
        out.append(f"cat{j + 1}={int(np.argmax(codes[i:i + k]))}")
        i += k
    for j in range(layout.continuous):
        out.append(f"cont{j + 1}={codes[i + j]:+.2f}")
    return " ".join(out)
