"""RunFollower: reads a run folder as it grows (no Qt, no training process needed).

Whoever wrote the folder — the app's training subprocess or `gan-explorer train` in a
terminal — the follower sees the same thing: new metrics rows and events (tailed by byte
offset with `read_jsonl_from`, so each poll reads only what was appended), the sample grids,
and the run's state (running / paused is not visible / finished / stopped / diverged).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from train.run_folder import RunFolder, read_jsonl_from, training_rows

ENDED = ("finished", "stopped", "diverged")


@dataclass
class Update:
    rows: list = field(default_factory=list)      # new metrics rows
    events: list = field(default_factory=list)    # new events
    samples_changed: bool = False
    reset: bool = False                           # metrics were rewritten (a resume): start over

    def __bool__(self) -> bool:
        return bool(self.rows or self.events or self.samples_changed or self.reset)


class RunFollower:
    def __init__(self, path):
        self.run = RunFolder(path, writable=False)
        self.path = self.run.path
        self._m_off = self._e_off = 0
        self.total: int | None = None        # steps planned (from the 'started'/'resumed' event)
        self.state = "waiting"               # waiting | running | finished | stopped | diverged
        self.last_event: dict | None = None
        self.last_row: dict | None = None
        self.samples: list[Path] = []
        self._config: dict | None = None

    @property
    def config(self) -> dict | None:
        """config.json once it exists (the trainer writes it before the first step)."""
        if self._config is None and self.run.config_path.is_file():
            try:
                self._config = self.run.read_config()
            except Exception:
                return None
        return self._config

    def poll(self) -> Update:
        up = Update()
        try:
            size = self.run.metrics_path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < self._m_off:               # truncated by a resume: read again from the start
            self._m_off, up.reset = 0, True
        up.rows, self._m_off = read_jsonl_from(self.run.metrics_path, self._m_off)
        up.events, self._e_off = read_jsonl_from(self.run.events_path, self._e_off)
        for ev in up.events:
            kind = ev.get("event")
            if kind in ("started", "resumed"):
                self.total = ev.get("total", self.total)
                self.state = "running"
            elif kind in ENDED:
                self.state = kind
            self.last_event = ev
        if up.rows:
            rows = training_rows(up.rows)          # not the live quality rows between them
            self.last_row = rows[-1] if rows else self.last_row
            if self.state == "waiting":
                self.state = "running"
        samples = sorted(p for p in self.run.list_samples() if p.suffix == ".png")
        if samples != self.samples:
            self.samples, up.samples_changed = samples, True
        return up

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    def latest_checkpoint(self) -> Path | None:
        for p in (self.run.latest, self.run.last_good):
            if p.is_file():
                return p
        return None
