"""Save a grid picture of a data set: ``python -m train.data.preview -o FILE``.

Labelled image data: one row per class (first --cols examples of each). Unlabelled:
the first rows*cols images. Scaled up with nearest neighbour so pixels stay crisp.
Example (the README picture): ``python -m train.data.preview -o docs/images/digits.png``
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from gan_models.errors import GanExplorerError


def grid_array(ds, rows: int = 10, cols: int = 10) -> np.ndarray:
    """-> uint8 (H, W) or (H, W, 3) grid with a 2-pixel black gutter."""
    if not getattr(ds, "is_image", False):
        raise GanExplorerError(f"{ds.name}: not an image data set; preview draws images only")
    if ds.labels is not None:
        rows = min(rows, ds.num_classes)
        picks = []
        for c in range(rows):
            idx = torch.nonzero(ds.labels == c).flatten()[:cols].tolist()
            picks.append(idx + [None] * (cols - len(idx)))
    else:
        picks = [[r * cols + c if r * cols + c < len(ds) else None for c in range(cols)]
                 for r in range(rows)]
    c_, h, w = ds.data_shape
    gap = 2
    out = np.zeros((rows * (h + gap) + gap, cols * (w + gap) + gap, c_), dtype=np.uint8)
    for r, row in enumerate(picks):
        for c, i in enumerate(row):
            if i is None:
                continue
            img = ((ds.x[i].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
            y0, x0 = gap + r * (h + gap), gap + c * (w + gap)
            out[y0:y0 + h, x0:x0 + w] = img
    return out[..., 0] if c_ == 1 else out


def main(argv=None) -> int:
    from PIL import Image
    from . import load_dataset
    ap = argparse.ArgumentParser(prog="python -m train.data.preview", description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True, help="PNG file to write")
    ap.add_argument("--data", default="digits", help="built-in name or folder (default digits)")
    ap.add_argument("--rows", type=int, default=10)
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--scale", type=int, default=3, help="nearest-neighbour upscale (default 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=None, help="samples to load (default: digits 1000)")
    a = ap.parse_args(argv)
    try:
        n = a.n if a.n is not None else (1000 if a.data == "digits" else None)
        ds = load_dataset(a.data, n=n, seed=a.seed)
        if getattr(ds, "streamed", False) and hasattr(ds, "take"):    # shapes: draw a subset
            ds = ds.take(max(40 * a.cols, a.rows * a.cols))
        g = grid_array(ds, a.rows, a.cols)
    except GanExplorerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    im = Image.fromarray(g)
    if a.scale > 1:
        im = im.resize((im.width * a.scale, im.height * a.scale), Image.Resampling.NEAREST)
    import io
    from gan_models.atomic import write_bytes_atomic
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    try:
        write_bytes_atomic(a.output, buf.getvalue())          # OutputError: one line, nothing half-written
    except GanExplorerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.output} ({im.width}x{im.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
