"""Compiled ``format`` strings (``a||b||c``): :class:`DateFormatter`, the compile cache, and the
parse/print helpers over them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from retrievo.index.dates.civil_time import NANOS_PER_MILLI, parse_time_zone, zone_offset_millis
from retrievo.index.dates.errors import DateFormatError, DateParseError
from retrievo.index.dates.named_formats import NAMED_FORMATS
from retrievo.index.dates.patterns import tokenize_pattern
from retrievo.index.dates.single_formats import Parsed, PatternFormat, SingleFormat

__all__ = [
    "DEFAULT_DATE_FORMAT",
    "DYNAMIC_DATE_FORMATS",
    "DateFormatter",
    "compile_date_format",
    "format_date_millis",
    "parse_date",
]

DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"
"""The format of a ``date`` field that names none (``DateFieldMapper.DEFAULT_DATE_TIME_FORMATTER``)."""

DYNAMIC_DATE_FORMATS: tuple[str, ...] = (
    "strict_date_optional_time||epoch_millis",
    "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis",
)
"""``RootObjectMapper``'s default ``dynamic_date_formats``: tried in order by date detection; the
matching entry becomes the new field's ``format`` (so ISO strings map to a plain ``date``)."""


@dataclass(frozen=True)
class DateFormatter:
    """A compiled ``format`` string (``a||b||c``): parses with the first format that fits and
    prints with the first format."""

    pattern: str
    formats: tuple[SingleFormat, ...]

    def _parse(self, text: str, round_up: bool) -> Parsed:
        if text == "":
            raise DateParseError(text, self.pattern, "cannot parse empty datetime")
        details: list[str] = []
        for single in self.formats:
            try:
                return single.parse(text, round_up)
            except ValueError as failure:
                details.append(str(failure))
        detail = details[0] if len(details) == 1 else "Failed to parse with all enclosed parsers"
        raise DateParseError(text, self.pattern, detail)

    def parse_millis(self, value: Any, round_up: bool = False, zone: tzinfo | None = None) -> int:
        """Epoch millis (UTC) of ``value``; values without an offset are read in ``zone`` (UTC
        when ``None``). ``round_up`` fills missing fields as ES's round-up parser does."""
        return self._parse(_value_text(value), round_up).to_millis(zone)

    def parse_nanos(self, value: Any, round_up: bool = False, zone: tzinfo | None = None) -> int:
        """Epoch nanoseconds (UTC) of ``value``, every fraction digit kept (``date_nanos``)."""
        parsed = self._parse(_value_text(value), round_up)
        return parsed.to_millis(zone) * NANOS_PER_MILLI + parsed.sub_millis_nanos

    def format_nanos(self, nanos: int, zone: tzinfo | None = None) -> str:
        """Epoch nanoseconds printed with the first format (its fraction digits show the nanoseconds)."""
        millis, sub = divmod(nanos, NANOS_PER_MILLI)
        first = self.formats[0]
        if not isinstance(first, PatternFormat):
            return first.format(millis, sub)
        offset = zone_offset_millis(millis, zone) if zone is not None else 0
        return first.format(millis + offset, offset // 1000, sub)

    def format_millis(self, millis: int, zone: tzinfo | None = None) -> str:
        """``millis`` printed with the first format (in UTC; ``zone`` shifts the local fields of pattern
        formats and prints its offset, as java.time does with a zoned formatter)."""
        first = self.formats[0]
        if zone is not None and isinstance(first, PatternFormat):
            offset = zone_offset_millis(millis, zone)
            return first.format(millis + offset, offset // 1000)
        return first.format(millis)


def _value_text(value: Any) -> str:
    """The text ES reads for a value: JSON numbers parse from their textual form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return str(value)


@functools.lru_cache(maxsize=512)
def compile_date_format(format_string: str) -> DateFormatter:
    """Compiles ``format_string`` (named formats and Java patterns joined by ``||``).

    Raises :class:`DateFormatError` for anything unsupported or malformed.
    """
    if not isinstance(format_string, str) or format_string.strip() == "":
        raise DateFormatError(str(format_string), "a date format must be a non-empty string")
    singles: list[SingleFormat] = []
    for part in format_string.split("||"):
        name = part.strip()
        if name == "":
            raise DateFormatError(format_string, "empty format between [||] separators")
        known = NAMED_FORMATS.get(name)
        if known is not None:
            singles.append(known)
            continue
        if re.fullmatch(r"[a-z]+(_[a-z]+)+", name):
            raise DateFormatError(format_string, f"named format [{name}] is not supported")
        elements = tokenize_pattern(name)
        singles.append(PatternFormat(name, elements, elements))
    return DateFormatter(format_string, tuple(singles))


# --------------------------------------------------------------------------------------------
# Public helpers
# --------------------------------------------------------------------------------------------


def parse_date(
    value: Any, formats: str = DEFAULT_DATE_FORMAT, *, round_up: bool = False, time_zone: str | None = None
) -> int:
    """Epoch millis (UTC) of a date value, as a ``date`` field with ``format=formats`` reads it.

    JSON numbers are read from their text (so ``1420070400001`` works with ``epoch_millis``).
    Raises :class:`DateParseError` when no format fits and :class:`DateFormatError` when the
    format itself is unsupported.
    """
    zone = parse_time_zone(time_zone) if time_zone is not None else None
    return compile_date_format(formats).parse_millis(value, round_up=round_up, zone=zone)


def format_date_millis(millis: int, formats: str = DEFAULT_DATE_FORMAT, time_zone: str | None = None) -> str:
    """``millis`` printed as ES prints a ``date`` field value: with the first of ``formats``
    (``2020-01-01T00:00:00.000Z`` for the default format)."""
    zone = parse_time_zone(time_zone) if time_zone is not None else None
    return compile_date_format(formats).format_millis(millis, zone)
