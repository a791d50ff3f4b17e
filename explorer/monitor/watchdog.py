"""Watchdog: spots the three classic failures in a run folder's numbers and sample grids.

* D wins: D(G(z)) stays near 0, so G's minimax gradient vanishes.
* Mode collapse: the fixed-z grid's diversity (mean pairwise distance between its tiles, or
  between its points for toy runs) falls far below its best earlier value.
* NaN: a non-finite loss row, or a 'diverged' event from the trainer.
No Qt here: the monitor view turns `Warning`s into a banner.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from train.playground_math import mean_pairwise_distance

D_WINS_BELOW = 0.03       # mean D(G(z)) over the window below this: G gets ~no minimax gradient
D_WINS_ROWS = 10          # logged rows in the window
COLLAPSE_RATIO = 0.35     # diversity below this fraction of its earlier best = collapse
COLLAPSE_MIN_GRIDS = 3    # grids needed before judging (the first grid is random noise)


@dataclass(frozen=True)
class Warning:
    kind: str             # 'nan' | 'd_wins' | 'collapse'
    message: str
    step: int = 0


class Watchdog:
    def __init__(self):
        self.diversity: dict[Path, float] = {}
        self._d_fake: list[float] = []
        self.nan: Warning | None = None

    def reset(self) -> None:
        self.__init__()

    def feed_rows(self, rows: list[dict]) -> None:
        for r in rows:
            v = r.get("d_fake")
            if isinstance(v, (int, float)):
                self._d_fake = (self._d_fake + [float(v)])[-D_WINS_ROWS:]
            losses = [r.get(k) for k in ("loss_d", "loss_g")]
            if self.nan is None and any(isinstance(v, float) and not math.isfinite(v) for v in losses):
                self.nan = Warning("nan", f"NaN/inf loss at step {r.get('step')}: training diverged.",
                                   int(r.get("step", 0)))

    def feed_events(self, events: list[dict]) -> None:
        for ev in events:
            if ev.get("event") == "diverged":
                self.nan = Warning("nan", ev.get("message") or "training diverged (NaN/inf)",
                                   int(ev.get("step", 0)))

    def warnings(self) -> list[Warning]:
        out = [self.nan] if self.nan else []
        if len(self._d_fake) >= D_WINS_ROWS and float(np.mean(self._d_fake)) < D_WINS_BELOW:
            out.append(Warning("d_wins", f"D(G(z)) has stayed near 0 ({np.mean(self._d_fake):.3f}): D wins and "
                                         "G gets almost no gradient. Try the non-saturating G loss, a lower "
                                         "D learning rate or fewer D steps."))
        scores = [self.diversity[p] for p in sorted(self.diversity)]
        if len(scores) >= COLLAPSE_MIN_GRIDS:
            best = max(scores[1:-1] or scores[:-1])
            if best > 0 and scores[-1] < COLLAPSE_RATIO * best:
                out.append(Warning("collapse", f"Mode collapse: the fixed-z samples are {scores[-1] / best:.0%} as "
                                               "diverse as earlier in the run. Try PacGAN packing, a lower "
                                               "learning rate, or revert to an earlier checkpoint."))
        return out


def sample_diversity(path: Path, config: dict | None) -> float | None:
    """Mean pairwise distance of one saved grid's samples; None when it cannot be read yet."""
    try:
        tiles = sample_tiles(path, config)
    except Exception:
        return None                      # a grid being written: try again on the next poll
    return None if tiles is None else mean_pairwise_distance(tiles)


def sample_tiles(path: Path, config: dict | None) -> np.ndarray | None:
    """The fixed-z samples of one saved grid as rows (N, F): the points (.npy twin) for toy
    runs, else the tiles cut from the PNG mosaic (layout from config.json: n_fixed, columns)."""
    path = Path(path)
    npy = path.with_suffix(".npy")
    if npy.is_file():
        pts = np.load(npy, allow_pickle=False)
        return pts.reshape(len(pts), -1)
    if not config:
        return None
    from PIL import Image
    shape = config["model"].get("data_shape") or []
    if len(shape) != 3:
        return None
    _, h, w = shape
    n = int(config["train"].get("n_fixed", 64))
    m = config["model"]
    cols = m.get("num_classes") or (list(m.get("cat_codes") or [0]) + [0])[0]
    if cols:
        n = max(1, n // cols) * cols
    ncol = cols or int(math.ceil(math.sqrt(n)))
    nrow = int(math.ceil(n / ncol))
    img = np.asarray(Image.open(path).convert("L"), np.float32) / 255.0
    pad = 2
    scale = max(1, round(img.shape[0] / (nrow * (h + pad) + pad)))
    tiles = []
    for i in range(n):
        r, k = divmod(i, ncol)
        y, x = (pad + r * (h + pad)) * scale, (pad + k * (w + pad)) * scale
        tiles.append(img[y:y + h * scale:scale, x:x + w * scale:scale].ravel())
    return np.stack(tiles)
