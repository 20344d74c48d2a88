"""The two errors of the date code: a ``format`` that cannot be compiled, a value no format parses."""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause

__all__ = ["DateFormatError", "DateParseError"]


class DateFormatError(ValueError):
    """A ``format`` string that is invalid, or uses something this implementation lacks.

    Callers turn it into the error of their context (a mapping error, a query error).
    """

    def __init__(self, format_string: str, detail: str) -> None:
        self.format_string = format_string
        self.detail = detail
        super().__init__(f"date format [{format_string}] is not supported: {detail}")


class DateParseError(ValueError):
    """A value that none of the formats parses.

    ``reason`` is Elasticsearch's ``IllegalArgumentException`` message (``failed to parse date
    field [v] with format [f]``) and ``detail`` the java.time ``DateTimeParseException`` message
    it wraps; :meth:`to_cause` renders both as the ``caused_by`` chain ES reports.
    """

    def __init__(self, value: str, format_string: str, detail: str) -> None:
        self.value = value
        self.format_string = format_string
        self.detail = detail
        self.reason = (
            "cannot parse empty datetime"
            if value == ""
            else f"failed to parse date field [{value}] with format [{format_string}]"
        )
        super().__init__(self.reason)

    def to_cause(self) -> dict[str, Any]:
        """``illegal_argument_exception`` caused by ``date_time_parse_exception``, as ES nests them."""
        if self.value == "":
            return error_cause("illegal_argument_exception", self.reason)
        return error_cause(
            "illegal_argument_exception", self.reason, error_cause("date_time_parse_exception", self.detail)
        )
