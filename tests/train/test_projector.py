"""The projector: an image made from a known input is found again (the image, the CGAN label,
the InfoGAN code), cancelling stops it early, and bad inputs are one clear error."""
import numpy as np
import pytest
import torch

from gan_models import default_config
from gan_models.checkpoint import load_checkpoint
from gan_models.errors import GanExplorerError
from gan_models.registry import build_discriminator, build_generator
from train.projector import ProjectorConfig, load_image, prepare_target, project

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "resources" / "models"
QUICK = ProjectorConfig(steps=120, restarts=2)


@pytest.fixture(scope="module")
def bundled():
    return {n: load_checkpoint(MODELS / f"{n}-digits.safetensors").generator for n in ("dcgan", "cgan", "infogan")}


def _mse(a, b) -> float:
    return float((a - b).square().mean())


def test_an_image_made_from_a_known_z_is_reconstructed_far_better_than_a_random_z(bundled):
    g = bundled["dcgan"]
    with torch.no_grad():
        target = g.generate(torch.randn(1, g.z_dim, generator=torch.Generator().manual_seed(7)))[0]
        random = g.generate(torch.randn(16, g.z_dim, generator=torch.Generator().manual_seed(8)))
    baseline = float((random - target).square().flatten(1).mean(1).mean())
    r = project(g, target, cfg=QUICK)
    assert r.pixel_mse < 0.1 * baseline
    assert _mse(r.image, target) == pytest.approx(r.pixel_mse, rel=1e-4)
    assert r.losses == ("pixel",) and r.label is None and r.codes is None
    assert r.z.shape == (g.z_dim,) and r.z.dtype == np.float32
    with torch.no_grad():                              # the reported z really makes that image
        again = g.generate(torch.from_numpy(r.z)[None])[0]
    assert _mse(again, r.image) < 1e-10


@pytest.mark.parametrize("label", [3, 8])
def test_cgan_finds_the_label_an_image_was_generated_with(bundled, label):
    g = bundled["cgan"]
    with torch.no_grad():
        z = torch.randn(1, g.z_dim, generator=torch.Generator().manual_seed(label))
        target = g.generate(z, torch.tensor([label]))[0]
    r = project(g, target, cfg=QUICK)
    assert r.label == label
    assert list(r.candidates)[0] == f"label {label}" and len(r.candidates) == 10


def test_infogan_finds_the_categorical_code_and_keeps_codes_in_range(bundled):
    g = bundled["infogan"]
    lay = g.code_layout
    with torch.no_grad():
        z = torch.rand(1, g.z_dim, generator=torch.Generator().manual_seed(1)) * 2 - 1
        codes = lay.encode(torch.tensor([[4]]), torch.tensor([[0.5, -0.5]]), 1)
        target = g.generate(z, None, codes)[0]
    r = project(g, target, cfg=QUICK)
    assert r.cat == [4] and len(r.cont) == 2
    assert r.codes.shape == (lay.dim,) and np.abs(r.z).max() <= 1.0      # uniform z stays in its support
    assert r.pixel_mse < 0.05


def test_same_seed_same_result_and_progress_reports_live(bundled):
    g = bundled["dcgan"]
    target = torch.zeros(1, 28, 28) - 1
    seen = []
    cfg = ProjectorConfig(steps=30, restarts=2, report_every=10, seed=5)
    a = project(g, target, cfg=cfg, progress=seen.append)
    b = project(g, target, cfg=cfg)
    assert np.array_equal(a.z, b.z)
    assert [p.step for p in seen] == [10, 20, 30, 30]          # every 10 steps, then the final one
    assert seen[-1].image.shape == (1, 28, 28) and seen[-1].loss == pytest.approx(a.loss)
    assert len(a.history) == 31


def test_cancel_stops_between_steps_and_keeps_the_best_so_far(bundled):
    calls = []
    r = project(bundled["cgan"], torch.zeros(1, 28, 28), cfg=ProjectorConfig(steps=300),
                should_stop=lambda: calls.append(1) or len(calls) >= 5)
    assert r.cancelled and r.steps_done == 5
    assert r.label is not None and np.isfinite(r.z).all()


def test_a_checkpoint_with_d_adds_the_feature_loss():
    cfg = default_config("cgan", (1, 28, 28), g_width=8, d_width=8)
    torch.manual_seed(0)
    g, d = build_generator(cfg).eval(), build_discriminator(cfg).eval()
    r = project(g, torch.zeros(1, 28, 28), d, ProjectorConfig(steps=10, restarts=1))
    assert r.losses == ("pixel", "D features")
    assert r.loss > r.pixel_mse                                   # the feature term counts
    assert all(p.requires_grad for p in g.parameters())            # G is left as it was


def test_bad_inputs_are_one_clear_error(bundled, tmp_path):
    g = bundled["dcgan"]
    with pytest.raises(GanExplorerError, match="target image is"):
        project(g, torch.zeros(3, 32, 32))
    with pytest.raises(GanExplorerError, match="NaN"):
        project(g, torch.full((1, 28, 28), float("nan")))
    pts = build_generator(default_config("gan", (2,)))
    with pytest.raises(GanExplorerError, match="image models"):
        project(pts, torch.zeros(2))
    with pytest.raises(GanExplorerError, match="positive"):
        project(g, torch.zeros(1, 28, 28), cfg=ProjectorConfig(steps=0))
    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(GanExplorerError, match="not a readable image"):
        load_image(tmp_path / "x.png")
    with pytest.raises(GanExplorerError, match="no such image"):
        load_image(tmp_path / "missing.png")


def test_any_image_is_converted_to_the_models_shape_and_range(tmp_path):
    from PIL import Image
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[10:30, 20:40] = (255, 255, 255, 255)                      # a white square, the rest transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "sq.png")
    img = load_image(tmp_path / "sq.png")
    assert img.shape == (3, 40, 60) and float(img.max()) == 1.0 and float(img.min()) == 0.0
    t = prepare_target(img, (1, 28, 28))
    assert t.shape == (1, 28, 28) and -1.0 <= float(t.min()) and float(t.max()) <= 1.0
    assert float(t[0, 14, 14]) > 0.9 and float(t[0, 0, 0]) == -1.0     # ink in the middle, black border
    inv = prepare_target(img, (3, 32, 32), invert=True)
    assert inv.shape == (3, 32, 32) and float(inv[0, 16, 16]) < -0.9
