"""Convolutional networks: DCGAN (Radford et al. 2015), conditional CGAN, InfoGAN (conv).

Generator: z -> Linear -> reshape -> [ConvTranspose(4, stride 2) + BN + ReLU]* ->
ConvTranspose -> Tanh. Discriminator mirrors it: [Conv(4, stride 2) + BN + LeakyReLU(0.2)]*
(no BN on the first layer) -> flatten -> Linear head. No pooling and no hidden fully
connected layers (DCGAN's rules); only the InfoGAN-28 nets add the FC-1024 layer of the
InfoGAN paper's MNIST architecture.

Spatial plan per image size S, with ngf = cfg.g_width (G's last hidden channels) and
ndf = cfg.d_width (D's first channels):

    S=28: 7 -> 14 -> 28             G channels 2ngf, ngf, C        D channels ndf, 2ndf
    S=32: 4 -> 8 -> 16 -> 32        G channels 4ngf, 2ngf, ngf, C  D channels ndf..4ndf
    S=64: 4 -> 8 -> 16 -> 32 -> 64  G channels 8ngf..ngf, C        D channels ndf..8ndf

S=64 is exactly the DCGAN paper / pytorch examples layout (`legacy.py` relies on it).
Layers followed by BatchNorm have no bias: BN's shift makes it redundant (as in the
reference implementation).
"""
from __future__ import annotations

import torch
from torch import nn

from ..base import Generator
from ..config import ModelConfig
from . import (LEAK, CondBatchNorm2d, Discriminator, QHead, WithQ, check_g_input, minibatch_std,
               output_activation, pack_channels)

# image size -> (side of the first feature map, number of stride-2 layers)
PLAN = {28: (7, 2), 32: (4, 3), 64: (4, 4)}


class ConvGenerator(Generator):
    """DCGAN generator (also CGAN's: its input just carries the one-hot label too).

    fc_hidden > 0 inserts FC(fc_hidden) + BN + ReLU before the projection (InfoGAN-28).
    """

    def __init__(self, cfg: ModelConfig, fc_hidden: int = 0):
        super().__init__(cfg)
        c_out, size = cfg.data_shape[0], cfg.data_shape[1]
        self.start, n_up = PLAN[size]
        self.start_channels = ch = cfg.g_width * 2 ** (n_up - 1)
        n_in, stem = cfg.g_input_dim, []
        if fc_hidden:
            stem = [nn.Linear(n_in, fc_hidden, bias=False), nn.BatchNorm1d(fc_hidden), nn.ReLU()]
            n_in = fc_hidden
        self.stem = nn.Sequential(*stem)               # empty Sequential = identity
        # The DCGAN paper's "project and reshape"; equals a 4x4 ConvTranspose on a 1x1 input.
        self.project = nn.Linear(n_in, ch * self.start ** 2, bias=False)
        # cond "projection": the label sets every BatchNorm's gain and shift (conditional BN),
        # so it reaches every layer instead of only the projection's 4x4 map
        # cond "cbn" (InfoGAN): the categorical codes' one-hots do the same
        self.cond_bn = cfg.cond in ("projection", "cbn")
        n_cond = cfg.num_classes or sum(cfg.cat_codes)          # the one-hots right after z in G's input
        norm = (lambda c: CondBatchNorm2d(c, n_cond)) if self.cond_bn else nn.BatchNorm2d
        self.n_cond = n_cond
        body = [norm(ch), nn.ReLU()]
        for _ in range(n_up - 1):
            body += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),   # doubles H and W
                     norm(ch // 2), nn.ReLU()]
            ch //= 2
        body += [nn.ConvTranspose2d(ch, c_out, 4, 2, 1), output_activation(cfg.g_output)]
        self.body = nn.Sequential(*body)

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        check_g_input(g_input, self.cfg)
        h = self.project(self.stem(g_input))           # (B, ch0 * s0 * s0)
        h = h.view(-1, self.start_channels, self.start, self.start)  # (B, 128, 7, 7) at 28, ngf 64
        if not self.cond_bn:
            return self.body(h)                        # (B, C, S, S)
        y = g_input[:, self.z_dim:self.z_dim + self.n_cond]     # (B, K) one-hot label / categorical codes
        for layer in self.body:
            h = layer(h, y) if isinstance(layer, CondBatchNorm2d) else layer(h)
        return h


class ConvDiscriminator(Discriminator):
    """DCGAN discriminator; CGAN appends K label planes to x's channels (cond "concat") or
    adds a projection term <embed(y), h> to the logit (cond "projection").

    fc_hidden > 0 inserts FC(fc_hidden) + BN + LeakyReLU after the convs (InfoGAN-28).
    d_norm "batch" is DCGAN's BatchNorm after every conv but the first; "spectral" and "none"
    have no BatchNorm (spectral norm itself is applied by the registry, `apply_d_norm`).
    """

    def __init__(self, cfg: ModelConfig, fc_hidden: int = 0):
        super().__init__(cfg)
        c, size = cfg.data_shape[0], cfg.data_shape[1]
        end, n_down = PLAN[size]
        bn = cfg.d_norm == "batch"
        self.label_planes = cfg.num_classes if cfg.cond != "projection" else 0
        c_in, ch, blocks = (c + self.label_planes) * cfg.pack, cfg.d_width, []
        for i in range(n_down):
            first = i == 0       # DCGAN: no BN on D's input layer (it destabilised training)
            blocks.append(nn.Sequential(
                nn.Conv2d(c_in, ch, 4, 2, 1, bias=first or not bn),         # halves H and W
                *([nn.BatchNorm2d(ch)] if bn and not first else []),
                nn.LeakyReLU(LEAK)))
            c_in, ch = ch, ch * 2
        self.blocks = nn.ModuleList(blocks)
        self.mbstd = cfg.d_mbstd
        n_flat = (c_in + (1 if self.mbstd else 0)) * end * end
        self.fc = nn.Sequential(nn.Linear(n_flat, fc_hidden, bias=not bn),
                                *([nn.BatchNorm1d(fc_hidden)] if bn else []),
                                nn.LeakyReLU(LEAK)) if fc_hidden else nn.Sequential()
        self.trunk_dim = fc_hidden or n_flat
        self.head = nn.Linear(self.trunk_dim, self.n_logits)
        if cfg.cond == "projection":                   # logit += <embed(y), h>
            self.embed = nn.Linear(cfg.num_classes, self.trunk_dim, bias=False)

    def _trunk(self, x, y):
        if y is not None and self.label_planes:
            planes = y[:, :, None, None].expand(-1, -1, *x.shape[2:])   # (N, K, H, W)
            x = torch.cat([x, planes], dim=1)                           # (N, C + K, H, W)
        h = pack_channels(x, self.pack)                # (N / pack, pack * (C + K), H, W)
        feats = []
        for block in self.blocks:
            h = block(h)                               # (N / pack, 64, 14, 14) then (.., 128, 7, 7) at 28
            feats.append(h)
        if self.mbstd:
            h = minibatch_std(h, self.mbstd)           # (N / pack, C + 1, end, end)
        return feats, self.fc(h.flatten(1))            # (N / pack, trunk_dim)


def _info_fc(cfg: ModelConfig, width: int) -> int:
    """InfoGAN's MNIST nets have an FC-1024 layer (16 x width 64); at 32/64 reuse DCGAN's."""
    return 16 * width if cfg.data_shape[1] == 28 else 0


class InfoConvGenerator(ConvGenerator):
    """InfoGAN MNIST G: FC 1024-BN-ReLU, FC 7x7x128-BN-ReLU, upconv 64, upconv C."""

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg, fc_hidden=_info_fc(cfg, cfg.g_width))


class InfoConvDiscriminator(WithQ, ConvDiscriminator):
    """InfoGAN MNIST D: conv 64, conv 128-BN, FC 1024-BN (shared trunk); Q: FC 128-BN, FC."""

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg, fc_hidden=_info_fc(cfg, cfg.d_width))
        self.q = QHead(self.trunk_dim, cfg)
