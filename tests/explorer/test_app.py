"""Start-up: which model the app opens first."""
from __future__ import annotations

import shutil

import pytest

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


LDD_OUT = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f8f)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f8f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\n'


def test_ldd_output_names_the_libraries_really_missing():
    from explorer.system_libs import parse_ldd
    assert parse_ldd(LDD_OUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_missing_xcb_libraries_stop_the_app_before_qt_with_the_install_command(monkeypatch, capsys):
    """The window path checks the xcb plugin's libraries first and says, in one line, which
    are missing and the one command that installs them (exit 2), instead of Qt's abort."""
    from explorer import app, system_libs
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(app.sys, "platform", "linux")
    monkeypatch.setattr(system_libs, "missing_xcb_libraries", lambda: ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    monkeypatch.setattr(system_libs, "distro_family", lambda *_: "debian")
    monkeypatch.setattr(app, "make_application", lambda *a: pytest.fail("Qt was started"))
    assert app.run_app(None) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in err
    assert err.endswith("sudo apt-get install libxcb-icccm4 libxcb-keysyms1")


def test_install_command_per_distribution():
    from explorer.system_libs import distro_family, install_command, xcb_problem
    missing = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-shape.so.0"]
    assert distro_family(DEBIAN) == "debian" and distro_family('ID=ubuntu\nID_LIKE=debian\n') == "debian"
    assert distro_family(FEDORA) == "fedora" and distro_family('ID="rocky"\nID_LIKE="rhel centos fedora"') == "fedora"
    assert install_command(missing, "fedora") == "sudo dnf install xcb-util-wm xcb-util-keysyms libxcb"
    both = install_command(missing, "")
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-shape0" in both and "dnf install" in both
    env = {"DISPLAY": ":0"}
    found = lambda: missing[:1]       # noqa: E731  (a faked resolver result)
    assert "sudo dnf install xcb-util-wm" in xcb_problem(env, "linux", found, FEDORA)
    assert xcb_problem(dict(env, QT_QPA_PLATFORM="xcb"), "linux", found, DEBIAN).endswith("libxcb-icccm4")
    # Qt will not use xcb: nothing to check
    assert xcb_problem(dict(env, QT_QPA_PLATFORM="offscreen"), "linux", found, DEBIAN) is None
    assert xcb_problem(env, "darwin", found, DEBIAN) is None
    assert xcb_problem(dict(env, WAYLAND_DISPLAY="wayland-0"), "linux", found, DEBIAN) is None
    assert xcb_problem(env, "linux", lambda: [], DEBIAN) is None


def test_the_real_resolver_runs_on_this_machine():
    """ldd on PySide6's own plugin: a list of sonames (maybe empty), never an exception."""
    from explorer.system_libs import PACKAGES, missing_xcb_libraries, xcb_plugin
    assert xcb_plugin() is None or xcb_plugin().name == "libqxcb.so"
    missing = missing_xcb_libraries()
    assert all(s.startswith("lib") for s in missing)
    assert all(s in PACKAGES for s in missing)        # every library it can miss has a package
