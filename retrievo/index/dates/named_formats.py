"""The named formats (``strict_date_optional_time``, ``date``, ``basic_date_time``, ``epoch_millis``...)
as single formats."""

from __future__ import annotations

import re
from dataclasses import replace

from retrievo.index.dates.elements import ISO_OFFSET, Element, Frac, Lit, Num, Opt
from retrievo.index.dates.single_formats import EpochFormat, PatternFormat, SingleFormat

__all__ = ["NAMED_FORMATS"]


def _num(field: str, strict: bool, width: int = 2) -> Num:
    return Num(field, width if strict else 1, width if strict else (9 if field == "year" else 2), pad=width)


def _iso_date(strict: bool) -> tuple[Element, ...]:
    return (_num("year", strict, 4), Lit("-"), _num("month", strict), Lit("-"), _num("day", strict))


def _iso_time(strict: bool, seconds: bool = True, fraction: str = "optional") -> tuple[Element, ...]:
    elements: list[Element] = [_num("hour", strict), Lit(":"), _num("minute", strict)]
    if seconds:
        elements += [Lit(":"), _num("second", strict)]
        frac = (Lit(".", (",",)), Frac(1, 9))
        if fraction == "optional":
            elements.append(Opt(frac))
        elif fraction == "required":
            elements.extend(frac)
    return tuple(elements)


def _optional_time(strict: bool) -> tuple[Element, ...]:
    """``yyyy[-MM[-dd[THH[:mm[:ss[.S]]][offset]]]]``: ES's ``(strict_)date_optional_time``."""
    second = Opt((Lit(":"), _num("second", strict), Opt((Lit(".", (",",)), Frac(1, 9)))))
    minute = Opt((Lit(":"), _num("minute", strict), second))
    time = Opt((Lit("T"), Opt((_num("hour", strict), minute, Opt((ISO_OFFSET,))))))
    day = Opt((Lit("-"), _num("day", strict), time))
    month = Opt((Lit("-"), _num("month", strict), day))
    return (_num("year", strict, 4), month)


_DATE_TIME_PRINTER = (*_iso_date(True), Lit("T"), *_iso_time(True, fraction="required"), ISO_OFFSET)
_DATE_TIME_NO_MILLIS_PRINTER = (*_iso_date(True), Lit("T"), *_iso_time(True, fraction="none"), ISO_OFFSET)


def _named_formats() -> dict[str, SingleFormat]:
    formats: dict[str, SingleFormat] = {
        "epoch_millis": EpochFormat("epoch_millis", 1),
        "epoch_second": EpochFormat("epoch_second", 1000),
    }
    for strict in (True, False):
        prefix = "strict_" if strict else ""
        date = _iso_date(strict)
        shapes: dict[str, tuple[tuple[Element, ...], tuple[Element, ...]]] = {
            "date_optional_time": (_optional_time(strict), _DATE_TIME_PRINTER),
            "date": (date, _iso_date(True)),
            "date_time": ((*date, Lit("T"), *_iso_time(strict), ISO_OFFSET), _DATE_TIME_PRINTER),
            "date_time_no_millis": (
                (*date, Lit("T"), *_iso_time(strict, fraction="none"), ISO_OFFSET),
                _DATE_TIME_NO_MILLIS_PRINTER,
            ),
            "date_hour_minute_second": (
                (*date, Lit("T"), *_iso_time(strict, fraction="none")),
                (*_iso_date(True), Lit("T"), *_iso_time(True, fraction="none")),
            ),
            "date_hour_minute_second_millis": (
                (*date, Lit("T"), *_iso_time(strict, fraction="required")),
                (*_iso_date(True), Lit("T"), *_iso_time(True, fraction="required")),
            ),
            "date_hour_minute": (
                (*date, Lit("T"), *_iso_time(strict, seconds=False)),
                (*_iso_date(True), Lit("T"), *_iso_time(True, seconds=False)),
            ),
            "date_hour": ((*date, Lit("T"), _num("hour", strict)), (*_iso_date(True), Lit("T"), _num("hour", True))),
            "year_month": (
                (_num("year", strict, 4), Lit("-"), _num("month", strict)),
                (_num("year", True, 4), Lit("-"), _num("month", True)),
            ),
            "year": ((_num("year", strict, 4),), (_num("year", True, 4),)),
            "hour_minute_second": (_iso_time(strict, fraction="none"), _iso_time(True, fraction="none")),
            "hour_minute": (_iso_time(strict, seconds=False), _iso_time(True, seconds=False)),
        }
        for name, (parser, printer) in shapes.items():
            formats[prefix + name] = PatternFormat(prefix + name, parser, printer)
    formats["strict_date_optional_time"] = PatternFormat(
        "strict_date_optional_time",
        _optional_time(True),
        _DATE_TIME_PRINTER,
        re.compile(
            r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
            r"(Z|UTC|GMT|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?)?)?)?)?"
        ),
    )
    # date_nanos' default: the same parser, a printer with 3 to 9 fraction digits (trailing zeros cut)
    optional_time = formats["strict_date_optional_time"]
    assert isinstance(optional_time, PatternFormat)
    formats["strict_date_optional_time_nanos"] = replace(
        optional_time,
        name="strict_date_optional_time_nanos",
        print_elements=(
            *_iso_date(True),
            Lit("T"),
            *_iso_time(True, fraction="none"),
            Lit("."),
            Frac(3, 9, -3),
            ISO_OFFSET,
        ),
    )
    basic_date = (Num("year", 4, 4, pad=4), Num("month", 2, 2, pad=2), Num("day", 2, 2, pad=2))
    basic_time = (Num("hour", 2, 2, pad=2), Num("minute", 2, 2, pad=2), Num("second", 2, 2, pad=2))
    formats["basic_date"] = PatternFormat("basic_date", basic_date, basic_date)
    formats["basic_date_time"] = PatternFormat(
        "basic_date_time",
        (*basic_date, Lit("T"), *basic_time, Lit("."), Frac(1, 9), ISO_OFFSET),
        (*basic_date, Lit("T"), *basic_time, Lit("."), Frac(3, 3), ISO_OFFSET),
    )
    formats["basic_date_time_no_millis"] = PatternFormat(
        "basic_date_time_no_millis",
        (*basic_date, Lit("T"), *basic_time, ISO_OFFSET),
        (*basic_date, Lit("T"), *basic_time, ISO_OFFSET),
    )
    return formats


NAMED_FORMATS: dict[str, SingleFormat] = _named_formats()
