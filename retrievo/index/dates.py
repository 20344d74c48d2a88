"""Elasticsearch date formats, date parsing and date math.

Elasticsearch stores a ``date`` field as epoch milliseconds (UTC) and accepts, per field, a
``format`` made of one or more formats joined by ``||``: the first that parses a value wins, and
the first one also prints values (``format_date_millis``). Range queries add *date math*
(``now-1d/d``, ``2020-01-01||+1M/d``) with ES's round-up rules (``parse_date_math``).

Everything here is a pure function over immutable compiled formats; compiling is cached because
the same few format strings are used for every document and query.

Supported formats (anything else raises :class:`DateFormatError`, naming the format):

* named: ``strict_date_optional_time``, ``date_optional_time``, ``strict_date``, ``date``,
  ``strict_date_time``, ``date_time``, ``strict_date_time_no_millis``, ``date_time_no_millis``,
  ``strict_date_hour_minute_second(_millis)``, ``date_hour_minute_second(_millis)``,
  ``strict_date_hour_minute``, ``date_hour_minute``, ``strict_date_hour``, ``date_hour``,
  ``strict_year_month``, ``year_month``, ``strict_year``, ``year``, ``basic_date``,
  ``basic_date_time``, ``basic_date_time_no_millis``, ``strict_hour_minute_second``,
  ``hour_minute_second``, ``strict_hour_minute``, ``hour_minute``, ``epoch_millis``,
  ``epoch_second``;
* Java ``DateTimeFormatter`` patterns built from the numeric letters ``y u M d H m s S`` (``M`` and
  friends with one or two letters), the offset letters ``Z X x``, quoted literals, punctuation and
  ``[optional]`` sections -- this covers ``yyyy-MM-dd``, ``yyyy-MM-dd HH:mm:ss``, ``yyyy/MM/dd``,
  ``yyyy/MM/dd HH:mm:ss``, ``yyyyMMdd``, ``dd.MM.yyyy``, ``yyyy-MM-dd'T'HH:mm:ss.SSSXXX`` and the
  like. Text letters (month names ``MMM``, day names ``E``, ``a``, ``z``...) are not supported.

Known approximations: the year of ISO formats is 4 digits (no signed or 5+ digit years), zone ids
inside values are limited to ``Z``/numeric offsets/``UTC``/``GMT``, and the ``at index N`` of a
``date_time_parse_exception`` is where this parser stopped, which may differ from java.time's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retrievo.errors import BadRequestError, error_cause, illegal_argument

__all__ = [
    "DEFAULT_DATE_FORMAT",
    "DYNAMIC_DATE_FORMATS",
    "DateFormatError",
    "DateFormatter",
    "DateParseError",
    "compile_date_format",
    "format_date_millis",
    "parse_date",
    "parse_date_math",
    "parse_time_zone",
]

DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"
"""The format of a ``date`` field that names none (``DateFieldMapper.DEFAULT_DATE_TIME_FORMATTER``)."""

DYNAMIC_DATE_FORMATS: tuple[str, ...] = (
    "strict_date_optional_time||epoch_millis",
    "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis",
)
"""``RootObjectMapper``'s default ``dynamic_date_formats``: tried in order by date detection; the
matching entry becomes the new field's ``format`` (so ISO strings map to a plain ``date``)."""

_MILLIS_PER_DAY = 86_400_000
_NANOS_PER_MILLI = 1_000_000


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


# --------------------------------------------------------------------------------------------
# Calendar arithmetic (proleptic Gregorian, any year; datetime only covers 1..9999)
# --------------------------------------------------------------------------------------------


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - 1 if month <= 2 else year
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Inverse of :func:`_days_from_civil`."""
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


_MONTH_NAMES = (
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
)


# --------------------------------------------------------------------------------------------
# Format elements: a tiny java.time-like parser/printer
# --------------------------------------------------------------------------------------------


class _Fail(Exception):
    """Parsing stopped at ``index`` of the text (java.time's ``could not be parsed at index N``)."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass(frozen=True)
class _Num:
    """A run of ASCII digits for one field; ``reserved`` digits are left for adjacent fixed fields."""

    field: str
    min_width: int
    max_width: int
    reserved: int = 0
    pad: int = 1  # printing: zero-pad to this width

    @property
    def fixed(self) -> bool:
        return self.min_width == self.max_width


@dataclass(frozen=True)
class _Year2:
    """``yy``: two digits, base year 2000 (java.time's reduced value)."""


@dataclass(frozen=True)
class _Frac:
    """Fraction of second (nanos), ``min_width``..``max_width`` digits; prints ``print_width``."""

    min_width: int
    max_width: int
    print_width: int = 3


@dataclass(frozen=True)
class _Lit:
    """Literal text; ``alternatives`` lets ISO fractions use ``.`` or ``,``."""

    text: str
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Offset:
    """A zone offset. ``style``: ``iso`` (Z, ±HH, ±HHmm, ±HH:mm, ±HH:mm:ss, UTC, GMT) or a
    java.time offset pattern (``+HHmm``, ``+HHMM``, ``+HH:MM``, ``+HHMMss``, ``+HH:MM:ss``);
    ``zulu`` is the text standing for zero (``Z``) or ``None`` when zero prints as digits."""

    style: str
    zulu: str | None = "Z"


@dataclass(frozen=True)
class _Opt:
    """An optional section: parsed if it matches as a whole, skipped otherwise."""

    elements: tuple[_Element, ...]


_Element = _Num | _Year2 | _Frac | _Lit | _Offset | _Opt


def _count_digits(text: str, pos: int) -> int:
    end = pos
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return end - pos


def _parse_offset(element: _Offset, text: str, pos: int) -> tuple[int, int]:
    """Returns ``(offset_seconds, new_pos)`` or raises :class:`_Fail`."""
    if element.zulu is not None and text.startswith(element.zulu, pos):
        return 0, pos + len(element.zulu)
    if element.style == "iso":
        for name in ("UTC", "GMT"):
            if text.startswith(name, pos):
                return 0, pos + len(name)
    if pos >= len(text) or text[pos] not in "+-":
        raise _Fail(pos)
    sign = -1 if text[pos] == "-" else 1
    p = pos + 1

    def two(at: int) -> int:
        if _count_digits(text, at) < 2:
            raise _Fail(at)
        return int(text[at : at + 2])

    hours = two(p)
    p += 2
    minutes = seconds = 0
    style = element.style
    if style == "iso":
        if p < len(text) and text[p] == ":":
            minutes = two(p + 1)
            p += 3
            if p < len(text) and text[p] == ":" and _count_digits(text, p + 1) >= 2:
                seconds = two(p + 1)
                p += 3
        elif _count_digits(text, p) >= 2:
            minutes = two(p)
            p += 2
    elif style == "+HHmm":
        if _count_digits(text, p) >= 2:
            minutes = two(p)
            p += 2
    elif style in ("+HHMM", "+HHMMss"):
        minutes = two(p)
        p += 2
        if style == "+HHMMss" and _count_digits(text, p) >= 2:
            seconds = two(p)
            p += 2
    elif style in ("+HH:MM", "+HH:MM:ss"):
        if p >= len(text) or text[p] != ":":
            raise _Fail(p)
        minutes = two(p + 1)
        p += 3
        if style == "+HH:MM:ss" and p < len(text) and text[p] == ":":
            seconds = two(p + 1)
            p += 3
    if hours > 18 or minutes > 59 or seconds > 59:
        raise _Fail(pos)
    return sign * (hours * 3600 + minutes * 60 + seconds), p


def _match(elements: tuple[_Element, ...], text: str, pos: int, out: dict[str, int]) -> int:
    """Parses ``elements`` from ``text[pos:]`` into ``out``; returns the new position."""
    for element in elements:
        if isinstance(element, _Opt):
            trial = dict(out)
            try:
                pos = _match(element.elements, text, pos, trial)
            except _Fail:
                continue
            out.clear()
            out.update(trial)
        elif isinstance(element, _Lit):
            for candidate in (element.text, *element.alternatives):
                if text.startswith(candidate, pos):
                    pos += len(candidate)
                    break
            else:
                raise _Fail(pos)
        elif isinstance(element, _Num):
            available = _count_digits(text, pos)
            take = min(element.max_width, available - element.reserved)
            if take < element.min_width:
                raise _Fail(pos)
            out[element.field] = int(text[pos : pos + take])
            pos += take
        elif isinstance(element, _Year2):
            if _count_digits(text, pos) < 2:
                raise _Fail(pos)
            out["year"] = 2000 + int(text[pos : pos + 2])
            pos += 2
        elif isinstance(element, _Frac):
            available = min(_count_digits(text, pos), element.max_width)
            if available < element.min_width:
                raise _Fail(pos)
            digits = text[pos : pos + available]
            out["nano"] = int(digits.ljust(9, "0")[:9])
            pos += available
        else:
            out["offset"], pos = _parse_offset(element, text, pos)
    return pos


def _print_offset(element: _Offset) -> str:
    """Values are printed in UTC: the zero offset in the element's style."""
    if element.zulu is not None:
        return element.zulu
    return {"+HHmm": "+00", "+HHMM": "+0000", "+HHMMss": "+0000", "+HH:MM": "+00:00", "+HH:MM:ss": "+00:00"}.get(
        element.style, "Z"
    )


def _print(elements: tuple[_Element, ...], parts: dict[str, int]) -> str:
    out: list[str] = []
    for element in elements:
        if isinstance(element, _Opt):
            out.append(_print(element.elements, parts))
        elif isinstance(element, _Lit):
            out.append(element.text)
        elif isinstance(element, _Num):
            value = parts[element.field]
            out.append(("-" if value < 0 else "") + str(abs(value)).zfill(element.pad))
        elif isinstance(element, _Year2):
            out.append(str(parts["year"] % 100).zfill(2))
        elif isinstance(element, _Frac):
            out.append(str(parts["nano"]).zfill(9)[: element.print_width])
        else:
            out.append(_print_offset(element))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Single formats
# --------------------------------------------------------------------------------------------

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
class _Parsed:
    """A parsed value: local epoch millis plus the offset found in the text (``None``: none)."""

    local_millis: int
    offset_seconds: int | None

    def to_millis(self, zone: tzinfo | None) -> int:
        if self.offset_seconds is not None:
            return self.local_millis - self.offset_seconds * 1000
        if zone is None:
            return self.local_millis
        return _local_to_instant(self.local_millis, zone)


def _resolve_fields(text: str, fields: dict[str, int], round_up: bool) -> _Parsed:
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
    if day > _month_length(year, values["month"]):
        raise ValueError(f"Text '{text}' could not be parsed: Invalid date '{_MONTH_NAMES[values['month'] - 1]} {day}'")
    days = _days_from_civil(year, values["month"], day)
    millis = (
        days * _MILLIS_PER_DAY
        + values["hour"] * 3_600_000
        + values["minute"] * 60_000
        + values["second"] * 1000
        + values["nano"] // _NANOS_PER_MILLI
    )
    return _Parsed(millis, fields.get("offset"))


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
            offset, end = _parse_offset(_ISO_OFFSET, groups[7], 0)
        except _Fail:
            return None
        if end != len(groups[7]):
            return None
        fields["offset"] = offset
    return fields


@dataclass(frozen=True)
class _PatternFormat:
    """A named ISO format or a Java pattern: parse elements plus print elements.

    ``fast`` is an optional regex equivalent to ``parse_elements`` (groups: year, month, day,
    hour, minute, second, fraction, offset) used first because the default format parses every
    date of every document."""

    name: str
    parse_elements: tuple[_Element, ...]
    print_elements: tuple[_Element, ...]
    fast: re.Pattern[str] | None = None

    def parse(self, text: str, round_up: bool) -> _Parsed:
        if self.fast is not None:
            quick = _fast_parse(self.fast, text)
            if quick is not None:
                return _resolve_fields(text, quick, round_up)
        fields: dict[str, int] = {}
        try:
            end = _match(self.parse_elements, text, 0, fields)
        except _Fail as failure:
            raise ValueError(f"Text '{text}' could not be parsed at index {failure.index}") from None
        if end != len(text):
            raise ValueError(f"Text '{text}' could not be parsed, unparsed text found at index {end}")
        return _resolve_fields(text, fields, round_up)

    def format(self, millis: int) -> str:
        days, rest = divmod(millis, _MILLIS_PER_DAY)
        year, month, day = _civil_from_days(days)
        parts = {
            "year": year,
            "month": month,
            "day": day,
            "hour": rest // 3_600_000,
            "minute": rest // 60_000 % 60,
            "second": rest // 1000 % 60,
            "nano": rest % 1000 * _NANOS_PER_MILLI,
        }
        return _print(self.print_elements, parts)


_EPOCH_MILLIS_RE = re.compile(r"-?\d{1,19}(?:\.\d{1,6})?")
_EPOCH_SECOND_RE = re.compile(r"-?\d{1,19}(?:\.\d{1,9})?")


@dataclass(frozen=True)
class _EpochFormat:
    """``epoch_millis`` / ``epoch_second``: a number, optionally with a fraction (ES ``EpochTime``)."""

    name: str
    millis_per_unit: int

    def parse(self, text: str, round_up: bool) -> _Parsed:
        pattern = _EPOCH_MILLIS_RE if self.millis_per_unit == 1 else _EPOCH_SECOND_RE
        if not pattern.fullmatch(text):
            raise ValueError(f"Text '{text}' could not be parsed at index 0")
        exact = Decimal(text) * self.millis_per_unit
        millis = int(exact.to_integral_value(rounding="ROUND_FLOOR"))
        if round_up and self.millis_per_unit > 1 and "." not in text:
            millis += self.millis_per_unit - 1  # round-up parser defaults the missing fraction to .999
        return _Parsed(millis, 0)

    def format(self, millis: int) -> str:
        if self.millis_per_unit == 1:
            return str(millis)
        seconds, rest = divmod(millis, 1000)
        return str(seconds) if rest == 0 else f"{seconds}.{rest:03d}".rstrip("0")


_SingleFormat = _PatternFormat | _EpochFormat


# --------------------------------------------------------------------------------------------
# Named formats
# --------------------------------------------------------------------------------------------


def _num(field: str, strict: bool, width: int = 2) -> _Num:
    return _Num(field, width if strict else 1, width if strict else (9 if field == "year" else 2), pad=width)


def _iso_date(strict: bool) -> tuple[_Element, ...]:
    return (_num("year", strict, 4), _Lit("-"), _num("month", strict), _Lit("-"), _num("day", strict))


def _iso_time(strict: bool, seconds: bool = True, fraction: str = "optional") -> tuple[_Element, ...]:
    elements: list[_Element] = [_num("hour", strict), _Lit(":"), _num("minute", strict)]
    if seconds:
        elements += [_Lit(":"), _num("second", strict)]
        frac = (_Lit(".", (",",)), _Frac(1, 9))
        if fraction == "optional":
            elements.append(_Opt(frac))
        elif fraction == "required":
            elements.extend(frac)
    return tuple(elements)


_ISO_OFFSET = _Offset("iso")


def _optional_time(strict: bool) -> tuple[_Element, ...]:
    """``yyyy[-MM[-dd[THH[:mm[:ss[.S]]][offset]]]]``: ES's ``(strict_)date_optional_time``."""
    second = _Opt((_Lit(":"), _num("second", strict), _Opt((_Lit(".", (",",)), _Frac(1, 9)))))
    minute = _Opt((_Lit(":"), _num("minute", strict), second))
    time = _Opt((_Lit("T"), _Opt((_num("hour", strict), minute, _Opt((_ISO_OFFSET,))))))
    day = _Opt((_Lit("-"), _num("day", strict), time))
    month = _Opt((_Lit("-"), _num("month", strict), day))
    return (_num("year", strict, 4), month)


_DATE_TIME_PRINTER = (*_iso_date(True), _Lit("T"), *_iso_time(True, fraction="required"), _ISO_OFFSET)
_DATE_TIME_NO_MILLIS_PRINTER = (*_iso_date(True), _Lit("T"), *_iso_time(True, fraction="none"), _ISO_OFFSET)


def _named_formats() -> dict[str, _SingleFormat]:
    formats: dict[str, _SingleFormat] = {
        "epoch_millis": _EpochFormat("epoch_millis", 1),
        "epoch_second": _EpochFormat("epoch_second", 1000),
    }
    for strict in (True, False):
        prefix = "strict_" if strict else ""
        date = _iso_date(strict)
        shapes: dict[str, tuple[tuple[_Element, ...], tuple[_Element, ...]]] = {
            "date_optional_time": (_optional_time(strict), _DATE_TIME_PRINTER),
            "date": (date, _iso_date(True)),
            "date_time": ((*date, _Lit("T"), *_iso_time(strict), _ISO_OFFSET), _DATE_TIME_PRINTER),
            "date_time_no_millis": (
                (*date, _Lit("T"), *_iso_time(strict, fraction="none"), _ISO_OFFSET),
                _DATE_TIME_NO_MILLIS_PRINTER,
            ),
            "date_hour_minute_second": (
                (*date, _Lit("T"), *_iso_time(strict, fraction="none")),
                (*_iso_date(True), _Lit("T"), *_iso_time(True, fraction="none")),
            ),
            "date_hour_minute_second_millis": (
                (*date, _Lit("T"), *_iso_time(strict, fraction="required")),
                (*_iso_date(True), _Lit("T"), *_iso_time(True, fraction="required")),
            ),
            "date_hour_minute": (
                (*date, _Lit("T"), *_iso_time(strict, seconds=False)),
                (*_iso_date(True), _Lit("T"), *_iso_time(True, seconds=False)),
            ),
            "date_hour": ((*date, _Lit("T"), _num("hour", strict)), (*_iso_date(True), _Lit("T"), _num("hour", True))),
            "year_month": (
                (_num("year", strict, 4), _Lit("-"), _num("month", strict)),
                (_num("year", True, 4), _Lit("-"), _num("month", True)),
            ),
            "year": ((_num("year", strict, 4),), (_num("year", True, 4),)),
            "hour_minute_second": (_iso_time(strict, fraction="none"), _iso_time(True, fraction="none")),
            "hour_minute": (_iso_time(strict, seconds=False), _iso_time(True, seconds=False)),
        }
        for name, (parser, printer) in shapes.items():
            formats[prefix + name] = _PatternFormat(prefix + name, parser, printer)
    formats["strict_date_optional_time"] = _PatternFormat(
        "strict_date_optional_time",
        _optional_time(True),
        _DATE_TIME_PRINTER,
        re.compile(
            r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
            r"(Z|UTC|GMT|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?)?)?)?)?"
        ),
    )
    basic_date = (_Num("year", 4, 4, pad=4), _Num("month", 2, 2, pad=2), _Num("day", 2, 2, pad=2))
    basic_time = (_Num("hour", 2, 2, pad=2), _Num("minute", 2, 2, pad=2), _Num("second", 2, 2, pad=2))
    formats["basic_date"] = _PatternFormat("basic_date", basic_date, basic_date)
    formats["basic_date_time"] = _PatternFormat(
        "basic_date_time",
        (*basic_date, _Lit("T"), *basic_time, _Lit("."), _Frac(1, 9), _ISO_OFFSET),
        (*basic_date, _Lit("T"), *basic_time, _Lit("."), _Frac(3, 3), _ISO_OFFSET),
    )
    formats["basic_date_time_no_millis"] = _PatternFormat(
        "basic_date_time_no_millis",
        (*basic_date, _Lit("T"), *basic_time, _ISO_OFFSET),
        (*basic_date, _Lit("T"), *basic_time, _ISO_OFFSET),
    )
    return formats


_NAMED_FORMATS: dict[str, _SingleFormat] = _named_formats()


# --------------------------------------------------------------------------------------------
# Java patterns
# --------------------------------------------------------------------------------------------

_UNSUPPORTED_LETTER_HINT = {
    "M": "month names (MMM) are not supported",
    "L": "month names are not supported",
    "E": "day-of-week names are not supported",
    "e": "localized day-of-week is not supported",
    "a": "am/pm markers are not supported",
    "h": "12-hour clocks are not supported",
    "K": "12-hour clocks are not supported",
    "k": "clock-hour-of-day is not supported",
    "z": "time-zone names are not supported",
    "V": "time-zone ids are not supported",
    "O": "localized offsets are not supported",
    "Y": "week-based years are not supported (did you mean yyyy?)",
    "D": "day-of-year is not supported (did you mean dd?)",
    "w": "week-of-year is not supported",
    "G": "eras are not supported",
}

_OFFSET_STYLES = {
    ("X", 1): ("+HHmm", "Z"),
    ("X", 2): ("+HHMM", "Z"),
    ("X", 3): ("+HH:MM", "Z"),
    ("X", 4): ("+HHMMss", "Z"),
    ("X", 5): ("+HH:MM:ss", "Z"),
    ("x", 1): ("+HHmm", None),
    ("x", 2): ("+HHMM", None),
    ("x", 3): ("+HH:MM", None),
    ("x", 4): ("+HHMMss", None),
    ("x", 5): ("+HH:MM:ss", None),
    ("Z", 1): ("+HHMM", None),
    ("Z", 2): ("+HHMM", None),
    ("Z", 3): ("+HHMM", None),
    ("Z", 5): ("+HH:MM:ss", "Z"),
}

_LETTER_FIELDS = {"M": "month", "d": "day", "H": "hour", "m": "minute", "s": "second"}


def _letter_element(pattern: str, letter: str, count: int) -> _Element:
    """One run of a pattern letter, as java.time's ``DateTimeFormatterBuilder.appendPattern``."""
    if letter in ("y", "u"):
        if count == 2:
            return _Year2()
        return _Num("year", count if count != 2 else 2, 19, pad=count)
    if letter in _LETTER_FIELDS and count <= 2:
        return _Num(_LETTER_FIELDS[letter], count, 2 if count == 2 else 19, pad=count)
    if letter in _LETTER_FIELDS:
        if letter == "M":
            raise DateFormatError(pattern, _UNSUPPORTED_LETTER_HINT["M"])
        raise DateFormatError(pattern, f"too many pattern letters: {letter}")
    if letter == "S":
        return _Frac(count, count, count)
    if (letter, count) in _OFFSET_STYLES:
        style, zulu = _OFFSET_STYLES[(letter, count)]
        return _Offset(style, zulu)
    if letter in _UNSUPPORTED_LETTER_HINT:
        raise DateFormatError(pattern, _UNSUPPORTED_LETTER_HINT[letter])
    raise DateFormatError(pattern, f"pattern letter [{letter * count}] is not supported")


def _tokenize_pattern(pattern: str) -> tuple[_Element, ...]:
    """Compiles a Java pattern into elements, handling quotes and ``[...]`` optional sections."""
    stack: list[list[_Element]] = [[]]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch.isascii() and ch.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == ch:
                j += 1
            stack[-1].append(_letter_element(pattern, ch, j - i))
            i = j
        elif ch == "'":
            end = i + 1
            literal: list[str] = []
            while True:
                if end >= len(pattern):
                    raise DateFormatError(pattern, "pattern ends with an incomplete string literal")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            stack[-1].append(_Lit("".join(literal) if literal or end > i + 1 else "'"))
            i = end + 1
        elif ch == "[":
            stack.append([])
            i += 1
        elif ch == "]":
            if len(stack) == 1:
                raise DateFormatError(pattern, "pattern invalid as it contains ] without previous [")
            section = tuple(stack.pop())
            stack[-1].append(_Opt(section))
            i += 1
        elif ch in "{}#":
            raise DateFormatError(pattern, f"pattern includes reserved character: '{ch}'")
        else:
            stack[-1].append(_Lit(ch))
            i += 1
    while len(stack) > 1:
        section = tuple(stack.pop())
        stack[-1].append(_Opt(section))
    return _reserve_adjacent(tuple(stack[0]))


def _reserve_adjacent(elements: tuple[_Element, ...]) -> tuple[_Element, ...]:
    """java.time's adjacent value parsing: a variable-width number followed directly by
    fixed-width numbers (``yyyyMMdd``) leaves them their digits."""
    result = list(elements)
    for index, element in enumerate(result):
        if isinstance(element, _Opt):
            result[index] = _Opt(_reserve_adjacent(element.elements))
            continue
        if not isinstance(element, _Num) or element.fixed:
            continue
        reserved = 0
        for follower in result[index + 1 :]:
            if isinstance(follower, _Num) and follower.fixed:
                reserved += follower.max_width
            elif isinstance(follower, _Year2):
                reserved += 2
            elif isinstance(follower, _Frac) and follower.min_width == follower.max_width:
                reserved += follower.max_width
            else:
                break
        if reserved:
            result[index] = _Num(element.field, element.min_width, element.max_width, reserved, element.pad)
    return tuple(result)


# --------------------------------------------------------------------------------------------
# Compiled formats
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateFormatter:
    """A compiled ``format`` string (``a||b||c``): parses with the first format that fits and
    prints with the first format."""

    pattern: str
    formats: tuple[_SingleFormat, ...]

    def _parse(self, text: str, round_up: bool) -> _Parsed:
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

    def format_millis(self, millis: int, zone: tzinfo | None = None) -> str:
        """``millis`` printed with the first format (offsets printed as UTC; ``zone`` shifts the
        local fields for pattern formats)."""
        first = self.formats[0]
        if zone is not None and isinstance(first, _PatternFormat):
            millis = millis + _zone_offset_millis(millis, zone)
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
    singles: list[_SingleFormat] = []
    for part in format_string.split("||"):
        name = part.strip()
        if name == "":
            raise DateFormatError(format_string, "empty format between [||] separators")
        known = _NAMED_FORMATS.get(name)
        if known is not None:
            singles.append(known)
            continue
        if re.fullmatch(r"[a-z]+(_[a-z]+)+", name):
            raise DateFormatError(format_string, f"named format [{name}] is not supported")
        elements = _tokenize_pattern(name)
        singles.append(_PatternFormat(name, elements, elements))
    return DateFormatter(format_string, tuple(singles))


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------

_OFFSET_ZONE_RE = re.compile(r"(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")


@functools.lru_cache(maxsize=128)
def parse_time_zone(zone_id: str) -> tzinfo:
    """A ``time_zone`` parameter: ``Z``, ``UTC``, offsets (``+01:00``, ``-0800``, ``+5``) or an
    IANA region (``Europe/Paris``). Unknown ids raise ES's ``illegal_argument_exception``."""
    if zone_id in ("Z", "UTC", "GMT", "UT"):
        return UTC
    match = _OFFSET_ZONE_RE.fullmatch(zone_id)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        hours, minutes, seconds = (int(g) if g else 0 for g in match.group(2, 3, 4))
        if hours > 18 or minutes > 59 or seconds > 59:
            raise illegal_argument(f"Zone offset not in valid range: {zone_id}")
        return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=seconds))
    try:
        return ZoneInfo(zone_id)
    except (ZoneInfoNotFoundError, ValueError):
        raise illegal_argument(f"Unknown time-zone ID: {zone_id}") from None


_EPOCH = datetime(1970, 1, 1)


def _zone_offset_millis(instant_millis: int, zone: tzinfo) -> int:
    """Offset of ``zone`` at an instant, in millis."""
    moment = datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=instant_millis)
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def _instant_to_local(instant_millis: int, zone: tzinfo) -> int:
    return instant_millis + _zone_offset_millis(instant_millis, zone)


def _local_to_instant(local_millis: int, zone: tzinfo) -> int:
    """A local date-time in ``zone`` to epoch millis (earlier offset on overlaps, like java.time)."""
    local = _EPOCH + timedelta(milliseconds=local_millis)
    offset = local.replace(tzinfo=zone).utcoffset()
    return local_millis - (int(offset.total_seconds() * 1000) if offset is not None else 0)


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


def _parse_exception(reason: str, caused_by: dict[str, Any] | None = None) -> BadRequestError:
    """``ElasticsearchParseException``, what ES's date math parser throws (status 400)."""
    return BadRequestError("parse_exception", reason, caused_by=caused_by)


def _add_months(local_millis: int, months: int) -> int:
    """java.time ``plusMonths``: month arithmetic on the local date, clamping the day."""
    days, rest = divmod(local_millis, _MILLIS_PER_DAY)
    year, month, day = _civil_from_days(days)
    total = year * 12 + (month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(day, _month_length(year, month))
    return _days_from_civil(year, month, day) * _MILLIS_PER_DAY + rest


def _round_down(local_millis: int, unit: str) -> int:
    """Truncates a local date-time to the start of its ``unit``."""
    days, rest = divmod(local_millis, _MILLIS_PER_DAY)
    if unit == "y":
        year, _, _ = _civil_from_days(days)
        return _days_from_civil(year, 1, 1) * _MILLIS_PER_DAY
    if unit == "M":
        year, month, _ = _civil_from_days(days)
        return _days_from_civil(year, month, 1) * _MILLIS_PER_DAY
    if unit == "w":
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday == 0
        return (days - weekday) * _MILLIS_PER_DAY
    if unit == "d":
        return days * _MILLIS_PER_DAY
    step = {"h": 3_600_000, "H": 3_600_000, "m": 60_000, "s": 1000}[unit]
    return days * _MILLIS_PER_DAY + rest - rest % step


def _apply_unit(instant: int, unit: str, amount: int, zone: tzinfo) -> int:
    """``plusX(amount)`` on a ``ZonedDateTime``: calendar units move the local date-time, time
    units move the instant."""
    if unit in ("h", "H", "m", "s"):
        return instant + amount * {"h": 3_600_000, "H": 3_600_000, "m": 60_000, "s": 1000}[unit]
    local = _instant_to_local(instant, zone)
    if unit == "y":
        local = _add_months(local, 12 * amount)
    elif unit == "M":
        local = _add_months(local, amount)
    elif unit == "w":
        local += 7 * amount * _MILLIS_PER_DAY
    else:
        local += amount * _MILLIS_PER_DAY
    return _local_to_instant(local, zone)


def _apply_math(math: str, instant: int, round_up: bool, zone: tzinfo) -> int:
    """``JavaDateMathParser.parseMath``: ``+N<unit>``, ``-N<unit>`` and ``/<unit>`` in order."""
    i = 0
    while i < len(math):
        operator = math[i]
        i += 1
        if operator not in "+-/":
            raise _parse_exception(f"operator not supported for date math [{math}]")
        if i >= len(math):
            raise _parse_exception(f"truncated date math [{math}]")
        amount = 1
        if math[i].isdigit():
            start = i
            while i < len(math) and math[i].isdigit():
                i += 1
            if i >= len(math):
                raise _parse_exception(f"truncated date math [{math}]")
            amount = int(math[start:i])
            if amount > 2_147_483_647:
                raise _parse_exception(f"failed to parse date math [{math}]")
        if operator == "/" and amount != 1:
            raise _parse_exception(f"rounding `/` can only be used on single unit types [{math}]")
        unit = math[i]
        i += 1
        if unit not in "yMwdhHms":
            raise _parse_exception(f"unit [{unit}] not supported for date math [{math}]")
        if operator == "/":
            local = _round_down(_instant_to_local(instant, zone), unit)
            instant = _local_to_instant(local, zone)
            if round_up:
                instant = _apply_unit(instant, unit, 1, zone) - 1
        else:
            instant = _apply_unit(instant, unit, amount if operator == "+" else -amount, zone)
    return instant


def parse_date_math(
    expr: str, now_millis: int, round_up: bool, formats: str = DEFAULT_DATE_FORMAT, time_zone: str | None = None
) -> int:
    """Epoch millis of a range-query bound, as ES's ``JavaDateMathParser`` computes it.

    ``expr`` is ``now[math]``, ``<date>||[math]`` or a plain ``<date>``; math is a sequence of
    ``+N<unit>``, ``-N<unit>`` and ``/<unit>`` with units ``y M w d h H m s``.

    ``round_up`` is ES's ``roundUp`` flag: ``True`` for ``gt`` and ``lte``, ``False`` for ``gte``
    and ``lt``. With it, ``/<unit>`` rounds to the *last* millisecond of the unit, and a plain
    date fills its missing fields with their maximum (``2020-01-01`` -> ``23:59:59.999``; month
    and day are filled with 1). The caller then makes the bounds exclusive as ES's
    ``DateFieldType.rangeQuery`` does: ``gt`` uses ``result + 1``, ``lt`` uses ``result - 1``.
    For ``2014-11-18||/M`` that gives ``gt`` -> 2014-12-01T00:00:00.000, ``gte`` -> 2014-11-01,
    ``lt`` -> 2014-10-31T23:59:59.999, ``lte`` -> 2014-11-30T23:59:59.999 (the documented table).

    ``time_zone`` (the range query parameter) applies to dates without an offset and to
    rounding; ``now`` is an instant and not affected. Errors are ES's ``parse_exception``
    (status 400), e.g. ``failed to parse date field [x] with format [f]: [...]``.
    """
    zone: tzinfo = parse_time_zone(time_zone) if time_zone is not None else UTC
    try:
        formatter = compile_date_format(formats)
    except DateFormatError as bad_format:
        raise illegal_argument(str(bad_format)) from None
    if expr.startswith("now"):
        return _apply_math(expr[3:], now_millis, round_up, zone)
    index = expr.find("||")
    date_text, math = (expr, "") if index == -1 else (expr[:index], expr[index + 2 :])
    if date_text == "":
        raise _parse_exception("cannot parse empty datetime")
    try:
        instant = formatter.parse_millis(date_text, round_up=round_up and index == -1, zone=zone)
    except DateParseError as failure:
        raise _parse_exception(
            f"failed to parse date field [{date_text}] with format [{formats}]: [{failure.reason}]", failure.to_cause()
        ) from None
    return _apply_math(math, instant, round_up, zone)
