"""Tiny random-weight checkpoints for the explorer tests (and for demo screenshots)."""
from __future__ import annotations

import torch
from torch import nn

from gan_models import default_config
from gan_models.checkpoint import save_checkpoint
from gan_models.registry import build_discriminator, build_generator

CONFIGS = {
    "dcgan": lambda: default_config("dcgan", (1, 28, 28), g_width=8, d_width=8),
    "cgan": lambda: default_config("cgan", (1, 28, 28), g_width=8, d_width=8),
    "infogan": lambda: default_config("infogan", (1, 28, 28), g_width=8, d_width=8, q_width=8),
    "points2d": lambda: default_config("gan", (2,), g_width=16, d_width=16),
    "points1d": lambda: default_config("gan", (1,), g_width=16, d_width=16),
    "began": lambda: default_config("began", (1, 28, 28), g_width=8, d_width=8, z_dim=16, h_dim=16),
    "cgan_points": lambda: default_config("cgan", (2,), num_classes=3, g_width=16, d_width=16),
}
CLASS_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def vivid(module: nn.Module) -> nn.Module:
    """He-normal weights: a random generator whose samples span the whole grey range (with
    DCGAN's N(0, 0.02) init every sample is the same flat grey, so no change would be visible)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, 0, (2.0 / m.weight[0].numel()) ** 0.5)
        elif isinstance(m, nn.ConvTranspose2d):
            nn.init.normal_(m.weight, 0, (2.0 / (m.weight.shape[0] * 4)) ** 0.5)   # 4x4 kernel, stride 2
    return module


def make_checkpoint(folder, kind: str, with_d: bool = True, seed: int = 0):
    cfg = CONFIGS[kind]()
    torch.manual_seed(seed)
    g, d = vivid(build_generator(cfg)).eval(), build_discriminator(cfg).eval()
    meta = {"dataset": "toy" if not cfg.is_image else "digits", "step": 100,
            "class_names": CLASS_NAMES[: cfg.num_classes]}
    return save_checkpoint(folder / f"{kind}.safetensors", cfg, g, d if with_d else None, meta=meta)
