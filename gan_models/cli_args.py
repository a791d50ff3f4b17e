"""The one set of argparse types every `gan-explorer` subcommand uses for its numbers and paths.

A bad value fails while the arguments are parsed, before any file is read or any model built:
`Parser.error` raises `UsageError`, which the CLI boundary (explorer/cli.py, train/cli.py)
prints as one line and turns into exit status 2, like every other `GanExplorerError`.
Each type is a plain function of the text, so the same checks serve tests and other callers.
"""
from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path

from .errors import GanExplorerError

SEED_MAX = 2**63 - 1              # torch.Generator.manual_seed takes < 2^64; seed + 1 is used too
TRAIN_SEED_MAX = 10**12          # training derives seeds as seed * 1000003 + j; they must stay < 2^64
_SYSTEM_ROOTS = ("/proc", "/sys", "/dev")   # virtual file systems: never a place for an output file
DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d{1,4})?)$")


class UsageError(GanExplorerError):
    """A command-line argument is malformed or out of range."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit 2 at the boundary."""

    def error(self, message: str):
        raise UsageError(f"{self.prog.removeprefix('gan-explorer ')}: {message}")


def _fail(text: str, expected: str):
    raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")


def int_in(lo: int, hi: int):
    """An integer in [lo, hi] (written in decimal, e.g. 64 or 1_000)."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            _fail(text, f"an integer in [{lo}, {hi}]")
        if not lo <= v <= hi:
            _fail(text, f"an integer in [{lo}, {hi}]")
        return v
    parse.__name__ = "integer"
    return parse


def float_in(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False):
    """A finite number in the interval; `lo_open` / `hi_open` exclude that end."""
    span = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            _fail(text, f"a number in {span}")
        ok = math.isfinite(v) and (lo < v if lo_open else lo <= v) and (v < hi if hi_open else v <= hi)
        if not ok:
            _fail(text, f"a finite number in {span}")
        return v
    parse.__name__ = "number"
    return parse


def finite_float(text: str) -> float:
    """Any finite number (ranges are checked by the config that receives it)."""
    try:
        v = float(text)
    except ValueError:
        _fail(text, "a number")
    if not math.isfinite(v):
        _fail(text, "a finite number (not nan or inf)")
    return v


seed = int_in(0, SEED_MAX)
train_seed = int_in(0, TRAIN_SEED_MAX)
truncation = float_in(0.0, 1.0, lo_open=True)


def device(text: str) -> str:
    """auto | cpu | cuda | cuda:N | mps (whether it is present is checked when it is used)."""
    if not DEVICE_RE.match(text):
        _fail(text, "auto, cpu, cuda, cuda:N or mps")
    return text


def check_output(text: str, suffixes: tuple[str, ...] = (), folder: bool = False) -> Path:
    """A path a command may write: not under /proc, /sys or /dev; a file path that is not a
    folder (or, with `folder`, a folder path that is not a file); its nearest existing parent
    a folder this process may write in. Raises argparse.ArgumentTypeError naming the problem."""
    p = Path(text).expanduser()
    full = Path(os.path.abspath(p))
    real = full.resolve()
    for root in _SYSTEM_ROOTS:
        if any(q == Path(root) or Path(root) in q.parents for q in (full, real)):
            raise argparse.ArgumentTypeError(f"{text}: is under {root}, a system folder; "
                                             "choose a path in a normal folder")
    if folder:
        if p.exists() and not p.is_dir():
            raise argparse.ArgumentTypeError(f"{text}: is a file; expected a folder")
    else:
        if p.is_dir():
            raise argparse.ArgumentTypeError(f"{text}: is a folder; expected a file name")
        if suffixes and p.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"{text}: the output must end in " + " or ".join(suffixes))
    parent = full if folder and p.is_dir() else full.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {parent} (read-only or no permission)")
    return p


def out_file(*suffixes: str):
    """An argparse type: an output file path (optionally with one of `suffixes`)."""
    def parse(text: str) -> str:
        check_output(text, tuple(s.lower() for s in suffixes))
        return text
    parse.__name__ = "output file"
    return parse


def out_folder(text: str) -> str:
    """An argparse type: a folder to create or write in."""
    check_output(text, folder=True)
    return text
