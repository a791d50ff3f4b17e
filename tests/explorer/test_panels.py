"""What a user sees change in each panel: seeds, labels, codes, arithmetic, interpolation."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gan_models.images import read_png_text


def _same(a, b) -> bool:
    return a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_changing_the_seed_changes_the_grid_and_the_same_seed_gives_it_back(window, checkpoints):
    window.open_model(checkpoints["dcgan"])
    p = window.panels["sampling"]
    first = p.grid.array().copy()
    assert first.shape == (8 * 30 + 2, 8 * 30 + 2, 1)
    p.seed.setValue(1)
    assert not _same(p.grid.array(), first)
    p.seed.setValue(0)
    assert _same(p.grid.array(), first)


def test_grid_size_and_truncation_change_the_samples(window, checkpoints):
    window.open_model(checkpoints["dcgan"])
    p = window.panels["sampling"]
    p.rows.setValue(3)
    p.cols.setValue(5)
    assert p.grid.array().shape == (3 * 30 + 2, 5 * 30 + 2, 1)
    before = p.grid.array().copy()
    p.truncation.setValue(0.3)
    assert not _same(p.grid.array(), before)


def test_clicking_a_sample_enlarges_it_and_shows_its_seed_and_z(window, checkpoints, qtbot):
    window.open_model(checkpoints["dcgan"])
    p = window.panels["sampling"]
    rect = p.grid._cell_rect(10, p.grid.image_rect())
    qtbot.mouseClick(p.grid, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert p.grid.selected == 10
    assert np.array_equal(p.inspector.view.array(), p.result.images[10])
    assert "seed 0 #10" in p.inspector.text.text()
    assert f"{p.result.batch.z[10, 0]:+.2f}" in p.inspector.text.text()


def test_cgan_class_picker_changes_the_image(window, checkpoints):
    window.open_model(checkpoints["cgan"])
    p = window.panels["sampling"]
    p.label.setCurrentIndex(1 + 3)                 # "three"
    three = p.grid.array().copy()
    assert "three" in p.inspector.text.text()
    p.label.setCurrentIndex(1 + 7)
    assert not _same(p.grid.array(), three)


def test_conditional_grid_has_a_column_per_class_and_the_mix_slider_moves_the_image(window, checkpoints):
    window.open_model(checkpoints["cgan"])
    window.select_panel("conditional")
    p = window.panels["conditional"]
    assert p.grid.column_labels == ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert p.grid_result.images.shape[0] == 6 * 10
    imgs = p.grid_result.images                    # one z per row: columns differ only by label
    assert not _same(imgs[0], imgs[1])
    p.t.setValue(0.0)
    at_a = p.mix.array().copy()
    assert _same(at_a, imgs[0])                    # t = 0: pure class "zero" with row 0's z
    p.t.setValue(1.0)
    assert _same(p.mix.array(), imgs[1])           # t = 1: pure class "one"
    p.t.setValue(0.5)
    assert not _same(p.mix.array(), at_a)


def test_codes_slider_and_selector_change_the_images_live(window, checkpoints):
    window.open_model(checkpoints["infogan"])
    window.select_panel("codes")
    p = window.panels["codes"]
    assert len(p.cont_sliders) == 2 and len(p.cat_boxes) == 1
    assert p.grid.column_labels[0] == "now" and len(p.grid.column_labels) == 1 + 10   # cat1 has 10 values
    before = p.grid.array().copy()
    p.cont_sliders[0].setValue(1.5)                # the sweep follows the slider while it moves
    after = p.grid.array().copy()
    assert not _same(after, before)
    p.cat_boxes[0].setCurrentIndex(4)
    assert not _same(p.grid.array(), after)
    p.sweep.setCurrentText("cont2")
    assert len(p.grid.column_labels) == 1 + 9 and p.grid.column_labels[1] == "-2.0"


@pytest.mark.parametrize("kind", ["dcgan", "began"])
def test_arithmetic_with_the_same_latent_thrice_gives_that_latent_back(window, checkpoints, kind):
    window.open_model(checkpoints[kind])
    s = window.panels["sampling"]
    s.grid.cell_clicked.emit(5)
    for target in ("A", "B", "C"):
        window.panels["arithmetic"].slots[target].clear()
        s.inspector.send_buttons[target].click()
    a = window.panels["arithmetic"]
    assert a.slots["A"].caption.text() == "seed 0 #5"
    assert _same(a.out.view.array(), a.slots["A"].view.array())
    assert _same(a.out.view.array(), s.result.images[5])
    assert a.neighbours.array() is not None


def test_a_slot_averages_several_latents(window, checkpoints):
    window.open_model(checkpoints["dcgan"])
    a = window.panels["arithmetic"]
    one = a.slots["A"].view.array().copy()
    a.add_to_slot("A", a.slots["B"].latents[0])
    assert a.slots["A"].caption.text() == "mean of 2"
    assert not _same(a.slots["A"].view.array(), one)
    a.slots["B"].clear()
    assert a.out.view.array() is None and "Fill A, B and C" in a.out.view.placeholder


def test_interpolation_strip_starts_and_ends_at_its_endpoints(window, checkpoints):
    window.open_model(checkpoints["cgan"])
    s = window.panels["sampling"]
    s.grid.cell_clicked.emit(2)
    s.inspector.send_buttons["start"].click()
    s.grid.cell_clicked.emit(9)
    s.inspector.send_buttons["end"].click()
    p = window.panels["interpolation"]
    for mode in ("slerp", "lerp"):
        p.mode.setCurrentIndex(p.mode.findData(mode))
        imgs = p.result.images
        assert len(imgs) == 10
        assert _same(imgs[0], s.result.images[2]) and _same(imgs[-1], s.result.images[9])
        assert not _same(imgs[4], imgs[0])
    p.both.setChecked(True)
    assert len(p.result.images) == 20 and p.strip.row_labels == ["lerp", "slerp"]


def test_interpolation_exports_png_and_gif(window, checkpoints, tmp_path):
    from PIL import Image
    window.open_model(checkpoints["dcgan"])
    p = window.panels["interpolation"]
    p.save_strip(tmp_path / "strip.png")
    p.save_animation(tmp_path / "strip.gif")
    assert read_png_text(tmp_path / "strip.png")["steps"] == "10"
    with Image.open(tmp_path / "strip.gif") as gif:
        assert gif.n_frames == 18 and gif.size == (28 * 4, 28 * 4)


def test_saved_png_carries_seed_labels_and_z(window, checkpoints, tmp_path):
    window.open_model(checkpoints["cgan"])
    p = window.panels["sampling"]
    p.seed.setValue(42)
    p.save_grid(tmp_path / "grid.png")
    text = read_png_text(tmp_path / "grid.png")
    assert text["seed"] == "42" and text["kind"] == "cgan" and len(eval(text["labels"])) == 64
    p.save_sample(tmp_path / "one.png", 3)
    one = read_png_text(tmp_path / "one.png")
    assert one["index"] == "3" and one["label"] in ("zero", "one", "two", "three", "four", "five",
                                                   "six", "seven", "eight", "nine")
    assert len(eval(one["z"])) == 100
    window.open_model(checkpoints["infogan"])
    p.save_sample(tmp_path / "info.png", 0)
    assert read_png_text(tmp_path / "info.png")["codes"].startswith("cat1=")


def test_discriminator_scores_show_under_each_sample(window, checkpoints):
    window.open_model(checkpoints["dcgan"])
    p = window.panels["sampling"]
    assert p.scores.isVisibleTo(p)
    p.scores.setChecked(True)
    assert len(p.grid.captions) == 64 and all(0 <= float(c) <= 1 for c in p.grid.captions)
    assert "D score" in p.inspector.text.text()


@pytest.mark.parametrize("kw", [dict(pack=2), dict(d_mbstd=4, d_norm="spectral")])
def test_no_d_score_where_d_judges_samples_together(window, tmp_path, kw):
    """A PacGAN D scores pairs and a minibatch-std D compares each sample with its group: the box
    is shown greyed out with the reason, and no captions appear."""
    import torch

    from gan_models import default_config
    from gan_models.checkpoint import save_checkpoint
    from gan_models.registry import build_discriminator, build_generator
    cfg = default_config("dcgan", (1, 28, 28), g_width=8, d_width=8, **kw)
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "together.safetensors", cfg, build_generator(cfg).eval(),
                           build_discriminator(cfg).eval(), meta={"dataset": "digits", "step": 1})
    window.open_model(path)
    p = window.panels["sampling"]
    assert window.info.d_score_kind == "none"
    assert p.scores.isVisibleTo(p) and not p.scores.isEnabled() and "no score belongs" in p.scores.toolTip()
    p.scores.setChecked(True)                      # even if forced on, nothing pretends to be a score
    assert p.grid.captions == [] and "D score" not in p.inspector.text.text()


def test_copy_puts_the_image_on_the_clipboard(window, checkpoints):
    from PySide6.QtGui import QGuiApplication
    window.open_model(checkpoints["dcgan"])
    p = window.panels["sampling"]
    p.copy_grid_button.click()
    img = QGuiApplication.clipboard().image()
    assert (img.width(), img.height()) == (p.grid.array().shape[1], p.grid.array().shape[0])


def test_directions_rows_walk_one_sample_whose_middle_column_is_the_sample(window, checkpoints):
    window.open_model(checkpoints["cgan"])
    window.select_panel("directions")
    p = window.panels["directions"]
    assert window.hosts["directions"].available and p.found is not None
    assert len(p.found.vectors) == 6 and p.grid.row_labels[0].startswith("#1 ")
    r = p.result
    assert len(r.images) == 6 * 9 and p.grid.column_labels[4] == "sample"
    base = r.images[4]
    for row in range(6):                                   # the middle column is the untouched sample
        assert _same(r.images[row * 9 + 4], base)
    assert not _same(r.images[0], base) and not _same(r.images[8], base)
    assert np.allclose(r.batch.label, r.batch.label[0])    # the class stays, only z moves
    before = p.grid.array().copy()
    p.reach.setValue(1.0)
    assert not _same(p.grid.array(), before) and p.grid.column_labels[0] == "-1.0σ"
    p.count.setValue(3)                                    # a new search, three rows
    assert len(p.found.vectors) == 3 and len(p.result.images) == 3 * 9
    window.panels["arithmetic"].slots["A"].clear()
    p.send(9 + 8, "A")                                     # direction 2, the far right of its row
    sent = window.panels["arithmetic"].slots["A"].latents
    assert len(sent) == 1 and "direction 2 +1.00σ" in sent[0].note
    assert np.array_equal(sent[0].z, p.result.batch.z[17])


def test_directions_panel_explains_itself_for_points_models(window, checkpoints):
    window.open_model(checkpoints["points2d"])
    assert not window.hosts["directions"].available
    assert "points" in window.hosts["directions"].message.text()


def test_points_models_of_a_toy_data_set_show_real_points_beside_generated(window, tmp_path):
    from gan_models import default_config
    from gan_models.checkpoint import save_checkpoint
    from gan_models.registry import build_generator
    for name, shape in (("ring8", (2,)), ("gauss1d", (1,)), ("unknown", (2,))):
        cfg = default_config("gan", shape, g_width=16, d_width=16)
        path = save_checkpoint(tmp_path / f"{name}.safetensors", cfg, build_generator(cfg).eval(),
                               meta={"dataset": name})
        window.open_model(path)
        p = window.panels["sampling"]
        gen = p.points.points
        if name == "unknown":                     # no data set to draw from: generated only
            assert p.points.real is None
            continue
        real = p.points.real
        assert real is not None and real.shape == gen.shape          # as many real as generated
        if name == "ring8":                        # real points lie on the unit ring
            assert np.allclose(np.linalg.norm(real, axis=1), 1.0, atol=0.06)
        p.npoints.setValue(500)
        assert p.points.real.shape == (500, shape[0])
