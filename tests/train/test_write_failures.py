"""Issue 29, item 3: writes that fail (a read-only folder, no permission, a full disk, a path that
is a file or under /proc or /sys) are one line naming the file and the reason, exit 2, and leave
nothing half-written: no temporary file, and any earlier file of that name unchanged.

These tests run as root here, and chmod does not make a folder read-only for root. So the failures
are made real where the system gives them to root too (/sys refuses new files with EACCES, a file
stands where a folder is expected), and otherwise injected where the OS reports them: creating the
temporary file (a read-only mount: EROFS; no permission: EACCES), syncing it (disk full: ENOSPC),
renaming it over the target (EACCES), appending to a log (ENOSPC)."""
import errno
import json
import os
import tempfile
from pathlib import Path

import pytest

from explorer.cli import main as gan_explorer
from gan_models.errors import OutputError
from train.cli import entry

from conftest import TOY_ARGS as TOY

ROOT = Path(__file__).resolve().parents[2]
DIGITS = str(ROOT / "resources" / "models" / "dcgan-digits.safetensors")

FAILURES = {   # name -> (what to patch, the error, words the message must hold)
    "read-only folder": ("tempfile.mkstemp", OSError(errno.EROFS, "Read-only file system"), "Read-only file system"),
    "no permission": ("tempfile.mkstemp", PermissionError(errno.EACCES, "Permission denied"), "Permission denied"),
    "disk full": ("os.fsync", OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
    "rename refused": ("os.replace", PermissionError(errno.EACCES, "Permission denied"), "Permission denied"),
}


def _inject(monkeypatch, name):
    target, exc, words = FAILURES[name]

    def fail(*a, **k):
        raise exc
    monkeypatch.setattr(target, fail)
    return words


def _one_line(capsys, code, *needles):
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "Error:" not in err, err
    for n in needles:
        assert n in err, (n, err)
    return err


def _no_temp_files(folder: Path):
    assert not [p for p in folder.rglob(".*.tmp")], list(folder.rglob("*"))


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("suffix", [".png", ".npy"])
def test_sample_output_that_cannot_be_written(tmp_path, capsys, monkeypatch, failure, suffix):
    out = tmp_path / f"grid{suffix}"
    out.write_bytes(b"the earlier file")
    words = _inject(monkeypatch, failure)
    code = gan_explorer(["sample", DIGITS, "--n", "4", "-o", str(out)])
    _one_line(capsys, code, str(out), words)
    assert out.read_bytes() == b"the earlier file"
    _no_temp_files(tmp_path)


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_project_writes_z_and_its_sidecar_as_a_pair(tmp_path, capsys, monkeypatch, failure):
    """A failure on either file leaves both as they were: an old sidecar never describes a new z."""
    out = tmp_path / "z.npy"
    out.write_bytes(b"old z")
    out.with_suffix(".json").write_text("old sidecar")
    real = {"tempfile.mkstemp": tempfile.mkstemp, "os.fsync": os.fsync, "os.replace": os.replace}
    target, exc, words = FAILURES[failure]
    calls = []

    def second_call_fails(*a, **k):          # the first file's succeeds, the second's fails
        calls.append(a)
        if len(calls) == 1 and target != "os.replace":
            return real[target](*a, **k)
        raise exc
    monkeypatch.setattr(target, second_call_fails)
    code = gan_explorer(["project", DIGITS, "digits:3", "--steps", "2", "--restarts", "1", "-o", str(out)])
    _one_line(capsys, code, words)
    assert out.read_bytes() == b"old z" and out.with_suffix(".json").read_text() == "old sidecar"
    _no_temp_files(tmp_path)


def test_real_refusals_that_root_gets_too(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out, needle in ((f"{afile}/grid.png", "is a file, not a folder"), ("/proc/grid.png", "/proc"),
                        ("/sys/grid.png", "/sys"), (str(tmp_path), "is a folder")):
        _one_line(capsys, gan_explorer(["sample", DIGITS, "-o", out]), needle)
    from gan_models.atomic import write_text_atomic
    if os.access("/sys", os.W_OK):                   # sysfs: even root may not create a file in it
        with pytest.raises(OutputError, match=r"^/sys/gan-explorer-test\.json: could not be written \(") as e:
            write_text_atomic("/sys/gan-explorer-test.json", "{}")
        assert "\n" not in str(e.value) and "Error" not in str(e.value)


@pytest.mark.parametrize("failure", ["read-only folder", "disk full"])
def test_a_new_run_whose_folder_cannot_be_written(tmp_path, capsys, monkeypatch, failure):
    words = _inject(monkeypatch, failure)
    out = tmp_path / "run"
    code = entry(["train"] + TOY + ["--steps", "2", "--out", str(out)])
    _one_line(capsys, code, "config.json", words)
    assert not (out / "config.json").exists()
    _no_temp_files(tmp_path)


def test_a_full_disk_while_logging_metrics_stops_the_run_in_one_line(tmp_path, capsys, monkeypatch):
    """The metrics log is appended to, not replaced: ENOSPC there was a raw OSError traceback."""
    import builtins
    out = tmp_path / "run"
    assert entry(["train"] + TOY + ["--steps", "4", "--out", str(out)]) == 0
    before = (out / "checkpoints" / "latest.safetensors").read_bytes()
    real_open = builtins.open

    def full(path, mode="r", *a, **k):
        if "a" in mode and str(path).endswith("metrics.jsonl"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *a, **k)
    monkeypatch.setattr(builtins, "open", full)
    capsys.readouterr()
    code = entry(["train", "--resume", str(out), "--steps", "8", "--quiet"])
    _one_line(capsys, code, "metrics.jsonl: could not be written (the disk is full)", "--resume")
    monkeypatch.undo()
    assert (out / "checkpoints" / "latest.safetensors").read_bytes() == before
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows and max(r["step"] for r in rows) <= 4
    _no_temp_files(out)


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_checkpoint_save_that_fails_keeps_the_last_one(tmp_path, capsys, monkeypatch, failure):
    out = tmp_path / "run"
    assert entry(["train"] + TOY + ["--steps", "4", "--out", str(out)]) == 0
    latest = out / "checkpoints" / "latest.safetensors"
    before = latest.read_bytes()
    words = _inject(monkeypatch, failure)
    capsys.readouterr()
    code = entry(["train", "--resume", str(out), "--steps", "8", "--quiet"])
    _one_line(capsys, code, words)
    monkeypatch.undo()
    assert latest.read_bytes() == before
    _no_temp_files(out)
