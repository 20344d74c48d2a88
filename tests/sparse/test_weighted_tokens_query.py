"""The deprecated ``weighted_tokens`` query (``WeightedTokensQueryBuilder``): the ``sparse_vector`` scoring
without the field's default pruning (only the query's ``pruning_config`` prunes), its own parser's errors.

Index: ``a`` in 4 of 4 documents, ``b`` in 1: 5 postings over 2 tokens, average ratio 5 / 4 / 2 = 0.625.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

INDEX = "wt"


@pytest.fixture(scope="module")
def es() -> Iterator[Engine]:
    engine = Engine()
    engine.indices.create(
        index=INDEX, mappings={"properties": {"tokens": {"type": "sparse_vector"}, "kw": {"type": "keyword"}}}
    )
    docs = {"1": {"a": 1.0, "b": 2.0}, "2": {"a": 2.0}, "3": {"a": 0.5}, "4": {"a": 4.0}}
    for doc_id, tokens in docs.items():
        engine.index(index=INDEX, id=doc_id, document={"tokens": tokens, "kw": "x"})
    engine.indices.refresh(index=INDEX)
    yield engine


def wt(**options: Any) -> dict[str, Any]:
    return {"weighted_tokens": {"tokens": options}}


def scored(es: Engine, query: dict[str, Any]) -> dict[str, float]:
    return {h["_id"]: h["_score"] for h in es.search(index=INDEX, query=query)["hits"]["hits"]}


def test_every_token_scores_without_a_pruning_config(es: Engine) -> None:
    # the 9.1 default pruning of sparse_vector would drop nothing here either; a frequent light token
    # shows the difference: ratio threshold 1 → limit 0.625 < a's 1.0, and 0.5 ≤ 0.4 × 4 → pruned
    assert scored(es, wt(tokens={"a": 0.5, "b": 4.0})) == {"1": 8.5, "2": 1.0, "3": 0.25, "4": 2.0}
    pruned = wt(tokens={"a": 0.5, "b": 4.0}, pruning_config={"tokens_freq_ratio_threshold": 1})
    assert scored(es, pruned) == {"1": 8.0}


def test_string_weights_boost_and_name(es: Engine) -> None:
    hits = es.search(index=INDEX, query=wt(tokens={"b": "1.5"}, boost=2, _name="w"))["hits"]["hits"]
    assert [(h["_id"], h["_score"], h["matched_queries"]) for h in hits] == [("1", 6.0, ["w"])]


@pytest.mark.parametrize(
    ("query", "error_type", "reason"),
    [
        (
            {"weighted_tokens": {"tokens": {"tokens": {}}}},
            "illegal_argument_exception",
            "[weighted_tokens] requires at least one token",
        ),
        ({"weighted_tokens": {}}, "parsing_exception", "No fieldname specified for query"),
        ({"weighted_tokens": {"tokens": 1}}, "illegal_argument_exception", "invalid query"),
        (wt(tokens={"a": 1}, bogus=1), "parsing_exception", "unknown field [bogus]"),
        (
            wt(tokens={"a": True}),
            "parse_exception",
            "Illegal weight for token: [a], expected floating point got Boolean",
        ),
        (wt(tokens={"a": 1}, pruning_config=1), "parsing_exception", "[pruning_config] should be an object"),
        (
            {"weighted_tokens": {"tokens": {"tokens": {"a": 1}}, "other": {"tokens": {"a": 1}}}},
            "parsing_exception",
            "[weighted_tokens] query doesn't support multiple fields, found [tokens] and [other]",
        ),
    ],
)
def test_parse_errors(es: Engine, query: dict[str, Any], error_type: str, reason: str) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index=INDEX, query=query)
    assert info.value.status_code == 400
    error = info.value.body["error"]
    assert (error["type"], error["reason"]) == (error_type, reason)


def test_field_of_another_type(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index=INDEX, query={"weighted_tokens": {"kw": {"tokens": {"a": 1}}}})
    cause = info.value.body["error"]["caused_by"]["caused_by"]
    assert cause["type"] == "parse_exception"
    assert cause["reason"].startswith("[keyword] is not an appropriate field type for this query.")


def test_unmapped_field_matches_nothing(es: Engine) -> None:
    assert scored(es, {"weighted_tokens": {"nope": {"tokens": {"a": 1}}}}) == {}
