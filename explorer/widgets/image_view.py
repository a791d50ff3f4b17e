"""ImageGridView: shows a uint8 mosaic crisply and maps clicks to the sample under the mouse.

The render thread sends each mosaic twice: (H, W, C) for saving and RGB32 bytes for display,
which are wrapped in a QImage without copying (the view keeps a reference to them). The mosaic
is drawn at the largest whole-number zoom that fits, in device pixels, with nearest-neighbour
sampling, so 28x28 samples stay sharp on high-DPI screens (or at the exact fit, when a whole
zoom would waste over 15% of the room). Panels ask the render thread for the display copy
already at that whole zoom (`zoom_hint()`), so painting is a 1:1 blit.
A progressive render arrives as patches (`show_grid` of a partial result): the view draws each
finished rectangle straight from the display copy the render thread is filling (it reads only
those rectangles, which the render thread never writes again: no copy on the UI thread) over
the previous frame, and repaints just that rectangle. Cells not rendered yet keep the previous
frame's image (dimming them would make a slider drag flicker at every change), or stay black
when the layout is new. When a newer request replaces one that was half drawn, its rectangles
are copied into the view's own frame first, so nothing shown reverts to an older frame.
All colours come from the widget's palette (light and dark themes alike).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

_FORMATS = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888}


def _around(outer: QRect, hole: QRect) -> list[QRect]:
    """The parts of `outer` outside `hole`, as at most four rectangles (no clip region: a
    region clip made the raster engine's fill several times slower)."""
    hole = hole.intersected(outer)
    if hole.isEmpty():
        return [outer]
    ol, ot, orr, ob = outer.left(), outer.top(), outer.right(), outer.bottom()
    hl, ht, hr, hb = hole.left(), hole.top(), hole.right(), hole.bottom()
    parts = [QRect(ol, ot, outer.width(), ht - ot),                 # above
             QRect(ol, hb + 1, outer.width(), ob - hb),             # below
             QRect(ol, ht, hl - ol, hole.height()),                 # left
             QRect(hr + 1, ht, orr - hr, hole.height())]            # right
    return [r for r in parts if r.width() > 0 and r.height() > 0]


class _Layer:
    """The display copy a progressive render is filling, and its rectangles that are final."""

    def __init__(self, stamp: int, canvas: np.ndarray, image: QImage):
        self.stamp, self.canvas, self.image = stamp, canvas, image   # canvas: keeps image's buffer alive
        self.done = 0                       # samples drawn so far
        self.regions: list[tuple] = []      # (y0, y1, x0, x1) of the canvas, final

    def target(self, region: tuple, rect: QRectF) -> QRectF:
        """Where a canvas region is drawn when the whole canvas fills `rect` (logical pixels)."""
        y0, y1, x0, x1 = region
        sx, sy = rect.width() / self.canvas.shape[1], rect.height() / self.canvas.shape[0]
        return QRectF(rect.x() + x0 * sx, rect.y() + y0 * sy, (x1 - x0) * sx, (y1 - y0) * sy)

    def paint(self, p: QPainter, rect: QRectF) -> None:
        # nearest neighbour; 1:1 in device pixels when the canvas was made at the drawn size
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for region in self.regions:
            y0, y1, x0, x1 = region
            p.drawImage(self.target(region, rect), self.image, QRectF(x0, y0, x1 - x0, y1 - y0))


class ImageGridView(QWidget):
    cell_clicked = Signal(int)        # index of the sample clicked
    painted = Signal(int)             # frame number just drawn (for latency measurement)

    def __init__(self, parent=None, placeholder: str = "", max_scale: int = 16, min_side: int = 64,
                 fit_height: bool = False):
        super().__init__(parent)
        self._fit_height = fit_height  # take only the height the image needs at the current width
        self._array = None             # the image as produced, (H, W, C) uint8 (for saving)
        self._display = None           # its RGB32 twin, the buffer under the QImage(s)
        self._qimage = None            # 1:1 RGB32 image (made lazily when only a zoomed one came)
        self._zoomed = None            # QImage, when the display copy came pre-zoomed
        self._cell = None              # (h, w) of one sample
        self._ncol = 1
        self._count = 0
        self._pad = 0
        self.frame = 0                 # increments per set_image and per partial result drawn
        self._owned = False            # _display is this view's own copy (may be written)
        self._layer = None             # _Layer: the progressive render being drawn over the frame
        self._painted_chrome = None    # _chrome() at the last paint of the whole widget
        self._geometry_key = self._geometry_value = None   # _geometry()'s cache
        self.selected = -1
        self.column_labels: list[str] = []
        self.row_labels: list[str] = []
        self.separator_after: int = 0  # outline the first this-many columns (0 = none)
        self.captions: list[str] = []  # one short text per cell, drawn on the cell's bottom
        self.placeholder = placeholder
        self.max_scale = max_scale
        self._min_side = min_side
        # Paints every pixel itself (background included), so a new frame does not make Qt
        # repaint the window, tab, splitter and panel behind it first: measured 2 paints of
        # ~350k px per change of the parents alone before.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding,
                             QSizePolicy.Policy.Preferred if fit_height else QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(fit_height)
        self.setSizePolicy(policy)

    # ------------------------------------------------------------------ data
    def set_image(self, array: np.ndarray | None, cell: tuple | None = None, ncol: int = 1,
                  count: int = 1, pad: int = 0, display: np.ndarray | None = None) -> None:
        """Show an (H, W, C) uint8 C-contiguous array; `cell` (h, w) enables click mapping.

        `display` is the same image as (zH, zW, 4) RGB32 bytes, z >= 1 the whole-number zoom
        `zoom_hint()` asked for (the render thread makes it, pixels.display_rgb32): it is
        wrapped without a copy, and blitted 1:1 when its size is the size the view draws at.
        Otherwise the image is converted once, on first paint, and drawn scaled from RGB32.
        """
        old_shape = None if self._array is None else self._array.shape
        self._layer, self._owned = None, False
        if array is None:
            self._array = self._display = self._qimage = self._zoomed = None
        else:
            if array.dtype != np.uint8 or array.ndim != 3 or not array.flags.c_contiguous:
                raise ValueError("ImageGridView needs a C-contiguous (H, W, C) uint8 array")
            self._array = array
            ok = display is not None and display.ndim == 3 and display.shape[2] == 4 and display.flags.c_contiguous
            self._wrap(display if ok else None)
        self._cell = cell or (None if array is None else array.shape[:2])
        self._ncol, self._count, self._pad = ncol, count, pad
        self.frame += 1
        if (None if array is None else array.shape) != old_shape:
            self.updateGeometry()     # only when the size changes: a relayout repaints the window
        if array is not None and self._painted_chrome == self._chrome():
            # same layout, labels and selection as the last full paint: only the pixels changed
            # (no background fill, no label drawing: ~0.1-0.2 ms of a frame on a slider drag).
            # (A synchronous repaint() here, before the rest of the window, measured no better.)
            self.update(self.image_rect().toAlignedRect().adjusted(-3, -3, 3, 3))
        else:
            self.update()

    def _wrap(self, display: np.ndarray | None) -> None:
        """Show `display` (RGB32 bytes of _array, maybe pre-zoomed), wrapped without a copy."""
        self._display = display               # keeps the buffer under the QImage alive
        self._qimage = self._zoomed = None
        if display is not None:
            img = QImage(display.data, display.shape[1], display.shape[0], display.strides[0],
                         QImage.Format.Format_RGB32)
            if display.shape[:2] == self._array.shape[:2]:
                self._qimage = img
            else:
                self._zoomed = img

    def _chrome(self) -> tuple:
        """Everything besides the pixels that a paint depends on."""
        return (self.width(), self.height(), self.devicePixelRatioF(),
                None if self._array is None else self._array.shape, self._cell, self._ncol, self._count,
                self._pad, tuple(self.column_labels), tuple(self.row_labels), self.separator_after,
                self.selected, self.placeholder, bool(self.captions))   # captions: shown or not

    def show_grid(self, result, i: int = 0) -> None:
        """Show mosaic `i` of a RenderResult, with its cell layout for click mapping; of a partial
        result (progressive rendering), draw what it adds to the mosaic shown."""
        spec = result.specs[i]
        patches = [p for p in result.patches if p.grid == i]
        if patches and result.partial:
            self._add_patches(result, spec, patches)
            return
        self.set_image(result.grids[i], result.images.shape[1:3], spec.ncol, spec.count, spec.pad,
                       display=result.display[i] if i < len(result.display) else None)

    def _add_patches(self, result, spec, patches) -> None:
        """A partial result: start a layer (its request's first) or grow the one being drawn."""
        layer, p0 = self._layer, patches[0]
        if result.start == 0:
            if layer is not None:
                self._flatten()                 # a newer request replaced it half drawn
            cell = result.images.shape[1:3]
            if not (self._array is not None and self._array.shape == p0.mosaic.shape and self._cell == cell
                    and (self._ncol, self._count, self._pad) == (spec.ncol, spec.count, spec.pad)):
                # a new layout: black until its cells come (the pad's colour)
                self.set_image(np.zeros(p0.mosaic.shape, np.uint8), cell, spec.ncol, spec.count, spec.pad)
            canvas = p0.canvas
            img = QImage(canvas.data, canvas.shape[1], canvas.shape[0], canvas.strides[0],
                         QImage.Format.Format_RGB32)
            layer = self._layer = _Layer(result.stamp, canvas, img)
        elif layer is None or (layer.stamp, layer.done) != (result.stamp, result.start):
            return                              # a partial result missed: the whole one will come
        rect = self.image_rect()
        for p in patches:
            layer.regions.append(p.display_region)
            self.update(layer.target(p.display_region, rect).toAlignedRect().adjusted(-3, -3, 3, 3))
        layer.done = result.done
        self.frame += 1

    def _flatten(self) -> None:
        """Copy what the layer drew into this view's own frame, then drop the layer."""
        layer, self._layer = self._layer, None
        if self._display is None:               # the black frame of a new layout
            self._wrap(np.zeros_like(layer.canvas))
            self._owned = True
        elif self._display.shape != layer.canvas.shape:
            self.update()                       # (another size: its cells show the older frame again)
            return
        if not self._owned:
            self._wrap(self._display.copy())    # the frame shown is a result's: write into a copy
            self._owned = True
        for y0, y1, x0, x1 in layer.regions:
            self._display[y0:y1, x0:x1] = layer.canvas[y0:y1, x0:x1]

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def array(self) -> np.ndarray | None:
        return self._array

    def qimage(self) -> QImage | None:
        """The image at 1:1 (RGB32), or None when empty."""
        if self._qimage is None and self._array is not None:
            h, w, c = self._array.shape
            self._qimage = QImage(self._array.data, w, h, self._array.strides[0], _FORMATS[c]).convertToFormat(
                QImage.Format.Format_RGB32)
        return self._qimage

    def zoom_hint(self, max_pixels: int = 4_000_000) -> int:
        """The whole-number zoom (device pixels per image pixel) the current image is drawn at,
        or 1 when it is drawn at an uneven scale: what a panel asks the render thread to
        pre-zoom the next frame to, assuming it has the same size as this one. An uneven
        scale is asked for by size (`prezoom_size`)."""
        if self._array is None:
            return 1
        h, w = self._array.shape[:2]
        scale = self._scale()
        z = int(scale) if scale >= 2 and scale == int(scale) else 1
        return z if z * z * h * w <= max_pixels else 1

    def prezoom_size(self, max_pixels: int = 4_000_000) -> tuple:
        """(h, w) device pixels the current image is drawn at when that is an uneven zoom (a
        panel asks the render thread for a display copy of exactly that size, so the paint is a
        1:1 blit; in bench/ui_latency.py the grid's paint fell from ~1.03 to ~0.68 ms and the UI
        thread's CPU per change by 0.15-0.45 ms, same sitting, while the render job grew by about
        as much: see pixels.display_rgb32), else ()."""
        if self._array is None or self.zoom_hint() > 1 or self._scale() <= 1:
            return ()
        h, w = self._drawn_size()
        return (h, w) if h * w <= max_pixels else ()

    def _drawn_size(self, scale: float | None = None) -> tuple[int, int]:
        """(h, w) in device pixels the image covers at the current scale (or at `scale`)."""
        h, w = self._array.shape[:2]
        scale = self._scale() if scale is None else scale
        return max(1, round(h * scale)), max(1, round(w * scale))

    def select(self, index: int) -> None:
        if index != self.selected:
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

    def hasHeightForWidth(self) -> bool:
        return self._fit_height

    def heightForWidth(self, width: int) -> int:
        """The height at which the image fills `width` (keeps its aspect ratio)."""
        h, w = self._array.shape[:2] if self._array is not None else (1, 1)
        left, top = self._margins()
        scale = min((width - left) / w, self.max_scale / self.devicePixelRatioF())
        return max(self._min_side, int(math.ceil(h * scale)) + top)

    def _margins(self) -> tuple[int, int]:
        fm = self.fontMetrics()
        left = max((fm.horizontalAdvance(t) for t in self.row_labels), default=0)
        return (left + 8 if self.row_labels else 0, fm.height() + 6 if self.column_labels else 0)

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in logical pixels (empty when there is no image)."""
        return QRectF() if self._array is None else QRectF(self._geometry()[0])

    def _scale(self) -> float:
        """Device pixels per image pixel at the current size."""
        return self._geometry()[1]

    def _geometry(self) -> tuple[QRectF, float]:
        """(image rect, scale), recomputed only when the size, the image's size, the labels
        or the font changed: a paint asks for them several times per frame."""
        h, w = self._array.shape[:2]
        dpr = self.devicePixelRatioF()
        key = (self.width(), self.height(), dpr, h, w, tuple(self.row_labels), bool(self.column_labels))
        if key != self._geometry_key:
            left, top = self._margins()
            aw, ah = self.width() - left, self.height() - top
            fit = min(aw * dpr / w, ah * dpr / h, self.max_scale)
            # Whole-number zoom keeps every source pixel the same size; when that would waste
            # more than 15% of the room, zoom by the exact fit (still nearest-neighbour, uneven).
            scale = math.floor(fit) if fit >= 1 and math.floor(fit) >= 0.85 * fit else max(fit, 1e-3)
            tw, th = w * scale / dpr, h * scale / dpr
            x = left + round((aw - tw) / 2 * dpr) / dpr   # snap to device pixels: no half-pixel blur
            y = top + round((ah - th) / 2 * dpr) / dpr
            self._geometry_key, self._geometry_value = key, (QRectF(x, y, tw, th), scale)
        return self._geometry_value

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._geometry_key = None             # the margins depend on the font
        super().changeEvent(event)

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
        if self._array is None:
            p.fillRect(event.rect(), pal.color(self.backgroundRole()))
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect().adjusted(8, 8, -8, -8),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            p.end()
            self._painted_chrome = None
            return
        rect, scale = self._geometry()          # computed once per paint (each call builds its key)
        er = event.rect()
        whole = er.contains(self.rect())
        # The image is opaque: fill only around it (filling under it too cost ~0.2 ms a frame).
        # The hole is the image shrunk by a pixel, so its fractional edges are still filled.
        bg = pal.color(self.backgroundRole())
        for strip in _around(er, rect.adjusted(1, 1, -1, -1).toAlignedRect()):
            p.fillRect(strip, bg)
        img = self._zoomed
        if img is not None and (img.height(), img.width()) == self._drawn_size(scale):
            # pre-zoomed on the render thread: a 1:1 blit (scaling here cost 0.3-0.7 ms a frame)
            dpr = self.devicePixelRatioF()
            if img.devicePixelRatio() != dpr:
                img.setDevicePixelRatio(dpr)
            p.drawImage(rect.topLeft(), img)
        else:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, rect.width() < self._array.shape[1])
            p.drawImage(rect, self.qimage())
        if self._layer is not None:
            self._layer.paint(p, rect)
        self._paint_labels(p, rect, pal)
        if self._cell is not None and 0 < self.separator_after < self._ncol:
            rows = math.ceil(self._count / self._ncol)
            first = self._cell_rect(0, rect)
            last = self._cell_rect((rows - 1) * self._ncol + self.separator_after - 1, rect)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(first.united(last).adjusted(-1, -1, 1, 1))
        if self._cell is not None and 0 <= self.selected < self._count:
            pen = QPen(pal.color(QPalette.ColorRole.Highlight), 2)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self._cell_rect(self.selected, rect).adjusted(-1, -1, 1, 1))
        p.end()
        if whole:
            self._painted_chrome = self._chrome()
        self.painted.emit(self.frame)

    def _paint_labels(self, p: QPainter, rect: QRectF, pal: QPalette) -> None:
        if self._cell is None or not (self.column_labels or self.row_labels or self.captions):
            return                       # nothing to draw: no font metrics or pen for it either
        fm = self.fontMetrics()
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        for k, text in enumerate(self.column_labels[: self._ncol]):
            c = self._cell_rect(k, rect)
            box = QRectF(c.x() - 4, rect.y() - fm.height() - 4, c.width() + 8, fm.height())
            # elided to the cell's own width less a gap, so long names (a faces CGAN's "glasses,
            # neutral") never run into the next column's; the middle goes, so both ends still tell
            # "no glasses, neutral" from "no glasses, smiling"
            p.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                       fm.elidedText(text, Qt.TextElideMode.ElideMiddle, max(1, int(c.width()) - 6)))
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
