"""The Train tab: the form flags bad values, and a real (tiny) run starts, pauses, resumes,
stops with a saved checkpoint, and opens in the explorer."""
from __future__ import annotations

import pytest

from explorer.training.form import SHAPES
from explorer.training.panel import TrainPanel
from explorer.training.process import CAN_PAUSE
from train.data import builtin_family
from train.run_folder import read_jsonl


def _tiny(form, steps=3000):
    form.model.setCurrentText("dcgan")
    form.dataset.setCurrentText("digits")
    form.steps.setValue(steps)
    form.batch.setValue(16)
    form.g_width.setValue(8)
    form.d_width.setValue(8)
    form.n_data.setValue(256)
    form.log_every.setValue(2)
    form.sample_every.setValue(10)
    form.device.setCurrentText("cpu")


@pytest.fixture
def panel(qtbot, tmp_path):
    p = TrainPanel(tmp_path / "runs")
    qtbot.addWidget(p)
    p.show()
    yield p
    if p.process.active:
        p.process.stop()
        p.process.wait(30)


def test_invalid_values_are_flagged_and_block_start(panel):
    form = panel.form
    assert panel.start_button.isEnabled()
    form.lr_d.setText("fast")
    assert not panel.start_button.isEnabled()
    assert "not a number" in form.message.text() and "d0021b" in form.lr_d.styleSheet()
    form.lr_d.setText("2e-4")
    form.model.setCurrentText("cgan")
    form.dataset.setCurrentText("ring8")
    assert not form.valid and "labels" in form.message.text()
    form.model.setCurrentText("gan")
    form.pack.setValue(3)
    assert not form.valid and "multiple of the pack" in form.message.text()
    form.pack.setValue(2)
    assert form.valid and panel.start_button.isEnabled() and form.message.text() == ""


def test_gpu_options_become_flags_and_bf16_needs_a_cuda_gpu_or_a_bf16_cpu(panel, tmp_path, monkeypatch):
    import torch

    import train.device
    form = panel.form
    _tiny(form)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(train.device, "bf16_native", lambda device: device.type == "cpu")
    form.bf16.setChecked(True)                                 # device cpu with native bf16: fine
    assert form.valid
    monkeypatch.setattr(train.device, "bf16_native", lambda device: False)
    form.bf16.setChecked(False)
    form.bf16.setChecked(True)                                 # a CPU without it: refused
    assert not form.valid and not panel.start_button.isEnabled()
    assert "CUDA" in form.message.text() and "d0021b" in form.bf16.styleSheet()
    form.device.setCurrentText("auto")                         # auto on a machine without CUDA: still no
    assert not form.valid and "no CUDA GPU" in form.message.text()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    form.device.setCurrentText("cuda")
    form.channels_last.setChecked(True)
    form.compile.setChecked(True)
    assert form.valid and form.message.text() == ""
    args = form.args(tmp_path / "run")
    assert args[args.index("--amp") + 1] == "bf16" and "--channels-last" in args and "--compile" in args
    form.bf16.setChecked(False)
    form.channels_last.setChecked(False)
    form.compile.setChecked(False)
    args = form.args(tmp_path / "run")
    assert "--amp" not in args and "--channels-last" not in args and "--compile" not in args
    recipe = tmp_path / "fast.toml"                      # a recipe that switches compile on ...
    recipe.write_text('[train]\nmodel = "dcgan"\ndataset = "digits"\ncompile = true\n')
    form.recipe.addItem("fast", str(recipe))
    form.recipe.setCurrentIndex(form.recipe.count() - 1)
    assert form.compile.isChecked()
    form.compile.setChecked(False)                        # ... and the user unticks it: the run obeys
    from train.cli import config_from_args, train_parser
    assert not config_from_args(train_parser().parse_args(form.args(tmp_path / "run2"))).compile


def test_own_images_of_any_size_train_at_the_size_picked_in_the_form(panel, tmp_path):
    """A folder of mixed-size colour PNGs, size 32x32 picked in the form: the run's command
    carries --image-size 32 and the data it loads is 3x32x32; toys have no size to pick."""
    import numpy as np
    from PySide6.QtGui import QImage

    from train.cli import config_from_args, train_parser
    from train.setup import load_data
    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, (w, h) in enumerate([(50, 40), (90, 90), (17, 23), (64, 48)] * 3):
        a = np.ascontiguousarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).save(str(folder / f"img{i}.png"))
    form = panel.form
    _tiny(form)
    form.dataset.setCurrentText(str(folder))
    assert form.image_size.isEnabled() and form.image_size.currentData() == 0      # auto
    assert "--image-size" not in form.args(tmp_path / "auto")
    form.image_size.setCurrentIndex(form.image_size.findData(32))
    assert form.valid
    args = form.args(tmp_path / "run")
    assert args[args.index("--image-size") + 1] == "32"
    cfg = config_from_args(train_parser().parse_args(args))
    assert cfg.image_size == 32 and load_data(cfg).x.shape[1:] == (3, 32, 32)
    form.model.setCurrentText("gan")
    form.dataset.setCurrentText("ring8")                   # points: no image size
    assert not form.image_size.isEnabled() and "--image-size" not in form.args(tmp_path / "toy")


def test_the_shapes_set_is_offered_and_its_recipes_fill_a_valid_form(panel):
    """Every built-in data set is in the list (shapes included, labelled: CGAN may train on it),
    and picking the dcgan-shapes recipe gives a form that can start."""
    form = panel.form
    offered = [form.dataset.itemText(i) for i in range(form.dataset.count())]
    assert "shapes" in offered and "shapes:mono" in offered
    assert {builtin_family(o) for o in offered} <= set(SHAPES)       # the checks know each one (or its family)
    form.recipe.setCurrentIndex(form.recipe.findText("dcgan-shapes"))
    assert form.dataset.currentText() == "shapes" and form.valid, form.message.text()
    assert form.channels_last.isChecked() and form.image_size.isEnabled()
    form.model.setCurrentText("cgan")
    assert form.valid, form.message.text()
    form.dataset.setCurrentText("grid25")
    assert not form.valid and "digits or shapes" in form.message.text()


def test_cpu_threads_pass_through_and_a_recipe_fills_them(panel, tmp_path):
    form = panel.form
    _tiny(form)
    assert "--num-threads" not in form.args(tmp_path / "run")          # auto: torch's default
    form.threads.setValue(3)
    args = form.args(tmp_path / "run")
    assert args[args.index("--num-threads") + 1] == "3"
    form.recipe.setCurrentIndex(form.recipe.findText("infogan-digits"))   # its recipe says 1 thread
    assert form.threads.value() == 1
    form.recipe.setCurrentIndex(form.recipe.findText("gan-ring8"))        # says nothing: auto again
    assert form.threads.value() == 0


def test_infogan_code_balance_reaches_the_command_line(panel, tmp_path):
    """The real-data code-balance weight (our addition to InfoGAN): only InfoGAN takes it, a
    recipe's value fills it, and the command line carries what the form shows."""
    form = panel.form
    _tiny(form)
    assert not form.info_balance.isEnabled()
    assert "--info-real-balance" not in form.args(tmp_path / "a")
    form.recipe.setCurrentIndex(form.recipe.findText("infogan-digits"))
    assert form.info_balance.isEnabled() and form.info_balance.value() == 0.0   # the recipe: the paper's
    form.info_balance.setValue(1.5)
    args = form.args(tmp_path / "b")
    assert args[args.index("--info-real-balance") + 1] == "1.5"
    assert form.config().info_real_balance == 1.5


def test_shape_keeping_q_switch_reaches_the_command_line_and_can_be_unchecked(panel, tmp_path):
    """info_cat_augment (our addition): InfoGAN only; checked it becomes --info-cat-augment;
    unchecked it is off even though the chosen recipe's own file may switch it on."""
    form = panel.form
    _tiny(form)
    assert not form.info_augment.isEnabled()
    form.recipe.setCurrentIndex(form.recipe.findText("infogan-shapes"))
    assert form.info_augment.isEnabled()
    form.info_augment.setChecked(True)
    assert "--info-cat-augment" in form.args(tmp_path / "a") and form.config().info_cat_augment
    form.info_augment.setChecked(False)
    args = form.args(tmp_path / "b")
    assert "--info-cat-augment" not in args and "info_cat_augment" not in (tmp_path / "b" / "app-recipe.toml").read_text()
    form.model.setCurrentText("dcgan")
    assert not form.info_augment.isEnabled() and not form.config().info_cat_augment


def test_recipe_fills_the_form(panel, tmp_path):
    form = panel.form
    form.recipe.setCurrentIndex(form.recipe.findText("gan-ring8"))
    assert form.model.currentText() == "gan" and form.dataset.currentText() == "ring8"
    assert form.pack.value() == 4 and form.batch.value() == 512
    assert form.lr_decay.value() == 0.5                       # the recipe's lr_decay_from
    args = form.args(tmp_path / "run")
    assert args[args.index("--lr-decay-from") + 1] == "0.5"
    form.recipe.setCurrentIndex(form.recipe.findText("dcgan-digits"))
    assert form.lr_decay.value() == 1.0                       # no decay in that recipe


def test_start_pause_resume_stop_and_open(panel, qtbot):
    _tiny(panel.form)
    started = []
    panel.run_started.connect(started.append)
    run = panel.start()
    assert run is not None and started == [str(run)]
    assert panel.process.state == "running" and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: len(read_jsonl(run / "metrics.jsonl")) >= 2, timeout=30000)
    if CAN_PAUSE:
        panel.pause_button.click()
        assert panel.process.state == "paused" and panel.resume_button.isEnabled()
        qtbot.wait(300)
        n = len(read_jsonl(run / "metrics.jsonl"))
        qtbot.wait(700)
        assert len(read_jsonl(run / "metrics.jsonl")) == n          # suspended: no new rows
        panel.resume_button.click()
        qtbot.waitUntil(lambda: len(read_jsonl(run / "metrics.jsonl")) > n, timeout=10000)
    qtbot.waitUntil(lambda: "img/s" in panel.progress.format(), timeout=10000)
    assert "ETA" in panel.progress.format()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.process.state == "stopped", timeout=30000)
    assert (run / "checkpoints" / "latest.safetensors").is_file()
    assert panel.open_button.isEnabled() and panel.start_button.isEnabled()
    with qtbot.waitSignal(panel.open_requested) as sig:
        panel.open_button.click()
    assert sig.args[0].endswith("latest.safetensors")


def test_a_failing_run_reports_instead_of_crashing(panel, qtbot, tmp_path):
    _tiny(panel.form)
    panel.form.dataset.setCurrentText(str(tmp_path))   # exists, but holds no data set
    run = panel.start()
    assert run is not None
    qtbot.waitUntil(lambda: panel.process.state == "failed", timeout=30000)
    assert "no data set found" in panel.status.text()


def test_closing_while_training_cancels_stops_with_a_checkpoint_or_keeps_it_running(panel, qtbot):
    import os
    import signal

    from train.run_folder import read_jsonl as rows
    _tiny(panel.form, steps=100000)
    run = panel.start()
    qtbot.waitUntil(lambda: len(rows(run / "metrics.jsonl")) >= 2, timeout=30000)
    panel.ask_close = lambda: "cancel"
    assert panel.confirm_close() is False and panel.process.state == "running"   # the window stays
    panel.ask_close = lambda: "stop"
    assert panel.confirm_close() is True
    assert panel.process.state == "stopped" and (run / "checkpoints" / "latest.safetensors").is_file()
    assert any(e.get("event") == "stopped" for e in rows(run / "events.jsonl"))

    run2 = panel.start()
    qtbot.waitUntil(lambda: len(rows(run2 / "metrics.jsonl")) >= 2, timeout=30000)
    proc = panel.process.proc
    panel.ask_close = lambda: "keep"
    try:
        assert panel.confirm_close() is True and not panel.process.active
        n = len(rows(run2 / "metrics.jsonl"))
        qtbot.waitUntil(lambda: len(rows(run2 / "metrics.jsonl")) > n + 2, timeout=30000)   # still training
        assert proc.poll() is None
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(60)


def test_the_training_subprocess_gets_the_users_blas_setting_not_the_apps(monkeypatch):
    """The app limits numpy's OpenBLAS to one thread for itself; a training it starts must not
    inherit that limit, but does keep a value the user set."""
    import explorer
    monkeypatch.setattr(explorer, "BLAS_LIMIT_SET_HERE", True)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    env = explorer.child_environ(PYTHONUNBUFFERED="1")
    assert "OPENBLAS_NUM_THREADS" not in env and env["PYTHONUNBUFFERED"] == "1"
    monkeypatch.setattr(explorer, "BLAS_LIMIT_SET_HERE", False)
    assert explorer.child_environ()["OPENBLAS_NUM_THREADS"] == "1"


def test_d_norm_and_conditioning_become_flags_and_follow_the_recipe(panel, tmp_path):
    form = panel.form
    _tiny(form)
    assert not form.cond.isEnabled()                            # a DCGAN has no label to condition on
    form.model.setCurrentText("cgan")
    assert form.cond.isEnabled()
    form.d_norm.setCurrentIndex(form.d_norm.findData("spectral"))
    form.cond.setCurrentIndex(form.cond.findData("projection"))
    args = form.args(tmp_path / "run")
    assert args[args.index("--d-norm") + 1] == "spectral" and args[args.index("--cond") + 1] == "projection"
    form.pack.setValue(2)                                       # a projection D scores single samples
    assert not form.valid and "projection" in form.message.text()
    form.pack.setValue(1)
    assert form.valid
    form.recipe.setCurrentIndex(form.recipe.findText("cgan-digits"))
    assert form.d_norm.currentData() == "batch" and form.cond.currentData() == "concat"


def test_a_recipes_fractional_lr_decay_reaches_the_run_to_four_places(panel, tmp_path):
    """cgan-faces says lr_decay_from = 2/3 (the fall starts at step 4,000 of 6,000): started from the
    Train tab, the run's fall starts within a step of the recipe's (two decimals made it step 4,020)."""
    form = panel.form
    form.recipe.setCurrentIndex(form.recipe.findText("cgan-faces"))
    args = form.args(tmp_path / "run")
    start = float(args[args.index("--lr-decay-from") + 1]) * 6000
    assert abs(start - 4000) < 1.0
