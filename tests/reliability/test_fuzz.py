"""Mutation fuzzing of what users send: search bodies, ES|QL and bulk bodies.

Whatever the input, the answer is a response: a hit list or an Elasticsearch error with a 4xx status.
A 500 here means a Python exception escaped into the router's catch-all (its error ``type`` is then
the exception's class name), which is the defect this test exists to find. Inputs start from valid
requests (the random ASTs of ``tests/ast_strategies.py``, printed to JSON) and are mutated by
replacing, dropping or renaming parts with hostile values: deep nesting, huge and non-finite numbers,
lone surrogates, wrong types. Bounded in examples so the suite stays fast; the long soak lives in
``benchmarks/``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrievo import Engine
from retrievo.grammar.json.printer import print_search
from retrievo.retrievers import SearchRequest
from tests.ast_strategies import executable_vocab, search_requests

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

WORDS = ("red", "apple", "green", "pie", "car")
VOCAB = executable_vocab(
    text_fields=("title",),
    keyword_fields=("tag",),
    numeric_fields=("year",),
    vector_field="vec",
    dims=3,
    words=WORDS,
    keywords=("a", "b"),
    ids=("0", "1", "2"),
)

#: Values that broke parsers before (issue 17): deep nesting, beyond-double integers, surrogates.
HOSTILE: list[Any] = [
    None,
    True,
    -1,
    0,
    2**31,
    2**63,
    10**400,
    -(10**400),
    1e308,
    -0.0,
    "",
    "\ud800",
    "a\x00b",
    "*",
    "now-1d/d",
    "NaN",
    "Infinity",
    [],
    {},
    [[[[[[]]]]]],
    {"match_all": {}},
    {"bool": {}},
    "x" * 40000,
]


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="test",
        mappings={
            "properties": {
                "title": {"type": "text"},
                "tag": {"type": "keyword"},
                "year": {"type": "integer"},
                "published": {"type": "date"},
                "vec": {"type": "dense_vector", "dims": 3, "similarity": "l2_norm", "index_options": {"type": "flat"}},
            }
        },
    )
    rng = np.random.default_rng(3)
    ops: list[dict[str, Any]] = []
    for i in range(6):
        doc = {
            "title": " ".join(rng.choice(WORDS, size=3)),
            "tag": "ab"[i % 2],
            "year": 2000 + i,
            "published": f"2020-01-0{i + 1}",
            "vec": [float(x) for x in rng.normal(size=3)],
        }
        ops += [{"index": {"_index": "test", "_id": str(i)}}, doc]
    engine.bulk(operations=ops, refresh=True)
    return engine


def _assert_answered(es: Engine, method: str, path: str, body: Any, params: dict[str, Any] | None = None) -> None:
    """The request gets an answer whose status is not a 500 (an escaped exception)."""
    headers = {"content-type": "application/json", "accept": "application/json"}
    if path.endswith("_bulk"):
        headers["content-type"] = "application/x-ndjson"
    try:
        es.perform_request(method, path, params=params, headers=headers, body=body)
    except Exception as err:
        status = getattr(getattr(err, "meta", None), "status", None)
        if status is None:  # not an API error at all: a Python exception escaped the client
            raise
        assert status < 500, f"{path} answered {status}: {getattr(err, 'body', err)!r} for {body!r}"[:2000]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _paths(child, (*prefix, i))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any, mode: str) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if not rest and mode == "drop":
            copy.pop(head, None)
        elif not rest and mode == "rename":
            copy[str(head) + "_x"] = copy.pop(head)
        else:
            copy[head] = _replace(copy[head], rest, new, mode)
        return copy
    copy_list = list(value)
    if not rest and mode == "drop":
        del copy_list[head]
    else:
        copy_list[head] = _replace(copy_list[head], rest, new, mode)
    return copy_list


@st.composite
def mutated_bodies(draw: st.DrawFn) -> Any:
    request: SearchRequest = draw(search_requests(VOCAB, depth=2))
    body: Any = json.loads(json.dumps(print_search(request)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(body)
        path = draw(st.sampled_from(paths))
        mode = draw(st.sampled_from(["replace", "replace", "drop", "rename"])) if path else "replace"
        new = draw(st.sampled_from(HOSTILE) | st.text(max_size=8) | st.integers() | st.floats())
        body = _replace(body, path, new, mode)
    return body


@FUZZ
@given(body=mutated_bodies())
def test_mutated_search_bodies_get_answers(es: Engine, body: Any) -> None:
    _assert_answered(es, "POST", "/test/_search", body)


ESQL_TOKENS = (
    "FROM test",
    "| WHERE",
    "| SORT",
    "| LIMIT",
    "| KEEP",
    "| EVAL",
    "| STATS",
    'MATCH(title, "red")',
    "KNN(vec, [1, 0, 0])",
    "title",
    "year",
    "tag",
    "_score",
    "METADATA _score",
    "NOT",
    "AND",
    "OR",
    "==",
    ">",
    "(",
    ")",
    "[",
    "]",
    ",",
    "-",
    "1",
    "1e400",
    str(10**400),
    '"\\ud800"',
    '"red"',
    "null",
    "true",
    "DESC",
    "BY",
    "=",
    "COUNT(*)",
    "TO_STRING(",
    "*",
)


@FUZZ
@given(tokens=st.lists(st.sampled_from(ESQL_TOKENS), min_size=1, max_size=14))
def test_random_esql_gets_answers(es: Engine, tokens: list[str]) -> None:
    query = " ".join(["FROM test", *tokens]) if tokens[0] != "FROM test" else " ".join(tokens)
    _assert_answered(es, "POST", "/_query", {"query": query})


BULK_LINES = (
    '{"index": {"_index": "test", "_id": "n1"}}',
    '{"create": {"_index": "test"}}',
    '{"update": {"_index": "test", "_id": "0"}}',
    '{"delete": {"_index": "test", "_id": "5"}}',
    '{"index": {"_index": "fresh"}}',
    '{"index": {}}',
    '{"title": "red pie", "year": 3}',
    '{"year": "not a number"}',
    '{"vec": [1, 2]}',
    '{"vec": [' + str(10**400) + ", 0, 0]}",
    '{"published": "yesterday"}',
    '{"doc": {"title": "x"}}',
    '{"upsert": {}}',
    '{"title": "\\ud800"}',
    "[" * 50 + "]" * 50,
    "{",
    "",
    "null",
    '{"a": {"b": {"c": {"d": {"e": {}}}}}}',
)


@FUZZ
@given(lines=st.lists(st.sampled_from(BULK_LINES), min_size=1, max_size=8))
def test_random_bulk_bodies_get_answers(es: Engine, lines: list[str]) -> None:
    _assert_answered(es, "POST", "/_bulk", ("\n".join(lines) + "\n").encode())
