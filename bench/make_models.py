"""Retrain every bundled model from its recipe and export it to resources/models/.

    .venv/bin/python bench/make_models.py            # all eight (what `make models` runs)
    .venv/bin/python bench/make_models.py gan-ring8  # just one
    .venv/bin/python bench/make_models.py --runs /tmp/runs --export-only   # re-export finished runs

Each model: `python -m train --recipe resources/recipes/<name>.toml --out <runs>/<name>`
(the same one command a user runs), then train.export.export_bundled(...) writes
resources/models/<name>.safetensors (generator only, or G and D for KEEP_D; fp16, metrics in the
metadata).
Wall time and the load average are printed per model and appended to <runs>/times.jsonl.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name -> (description, threads: 1 for the tiny MLPs, 2 for the conv nets)
MODELS = {
    "gan-ring8": ("The original GAN (MLP G, maxout D) with PacGAN packing on ring8: 8 Gaussians "
                  "on the unit circle, std 0.01", 1),
    "gan-grid25": ("The original GAN with PacGAN packing on grid25: 25 Gaussians at (i, j), "
                   "i, j in {-4,-2,0,2,4}, std 0.05", 1),
    "dcgan-digits": ("DCGAN (Radford et al.) on the embedded handwritten-style digits, 28x28", 2),
    "cgan-digits": ("CGAN (Mirza & Osindero) on the embedded digits: ask for a digit 0-9", 2),
    "infogan-digits": ("InfoGAN (Chen et al.) on the embedded digits: one 10-way categorical code "
                       "and two continuous codes (width and slant), learned without labels", 1),
    "dcgan-shapes": ("DCGAN-64 (the paper's 64x64 layout, widths 32, spectral-norm D) on the embedded "
                     "colour shapes", 1),
    "cgan-shapes": ("CGAN-64 on the embedded colour shapes (conditional BatchNorm G, projection D with "
                    "spectral norm): ask for a square, circle, triangle or cross", 1),
    "infogan-shapes": ("InfoGAN-64 on the embedded colour shapes: a 4-way categorical code (the shape) "
                       "and four continuous codes, learned without labels (minibatch-std D; from step 1,500 "
                       "outline consistency and Q reading through random contrast and brightness)", 1),
    "dcgan-faces": ("DCGAN-64 (widths 32, spectral-norm D, PacGAN2, minibatch std) on the embedded cartoon "
                    "faces", 1),
    "infogan-faces": ("InfoGAN-64 on the embedded cartoon faces: a 4-way categorical code and four "
                      "continuous codes, learned without labels", 1),
    "cgan-faces": ("CGAN-64 on the embedded cartoon faces (conditional BatchNorm G, projection D with "
                   "spectral norm): ask for glasses and/or a smile", 1),
    "began-digits": ("BEGAN (Berthelot et al.) on the embedded digits: auto-encoder D, k_t-controlled "
                     "equilibrium", 1),
}

# exported with their discriminator too (fp16, ~0.7 MB more): the D-feature probe panel and the
# projector's D-feature loss work on them out of the box (the others ship generator-only)
KEEP_D = {"dcgan-shapes", "dcgan-faces", "began-digits"}   # BEGAN's D: the reconstruction-error column


def _child_cpu() -> float:
    """CPU seconds (user + system) of finished child processes: the honest training cost on a
    shared machine, where wall time depends on the load."""
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def train_one(name: str, runs: Path, threads: int | None = None) -> dict:
    recipe = ROOT / "resources" / "recipes" / f"{name}.toml"
    out = runs / name
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "train", "--recipe", str(recipe), "--out", str(out), "--quiet",
           "--num-threads", str(threads or MODELS[name][1])]
    load0 = os.getloadavg()
    t0, cpu0 = time.monotonic(), _child_cpu()
    subprocess.run(cmd, cwd=ROOT, check=True)
    wall, cpu = time.monotonic() - t0, _child_cpu() - cpu0
    rec = {"name": name, "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
           "load_before": [round(v, 2) for v in load0],
           "load_after": [round(v, 2) for v in os.getloadavg()], "command": " ".join(cmd[1:])}
    with open(runs / "times.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")
    return rec


def export_one(name: str, runs: Path, models: Path, timing: dict | None = None) -> dict:
    from train.export import export_bundled
    if timing:
        extra = {"training_seconds": timing["seconds"], "training_cpu_seconds": timing["cpu_seconds"],
                 "training_load": timing["load_before"]}
    else:                      # --export-only: the trainer's own elapsed time from the run folder
        from train.run_folder import read_jsonl, training_rows
        rows = training_rows(read_jsonl(runs / name / "metrics.jsonl"))
        extra = {"training_seconds": round(float(rows[-1]["time"]), 1)} if rows else {}
    return export_bundled(runs / name, models / f"{name}.safetensors", name=name,
                          description=MODELS[name][0], recipe=f"resources/recipes/{name}.toml",
                          extra_meta=extra, keep_discriminator=name in KEEP_D)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help=f"models to make (default all: {', '.join(MODELS)})")
    p.add_argument("--runs", default=str(ROOT / "runs" / "bundled"), help="where the training runs go")
    p.add_argument("--models", default=str(ROOT / "resources" / "models"), help="where the exports go")
    p.add_argument("--export-only", action="store_true", help="export existing runs, do not train")
    args = p.parse_args(argv)
    names = args.names or list(MODELS)
    for n in names:
        if n not in MODELS:
            p.error(f"unknown model {n!r}; one of {', '.join(MODELS)}")
    runs, models = Path(args.runs), Path(args.models)
    runs.mkdir(parents=True, exist_ok=True)
    for n in names:
        timing = None
        if not args.export_only:
            timing = train_one(n, runs)
            print(f"{n}: trained in {timing['seconds']:.0f} s wall, {timing['cpu_seconds']:.0f} s CPU (load {timing['load_before']})", flush=True)
        meta = export_one(n, runs, models, timing)
        print(f"{n}: {json.dumps(meta['metrics'])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
