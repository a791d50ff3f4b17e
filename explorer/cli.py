"""`gan-explorer`: the one console script.

No arguments (or a path) opens the desktop window; subcommands run headless and never
import Qt: `sample`, `project`, `train`, `eval`, `probe`, `screenshot` (the last one renders the app offscreen).
`export CKPT --onnx G.onnx` writes the generator as an ONNX model.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HEADLESS = ("sample", "project", "train", "eval")


def _sample_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gan-explorer sample",
        description="Render samples of a checkpoint to a PNG grid or a .npy array.",
        epilog="Without --label, a CGAN draws every class: sample i gets class i %% K and the grid is "
               "K columns wide, one class per column (as the app shows all classes). Without --code, an "
               "InfoGAN does the same with its first categorical code (other codes 0). A points model "
               "(e.g. gan-ring8) written to .png is drawn as a scatter: generated points (orange) over "
               "real ones of its toy data set (grey).")
    p.add_argument("checkpoint", help="checkpoint file or run folder")
    p.add_argument("-o", "--out", required=True, help="output .png (grid) or .npy (array)")
    p.add_argument("--n", type=int, help="number of samples (default 64; 2000 for a points model, as the app)")
    p.add_argument("--seed", type=int, default=0, help="seed for z (same seed, same z)")
    p.add_argument("--z", help="render these latents: an (N, z_dim) .npy array")
    p.add_argument("--label", help="CGAN: class index or class name (default: every class, one per column)")
    p.add_argument("--code", action="append", metavar="NAME=VALUE",
                   help="InfoGAN: fix a code, e.g. cat1=3 or cont1=1.5 (repeatable; default: cat1's "
                        "categories across the columns)")
    p.add_argument("--truncation", type=float, help="scale z toward 0 by this factor in (0, 1]")
    p.add_argument("--ncol", type=int, help="grid columns (default: square)")
    p.add_argument("--device", default="cpu")
    return p


def cmd_sample(argv: list[str]) -> int:
    import numpy as np

    from gan_models.checkpoint import load_checkpoint
    from gan_models.images import make_grid, save_png, to_uint8
    from gan_models.sample import (load_latents, parse_codes, parse_label, render, seeded_latents,
                                   spread_conditions)

    args = _sample_parser().parse_args(argv)
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".npy"):
        raise_user(f"-o {out}: the output must end in .png or .npy")
    if args.n is not None and not 1 <= args.n <= 100_000:
        raise_user(f"--n {args.n}: expected 1..100000")
    ck = load_checkpoint(args.checkpoint, device=args.device)
    g = ck.generator
    if args.n is None:
        args.n = 64 if g.is_image else 2000
    z = load_latents(args.z, g.z_dim) if args.z else seeded_latents(g, args.n, args.seed, args.truncation)
    label = parse_label(args.label, ck.class_names, g.num_classes)
    codes = parse_codes(g.code_layout, args.code, z.shape[0])
    labels, ncol, spread = label, args.ncol, None
    if label is None and not args.code:
        spread_labels, spread_codes, k = spread_conditions(g, z.shape[0])
        if k:
            labels = spread_labels if spread_labels is not None else label
            codes = spread_codes if spread_codes is not None else codes
            ncol = ncol or k
            spread = "class" if g.num_classes else "cat1"
    x = render(g, z, labels, codes)
    if out.suffix.lower() == ".npy":
        from gan_models.atomic import atomic_path
        with atomic_path(out) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, x.numpy())
    else:
        text = {"seed": args.seed if not args.z else f"latents from {args.z}", "model": str(ck.path)}
        if label is not None:
            text["label"] = f"{label} ({ck.class_names[label]})"
        if args.code:
            text["codes"] = " ".join(args.code)
        if spread:
            text["columns"] = f"{spread} = sample index % {ncol}: one {'class' if spread == 'class' else 'category'} per column"
        if g.is_image:
            save_png(out, make_grid(to_uint8(x, tuple(ck.value_range)), ncol), text)
        else:
            real = _toy_points(ck.meta.get("dataset"), x.shape[1], x.shape[0])
            text["points"] = "generated (orange) over real points of " + (ck.meta["dataset"] if real is not None
                                                                          else "no data set (unknown)")
            from train.snapshots import scatter_image
            save_png(out, scatter_image(x.numpy(), real, size=512), text)
    print(f"wrote {out} ({x.shape[0]} samples)")
    return 0


def _toy_points(name, dim: int, n: int):
    """n real points of the toy data set a points model was trained on (ring8, grid25, gauss1d),
    the same ones every time; None when the checkpoint names no such data set."""
    from train.data.toys import TOYS
    if not name or str(name) not in TOYS:
        return None
    import torch

    from train.data import load_dataset
    ds = load_dataset(str(name))
    if tuple(ds.data_shape) != (dim,):
        return None
    return ds.sample_batch(n, torch.Generator().manual_seed(0))[0].numpy()      # (n, dim)


def raise_user(msg: str):
    from gan_models.errors import GanExplorerError
    raise GanExplorerError(msg)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cmd = argv[0] if argv else None
    from gan_models.errors import GanExplorerError
    try:
        if cmd == "sample":
            return cmd_sample(argv[1:])
        if cmd == "project":
            from train.project_cli import cmd_project
            return cmd_project(argv[1:])
        if cmd == "export":
            from explorer.export_cli import cmd_export
            return cmd_export(argv[1:])
        if cmd in ("train", "eval", "probe"):
            from train.cli import main as train_main
            return train_main(argv)
        if cmd == "screenshot":
            from explorer.screenshot import main as shot_main
            return shot_main(argv[1:])
        if cmd in ("-h", "--help"):
            print(__doc__.strip())
            print("\nusage: gan-explorer [PATH] | sample | project | train | eval | export | screenshot  (--help on each)")
            return 0
        if cmd == "--version":
            from explorer.version import version
            print(f"gan-explorer {version()}")
            return 0
        from explorer.app import run_app
        return run_app(cmd)
    except GanExplorerError as e:
        print(f"gan-explorer: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
