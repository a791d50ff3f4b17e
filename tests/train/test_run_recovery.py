"""Issue 29: damaged runs are one line and exit 2; a run with no checkpoint resumes from step 0;
stale temporary files of killed saves are removed; a full disk ends training with one line and
keeps the last checkpoint."""
import json

import pytest

from train.cli import entry

from conftest import TOY_ARGS as TOY
from conftest import one_line_exit_2 as _one_line_exit_2


@pytest.mark.parametrize("config", ["[]", '{"train": 3, "model": {}}', '{"model": {}}', "\xff"])
def test_resume_a_damaged_config(tmp_path, capsys, config):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_bytes(config.encode("latin-1"))
    _one_line_exit_2(["--resume", str(run)], capsys, "config.json")


def _toy_run(tmp_path, steps="4"):
    out = tmp_path / "run"
    assert entry(["train"] + TOY + ["--steps", steps, "--out", str(out)]) == 0
    return out


def test_resume_a_damaged_training_state(tmp_path, capsys):
    import torch

    from gan_models.checkpoint import load_checkpoint, save_checkpoint
    out = _toy_run(tmp_path)
    ck = load_checkpoint(out / "checkpoints" / "latest.safetensors", training_state=True)
    st = dict(ck.training_state)
    del st["opt_g"]
    st["torch_rng"] = torch.zeros(3, dtype=torch.uint8)
    save_checkpoint(out / "checkpoints" / "latest.safetensors", ck.config, ck.generator, ck.discriminator,
                    meta=ck.meta, training_state=st)
    capsys.readouterr()
    _one_line_exit_2(["--resume", str(out), "--steps", "8"], capsys, "training state is damaged")


def test_a_run_without_checkpoint_resumes_from_step_0_and_stale_temp_files_go(tmp_path):
    from train.cli import config_from_args, train_parser
    from train.setup import create_trainer
    out = tmp_path / "run"
    create_trainer(config_from_args(train_parser().parse_args(TOY + ["--steps", "3"])), out=out)
    assert not (out / "checkpoints" / "latest.safetensors").exists()     # killed before its first save
    stale = out / "checkpoints" / ".latest.safetensors.k1ll3d.tmp"
    stale.write_bytes(b"half a checkpoint")
    assert entry(["train", "--resume", str(out), "--quiet"]) == 0
    assert (out / "checkpoints" / "latest.safetensors").exists() and not stale.exists()


def test_a_full_disk_ends_training_with_one_line_and_keeps_the_last_checkpoint(tmp_path, capsys, monkeypatch):
    import safetensors.torch
    from safetensors import SafetensorError
    out = _toy_run(tmp_path)
    latest = out / "checkpoints" / "latest.safetensors"
    before = latest.read_bytes()

    def full(*a, **k):
        raise SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, '
                              'message: "No space left on device" })')
    monkeypatch.setattr(safetensors.torch, "save_file", full)
    capsys.readouterr()
    _one_line_exit_2(["--resume", str(out), "--steps", "8", "--quiet"], capsys, "disk is full")
    assert latest.read_bytes() == before
    assert not list((out / "checkpoints").glob(".*.tmp"))


def test_an_oserror_while_writing_is_one_line(tmp_path, monkeypatch):
    import errno

    from gan_models.atomic import write_text_atomic
    from gan_models.errors import OutputError
    target = tmp_path / "f.json"
    target.write_text("old")

    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OutputError, match="disk is full"):
        write_text_atomic(target, json.dumps({"a": 1}))
    assert target.read_text() == "old" and not list(tmp_path.glob(".*.tmp"))


def test_an_existing_run_is_refused_with_the_way_out_and_overwrite_keeps_it_aside(tmp_path, capsys):
    out = tmp_path / "run"
    assert entry(["train"] + TOY + ["--steps", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    _one_line_exit_2(TOY + ["--steps", "2", "--out", str(out)], capsys, "--overwrite")
    assert entry(["train"] + TOY + ["--steps", "4", "--out", str(out), "--overwrite"]) == 0
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("run.replaced-")]
    assert len(aside) == 1 and (aside[0] / "checkpoints" / "latest.safetensors").exists()   # nothing lost
    assert json.loads((out / "config.json").read_text())["train"]["steps"] == 4


def test_the_tail_of_a_long_metrics_file_is_read_in_bounded_memory(tmp_path):
    """eval's equilibrium figures come from the last rows only: read_jsonl_tail reads at most
    max_bytes of a file of any length, drops the line the cut lands in, and gives the same
    equilibrium as reading everything."""
    import json

    from train.metrics import equilibrium
    from train.run_folder import read_jsonl, read_jsonl_tail
    p = tmp_path / "metrics.jsonl"
    with open(p, "w") as f:
        f.write("x" * 3_000_000 + "\n")                     # a huge damaged line no reader should load
        for i in range(5000):
            f.write(json.dumps({"step": i, "d_real": 0.5 + i / 1e5, "d_fake": 0.4}) + "\n")
    tail = read_jsonl_tail(p, max_bytes=64 * 1024)
    assert 0 < len(tail) < 5000 and tail[-1]["step"] == 4999
    assert [r["step"] for r in tail] == list(range(tail[0]["step"], 5000))       # whole rows, in order
    assert equilibrium(tail) == equilibrium(read_jsonl(p))
    assert read_jsonl_tail(tmp_path / "none.jsonl") == []
