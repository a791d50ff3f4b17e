"""The window: loading models enables the right panels, bad files keep the previous model,
settings persist, the model list finds runs."""
from __future__ import annotations

import shutil

import numpy as np

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


EXPECTED = {   # kind -> panels that apply
    "dcgan": {"sampling", "arithmetic", "interpolation", "directions", "probe", "projector"},
    "cgan": {"sampling", "arithmetic", "interpolation", "conditional", "directions", "probe", "projector"},
    "infogan": {"sampling", "arithmetic", "interpolation", "codes", "directions", "probe", "projector"},
    "points2d": {"sampling"},
    "points1d": {"sampling"},
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_loading_a_model_enables_the_panels_it_supports(window, checkpoints, kind):
    window.open_model(checkpoints[kind])
    available = {name for name, host in window.hosts.items() if host.available}
    assert available == EXPECTED[kind]
    assert kind.startswith(window.info.kind) or window.info.kind == "gan"
    assert "params" in window.model_label.text()
    assert window.device_label.text() == "Device: CPU"


def test_a_panel_that_does_not_apply_says_why(window, checkpoints):
    window.open_model(checkpoints["dcgan"])
    cond = window.hosts["conditional"]
    assert not cond.available
    assert "no class labels" in cond.message.text() and "CGAN" in cond.message.text()
    assert "InfoGAN" in window.hosts["codes"].message.text()
    window.open_model(checkpoints["points2d"])
    assert "points, not images" in window.hosts["arithmetic"].message.text()


def test_points_model_shows_a_scatter_and_1d_a_histogram(window, checkpoints):
    window.open_model(checkpoints["points2d"])
    sampling = window.panels["sampling"]
    assert sampling.views.currentWidget() is sampling.points
    assert sampling.points.points.shape == (2000, 2)
    window.open_model(checkpoints["points1d"])
    assert sampling.points.points.shape == (2000, 1)
    assert sampling.points._dims == 1


def test_no_model_shows_a_hint_in_every_tab(window):
    for host in window.hosts.values():
        assert not host.available
        assert "Open a checkpoint" in host.message.text()


def test_a_bad_file_shows_an_error_and_keeps_the_previous_model(window, checkpoints, tmp_path):
    window.open_model(checkpoints["dcgan"])
    before = window.panels["sampling"].grid.array().copy()
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    window.open_model(bad)
    assert "broken.safetensors" in window.last_error
    assert window.error_box.isVisible()
    assert window.info.path == checkpoints["dcgan"]
    assert (window.panels["sampling"].grid.array() == before).all()
    window.panels["sampling"].seed.setValue(5)           # the old model still renders
    assert not (window.panels["sampling"].grid.array() == before).all()
    window.open_model(tmp_path / "missing-folder")
    assert "no such file" in window.last_error


def test_recent_files_and_last_model_persist(qtbot, settings, renderer, checkpoints, tmp_path):
    from explorer.main_window import MainWindow
    from explorer.settings import AppSettings
    w = MainWindow(settings=settings, renderer=renderer, runs_dir=tmp_path, bundled_dir=tmp_path)
    qtbot.addWidget(w)
    w.open_model(checkpoints["cgan"])
    w.open_model(checkpoints["dcgan"])
    w.close()
    s = AppSettings(settings)
    assert s.recent_files()[:2] == [str(checkpoints["dcgan"]), str(checkpoints["cgan"])]
    assert s.last_model == str(checkpoints["dcgan"])
    assert s.geometry() is not None
    assert [a.text() for a in w.recent_menu.actions()][:2] == s.recent_files()[:2]


def test_model_list_finds_runs_and_hints_when_nothing_is_bundled(window, checkpoints, tmp_path):
    run = tmp_path / "runs" / "0001-dcgan-digits" / "checkpoints"
    run.mkdir(parents=True)
    shutil.copy(checkpoints["dcgan"], run / "latest.safetensors")
    window.model_list.refresh()
    assert "No bundled models" in window.model_list.entry_text(0, 0)
    runs = window.model_list.entries(2)
    assert runs == [str(run.parent)]
    assert window.model_list.entry_text(2, 0) == "0001-dcgan-digits\ndcgan · digits · step 100"
    window.model_list.model_activated.emit(runs[0])          # clicking a run opens its latest checkpoint
    assert window.info.path == run / "latest.safetensors"
    assert window.windowTitle().startswith("0001-dcgan-digits")


def test_dropping_a_checkpoint_on_the_window_opens_it(window, checkpoints):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(checkpoints["infogan"]))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.info.kind == "infogan"
    assert window.hosts["codes"].available


def test_new_seed_shortcut_changes_the_samples(window, checkpoints, qtbot):
    window.open_model(checkpoints["dcgan"])
    panel = window.panels["sampling"]
    before = panel.grid.array().copy()
    seed = panel.seed.value()
    window.new_seed_action.trigger()
    assert panel.seed.value() != seed
    assert not (panel.grid.array() == before).all()


def test_dragging_a_slider_shows_the_final_value_and_skips_stale_work(qtbot, settings, checkpoints, tmp_path):
    """With the real render thread: many quick changes, one image at the end, for the last value."""
    from explorer.latents import sample_batch
    from explorer.main_window import MainWindow
    from explorer.render import Renderer
    w = MainWindow(settings=settings, renderer=Renderer(threads=1), runs_dir=tmp_path, bundled_dir=tmp_path)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.renderer.model_loaded, timeout=10000):
        w.open_model(checkpoints["dcgan"])
    qtbot.waitUntil(w.renderer.is_idle, timeout=10000)
    p = w.panels["sampling"]
    for i in range(30):
        p.truncation.setValue(1.0 - i * 0.02)
    qtbot.waitUntil(w.renderer.is_idle, timeout=10000)
    expected = sample_batch(w.info, 64, 0, p.truncation.value()).z
    assert p.truncation.value() == pytest.approx(0.42)
    assert np.allclose(p.result.batch.z, expected)
    assert p.grid.array() is p.result.grids[0]
    assert w.renderer.stats["dropped_before_run"] + w.renderer.stats["dropped_on_arrival"] > 0
    w.close()


def test_keyboard_n_draws_a_new_seed(window, checkpoints, qtbot):
    window.open_model(checkpoints["dcgan"])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    panel = window.panels["sampling"]
    panel.grid.setFocus()
    seed = panel.seed.value()
    qtbot.keyClick(panel.grid, Qt.Key.Key_N)
    assert panel.seed.value() != seed
    seed = panel.seed.value()
    qtbot.keyClick(panel.grid, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert panel.seed.value() != seed


def test_the_window_frame_imports_no_torch():
    """What the app builds before showing its window (the frame, the renderer) must not wait
    for `import torch` (2-7 s on a 2-core machine): torch loads on helper threads."""
    import subprocess
    import sys
    code = ("import sys\n"
            "from explorer.app import make_application\n"
            "app = make_application(plots=False)\n"
            "from explorer.main_window import MainWindow\n"
            "import explorer.main_window as mw\n"
            "mw.threading.Thread = lambda *a, **k: type('T', (), {'start': lambda self: None})()\n"
            "w = MainWindow(deferred=True)\n"
            "w.show(); app.processEvents()\n"
            "print(w.centralWidget().text(), w.model_list.tree.topLevelItem(0).text(0), sorted(m for m in sys.modules if m == 'torch' or m == 'pyqtgraph'))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(__import__("os").environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Loading models… Loading models… []", r.stdout + r.stderr


def test_a_deferred_window_builds_its_panels_and_shows_a_model_opened_while_loading(qtbot, settings, checkpoints,
                                                                                   tmp_path):
    from explorer.main_window import LOADING_TEXT, MainWindow
    from explorer.render import Renderer
    w = MainWindow(settings=settings, renderer=Renderer(threads=1), runs_dir=tmp_path, bundled_dir=tmp_path,
                   deferred=True)
    qtbot.addWidget(w)
    w.show()
    assert not w.export_action.isEnabled()
    with qtbot.waitSignal(w.contents_ready, timeout=60_000):
        w.open_model(checkpoints["cgan"])                    # before the panels exist
        if w.tabs is None:
            assert w.centralWidget().text() == LOADING_TEXT
    qtbot.waitUntil(lambda: w.info is not None, timeout=30_000)
    assert w.info.kind == "cgan" and w.hosts["conditional"].available
    assert w.export_action.isEnabled() and w.model_list.refresh_button.isEnabled()
    qtbot.waitUntil(lambda: w.panels["sampling"].result is not None, timeout=30_000)   # the first image follows
    w.close()


def test_the_device_label_says_when_the_device_is_chosen_before_any_model(window):
    """Before the first model loads the device is not picked yet: the status bar says when it
    will be, not an ellipsis that looks like a hang."""
    assert window.info is None                      # a fresh renderer: no engine, no device yet
    assert window.device_label.text() == "Device: when a model loads"
    assert "first model" in window.device_label.toolTip()
