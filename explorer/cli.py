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
    p = argparse.ArgumentParser(prog="gan-explorer sample",
                                description="Render samples of a checkpoint to a PNG grid or a .npy array.")
    p.add_argument("checkpoint", help="checkpoint file or run folder")
    p.add_argument("-o", "--out", required=True, help="output .png (grid) or .npy (array)")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="seed for z (same seed, same z)")
    p.add_argument("--z", help="render these latents: an (N, z_dim) .npy array")
    p.add_argument("--label", help="CGAN: class index or class name")
    p.add_argument("--code", action="append", metavar="NAME=VALUE",
                   help="InfoGAN: fix a code, e.g. cat1=3 or cont1=1.5 (repeatable)")
    p.add_argument("--truncation", type=float, help="scale z toward 0 by this factor in (0, 1]")
    p.add_argument("--ncol", type=int, help="grid columns (default: square)")
    p.add_argument("--device", default="cpu")
    return p


def cmd_sample(argv: list[str]) -> int:
    import numpy as np

    from gan_models.checkpoint import load_checkpoint
    from gan_models.images import make_grid, save_png, to_uint8
    from gan_models.sample import load_latents, parse_codes, parse_label, render, seeded_latents

    args = _sample_parser().parse_args(argv)
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".npy"):
        raise_user(f"-o {out}: the output must end in .png or .npy")
    if not 1 <= args.n <= 100_000:
        raise_user(f"--n {args.n}: expected 1..100000")
    ck = load_checkpoint(args.checkpoint, device=args.device)
    g = ck.generator
    z = load_latents(args.z, g.z_dim) if args.z else seeded_latents(g, args.n, args.seed, args.truncation)
    label = parse_label(args.label, ck.class_names, g.num_classes)
    codes = parse_codes(g.code_layout, args.code, z.shape[0])
    x = render(g, z, label, codes)
    if out.suffix.lower() == ".npy":
        from gan_models.atomic import atomic_path
        with atomic_path(out) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, x.numpy())
    else:
        if not g.is_image:
            raise_user(f"-o {out}: this model makes points, not images; write a .npy instead")
        text = {"seed": args.seed if not args.z else f"latents from {args.z}", "model": str(ck.path)}
        if label is not None:
            text["label"] = f"{label} ({ck.class_names[label]})"
        if args.code:
            text["codes"] = " ".join(args.code)
        save_png(out, make_grid(to_uint8(x, tuple(ck.value_range)), args.ncol), text)
    print(f"wrote {out} ({x.shape[0]} samples)")
    return 0


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
