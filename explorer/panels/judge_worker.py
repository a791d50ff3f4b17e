"""JudgeWorker: the faces judge on its own QThread, for the Arithmetic panel's "by attribute".

Three jobs on the worker's own copy of the checkpoint (no nn.Module is shared with the render
thread; the copy and the judge are loaded once per model and kept, jobs run one at a time): "pool" draws prior samples, has the judge read them and reports their z grouped by
(glasses, smile); "read" renders given z and reports the judge's reading as one line;
"directions" finds the named directions (train.faces_directions) for the Directions panel. The judge
is trained once and cached (train.faces_judge.get_judge); the first job may take minutes.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThread, Signal

from gan_models.errors import GanExplorerError


_LOADED: dict = {}          # (path, mtime) -> (generator, judge, value_range): one load per model
_LOCK = threading.Lock()    # one job at a time: the cached generator is not run by two threads at once


def _load(path):
    from gan_models.checkpoint import load_checkpoint
    from train import faces_judge as FJ
    key = (str(path), Path(path).stat().st_mtime_ns)
    if key not in _LOADED:
        ck = load_checkpoint(path)
        _LOADED.clear()                                  # only the current model is kept
        _LOADED[key] = (ck.generator.eval(), FJ.get_judge(), tuple(ck.value_range))
    return _LOADED[key]


class JudgeWorker(QThread):
    finished_ok = Signal(int, str, object)     # job id, kind ("pool", "read", "directions"), payload
    failed = Signal(int, str)                  # job id, message

    def __init__(self, job: int, kind: str, path, z: np.ndarray | None = None, seed: int = 0, parent=None):
        super().__init__(parent)
        self.job, self.kind, self.path, self.z, self.seed = job, kind, path, z, seed

    def run(self) -> None:
        try:
            import torch
            from train.faces_arithmetic import exemplar_pool, reading_line
            from train.metrics import judge_images
            torch.set_num_threads(1)
            with _LOCK, torch.no_grad():
                g, judge, vr = _load(self.path)
                if self.kind == "pool":
                    z, groups = exemplar_pool(g, judge, seed=self.seed, value_range=vr)
                    payload = (z.numpy().astype(np.float32), groups)
                elif self.kind == "directions":
                    from train.faces_directions import attribute_directions
                    payload = attribute_directions(g, judge, seed=self.seed, value_range=vr)
                else:
                    payload = reading_line(judge, judge_images(g, torch.from_numpy(self.z), None, None, vr))
            self.finished_ok.emit(self.job, self.kind, payload)
        except (GanExplorerError, OSError, ValueError, RuntimeError) as e:
            self.failed.emit(self.job, f"{type(e).__name__}: {e}" if not isinstance(e, GanExplorerError) else str(e))
