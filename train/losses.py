"""GAN losses on logits (numerically stable: log sigmoid via softplus).

With l = D's real-vs-fake logit, D(x) = sigmoid(l), so
    -log D(x)       = softplus(-l)
    -log(1 - D(x))  = softplus(l)
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gan_models.base import QOutput


def d_loss(real_logit: torch.Tensor, fake_logit: torch.Tensor) -> torch.Tensor:
    """-(log D(x) + log(1 - D(G(z)))), averaged over each batch. Equilibrium: log 4."""
    return F.softplus(-real_logit).mean() + F.softplus(fake_logit).mean()


def g_loss(fake_logit: torch.Tensor, kind: str = "nonsat") -> torch.Tensor:
    """nonsat: -log D(G(z)); minimax: log(1 - D(G(z))) (flat when D rejects every fake)."""
    if kind == "nonsat":
        return F.softplus(-fake_logit).mean()
    if kind == "minimax":
        return -F.softplus(fake_logit).mean()
    raise ValueError(f"unknown G loss {kind!r}")


def info_loss(q: QOutput, cat: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
    """-E[log Q(c | G(z, c))] (up to the constant H(c)): categorical CE + Gaussian NLL."""
    loss = q.cont_mean.new_zeros((), dtype=torch.float32)
    for i, logits in enumerate(q.cat_logits):
        loss = loss + F.cross_entropy(logits.float(), cat[:, i])
    if cont.shape[1]:
        logstd = q.cont_logstd.float().clamp(-5, 5)
        eps = (cont - q.cont_mean.float()) / logstd.exp()
        nll = logstd + 0.5 * eps.pow(2) + 0.5 * math.log(2 * math.pi)
        loss = loss + nll.sum(1).mean()
    return loss
