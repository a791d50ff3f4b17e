"""Fully connected networks: the original GAN, CGAN on points/flattened images, InfoGAN-mlp.

G (Goodfellow et al. 2014): ReLU hidden layers, then the output non-linearity, reshaped to
`data_shape` so one class serves 2D points (D,) and flattened images (C, H, W).
D: maxout hidden units with dropout (GAN, CGAN), or LeakyReLU units for InfoGAN, whose Q
head shares D's hidden layers. Deliberately plain: the 2D toy sets (8-Gaussian ring) are
where users watch a GAN learn, so nothing here should be clever.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..base import Generator
from ..config import ModelConfig
from . import LEAK, Discriminator, QHead, WithQ, check_g_input, output_activation, pack_rows


class MLPGenerator(Generator):
    """g_input (B, input_dim) -> g_layers x [Linear(g_width) (+ BatchNorm) + ReLU] -> Linear -> output act."""

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg)
        n_out = math.prod(cfg.data_shape)
        layers, n_in = [], cfg.g_input_dim
        for _ in range(cfg.g_layers):
            if cfg.g_norm == "batch":                 # the norm's shift replaces the bias
                layers += [nn.Linear(n_in, cfg.g_width, bias=False), nn.BatchNorm1d(cfg.g_width), nn.ReLU()]
            else:
                layers += [nn.Linear(n_in, cfg.g_width), nn.ReLU()]
            n_in = cfg.g_width
        layers += [nn.Linear(n_in, n_out), output_activation(cfg.g_output)]
        self.net = nn.Sequential(*layers)

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        check_g_input(g_input, self.cfg)
        out = self.net(g_input)                       # (B, prod(data_shape))
        return out.view(-1, *self.output_shape)       # (B, D) or (B, C, H, W)


class Maxout(nn.Module):
    """n_out maxout units: the max over `pieces` linear pieces each (Goodfellow et al. 2013)."""

    def __init__(self, n_in: int, n_out: int, pieces: int):
        super().__init__()
        self.n_out, self.pieces = n_out, pieces
        self.linear = nn.Linear(n_in, n_out * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear(x)                                        # (N, n_out * pieces)
        return h.view(-1, self.n_out, self.pieces).max(dim=2).values   # (N, n_out); faster backward than amax


class MLPDiscriminator(Discriminator):
    """x (flattened) [+ one-hot y] -> PacGAN pack -> d_layers hidden layers -> head.

    cfg.d_unit "maxout": maxout + dropout (the GAN paper's D); "lrelu": Linear + LeakyReLU
    (+ dropout). `unit` overrides it (InfoGAN's trunk is always lrelu).
    """

    def __init__(self, cfg: ModelConfig, unit: str | None = None):
        super().__init__(cfg)
        dropout = cfg.dropout if unit is None else 0.0   # InfoGAN's trunk has none
        unit = unit or cfg.d_unit
        n_in = (math.prod(cfg.data_shape) + cfg.num_classes) * cfg.pack
        layers = []
        for _ in range(cfg.d_layers):
            if unit == "maxout":
                layers.append(nn.Sequential(Maxout(n_in, cfg.d_width, cfg.maxout_pieces),
                                            nn.Dropout(cfg.dropout)))
            else:
                extra = [nn.Dropout(dropout)] if dropout else []
                layers.append(nn.Sequential(nn.Linear(n_in, cfg.d_width), nn.LeakyReLU(LEAK), *extra))
            n_in = cfg.d_width
        self.hidden = nn.ModuleList(layers)
        self.trunk_dim = n_in
        self.head = nn.Linear(n_in, self.n_logits)

    def _trunk(self, x, y):
        v = x.flatten(1)                               # (N, D)
        if y is not None:
            v = torch.cat([v, y], dim=1)               # (N, D + K): CGAN conditions D on y
        h = pack_rows(v, self.pack)                    # (N / pack, pack * (D + K))
        feats = []
        for layer in self.hidden:
            h = layer(h)                               # (N / pack, d_width)
            feats.append(h)
        return feats, h


class InfoMLPDiscriminator(WithQ, MLPDiscriminator):
    """InfoGAN on points/flattened images: a LeakyReLU MLP trunk shared by the head and Q."""

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg, unit="lrelu")
        self.q = QHead(self.trunk_dim, cfg)
