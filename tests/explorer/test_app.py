"""Start-up: which model the app opens first."""
from __future__ import annotations

import shutil

from explorer.app import initial_model
from explorer.settings import AppSettings


def test_start_opens_the_given_path_else_the_last_model_else_the_first_bundled(settings, checkpoints, tmp_path):
    s = AppSettings(settings)
    bundled = tmp_path / "bundled"
    assert initial_model(None, s, bundled) is None                   # nothing at all: empty window with hints
    bundled.mkdir()
    shutil.copy(checkpoints["cgan"], bundled / "b-cgan.safetensors")
    shutil.copy(checkpoints["dcgan"], bundled / "a-dcgan.safetensors")
    assert initial_model(None, s, bundled) == str(bundled / "a-dcgan.safetensors")
    s.last_model = str(checkpoints["infogan"])
    assert initial_model(None, s, bundled) == str(checkpoints["infogan"])
    s.last_model = str(tmp_path / "deleted.safetensors")             # gone since: fall back
    assert initial_model(None, s, bundled) == str(bundled / "a-dcgan.safetensors")
    assert initial_model("given.safetensors", s, bundled) == "given.safetensors"


def test_no_display_is_a_clear_error_not_an_invisible_window(monkeypatch, capsys):
    from explorer import app
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(app.sys, "platform", "linux")
    assert app.run_app(None) == 2
    assert "no display found" in capsys.readouterr().err
