"""Imports flow one way: explorer -> train -> gan_models, and only explorer touches Qt."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(pkg: str) -> set[str]:
    names = set()
    for f in (ROOT / pkg).rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_no_upward_or_qt_imports_in_the_core():
    qt = {"PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6"}
    assert not _imports("gan_models") & (qt | {"train", "explorer"})
    assert not _imports("train") & (qt | {"explorer"})


def test_headless_paths_load_no_qt():
    code = ("import sys, importlib, pkgutil, gan_models, train\n"
            "for pkg in (gan_models, train):\n"
            "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
            "        if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "import explorer.cli\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
