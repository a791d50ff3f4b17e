"""LogAxis: a log-scale axis that labels a narrow range too.

pyqtgraph's log axis puts ticks only at 1..9 x 10^k and prints one significant digit, so a
curve between 0.0101 and 0.0105 got no label at all, and one between 0.012 and 0.02 a single
"0.02" (issue 28: the projector's loss plot had "no y-axis labels"). Where that leaves fewer
than two labels, this axis ticks at round linear steps instead (0.0101, 0.0102, ...), printed
with the digits the step needs; wider ranges keep pyqtgraph's own ticks.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg


class LogAxis(pg.AxisItem):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._linear_step = 0.0        # > 0 while this axis draws its own linear ticks

    def tickValues(self, minVal, maxVal, size):                      # noqa: N802 (pyqtgraph's name)
        ticks = super().tickValues(minVal, maxVal, size)
        self._linear_step = 0.0
        if not self.logMode or sum(len(v) for _, v in ticks) >= 2 or not maxVal > minVal:
            return ticks
        lo, hi = 10.0 ** minVal, 10.0 ** maxVal
        raw = (hi - lo) / 4                                          # about four labels
        mag = 10.0 ** math.floor(math.log10(raw))
        step = mag * next(m for m in (1, 2, 5, 10) if m * mag >= raw)
        values = np.arange(math.ceil(lo / step) * step, hi + step * 1e-6, step)
        values = values[values > 0]
        if len(values) < 2:
            return ticks
        self._linear_step = step
        return [(step, list(np.log10(values)))]

    def tickStrings(self, values, scale, spacing):                   # noqa: N802
        if not (self.logMode and self._linear_step):
            return super().tickStrings(values, scale, spacing)
        digits = max(0, -math.floor(math.log10(self._linear_step * scale)))
        return [f"{10.0 ** v * scale:.{digits}f}" for v in values]
