"""Port of Elasticsearch's ``entsearch/rules/40_rule_query_search.yml``, ``80_query_rules_retriever.yml`` and
``81_query_rules_retriever_no_rulesets.yml`` through the official client.

The YAML's organic queries are ``query_string`` queries, ported as written. The case whose organic query
is a ``sparse_vector``/``text_expansion`` over an ML model is not ported (ML trained models).
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from rules_helpers import exact, failure, rule


def build_40() -> Engine:
    es = Engine()
    es.indices.create(index="test-index1", aliases={"test-alias1": {}})
    es.indices.create(index="test-index2", aliases={"test-alias1": {}})
    texts = ["elastic", "kibana", "logstash", "you know, for search", "beats", "siem", "observability", "elasticsearch"]
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(texts, 1):
        ops += [{"index": {"_index": "test-index1", "_id": f"doc{i}"}}, {"text": text}]
    ops += [{"index": {"_index": "test-index2", "_id": "another-doc"}}, {"text": "you know, for search"}]
    ops += [{"index": {"_index": "test-index2", "_id": "doc8"}}, {"text": "elasticsearch"}]
    es.bulk(operations=ops, refresh=True)
    rules = [
        rule("rule1", "pinned", [exact("query_string", "search")], {"ids": ["doc1"]}),
        rule("rule2", "pinned", [exact("query_string", "ui")], {"docs": [{"_index": "test-index1", "_id": "doc2"}]}),
        rule(
            "rule3",
            "pinned",
            [{"type": "contains", "metadata": "query_string", "values": ["kibana", "logstash"]}],
            {"ids": ["doc2", "doc3"]},
        ),
        rule("rule4", "pinned", [exact("query_string", "ops")], {"ids": ["doc7"]}),
        rule("rule5", "exclude", [exact("query_string", "search")], {"ids": ["doc8"]}),
    ]
    es.query_rules.put_ruleset(ruleset_id="test-ruleset", rules=rules)
    es.query_rules.put_ruleset(
        ruleset_id="another-test-ruleset",
        rules=[rule("rule5", "pinned", [exact("query_string", "ops")], {"ids": ["doc6"]})],
    )
    return es


@pytest.fixture
def es() -> Engine:
    return build_40()


def rule_query(
    organic: dict[str, Any], criteria: dict[str, Any], rulesets: Any = "test-ruleset", **extra: Any
) -> dict[str, Any]:
    return {"rule": {"organic": organic, "match_criteria": criteria, "ruleset_ids": rulesets, **extra}}


def text(query: str) -> dict[str, Any]:
    return {"query_string": {"query": query}}


def hits(resp: Any) -> tuple[int, list[str]]:
    return resp["hits"]["total"]["value"], [h["_id"] for h in resp["hits"]["hits"]]


def test_missing_ruleset(es: Engine) -> None:
    err = failure(lambda: es.search(query=rule_query(text("search"), {"foo": "bar"}, "nonexistent-ruleset")))
    assert (err.meta.status, err.body["error"]["type"]) == (404, "resource_not_found_exception")
    assert err.body["error"]["reason"] == "query ruleset nonexistent-ruleset not found"


def test_ruleset_information(es: Engine) -> None:
    without = {"rule": {"organic": text("search"), "match_criteria": {"foo": "bar"}}}
    both = rule_query(text("search"), {"foo": "bar"}, ["test-ruleset"], ruleset_id="test-ruleset")
    for query in (without, both):
        err = failure(lambda q=query: es.search(query=q))
        assert err.meta.status == 400
        assert "ruleset information not provided correctly" in str(err.body)
    err = failure(lambda: es.search(query={"rule": {"organic": text("search"), "ruleset_ids": "test-ruleset"}}))
    assert (err.meta.status, err.body["error"]["type"]) == (400, "parsing_exception")


def test_id_match(es: Engine) -> None:
    resp = es.search(index="test-index1", query=rule_query(text("search"), {"query_string": "search"}))
    assert hits(resp) == (2, ["doc1", "doc4"])


def test_doc_match(es: Engine) -> None:
    resp = es.search(query=rule_query(text("ui"), {"query_string": "ui"}, ["test-ruleset"]))
    assert hits(resp) == (1, ["doc2"])


def test_no_matching_rules(es: Engine) -> None:
    assert hits(es.search(query=rule_query(text("beats"), {"query_string": "beats"}))) == (1, ["doc5"])


def test_multiple_matching_rules(es: Engine) -> None:
    resp = es.search(query=rule_query(text("logstash"), {"query_string": "logstash"}))
    assert hits(resp) == (2, ["doc2", "doc3"])


def test_complex_rules(es: Engine) -> None:
    q = "elastic and kibana are good for search"
    total, order = hits(es.search(index="test-index1", query=rule_query(text(q), {"query_string": q})))
    assert total == 4
    assert order[:2] == ["doc2", "doc3"]


def test_alias_with_indexed_docs(es: Engine) -> None:
    rules = [
        rule("rule1", "pinned", [exact("foo", "bar")], {"docs": [{"_index": "test-index1", "_id": "doc8"}]}),
        rule("rule2", "exclude", [exact("foo", "baz")], {"docs": [{"_index": "test-index1", "_id": "doc8"}]}),
    ]
    es.query_rules.put_ruleset(ruleset_id="alias-ruleset", rules=rules)
    resp = es.search(query=rule_query({"match_none": {}}, {"foo": "bar"}, ["alias-ruleset"]))
    assert hits(resp) == (1, ["doc8"]) and resp["hits"]["hits"][0]["_index"] == "test-index1"
    resp = es.search(query=rule_query(text("elasticsearch"), {"foo": "baz"}, ["alias-ruleset"]))
    assert hits(resp) == (1, ["doc8"]) and resp["hits"]["hits"][0]["_index"] == "test-index2"
    resp = es.search(query=rule_query(text("elasticsearch"), {"foo": "not-a-match"}, ["alias-ruleset"]))
    assert resp["hits"]["total"]["value"] == 2


def test_pinned_and_excluded_is_excluded(es: Engine) -> None:
    rules = [
        rule("rule1", "pinned", [exact("foo", "bar")], {"ids": ["doc8"]}),
        rule("rule2", "exclude", [exact("foo", "bar")], {"ids": ["doc8"]}),
    ]
    es.query_rules.put_ruleset(ruleset_id="double-jeopardy-ruleset", rules=rules)
    assert es.search(index="test-index2", query=text("elasticsearch"))["hits"]["total"]["value"] == 1
    resp = es.search(
        index="test-index2", query=rule_query(text("elasticsearch"), {"foo": "bar"}, ["double-jeopardy-ruleset"])
    )
    assert resp["hits"]["total"]["value"] == 0


def test_numeric_and_text_rules(es: Engine) -> None:
    rules = [
        rule("rule1", "pinned", [{"type": "fuzzy", "metadata": "foo", "values": ["bar"]}], {"ids": ["doc1"]}),
        rule("rule2", "pinned", [{"type": "lte", "metadata": "foo", "values": [100]}], {"ids": ["doc2"]}),
    ]
    es.query_rules.put_ruleset(ruleset_id="combined-ruleset", rules=rules)
    resp = es.search(query=rule_query(text("blah blah blah"), {"foo": "baz"}, ["combined-ruleset"]))
    assert hits(resp) == (1, ["doc1"])


# ------------------------------------------------------------------------- 80 / 81: the rule retriever
@pytest.fixture(scope="module")
def es80() -> Engine:
    es = Engine()
    es.indices.create(index="test-index1")
    docs = [
        ("foo", "foo - pinned doc for foo"),
        ("bar", "bar - exclude doc for bar"),
        ("baz", "baz - no rule attached"),
        ("foo_no_rule", "text search result for foo with no rule attached"),
        ("bar_no_rule", "text search result for bar with no rule attached"),
        ("foo2", "foo2 - second pinned doc for foo"),
    ]
    ops: list[dict[str, Any]] = []
    for doc_id, body in docs:
        ops += [{"index": {"_index": "test-index1", "_id": doc_id}}, {"text": body}]
    es.bulk(operations=ops, refresh=True)
    rules = [
        rule("foo", "pinned", [exact("foo", "foo")], {"ids": ["foo", "foo2"]}),
        rule("bar", "exclude", [exact("bar", "bar")], {"ids": ["bar"]}),
    ]
    es.query_rules.put_ruleset(ruleset_id="test-ruleset", rules=rules)
    return es


def rule_retriever(child: dict[str, Any], rulesets: Any = "test-ruleset") -> dict[str, Any]:
    return {"rule": {"match_criteria": {"foo": "foo", "bar": "bar"}, "ruleset_ids": rulesets, "retriever": child}}


def standard(query: str, **extra: Any) -> dict[str, Any]:
    return {"standard": {"query": text(query), **extra}}


RRF = {"rrf": {"retrievers": [standard("bar"), standard("baz")]}}


def test_standalone_retriever(es80: Engine) -> None:
    resp = es80.search(index="test-index1", retriever=rule_retriever(standard("bar")))
    assert hits(resp) == (3, ["foo", "foo2", "bar_no_rule"])


def test_retriever_over_rrf(es80: Engine) -> None:
    total, order = hits(es80.search(index="test-index1", retriever=rule_retriever(RRF)))
    assert total == 4 and order[:2] == ["foo", "foo2"]


def test_retriever_over_rrf_paginated(es80: Engine) -> None:
    resp = es80.search(index="test-index1", retriever=rule_retriever(RRF), size=1, from_=1)
    assert hits(resp) == (4, ["foo2"])


def test_retriever_only_at_top(es80: Engine) -> None:
    nested = {"rrf": {"retrievers": [standard("bar"), rule_retriever(standard("baz"))]}}
    err = failure(lambda: es80.search(index="test-index1", retriever=nested))
    assert err.meta.status == 400
    assert "[rule] must be a standalone or top level retriever only" in str(err.body)


def test_retriever_sorts(es80: Engine) -> None:
    resp = es80.search(index="test-index1", retriever=rule_retriever(standard("bar", sort=["_score"])))
    assert hits(resp) == (3, ["foo", "foo2", "bar_no_rule"])
    err = failure(
        lambda: es80.search(index="test-index1", retriever=rule_retriever(standard("bar", sort=[{"_id": "desc"}])))
    )
    assert err.meta.status == 400
    assert err.body["error"]["reason"].startswith("[rule] retriever only supports sort by score")


def test_retriever_explain(es80: Engine) -> None:
    resp = es80.search(index="test-index1", retriever=rule_retriever(standard("bar")), explain=True)
    top = resp["hits"]["hits"][0]
    assert top["_id"] == "foo"
    text_ = "doc [0] with an original score of [1.7014124E38] is at rank [1] from the following source queries."
    e = top["_explanation"]
    assert (e["value"], e["description"]) == (1, text_)
    assert (e["details"][0]["value"], e["details"][0]["description"]) == (1, text_)
    inner = e["details"][0]["details"][0]
    assert inner["description"] == "sum of:"
    assert inner["details"][0]["description"] == "max of:"
    assert inner["details"][0]["details"][0]["description"] == "max of:"
    pin = inner["details"][0]["details"][0]["details"][0]
    assert pin["description"] == "ConstantScore(_id:([7e 8a]))^1.7014124E38"


def test_retriever_missing_ruleset(es80: Engine) -> None:
    err = failure(
        lambda: es80.search(index="test-index1", retriever=rule_retriever(standard("bar"), "abc"), explain=True)
    )
    assert (err.meta.status, err.body["error"]["type"]) == (404, "resource_not_found_exception")
