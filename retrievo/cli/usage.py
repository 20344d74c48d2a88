"""Problems with the command line itself, told apart from errors the engine answers.

The split decides the exit status: a :class:`UsageError` (an option that makes no sense, a file
that cannot be opened) exits with 2, as argparse does for bad options; an Elasticsearch-shaped
:class:`~retrievo.errors.ApiError` (anything the engine, or a real cluster, would answer with an
error body) exits with 1.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A command line that cannot run; the message is printed after ``retrievo CMD: error:``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
