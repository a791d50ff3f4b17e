"""The DCGAN paper's face arithmetic on a faces model: success share over 100 random triples,
three exemplars a slot (the paper's) and one, for several pool seeds (train/faces_arithmetic.py).

    python bench/faces_arithmetic.py [MODEL] [--seeds 5]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", default=str(ROOT / "resources" / "models" / "dcgan-faces.safetensors"))
    p.add_argument("--seeds", type=int, default=5)
    a = p.parse_args(argv)
    import numpy as np
    import torch
    from gan_models.checkpoint import load_checkpoint
    from train import faces_judge as FJ
    from train.faces_arithmetic import arithmetic_rate
    torch.set_num_threads(1)
    ck = load_checkpoint(a.model)
    g, judge = ck.generator.eval(), FJ.get_judge()
    rows = [arithmetic_rate(g, judge, seed=s, value_range=tuple(ck.value_range)) for s in range(a.seeds)]
    for s, r in enumerate(rows):
        print(f"seed {s}: 3 exemplars {r['arith_success']:.2f}, 1 exemplar {r['arith_success_1']:.2f}, "
              f"results read as faces {r['arith_valid']:.2f} ({r['arith_triples']:.0f} triples)")
    for key, name in (("arith_success", "3 exemplars a slot"), ("arith_success_1", "1 exemplar a slot")):
        v = np.array([r[key] for r in rows])
        print(f"{name}: {v.mean():.3f} +- {v.std(ddof=1) / np.sqrt(len(v)):.3f} (SE over {len(v)} pool seeds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
