"""Progressive rendering of 64x64 colour grids: chunks give the one-shot pixels, arrive in order,
first chunk alone; a newer request abandons the rest; every image panel shows RGB the right
way up."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PySide6.QtCore import QSettings

from explorer.engine import Engine, chunk_plan
from explorer.latents import sample_batch
from explorer.pixels import Mosaic, display_rgb32
from explorer.requests import GridSpec, LoadRequest, RenderRequest
from gan_models import default_config
from gan_models.checkpoint import save_checkpoint
from gan_models.registry import build_discriminator, build_generator
from model_factory import CLASS_NAMES, vivid

KINDS64 = {
    "dcgan": dict(),
    "cgan": dict(),
    "infogan": dict(q_width=8),
}


def _config64(kind: str):
    return default_config(kind, (3, 64, 64), g_width=8, d_width=8, **KINDS64[kind])


def pattern_weights(g: torch.nn.Module) -> torch.nn.Module:
    """Weights that draw the same test card for every input, so colour and orientation can be
    checked by eye and by pixel: yellow, a red band along the right edge, a green band along
    the bottom, black in the bottom-right corner (each band 8 px of 64).

    The projection is zero, so the first batch norm's shift makes two constant 4x4 maps; the
    first up-convolution copies them shifted by one row (map 0) or one column (map 1), leaving
    the last row / column empty; the others copy nearest-neighbour (taps 1 and 2 of a stride-2
    4x4 kernel hit each output pixel once); the last turns map 0 into red and map 1 into green."""
    bns = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    ups = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.ConvTranspose2d)):
                m.weight.zero_()
                if m.bias is not None:
                    m.bias.zero_()
        for bn in bns:
            bn.running_mean.zero_()
            bn.running_var.fill_(1)
            bn.weight.fill_(1)
            bn.bias.zero_()
        bns[0].weight.zero_()
        bns[0].bias[:2] = 1                                     # maps 0 and 1: all ones
        ups[0].weight[0, 0, 0:2, 1:3] = 1                       # rows shifted: the last row empty
        ups[0].weight[1, 1, 1:3, 0:2] = 1                       # columns shifted: the last column empty
        for up in ups[1:-1]:
            for c in range(2):
                up.weight[c, c, 1:3, 1:3] = 1                   # nearest-neighbour x2
        last = ups[-1]
        last.weight[0, 0, 1:3, 1:3] = 3                         # red from map 0
        last.weight[1, 1, 1:3, 1:3] = 3                         # green from map 1
        last.bias.fill_(-1.5)                                   # tanh(+-1.5): bright or dark
    return g


def make_checkpoint64(folder, kind: str, pattern: bool = False, seed: int = 0):
    cfg = _config64(kind)
    torch.manual_seed(seed)
    g = build_generator(cfg).eval()
    g = pattern_weights(g) if pattern else vivid(g)
    meta = {"dataset": "random-init", "step": 100, "class_names": CLASS_NAMES[: cfg.num_classes]}
    name = f"{kind}64{'-pattern' if pattern else ''}.safetensors"
    return save_checkpoint(folder / name, cfg, g, build_discriminator(cfg).eval(), meta=meta)


@pytest.fixture(scope="module")
def ckpt64(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt64")
    return {kind: make_checkpoint64(folder, kind) for kind in KINDS64}


@pytest.fixture(scope="module")
def pattern64(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pattern64")
    return {kind: make_checkpoint64(folder, kind, pattern=True) for kind in KINDS64}


def _chunked(engine: Engine) -> Engine:
    engine.progressive_above_s = 0.0           # chunk every progressive request
    engine.frame_s = 0.0                       # hand out every chunk
    engine.chunk_s = 0.0                       # of one row each (after the first sample's)
    return engine


# ---------------------------------------------------------------------- plan and tiling
@pytest.mark.parametrize("n,ncol", [(64, 8), (10, 4), (7, 7), (5, 1), (3, 8), (16, 16)])
def test_chunks_start_with_one_sample_and_tile_the_mosaic_exactly(n, ncol):
    for sample_s in (1e-3, 1e-4, 0.05):
        chunks = chunk_plan(n, ncol, sample_s, 0.012)
        assert chunks[0] == (0, 1)
        assert [a for a, _ in chunks[1:]] == [b for _, b in chunks[:-1]] and chunks[-1][1] == n
        m = Mosaic(n, ncol, 2, (5, 6, 3))
        covered = np.zeros(m.shape[:2], int)
        for a, b in chunks:
            y0, y1, x0, x1 = m.region(a, b)
            covered[y0:y1, x0:x1] += 1
        assert (covered == 1).all()            # every pixel, pad included, in exactly one patch


def test_cheap_grids_and_plain_requests_render_in_one_forward(checkpoints, ckpt64):
    """A 28x28 grid (~10 ms) is one forward: chunking it would only add hand-overs; a 64x64 one
    is chunked by its measured cost, and only when its view draws partial results."""
    e = Engine("cpu")
    info = e.load(LoadRequest(str(checkpoints["dcgan"]), 1))
    spec = (GridSpec(64, 8),)
    req = RenderRequest("t.grid", 1, sample_batch(info, 64, 0), spec, progressive=True)
    e.sample_s = 0.15e-3                        # the bundled 28x28 digits models: ~10 ms a grid
    assert e.plan(req, spec, 64) == [(0, 64)]
    e.sample_s = 1.2e-3                         # DCGAN-64 at g_width 32: ~80 ms a grid
    assert len(e.plan(req, spec, 64)) > 2
    req.progressive = False
    assert e.plan(req, spec, 64) == [(0, 64)]
    e64 = Engine("cpu")
    e64.load(LoadRequest(str(ckpt64["dcgan"]), 1))
    assert e64.sample_s is not None and e64.sample_s > 0      # measured at load, for the first grid


# ---------------------------------------------------------------------- pixels
@pytest.mark.parametrize("kind", list(KINDS64))
def test_progressive_result_is_the_one_shot_result(ckpt64, kind):
    """Batch norm in eval mode: chunks give the pixels of one batched forward (up to float
    rounding: the convolutions block a batch of 1 or 8 differently from one of 64, ~1e-6, which
    moves one pixel in a million by one level), and the partial results' patches, put together,
    are the mosaic and display copy of the whole grid."""
    from gan_models.images import make_grid
    one, prog = Engine("cpu"), _chunked(Engine("cpu"))
    one.progressive_above_s = float("inf")                   # one forward, whatever it costs
    info = one.load(LoadRequest(str(ckpt64[kind]), 1))
    prog.load(LoadRequest(str(ckpt64[kind]), 1))
    spec = (GridSpec(64, 8, size=(300, 300)),)              # an uneven pre-zoom, as in the app
    for seed in (0, 1, 0):                                   # first (eager) and traced forwards
        batch = sample_batch(info, 64, seed, 0.8)
        want = one.run(RenderRequest("t.grid", 1, batch, spec, progressive=True))
        parts = []
        got = prog.run(RenderRequest("t.grid", 1, batch, spec, progressive=True), on_partial=parts.append)
        assert len(parts) > 2 and want.patches == [] and not want.partial
        diff = np.abs(got.images.astype(int) - want.images)
        assert diff.max() <= 1 and (diff > 0).mean() < 2e-5
        assert np.array_equal(got.grids[0], make_grid(got.images, 8, 2))
        assert np.array_equal(got.display[0], display_rgb32(got.grids[0], size=(300, 300)))
        assert np.array_equal(want.display[0], display_rgb32(want.grids[0], size=(300, 300)))
        mosaic, canvas = np.zeros_like(got.grids[0]), np.zeros_like(got.display[0])
        for p in [q for r in parts for q in r.patches] + got.patches:
            y0, y1, x0, x1 = p.region
            mosaic[y0:y1, x0:x1] = p.mosaic[y0:y1, x0:x1]
            y0, y1, x0, x1 = p.display_region
            canvas[y0:y1, x0:x1] = p.canvas[y0:y1, x0:x1]
        assert np.array_equal(mosaic, got.grids[0]) and np.array_equal(canvas, got.display[0])
        for r in parts:                                      # what a partial result says it has
            assert np.array_equal(r.images, got.images[:r.done])


def test_partial_results_come_in_order_the_first_with_one_sample(ckpt64):
    e = _chunked(Engine("cpu"))
    info = e.load(LoadRequest(str(ckpt64["dcgan"]), 1))
    parts = []
    out = e.run(RenderRequest("t.grid", 1, sample_batch(info, 64, 0), (GridSpec(64, 8),), progressive=True),
                on_partial=parts.append)
    spans = [(r.start, r.done) for r in parts] + [(out.start, out.done)]
    assert spans[0] == (0, 1) and spans[1] == (1, 8)         # the first sample, then its row
    assert all(a == prev_b for (a, _), (_, prev_b) in zip(spans[1:], spans))
    assert spans[-1][1] == 64 and all(r.partial for r in parts) and not out.partial
    assert all(r.images.flags.c_contiguous and r.images.dtype == np.uint8 for r in parts)


def test_should_stop_abandons_the_remaining_chunks(ckpt64):
    e = _chunked(Engine("cpu"))
    info = e.load(LoadRequest(str(ckpt64["dcgan"]), 1))
    parts = []
    out = e.run(RenderRequest("t.grid", 1, sample_batch(info, 64, 0), (GridSpec(64, 8),), progressive=True),
                on_partial=parts.append, should_stop=lambda: len(parts) >= 2)
    assert out is None and [(r.start, r.done) for r in parts] == [(0, 1), (1, 8)]


# ---------------------------------------------------------------------- the render thread
class SlowChunks(Engine):
    """Each chunk's forward waits for the test to let it through (a slow generator)."""

    def __init__(self):
        super().__init__(device="cpu")
        _chunked(self)
        self.tickets = threading.Semaphore(0)
        self.free = threading.Event()
        self.forwards: list[tuple[int, int]] = []          # (stamp, batch) per chunk run
        self.waiting: list[int] = []                       # batch sizes that waited at the gate
        self._stamp = 0

    def load(self, req):
        info = super().load(req)
        inner = self.forward_u8

        def gated(x):
            if not self.free.is_set():
                self.waiting.append(x.shape[0])
                self.tickets.acquire(timeout=10)
            self.forwards.append((self._stamp, x.shape[0]))
            return inner(x)
        self.forward_u8 = gated
        return info

    def run(self, req, **kw):
        self._stamp = req.stamp
        return super().run(req, **kw)


def test_a_newer_request_abandons_the_older_ones_chunks_and_only_its_own_results_show(qtbot, ckpt64):
    from explorer.render import Renderer
    engine = SlowChunks()
    engine.free.set()
    r = Renderer(engine=engine, threads=1)
    try:
        with qtbot.waitSignal(r.model_loaded, timeout=20000) as loaded:
            r.load_model(ckpt64["dcgan"])
        info = loaded.args[0]
        seen, finals = [], []
        r.listen("t", lambda res: seen.append((res.stamp, res.start, res.done, res.partial)))
        r.result_ready.connect(finals.append)
        engine.free.clear()

        def request(seed):
            return RenderRequest("t.grid", info.model_id, sample_batch(info, 16, seed), (GridSpec(16, 4),),
                                 progressive=True)
        old = r.submit(request(0))
        engine.tickets.release()                               # the old request's first chunk only
        qtbot.waitUntil(lambda: len(seen) == 1, timeout=10000)
        qtbot.waitUntil(lambda: len(engine.waiting) == 2, timeout=10000)   # its second chunk, waiting
        new = r.submit(request(1))
        engine.free.set()
        engine.tickets.release()
        qtbot.waitUntil(r.is_idle, timeout=20000)
        qtbot.wait(50)
        old_runs = [b for s, b in engine.forwards if s == old]
        assert old_runs == [1, 3]                              # the chunk in flight ran; no more
        assert seen[0] == (old, 0, 1, True)                    # shown as soon as it was rendered
        mine = [x for x in seen if x[0] == new]
        assert seen == [seen[0]] + mine                        # the old second chunk: dropped
        assert [(a, b) for _, a, b, _ in mine] == [(0, 1), (1, 4), (4, 8), (8, 12), (12, 16)]
        assert [p for *_, p in mine] == [True] * 4 + [False]
        assert [f.stamp for f in finals] == [new]
        assert r.stats["abandoned"] == 1
    finally:
        engine.free.set()
        r.close()


# ---------------------------------------------------------------------- what the user sees
@pytest.fixture
def window64(qtbot, tmp_path):
    from explorer.main_window import MainWindow
    from explorer.render import Renderer
    renderer = Renderer(sync=True)
    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), renderer=renderer,
                   runs_dir=tmp_path / "runs", bundled_dir=tmp_path / "bundled")
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    yield w
    renderer.close()


def _rgb(img, x, y):
    c = img.pixelColor(int(x), int(y))
    return c.red(), c.green(), c.blue()


def _pixels(img) -> np.ndarray:
    from PySide6.QtGui import QImage
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return a[:, :img.width(), :3].astype(int)


def _same_frame(a, b) -> bool:
    """Equal up to float rounding: a batch of 8 and one of 64 take different conv kernels, so a
    rare pixel lands one uint8 level apart (seen: 1 of 412,000 values)."""
    pa, pb = _pixels(a), _pixels(b)
    if pa.shape != pb.shape:
        return False
    d = np.abs(pa - pb)
    return d.max() <= 1 and (d > 0).mean() < 1e-3


def test_unrendered_cells_keep_the_previous_frame_and_the_end_is_the_one_shot_frame(window64, ckpt64, qtbot):
    window = window64
    window.open_model(ckpt64["dcgan"])
    p = window.panels["sampling"]
    qtbot.wait(50)
    p.request()                                   # now at the size the view draws (1:1 blit)
    before = p.grid.grab().toImage()
    _chunked(window.renderer.engine)
    shots = []

    def on_result(res):                           # after the panel's own listener
        if res.partial and res.start == 0:
            shots.append(p.grid.grab().toImage())
    window.renderer.listen("sampling", on_result)
    p.seed.setValue(7)
    final = p.grid.grab().toImage()
    window.renderer.engine.progressive_above_s = float("inf")
    p.request()                                   # the same grid in one forward
    assert _same_frame(p.grid.grab().toImage(), final)
    assert len(shots) == 1
    view = p.grid
    rect = view.image_rect()
    first, second = view._cell_rect(0, rect).center(), view._cell_rect(1, rect).center()
    last = view._cell_rect(63, rect).center()
    assert _rgb(shots[0], first.x(), first.y()) == _rgb(final, first.x(), first.y())      # drawn
    for pt in (second, last):                                                           # kept
        assert _rgb(shots[0], pt.x(), pt.y()) == _rgb(before, pt.x(), pt.y())
    assert _rgb(before, last.x(), last.y()) != _rgb(final, last.x(), last.y())


def _check_card(view, cell: int = 0) -> None:
    """Yellow body, red band on the right, green band at the bottom, black corner (RGB, upright)."""
    from explorer.widgets.image_view import ImageGridView
    assert isinstance(view, ImageGridView) and view.array() is not None
    assert view.array().shape[2] == 3                                   # colour, not grey
    img = view.grab().toImage()
    r = view._cell_rect(cell, view.image_rect())
    at = lambda fx, fy: _rgb(img, r.x() + fx * r.width(), r.y() + fy * r.height())   # noqa: E731
    hi, lo = 200, 60
    body, right, bottom, corner = at(0.3, 0.3), at(0.97, 0.3), at(0.3, 0.97), at(0.97, 0.97)
    assert body[0] > hi and body[1] > hi and body[2] < lo, body
    assert right[0] > hi and right[1] < lo and right[2] < lo, right
    assert bottom[0] < lo and bottom[1] > hi and bottom[2] < lo, bottom
    assert max(corner) < lo, corner


@pytest.mark.parametrize("kind", list(KINDS64))
def test_every_image_panel_shows_64x64_colour_upright(window64, pattern64, qtbot, kind):
    from explorer.widgets.image_view import ImageGridView
    window = window64
    window.open_model(pattern64[kind])
    _chunked(window.renderer.engine)              # the sampling grid also through partial results
    checked = {}
    for name in ("sampling", "arithmetic", "interpolation", "conditional", "codes", "directions"):
        host = window.hosts[name]
        if not host.available:
            continue
        window.select_panel(name)
        panel = window.panels[name]
        qtbot.wait(30)
        panel.request()
        for view in panel.findChildren(ImageGridView):
            if view.isVisible() and view.array() is not None and view.array().shape[0] >= 64:
                _check_card(view)
                checked[name] = checked.get(name, 0) + 1
    panels = {"sampling", "arithmetic", "interpolation", "directions"} | {"cgan": {"conditional"},
                                                                         "infogan": {"codes"}}.get(kind, set())
    assert set(checked) == panels and checked["sampling"] == 2 and checked["arithmetic"] == 5, checked


def test_later_chunks_grow_to_the_cap_so_a_grid_is_few_batches():
    """A 64x64 grid at ~3 ms a sample: 1 sample, the rest of row 1, then chunks doubling from
    one row (12 ms budget) up to the 50 ms cap (two rows): fewer, larger batches than one row
    each, and never a chunk over the cap (a newer request waits at most for one)."""
    sample_s, ncol = 3e-3, 8
    grow = chunk_plan(64, ncol, sample_s, 0.012, 0.050)
    rows = chunk_plan(64, ncol, sample_s, 0.012)
    assert grow[:3] == rows[:3] == [(0, 1), (1, 8), (8, 16)]
    sizes = [b - a for a, b in grow]
    assert len(grow) < len(rows) and max(sizes) == 16
    assert all(s * sample_s <= 0.050 for s in sizes)
    assert sizes[2:-1] == sorted(sizes[2:-1])                  # non-decreasing (the tail may be short)
    # a cheap model (many rows fit one budget) still starts with one sample and one row
    assert chunk_plan(64, 8, 1e-4, 0.012, 0.050)[:2] == [(0, 1), (1, 8)]
