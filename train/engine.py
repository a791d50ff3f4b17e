"""The one training engine for all five GANs. Knows nothing about any UI.

`Trainer` owns the models, optimizers, data stream and run folder. The CLI and the app
drive it the same way: `run(should_stop, on_progress)`, or `step()` one G update at a time
(with `d_step()` / `g_step()` for the playground's step-by-step mode).
Every source of randomness is a saved state, so a resumed run continues step for step.
"""
from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch

from gan_models.checkpoint import load_checkpoint, save_checkpoint
from gan_models.config import ModelConfig
from gan_models.errors import GanExplorerError
from gan_models.registry import build_discriminator, build_generator

from . import distributed as dist_util
from .config import TrainConfig
from .data_stream import DataStream, to_device
from . import device as device_util
from .info_terms import InfoTerms
from .losses import d_loss, g_loss
from .run_folder import RunFolder
from .snapshots import fixed_inputs, write_sample


class TrainingDiverged(GanExplorerError):
    """A loss or weight became NaN/inf; the message names the step and the last good checkpoint."""


@dataclass
class Progress:
    step: int
    total: int
    epoch: float
    images_per_s: float
    eta_s: float
    row: dict | None          # the metrics row just logged (None between logs)


class Trainer:
    def __init__(self, tcfg: TrainConfig, model_cfg: ModelConfig, dataset, run: RunFolder | None,
                 device: torch.device, ddp: dist_util.Context | None = None):
        self.tcfg, self.model_cfg, self.dataset, self.run_dir = tcfg, model_cfg, dataset, run
        self.device = device
        self.ddp = ddp or dist_util.Context()
        torch.manual_seed(tcfg.seed)                    # init and dropout are reproducible
        self.G = build_generator(model_cfg).to(device)
        self.D = build_discriminator(model_cfg).to(device)
        if tcfg.channels_last and model_cfg.is_image:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        if tcfg.compile:                                # in place: parameter names (checkpoints) unchanged
            if device.type == "cuda" and not tcfg.channels_last:
                # inductor's own switch of convs to channels-last broke D's backward on an H100
                # (torch 2.11: "expected stride ... convolution_backward"); an explicit
                # channels_last run compiled and ran
                import torch._inductor.config as inductor_config
                inductor_config.layout_optimization = False
            self.G.compile()
            self.D.compile()
        # InfoGAN: Q's own layers learn from the information term in G's step, with G's
        # optimizer (as in common PyTorch ports); with info_trains_d the term is also part of
        # D's loss on the fake batch, so D's shared trunk and Q learn it in D's step too, with
        # D's optimizer (the official code's arrangement). Both together measured best here
        # (code accuracy 0.93 at 2,000 steps, seed 0, vs 0.84 with Q in D's optimizer only).
        q_params = list(self.D.q.parameters()) if hasattr(self.D, "q") else []
        q_ids = {id(p) for p in q_params}
        d_params = [p for p in self.D.parameters() if tcfg.info_trains_d or id(p) not in q_ids]
        fused = tcfg.adam_kernel == "fused" or (tcfg.adam_kernel == "auto" and device.type == "cuda")
        betas = (tcfg.beta1, tcfg.beta2)
        # fused kernels on CUDA; elsewhere the multi-tensor path by default (torch's CPU default is
        # one op per tensor: foreach measured ~15-20 % more toy steps/s here), so the recipes keep
        # their numerics; adam_kernel="fused" takes the CPU fused kernel (the playground: 430 ->
        # 180 us per toy Adam step)
        opt = {"fused": True} if fused else {"foreach": True}
        self.opt_d = torch.optim.Adam(d_params, lr=tcfg.lr_d, betas=betas, **opt)
        self.opt_g = torch.optim.Adam(list(self.G.parameters()) + q_params, lr=tcfg.lr_g, betas=betas, **opt)
        self.gen = torch.Generator().manual_seed(tcfg.seed * 1000 + self.ddp.rank)
        self.data = DataStream(dataset, tcfg.batch_size, self.gen, device if tcfg.data_on_device else None)
        self.fixed = fixed_inputs(self.G, tcfg.n_fixed, tcfg.seed)
        self.step_count = 0
        self.elapsed = 0.0                               # training wall time over all sessions
        self._acc: dict[str, float] = {}
        self._acc_n = 0
        self._last_save = time.monotonic()
        self._quality = None                            # live quality rows: RunScoring, on first use
        self.layout = self.G.code_layout
        self.info = InfoTerms(self)                      # L_I and our InfoGAN additions (train/info_terms.py)
        steps_per_epoch = max(1, self.data.steps_per_epoch // tcfg.d_steps) if self.data.steps_per_epoch else 0
        self.total_steps = tcfg.steps or int(math.ceil(tcfg.epochs * max(steps_per_epoch, 1)))
        self.steps_per_epoch = steps_per_epoch
        # bf16 autocast on a CUDA GPU or a CPU with native bf16; elsewhere fp32 (emulated bf16 is slower)
        amp = tcfg.amp == "bf16" and device_util.bf16_native(device)
        self.amp_fallback = tcfg.amp == "bf16" and not amp
        self._autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if amp else nullcontext
        self.began = None                               # BEGAN's k_t and lr plateau watch (train/began_step.py)
        if model_cfg.kind == "began":
            from .began_step import BeganTrainer
            self.began = BeganTrainer(self)

    # ------------------------------------------------------------------ latent inputs
    def _latents(self, b: int):
        """z, fake labels and codes for b samples, from the trainer's own generator."""
        g = self.G
        z = torch.randn(b, g.z_dim, generator=self.gen) if g.z_dist == "normal" \
            else torch.rand(b, g.z_dim, generator=self.gen) * 2 - 1
        y = torch.randint(0, g.num_classes, (b,), generator=self.gen) if g.num_classes else None
        cat = cont = codes = None
        if self.layout:
            cat, cont = self.layout.sample(b, self.gen)
            codes = self.layout.encode(cat, cont, b)
            cat, cont, codes = (to_device(t, self.device) for t in (cat, cont, codes))
        return to_device(z, self.device), (to_device(y, self.device) if y is not None else None), codes, cat, cont

    # ------------------------------------------------------------------ one update each
    def d_step(self, keep_fake: bool = False) -> dict:
        """One discriminator update on a real batch and a fresh fake batch.

        keep_fake: build the fake batch with G's graph and keep it for the G step that
        follows (one G forward per iteration, as in the textbook DCGAN loop).
        """
        real, y_real = self.data.next()
        b = real.shape[0]
        z, y_fake, codes, cat, cont = self._latents(b)
        self._last_latents = (z, y_fake, codes, cat, cont)
        with self._autocast():
            with torch.set_grad_enabled(keep_fake):
                fake = self.G(self.G.build_input(z, y_fake, codes))
            self._kept_fake = fake if keep_fake else None
            real_q = self.info.wants_real_q()
            if real_q:
                lr_, q_real = self.D.forward_with_q(real)
                lr_ = lr_.float()
            else:
                lr_ = self.D(real, y_real).float()
            if self.layout and self.tcfg.info_trains_d:
                lf, q = self.info.forward_q(fake.detach())
                lf = lf.float()
                loss = d_loss(lr_, lf)
                total = loss + self.tcfg.info_lambda * self.info.info(q, cat, cont)
            else:
                lf = self.D(fake.detach(), y_fake).float()
                total = loss = d_loss(lr_, lf)
            out = {"d_real": torch.sigmoid(lr_).mean(), "d_fake": torch.sigmoid(lf).mean(), "loss_d": loss}
            if real_q:
                total = total + self.info.real_terms(real, q_real, out)
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        self.ddp.average_grads(self.D)
        self.opt_d.step()
        return out

    def g_step(self) -> dict:
        """One generator update (reusing the last D step's latents so D(G(z)) after the D
        step is measured on the same z)."""
        if not hasattr(self, "_last_latents"):
            self._last_latents = self._latents(self.tcfg.batch_size)
        z, y_fake, codes, cat, cont = self._last_latents
        fake, self._kept_fake = getattr(self, "_kept_fake", None), None
        with self._autocast():
            if fake is None:
                fake = self.G(self.G.build_input(z, y_fake, codes))
            if self.layout:
                logit, q = self.info.forward_q(fake)
                li = self.info.info(q, cat, cont)
                cons, cons_term = self.info.consistency(fake, cat)
            else:
                logit, li, cons, cons_term = self.D(fake, y_fake), None, None, None
            logit = logit.float()
            loss = g_loss(logit, self.tcfg.g_loss)
            total = loss + self.tcfg.info_lambda * li if li is not None else loss
            if cons_term is not None:
                total = total + cons_term
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.ddp.average_grads(self.G)
        if hasattr(self.D, "q"):
            self.ddp.average_grads(self.D.q)
        gnorm = torch.nn.utils.get_total_norm([p.grad for p in self.G.parameters() if p.grad is not None])
        self.opt_g.step()
        out = {"d_fake_after": torch.sigmoid(logit).mean(), "loss_g": loss, "grad_norm_g": gnorm}
        if li is not None:
            out["loss_info"] = li
        if cons is not None:
            out["code_consistency"] = cons
        return out

    def _apply_lr_decay(self, scale: float = 1.0) -> None:
        """lr_decay_from < 1: both lrs fall linearly from the base value to 0 at the last step
        (a function of step_count, so a resumed run follows the same schedule); times `scale`
        (BEGAN's halvings on a plateau of M_global)."""
        start = self.tcfg.lr_decay_from * self.total_steps
        left = max(self.total_steps - self.step_count, 0)
        f = scale * min(1.0, left / max(self.total_steps - start, 1e-9))
        for opt, base in ((self.opt_d, self.tcfg.lr_d), (self.opt_g, self.tcfg.lr_g)):
            for group in opt.param_groups:
                group["lr"] = base * f

    def step(self) -> dict:
        """k D updates then one G update. Returns this step's numbers: Python floats on the CPU;
        0-dim tensors on a GPU (float() on them waits for the GPU to finish the step).

        On the CPU every step is NaN-checked and summed as floats. On a GPU a float() per step
        would make the CPU wait for each step before queueing the next (measured on an H100:
        our loop ran no faster than a textbook loop that syncs every step): the numbers are
        summed on the device and become floats, NaN-checked, once per logged row."""
        if not (self.G.training and self.D.training):       # recursing train() costs ~0.3 ms a toy step
            self.G.train(); self.D.train()
        if self.began is not None:
            out = self.began.step()                     # one D and one G update from the same losses
        else:
            if self.tcfg.lr_decay_from < 1.0:
                self._apply_lr_decay()
            for i in range(self.tcfg.d_steps):
                d = self.d_step(keep_fake=i == self.tcfg.d_steps - 1)
            out = {**d, **self.g_step()}
        self.step_count += 1
        if self.device.type != "cpu":
            vals = {k: v.detach().float() for k, v in out.items()}
            for k, v in vals.items():
                self._acc[k] = self._acc[k] + v if k in self._acc else v
            self._acc_n += 1
            return vals
        vals = {k: float(v.detach()) for k, v in out.items()}
        if not all(math.isfinite(v) for v in (vals["loss_d"], vals["loss_g"])):
            self._diverged(f"loss_d = {vals['loss_d']}, loss_g = {vals['loss_g']}")
        for k, v in vals.items():
            self._acc[k] = self._acc.get(k, 0.0) + v
        self._acc_n += 1
        return vals

    # ------------------------------------------------------------------ the loop
    def run(self, should_stop=lambda: False, on_progress=None) -> str:
        """Train to total_steps. Returns 'finished' or 'stopped'; raises TrainingDiverged."""
        run = self.run_dir if self.ddp.is_main else None
        if run and self.amp_fallback:
            run.event("amp_off", self.step_count, message=f"--amp bf16: {self.device.type} has no native bf16 "
                                                          "here; training in fp32")
        if run and self.step_count == 0:
            run.event("started", 0, total=self.total_steps)
            self._write_sample()
            if not should_stop():       # a first quality score may train the probe (a minute): not after Stop
                self._score_quality()
        elif run:
            run.event("resumed", self.step_count, total=self.total_steps)
        t0, s0 = time.perf_counter(), self.step_count
        status = "finished"
        while self.step_count < self.total_steps:
            if should_stop():
                status = "stopped"
                break
            t_step = time.perf_counter()
            self.step()
            self.elapsed += time.perf_counter() - t_step
            n = self.step_count
            row = None
            done = n - s0
            ips = done * self.tcfg.batch_size * self.ddp.world / max(time.perf_counter() - t0, 1e-9)
            if n % self.tcfg.log_every == 0 or n == self.total_steps:
                row = self._log_row(ips)
            if run and n % self.tcfg.sample_every == 0:
                self._write_sample()
            if run and n % (self.tcfg.quality_every or self.tcfg.sample_every) == 0:
                self._score_quality()
            if run and self.tcfg.checkpoint_every and n % self.tcfg.checkpoint_every == 0:
                self.save(numbered=True)
            elif run and time.monotonic() - self._last_save >= self.tcfg.autosave_seconds:
                self.save()
            if on_progress:
                eta = (self.total_steps - n) * self.tcfg.batch_size * self.ddp.world / max(ips, 1e-9)
                on_progress(Progress(n, self.total_steps, self.epoch, ips, eta, row))
        if run:
            if self.step_count % self.tcfg.sample_every:
                self._write_sample()
            self.save()
            run.event(status, self.step_count, checkpoint=str(run.latest))
        return status

    @property
    def epoch(self) -> float:
        return self.step_count / self.steps_per_epoch if self.steps_per_epoch else 0.0

    def _acc_floats(self) -> dict:
        """The summed step numbers as floats (one device sync for all of them on a GPU)."""
        keys = list(self._acc)
        if keys and torch.is_tensor(self._acc[keys[0]]):
            return dict(zip(keys, torch.stack([self._acc[k] for k in keys]).tolist()))
        return dict(self._acc)

    def _log_row(self, ips: float) -> dict:
        n = max(self._acc_n, 1)
        acc = self._acc_floats()
        row = {"step": self.step_count, "epoch": round(self.epoch, 4), "time": round(self.elapsed, 3),
               **{k: v / n for k, v in acc.items()}, "images_per_s": ips}
        self._acc, self._acc_n = {}, 0
        if not all(math.isfinite(acc.get(k, 0.0)) for k in ("loss_d", "loss_g")):   # GPU runs: checked here
            self._diverged(f"loss_d = {row.get('loss_d')}, loss_g = {row.get('loss_g')} (mean of the last "
                           f"{n} steps)")
        if not self._weights_finite():
            self._diverged("a weight is not finite")
        if self.run_dir and self.ddp.is_main:
            self.run_dir.log_metrics(row)
        return row

    # ------------------------------------------------------------------ saving
    def _weights_finite(self) -> bool:
        flags = [torch.isfinite(p).all() for m in (self.G, self.D) for p in m.parameters()]
        return bool(torch.stack(flags).all())          # one device sync, not one per tensor

    def _diverged(self, what: str):
        run = self.run_dir
        good = run.last_good if run and run.last_good.exists() else None
        msg = (f"training diverged at step {self.step_count} ({what}); "
               + (f"the last good checkpoint is kept: {good}" if good else "no good checkpoint was saved yet"))
        if run and self.ddp.is_main:
            run.event("diverged", self.step_count, message=msg, checkpoint=str(good) if good else None)
        raise TrainingDiverged(msg)

    def meta(self) -> dict:
        ds = self.dataset
        return {"class_names": list(getattr(ds, "class_names", []) or []),
                "dataset": self.tcfg.dataset, "value_range": list(ds.value_range) if ds.value_range else None,
                "step": self.step_count, "epoch": self.epoch,
                "run": self.run_dir.path.name if self.run_dir else None}

    def training_state(self) -> dict:
        st = {"step": self.step_count, "elapsed": self.elapsed, "opt_g": self.opt_g.state_dict(),
              "opt_d": self.opt_d.state_dict(), "gen": self.gen.get_state(),
              "torch_rng": torch.get_rng_state(), "data": self.data.state(),
              "acc": self._acc_floats(), "acc_n": self._acc_n}
        if self.began is not None:
            st["began"] = self.began.state()
        return st

    def save(self, numbered: bool = False) -> Path | None:
        """Write checkpoints/latest (and step_N); promote to last_good when weights are finite."""
        run = self.run_dir
        if not run or not self.ddp.is_main:
            return None
        if not self._weights_finite():
            return None                                  # never overwrite a good file with NaNs
        target = run.numbered(self.step_count) if numbered else run.latest
        save_checkpoint(target, self.model_cfg, self.G, self.D, meta=self.meta(),
                        training_state=self.training_state())
        if numbered:
            run.promote(target, run.latest)
        run.promote_good(target)
        run.event("checkpoint", self.step_count, path=str(target))
        self._last_save = time.monotonic()
        return target

    def load_state(self, path) -> None:
        """Continue from a training checkpoint: weights, optimizers, step, RNG, data order."""
        ck = load_checkpoint(path, device="cpu", training_state=True)
        st = ck.training_state
        self.G.load_state_dict(ck.generator.state_dict())
        if ck.discriminator is None:
            raise GanExplorerError(f"{path}: has no discriminator; cannot resume training from it")
        self.D.load_state_dict(ck.discriminator.state_dict())
        self.opt_g.load_state_dict(st["opt_g"])
        self.opt_d.load_state_dict(st["opt_d"])
        self.gen.set_state(st["gen"])
        torch.set_rng_state(st["torch_rng"])
        self.data.load_state(st["data"])
        self.step_count = int(st["step"])
        self.elapsed = float(st.get("elapsed", 0.0))
        self._acc, self._acc_n = dict(st.get("acc", {})), int(st.get("acc_n", 0))
        if self.began is not None:
            self.began.load_state(st["began"])

    def _score_quality(self) -> None:
        """A metrics row of live quality scores for this step (train/live_quality.py, RunScoring);
        `q_time` is what the scoring cost, so its share of training time can be read back."""
        if not self.tcfg.quality_n or not self.run_dir:
            return
        if self._quality is None:
            from .live_quality import RunScoring
            self._quality = RunScoring(self.tcfg.quality_n)
        if self._quality.write_row(self.G, self.dataset, self.run_dir, self.step_count):
            self._last_save = time.monotonic()       # a first-time probe training is not training time

    def _write_sample(self) -> None:
        self.G.eval()
        write_sample(self.run_dir, self.step_count, self.G, self.fixed, self.dataset, self.device)
        if self.began is not None:
            self.began.write_reconstructions()
        self.G.train()
