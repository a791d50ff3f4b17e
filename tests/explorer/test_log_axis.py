"""The projector's log loss axis labels a narrow range (issue 28 item 8: a loss that moved
little showed a y axis without a single label)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from explorer.widgets.log_axis import LogAxis


def _labels(axis_item, lo, hi, qtbot):
    w = pg.PlotWidget(axisItems={"left": axis_item})
    qtbot.addWidget(w)
    w.resize(600, 300)
    w.setLogMode(y=True)
    w.getAxis("left").enableAutoSIPrefix(False)
    w.plot(np.arange(50.0), np.geomspace(hi, lo, 50))
    w.show()
    qtbot.wait(20)
    ax = w.getAxis("left")
    y0, y1 = w.getViewBox().viewRange()[1]
    return [s for spacing, values in ax.tickValues(y0, y1, 300) for s in ax.tickStrings(values, ax.scale, spacing)]


@pytest.mark.parametrize("lo, hi", [(0.0101, 0.0105), (0.012, 0.02), (0.4, 0.45)])
def test_a_narrow_range_gets_several_distinct_readable_labels(qtbot, lo, hi):
    assert len(_labels(pg.AxisItem("left"), lo, hi, qtbot)) < 2          # pyqtgraph's own: 0 or 1
    labels = _labels(LogAxis(orientation="left"), lo, hi, qtbot)
    assert len(labels) >= 2 and len(set(labels)) == len(labels)
    assert all(lo * 0.9 <= float(t) <= hi * 1.1 for t in labels)


def test_a_wide_range_keeps_pyqtgraphs_decade_ticks(qtbot):
    assert _labels(LogAxis(orientation="left"), 0.0017, 0.03, qtbot) == _labels(pg.AxisItem("left"), 0.0017, 0.03, qtbot)


def test_the_projector_plot_uses_it(window):
    assert isinstance(window.panels["projector"].plot.getAxis("left"), LogAxis)
