"""The one place that maps a ModelConfig to its networks, keyed by (kind, arch).

Both builders validate the config first and apply the DCGAN initialisation
(conv/linear N(0, 0.02), BN weight N(1, 0.02)), so every model starts the same way whether
it is trained from scratch or about to receive a checkpoint's weights.
"""
from __future__ import annotations

from torch import nn

from .base import Generator, init_weights
from .config import ModelConfig
from .errors import ConfigError
from .nets.conv import ConvDiscriminator, ConvGenerator, InfoConvDiscriminator, InfoConvGenerator
from .nets.mlp import InfoMLPDiscriminator, MLPDiscriminator, MLPGenerator

# (kind, arch) -> (generator class, discriminator class); each takes the ModelConfig.
NETWORKS = {
    ("gan", "mlp"): (MLPGenerator, MLPDiscriminator),
    ("dcgan", "conv"): (ConvGenerator, ConvDiscriminator),
    ("cgan", "conv"): (ConvGenerator, ConvDiscriminator),
    ("cgan", "mlp"): (MLPGenerator, MLPDiscriminator),
    ("infogan", "conv"): (InfoConvGenerator, InfoConvDiscriminator),
    ("infogan", "mlp"): (MLPGenerator, InfoMLPDiscriminator),
}


def _classes(cfg: ModelConfig, where: str):
    cfg.validate(where)
    pair = NETWORKS.get((cfg.kind, cfg.arch))
    if pair is None:
        archs = [a for k, a in NETWORKS if k == cfg.kind]
        hint = " (a convolutional GAN is a dcgan)" if cfg.kind == "gan" else ""
        raise ConfigError(f"{where}: field 'arch' = {cfg.arch!r}; a {cfg.kind} supports "
                          f"{' or '.join(archs)}{hint}")
    if cfg.kind == "infogan" and cfg.pack != 1:
        # Q must predict each sample's own code, so D cannot see packed samples.
        raise ConfigError(f"{where}: field 'pack' = {cfg.pack}; expected 1 for an infogan")
    return pair


def build_generator(cfg: ModelConfig, where: str = "model config") -> Generator:
    """A freshly initialised generator for `cfg` (raises ConfigError on a bad config)."""
    g = _classes(cfg, where)[0](cfg)
    init_weights(g)
    return g


def build_discriminator(cfg: ModelConfig, where: str = "model config") -> nn.Module:
    """A freshly initialised discriminator for `cfg`; for infogan it owns Q (forward_with_q)."""
    d = _classes(cfg, where)[1](cfg)
    init_weights(d)
    return d


def count_params(module: nn.Module) -> int:
    """Number of parameters (weights and biases; BN running statistics are buffers, not counted)."""
    return sum(p.numel() for p in module.parameters())
