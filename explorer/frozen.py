"""Running from a PyInstaller bundle or from source: the few places where that differs.

In a bundle `sys.executable` is the GANExplorer program itself, not a Python interpreter, so
`[sys.executable, "-m", "train", ...]` cannot work there; the bundle's program takes
`train ...` as a subcommand instead. Start a training subprocess with `train_command()`.
"""
from __future__ import annotations

import sys
from pathlib import Path


def is_frozen() -> bool:
    """True inside a PyInstaller bundle (onedir or onefile)."""
    return bool(getattr(sys, "frozen", False))


def train_command(*args: str) -> list[str]:
    """The argv that starts the headless trainer in a new process, followed by `args`.

    >>> train_command("--model", "gan", "--dataset", "ring8")   # from source
    ['/path/to/python', '-m', 'train', '--model', 'gan', '--dataset', 'ring8']
    """
    head = [sys.executable, "train"] if is_frozen() else [sys.executable, "-m", "train"]
    return head + list(args)


def resource_root() -> Path:
    """The folder that holds `resources/`: the bundle's data folder, or the source checkout."""
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))


def icon_path() -> Path:
    """The app icon (PNG); may be missing in a stripped-down checkout."""
    return resource_root() / "resources" / "icons" / "gan-explorer.png"
