"""The DCGAN paper's feature experiment: how good are a trained discriminator's features?

Radford et al. max-pool every conv layer of D to a 4x4 grid, flatten and concatenate the
results (28,672 features on CIFAR-10) and fit a linear L2-SVM on a few labelled images. Here:

    features(D, x)   each conv block's activation -> adaptive max-pool 4x4 -> flatten -> concat
                     (dimension = sum over conv layers of 16 * C_i); MLP layers are used as-is
    fit_linear(...)  multinomial logistic regression on standardised features, L2 weight decay
                     chosen by 2-fold cross-validation on the labelled subset, full-batch LBFGS
    run_probe(...)   test accuracy for each label budget (balanced per class, seeded) for three
                     feature sets measured in the same run: the trained D, raw pixels, and a
                     randomly initialised D of the same architecture
    feature_pca(...) 2-D PCA coordinates of D's features (for an app panel)

Data sets with ground-truth factors also get one row per factor (`factor_probe`): the same
classifier, at the largest label budget, predicting the label and each factor, with the gain of
D's features over raw pixels. Continuous factors are binned into quantile classes (FACTOR_BINS:
the shapes' x, y, scale in 4 bins, hue in 6; the faces' skin, width, eye size, tilt in 4);
discrete attributes a data set lists in extra["attribute_values"] (the faces' glasses, smile,
hair style and colour) are predicted as they are.

Needs a checkpoint that holds a discriminator (a run's checkpoints/latest.safetensors, or a
bundled model exported with keep_discriminator); generator-only files are refused with one
clear message.
`run_probe(..., progress=, should_stop=)` reports its progress as a fraction of the work
(weights below: each step's share is its estimated cost, so elapsed / fraction extrapolates to
an estimate of the whole) and stops between steps when asked (raising ProbeCancelled), in the
manner of stylegan3's `training_loop(..., abort_fn, progress_fn)`.
Pure torch; no scikit-learn.
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from gan_models.errors import GanExplorerError

POOL = 4
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1)
MAX_BUDGETS = 16          # --labels: one classifier per budget and feature set
STREAMED_N = 5000          # images rendered from a streamed data set (shapes) unless --n-data
FACTOR_BINS = {"x": 4, "y": 4, "scale": 4, "hue": 6,       # shapes; quantile bins: balanced classes
               "skin": 4, "width": 4, "eye_size": 4, "tilt": 4}  # faces



class ProbeCancelled(Exception):
    """run_probe stopped because should_stop() said so (not an error)."""


class _Progress:
    """Work done so far as a fraction of the planned total, reported after each step.

    Costs are relative, from one probe of dcgan-shapes timed step by step on a 2-core CPU: a
    linear fit on F features costs about F * (n + FIT_OVERHEAD) * FIT_COST whatever its n
    labelled images (LBFGS's history over the F x K weights costs as much as ~400 images;
    the 2-fold CV over the L2 grid is included), extracting the features of n images costs
    n * F * FEATURE_COST. The panel turns the fraction and the elapsed time into an estimate."""
    FIT_COST = 1.0
    FIT_OVERHEAD = 400
    FEATURE_COST = 0.05

    def fit(self, n: int, dim: int) -> float:
        return dim * (n + self.FIT_OVERHEAD) * self.FIT_COST

    def extract(self, n: int, dim: int) -> float:
        return n * dim * self.FEATURE_COST

    def __init__(self, progress, should_stop):
        self.progress, self.should_stop = progress, should_stop
        self.total, self.done = 0.0, 0.0

    def plan(self, cost: float) -> None:
        self.total += cost

    def step(self, cost: float, what: str) -> None:
        self.done += cost
        if self.progress is not None:
            self.progress(min(1.0, self.done / max(self.total, 1e-9)), what)
        self.check()

    def check(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise ProbeCancelled()


# ---------------------------------------------------------------- features

def _d_inputs(D, x: torch.Tensor):
    """x as D expects it: each sample repeated `pack` times for a PacGAN D, and for a
    conditional D a uniform soft label (the probe must not hand D the answer)."""
    pack = getattr(D, "pack", 1)
    if pack > 1:
        x = x.repeat_interleave(pack, 0)
    y = None
    k = getattr(D, "num_classes", 0)
    if k:
        y = torch.full((x.shape[0], k), 1.0 / k, dtype=x.dtype)
    return x, y


@torch.no_grad()
def features(D, x, batch: int = 500, check=None) -> torch.Tensor:
    """(N, C, H, W) images in [-1, 1] (or (N, D) points) -> (N, F) float32 features of D.
    check() is called before each batch (it may raise to stop)."""
    D.eval()
    x = torch.as_tensor(x, dtype=torch.float32)
    out = []
    for i in range(0, len(x), batch):
        if check is not None:
            check()
        xb, yb = _d_inputs(D, x[i:i + batch])
        parts = []
        for h in D.features(xb, yb):
            if h.dim() == 4:
                h = F.adaptive_max_pool2d(h, POOL)           # (n, C_i, 4, 4)
            parts.append(h.flatten(1).float())
        out.append(torch.cat(parts, 1))
    return torch.cat(out, 0)


def feature_dim(D, sample_shape) -> int:
    """Length of the concatenated feature vector for one input of `sample_shape`."""
    x = torch.zeros(1, *sample_shape)
    return features(D, x).shape[1]


# ---------------------------------------------------------------- linear classifier

def _standardise(train: torch.Tensor, *others):
    mu, sd = train.mean(0), train.std(0, unbiased=False).clamp_min(1e-6)
    return [(t - mu) / sd for t in (train,) + others]


def _fit(x: torch.Tensor, y: torch.Tensor, k: int, l2: float, iters: int = 100):
    """Multinomial logistic regression, mean cross-entropy + l2/2 ||W||^2, full-batch LBFGS."""
    torch.manual_seed(0)
    w = torch.zeros(x.shape[1], k, requires_grad=True)
    b = torch.zeros(k, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=iters, history_size=20,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-6)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ w + b, y) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss
    with torch.enable_grad():
        opt.step(closure)
    return w.detach(), b.detach()


def _acc(w, b, x, y) -> float:
    return float(((x @ w + b).argmax(1) == y).float().mean()) if len(y) else 0.0


def fit_linear(x_train, y_train, x_test, y_test, k: int, l2_grid=L2_GRID, seed: int = 0) -> dict:
    """Standardise with the labelled set's statistics, pick the L2 weight by 2-fold CV on the
    labelled set, refit on all of it; -> {"accuracy", "l2"}."""
    x_train, x_test = _standardise(x_train.float(), x_test.float())
    y_train, y_test = torch.as_tensor(y_train).long(), torch.as_tensor(y_test).long()
    best = (l2_grid[0], -1.0)
    if len(l2_grid) > 1 and len(y_train) >= 4:
        perm = torch.randperm(len(y_train), generator=torch.Generator().manual_seed(seed))
        halves = (perm[: len(perm) // 2], perm[len(perm) // 2:])
        for l2 in l2_grid:
            score = 0.0
            for a, bb in (halves, halves[::-1]):
                w, b = _fit(x_train[a], y_train[a], k, l2, iters=50)
                score += _acc(w, b, x_train[bb], y_train[bb])
            if score > best[1]:
                best = (l2, score)
    w, b = _fit(x_train, y_train, k, best[0])
    return {"accuracy": _acc(w, b, x_test, y_test), "l2": best[0]}


# ---------------------------------------------------------------- splits

def balanced_subset(labels: np.ndarray, n: int, k: int, seed: int) -> np.ndarray:
    """n indices, n // k per class (the remainder to the first classes), seeded."""
    rng = np.random.default_rng(seed)
    out = []
    for c in range(k):
        idx = np.flatnonzero(labels == c)
        take = n // k + (1 if c < n % k else 0)
        if len(idx) < take:
            raise GanExplorerError(f"--labels {n}: class {c} has only {len(idx)} images to label "
                                   f"(needs {take}); use fewer labels or more data")
        out.append(rng.choice(idx, take, replace=False))
    return np.sort(np.concatenate(out))


# ---------------------------------------------------------------- the experiment

def load_d_checkpoint(path):
    """A checkpoint with a discriminator, or GanExplorerError (one line) for a generator-only file."""
    from gan_models.checkpoint import load_checkpoint
    ck = load_checkpoint(path)
    if ck.discriminator is None:
        raise GanExplorerError(f"{ck.path}: a generator-only file (no discriminator), e.g. a bundled "
                               "model; the feature probe needs a training checkpoint with D, such as "
                               "runs/<run>/checkpoints/latest.safetensors")
    return ck


def probe_data(ck, data=None, n_data: int | None = None, seed: int = 0):
    from .data import in_memory, load_dataset
    name = data or ck.meta.get("dataset")
    if not name or name == "unknown":
        raise GanExplorerError(f"{ck.path}: does not say which data set it was trained on; pass --data")
    shape = ck.config.data_shape
    ds = load_dataset(name, image_size=shape[1] if len(shape) == 3 else None,
                      channels=shape[0] if len(shape) == 3 else None, n=n_data, seed=seed)
    ds = in_memory(ds, n_data or STREAMED_N)          # streamed: render a fixed subset
    if getattr(ds, "labels", None) is None or not getattr(ds, "num_classes", 0):
        raise GanExplorerError(f"--data {name}: has no labels; the feature probe needs a labelled data set")
    if tuple(ds.data_shape) != tuple(shape):
        raise GanExplorerError(f"--data {name}: its samples are {tuple(ds.data_shape)}, the "
                               f"discriminator reads {tuple(shape)}")
    return ds


def factor_classes(ds) -> dict:
    """The probe's targets, each as ((N,) int64 classes, class count): the label (named "shape"
    on the shapes, after the data set's label on the faces, e.g. "glasses × smile"), each discrete
    attribute the data set lists in extra["attribute_values"] and each factor of FACTOR_BINS it
    has, binned; {} for a data set without factors (digits)."""
    extra = getattr(ds, "extra", {}) or {}
    label = str(extra.get("label", "shape")).replace("*", " × ")
    out = {label: (ds.labels.numpy(), ds.num_classes)}
    factors = getattr(ds, "factors", {}) or {}
    for name, values in (extra.get("attribute_values") or {}).items():
        v = np.asarray(factors.get(name, []))
        if len(v) == len(ds.labels):
            out[name] = (v.astype(np.int64), len(values))
    for name, k in FACTOR_BINS.items():
        v = np.asarray(factors.get(name, []), np.float64)
        if len(v) != len(ds.labels):
            continue
        edges = np.quantile(v, np.arange(1, k) / k)
        out[name] = (np.searchsorted(edges, v, side="right").astype(np.int64), k)
    return out if len(out) > 1 else {}


def factor_probe(feats: dict, targets: dict, train_idx, test_idx, l2_grid, seed: int, step=None) -> list[dict]:
    """One row per target: accuracy of each feature set, chance (the largest test class share)
    and gain = discriminator - raw pixels. feats: name -> (N, F) features of all images;
    targets: name -> ((N,) classes, class count)."""
    rows = []
    for target, (y, k) in targets.items():
        row = {"factor": target, "classes": k,
               "chance": float(np.bincount(y[test_idx], minlength=k).max() / len(test_idx))}
        for name, f in feats.items():
            res = fit_linear(f[train_idx], torch.as_tensor(y[train_idx]), f[test_idx],
                             torch.as_tensor(y[test_idx]), k, l2_grid, seed)
            row[name] = res["accuracy"]
            if step is not None:
                step(target, name)
        row["gain"] = row["discriminator"] - row["raw pixels"]
        rows.append(row)
    return rows


def run_probe(checkpoint, data=None, labels=(100, 1000), n_test: int = 2000, n_data: int | None = None,
              seed: int = 0, l2_grid=None, progress=None, should_stop=None) -> dict:
    """The three-row table: test accuracy of a linear classifier on (trained D features,
    raw pixels, random-init D features) for each label budget.

    Returns {"checkpoint", "dataset", "n_test", "labels": [...], "feature_dims": {...},
    "rows": [{"features": name, "dim": F, "accuracy": {str(n): acc}, "l2": {...}}], "seconds"},
    plus "factors": {"labels": the budget, "bins": {factor: quantile bins} of the binned ones,
    "rows": factor_probe rows} for a data set with factors (shapes, faces).

    progress(fraction, what) is called after each step; should_stop() is asked between steps
    (and between feature batches), and True makes run_probe raise ProbeCancelled.
    """
    from gan_models.registry import build_discriminator
    t0 = time.monotonic()
    l2_grid = tuple(l2_grid or L2_GRID)
    prog = _Progress(progress, should_stop)
    ck = load_d_checkpoint(checkpoint)
    prog.check()
    ds = probe_data(ck, data, n_data, seed)
    prog.check()
    k = ds.num_classes
    y_all = ds.labels.numpy()
    n = len(y_all)
    if n_test >= n:
        raise GanExplorerError(f"--n-test {n_test}: the data set has only {n} images")
    perm = np.random.default_rng(seed).permutation(n)
    test_idx, pool_idx = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    subsets = {}
    for m in labels:
        sub = balanced_subset(y_all[pool_idx], int(m), k, seed + int(m))
        subsets[int(m)] = pool_idx[sub]
    used = np.unique(np.concatenate([test_idx] + list(subsets.values())))
    x = ds.x
    torch.manual_seed(seed + 12345)
    random_d = build_discriminator(ck.config).eval()
    extractors = [("discriminator", lambda v: features(ck.discriminator, v, check=prog.check)),
                  ("raw pixels", lambda v: torch.as_tensor(v).flatten(1).float()),
                  ("random D", lambda v: features(random_d, v, check=prog.check))]
    rows, all_feats = [], {}
    pos = {int(i): j for j, i in enumerate(used)}
    targets = factor_classes(ds)
    dims = {"discriminator": feature_dim(ck.discriminator, ck.config.data_shape),
            "raw pixels": int(np.prod(ck.config.data_shape)), "random D": None}
    dims["random D"] = dims["discriminator"]
    for name, _ in extractors:                               # the plan: every step's estimated cost
        if name != "raw pixels":
            prog.plan(prog.extract(len(used), dims[name]))
        for m in labels:
            prog.plan(prog.fit(int(m), dims[name]))
        if targets:
            prog.plan(len(targets) * prog.fit(max(int(m) for m in labels), dims[name]))
    for name, fn in extractors:
        feats = fn(x[used])                                  # only the images we use
        all_feats[name] = feats
        if name != "raw pixels":
            prog.step(prog.extract(len(used), dims[name]), f"{name}: features of {len(used):,} images")
        f_test = feats[[pos[int(i)] for i in test_idx]]
        row = {"features": name, "dim": int(feats.shape[1]), "accuracy": {}, "l2": {}}
        for m, idx in subsets.items():
            res = fit_linear(feats[[pos[int(i)] for i in idx]], torch.as_tensor(y_all[idx]),
                             f_test, torch.as_tensor(y_all[test_idx]), k, l2_grid, seed)
            row["accuracy"][str(m)], row["l2"][str(m)] = res["accuracy"], res["l2"]
            prog.step(prog.fit(int(m), dims[name]), f"{name}: classifier on {m} labels")
        rows.append(row)
    out = {"checkpoint": str(ck.path), "dataset": ds.name, "kind": ck.config.kind,
           "n_data": int(n), "n_test": int(n_test), "labels": [int(m) for m in labels], "rows": rows}
    if targets:
        m = max(subsets)
        local = {t: (y[used], k) for t, (y, k) in targets.items()}     # indexed like the features
        out["factors"] = {"labels": m, "bins": {t: FACTOR_BINS[t] for t in targets if t in FACTOR_BINS},
                          "rows": factor_probe(all_feats, local, [pos[int(i)] for i in subsets[m]],
                                               [pos[int(i)] for i in test_idx], l2_grid, seed,
                                               step=lambda t, name: prog.step(prog.fit(m, dims[name]),
                                                                              f"{name}: {t} on {m} labels"))}
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out


def bins_text(bins: dict) -> str:
    """{"x": 4, "y": 4, "hue": 6} -> "quantile bins: 4 for x, y, 6 for hue" (the other
    factors are discrete: their own values)."""
    by_k: dict = {}
    for name, k in bins.items():
        by_k.setdefault(k, []).append(name.replace("_", " "))
    return "quantile bins: " + ", ".join(f"{k} for {', '.join(names)}" for k, names in by_k.items()) \
        if by_k else "every factor discrete"


def feature_pca(checkpoint_or_d, x, labels=None, n: int = 1000, seed: int = 0) -> dict:
    """2-D PCA of D's pooled features for up to n images -> {"coords": (n, 2) float32 numpy,
    "labels": (n,) ints or None, "explained": fraction of variance of the two components}."""
    D = checkpoint_or_d
    if not hasattr(D, "features"):
        D = load_d_checkpoint(checkpoint_or_d).discriminator
    x = torch.as_tensor(x, dtype=torch.float32)
    idx = np.sort(np.random.default_rng(seed).permutation(len(x))[:n])
    f = features(D, x[idx])
    f = (f - f.mean(0)) / f.std(0, unbiased=False).clamp_min(1e-6)
    u, s, v = torch.linalg.svd(f, full_matrices=False)
    coords = (f @ v[:2].T).numpy().astype(np.float32)
    var = s ** 2
    lab = None
    if labels is not None:
        lab = np.asarray(torch.as_tensor(labels).numpy())[idx]
    return {"coords": coords, "labels": lab, "explained": float(var[:2].sum() / var.sum().clamp_min(1e-12))}
