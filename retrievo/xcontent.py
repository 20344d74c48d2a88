"""JSON text read as Elasticsearch's parser (Jackson) reads it: the one place request bodies, NDJSON
lines and documents become Python values (and where response bodies become bytes, :func:`dumps`).

Three things differ from plain :func:`json.loads`, each the way Elasticsearch behaves:

* nesting deeper than Jackson's ``StreamReadConstraints`` maximum (1,000) is an
  ``x_content_parse_exception`` (never a ``RecursionError``);
* bytes that are not UTF-8 are an ``x_content_parse_exception`` naming the bad byte;
* an integer beyond the range of a double reads as ±infinity (what Jackson's ``BigInteger.doubleValue()``
  gives the fields that read it as a number), so each field then gives its own error for a non-finite
  value (never an ``OverflowError``); integers within that range stay exact.

Syntax errors are left to the caller (:class:`json.JSONDecodeError`), which words them for its place.

Where orjson is installed it reads and writes the common bodies, about ten times faster than the
standard library, and only where its answer is the standard library's to the byte (:func:`plain_loads`,
:func:`dumps`); everything else goes the standard library's way as before.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from typing import Any

import numpy as np

from retrievo.errors import BadRequestError, x_content_parse_error

#: orjson, where installed (the other modules that write JSON text take it from here).
try:
    import orjson as ORJSON
except ImportError:  # pragma: no cover - an optional speed-up
    ORJSON = None  # type: ignore[assignment]

#: Jackson's ``StreamReadConstraints.DEFAULT_MAX_DEPTH``, which Elasticsearch keeps.
MAX_NESTING_DEPTH = 1000

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_FLOAT_MAX = int(sys.float_info.max)


def _int(text: str) -> int | float:
    digits = len(text) - (text[0] == "-")
    if digits > 310:  # beyond any double (and Python's int-from-text digit limit)
        return float(text)
    value = int(text)
    return value if -_FLOAT_MAX <= value <= _FLOAT_MAX else float(text)


_DECODER = json.JSONDecoder(parse_int=_int)
#: The decoder's scanner, ``scan_once(text, index) -> (value, end)``: one JSON value read as :func:`loads`
#: reads it (its number hooks), without the checks around it (``bulk.py``'s fast path for plain lines).
scan_once = _DECODER.scan_once  # type: ignore[attr-defined]
_ROOM = threading.Lock()


def _surely_shallow(text: str) -> bool:
    """A fast answer for large bodies: the depth profile of ``text`` with its strings blanked, summed in
    numpy. Only when it could exceed the limit (or closes more than it opened) does the exact scan run."""
    stripped = _STRINGS.sub('""', text).encode("utf-8", "surrogatepass")
    data = np.frombuffer(stripped, dtype=np.uint8)
    steps = (data == 0x5B).astype(np.int32) + (data == 0x7B) - (data == 0x5D) - (data == 0x7D)
    depth = np.cumsum(steps)
    return bool(depth.size == 0 or (depth.max() <= MAX_NESTING_DEPTH and depth.min() >= 0))


def nesting_error(text: str, line: int = 1) -> BadRequestError | None:
    """Elasticsearch's error for ``text`` nesting deeper than :data:`MAX_NESTING_DEPTH`, else None."""
    if text.count("[") + text.count("{") <= MAX_NESTING_DEPTH or _surely_shallow(text):
        return None
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                start = match.start()
                row = line + text.count("\n", 0, start)
                column = start - (text.rfind("\n", 0, start) + 1) + 1
                return x_content_parse_error(
                    f"[{row}:{column}] Document nesting depth ({depth}) exceeds the maximum allowed "
                    f"({MAX_NESTING_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)"
                )
        elif token in "]}":
            depth = max(depth - 1, 0)
    return None


def token(value: Any) -> str:
    """The XContent token a decoded JSON value starts with (Elasticsearch's names, not Jackson's), as
    parser messages quote it (``bool`` before ``int``: ``True`` is an ``int``)."""
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, (list, tuple)):
        return "START_ARRAY"
    return "VALUE_STRING"


def decode(raw: bytes, line: int = 1) -> str:
    """UTF-8 bytes as text; other bytes are Jackson's ``Invalid UTF-8`` error at their place. Like
    Jackson, a surrogate encoded on its own (what Python's client sends for ``"\ud800"``) is read as
    that character rather than refused."""
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as e:
        middle = e.reason == "invalid continuation byte" and e.end < len(raw)
        at = e.end if middle else e.start
        row = line + raw.count(b"\n", 0, at)
        column = at - (raw.rfind(b"\n", 0, at) + 1) + 1
        kind = "middle" if middle else "start"
        raise x_content_parse_error(f"[{row}:{column}] Invalid UTF-8 {kind} byte 0x{raw[at]:02x}") from None


#: A run of digits orjson may read otherwise than Python: an integer beyond 64 bits becomes a float there.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


_UNREAD: Any = object()


def _orjson_reads(raw: bytes) -> Any:
    """``raw`` read by orjson where that gives what :func:`json.loads` gives (anything it refuses --
    bytes that are not UTF-8, a byte-order mark, ``NaN``, a lone surrogate, a number beyond a double,
    nesting beyond 1,024 -- and a long run of digits is left to the standard library: :data:`_UNREAD`)."""
    if ORJSON is None or _LONG_DIGITS.search(raw) is not None:
        return _UNREAD
    try:
        return ORJSON.loads(raw)
    except ORJSON.JSONDecodeError:
        return _UNREAD


def plain_loads(raw: bytes) -> Any:
    """:func:`json.loads` of a response body (the client's reading, without Elasticsearch's request rules)."""
    value = _orjson_reads(raw)
    return json.loads(raw) if value is _UNREAD else value


def loads(text: str | bytes | bytearray, line: int = 1) -> Any:
    """``text`` (``line``: its first line's number in the request, for locations) as a Python value."""
    if isinstance(text, bytes) and text.count(b"[") + text.count(b"{") <= MAX_NESTING_DEPTH:
        value = _orjson_reads(text)  # shallow enough for no nesting error, no integer beyond a double
        if value is not _UNREAD:
            return value
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), line)
    error = nesting_error(text, line)
    if error is not None:
        raise error
    try:
        return _DECODER.decode(text)
    except RecursionError:  # within the limit, but the caller's stack was already deep: read it with room
        with _ROOM:
            before = sys.getrecursionlimit()
            sys.setrecursionlimit(before + 2 * MAX_NESTING_DEPTH)
            try:
                return _DECODER.decode(text)
            finally:
                sys.setrecursionlimit(before)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encode(text: str) -> bytes:
    """JSON text as UTF-8 bytes; a lone surrogate (which JSON's ``\\ud800`` escape can carry in) is
    written back as that escape, as Jackson's generator does, since UTF-8 cannot hold it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def numpy_default(value: Any) -> Any:
    """numpy scalars and arrays, should a handler leave one in a body; anything else is a bug."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: One encoder for every body (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=numpy_default)


#: Where orjson's text differs from the standard library's: a float below 1e-4 (``0.00001`` for
#: ``1e-05``), a one-digit negative exponent (``1e-7`` for ``1e-07``), and ``null`` for a NaN or an
#: infinity (``NaN``, ``Infinity``); a body holding any of these is written the standard library's way.
_WRITTEN_OTHERWISE = re.compile(rb"0\.0000|e-[1-9](?![0-9])|null")


def dumps(value: Any) -> bytes:
    """A JSON-shaped response body as compact UTF-8 bytes, what every transport sends."""
    if ORJSON is not None:
        try:
            written = ORJSON.dumps(value, default=numpy_default)
        except ORJSON.JSONEncodeError:  # a key that is not a string, an integer beyond 64 bits, a surrogate …
            pass
        else:
            if _WRITTEN_OTHERWISE.search(written) is None:
                return written
    return encode(_ENCODER.encode(value))
