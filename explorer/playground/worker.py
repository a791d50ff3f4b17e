"""PlaygroundWorker: a toy GAN training in-process on its own QThread.

Toys are tiny (a few thousand weights), so a child process would cost more than it saves;
here the worker owns the `Trainer` (built and stepped only on its thread, torch threads 1)
and sends the UI snapshots made of numpy arrays (points, D's heat-map as RGB uint8, curves),
about 20 a second however fast it trains. No `nn.Module` crosses to the UI thread.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from gan_models.errors import GanExplorerError
from train.playground_math import toy_snapshot

SNAPSHOT_S = 0.05        # at most 20 snapshots a second
BUDGET_S = 0.03          # training time per timer tick, so commands are handled promptly
N_POINTS = 256           # fixed z and real points drawn
HEAT_RES = 48            # D evaluated on a 48 x 48 grid
# half the paper's width and LeakyReLU units in D instead of maxout: ~2x more steps/s for the
# same picture (the GAN paper's maxout D is what `gan-explorer train` and the recipes use)
TOY_MODEL = {"g_width": 64, "d_width": 64, "d_unit": "lrelu"}


def heat_colours() -> np.ndarray:
    """(256, 3) uint8: D = 0 (sure it's fake) purple, 1/2 white, 1 (sure it's real) green."""
    t = np.linspace(0, 1, 256)[:, None]
    fake, mid, real = np.array([181, 142, 214]), np.array([255, 255, 255]), np.array([140, 205, 150])
    c = np.where(t < 0.5, fake + (mid - fake) * (t / 0.5), mid + (real - mid) * ((t - 0.5) / 0.5))
    return c.round().astype(np.uint8)


class PlaygroundWorker(QObject):
    snapshot_ready = Signal(object)     # dict of numpy arrays and counters
    failed = Signal(str)

    def __init__(self):
        super().__init__()
        self.trainer = None
        self.playing = False
        self.speed = 0.0                # G steps per second; 0 = as fast as it goes
        self.arrows = False
        self._timer: QTimer | None = None
        self._lut = heat_colours()
        self._last_snap = 0.0
        self._snap_cost = 0.0           # seconds one snapshot takes (drawing stays < 25% of the time)
        self._rate = (time.perf_counter(), 0)
        self.steps_per_s = 0.0
        self.d_updates = self.g_updates = 0
        self.last: dict = {}

    # ------------------------------------------------------------------ commands (queued)
    @Slot(object)
    def setup(self, spec: dict) -> None:
        """spec: dataset, lr, g_loss, d_steps, batch, seed; or checkpoint (a file or run folder)."""
        if self._timer is None:
            self._timer = QTimer()
            self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.stop()
        try:
            trainer = build_trainer(spec)
        except (GanExplorerError, OSError, ValueError, KeyError) as e:
            self.failed.emit(str(e))      # the toy shown before stays
            self._apply_timer()
            return
        self.trainer = trainer
        g = torch.Generator().manual_seed(int(spec.get("seed", 0)) + 1)
        n = N_POINTS if self.trainer.dataset.data_shape[0] > 1 else 4 * N_POINTS   # 1D: a smoother KDE
        self.z = torch.randn(n, self.trainer.G.z_dim, generator=g)               # (n, z_dim), fixed
        self.real = self.trainer.dataset.sample(N_POINTS, g)[0].numpy()          # (N, dim), fixed
        self.d_updates = self.g_updates = 0
        self.last = {}
        self._apply_timer()
        self._snapshot()

    @Slot(bool)
    def play(self, on: bool) -> None:
        self.playing = on
        self._rate = (time.perf_counter(), self.g_updates)
        self._apply_timer()
        if not on:
            self._snapshot()              # the UI learns that it stopped

    @Slot(float)
    def set_speed(self, steps_per_s: float) -> None:
        self.speed = steps_per_s
        self._apply_timer()

    @Slot(bool)
    def set_arrows(self, on: bool) -> None:
        self.arrows = on
        self._snapshot()

    @Slot()
    def step_d(self) -> None:
        self._guarded(lambda: self._d_once())
        self._snapshot()

    @Slot()
    def step_g(self) -> None:
        self._guarded(lambda: self._g_once())
        self._snapshot()

    @Slot()
    def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None            # freed here, on the thread it lives on (Qt warns otherwise)
        self.trainer = None

    # ------------------------------------------------------------------ stepping
    def _d_once(self) -> None:
        t = self.trainer
        t.G.train(); t.D.train()
        vals = t.d_step()
        self.d_updates += 1
        self.last.update({k: float(v.detach()) for k, v in vals.items()})

    def _g_once(self) -> None:
        t = self.trainer
        t.G.train(); t.D.train()
        vals = t.g_step()
        self.g_updates += 1
        self.last.update({k: float(v.detach()) for k, v in vals.items()})

    def _full_step(self) -> None:
        vals = self.trainer.step()        # k D steps then one G step, NaN-checked
        self.d_updates += self.trainer.tcfg.d_steps
        self.g_updates += 1
        self.last.update(vals)

    def _guarded(self, fn) -> bool:
        if self.trainer is None:
            return False
        try:
            fn()
            return True
        except GanExplorerError as e:     # TrainingDiverged: stop and say so
            self.playing = False
            self._apply_timer()
            self.failed.emit(str(e))
            return False

    def _apply_timer(self) -> None:
        if self._timer is None:
            return
        if not (self.playing and self.trainer is not None):
            self._timer.stop()
            return
        self._timer.setInterval(0 if self.speed <= 0 else int(1000 / self.speed))
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        if self.trainer is None:
            return
        if self.speed > 0:                          # slow motion: one step a tick, every one drawn
            if self._guarded(self._full_step):
                self._snapshot()
            return
        end = time.perf_counter() + BUDGET_S
        while time.perf_counter() < end:
            if not self._guarded(self._full_step):
                return
        if time.perf_counter() - self._last_snap >= max(SNAPSHOT_S, 3 * self._snap_cost):
            self._snapshot()

    def _snapshot(self) -> None:
        t = self.trainer
        if t is None:
            return
        now = time.perf_counter()
        t0, s0 = self._rate
        if now - t0 >= 0.5:
            self.steps_per_s = (self.g_updates - s0) / (now - t0)
            self._rate = (now, self.g_updates)
        snap = toy_snapshot(t.G, t.D, t.dataset, self.z, self.real, res=HEAT_RES, arrows=self.arrows,
                            g_loss=t.tcfg.g_loss)
        if "heat" in snap:
            idx = np.clip(snap["heat"] * 255, 0, 255).astype(np.uint8)
            snap["heat_rgb"] = np.ascontiguousarray(self._lut[idx])     # (res, res, 3) uint8
        snap.update(step=self.g_updates, d_updates=self.d_updates, steps_per_s=self.steps_per_s,
                    playing=self.playing, values=dict(self.last), dataset=t.tcfg.dataset)
        self._last_snap = time.perf_counter()
        self._snap_cost = self._last_snap - now
        self.snapshot_ready.emit(snap)


def build_trainer(spec: dict):
    """A Trainer for the playground (no run folder): fresh from settings, or from a checkpoint."""
    from gan_models.checkpoint import load_checkpoint, resolve_model_path
    from train.config import TrainConfig
    from train.engine import Trainer
    from train.setup import create_trainer, load_data

    base = dict(model="gan", dataset=spec.get("dataset", "ring8"), steps=10**9,
                batch_size=int(spec.get("batch", 256)), lr_d=float(spec.get("lr", 1e-3)),
                lr_g=float(spec.get("lr", 1e-3)), d_steps=int(spec.get("d_steps", 1)),
                g_loss=spec.get("g_loss", "nonsat"), seed=int(spec.get("seed", 0)), device="cpu",
                num_threads=1, adam_kernel="fused", log_every=10**6, sample_every=10**9, checkpoint_every=0,
                model_overrides=dict(TOY_MODEL))
    ckpt = spec.get("checkpoint")
    if not ckpt:
        return create_trainer(TrainConfig(**base).validate(), write=False)
    ck = load_checkpoint(resolve_model_path(ckpt), device="cpu")
    if ck.discriminator is None:
        raise GanExplorerError(f"{ckpt}: has no discriminator, so there is no D(x) to draw")
    dataset = ck.meta.get("dataset")
    if ck.config.is_image or dataset not in ("ring8", "grid25", "gauss1d"):
        raise GanExplorerError(f"{ckpt}: the playground shows toy models (ring8, grid25, gauss1d); "
                               f"this one was trained on {dataset or 'images'}")
    base["dataset"], base["model_overrides"] = dataset, {}
    if ck.config.pack > 1 and base["batch_size"] % ck.config.pack:
        base["batch_size"] = ck.config.pack * 128
    tcfg = TrainConfig(**base).validate()
    torch.set_num_threads(1)
    trainer = Trainer(tcfg, ck.config, load_data(tcfg), None, torch.device("cpu"))
    trainer.G.load_state_dict(ck.generator.state_dict())
    trainer.D.load_state_dict(ck.discriminator.state_dict())
    return trainer
