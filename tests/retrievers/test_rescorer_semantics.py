"""The ``rescorer`` retriever and a body's top-level ``rescore``, against hand-computed expectations.

Six documents (ids 1..6). The first pass gives id ``i`` the score ``7 - i`` (6, 5, 4, 3, 2, 1) and the
rescore query matches only ids 2, 4 and 6 with scores 10, 20 and 30: both are sums of ``constant_score``
clauses, so every score below is exact arithmetic written out by hand (Elasticsearch's
``QueryRescorer``: ``combine(first × query_weight, second × rescore_query_weight)`` for a rescored
document the rescore query matches, ``first × query_weight`` otherwise).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.errors import ApiError
from retrievo.grammar.json import parse_search
from retrievo.grammar.json.retrievers import parse_retriever

FIRST = {"1": 6.0, "2": 5.0, "3": 4.0, "4": 3.0, "5": 2.0, "6": 1.0}
SECOND = {"2": 10.0, "4": 20.0, "6": 30.0}


def boosts(scores: dict[str, float]) -> dict[str, Any]:
    """A query scoring each listed id with its value (and matching nothing else)."""
    clauses = [{"constant_score": {"filter": {"ids": {"values": [i]}}, "boost": s}} for i, s in scores.items()]
    return {"bool": {"should": clauses}}


FIRST_PASS = boosts(FIRST)


def rescore(window: int | None = None, query: dict[str, Any] | None = None, **weights: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"query": {"rescore_query": query or boosts(SECOND), **weights}}
    if window is not None:
        body["window_size"] = window
    return body


@pytest.fixture(scope="module")
def engine() -> Engine:
    es = Engine()
    es.indices.create(index="r", mappings={"properties": {"tag": {"type": "keyword"}, "n": {"type": "integer"}}})
    ops: list[dict[str, Any]] = []
    for i in FIRST:
        ops += [{"index": {"_index": "r", "_id": i}}, {"tag": "even" if int(i) % 2 == 0 else "odd", "n": int(i)}]
    es.bulk(operations=ops, refresh=True)
    return es


def hits(resp: Any) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def error_of(engine: Engine, body: dict[str, Any], **params: Any) -> ApiError:
    with pytest.raises(ApiError) as err:
        engine.search(index="r", body=body, **params)
    return err.value


# ---------------------------------------------------------------------------------- top-level rescore


def test_top_level_rescore_window_below_the_list(engine: Engine) -> None:
    """Window 3 of 6: ids 1..3 are rescored (only 2 matches: 5×0.5 + 10×2 = 22.5; 1 → 3, 3 → 2), the rest
    only weighted (4 → 1.5, 5 → 1, 6 → 0.5, although 4 and 6 match the rescore query), then all re-sorted."""
    body = {"query": FIRST_PASS, "rescore": rescore(3, query_weight=0.5, rescore_query_weight=2)}
    resp = engine.search(index="r", body=body)
    assert hits(resp) == [("2", 22.5), ("1", 3.0), ("3", 2.0), ("4", 1.5), ("5", 1.0), ("6", 0.5)]
    assert resp["hits"]["total"]["value"] == 6
    assert resp["hits"]["max_score"] == 22.5


def test_top_level_rescore_pages_over_what_the_query_phase_kept(engine: Engine) -> None:
    """``from + size`` = 3 and window 3: the query phase keeps 3 documents; the page is the rescored
    list's 2nd and 3rd."""
    body = {"query": FIRST_PASS, "rescore": rescore(3, query_weight=0.5, rescore_query_weight=2), "from": 1, "size": 2}
    assert hits(engine.search(index="r", body=body)) == [("1", 3.0), ("3", 2.0)]


def test_top_level_rescore_defaults(engine: Engine) -> None:
    """Default window 10, weights 1, ``total``: 6 + 0, 5 + 10, 4, 3 + 20, 2, 1 + 30."""
    resp = engine.search(index="r", body={"query": FIRST_PASS, "rescore": rescore()})
    assert hits(resp) == [("6", 31.0), ("4", 23.0), ("2", 15.0), ("1", 6.0), ("3", 4.0), ("5", 2.0)]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # doc 2: p = 2.5, s = 20; doc 4: p = 1.5, s = 40; doc 6: p = 0.5, s = 60; 1, 3, 5 unmatched: 3, 2, 1
        ("total", [("6", 60.5), ("4", 41.5), ("2", 22.5), ("1", 3.0), ("3", 2.0), ("5", 1.0)]),
        ("multiply", [("4", 60.0), ("2", 50.0), ("6", 30.0), ("1", 3.0), ("3", 2.0), ("5", 1.0)]),
        ("avg", [("6", 30.25), ("4", 20.75), ("2", 11.25), ("1", 3.0), ("3", 2.0), ("5", 1.0)]),
        ("max", [("6", 60.0), ("4", 40.0), ("2", 20.0), ("1", 3.0), ("3", 2.0), ("5", 1.0)]),
        ("min", [("1", 3.0), ("2", 2.5), ("3", 2.0), ("4", 1.5), ("5", 1.0), ("6", 0.5)]),
        ("MULTIPLY", [("4", 60.0), ("2", 50.0), ("6", 30.0), ("1", 3.0), ("3", 2.0), ("5", 1.0)]),
    ],
)
def test_score_modes(engine: Engine, mode: str, expected: list[tuple[str, float]]) -> None:
    body = {"query": FIRST_PASS, "rescore": rescore(6, query_weight=0.5, rescore_query_weight=2, score_mode=mode)}
    assert hits(engine.search(index="r", body=body)) == expected


def test_rescorers_apply_in_sequence_each_to_its_own_window(engine: Engine) -> None:
    """A (window 2) gives 2 → 15; B (matching only id 1, +100) then rescores the new top 1 (id 2, no match)
    — id 1 keeps 6 — and with window 2 it reaches id 1 (6 + 100)."""
    b = boosts({"1": 100.0})
    body = {"query": FIRST_PASS, "rescore": [rescore(2), rescore(1, b)]}
    assert hits(engine.search(index="r", body=body)) == [
        ("2", 15.0),
        ("1", 6.0),
        ("3", 4.0),
        ("4", 3.0),
        ("5", 2.0),
        ("6", 1.0),
    ]
    body = {"query": FIRST_PASS, "rescore": [rescore(2), rescore(2, b)]}
    assert hits(engine.search(index="r", body=body))[:3] == [("1", 106.0), ("2", 15.0), ("3", 4.0)]


def test_float32_arithmetic(engine: Engine) -> None:
    """``6 × 0.1f`` is the float 0.6 (0.6000000238…), printed as Java prints it."""
    body = {"query": FIRST_PASS, "rescore": rescore(1, query_weight=0.1)}
    assert hits(engine.search(index="r", body=body))[0] == ("1", 0.6)


def test_score_sort_is_allowed(engine: Engine) -> None:
    plain = engine.search(index="r", body={"query": FIRST_PASS, "rescore": rescore(3)})
    sorted_ = engine.search(index="r", body={"query": FIRST_PASS, "rescore": rescore(3), "sort": ["_score"]})
    assert hits(sorted_) == hits(plain)


def test_empty_rescore_list_is_no_rescorer(engine: Engine) -> None:
    resp = engine.search(index="r", body={"query": FIRST_PASS, "rescore": []})
    assert hits(resp) == [(i, s) for i, s in FIRST.items()]


def test_named_rescore_query_is_a_matched_query(engine: Engine) -> None:
    """``MatchedQueriesPhase`` also collects the rescore queries' names."""
    named = {"bool": {"filter": [{"term": {"tag": "even"}}], "_name": "even"}}
    resp = engine.search(index="r", body={"query": FIRST_PASS, "rescore": rescore(6, named), "size": 2})
    assert [(h["_id"], h.get("matched_queries")) for h in resp["hits"]["hits"]] == [("1", None), ("2", ["even"])]


def test_top_level_explain(engine: Engine) -> None:
    body = {"query": FIRST_PASS, "rescore": rescore(3, query_weight=0.5, rescore_query_weight=2), "explain": True}
    by_id = {h["_id"]: h["_explanation"] for h in engine.search(index="r", body=body)["hits"]["hits"]}
    rescored = by_id["2"]
    assert (rescored["value"], rescored["description"]) == (22.5, "sum of:")
    primary, secondary = rescored["details"]
    assert (primary["value"], primary["description"]) == (2.5, "product of:")
    assert primary["details"][0]["value"] == 5.0
    assert primary["details"][1] == {"value": 0.5, "description": "primaryWeight", "details": []}
    assert (secondary["value"], secondary["description"]) == (20.0, "product of:")
    assert secondary["details"][0]["value"] == 10.0
    assert secondary["details"][1] == {"value": 2.0, "description": "secondaryWeight", "details": []}
    for doc, value in (("1", 3.0), ("4", 1.5)):  # unmatched in the window, and matched outside it
        assert (by_id[doc]["value"], by_id[doc]["description"]) == (value, "product of:")
        assert by_id[doc]["details"][1]["description"] == "primaryWeight"


def test_profile_and_plan(engine: Engine) -> None:
    body = {"query": FIRST_PASS, "rescore": rescore(3, query_weight=0.5, rescore_query_weight=2)}
    profiled = engine.search(index="r", body={**body, "profile": True})
    assert hits(profiled) == hits(engine.search(index="r", body=body))
    assert "profile" in profiled
    text = engine.plan(index="r", body=body).explain()
    assert "Rescore(" in text and "score_mode=total" in text


def test_round_trip_prints_the_top_level_form() -> None:
    body = {"query": FIRST_PASS, "rescore": [rescore(3, query_weight=0.5, score_mode="max")], "size": 2}
    printed = parse_search("r", body).to_json()
    (only,) = printed["rescore"]
    assert only["window_size"] == 3
    assert (only["query"]["query_weight"], only["query"]["score_mode"]) == (0.5, "max")
    assert "retriever" not in printed
    assert parse_search("r", printed) == parse_search("r", body)


# ---------------------------------------------------------------------------------- the rescorer retriever


def retriever(window_a: int, window_b: int, **extra: Any) -> dict[str, Any]:
    return {
        "rescorer": {
            "retriever": {"standard": {"query": FIRST_PASS}},
            "rescore": [rescore(window_a), rescore(window_b, boosts({"1": 100.0}))],
            **extra,
        }
    }


def test_retriever_window_is_the_smallest_window_size(engine: Engine) -> None:
    """The child keeps 4 (the largest window); A gives 1 → 6, 2 → 15, 3 → 4, 4 → 23; B's top 2 (4, 2) do
    not match; the retriever hands out its window of 2."""
    resp = engine.search(index="r", body={"retriever": retriever(4, 2), "size": 2})
    assert hits(resp) == [("4", 23.0), ("2", 15.0)]
    assert resp["hits"]["total"]["value"] == 6
    resp = engine.search(index="r", body={"retriever": retriever(4, 2), "size": 1, "from": 1})
    assert hits(resp) == [("2", 15.0)]


def test_retriever_zero_score_is_float_min_value(engine: Engine) -> None:
    body = {
        "retriever": {
            "rescorer": {
                "retriever": {"standard": {"query": FIRST_PASS}},
                "rescore": rescore(3, boosts({"2": 10.0}), query_weight=0),
            }
        },
        "size": 3,
    }
    assert hits(engine.search(index="r", body=body)) == [("2", 10.0), ("1", 1.4e-45), ("3", 1.4e-45)]


def test_retriever_min_score_cuts_rescored_scores(engine: Engine) -> None:
    resp = engine.search(index="r", body={"retriever": retriever(4, 2, min_score=20), "size": 2})
    assert hits(resp) == [("4", 23.0)]
    assert resp["hits"]["total"]["value"] == 1


def test_retriever_filter_reaches_the_child(engine: Engine) -> None:
    """Odd ids only: 1 (6), 3 (4), 5 (2); A matches none of them, B gives 1 → 106."""
    resp = engine.search(index="r", body={"retriever": retriever(4, 2, filter={"term": {"tag": "odd"}}), "size": 2})
    assert hits(resp) == [("1", 106.0), ("3", 4.0)]
    assert resp["hits"]["total"]["value"] == 3


def test_retriever_over_a_compound_child(engine: Engine) -> None:
    """An rrf child of one standard: ranks 1..6 give 1/61 … 1/66; the rescore adds 10/20/30 to 2, 4, 6."""
    rrf = {"rrf": {"retrievers": [{"standard": {"query": FIRST_PASS}}], "rank_window_size": 10}}
    body = {"retriever": {"rescorer": {"retriever": rrf, "rescore": rescore(10)}}, "size": 3}
    resp = engine.search(index="r", body=body)
    f32 = np.float32
    expected = [
        ("6", float(f32(f32(1) / f32(66)) + f32(30))),
        ("4", float(f32(f32(1) / f32(64)) + f32(20))),
        ("2", float(f32(f32(1) / f32(62)) + f32(10))),
    ]
    assert [h[0] for h in hits(resp)] == [e[0] for e in expected]
    assert [h[1] for h in hits(resp)] == pytest.approx([e[1] for e in expected], rel=1e-7)


def test_retriever_round_trip() -> None:
    r = parse_retriever(retriever(4, 2, _name="rs"))
    assert parse_retriever(r.to_json()) == r
    assert r.own_window == 2


# ---------------------------------------------------------------------------------- errors


def test_sort_with_rescore_is_a_shard_failure(engine: Engine) -> None:
    err = error_of(engine, {"query": FIRST_PASS, "rescore": rescore(), "sort": [{"n": "asc"}]})
    assert err.status_code == 400
    assert err.body["error"]["type"] == "search_phase_execution_exception"
    assert err.body["error"]["failed_shards"][0]["reason"] == {
        "type": "illegal_argument_exception",
        "reason": "Cannot use [sort] option in conjunction with [rescore].",
    }


def test_rescore_window_too_large(engine: Engine) -> None:
    err = error_of(engine, {"query": FIRST_PASS, "rescore": rescore(10001)})
    assert err.body["error"]["type"] == "search_phase_execution_exception"
    assert err.body["error"]["failed_shards"][0]["reason"]["reason"] == (
        "Rescore window [10001] is too large. It must be less than [10000]. This prevents allocating massive "
        "heaps for storing the results to be rescored. This limit can be set by changing the "
        "[index.max_rescore_window] index level setting."
    )


@pytest.mark.parametrize(
    ("rescore_body", "error_type", "reason"),
    [
        (
            {"foo": 1, "query": {"rescore_query": {"match_all": {}}}},
            "parsing_exception",
            "rescore doesn't support [foo]",
        ),
        ({"window_size": 3}, "parsing_exception", "missing rescore type"),
        ({"query": []}, "parsing_exception", "unexpected token [START_ARRAY] after [query]"),
        ({"foo": {}}, "named_object_not_found_exception", "unknown field [foo]"),
        ({"query": {}}, "illegal_argument_exception", "rescore_query cannot be null"),
        (
            {"query": {"rescore_query": {"match_all": {}}, "bogus": 1}},
            "x_content_parse_exception",
            "[query] unknown field [bogus]",
        ),
        (
            {"query": {"rescore_query": {"match_all": {}}, "score_mode": "bogus"}},
            "x_content_parse_exception",
            "[query] failed to parse field [score_mode]",
        ),
        (
            {"learning_to_rank": {"model_id": "m"}},
            "illegal_argument_exception",
            "[learning_to_rank] rescorer is not supported in retrievo",
        ),
    ],
)
def test_rescore_section_errors(engine: Engine, rescore_body: dict[str, Any], error_type: str, reason: str) -> None:
    err = error_of(engine, {"query": FIRST_PASS, "rescore": rescore_body})
    assert err.status_code == 400
    assert (err.body["error"]["type"], err.body["error"]["reason"]) == (error_type, reason)


def test_bad_score_mode_cause(engine: Engine) -> None:
    err = error_of(
        engine, {"query": FIRST_PASS, "rescore": {"query": {"rescore_query": {"match_all": {}}, "score_mode": "x"}}}
    )
    assert err.body["error"]["caused_by"]["reason"] == "illegal score_mode [x]"


def test_retriever_and_rescore_conflict(engine: Engine) -> None:
    err = error_of(engine, {"retriever": {"standard": {"query": FIRST_PASS}}, "rescore": []})
    assert err.body["error"]["reason"] == "cannot specify [retriever] and [rescore]"


def test_rescore_in_a_scroll(engine: Engine) -> None:
    err = error_of(engine, {"query": FIRST_PASS, "rescore": rescore()}, scroll="1m")
    assert err.body["error"]["type"] == "action_request_validation_exception"
    assert err.body["error"]["reason"] == "Validation Failed: 1: using [rescore] is not allowed in a scroll context;"


def test_retriever_parse_errors(engine: Engine) -> None:
    child = {"standard": {"query": FIRST_PASS}}
    err = error_of(engine, {"retriever": {"rescorer": {"retriever": child, "rescore": 5}}})
    assert err.body["error"]["type"] == "parsing_exception"
    # The field is declared OBJECT_ARRAY: the token check answers before the parser's own format check.
    assert err.body["error"]["reason"] == "[rescorer] rescore doesn't support values of type: VALUE_NUMBER"
    err = error_of(engine, {"retriever": {"rescorer": {"retriever": child, "rescore": []}}})
    assert err.body["error"]["reason"] == "[rescorer] failed to parse field [rescore]"
    assert "Missing rescore definition" in str(err.body)
    err = error_of(engine, {"retriever": {"rescorer": {"retriever": child}}})
    assert err.body["error"]["type"] == "parsing_exception"
    assert "Required [rescore]" in str(err.body)


def test_retriever_validation(engine: Engine) -> None:
    child = {"standard": {"query": FIRST_PASS}}
    err = error_of(engine, {"retriever": {"rescorer": {"retriever": child, "rescore": rescore(-1)}}, "size": 0})
    assert err.body["error"]["reason"] == (
        "Validation Failed: 1: [rescorer] requires [window_size: -1] be greater than or equal to [size: 0];"
        "2: [window_size] parameter cannot be negative, found [-1];"
    )
    rrf = {"rrf": {"retrievers": [child, child], "rank_window_size": 5}}
    err = error_of(engine, {"retriever": {"rescorer": {"retriever": rrf, "rescore": rescore(10)}}, "size": 5})
    assert err.body["error"]["reason"] == (
        "Validation Failed: 1: [rescorer] requires [window_size: 10] to be smaller than or equal to its sub "
        "retriever's rrf [rank_window_size: 5];"
    )


def test_retriever_child_with_a_field_sort_fails_as_a_child(engine: Engine) -> None:
    child = {"standard": {"query": FIRST_PASS, "sort": [{"n": "asc"}]}}
    err = error_of(engine, {"retriever": {"rescorer": {"retriever": child, "rescore": rescore()}}})
    assert err.body["error"]["type"] == "status_exception"
    assert err.body["error"]["reason"].startswith("[rescorer] search failed - retrievers '[standard]' returned errors.")
    assert "Cannot use [sort] option in conjunction with [rescore]." in str(err.body)


def test_bm25_rescore_equals_the_two_searches_combined() -> None:
    """With BM25 scores: each rescored hit's score is, in float32, its score under the first query times
    ``query_weight`` plus its score under the rescore query (searched on its own) times the rescore weight."""
    es = Engine()
    es.indices.create(index="t", mappings={"properties": {"t": {"type": "text"}}})
    texts = ["foo bar", "foo", "foo foo baz", "bar baz", "foo bar bar"]
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(texts):
        ops += [{"index": {"_index": "t", "_id": str(i)}}, {"t": text}]
    es.bulk(operations=ops, refresh=True)
    first_q, second_q = {"match": {"t": "foo"}}, {"match": {"t": "bar"}}
    first = {h["_id"]: h["_score"] for h in es.search(index="t", query=first_q)["hits"]["hits"]}
    second = {h["_id"]: h["_score"] for h in es.search(index="t", query=second_q)["hits"]["hits"]}
    f32 = np.float32
    expected = {
        d: float(f32(f32(s) * f32(0.7)) + (f32(f32(second[d]) * f32(1.5)) if d in second else f32(0)))
        for d, s in first.items()
    }
    body = {"query": first_q, "rescore": rescore(10, second_q, query_weight=0.7, rescore_query_weight=1.5)}
    got = {h["_id"]: h["_score"] for h in es.search(index="t", body=body)["hits"]["hits"]}
    assert got == pytest.approx(expected, rel=1e-7)
    order = [h["_id"] for h in es.search(index="t", body=body)["hits"]["hits"]]
    assert order == sorted(expected, key=lambda d: (-expected[d], int(d)))


def test_score_sort_values_are_the_rescored_scores(engine: Engine) -> None:
    body = {"query": FIRST_PASS, "rescore": rescore(3), "sort": ["_score"], "size": 2}
    assert [(h["_id"], h["sort"]) for h in engine.search(index="r", body=body)["hits"]["hits"]] == [
        ("2", [15.0]),
        ("1", [6.0]),
    ]
