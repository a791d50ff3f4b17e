"""PointsView: generated points of a 1-D or 2-D model, as a scatter (2-D) or histogram (1-D),
beside real points of the model's data set when it is a known toy (green, translucent, under the
generated ones: where G misses a mode the green shows, where it covers one the generated points
are not hidden).

Follows pyqtgraph's fast path: the plot items are created once per model and only `setData`
is called per result. Colours follow the Qt palette; classes (CGAN) get one hue each.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

REAL = "#1e8449"          # real data: the playground's green


class PointsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        self._dims = 0
        self._items: list = []        # one scatter per class (or one), or one histogram curve
        self._legend = None
        self._real_item = None        # real data points (scatter or histogram outline), or None
        self.points = None            # the last points shown, (N, D)
        self.real = None              # the real points shown beside them, (M, D), or None
        self._apply_palette()

    def configure(self, dims: int, class_names: tuple = (), with_real: bool = False) -> None:
        """Rebuild the plot items for a model with `dims` output dims and these classes;
        with_real: also an item for real data points (`set_points(..., real=...)`)."""
        self.plot.clear()
        self._dims, self._items, self._real_item, self.real = dims, [], None, None
        base = self.palette().color(QPalette.ColorRole.Highlight)
        groups = list(class_names) or [""]
        named = len(groups) > 1 or with_real
        if self._legend is None and named:
            self._legend = self.plot.addLegend(offset=(8, 8), labelTextColor=self.palette().color(QPalette.ColorRole.Text))
        if self._legend is not None:
            self._legend.clear()
            self._legend.setVisible(named)
        if with_real:
            green = QColor(REAL)
            if dims >= 2:
                green.setAlpha(110)
                self._real_item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(green), name="real data")
                self._real_item.setZValue(-5)     # under the generated points (issue 28: real hid them)
            else:
                self._real_item = pg.PlotDataItem(stepMode="center", pen=pg.mkPen(green, width=2), name="real data")
            self.plot.addItem(self._real_item)
        if with_real and groups == [""]:
            groups = ["generated"]
        for i, name in enumerate(groups):
            color = pg.intColor(i, hues=max(len(groups), 2), alpha=170) if len(groups) > 1 else QColor(base)
            color.setAlpha(170)                   # translucent: dense spots and the real points show through
            if dims >= 2:
                item = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(color), name=name or None)
            else:
                fill = QColor(color)
                fill.setAlpha(110)
                item = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=pg.mkBrush(fill),
                                       pen=pg.mkPen(color, width=1.5), name=name or None)
            self.plot.addItem(item)
            self._items.append(item)
        self.plot.setAspectLocked(dims >= 2)      # a ring should look round
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y" if dims >= 2 else "count")

    def set_points(self, points: np.ndarray, classes: np.ndarray | None = None,
                   real: np.ndarray | None = None) -> None:
        """points (N, D) float; classes (N,) int when the model has labels; real (M, D) real
        data points (shown when configure(..., with_real=True))."""
        self.points = points
        self.real = real if self._real_item is not None else None
        groups = [np.arange(len(points))] if classes is None or len(self._items) == 1 else \
            [np.flatnonzero(classes == k) for k in range(len(self._items))]
        if self._dims >= 2:
            if self.real is not None:
                self._real_item.setData(x=self.real[:, 0], y=self.real[:, 1])
            for item, idx in zip(self._items, groups):
                item.setData(x=points[idx, 0], y=points[idx, 1])
            return
        both = points[:, 0] if self.real is None else np.concatenate([points[:, 0], self.real[:, 0]])
        lo, hi = float(both.min()), float(both.max())
        edges = np.linspace(lo, hi if hi > lo else lo + 1, 61)
        if self.real is not None:
            self._real_item.setData(edges, np.histogram(self.real[:, 0], bins=edges)[0])
        for item, idx in zip(self._items, groups):
            counts, _ = np.histogram(points[idx, 0], bins=edges)
            item.setData(edges, counts)

    # ------------------------------------------------------------------ theme
    def _apply_palette(self) -> None:
        pal = self.palette()
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        text = pal.color(QPalette.ColorRole.Text)
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(pg.mkPen(text))
            axis.setTextPen(pg.mkPen(text))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)
