"""MetricPlots: the monitor's pyqtgraph curves, created once and refreshed with `setData`.

One GraphicsLayoutWidget holds five plots: D(x) / D(G(z)) before and after the D step with
the D* = 1/2 line; D and G losses with the log 4 line; InfoGAN's information loss with its
bound H(c) = ln 10; G's gradient norm; images/s. Each curve is fed *views* of a growing
`SeriesBuffer`, with peak downsampling and clip-to-view so 10^6 logged steps still redraw
quickly. A second, dashed set of curves overlays another run for comparison.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .. import refcount_guard
from .buffers import Envelope, SeriesBuffer, ema

LOG4 = math.log(4)        # D's loss at the equilibrium D = 1/2: -2 log(1/2)
LN10 = math.log(10)       # H(c) of a uniform 10-way code: the information loss's lower bound

# plot name -> (title, [(metric, legend name, colour)], reference line (y, label) or None)
PLOTS = {
    "d": ("D(x) and D(G(z))", [("d_real", "D(x)", "#1f77b4"),
                                ("d_fake", "D(G(z)) before D step", "#d62728"),
                                ("d_fake_after", "D(G(z)) after D step", "#ff7f0e")], (0.5, "D* = 1/2")),
    "loss": ("Losses", [("loss_d", "D loss", "#9467bd"), ("loss_g", "G loss", "#2ca02c")], (LOG4, "log 4")),
    "info": ("InfoGAN information loss", [("loss_info", "L_I", "#8c564b")], (LN10, "H(c) = ln 10")),
    "grad": ("G gradient norm", [("grad_norm_g", "|grad G|", "#17becf")], None),
    "ips": ("images/s", [("images_per_s", "images/s", "#7f7f7f")], None),
}
LAYOUT = {"d": (0, 0, 1, 2), "loss": (1, 0, 1, 1), "info": (1, 1, 1, 1), "grad": (2, 0, 1, 1), "ips": (2, 1, 1, 1)}


class _Smoother:
    """EMA of one buffer column, extended incrementally as rows arrive."""

    def __init__(self):
        self.out = np.zeros(0, np.float32)
        self.n = 0
        self.key = None

    def get(self, buf: SeriesBuffer, col: str, alpha: float) -> np.ndarray:
        key = (alpha, buf.decimations, id(buf.cols[col]))
        if key != self.key or buf.n < self.n:
            self.key, self.n = key, 0
            self.out = np.zeros(len(buf.cols[col]), np.float32)
        if buf.n > self.n:
            start = float(self.out[self.n - 1]) if self.n else None
            self.out[self.n:buf.n] = ema(buf.cols[col][self.n:buf.n], alpha, start)
            self.n = buf.n
        return self.out[:buf.n]


class MetricPlots(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        refcount_guard.apply()           # PySide6 6.12 + Python 3.11: see refcount_guard
        super().__init__(parent)
        self.setBackground(None)
        self.setAntialiasing(False)         # the whole view: text and lines stay crisp, paints ~2x faster
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}         # metric -> curve of the followed run
        self.compare_curves: dict[str, pg.PlotDataItem] = {}  # metric -> dashed curve of the other run
        self.ref_lines: dict[str, pg.InfiniteLine] = {}
        self._smooth: dict[tuple, _Smoother] = {}
        self._env: dict[tuple, Envelope] = {}
        self._drawn: dict[str, tuple] = {}
        for name, (title, series, ref) in PLOTS.items():
            row, col, rs, cs = LAYOUT[name]
            p = self.addPlot(row=row, col=col, rowspan=rs, colspan=cs)
            p.setTitle(title, color="#333333")
            # no grid: its lines were ~60 % of a repaint here (the dashed reference lines stay)
            p.setDownsampling(auto=True, mode="peak")
            p.setClipToView(True)
            p.setLabel("bottom", "step")
            for side in ("left", "bottom"):
                p.getAxis(side).setPen(pg.mkPen("#555555"))
                p.getAxis(side).setTextPen(pg.mkPen("#333333"))
            if len(series) > 1 or ref is not None:
                p.addLegend(offset=(-4, 4), labelTextSize="8pt", labelTextColor="#222222",
                            brush=pg.mkBrush(255, 255, 255, 150), pen=pg.mkPen("#cccccc"))
            for metric, label, colour in series:
                # 1-px pens without antialiasing: Qt's fast path (an antialiased 1.6 px pen
                # took ~100x longer to draw a noisy 4000-point curve here)
                self.curves[metric] = p.plot(pen=pg.mkPen(colour, width=1), name=label, antialias=False)
                dashed = pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine)
                c = p.plot(pen=dashed, antialias=False)
                c.setVisible(False)
                self.compare_curves[metric] = c
            if ref is not None:
                y, text = ref
                pen = pg.mkPen("#555555", width=1, style=Qt.PenStyle.DashLine)
                line = pg.InfiniteLine(pos=y, angle=0, movable=False, pen=pen)
                p.addItem(line, ignoreBounds=False)
                # named in the legend, not with an InfiniteLine label: that label re-lays itself
                # out on every view change and cost ~75 ms per repaint of the five plots here
                p.legend.addItem(pg.PlotDataItem(pen=pen), text)
                self.ref_lines[name] = line
            self.plots[name] = p
        self.ci.layout.setColumnStretchFactor(0, 1)
        self.ci.layout.setColumnStretchFactor(1, 1)
        self.plots["d"].legend.setColumnCount(2)      # two rows above the curves (y runs to 1.4)
        self.plots["d"].setYRange(0, 1.4, padding=0.0)
        self.plots["d"].enableAutoRange(axis="y", enable=False)

    def set_has_codes(self, has: bool) -> None:
        """Say so in the title when the run is not an InfoGAN (its plot stays, empty)."""
        self.plots["info"].setTitle("InfoGAN information loss" if has else "Information loss (InfoGAN only)",
                                    color="#333333")

    def refresh(self, buf: SeriesBuffer, alpha: float = 0.0, compare: SeriesBuffer | None = None) -> bool:
        """setData on every curve whose data moved; returns whether anything was redrawn."""
        changed = False
        for which, b, curves in (("run", buf, self.curves), ("cmp", compare, self.compare_curves)):
            if b is None:
                continue
            stamp = (b.version, b.decimations, alpha)
            if self._drawn.get(which) == stamp:
                continue
            self._drawn[which] = stamp
            x = b.x()
            for metric, curve in curves.items():
                if alpha > 0:
                    y = self._smooth.setdefault((which, metric), _Smoother()).get(b, metric, alpha)
                else:
                    y = b.view(metric)
                # our own cached peak envelope: pyqtgraph gets 2000-4000 points, never 10^6
                ex, ey = self._env.setdefault((which, metric), Envelope()).get(x, y, (b.decimations, alpha))
                ok = np.isfinite(ey)
                if not ok.all():
                    ex, ey = ex[ok], ey[ok]
                # connect="all" builds the path from a QPolygonF; "finite" goes through a
                # QByteArray buffer that crashed PySide6 6.12 here (refcount error) when redrawn often
                curve.setData(x=ex, y=ey, connect="all", skipFiniteCheck=True)
                if which == "cmp":
                    curve.setVisible(True)
            changed = True
        return changed

    def hide_compare(self) -> None:
        self._drawn.pop("cmp", None)
        for c in self.compare_curves.values():
            c.setData([], [])
            c.setVisible(False)
