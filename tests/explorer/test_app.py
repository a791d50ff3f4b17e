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


def test_garbage_is_collected_on_the_ui_thread_only(qapp):
    """Automatic collection is off, so a worker thread's allocations never run it (it could
    finalise Qt objects there); the UI thread's timer tick collects the cyclic garbage."""
    import gc
    import threading
    import weakref

    from explorer.gui_gc import GuiGarbageCollector
    collector = GuiGarbageCollector(qapp, interval_ms=60_000)     # ticks driven by hand below
    try:
        assert not gc.isenabled()

        class Node:
            pass
        a, b = Node(), Node()
        a.other, b.other = b, a                            # a cycle: only the collector frees it
        alive = weakref.ref(a)
        del a, b
        held = []
        worker = threading.Thread(target=lambda: held.extend([] for _ in range(20000)))
        worker.start()
        worker.join()                                      # far past gen 0's threshold of 700
        assert alive() is not None                         # no collection ran on the worker
        collector.check()                                  # what the UI thread's timer does
        assert alive() is None
    finally:
        collector.close()
    assert gc.isenabled()
