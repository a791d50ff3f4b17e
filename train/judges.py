"""The judges registry: which judge and which factor metrics measure a model of each data set.

Each data set family with its own judge names the module that holds it here; every other image
data set (digits, MNIST, CIFAR, a folder) gets the generic probe classifier of
train/label_metrics.py. A judge module provides three functions:

* ``applies(dataset) -> bool``: the data set is one it measures,
* ``judge(dataset, cache_dir=None)``: its classifier for the data set's label, with the Probe
  interface (``predict``, ``probabilities``, ``features``, ``num_classes``, ``accuracy``), for
  live quality (train/live_quality.py) and anything else that reads samples,
* ``metrics(generator, dataset, *, probe_cache, seed, quick, value_range, probe) -> dict``: the
  flat floats `gan-explorer eval` prints and bundled models store.

Adding a data set is a module of its own and one line in JUDGES: train/metrics.py (the shared
math: matching, ranks, Frechet distance, toys) imports none of them, and none is imported here
until a data set needs it.
"""
from __future__ import annotations

from importlib import import_module

JUDGES = {
    "shapes": "train.shapes_metrics",
    "faces": "train.faces_metrics",
}
DEFAULT = "train.label_metrics"


def family(dataset) -> str:
    """'faces:hair_style' -> 'faces': the part of a data set's name that picks its judge."""
    return str(getattr(dataset, "name", "") or "").split(":")[0].lower()


def judge_module(dataset):
    """The module that measures this image data set (its own, else the generic one)."""
    name = JUDGES.get(family(dataset))
    if name is not None:
        mod = import_module(name)
        if mod.applies(dataset):
            return mod
    return import_module(DEFAULT)


def judge_for(dataset, cache_dir=None):
    """The data set's judge, as a Probe (see the module docstring)."""
    return judge_module(dataset).judge(dataset, cache_dir=cache_dir)


def evaluate(generator, dataset, probe_cache=None, seed: int = 0, quick: bool = False,
             value_range=(-1.0, 1.0), probe=None) -> dict:
    """Every metric that applies to this generator and data set, as a flat dict of floats.

    Point outputs on a toy mixture -> modes, modes_total, hq_fraction, kl (train/metrics.py);
    images -> the data set's judge module's metrics (see the module docstring). quick=True uses
    fewer samples (a cheap in-training check). probe_cache: folder for judge files; probe: an
    already loaded judge for this data set. value_range: the generator's output range (images
    are rescaled to [-1, 1] before they are judged).
    """
    if not generator.is_image:
        if getattr(dataset, "centres", None) is not None:
            from .metrics import toy_metrics
            return toy_metrics(generator, dataset, n=500 if quick else 2500, seed=seed)
        return {}
    return judge_module(dataset).metrics(generator, dataset, probe_cache=probe_cache, seed=seed, quick=quick,
                                         value_range=value_range, probe=probe)
