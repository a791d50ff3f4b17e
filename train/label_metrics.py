"""The generic judge: the probe classifier (train/probe.py) of any labelled image data set
(digits, MNIST-family, CIFAR, a folder with class subfolders), and the digit moments for
InfoGAN's continuous codes. The registry (train/judges.py) falls back to this module.

Metrics: probe_accuracy and fid (probe FID) for labelled data whose images match the model's
shape, label_accuracy when the generator takes the data set's labels, code_accuracy when it has
a categorical code; slant_corr and width_corr for continuous codes on any image data.
"""
from __future__ import annotations

import numpy as np

from .metrics import code_accuracy, code_factor_correlations, label_accuracy, probe_fid
from .probe import get_probe


def applies(dataset) -> bool:
    return True


def judge(dataset, cache_dir=None):
    return get_probe(dataset, cache_dir=cache_dir)


def metrics(generator, dataset, *, probe_cache=None, seed: int = 0, quick: bool = False,
            value_range=(-1.0, 1.0), probe=None) -> dict:
    out: dict = {}
    layout = generator.code_layout
    x = getattr(dataset, "x", None)
    labelled = (getattr(dataset, "labels", None) is not None and x is not None
                and tuple(np.shape(x)[1:]) == tuple(generator.output_shape))
    if labelled:
        probe = probe if probe is not None else get_probe(dataset, cache_dir=probe_cache)
        out["probe_accuracy"] = probe.accuracy
        out["fid"] = probe_fid(generator, probe, x, n=500 if quick else 2000, seed=seed,
                               value_range=value_range)
        per = 20 if quick else 100
        if generator.num_classes and generator.num_classes == probe.num_classes:
            out["label_accuracy"] = label_accuracy(generator, probe, per, seed, value_range)
        if layout.categorical:
            out["code_accuracy"] = code_accuracy(generator, probe, per, seed, value_range)
    if layout.continuous:
        corr = code_factor_correlations(generator, n=300 if quick else 1000, seed=seed,
                                        value_range=value_range)
        out["slant_corr"], out["width_corr"] = corr["slant_corr"], corr["width_corr"]
    return out
