"""The playground: a toy GAN trains on a worker thread and the heat-map / curves follow."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.playground.panel import PlaygroundPanel

WAIT = 60000          # the first toy imports torch.optim's extras on the worker (slow on a busy CPU)


@pytest.fixture
def playground(qtbot):
    p = PlaygroundPanel()
    qtbot.addWidget(p)
    p.resize(900, 700)
    with qtbot.waitSignal(p.snapshot_shown, timeout=WAIT):
        p.show()                      # the first toy is built when the tab is first shown
    yield p
    p.shutdown()


def _heat(p):
    return p.plot.heat.image.copy()


def test_heatmap_updates_after_single_d_and_g_steps(playground, qtbot):
    p = playground
    assert p.plot.currentWidget() is p.plot.plot2d
    before = _heat(p)
    assert before.dtype == np.uint8 and before.shape[2] == 3
    fake0 = p.snapshot["fake"].copy()
    with qtbot.waitSignal(p.snapshot_shown, timeout=WAIT):
        p.d_button.click()
    assert p.snapshot["d_updates"] == 1 and p.snapshot["step"] == 0
    assert not np.array_equal(_heat(p), before)          # D moved, G did not
    assert np.array_equal(p.snapshot["fake"], fake0)
    with qtbot.waitSignal(p.snapshot_shown, timeout=WAIT):
        p.g_button.click()
    assert p.snapshot["step"] == 1 and not np.array_equal(p.snapshot["fake"], fake0)
    assert "G steps 1" in p.status.text()


def test_the_heat_map_reaches_every_edge_of_the_plot(playground, qtbot):
    """Issue 28 item 8: in a wide window the heat map stopped short of the plot's left and right
    edges; now the view shows exactly the heat map's rectangle, in a square plot."""
    p = playground
    p.resize(1100, 600)
    qtbot.wait(100)
    rect = p.plot.heat.mapRectToView(p.plot.heat.boundingRect())
    (x0, x1), (y0, y1) = p.plot.plot2d.getPlotItem().getViewBox().viewRange()
    assert abs(x0 - rect.left()) < 1e-3 * rect.width() and abs(x1 - rect.right()) < 1e-3 * rect.width()
    assert abs(y0 - rect.top()) < 1e-3 * rect.height() and abs(y1 - rect.bottom()) < 1e-3 * rect.height()
    box = p.plot.plot2d.getPlotItem().getViewBox().size()
    assert abs(box.width() - box.height()) <= 0.05 * box.height()


def test_play_trains_live_and_arrows_show(playground, qtbot):
    p = playground
    p.arrows.setChecked(True)
    p.set_playing(True)
    qtbot.waitUntil(lambda: p.snapshot["step"] >= 20, timeout=WAIT)
    p.set_playing(False)
    qtbot.waitUntil(lambda: not p.snapshot["playing"], timeout=WAIT)
    assert p.plot.arrows.isVisible() and p.snapshot["arrows"].shape == p.snapshot["fake"].shape
    assert p.plot.frames >= 3


def test_gauss1d_shows_densities_and_the_optimal_discriminator(playground, qtbot):
    p = playground
    with qtbot.waitSignal(p.snapshot_shown, timeout=WAIT):
        p.dataset.setCurrentText("gauss1d")
    assert p.plot.currentWidget() is p.plot.plot1d
    s = p.snapshot
    d_opt = s["d_opt"][np.isfinite(s["d_opt"])]
    assert len(d_opt) > 100 and np.all((d_opt >= 0) & (d_opt <= 1)) and s["p_data"].max() > 0.3
    xs, ys = p.plot.d_opt.getOriginalDataset()
    assert len(xs) == len(s["xs"])
    assert p.plot.half.value() == 0.5


def test_a_checkpoint_without_toy_data_is_refused_with_a_message(playground, qtbot, checkpoints):
    p = playground
    p.open_path(checkpoints["dcgan"])
    qtbot.waitUntil(lambda: "toy models" in p.status.text(), timeout=WAIT)
    with qtbot.waitSignal(p.snapshot_shown, timeout=WAIT):
        p.d_button.click()                # the toy shown before is still there


def test_screenshot_of_a_toy_checkpoint(qtbot, tmp_path):
    from PIL import Image

    from explorer.screenshot import main
    from gan_models import default_config
    from gan_models.checkpoint import save_checkpoint
    from gan_models.registry import build_discriminator, build_generator
    cfg = default_config("gan", (2,), g_width=16, d_width=16)
    ck = save_checkpoint(tmp_path / "ring.safetensors", cfg, build_generator(cfg), build_discriminator(cfg),
                         meta={"dataset": "ring8", "step": 10})
    out = tmp_path / "pg.png"
    assert main(["--panel", "playground", "--model", str(ck), "-o", str(out), "--size", "900x600"]) == 0
    with Image.open(out) as im:
        assert im.size[1] == 600
