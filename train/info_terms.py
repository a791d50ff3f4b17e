"""InfoGAN's information terms for the trainer: L_I (the paper) and our optional additions.

`InfoTerms` reads the trainer's D, TrainConfig, code layout and random generator; the engine calls
it from its D and G steps. Each addition is off (weight 0 / False) in the paper's recipe:
- info_cat_augment: Q reads the categorical code from a shape-keeping change of each fake (train/augment.py)
- info_real_balance: Q spreads real data evenly over each categorical code's values (D's step)
- info_real_cluster: IIC on real images and a changed copy (D's step)
- info_cat_consistency: each value of the first categorical code draws one outline (G's step)
"""
from __future__ import annotations

import torch

from gan_models.base import QOutput

from .augment import normalized_silhouette, shape_keeping
from .losses import code_balance, code_cluster_mi, code_consistency, consistency_hinge, info_loss


class InfoTerms:
    def __init__(self, trainer):
        self.tr = trainer

    @property
    def _cfg(self):
        return self.tr.tcfg

    def _late(self) -> bool:
        """Whether the run has reached info_consistency_from (the outline term's start)."""
        return self.tr.step_count >= self._cfg.info_consistency_from * self.tr.total_steps

    def views(self) -> str:
        """The shape-keeping views of this step: info_late_views once it is set and the start is
        reached, else info_views."""
        cfg = self._cfg
        return cfg.info_late_views if cfg.info_late_views and self._late() else cfg.info_views

    def forward_q(self, fake):
        """D's logit and Q's output on a fake batch; with info_cat_augment the categorical
        logits come from a second pass on a shape-keeping random change of the batch."""
        D, cfg = self.tr.D, self._cfg
        logit, q = D.forward_with_q(fake)
        if cfg.info_cat_augment and q.cat_logits:
            _, qa = D.forward_with_q(shape_keeping(fake, self.tr.gen, self.views()))
            q = QOutput(cat_logits=qa.cat_logits, cont_mean=q.cont_mean, cont_logstd=q.cont_logstd)
        return logit, q

    def info(self, q, cat, cont) -> torch.Tensor:
        return info_loss(q, cat, cont, fixed_std=self._cfg.info_cont_std == "fixed",
                         cont_weight=self._cfg.info_cont_weight)

    def _balance_on(self) -> bool:
        return bool(self.tr.layout) and self._cfg.info_real_balance > 0

    def _cluster_on(self) -> bool:
        return bool(self.tr.layout) and self._cfg.info_real_cluster > 0 and bool(self.tr.layout.categorical)

    def wants_real_q(self) -> bool:
        """Whether D's step needs Q's reading of the real batch (balance or clustering on)."""
        return self._balance_on() or self._cluster_on()

    def real_terms(self, real, q_real, out: dict) -> torch.Tensor:
        """The real-data additions to D's loss (balance minus clustering), each logged in `out`."""
        cfg, total = self._cfg, real.new_zeros((), dtype=torch.float32)
        if self._balance_on():                  # logged, so a run using the term shows what it does
            out["code_balance"] = code_balance(q_real)
            total = total + cfg.info_real_balance * out["code_balance"]
        if self._cluster_on():                  # I(c; c') in nats, log K at best
            out["code_cluster"] = self.real_cluster(real, q_real)
            total = total - cfg.info_real_cluster * out["code_cluster"]
        return total

    def real_cluster(self, real, q_real) -> torch.Tensor:
        """IIC on real images: Q's categorical reading of each image and of a shape-keeping
        change of it should agree, be confident and use every value equally."""
        _, qa = self.tr.D.forward_with_q(shape_keeping(real, self.tr.gen, self.views()))
        mi = real.new_zeros((), dtype=torch.float32)
        for l1, l2 in zip(q_real.cat_logits, qa.cat_logits):
            mi = mi + code_cluster_mi(torch.softmax(l1.float(), 1), torch.softmax(l2.float(), 1))
        return mi

    def consistency(self, fake, cat):
        """info_cat_consistency on the fake batch: (the ratio to log, the weighted hinge to add to
        G's loss). Before info_consistency_from the ratio is only logged (measured without a graph,
        so the step is the plain one) and the term is None; (None, None) when the option is off."""
        cfg, layout = self._cfg, self.tr.layout
        if not (cfg.info_cat_consistency > 0 and layout.categorical):
            return None, None
        on = self._late()
        with torch.set_grad_enabled(on and torch.is_grad_enabled()):
            ratio = code_consistency(normalized_silhouette(fake), cat[:, 0], layout.categorical[0])
        if not on:
            return ratio, None
        return ratio, cfg.info_cat_consistency * consistency_hinge(ratio)
