"""`gan-explorer screenshot`: writes the panel's PNG, and explains when a model does not fit."""
from __future__ import annotations

from PIL import Image

from explorer.screenshot import main


def test_screenshot_writes_the_window_as_png(qtbot, checkpoints, tmp_path):
    out = tmp_path / "codes.png"
    assert main(["--panel", "codes", "--model", str(checkpoints["infogan"]), "-o", str(out), "--size", "900x600"]) == 0
    with Image.open(out) as im:
        assert im.size[0] >= 900 and im.size[1] == 600


def test_screenshot_of_a_panel_the_model_lacks_says_why(qtbot, checkpoints, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["--panel", "conditional", "--model", str(checkpoints["dcgan"]), "-o", str(out)]) == 2
    assert "no class labels" in capsys.readouterr().err
    assert not out.exists()


def test_screenshot_of_a_bad_file_fails_with_its_message(qtbot, tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"junk")
    assert main(["--panel", "sampling", "--model", str(bad), "-o", str(tmp_path / "x.png")]) == 2
    assert "bad.safetensors" in capsys.readouterr().err


def test_screenshot_of_a_job_that_outlasts_the_timeout_says_so(qtbot, checkpoints, tmp_path, capsys):
    """A long panel job (the projector here) cut by --timeout: exit 2 and a line naming the flag,
    never a silent PNG of an unfinished panel passed off as done."""
    out = tmp_path / "projector.png"
    assert main(["--panel", "projector", "--model", str(checkpoints["dcgan"]), "-o", str(out),
                 "--size", "900x600", "--timeout", "0"]) == 2
    assert "did not finish within 0 s (--timeout)" in capsys.readouterr().err


def test_a_screenshot_on_a_full_disk_is_one_line_and_leaves_no_half_png(qtbot, checkpoints, tmp_path, capsys,
                                                                         monkeypatch):
    """Issue 29 item 3: the grab was saved straight to its name; now through a synced temp file."""
    import errno
    out = tmp_path / "s.png"
    out.write_bytes(b"the earlier screenshot")

    def full(*a):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("os.fsync", full)
    assert main(["--panel", "sampling", "--model", str(checkpoints["dcgan"]), "-o", str(out), "--size", "640x480"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"gan-explorer screenshot: {out}: could not be written (the disk is full); any earlier file " \
                      "of that name is unchanged"
    assert out.read_bytes() == b"the earlier screenshot" and not list(tmp_path.glob(".*.tmp"))
