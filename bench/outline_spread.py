"""How much one InfoGAN code value's outlines vary, against the data's own shapes: the Fisher ratio
that `info_cat_consistency` asks G to keep small (train/losses.code_consistency on
train/augment.normalized_silhouette: within-group spread of position-, size- and colour-free
outlines over their total spread).

    python bench/outline_spread.py CHECKPOINT [--n 512]

Prints the ratio of n real images grouped by their true shape (what a code that is exactly the
shape would score) and of n samples grouped by the value of the first categorical code (n / K
per value, the other codes and z from the prior), plus a random grouping of the samples (~1).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--n", type=int, default=512)
    args = p.parse_args(argv)
    from gan_models.checkpoint import load_checkpoint
    from gan_models.latent import prior_inputs
    from train.augment import normalized_silhouette
    from train.data import in_memory, load_dataset
    from train.losses import code_consistency
    ck = load_checkpoint(args.checkpoint)
    g = ck.generator.eval()
    layout = g.code_layout
    if not (layout and layout.categorical):
        print(f"{args.checkpoint}: no categorical code (an InfoGAN checkpoint is expected)", file=sys.stderr)
        return 2
    real = in_memory(load_dataset(ck.meta.get("dataset", "shapes")), args.n)
    if real.labels is not None:
        k = int(real.labels.max()) + 1
        print(f"real images by true class ({args.n}): "
              f"{float(code_consistency(normalized_silhouette(real.x[:args.n]), real.labels[:args.n], k)):.3f}")
    k = layout.categorical[0]
    values = torch.arange(k).repeat_interleave(args.n // k)
    z, label, _, cat, cont = prior_inputs(g, len(values), 1)
    cat[:, 0] = values
    with torch.no_grad():
        d = normalized_silhouette(g(g.build_input(z, label, layout.encode(cat, cont, len(values)))))
    print(f"samples by cat1 value ({len(values)}): {float(code_consistency(d, values, k)):.3f}")
    shuffled = values[torch.randperm(len(values), generator=torch.Generator().manual_seed(0))]
    print(f"samples, random grouping: {float(code_consistency(d, shuffled, k)):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
