"""The DCGAN paper's face arithmetic, measured (issue 27, part 4).

Radford et al. (2016, fig. 7): "man with glasses" - "man without glasses" + "woman without
glasses" = "woman with glasses", each slot the average z of three exemplars. Here the two
attributes are the faces' binary ones, glasses and smile, and the judge both picks the exemplars
and reads the result:

    one triple: attribute a is added (glasses or smile, at random), attribute b is the other;
                b's value v (0 or 1) at random;
      A = exemplars with a = 1, b = v      (e.g. glasses, smiling)
      B = exemplars with a = 0, b = v      (no glasses, smiling)
      C = exemplars with a = 0, b = 1 - v  (no glasses, neutral)
      result z = mean z(A) - mean z(B) + mean z(C)
    success: the judge reads the result as a face with a = 1 and b = 1 - v ("glasses, neutral").

The exemplars come from one pool of prior samples the judge has read (only faces read clearly:
a face, every attribute sure). `arithmetic_rate` gives the success share over `triples` random
triples with `per_slot` exemplars per slot (3: the paper's), and the same triples' first
exemplar alone (per slot 1) for comparison. A result outside the prior's box (uniform z) is drawn
as it is, as in the paper.
"""
from __future__ import annotations

import numpy as np
import torch

from gan_models.latent import prior_inputs

from . import faces_judge as FJ
from .metrics import judge_images

BINARY = ("glasses", "smile")


def _pool(generator, judge, n: int, seed: int, value_range):
    """z of n prior samples and the judge's clear readings of the binary attributes: (z, {a: (n,)
    0/1}, (n,) bool usable)."""
    z, label, codes, _, _ = prior_inputs(generator, n, seed)
    r = judge.read(judge_images(generator, z, label, codes, value_range))
    attrs = {a: r[a].argmax(1) for a in BINARY}
    return z, attrs, np.asarray(r["clear"], bool)


def arithmetic_rate(generator, judge: FJ.FaceJudge, triples: int = 100, per_slot: int = 3,
                    pool: int = 2000, seed: int = 0, value_range=(-1.0, 1.0)) -> dict:
    """{"arith_success": share of triples whose result carries A's attribute minus B's plus C's
    (per_slot exemplars a slot), "arith_success_1": the same with one exemplar a slot,
    "arith_valid": share of results read as faces, "arith_triples": triples drawn}. Triples whose
    slot finds fewer than per_slot exemplars in the pool are not drawn (then arith_triples < triples)."""
    if generator.num_classes or generator.code_layout:
        raise ValueError("face arithmetic is measured on unconditional models (z only)")
    z, attrs, ok = _pool(generator, judge, pool, seed, value_range)
    rng = np.random.default_rng(seed)
    rows, want = {1: [], per_slot: []}, []
    for _ in range(triples):
        ai = int(rng.integers(2))
        a, b = BINARY[ai], BINARY[1 - ai]
        v = int(rng.integers(2))
        slots = []
        for a_val, b_val in ((1, v), (0, v), (0, 1 - v)):
            idx = np.flatnonzero(ok & (attrs[a] == a_val) & (attrs[b] == b_val))
            if len(idx) < per_slot:
                break
            slots.append(rng.choice(idx, per_slot, replace=False))
        if len(slots) < 3:
            continue
        for k in rows:
            za, zb, zc = (z[torch.as_tensor(s[:k])].mean(0) for s in slots)
            rows[k].append(za - zb + zc)
        want.append((a, b, 1 - v))
    if not want:
        return {"arith_success": float("nan"), "arith_success_1": float("nan"), "arith_valid": float("nan"),
                "arith_triples": 0.0}
    out = {"arith_triples": float(len(want))}
    for k, name in ((per_slot, "arith_success"), (1, "arith_success_1")):
        r = judge.read(judge_images(generator, torch.stack(rows[k]), None, None, value_range))
        hit = [bool(r["valid"][i]) and r[a][i].argmax() == 1 and r[b][i].argmax() == bv
               for i, (a, b, bv) in enumerate(want)]
        out[name] = float(np.mean(hit))
        if k == per_slot:
            out["arith_valid"] = float(np.mean(r["valid"]))
    return out


def exemplar_pool(generator, judge: FJ.FaceJudge, n: int = 600, seed: int = 0,
                  value_range=(-1.0, 1.0)) -> tuple[torch.Tensor, dict]:
    """For the Arithmetic panel's "by attribute": n prior samples' z (n, z_dim) and, per
    (glasses, smile) value pair, the indices of samples the judge reads clearly as that pair."""
    z, attrs, ok = _pool(generator, judge, n, seed, value_range)
    groups = {(g, s): np.flatnonzero(ok & (attrs["glasses"] == g) & (attrs["smile"] == s)).tolist()
              for g in (0, 1) for s in (0, 1)}
    return z, groups


def reading_line(judge: FJ.FaceJudge, x) -> str:
    """What the judge reads in images x, as the panel shows it: "faces 16 of 16 · glasses 14 of 16
    · smiling 15 of 16"."""
    r = judge.read(x)
    n = len(r["valid"])
    return (f"faces {int(r['valid'].sum())} of {n} · glasses {int((r['glasses'].argmax(1) == 1).sum())} of {n}"
            f" · smiling {int((r['smile'].argmax(1) == 1).sum())} of {n}")
