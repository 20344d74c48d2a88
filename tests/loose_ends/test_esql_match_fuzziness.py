"""ES|QL ``MATCH``/``MULTI_MATCH`` with ``fuzziness`` and its companion options.

Which rows match is worked out by hand from Damerau-Levenshtein / Levenshtein distances of the
misspelt query term ``quikc``: ``quick`` is one transposition away (two plain edits), ``quack`` two
edits with a transposition (three without). Scores must equal those of the query DSL ``match`` with
the same options, which ``MATCH`` is documented to be equivalent to.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.grammar.esql import to_esql

DOCS = {"1": "quick brown fox", "2": "quack", "3": "lazy dog"}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="fz", mappings={"properties": {"t": {"type": "text"}, "k": {"type": "keyword"}}})
    for doc_id, text in DOCS.items():
        engine.index(index="fz", id=doc_id, document={"t": text, "k": text})
    engine.indices.refresh(index="fz")
    return engine


def _esql(es: Engine, where: str) -> dict[str, float]:
    resp = es.esql.query(query=f"FROM fz METADATA _id, _score | WHERE {where} | KEEP _id, _score")
    return {row[0]: float(np.float32(row[1])) for row in resp["values"]}


def _dsl(es: Engine, query: dict[str, Any]) -> dict[str, float]:
    hits = es.search(index="fz", query=query, size=10)["hits"]["hits"]
    return {h["_id"]: float(np.float32(h["_score"])) for h in hits}


CASES = [
    ({"fuzziness": "AUTO"}, {"1"}),  # 5 letters: AUTO allows 1 edit, a transposition counts as one
    ({"fuzziness": "AUTO", "fuzzy_transpositions": False}, set()),  # then quick is 2 edits away
    ({"fuzziness": "2"}, {"1", "2"}),
    ({"fuzziness": "2", "fuzzy_transpositions": False}, {"1"}),  # quack is 3 plain edits away
    ({"fuzziness": "2", "prefix_length": 3}, {"1"}),  # quack does not start with "qui"
    ({"fuzziness": "2", "max_expansions": 1}, {"1"}),  # only the closest term is kept
    ({"fuzziness": "2", "fuzzy_rewrite": "constant_score"}, {"1", "2"}),
]


@pytest.mark.parametrize(("opts", "expected"), CASES)
def test_match_fuzziness(es: Engine, opts: dict[str, Any], expected: set[str]) -> None:
    got = _esql(es, f'MATCH(t, "quikc", {json.dumps(opts)})')  # a JSON object is an ES|QL map literal
    assert set(got) == expected
    assert got == _dsl(es, {"match": {"t": {"query": "quikc", **opts}}})


def test_multi_match_fuzziness(es: Engine) -> None:
    got = _esql(es, 'MULTI_MATCH("quikc", t, {"fuzziness": "2", "prefix_length": 1})')
    assert set(got) == {"1", "2"}
    assert got == _dsl(es, {"multi_match": {"query": "quikc", "fields": ["t"], "fuzziness": 2, "prefix_length": 1}})


def test_an_integer_fuzziness_and_a_bad_one(es: Engine) -> None:
    assert _esql(es, 'MATCH(t, "quikc", {"fuzziness": 1})') == _esql(es, 'MATCH(t, "quikc", {"fuzziness": "1"})')
    with pytest.raises(Exception) as err:
        _esql(es, 'MATCH(t, "quikc", {"fuzziness": "bogus"})')
    assert err.value.meta.status == 400  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "where",
    [
        'MATCH(t, "quikc", {"fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 7})',
        'MATCH(t, "quikc", {"fuzziness": "2", "fuzzy_transpositions": false, "fuzzy_rewrite": "top_terms_5"})',
        'MULTI_MATCH("quikc", t, k, {"fuzziness": "AUTO", "prefix_length": 2})',
    ],
)
def test_fuzzy_options_print_back_to_esql(es: Engine, where: str) -> None:
    parsed = es.esql.parse(f"FROM fz METADATA _score | WHERE {where}")
    printed = to_esql(parsed)
    assert "fuzziness" in printed
    assert es.esql.parse(printed) == parsed
