"""User-facing errors.

Every error a user can cause (missing file, corrupt record, bad config key) is raised as a
``SeqlabError`` whose message is one line naming the thing and the fix. The CLI prints it
without a traceback; anything else escaping is a bug in seqlab.
"""


class SeqlabError(Exception):
    """A problem with the user's input; the message says what and how to fix it."""

    exit_code = 1


class ConfigError(SeqlabError):
    """A bad configuration: unknown key, wrong type, missing file (CLI exit code 2)."""

    exit_code = 2


class DataError(SeqlabError):
    """Input data that cannot be used as it is: missing, corrupt, or inconsistent."""
