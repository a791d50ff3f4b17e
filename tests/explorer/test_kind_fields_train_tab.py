"""The Train tab's kind-only rows (KIND_FIELDS): BEGAN's gamma as a slider with its sentence,
lambda_k and h, shown only for BEGAN, with the adversarial-only rows hidden; D's minibatch std for
the adversarial conv kinds; and what the run's parser reads."""
from __future__ import annotations

import pytest

from explorer.training.panel import TrainPanel
from train.cli import config_from_args, train_parser


@pytest.fixture
def form(qtbot, tmp_path):
    p = TrainPanel(tmp_path / "runs")
    qtbot.addWidget(p)
    p.show()
    yield p.form


def test_gamma_slider_is_for_began_and_reaches_the_run(form, tmp_path):
    gamma = form.kind_widgets["began_gamma"]
    form.advanced_button.setChecked(True)
    form.model.setCurrentText("dcgan")
    assert not gamma.isVisible() and form.d_norm.isVisible()
    form.model.setCurrentText("began")
    form.dataset.setCurrentText("digits")
    assert gamma.isVisible() and gamma.isEnabled() and form.valid, form.message.text()
    assert not form.d_norm.isVisible() and not form.pack.isVisible() and not form.g_loss.isVisible()
    text = gamma.sentence.text()
    assert "low γ" in text and "sharper" in text and "high γ" in text and "varied" in text
    assert gamma.value() == 0.5                                   # the paper's default
    gamma.set_value(0.7)
    form.kind_widgets["h_dim"].setValue(32)
    args = form.args(tmp_path / "b")
    assert "--d-norm" not in args
    cfg = config_from_args(train_parser().parse_args(args))      # what the CLI will run
    assert cfg.model == "began" and cfg.began_gamma == 0.7 and cfg.model_overrides["h_dim"] == 32
    cfg.validate()


def test_began_on_points_is_refused_in_the_form(form):
    form.model.setCurrentText("began")
    form.dataset.setCurrentText("ring8")
    assert not form.valid and "convolutional" in form.message.text()


def test_minibatch_std_row_is_for_adversarial_conv_kinds_and_reaches_the_run(form, tmp_path):
    box = form.kind_widgets["d_mbstd"]
    form.advanced_button.setChecked(True)
    form.model.setCurrentText("began")
    assert not box.isVisible()
    form.model.setCurrentText("dcgan")
    form.dataset.setCurrentText("faces")
    assert box.isVisible() and box.value() == 0 and box.text() == "off"
    lay = form.advanced.layout()                     # beside D's other settings, under the PacGAN row
    assert lay.getWidgetPosition(box)[0] == lay.getWidgetPosition(form.pack.parentWidget())[0] + 1
    box.setValue(4)
    args = form.args(tmp_path / "m")
    cfg = config_from_args(train_parser().parse_args(args))
    assert cfg.model_overrides["d_mbstd"] == 4
    cfg.validate()


def test_every_kind_row_follows_a_row_that_exists():
    """A KindField whose `after` names no ROWS label would never be laid out."""
    from explorer.training.fields import KIND_FIELDS, ROWS
    labels = {r.label for r in ROWS}
    assert all(f.after == "" or f.after in labels for f in KIND_FIELDS)
