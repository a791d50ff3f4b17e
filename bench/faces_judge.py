"""The faces judge's held-out accuracy (train/faces_judge.py), and what it costs to train.

    python bench/faces_judge.py [--steps N] [--seed 0] [--cache DIR] [--json]

Loads the judge from the cache (or trains it there: JUDGE_STEPS steps by default) and prints,
on HELD_OUT faces of data seed 0 that the judge never trained on: the accuracy of every
discrete attribute (target >= 0.97), |Spearman| of every continuous reading with the truth
(target >= 0.9), the face head's accuracy on these faces vs as many corrupted ones, and the
shares of real faces read as valid (the face head) and clear (valid, every discrete attribute
read with p >= 0.9), as they are and softened as a GAN draws them. The baseline printed beside each is chance (the most common
value's share) or 0 for a correlation.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default=None, help="folder for the judge file (default: the user cache)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    from train import faces_judge as FJ
    from train.data import faces as F
    t0 = time.perf_counter()
    judge = FJ.get_judge(a.cache, steps=a.steps, seed=a.seed, log=lambda s: print(s, flush=True))
    took = time.perf_counter() - t0
    rep = dict(judge.report, key=judge.key, seconds=round(took, 1))
    if a.json:
        print(json.dumps(rep))
        return 0
    print(f"faces judge {judge.key} (loaded or trained in {took:.0f} s, load {os.getloadavg()[0]:.2f})")
    print(f"{'attribute':12s} {'held-out':>9s} {'chance':>7s}  measure")
    for k, v in rep["attributes"].items():
        if k in F.DISCRETE:
            print(f"{k:12s} {v:9.4f} {1 / len(F.DISCRETE[k]):7.3f}  accuracy (target >= 0.97)")
        else:
            print(f"{k:12s} {v:9.4f} {0.0:7.3f}  |Spearman| with the truth (target >= 0.9)")
    print(f"{'face head':12s} {rep['face_accuracy']:9.4f} {0.5:7.3f}  real faces vs corrupted ones")
    print(f"{'valid real':12s} {rep['valid_real']:9.4f}          share of real faces read as faces")
    print(f"{'valid soft':12s} {rep['valid_softened']:9.4f}          ... of real faces softened as a GAN draws them")
    print(f"{'clear real':12s} {rep.get('clear_real', float('nan')):9.4f}          share of real faces read as faces, every discrete "
          f"attribute with p >= {FJ.CONFIDENT}")
    print(f"{'clear soft':12s} {rep.get('clear_softened', float('nan')):9.4f}          ... of softened real faces")
    return 0


if __name__ == "__main__":
    sys.exit(main())
