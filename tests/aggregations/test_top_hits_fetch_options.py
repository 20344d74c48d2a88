"""``top_hits``' own fetch options: ``fields``, ``docvalue_fields``, ``highlight`` and ``explain``
(``TopHitsAggregationBuilder`` / ``TopHitsAggregatorFactory``: each set on the aggregation's sub-search
context, which fetches the bucket's hits as the search fetches its own). Expectations are worked by hand
on a three-document index; explanations are compared with the search's own ``explain: true`` hits, since
Elasticsearch explains ``top_hits``' hits with the search's query."""

from __future__ import annotations

from typing import Any

import elasticsearch
import pytest

from retrievo import Engine

DOCS: dict[str, dict[str, Any]] = {
    "1": {"k": "a", "n": 3, "d": "2024-01-02T03:04:05Z", "t": "quick brown fox", "extra": "x1"},
    "2": {"k": "a", "n": 1, "d": "2023-05-06T00:00:00Z", "t": "the fox", "extra": "x2"},
    "3": {"k": "b", "n": 2, "d": "2022-12-31T23:59:59Z", "t": "lazy dog"},
}
MAPPINGS = {
    "dynamic": False,  # ``extra`` stays unmapped: only ``include_unmapped`` reaches it
    "properties": {
        "k": {"type": "keyword"},
        "n": {"type": "long"},
        "d": {"type": "date"},
        "t": {"type": "text"},
        "c": {"type": "nested", "properties": {"v": {"type": "keyword"}}},
    },
}


def _index(engine: Engine, name: str, shards: int) -> None:
    engine.indices.create(index=name, settings={"number_of_shards": shards}, mappings=MAPPINGS)
    ops: list[dict[str, Any]] = []
    for doc_id, doc in DOCS.items():
        ops += [{"index": {"_index": name, "_id": doc_id}}, {**doc, "c": [{"v": doc["k"]}]}]
    engine.bulk(operations=ops, refresh=True)


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    _index(engine, "th", 1)
    _index(engine, "th2", 2)
    return engine


def _buckets(es: Engine, top_hits: dict[str, Any], index: str = "th", **search: Any) -> list[list[dict[str, Any]]]:
    """Each ``k`` bucket's ``top_hits`` hits, buckets in key order."""
    aggs = {"k": {"terms": {"field": "k", "order": {"_key": "asc"}}, "aggs": {"top": {"top_hits": top_hits}}}}
    r = es.search(index=index, aggs=aggs, **search)
    return [b["top"]["hits"]["hits"] for b in r["aggregations"]["k"]["buckets"]]


def _fields(buckets: list[list[dict[str, Any]]]) -> list[list[Any]]:
    return [[(h["_id"], h.get("fields")) for h in hits] for hits in buckets]


def test_docvalue_fields_with_format(es: Engine) -> None:
    buckets = _buckets(es, {"sort": ["n"], "docvalue_fields": [{"field": "d", "format": "yyyy-MM-dd"}, "n"]})
    assert _fields(buckets) == [
        [("2", {"d": ["2023-05-06"], "n": [1]}), ("1", {"d": ["2024-01-02"], "n": [3]})],
        [("3", {"d": ["2022-12-31"], "n": [2]})],
    ]


def test_fields_with_wildcard_and_format(es: Engine) -> None:
    buckets = _buckets(es, {"sort": ["n"], "_source": False, "fields": [{"field": "d", "format": "yyyy/MM/dd"}, "k*"]})
    assert _fields(buckets) == [
        [("2", {"d": ["2023/05/06"], "k": ["a"]}), ("1", {"d": ["2024/01/02"], "k": ["a"]})],
        [("3", {"d": ["2022/12/31"], "k": ["b"]})],
    ]
    assert all("_source" not in h for hits in buckets for h in hits)


def test_own_lists_replace_the_searchs(es: Engine) -> None:
    """Without a list of its own, ``top_hits`` fetches the search's (YAML ``fetch fields``); its own
    ``fields`` replaces the search's ``fields``, and the search's ``docvalue_fields`` still apply."""
    inherited = _buckets(es, {"sort": ["n"]}, fields=["n"])
    assert _fields(inherited) == [[("2", {"n": [1]}), ("1", {"n": [3]})], [("3", {"n": [2]})]]
    own = _buckets(es, {"sort": ["n"], "fields": ["k"]}, fields=["n"])
    assert _fields(own) == [[("2", {"k": ["a"]}), ("1", {"k": ["a"]})], [("3", {"k": ["b"]})]]
    mixed = _buckets(es, {"sort": ["n"], "fields": ["k"]}, docvalue_fields=["n"])
    assert _fields(mixed) == [
        [("2", {"k": ["a"], "n": [1]}), ("1", {"k": ["a"], "n": [3]})],
        [("3", {"k": ["b"], "n": [2]})],
    ]
    own_docvalues = _buckets(es, {"sort": ["n"], "docvalue_fields": ["k"]}, docvalue_fields=["n"])
    assert _fields(own_docvalues) == [[("2", {"k": ["a"]}), ("1", {"k": ["a"]})], [("3", {"k": ["b"]})]]


def test_include_unmapped_is_dropped(es: Engine) -> None:
    """``TopHitsAggregationBuilder`` keeps only a field entry's name and format: an unmapped field is
    never fetched for ``top_hits``, while the search's own ``fields`` fetch it."""
    spec = [{"field": "extra", "include_unmapped": True}]
    r = es.search(index="th", query={"ids": {"values": ["1"]}}, fields=spec)
    assert r["hits"]["hits"][0]["fields"] == {"extra": ["x1"]}
    buckets = _buckets(es, {"sort": ["n"], "fields": spec})
    assert _fields(buckets) == [[("2", None), ("1", None)], [("3", None)]]


def test_highlight_with_the_searchs_query(es: Engine) -> None:
    top = {"highlight": {"pre_tags": ["<b>"], "post_tags": ["</b>"], "fields": {"t": {}}}, "sort": ["n"]}
    r = es.search(
        index="th",
        query={"match": {"t": "fox"}},
        aggs={"k": {"terms": {"field": "k"}, "aggs": {"top": {"top_hits": top}}}},
    )
    assert all("highlight" not in h for h in r["hits"]["hits"])  # the search asked for none itself
    (bucket,) = r["aggregations"]["k"]["buckets"]
    assert [(h["_id"], h["highlight"]) for h in bucket["top"]["hits"]["hits"]] == [
        ("2", {"t": ["the <b>fox</b>"]}),
        ("1", {"t": ["quick brown <b>fox</b>"]}),
    ]


def test_the_searchs_highlight_does_not_reach_top_hits(es: Engine) -> None:
    r = es.search(
        index="th",
        query={"match": {"t": "fox"}},
        highlight={"fields": {"t": {}}},
        aggs={"top": {"top_hits": {}}},
    )
    assert all("highlight" in h for h in r["hits"]["hits"])
    assert all("highlight" not in h for h in r["aggregations"]["top"]["hits"]["hits"])


def _explained(es: Engine, index: str, query: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The search's own explained hits by (index, id)."""
    r = es.search(index=index, query=query, explain=True, size=10)
    return {(h["_index"], h["_id"]): h for h in r["hits"]["hits"]}


def test_explain_explains_the_searchs_query(es: Engine) -> None:
    query = {"match": {"t": "fox"}}
    own = _explained(es, "th", query)
    r = es.search(index="th", query=query, aggs={"top": {"top_hits": {"explain": True}}})
    assert all("_explanation" not in h for h in r["hits"]["hits"])  # only top_hits asked
    hits = r["aggregations"]["top"]["hits"]["hits"]
    assert [h["_id"] for h in hits] == [h["_id"] for h in r["hits"]["hits"]]
    for hit in hits:
        expected = own[("th", hit["_id"])]
        assert (hit["_shard"], hit["_node"]) == ("[th][0]", expected["_node"])
        assert hit["_explanation"] == expected["_explanation"]
        assert hit["_explanation"]["value"] == hit["_score"]


def test_explain_under_a_sort_still_explains_the_score(es: Engine) -> None:
    query = {"match": {"t": "fox"}}
    own = _explained(es, "th", query)
    r = es.search(index="th", query=query, aggs={"top": {"top_hits": {"explain": "true", "sort": ["n"]}}})
    hits = r["aggregations"]["top"]["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in hits] == [("2", None), ("1", None)]
    assert [h["_explanation"] for h in hits] == [own[("th", "2")]["_explanation"], own[("th", "1")]["_explanation"]]


def test_explain_false_adds_nothing(es: Engine) -> None:
    hits = _buckets(es, {"explain": False, "sort": ["n"]})
    assert all(not {"_explanation", "_shard", "_node"} & h.keys() for b in hits for h in b)


@pytest.mark.parametrize("index", ["th2", "th,th2"])
def test_sharded_and_multi_index_searches(es: Engine, index: str) -> None:
    """Each index (and each shard) fetches its hits before the reduce merges them."""
    query = {"match": {"t": "fox"}}
    own = _explained(es, index, query)
    top = {"explain": True, "highlight": {"fields": {"t": {}}}, "fields": ["k"], "size": 10}
    r = es.search(index=index, query=query, aggs={"top": {"top_hits": top}})
    hits = r["aggregations"]["top"]["hits"]["hits"]
    assert [(h["_index"], h["_id"]) for h in hits] == [(h["_index"], h["_id"]) for h in r["hits"]["hits"]]
    for hit in hits:
        expected = own[(hit["_index"], hit["_id"])]
        assert hit["_shard"] == expected["_shard"]
        assert hit["_explanation"] == expected["_explanation"]
        assert hit["fields"] == {"k": ["a"]}
        assert hit["highlight"] == {"t": [DOCS[hit["_id"]]["t"].replace("fox", "<em>fox</em>")]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"fields": "k"}, "Unknown key for a VALUE_STRING in [fields]."),
        ({"docvalue_fields": {"field": "k"}}, "Unknown key for a START_OBJECT in [docvalue_fields]."),
        ({"highlight": ["t"]}, "Unknown key for a START_ARRAY in [highlight]."),
        ({"fields": [{"name": "k"}]}, "[fetch_field_and_format] unknown field [name]"),
        ({"docvalue_fields": [{"format": "yyyy"}]}, "Required [field]"),
        ({"explain": "yes"}, "Failed to parse value [yes] as only [true] or [false] are allowed."),
    ],
)
def test_errors(es: Engine, body: dict[str, Any], message: str) -> None:
    with pytest.raises(elasticsearch.BadRequestError) as err:
        es.search(index="th", size=0, aggs={"top": {"top_hits": body}})
    assert message in str(err.value)


@pytest.mark.parametrize(
    "body",
    [{"explain": True}, {"highlight": {"fields": {"c.v": {}}}}, {"fields": ["c.v"]}, {"docvalue_fields": ["c.v"]}],
)
def test_refused_under_a_nested_aggregation(es: Engine, body: dict[str, Any]) -> None:
    """The hits of a ``top_hits`` under ``nested`` are nested objects: the search's fetch does not run on them here."""
    aggs = {"c": {"nested": {"path": "c"}, "aggs": {"top": {"top_hits": body}}}}
    with pytest.raises(elasticsearch.BadRequestError) as err:
        es.search(index="th", size=0, aggs=aggs)
    assert "under a [nested] aggregation is not supported in retrievo" in str(err.value)


@pytest.mark.parametrize("index", ["th", "th2", "th,th2"])
def test_matched_queries_beyond_the_searchs_page(es: Engine, index: str) -> None:
    """Every ``top_hits`` hit carries the search's named queries it matches, ranked by the search or not."""
    query = {
        "bool": {
            "should": [
                {"match": {"t": {"query": "fox", "_name": "fox"}}},
                {"term": {"k": {"value": "b", "_name": "is_b"}}},
            ]
        }
    }
    hits = _buckets(es, {"sort": ["n"]}, index=index, query=query, size=0)
    flat = sorted({(h["_id"], tuple(h["matched_queries"])) for b in hits for h in b})
    assert flat == [("1", ("fox",)), ("2", ("fox",)), ("3", ("is_b",))]
