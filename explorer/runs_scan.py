"""The runs folder as the Models list shows it: which run folders there are and what state
each is in, read from the folders alone (no Qt, no torch, no training process needed).

A run appears as soon as its trainer has written config.json (before the first step), not
only once it has a checkpoint. Its state comes from events.jsonl: running after
started/resumed, else the last of finished / stopped / diverged. `signature()` is what
changes when the list would: the model list compares it to skip refreshes that would show
the same thing (file-system events arrive for every write).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from train.run_folder import read_jsonl

ENDED = ("finished", "stopped", "diverged")
STALE_S = 600          # a "running" run whose files have not changed for this long may be dead


@dataclass(frozen=True)
class RunEntry:
    path: Path
    state: str              # "running" | "finished" | "stopped" | "diverged" | "" (no events)
    step: int | None        # the newest step an event names
    has_checkpoint: bool
    idle_s: float           # seconds since its events, metrics or checkpoint last changed

    @property
    def name(self) -> str:
        return self.path.name

    def state_text(self) -> str:
        """"running", "finished", "running? (no update for 14 min)", ..."""
        if self.state == "running" and self.idle_s > STALE_S:
            return f"running? (no update for {self.idle_s / 60:.0f} min)"
        return self.state


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def _latest(run: Path) -> Path:
    return run / "checkpoints" / "latest.safetensors"


def _activity(run: Path) -> float:
    return max(_mtime(run / "events.jsonl"), _mtime(run / "metrics.jsonl"), _mtime(_latest(run)),
               _mtime(run / "config.json"))


def run_folders(runs_dir: Path) -> list[Path]:
    """Folders under runs_dir that are runs (config.json or a latest checkpoint), newest first."""
    try:
        children = [p for p in Path(runs_dir).iterdir() if p.is_dir()]
    except OSError:
        return []
    runs = [p for p in children if (p / "config.json").is_file() or _latest(p).is_file()]
    return sorted(runs, key=lambda p: (_mtime(_latest(p)) or _activity(p)), reverse=True)


def read_run(run: Path, now: float | None = None) -> RunEntry:
    state, step = "", None
    for ev in read_jsonl(run / "events.jsonl"):
        kind = ev.get("event")
        if kind in ("started", "resumed"):
            state = "running"
        elif kind in ENDED:
            state = kind
        if isinstance(ev.get("step"), int):
            step = ev["step"]
    now = time.time() if now is None else now
    return RunEntry(run, state, step, _latest(run).is_file(), max(0.0, now - _activity(run)))


def scan(runs_dir: Path) -> list[RunEntry]:
    return [read_run(p) for p in run_folders(runs_dir)]


def signature(runs_dir: Path) -> tuple:
    """Cheap (stat calls only): changes when a run appears or goes, writes an event or a
    checkpoint. Metrics rows (every logged step) are left out on purpose."""
    stale_before = time.time() - STALE_S
    return tuple((p.name, _mtime(p / "events.jsonl"), _mtime(_latest(p)), _activity(p) < stale_before)
                 for p in run_folders(runs_dir))
