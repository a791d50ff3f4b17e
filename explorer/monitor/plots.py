"""MetricPlots: the monitor's pyqtgraph curves, created once and refreshed with `setData`.

One GraphicsLayoutWidget holds seven plots: D(x) / D(G(z)) before and after the D step with
the D* = 1/2 line, and beside it the live sample quality (shares in [0, 1]: read confidently,
coverage, asked label / code matched, from train/live_quality.py), so a dead D at 1/2 is not
mistaken for equilibrium; D and G losses with the log 4 line; the Frechet distance to real
data; InfoGAN's information loss with its bound H(c) = ln 10; G's gradient norm; images/s. Each curve is fed *views* of a growing
`SeriesBuffer`, with peak downsampling and clip-to-view so 10^6 logged steps still redraw
quickly. A second, dashed set of curves overlays another run for comparison.

BEGAN runs (`set_kind("began")`) have no D(x) = 1/2 equilibrium and no log 4: their place
goes to BEGAN's own convergence measure M_global (falls as quality rises), the two
reconstruction errors L(x) and L(G(z)), and the control variable k_t in [0, 1].

Live runs repaint cheaply because the axes rarely move: the plots do not auto-range on every
new row (pyqtgraph then regenerates every axis's ticks and text, ~60 % of a repaint here);
x runs to the next round number past the newest row and y changes only when the data leaves its
range or fills less than half of it. A plot the user zooms or pans keeps the user's view
until its "A" (auto-range) button is pressed. `refresh(..., budget=1)` updates one stale
plot per call, so a live redraw is spread over several event-loop turns instead of one long
paint of all five.
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
    "d": ("", [("d_real", "D(x)", "#1f77b4"),
               ("d_fake", "D(G(z))", "#d62728"),
               ("d_fake_after", "after D step", "#ff7f0e")], (0.5, "½")),
    "quality": ("", [("q_confident", "confident", "#2ca02c"),
                     ("q_coverage", "coverage", "#1f77b4"),
                     ("q_label_acc", "label", "#d62728"),
                     ("q_code_acc", "code", "#9467bd"),
                     ("q_hq", "HQ points", "#ff7f0e")], None),
    "loss": ("", [("loss_d", "D loss", "#9467bd"), ("loss_g", "G loss", "#2ca02c")], (LOG4, "log 4")),
    "fid": ("Fréchet distance ÷ real vs real", [("q_fid_ratio", "FD ratio", "#8c564b")], None),
    "info": ("InfoGAN information loss", [("loss_info", "L_I", "#8c564b")], (LN10, "H(c) = ln 10")),
    "grad": ("G gradient norm", [("grad_norm_g", "|grad G|", "#17becf")], None),
    "ips": ("images/s", [("images_per_s", "images/s", "#7f7f7f")], None),
    # BEGAN (Berthelot et al. 2017)
    # (titles short enough for a 1280-wide window: M_global = L(x) + |γ L(x) − L(G(z))| is in the
    # README and the health line's numbers)
    "m_global": ("BEGAN convergence", [("m_global", "M_global", "#1f77b4")], None),
    "rec": ("D's rec. error", [("loss_real_rec", "L(x)", "#1f77b4"),
                                         ("loss_fake_rec", "L(G(z))", "#d62728")], None),
    "k_t": ("k_t (weight of L(G(z)) in D's loss)", [("k_t", "k_t", "#9467bd")], None),
}
LAYOUT = {"d": (0, 0, 1, 1), "quality": (0, 1, 1, 1), "loss": (1, 0, 1, 1), "fid": (1, 1, 1, 1),
          "grad": (2, 0, 1, 1), "ips": (2, 1, 1, 1), "info": (3, 0, 1, 2)}
BEGAN_LAYOUT = {"m_global": (0, 0, 1, 1), "quality": (0, 1, 1, 1), "rec": (1, 0, 1, 1), "fid": (1, 1, 1, 1),
                "k_t": (2, 0, 1, 1), "ips": (2, 1, 1, 1)}
QUALITY_PLOTS = ("quality", "fid")          # fed by the quality buffer (rows of their own, sparse)
FIXED_Y = {"d": (0, 1.05), "quality": (0, 1.05)}  # probabilities and shares
AUTO_Y = {"k_t": (0.0, 0.05)}   # k_t lives in [0, 1] but often near 0: its range follows the data from here
# Every metric is logged at the same steps, so all plots show the same step range; only the
# bottom row's step axes are drawn (the plots above read from them): a new range then
# regenerates two axes' ticks and text instead of seven (axes were ~20 % of the live
# monitor's CPU). The information loss's row exists only for InfoGAN runs.
X_AXIS_SHOWN = ("grad", "ips", "info", "k_t")


def title_html(title: str, entries: list[tuple[str, str, bool]]) -> str:
    """The plot's title with its legend in it: 'Title  ― D(x)  ― D(G(z))  - - D* = 1/2', each
    name in its curve's colour (a dashed mark for reference lines). Legends inside the plot
    covered the curves of narrow plots; a title never does."""
    marks = " &nbsp;".join(f"<span style='color:{c}'>{'- -' if dashed else '—'} {t}</span>"
                           for t, c, dashed in entries)
    head = f"<span style='color:#333333'>{title}</span>" if title else ""
    return head + (" &nbsp;" if head and marks else "") + marks


def nice_ceil(v: float) -> float:
    """The smallest round number >= v (v > 0) from 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k:
    steps of at most 1.33x, so a finished run fills at least 3/4 of the plot's width."""
    k = 10 ** math.floor(math.log10(v))
    return next(m * k for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * k >= v - 1e-9 * k)


def _narrow_title(label) -> None:
    """A long title is clipped, never widens its plot: pyqtgraph's LabelItem makes its text's
    width its minimum (and redoes it on every resize), which pushed the right-hand plots out of
    view. Keep the text's height, drop the width."""
    def update_min():
        h = label.itemRect().height()
        label.setMinimumSize(0, h)
        label._sizeHint = {Qt.SizeHint.MinimumSize: (0, h), Qt.SizeHint.PreferredSize: (0, h),
                           Qt.SizeHint.MaximumSize: (-1, -1), Qt.SizeHint.MinimumDescent: (0, 0)}
        label.updateGeometry()
    label.updateMin = update_min
    label.setFlag(label.GraphicsItemFlag.ItemClipsChildrenToShape, True)   # a clipped title stays in its plot
    update_min()


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
        self._drawn: dict[tuple, tuple] = {}                 # (run|cmp, plot) -> data stamp drawn
        self._managed: dict[str, bool] = {}                  # plot -> we set its range (user has not)
        self._next = 0                                        # round-robin position for budget
        self._in_legend: dict[str, bool] = {m: name not in QUALITY_PLOTS        # metric -> named in title
                                            for name, (_, series, _) in PLOTS.items() for m, _, _ in series}
        self._layout = LAYOUT
        for name, (title, series, ref) in PLOTS.items():
            p = pg.PlotItem()
            if name in LAYOUT:
                row, col, rs, cs = LAYOUT[name]
                self.addItem(p, row=row, col=col, rowspan=rs, colspan=cs)
            # no grid: its lines were ~60 % of a repaint here (the dashed reference lines stay)
            p.setDownsampling(auto=True, mode="peak")
            p.setClipToView(True)
            if name in X_AXIS_SHOWN:
                p.setLabel("bottom", "step")
            else:
                p.hideAxis("bottom")            # the bottom row's step axis reads for this one
            for side in ("left", "bottom"):
                p.getAxis(side).setPen(pg.mkPen("#555555"))
                p.getAxis(side).setTextPen(pg.mkPen("#333333"))
            for metric, label, colour in series:
                # 1-px pens without antialiasing: Qt's fast path (an antialiased 1.6 px pen
                # took ~100x longer to draw a noisy 4000-point curve here)
                # quality rows are sparse (one per sample grid): dots show each score, even the first
                dots = dict(symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=None) \
                    if name in QUALITY_PLOTS else {}
                self.curves[metric] = p.plot(pen=pg.mkPen(colour, width=1), antialias=False, **dots)
                dashed = pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine)
                c = p.plot(pen=dashed, antialias=False)
                c.setVisible(False)
                self.compare_curves[metric] = c
            if ref is not None:
                y, text = ref
                pen = pg.mkPen("#555555", width=1, style=Qt.PenStyle.DashLine)
                line = pg.InfiniteLine(pos=y, angle=0, movable=False, pen=pen)
                p.addItem(line, ignoreBounds=False)
                # named in the title, not with an InfiniteLine label: that label re-lays itself
                # out on every view change and cost ~75 ms per repaint of the five plots here
                self.ref_lines[name] = line
            self.plots[name] = p
            self._managed[name] = True
            p.vb.sigRangeChangedManually.connect(lambda *_, n=name: self._managed.__setitem__(n, False))
            p.enableAutoRange(enable=False)
        self.ci.layout.setColumnStretchFactor(0, 1)
        self.ci.layout.setColumnStretchFactor(1, 1)
        for name, (y0, y1) in FIXED_Y.items():
            self.plots[name].setYRange(y0, y1, padding=0.0)
        for name, (y0, y1) in AUTO_Y.items():
            self.plots[name].setYRange(y0, y1, padding=0.0)
        for name in PLOTS:
            self._retitle(name)
        self._has_codes = None

    @property
    def shown(self) -> list[str]:
        """The plots in the layout now (the others exist, hidden, for the other kinds)."""
        return [n for n in PLOTS if self.plots[n] in self.ci.items]

    def set_kind(self, kind: str) -> None:
        """BEGAN runs get M_global, the reconstruction errors and k_t in place of the D(x) = 1/2
        and log 4 plots; every other kind the GAN layout."""
        layout = BEGAN_LAYOUT if kind == "began" else LAYOUT
        if layout is self._layout:
            return
        self._layout = layout
        for name in self.shown:
            self.removeItem(self.plots[name])
        for name, (row, col, rs, cs) in layout.items():
            if name != "info":
                self.addItem(self.plots[name], row=row, col=col, rowspan=rs, colspan=cs)
        self._drawn.clear()
        if self._has_codes and "info" in layout:
            self._has_codes = None
            self.set_has_codes(True)

    def set_has_codes(self, has: bool) -> None:
        """The information loss's plot is a row of its own, there only for InfoGAN runs."""
        if has == self._has_codes:
            return
        self._has_codes = has
        p = self.plots["info"]
        if has and "info" in self._layout:
            row, col, rs, cs = self._layout["info"]
            self.addItem(p, row=row, col=col, rowspan=rs, colspan=cs)
        elif p in self.ci.items:
            self.removeItem(p)

    def _retitle(self, name: str) -> None:
        title, series, ref = PLOTS[name]
        entries = [(label, colour, False) for metric, label, colour in series
                   if self._in_legend[metric] and (len(series) > 1 or ref is not None)]
        if ref is not None:
            entries.append((ref[1], "#555555", True))
        p = self.plots[name]
        p.setTitle(title_html(title, entries), size="9pt", justify="left")
        _narrow_title(p.titleLabel)

    def refresh(self, buf: SeriesBuffer, alpha: float = 0.0, compare: SeriesBuffer | None = None,
                budget: int | None = None, quality: SeriesBuffer | None = None,
                compare_quality: SeriesBuffer | None = None) -> bool:
        """setData on the curves whose data moved, plot by plot, at most `budget` plots (None:
        all); returns whether anything was redrawn. The quality plots read `quality` (and
        `compare_quality`), unsmoothed: one row per sample grid is too sparse for an EMA."""
        self._sources = {name: ((quality, 0.0, compare_quality) if name in QUALITY_PLOTS else (buf, alpha, compare))
                         for name in PLOTS}
        stale = []
        shown = self.shown
        for name in shown:
            b_run, a, b_cmp = self._sources[name]
            for which, b in (("run", b_run), ("cmp", b_cmp)):
                if b is not None and self._drawn.get((which, name)) != (b.version, b.decimations, a):
                    stale.append(name)
                    break
        if not stale:
            return False
        names = list(PLOTS)
        stale.sort(key=lambda n: (names.index(n) - self._next) % len(names))   # round-robin
        for name in stale[:budget]:
            self._refresh_plot(name, *self._sources[name])
            self._next = (names.index(name) + 1) % len(names)
        return True

    def _refresh_plot(self, name: str, buf: SeriesBuffer, alpha: float, compare: SeriesBuffer | None) -> None:
        extent = []                         # (x0, x1, y0, y1) of what is drawn
        for which, b, curves in (("run", buf, self.curves), ("cmp", compare, self.compare_curves)):
            if b is None:
                continue
            self._drawn[(which, name)] = (b.version, b.decimations, alpha)
            x = b.x()
            for metric, _, _ in PLOTS[name][1]:
                curve = curves[metric]
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
                if which == "run" and name in QUALITY_PLOTS:
                    self._legend_lists(name, metric, len(ex) > 0)
                if which == "cmp":
                    curve.setVisible(True)
                if len(ex):
                    extent.append((ex[0], ex[-1], float(ey.min()), float(ey.max())))
        if extent:
            self._fit(name, extent)

    def _fit(self, name: str, extent: list) -> None:
        """Move the plot's range only when the data outgrew it (or shrank well inside it)."""
        p = self.plots[name]
        vb = p.vb
        if not self._managed[name]:
            if not any(vb.state["autoRange"]):
                return                       # the user's zoom/pan: leave it
            self._managed[name] = True       # the user pressed "A": take over again
            vb.enableAutoRange(enable=False)
        (x0, x1), (y0, y1) = vb.viewRange()
        lo, hi = min(e[0] for e in extent), max(e[1] for e in extent)
        if not (x0 <= lo and hi <= x1 and hi - lo >= 0.3 * (x1 - x0)):
            p.setXRange(min(lo, 0), nice_ceil(max(hi * 1.05, 1)), padding=0)
        if name in FIXED_Y:
            return                           # fixed 0..1.4: D's outputs and the 1/2 line, shares
        ref = PLOTS[name][2]
        lo = min([e[2] for e in extent] + ([ref[0]] if ref else []))
        hi = max([e[3] for e in extent] + ([ref[0]] if ref else []))
        span = hi - lo
        if span < 1e-6 * max(abs(hi), 1.0):          # one point (or a flat line): a round range around it,
            mag = 10 ** math.floor(math.log10(max(abs(hi), 1e-3)))      # not ticks like 26.78085525
            lo, hi = math.floor(lo / mag) * mag - mag, math.ceil(hi / mag) * mag + mag
            span = hi - lo
        if not (y0 <= lo and hi <= y1 and span >= 0.5 * (y1 - y0)):
            pad = 0.08 * span
            p.setYRange(lo - pad, hi + pad, padding=0)

    def _legend_lists(self, name: str, metric: str, on: bool) -> None:
        """Name a quality score in the title only while the run has it (a DCGAN has no
        'asked label'); setTitle re-lays out HTML text, so only on a change."""
        if self._in_legend.get(metric) == on:
            return
        self._in_legend[metric] = on
        self._retitle(name)

    def hide_compare(self) -> None:
        self._drawn.pop("cmp", None)
        for c in self.compare_curves.values():
            c.setData([], [])
            c.setVisible(False)
