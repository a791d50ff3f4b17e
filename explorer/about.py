"""Help -> About: the version, the torch build and device, and the licences of what we ship.

Versions come from package metadata (the bundle carries it, see packaging/gan-explorer.spec);
licences are listed here because not every wheel states its licence in its metadata.
"""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from .frozen import icon_path, is_frozen
from .version import version

# (distribution, licence, why we use it)
COMPONENTS = (
    ("torch", "BSD-3-Clause (PyTorch); bundled parts under Apache-2.0, MIT, BSL-1.0", "models and training"),
    ("numpy", "BSD-3-Clause", "arrays"),
    ("PySide6-Essentials", "LGPL-3.0 (Qt for Python and Qt; shipped as unmodified shared libraries)", "the window"),
    ("pyqtgraph", "MIT", "plots"),
    ("safetensors", "Apache-2.0", "checkpoints"),
    ("pillow", "MIT-CMU (HPND)", "PNG/JPEG/GIF"),
)


def package_version(dist: str) -> str:
    """The installed version of a distribution, or "?" when its metadata is missing."""
    try:
        from importlib.metadata import version as _v
        return _v(dist)
    except Exception:
        if dist == "torch" and "torch" in sys.modules:
            return sys.modules["torch"].__version__
        return "?"


def about_text(device: str | None = None) -> str:
    """The dialog's rich text (also what a test reads)."""
    rows = "".join(f"<tr><td>{d}&nbsp;{package_version(d)}</td><td>&nbsp;{lic}</td><td>&nbsp;{why}</td></tr>"
                   for d, lic, why in COMPONENTS)
    build = "standalone bundle" if is_frozen() else "from source"
    py = ".".join(map(str, sys.version_info[:3]))
    return (f"<h2>GAN Explorer {version()}</h2>"
            "<p>Train and explore GAN, DCGAN, CGAN, InfoGAN and BEGAN on your own machine, offline.</p>"
            f"<p>PyTorch {package_version('torch')} · device: {device or 'not started yet'}<br>"
            f"Python {py} · {build}</p>"
            "<p>GAN Explorer is MIT-licensed. It uses:</p>"
            f"<table>{rows}</table>")


class AboutDialog(QDialog):
    def __init__(self, device: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("About GAN Explorer")
        if icon_path().is_file():
            self.setWindowIcon(QIcon(str(icon_path())))
        self.label = QLabel(about_text(device))
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        lay.addWidget(buttons)
