"""ImageGridView: shows a uint8 mosaic crisply and maps clicks to the sample under the mouse.

The array from the render thread is wrapped in a QImage without copying (the view keeps a
reference to the array). It is drawn at the largest whole-number zoom that fits, in device
pixels, with nearest-neighbour sampling, so 28x28 samples stay sharp on high-DPI screens.
All colours come from the widget's palette (light and dark themes alike).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

_FORMATS = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888}


class ImageGridView(QWidget):
    cell_clicked = Signal(int)        # index of the sample clicked
    painted = Signal(int)             # frame number just drawn (for latency measurement)

    def __init__(self, parent=None, placeholder: str = "", max_scale: int = 16, min_side: int = 64):
        super().__init__(parent)
        self._array = None             # keeps the buffer under the QImage alive
        self._qimage = None
        self._cell = None              # (h, w) of one sample
        self._ncol = 1
        self._count = 0
        self._pad = 0
        self.frame = 0                 # increments per set_image
        self.selected = -1
        self.column_labels: list[str] = []
        self.row_labels: list[str] = []
        self.captions: list[str] = []  # one short text per cell, drawn on the cell's bottom
        self.placeholder = placeholder
        self.max_scale = max_scale
        self._min_side = min_side
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)

    # ------------------------------------------------------------------ data
    def set_image(self, array: np.ndarray | None, cell: tuple | None = None, ncol: int = 1,
                  count: int = 1, pad: int = 0) -> None:
        """Show an (H, W, C) uint8 C-contiguous array; `cell` (h, w) enables click mapping."""
        if array is None:
            self._array = self._qimage = None
        else:
            if array.dtype != np.uint8 or array.ndim != 3 or not array.flags.c_contiguous:
                raise ValueError("ImageGridView needs a C-contiguous (H, W, C) uint8 array")
            h, w, c = array.shape
            self._array = array
            self._qimage = QImage(array.data, w, h, array.strides[0], _FORMATS[c])
        self._cell = cell or (None if array is None else array.shape[:2])
        self._ncol, self._count, self._pad = ncol, count, pad
        self.frame += 1
        self.updateGeometry()
        self.update()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def array(self) -> np.ndarray | None:
        return self._array

    def qimage(self) -> QImage | None:
        return self._qimage

    def select(self, index: int) -> None:
        self.selected = index
        self.update()

    # ------------------------------------------------------------------ geometry
    def sizeHint(self) -> QSize:
        if self._array is None:
            return QSize(240, 240)
        h, w = self._array.shape[:2]
        s = max(1, min(4, 512 // max(h, w)))
        extra = self._margins()
        return QSize(w * s + extra[0], h * s + extra[1])

    def minimumSizeHint(self) -> QSize:
        return QSize(self._min_side, self._min_side)

    def _margins(self) -> tuple[int, int]:
        fm = self.fontMetrics()
        left = max((fm.horizontalAdvance(t) for t in self.row_labels), default=0)
        return (left + 8 if self.row_labels else 0, fm.height() + 6 if self.column_labels else 0)

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in logical pixels (empty when there is no image)."""
        if self._array is None:
            return QRectF()
        h, w = self._array.shape[:2]
        left, top = self._margins()
        aw, ah = self.width() - left, self.height() - top
        dpr = self.devicePixelRatioF()
        fit = min(aw * dpr / w, ah * dpr / h)
        scale = min(self.max_scale, math.floor(fit)) if fit >= 1 else max(fit, 1e-3)
        tw, th = w * scale / dpr, h * scale / dpr
        x = left + round((aw - tw) / 2 * dpr) / dpr   # snap to device pixels: no half-pixel blur
        y = top + round((ah - th) / 2 * dpr) / dpr
        return QRectF(x, y, tw, th)

    def _cell_rect(self, i: int, rect: QRectF) -> QRectF:
        h, w = self._cell
        r, k = divmod(i, self._ncol)
        sx, sy = rect.width() / self._array.shape[1], rect.height() / self._array.shape[0]
        p = self._pad
        return QRectF(rect.x() + (p + k * (w + p)) * sx, rect.y() + (p + r * (h + p)) * sy, w * sx, h * sy)

    def index_at(self, pos: QPointF) -> int:
        """Sample index under a widget position, or -1."""
        rect = self.image_rect()
        if self._cell is None or not rect.contains(pos):
            return -1
        for i in range(self._count):
            if self._cell_rect(i, rect).contains(pos):
                return i
        return -1

    # ------------------------------------------------------------------ events
    def mousePressEvent(self, event) -> None:
        i = self.index_at(event.position())
        if i >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.select(i)
            self.cell_clicked.emit(i)
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        pal = self.palette()
        if self._qimage is None:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect().adjusted(8, 8, -8, -8),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            p.end()
            return
        rect = self.image_rect()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, rect.width() < self._array.shape[1])
        p.drawImage(rect, self._qimage)
        self._paint_labels(p, rect, pal)
        if self._cell is not None and 0 <= self.selected < self._count:
            pen = QPen(pal.color(QPalette.ColorRole.Highlight), 2)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self._cell_rect(self.selected, rect).adjusted(-1, -1, 1, 1))
        p.end()
        self.painted.emit(self.frame)

    def _paint_labels(self, p: QPainter, rect: QRectF, pal: QPalette) -> None:
        if self._cell is None:
            return
        fm = self.fontMetrics()
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        for k, text in enumerate(self.column_labels[: self._ncol]):
            c = self._cell_rect(k, rect)
            box = QRectF(c.x() - 4, rect.y() - fm.height() - 4, c.width() + 8, fm.height())
            p.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                       fm.elidedText(text, Qt.TextElideMode.ElideRight, int(box.width())))
        rows = math.ceil(self._count / self._ncol)
        for r, text in enumerate(self.row_labels[:rows]):
            c = self._cell_rect(r * self._ncol, rect)
            p.drawText(QRectF(0, c.y(), rect.x() - 6, c.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        if self.captions:
            self._paint_captions(p, rect, pal)

    def _paint_captions(self, p: QPainter, rect: QRectF, pal: QPalette) -> None:
        fm = self.fontMetrics()
        if self._cell_rect(0, rect).height() < 2.5 * fm.height():
            return                       # cells too small to carry text legibly
        bg = QColor(pal.color(QPalette.ColorRole.Window))
        bg.setAlpha(190)
        for i, text in enumerate(self.captions[: self._count]):
            c = self._cell_rect(i, rect)
            box = QRectF(c.x(), c.bottom() - fm.height() - 2, fm.horizontalAdvance(text) + 6, fm.height() + 2)
            p.fillRect(box, bg)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
