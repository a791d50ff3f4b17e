"""The render worker: newest request wins, stale work is dropped, errors come back as messages."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from explorer.engine import Engine
from explorer.latents import LatentBatch
from explorer.render import Renderer
from explorer.requests import RenderRequest


class GatedEngine(Engine):
    """An engine whose renders wait until the test opens the gate (to pile up requests)."""

    def __init__(self):
        super().__init__(device="cpu")
        self.gate = threading.Event()
        self.started = threading.Event()
        self.ran: list[int] = []

    def run(self, req, **kw):
        self.started.set()
        self.gate.wait(10)
        self.ran.append(req.stamp)
        return super().run(req, **kw)


def _request(model_id: int, seed: int, channel: str = "test.grid") -> RenderRequest:
    z = np.random.default_rng(seed).standard_normal((4, 100)).astype(np.float32)
    return RenderRequest(channel, model_id, LatentBatch(z))


@pytest.fixture
def threaded(qtbot, checkpoints):
    engine = GatedEngine()
    r = Renderer(engine=engine, threads=1)
    shown = []
    r.result_ready.connect(shown.append)
    engine.gate.set()
    with qtbot.waitSignal(r.model_loaded, timeout=10000) as loaded:
        r.load_model(checkpoints["dcgan"])
    yield r, engine, shown, loaded.args[0]
    engine.gate.set()
    r.close()


def test_only_the_newest_of_many_quick_requests_is_shown(qtbot, threaded):
    r, engine, shown, info = threaded
    engine.gate.clear()
    engine.started.clear()
    r.submit(_request(info.model_id, 0))                 # starts running, then blocks on the gate
    assert engine.started.wait(5)
    stamps = [r.submit(_request(info.model_id, s)) for s in range(1, 6)]   # pile up while busy
    engine.gate.set()
    qtbot.waitUntil(r.is_idle, timeout=10000)
    assert engine.ran[-1] == stamps[-1] and len(engine.ran) == 2     # 4 of 5 never ran
    assert [res.stamp for res in shown] == [stamps[-1]]              # the first one arrived stale
    assert r.stats["dropped_before_run"] == 4 and r.stats["dropped_on_arrival"] == 1
    expected = _request(info.model_id, 5).batch.z
    assert np.array_equal(shown[-1].batch.z, expected)


def test_a_stale_result_arriving_late_is_dropped(qtbot, threaded):
    r, engine, shown, info = threaded
    engine.gate.clear()
    engine.started.clear()
    old = r.submit(_request(info.model_id, 0))
    assert engine.started.wait(5)
    new = r.submit(_request(info.model_id, 1))
    engine.gate.set()
    qtbot.waitUntil(r.is_idle, timeout=10000)
    assert engine.ran == [old, new]
    assert [res.stamp for res in shown] == [new]


def test_channels_do_not_replace_each_other(qtbot, threaded):
    r, engine, shown, info = threaded
    r.submit(_request(info.model_id, 0, "a.grid"))
    r.submit(_request(info.model_id, 1, "b.grid"))
    qtbot.waitUntil(r.is_idle, timeout=10000)
    assert sorted(res.channel for res in shown) == ["a.grid", "b.grid"]


def test_results_are_c_contiguous_uint8(qtbot, threaded):
    r, engine, shown, info = threaded
    r.submit(_request(info.model_id, 0))
    qtbot.waitUntil(r.is_idle, timeout=10000)
    res = shown[-1]
    assert res.images.dtype == np.uint8 and res.images.flags.c_contiguous and res.images.shape == (4, 28, 28, 1)
    assert res.grids[0].flags.c_contiguous and res.grids[0].shape == (62, 62, 1)


def test_requests_for_a_previous_model_are_dropped(qtbot, threaded, checkpoints):
    r, engine, shown, info = threaded
    with qtbot.waitSignal(r.model_loaded, timeout=10000):
        r.load_model(checkpoints["cgan"])
    r.submit(_request(info.model_id, 0))
    qtbot.waitUntil(r.is_idle, timeout=10000)
    assert shown == []


def test_a_failed_load_reports_a_message_and_keeps_the_model(qtbot, threaded, tmp_path):
    r, engine, shown, info = threaded
    bad = tmp_path / "empty.safetensors"
    bad.write_bytes(b"")
    with qtbot.waitSignal(r.model_failed, timeout=10000) as failed:
        r.load_model(bad)
    path, message = failed.args
    assert "empty.safetensors" in message and "empty" in message
    r.submit(_request(info.model_id, 0))                 # the old model still renders
    qtbot.waitUntil(r.is_idle, timeout=10000)
    assert len(shown) == 1


def test_a_render_error_comes_back_as_a_signal(qtbot, threaded):
    r, engine, shown, info = threaded
    bad = RenderRequest("test.grid", info.model_id, LatentBatch(np.zeros((2, 7), np.float32)))   # wrong z size
    with qtbot.waitSignal(r.render_failed, timeout=10000) as failed:
        r.submit(bad)
    assert failed.args[0] == "test.grid" and "Rendering failed" in failed.args[1]


def test_display_twin_matches_the_image():
    """The RGB32 bytes the views draw are the same pixels as the saved image."""
    from PySide6.QtGui import QImage

    from explorer.pixels import display_rgb32
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    d = display_rgb32(rgb)
    img = QImage(d.data, 7, 5, d.strides[0], QImage.Format.Format_RGB32)
    c = img.pixelColor(3, 2)
    assert (c.red(), c.green(), c.blue()) == tuple(rgb[2, 3])
    gray = rgb[..., :1].copy()
    c = QImage(display_rgb32(gray).data, 7, 5, 28, QImage.Format.Format_RGB32).pixelColor(6, 4)
    assert (c.red(), c.green(), c.blue()) == (gray[4, 6, 0],) * 3


def test_a_pre_zoomed_display_paints_the_same_pixels_as_scaling_in_the_view(qtbot):
    """Pre-zooming on the render thread (for a 1:1 blit) must not change what the user sees,
    also when the zoom no longer matches the view (after a resize) and it falls back."""
    from explorer.pixels import display_rgb32
    from explorer.widgets.image_view import ImageGridView
    rgb = np.random.default_rng(1).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    view = ImageGridView()
    qtbot.addWidget(view)
    view.resize(170, 130)
    view.show()
    view.set_image(rgb, display=display_rgb32(rgb))
    z = view.zoom_hint()
    assert z == 4                                       # 40 px wide into 170: whole zoom 4
    plain = view.grab().toImage()
    view.set_image(rgb, display=display_rgb32(rgb, z))
    assert view.grab().toImage() == plain
    view.set_image(rgb, display=display_rgb32(rgb, 3))  # stale zoom: drawn scaled from 1:1
    assert view.grab().toImage() == plain
    c = plain.pixelColor(int(view.image_rect().x()) + 4 * 5 + 1, int(view.image_rect().y()) + 4 * 7 + 2)
    assert (c.red(), c.green(), c.blue()) == tuple(rgb[7, 5])


def test_an_uneven_pre_zoom_is_the_nearest_pixel_and_is_blitted_as_it_came(qtbot):
    """At an uneven scale the render thread makes the display copy at the exact drawn size
    (nearest neighbour), and the view shows exactly those pixels."""
    from explorer.pixels import display_rgb32
    from explorer.widgets.image_view import ImageGridView
    rgb = np.random.default_rng(3).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    d = display_rgb32(rgb, size=(81, 108)).view(np.uint32)[..., 0]         # scale 2.7
    src = display_rgb32(rgb).view(np.uint32)[..., 0]
    i, j = np.arange(81), np.arange(108)
    assert np.array_equal(d, src[((2 * i + 1) * 30) // 162][:, ((2 * j + 1) * 40) // 216])
    view = ImageGridView()
    qtbot.addWidget(view)
    view.resize(116, 96)
    view.show()
    view.set_image(rgb, display=display_rgb32(rgb))
    assert view.zoom_hint() == 1 and 2 < view._scale() < 3                 # uneven: 2.7
    size = view.prezoom_size()
    assert size == view._drawn_size()
    view.set_image(rgb, display=display_rgb32(rgb, size=size))
    assert (view._zoomed.height(), view._zoomed.width()) == size           # drawn 1:1, not rescaled
    shot = view.grab().toImage()
    r = view.image_rect()
    for y, x in ((0, 0), (size[0] // 2, size[1] // 3), (size[0] - 1, size[1] - 1)):
        c = shot.pixelColor(int(r.x()) + x, int(r.y()) + y)
        want = view._display[y, x]                                          # B, G, R, A bytes
        assert (c.red(), c.green(), c.blue()) == (want[2], want[1], want[0])


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "infogan", "points2d", "points1d", "cgan_points"])
def test_traced_forward_matches_the_eager_generator_at_every_batch_size(checkpoints, kind):
    """The render thread's GIL-free traced forward draws exactly what the model draws, for
    every grid size (one trace per shape), and falls back to eager if tracing fails."""
    import torch

    from explorer.engine import FastForward
    from gan_models.checkpoint import load_checkpoint
    g = load_checkpoint(checkpoints[kind]).generator.eval()
    fast = FastForward(g)
    with torch.inference_mode():
        for b in (1, 7, 64, 7, 1, 7):
            z = torch.randn(b, g.z_dim)
            label = torch.eye(g.num_classes)[torch.arange(b) % g.num_classes] if g.num_classes else None
            codes = g.code_layout.encode(*g.code_layout.sample(b), b) if g.code_layout else None
            inp = g.build_input(z, label, codes)
            assert torch.allclose(fast(inp), g(inp), atol=1e-5)
    assert fast.enabled and len(fast._traces) == 2         # 1 and 7 came twice; 64 once

    class Untraceable(torch.nn.Module):
        def forward(self, x):
            return torch.from_numpy(x.numpy() * 2)      # leaves the graph: a trace bakes a constant
    broken = FastForward(Untraceable())
    x = torch.ones(2, 3)
    assert torch.equal(broken(x), x * 2) and broken.enabled   # first use: eager
    assert torch.equal(broken(x), x * 2) and not broken.enabled
    assert torch.equal(broken(x + 1), (x + 1) * 2)


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "infogan"])
def test_the_fused_uint8_trace_shows_the_bytes_the_eager_generator_gives(checkpoints, kind):
    """The engine converts to display bytes inside the generator's trace; the images must be
    the bytes `to_uint8` makes of the eager generator's output (off by at most one step where
    a value sits on a rounding edge), on the eager first use and the traced later ones."""
    import torch

    from explorer.engine import Engine
    from explorer.latents import sample_batch
    from explorer.requests import GridSpec, LoadRequest, RenderRequest
    from gan_models.images import to_uint8
    engine = Engine("cpu")
    info = engine.load(LoadRequest(str(checkpoints[kind]), 1))
    g = engine.generator
    for seed in (0, 1, 2):
        batch = sample_batch(info, 12, seed, 0.8)
        out = engine.run(RenderRequest("t.grid", 1, batch, (GridSpec(12, 4),)))
        with torch.inference_mode():
            lab = torch.from_numpy(batch.label) if batch.label is not None else None
            codes = torch.from_numpy(batch.codes) if batch.codes is not None else None
            want = to_uint8(g.generate(torch.from_numpy(batch.z), lab, codes), info.value_range)
        assert out.images.dtype == np.uint8 and out.images.shape == want.shape
        assert np.abs(out.images.astype(int) - want).max() <= 1
        assert (out.images != want).mean() < 1e-3
    assert len(engine.forward_u8._traces) == 1 and engine.forward_u8.enabled


def test_results_reach_only_their_channels_listeners_and_a_destroyed_owner_is_forgotten(qtbot):
    from PySide6.QtCore import QObject

    from explorer.render import Renderer
    r = Renderer(sync=True)
    got = {"a": [], "b": []}
    owner = QObject()
    r.listen("a", got["a"].append, owner=owner)
    r.listen("b", got["b"].append)
    r._latest = {"a.grid": 1, "b.grid": 2}
    from explorer.render import _Outcome
    r._on_finished(_Outcome("a.grid", 1, "result", "A"))
    r._on_finished(_Outcome("b.grid", 2, "result", "B"))
    assert got == {"a": ["A"], "b": ["B"]}
    owner.deleteLater()
    qtbot.waitUntil(lambda: not r._listeners["a"], timeout=2000)
    r._on_finished(_Outcome("a.grid", 1, "result", "A2"))
    assert got["a"] == ["A"]


def test_the_fill_around_the_image_covers_exactly_what_the_image_does_not():
    import random

    from PySide6.QtCore import QRect
    from PySide6.QtGui import QRegion

    from explorer.widgets.image_view import _around
    rng = random.Random(0)
    for _ in range(500):
        outer = QRect(rng.randint(-5, 5), rng.randint(-5, 5), rng.randint(0, 30), rng.randint(0, 30))
        hole = QRect(rng.randint(-10, 30), rng.randint(-10, 30), rng.randint(0, 30), rng.randint(0, 30))
        parts = _around(outer, hole)
        covered = QRegion()
        for r in parts:
            covered = covered.united(QRegion(r))
        assert covered == QRegion(outer).subtracted(QRegion(hole))
        assert sum(r.width() * r.height() for r in parts) == sum(r.width() * r.height() for r in covered)


def test_a_new_frame_in_the_same_layout_repaints_only_the_image_and_a_new_layout_all(qtbot):
    """A slider drag changes only pixels: the view asks for the image's rectangle alone (no
    background, no labels); new labels or a new size repaint the whole view."""
    from PySide6.QtCore import QEvent, QObject

    from explorer.pixels import display_rgb32
    from explorer.widgets.image_view import ImageGridView
    rng = np.random.default_rng(2)
    view = ImageGridView()
    qtbot.addWidget(view)
    view.resize(300, 260)
    view.show()
    rects = []

    class Spy(QObject):
        def eventFilter(self, _obj, event):
            if event.type() == QEvent.Type.Paint:
                rects.append(event.rect())
            return False

    spy = Spy()
    view.installEventFilter(spy)

    def show(**labels):
        for k, v in labels.items():
            setattr(view, k, v)
        a = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
        rects.clear()
        view.set_image(a, (10, 10), 3, 6, 0, display=display_rgb32(a, view.zoom_hint()))
        qtbot.waitUntil(lambda: bool(rects), timeout=2000)
        return rects[-1]

    show()
    show()                                              # first paint at this size: whole view
    part = show()
    image = view.image_rect().toAlignedRect()
    assert part != view.rect() and part.contains(image) and image.adjusted(-3, -3, 3, 3).contains(part)
    assert show(column_labels=["a", "b", "c"]) == view.rect()
    assert show(column_labels=["a", "b", "c"]) != view.rect()
    view.select(2)
    rects.clear()
    qtbot.waitUntil(lambda: bool(rects), timeout=2000)
    assert rects[-1] == view.rect()


@pytest.mark.parametrize("kind", ["cgan", "infogan"])
def test_cached_draws_are_the_prior_draws_and_callers_cannot_spoil_them(checkpoints, kind):
    """sample_batch keeps the untruncated draw per seed; what it hands out must equal a fresh
    draw at every truncation, and changing a handed-out batch must not change the next one."""
    import gan_models.latent as L
    from explorer.engine import Engine
    from explorer.latents import sample_batch
    from explorer.requests import LoadRequest
    info = Engine("cpu").load(LoadRequest(str(checkpoints[kind]), 1))
    for psi in (None, 1.0, 0.7, 0.33, 0.7, 0.05, 0.123, np.float64(0.99)):
        b = sample_batch(info, 16, 5, psi)
        z, labels, codes, _, _ = L.prior_inputs(info, 16, 5, psi)
        assert b.z.dtype == np.float32 and np.array_equal(b.z, z.numpy())
        if codes is not None:
            assert np.array_equal(b.codes, codes.numpy())
        if labels is not None:
            assert np.array_equal(b.label.argmax(1), labels.numpy())
        b.z[:] = 0
        for part in (b.label, b.codes):
            if part is not None:
                part[:] = 0
        b.notes.clear()
    again = sample_batch(info, 16, 5, 0.33)
    assert not (again.z == 0).all() and len(again.notes) == 16
    assert not np.array_equal(sample_batch(info, 16, 6, 0.33).z, again.z)
