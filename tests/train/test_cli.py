"""The headless CLI: errors exit 2 with one clear line; Ctrl-C / kill -9 lose at most a save."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from train.cli import entry
from train.run_folder import read_jsonl, training_rows

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--batch-size", "16", "--n-data", "128", "--g-width", "8", "--d-width", "8", "--num-threads", "1"]


@pytest.mark.parametrize("argv,needle", [
    (["--model", "bigan", "--dataset", "digits", "--steps", "1"], "--model 'bigan'"),
    (["--model", "dcgan", "--dataset", "/no/such/folder", "--steps", "1"], "/no/such/folder"),
    (["--model", "dcgan", "--dataset", "nosuchname", "--steps", "1"], "nosuchname"),
    (["--model", "cgan", "--dataset", "ring8", "--steps", "1"], "needs labelled data"),
    (["--model", "dcgan", "--dataset", "digits", "--steps", "1", "--batch-size", "0"], "--batch-size 0"),
    (["--model", "dcgan", "--dataset", "digits", "--steps", "1", "--lr-d", "5"], "--lr-d 5"),
    (["--model", "dcgan", "--dataset", "digits"], "--steps N or --epochs N"),
    (["--model", "gan", "--dataset", "ring8", "--steps", "1", "--batch-size", "10", "--pack", "4"], "multiple of --pack"),
    (["--model", "dcgan", "--dataset", "digits", "--steps", "1", "--device", "cuda"], "--device cuda"),
    (["--model", "dcgan", "--dataset", "digits", "--steps", "1", "--recipe", "/no/recipe.toml"], "/no/recipe.toml"),
    (["--resume", "/no/such/run"], "/no/such/run"),
])
def test_bad_input_exits_2_with_one_line(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert entry(["train"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "runs").exists(), "no work may start on bad input"


def test_bad_recipe_field(tmp_path, capsys):
    r = tmp_path / "r.toml"
    r.write_text('[train]\nmodel = "dcgan"\nlearning_rate = 3\n')
    assert entry(["train", "--recipe", str(r), "--dataset", "digits", "--steps", "1"]) == 2
    assert "learning_rate" in capsys.readouterr().err


def test_recipe_plus_override(tmp_path):
    r = tmp_path / "r.toml"
    r.write_text('[train]\nmodel = "gan"\ndataset = "ring8"\nsteps = 50\nbatch_size = 32\n[model]\ng_width = 16\n')
    out = tmp_path / "run"
    assert entry(["train", "--recipe", str(r), "--steps", "3", "--out", str(out), "--quiet"]) == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["train"]["steps"] == 3 and cfg["train"]["batch_size"] == 32 and cfg["model"]["g_width"] == 16


def test_switches_turn_options_on_and_leave_the_recipe_alone_when_absent():
    from train.cli import config_from_args, train_parser
    on = config_from_args(train_parser().parse_args(["--model", "gan", "--dataset", "ring8", "--steps", "1",
                                                     "--compile", "--channels-last", "--info-cont-weight", "0.5"]))
    assert on.compile and on.channels_last and on.info_cont_weight == 0.5
    off = config_from_args(train_parser().parse_args(["--model", "gan", "--dataset", "ring8", "--steps", "1"]))
    assert not off.compile and not off.channels_last and off.info_cont_weight == 1.0


def _spawn(args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "train"] + args, cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for(path: Path, timeout=60):
    t = time.time()
    while not path.exists():
        if time.time() - t > timeout:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.1)


def test_sigkill_then_resume(tmp_path):
    out = tmp_path / "run"
    p = _spawn(["--model", "gan", "--dataset", "ring8", "--steps", "1000000", "--autosave-seconds", "0.3",
                "--checkpoint-every", "0", "--out", str(out), "--quiet"])
    _wait_for(out / "checkpoints" / "latest.safetensors")
    time.sleep(0.5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    from gan_models.checkpoint import load_checkpoint
    saved = load_checkpoint(out).meta["step"]
    assert saved > 0
    r = subprocess.run([sys.executable, "-m", "train", "--resume", str(out), "--steps", str(saved + 20), "--quiet"],
                       cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stderr
    assert load_checkpoint(out).meta["step"] == saved + 20
    steps = [row["step"] for row in training_rows(read_jsonl(out / "metrics.jsonl"))]
    assert steps == sorted(set(steps)), "resumed metrics must not repeat steps"


def test_sigint_saves_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    p = _spawn(["--model", "gan", "--dataset", "ring8", "--steps", "1000000", "--out", str(out), "--quiet"])
    _wait_for(out / "metrics.jsonl")
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert f"--resume {out}" in err
    from gan_models.checkpoint import load_checkpoint
    assert load_checkpoint(out).meta["step"] > 0


@pytest.mark.parametrize("delay", [1.0, 2.0])
def test_a_stop_during_start_up_is_kept_not_lost(tmp_path, delay):
    """The app's Stop right after Start: SIGINT while Python is still importing numpy/torch is
    remembered and the run stops at its first step (exit 130, a checkpoint to resume), instead
    of a traceback or, worse, an interrupt lost in an import and a run that trains to the end."""
    import time
    out = tmp_path / "run"
    p = _spawn(["--model", "gan", "--dataset", "ring8", "--steps", "1000000", "--out", str(out), "--quiet"])
    time.sleep(delay)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "Traceback" not in err and f"--resume {out}" in err


def test_a_stop_file_made_before_the_trainer_is_ready_stops_it(tmp_path):
    """How the app stops a run: --stop-file. Made at once after the launch (while Python starts,
    when a SIGINT can be lost, or never seen if the child inherited it as ignored), it stops the
    run at its first step, saved and resumable."""
    out, stop = tmp_path / "run", tmp_path / "stop-now"
    p = _spawn(["--model", "gan", "--dataset", "ring8", "--steps", "1000000", "--out", str(out), "--quiet",
                "--stop-file", str(stop)])
    stop.touch()                                      # no signal at all: only the file can stop it
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert f"--resume {out}" in err


@pytest.mark.parametrize("kind", ["dcgan", "began"])
def test_torchrun_two_gloo_processes(tmp_path, kind):
    out = tmp_path / "run"
    torchrun = Path(sys.executable).with_name("torchrun")
    import socket
    with socket.socket() as s:                      # a free port (a fixed one can be taken)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = subprocess.run([str(torchrun), "--nproc_per_node", "2", "--master_port", str(port), "-m", "train",
                        "--model", kind, "--dataset", "digits", "--steps", "4", "--device", "cpu",
                        "--out", str(out), "--quiet", "--log-every", "2"] + FAST,
                       cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1"))
    # on failure show the workers' own messages (the start of stderr), not only torchrun's summary
    assert r.returncode == 0, r.stderr[:3000] + "\n...\n" + r.stderr[-1500:]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["world_size"] == 2
    rows = training_rows(read_jsonl(out / "metrics.jsonl"))
    assert [row["step"] for row in rows] == [2, 4]      # only rank 0 writes: no duplicate rows
    assert (out / "checkpoints" / "latest.safetensors").is_file()
    if kind == "began":                                 # k_t from the losses averaged over both ranks
        assert all(0 <= row["k_t"] <= 1 and "m_global" in row for row in rows)


def test_eval_prints_metrics_as_json(tmp_path, capsys):
    out = tmp_path / "run"
    assert entry(["train", "--model", "gan", "--dataset", "ring8", "--steps", "20", "--log-every", "5",
                  "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert entry(["eval", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["modes_total"] == 8 and 0 <= res["hq_fraction"] <= 1 and res["step"] == 20
    assert 0 <= res["eq_d_real"] <= 1 and res["eq_rows"] == 4


def test_recipe_by_bundled_name(tmp_path):
    out = tmp_path / "run"
    assert entry(["train", "--recipe", "gan-ring8", "--steps", "2", "--out", str(out), "--quiet"]) == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["train"]["dataset"] == "ring8" and cfg["train"]["lr_d"] == 2e-4   # from the recipe
