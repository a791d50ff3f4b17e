"""Generated points are drawn over the real ones, both translucent (issue 28 item 8: the real
points hid the generated ones wherever G covered a mode)."""
from __future__ import annotations

import numpy as np

from explorer.widgets.points_view import PointsView


def test_generated_points_are_on_top_and_both_sets_translucent(qtbot):
    v = PointsView()
    qtbot.addWidget(v)
    v.configure(2, with_real=True)
    rng = np.random.default_rng(0)
    v.set_points(rng.normal(size=(200, 2)).astype(np.float32), real=rng.normal(size=(200, 2)).astype(np.float32))
    real, gen = v._real_item, v._items[0]
    assert gen.zValue() > real.zValue()
    for item in (real, gen):
        assert item.opts["brush"].color().alpha() < 255


def test_the_playground_draws_g_over_the_real_points(qtbot):
    from explorer.playground.view import PlaygroundPlot
    view = PlaygroundPlot()
    qtbot.addWidget(view)
    assert view.fake.zValue() > view.real.zValue()
    assert view.fake._pen.color().alpha() < 255 and view.real._pen.color().alpha() < 255
