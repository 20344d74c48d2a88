"""What the ES|QL printer says about retriever kinds ES|QL cannot express.

Elasticsearch 9.x's ES|QL (``x-pack/plugin/esql``, ``plan/logical``) has ``FORK``/``FUSE`` (``rrf``,
``linear``), ``RERANK`` (``text_similarity_reranker``) and ``MMR`` (diversification), but nothing for
pinned documents, query rules, a rescore phase or random scores (``SAMPLE`` drops random rows, it
does not score them). The multi-field ``rrf``/``linear`` format has children only once the index's
mappings are known, which the pure printer never sees. Each refusal must say which of these it is.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.grammar.esql import to_esql
from retrievo.grammar.json import parse_search

STD: dict[str, Any] = {"standard": {"query": {"match": {"title": "dark"}}}}


def _refusal(body: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as info:
        to_esql(parse_search("lib", body))
    assert info.value.meta.status == 400
    assert info.value.body["error"]["type"] == "illegal_argument_exception"
    return error_reason(info.value)


@pytest.mark.parametrize("kind", ["rrf", "linear"])
def test_multi_field_format_names_the_format_not_the_child_count(kind: str) -> None:
    body: dict[str, Any] = {"query": "dark", "fields": ["title", "body"]}
    if kind == "linear":
        body["normalizer"] = "minmax"
    reason = _refusal({"retriever": {kind: body}})
    assert reason.startswith(f"cannot express in ES|QL: the multi-field [{kind}] format ([query] and [fields])")
    assert "fewer than 2" not in reason


def test_multi_field_format_without_fields() -> None:
    reason = _refusal({"retriever": {"rrf": {"query": "dark"}}})
    assert "the multi-field [rrf] format" in reason


@pytest.mark.parametrize(
    "retriever,expected",
    [
        (
            {"pinned": {"ids": ["1"], "retriever": STD}},
            "cannot express in ES|QL: [pinned] has no ES|QL equivalent (ES|QL has no pinned documents)",
        ),
        (
            {"rule": {"ruleset_ids": ["rs"], "match_criteria": {"q": "a"}, "retriever": STD}},
            "cannot express in ES|QL: [rule] has no ES|QL equivalent (ES|QL does not apply query rules)",
        ),
        (
            {"rescorer": {"retriever": STD, "rescore": {"query": {"rescore_query": {"match_all": {}}}}}},
            "cannot express in ES|QL: [rescorer] has no ES|QL equivalent (ES|QL has no rescore phase)",
        ),
        (
            {"random_reranker": {"retriever": STD, "field": "title"}},
            "cannot express in ES|QL: [random_reranker] has no ES|QL equivalent "
            "(SAMPLE keeps random rows but does not score them)",
        ),
    ],
)
def test_kinds_without_an_equivalent(retriever: dict[str, Any], expected: str) -> None:
    assert _refusal({"retriever": retriever}) == expected


def test_a_kind_without_an_equivalent_inside_rrf_is_named() -> None:
    pinned = {"pinned": {"ids": ["1"], "retriever": STD}}
    reason = _refusal({"retriever": {"rrf": {"retrievers": [pinned, STD]}}})
    assert reason == "cannot express in ES|QL: [pinned] has no ES|QL equivalent (ES|QL has no pinned documents)"


def test_diversify_points_at_mmr() -> None:
    body = {
        "diversify": {
            "type": "mmr",
            "field": "vec",
            "query_vector": [1.0, 0.0],
            "retriever": STD,
        }
    }
    reason = _refusal({"retriever": body})
    assert reason == "cannot express in ES|QL: [diversify] (ES|QL's MMR command is not supported in retrievo's ES|QL)"
