"""The one error type users see from the core and the trainer.

Every message names the file or field at fault and says, in plain words, what was expected.
The CLI prints it as one line and exits 2; the app shows it in a message box.
"""


class GanExplorerError(Exception):
    """Base of every error the product reports to a user (never a raw traceback)."""


class CheckpointError(GanExplorerError):
    """A file could not be loaded as a model/checkpoint: the message says which file and why."""


class ConfigError(GanExplorerError):
    """A model/training config field is missing, of the wrong type, or out of range."""


class DatasetError(GanExplorerError):
    """A data set name or folder could not be found or parsed."""


class OutputError(GanExplorerError):
    """A file could not be written (disk full, read-only folder, a folder in the way)."""


def write_reason(e: BaseException) -> str:
    """Why a write failed, in words: the disk being full said plainly, else the OS's reason."""
    full = getattr(e, "errno", None) == 28 or "StorageFull" in str(e) or "No space left" in str(e)
    return "the disk is full" if full else (getattr(e, "strerror", None) or str(e) or "an input/output error")


def write_failure(path, e: BaseException) -> str:
    """One line for a failed write: the path, and the disk being full said in words."""
    return f"{path}: could not be written ({write_reason(e)}); any earlier file of that name is unchanged"


def in_words(e: BaseException) -> str:
    """What went wrong inside a third-party reader (pickle, PIL, json), for a one-line message:
    its own text, never the name of its Python exception class."""
    if isinstance(e, UnicodeDecodeError):
        return f"not UTF-8 text (byte 0x{e.object[e.start]:02x} at position {e.start})"
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if isinstance(e, KeyError):
        return f"{e.args[0]!r} is missing" if e.args else "a field is missing"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if isinstance(e, EOFError):
        return text or "the data ends early (truncated)"
    return text or "the data is damaged"
