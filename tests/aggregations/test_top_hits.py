"""``top_hits``: each bucket's documents in score or ``sort`` order, paged by ``from``/``size``, printed as a
search's ``hits`` (``search.aggregation/200_top_hits*.yml`` need ``nested``, which retrievo lacks; these
cases are worked by hand on a four-document index)."""

from __future__ import annotations

from typing import Any

import elasticsearch
import pytest

from retrievo import Engine

DOCS = {
    "1": {"k": "a", "n": 3, "t": "quick brown fox"},
    "2": {"k": "a", "n": 1, "t": "fox"},
    "3": {"k": "b", "n": 2, "t": "lazy dog"},
    "4": {"k": "a", "n": 2, "t": "fox and dog"},
}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="th", mappings={"properties": {"k": {"type": "keyword"}, "n": {"type": "long"}, "t": {"type": "text"}}}
    )
    ops: list[dict[str, Any]] = []
    for doc_id, doc in DOCS.items():
        ops += [{"index": {"_index": "th", "_id": doc_id}}, doc]
    engine.bulk(operations=ops, refresh=True)
    return engine


def test_sorted_per_bucket_with_source_filter(es: Engine) -> None:
    aggs = {
        "by_k": {
            "terms": {"field": "k"},
            "aggs": {"top": {"top_hits": {"sort": [{"n": "asc"}], "size": 2, "_source": ["n"]}}},
        }
    }
    r = es.search(index="th", size=0, aggs=aggs)
    a, b = r["aggregations"]["by_k"]["buckets"]
    assert a["key"] == "a" and b["key"] == "b"
    assert a["top"] == {
        "hits": {
            "total": {"value": 3, "relation": "eq"},
            "max_score": None,
            "hits": [
                {"_index": "th", "_id": "2", "_score": None, "_source": {"n": 1}, "sort": [1]},
                {"_index": "th", "_id": "4", "_score": None, "_source": {"n": 2}, "sort": [2]},
            ],
        }
    }
    assert [h["_id"] for h in b["top"]["hits"]["hits"]] == ["3"]
    assert b["top"]["hits"]["total"] == {"value": 1, "relation": "eq"}


def test_from_and_ties_by_doc_order(es: Engine) -> None:
    """n descending: 3 (doc 1), then 2 twice (docs 3 and 4, index order breaks the tie)."""
    r = es.search(index="th", size=0, aggs={"t": {"top_hits": {"sort": {"n": "desc"}, "from": 1, "size": 2}}})
    hits = r["aggregations"]["t"]["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["3", "4"]
    assert [h["sort"] for h in hits] == [[2], [2]]
    assert hits[0]["_source"] == DOCS["3"]


def test_size_zero_and_source_off(es: Engine) -> None:
    r = es.search(
        index="th",
        size=0,
        aggs={"none": {"top_hits": {"size": 0}}, "bare": {"top_hits": {"size": 1, "_source": False, "sort": ["n"]}}},
    )
    assert r["aggregations"]["none"]["hits"]["hits"] == []
    assert r["aggregations"]["none"]["hits"]["total"] == {"value": 4, "relation": "eq"}
    assert r["aggregations"]["bare"]["hits"]["hits"] == [{"_index": "th", "_id": "2", "_score": None, "sort": [1]}]


def test_default_order_is_the_query_score(es: Engine) -> None:
    """Without ``sort`` the bucket's hits come by the query's score, printed as the search prints them."""
    r = es.search(index="th", query={"match": {"t": "fox"}}, size=10, aggs={"t": {"top_hits": {"size": 3}}})
    search_hits = [(h["_id"], h["_score"]) for h in r["hits"]["hits"]]
    top = r["aggregations"]["t"]["hits"]
    assert [(h["_id"], h["_score"]) for h in top["hits"]] == search_hits
    assert top["max_score"] == r["hits"]["max_score"]
    assert top["total"] == {"value": 3, "relation": "eq"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"from": -1}, "[from] must be greater than or equal to 0. Found [-1] in [t]"),
        ({"size": -2}, "[size] must be greater than or equal to 0. Found [-2] in [t]"),
        (
            {"size": 101},
            "Top hits result window is too large, the top hits aggregator [t]'s from + size must be less than "
            "or equal to: [100] but was [101]",
        ),
        ({"script_fields": {"s": {"script": "1"}}}, "[script_fields] in a [top_hits] aggregation is not supported"),
        ({"sizes": 1}, "unknown field [sizes]"),
    ],
)
def test_errors(es: Engine, body: dict[str, Any], message: str) -> None:
    with pytest.raises(elasticsearch.BadRequestError) as err:
        es.search(index="th", size=0, aggs={"t": {"top_hits": body}})
    assert message in str(err.value)


def test_defaults_of_refused_options_pass(es: Engine) -> None:
    r = es.search(
        index="th", size=0, aggs={"t": {"top_hits": {"explain": False, "version": False, "size": 1, "sort": ["n"]}}}
    )
    assert [h["_id"] for h in r["aggregations"]["t"]["hits"]["hits"]] == ["2"]


def test_sub_aggregations_refused(es: Engine) -> None:
    with pytest.raises(elasticsearch.BadRequestError) as err:
        es.search(index="th", size=0, aggs={"t": {"top_hits": {}, "aggs": {"x": {"max": {"field": "n"}}}}})
    assert "cannot accept sub-aggregations" in str(err.value)


def test_rest_total_hits_as_int_reaches_top_hits(es: Engine) -> None:
    """ES prints every ``SearchHits`` of the response with the parameter, ``top_hits``' at any depth."""
    aggs = {"by_k": {"terms": {"field": "k"}, "aggs": {"top": {"top_hits": {"size": 1, "sort": ["n"]}}}}}
    r = es.search(index="th", size=0, aggs=aggs, rest_total_hits_as_int=True, typed_keys=True)
    assert r["hits"]["total"] == 4
    buckets = r["aggregations"]["sterms#by_k"]["buckets"]
    assert [b["top_hits#top"]["hits"]["total"] for b in buckets] == [3, 1]
