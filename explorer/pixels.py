"""Pixel layout shared by the render thread and the monitor's poller (numpy only, no Qt/torch)."""
from __future__ import annotations

import numpy as np

# Source pixels converted per step: the temporaries of a step (~4 x 4 bytes a pixel) then stay
# below glibc's mmap threshold and in the cache. One 530x530 mosaic (8x8 of 64x64) converted in
# one step to 640x640 took 6.6-8.8 ms, page faults of fresh temporaries mostly; in 16-row steps
# 1.5 ms. Small mosaics (8x8 of 28x28: 0.3 ms) stay one step.
_STEP_PIXELS = 16 * 1024


def rgb32(a: np.ndarray) -> np.ndarray:
    """(H, W, 1 or 3) uint8 -> (H, W) uint32 0xffRRGGBB (QImage.Format_RGB32 on a little- or
    big-endian host alike: it is read as native uint32)."""
    a32 = a.astype(np.uint32)
    r, g, b = (a32[..., 0],) * 3 if a.shape[2] == 1 else (a32[..., 0], a32[..., 1], a32[..., 2])
    return np.uint32(0xFF000000) | (r << 16) | (g << 8) | b                  # (H, W) uint32


class DisplayMap:
    """Where each pixel of an (h, w) image lands in its display copy: `zoom` times larger, or
    exactly `size` (h', w') (an uneven zoom, nearest neighbour: output pixel i shows source pixel
    floor((i + 0.5) * h / h')). Any rectangle of the source maps to a rectangle of the copy, so
    the render thread can convert a mosaic piece by piece as its samples arrive (`paint`)."""

    def __init__(self, hw: tuple, zoom: int = 1, size: tuple = ()):
        h, w = hw
        self.zoom, self.rows, self.cols = 1, None, None                      # 1:1
        if size and tuple(size) != (h, w):
            self.rows, self.cols = (np.bincount(((2 * np.arange(n) + 1) * m) // (2 * n), minlength=m)
                                    for n, m in zip(size, (h, w)))         # repeats per source row / column
        elif zoom > 1:
            self.zoom = int(zoom)
        rows = self.rows if self.rows is not None else np.full(h, self.zoom)
        cols = self.cols if self.cols is not None else np.full(w, self.zoom)
        self.y = np.concatenate([[0], np.cumsum(rows)])                       # source row -> first copy row
        self.x = np.concatenate([[0], np.cumsum(cols)])
        self.shape = (int(self.y[-1]), int(self.x[-1]))                       # (h', w') of the copy

    def new(self) -> np.ndarray:
        """An empty display copy: (h', w', 4) uint8."""
        return np.empty((*self.shape, 4), np.uint8)

    def region(self, y0: int, y1: int, x0: int, x1: int) -> tuple[int, int, int, int]:
        """Where source rows [y0, y1) x columns [x0, x1) land in the copy."""
        return int(self.y[y0]), int(self.y[y1]), int(self.x[x0]), int(self.x[x1])

    def paint(self, out: np.ndarray, a: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> None:
        """Convert source rows [y0, y1) x columns [x0, x1) of `a` into their place in `out`."""
        out32 = out.view(np.uint32)[..., 0]                                   # (h', w') uint32
        n = (y1 - y0) * (x1 - x0)
        step = y1 - y0 if n <= 4 * _STEP_PIXELS else max(1, _STEP_PIXELS // max(1, x1 - x0))
        dx0, dx1 = int(self.x[x0]), int(self.x[x1])
        for s0 in range(y0, y1, step):
            s1 = min(y1, s0 + step)
            px = rgb32(a[s0:s1, x0:x1])                                       # (rows, cols) uint32
            if self.rows is not None:
                px = np.repeat(np.repeat(px, self.cols[x0:x1], axis=1), self.rows[s0:s1], axis=0)
            elif self.zoom > 1:
                px = np.repeat(np.repeat(px, self.zoom, axis=1), self.zoom, axis=0)
            out32[int(self.y[s0]):int(self.y[s1]), dx0:dx1] = px

def display_rgb32(a: np.ndarray, zoom: int = 1, size: tuple = ()) -> np.ndarray:
    """(H, W, 1 or 3) uint8 -> (zoom*H, zoom*W, 4) uint8 laid out as QImage.Format_RGB32
    (0xffRRGGBB per native uint32), so the UI wraps it without converting: drawing Grayscale8 or
    RGB888 converts on every paint and measured 2.5-4.5x slower than RGB32. zoom > 1 repeats
    each pixel (nearest neighbour) here, on the render thread, so the view can blit the image
    1:1 instead of scaling it on the UI thread (np.repeat per axis: 5-7x faster than a
    broadcast-and-reshape copy, ~0.1 vs ~0.7 ms for a 242 px mosaic at zoom 2).

    `size` (h, w), when given, is the exact output size instead (an uneven zoom, nearest
    neighbour: output pixel i shows source pixel floor((i + 0.5) * h_in / h)), made with two
    np.repeat calls of per-pixel counts, columns first: 0.2-0.3 ms for 242 -> 657 px in a warm
    loop, 0.45-0.6 ms right after a forward. Letting Qt scale the 1:1 image at paint time instead
    measured a wash end to end (render thread -0.4 ms, paint +0.4 ms; docs/performance.md); the
    copy stays here because here it is off the UI thread, which stays free for input. Large
    mosaics are converted in steps of rows (see _STEP_PIXELS)."""
    m = DisplayMap(a.shape[:2], zoom, size)
    out = m.new()
    m.paint(out, a, 0, a.shape[0], 0, a.shape[1])
    return out


class Mosaic:
    """One GridSpec's mosaic, filled in as its samples arrive (render thread): the uint8 tiles
    (the layout of gan_models.images.make_grid: pad, then cells row-major with pad between
    them) and their display copy. Each `add` writes a rectangle of both that nothing later
    writes again, so what it returns may be handed to the UI thread while the rest is filled."""

    def __init__(self, count: int, ncol: int, pad: int, cell: tuple, zoom: int = 1, size: tuple = ()):
        h, w, c = cell
        self.count, self.ncol, self.pad, self.cell = count, ncol, pad, (h, w)
        self.nrow = -(-count // ncol)
        self.single = count == 1 and pad == 0         # the image itself, no tiling
        shape = (self.nrow * (h + pad) + pad, ncol * (w + pad) + pad, c)
        self.pixels = None if self.single else np.zeros(shape, np.uint8)   # pad value 0, as make_grid
        self.shape = shape
        self.map = DisplayMap(shape[:2], zoom, size)
        self.display = self.map.new()                  # (H', W', 4) uint8 RGB32

    def region(self, a: int, b: int) -> tuple[int, int, int, int]:
        """(y0, y1, x0, x1) of the mosaic that cells [a, b) own: their cells and the pad above and
        to the left of each; cells of the last row also own the pad below, the last cell of a row
        the pad to its right, and the last cell the empty cells of an unfilled last row. [a, b) is
        whole rows or part of one row."""
        (h, w), p, ncol = self.cell, self.pad, self.ncol
        H, W = self.shape[:2]
        ra, ca = divmod(a, ncol)
        rb = (b - 1) // ncol                            # row of the last cell
        y0, y1 = ra * (h + p), (H if rb == self.nrow - 1 else (rb + 1) * (h + p))
        if ca == 0 and (b % ncol == 0 or b == self.count):
            return y0, y1, 0, W                         # whole rows
        if ra != rb:
            raise ValueError(f"cells {a}..{b} are neither whole rows nor part of one row")
        x1 = W if b == self.count or b % ncol == 0 else (b % ncol) * (w + p)
        return y0, y1, ca * (w + p), x1

    def add(self, images: np.ndarray, a: int, b: int) -> tuple[int, int, int, int]:
        """Tile `images` (b - a, h, w, C) as cells [a, b) and convert their region to the display
        copy; returns the region (y0, y1, x0, x1)."""
        if self.single:
            self.pixels = images[0]                     # (h, w, C), a view of the batch
            self.map.paint(self.display, self.pixels, 0, self.shape[0], 0, self.shape[1])
            return 0, self.shape[0], 0, self.shape[1]
        (h, w), p = self.cell, self.pad
        rows = self.pixels[p:, p:].reshape(self.nrow, h + p, self.ncol, w + p, -1)
        cells = rows[:, :h, :, :w]                      # (R, h, K, w, C) view
        i = a
        while i < b:                                    # one strided copy per row of cells
            r, c0 = divmod(i, self.ncol)
            c1 = min(self.ncol, c0 + b - i)
            cells[r, :, c0:c1] = images[i - a:i - a + c1 - c0].transpose(1, 0, 2, 3)
            i += c1 - c0
        y0, y1, x0, x1 = region = self.region(a, b)
        self.map.paint(self.display, self.pixels, y0, y1, x0, x1)
        return region
