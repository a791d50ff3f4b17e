"""`gan-explorer eval RUN_DIR_OR_CHECKPOINT [--json]`: the metrics of `train.judges.evaluate`, plus the
equilibrium view (mean D(x), D(G(z)) over the last logged window) for a run folder."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from gan_models import cli_args as ca
from gan_models.errors import GanExplorerError


def eval_parser() -> ca.Parser:
    p = ca.Parser(prog="gan-explorer eval", description="Measure a trained model.")
    p.add_argument("target", help="run folder or checkpoint")
    p.add_argument("--dataset", help="compare against this data set (default: the one it was trained on)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quick", action="store_true", help="fewer samples (faster, noisier)")
    p.add_argument("--seed", type=ca.train_seed, default=0)
    p.add_argument("--n-data", type=ca.int_in(1, 10**8), help="real samples to load for FID (default: the data set's)")
    return p


def evaluate_target(target, dataset_name=None, seed=0, quick=False, n_data=None) -> dict:
    from gan_models.checkpoint import load_checkpoint

    from .data import load_dataset
    from .judges import evaluate
    from .metrics import equilibrium
    from .run_folder import read_jsonl_tail
    ck = load_checkpoint(target)
    name = dataset_name or ck.meta.get("dataset")
    if not name or name == "unknown":
        raise GanExplorerError(f"{ck.path}: does not say which data set it was trained on; pass --dataset")
    shape = ck.config.data_shape
    ds = load_dataset(name, image_size=shape[1] if len(shape) == 3 else None,
                      channels=shape[0] if len(shape) == 3 else None, n=n_data)
    if tuple(ds.data_shape) != tuple(shape):
        raise GanExplorerError(f"--dataset {name}: its samples are {tuple(ds.data_shape)}, "
                               f"the model makes {tuple(shape)}")
    out = {"checkpoint": str(ck.path), "kind": ck.config.kind, "dataset": name, "step": ck.meta.get("step")}
    out.update(evaluate(ck.generator, ds, seed=seed, quick=quick,
                        value_range=tuple(ck.value_range) if ck.value_range else (-1.0, 1.0)))
    run = Path(target)
    if run.is_dir() and (run / "metrics.jsonl").exists():
        eq = equilibrium(read_jsonl_tail(run / "metrics.jsonl"))     # the last rows, bounded memory
        out.update({f"eq_{k}": v for k, v in eq.items()})
    return out


def cmd_eval(argv: list[str]) -> int:
    args = eval_parser().parse_args(argv)
    res = evaluate_target(args.target, args.dataset, args.seed, args.quick, args.n_data)
    if args.json:
        print(json.dumps(res))
        return 0
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"{k:{width}s}  {v:.4f}" if isinstance(v, float) else f"{k:{width}s}  {v}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cmd_eval(sys.argv[1:]))
