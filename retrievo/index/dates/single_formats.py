"""Single formats (one side of ``a||b``): a named ISO format or Java pattern
(:class:`PatternFormat`), or ``epoch_millis``/``epoch_second`` (:class:`EpochFormat`); each
parses a value to local epoch millis plus its offset, and prints millis."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal

from retrievo.index.dates.civil_time import (
    MILLIS_PER_DAY,
    MONTH_NAMES,
    NANOS_PER_MILLI,
    civil_from_days,
    days_from_civil,
    local_to_instant,
    month_length,
)
from retrievo.index.dates.elements import (
    ISO_OFFSET,
    Element,
    ParseFailure,
    match_elements,
    parse_offset,
    render_elements,
)

_FIELD_DEFAULTS = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "nano": 0}
_ROUND_UP_DEFAULTS = {"month": 1, "day": 1, "hour": 23, "minute": 59, "second": 59, "nano": 999_999_999}
"""ES's round-up parser (used for ``gt``/``lte`` bounds) fills *missing* fields with these values:
month and day stay 1 (documented ES behaviour: ``2099-12`` rounds up to ``2099-12-01T23:59:59.999``)."""

_FIELD_LIMITS = (
    ("month", "MonthOfYear", 1, 12),
    ("hour", "HourOfDay", 0, 23),
    ("minute", "MinuteOfHour", 0, 59),
    ("second", "SecondOfMinute", 0, 59),
)


@dataclass(frozen=True)
class Parsed:
    """A parsed value: local epoch millis plus the offset found in the text (``None``: none)."""

    local_millis: int
    offset_seconds: int | None
    #: The nanoseconds below the millisecond (kept for ``date_nanos``; ``date`` drops them).
    sub_millis_nanos: int = 0

    def to_millis(self, zone: tzinfo | None) -> int:
        if self.offset_seconds is not None:
            return self.local_millis - self.offset_seconds * 1000
        if zone is None:
            return self.local_millis
        return local_to_instant(self.local_millis, zone)


def _resolve_fields(text: str, fields: dict[str, int], round_up: bool) -> Parsed:
    """Checks ranges like java.time's STRICT resolver and computes local epoch millis."""
    defaults = _ROUND_UP_DEFAULTS if round_up else _FIELD_DEFAULTS
    values = {**defaults, **fields}
    year = values.get("year", 1970)
    for name, label, low, high in _FIELD_LIMITS:
        if not low <= values[name] <= high:
            raise ValueError(
                f"Text '{text}' could not be parsed: Invalid value for {label} "
                f"(valid values {low} - {high}): {values[name]}"
            )
    day = values["day"]
    if not 1 <= day <= 31:
        raise ValueError(
            f"Text '{text}' could not be parsed: Invalid value for DayOfMonth (valid values 1 - 28/31): {day}"
        )
    if day > month_length(year, values["month"]):
        raise ValueError(f"Text '{text}' could not be parsed: Invalid date '{MONTH_NAMES[values['month'] - 1]} {day}'")
    days = days_from_civil(year, values["month"], day)
    millis = (
        days * MILLIS_PER_DAY
        + values["hour"] * 3_600_000
        + values["minute"] * 60_000
        + values["second"] * 1000
        + values["nano"] // NANOS_PER_MILLI
    )
    return Parsed(millis, fields.get("offset"), values["nano"] % NANOS_PER_MILLI)


_FAST_FIELDS = ("year", "month", "day", "hour", "minute", "second")


def _fast_parse(pattern: re.Pattern[str], text: str) -> dict[str, int] | None:
    """Fields of ``text`` via a regex equivalent to a format's elements, or ``None`` to let the
    general matcher decide (and word any error)."""
    match = pattern.fullmatch(text)
    if match is None:
        return None
    groups = match.groups()
    fields = {name: int(value) for name, value in zip(_FAST_FIELDS, groups) if value is not None}
    if groups[6] is not None:
        fields["nano"] = int(groups[6].ljust(9, "0"))
    if groups[7] is not None:
        try:
            offset, end = parse_offset(ISO_OFFSET, groups[7], 0)
        except ParseFailure:
            return None
        if end != len(groups[7]):
            return None
        fields["offset"] = offset
    return fields


@dataclass(frozen=True)
class PatternFormat:
    """A named ISO format or a Java pattern: parse elements plus print elements.

    ``fast`` is an optional regex equivalent to ``parse_elements`` (groups: year, month, day,
    hour, minute, second, fraction, offset) used first because the default format parses every
    date of every document."""

    name: str
    parse_elements: tuple[Element, ...]
    print_elements: tuple[Element, ...]
    fast: re.Pattern[str] | None = None

    def parse(self, text: str, round_up: bool) -> Parsed:
        if self.fast is not None:
            quick = _fast_parse(self.fast, text)
            if quick is not None:
                return _resolve_fields(text, quick, round_up)
        fields: dict[str, int] = {}
        try:
            end = match_elements(self.parse_elements, text, 0, fields)
        except ParseFailure as failure:
            raise ValueError(f"Text '{text}' could not be parsed at index {failure.index}") from None
        if end != len(text):
            raise ValueError(f"Text '{text}' could not be parsed, unparsed text found at index {end}")
        return _resolve_fields(text, fields, round_up)

    def format(self, millis: int, offset_seconds: int = 0, sub_millis_nanos: int = 0) -> str:
        """``millis`` as local fields (already shifted by the zone's offset), printing ``offset_seconds``;
        ``sub_millis_nanos``: the nanoseconds below the millisecond (``date_nanos``)."""
        days, rest = divmod(millis, MILLIS_PER_DAY)
        year, month, day = civil_from_days(days)
        parts = {
            "year": year,
            "month": month,
            "day": day,
            "hour": rest // 3_600_000,
            "minute": rest // 60_000 % 60,
            "second": rest // 1000 % 60,
            "nano": rest % 1000 * NANOS_PER_MILLI + sub_millis_nanos,
            "offset_seconds": offset_seconds,
        }
        return render_elements(self.print_elements, parts)


_EPOCH_MILLIS_RE = re.compile(r"-?\d{1,19}(?:\.\d{1,6})?")
_EPOCH_SECOND_RE = re.compile(r"-?\d{1,19}(?:\.\d{1,9})?")


@dataclass(frozen=True)
class EpochFormat:
    """``epoch_millis`` / ``epoch_second``: a number, optionally with a fraction (ES ``EpochTime``)."""

    name: str
    millis_per_unit: int

    def parse(self, text: str, round_up: bool) -> Parsed:
        pattern = _EPOCH_MILLIS_RE if self.millis_per_unit == 1 else _EPOCH_SECOND_RE
        if not pattern.fullmatch(text):
            raise ValueError(f"Text '{text}' could not be parsed at index 0")
        exact = Decimal(text) * self.millis_per_unit
        millis = int(exact.to_integral_value(rounding="ROUND_FLOOR"))
        sub_nanos = int(((exact - millis) * NANOS_PER_MILLI).to_integral_value(rounding="ROUND_FLOOR"))
        if round_up and self.millis_per_unit > 1 and "." not in text:
            millis += self.millis_per_unit - 1  # round-up parser defaults the missing fraction to .999
        return Parsed(millis, 0, sub_nanos)

    def format(self, millis: int, sub_millis_nanos: int = 0) -> str:
        if self.millis_per_unit == 1:
            # EpochTime: appendFraction(NANOS_OF_MILLI, 0, 6): the nanos of the milli, trailing zeros cut
            return str(millis) if sub_millis_nanos == 0 else f"{millis}.{sub_millis_nanos:06d}".rstrip("0")
        seconds, rest = divmod(millis, 1000)
        nanos = rest * 1_000_000 + sub_millis_nanos  # appendFraction(NANO_OF_SECOND, 0, 9)
        return str(seconds) if nanos == 0 else f"{seconds}.{nanos:09d}".rstrip("0")


SingleFormat = PatternFormat | EpochFormat
