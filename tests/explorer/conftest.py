"""Fixtures for the explorer tests: tiny random-weight checkpoints, an isolated settings
file, a synchronous renderer, and a window built from them."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from model_factory import CONFIGS, make_checkpoint


@pytest.fixture(autouse=True)
def gui_thread_gc(qapp):
    """As in the app: cyclic garbage is collected on the UI thread only (explorer/gui_gc.py)."""
    import gc

    from explorer.gui_gc import GuiGarbageCollector
    collector = GuiGarbageCollector(qapp)
    yield collector
    collector.close()
    gc.collect()


@pytest.fixture(autouse=True)
def probe_cache_dir(tmp_path, monkeypatch):
    """Saved D-probe results go to the test's own folder, never the user's cache."""
    from explorer.probe_cache import ProbeCache
    monkeypatch.setenv("GAN_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(ProbeCache, "_memory", {})
    return tmp_path / "cache"


@pytest.fixture(autouse=True)
def no_recipe_timing(monkeypatch):
    """The Train tab times every recipe in a child process on its first visit; tests that want
    it call measure_recipes() themselves."""
    from explorer.training.panel import TrainPanel
    monkeypatch.setattr(TrainPanel, "auto_measure", False)


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    """kind -> path of a tiny checkpoint, made once per test session."""
    folder = tmp_path_factory.mktemp("ckpts")
    return {kind: make_checkpoint(folder, kind) for kind in CONFIGS}


@pytest.fixture
def settings(tmp_path):
    s = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield s
    s.sync()


@pytest.fixture
def renderer(qtbot):
    from explorer.render import Renderer
    r = Renderer(sync=True)
    yield r
    r.close()


@pytest.fixture
def window(qtbot, settings, renderer, tmp_path):
    from explorer.main_window import MainWindow
    w = MainWindow(settings=settings, renderer=renderer, runs_dir=tmp_path / "runs",
                   bundled_dir=tmp_path / "bundled")
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    return w
