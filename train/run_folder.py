"""A run is a folder. This module owns its layout; the trainer writes it, anything reads it.

    <run>/config.json          everything needed to reproduce (model, train, dataset, versions)
    <run>/metrics.jsonl        one JSON object per logged step (appended, flushed per row)
    <run>/events.jsonl         started / checkpoint / sample / stopped / diverged / finished
    <run>/samples/step_0000200.png   grids from one fixed z
    <run>/checkpoints/latest.safetensors, last_good.safetensors, step_0001000.safetensors

Readers (the GUI monitor, a terminal, a script on shared storage) never need the training
process: `read_metrics` / `read_events` tolerate a half-written last line.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from gan_models.atomic import atomic_path, write_text_atomic
from gan_models.errors import GanExplorerError, OutputError, in_words, write_reason

CHECKPOINTS = "checkpoints"
SAMPLES = "samples"


def new_run_dir(root, kind: str, dataset: str) -> Path:
    """runs/<YYYYmmdd-HHMMSS>-<kind>-<dataset>, made unique with a suffix if needed."""
    tag = Path(dataset).name if ("/" in dataset or os.sep in dataset) else dataset
    tag = "".join(c if c.isalnum() or c in "-_" else "_" for c in tag)[:40] or "data"
    base = Path(root) / f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{tag}"
    p, i = base, 1
    while p.exists():
        p, i = base.with_name(f"{base.name}-{i}"), i + 1
    return p


class RunFolder:
    def __init__(self, path, writable: bool = True):
        self.path = Path(path)
        self.writable = writable
        if writable:
            (self.path / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
            (self.path / SAMPLES).mkdir(exist_ok=True)

    # paths
    @property
    def config_path(self) -> Path: return self.path / "config.json"
    @property
    def metrics_path(self) -> Path: return self.path / "metrics.jsonl"
    @property
    def events_path(self) -> Path: return self.path / "events.jsonl"
    @property
    def latest(self) -> Path: return self.path / CHECKPOINTS / "latest.safetensors"
    @property
    def last_good(self) -> Path: return self.path / CHECKPOINTS / "last_good.safetensors"

    def numbered(self, step: int) -> Path:
        return self.path / CHECKPOINTS / f"step_{step:07d}.safetensors"

    def sample_path(self, step: int, ext: str = "png") -> Path:
        return self.path / SAMPLES / f"step_{step:07d}.{ext}"

    # writing
    def write_config(self, cfg: dict) -> None:
        write_text_atomic(self.config_path, json.dumps(cfg, indent=2, default=str) + "\n")

    def read_config(self) -> dict:
        try:
            return json.loads(self.config_path.read_text())
        except FileNotFoundError:
            raise GanExplorerError(f"{self.path}: not a run folder (no config.json)") from None
        except json.JSONDecodeError as e:
            raise GanExplorerError(f"{self.config_path}: not valid JSON ({e.msg})") from None
        except (OSError, UnicodeDecodeError, RecursionError) as e:
            raise GanExplorerError(f"{self.config_path}: cannot be read ({in_words(e)})") from None

    def _append(self, path: Path, row: dict) -> None:
        """One JSON line at the end of a log. A failed write (disk full) is one line that stops
        the run; a half line it may leave is skipped by read_jsonl and dropped on --resume."""
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row, allow_nan=True) + "\n")
                f.flush()
        except OSError as e:
            raise OutputError(f"{path}: could not be written ({write_reason(e)}); "
                              "the run stopped, its last checkpoint is kept (--resume continues it)") from None

    def log_metrics(self, row: dict) -> None:
        self._append(self.metrics_path, row)

    def event(self, kind: str, step: int, **info) -> None:
        self._append(self.events_path, {"time": time.time(), "event": kind, "step": step, **info})

    def truncate_metrics_after(self, step: int) -> None:
        """On resume: drop rows logged after the checkpoint (they will be logged again)."""
        rows = [r for r in read_jsonl(self.metrics_path)
                if isinstance(r, dict) and isinstance(r.get("step", 0), (int, float)) and r.get("step", 0) <= step]
        text = "".join(json.dumps(r) + "\n" for r in rows)
        write_text_atomic(self.metrics_path, text)

    def promote(self, src: Path, dst: Path) -> None:
        """Copy a checkpoint over another name, atomically."""
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)

    def promote_good(self, src: Path) -> None:
        """A checkpoint known to be finite becomes last_good."""
        self.promote(src, self.last_good)

    def remove_stale_temp(self) -> list[Path]:
        """Delete the temporary files of saves a kill interrupted (atomic_path's `.NAME.*.tmp`).
        Only the trainer that is about to write this run calls it: a reader must never, since
        a live trainer's save in progress looks the same."""
        gone = []
        for folder in (self.path, self.path / CHECKPOINTS, self.path / SAMPLES):
            for p in folder.glob(".*.tmp") if folder.is_dir() else ():
                try:
                    p.unlink()
                    gone.append(p)
                except OSError:
                    pass
        return gone

    def list_samples(self) -> list[Path]:
        return sorted((self.path / SAMPLES).glob("step_*.*"))

    def list_checkpoints(self) -> list[Path]:
        return sorted((self.path / CHECKPOINTS).glob("step_*.safetensors"))


def training_rows(rows: list[dict]) -> list[dict]:
    """The training rows of metrics.jsonl (losses, D's outputs, speed), without the live quality
    rows (step + q_* scores, train/live_quality.py) that are logged between them."""
    return [r for r in rows if "loss_d" in r]


def read_jsonl(path, start: int = 0) -> list[dict]:
    """Rows of a JSONL file from byte offset `start`; a half-written last line is skipped."""
    rows, _ = read_jsonl_from(path, start)
    return rows


def read_jsonl_from(path, start: int = 0) -> tuple[list[dict], int]:
    """(rows, next_offset): incremental tailing for monitors; stops before a partial line."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
    except FileNotFoundError:
        return [], start
    rows, consumed = [], 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        consumed += len(line)
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows, start + consumed


def read_jsonl_tail(path, max_bytes: int = 1 << 20) -> list[dict]:
    """Rows of the last `max_bytes` of a JSONL file (a cut first line is dropped): the recent
    history of a run of any length in bounded memory."""
    try:
        size = Path(path).stat().st_size
    except FileNotFoundError:
        return []
    start = max(0, size - max_bytes)
    if start:
        with open(path, "rb") as f:
            f.seek(start - 1)
            if f.read(1) != b"\n":                      # inside a line: start after its end
                start += len(f.readline())
    return read_jsonl(path, start)


def find_runs(root="runs") -> list[Path]:
    """Run folders under root, newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if (p / "config.json").is_file()]
    return sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)
