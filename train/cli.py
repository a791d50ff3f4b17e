"""Headless commands: `gan-explorer train ...`, `gan-explorer eval ...` (also `python -m train`).

Wrong input prints one clear line and exits 2 before any work starts. Never imports Qt.
"""
from __future__ import annotations

import sys
import time
from dataclasses import fields

from gan_models import cli_args as ca
from gan_models.errors import GanExplorerError

from .config import TrainConfig, load_recipe

# CLI flag -> TrainConfig field (None default = "not given", so recipes are not overridden)
_TRAIN_FLAGS = [
    ("--model", str, "gan | dcgan | cgan | infogan | began"),
    ("--dataset", str, "digits, shapes (shapes:mono: one colour), faces (or faces:ATTRIBUTE[*ATTRIBUTE] "
                       "for another label), ring8, grid25, gauss1d, or a folder (IDX, images, CIFAR-10)"),
    ("--steps", int, "G updates to run"),
    ("--epochs", ca.finite_float, "passes over the data (instead of --steps)"),
    ("--batch-size", int, "batch size (DCGAN: 128)"),
    ("--lr-d", ca.finite_float, "D learning rate"),
    ("--lr-g", ca.finite_float, "G learning rate"),
    ("--beta1", ca.finite_float, "Adam beta1 (DCGAN: 0.5)"),
    ("--lr-decay-from", ca.finite_float, "fraction of the run after which lrs fall linearly to 0 (1 = constant)"),
    ("--d-steps", int, "k: D updates per G update"),
    ("--g-loss", str, "nonsat (-log D(G(z))) or minimax (log(1 - D(G(z))))"),
    ("--info-lambda", ca.finite_float, "InfoGAN: weight of the information term"),
    ("--info-cont-std", str, "InfoGAN: fixed (unit-variance Q for continuous codes) or learned"),
    ("--info-cont-weight", ca.finite_float, "InfoGAN: weight of the continuous codes' NLL in the information term"),
    ("--info-real-balance", ca.finite_float, "InfoGAN (our addition): weight of the term that spreads real data evenly over the categorical code"),
    ("--began-gamma", ca.finite_float, "BEGAN: gamma = L(G(z)) / L(x) at equilibrium (low: sharper, "
                                       "less varied; high: more varied; 0.5)"),
    ("--began-lambda-k", ca.finite_float, "BEGAN: k_t's gain (0.001)"),
    ("--began-plateau", int, "BEGAN: halve the lrs when M_global's mean over this many steps stalls (0 = off)"),
    ("--info-real-cluster", ca.finite_float, "InfoGAN (our addition): weight of the term that makes Q cluster real images by what shape-keeping changes keep (IIC)"),
    ("--info-cat-consistency", ca.finite_float, "InfoGAN (our addition): weight of the term that makes each value of the first categorical code draw one outline (position, size and colour taken out)"),
    ("--info-consistency-from", ca.finite_float, "InfoGAN (our addition): the outline-consistency term starts at this fraction of the steps (0)"),
    ("--info-late-views", str, "InfoGAN (our addition): from --info-consistency-from on, Q reads the categorical code through these views instead (same names as --info-views; empty = --info-views throughout)"),
    ("--info-views", str, "InfoGAN (our addition): how far the shape-keeping changes go: full (any turn, mirror, hue), small (+-15 degrees, no mirror), silhouette (full geometry, colour dropped) or levels (full, plus random contrast and brightness)"),
    ("--seed", ca.train_seed, "seed for init, data order, z"),
    ("--device", ca.device, "auto | cpu | cuda | cuda:N | mps"),
    ("--amp", str, "off | bf16"),
    ("--n-data", int, "use only the first N samples of the data set"),
    ("--image-size", int, "28 | 32 | 64: the size user images are padded/resized to "
                          "(default: the one nearest the data's own)"),
    ("--log-every", int, "steps per metrics row"),
    ("--sample-every", int, "steps per sample grid"),
    ("--checkpoint-every", int, "steps per kept checkpoint (0 = only latest)"),
    ("--autosave-seconds", ca.finite_float, "wall-clock autosave interval"),
    ("--num-threads", int, "CPU threads (0 = default)"),
    ("--quality-every", int, "steps per live quality score (0 = with every sample grid)"),
    ("--quality-n", int, "samples per live quality score (0 = no quality scores)"),
]
# on/off TrainConfig fields: the flag turns them on (absent: the recipe's value)
_SWITCHES = [("--channels-last", "conv tensors in channels-last layout (faster on some GPUs)"),
             ("--compile", "torch.compile G and D (fewer, fused kernels; compiling takes a while)"),
             ("--info-cat-augment", "InfoGAN (our addition): Q reads the categorical code from a randomly "
                                    "moved, zoomed, turned, mirrored, recoloured copy of each fake")]
_MODEL_FLAGS = [("--pack", int, "PacGAN: samples per D input (1 = off)"),
                ("--d-head", str, "logit (sigmoid) or softmax (two logits)"),
                ("--d-norm", str, "D's normalisation: batch (DCGAN's BatchNorm), spectral (spectral norm), "
                                  "none"),
                ("--cond", str, "CGAN conditioning: concat (one-hot at G's and D's inputs) or projection "
                                "(conditional BatchNorm in G, projection discriminator)"),
                ("--d-mbstd", int, "minibatch standard deviation in D over groups of this many samples "
                                   "(ProGAN; 0 = off)"),
                ("--z-dim", int, "noise size"), ("--g-width", int, "G width"), ("--d-width", int, "D width"),
                ("--h-dim", int, "BEGAN: hidden size h of D's auto-encoder")]


def train_parser() -> ca.Parser:
    p = ca.Parser(prog="gan-explorer train", description="Train a GAN; a run is a folder.")
    for flag, typ, help_ in _TRAIN_FLAGS + _MODEL_FLAGS:
        p.add_argument(flag, type=typ, help=help_)
    for flag, help_ in _SWITCHES:
        p.add_argument(flag, action="store_const", const=True, default=None, help=help_)
    p.add_argument("--recipe", help="TOML recipe ([train] and [model] tables); flags override it")
    p.add_argument("--out", type=ca.out_folder, help="run folder (default runs/<time>-<model>-<dataset>)")
    p.add_argument("--runs", type=ca.out_folder, default="runs", help="where new run folders go (default ./runs)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="--out already holds a run: move it aside (RUN.replaced-TIME) and start afresh")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--stop-file", metavar="PATH", help="stop (save, exit 130) once this file exists: how the app "
                   "stops a run, since a signal sent while the process starts can be lost")
    return p


def _dest(flag: str) -> str:
    return flag[2:].replace("-", "_")


def config_from_args(args) -> TrainConfig:
    train, model = {}, {}
    if args.recipe:
        train, model = load_recipe(args.recipe)
    for flag, _, _ in _TRAIN_FLAGS:
        v = getattr(args, _dest(flag))
        if v is not None:
            train[_dest(flag)] = v
    for flag, _ in _SWITCHES:
        if getattr(args, _dest(flag)):
            train[_dest(flag)] = True
    for flag, _, _ in _MODEL_FLAGS:
        v = getattr(args, _dest(flag))
        if v is not None:
            model[_dest(flag)] = v
    if "steps" in train and "epochs" not in train:
        train["epochs"] = 0.0
    elif "epochs" in train and "steps" not in train:
        train["steps"] = 0
    if "model" not in train:
        raise GanExplorerError("--model is required (gan, dcgan, cgan, infogan or began), or a --recipe that sets it")
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in train.items() if k in known}, model_overrides=model).validate()


class ProgressBar:
    """One line on stderr: step, %, images/s, ETA, D(x), D(G(z))."""

    def __init__(self, quiet: bool):
        self.quiet, self.tty = quiet, sys.stderr.isatty()
        self.row: dict = {}          # the last logged metrics row (D(x), D(G(z)))
        self._drawn = 0.0

    def __call__(self, p) -> None:
        if self.quiet:
            return
        if p.row:
            self.row = p.row
        if self.tty and time.monotonic() - self._drawn < 0.1 and p.step != p.total:
            return   # redraw at most 10 times a second
        self._drawn = time.monotonic()
        if not self.tty and p.step != p.total and p.step % max(1, p.total // 20):
            return   # a log file gets ~20 lines, not one per step
        row = self.row
        width = 24
        fill = int(width * p.step / max(p.total, 1))
        eta = time.strftime("%H:%M:%S", time.gmtime(p.eta_s)) if p.eta_s < 86400 * 7 else "--"
        line = (f"step {p.step}/{p.total} [{'#' * fill}{'.' * (width - fill)}] "
                f"{100 * p.step / max(p.total, 1):3.0f}% | {p.images_per_s:7.0f} img/s | ETA {eta}"
                + (f" | D(x) {row['d_real']:.3f} D(G(z)) {row['d_fake']:.3f}" if "d_real" in row else
                   f" | M_global {row['m_global']:.4f} k_t {row['k_t']:.4f}" if "m_global" in row else ""))
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)


def cmd_train(argv: list[str]) -> int:
    from .data.sizes import fit_notice
    from .setup import create_trainer, resume_trainer
    from . import stop_signal
    args = train_parser().parse_args(argv)
    old = stop_signal.install(args.stop_file)  # (again: `gan-explorer train` enters here) before setup
    if args.resume:
        extra = {_dest(f): getattr(args, _dest(f)) for f, _, _ in _TRAIN_FLAGS + _MODEL_FLAGS
                 if getattr(args, _dest(f)) is not None}
        if args.recipe:
            raise GanExplorerError("--recipe cannot be combined with --resume (the run keeps its recipe)")
        trainer = resume_trainer(args.resume, **extra)
    else:
        trainer = create_trainer(config_from_args(args), out=args.out, root=args.runs,
                                 overwrite=args.overwrite)
    run = trainer.run_dir
    bar = ProgressBar(args.quiet or not trainer.ddp.is_main)
    notice = fit_notice(trainer.dataset.describe()) if run and not args.resume else None
    if notice:                                # also with --quiet: the app shows this log
        print(notice, file=sys.stderr)
    if run and not args.quiet:
        print(f"run folder: {run.path}  ({trainer.model_cfg.kind} on {trainer.tcfg.dataset}, "
              f"{trainer.total_steps} steps, device {trainer.device})", file=sys.stderr)
    ended = False
    try:
        status = trainer.run(stop_signal.requested, bar)      # a stop asked during setup: at the first step
        ended = True
    finally:
        stop_signal.restore(old)
        trainer.ddp.close(wait=ended)
    if bar.tty and not args.quiet:
        print(file=sys.stderr)
    if run:
        if status == "stopped":
            print(f"stopped at step {trainer.step_count}; saved {run.latest}\n"
                  f"resume with: gan-explorer train --resume {run.path}", file=sys.stderr)
            return 130
        print(f"finished {trainer.step_count} steps; checkpoint: {run.latest}", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    """argv[0] is the subcommand: train | eval | probe | estimate."""
    cmd, rest = argv[0], argv[1:]
    if cmd == "train":
        return cmd_train(rest)
    if cmd == "eval":
        from .evaluate_cli import cmd_eval
        return cmd_eval(rest)
    if cmd == "probe":
        from .probe_cli import cmd_probe
        return cmd_probe(rest)
    if cmd == "estimate":
        from .estimate import cmd_estimate
        return cmd_estimate(rest)
    raise GanExplorerError(f"unknown command {cmd!r}")


def entry(argv=None) -> int:
    """`python -m train [train|eval|estimate] ...` (what torchrun launches); errors -> one line, exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "eval", "estimate"):
        argv = ["train"] + argv
    try:
        return main(argv)
    except GanExplorerError as e:
        print(f"gan-explorer: error: {e}", file=sys.stderr)
        return 2
