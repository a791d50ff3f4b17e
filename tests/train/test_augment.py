"""info_cat_augment: the shape-keeping random change Q reads InfoGAN's categorical code through."""
import numpy as np
import pytest
import torch

from gan_models.errors import ConfigError
from train.augment import VIEWS, shape_keeping
from train.config import VIEW_NAMES, TrainConfig
from train.data import shapes
from train.setup import create_trainer

from conftest import tiny_config


def _centred_sprites(n_per_shape=6):
    """Rendered sprites small and central enough that no change pushes them out of the frame."""
    shape = np.repeat(np.arange(len(shapes.SHAPES)), n_per_shape)
    rng = np.random.default_rng(0)
    f = {"x": rng.uniform(-0.1, 0.1, len(shape)).astype(np.float32),
         "y": rng.uniform(-0.1, 0.1, len(shape)).astype(np.float32),
         "scale": rng.uniform(0.28, 0.35, len(shape)).astype(np.float32),
         "hue": rng.uniform(0, 0.8, len(shape)).astype(np.float32),
         "rotation": rng.uniform(0, 1, len(shape)).astype(np.float32)}
    return shape, shapes.render(shape, f)


def _mask(x):
    """Pixels that differ from the image's corner (its background) by more than half the most."""
    d = (x - x[:, :, :1, :1]).abs().amax(1)                        # (B, H, W)
    return d > 0.5 * d.flatten(1).amax(1)[:, None, None]


def _fill_and_centre(x):
    """Area / area of the centroid-centred circle through the farthest pixel (rotation, scale
    and translation invariant: circle ~1, square 2/pi, triangle ~0.5), centroid and area."""
    m = _mask(x).float()
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    area = m.sum((1, 2))
    cx, cy = (m * xs).sum((1, 2)) / area, (m * ys).sum((1, 2)) / area
    r2 = ((xs - cx[:, None, None]) ** 2 + (ys - cy[:, None, None]) ** 2) * m
    return area / (np.pi * r2.flatten(1).amax(1)), torch.stack([cx, cy], 1), area


def test_changes_position_size_and_colour_but_keeps_the_shape():
    shape, x = _centred_sprites()
    y = shape_keeping(x, torch.Generator().manual_seed(1))
    fill0, c0, a0 = _fill_and_centre(x)
    fill1, c1, a1 = _fill_and_centre(y)
    # the shape's own signature survives for every sprite (to the rasteriser's few pixels) ...
    assert (fill1 - fill0).abs().max() < 0.1
    # ... and still tells circles (fill ~1) from squares (2/pi) from triangles (~0.5)
    by_shape = [float(fill1[shape == s].mean()) for s in range(4)]
    assert by_shape[1] > 0.9 > 0.75 > by_shape[0] > 0.6 > 0.55 > by_shape[2]
    # what Q may not read the code from is changed: position, size and colour
    assert (c1 - c0).norm(dim=1).median() > 3.0                     # pixels moved
    ratio = a1 / a0
    assert ratio.min() > 0.8 ** 2 * 0.85 and ratio.max() < 1.25 ** 2 * 1.15
    assert ratio.std() > 0.05                                       # zoomed by different amounts
    col0 = (x * _mask(x)[:, None]).sum((2, 3)).argmax(1)            # dominant channel
    col1 = (y * _mask(y)[:, None]).sum((2, 3)).argmax(1)
    assert (col0 != col1).float().mean() > 0.3                      # recoloured


def test_is_repeatable_per_seed_differs_per_image_and_passes_gradients():
    _, x = _centred_sprites(2)
    same = [shape_keeping(x, torch.Generator().manual_seed(7)) for _ in range(2)]
    assert torch.equal(same[0], same[1])
    assert not torch.equal(same[0], shape_keeping(x, torch.Generator().manual_seed(8)))
    one = x[:1].expand(4, -1, -1, -1).contiguous()                  # four copies, four draws
    out = shape_keeping(one, torch.Generator().manual_seed(0))
    assert len({tuple(out[i].flatten()[::97].tolist()) for i in range(4)}) == 4
    grey = torch.zeros(3, 1, 64, 64, requires_grad=True)           # one channel: no recolouring
    shape_keeping(grey + torch.linspace(-1, 1, 64), torch.Generator()).square().sum().backward()
    assert grey.grad.abs().sum() > 0                                # G learns through the change


def test_small_views_keep_orientation_and_colour():
    """views "small" (for digits): an L-shaped stroke is never mirrored or turned past 15
    degrees, and colour is kept; "full" turns it anywhere."""
    x = -torch.ones(64, 3, 64, 64)
    x[:, 0, 16:48, 20:26] = 1                                       # a red L: vertical bar ...
    x[:, 0, 42:48, 20:44] = 1                                       # ... and its foot to the right
    def mass_centre(img):
        m = (img.amax(1) > -0.5).float()                            # any colour, on grey
        ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
        a = m.sum((1, 2))
        return (m * xs).sum((1, 2)) / a, (m * ys).sum((1, 2)) / a
    cx0, cy0 = mass_centre(x[:1])
    small = shape_keeping(x, torch.Generator().manual_seed(3), "small")
    cx, cy = mass_centre(small)
    # the mass stays right of the bar and below the middle relative to the moved L: no mirror/turn
    bar_x = ((small.amax(1) > -0.5).float().sum(1) > 10).float().argmax(1)     # leftmost tall column
    assert bool((cx > bar_x.float() + 3).all())
    assert float((small[:, 1:] - x[:, 1:]).abs().amax()) < 1e-5 or bool((small[:, 1:] <= -0.99).all())
    full = shape_keeping(x, torch.Generator().manual_seed(3), "full")
    fx, _ = mass_centre(full)
    assert float(fx.std()) > 3 * float(cx.std())                    # "full" turns and mirrors
    with pytest.raises(KeyError):
        shape_keeping(x, torch.Generator(), "huge")


def test_silhouette_views_drop_colour_and_brightness_but_keep_the_shape():
    """views "silhouette": the same sprite in two colours (one bright, one dark) gives the same
    view under the same draw, every channel equal, in [-1, 1]; the shape's fill ratio is kept."""
    shape, x = _centred_sprites(2)
    dark = (x - x[:, :, :1, :1]) * 0.3 + x[:, :, :1, :1]            # same sprites, dimmer colours
    hue = x[:, [2, 0, 1]]                                           # ... and other hues
    a, b, c = (shape_keeping(v, torch.Generator().manual_seed(5), "silhouette") for v in (x, dark, hue))
    assert float((a - b).abs().amax()) < 0.02 and float((a - c).abs().amax()) < 0.02
    assert float((a[:, 0] - a[:, 2]).abs().amax()) == 0.0 and a.min() >= -1 and a.max() <= 1
    fill0, _, _ = _fill_and_centre(x)
    fill, _, _ = _fill_and_centre(a)
    assert float((fill - fill0).abs().amax()) < 0.12                 # a circle stays round, a triangle thin
    x.requires_grad_(True)
    shape_keeping(x, torch.Generator().manual_seed(5), "silhouette").sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_engine_reads_the_categorical_code_through_the_change_only_when_asked():
    def q_after_one_step(on):
        tr = create_trainer(tiny_config("infogan", "digits", info_cat_augment=on), out=None, write=False)
        tr.step()
        return torch.cat([p.detach().flatten() for p in tr.D.q.parameters()])
    plain, changed = q_after_one_step(False), q_after_one_step(True)
    assert not torch.allclose(plain, changed)
    assert torch.equal(plain, q_after_one_step(False))
    with pytest.raises(Exception, match="info-cat-augment"):
        tiny_config("infogan", "digits", info_cat_augment="yes")


def test_levels_views_hide_a_code_written_in_the_background_brightness():
    """views "levels": the full changes plus a random contrast and brightness per image. The
    bundled infogan-shapes (session 20) told two code values apart by a background 0.02 brighter;
    a hue turn keeps brightness, so through "full" views that split still reads perfectly, through
    "levels" views no better than a guess. The geometry is the same draw as "full"."""
    _, x = _centred_sprites(8)
    x = torch.cat([x, x + 0.02])                                    # group 1: the same, bg 0.02 brighter
    group = torch.arange(len(x)) >= len(x) // 2

    def split_accuracy(views):
        v = shape_keeping(x, torch.Generator().manual_seed(3), views)
        bg = v.mean(1).flatten(1).median(1).values                  # each view's background level
        best = max(float(((bg > t) == group).float().mean()) for t in bg)
        return best, v

    full, fv = split_accuracy("full")
    levels, lv = split_accuracy("levels")
    assert full == 1.0 and levels < 0.8
    mask = _mask(fv)
    assert float((_mask(lv) ^ mask).float().mean()) < 0.01           # same outline, same place
    assert set(VIEWS) == set(VIEW_NAMES)                            # every view can be asked for
    with pytest.raises(ConfigError, match="info-views 'levelz': expected full, small, silhouette, levels"):
        TrainConfig(model="infogan", dataset="shapes", info_views="levelz").validate()
