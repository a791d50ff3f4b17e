"""bench/sweep.py: plans are checked before any training, a bad job does not end the sweep, and
finished toy rows become quality.py protocol rows (each seed once, search variants left out)."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sweep():
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("bench_sweep", ROOT / "bench" / "sweep.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_shipped_plan_loads_and_names_real_recipes(sweep):
    for plan in sorted((ROOT / "bench" / "plans").glob("*.toml")):
        jobs = sweep.load_plan(plan)
        assert jobs and all((ROOT / "resources" / "recipes" / f"{j['recipe']}.toml").is_file() for j in jobs)


def test_a_plan_without_seeds_is_refused_with_its_name(sweep, tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('[[variant]]\nname = "x"\nrecipe = "gan-ring8"\n')
    with pytest.raises(SystemExit, match="p.toml: variant 1 needs"):
        sweep.load_plan(bad)


def test_a_failing_job_comes_back_as_an_error_row(sweep):
    row = sweep.run_job({"variant": "v", "recipe": "gan-ring8", "seed": 0, "device": "cpu",
                         "set": {"steps": 2, "batch_size": -1}})
    assert "batch" in row["error"] and "metrics" not in row


def test_toy_rows_become_protocol_rows_once_per_seed(sweep, tmp_path):
    def row(variant, seed, hq, **set_):
        return {"variant": variant, "recipe": "gan-grid25", "seed": seed, "set": dict(set_), "seconds": 10.0,
                "metrics": {"modes": 25.0, "modes_total": 25.0, "hq_fraction": hq, "kl": 0.1}}
    rows = [row("protocol", 4, 0.9, pack=1), row("protocol", 5, 0.8, pack=1), row("pac", 4, 0.3, pack=4),
            row("pac2", 4, 0.95, pack=2), row("search", 4, 0.99, pack=1, g_width=64)]   # search: not a protocol row
    out = sweep.quality_toy_rows(rows, {"command": "c", "date": "d", "machine": "m", "seconds": 0})
    by = {r["variant"]: r for r in out["toys"]}
    assert set(by) == {"GAN", "PacGAN2", "PacGAN4"} and by["GAN"]["seeds"] == 2 and by["PacGAN4"]["seeds"] == 1
    assert by["PacGAN2"]["paper"] == ("—", "—")                  # no paper value restated for it
    assert by["GAN"]["hq"][0] == pytest.approx(85.0) and by["GAN"]["steps"] == 20000
    json.dumps(out)                                              # what --quality-json writes
