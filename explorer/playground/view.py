"""PlaygroundPlot: draws one playground snapshot (numpy arrays) with long-lived pyqtgraph items.

2D: D(x) as a heat-map ImageItem (RGB uint8, no levels, the fast path) behind the real points
(green), the generated points (purple) and, optionally, G's gradient arrows.
1D: p_data, p_g (KDE of the generated points), the learned D(x), the optimal
D*(x) = p_data / (p_data + p_g) and the 1/2 line, on one plot.

No grid lines: pyqtgraph draws them with the axes, so every frame repainted both axes with
their tick text (~9 ms of a ~30 ms frame here, on the UI thread, competing with the training
thread for the GIL). The fixed real points are set once, not per frame.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStackedWidget

from .. import refcount_guard

REAL, FAKE, ARROW = "#1e8449", "#6c3483", "#c0392b"


class PlaygroundPlot(QStackedWidget):
    def __init__(self, parent=None):
        refcount_guard.apply()           # PySide6 6.12 + Python 3.11: see refcount_guard
        super().__init__(parent)
        self.plot2d = pg.PlotWidget(background="w")
        p = self.plot2d.getPlotItem()
        # not aspect-locked: a locked 1:1 view in a wider-than-tall plot showed more x than the
        # heat map covers (white strips left and right); the plot is kept square instead (resizeEvent)
        p.setAspectLocked(False)
        p.setMouseEnabled(False, False)
        self.heat = pg.ImageItem()
        self.heat.setZValue(-10)
        p.addItem(self.heat)
        legend = p.addLegend(offset=(8, 8), labelTextColor="#222222", brush=pg.mkBrush(255, 255, 255, 200))
        self.fake = PointCloud((108, 52, 131, 170), 5)
        self.real = PointCloud((30, 132, 73, 150), 4)     # REAL, translucent
        self.fake.setZValue(5)                    # generated on top (real ones hid them), both translucent
        self.arrows = pg.PlotDataItem(pen=pg.mkPen(ARROW, width=1.2), connect="pairs")
        for item in (self.fake, self.real, self.arrows):
            p.addItem(item)
        for size, brush, name in ((5, pg.mkBrush(108, 52, 131, 170), "generated G(z)"),
                                  (4, pg.mkBrush(REAL), "real data")):   # legend samples only
            legend.addItem(pg.ScatterPlotItem(size=size, pen=None, brush=brush), name)
        self.arrows.setVisible(False)
        legend.setVisible(True)
        self._bounds = None
        self._real = None                          # the real-points array last drawn

        self.plot1d = pg.PlotWidget(background="w")
        q = self.plot1d.getPlotItem()
        q.addLegend(offset=(8, 8), labelTextColor="#222222", brush=pg.mkBrush(255, 255, 255, 200))
        q.setLabel("bottom", "x")
        self.p_data = q.plot(pen=pg.mkPen(REAL, width=2), fillLevel=0, brush=pg.mkBrush(30, 132, 73, 50),
                             name="p_data")
        self.p_g = q.plot(pen=pg.mkPen(FAKE, width=2), fillLevel=0, brush=pg.mkBrush(108, 52, 131, 50),
                          name="p_g (KDE)")
        self.d_curve = q.plot(pen=pg.mkPen("#222222", width=2), name="D(x)")
        self.d_opt = q.plot(pen=pg.mkPen("#e67e22", width=2, style=Qt.PenStyle.DashLine),
                            name="D*(x) = p_data / (p_data + p_g)")
        self.half = pg.InfiniteLine(pos=0.5, angle=0, pen=pg.mkPen("#888888", style=Qt.PenStyle.DotLine),
                                    label="1/2", labelOpts={"position": 0.97, "color": "#555555"})
        q.addItem(self.half)
        q.setYRange(0, 1.05)
        for w in (self.plot2d, self.plot1d):
            for side in ("left", "bottom"):
                w.getAxis(side).setPen(pg.mkPen("#444444"))
                w.getAxis(side).setTextPen(pg.mkPen("#222222"))
        self.addWidget(self.plot2d)
        self.addWidget(self.plot1d)
        self.frames = 0

    def resizeEvent(self, event) -> None:                    # noqa: N802 (Qt's name)
        """Keep the 2D plot's data area square (centred, white margins), so the toy's square
        domain is drawn 1:1 and the heat map fills it to every edge."""
        super().resizeEvent(event)
        p = self.plot2d.getPlotItem()
        w = event.size().width() - p.getAxis("left").width() - 12
        h = event.size().height() - p.getAxis("bottom").height() - 12
        extra = abs(w - h) // 2
        p.setContentsMargins(*((extra, 0, extra, 0) if w > h else (0, extra, 0, extra)))

    def show_snapshot(self, snap: dict) -> None:
        if "heat_rgb" in snap:
            self.setCurrentWidget(self.plot2d)
            lo, hi = snap["low"], snap["high"]
            self.heat.setImage(snap["heat_rgb"], autoLevels=False)
            bounds = (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))
            if bounds != self._bounds:
                self._bounds = bounds
                self.heat.setRect(QRectF(*bounds))
                self.plot2d.getPlotItem().setRange(xRange=(bounds[0], bounds[0] + bounds[2]),
                                                   yRange=(bounds[1], bounds[1] + bounds[3]), padding=0)
            if snap["real"] is not self._real:     # fixed per toy: the worker sends the same array
                self._real = snap["real"]
                self.real.setData(self._real)
            self.fake.setData(snap["fake"])
            arrows = snap.get("arrows")
            self.arrows.setVisible(arrows is not None)
            if arrows is not None:
                self.arrows.setData(*_segments(snap["fake"], arrows, 0.06 * float(np.max(hi - lo))))
        else:
            self.setCurrentWidget(self.plot1d)
            xs = snap["xs"]
            self.p_data.setData(xs, snap["p_data"])
            self.p_g.setData(xs, snap["p_g"])
            self.d_curve.setData(xs, snap["d"])
            self.d_opt.setData(xs, snap["d_opt"], connect="finite")
        self.frames += 1


class PointCloud(pg.GraphicsObject):
    """Same-looking dots, drawn by one QPainter.drawPoints with a round pen in device pixels.

    A ScatterPlotItem's setData took ~0.9 ms for 256 points here (per-spot records in Python),
    this one ~0.1 ms: the playground redraws its points ~15 times a second while the training
    thread waits for the GIL the UI thread holds.
    """

    def __init__(self, colour, size: float):
        super().__init__()
        self._pen = pg.mkPen(colour, width=size)
        self._pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self._poly = pg.functions.create_qpolygonf(0)
        self._rect = QRectF()

    def setData(self, points: np.ndarray) -> None:
        """points (N, 2) in data coordinates."""
        self.prepareGeometryChange()
        self._poly = pg.functions.create_qpolygonf(len(points))
        pg.functions.ndarray_from_qpolygonf(self._poly)[:] = points
        if len(points):
            lo, hi = points.min(0), points.max(0)
            pad = 0.02 * float(max(hi[0] - lo[0], hi[1] - lo[1], 1e-6))     # the dots' own radius
            self._rect = QRectF(float(lo[0]) - pad, float(lo[1]) - pad,
                                float(hi[0] - lo[0]) + 2 * pad, float(hi[1] - lo[1]) + 2 * pad)
        else:
            self._rect = QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, p, *_) -> None:
        device = p.transform().map(self._poly)     # round dots whatever the axes' aspect
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(self._pen)
        p.drawPoints(device)
        p.restore()


def _segments(points: np.ndarray, grads: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrow shafts from each point along its gradient, scaled so the longest is `length`."""
    pts, g = points[:128], grads[:128]
    norm = float(np.linalg.norm(g, axis=1).max()) or 1.0
    ends = pts + g * (length / norm)
    seg = np.empty((2 * len(pts), 2), np.float32)
    seg[0::2], seg[1::2] = pts, ends
    return seg[:, 0], seg[:, 1]
