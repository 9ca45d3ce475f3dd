"""Errors a user can fix, and how the command-line tools report them.

Every error of the plugin that names a problem in what the user gave (a
config value, a dataset, a class-text file, a checkpoint, an unsafe file, a
non-finite loss) derives from :class:`UserError`. The tools under ``tools/``
print such an error as one message and exit with status 1, without a
traceback; ``--debug`` or ``HICROPL_DEBUG=1`` shows the traceback. Any other
exception is a bug and keeps its traceback.

Subclasses also derive from the builtin they specialise (``ValueError``,
``FileNotFoundError``, ...), so callers that catch those keep working. Each
must accept a single message argument: MMEngine's registry re-raises errors
from constructors as ``type(e)(message)``.
"""


class UserError(Exception):
    """A problem in the user's inputs; the message names the fix."""


class ConfigError(UserError, ValueError):
    """A config value that cannot work (named with its key and the fix)."""


class DataError(UserError, ValueError):
    """A dataset, split file or class-text file that cannot be used."""


class CheckpointError(UserError, RuntimeError):
    """A checkpoint or weights file that does not fit the model."""


class CheckpointNotFoundError(UserError, FileNotFoundError):
    """A checkpoint path that does not exist (the message names it)."""
