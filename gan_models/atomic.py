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
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as e:                          # read-only folder, a file in the way, disk full
        raise OutputError(write_failure(path, e)) from None
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        with contextlib.suppress(OSError):        # make the rename itself durable
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):                # disk full while writing, a rename refused
            raise OutputError(write_failure(path, e)) from None
        raise


def write_bytes_atomic(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
