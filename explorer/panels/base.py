"""What every panel shares: the renderer hookup, capability gating and export.

A panel writes its part of a render request (`self.render(...)`) and receives only results
of its own channels (`on_result`). Whether it applies to the loaded model is decided by
`unavailable_reason(info)` from capabilities (classes, codes, image vs points), never from
the model's kind. `PanelHost` shows either the panel or the sentence saying why not.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QLabel, QStackedWidget, QVBoxLayout, QWidget

from gan_models.images import save_png

from ..latents import LatentBatch
from ..model_session import ModelInfo
from ..render import Renderer
from ..requests import GridSpec, RenderRequest

NO_MODEL = ("No model loaded. Open a checkpoint or a run folder (File > Open, Ctrl+O), drop one "
            "on this window, or pick one from the list on the left.")


class Panel(QWidget):
    name = "panel"                      # channel prefix and screenshot name
    title = "Panel"                     # tab text
    latent_sent = Signal(str, object)   # target ("A", "B", "C", "start", "end"), Latent
    status_message = Signal(str)        # short note for the status bar

    def __init__(self, renderer: Renderer, parent=None):
        super().__init__(parent)
        self.renderer = renderer
        self.info: ModelInfo | None = None
        renderer.listen(self.name, self._on_renderer_result_ready, owner=self)
        renderer.render_failed.connect(self._on_renderer_render_failed)

    # ------------------------------------------------------------------ to override
    @staticmethod
    def unavailable_reason(info: ModelInfo) -> str | None:
        """None when the panel works with this model, else one sentence saying why not."""
        return None

    def set_model(self, info: ModelInfo) -> None:
        """Adopt a newly loaded model (only called when the panel applies) and render."""
        self.info = info

    def on_result(self, result) -> None:
        """A fresh result for one of this panel's channels."""

    def on_partial(self, result) -> None:
        """A partial result of a progressive request (render(..., progressive=True)): paste it
        into the view, e.g. `view.show_grid(result)`; the complete result follows."""

    def new_seed(self) -> None:
        """N / Ctrl+R: draw new random samples, where that means something."""

    def export_image(self) -> tuple[np.ndarray, dict, str] | None:
        """(uint8 image, PNG text metadata, suggested file name) for File > Export image."""
        return None

    # ------------------------------------------------------------------ helpers
    def render(self, channel: str, batch: LatentBatch, grids: tuple = (), scores: bool = False,
               progressive: bool = False) -> int:
        if self.info is None:
            return 0
        req = RenderRequest(f"{self.name}.{channel}", self.info.model_id, batch, tuple(grids), scores, progressive)
        return self.renderer.submit(req)

    def base_metadata(self) -> dict:
        info = self.info
        meta = {"Software": "GAN Explorer"}
        if info is not None:
            meta.update(model=str(info.path), kind=info.kind, dataset=str(info.meta.get("dataset", "")))
        return meta

    def save_image_dialog(self, array: np.ndarray, text: dict, name: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save image", name, "PNG image (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            save_png(path, array, text)
            self.status_message.emit(f"Saved {path}")

    def copy_image(self, qimage: QImage | None) -> None:
        if qimage is not None:
            QGuiApplication.clipboard().setImage(qimage.copy())   # copy: the clipboard outlives the buffer
            self.status_message.emit("Image copied to the clipboard")

    def _on_renderer_result_ready(self, result) -> None:
        if self.info is not None and result.model_id == self.info.model_id:
            self.on_partial(result) if getattr(result, "partial", False) else self.on_result(result)

    def _on_renderer_render_failed(self, channel: str, message: str) -> None:
        if channel.startswith(self.name + "."):
            self.status_message.emit(message)


def side_column(*widgets: QWidget, max_width: int = 340) -> QWidget:
    """The controls column at a panel's left: widgets stacked at the top, at most max_width."""
    col = QWidget()
    lay = QVBoxLayout(col)
    for w in widgets:
        lay.addWidget(w)
    lay.addStretch(1)
    col.setMaximumWidth(max_width)
    return col


def view_grid(view, count: int, ncol: int) -> GridSpec:
    """A mosaic of `count` samples, `ncol` across, for an ImageGridView: its display copy comes
    pre-zoomed to the size the view draws it at (whole or uneven zoom), so painting is a blit."""
    return GridSpec(count, ncol, zoom=view.zoom_hint(), size=view.prezoom_size())


def single(n: int = 1) -> tuple:
    """GridSpecs for n single images (no padding), one per sample."""
    return tuple(GridSpec(1, 1, 0) for _ in range(n))


class PanelHost(QStackedWidget):
    """Shows the panel, or a sentence saying why it does not apply to the loaded model."""

    def __init__(self, panel: Panel, parent=None):
        super().__init__(parent)
        self.panel = panel
        self.message = QLabel(NO_MODEL)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.addWidget(panel)
        self.addWidget(self.message)
        self.setCurrentWidget(self.message)

    @property
    def available(self) -> bool:
        return self.currentWidget() is self.panel

    def set_model(self, info: ModelInfo) -> bool:
        """Enable or explain; returns whether the panel applies."""
        reason = self.panel.unavailable_reason(info)
        if reason:
            self.panel.info = None
            self.message.setText(reason)
            self.setCurrentWidget(self.message)
            return False
        self.panel.set_model(info)
        self.setCurrentWidget(self.panel)
        return True
