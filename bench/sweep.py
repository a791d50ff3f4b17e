"""Train recipe variants over seeds in parallel worker processes and tabulate their metrics.

    python bench/sweep.py PLAN.toml [--workers 4] [--device cpu] [--deadline 600] [--out rows.jsonl]

A plan is a TOML file of variants; each trains one recipe with overrides over some seeds:

    [[variant]]
    name = "infogan-decay"            # a label for the table
    recipe = "infogan-digits"         # resources/recipes/<recipe>.toml
    seeds = [0, 1, 2, 3]
    set = { lr_decay_from = 0.5 }     # TrainConfig or ModelConfig fields (the recipe's otherwise)
    device = "cuda"                   # optional: this variant's device (default: --device)

Every (variant, seed) job trains headless (bench/quality.py's recipe_config + train_quiet), then
`train.judges.evaluate` measures what applies (toys: modes / HQ over 2,500 samples; InfoGAN:
code accuracy, slant / width correlations; ...). One JSON row per finished job goes to --out as
soon as it finishes (so a run cut off at --deadline keeps what it finished); the table at the end
gives each variant's mean +- standard error and its per-seed values. Workers are spawned
processes with one torch thread each, so several CPU jobs, or several small CUDA jobs sharing one
GPU, run side by side. Used to search recipes on a lent GPU; a recipe found this way is then
checked on the CPU before it ships (CUDA's numerics differ from the CPU's in the last bits).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEYS = ("code_accuracy", "slant_corr", "width_corr", "label_accuracy", "fid", "modes", "modes_total",
        "hq_fraction", "kl")


def load_plan(path: Path) -> list[dict]:
    import tomllib
    try:
        plan = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit(f"{path}: not a readable TOML plan ({e})")
    jobs = []
    for i, v in enumerate(plan.get("variant", [])):
        if "recipe" not in v or not v.get("seeds"):
            raise SystemExit(f"{path}: variant {i + 1} needs `recipe` and a non-empty `seeds` list")
        name = v.get("name", f"{v['recipe']}-{i + 1}")
        jobs += [{"variant": name, "recipe": v["recipe"], "seed": int(s), "set": dict(v.get("set", {})),
                  "device": v.get("device")} for s in v["seeds"]]
    if not jobs:
        raise SystemExit(f"{path}: no [[variant]] tables")
    return jobs


def run_job(job: dict) -> dict:
    import torch
    torch.set_num_threads(1)
    from bench.quality import recipe_config, train_quiet
    from train.judges import evaluate
    t0 = time.monotonic()
    kw = dict(job["set"], seed=job["seed"], device=job["device"], num_threads=1,
              sample_every=10**9, checkpoint_every=0, autosave_seconds=1e9)
    try:
        tr = train_quiet(recipe_config(job["recipe"], **kw))
        train_s = time.monotonic() - t0
        G = tr.G.cpu().eval()                # every variant measured alike, on the CPU
        m = evaluate(G, tr.dataset, seed=job["seed"])
    except Exception as e:                   # one bad job must not end the sweep
        return dict(job, error=f"{type(e).__name__}: {e}", seconds=round(time.monotonic() - t0, 1))
    return dict(job, metrics={k: float(v) for k, v in m.items() if k in KEYS},
                train_seconds=round(train_s, 1), seconds=round(time.monotonic() - t0, 1))


def table(rows: list[dict]) -> str:
    from bench.quality import mean_se
    by: dict = {}
    for r in rows:
        by.setdefault(r["variant"], []).append(r)
    out = []
    for name, rs in by.items():
        ok = sorted((r for r in rs if "metrics" in r), key=lambda r: r["seed"])
        bad = [r for r in rs if "error" in r]
        line = [f"{name} ({len(ok)} seeds, {sum(r['train_seconds'] for r in ok) / max(len(ok), 1):.0f} s each)"]
        for k in (k for k in KEYS if k != "modes_total"):      # a constant of the toy
            vals = [r["metrics"][k] for r in ok if k in r["metrics"]]
            if vals:
                m, se = mean_se(vals)
                line.append(f"  {k:14s} {m:.3f} +- {se:.3f}   [" +
                            ", ".join(f"s{r['seed']} {r['metrics'][k]:.3f}" for r in ok if k in r["metrics"]) + "]")
        line += [f"  seed {r['seed']} failed: {r['error']}" for r in bad]
        out.append("\n".join(line))
    return "\n".join(out)


def quality_toy_rows(rows: list[dict], meta: dict) -> dict:
    """Finished toy jobs of the protocol's variants at the recipe's schedule (the variant sets
    nothing but pack: 1 = GAN, 2 = PacGAN2, 4 = PacGAN4) as a bench/quality.py JSON file, so
    `quality.py --toys-from` merges them with its own rows."""
    from bench.quality import PAPER_TOYS, VARIANTS, recipe_config, summarise_toy
    names = {pack: name for name, pack in VARIANTS}
    out: dict = {}
    for r in rows:
        if "metrics" not in r or r["recipe"] not in ("gan-ring8", "gan-grid25") or set(r["set"]) - {"pack"}:
            continue
        t = recipe_config(r["recipe"], **dict(r["set"], seed=r["seed"]))
        pack = t.model_overrides.get("pack", 1)
        if pack not in names:
            continue
        toy, variant = r["recipe"][4:], names[pack]
        key = (toy, variant, t.steps, t.lr_d, t.batch_size, t.lr_decay_from)
        row = out.setdefault(key, {"toy": toy, "variant": variant, "pack": pack, "steps": t.steps, "lr": t.lr_d,
                                   "batch_size": t.batch_size, "lr_decay_from": t.lr_decay_from, "per_seed": [],
                                   "seconds": 0.0, "paper": PAPER_TOYS.get((toy, variant), ("—", "—"))})
        row["per_seed"].append(dict(r["metrics"], seed=r["seed"]))
        row["seconds"] += r["seconds"]
    return dict(meta, toys=[summarise_toy(dict(v, per_seed=sorted(v["per_seed"], key=lambda m: m["seed"])))
                            for v in out.values()])


def main(argv=None) -> int:
    from gan_models import cli_args as ca
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plan", type=Path)
    ap.add_argument("--workers", type=ca.int_in(1, 64), default=max(1, (os.cpu_count() or 2) // 2),
                    help="processes training side by side (1 to 64)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (the jobs share it); a variant may name its own")
    ap.add_argument("--deadline", type=ca.float_in(1, 1e7), default=3600.0,
                    help="seconds (finite); unfinished jobs are dropped")
    ap.add_argument("--out", type=Path, help="append one JSON row per finished job here")
    ap.add_argument("--from", dest="from_", type=Path, help="train nothing: tabulate the rows of an earlier --out")
    ap.add_argument("--quality-json", type=Path,
                    help="also write the toy protocol rows for bench/quality.py --toys-from")
    ap.add_argument("--machine", default="", help="with --quality-json: where the rows were measured")
    a = ap.parse_args(argv)
    if a.from_:
        rows = [json.loads(line) for line in a.from_.read_text().splitlines() if line.strip()]
        print(table(rows))
        if a.quality_json:
            meta = {"command": f"python bench/sweep.py {a.plan} (rows: {a.from_.name})",
                    "date": time.strftime("%Y-%m-%d", time.gmtime(a.from_.stat().st_mtime)),
                    "machine": a.machine or "unknown", "seconds": sum(r.get("seconds", 0) for r in rows)}
            a.quality_json.write_text(json.dumps(quality_toy_rows(rows, meta), indent=1))
        return 0
    jobs = [dict(j, device=j["device"] or a.device) for j in load_plan(a.plan)]
    print(f"{len(jobs)} jobs, {a.workers} workers, device {a.device}", flush=True)
    t0, rows = time.monotonic(), []
    ctx = mp.get_context("spawn")                         # CUDA cannot be forked
    pool = ctx.Pool(a.workers)
    try:
        pending = pool.imap_unordered(run_job, jobs)
        for _ in jobs:
            left = a.deadline - (time.monotonic() - t0)
            try:
                r = pending.next(timeout=max(left, 0.01))
            except mp.TimeoutError:
                print(f"deadline: {len(jobs) - len(rows)} jobs unfinished", flush=True)
                break
            rows.append(r)
            if a.out:
                with open(a.out, "a") as f:
                    f.write(json.dumps(r) + "\n")
            brief = r.get("error") or " ".join(f"{k} {v:.3f}" for k, v in r["metrics"].items())
            print(f"[{time.monotonic() - t0:6.0f} s] {r['variant']} seed {r['seed']}: {brief}", flush=True)
    finally:
        pool.terminate()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
