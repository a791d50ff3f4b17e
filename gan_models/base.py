"""The small interface every generator and discriminator exposes.

Panels and the trainer rely only on these attributes and methods (capabilities, not
isinstance checks):

Generator
    z_dim, num_classes (0 = unconditional), code_layout (empty for non-InfoGAN),
    output_shape ((C, H, W) or (D,)), is_image, z_dist, input_dim
    build_input(z, label=None, codes=None) -> (B, input_dim) full G input
    forward(g_input) -> (B, *output_shape) in the model's output range
    generate(z, label=None, codes=None) == forward(build_input(...))

Discriminator
    forward(x, y=None) -> (B // pack,) real-vs-fake logit; a softmax head returns
        l_real - l_fake, so sigmoid(logit) is P(real) for both heads
    head_logits(x, y=None) -> (B // pack, 1 or 2) raw head output
    features(x, y=None) -> list of intermediate activations (for the feature probe)
    InfoGAN only: forward_with_q(x) -> (logit, QOutput)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .config import ModelConfig


@dataclass(frozen=True)
class CodeLayout:
    """InfoGAN latent code layout: categorical one-hots first, then continuous values."""
    categorical: tuple = ()   # category count of each categorical code, e.g. (10,)
    continuous: int = 0       # number of continuous codes

    @property
    def dim(self) -> int:
        return sum(self.categorical) + self.continuous

    def __bool__(self) -> bool:
        return self.dim > 0

    def names(self) -> list[str]:
        """Stable user-facing names: c1..cK for categorical, then cont1..contM."""
        return [f"cat{i + 1}" for i in range(len(self.categorical))] + \
               [f"cont{i + 1}" for i in range(self.continuous)]

    def encode(self, cat: torch.Tensor | None, cont: torch.Tensor | None, batch: int,
               device=None) -> torch.Tensor:
        """(B, n_cat) category indices + (B, n_cont) values -> (B, dim) code vector.

        Missing parts default to category 0 and value 0.
        """
        parts = []
        for i, k in enumerate(self.categorical):
            idx = cat[:, i] if cat is not None else torch.zeros(batch, dtype=torch.long, device=device)
            parts.append(nn.functional.one_hot(idx.long(), k).float())   # (B, k)
        if self.continuous:
            parts.append(cont.float() if cont is not None
                         else torch.zeros(batch, self.continuous, device=device))  # (B, n_cont)
        return torch.cat(parts, dim=1) if parts else torch.zeros(batch, 0, device=device)

    def sample(self, batch: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Training-time code prior: uniform categories, continuous ~ U(-1, 1)."""
        cat = torch.stack([torch.randint(0, k, (batch,), generator=generator) for k in self.categorical], 1) \
            if self.categorical else torch.zeros(batch, 0, dtype=torch.long)
        cont = torch.rand(batch, self.continuous, generator=generator) * 2 - 1
        return cat, cont


@dataclass
class QOutput:
    cat_logits: list          # one (B, k) tensor per categorical code
    cont_mean: torch.Tensor   # (B, n_cont)
    cont_logstd: torch.Tensor  # (B, n_cont)


def label_vector(label, batch: int, num_classes: int, device=None) -> torch.Tensor:
    """int | (B,) long | (B, K) float soft labels -> (B, K) float label vector."""
    if isinstance(label, int):
        label = torch.full((batch,), label, dtype=torch.long, device=device)
    if not torch.is_tensor(label):
        label = torch.as_tensor(label, device=device)
    if label.dtype in (torch.int64, torch.int32, torch.int16, torch.uint8):
        return nn.functional.one_hot(label.long(), num_classes).float()
    if label.dim() != 2 or label.shape[1] != num_classes:
        raise ValueError(f"soft labels must be (B, {num_classes}), got {tuple(label.shape)}")
    return label.float()


class Generator(nn.Module):
    """Base class: capability attributes and input building shared by all generators."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim
        self.num_classes = cfg.num_classes
        self.code_layout = CodeLayout(tuple(cfg.cat_codes), cfg.cont_codes)
        self.output_shape = tuple(cfg.data_shape)
        self.is_image = cfg.is_image
        self.z_dist = cfg.z_dist
        self.input_dim = cfg.g_input_dim

    def build_input(self, z: torch.Tensor, label=None, codes: torch.Tensor | None = None) -> torch.Tensor:
        """(B, z_dim) z [+ label] [+ (B, code_dim) codes] -> (B, input_dim)."""
        b = z.shape[0]
        parts = [z]
        if self.num_classes:
            parts.append(label_vector(0 if label is None else label, b, self.num_classes, z.device).to(z.dtype))
        if self.code_layout:
            parts.append((codes if codes is not None else self.code_layout.encode(None, None, b, z.device)).to(z))
        return torch.cat(parts, dim=1)

    def generate(self, z: torch.Tensor, label=None, codes=None) -> torch.Tensor:
        return self(self.build_input(z, label, codes))


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv/linear weights N(0, 0.02), BN weights N(1, 0.02), biases 0."""
    from torch.nn.utils import parametrize
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            # a spectral-normed layer's weight is computed; initialise the tensor it is computed from
            w = m.parametrizations.weight.original if parametrize.is_parametrized(m, "weight") else m.weight
            nn.init.normal_(w, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
