"""Atomic file writes: a crash mid-save never leaves a broken file under the final name."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import OutputError, write_failure


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temp path in the same folder; on success fsync it and rename it over `path`.

    On any exception the temp file is removed and the final name is left untouched; an OSError
    (disk full, read-only folder) comes out as an `OutputError` naming `path`.
    """
    with atomic_paths(path) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_paths(*paths: str | os.PathLike):
    """atomic_path for files that belong together (a z.npy and its sidecar): every temp file is
    written and synced before the first rename, so a full disk or a read-only folder changes none
    of them; the renames follow in the order given."""
    paths = [Path(p) for p in paths]
    tmps: list[Path] = []
    current = paths[0]                            # the file a failure is reported against
    try:
        for path in paths:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                os.close(fd)
            except OSError as e:                  # read-only folder, a file in the way, disk full
                raise OutputError(write_failure(path, e)) from None
            tmps.append(Path(tmp))
        yield tuple(tmps)
        for path, tmp in zip(paths, tmps):
            current = path
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        for path, tmp in zip(paths, tmps):
            current = path
            os.replace(tmp, path)
        for folder in {p.parent for p in paths}:
            with contextlib.suppress(OSError):    # make the renames themselves durable
                dfd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
    except BaseException as e:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(e, OSError):                # disk full while writing, a rename refused
            raise OutputError(write_failure(current, e)) from None
        raise


def write_bytes_atomic(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
