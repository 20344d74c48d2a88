"""The ``pinned`` retriever and query through ``retrievo.Engine``, against hand-computed expectations.

Corpus (field ``text``, standard analyzer): d1 "apple banana", d2 "apple", d3 "banana cherry",
d4 "cherry", d5 "apple apple cherry"; ``tag`` keyword: d1..d3 "a", d4..d5 "b". BM25 of ``apple`` is
written out below (Lucene's formula without the (k1 + 1) factor; lengths 2, 1, 2, 1, 3, avgdl 9/5):
d2 > d5 > d1. Pin scores: the float32 ``2^127`` stepped up by ``1 + n - position`` ulps.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.errors import ApiError

INDEX = "fruit"
DOCS = {
    "d1": ("apple banana", "a"),
    "d2": ("apple", "a"),
    "d3": ("banana cherry", "a"),
    "d4": ("cherry", "b"),
    "d5": ("apple apple cherry", "b"),
}
LENGTHS = {"d1": 2, "d2": 1, "d3": 2, "d4": 1, "d5": 3}
APPLE_FREQ = {"d1": 1, "d2": 1, "d5": 2}
TWO_127 = np.float32(2.0**127)


def bm25_apple(doc: str, boost: float = 1.0) -> float:
    n, big_n, k1, b = 3, 5, 1.2, 0.75
    avgdl = sum(LENGTHS.values()) / len(LENGTHS)
    idf = math.log(1 + (big_n - n + 0.5) / (n + 0.5))
    f = APPLE_FREQ[doc]
    return boost * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * LENGTHS[doc] / avgdl))  # ES's LegacyBM25Similarity


def pin(position: int, count: int) -> float:
    """``2^127`` stepped up ``1 + count - position`` float32 ulps, computed with nextafter, as the client
    reads it (Elasticsearch prints a float32's shortest digits)."""
    x = TWO_127
    for _ in range(1 + count - position):
        x = np.nextafter(x, np.float32(np.inf))
    return float(str(x))


@pytest.fixture(scope="module")
def es() -> Iterator[Engine]:
    engine = Engine()
    engine.indices.create(index=INDEX, mappings={"properties": {"text": {"type": "text"}, "tag": {"type": "keyword"}}})
    ops: list[dict[str, Any]] = []
    for doc_id, (text, tag) in DOCS.items():
        ops += [{"index": {"_index": INDEX, "_id": doc_id}}, {"text": text, "tag": tag}]
    engine.bulk(operations=ops, refresh=True)
    yield engine


APPLE: dict[str, Any] = {"match": {"text": "apple"}}


def search(es: Engine, **body: Any) -> dict[str, Any]:
    return es.search(index=INDEX, body=body).body


def hits(resp: dict[str, Any]) -> list[tuple[str, float]]:
    return [(h["_id"], float(h["_score"])) for h in resp["hits"]["hits"]]


def pinned(child: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {"pinned": {"retriever": {"standard": child}, **params}}


def error(es: Engine, **body: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        search(es, **body)
    return caught.value


def assert_hits(resp: dict[str, Any], expected: list[tuple[str, float]]) -> None:
    got = hits(resp)
    assert [d for d, _ in got] == [d for d, _ in expected]
    for (_, s), (_, want) in zip(got, expected):
        assert s == pytest.approx(want, rel=1e-6)


def test_pins_lead_in_order_then_organic_without_them(es: Engine) -> None:
    resp = search(es, retriever=pinned({"query": APPLE}, ids=["d4", "d5"]))
    # d4 does not match "apple" at all: pinned documents match whatever the organic query does.
    assert_hits(resp, [("d4", pin(0, 2)), ("d5", pin(1, 2)), ("d2", bm25_apple("d2")), ("d1", bm25_apple("d1"))])
    assert resp["hits"]["hits"][0]["_score"] == 1.7014124e38
    assert resp["hits"]["total"] == {"value": 4, "relation": "eq"}  # 3 organic matches + d4


def test_absent_pins_keep_their_slot(es: Engine) -> None:
    resp = search(es, retriever=pinned({"query": APPLE}, ids=["nope", "d3"]))
    assert_hits(resp, [("d3", pin(1, 2)), ("d2", bm25_apple("d2")), ("d5", bm25_apple("d5")), ("d1", bm25_apple("d1"))])


def test_docs_of_another_index_are_skipped_but_counted(es: Engine) -> None:
    docs = [{"_index": "other", "_id": "d4"}, {"_id": "d3"}, {"_index": INDEX, "_id": "d1"}]
    resp = search(es, retriever=pinned({"query": APPLE}, docs=docs))
    assert_hits(resp, [("d3", pin(1, 3)), ("d1", pin(2, 3)), ("d2", bm25_apple("d2")), ("d5", bm25_apple("d5"))])


def test_filters_narrow_the_organic_results_only(es: Engine) -> None:
    """Elasticsearch puts the filters inside the organic query, so a pinned document outside them stays."""
    for body in (
        pinned({"query": APPLE}, ids=["d3"], filter={"term": {"tag": "b"}}),
        pinned({"query": APPLE, "filter": {"term": {"tag": "b"}}}, ids=["d3"]),
    ):
        resp = search(es, retriever=body)
        assert_hits(resp, [("d3", pin(0, 1)), ("d5", bm25_apple("d5"))])
        assert resp["hits"]["total"]["value"] == 2


def test_a_boost_alone_on_the_organic_query_is_dropped(es: Engine) -> None:
    """``CappedScoreQuery.rewrite`` unwraps a top-level boost; inside a filtered bool it stays."""
    boosted = {"match": {"text": {"query": "apple", "boost": 3.0}}}
    resp = search(es, retriever=pinned({"query": boosted}, ids=["d4"]))
    assert_hits(resp, [("d4", pin(0, 1)), ("d2", bm25_apple("d2")), ("d5", bm25_apple("d5")), ("d1", bm25_apple("d1"))])
    resp = search(es, retriever=pinned({"query": boosted, "filter": {"term": {"tag": "a"}}}, ids=["d4"]))
    assert_hits(resp, [("d4", pin(0, 1)), ("d2", bm25_apple("d2", 3.0)), ("d1", bm25_apple("d1", 3.0))])


def test_window_and_paging(es: Engine) -> None:
    resp = search(es, size=2, retriever=pinned({"query": APPLE}, ids=["d4"], rank_window_size=2))
    assert_hits(resp, [("d4", pin(0, 1)), ("d2", bm25_apple("d2"))])
    assert resp["hits"]["total"]["value"] == 4
    resp = search(es, size=2, **{"from": 2}, retriever=pinned({"query": APPLE}, ids=["d4"], rank_window_size=3))
    assert_hits(resp, [("d5", bm25_apple("d5"))])
    err = error(es, size=5, retriever=pinned({"query": APPLE}, ids=["d4"], rank_window_size=3))
    assert err.status_code == 400
    assert err.body["error"]["reason"] == (
        "Validation Failed: 1: [pinned] requires [rank_window_size: 3] be greater than or equal to [size: 5];"
    )


def test_min_scores(es: Engine) -> None:
    cut = (bm25_apple("d5") + bm25_apple("d1")) / 2  # keeps d2 and d5
    resp = search(es, retriever=pinned({"query": APPLE, "min_score": cut}, ids=["d4"]))
    assert_hits(resp, [("d4", pin(0, 1)), ("d2", bm25_apple("d2")), ("d5", bm25_apple("d5"))])
    assert resp["hits"]["total"]["value"] == 3  # a child's min_score: the window's count
    resp = search(es, retriever=pinned({"query": APPLE}, ids=["d4"], min_score=cut))
    assert_hits(resp, [("d4", pin(0, 1)), ("d2", bm25_apple("d2")), ("d5", bm25_apple("d5"))])
    assert resp["hits"]["total"]["value"] == 3


def test_filter_only_child_scores_zero(es: Engine) -> None:
    resp = search(es, retriever=pinned({"filter": {"term": {"tag": "b"}}}, ids=["d1"]))
    got = hits(resp)
    assert [d for d, _ in got] == ["d1", "d4", "d5"]
    assert got[0][1] == pin(0, 1)
    assert got[1][1] == got[2][1] == 1.4e-45  # a fused 0 is reported as Float.MIN_VALUE


def test_pinned_over_rrf(es: Engine) -> None:
    child = {
        "rrf": {
            "retrievers": [{"standard": {"query": APPLE}}, {"standard": {"query": {"match": {"text": "cherry"}}}}],
            "rank_constant": 1,
        }
    }
    resp = search(es, retriever={"pinned": {"ids": ["d4"], "retriever": child}})
    # apple ranks d2, d5, d1; cherry (lengths 2, 1, 3) ranks d4, d3, d5. rrf(k=1): d5 = 1/3 + 1/4.
    expected = {"d5": 1 / 3 + 1 / 4, "d2": 1 / 2, "d1": 1 / 4, "d3": 1 / 3}
    assert_hits(resp, [("d4", pin(0, 1)), ("d5", expected["d5"]), ("d2", 0.5), ("d3", 1 / 3), ("d1", 0.25)])
    assert resp["hits"]["total"]["value"] == 5


def test_the_pinned_query(es: Engine) -> None:
    body = {"pinned": {"ids": ["d3", "d4"], "organic": {"match": {"text": {"query": "apple", "boost": 2.0}}}}}
    resp = search(es, query=body)
    assert_hits(
        resp,
        [
            ("d3", pin(0, 2)),
            ("d4", pin(1, 2)),
            ("d2", bm25_apple("d2")),
            ("d5", bm25_apple("d5")),
            ("d1", bm25_apple("d1")),
        ],
    )
    # Inside a bool the pinned query's scores add up like any clause's (float32 sum of the pin and 1.0).
    wrapped = {"bool": {"should": [{"pinned": {"ids": ["d4"], "organic": APPLE}}, {"term": {"tag": "b"}}]}}
    resp = search(es, query=wrapped)
    assert [d for d, _ in hits(resp)][:1] == ["d4"]
    explained = search(es, explain=True, query=body)["hits"]["hits"][0]["_explanation"]
    assert explained["description"] == "max of:" and explained["value"] == pin(0, 2)
    # Empty ids: the organic query alone.
    resp = search(es, query={"pinned": {"ids": [], "organic": APPLE}})
    assert_hits(resp, [("d2", bm25_apple("d2")), ("d5", bm25_apple("d5")), ("d1", bm25_apple("d1"))])


def test_errors(es: Engine) -> None:
    err = error(es, retriever=pinned({"query": APPLE}, ids=[str(i) for i in range(101)]))
    assert (err.status_code, err.body["error"]["reason"]) == (400, "[pinned] Max of 100 ids exceeded: 101 provided.")
    err = error(
        es,
        retriever={
            "pinned": {
                "ids": ["d1"],
                "retriever": {"knn": {"field": "v", "query_vector": [1.0], "k": 1, "num_candidates": 1}},
            }
        },
    )
    assert err.body["error"] == {
        "root_cause": [
            {
                "type": "illegal_argument_exception",
                "reason": "pinned retriever requires retriever with associated query",
            }
        ],
        "type": "illegal_argument_exception",
        "reason": "pinned retriever requires retriever with associated query",
    }
    err = error(es, retriever=pinned({"query": APPLE, "sort": [{"tag": "asc"}]}, ids=["d1"]))
    assert err.body["error"]["reason"] == (
        '[pinned] retriever only supports sorting by score, invalid sort criterion: {"tag":{"order":"asc"}}'
    )
    err = error(es, retriever=pinned({"query": APPLE, "terminate_after": 2}, ids=["d1"]))
    assert err.body["error"]["reason"] == "[terminate_after] cannot be used in children of compound retrievers"
    err = error(es, retriever={"pinned": {"ids": ["d1"]}})
    assert err.body["error"]["type"] == "parsing_exception"
    assert err.body["error"]["reason"] == "Required [retriever]"
    err = error(es, query={"pinned": {"ids": ["d1"], "docs": [{"_id": "d2"}], "organic": APPLE}})
    assert err.body["error"]["caused_by"]["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "[pinned] ids and docs cannot both be used",
    }
    err = error(es, query={"pinned": {"docs": [{"_index": "fr*", "_id": "d2"}], "organic": APPLE}})
    assert "Item index cannot contain wildcard expressions" in str(err.body)
    err = error(es, query={"pinned": {"ids": ["d1"]}})
    assert (err.body["error"]["type"], err.body["error"]["reason"]) == ("parsing_exception", "Required [organic]")


def test_round_trip() -> None:
    """The AST prints back the JSON it was parsed from (defaults left out)."""
    from retrievo.grammar.json.queries import parse_top_level_query
    from retrievo.grammar.json.retrievers import parse_retriever

    retriever = {
        "pinned": {
            "docs": [{"_index": INDEX, "_id": "d1"}, {"_id": "d2"}],
            "retriever": {"standard": {"query": {"match": {"text": {"query": "apple"}}}}},
            "rank_window_size": 7,
            "_name": "p",
        }
    }
    assert parse_retriever(retriever).to_json() == retriever
    query = {"pinned": {"organic": {"match_all": {}}, "ids": ["d1"], "boost": 2.0, "_name": "q"}}
    assert parse_top_level_query(query).to_json() == query


def test_explain_and_plan(es: Engine) -> None:
    resp = search(es, explain=True, retriever=pinned({"query": APPLE}, ids=["d4"]))
    top = resp["hits"]["hits"][0]["_explanation"]
    assert top["description"] == "Pinned document, original explanation:"
    organic = resp["hits"]["hits"][1]["_explanation"]
    assert organic["description"] == organic["details"][0]["description"]
    found = re.fullmatch(
        r"doc \[1\] with an original score of \[([0-9.E-]+)\] is at rank \[2\] from the following source queries\.",
        organic["description"],
    )
    assert found is not None and float(found.group(1)) == pytest.approx(bm25_apple("d2"), rel=1e-6)
    assert top["details"][0]["description"].startswith(
        "doc [3] with an original score of [1.7014122E38] is at rank [1]"
    )
    assert organic["details"][0]["details"][0]["value"] == pytest.approx(bm25_apple("d2"), rel=1e-6)
    plan = es.plan(index=INDEX, body={"retriever": pinned({"query": APPLE}, ids=["d4"])})
    text = plan.explain()
    assert "Pinned(ids=" in text and "Pin(ids=" in text
    ranked, _ = plan.execute()
    assert ranked.docs.tolist()[:2] == [3, 1]
    prof = search(es, profile=True, retriever=pinned({"query": APPLE}, ids=["d4"]))
    assert prof["profile"]["shards"]
