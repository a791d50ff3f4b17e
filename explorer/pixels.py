"""Pixel layout shared by the render thread and the monitor's poller (numpy only, no Qt/torch)."""
from __future__ import annotations

import numpy as np


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
    copy stays here because here it is off the UI thread, which stays free for input."""
    a32 = a.astype(np.uint32)
    r, g, b = (a32[..., 0],) * 3 if a.shape[2] == 1 else (a32[..., 0], a32[..., 1], a32[..., 2])
    px = np.uint32(0xFF000000) | (r << 16) | (g << 8) | b                       # (H, W) uint32
    if size and tuple(size) != px.shape:
        rows, cols = (np.bincount(((2 * np.arange(n) + 1) * m) // (2 * n), minlength=m)
                      for n, m in zip(size, px.shape))                       # repeats per source row / column
        px = np.repeat(np.repeat(px, cols, axis=1), rows, axis=0)              # size
    elif zoom > 1:
        px = np.repeat(np.repeat(px, zoom, axis=1), zoom, axis=0)              # (zoom*H, zoom*W)
    return np.ascontiguousarray(px).view(np.uint8).reshape(px.shape[0], px.shape[1], 4)
