"""File > Export generator as ONNX…: enabled with a model, exports off the UI thread, and says
in the status bar what was written (or why not), never with a traceback dialog."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QFileDialog

pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")


def _save_dialog_returns(monkeypatch, path):
    calls = []

    def fake(*args, **kwargs):
        calls.append(args)
        return (str(path) if path else "", "ONNX models (*.onnx)")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return calls


@pytest.fixture
def export_threads(monkeypatch):
    """The names of the threads that ran gan_models.onnx_export.export_onnx."""
    import gan_models.onnx_export as core
    names, real = [], core.export_onnx

    def recording(*args, **kwargs):
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)
    monkeypatch.setattr(core, "export_onnx", recording)
    return names


def test_the_menu_item_needs_a_model(window, checkpoints):
    action = window.export_onnx_action
    assert action in window.menuBar().actions()[0].menu().actions()
    assert action.text().replace("&", "") == "Export generator as ONNX…"
    assert not action.isEnabled()
    window.open_model(checkpoints["cgan"])
    assert action.isEnabled()


def test_export_runs_off_the_ui_thread_and_reports_in_the_status_bar(window, checkpoints, qtbot, tmp_path,
                                                                     monkeypatch, export_threads):
    window.open_model(checkpoints["infogan"])
    calls = _save_dialog_returns(monkeypatch, tmp_path / "infogan-g")     # no suffix typed
    with qtbot.waitSignal(window.onnx_exporter.exported, timeout=120_000) as blocker:
        window.export_onnx_action.trigger()
    out = tmp_path / "infogan-g.onnx"
    assert calls and calls[0][2] == "infogan.onnx"                # suggested name: the model's
    assert export_threads and export_threads[0] != threading.main_thread().name
    assert blocker.args[0].path == out and out.is_file()
    message = window.statusBar().currentMessage()
    assert message.startswith(f"Wrote {out}") and "z (N, 62), codes (N, 12)" in message
    assert "image (N, 1, 28, 28) in [-1, 1]" in message
    sess = ort.InferenceSession(str(out))
    assert [i.name for i in sess.get_inputs()] == ["z", "codes"]
    assert window.error_box is None


def test_a_failed_export_is_a_status_bar_message(window, checkpoints, qtbot, tmp_path, monkeypatch):
    import shutil
    ckpt = tmp_path / "soon-gone.safetensors"
    shutil.copy(checkpoints["dcgan"], ckpt)
    window.open_model(ckpt)
    ckpt.unlink()                                    # the file went away after it was opened
    _save_dialog_returns(monkeypatch, tmp_path / "g.onnx")
    with qtbot.waitSignal(window.onnx_exporter.export_failed, timeout=120_000) as blocker:
        window.export_onnx_action.trigger()
    assert "soon-gone.safetensors" in blocker.args[0]
    assert window.statusBar().currentMessage().startswith("ONNX export failed: ")
    assert "\n" not in blocker.args[0] and "Traceback" not in blocker.args[0]
    assert window.error_box is None and not (tmp_path / "g.onnx").exists()


def test_cancelling_the_dialog_exports_nothing(window, checkpoints, monkeypatch, export_threads):
    window.open_model(checkpoints["points2d"])
    _save_dialog_returns(monkeypatch, None)
    window.export_onnx_action.trigger()
    assert not window.onnx_exporter.busy and export_threads == []
