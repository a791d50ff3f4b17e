"""The Train tab's BEGAN gamma slider: only for BEGAN, says what it trades, and reaches the
command line the run is started with."""
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


def test_gamma_slider_is_for_began_and_reaches_the_command_line(form, tmp_path):
    form.model.setCurrentText("dcgan")
    assert not form.began.isEnabled() and "--began-gamma" not in form.args(tmp_path / "a")
    form.model.setCurrentText("began")
    form.dataset.setCurrentText("digits")
    assert form.began.isEnabled() and not form.d_norm.isEnabled() and form.valid, form.message.text()
    text = form.began.sentence.text()
    assert "low γ" in text and "sharper" in text and "high γ" in text and "varied" in text
    assert form.began.value() == 0.5                                   # the paper's default
    form.began.set_value(0.7)
    args = form.args(tmp_path / "b")
    assert args[args.index("--began-gamma") + 1] == "0.7" and "--d-norm" not in args
    cfg = config_from_args(train_parser().parse_args(args))           # what the CLI will run
    assert cfg.model == "began" and cfg.began_gamma == 0.7


def test_began_on_points_is_refused_in_the_form(form):
    form.model.setCurrentText("began")
    form.dataset.setCurrentText("ring8")
    assert not form.valid and "convolutional" in form.message.text()
