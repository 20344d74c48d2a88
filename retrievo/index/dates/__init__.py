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

from retrievo.index.dates.civil_time import parse_time_zone
from retrievo.index.dates.date_math import parse_date_math
from retrievo.index.dates.errors import DateFormatError, DateParseError
from retrievo.index.dates.formatter import (
    DEFAULT_DATE_FORMAT,
    DYNAMIC_DATE_FORMATS,
    DateFormatter,
    compile_date_format,
    format_date_millis,
    parse_date,
)

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
