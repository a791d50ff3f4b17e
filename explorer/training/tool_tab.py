"""ToolTab: the base of the tabs that do not show a loaded model (Train, Monitor, Playground).

The main window treats every tab alike (`tab.available`, `tab.panel.export_image()`,
`tab.panel.new_seed()`); a ToolTab answers for itself, and is always available.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class ToolTab(QWidget):
    name = "tool"
    title = "Tool"
    status_message = Signal(str)

    available = True

    @property
    def panel(self) -> "ToolTab":
        return self

    def new_seed(self) -> None:
        """N / Ctrl+R: nothing to reseed here."""

    def export_image(self):
        return None

    def save_image_dialog(self, array, text: dict, name: str) -> None:
        from PySide6.QtWidgets import QFileDialog

        from gan_models.images import save_png
        path, _ = QFileDialog.getSaveFileName(self, "Save image", name, "PNG image (*.png)")
        if path:
            save_png(path if path.lower().endswith(".png") else path + ".png", array, text)
            self.status_message.emit(f"Saved {path}")
