"""InfoGAN's outline consistency (info_cat_consistency; our addition, 0 in the paper): the outline
descriptor ignores where, how large and in what colour a shape is drawn but not which shape it is;
the Fisher ratio it is scored with; and that the term reaches G only when asked."""
import pytest
import torch

from train.augment import normalized_silhouette
from train.losses import code_consistency
from train.setup import create_trainer
from conftest import tiny_config


def _sprite(kind: str, cx: float, cy: float, r: float, colour, size: int = 64) -> torch.Tensor:
    """One (3, size, size) image in [-1, 1]: a square, circle, cross or (upright) triangle of
    half-width r (fractions of the half-frame) at (cx, cy) in `colour` on a dark background."""
    u = torch.linspace(-1, 1, size)
    y, x = u.view(-1, 1), u.view(1, -1)
    dx, dy = (x - cx).abs(), (y - cy).abs()
    inside = {"square": (dx <= r) & (dy <= r),
              "circle": dx ** 2 + dy ** 2 <= r ** 2,
              "cross": ((dx <= r) & (dy <= r / 3)) | ((dx <= r / 3) & (dy <= r)),
              "triangle": (y - cy <= r) & (dx <= (y - cy + r) / 2)}[kind]
    img = torch.full((3, size, size), -0.9)
    for c in range(3):
        img[c][inside] = colour[c]
    return img


def test_outline_ignores_position_size_and_colour_but_not_the_shape():
    small_corner = _sprite("square", -0.5, 0.45, 0.2, (0.9, -0.5, -0.5))
    big_middle = _sprite("square", 0.05, -0.1, 0.55, (-0.5, 0.2, 0.9))
    circle = _sprite("circle", 0.05, -0.1, 0.55, (-0.5, 0.2, 0.9))
    d = normalized_silhouette(torch.stack([small_corner, big_middle, circle]))
    assert d.shape == (3, 24 * 24) and torch.allclose(d.norm(dim=1), torch.ones(3))
    same = float((d[0] - d[1]).pow(2).sum())
    other = float((d[1] - d[2]).pow(2).sum())
    assert same < other / 4, (same, other)


def test_a_few_odd_pixels_cannot_change_the_outline():
    """A generator asked about its own outlines found it could change them with a handful of
    pixels: odd corner pixels moved the corner-median background, and the mask came out inverted
    (session 20). Three painted corners and one stray bright pixel must leave the outline as it is."""
    clean = _sprite("triangle", 0.1, 0.0, 0.3, (-0.6, -0.6, 0.9))     # dark blue on dark, small
    odd = clean.clone()
    for (a, b) in ((0, 0), (0, -1), (-1, -1)):
        odd[:, a, b] = torch.tensor([0.9, -0.3, 0.9])
    odd[:, 40, 5] = torch.tensor([1.0, 1.0, 1.0])
    cross = _sprite("cross", 0.1, 0.0, 0.3, (-0.6, -0.6, 0.9))
    d = normalized_silhouette(torch.stack([clean, odd, cross]))
    kept = float((d[0] - d[1]).pow(2).sum())
    other = float((d[0] - d[2]).pow(2).sum())
    assert kept < other / 10, (kept, other)


def test_consistency_ratio_is_zero_for_one_outline_per_value_and_near_one_when_unrelated():
    shapes = torch.stack([_sprite(k, cx, 0.0, r, (0.8, 0.8, -0.2))
                          for k in ("square", "circle") for cx in (-0.3, 0.0, 0.3) for r in (0.25, 0.4)])
    d = normalized_silhouette(shapes)                           # 6 squares then 6 circles
    by_shape = torch.tensor([0] * 6 + [1] * 6)
    mixed = torch.tensor([0, 1] * 6)                             # each value half squares, half circles
    assert float(code_consistency(d, by_shape, 2)) < 0.3
    assert float(code_consistency(d, mixed, 2)) > 0.8


def test_outline_gradient_reaches_the_image():
    x = _sprite("circle", 0.1, 0.1, 0.4, (0.5, 0.5, 0.5))[None].repeat(4, 1, 1, 1)
    x = (x + 0.05 * torch.randn_like(x)).requires_grad_(True)
    code_consistency(normalized_silhouette(x), torch.tensor([0, 0, 1, 1]), 2).backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_engine_adds_the_term_to_g_step_only_when_asked():
    def g_after_one_step(weight):
        tr = create_trainer(tiny_config("infogan", "digits", info_cat_consistency=weight), out=None, write=False)
        logged = tr.step()
        assert ("code_consistency" in logged) == (weight > 0)
        if weight:
            assert 0 <= float(logged["code_consistency"]) <= 1.5
        return torch.cat([p.detach().flatten() for p in tr.G.parameters()])
    plain, consistent = g_after_one_step(0.0), g_after_one_step(5.0)
    assert not torch.allclose(plain, consistent)
    assert torch.equal(plain, g_after_one_step(0.0))
    with pytest.raises(Exception, match="info-cat-consistency"):
        tiny_config("infogan", "digits", info_cat_consistency=-1.0)


def test_before_its_start_the_run_is_the_plain_run_step_for_step():
    """info_consistency_from: until that share of the steps the term is only logged, so a run with
    it repeats the plain recipe exactly (the bundled infogan-shapes was forked from such a run)."""
    def g_after(steps, weight):
        tr = create_trainer(tiny_config("infogan", "digits", steps=8, info_cat_consistency=weight,
                                        info_consistency_from=0.5), out=None, write=False)
        for _ in range(steps):
            tr.step()
        return torch.cat([p.detach().flatten() for p in tr.G.parameters()])
    assert torch.equal(g_after(4, 0.0), g_after(4, 5.0))
    with pytest.raises(Exception, match="info-consistency-from"):
        tiny_config("infogan", "digits", info_consistency_from=1.0)


def test_late_views_take_over_at_the_outline_start_and_not_before():
    """info_late_views: Q reads the code through info_views until info_consistency_from, through the
    late views after (the bundled infogan-shapes: full, then levels); before the switch the run is
    the plain run exactly, after it the views' random contrast changes what G learns."""
    def run(late, steps):
        tr = create_trainer(tiny_config("infogan", "shapes", steps=8, info_cat_augment=True,
                                        info_consistency_from=0.5, info_late_views=late),
                            out=None, write=False)
        seen = []
        for _ in range(steps):
            seen.append(tr.info.views())
            tr.step()
        return seen, torch.cat([p.detach().flatten() for p in tr.G.parameters()])
    seen, g_late = run("levels", 4)
    _, g_plain = run("", 4)
    assert seen == ["full"] * 4 and torch.equal(g_late, g_plain)
    seen, g_late = run("levels", 6)
    _, g_plain = run("", 6)
    assert seen[4:] == ["levels", "levels"] and not torch.equal(g_late, g_plain)
    with pytest.raises(Exception, match="info-late-views 'mask'"):
        tiny_config("infogan", "shapes", info_late_views="mask")
