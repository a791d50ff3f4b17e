"""Static checks of the PyInstaller spec (no build): it ships the resources the app reads at
run time and keeps out what the app never loads. `make package` + packaging/smoke.sh test the
real bundle (minutes; not part of `make test`)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "gan-explorer.spec"


def _spec_text() -> str:
    return SPEC.read_text()


def _constant(name: str):
    """A module-level literal assigned in the spec (a list or tuple of strings)."""
    for node in ast.parse(_spec_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {SPEC}")


def test_spec_ships_models_recipes_and_icons():
    resources = _constant("RESOURCES")
    for folder in ("resources/models", "resources/recipes", "resources/icons"):
        assert folder in resources
        assert (ROOT / folder).is_dir()
    assert (ROOT / "resources" / "icons" / "gan-explorer.png").is_file()
    assert (ROOT / "resources" / "icons" / "gan-explorer.ico").is_file()
    assert 'copy_metadata' in _spec_text()       # the version shown in the title bar


def test_spec_excludes_what_the_app_does_not_use():
    excludes = set(_constant("EXCLUDES"))
    for mod in ("tkinter", "torch.utils.tensorboard", "pyqtgraph.opengl", "pyqtgraph.examples",
                "pyqtgraph.jupyter", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtPdf", "PySide6.QtNetwork"):
        assert mod in excludes, mod
    prefixes = _constant("_UNUSED_PREFIXES")
    for p in ("torch/include/", "torch/test/", "PySide6/Qt/translations/"):
        assert p in prefixes, p
    assert "torch_shm_manager" in _spec_text()     # kept: `import torch` needs it


def test_spec_never_excludes_what_the_app_imports():
    excludes = set(_constant("EXCLUDES"))
    used = {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "torch", "numpy", "pyqtgraph",
            "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets",      # pyqtgraph imports both at import time
            "safetensors", "PIL", "explorer", "train", "gan_models"}
    assert not used & excludes


def test_entry_script_maps_python_dash_m_train():
    import importlib.util
    spec = importlib.util.spec_from_file_location("entry", ROOT / "packaging" / "gan_explorer_main.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    import sys
    saved = sys.argv
    try:
        sys.argv = ["GANExplorer", "-m", "train", "--steps", "3"]
        assert entry._argv() == ["train", "--steps", "3"]
        sys.argv = ["GANExplorer", "train", "--steps", "3"]
        assert entry._argv() == ["train", "--steps", "3"]
    finally:
        sys.argv = saved
