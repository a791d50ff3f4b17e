"""Help -> About names the app version, the torch build and the device, and the licences."""
from __future__ import annotations

import torch
from PySide6.QtCore import QTimer

from explorer.about import AboutDialog
from explorer.version import version


def test_about_dialog_shows_versions_and_licences(qtbot):
    dlg = AboutDialog("CPU")
    qtbot.addWidget(dlg)
    text = dlg.label.text()
    assert f"GAN Explorer {version()}" in text
    assert torch.__version__ in text
    assert "device: CPU" in text
    for name in ("PySide6-Essentials", "LGPL", "pyqtgraph", "MIT", "safetensors"):
        assert name in text


def test_help_menu_opens_about_and_title_has_version(window, qtbot):
    assert version() in window.windowTitle()
    window.about_action.trigger()
    dlg = window.about_dialog
    qtbot.waitUntil(dlg.isVisible)
    assert torch.__version__ in dlg.label.text()
    assert window.renderer.engine.device_name in dlg.label.text()
    QTimer.singleShot(0, dlg.accept)
    qtbot.waitUntil(lambda: not dlg.isVisible())


def test_train_command_from_source_runs_the_module():
    import sys

    from explorer.frozen import train_command
    assert train_command("--steps", "1") == [sys.executable, "-m", "train", "--steps", "1"]


def _as_qt_shows_it(title: str, display_name: str) -> str:
    """The title a window manager gets: Qt appends " — display name" unless the title ends with it
    (QPlatformWindow::formatWindowTitle, used by the xcb and Windows platforms)."""
    return title if not display_name or title.endswith(display_name) else f"{title} — {display_name}"


def test_the_window_title_names_the_app_once(window, qtbot, checkpoints):
    """Issue 28 item 8: the title read "GAN Explorer 0.1.0 -- GAN Explorer"."""
    from explorer.app import display_name          # what make_application gives Qt
    shown = _as_qt_shows_it(window.windowTitle(), display_name())
    assert shown.count("GAN Explorer") == 1 and version() in shown
    window.open_model(str(checkpoints["dcgan"]))
    qtbot.waitUntil(lambda: window.info is not None, timeout=30000)
    shown = _as_qt_shows_it(window.windowTitle(), display_name())
    assert shown.count("GAN Explorer") == 1 and shown.startswith(window.info.title)
