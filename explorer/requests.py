"""The plain data that crosses between the UI thread and the render thread. No Qt, no torch.

A panel fills a `RenderRequest` (what to generate and how to tile it); the renderer stamps
it; the render thread answers with a `RenderResult` holding C-contiguous uint8 images that
the UI shows without copying. A progressive request is answered in pieces: partial results
(`partial=True`) each carry the mosaic `Patch`es of the samples just rendered, then one complete
result as for any request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:          # annotations only: importing latents would import torch, and the
    from .latents import LatentBatch   # window's frame is built before torch (explorer/app.py)


@dataclass(frozen=True)
class GridSpec:
    """Tile `count` consecutive samples of the batch into one mosaic."""
    count: int
    ncol: int
    pad: int = 2              # pixels between cells (0 for a single image)
    zoom: int = 1             # also make the display copy this many times larger (nearest), so
                              # the view blits it 1:1 instead of scaling on the UI thread
    size: tuple = ()          # (h, w): make the display copy exactly this size instead (an uneven
                              # zoom, nearest), for the same 1:1 blit


@dataclass
class RenderRequest:
    channel: str              # the view asking, e.g. "sampling.grid"; newer requests replace older ones
    model_id: int             # the model this was built for; requests for another model are dropped
    batch: LatentBatch        # generator inputs
    grids: tuple = ()         # GridSpecs over consecutive samples; () -> one square-ish grid of all
    scores: bool = False      # also run D (when the checkpoint has one)
    progressive: bool = False  # the view shows partial results: the engine may render in chunks
    stamp: int = 0            # set by Renderer.submit; larger = newer


@dataclass(frozen=True)
class Patch:
    """A rectangle of one mosaic that is final: the samples just rendered and the pad around them.
    The patches of one request tile its mosaics exactly (no overlap). `mosaic` and `canvas` are
    the whole buffers the render thread is filling: only the rectangles of the patches handed out
    so far are final (the render thread never writes them again), so a view reads those alone."""
    grid: int                 # which mosaic (index into the request's GridSpecs)
    region: tuple             # (y0, y1, x0, x1) in the mosaic
    display_region: tuple     # (y0, y1, x0, x1) in the mosaic's display copy
    mosaic: np.ndarray        # (H, W, C) uint8, C-contiguous: the whole mosaic being filled
    canvas: np.ndarray        # (H', W', 4) uint8 RGB32, C-contiguous: its display copy being filled


@dataclass
class RenderResult:
    channel: str
    stamp: int
    model_id: int
    batch: LatentBatch                    # the inputs, so views can describe a sample
    images: np.ndarray | None = None      # (B, H, W, C) uint8, image models
    points: np.ndarray | None = None      # (B, D) float32, points models
    grids: list = field(default_factory=list)   # one (H, W, C) uint8 mosaic per GridSpec
    display: list = field(default_factory=list)  # the same mosaics as (zH, zW, 4) QImage RGB32 bytes (z: spec.zoom)
    specs: tuple = ()                     # the GridSpecs the mosaics were made with
    scores: np.ndarray | None = None      # (B,) P(real) from D, when asked and available
    forward_s: float = 0.0                # generator forward time (with the uint8 conversion when fused)
    total_s: float = 0.0                  # whole job in the render thread
    partial: bool = False                 # more of this request is coming (only `patches` and
                                          # images[:done] are filled; grids and display are empty)
    start: int = 0                        # the newest chunk is samples [start, done)
    done: int = 0                         # samples rendered so far (all of them when complete)
    patches: list = field(default_factory=list)  # the newest chunk's Patches (progressive requests)
    first_s: float = 0.0                  # render thread: job start -> first chunk ready


@dataclass(frozen=True)
class LoadRequest:
    path: str                 # a checkpoint file or a run folder
    model_id: int             # the id the model gets if the load succeeds
    stamp: int = 0


@dataclass
class DirectionsRequest:
    """Find the model's principal latent directions (gan_models.directions), on the render thread."""
    channel: str
    model_id: int
    k: int = 6                # directions wanted
    n: int = 2000             # samples drawn to find them
    seed: int = 0
    stamp: int = 0


@dataclass
class DirectionsResult:
    channel: str
    stamp: int
    model_id: int
    vectors: np.ndarray       # (k, z_dim) float32 unit directions in z
    explained: np.ndarray     # (k,) fraction of the output variance per direction
    z_std: np.ndarray         # (k,) the prior's std along each direction
    n: int
    total_s: float = 0.0
