"""Proleptic Gregorian calendar arithmetic (any year; ``datetime`` only covers 1..9999) and time
zones: ``time_zone`` parameters, offsets, and local date-times to instants and back."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retrievo.errors import illegal_argument

MILLIS_PER_DAY = 86_400_000
NANOS_PER_MILLI = 1_000_000


# --------------------------------------------------------------------------------------------
# Calendar arithmetic (proleptic Gregorian, any year; datetime only covers 1..9999)
# --------------------------------------------------------------------------------------------


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - 1 if month <= 2 else year
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """Inverse of :func:`days_from_civil`."""
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


def month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


MONTH_NAMES = (
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


def zone_offset_millis(instant_millis: int, zone: tzinfo) -> int:
    """Offset of ``zone`` at an instant, in millis."""
    moment = datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=instant_millis)
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def instant_to_local(instant_millis: int, zone: tzinfo) -> int:
    return instant_millis + zone_offset_millis(instant_millis, zone)


def local_to_instant(local_millis: int, zone: tzinfo) -> int:
    """A local date-time in ``zone`` to epoch millis (earlier offset on overlaps, like java.time)."""
    local = _EPOCH + timedelta(milliseconds=local_millis)
    offset = local.replace(tzinfo=zone).utcoffset()
    return local_millis - (int(offset.total_seconds() * 1000) if offset is not None else 0)
