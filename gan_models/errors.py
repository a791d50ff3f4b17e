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
