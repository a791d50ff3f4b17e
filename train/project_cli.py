"""`gan-explorer project CKPT IMAGE -o z.npy`: find the latent of an image, headless.

Output layout (so `gan-explorer sample` renders it again):
    z.npy   (1, z_dim) float32, the latent; `sample CKPT --z z.npy` reads it as it is
    z.json  a sidecar beside it (same name, .json) with what is not z: the CGAN label, the
            InfoGAN codes (by name and as the code vector), the losses used, the pixel MSE /
            PSNR, the settings, and `sample_args`: the --label / --code flags that go with
            --z to render exactly this image (printed at the end, too)
IMAGE is a PNG/JPEG/... file, or NAME:INDEX for sample INDEX of a built-in data set drawn
with HELD_OUT_SEED (images no bundled model was trained on), e.g. `digits:7`.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

from gan_models import cli_args as ca
from gan_models.errors import GanExplorerError

HELD_OUT_SEED = 1000      # the bundled digits models were trained on seeds 0 and 3
MAX_STEPS = 100_000      # Adam steps: minutes on a CPU at the top; the default is a few hundred
MAX_RESTARTS = 64
HELD_OUT_N = 1000         # NAME:INDEX takes INDEX < this (the draw depends on n, so n is fixed)


def project_parser() -> ca.Parser:
    from .projector import ProjectorConfig
    d = ProjectorConfig()
    p = ca.Parser(prog="gan-explorer project",
                                description="Find the latent (and CGAN label / InfoGAN codes) whose image "
                                            "matches IMAGE; write it as z.npy plus a z.json sidecar.")
    p.add_argument("checkpoint", help="checkpoint file or run folder")
    p.add_argument("image", help="a PNG/JPEG file, or NAME:INDEX for a data set sample (e.g. digits:7)")
    p.add_argument("-o", "--out", required=True, type=ca.out_file(".npy"), help="output .npy: (1, z_dim) latent; the sidecar .json goes beside it")
    p.add_argument("--png", type=ca.out_file(".png"), help="also save the reconstruction G(z) as this PNG")
    p.add_argument("--steps", type=ca.int_in(1, MAX_STEPS), default=d.steps, help=f"Adam steps (default {d.steps})")
    p.add_argument("--restarts", type=ca.int_in(1, MAX_RESTARTS), default=d.restarts, help=f"seeds per candidate (default {d.restarts})")
    p.add_argument("--lr", type=ca.float_in(0, 10, lo_open=True), default=d.lr, help=f"Adam learning rate (default {d.lr})")
    p.add_argument("--seed", type=ca.seed, default=0, help="seed of the initial latents (same seed, same result)")
    p.add_argument("--invert", action="store_true", help="invert the image first (dark ink on light paper)")
    return p


@functools.lru_cache(maxsize=2)
def held_out(name: str, channels: int, size: int):
    """The HELD_OUT_N images of a built-in data set drawn with HELD_OUT_SEED (cached: the
    explorer asks for one sample after another)."""
    from .data import in_memory, load_dataset
    ds = load_dataset(name, image_size=size, channels=channels, n=HELD_OUT_N, seed=HELD_OUT_SEED)
    return in_memory(ds, HELD_OUT_N)                   # shapes: drawn once


def dataset_target(spec: str, data_shape):
    """"digits:7" -> ((C, H, W) in [-1, 1] at the model's shape, its label or None);
    None when spec does not name a built-in data set."""
    from .data import BUILTIN
    name, _, index = spec.partition(":")
    if name.lower() not in BUILTIN or not index.isdigit():
        return None
    i = int(index)
    if i >= HELD_OUT_N:
        raise GanExplorerError(f"{spec}: the index must be below {HELD_OUT_N}")
    ds = held_out(name.lower(), int(data_shape[0]), int(data_shape[1]))
    if not getattr(ds, "is_image", False):
        raise GanExplorerError(f"{spec}: {name} is not an image data set")
    label = int(ds.labels[i]) if ds.labels is not None else None
    return ds.x[i].clone(), label


def read_target(spec: str, data_shape, invert: bool = False):
    """A file path or NAME:INDEX -> ((C, H, W) in [-1, 1], the data set's label or None)."""
    from .projector import load_image, prepare_target
    found = dataset_target(spec, data_shape) if ":" in spec and not Path(spec).exists() else None
    if found is not None:
        x, label = found
        return (-x if invert else x), label
    return prepare_target(load_image(spec), data_shape, invert), None


def sample_args(result, layout) -> list[str]:
    """The `sample` flags that, with --z, render exactly the projected image."""
    args = [] if result.label is None else ["--label", str(result.label)]
    for name, v in zip(layout.names(), list(result.cat) + list(result.cont)):
        args += ["--code", f"{name}={v}" if isinstance(v, int) else f"{name}={v:.6f}"]
    return args


def cmd_project(argv: list[str]) -> int:
    import numpy as np

    from gan_models.atomic import atomic_paths
    from gan_models.checkpoint import load_checkpoint
    from gan_models.images import save_png, to_uint8

    from .projector import ProjectorConfig, project
    args = project_parser().parse_args(argv)
    out = Path(args.out)
    ck = load_checkpoint(args.checkpoint)
    g = ck.generator
    if not g.is_image:
        raise GanExplorerError(f"{ck.path}: this model makes points, not images; nothing to project onto")
    target, true_label = read_target(args.image, g.output_shape, args.invert)
    cfg = ProjectorConfig(steps=args.steps, restarts=args.restarts, lr=args.lr, seed=args.seed)
    r = project(g, target, ck.discriminator, cfg, tuple(ck.value_range))
    extra = sample_args(r, g.code_layout)
    side = {"format": "gan-explorer projection", "checkpoint": str(ck.path), "image": args.image,
            "z": out.name, "label": r.label,
            "class_name": None if r.label is None else ck.class_names[r.label],
            "codes": dict(zip(g.code_layout.names(), list(r.cat) + list(r.cont))) or None,
            "code_vector": None if r.codes is None else [float(v) for v in r.codes],
            "losses": list(r.losses), "loss": r.loss, "pixel_mse": r.pixel_mse, "psnr": r.psnr,
            "steps": r.steps_done, "restarts": cfg.restarts, "lr": cfg.lr, "seed": cfg.seed,
            "invert": args.invert, "sample_args": ["--z", str(out)] + extra}
    # z.npy and its sidecar as a pair: both are written and synced to temporary files first, so a
    # full disk or a read-only folder changes neither (an old sidecar never describes a new z)
    with atomic_paths(out.with_suffix(".json"), out) as (tmp_side, tmp_z):
        with open(tmp_z, "wb") as f:
            np.save(f, r.z[None].astype(np.float32))                          # (1, z_dim)
        tmp_side.write_text(json.dumps(side, indent=1) + "\n")
    if args.png:
        save_png(args.png, to_uint8(r.image[None])[0], {"model": str(ck.path), "projected from": args.image})
    print(f"projected {args.image}: {r.describe(ck.class_names)}")
    if true_label is not None and ck.class_names:
        print(f"the data set labels it {ck.class_names[true_label]}")
    print(f"wrote {out} and {out.with_suffix('.json').name}" + (f" and {args.png}" if args.png else ""))
    print("render it again: gan-explorer sample " + " ".join([str(args.checkpoint), "--z", str(out)] + extra)
          + " -o recon.png")
    return 0
