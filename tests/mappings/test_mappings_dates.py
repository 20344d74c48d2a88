"""Date formats, parsing, printing and date math, checked against values computed with ``datetime``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrievo.errors import BadRequestError, error_reason
from retrievo.index.dates import (
    DEFAULT_DATE_FORMAT,
    DateFormatError,
    DateParseError,
    compile_date_format,
    format_date_millis,
    parse_date,
    parse_date_math,
)

UTC = UTC


def millis(dt: datetime) -> int:
    """Epoch millis of an aware datetime, computed independently of the code under test."""
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def utc(*args: int) -> int:
    return millis(datetime(*args, tzinfo=UTC))


# ------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020", utc(2020, 1, 1)),
        ("2020-03", utc(2020, 3, 1)),
        ("2020-03-04", utc(2020, 3, 4)),
        ("2020-03-04T05", utc(2020, 3, 4, 5)),
        ("2020-03-04T05:06", utc(2020, 3, 4, 5, 6)),
        ("2020-03-04T05:06:07", utc(2020, 3, 4, 5, 6, 7)),
        ("2020-03-04T05:06:07.8", utc(2020, 3, 4, 5, 6, 7, 800_000)),
        ("2020-03-04T05:06:07.123456789Z", utc(2020, 3, 4, 5, 6, 7, 123_000)),
        ("2020-03-04T05:06:07,25Z", utc(2020, 3, 4, 5, 6, 7, 250_000)),
        ("2020-03-04T05:06:07Z", utc(2020, 3, 4, 5, 6, 7)),
        ("2020-03-04T05:06:07+01:00", utc(2020, 3, 4, 4, 6, 7)),
        ("2020-03-04T05:06:07-0530", utc(2020, 3, 4, 10, 36, 7)),
        ("2020-03-04T05:06:07+02", utc(2020, 3, 4, 3, 6, 7)),
        ("1420070400001", 1420070400001),
        ("-1000", -1000),
    ],
)
def test_default_format(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text, fmt, expected",
    [
        ("2015/09/02", "yyyy/MM/dd", utc(2015, 9, 2)),
        ("2015/09/02 10:11:12", "yyyy/MM/dd HH:mm:ss", utc(2015, 9, 2, 10, 11, 12)),
        ("2015-09-02 23:59:58", "yyyy-MM-dd HH:mm:ss", utc(2015, 9, 2, 23, 59, 58)),
        ("2015-09-02", "yyyy-MM-dd", utc(2015, 9, 2)),
        ("20150902", "yyyyMMdd", utc(2015, 9, 2)),
        ("02.09.2015", "dd.MM.yyyy", utc(2015, 9, 2)),
        ("2015-09-02T10:11:12.345+02:00", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", utc(2015, 9, 2, 8, 11, 12, 345_000)),
        ("2015-09-02T10:11:12Z", "yyyy-MM-dd'T'HH:mm:ssXXX", utc(2015, 9, 2, 10, 11, 12)),
        ("2015-09-02 10:11 +0100", "yyyy-MM-dd HH:mm Z", utc(2015, 9, 2, 9, 11)),
        ("2015-9-2", "yyyy-M-d", utc(2015, 9, 2)),
        ("2015-09-02", "yyyy-MM-dd[ HH:mm]", utc(2015, 9, 2)),
        ("2015-09-02 07:30", "yyyy-MM-dd[ HH:mm]", utc(2015, 9, 2, 7, 30)),
        ("2015-09-02", "strict_date", utc(2015, 9, 2)),
        ("2015-9-2", "date", utc(2015, 9, 2)),
        ("2015-9-2T3:4:5", "date_optional_time", utc(2015, 9, 2, 3, 4, 5)),
        ("20150902", "basic_date", utc(2015, 9, 2)),
        ("2015-09-02T10:11:12.5Z", "strict_date_time", utc(2015, 9, 2, 10, 11, 12, 500_000)),
        ("2015-09-02T10:11:12+01:00", "date_time", utc(2015, 9, 2, 9, 11, 12)),
        ("2015-09-02T10:11:12Z", "strict_date_time_no_millis", utc(2015, 9, 2, 10, 11, 12)),
        ("2015-09-02T10:11:12", "strict_date_hour_minute_second", utc(2015, 9, 2, 10, 11, 12)),
        ("2015-09", "strict_year_month", utc(2015, 9, 1)),
        ("1441152000", "epoch_second", utc(2015, 9, 2)),
        ("1441152000.25", "epoch_second", utc(2015, 9, 2, 0, 0, 0, 250_000)),
        ("1441152000000.9", "epoch_millis", utc(2015, 9, 2)),
        ("12/31/1999", "strict_date||MM/dd/yyyy", utc(1999, 12, 31)),
    ],
)
def test_named_formats_and_java_patterns(text, fmt, expected):
    assert parse_date(text, fmt) == expected


def test_json_numbers_parse_from_their_text():
    assert parse_date(1420070400001) == 1420070400001
    assert parse_date(1441152000, "epoch_second") == utc(2015, 9, 2)


@pytest.mark.parametrize(
    "text, fmt, detail",
    [
        ("2020-02-30", "yyyy-MM-dd", "Text '2020-02-30' could not be parsed: Invalid date 'FEBRUARY 30'"),
        ("2021-02-29", "strict_date", "Text '2021-02-29' could not be parsed: Invalid date 'FEBRUARY 29'"),
        (
            "2020-13-01",
            "yyyy-MM-dd",
            "Text '2020-13-01' could not be parsed: Invalid value for MonthOfYear (valid values 1 - 12): 13",
        ),
        (
            "2020-01-01 25:00:00",
            "yyyy-MM-dd HH:mm:ss",
            "Text '2020-01-01 25:00:00' could not be parsed: Invalid value for HourOfDay (valid values 0 - 23): 25",
        ),
        ("2020-1-01", "yyyy-MM-dd", "Text '2020-1-01' could not be parsed at index 5"),
        ("2020-01-01x", "yyyy-MM-dd", "Text '2020-01-01x' could not be parsed, unparsed text found at index 10"),
        ("abc", DEFAULT_DATE_FORMAT, "Failed to parse with all enclosed parsers"),
    ],
)
def test_parse_failures_carry_es_messages(text, fmt, detail):
    with pytest.raises(DateParseError) as info:
        parse_date(text, fmt)
    assert info.value.to_cause() == {
        "type": "illegal_argument_exception",
        "reason": f"failed to parse date field [{text}] with format [{fmt}]",
        "caused_by": {"type": "date_time_parse_exception", "reason": detail},
    }


def test_leap_day_and_far_years():
    assert parse_date("2024-02-29") == utc(2024, 2, 29)
    assert parse_date("0001-01-01") == millis(datetime(1, 1, 1, tzinfo=UTC))
    assert parse_date("9999-12-31T23:59:59.999Z") == millis(datetime(9999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC))


@pytest.mark.parametrize(
    "fmt, detail",
    [
        ("MMM dd yyyy", "month names"),
        ("EEE, dd MMM yyyy", "day-of-week names"),
        ("yyyy-MM-dd hh:mm a", "12-hour clocks"),
        ("YYYY-MM-dd", "week-based years"),
        ("strict_ordinal_date", "named format [strict_ordinal_date]"),
        ("yyyy-MM-dd'T", "incomplete string literal"),
        ("", "non-empty"),
    ],
)
def test_unsupported_formats_are_named(fmt, detail):
    with pytest.raises(DateFormatError) as info:
        compile_date_format(fmt)
    assert f"date format [{fmt}] is not supported" in str(info.value) and detail in str(info.value)


# ------------------------------------------------------------------------------- property tests

aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
)


@settings(max_examples=300, deadline=None)
@given(aware_datetimes)
def test_iso_strings_parse_to_the_instant_datetime_computes(dt):
    dt = dt.replace(microsecond=dt.microsecond // 1000 * 1000)
    text = f"{dt.year:04d}" + dt.strftime("-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}" + dt.strftime("%z")
    text = text[:-2] + ":" + text[-2:]
    assert parse_date(text) == millis(dt)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=millis(datetime(1, 1, 1, tzinfo=UTC)), max_value=millis(datetime(9999, 12, 31, tzinfo=UTC)))
)
def test_printing_matches_datetime_and_round_trips(ms):
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    printed = format_date_millis(ms)
    assert printed == f"{dt:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z".rjust(24, "0")
    assert parse_date(printed) == ms
    assert format_date_millis(ms, "epoch_millis") == str(ms)
    assert parse_date(format_date_millis(ms, "yyyy/MM/dd HH:mm:ss.SSS"), "yyyy/MM/dd HH:mm:ss.SSS") == ms


def test_printing_formats():
    ms = utc(2015, 9, 2, 10, 11, 12, 345_000)
    assert format_date_millis(ms) == "2015-09-02T10:11:12.345Z"
    assert format_date_millis(ms, "strict_date||epoch_millis") == "2015-09-02"
    assert format_date_millis(ms, "epoch_millis||strict_date") == str(ms)
    assert format_date_millis(ms, "epoch_second") == "1441188672.345"
    assert format_date_millis(ms, "yyyy/MM/dd HH:mm:ss") == "2015/09/02 10:11:12"
    assert format_date_millis(ms, "basic_date") == "20150902"
    assert format_date_millis(ms, "strict_date_time_no_millis") == "2015-09-02T10:11:12Z"
    assert format_date_millis(ms, "yyyy-MM-dd HH:mm", time_zone="+02:00") == "2015-09-02 12:11"


# ------------------------------------------------------------------------------- date math

NOW = utc(2014, 11, 18, 14, 27, 32, 123_000)


@pytest.mark.parametrize(
    "expr, round_up, expected",
    [
        # The "Date math and rounding" table of the range query docs, before the gt/lt +-1ms adjustment.
        ("2014-11-18||/M", False, utc(2014, 11, 1)),
        ("2014-11-18||/M", True, utc(2014, 11, 30, 23, 59, 59, 999_000)),
        ("now", False, NOW),
        ("now", True, NOW),
        ("now-1d", False, utc(2014, 11, 17, 14, 27, 32, 123_000)),
        ("now-1d/d", False, utc(2014, 11, 17)),
        ("now-1d/d", True, utc(2014, 11, 17, 23, 59, 59, 999_000)),
        ("now/y", True, utc(2014, 12, 31, 23, 59, 59, 999_000)),
        ("now/w", False, utc(2014, 11, 17)),  # 2014-11-18 was a Tuesday; weeks start on Monday
        ("now/w", True, utc(2014, 11, 23, 23, 59, 59, 999_000)),
        ("now/h", False, utc(2014, 11, 18, 14)),
        ("now/H", True, utc(2014, 11, 18, 14, 59, 59, 999_000)),
        ("now/m", False, utc(2014, 11, 18, 14, 27)),
        ("now/s", True, utc(2014, 11, 18, 14, 27, 32, 999_000)),
        ("now+1h+30m-15s", False, utc(2014, 11, 18, 15, 57, 17, 123_000)),
        ("now-2w", False, utc(2014, 11, 4, 14, 27, 32, 123_000)),
        ("now+1y", False, utc(2015, 11, 18, 14, 27, 32, 123_000)),
        ("2020-01-31||+1M", False, utc(2020, 2, 29)),  # month arithmetic clamps the day
        ("2019-01-31||+1M", False, utc(2019, 2, 28)),
        ("2020-02-29||+1y", False, utc(2021, 2, 28)),
        ("2020-01-01||+1M/d", True, utc(2020, 2, 1, 23, 59, 59, 999_000)),
        ("2020-01-01T10:20:30Z||-1d", False, utc(2019, 12, 31, 10, 20, 30)),
        # A plain date with round_up: missing fields take their maximum, month/day stay 1 (ES docs).
        ("2020-01-15", True, utc(2020, 1, 15, 23, 59, 59, 999_000)),
        ("2099-12", True, utc(2099, 12, 1, 23, 59, 59, 999_000)),
        ("2020", True, utc(2020, 1, 1, 23, 59, 59, 999_000)),
        ("2020-01-15T10:00", True, utc(2020, 1, 15, 10, 0, 59, 999_000)),
        ("2020-01-15T10:00:00.5", True, utc(2020, 1, 15, 10, 0, 0, 500_000)),
        ("2020-01-15", False, utc(2020, 1, 15)),
        # with || the date part is parsed without round-up; only the rounding rounds up
        ("2020-01-15||+1d", True, utc(2020, 1, 16)),
    ],
)
def test_date_math(expr, round_up, expected):
    assert parse_date_math(expr, NOW, round_up) == expected


def test_range_bounds_from_the_es_documentation_table():
    """gt/gte/lt/lte of 2014-11-18||/M, applying the +1/-1 ms that DateFieldType.rangeQuery adds."""
    expr = "2014-11-18||/M"
    assert parse_date_math(expr, NOW, True) + 1 == utc(2014, 12, 1)  # gt
    assert parse_date_math(expr, NOW, False) == utc(2014, 11, 1)  # gte
    assert parse_date_math(expr, NOW, False) - 1 == utc(2014, 10, 31, 23, 59, 59, 999_000)  # lt
    assert parse_date_math(expr, NOW, True) == utc(2014, 11, 30, 23, 59, 59, 999_000)  # lte


def test_date_math_with_formats_and_epochs():
    assert parse_date_math("2015/09/02||+1d", NOW, False, "yyyy/MM/dd") == utc(2015, 9, 3)
    assert parse_date_math("1441152000000||/M", NOW, False) == utc(2015, 9, 1)
    assert parse_date_math("1441152000", NOW, True, "epoch_second") == utc(2015, 9, 2) + 999


def test_date_math_time_zones():
    paris = ZoneInfo("Europe/Paris")
    # dates without an offset are read in the time zone; rounding happens in local time
    assert parse_date_math("2020-01-01", NOW, False, time_zone="+01:00") == utc(2019, 12, 31, 23)
    assert (
        parse_date_math("2020-03-29||/d", NOW, True, time_zone="Europe/Paris")
        == millis(datetime(2020, 3, 30, tzinfo=paris)) - 1
    )  # a 23-hour day (DST)
    assert parse_date_math("now/d", NOW, False, time_zone="-05:00") == utc(2014, 11, 18, 5)
    # an explicit offset in the value wins over time_zone
    assert parse_date_math("2020-01-01T00:00:00Z", NOW, False, time_zone="+05:00") == utc(2020, 1, 1)
    # epoch values are instants
    assert parse_date_math("0", NOW, False, time_zone="+05:00") == 0


def _parse_exception(reason: str, caused_by: dict | None = None) -> dict:
    error = {"root_cause": [{"type": "parse_exception", "reason": reason}], "type": "parse_exception", "reason": reason}
    if caused_by:
        error["caused_by"] = caused_by
    return {"error": error, "status": 400}


@pytest.mark.parametrize(
    "expr, reason",
    [
        ("now-1x", "unit [x] not supported for date math [-1x]"),
        ("now+", "truncated date math [+]"),
        ("now+12", "truncated date math [+12]"),
        ("now*1d", "operator not supported for date math [*1d]"),
        ("2020-01-01||/2d", "rounding `/` can only be used on single unit types [/2d]"),
        ("", "cannot parse empty datetime"),
        ("||+1d", "cannot parse empty datetime"),
    ],
)
def test_date_math_errors(expr, reason):
    with pytest.raises(BadRequestError) as info:
        parse_date_math(expr, NOW, False)
    assert info.value.status_code == 400
    assert info.value.body == _parse_exception(reason)


def test_unparseable_date_in_date_math():
    with pytest.raises(BadRequestError) as info:
        parse_date_math("not-a-date||+1d", NOW, False, "yyyy-MM-dd")
    inner = "failed to parse date field [not-a-date] with format [yyyy-MM-dd]"
    assert info.value.body == _parse_exception(
        f"{inner}: [{inner}]",
        {
            "type": "illegal_argument_exception",
            "reason": inner,
            "caused_by": {
                "type": "date_time_parse_exception",
                "reason": "Text 'not-a-date' could not be parsed at index 0",
            },
        },
    )


def test_bad_time_zone_and_bad_format():
    with pytest.raises(BadRequestError) as info:
        parse_date_math("now", NOW, False, time_zone="Mars/Olympus")
    assert info.value.body["error"]["type"] == "illegal_argument_exception"
    assert info.value.body["error"]["reason"] == "Unknown time-zone ID: Mars/Olympus"
    with pytest.raises(BadRequestError) as info:
        parse_date_math("now", NOW, False, "MMM yyyy")
    assert "date format [MMM yyyy] is not supported" in error_reason(info.value)
