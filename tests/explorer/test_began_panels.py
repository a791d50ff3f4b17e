"""The panels on a BEGAN checkpoint: sampling with D's reconstruction error as the score,
interpolation, directions and the projector (arithmetic: test_panels.py) (pixel + D-feature loss)."""
from __future__ import annotations

import numpy as np
import torch

from gan_models.checkpoint import load_checkpoint


def _same(a, b) -> bool:
    return a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_sampling_shows_ds_reconstruction_error_under_each_sample(window, checkpoints):
    window.open_model(checkpoints["began"])
    p = window.panels["sampling"]
    assert window.info.kind == "began" and window.info.d_score_kind == "reconstruction"
    assert p.scores.isVisibleTo(p) and "reconstruction error" in p.scores.toolTip()
    p.scores.setChecked(True)
    caps = p.grid.captions
    assert len(caps) == 64 and all(len(c.split(".")[1]) == 3 for c in caps)   # 0.123: three decimals
    # the numbers are D's mean pixel error on each sample, recomputed here from the checkpoint
    ck = load_checkpoint(checkpoints["began"])
    x = ck.generator.eval().generate(torch.as_tensor(p.result.batch.z[:4]).float())
    want = ck.discriminator.eval().rec_error(x)
    assert np.allclose([float(c) for c in caps[:4]], want.detach().numpy(), atol=1.5e-3)
    assert "reconstruction error" in p.inspector.text.text()
    p.seed.setValue(3)
    assert len(p.grid.captions) == 64 and p.grid.captions != caps


def test_interpolation_and_directions_work_on_began(window, checkpoints):
    """(Arithmetic on BEGAN: tests/explorer/test_panels.py, parametrized over kinds.)"""
    window.open_model(checkpoints["began"])
    s = window.panels["sampling"]
    s.grid.cell_clicked.emit(2)
    s.inspector.send_buttons["start"].click()
    s.grid.cell_clicked.emit(9)
    s.inspector.send_buttons["end"].click()
    p = window.panels["interpolation"]
    imgs = p.result.images
    assert len(imgs) == 10 and _same(imgs[0], s.result.images[2]) and _same(imgs[-1], s.result.images[9])
    window.select_panel("directions")
    d = window.panels["directions"]
    assert window.hosts["directions"].available and d.found is not None
    r = d.result
    assert len(r.images) == 6 * 9 and _same(r.images[4], r.images[9 + 4])   # middle column: the sample


def test_projector_uses_ds_encoder_features_on_began(qtbot, renderer, checkpoints):
    from explorer.model_session import info_from_checkpoint
    from explorer.panels.projector import ProjectorPanel
    panel = ProjectorPanel(renderer)
    qtbot.addWidget(panel)
    panel.set_model(info_from_checkpoint(load_checkpoint(checkpoints["began"]), 1, 0, "CPU"))
    assert "D features" in panel.status.text()
    panel.steps.setValue(10)
    panel.restarts.setValue(1)
    with qtbot.waitSignal(panel.projection_finished, timeout=120_000) as done:
        panel.start_button.click()
    assert not done.args[0].cancelled and done.args[0].steps_done == 10
    assert panel.recon_view.array().shape == (28, 28, 1)
    panel.shutdown()
