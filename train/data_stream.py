"""Batches for the trainer: epochs of shuffled in-memory data, or streamed samples (toys,
and the procedural shapes, which render each batch when it is drawn).

All randomness comes from the trainer's `torch.Generator`, and the epoch order and cursor
are part of the saved state, so a resumed run sees exactly the batches it would have seen.
"""
from __future__ import annotations

import torch


def to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """t on device; CUDA copies go through pinned memory without blocking (a copy from ordinary
    memory first waits for the GPU's queue to drain, so the CPU could never run ahead)."""
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


class DataStream:
    def __init__(self, dataset, batch: int, gen: torch.Generator, device=None):
        self.dataset, self.batch, self.gen = dataset, batch, gen
        self.device = device or torch.device("cpu")
        self.train_device = device
        self.finite = getattr(dataset, "x", None) is not None
        if self.finite:
            n = len(dataset.x)
            if n < batch:
                from gan_models.errors import ConfigError
                raise ConfigError(f"--batch-size {batch}: larger than the data set ({n} samples)")
            self.x = dataset.x.to(self.device)
            self.y = dataset.labels.to(self.device) if dataset.labels is not None else None
            self.steps_per_epoch = n // batch
            self.perm = torch.randperm(n, generator=gen)
            self.cursor = 0
        else:   # streamed: an "epoch" is the nominal size of a finite streamed set (shapes)
            self.steps_per_epoch = len(dataset) // batch if getattr(dataset, "streamed", False) else 0

    def next(self):
        """(x, y) on the training device; y is None for unlabelled data."""
        if not self.finite:
            x, y = self.dataset.sample_batch(self.batch, self.gen)
            return to_device(x, self.device), (to_device(y, self.device) if y is not None else None)
        if self.cursor + self.batch > len(self.perm):       # drop the ragged tail, reshuffle
            self.perm = torch.randperm(len(self.perm), generator=self.gen)
            self.cursor = 0
        idx = to_device(self.perm[self.cursor:self.cursor + self.batch], self.device)
        self.cursor += self.batch
        return self.x[idx], (self.y[idx] if self.y is not None else None)

    def state(self) -> dict:
        return {"perm": self.perm, "cursor": self.cursor} if self.finite else {}

    def load_state(self, st: dict) -> None:
        if self.finite and st:
            self.perm, self.cursor = st["perm"].clone(), int(st["cursor"])
