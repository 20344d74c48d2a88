"""Date math in range-query bounds (``now-1d/d``, ``2020-01-01||+1M/d``), as ES's
``JavaDateMathParser`` computes it, round-up rules included."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any

from retrievo.errors import BadRequestError, bad_request, illegal_argument
from retrievo.index.dates.civil_time import (
    MILLIS_PER_DAY,
    civil_from_days,
    days_from_civil,
    instant_to_local,
    local_to_instant,
    month_length,
    parse_time_zone,
)
from retrievo.index.dates.errors import DateFormatError, DateParseError
from retrievo.index.dates.formatter import DEFAULT_DATE_FORMAT, compile_date_format

__all__ = ["parse_date_math"]


def _parse_exception(reason: str, caused_by: dict[str, Any] | None = None) -> BadRequestError:
    """``ElasticsearchParseException``, what ES's date math parser throws (status 400)."""
    return bad_request("parse_exception", reason, caused_by=caused_by)


def _add_months(local_millis: int, months: int) -> int:
    """java.time ``plusMonths``: month arithmetic on the local date, clamping the day."""
    days, rest = divmod(local_millis, MILLIS_PER_DAY)
    year, month, day = civil_from_days(days)
    total = year * 12 + (month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(day, month_length(year, month))
    return days_from_civil(year, month, day) * MILLIS_PER_DAY + rest


def _round_down(local_millis: int, unit: str) -> int:
    """Truncates a local date-time to the start of its ``unit``."""
    days, rest = divmod(local_millis, MILLIS_PER_DAY)
    if unit == "y":
        year, _, _ = civil_from_days(days)
        return days_from_civil(year, 1, 1) * MILLIS_PER_DAY
    if unit == "M":
        year, month, _ = civil_from_days(days)
        return days_from_civil(year, month, 1) * MILLIS_PER_DAY
    if unit == "w":
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday == 0
        return (days - weekday) * MILLIS_PER_DAY
    if unit == "d":
        return days * MILLIS_PER_DAY
    step = {"h": 3_600_000, "H": 3_600_000, "m": 60_000, "s": 1000}[unit]
    return days * MILLIS_PER_DAY + rest - rest % step


def _apply_unit(instant: int, unit: str, amount: int, zone: tzinfo) -> int:
    """``plusX(amount)`` on a ``ZonedDateTime``: calendar units move the local date-time, time
    units move the instant."""
    if unit in ("h", "H", "m", "s"):
        return instant + amount * {"h": 3_600_000, "H": 3_600_000, "m": 60_000, "s": 1000}[unit]
    local = instant_to_local(instant, zone)
    if unit == "y":
        local = _add_months(local, 12 * amount)
    elif unit == "M":
        local = _add_months(local, amount)
    elif unit == "w":
        local += 7 * amount * MILLIS_PER_DAY
    else:
        local += amount * MILLIS_PER_DAY
    return local_to_instant(local, zone)


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
            local = _round_down(instant_to_local(instant, zone), unit)
            instant = local_to_instant(local, zone)
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
