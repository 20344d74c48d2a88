"""JSON text through orjson where it is installed: the same bytes and values as the standard library's.

``xcontent.dumps`` (every response body), ``xcontent.plain_loads`` (the client's reading of a response),
``xcontent.loads`` (every request body) and the plan cache's key text take orjson's way only where its
answer is the standard library's; these tests compare both ways on values chosen to hit every place
they part (small and huge floats, NaN and infinities, integers beyond 64 bits or beyond a double, lone
surrogates, byte-order marks, deep nesting, keys that are not strings).
"""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrievo import xcontent
from retrievo.errors import BadRequestError
from retrievo.planner import plan_cache

pytestmark = pytest.mark.skipif(xcontent.ORJSON is None, reason="orjson is not installed")

_STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=xcontent.numpy_default)

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-9, max_value=1e-3),  # where orjson writes 0.0000… or a one-digit exponent
    st.sampled_from([1e-05, 9.99e-05, 1e-4, 1e16, 1e22, -0.0, 5e-324, 1.7976931348623157e308]),
)
integers = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1]))
texts = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # surrogates included
scalars = st.one_of(st.none(), st.booleans(), integers, floats, texts)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)


def _stdlib_bytes(value: object) -> bytes:
    return xcontent.encode(_STDLIB.encode(value))


@settings(max_examples=600, deadline=None)
@given(values)
def test_response_bytes_are_the_standard_librarys(value) -> None:
    assert xcontent.dumps(value) == _stdlib_bytes(value)


def test_response_bytes_for_keys_that_are_not_strings_and_numpy_values() -> None:
    import numpy as np

    for value in ({1: "a", None: 2.5}, {"s": np.float32(6.9659295), "a": np.arange(3)}, [np.int64(2**40)]):
        assert xcontent.dumps(value) == _stdlib_bytes(value)


@settings(max_examples=600, deadline=None)
@given(values)
def test_responses_read_as_json_loads_reads_them(value) -> None:
    raw = _stdlib_bytes(value)
    got, want = xcontent.plain_loads(raw), json.loads(raw)
    assert _same(got, want)


@pytest.mark.parametrize(
    "raw",
    [
        b"123456789012345678901234567890",  # beyond 64 bits: orjson would read a float
        b"[18446744073709551616, -9223372036854775809]",
        b"1e400",
        b"NaN",
        b'{"a": Infinity}',
        b'"\\ud800"',
        b'\xef\xbb\xbf{"a": 1}',  # a byte-order mark: json.loads reads it as UTF-8-sig
        b"[" * 1100 + b"]" * 1100,
        b'{"a": 1, "a": 2}',
    ],
)
def test_responses_orjson_reads_otherwise_go_the_standard_way(raw) -> None:
    try:
        want = json.loads(raw)
    except (ValueError, RecursionError) as e:
        with pytest.raises(type(e)):
            xcontent.plain_loads(raw)
        return
    assert _same(xcontent.plain_loads(raw), want)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"size": 3, "query": {"match": {"t": "x y"}}}',
        b"[123456789012345678901234567890]",  # exact, as Elasticsearch keeps it
        b"[1" + b"0" * 320 + b"]",  # beyond a double: infinity
        b'{"a": NaN}',
        b'{"a": "\\ud800"}',
        b'{"a": "\xff"}',  # not UTF-8: Elasticsearch's error
        b"[" * 1001 + b"]" * 1001,  # too deep: Elasticsearch's error
        b"[" * 999 + b"]" * 999,
        b'{"a": 1,}',
    ],
)
def test_request_bodies_read_as_before(raw, monkeypatch) -> None:
    def read() -> object:
        try:
            return ("value", xcontent.loads(raw))
        except (BadRequestError, json.JSONDecodeError) as e:
            return ("error", type(e).__name__, str(e))

    got = read()
    monkeypatch.setattr(xcontent, "ORJSON", None)
    assert _same(got, read())


def test_plan_keys_tell_every_value_apart() -> None:
    """The key text is orjson's unless it holds ``null``, which orjson writes for NaN too: two bodies
    differing only there keep two keys."""
    bodies = [
        {"min_score": float("nan")},
        {"min_score": None},
        {"min_score": 1},
        {"min_score": 1.0},
        {"min_score": True},
        {"min_score": "1"},
        {"min_score": -0.0},
        {"min_score": 0.0},
        {"min_score": 2**70},
        {"min_score": float(2**70)},
    ]
    keys = [plan_cache.body_key(b) for b in bodies]
    assert None not in keys and len(set(keys)) == len(bodies)


def _same(a: object, b: object) -> bool:
    """Equal values, told apart as JSON text tells them apart (``1`` from ``1.0``, ``-0.0`` from ``0.0``,
    NaN equal to NaN): the standard library's text of each (with room for the deepest nestings here)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(before + 3000)
    try:
        return _STDLIB.encode(a) == _STDLIB.encode(b)
    finally:
        sys.setrecursionlimit(before)
