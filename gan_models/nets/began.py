"""BEGAN (Berthelot, Schumm, Metz 2017): an auto-encoder discriminator and a generator of the
decoder's shape, scaled to our image sizes.

Paper architecture (Fig. 1), with n = width and h = the auto-encoder's hidden size:

    decoder / G:  FC(h or z -> s0 x s0 x n), then per scale [conv3x3 n + ELU] x 2, nearest-neighbour
                  upsampling x2 between scales, conv3x3 -> C at the end
    encoder:      conv3x3 n + ELU, then per scale i = 1.. [conv3x3 i*n + ELU] x 2, a stride-2 conv3x3
                  (the paper's sub-sampling) between scales, FC -> h (no non-linearity: the embedding)

No BatchNorm anywhere (the paper's point: equilibrium is held by k_t, not by normalisation).
Scales per image size S (s0 = the first feature map's side):

    S=28: 7 -> 14 -> 28            S=32: 8 -> 16 -> 32            S=64: 8 -> 16 -> 32 -> 64

S=64 is the paper's 64x64 model (its 8x8 start, 4 scales); 28 starts at 7 so the sides stay integers.
G ends in cfg.g_output (tanh by default: our data lives in [-1, 1] and every panel, grid and
metric assumes that range; the paper's reference code left its tanh commented out). D's decoder
ends linear: it regresses pixel values, and an L1 loss on a linear output is the paper's.

D follows the Discriminator interface (`gan_models.base`) with a reconstruction twist:
    reconstruct(x)   -> (N, C, H, W) D's auto-encoding of x
    rec_error(x)     -> (N,) per-sample L(v) = mean |v - D(v)| (the paper's pixel-wise L1, eta = 1)
    forward(x)       -> (N,) -rec_error(x): higher = "more real" to D (a score, NOT a logit:
                        sigmoid of it is no probability; `score_kind` says so to the app)
    features(x)      -> the encoder's activations per scale (for the feature probe and the
                        projector's feature loss, like every conv D's)
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..base import Generator
from ..config import ModelConfig
from . import Discriminator, check_g_input, output_activation

# image size -> (side of the first feature map, number of scales)
PLAN = {28: (7, 3), 32: (8, 3), 64: (8, 4)}


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride, 1)


class _Decoder(nn.Module):
    """FC -> (n, s0, s0), then [conv + ELU, conv + ELU, upsample] per scale, conv -> C."""

    def __init__(self, n_in: int, width: int, size: int, c_out: int):
        super().__init__()
        self.start, n_scales = PLAN[size]
        self.width = width
        self.fc = nn.Linear(n_in, width * self.start ** 2)
        layers = []
        for i in range(n_scales):
            layers += [_conv(width, width), nn.ELU(), _conv(width, width), nn.ELU()]
            if i < n_scales - 1:
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
        layers.append(_conv(width, c_out))
        self.body = nn.Sequential(*layers)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        h = self.fc(v).view(-1, self.width, self.start, self.start)   # (B, n, s0, s0)
        return self.body(h)                                           # (B, C, S, S)


class BeganGenerator(Generator):
    """G: the decoder's shape with its own weights; z ~ U(-1, 1) of size z_dim."""

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg)
        c, size = cfg.data_shape[0], cfg.data_shape[1]
        self.decoder = _Decoder(cfg.g_input_dim, cfg.g_width, size, c)
        self.out = output_activation(cfg.g_output)

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        check_g_input(g_input, self.cfg)
        return self.out(self.decoder(g_input))                        # (B, C, S, S)


class BeganDiscriminator(Discriminator):
    """D: encoder (x -> h-dim embedding) then decoder (embedding -> x); no head, no BatchNorm."""

    score_kind = "reconstruction"     # the app shows rec_error, not sigmoid(forward)

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg)
        c, size = cfg.data_shape[0], cfg.data_shape[1]
        n = cfg.d_width
        end, n_scales = PLAN[size]
        self.stem = nn.Sequential(_conv(c, n), nn.ELU())
        scales, c_in = [], n
        for i in range(n_scales):
            ch = n * (i + 1)
            layers = [_conv(c_in, ch), nn.ELU(), _conv(ch, ch), nn.ELU()]
            if i < n_scales - 1:
                layers += [_conv(ch, ch, stride=2), nn.ELU()]           # sub-sampling: halves H and W
            scales.append(nn.Sequential(*layers))
            c_in = ch
        self.scales = nn.ModuleList(scales)
        self.embed = nn.Linear(c_in * end * end, cfg.h_dim)
        self.decoder = _Decoder(cfg.h_dim, n, size, c)

    def _trunk(self, x, y):
        h = self.stem(x)
        feats = []
        for scale in self.scales:
            h = scale(h)                                  # (N, i*n, S/2^i, S/2^i), last (N, k*n, s0, s0)
            feats.append(h)
        return feats, self.embed(h.flatten(1))            # conv activations, (N, h_dim) embedding

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)[1]

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))

    def rec_error(self, x: torch.Tensor) -> torch.Tensor:
        """(N,) mean absolute reconstruction error per sample."""
        return (self.reconstruct(x) - x).abs().flatten(1).mean(1)

    def head_logits(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return -self.rec_error(x)[:, None]

    def forward(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return -self.rec_error(x)


def init_began(net: nn.Module) -> nn.Module:
    """Glorot (Xavier) uniform weights, zero biases: the initialiser of the paper's reference
    code (TF-slim's default). Measured on the digits, D alone as an auto-encoder (width 32, Adam
    3e-4, batch 16, seed 0): L1 0.150 after 200 steps against 0.223 with PyTorch's default
    (which shrinks the signal through ~10 un-normalised ELU layers, so D's reconstruction sits at
    the mean digit and G copies it)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def l1_rec(x: torch.Tensor, rec: torch.Tensor) -> torch.Tensor:
    """L(v) of the paper for a batch: mean |v - D(v)| over every pixel of every sample."""
    return F.l1_loss(rec.float(), x.float())
