"""The projector: find the generator input (z, and a CGAN label / InfoGAN codes) whose image
matches a given one.

    result = project(ck.generator, target, ck.discriminator)   # target: (C, H, W) in [-1, 1]
    result.z, result.label, result.codes, result.image, result.pixel_mse

Adam on z (and InfoGAN's continuous codes) with a pixel loss, plus a discriminator-feature
loss when the checkpoint holds D (bundled models are generator-only: pixel loss alone).
Discrete inputs (a CGAN's class, an InfoGAN categorical code) cannot be followed by a
gradient, so every value is tried: the search stage runs `restarts` rows per candidate
value, then only the rows of the best candidate (lowest mean loss over its restarts) go on. All rows run as one batch; the loss
is a sum over rows, and Adam is element-wise, so the rows do not influence each other.

Pure torch, no Qt. Deterministic from `seed`. `progress` is called every `report_every`
steps; `should_stop` is checked between steps (a stopped run returns its best so far).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from gan_models.errors import GanExplorerError, in_words
from gan_models.latent import sample_z

MAX_CANDIDATES = 256     # discrete input combinations tried one by one


@dataclass
class ProjectorConfig:
    """How hard to search. The numbers in the comments are the mean pixel MSE over 20 held-out
    digits projected into the bundled dcgan-digits (bench/projector_quality.py has the full run)."""
    steps: int = 300              # Adam steps in all: 100 -> 0.0117, 200 -> 0.0059, 300 -> 0.0041 (lr 0.05)
    restarts: int = 4             # rows per candidate: 1 -> 0.0052, 2 -> 0.0047, 4 -> 0.0041 (lr 0.05)
    search_fraction: float = 0.3  # share of the steps every discrete candidate is searched before pruning
    keep_candidates: int = 1      # candidates refined after the search (2 found no more right CGAN labels)
    lr: float = 0.1               # Adam step on z: 0.0030 (0.05: 0.0041, 0.02: 0.0073; a cosine decay 0.0048)
    pixel_weight: float = 1.0     # mean squared pixel error in [-1, 1] units
    feature_weight: float = 0.1   # D-feature distance, each layer / the target's mean square; on a short
                                  # DCGAN run with D it was neutral (0.0070 without, 0.0066-0.0069 at 0.03-1)
    prior_weight: float = 0.01    # (|z|^2 / z_dim - 1)^2 for a normal z: without it |z|^2 / z_dim drifts to
                                  # 1.37 (off the prior's shell) and the MSE is worse (0.0035 vs 0.0030)
    code_range: float = 1.5       # |continuous code| limit (trained on U(-1, 1); a little headroom)
    report_every: int = 10        # progress callback period, in steps
    seed: int = 0                 # initial z of every row


@dataclass
class ProjectionProgress:
    step: int                     # steps done
    steps: int                    # steps planned
    loss: float                   # best row's total loss
    image: torch.Tensor           # (C, H, W) best row's image in [-1, 1]


@dataclass
class ProjectionResult:
    z: np.ndarray                 # (z_dim,) float32
    label: int | None             # CGAN class found, else None
    codes: np.ndarray | None      # (code_dim,) float32 code vector (one-hot cats, then cont)
    cat: list                     # InfoGAN categorical values found
    cont: list                    # InfoGAN continuous values found
    image: torch.Tensor           # (C, H, W) G's output in [-1, 1]
    target: torch.Tensor          # (C, H, W) the target in [-1, 1]
    loss: float                   # total loss of the best row
    pixel_mse: float              # mean squared error in [-1, 1] pixel units
    losses: tuple                 # which losses were used: ("pixel",) or ("pixel", "D features")
    steps_done: int
    cancelled: bool
    history: list = field(default_factory=list)          # (step, best total loss)
    candidates: dict = field(default_factory=dict)       # candidate text -> best loss after search

    @property
    def psnr(self) -> float:
        """PSNR in dB with the [-1, 1] range as peak-to-peak (peak 2)."""
        return 10 * math.log10(4.0 / max(self.pixel_mse, 1e-12))

    def describe(self, class_names=None) -> str:
        bits = [f"pixel MSE {self.pixel_mse:.4f} (PSNR {self.psnr:.1f} dB)"]
        if self.label is not None:
            name = class_names[self.label] if class_names and self.label < len(class_names) else str(self.label)
            bits.append(f"label {name}")
        bits += [f"cat{i + 1}={v}" for i, v in enumerate(self.cat)]
        bits += [f"cont{i + 1}={v:+.2f}" for i, v in enumerate(self.cont)]
        bits.append("losses: " + " + ".join(self.losses))
        return ", ".join(bits)


# ---------------------------------------------------------------- losses

class _FeatureLoss:
    """Distance of D's intermediate activations, each layer divided by the target's mean
    square so layers of any scale weigh alike. D is frozen; gradients reach only G's input."""

    def __init__(self, D, target: torch.Tensor):
        from .feature_probe import _d_inputs
        self.D, self._inputs = D, _d_inputs
        with torch.no_grad():
            self.ref = [f.detach() for f in self._features(target[None])]   # each (1, ...)
        self.scale = [r.square().mean().clamp_min(1e-8) for r in self.ref]

    def _features(self, x):
        xb, yb = self._inputs(self.D, x)
        return self.D.features(xb, yb)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B,) feature distance per row."""
        total = 0.0
        for f, r, s in zip(self._features(x), self.ref, self.scale):
            total = total + (f - r).square().flatten(1).mean(1) / s        # (B,)
        return total


# ---------------------------------------------------------------- the search

def _candidates(g) -> list[tuple]:
    """Every combination of discrete inputs: (label or None, (cat values...))."""
    labels = list(range(g.num_classes)) if g.num_classes else [None]
    cats = [range(k) for k in g.code_layout.categorical]
    combos = [(lab, tuple(c)) for lab in labels for c in itertools.product(*cats)]
    if len(combos) > MAX_CANDIDATES:
        raise GanExplorerError(f"this model has {len(combos)} combinations of class and categorical "
                               f"codes; the projector tries each and handles at most {MAX_CANDIDATES}")
    return combos


def _rank(cands: list[tuple], total: torch.Tensor, restarts: int) -> dict:
    """candidate -> mean loss of its restarts, best first. The mean, not the minimum: a CGAN
    can draw a 7 under label 9 from some z, but under label 7 from most z (ranking by the
    minimum found the target's digit for 17 of 20 held-out digits, the mean for 18)."""
    per = total.view(-1, restarts).mean(1)                       # (n_candidates,)
    order = per.argsort().tolist()
    return {cands[i * restarts]: float(per[i]) for i in order}


def _candidate_text(cand: tuple, class_names) -> str:
    label, cat = cand
    bits = [] if label is None else [f"label {class_names[label] if class_names else label}"]
    return " ".join(bits + [f"cat{i + 1}={v}" for i, v in enumerate(cat)]) or "z only"


class _Rows:
    """The batch being optimised: one row per (candidate, restart). Parameters z and cont
    with their Adam moments, plus fixed discrete inputs."""

    def __init__(self, g, cands: list[tuple], restarts: int, seed: int):
        self.cand = [c for c in cands for _ in range(restarts)]
        n = len(self.cand)
        self.z = sample_z(n, g.z_dim, seed, g.z_dist)                            # (n, z_dim)
        gen = torch.Generator().manual_seed(int(seed) + 1)
        self.cont = torch.zeros(n, g.code_layout.continuous)
        if g.code_layout.continuous:
            self.cont = torch.rand(n, g.code_layout.continuous, generator=gen) * 2 - 1   # (n, n_cont)
        self.z.requires_grad_(True)
        self.cont.requires_grad_(True)
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0
        self._inputs(g)

    def _inputs(self, g):
        n = len(self.cand)
        self.label = (torch.tensor([c[0] for c in self.cand]) if g.num_classes else None)   # (n,)
        self.cat = torch.tensor([c[1] for c in self.cand], dtype=torch.long).view(n, -1)    # (n, n_cat)

    def keep(self, g, idx: torch.Tensor) -> None:
        self.cand = [self.cand[int(i)] for i in idx]
        self.z, self.cont = (p[idx].clone().requires_grad_(True) for p in self.params)
        self.m = [m[idx] for m in self.m]
        self.v = [v[idx] for v in self.v]
        self._inputs(g)

    @property
    def params(self) -> list:
        return [self.z, self.cont]

    def codes(self, g) -> torch.Tensor | None:
        if not g.code_layout:
            return None
        return g.code_layout.encode(self.cat, self.cont, len(self.cand))       # (n, code_dim)

    def adam_step(self, grads, lr: float, b1=0.9, b2=0.999, eps=1e-8) -> None:
        self.t += 1
        for p, g_, m, v in zip(self.params, grads, self.m, self.v):   # (in place, under no_grad)
            if g_ is None:
                continue
            m.mul_(b1).add_(g_, alpha=1 - b1)
            v.mul_(b2).addcmul_(g_, g_, value=1 - b2)
            step = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
            p.sub_(step * m / (v.sqrt() + eps))


def _check_target(g, target) -> torch.Tensor:
    if not g.is_image:
        raise GanExplorerError("the projector works on image models; this one makes points")
    t = torch.as_tensor(target, dtype=torch.float32)
    if tuple(t.shape) != tuple(g.output_shape):
        raise GanExplorerError(f"target image is {tuple(t.shape)}, the model makes {tuple(g.output_shape)}; "
                               "convert it with train.projector.prepare_target")
    if not torch.isfinite(t).all():
        raise GanExplorerError("target image contains NaN or infinite values")
    return t.clamp(-1, 1)


def project(generator, target, discriminator=None, cfg: ProjectorConfig | None = None,
            value_range=(-1.0, 1.0), progress=None, should_stop=None) -> ProjectionResult:
    """Find the input whose G(input) is closest to `target`.

    Parameters
    ----------
    generator : a Generator (capabilities: z_dim, z_dist, num_classes, code_layout)
    target : (C, H, W) tensor in [-1, 1], the model's image shape (see `prepare_target`)
    discriminator : D of the same checkpoint, or None (pixel loss only)
    value_range : G's output range; outputs are mapped to [-1, 1] before the losses
    progress : callable(ProjectionProgress), every cfg.report_every steps and at the end
    should_stop : callable() -> bool, checked between steps
    """
    cfg = cfg or ProjectorConfig()
    if cfg.steps < 1 or cfg.restarts < 1 or cfg.lr <= 0:
        raise GanExplorerError(f"steps ({cfg.steps}), restarts ({cfg.restarts}) and lr ({cfg.lr}) "
                               "must be positive")
    g = generator
    target = _check_target(g, target)
    lo, hi = (float(v) for v in value_range)
    feat = _FeatureLoss(discriminator, target) if discriminator is not None and cfg.feature_weight > 0 else None
    losses = ("pixel", "D features") if feat is not None else ("pixel",)
    cands = _candidates(g)
    from .step_memory import check_projector_memory
    check_projector_memory(len(cands), cfg.restarts, g.cfg, next(g.parameters()).device)
    rows = _Rows(g, cands, cfg.restarts, cfg.seed)
    search_steps = round(cfg.steps * cfg.search_fraction) if len(cands) > 1 else 0
    params = [p for p in g.parameters()]
    grads_were = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    history, ranking, cancelled, step = [], {}, False, 0
    try:
        for step in range(1, cfg.steps + 1):
            x, _, total = _losses(g, rows, target, feat, cfg, lo, hi)
            grads = torch.autograd.grad(total.sum(), rows.params, allow_unused=True)
            with torch.no_grad():
                best = int(total.argmin())
                history.append((step - 1, float(total[best])))
                rows.adam_step(grads, cfg.lr)   # constant: a cosine decay to 0 ended 60% worse (measured)
                if g.z_dist == "uniform":
                    rows.z.clamp_(-1, 1)       # the prior's support: z stays one G was trained on
                rows.cont.clamp_(-cfg.code_range, cfg.code_range)
                if step == search_steps:
                    ranking = _rank(rows.cand, total, cfg.restarts)
                    kept = set(list(ranking)[:cfg.keep_candidates])
                    rows.keep(g, torch.tensor([i for i, c in enumerate(rows.cand) if c in kept]))
                if progress is not None and step % cfg.report_every == 0:
                    progress(ProjectionProgress(step, cfg.steps, history[-1][1], x[best].detach().clone()))
            if should_stop is not None and should_stop():
                cancelled = True
                break
        result = _finish(g, rows, target, feat, cfg, lo, hi, losses, step, cancelled, history, ranking)
    finally:
        for p, was in zip(params, grads_were):
            p.requires_grad_(was)
    if progress is not None:
        progress(ProjectionProgress(result.steps_done, cfg.steps, result.loss, result.image.clone()))
    return result


def _losses(g, rows, target, feat, cfg, lo, hi):
    """-> (images (n, C, H, W) in [-1, 1], pixel MSE (n,), total loss (n,)) of every row."""
    x = (g.generate(rows.z, rows.label, rows.codes(g)) - lo) * (2.0 / (hi - lo)) - 1.0
    pix = (x - target).square().flatten(1).mean(1)                                   # (n,)
    total = cfg.pixel_weight * pix
    if feat is not None:
        total = total + cfg.feature_weight * feat(x)
    if g.z_dist == "normal" and cfg.prior_weight > 0:
        total = total + cfg.prior_weight * (rows.z.square().mean(1) - 1.0).square()   # near |z|^2 = z_dim
    return x, pix, total


@torch.no_grad()
def _finish(g, rows, target, feat, cfg, lo, hi, losses, steps_done, cancelled, history, ranking):
    """Score the rows as they stand after the last step and return the best one."""
    codes = rows.codes(g)
    x, pix, total = _losses(g, rows, target, feat, cfg, lo, hi)
    b = int(total.argmin())
    history.append((steps_done, float(total[b])))
    label, cat = rows.cand[b]
    return ProjectionResult(
        z=rows.z[b].numpy().astype(np.float32).copy(), label=label,
        codes=None if codes is None else codes[b].numpy().astype(np.float32).copy(),
        cat=list(cat), cont=[float(v) for v in rows.cont[b]], image=x[b].clone(), target=target,
        loss=float(total[b]), pixel_mse=float(pix[b]), losses=losses, steps_done=steps_done,
        cancelled=cancelled, history=history,
        candidates={_candidate_text(c, None): v for c, v in ranking.items()})


# ---------------------------------------------------------------- images in

def load_image(path) -> torch.Tensor:
    """A PNG/JPEG/... file -> (C, H, W) float in [0, 1], C = 1 (grey) or 3 (colour).
    Transparency is flattened onto black (the background of the digits data)."""
    from .data.sizes import check_pixels, pil_image, too_large
    Image = pil_image()
    try:
        with Image.open(path) as im:
            check_pixels(im.size[1], im.size[0], str(path))      # from the header, before decoding
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                im = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
                im.alpha_composite(rgba)
            im = im.convert("L" if im.mode in ("L", "LA", "1", "I", "I;16", "F") else "RGB")
            arr = np.asarray(im, dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise GanExplorerError(f"{path}: no such image file") from None
    except Image.DecompressionBombError as e:
        raise GanExplorerError(too_large(str(path), e)) from None
    except (GanExplorerError, MemoryError):
        raise
    except Exception as e:     # PIL raises SyntaxError, EOFError, struct.error... on damaged files
        raise GanExplorerError(f"{path}: not a readable image ({in_words(e)})") from None
    t = torch.from_numpy(arr)
    return t[None] if t.dim() == 2 else t.permute(2, 0, 1).contiguous()           # (C, H, W)


def prepare_target(image01: torch.Tensor, data_shape, invert: bool = False) -> torch.Tensor:
    """(C, H, W) float in [0, 1], any size and channel count -> the model's (C, H, W) in [-1, 1]
    (padded to a square, antialiased resize, grey <-> colour, as training data is)."""
    from .data.base import conform
    x = torch.as_tensor(image01, dtype=torch.float32)
    if x.dim() == 2:
        x = x[None]
    if x.dim() != 3 or x.shape[0] not in (1, 3, 4):
        raise GanExplorerError(f"expected an image of shape (C, H, W) with 1 or 3 channels, got {tuple(x.shape)}")
    x = x[:3].clamp(0, 1)
    if invert:
        x = 1.0 - x
    c, h, w = (int(v) for v in data_shape)
    if h == w:
        return conform(x[None].clone(), h, c)[0]                                   # (C, H, W)
    x = F.interpolate(x[None], size=(h, w), mode="bilinear", antialias=True, align_corners=False)
    return conform(x.clamp(0, 1), None, c)[0]
