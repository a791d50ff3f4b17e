"""Shapes (64x64 colour) quality: DCGAN-64, CGAN-64 and InfoGAN-64 measured by train/shapes_metrics.py.

    .venv/bin/python bench/shapes_quality.py --dcgan runs/dcgan-shapes --cgan runs/cgan-shapes \
        --infogan runs/infogan-shapes
    make benchmarks-page      # the page's "Shapes (64x64 colour)" section from the saved result

Writes bench/results/shapes.json (command, date, machine and load inside): the real-data
baselines (estimators vs true factors, the shape classifier's held-out accuracy, its confident
share and the real-vs-real probe FID), each model's shapes_report (sample quality by the
classifier, factor distributions vs real, InfoGAN code matching and controlled sweeps) and the
D-feature probe per factor (train/feature_probe.py) on the DCGAN checkpoint, which must hold D.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402


def measure(models: dict, probe_checkpoint: str | None, quick: bool = False, labels=(100, 1000),
            seed: int = 0, log=print) -> dict:
    """{"real", "models": {name: {...report}}, "feature_probe", "targets"} for {name: checkpoint}."""
    from gan_models.checkpoint import load_checkpoint
    from train.data import load_dataset
    from train.shapes_metrics import (PROBE_STEPS, REAL_N, TARGETS, estimator_agreement, real_subset,
                                      shapes_probe, shapes_report)
    real = real_subset(load_dataset("shapes"))
    t = time.monotonic()
    probe = shapes_probe(real)
    log(f"  shape classifier: {100 * probe.accuracy:.2f}% held-out ({time.monotonic() - t:.0f} s, cached after)")
    out = {"real": {"n": REAL_N, "probe_steps": PROBE_STEPS, "probe_accuracy": probe.accuracy,
                    "estimators": estimator_agreement(real)},
           "models": {}, "targets": dict(TARGETS)}
    for name, path in models.items():
        t = time.monotonic()
        ck = load_checkpoint(path)
        vr = tuple(ck.value_range) if ck.value_range else (-1.0, 1.0)
        rep = shapes_report(ck.generator, real, seed=seed, quick=quick, value_range=vr, probe=probe,
                            with_real=False)
        rep.update(checkpoint=str(path), kind=ck.config.kind, step=ck.meta.get("step"),
                   seconds=round(time.monotonic() - t, 1))
        out["models"][name] = rep
        s = rep["samples"]
        log(f"  {name} (step {rep['step']}): confident {s['confident_share']:.3f}, FID {s['fid']:.2f}, "
            f"min class {s['class_min_share']:.3f}" + (f", cat {rep['categorical']['accuracy']:.3f}"
                                                       if "categorical" in rep else ""))
    first = next(iter(out["models"].values()), None)
    if first:                                        # the same real subset and seed for every model
        s = first["samples"]
        out["real"].update(confident_share=s["confident_share_real"], fid_real=s["fid_real"],
                           class_shares=s["class_shares_real"], factors=s["factors_real"])
    if probe_checkpoint:
        from train.feature_probe import run_probe
        log("  D-feature probe ...")
        out["feature_probe"] = run_probe(probe_checkpoint, data="shapes", labels=labels, seed=seed)
        for r in out["feature_probe"].get("factors", {}).get("rows", []):
            log(f"    {r['factor']:6s} D {r['discriminator']:.3f} pixels {r['raw pixels']:.3f} gain {r['gain']:+.3f}")
    return out


# ---------------------------------------------------------------- the page section

def _pct(v) -> str:
    return f"{100 * v:.1f}%"


def _kl(shares) -> float:
    import math
    k = len(shares)
    return sum(p * math.log(p * k) for p in shares if p > 0)


def render_section(sh: dict) -> list[str]:
    """docs/benchmarks.md's "Shapes (64x64 colour)" section from a shapes.json result."""
    from train.data.shapes import SHAPES
    real, models, tg = sh["real"], sh["models"], sh["targets"]
    names = list(models)
    est = real["estimators"]
    L = ["## Shapes (64x64 colour): " + ", ".join(n.split("-")[0].upper().replace("INFOGAN", "InfoGAN") + "-64"
                                                 for n in names), "",
         f"`{sh['command']}` ({sh['date']}; {sh['machine']}; {sh['seconds']:.0f} s). Models: "
         + ", ".join(f"{n} (step {m['step']}, `{m['checkpoint']}`)" for n, m in models.items()) + ".", "",
         "Definitions (`train/shapes_metrics.py`): the *classifier* is our probe CNN trained on "
         f"{real['n']:,} real images ({real['probe_steps']:,} steps) and judges which shape a sample shows; "
         "*confident*: its top class probability is at least 0.9. The pixel *estimators* read any image: "
         "foreground = pixels farther than 0.25 (RGB) from the background colour; x, y = its centroid; "
         "scale = sqrt(area) (half-frame units; the radius times a per-shape constant); hue = the hue of "
         "the mean foreground colour (the data's hue runs red 0 .. violet 0.8; the colour circle is cut at "
         "0.9, so hue is linear). Probe FID: Fréchet distance of the classifier's 64-d features, 2,000 real "
         "vs 2,000 samples; *real vs real* is two disjoint sets of 2,000 real images (the floor). "
         "W1: 1-D Wasserstein distance of a factor's distribution in samples vs real images; hue TV: total "
         "variation between 10-bin hue histograms.", "",
         "| judge, on real images | value |", "|---|---|",
         f"| classifier, held-out accuracy | {_pct(real['probe_accuracy'])} |",
         f"| classifier confident (≥ 0.9) | {_pct(real.get('confident_share', float('nan')))} |",
         f"| estimators vs true factors, Spearman: x / y / scale (within shape) / hue | "
         f"{est['x']:.3f} / {est['y']:.3f} / {est['scale']:.3f} / {est['hue']:.3f} |",
         f"| probe FID, real vs real | {real.get('fid_real', float('nan')):.1f} |", "",
         "| sample quality | " + " | ".join(names) + " | real images |", "|---|" + "---|" * (len(names) + 1)]

    def row(label, fn, real_value="—"):
        L.append(f"| {label} | " + " | ".join(fn(models[n]["samples"]) for n in names) + f" | {real_value} |")
    rf = real.get("factors", {})
    row("classifier confident (≥ 0.9)", lambda s: _pct(s["confident_share"]), _pct(real.get("confident_share", 0)))
    row("class shares, " + " / ".join(SHAPES), lambda s: " / ".join(f"{100 * v:.0f}" for v in s["class_shares"]),
        " / ".join(f"{100 * v:.0f}" for v in real.get("class_shares", [])))
    row("smallest class share (uniform: 25%)", lambda s: _pct(s["class_min_share"]),
        _pct(min(real.get("class_shares", [0]))))
    row("KL(classes ‖ uniform)", lambda s: f"{s['class_kl']:.3f}", f"{_kl(real.get('class_shares', [])):.3f}")
    row("probe FID", lambda s: f"{s['fid']:.1f}", f"{real.get('fid_real', float('nan')):.1f} (real vs real)")
    row("no shape drawn (empty)", lambda s: _pct(s["factors"]["empty_share"]), _pct(rf.get("empty_share", 0)))
    for k in ("x", "y", "scale"):
        row(f"{k}: mean ± std", lambda s, k=k: f"{s['factors'][k]['mean']:.3f} ± {s['factors'][k]['std']:.3f}",
            f"{rf[k]['mean']:.3f} ± {rf[k]['std']:.3f}" if k in rf else "—")
    row("W1 to real: x / y / scale", lambda s: " / ".join(f"{s['factors'][k]['w1']:.3f}" for k in ("x", "y", "scale")))
    row("hue histogram TV to real", lambda s: f"{s['factors']['hue']['tv']:.3f}")
    if any("label_accuracy" in models[n] for n in names):
        lt = tg.get("label_accuracy")
        L.append("| CGAN: the classifier reads the asked shape (100 samples per shape)"
                 + (f"; target ≥ {_pct(lt)}" if lt else "") + " | "
                 + " | ".join(_pct(models[n]["label_accuracy"]) if "label_accuracy" in models[n] else "—"
                              for n in names) + " | — |")
    L.append("")
    for n, m in models.items():
        if "categorical" not in m and "continuous" not in m:
            continue
        L += [f"InfoGAN codes of {n} (targets from issue 26):", "",
              "| metric | ours | target |", "|---|---|---|"]
        if "categorical" in m:
            c = m["categorical"]
            ok = "met" if c["accuracy"] >= tg["code_accuracy"] else "not met"
            L.append(f"| cat1 accuracy: the classifier reads the shape of 100 samples per code value, best "
                     f"one-to-one matching of values to shapes (matched: {', '.join(c['mapping_names'])}) | "
                     f"{_pct(c['accuracy'])} | ≥ {_pct(tg['code_accuracy'])} ({ok}) |")
        if "continuous" in m:
            co = m["continuous"]
            strong = [nm for nm, (f, r) in co["matched"].items() if r >= tg["cont_corr"]]
            for nm, (f, r) in co["matched"].items():
                L.append(f"| {nm}: \\|Spearman\\| with its factor ({f}; codes matched to distinct factors), "
                         f"controlled sweeps | {r:.3f} | ≥ {tg['cont_corr']} for two codes |")
            L.append(f"| continuous codes reaching {tg['cont_corr']} | {len(strong)} | 2 "
                     f"({'met' if len(strong) >= 2 else 'not met'}) |")
            L += ["", "Mean signed Spearman over sweeps (one code moves over 9 values in [-1, 1], z and the "
                  "other codes fixed, 100 sweeps), code × estimated factor:", "",
                  "| code | hue | x | y | scale |", "|---|---|---|---|---|"]
            for nm, per in co["per_code"].items():
                L.append(f"| {nm} | " + " | ".join(f"{per[f]:+.2f}" for f in ("hue", "x", "y", "scale")) + " |")
        L.append("")
    fp = sh.get("feature_probe")
    if fp and fp.get("factors"):
        fa = fp["factors"]
        L += [f"D's features per factor (`gan-explorer probe {fp['checkpoint']} --data shapes`, "
              f"{fa['labels']:,} labelled images, {fp['n_test']:,} test images; linear classifier as in the "
              "digits experiment; x, y, scale in 4 quantile bins, hue in 6; chance = the largest test class; "
              "gain = D minus raw pixels):", "",
              "| factor | chance | D features | raw pixels | random D | gain |", "|---|---|---|---|---|---|"]
        for r in fa["rows"]:
            L.append(f"| {r['factor']} | {_pct(r['chance'])} | {_pct(r['discriminator'])} | "
                     f"{_pct(r['raw pixels'])} | {_pct(r['random D'])} | {100 * r['gain']:+.1f} points |")
        L.append("")
    return L


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Shapes quality of DCGAN-64 / InfoGAN-64 -> bench/results/shapes.json")
    p.add_argument("--dcgan", help="the DCGAN-64 shapes checkpoint or run folder")
    p.add_argument("--cgan", help="the CGAN-64 shapes checkpoint or run folder")
    p.add_argument("--infogan", help="the InfoGAN-64 shapes checkpoint or run folder")
    p.add_argument("--probe-checkpoint", help="checkpoint with D for the feature probe (default: --dcgan)")
    p.add_argument("--probe-labels", default="100,1000")
    p.add_argument("--quick", action="store_true", help="fewer samples per metric (noisier)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "shapes.json"))
    a = p.parse_args(argv)
    models = {k: v for k, v in (("dcgan-shapes", a.dcgan), ("cgan-shapes", a.cgan),
                                  ("infogan-shapes", a.infogan)) if v}
    if not models:
        p.error("give --dcgan, --cgan and/or --infogan")
    torch.set_num_threads(a.threads)
    res = {"command": "python bench/shapes_quality.py " + " ".join(sys.argv[1:] if argv is None else argv),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
                      f"load average at start {', '.join(f'{v:.1f}' for v in os.getloadavg())}"}
    t0 = time.monotonic()
    res.update(measure(models, a.probe_checkpoint or a.dcgan, a.quick,
                       tuple(int(v) for v in a.probe_labels.split(","))))
    res["seconds"] = round(time.monotonic() - t0, 1)
    from gan_models.atomic import write_text_atomic
    write_text_atomic(a.out, json.dumps(res, indent=1, default=float))
    print(f"wrote {a.out} ({res['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
