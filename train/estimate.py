"""How long a run will take on this machine: time a few real training steps of its nets.

    gan-explorer estimate dcgan-digits gan-ring8          # bundled recipes by name, or paths
    gan-explorer estimate -- --model gan --dataset ring8 --steps 5000   # any `train` command line

Each run is built exactly as `gan-explorer train` builds it (same config, data, nets, CPU
threads, bf16 / channels-last), one warm-up step is run, then whole training steps (D and G
updates, the batch drawn) are timed for about `--seconds`. The estimate is

    setup (imports, data, nets) + the run's steps x the measured seconds per step

Sample grids, quality scores and checkpoints are not in it (a few per cent of a run). Nothing
is written. The app's Train tab runs this in a child process (`--json`: one line per run, as
each is measured) and keeps the answers per machine. Never imports Qt.
"""
from __future__ import annotations

import json
import os
import sys
import time

from gan_models import cli_args as ca
from gan_models.errors import GanExplorerError

MAX_TIMED_STEPS = 2000


def _parser() -> ca.Parser:
    p = ca.Parser(prog="gan-explorer estimate",
                  description="Estimate how long training runs take on this machine by timing a few "
                              "real steps of each (recipes by name or path; or -- and a train command line).")
    p.add_argument("recipes", nargs="*", help="recipe names (resources/recipes) or TOML paths")
    p.add_argument("--seconds", type=ca.float_in(0.0, 600.0), default=1.0,
                   help="time steps for about this long per run after a warm-up step (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object per line, as each run is measured")
    return p


def describe_seconds(s: float) -> str:
    """A duration as a person says it: '< 1 min', '~7 min', '~1 h 20 min'."""
    if not s == s or s < 0:
        return "?"
    if s < 60:
        return "< 1 min"
    m = round(s / 60)
    if m < 60:
        return f"~{m} min"
    h, m = divmod(m, 60)
    return f"~{h} h {m} min" if m else f"~{h} h"


def estimate_run(train_argv: list[str], seconds: float = 1.0, name: str = "custom", _data: dict | None = None,
                 start_s: float = 0.0) -> dict:
    """Time the run `train_argv` describes; returns what was measured and the estimate.

    _data: data sets already loaded in this process, by what loads them (several recipes on one
    data set load it once; its load time is still counted in each estimate's setup).
    start_s: what starting a training process costs before it reads its settings (importing
    torch and the trainer), measured once by the caller; part of the setup."""
    import torch

    from .cli import config_from_args, train_parser
    from .setup import create_trainer, load_data
    args = train_parser().parse_args(list(train_argv))
    tcfg = config_from_args(args)
    t0 = time.perf_counter()
    key = (tcfg.dataset, tcfg.n_data, tcfg.seed, tcfg.image_size)
    cache = _data if _data is not None else {}
    if key not in cache:
        cache[key] = (load_data(tcfg), time.perf_counter() - t0)
    dataset, data_s = cache[key]
    t1 = time.perf_counter()
    trainer = create_trainer(tcfg, write=False, dataset=dataset)
    sync = torch.cuda.synchronize if trainer.device.type == "cuda" else (lambda: None)
    trainer.step()                                   # warm-up: first-call allocations, autocast setup
    sync()
    setup_s = start_s + data_s + time.perf_counter() - t1
    n, t2 = 0, time.perf_counter()
    while True:
        trainer.step()
        n += 1
        sync()
        elapsed = time.perf_counter() - t2
        if (elapsed >= seconds and n >= 2) or n >= MAX_TIMED_STEPS:
            break
    step_s = elapsed / n
    total = trainer.total_steps
    return {"name": name, "model": tcfg.model, "dataset": tcfg.dataset, "steps": total,
            "steps_per_epoch": trainer.steps_per_epoch,
            "step_s": round(step_s, 6), "setup_s": round(setup_s, 3),
            "seconds": round(setup_s + total * step_s, 1), "timed_steps": n,
            "device": trainer.device.type, "threads": torch.get_num_threads(),
            "bf16": tcfg.amp == "bf16" and not trainer.amp_fallback,
            "measured_at": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count() or 1,
            "load": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def describe(e: dict) -> str:
    """One line for a person: 'dcgan-digits: ~6 min (938 steps x 0.36 s + 5 s setup; cpu, 2 threads)'."""
    if "error" in e:
        return f"{e['name']}: no estimate ({e['error']})"
    where = f"{e['device']}, {e['threads']} thread{'s' * (e['threads'] != 1)}" + (", bf16" if e.get("bf16") else "")
    load = f"; load {e['load']:.1f} on {e['cores']} cores" if e.get("load") is not None else ""
    return (f"{e['name']}: {describe_seconds(e['seconds'])} ({e['steps']:,} steps x {e['step_s']:.3g} s "
            f"+ {e['setup_s']:.0f} s setup; {where}; {e['timed_steps']} steps timed{load})")


def cmd_estimate(argv: list[str]) -> int:
    """`gan-explorer estimate ...`: 0 when every run was measured, 2 when one could not be."""
    argv = list(argv)
    train_argv = None
    if "--" in argv:
        i = argv.index("--")
        argv, train_argv = argv[:i], argv[i + 1:]
    args = _parser().parse_args(argv)
    if train_argv is None and not args.recipes:
        raise GanExplorerError("name one or more recipes (e.g. dcgan-digits), or give -- and a train command line")
    t0 = time.perf_counter()
    import torch

    from . import setup  # noqa: F401  (the trainer's imports: part of a run's start-up)
    start_s = time.perf_counter() - t0
    threads = torch.get_num_threads()
    runs = [(r, ["--recipe", r]) for r in args.recipes] + ([("custom", train_argv)] if train_argv is not None else [])
    data, rc = {}, 0
    for name, run_argv in runs:
        torch.set_num_threads(threads)              # a recipe's num_threads must not carry to the next
        try:
            result = estimate_run(run_argv, args.seconds, name=_stem(name), _data=data, start_s=start_s)
        except GanExplorerError as e:
            result, rc = {"name": _stem(name), "error": str(e)}, 2
        print(json.dumps(result) if args.json else describe(result), flush=True)
    return rc


def _stem(name: str) -> str:
    from pathlib import Path
    return Path(name).stem if name.endswith(".toml") else name


if __name__ == "__main__":      # pragma: no cover
    sys.exit(cmd_estimate(sys.argv[1:]))
