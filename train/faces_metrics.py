"""What a faces model draws, read by the faces judge (train/faces_judge.py): the registry's
faces entry (train/judges.py).

- `sample_report`: n prior samples beside n real faces: the share the judge reads as valid
  faces (its face head) and as clear ones (valid, every discrete attribute read with
  probability >= 0.9), each discrete attribute's value shares (and the largest gap to the real shares, in
  points), each continuous attribute's 1-D Wasserstein distance to the real distribution, and a
  Frechet distance in the judge's features (with the real-vs-real floor).
- a CGAN: the share of samples that show every attribute of the label asked for,
- an InfoGAN: its first categorical code against every discrete attribute (best one-to-one
  matching, unmatched values wrong), and each continuous code's mean Spearman with every
  continuous attribute the judge reads, over controlled sweeps.
- `reading`: what the judge reads in a handful of images, counted per attribute value, for the
  panels ("glasses: 14 of 16").
"""
from __future__ import annotations

import numpy as np
import torch

from gan_models.latent import prior_inputs

from . import faces_judge as FJ
from .data import faces as F
from .metrics import (best_matching, frechet_distance, gaussian_stats, judge_images, label_accuracy,
                      linear_sum_assignment, spearman)

REAL_N = 4000          # real faces rendered for the baselines (two halves of 2,000)
# issue 27's targets, by the judge: a DCGAN draws valid faces and every attribute value near its
# data frequency; a CGAN the asked attributes; InfoGAN's categorical code one attribute, one
# continuous code one continuous attribute
TARGETS = {"valid_share": 0.90, "max_share_gap": 0.10, "label_accuracy": 0.95, "code_accuracy": 0.90,
           "cont_corr": 0.8}


def applies(dataset) -> bool:
    name = str(getattr(dataset, "name", "") or "")
    return name.split(":")[0] == "faces" and tuple(getattr(dataset, "data_shape", ())) == (3, F.SIZE, F.SIZE)


def label_spec(dataset) -> str:
    """The attribute(s) the data set's label is: 'glasses*smile' for plain `faces`."""
    spec = getattr(dataset, "label_spec", None) or getattr(dataset, "extra", {}).get("label")
    return spec or F.DEFAULT_LABEL


def judge(dataset, cache_dir=None):
    """The registry's judge: the faces judge read as the data set's label (a Probe)."""
    return FJ.get_judge(cache_dir).for_label(label_spec(dataset))


def _whole(probe, cache_dir):
    """The FaceJudge behind a LabelView (or the judge itself, or the cached one)."""
    if probe is None:
        return FJ.get_judge(cache_dir)
    return getattr(probe, "judge", probe)


def reading(judge: FJ.FaceJudge, x) -> dict:
    """Counts of what the judge reads in images x: {"n", "valid", "clear", attribute: [count per value],
    continuous attribute: [mean, std]}."""
    r = judge.read(x)
    out = {"n": int(len(r["valid"])), "valid": int(r["valid"].sum()), "clear": int(r["clear"].sum())}
    for k, n in FJ.HEADS.items():
        out[k] = np.bincount(r[k].argmax(1), minlength=n).astype(int).tolist()
    for k in F.CONTINUOUS:
        out[k] = [float(r[k].mean()), float(r[k].std())] if len(r[k]) else [float("nan")] * 2
    return out


def _w1(a, b) -> float:
    q = (np.arange(200) + 0.5) / 200
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())


def sample_report(generator, judge: FJ.FaceJudge, real_x, n: int = 2000, seed: int = 0,
                  value_range=(-1.0, 1.0)) -> dict:
    """n prior samples against two disjoint halves of real_x ((>= 2n, 3, 64, 64) in [-1, 1])."""
    perm = np.random.default_rng(seed).permutation(len(real_x))
    real_a, real_b = real_x[perm[:n]], real_x[perm[n:2 * n]]
    z, label, codes, _, _ = prior_inputs(generator, n, seed)
    fake = judge_images(generator, z, label, codes, value_range)
    rf, rr = judge.read(fake), judge.read(real_a)
    fa = gaussian_stats(judge.features(real_a))
    out = {"n": int(n), "valid_share": float(rf["valid"].mean()), "valid_share_real": float(rr["valid"].mean()),
           "clear_share": float(rf["clear"].mean()), "clear_share_real": float(rr["clear"].mean()),
           "fid": frechet_distance(*fa, *gaussian_stats(judge.features(fake))),
           "fid_real": frechet_distance(*fa, *gaussian_stats(judge.features(real_b))) if len(real_b) >= 2
           else float("nan"), "shares": {}, "shares_real": {}, "w1": {}}
    gaps = []
    for k, m in FJ.HEADS.items():
        sf = np.bincount(rf[k].argmax(1), minlength=m) / max(1, n)
        sr = np.bincount(rr[k].argmax(1), minlength=m) / max(1, len(real_a))
        out["shares"][k], out["shares_real"][k] = sf.tolist(), sr.tolist()
        gaps.append(np.abs(sf - sr).max())
    out["max_share_gap"] = float(max(gaps))
    for k in F.CONTINUOUS:
        out["w1"][k] = _w1(rf[k], rr[k]) / (F.RANGES[k][1] - F.RANGES[k][0])     # share of the range
    return out


def categorical_matching(generator, judge: FJ.FaceJudge, n_per_value: int = 100, seed: int = 0,
                         value_range=(-1.0, 1.0), product: str | None = None) -> dict:
    """InfoGAN's first categorical code against every discrete attribute and, given `label`, the
    data set's label (a product such as "glasses*smile": a 4-way code can only match half of a
    2-way attribute, but all of a 2x2 product): {attribute or label: best_matching result},
    plus "best": the one it matches best."""
    layout = generator.code_layout
    k = layout.categorical[0]
    values = torch.arange(k).repeat_interleave(n_per_value)
    z, label, _, cat, cont = prior_inputs(generator, len(values), seed)
    cat[:, 0] = values                                  # other codes keep their prior draws
    x = judge_images(generator, z, None, layout.encode(cat, cont, len(values)), value_range)
    r = judge.read(x)
    out = {a: best_matching(values.numpy(), r[a].argmax(1), k, m) for a, m in FJ.HEADS.items()}
    if product and product not in FJ.HEADS:
        view = judge.for_label(product)
        out[product] = best_matching(values.numpy(), view.predict(x), k, view.num_classes)
    best = max(out, key=lambda a: out[a]["accuracy"])
    out["best"] = [best, out[best]["accuracy"]]
    return out


def continuous_sweeps(generator, judge: FJ.FaceJudge, n: int = 900, seed: int = 0, value_range=(-1.0, 1.0),
                      sweep_points: int = 9) -> dict:
    """Each continuous code's mean Spearman (signed) with each continuous attribute the judge
    reads, along sweeps of that code alone over [-1, 1] (n // sweep_points draws of the rest):
    {"per_code": {code: {attribute: rho}}, "matched": {code: [attribute, |rho|]} (distinct
    attributes, the total |rho| maximised), "best": [code, attribute, |rho|] (the strongest)}."""
    layout = generator.code_layout
    names = layout.names()[len(layout.categorical):]
    m, k = max(1, n // sweep_points), sweep_points
    z, label, _, cat, cont = prior_inputs(generator, m, seed)
    vals = torch.linspace(-1, 1, k)
    per_code = {}
    for i, nm in enumerate(names):
        co = cont.repeat_interleave(k, 0).clone()
        co[:, i] = vals.repeat(m)
        ll = label.repeat_interleave(k, 0) if label is not None else None
        x = judge_images(generator, z.repeat_interleave(k, 0), ll,
                         layout.encode(cat.repeat_interleave(k, 0), co, m * k), value_range)
        r = judge.read(x)
        per_code[nm] = {a: float(np.mean([spearman(vals.numpy(), row) for row in r[a].reshape(m, k)]))
                        for a in F.CONTINUOUS}
    out = {"per_code": per_code, "matched": {}, "best": None}
    if names:
        a = np.array([[abs(per_code[nm][f]) for f in F.CONTINUOUS] for nm in names])
        rows, cols = linear_sum_assignment(-a)
        out["matched"] = {names[r]: [F.CONTINUOUS[c], float(a[r, c])] for r, c in zip(rows, cols)}
        i, j = np.unravel_index(a.argmax(), a.shape)
        out["best"] = [names[i], F.CONTINUOUS[j], float(a[i, j])]
    return out


def faces_report(generator, dataset, probe_cache=None, seed: int = 0, quick: bool = False,
                 value_range=(-1.0, 1.0), probe=None) -> dict:
    """Everything measured on a faces generator (see the module docstring)."""
    whole = _whole(probe, probe_cache)
    from .data import in_memory
    real = in_memory(dataset, REAL_N)
    n = 500 if quick else 2000
    rep = {"judge": whole.report, "quick": bool(quick), "label": label_spec(dataset),
           "samples": sample_report(generator, whole, real.x, n=min(n, len(real.x) // 2), seed=seed,
                                    value_range=value_range)}
    per = 20 if quick else 100
    view = whole.for_label(label_spec(dataset))
    if generator.num_classes and generator.num_classes == view.num_classes:
        rep["label_accuracy"] = label_accuracy(generator, view, per, seed, value_range)
    layout = generator.code_layout
    if layout.categorical:
        rep["categorical"] = categorical_matching(generator, whole, per, seed, value_range,
                                                  product=label_spec(dataset))
    if layout.continuous:
        rep["continuous"] = continuous_sweeps(generator, whole, n=270 if quick else 900, seed=seed,
                                              value_range=value_range)
    if not generator.num_classes and not layout:         # the DCGAN paper's face arithmetic
        from .faces_arithmetic import arithmetic_rate
        rep["arithmetic"] = arithmetic_rate(generator, whole, triples=30 if quick else 100,
                                            pool=500 if quick else 2000, seed=seed, value_range=value_range)
        from .faces_directions import attribute_directions, flip_rate     # named directions, moved 2 sigma
        dirs = attribute_directions(generator, whole, n=500 if quick else 2000, seed=seed, value_range=value_range)
        for a in ("smile", "glasses"):
            f = flip_rate(generator, whole, dirs, a, 2.0, n=200 if quick else 500, seed=seed + 1,
                          value_range=value_range)
            rep["arithmetic"].update({f"dir_{a}_flip": f["flipped"], f"dir_{a}_others_kept": f["others_kept"]})
    return rep


def flat_metrics(rep: dict) -> dict:
    """faces_report -> evaluate()'s floats: judge_accuracy (the judge's weakest held-out
    attribute), valid_share(_real), clear_share(_real), fid, fid_real, max_share_gap, <attribute>_w1 (share of its
    range); CGAN: label_accuracy; InfoGAN: code_accuracy (best attribute) and
    code_<attribute> for each, <attribute>_corr (the largest |Spearman| of any continuous code);
    unconditional models: arith_success, arith_success_1, arith_valid, arith_triples
    (train/faces_arithmetic.py), dir_<smile|glasses>_flip and _others_kept (train/faces_directions.py)."""
    s = rep["samples"]
    out = {"judge_accuracy": min(rep["judge"]["attributes"].values()), "valid_share": s["valid_share"],
           "valid_share_real": s["valid_share_real"], "clear_share": s["clear_share"],
           "clear_share_real": s["clear_share_real"], "fid": s["fid"], "fid_real": s["fid_real"],
           "max_share_gap": s["max_share_gap"]}
    out.update({f"{k}_w1": v for k, v in s["w1"].items()})
    if "label_accuracy" in rep:
        out["label_accuracy"] = rep["label_accuracy"]
    if "categorical" in rep:
        out["code_accuracy"] = rep["categorical"]["best"][1]
        out.update({f"code_{a.replace('*', '_x_')}": v["accuracy"] for a, v in rep["categorical"].items()
                    if a != "best"})
    if "continuous" in rep:
        per = rep["continuous"]["per_code"]
        out.update({f"{a}_corr": max(abs(v[a]) for v in per.values()) for a in F.CONTINUOUS})
    out.update(rep.get("arithmetic", {}))       # arith_success (3 exemplars a slot), arith_success_1, ...
    return {k: float(v) for k, v in out.items()}


def metrics(generator, dataset, *, probe_cache=None, seed: int = 0, quick: bool = False,
            value_range=(-1.0, 1.0), probe=None) -> dict:
    """The registry's metrics (train/judges.py)."""
    return flat_metrics(faces_report(generator, dataset, probe_cache, seed, quick, value_range, probe))
