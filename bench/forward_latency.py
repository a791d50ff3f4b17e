"""Generator forward latency per kind at batch 1, 16, 64: the floor for every interactive panel.

    python bench/forward_latency.py [--threads N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_ms  # noqa: E402

from gan_models import default_config  # noqa: E402
from gan_models.registry import build_generator, count_params  # noqa: E402

MODELS = [
    ("gan ring8 (2D points)", default_config("gan", (2,))),
    ("gan 28x28 (MLP)", default_config("gan", (1, 28, 28))),
    ("dcgan 28x28", default_config("dcgan", (1, 28, 28))),
    ("cgan 28x28", default_config("cgan", (1, 28, 28))),
    ("infogan 28x28", default_config("infogan", (1, 28, 28))),
    ("dcgan 64x64x3", default_config("dcgan", (3, 64, 64))),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'model':26s} {'params':>9s} {'b=1 ms':>8s} {'b=16 ms':>8s} {'b=64 ms':>8s}")
    for name, cfg in MODELS:
        g = build_generator(cfg).eval()
        row = []
        for b in (1, 16, 64):
            x = g.build_input(torch.randn(b, g.z_dim))
            with torch.inference_mode():
                row.append(median_ms(lambda: g(x), repeats=20 if b < 64 else 10))
        print(f"{name:26s} {count_params(g) / 1e6:8.2f}M {row[0]:8.2f} {row[1]:8.2f} {row[2]:8.2f}")


if __name__ == "__main__":
    main()
