"""The bulk request's JSON shortcuts (issue 18 item 4) give what the general paths give.

* ``client.BuilderNdjsonSerializer.json_dumps`` (one C encoder per thread) writes the very bytes
  the client's own ``json.dumps`` per line writes, and fails as it does;
* ``bulk._plain_body`` (a whole NDJSON body read as one JSON array) reads every body as the line by
  line reading does — each line's value or error, or the request's error — checked against a
  reference that reads each line with ``xcontent.loads`` as Elasticsearch reads it;
* ``InvertedFieldWriter.add`` without a per-document distinct-term count and with the implicit
  positions check builds the snapshot an independent count of the same documents gives.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from elastic_transport import SerializationError
from elasticsearch import BadRequestError
from elasticsearch.dsl import Q
from elasticsearch.serializer import NdjsonSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from retrievo import xcontent
from retrievo.bulk import _lines
from retrievo.client import BuilderNdjsonSerializer
from retrievo.errors import ApiError
from retrievo.index.inverted import InvertedFieldWriter

# ------------------------------------------------------------------------------ NDJSON writing

_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # lone surrogates too
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=12,
)
_LINE = st.one_of(_JSON, _TEXT, _TEXT.map(lambda t: t + "\n"), st.binary(max_size=8), st.just(b"{}\n"))


def _base_dumps(data: Any) -> bytes:
    """The client's own NDJSON writer (``json.dumps`` per line) with the same ``default``: what the
    override replaces."""
    ser = BuilderNdjsonSerializer()
    ser.json_dumps = lambda line: NdjsonSerializer.json_dumps(ser, line)  # type: ignore[method-assign,assignment]
    return NdjsonSerializer.dumps(ser, data)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=6))
def test_ndjson_bytes_equal_the_clients_own(lines: list[Any]) -> None:
    assert BuilderNdjsonSerializer().dumps(lines) == _base_dumps(lines)
    assert BuilderNdjsonSerializer().dumps(tuple(lines)) == _base_dumps(tuple(lines))


def test_ndjson_hand_checked() -> None:
    ser = BuilderNdjsonSerializer()
    ops = [{"index": {"_index": "t", "_id": "1"}}, {"text": "é \ud800", "n": math.nan, "q": Q("match", a="b")}]
    expected = '{"index":{"_index":"t","_id":"1"}}\n{"text":"é \ud800","n":NaN,"q":{"match":{"a":"b"}}}\n'
    assert ser.dumps(ops) == expected.encode("utf-8", "surrogatepass") == _base_dumps(ops)
    assert ser.dumps(iter(ops)) == _base_dumps(ops)  # any iterable (the base class), as the client allows
    assert ser.dumps('{"a":1}') == _base_dumps('{"a":1}') == b'{"a":1}\n'
    assert ser.dumps([]) == b""


def test_ndjson_failures_as_the_client_reports_them() -> None:
    ser = BuilderNdjsonSerializer()
    circular: dict[str, Any] = {}
    circular["self"] = circular
    thing = object()
    for bad, kind in (([{"a": 1}, {"x": thing}], BadRequestError), ([circular], SerializationError)):
        with pytest.raises(kind) as ours:
            ser.dumps(bad)
        with pytest.raises(kind) as theirs:
            _base_dumps(bad)
        assert str(ours.value) == str(theirs.value)
    assert isinstance(ours.value, SerializationError) and "Circular reference" in str(ours.value.errors[0])
    again = [{"a": [1, 2]}, {"b": {"c": [3]}}] * 50  # a failed line leaves no marks: no false circles
    assert ser.dumps(again) == _base_dumps(again)


def test_ndjson_from_threads() -> None:
    ser = BuilderNdjsonSerializer()
    shared = {"q": Q("match", a="b"), "text": "x" * 50, "n": [1.5, None, True]}  # default() runs mid-line
    lines = [{"index": {"_id": str(i)}} if i % 2 else shared for i in range(400)]
    expected = _base_dumps(lines)
    with ThreadPoolExecutor(8) as pool:
        assert all(out == expected for out in pool.map(lambda _: ser.dumps(lines), range(32)))


# ------------------------------------------------------------------------------ NDJSON reading


def _reference_lines(raw: bytes) -> list[Any] | tuple[str, str]:
    """Each non-blank line read on its own with ``xcontent.loads`` (its error body where the bytes are
    bad or too deep), or the request's error for a line that is not JSON: how Elasticsearch reads it."""
    out: list[Any] = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(xcontent.loads(line))
        except ApiError as err:
            out.append(err.body)
        except json.JSONDecodeError as e:
            return ("x_content_parse_exception", f"[{n}:{e.colno}] Malformed content, {e.msg}")
    return out


def _read(raw: bytes) -> list[Any] | tuple[str, str]:
    try:
        values = _lines(raw)
    except ApiError as err:
        return (err.body["error"]["type"], err.body["error"]["reason"])
    return [v.body if isinstance(v, ApiError) else v for v in values]


_FRAGMENTS = [
    b'{"index":{"_index":"t","_id":"1"}}',
    b'{"text":"plain words","n":[1,2.5,-3e2,true,null]}',
    b'  {"text":"padded"}\t',
    b'{"k":"\\ud800 escaped surrogate","big":123456789012345678901234567890}',
    b'{"t":"caf\xc3\xa9"}',
    b'{"t":"\xed\xa0\x80 raw surrogate"}',  # what the client sends for a lone surrogate
    b'{"t":"\xff bad byte"}',
    b'"a string line"',
    b"42",
    b"[1,2]",
    b"",
    b"   ",
    b"\x0b",
    b'{"a":1},{"b":2}',
    b'{"a":1} {"b":2}',
    b"{}",
    b'{"a":',
    b"]",
    b"[" * 1001 + b"]" * 1001,
    b"[" * 999 + b"]" * 999,
    b'{"x":"' + b"[" * 1200 + b'"}',  # brackets inside a string only
    b"\x1c",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=8),
    st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n"]),
    st.booleans(),
)
def test_bodies_read_as_line_by_line(fragments: list[bytes], newline: bytes, final: bool) -> None:
    raw = newline.join(fragments) + (newline if final else b"")
    assert _read(raw) == _reference_lines(raw)


def test_a_plain_body_is_read_whole() -> None:
    raw = b'{"index":{"_id":"1"}}\n{"t":"x"}\n{"delete":{"_id":"2"}}\n'
    assert _lines(raw) == [{"index": {"_id": "1"}}, {"t": "x"}, {"delete": {"_id": "2"}}]
    assert _lines(raw.decode()) == _lines(raw)  # text bodies too


# ------------------------------------------------------------------------------ pending tokens


def _expected(docs: list[tuple[list[str], list[int]]], counted: bool) -> dict[str, Any]:
    """Postings, forward index and statistics counted directly from the documents' tokens."""
    vocab: dict[str, int] = {}
    for terms, _ in docs:
        for t in terms:
            vocab.setdefault(t, len(vocab))
    postings: list[list[tuple[int, int]]] = [[] for _ in vocab]
    for doc, (terms, _) in enumerate(docs):
        for t, n in Counter(terms).items():
            postings[vocab[t]].append((doc, n if counted else 1))
    fwd = [vocab[t] for terms, _ in docs for t in terms]
    positions = [p for _, ps in docs for p in ps]
    implicit = all(ps == list(range(len(ps))) for _, ps in docs)
    return {
        "terms": vocab,
        "offsets": np.cumsum([0] + [len(p) for p in postings]),
        "docs": [d for p in postings for d, _ in p],
        "freqs": [n for p in postings for _, n in p],
        "has_value": [bool(terms) for terms, _ in docs],
        "fwd_tids": fwd,
        "fwd_pos": [] if implicit else positions,
        "doc_count": sum(1 for terms, _ in docs if terms),
        "sum_total_term_freq": sum(len(terms) for terms, _ in docs) if counted else sum(map(len, postings)),
    }


def _check(writer: InvertedFieldWriter, docs: list[tuple[list[str], list[int]]], counted: bool) -> None:
    for doc, (terms, positions) in enumerate(docs):
        writer.add(doc, terms, positions)
    snap = writer.refresh(len(docs), np.ones(len(docs), dtype=bool), False)
    want = _expected(docs, counted)
    assert snap.terms == want["terms"]
    assert snap.offsets.tolist() == want["offsets"].tolist()
    assert snap.docs.tolist() == want["docs"]
    assert snap.freqs.tolist() == want["freqs"]
    assert snap.has_value.tolist() == want["has_value"]
    assert snap.doc_count == want["doc_count"]
    assert snap.sum_total_term_freq == want["sum_total_term_freq"]
    if writer.with_positions:
        assert snap.fwd_tids.tolist() == want["fwd_tids"]
        assert snap.fwd_pos.tolist() == want["fwd_pos"]


_WORDS = st.lists(st.sampled_from(["a", "b", "c", "dd", "é", "f"]), max_size=30)


@st.composite
def _documents(draw: st.DrawFn) -> list[tuple[list[str], list[int]]]:
    docs = []
    for terms in draw(st.lists(_WORDS, max_size=8)):
        if terms and draw(st.integers(0, 4)) == 0:  # a gap or a stacked token: explicit positions
            steps = draw(st.lists(st.integers(0, 2), min_size=len(terms), max_size=len(terms)))
            docs.append((terms, [int(p) for p in np.cumsum(steps)]))
        else:
            docs.append((terms, list(range(len(terms)))))
    return docs


@settings(max_examples=200, deadline=None)
@given(_documents())
def test_pending_tokens_build_the_counted_snapshot(docs: list[tuple[list[str], list[int]]]) -> None:
    _check(InvertedFieldWriter("text"), docs, counted=True)  # text: counted at refresh from tokens
    _check(InvertedFieldWriter("kw", with_norms=False, with_positions=False), docs, counted=False)  # queued
    queued_text = InvertedFieldWriter("text")
    queued_text.pending_tids = [0]  # as a writer loaded from an older save: postings queued per document
    queued_text.pending_tfs = [1]
    queued_text.pending_docs = [0]
    queued_text.pending_unique = [1]
    queued_text.pending_lengths = [1]
    queued_text.pending_fwd_tids = [0]
    queued_text.terms = {"a": 0}
    more = [(["a"], [0]), *docs]
    for doc, (terms, positions) in enumerate(more[1:], 1):
        queued_text.add(doc, terms, positions)
    snap = queued_text.refresh(len(more), np.ones(len(more), dtype=bool), False)
    want = _expected(more, counted=True)
    assert snap.docs.tolist() == want["docs"] and snap.freqs.tolist() == want["freqs"]
    assert snap.has_value.tolist() == want["has_value"]


def test_long_documents_grow_the_implicit_positions() -> None:
    docs = [(["w"] * n, list(range(n))) for n in (3, 1500, 5000, 2)]
    docs.append((["x"] * 3000, [*range(2999), 3000]))  # a gap at the very end of a long document
    _check(InvertedFieldWriter("text"), docs, counted=True)
