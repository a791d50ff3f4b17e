"""What the live quality scores cost a run: their time against the run's own training time.

    python bench/quality_cost.py RUN_DIR [RUN_DIR ...]

Reads each run folder: the scoring time (`q_time` of every quality row in metrics.jsonl), the
one-off set-up (the `quality_reference` event's `setup_s`: real-data statistics, and the probe
classifier when it was not cached yet) and the training time (the last row's `time`, the
trainer's own step time). Both come from the same run, so machine load hits them alike.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def cost(run: Path) -> dict:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]
    q = [r["q_time"] for r in rows if "q_time" in r]
    train = max((r.get("time", 0.0) for r in rows if "loss_d" in r), default=0.0)
    setup = sum(e.get("setup_s", 0.0) for e in events if e.get("event") == "quality_reference")
    return {"run": run.name, "scores": len(q), "score_s": round(sum(q), 1), "setup_s": round(setup, 1),
            "train_s": round(train, 1), "share": sum(q) / train if train else float("nan"),
            "share_with_setup": (sum(q) + setup) / train if train else float("nan")}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for arg in argv:
        c = cost(Path(arg))
        print(f"{c['run']}: {c['scores']} scores, {c['score_s']} s of {c['train_s']} s training = "
              f"{c['share']:.1%} (with the one-off set-up of {c['setup_s']} s: {c['share_with_setup']:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
