"""BEGAN's training step (Berthelot, Schumm, Metz 2017), used by the one engine for kind "began".

With L(v) = mean |v - D(v)| (D is an auto-encoder, pixel-wise L1):

    L_D = L(x) - k_t L(G(z))                    D's loss
    L_G = L(G(z))                               G's loss
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)     proportional control
    M_global = L(x) + |gamma L(x) - L(G(z))|    the convergence measure (falls as quality rises)

gamma = E[L(G(z))] / E[L(x)] is the equilibrium D is held at: low gamma makes D spend itself on
auto-encoding real images (sharper, less varied samples), high gamma on telling fakes apart
(more varied, more artefacts). k_0 = 0, lambda_k = 0.001 (the paper).

One G forward per step and both nets updated from the same losses (simultaneous updates, as
in the paper's reference code): L(G(z)) is backpropagated once and gives G its gradient and D
the gradient of its fake term, which is then scaled by -k_t before L(x)'s gradient is added.
`d_steps` does not apply (one simultaneous update a step, as the paper).

Learning rate: the paper halves it "when the measure of convergence stalls". `began_plateau`
= W > 0 does that: at the end of every W steps the window's mean M_global is compared with the
previous window's; if it fell by less than PLATEAU_DROP, both lrs are halved (at most
MAX_HALVINGS times). 0 (default) keeps our schedule: constant, or `lr_decay_from`'s linear fall.
All of it (k_t and the plateau state) is in the checkpoint's training state, so a resumed
run continues exactly.
"""
from __future__ import annotations

import numpy as np
import torch

from gan_models.images import make_grid, save_png, to_uint8
from gan_models.nets.began import l1_rec

PLATEAU_DROP = 0.01     # a window's mean M_global must be 1 % below the previous window's
MAX_HALVINGS = 8        # lr never falls below base / 256
RECON = "recon"         # <run>/recon/step_N_real.png, step_N_fake.png: D's reconstructions
N_RECON = 16            # images per reconstruction grid (8 pairs a row-pair: image row, then D's row)
COLS = 8


def recon_path(run_path, step: int, which: str):
    """<run>/recon/step_0000200_real.png (which: real or fake)."""
    from pathlib import Path
    return Path(run_path) / RECON / f"step_{step:07d}_{which}.png"


def pair_rows(x: np.ndarray, rec: np.ndarray, cols: int = COLS) -> np.ndarray:
    """(N, H, W, C) images and their reconstructions -> one array whose rows alternate: a row of
    images, then D's reconstructions of them beneath."""
    out = []
    for i in range(0, len(x), cols):
        out += [x[i:i + cols], rec[i:i + cols]]
    return np.concatenate(out)


def began_losses(loss_real: torch.Tensor, loss_fake: torch.Tensor, k):
    """(L_D, L_G) from L(x), L(G(z)) and k_t."""
    return loss_real - k * loss_fake, loss_fake


def k_update(k, loss_real, loss_fake, gamma: float, lambda_k: float):
    """k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1); tensors or floats."""
    balance = gamma * loss_real - loss_fake
    v = k + lambda_k * balance
    return v.clamp(0.0, 1.0) if torch.is_tensor(v) else min(1.0, max(0.0, v))


def m_global(loss_real, loss_fake, gamma: float):
    """M_global = L(x) + |gamma L(x) - L(G(z))|."""
    return loss_real + abs(gamma * loss_real - loss_fake)


class BeganTrainer:
    """BEGAN's state inside a `train.engine.Trainer`: k_t and the lr plateau watch."""

    def __init__(self, t):
        self.t = t
        self.k = torch.zeros((), device=t.device)     # k_0 = 0
        self.window_sum, self.window_n = 0.0, 0
        self.prev_mean: float | None = None
        self.halvings = 0

    # ------------------------------------------------------------------ one step
    def step(self) -> dict:
        t, G, D = self.t, self.t.G, self.t.D
        cfg = t.tcfg
        if self.halvings or cfg.lr_decay_from < 1.0:
            t._apply_lr_decay(0.5 ** self.halvings)
        real, _ = t.data.next()
        z = t._latents(real.shape[0])[0]
        t.opt_d.zero_grad(set_to_none=True)
        t.opt_g.zero_grad(set_to_none=True)
        with t._autocast():
            fake = G(G.build_input(z))
            loss_fake = l1_rec(fake, D.reconstruct(fake))             # L(G(z))
        loss_fake.backward()                   # G's gradient, and D's gradient of L(G(z))
        k = self.k
        for p in D.parameters():
            if p.grad is not None:
                p.grad.mul_(-k)                # D minimises L(x) - k_t L(G(z))
        with t._autocast():
            loss_real = l1_rec(real, D.reconstruct(real))             # L(x)
        loss_real.backward()
        t.ddp.average_grads(D)
        t.ddp.average_grads(G)
        gnorm = torch.nn.utils.get_total_norm([p.grad for p in G.parameters() if p.grad is not None])
        t.opt_d.step()
        t.opt_g.step()
        lr_, lf = t.ddp.average_values(loss_real.detach().float(), loss_fake.detach().float())
        loss_d, loss_g = began_losses(lr_, lf, k)
        m = m_global(lr_, lf, cfg.began_gamma)
        self.k = k_update(k, lr_, lf, cfg.began_gamma, cfg.began_lambda_k)
        if cfg.began_plateau:
            self._watch_plateau(m)
        return {"loss_d": loss_d, "loss_g": loss_g, "loss_real_rec": lr_, "loss_fake_rec": lf,
                "m_global": m, "k_t": self.k, "grad_norm_g": gnorm}

    def _watch_plateau(self, m: torch.Tensor) -> None:
        """The paper's lr decay: halve both lrs when a window's mean M_global did not fall.
        (One float() per step: a sync on a GPU, the price of the paper's rule.)"""
        self.window_sum += float(m)
        self.window_n += 1
        if self.window_n < self.t.tcfg.began_plateau:
            return
        mean = self.window_sum / self.window_n
        if self.prev_mean is not None and mean > self.prev_mean * (1 - PLATEAU_DROP) \
                and self.halvings < MAX_HALVINGS:
            self.halvings += 1
            if self.t.run_dir and self.t.ddp.is_main:
                self.t.run_dir.event("lr_halved", self.t.step_count + 1, m_global=round(mean, 5),
                                     previous=round(self.prev_mean, 5), factor=0.5 ** self.halvings)
        self.prev_mean = mean
        self.window_sum, self.window_n = 0.0, 0

    # ------------------------------------------------------------------ pictures
    @torch.no_grad()
    def write_reconstructions(self) -> None:
        """D's auto-encoding of N_RECON fixed real images and of the first N_RECON fixed-z samples:
        what L(x) and L(G(z)) measure, shown beside the sample grid in the Monitor."""
        t = self.t
        if not hasattr(self, "_real"):
            self._real = t.dataset.sample_batch(N_RECON, torch.Generator().manual_seed(t.tcfg.seed + 104729))[0]
        fixed = t.fixed
        z = fixed["z"][:N_RECON].to(t.device)
        was = t.D.training
        t.D.eval()
        try:
            fake = t.G.generate(z).float()
            vr = tuple(t.dataset.value_range)
            for which, x in (("real", self._real.to(t.device).float()), ("fake", fake)):
                rec = reconstructions(t.D, x)
                grid = make_grid(pair_rows(to_uint8(x.cpu(), vr), to_uint8(rec.cpu(), vr)), COLS)
                save_png(recon_path(t.run_dir.path, t.step_count, which), grid, {"step": t.step_count},
                         scale=2 if grid.shape[0] < 300 else 1)
        finally:
            t.D.train(was)

    # ------------------------------------------------------------------ resume
    def state(self) -> dict:
        return {"k": self.k.detach().cpu().clone(), "window_sum": self.window_sum, "window_n": self.window_n,
                "prev_mean": self.prev_mean, "halvings": self.halvings}

    def load_state(self, st: dict) -> None:
        self.k = st["k"].to(self.t.device, torch.float32).reshape(())
        self.window_sum, self.window_n = float(st["window_sum"]), int(st["window_n"])
        self.prev_mean = None if st["prev_mean"] is None else float(st["prev_mean"])
        self.halvings = int(st["halvings"])


@torch.no_grad()
def reconstructions(D, x: torch.Tensor) -> torch.Tensor:
    """D's auto-encoding of a batch (for the run's reconstruction grids and the Monitor)."""
    return D.reconstruct(x).float()
