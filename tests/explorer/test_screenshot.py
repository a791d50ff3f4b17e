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
