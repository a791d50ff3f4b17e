"""`gan-explorer`: the one console script.

No arguments (or a path) opens the desktop window; subcommands run headless and never
import Qt: `sample`, `project`, `train`, `eval`, `probe`, `estimate`, `screenshot` (the last one renders the app offscreen).
`export CKPT --onnx G.onnx` writes the generator as an ONNX model.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HEADLESS = ("sample", "project", "train", "eval", "estimate")
MAX_SAMPLES = 100_000
MAX_PNG_BYTES = 1 << 30        # a sample grid's pixels (uint8), held once in memory


def _sample_parser() -> argparse.ArgumentParser:
    from gan_models import cli_args as ca
    p = ca.Parser(
        prog="gan-explorer sample",
        description="Render samples of a checkpoint to a PNG grid or a .npy array.",
        epilog="Without --label, a CGAN draws every class: sample i gets class i %% K and the grid is "
               "K columns wide, one class per column (as the app shows all classes). Without --code, an "
               "InfoGAN does the same with its first categorical code (other codes 0). A points model "
               "(e.g. gan-ring8) written to .png is drawn as a scatter: generated points (orange) over "
               "real ones of its toy data set (grey).")
    p.add_argument("checkpoint", help="checkpoint file or run folder")
    p.add_argument("-o", "--out", required=True, type=ca.out_file(".png", ".npy"),
                   help="output .png (grid) or .npy (array)")
    p.add_argument("--n", type=ca.int_in(1, MAX_SAMPLES),
                   help=f"number of samples (default 64; 2000 for a points model, as the app; at most {MAX_SAMPLES})")
    p.add_argument("--seed", type=ca.seed, default=0, help="seed for z (same seed, same z)")
    p.add_argument("--z", help="render these latents: an (N, z_dim) .npy array")
    p.add_argument("--label", help="CGAN: class index or class name (default: every class, one per column)")
    p.add_argument("--code", action="append", metavar="NAME=VALUE",
                   help="InfoGAN: fix a code, e.g. cat1=3 or cont1=1.5 (repeatable; default: cat1's "
                        "categories across the columns)")
    p.add_argument("--truncation", type=ca.truncation, help="scale z toward 0 by this factor in (0, 1]")
    p.add_argument("--ncol", type=ca.int_in(1, 1024), help="grid columns (default: square)")
    p.add_argument("--device", type=ca.device, default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    return p


def cmd_sample(argv: list[str]) -> int:
    from gan_models.checkpoint import load_checkpoint
    from gan_models.sample import load_latents, parse_codes, parse_label, seeded_latents, spread_conditions
    from train.device import pick_device
    args = _sample_parser().parse_args(argv)
    out = Path(args.out)
    ck = load_checkpoint(args.checkpoint, device=pick_device(args.device))
    g = ck.generator
    if args.n is None:
        args.n = 64 if g.is_image else 2000
    z = load_latents(args.z, g.z_dim, MAX_SAMPLES) if args.z else \
        seeded_latents(g, args.n, args.seed, args.truncation)
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
    if out.suffix.lower() == ".npy":
        _sample_npy(out, g, z, labels, codes)
    elif g.is_image:
        _sample_png(out, ck, args, z, labels, codes, label, ncol, spread)
    else:
        _sample_scatter(out, ck, args, z, labels, codes)
    print(f"wrote {out} ({z.shape[0]} samples)")
    return 0


def _sample_npy(out: Path, g, z, label, codes) -> None:
    """Streams the samples into the .npy in chunks: memory stays flat for any --n; the disk
    must hold the whole array, which is checked before anything is rendered."""
    import shutil

    import numpy as np

    from gan_models.atomic import atomic_path
    from gan_models.sample import iter_render
    shape = (z.shape[0], *g.output_shape)
    need = 4 * int(np.prod(shape))
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(parent).free
    if need > free:
        raise_user(f"-o {out}: {shape[0]} samples take {_size(need)} and {parent} has {_size(free)} free; "
                   "ask for fewer (--n)")
    with atomic_path(out) as tmp:
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)
        i = 0
        for x in iter_render(g, z, label, codes):                   # (b, *output_shape) float
            arr[i:i + len(x)] = x.numpy()
            i += len(x)
        arr.flush()
        del arr


def _sample_png(out: Path, ck, args, z, labels, codes, label, ncol, spread) -> None:
    """A PNG grid is held in memory once as uint8: refused up front when it would be too big.
    `labels` / `codes` are what is drawn; `label` is the user's --label (None when spread)."""
    import numpy as np

    from gan_models.images import make_grid, save_png, to_uint8
    from gan_models.sample import iter_render
    g = ck.generator
    c, h, w = g.output_shape
    n = z.shape[0]
    need = n * c * (h + 2) * (w + 2)
    if need > MAX_PNG_BYTES:
        raise_user(f"-o {out}: a grid of {n} {w}x{h} samples takes {_size(need)}, over the "
                   f"{_size(MAX_PNG_BYTES)} a PNG grid may use; ask for fewer (--n) or write a .npy")
    cells = np.empty((n, h, w, c), dtype=np.uint8)
    i = 0
    for x in iter_render(g, z, labels, codes):
        cells[i:i + len(x)] = to_uint8(x, tuple(ck.value_range))
        i += len(x)
    text = {"seed": args.seed if not args.z else f"latents from {args.z}", "model": str(ck.path)}
    if label is not None:
        text["label"] = f"{label} ({ck.class_names[label]})"
    if args.code:
        text["codes"] = " ".join(args.code)
    if spread:
        text["columns"] = f"{spread} = sample index % {ncol}: one {'class' if spread == 'class' else 'category'} per column"
    save_png(out, make_grid(cells, min(ncol, n) if ncol else None), text)


def _sample_scatter(out: Path, ck, args, z, labels, codes) -> None:
    """A points model to .png: generated points (orange) over real points of its toy data set."""
    from gan_models.images import save_png
    from gan_models.sample import render
    from train.snapshots import scatter_image
    x = render(ck.generator, z, labels, codes)
    real = _toy_points(ck.meta.get("dataset"), x.shape[1], x.shape[0])
    text = {"seed": args.seed if not args.z else f"latents from {args.z}", "model": str(ck.path),
            "points": "generated (orange) over real points of " + (ck.meta["dataset"] if real is not None
                                                                   else "no data set (unknown)")}
    save_png(out, scatter_image(x.numpy(), real, size=512), text)


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


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MiB"


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
        if cmd in ("train", "eval", "probe", "estimate"):
            from train.cli import main as train_main
            return train_main(argv)
        if cmd == "screenshot":
            from explorer.screenshot import main as shot_main
            return shot_main(argv[1:])
        if cmd in ("-h", "--help"):
            print(__doc__.strip())
            print("\nusage: gan-explorer [PATH] | sample | project | train | eval | estimate | export | screenshot  (--help on each)")
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
