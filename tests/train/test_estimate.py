"""`gan-explorer estimate`: a run's time on this machine from real steps timed here."""
from __future__ import annotations

import json

from conftest import TOY_ARGS

from train.cli import entry
from train.estimate import describe_seconds, estimate_run


def test_an_epoch_run_is_timed_over_the_steps_the_trainer_will_run():
    """2 epochs of 256 digits at batch 16 = 32 steps, as the trainer counts them; the estimate
    is the setup plus those steps at the measured time per step."""
    args = ["--model", "dcgan", "--dataset", "digits", "--n-data", "256", "--epochs", "2", "--batch-size", "16",
            "--g-width", "8", "--d-width", "8", "--num-threads", "1", "--device", "cpu"]
    e = estimate_run(args, seconds=0.05)
    assert e["steps"] == 32 and e["steps_per_epoch"] == 16
    assert e["timed_steps"] >= 2 and e["step_s"] > 0 and e["threads"] == 1 and e["device"] == "cpu"
    assert abs(e["seconds"] - (e["setup_s"] + 32 * e["step_s"])) < 0.1


def test_the_cli_prints_one_json_line_per_recipe_and_names_a_bad_one(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[train]\nmodel = "dcgan"\nsteps = 10\nbogus = 1\n')
    rc = entry(["estimate", "--json", "--seconds", "0.05", str(bad), "--", *TOY_ARGS, "--steps", "500"])
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert rc == 2 and len(lines) == 2
    assert lines[0]["name"] == "bad" and "unknown field 'bogus'" in lines[0]["error"]
    assert lines[1]["name"] == "custom" and lines[1]["steps"] == 500 and lines[1]["model"] == "gan"


def test_nothing_to_estimate_is_one_line_and_exit_2(capsys):
    assert entry(["estimate"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "recipes" in err


def test_durations_read_as_a_person_says_them():
    assert describe_seconds(20) == "< 1 min" and describe_seconds(185) == "~3 min"
    assert describe_seconds(3600 + 20 * 60) == "~1 h 20 min" and describe_seconds(7200) == "~2 h"
