"""Live quality: scores of a run's samples, logged beside D(x) and D(G(z)) as training goes.

D(G(z)) = 1/2 is the study note's equilibrium only when the samples are good: a D that has
stopped learning also sits at 1/2 while G draws noise. So every `quality_every` steps the
trainer draws QUALITY_N samples from one fixed set of inputs (the same z every time, so the
curve moves only when G does) and writes a metrics row of `q_*` scores:

* labelled image data (digits, shapes, a folder with class subfolders, ...): features of the
  project's own probe classifier (train/probe.py, trained on the real images and cached):
  ``q_fid``        Frechet distance to QUALITY_N real images in probe features (lower = better),
  ``q_confident``  share of samples the probe reads with probability >= CONFIDENT (and, for a
                   judge that tells its kind of image from junk, as faces, read as one),
  ``q_label_acc``  CGAN: share read as the label asked for,
  ``q_code_acc``   InfoGAN: categorical code 1 vs the probe's class, after best one-to-one matching,
* unlabelled images (a user's folder): the same Frechet distance, density and coverage in the
  features of a fixed random network (`RandomFeatures`, seeded, shipped as code: no download,
  no training). Random-network features are weaker than a trained classifier's but rank
  noise, blur and mode collapse correctly; numbers compare only between runs on one data set.
* ``q_fid_ratio``: q_fid over the real-vs-real distance of the same features (below), so one
  threshold reads the same for every data set and probe (1 = as close as real data gets),
* everything in feature space: ``q_density`` and ``q_coverage`` (Naeem et al. 2020, k =
  NN_K): coverage is the share of real samples with a generated one inside their k-NN ball,
  so mode collapse shows as a falling number, not only as a picture; density ~ 1 when fakes
  sit where real data is dense.
* 2D/1D toys: ``q_modes`` (mixture modes covered) and ``q_hq`` (share of high-quality points).

The real-vs-real values of the same scores (a second real subset against the first) are
written once as the run's `quality_reference` event: what a perfect G would reach.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from gan_models.errors import GanExplorerError
from gan_models.latent import prior_inputs

from .metrics import best_matching, frechet_distance, gaussian_stats, judge_images, toy_metrics

QUALITY_N = 500        # samples per score: ~1 s per score for a 64x64 G on one core (q_time in the runs)
NN_K = 5               # neighbours for density / coverage (Naeem et al.'s default)
CONFIDENT = 0.9        # probe probability that counts a sample as clearly one class
SEED = 4242            # the fixed quality inputs (not the sample grid's z: a separate draw)


class RandomFeatures(nn.Module):
    """A fixed, untrained conv net (seed 0): 3 stride-2 stages, each global-average-pooled,
    concatenated -> (B, 16 + 32 + 64) features of any (C, H, W) image in [-1, 1]."""

    def __init__(self, channels: int):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.stages = nn.ModuleList()
        c_in = channels
        for c in (16, 32, 64):
            conv = nn.Conv2d(c_in, c, 3, 2, 1)
            with torch.no_grad():                      # He init from our own generator: fixed forever
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / (9 * c_in)) ** 0.5)
                conv.bias.zero_()
            self.stages.append(conv)
            c_in = c

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats, h = [], x
        for conv in self.stages:
            h = torch.relu(conv(h))
            feats.append(h.mean((2, 3)))
        return torch.cat(feats, 1)


def pairwise_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T
    return np.sqrt(np.clip(d2, 0, None))


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = NN_K, rows: int = 1024) -> tuple[float, float]:
    """Naeem et al. 2020: (density, coverage) of fake features against real features. The distance
    matrices are made `rows` real points at a time: at --quality-n 10000 the whole (M, M) matrix
    and its sorted copy took 1.6 GB; a block of rows takes 80 MB."""
    radii = np.empty(len(real))
    for s in range(0, len(real), rows):                 # k-th nearest real neighbour; column 0 is itself
        radii[s:s + rows] = np.partition(pairwise_dist(real[s:s + rows], real), k, axis=1)[:, k]
    hits, covered = 0, np.zeros(len(real), bool)
    for s in range(0, len(real), rows):
        inside = pairwise_dist(real[s:s + rows], fake) < radii[s:s + rows, None]   # fake j in real i's ball
        hits += int(inside.sum())
        covered[s:s + rows] = inside.any(axis=1)
    return float(hits / (k * len(fake))), float(covered.mean())


class QualityScorer:
    """Built once per run (`for_run`), then `score(G)` at each quality step (G in eval mode)."""

    def __init__(self, G, dataset, n: int = QUALITY_N, probe_cache=None, probe=None):
        self.n = n
        self.value_range = tuple(getattr(dataset, "value_range", None) or (-1.0, 1.0))
        z, label, codes, cat, _ = prior_inputs(G, n, SEED)
        if G.num_classes:                               # every label equally often
            label = torch.arange(n) % G.num_classes
        self.inputs, self.label, self.cat = (z, label, codes), label, cat
        self.toy = getattr(dataset, "centres", None) is not None and not G.is_image
        self.probe = self.features_net = None
        self.reference: dict = {}
        if self.toy:
            self.dataset = dataset
            return
        real, labels = _real_images(dataset, 2 * n)
        if probe is not None or (labels is not None and len(np.unique(labels)) >= 2):
            self.probe = probe if probe is not None else _probe_for(dataset, probe_cache)
        else:
            self.features_net = RandomFeatures(real.shape[1]).eval()
        f1, f2 = self._features(real[:n]), self._features(real[n:2 * n])
        self.real_feats, self.real_stats = f1, gaussian_stats(f1)
        self.reference = self._scores(real[n:2 * n], f2, label=None)

    @classmethod
    def for_run(cls, G, dataset, n: int = QUALITY_N, probe_cache=None, probe=None) -> "QualityScorer | None":
        """A scorer for this model and data, or None where nothing applies (points without
        a known mixture, images too few for the real statistics)."""
        if not G.is_image and getattr(dataset, "centres", None) is None:
            return None
        size = len(dataset.x) if getattr(dataset, "x", None) is not None else len(dataset)
        if G.is_image and size < 2 * n:
            return None
        return cls(G, dataset, n, probe_cache, probe)

    def _features(self, x: torch.Tensor) -> np.ndarray:
        if self.probe is not None:
            return self.probe.features(x)
        with torch.no_grad():
            return torch.cat([self.features_net(x[i:i + 250]) for i in range(0, len(x), 250)]).numpy()

    def _scores(self, x: torch.Tensor, feats: np.ndarray, label) -> dict:
        out = {"q_fid": frechet_distance(*self.real_stats, *gaussian_stats(feats))}
        out["q_density"], out["q_coverage"] = density_coverage(self.real_feats, feats)
        if self.probe is not None:
            p = self.probe.probabilities(x)
            ok = p.max(1) >= CONFIDENT
            if hasattr(self.probe, "valid"):            # a judge that also tells its kind of image from junk
                ok = ok & self.probe.valid(x)
            out["q_confident"] = float(ok.mean())
            pred = p.argmax(1)
            if label is not None and len(label) and int(label.max()) < p.shape[1]:
                out["q_label_acc"] = float((pred == np.asarray(label)).mean())
            if self.cat is not None and label is None and self.cat.shape[1]:
                out["q_code_acc"] = best_matching(self.cat[:, 0].numpy(), pred, int(self.cat[:, 0].max()) + 1,
                                                  p.shape[1])["accuracy"]
        return out

    @torch.no_grad()
    def score(self, G) -> dict:
        """The q_* scores of G's samples from the fixed inputs (call with G in eval mode)."""
        device = next(G.parameters()).device
        z, label, codes = (t.to(device) if t is not None else None for t in self.inputs)
        if self.toy:
            with torch.random.fork_rng():
                m = toy_metrics(G, self.dataset, n=self.n, seed=SEED)
            return {"q_modes": m["modes"], "q_hq": m["hq_fraction"]}
        x = judge_images(G, z, label, codes, self.value_range).float().cpu()
        if not torch.isfinite(x).all():
            return {}
        out = self._scores(x, self._features(x), self.label)
        out["q_fid_ratio"] = out["q_fid"] / max(self.reference["q_fid"], 1e-9)
        return out


def _real_images(dataset, n: int) -> tuple[torch.Tensor, np.ndarray | None]:
    """n real images (a seeded random subset of an in-memory set, the first n of a streamed one,
    whose order is already random), rescaled to [-1, 1], and their labels (or None)."""
    from .data import in_memory
    sub = in_memory(dataset, n)
    idx = np.random.default_rng(SEED).permutation(len(sub.x))[:n]            # shuffled: halves alike
    x = torch.as_tensor(np.asarray(sub.x[idx] if not torch.is_tensor(sub.x) else sub.x[torch.from_numpy(idx)])).float()
    lo, hi = tuple(getattr(dataset, "value_range", None) or (-1.0, 1.0))
    if (lo, hi) != (-1.0, 1.0):
        x = (x - lo) / (hi - lo) * 2 - 1
    labels = getattr(sub, "labels", None)
    return x, (np.asarray(labels)[idx] if labels is not None else None)


def _probe_for(dataset, probe_cache):
    """The same judge `gan-explorer eval` uses for this data set (shared cache; train/judges.py)."""
    from .judges import judge_for
    return judge_for(dataset, cache_dir=probe_cache)


class RunScoring:
    """A training run's live quality rows (the trainer calls `write_row` every quality step):
    builds the QualityScorer at the first call, records what it could not build as an event (quality
    is a view, never a crash), and keeps the run's random numbers as they were."""

    def __init__(self, n: int):
        self.n, self.scorer = n, None              # scorer: None until built, False if unavailable

    def write_row(self, G, dataset, run_dir, step: int) -> bool:
        """Score G's samples and append {"step", q_..., "q_time"} to the run's metrics. Returns
        True when this call built the scorer (a first-time probe training is not training time)."""
        if self.scorer is False:
            return False
        built, t0 = False, time.perf_counter()
        if self.scorer is None:
            built = True
            try:
                with torch.random.fork_rng(devices=[]):    # a first-time probe training seeds torch
                    self.scorer = QualityScorer.for_run(G, dataset, self.n) or False
            except (GanExplorerError, ValueError, RuntimeError) as e:
                run_dir.event("quality_unavailable", step, message=str(e))
                self.scorer = False
            if self.scorer is False:
                return built
            run_dir.event("quality_reference", step, setup_s=round(time.perf_counter() - t0, 3),
                          **self.scorer.reference)
            t0 = time.perf_counter()
        G.eval()
        try:
            with torch.random.fork_rng(devices=[]):
                scores = self.scorer.score(G)
        finally:
            G.train()
        if scores:
            run_dir.log_metrics({"step": step, **scores, "q_time": round(time.perf_counter() - t0, 4)})
        return built
