"""The ``rule`` query and retriever against hand-computed expectations: pinned documents above the organic
ones with Elasticsearch's pin scores, exclusions that never take a place in the window, rules of several
rulesets in order, and the errors of bad requests."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from rules_helpers import exact, failure, rule

INDEX = "books"
# "dune" scores in BM25 order d1 > d2 > d3 > d4 (shorter documents score higher for one matching term).
TEXTS = {"d1": "dune", "d2": "dune two", "d3": "dune three four", "d4": "dune five six seven", "x": "other"}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index=INDEX)
    ops: list[dict[str, Any]] = []
    for doc_id, text in TEXTS.items():
        ops += [{"index": {"_index": INDEX, "_id": doc_id}}, {"text": text}]
    engine.bulk(operations=ops, refresh=True)
    engine.query_rules.put_ruleset(
        ruleset_id="pins",
        rules=[
            rule("p1", "pinned", [exact("q", "dune")], {"ids": ["x", "d3"]}),
            rule("p2", "pinned", [{"type": "prefix", "metadata": "q", "values": ["du"]}], {"ids": ["d3", "d4"]}),
            rule("e1", "exclude", [exact("user", "banned")], {"ids": ["d1"]}),
            rule("other-index", "pinned", [exact("q", "dune")], {"docs": [{"_index": "elsewhere", "_id": "d2"}]}),
        ],
    )
    engine.query_rules.put_ruleset(
        ruleset_id="more", rules=[rule("m", "pinned", [{"type": "always"}], {"ids": ["d2", "x"]})]
    )
    return engine


DUNE: dict[str, Any] = {"standard": {"query": {"match": {"text": "dune"}}}}


def retriever(criteria: dict[str, Any], rulesets: list[str], **extra: Any) -> dict[str, Any]:
    return {"rule": {"retriever": DUNE, "match_criteria": criteria, "ruleset_ids": rulesets, **extra}}


def scored(resp: Any) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def organic(es: Engine) -> dict[str, float]:
    return {h["_id"]: h["_score"] for h in es.search(index=INDEX, query={"match": {"text": "dune"}})["hits"]["hits"]}


def test_pins_in_rule_order_above_organic(es: Engine) -> None:
    plain = organic(es)
    assert list(plain) == ["d1", "d2", "d3", "d4"]
    resp = es.search(index=INDEX, retriever=retriever({"q": "dune"}, ["pins"]))
    # p1 pins x, d3; p2 pins d3 (again: kept once), d4; the doc of another index keeps its slot: 4 pins,
    # scores bits(2^127) + 1 + 4 - position as float32.
    assert [d for d, _ in scored(resp)] == ["x", "d3", "d4", "d1", "d2"]
    pins = [s for _, s in scored(resp)[:3]]
    assert pins == [1.7014128e38, 1.7014126e38, 1.7014124e38]
    assert scored(resp)[3:] == [("d1", plain["d1"]), ("d2", plain["d2"])]
    assert resp["hits"]["total"]["value"] == 5  # the four matches and the pinned x


def test_rulesets_apply_in_the_order_named(es: Engine) -> None:
    resp = es.search(index=INDEX, retriever=retriever({"q": "dune"}, ["more", "pins"]))
    assert [d for d, _ in scored(resp)] == ["d2", "x", "d3", "d4", "d1"]


def test_exclusions_leave_the_window_full(es: Engine) -> None:
    resp = es.search(index=INDEX, retriever=retriever({"user": "banned"}, ["pins"], rank_window_size=2), size=2)
    assert [d for d, _ in scored(resp)] == ["d2", "d3"]
    assert resp["hits"]["total"]["value"] == 3
    both = retriever({"user": "banned", "q": "dune"}, ["pins"], rank_window_size=4)
    resp = es.search(index=INDEX, retriever=both, size=4)
    assert [d for d, _ in scored(resp)] == ["x", "d3", "d4", "d2"]


def test_rule_query_rewrites(es: Engine) -> None:
    plain = organic(es)
    query = {
        "rule": {"organic": {"match": {"text": "dune"}}, "match_criteria": {"user": "banned"}, "ruleset_ids": ["pins"]}
    }
    resp = es.search(index=INDEX, query=query)
    assert scored(resp) == [(d, plain[d]) for d in ("d2", "d3", "d4")]  # bool must organic, must_not ids
    query["rule"]["match_criteria"] = {"q": "dune"}
    resp = es.search(index=INDEX, query=query)
    assert [d for d, _ in scored(resp)] == ["x", "d3", "d4", "d1", "d2"]


def test_rule_query_name_and_boost_pass_to_the_rewritten_query(es: Engine) -> None:
    query = {
        "rule": {
            "organic": {"match": {"text": "dune"}},
            "match_criteria": {"nothing": "matches"},
            "ruleset_ids": ["pins"],
            "boost": 2.0,
            "_name": "ruled",
        }
    }
    plain = organic(es)
    resp = es.search(index=INDEX, query=query)
    assert [h["matched_queries"] for h in resp["hits"]["hits"]] == [["ruled"]] * 4
    assert [s for _, s in scored(resp)] == [pytest.approx(2 * plain[d], rel=1e-6) for d in ("d1", "d2", "d3", "d4")]


def test_deprecated_ruleset_id(es: Engine) -> None:
    query = {"rule": {"organic": {"match": {"text": "dune"}}, "match_criteria": {"q": "dune"}, "ruleset_id": "pins"}}
    assert [h["_id"] for h in es.search(index=INDEX, query=query)["hits"]["hits"]][:2] == ["x", "d3"]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"ruleset_ids": [f"r{i}" for i in range(11)]}, "rulesetIds must not contain more than 10 rulesets"),
        ({"ruleset_ids": ["pins"], "match_criteria": {}}, "matchCriteria must not be null or empty"),
        ({"ruleset_ids": []}, "rulesetIds must not be null or empty"),
        ({"ruleset_ids": ["pins", ""]}, "rulesetIds must not contain null or empty values"),
    ],
)
def test_rule_query_checks(es: Engine, extra: dict[str, Any], reason: str) -> None:
    query = {"rule": {"organic": {"match_all": {}}, "match_criteria": {"q": "dune"}, **extra}}
    err = failure(lambda: es.search(index=INDEX, query=query))
    assert (err.meta.status, err.body["error"]["type"]) == (400, "parsing_exception")
    assert err.body["error"]["caused_by"]["caused_by"]["reason"] == reason


def test_rule_retriever_checks(es: Engine) -> None:
    err = failure(lambda: es.search(index=INDEX, retriever={"rule": {"retriever": DUNE}}))
    assert (err.meta.status, err.body["error"]["type"]) == (400, "parsing_exception")
    assert err.body["error"]["reason"] == "Required [ruleset_ids, match_criteria]"
    err = failure(
        lambda: es.search(index=INDEX, retriever=retriever({"q": "dune"}, ["pins"], rank_window_size=5), size=6)
    )
    assert err.body["error"]["type"] == "action_request_validation_exception"
    err = failure(lambda: es.search(index=INDEX, retriever=retriever({}, ["pins"])))
    assert (err.meta.status, err.body["error"]["reason"]) == (400, "matchCriteria must not be null or empty")
    err = failure(lambda: es.search(index=INDEX, retriever=retriever({"q": "dune"}, ["pins", "missing"])))
    assert (err.meta.status, err.body["error"]["reason"]) == (404, "query ruleset missing not found")
    err = failure(
        lambda: es.search(
            index=INDEX,
            retriever={"rule": {"retriever": DUNE, "ruleset_ids": ["pins"], "match_criteria": {"q": 1}, "size": 3}},
        )
    )
    assert err.body["error"]["reason"].startswith("[rule] unknown field [size]")


def test_excluded_docs_naming_indices_follow_elasticsearch() -> None:
    """Two excluded documents that name their index become ``bool.must`` of both: nothing is excluded
    (``RuleQueryBuilder.buildExcludedDocsQuery``); one alone is excluded."""
    es = Engine()
    es.indices.create(index="i")
    es.bulk(
        operations=[{"index": {"_index": "i", "_id": n}} if k == 0 else {"t": "a"} for n in ("a", "b") for k in (0, 1)],
        refresh=True,
    )
    two = {"docs": [{"_index": "i", "_id": "a"}, {"_index": "i", "_id": "b"}]}
    es.query_rules.put_ruleset(ruleset_id="two", rules=[rule("r", "exclude", [{"type": "always"}], two)])
    es.query_rules.put_ruleset(
        ruleset_id="one", rules=[rule("r", "exclude", [{"type": "always"}], {"docs": [{"_index": "i", "_id": "a"}]})]
    )

    def found(ruleset: str) -> list[str]:
        query = {"rule": {"organic": {"match": {"t": "a"}}, "match_criteria": {"k": "v"}, "ruleset_ids": [ruleset]}}
        return sorted(h["_id"] for h in es.search(index="i", query=query)["hits"]["hits"])

    assert found("two") == ["a", "b"]
    assert found("one") == ["b"]


def test_pins_drop_the_organic_top_boost(es: Engine) -> None:
    """Pins rewrite the child's query into a ``pinned`` query, whose ``CappedScoreQuery`` drops a boost at
    the top of the organic query; without pins the boost stays."""
    plain = organic(es)
    boosted = {"standard": {"query": {"match": {"text": {"query": "dune", "boost": 3.0}}}}}

    def scores(criteria: dict[str, Any]) -> dict[str, float]:
        body = {"rule": {"retriever": boosted, "match_criteria": criteria, "ruleset_ids": ["pins"]}}
        return {h["_id"]: h["_score"] for h in es.search(index=INDEX, retriever=body)["hits"]["hits"]}

    assert scores({"q": "dune"})["d1"] == plain["d1"]
    assert scores({"user": "banned"})["d2"] == pytest.approx(3 * plain["d2"], rel=1e-6)
