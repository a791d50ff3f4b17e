"""Issue 29, the trainer's side: bad numbers, paths and recipes are one line and exit 2."""
import pytest


from conftest import TOY_ARGS as TOY
from conftest import one_line_exit_2 as _one_line_exit_2


@pytest.mark.parametrize("args,needle", [
    (["--steps", "1", "--seed", str(2**64)], "--seed"),
    (["--steps", "1", "--seed", str(10**13)], "--seed"),
    (["--epochs", "inf"], "--epochs"), (["--epochs", "nan"], "--epochs"), (["--epochs", "1e30"], "--epochs"),
    (["--steps", "1", "--autosave-seconds", "nan"], "--autosave-seconds"),
    (["--steps", "1", "--autosave-seconds", "inf"], "--autosave-seconds"),
    (["--steps", "1", "--lr-d", "nan"], "--lr-d"),
    (["--steps", "1", "--device", "foo"], "--device"),
    (["--steps", "1", "--device", "cudafoo"], "--device"),
])
def test_bad_numbers(args, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_line_exit_2(TOY + args, capsys, needle)
    assert not (tmp_path / "runs").exists()


def test_recipe_values_get_the_same_checks(tmp_path, capsys):
    r = tmp_path / "r.toml"
    r.write_text('[train]\nmodel = "gan"\ndataset = "ring8"\nsteps = 5\nautosave_seconds = inf\n')
    _one_line_exit_2(["--recipe", str(r)], capsys, "--autosave-seconds")
    r.write_bytes(b'[train]\nmodel = "\xff\xfe"\n')
    _one_line_exit_2(["--recipe", str(r)], capsys, str(r))


def test_bad_output_folders(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    _one_line_exit_2(TOY + ["--steps", "1", "--out", str(f)], capsys, "is a file")
    _one_line_exit_2(TOY + ["--steps", "1", "--runs", str(f)], capsys, "is a file")
    _one_line_exit_2(TOY + ["--steps", "1", "--out", "/proc/run"], capsys, "/proc")


def test_widths_in_range_but_too_big_together_are_refused_before_training(tmp_path, capsys):
    """Each width is within 1..4096, but together a 64x64 DCGAN with both at 4096 would need
    tens of GiB: one line before anything is allocated, and no run folder is left behind."""
    out = tmp_path / "huge"
    _one_line_exit_2(["--model", "dcgan", "--dataset", "shapes", "--g-width", "4096", "--d-width", "4096",
                      "--steps", "1", "--out", str(out)], capsys, "choose smaller widths")
    assert not out.exists()
