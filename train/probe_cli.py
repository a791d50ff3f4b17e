"""`gan-explorer probe CHECKPOINT`: the DCGAN paper's discriminator-feature experiment from the
command line (train/feature_probe.py does the work; the app's D probe tab runs the same)."""
from __future__ import annotations

from gan_models.errors import GanExplorerError

from .feature_probe import MAX_BUDGETS, bins_text, run_probe


def probe_parser():
    from gan_models import cli_args as ca
    p = ca.Parser(prog="gan-explorer probe",
                                description="Linear classifier on D's features vs raw pixels and a random D.")
    p.add_argument("checkpoint", help="a training checkpoint or run folder (must hold the discriminator)")
    p.add_argument("--data", help="data set name or path (default: the one it was trained on)")
    p.add_argument("--labels", default="100,1000", help="label budgets, comma-separated (default 100,1000)")
    p.add_argument("--n-test", type=ca.int_in(1, 10**6), default=2000, help="held-out test images (default 2000)")
    p.add_argument("--n-data", type=ca.int_in(1, 10**8), help="load only N images of the data set")
    p.add_argument("--seed", type=ca.train_seed, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def cmd_probe(argv: list[str]) -> int:
    import json
    args = probe_parser().parse_args(argv)
    try:
        budgets = [int(v) for v in args.labels.split(",") if v.strip()]
    except ValueError:
        raise GanExplorerError(f"--labels {args.labels!r}: expected comma-separated counts, e.g. 100,1000") from None
    if not budgets or min(budgets) <= 0 or len(budgets) > MAX_BUDGETS:
        raise GanExplorerError(f"--labels {args.labels!r}: expected 1 to {MAX_BUDGETS} positive counts, "
                               "e.g. 100,1000 (a classifier is fitted for each)")
    if args.n_test <= 0:
        raise GanExplorerError(f"--n-test {args.n_test}: expected a positive number")
    res = run_probe(args.checkpoint, args.data, budgets, args.n_test, args.n_data, args.seed)
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"{res['kind']} discriminator features on {res['dataset']} (test {res['n_test']} images)")
    print(f"{'features':16s} {'dim':>6s} " + " ".join(f"{str(m) + ' labels':>11s}" for m in res["labels"]))
    for r in res["rows"]:
        print(f"{r['features']:16s} {r['dim']:6d} "
              + " ".join(f"{r['accuracy'][str(m)]:11.4f}" for m in res["labels"]))
    if res.get("factors"):
        fa = res["factors"]
        print(f"\nper factor ({fa['labels']} labels; {bins_text(fa['bins'])}):")
        w = max(8, *(len(r["factor"]) for r in fa["rows"]))
        print(f"{'factor':{w}s} {'chance':>7s} {'D':>7s} {'pixels':>7s} {'random D':>9s} {'gain':>7s}")
        for r in fa["rows"]:
            print(f"{r['factor']:{w}s} {r['chance']:7.3f} {r['discriminator']:7.3f} {r['raw pixels']:7.3f} "
                  f"{r['random D']:9.3f} {r['gain']:+7.3f}")
    return 0
