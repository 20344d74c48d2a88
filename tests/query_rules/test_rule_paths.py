"""Every way of searching reads the rulesets: ``_msearch``, ``_count``, ``_explain``, ``_rank_eval``,
``_delete_by_query`` and ``Engine.plan`` see the same rewritten ``rule`` query as ``_search``."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from rules_helpers import failure, rule


@pytest.fixture
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="i")
    ops: list[dict[str, Any]] = []
    for doc_id, text in (("a", "x y"), ("b", "y"), ("c", "z")):
        ops += [{"index": {"_index": "i", "_id": doc_id}}, {"t": text}]
    engine.bulk(operations=ops, refresh=True)
    engine.query_rules.put_ruleset(
        ruleset_id="rs",
        rules=[
            rule("pin-b", "pinned", [{"type": "always"}], {"ids": ["b"]}),
            rule("drop-a", "exclude", [{"type": "exact", "metadata": "drop", "values": ["yes"]}], {"ids": ["a"]}),
        ],
    )
    return engine


def query(**criteria: Any) -> dict[str, Any]:
    return {"rule": {"organic": {"match": {"t": "x"}}, "match_criteria": criteria, "ruleset_ids": ["rs"]}}


def test_msearch(es: Engine) -> None:
    resp = es.msearch(searches=[{"index": "i"}, {"query": query(k="v")}, {"index": "i"}, {"query": query(drop="yes")}])
    first, second = resp["responses"]
    assert [h["_id"] for h in first["hits"]["hits"]] == ["b", "a"]
    assert [h["_id"] for h in second["hits"]["hits"]] == ["b"]
    missing = {"rule": {**query(k="v")["rule"], "ruleset_ids": ["nope"]}}
    resp = es.msearch(searches=[{"index": "i"}, {"query": missing}])
    assert resp["responses"][0]["status"] == 404


def test_count_explain_rank_eval_delete_by_query(es: Engine) -> None:
    assert es.count(index="i", query=query(drop="yes"))["count"] == 1
    explained = es.explain(index="i", id="b", query=query(k="v"))
    assert explained["matched"] is True and explained["explanation"]["value"] == pytest.approx(1.7014122e38)
    ratings = [{"_index": "i", "_id": "b", "rating": 1}]
    resp = es.rank_eval(
        index="i",
        requests=[{"id": "q", "request": {"query": query(k="v")}, "ratings": ratings}],
        metric={"precision": {"k": 5}},
    )
    assert [h["hit"]["_id"] for h in resp["details"]["q"]["hits"]] == ["b", "a"]
    resp = es.delete_by_query(index="i", query=query(drop="yes"), refresh=True)
    assert resp["deleted"] == 1
    assert sorted(h["_id"] for h in es.search(index="i")["hits"]["hits"]) == ["a", "c"]


def test_plan(es: Engine) -> None:
    body = {
        "retriever": {
            "rule": {
                "retriever": {"standard": {"query": {"match": {"t": "x"}}}},
                "match_criteria": {"drop": "yes"},
                "ruleset_ids": ["rs"],
            }
        }
    }
    text = es.plan(index="i", body=body).explain()
    assert 'ApplyRules(pinned=[{"_id":"b"}], excluded=[{"_id":"a"}], rank_window_size=10)' in text
    err = failure(
        lambda: es.plan(index="i", body={"query": {"rule": {**query(k="v")["rule"], "ruleset_ids": ["nope"]}}})
    )
    assert err.meta.status == 404
