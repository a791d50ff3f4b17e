"""The Projector panel: runs off the UI thread, shows the target, the reconstruction and a live
loss curve, sends the latent it found to a slot or a bookmark, and Cancel stops it."""
import numpy as np
from PIL import Image

from explorer.model_session import info_from_checkpoint
from explorer.panels.projector import ProjectorPanel
from gan_models.checkpoint import load_checkpoint


def _info(path):
    return info_from_checkpoint(load_checkpoint(path), 1, 0, "CPU")


def _panel(qtbot, renderer, path):
    panel = ProjectorPanel(renderer)
    qtbot.addWidget(panel)
    panel.set_model(_info(path))
    return panel


def test_points_models_are_told_why_not(checkpoints):
    assert "makes points" in ProjectorPanel.unavailable_reason(_info(checkpoints["points2d"]))
    assert ProjectorPanel.unavailable_reason(_info(checkpoints["cgan"])) is None


def test_a_short_projection_fills_the_curve_and_the_reconstruction(qtbot, renderer, checkpoints):
    panel = _panel(qtbot, renderer, checkpoints["cgan"])
    assert panel.target_view.array() is not None            # a held-out digit is the first target
    assert "D features" in panel.status.text()               # this checkpoint has D
    panel.steps.setValue(20)
    panel.restarts.setValue(1)
    with qtbot.waitSignal(panel.projection_finished, timeout=120_000) as done:
        panel.start_button.click()
        assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
    result = done.args[0]
    assert not result.cancelled and result.steps_done == 20 and result.label is not None
    xs, ys = panel.curve.getData()
    assert len(xs) >= 4 and np.all(np.isfinite(ys))
    assert panel.recon_view.array().shape == (28, 28, 1)
    assert panel.start_button.isEnabled() and "Done" in panel.status.text()
    panel.shutdown()


def test_the_result_goes_to_slot_a_and_the_bookmarks(qtbot, window, checkpoints):
    window.open_model(checkpoints["infogan"])
    qtbot.waitUntil(lambda: window.info is not None)
    window.select_panel("projector")
    panel = window.panels["projector"]
    panel.steps.setValue(10)
    panel.restarts.setValue(1)
    assert not panel.send_buttons["A"].isEnabled()          # nothing found yet
    with qtbot.waitSignal(panel.projection_finished, timeout=120_000):
        panel.start_button.click()
    panel.send_buttons["A"].click()
    panel.send_buttons["bookmark"].click()
    sent = window.panels["arithmetic"].slots["A"].latents[-1]
    assert np.array_equal(sent.z, panel.result.z) and np.array_equal(sent.codes, panel.result.codes)
    assert sent.note.startswith("projected digits sample")
    names = [n for n, _ in window.panels["arithmetic"].bookmarks.bookmarks()]
    assert names[-1] == sent.note


def test_cancel_stops_early_and_keeps_the_best_so_far(qtbot, renderer, checkpoints):
    panel = _panel(qtbot, renderer, checkpoints["dcgan"])
    panel.steps.setValue(5000)
    with qtbot.waitSignal(panel.projection_finished, timeout=120_000) as done:
        panel.start_button.click()
        qtbot.waitUntil(lambda: len(panel._steps) > 0, timeout=60_000)
        panel.cancel_button.click()
    assert done.args[0].cancelled and done.args[0].steps_done < 5000
    assert "Cancelled" in panel.status.text() and panel.send_buttons["A"].isEnabled()


def test_an_image_file_becomes_the_target_and_a_bad_one_is_reported(qtbot, renderer, checkpoints, tmp_path):
    panel = _panel(qtbot, renderer, checkpoints["dcgan"])
    img = np.zeros((90, 60, 3), np.uint8)
    img[20:70, 25:35] = 255
    Image.fromarray(img).save(tmp_path / "one.jpg")
    assert panel.open_image(tmp_path / "one.jpg")
    shown = panel.target_view.array()
    assert shown.shape == (28, 28, 1) and shown.max() > 200 and shown[0, 0, 0] == 0
    (tmp_path / "bad.png").write_text("nope")
    messages = []
    panel.status_message.connect(messages.append)
    assert not panel.open_image(tmp_path / "bad.png")
    assert "bad.png" in messages[-1] and np.array_equal(panel.target_view.array(), shown)   # old target kept
