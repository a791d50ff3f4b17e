"""ProjectorWorker: one projection (train.projector) on its own QThread.

The worker loads its own copy of the checkpoint, so no `nn.Module` is shared with the render
thread; it reports progress as (step, loss, uint8 image) and the result with its image as
uint8 too (images cross threads as C-contiguous uint8 arrays). `cancel()` is honoured
between two optimisation steps.
"""
from __future__ import annotations

from PySide6.QtCore import QThread, Signal

from gan_models.errors import GanExplorerError


class ProjectorWorker(QThread):
    # every signal carries the run's number first, so a panel can drop a stale run's reports
    progressed = Signal(int, int, float, object)   # run, step, best loss so far, (H, W, C) uint8
    finished_ok = Signal(int, object, object)      # run, ProjectionResult, (H, W, C) uint8 reconstruction
    failed = Signal(int, str)                      # run, message

    def __init__(self, run: int, path, target, cfg, parent=None):
        super().__init__(parent)
        self.run_id, self.path, self.target, self.cfg = run, path, target, cfg
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @staticmethod
    def _uint8(image):
        from gan_models.images import to_uint8
        return to_uint8(image[None])[0]                     # (H, W, C), image in [-1, 1]

    def _on_progress(self, p) -> None:
        self.progressed.emit(self.run_id, p.step, p.loss, self._uint8(p.image))

    def run(self) -> None:
        try:
            from gan_models.checkpoint import load_checkpoint
            from train.projector import project
            ck = load_checkpoint(self.path)      # this thread's own copy
            r = project(ck.generator, self.target, ck.discriminator, self.cfg, tuple(ck.value_range),
                        progress=self._on_progress, should_stop=lambda: self._cancelled)
            self.finished_ok.emit(self.run_id, r, self._uint8(r.image))
        except GanExplorerError as e:
            self.failed.emit(self.run_id, str(e))
        except Exception as e:  # a worker never takes the window down
            self.failed.emit(self.run_id, f"the projection failed: {type(e).__name__}: {e}")
