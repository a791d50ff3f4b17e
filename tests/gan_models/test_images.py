"""Image helpers every saved sample and every explorer frame goes through."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_models.images import make_grid, to_uint8


def _grid_by_hand(images, ncol, pad, pad_value):
    n, h, w, c = images.shape
    nrow = -(-n // ncol)
    out = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, c), pad_value, np.uint8)
    for i in range(n):
        r, k = divmod(i, ncol)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = images[i]
    return out


@pytest.mark.parametrize("n, ncol, pad, channels", [(64, 8, 2, 1), (63, 8, 2, 3), (5, 3, 0, 1), (1, 1, 0, 3),
                                                     (7, 7, 1, 1), (10, 4, 3, 3), (3, 5, 2, 1)])
def test_grid_puts_each_sample_in_its_cell_row_major(n, ncol, pad, channels):
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n, 6, 5, channels), dtype=np.uint8)
    grid = make_grid(images, ncol, pad, pad_value=17)
    assert np.array_equal(grid, _grid_by_hand(images, ncol, pad, 17))
    # the last sample sits in row (n-1)//ncol, column (n-1)%ncol
    r, k = divmod(n - 1, ncol)
    y, x = pad + r * (6 + pad), pad + k * (5 + pad)
    assert np.array_equal(grid[y:y + 6, x:x + 5], images[-1])


def test_uint8_maps_the_value_range_to_0_255_and_clips():
    x = torch.tensor([-1.5, -1.0, 0.0, 1.0, 2.0]).reshape(1, 1, 1, 5)
    assert to_uint8(x).reshape(-1).tolist() == [0, 0, 128, 255, 255]
    assert to_uint8(torch.tensor([0.0, 0.5, 1.0]).reshape(1, 1, 1, 3), (0, 1)).reshape(-1).tolist() == [0, 128, 255]
