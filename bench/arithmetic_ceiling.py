"""How high can the face arithmetic score go? The success rate of an ideal generator whose
glasses and smile are exactly linear in z, by the procedure of train/faces_arithmetic.py.

A perfectly linear model still fails some triples: the average of three exemplars' z is a noisy
estimate of its class mean, so A - B + C lands on the wrong side of an attribute's boundary now and
then. Here attribute k of G(z) is [w_k . z > q_k] for two orthogonal unit directions w_k and
thresholds q_k at the attributes' shares; every result is a valid face; "clear" exemplars exclude
the samples within `--margin` standard deviations of either boundary (the judge's clear reading
drops the ambiguous faces). The rate is a ceiling for a model whose attributes are linear in z;
the measured rate of a real model is about this ceiling times the share of its results that are
faces (see bench/results/notes.md, session 17).

    python bench/arithmetic_ceiling.py [--z-dim 100] [--prior uniform] [--margin 0] [--axis]
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def success_rate(z_dim=100, prior="uniform", margin=0.0, axis=False, per_slot=3, shares=(0.5, 0.5),
                 pool=2000, triples=100, seed=0) -> float:
    """One pool and `triples` triples, as arithmetic_rate draws them; -> the success share."""
    rng = np.random.default_rng(seed)
    if axis:                                    # attributes on two z coordinates
        w = np.eye(z_dim)[:2]
    else:                                       # two random orthogonal directions
        w = rng.normal(size=(2, z_dim))
        w[1] -= w[1] @ w[0] / (w[0] @ w[0]) * w[0]
        w /= np.linalg.norm(w, axis=1, keepdims=True)

    def draw(n):
        return rng.uniform(-1, 1, (n, z_dim)) if prior == "uniform" else rng.normal(size=(n, z_dim))

    z = draw(pool)
    proj = z @ w.T
    q = np.array([np.quantile(proj[:, k], 1 - shares[k]) for k in range(2)])   # thresholds at the shares
    attrs = (proj > q).astype(int)
    clear = (np.abs(proj - q) > margin * proj.std(0)).all(1)
    hits = []
    for _ in range(triples):
        a = int(rng.integers(2))
        b, v = 1 - a, int(rng.integers(2))
        slots = []
        for av, bv in ((1, v), (0, v), (0, 1 - v)):
            idx = np.flatnonzero(clear & (attrs[:, a] == av) & (attrs[:, b] == bv))
            if len(idx) < per_slot:
                break
            slots.append(rng.choice(idx, per_slot, replace=False))
        if len(slots) < 3:
            continue
        r = z[slots[0]].mean(0) - z[slots[1]].mean(0) + z[slots[2]].mean(0)
        got = (r @ w.T > q).astype(int)
        hits.append(got[a] == 1 and got[b] == 1 - v)
    return float(np.mean(hits)) if hits else float("nan")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--z-dim", type=int, default=100)
    p.add_argument("--prior", choices=("uniform", "normal"), default="uniform")
    p.add_argument("--margin", type=float, default=0.0, help="clear exemplars: |w.z - q| > margin x sd")
    p.add_argument("--axis", action="store_true", help="attributes on z coordinates, not random directions")
    p.add_argument("--shares", type=float, nargs=2, default=(0.5, 0.5), help="glasses and smile shares")
    p.add_argument("--runs", type=int, default=40, help="pools (seeds) averaged")
    a = p.parse_args(argv)
    for per in (3, 1):
        r = np.array([success_rate(a.z_dim, a.prior, a.margin, a.axis, per, tuple(a.shares), seed=s)
                      for s in range(a.runs)])
        print(f"{per} exemplar{'s' if per > 1 else ''} a slot: {r.mean():.3f} +- {r.std(ddof=1) / np.sqrt(len(r)):.3f} "
              f"(SE over {len(r)} pools; z {a.z_dim} {a.prior}, margin {a.margin:g}, "
              f"{'axis' if a.axis else 'random'} directions, shares {a.shares[0]:g}/{a.shares[1]:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
