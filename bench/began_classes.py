"""Which digits a BEGAN draws, and why: the digits classifier's class shares of 2,000 samples, and
D's reconstruction error L(v) of real digits per class (the energy G minimises).

    python bench/began_classes.py CHECKPOINT [--n 2000]

Prints, per class, the share of samples, the data's share, D's mean L(v) on real digits of the
class and their ink (mean pixel brightness), and the correlation of ink and L(v) over real digits:
whether the energy G minimises favours some digits, next to the digits G draws.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--n", type=int, default=2000)
    args = p.parse_args(argv)
    from gan_models.checkpoint import load_checkpoint
    from train.data import in_memory, load_dataset
    from train.metrics import judge_images
    from train.probe import get_probe
    from gan_models.latent import prior_inputs
    torch.set_num_threads(1)
    ck = load_checkpoint(args.checkpoint)
    if ck.config.kind != "began" or ck.discriminator is None:
        p.error(f"{args.checkpoint}: a BEGAN checkpoint with its D is needed")
    ds = load_dataset(ck.meta.get("dataset", "digits"))
    mem = in_memory(ds, 10000)
    x, y = np.asarray(mem.x[:10000]), np.asarray(mem.labels[:10000])
    probe = get_probe(ds)
    z, label, codes, _, _ = prior_inputs(ck.generator, args.n, 0)
    fake = judge_images(ck.generator, z, label, codes)
    share = np.bincount(probe.predict(fake), minlength=probe.num_classes) / args.n
    real_share = np.bincount(y, minlength=probe.num_classes) / len(y)
    D = ck.discriminator.eval()
    with torch.no_grad():
        err = torch.cat([D.rec_error(torch.as_tensor(x[i:i + 500]).float()) for i in range(0, len(x), 500)]).numpy()
        fake_err = float(D.rec_error(fake.float()).mean())
    ink = ((x + 1) / 2).reshape(len(x), -1).mean(1)             # mean brightness of each real digit
    rows = [{"class": c, "sample_share": round(float(share[c]), 3), "data_share": round(float(real_share[c]), 3),
             "real_rec_error": round(float(err[y == c].mean()), 4), "ink": round(float(ink[y == c].mean()), 3)}
            for c in range(probe.num_classes)]
    for r in rows:
        print(json.dumps(r))
    corr = float(np.corrcoef(ink, err)[0, 1])
    print(json.dumps({"ink_vs_rec_error_pearson": round(corr, 3), "fake_rec_error": round(fake_err, 4),
                      "real_rec_error": round(float(err.mean()), 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
