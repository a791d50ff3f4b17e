"""How well the projector (train/projector.py) finds held-out digits in the bundled models.

    .venv/bin/python bench/projector_quality.py                 # 150 images per model, ~9 min of one idle core
    .venv/bin/python bench/projector_quality.py --n 20 --json /tmp/p.json   # a quick look

Targets: the first N images of the embedded `digits` drawn with seed HELD_OUT_SEED (1000)
and n=1000 (`gan-explorer project CKPT digits:I` projects image I of the same set); the
bundled models were trained on seeds 0 and 3, so none of these images was seen in training.
Per model (dcgan-digits, cgan-digits, infogan-digits), default ProjectorConfig:

- pixel MSE in [-1, 1] units (mean +- standard error) and PSNR (peak-to-peak 2)
- digit agreement: the share of reconstructions that the probe classifier (train/probe.py, a
  CNN trained on the 60,000 seed-0 digits) reads as the target's digit
- CGAN: the share whose label found is the target's digit; InfoGAN: the same for the
  categorical code, after the best one-to-one matching of code values to digits
- baselines: the same probe on the targets themselves (its ceiling), and random z from each
  model's prior (MSE against the target, digit agreement with it)

Raw results go to --json (bench/results/projector.json holds those of docs/benchmarks.md;
`make benchmarks-page` renders them through bench/quality.py --projector-from).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

MODELS = ("dcgan-digits", "cgan-digits", "infogan-digits")


def mean_se(values) -> list:
    v = np.asarray(values, dtype=np.float64)
    return [float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")]


def random_baseline(ck, targets: torch.Tensor, probe, seed: int = 0) -> dict:
    """One prior sample per target: its MSE to the target, and whether the probe reads it as the target's digit."""
    from gan_models.latent import prior_inputs
    from gan_models.sample import render
    g = ck.generator
    z, labels, codes, _, _ = prior_inputs(g, len(targets), seed)
    x = render(g, z, labels, codes)                                            # (N, C, H, W)
    lo, hi = ck.value_range
    x = (x - lo) * (2.0 / (hi - lo)) - 1.0
    return {"mse": (x - targets).square().flatten(1).mean(1).numpy(), "pred": probe.predict(x)}


def matched_accuracy(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Share right under the best one-to-one map of found values to true classes."""
    from train.metrics import best_matching
    return best_matching(found, truth, k, k)["accuracy"]


def bench_model(name: str, targets, labels, probe, log=print) -> dict:
    from gan_models.checkpoint import load_checkpoint
    from train.projector import ProjectorConfig, project
    ck = load_checkpoint(ROOT / "resources" / "models" / f"{name}.safetensors")
    g, cfg = ck.generator, ProjectorConfig()
    t0 = time.monotonic()
    mse, recon, found = [], [], []
    for i, t in enumerate(targets):
        r = project(g, t, ck.discriminator, cfg, tuple(ck.value_range))
        mse.append(r.pixel_mse)
        recon.append(r.image)
        found.append(r.label if r.label is not None else (r.cat[0] if r.cat else -1))
        if (i + 1) % 20 == 0:
            log(f"  {name}: {i + 1}/{len(targets)}  mean MSE {np.mean(mse):.4f}", flush=True)
    seconds = time.monotonic() - t0
    pred = probe.predict(torch.stack(recon))
    rand = random_baseline(ck, targets, probe)
    found = np.asarray(found)
    row = {"model": name, "kind": ck.config.kind, "n": len(targets), "losses": list(r.losses),
           "mse": mean_se(mse), "psnr": mean_se([10 * math.log10(4.0 / max(m, 1e-12)) for m in mse]),
           "agreement": float((pred == labels).mean()),
           "random_mse": mean_se(rand["mse"]), "random_agreement": float((rand["pred"] == labels).mean()),
           "seconds_per_image": round(seconds / len(targets), 2), "per_image_mse": [round(m, 5) for m in mse]}
    if g.num_classes:
        row["label_found"] = float((found == labels).mean())
    elif g.code_layout.categorical:
        row["code_found_matched"] = matched_accuracy(found, labels, g.code_layout.categorical[0])
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Projector quality on held-out digits with the bundled models")
    p.add_argument("--n", type=int, default=150, help="held-out images per model (default 150, at most 1000)")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated bundled model names")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--json", default=str(ROOT / "bench" / "results" / "projector.json"))
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    from train.data import load_dataset
    from train.probe import get_probe
    from train.project_cli import HELD_OUT_N, HELD_OUT_SEED, held_out
    from train.projector import ProjectorConfig
    if not 1 <= a.n <= HELD_OUT_N:
        p.error(f"--n must be 1..{HELD_OUT_N}")
    ds = held_out("digits", 1, 28)
    targets, labels = ds.x[:a.n], ds.labels[:a.n].numpy()
    probe = get_probe(load_dataset("digits"))
    res = {"command": ("python bench/projector_quality.py " + " ".join(sys.argv[1:] if argv is None else argv)).strip(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
                      f"load average at start {', '.join(f'{v:.1f}' for v in os.getloadavg())}",
           "data": f"digits seed {HELD_OUT_SEED}, n {HELD_OUT_N}, images 0..{a.n - 1}",
           "probe_on_targets": float((probe.predict(targets) == labels).mean()),
           "config": asdict(ProjectorConfig()),
           "rows": []}
    t0 = time.monotonic()
    for name in filter(None, (m.strip() for m in a.models.split(","))):
        print(f"{name}:", flush=True)
        res["rows"].append(bench_model(name, targets, labels, probe))
        r = res["rows"][-1]
        print(f"  MSE {r['mse'][0]:.4f} (random z {r['random_mse'][0]:.4f}), digit agreement "
              f"{100 * r['agreement']:.0f}% (random z {100 * r['random_agreement']:.0f}%)", flush=True)
    res["seconds"] = round(time.monotonic() - t0, 1)
    from gan_models.atomic import write_text_atomic
    write_text_atomic(a.json, json.dumps(res, indent=1) + "\n")
    print(f"wrote {a.json} ({res['seconds']:.0f} s; probe on the targets themselves "
          f"{100 * res['probe_on_targets']:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
