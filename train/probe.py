"""A small classifier trained by us on a data set's labelled images: the image metrics' judge.

The probe is a compact CNN (2 conv layers + a 64-d fully connected feature layer + a linear
head). It decides which class a generated image shows (CGAN label accuracy, InfoGAN code
accuracy) and its 64-d penultimate features stand in for Inception features in a small,
offline Frechet distance ("probe FID"; numbers are comparable only between runs that use the
same probe, never with published FIDs).

Training is a short fixed schedule, deterministic from a seed, and the result is cached per
data set as safetensors under `<cache root>/probes/<key>.safetensors`, where the cache root is
$GAN_EXPLORER_CACHE or ~/.cache/gan-explorer. The key names the data set, its image shape, its
size, the data set's and the probe's seeds, the schedule, PROBE_VERSION and a short
fingerprint of the data, so a different data set (or a changed probe) never reuses a stale file.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from gan_models.atomic import atomic_path
from gan_models.errors import DatasetError

PROBE_VERSION = 1          # bump when the network or the schedule changes: old cache files are ignored
FEATURE_DIM = 64
DEFAULT_TRAIN_STEPS = 500  # Adam steps of BATCH images: 99.66% held-out on the 60k embedded digits
BATCH = 128
LR = 2e-3


DEEP_FROM = 48             # images this wide or wider get two more conv layers (see ProbeNet)


class ProbeNet(nn.Module):
    """(B, C, H, W) in [-1, 1] -> (B, K) class logits; `features` gives the (B, 64) layer.

    From DEEP_FROM pixels wide (the 64x64 colour shapes) two more conv layers widen the
    receptive field to the size of a shape: with only the first two, 1,500 steps reached 77%
    held-out on the shapes, with them 99.4% (28/32-pixel inputs keep the original net).
    """

    def __init__(self, channels: int, num_classes: int, feature_dim: int = FEATURE_DIM, image_size: int = 28):
        super().__init__()
        layers = [nn.Conv2d(channels, 16, 5, stride=2, padding=2), nn.ReLU(),       # (B, 16, H/2, W/2)
                  nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU()]             # (B, 32, H/4, W/4)
        if image_size >= DEEP_FROM:
            layers += [nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),        # (B, 32, H/8, W/8)
                       nn.Conv2d(32, 32, 3, padding=1), nn.ReLU()]
        self.trunk = nn.Sequential(
            *layers,
            nn.AdaptiveAvgPool2d(7),                                            # (B, 32, 7, 7) any size in
            nn.Flatten(),                                                       # (B, 1568)
            nn.Linear(32 * 7 * 7, feature_dim), nn.ReLU(),                      # (B, 64)
        )
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


class Probe:
    """A trained ProbeNet plus what it was trained on.

    Attributes
    ----------
    accuracy : float
        Accuracy on the held-out part of the data set, measured right after training.
    num_classes : int
    input_shape : tuple
        (C, H, W) the probe expects; inputs are floats in [-1, 1].
    """

    def __init__(self, net: ProbeNet, accuracy: float, input_shape: tuple, num_classes: int,
                 key: str = ""):
        self.net = net.eval()
        self.accuracy = float(accuracy)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.num_classes = int(num_classes)
        self.key = key

    def _batches(self, x, fn, batch: int = 512) -> np.ndarray:
        x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x).float().cpu()
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"the probe takes images of shape {self.input_shape}, got {tuple(x.shape[1:])}")
        with torch.no_grad():
            outs = [fn(x[i:i + batch]) for i in range(0, x.shape[0], batch)]
        return torch.cat(outs).numpy() if outs else np.zeros((0,))

    def predict(self, x) -> np.ndarray:
        """(N, C, H, W) images in [-1, 1] -> (N,) int64 predicted classes."""
        return self._batches(x, lambda b: self.net(b).argmax(1)).astype(np.int64)

    def features(self, x) -> np.ndarray:
        """(N, C, H, W) images in [-1, 1] -> (N, 64) float32 penultimate features."""
        return self._batches(x, self.net.features).reshape(-1, FEATURE_DIM)

    def probabilities(self, x) -> np.ndarray:
        """(N, C, H, W) images in [-1, 1] -> (N, K) float32 softmax class probabilities."""
        return self._batches(x, lambda b: torch.softmax(self.net(b), 1)).reshape(-1, self.num_classes)


def default_cache_dir() -> Path:
    root = os.environ.get("GAN_EXPLORER_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "gan-explorer") / "probes"


def probe_key(dataset, train_steps: int, seed: int) -> str:
    """File stem naming everything the probe depends on (see the module docstring)."""
    x, y = np.asarray(dataset.x), np.asarray(dataset.labels)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(getattr(dataset, "name", "dataset")))[:40]
    h = hashlib.blake2b(digest_size=6)
    step = max(1, len(x) // 1000)                      # ~1000 images + every label: fast, still specific
    h.update(np.ascontiguousarray(x[::step], dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    shape = "x".join(str(s) for s in x.shape[1:])
    data_seed = getattr(dataset, "seed", None)                 # toys keep it here, loaders in extra
    if data_seed is None:
        data_seed = getattr(dataset, "extra", {}).get("seed")
    return (f"{name}-{shape}-n{len(x)}-d{data_seed}-s{seed}-t{train_steps}-v{PROBE_VERSION}"
            f"-{h.hexdigest()}")


def _split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train / held-out split: 10% held out (at least 1, at most 5000)."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test = min(5000, max(1, n // 10))
    return perm[n_test:], perm[:n_test]


@contextlib.contextmanager
def _single_thread():
    """Run torch ops on one intra-op thread, restoring the previous count afterwards.

    A probe step is small (128 images of 28x28): measured on a 2-core machine that was also
    running a trainer, two OpenMP threads made training 4-10x slower than one, and one
    thread finished 500 steps in ~15-30 s. Process-global, so other threads running torch at
    the same moment also get one thread until training ends.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_probe(x: np.ndarray, labels: np.ndarray, num_classes: int, train_steps: int = DEFAULT_TRAIN_STEPS,
                seed: int = 0) -> tuple[ProbeNet, float]:
    """Train a ProbeNet on (N, C, H, W) images; returns it and its held-out accuracy.

    Deterministic from `seed`: initialisation runs under a forked global RNG seeded with it and
    batches come from a seeded numpy generator, so the caller's RNG state is left untouched.
    """
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    tr, te = _split(len(x), seed)
    rng = np.random.default_rng(seed + 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ProbeNet(x.shape[1], num_classes, image_size=x.shape[-1])
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    # cosine decay to 0: a short schedule that still ends on a settled model
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * s / max(1, train_steps))))
    net.train()
    with _single_thread():
        for _ in range(train_steps):
            idx = torch.as_tensor(rng.choice(tr, size=min(BATCH, len(tr)), replace=False))
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    probe = Probe(net, 0.0, tuple(x.shape[1:]), num_classes)
    acc = float((probe.predict(x[te]) == y[te].numpy()).mean())
    return net, acc


def _load(path: Path, key: str) -> Probe | None:
    """A cached probe, or None when the file is missing, unreadable or for another key."""
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}
        if meta.get("key") != key:
            return None
        shape = tuple(json.loads(meta["input_shape"]))
        net = ProbeNet(shape[0], int(meta["num_classes"]), image_size=shape[-1])
        net.load_state_dict(state)
        return Probe(net, float(meta["accuracy"]), shape, int(meta["num_classes"]), key)
    except Exception:    # a broken or foreign cache file is not an error: it is retrained over
        return None


def get_probe(dataset, cache_dir=None, train_steps: int = DEFAULT_TRAIN_STEPS, seed: int = 0) -> Probe:
    """The probe for a labelled image data set: from the cache, or trained now and cached.

    Parameters
    ----------
    dataset : an ArrayDataset (x (N, C, H, W) float32 in [-1, 1], labels (N,) int64, num_classes)
    cache_dir : folder holding probe files; default `default_cache_dir()`
    train_steps, seed : the training schedule (both part of the cache key)
    """
    labels = getattr(dataset, "labels", None)
    x = getattr(dataset, "x", None)
    name = getattr(dataset, "name", "this data set")
    if labels is None or x is None or np.ndim(x) != 4:
        raise DatasetError(f"{name}: the probe needs labelled images (x of shape (N, C, H, W) and labels)")
    num_classes = int(getattr(dataset, "num_classes", 0) or int(np.max(labels)) + 1)
    key = probe_key(dataset, train_steps, seed)
    path = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = path / f"{key}.safetensors"
    probe = _load(path, key) if path.exists() else None
    if probe is not None:
        return probe
    net, acc = train_probe(x, labels, num_classes, train_steps, seed)
    meta = {"key": key, "accuracy": repr(acc), "num_classes": str(num_classes),
            "input_shape": json.dumps(list(np.shape(x)[1:])), "version": str(PROBE_VERSION),
            "train_steps": str(train_steps), "seed": str(seed)}
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=meta)
    return Probe(net, acc, tuple(np.shape(x)[1:]), num_classes, key)
