"""Pieces every network shares: input checks, the discriminator interface, PacGAN packing.

`mlp.py` and `conv.py` hold the networks; `gan_models.registry` picks one per config. This
module imports neither, so the network files can import it without a cycle.

Discriminator interface (see `gan_models.base`):
    forward(x, y=None)      -> (B // pack,) real-vs-fake logit, sigmoid(logit) = P(real)
    head_logits(x, y=None)  -> (B // pack, 1 or 2) raw head output
    features(x, y=None)     -> list of intermediate activations
"""
from __future__ import annotations

import torch
from torch import nn

from ..base import QOutput, label_vector
from ..config import ModelConfig

LEAK = 0.2   # LeakyReLU slope of every discriminator (DCGAN and InfoGAN papers)


def output_activation(name: str) -> nn.Module:
    """G's last non-linearity; data is scaled to the matching range by the data loader."""
    return {"tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "linear": nn.Identity()}[name]


def check_g_input(g_input: torch.Tensor, cfg: ModelConfig) -> None:
    """Raise a ValueError that says what a generator input should look like."""
    want = cfg.g_input_dim
    if g_input.dim() != 2 or g_input.shape[1] != want:
        parts = [f"z ({cfg.z_dim})"]
        if cfg.num_classes:
            parts.append(f"one-hot label ({cfg.num_classes})")
        if cfg.code_dim:
            parts.append(f"code ({cfg.code_dim})")
        raise ValueError(f"generator input must be (B, {want}) = {' + '.join(parts)}, "
                         f"got {tuple(g_input.shape)}; use Generator.build_input(z, ...)")


def single_logit(logits: torch.Tensor) -> torch.Tensor:
    """(N, 1) or (N, 2) head output -> (N,) logit with sigmoid(logit) = P(real).

    For a softmax head, softmax([l_real, l_fake])[0] = sigmoid(l_real - l_fake), so one
    loss function (BCE with logits) serves both heads.
    """
    if logits.shape[1] == 1:
        return logits[:, 0]
    return logits[:, 0] - logits[:, 1]


class Discriminator(nn.Module):
    """Common input handling; subclasses implement `_trunk` and own `self.head`.

    `_trunk(x, y)` receives checked, unpacked inputs (x of `data_shape`, y as (N, K) float
    or None) and returns (features, h): the list of intermediate activations and the
    (N // pack, F) vector the head reads.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.pack = cfg.pack
        self.num_classes = cfg.num_classes
        self.data_shape = tuple(cfg.data_shape)
        self.n_logits = 1 if cfg.d_head == "logit" else 2

    # -- input checks shared by every architecture --
    def _check(self, x: torch.Tensor, y) -> tuple[torch.Tensor, torch.Tensor | None]:
        if tuple(x.shape[1:]) != self.data_shape:
            raise ValueError(f"discriminator input must be (N, {', '.join(map(str, self.data_shape))}), "
                             f"got {tuple(x.shape)}")
        n = x.shape[0]
        if n % self.pack:
            raise ValueError(f"discriminator batch of {n} samples is not divisible by pack={self.pack}: "
                             f"PacGAN groups {self.pack} consecutive samples into one input")
        if not self.num_classes:
            return x, None
        if y is None:
            raise ValueError(f"this conditional discriminator needs labels y: (N,) class indices "
                             f"or (N, {self.num_classes}) one-hot/soft labels")
        y = label_vector(y, n, self.num_classes, x.device).to(x.dtype)   # (N, K)
        if y.shape[0] != n:
            raise ValueError(f"got {y.shape[0]} labels for {n} samples")
        return x, y

    def _trunk(self, x: torch.Tensor, y: torch.Tensor | None) -> tuple[list, torch.Tensor]:
        raise NotImplementedError

    def _run(self, x, y=None):
        return self._trunk(*self._check(x, y))

    def head_logits(self, x: torch.Tensor, y=None) -> torch.Tensor:
        x, y = self._check(x, y)
        h = self._trunk(x, y)[1]
        out = self.head(h)                            # (N // pack, 1 or 2)
        embed = getattr(self, "embed", None)          # projection discriminator (cond "projection")
        if embed is not None:
            out = out + (embed(y) * h).sum(1, keepdim=True)
        return out

    def forward(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return single_logit(self.head_logits(x, y))   # (N // pack,)

    def features(self, x: torch.Tensor, y=None) -> list:
        return self._run(x, y)[0]


def pack_rows(v: torch.Tensor, pack: int) -> torch.Tensor:
    """(N, F) -> (N // pack, pack * F): consecutive samples side by side (PacGAN)."""
    return v.reshape(v.shape[0] // pack, pack * v.shape[1])


def pack_channels(x: torch.Tensor, pack: int) -> torch.Tensor:
    """(N, C, H, W) -> (N // pack, pack * C, H, W): consecutive samples stacked as channels."""
    n, c, h, w = x.shape
    return x.reshape(n // pack, pack * c, h, w)


def minibatch_std(h: torch.Tensor, group: int) -> torch.Tensor:
    """ProGAN's minibatch standard deviation (Karras et al. 2018): split the batch into groups of
    `group` samples (the whole batch when it does not divide), take each feature's std across a
    group, average it to one number per group and append it as a constant feature map, so D can
    tell a batch of near-copies (a dropped mode) from a varied one.
    (N, C, H, W) -> (N, C + 1, H, W)."""
    n = h.shape[0]
    g = min(group, n)
    if n % g:
        g = n
    x = h.float().reshape(g, n // g, *h.shape[1:])                 # (G, M, C, H, W): sample i is in group i % M
    std = (x.var(0, unbiased=False) + 1e-8).sqrt()                  # (M, C, H, W)
    s = std.mean((1, 2, 3)).to(h.dtype)                             # (M,)
    s = s.repeat(g)[:, None, None, None].expand(n, 1, *h.shape[2:])   # (N, 1, H, W)
    return torch.cat([h, s], 1)


def apply_d_norm(d: nn.Module, cfg: ModelConfig) -> nn.Module:
    """d_norm "spectral": spectral norm on every Conv2d/Linear of D, except Q's own layers
    (Q is a classifier/regressor, not a critic; Lipschitz control is for D's real/fake score).

    Call after the layers exist; `gan_models.base.init_weights` initialises the parametrized
    weights through their `original` tensor. State-dict keys become
    `....parametrizations.weight.original` (+ the power iteration's `_u`, `_v` buffers), so a
    checkpoint must be loaded into a D built from the same config (the one loader does)."""
    if cfg.d_norm != "spectral":
        return d
    q = getattr(d, "q", None)
    skip = {id(m) for m in q.modules()} if q is not None else set()
    for m in list(d.modules()):
        if id(m) not in skip and isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.utils.parametrizations.spectral_norm(m)
    return d


class CondBatchNorm2d(nn.Module):
    """Class-conditional BatchNorm (de Vries et al. 2017, Miyato & Koyama 2018): normalise
    without affine, then a per-class gain 1 + y @ Wg and shift y @ Wb, so the label reaches
    every layer of G. y is the (B, K) one-hot (or soft) label."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(num_classes, channels, bias=False)
        self.shift = nn.Linear(num_classes, channels, bias=False)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        g = 1 + self.gain(y)[:, :, None, None]           # (B, C, 1, 1)
        return self.bn(h) * g + self.shift(y)[:, :, None, None]


class QHead(nn.Module):
    """InfoGAN's Q: its own hidden layer on D's shared trunk, then the code posteriors.

    Outputs one logits tensor per categorical code and a Gaussian (mean, log-std) per
    continuous code, so the trainer's mutual-information term is a cross-entropy plus a
    Gaussian negative log-likelihood.
    """

    def __init__(self, n_in: int, cfg: ModelConfig):
        super().__init__()
        self.cat_codes = tuple(cfg.cat_codes)
        self.n_cont = cfg.cont_codes
        self.hidden = nn.Sequential(nn.Linear(n_in, cfg.q_width, bias=False),  # bias is BN's job
                                    nn.BatchNorm1d(cfg.q_width), nn.LeakyReLU(LEAK))
        self.out = nn.Linear(cfg.q_width, sum(self.cat_codes) + 2 * self.n_cont)

    def forward(self, h: torch.Tensor):
        o = self.out(self.hidden(h))                      # (N, sum(cat) + 2 * n_cont)
        n_cat = sum(self.cat_codes)
        cat_logits = list(o[:, :n_cat].split(self.cat_codes, dim=1)) if self.cat_codes else []
        cont = o[:, n_cat:]                               # (N, 2 * n_cont)
        return QOutput(cat_logits, cont[:, :self.n_cont], cont[:, self.n_cont:])


class WithQ:
    """Mixin for InfoGAN discriminators: `self.q` reads the same trunk output as the head."""

    def forward_with_q(self, x: torch.Tensor):
        """x (N, *data_shape) -> ((N,) logit, QOutput with (N, ...) tensors)."""
        _, h = self._run(x)
        return single_logit(self.head(h)), self.q(h)
