"""The Train tab for people (issue 28, item 3): a recipe list with what each trains and a time
measured on this machine, the few settings that matter in view and the rest under a collapsed
Advanced with "auto" for 0, rows by model kind from a table, and a 1024x768 window with no
sideways scrolling."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSpinBox

from explorer.training import fields
from explorer.training.panel import TrainPanel
from train.cli import config_from_args, train_parser
from train.config import VIEW_NAMES, TrainConfig, load_recipe, recipes_dir


@pytest.fixture
def panel(qtbot, tmp_path):
    p = TrainPanel(tmp_path / "runs")
    qtbot.addWidget(p)
    p.show()
    yield p
    p.estimator.stop()


def _fake_estimate(name="dcgan-digits", steps=936, step_s=0.2, setup_s=5.0, spe=468):
    return {"name": name, "model": "dcgan", "dataset": "digits", "steps": steps, "steps_per_epoch": spe,
            "step_s": step_s, "setup_s": setup_s, "seconds": setup_s + steps * step_s, "timed_steps": 6,
            "device": "cpu", "threads": 2, "bf16": False, "measured_at": "2026-12-07 07:00"}


def test_the_window_at_1024x768_shows_the_whole_form_without_a_sideways_scrollbar(window, qtbot):
    window.resize(1024, 768)
    tab = window.tools["train"]
    window.tabs.setCurrentWidget(tab)
    form = tab.form
    for kind, expanded in (("dcgan", False), ("infogan", True), ("cgan", True)):   # the widest rows
        form.model.setCurrentText(kind)
        form.advanced_button.setChecked(expanded)
        qtbot.wait(50)
        assert window.width() <= 1024 and window.minimumSizeHint().width() <= 1024
        assert not tab.scroll.horizontalScrollBar().isVisible()
        assert form.minimumSizeHint().width() <= tab.scroll.viewport().width(), kind
        assert tab.minimumSizeHint().width() <= tab.width()
    # the settings that matter are in view without opening anything
    form.advanced_button.setChecked(False)
    for w in (form.model, form.dataset, form.steps, form.seed, form.device, tab.start_button):
        assert w.isVisibleTo(window)
    assert not form.batch.isVisibleTo(window) and not form.lr_d.isVisibleTo(window)


def test_advanced_is_collapsed_and_says_auto_instead_of_zero(panel):
    form = panel.form
    assert not form.advanced.isVisible()
    assert form.g_width.text() == "auto" and form.d_width.text() == "auto"
    assert form.n_data.text().startswith("auto") and form.threads.text() == "auto"
    form.advanced_button.click()
    assert form.advanced.isVisible() and form.batch.isVisible()
    form.g_width.setValue(16)
    assert form.g_width.text() == "16" and form.config().model_overrides["g_width"] == 16


def test_rows_of_other_model_kinds_are_hidden(panel):
    form = panel.form
    form.advanced_button.setChecked(True)
    form.model.setCurrentText("dcgan")
    assert not form.cat_codes.isVisible() and not form.cond.isVisible() and form.d_norm.isVisible()
    form.model.setCurrentText("infogan")
    assert form.cat_codes.isVisible() and form.info_balance.isVisible() and form.cond.isVisible()
    form.model.setCurrentText("cgan")
    assert form.cond.isVisible() and form.cond.isEnabled() and not form.info_lambda.isVisible()


def test_a_new_kinds_setting_is_one_table_row_that_reaches_the_run(monkeypatch, qtbot, tmp_path):
    """A KindField (what BEGAN's gamma will be): shown only for its kinds, filled from a recipe,
    written to the run's app-recipe.toml, read back by the trainer's own parser."""
    monkeypatch.setattr(fields, "KIND_FIELDS", [fields.KindField(
        "z_dim", "z size", ("dcgan",), "model", lambda: fields.spin(1, 512, 100, "noise size"))])
    import explorer.training.form as form_mod
    monkeypatch.setattr(form_mod, "KIND_FIELDS", fields.KIND_FIELDS)
    p = TrainPanel(tmp_path / "runs")
    qtbot.addWidget(p)
    p.show()
    form = p.form
    w = form.kind_widgets["z_dim"]
    assert isinstance(w, QSpinBox)
    form.advanced_button.setChecked(True)
    form.model.setCurrentText("dcgan")
    assert w.isVisible() and w.isEnabled()
    w.setValue(24)
    args = form.args(tmp_path / "run")
    assert config_from_args(train_parser().parse_args(args)).model_overrides["z_dim"] == 24
    form.model.setCurrentText("gan")
    form.dataset.setCurrentText("ring8")
    assert not w.isVisible()
    assert "z_dim" not in config_from_args(train_parser().parse_args(form.args(tmp_path / "r2"))).model_overrides
    form.recipe.setCurrentIndex(form.recipe.findText("cgan-digits"))      # [model] z_dim = 100
    assert w.value() == 100


def test_epoch_recipes_train_for_their_epochs_and_toys_count_steps(panel, tmp_path):
    """dcgan-digits says 2 epochs: the run trains 2 epochs (it used to take the form's 2,000
    steps); a toy is drawn without end, so its length is in steps."""
    form = panel.form
    form.recipe.setCurrentIndex(form.recipe.findText("dcgan-digits"))
    assert form.length_unit.currentText() == "epochs" and form.epochs.value() == 2.0
    assert form.epochs.isVisible() and not form.steps.isVisible()
    args = form.args(tmp_path / "run")
    cfg = config_from_args(train_parser().parse_args(args))
    assert cfg.epochs == 2.0 and cfg.steps == 0
    form.seed.setValue(7)
    assert config_from_args(train_parser().parse_args(form.args(tmp_path / "r2"))).seed == 7
    form.recipe.setCurrentIndex(form.recipe.findText("gan-ring8"))
    assert form.length_unit.currentText() == "steps" and form.steps.value() == 60000
    assert not form.length_unit.model().item(1).isEnabled()                  # no epochs for a toy


def test_recipes_show_what_they_train_and_a_measured_time(panel):
    """Kept estimates show at once: in the list (with how they were made in the tooltip) and under
    the settings, scaled to the length asked; other settings ask to be measured."""
    from explorer.training.estimates import estimate_key
    form, cache = panel.form, panel.estimator.cache
    path = dict(form.recipe.recipes())["dcgan-digits"]
    cache.put(panel._recipe_key(path), _fake_estimate())
    for name, p in form.recipe.recipes():
        if name != "dcgan-digits":
            cache.put(panel._recipe_key(p), _fake_estimate(name, step_s=0.01))
    panel.measure_recipes()
    assert not panel.estimator.busy                                     # all kept: nothing to run
    i = form.recipe.findText("dcgan-digits")
    text = form.recipe.item(i).text()
    assert "DCGAN on the embedded digits" in text and "~3 min (est.)" in text
    assert "timed on this machine" in form.recipe.item(i).toolTip()
    form.recipe.setCurrentIndex(i)
    assert "Estimated time on this machine: ~3 min" in panel.estimate_label.text()
    form.epochs.setValue(4.0)                                           # 4 x 468 steps x 0.2 s
    assert "~6 min" in panel.estimate_label.text() and "1,872 steps" in panel.estimate_label.text()
    assert not panel.estimate_button.isVisible()
    form.batch.setValue(32)                                             # a different step: not known
    assert "No time estimate" in panel.estimate_label.text() and panel.estimate_button.isVisible()
    cache.put(estimate_key(form.speed_signature()), _fake_estimate("custom", step_s=0.1))
    form.batch.setValue(31)
    form.batch.setValue(32)
    assert "Estimated time on this machine: ~3 min" in panel.estimate_label.text()


def test_the_estimate_button_times_these_settings_in_a_child_process(panel, qtbot):
    """A real child (`gan-explorer estimate`) on a tiny toy: the answer arrives, is kept, and shows."""
    form = panel.form
    form.model.setCurrentText("gan")
    form.dataset.setCurrentText("ring8")
    form.steps.setValue(1000)
    form.device.setCurrentText("cpu")
    panel.estimator.seconds = 0.2
    assert panel.estimate_button.isVisible()
    with qtbot.waitSignal(panel.estimator.estimate_ready, timeout=120000) as sig:
        panel.estimate_button.click()
    e = sig.args[1]
    assert e["steps"] == 1000 and e["timed_steps"] >= 2 and e["step_s"] > 0
    assert "Estimated time on this machine" in panel.estimate_label.text()
    assert panel.estimate_for_form() == e


def test_starting_a_run_stops_the_timing_and_says_so(panel, qtbot):
    """Timing recipes beside a training run would slow both and skew the times."""
    from test_training import _tiny
    panel.measure_recipes(again=True)
    assert panel.estimator.busy
    _tiny(panel.form)
    run = panel.start()
    try:
        assert run is not None and not panel.estimator.busy
        assert all(panel.form.recipe.estimate_text(n) == "not measured" for n, _ in panel.form.recipe.recipes())
        assert not panel.remeasure_button.isEnabled()
    finally:
        panel.process.stop()
        ended = panel.process.wait(60)
        if ended is None:                         # never leave a run training behind the suite
            panel.process.proc.kill()
    assert ended is not None, "Stop right after Start must end the run"


def test_infogan_clustering_and_its_changes_reach_the_run(panel, tmp_path):
    """The InfoGAN-only rows of KIND_FIELDS (info_real_cluster, info_views, the outline consistency): shown for InfoGAN,
    filled from a recipe, and what the trainer's parser reads back."""
    form = panel.form
    form.advanced_button.setChecked(True)
    form.model.setCurrentText("infogan")
    cluster, views = form.kind_widgets["info_real_cluster"], form.kind_widgets["info_views"]
    outline, start = form.kind_widgets["info_cat_consistency"], form.kind_widgets["info_consistency_from"]
    assert cluster.isVisible() and views.isVisible() and outline.isVisible() and start.isVisible()
    cluster.setValue(2.5)
    outline.setValue(1.5)
    start.setValue(0.1875)
    assert views.currentData() == "full"                                     # the trainer's default
    assert [views.itemData(i) for i in range(views.count())] == list(VIEW_NAMES)
    views.setCurrentIndex(views.findData("small"))
    late = form.kind_widgets["info_late_views"]
    assert late.isVisible() and late.currentData() == ""                    # default: as info_views
    late.setCurrentIndex(late.findData("levels"))
    cfg = config_from_args(train_parser().parse_args(form.args(tmp_path / "run")))
    assert cfg.info_late_views == "levels"
    assert cfg.info_real_cluster == 2.5 and cfg.info_views == "small" and cfg.info_cat_consistency == 1.5
    assert cfg.info_consistency_from == 0.1875
    form.model.setCurrentText("dcgan")
    assert not cluster.isVisible()


def test_a_full_disk_when_starting_says_so_in_the_form_and_starts_nothing(panel, monkeypatch):
    """The run's app-recipe.toml is written atomically; if the disk is full the form says so in one
    line, no half-written recipe is left, and no training starts."""
    import errno

    import explorer.training.form as form_mod
    form = panel.form
    form.recipe.setCurrentIndex(form.recipe.findText("infogan-digits"))   # codes go in app-recipe.toml

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(form_mod, "write_text_atomic", full)
    assert panel.start() is None
    msg = form.message.text()
    assert "app-recipe.toml" in msg and "disk is full" in msg and "\n" not in msg and "Error" not in msg
    assert not panel.process.active
    assert not list(panel.runs_dir.rglob("app-recipe.toml*"))


def test_data_set_variants_are_accepted_and_a_bad_one_is_named(panel):
    """shapes:mono and faces:ATTRIBUTE are built-in data sets the form accepts (a recipe may name
    one); an unknown variant is flagged on the data set field like any bad name."""
    form = panel.form
    form.model.setCurrentText("infogan")
    for name in ("shapes:mono", "faces:hair_style", "shapes"):
        form.dataset.setCurrentText(name)
        assert form.validate(), (name, form.message.text())
        assert form.image_size.isEnabled()
    assert form.dataset.findText("shapes:mono") >= 0
    form.dataset.setCurrentText("shapes:grey")
    assert not form.validate()
    assert "shapes:grey" in form.message.text() and form.dataset.styleSheet()


def test_every_recipe_reaches_the_trainer_with_its_own_kind_settings(panel, tmp_path):
    """Choosing a recipe and pressing Start trains what the recipe says: every KIND_FIELDS setting
    of its train table (or the trainer's default where it says nothing) comes back from the command
    line the form writes. (A views box that lost its "full" entry once turned infogan-shapes' full
    changes into digits' small ones.)"""
    form, defaults = panel.form, TrainConfig()
    for path in sorted(recipes_dir().glob("*.toml")):
        train, _ = load_recipe(path)
        form.recipe.setCurrentIndex(form.recipe.findText(path.stem))
        cfg = config_from_args(train_parser().parse_args(form.args(tmp_path / path.stem)))
        for f in fields.KIND_FIELDS:
            if f.table == "train":
                want = train.get(f.key, getattr(defaults, f.key))
                assert getattr(cfg, f.key) == want, (path.stem, f.key)
