"""The aggregation framework: parsing (Elasticsearch's errors for malformed definitions, unknown and
unsupported types), ``meta``, ``typed_keys`` (``_search`` and ``_msearch``), ``size: 0`` and
``track_total_hits``, and which documents aggregations see under each kind of retriever (the union of
what the retriever tree's children matched), checked by hand on a small index."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine

DOCS = [
    {"tag": "a", "n": 1, "vector": [1.0]},
    {"tag": "a", "n": 2, "vector": [2.0]},
    {"tag": "b", "n": 3, "vector": [3.0]},
    {"tag": "b", "n": 4, "vector": [4.0]},
    {"tag": "c", "n": 5, "vector": [5.0]},
    {"tag": "c", "n": 6, "vector": [6.0], "text": "hello"},
]


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="idx",
        mappings={
            "properties": {
                "tag": {"type": "keyword"},
                "n": {"type": "long"},
                "text": {"type": "text"},
                "vector": {"type": "dense_vector", "dims": 1, "index": True, "similarity": "l2_norm"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(DOCS, 1):
        ops += [{"index": {"_index": "idx", "_id": str(i)}}, doc]
    e.bulk(operations=ops, refresh=True)
    e.indices.create(index="other")
    return e


def error_of(e: Engine, aggs: Any, **body: Any) -> ApiError:
    with pytest.raises(ApiError) as err:
        e.search(index="idx", body={"aggs": aggs, **body})
    return err.value


# -- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aggs", "error_type", "reason"),
    [
        (
            {"x": 1},
            "parsing_exception",
            "Aggregation definition for [x starts with a [VALUE_NUMBER], expected a [START_OBJECT].",
        ),
        (
            {"x": {"terms": "tag"}},
            "parsing_exception",
            "Expected [START_OBJECT] under [terms], but got a [VALUE_STRING] in [x]",
        ),
        ({"x": {}}, "parsing_exception", "Missing definition for aggregation [x]"),
        (
            {"x>y": {"avg": {"field": "n"}}},
            "parsing_exception",
            "Invalid aggregation name [x>y]. Aggregation names can contain any character except '[', ']', and '>'",
        ),
        (
            {"x": {"avg": {"field": "n"}, "max": {"field": "n"}}},
            "parsing_exception",
            "Found two aggregation type definitions in [x]: [avg] and [max]",
        ),
        (
            {"x": {"terms": {"field": "tag"}, "aggs": {}, "aggregations": {}}},
            "parsing_exception",
            "Found two sub aggregation definitions under [x]",
        ),
        (
            {"x": {"term": {"field": "tag"}}},
            "parsing_exception",
            "Unknown aggregation type [term] did you mean [terms]?",
        ),
        (
            {"x": {"avg": {"field": "n"}, "aggs": {"y": {"max": {"field": "n"}}}}},
            "aggregation_initialization_exception",
            "Aggregator [x] of type [avg] cannot accept sub-aggregations",
        ),
        ({"x": {"avg": {"field": "n", "bogus": 1}}}, "x_content_parse_exception", "[avg] unknown field [bogus]"),
        (
            {"x": {"avg": {}}},
            "illegal_argument_exception",
            "Required one of fields [field, script], but none were specified. ",
        ),
    ],
)
def test_parse_errors(engine: Engine, aggs: Any, error_type: str, reason: str) -> None:
    err = error_of(engine, aggs)
    assert err.meta.status == 400
    assert (err.body["error"]["type"], err.body["error"]["reason"]) == (error_type, reason)


def test_unknown_type_is_caused_by_named_object_not_found(engine: Engine) -> None:
    err = error_of(engine, {"x": {"not_an_agg": {"field": "n"}}})
    assert err.body["error"]["reason"] == "Unknown aggregation type [not_an_agg]"
    assert err.body["error"]["caused_by"]["type"] == "named_object_not_found_exception"


@pytest.mark.parametrize("kind", ["composite", "significant_text", "children", "bucket_script", "geohash_grid"])
def test_types_retrievo_lacks_are_named(engine: Engine, kind: str) -> None:
    err = error_of(engine, {"x": {kind: {}}})
    assert err.body["error"]["reason"] == f"the [{kind}] aggregation is not supported in retrievo"


def test_scripts_are_refused_by_name(engine: Engine) -> None:
    err = error_of(engine, {"x": {"max": {"script": {"source": "_score"}}}})
    assert "[script] in a [max] aggregation is not supported in retrievo" in err.body["error"]["reason"]


def test_aggs_over_several_indices_are_reduced(engine: Engine) -> None:
    """``other`` maps nothing: it adds nothing (``tests/aggregations/test_multi_index_aggs.py`` covers the
    reduce), not even sizes to a ``significant_terms`` (``UnmappedSignificantTerms``)."""
    resp = engine.search(index="idx,other", size=0, aggs={"t": {"terms": {"field": "tag"}}})
    assert [(b["key"], b["doc_count"]) for b in resp["aggregations"]["t"]["buckets"]] == [("a", 2), ("b", 2), ("c", 2)]
    sig = {"t": {"significant_terms": {"field": "tag", "min_doc_count": 1}}}
    both = engine.search(index="idx,other", size=0, query={"term": {"tag": "a"}}, aggs=sig)["aggregations"]
    alone = engine.search(index="idx", size=0, query={"term": {"tag": "a"}}, aggs=sig)["aggregations"]
    assert both == alone and both["t"]["buckets"]


# -- response shape --------------------------------------------------------------------------------


def test_aggregations_follow_hits_and_keep_request_order(engine: Engine) -> None:
    resp = engine.search(index="idx", size=0, aggs={"z": {"max": {"field": "n"}}, "a": {"min": {"field": "n"}}})
    assert list(resp.body) == ["took", "timed_out", "_shards", "hits", "aggregations"]
    assert list(resp["aggregations"]) == ["z", "a"]
    assert resp["hits"]["hits"] == []


def test_nested_meta_and_sub_aggregations(engine: Engine) -> None:
    resp = engine.search(
        index="idx",
        size=0,
        aggs={
            "t": {
                "meta": {"owner": "me"},
                "terms": {"field": "tag", "order": {"_key": "desc"}},
                "aggs": {"s": {"stats": {"field": "n"}}, "f": {"filter": {"range": {"n": {"gte": 4}}}}},
            }
        },
    )
    agg = resp["aggregations"]["t"]
    assert agg["meta"] == {"owner": "me"}
    assert [(b["key"], b["s"]["sum"], b["f"]["doc_count"]) for b in agg["buckets"]] == [
        ("c", 11.0, 2),
        ("b", 7.0, 1),
        ("a", 3.0, 0),
    ]


ALL_TYPES = {
    "sterms": {"terms": {"field": "tag"}},
    "lterms": {"terms": {"field": "n"}},
    "avg": {"avg": {"field": "n"}},
    "sum": {"sum": {"field": "n"}},
    "min": {"min": {"field": "n"}},
    "max": {"max": {"field": "n"}},
    "stats": {"stats": {"field": "n"}},
    "extended_stats": {"extended_stats": {"field": "n"}},
    "value_count": {"value_count": {"field": "n"}},
    "histogram": {"histogram": {"field": "n", "interval": 2}},
    "range": {"range": {"field": "n", "ranges": [{"to": 3}]}},
    "filter": {"filter": {"term": {"tag": "a"}}},
    "filters": {"filters": {"filters": {"a": {"term": {"tag": "a"}}}}},
    "missing": {"missing": {"field": "text"}},
}


def test_typed_keys(engine: Engine) -> None:
    aggs = {f"x{i}": spec for i, spec in enumerate(ALL_TYPES.values())}
    aggs["x0"] = {**ALL_TYPES["sterms"], "aggs": {"inner": {"avg": {"field": "n"}}}}
    resp = engine.search(index="idx", size=0, typed_keys=True, aggs=aggs)
    assert list(resp["aggregations"]) == [f"{kind}#x{i}" for i, kind in enumerate(ALL_TYPES)]
    assert "avg#inner" in resp["aggregations"]["sterms#x0"]["buckets"][0]
    plain = engine.search(index="idx", size=0, aggs=aggs)
    assert list(plain["aggregations"]) == list(aggs)


def test_typed_keys_in_msearch(engine: Engine) -> None:
    resp = engine.msearch(
        searches=[{"index": "idx"}, {"size": 0, "aggs": {"t": {"terms": {"field": "tag"}}}}], typed_keys=True
    )
    assert list(resp["responses"][0]["aggregations"]) == ["sterms#t"]
    plain = engine.msearch(searches=[{"index": "idx"}, {"size": 0, "aggs": {"t": {"terms": {"field": "tag"}}}}])
    assert list(plain["responses"][0]["aggregations"]) == ["t"]


def test_track_total_hits_does_not_limit_aggregations(engine: Engine) -> None:
    resp = engine.search(index="idx", size=1, track_total_hits=False, aggs={"c": {"value_count": {"field": "n"}}})
    assert "total" not in resp["hits"]
    assert resp["aggregations"]["c"]["value"] == 6
    capped = engine.search(index="idx", size=0, track_total_hits=2, aggs={"c": {"value_count": {"field": "n"}}})
    assert capped["hits"]["total"] == {"value": 2, "relation": "gte"}
    assert capped["aggregations"]["c"]["value"] == 6


def test_paging_does_not_change_aggregations(engine: Engine) -> None:
    resp = engine.search(index="idx", body={"from": 4, "size": 1, "aggs": {"s": {"sum": {"field": "n"}}}})
    assert len(resp["hits"]["hits"]) == 1
    assert resp["aggregations"]["s"]["value"] == 21.0


# -- which documents, under retrievers --------------------------------------------------------------


def tags(resp: Any) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in resp["aggregations"]["t"]["buckets"]}


TAGS = {"t": {"terms": {"field": "tag"}}}
KNN_2 = {"knn": {"field": "vector", "query_vector": [6.0], "k": 2, "num_candidates": 6}}  # docs 6, 5
STANDARD_LOW = {"standard": {"query": {"range": {"n": {"lte": 2}}}}}  # docs 1, 2


def test_knn_retriever_aggregates_its_top_k(engine: Engine) -> None:
    resp = engine.search(index="idx", retriever=KNN_2, aggs=TAGS)
    assert tags(resp) == {"c": 2}


def test_rrf_aggregates_the_union_of_its_children(engine: Engine) -> None:
    retriever = {"rrf": {"retrievers": [KNN_2, STANDARD_LOW], "rank_window_size": 10}}
    resp = engine.search(index="idx", retriever=retriever, size=1, aggs=TAGS)
    assert len(resp["hits"]["hits"]) == 1
    assert tags(resp) == {"a": 2, "c": 2}


def test_linear_aggregates_the_union_of_its_children(engine: Engine) -> None:
    retriever = {
        "linear": {"retrievers": [{"retriever": KNN_2, "weight": 1.0}, {"retriever": STANDARD_LOW, "weight": 2.0}]}
    }
    resp = engine.search(index="idx", retriever=retriever, size=0, aggs={"s": {"sum": {"field": "n"}}})
    assert resp["aggregations"]["s"]["value"] == 1 + 2 + 5 + 6


def test_standard_retriever_with_filter(engine: Engine) -> None:
    retriever = {"standard": {"query": {"match_all": {}}, "filter": {"term": {"tag": "b"}}}}
    resp = engine.search(index="idx", retriever=retriever, aggs={"s": {"sum": {"field": "n"}}})
    assert resp["aggregations"]["s"]["value"] == 7.0


def test_scroll_answers_aggregations_with_the_first_page_only(engine: Engine) -> None:
    first = engine.search(index="idx", size=2, scroll="1m", aggs={"c": {"value_count": {"field": "n"}}})
    assert list(first.body)[-1] == "aggregations"
    assert first["aggregations"] == {"c": {"value": 6}}
    second = engine.scroll(scroll_id=first["_scroll_id"], scroll="1m")
    assert len(second["hits"]["hits"]) == 2
    assert "aggregations" not in second


def test_min_score_and_terminate_after_limit_what_aggregations_see(engine: Engine) -> None:
    query = {"bool": {"should": [{"term": {"tag": {"value": "a", "boost": 5}}}, {"match_all": {}}]}}
    resp = engine.search(index="idx", size=0, min_score=2.0, query=query, aggs=TAGS)  # tag a scores above 2
    assert resp["hits"]["total"]["value"] == 2
    assert tags(resp) == {"a": 2}
    cut = engine.search(index="idx", size=0, terminate_after=2, aggs={"c": {"value_count": {"field": "n"}}})
    assert cut["aggregations"]["c"]["value"] == 2


def test_number_formats(engine: Engine) -> None:
    """``format`` on numeric values is a ``java.text.DecimalFormat`` pattern (HALF_EVEN rounding)."""
    resp = engine.search(
        index="idx",
        size=0,
        aggs={
            "t": {"terms": {"field": "n", "format": "0.0", "size": 1}},
            "r": {"range": {"field": "n", "format": "#,##0.00", "ranges": [{"to": 2.5}]}},
            "a": {"avg": {"field": "n", "format": "0.00"}},
            "s": {"stats": {"field": "n", "format": "00"}},
            "none": {"avg": {"field": "nope", "format": "0.00"}},
        },
    )
    aggs = resp["aggregations"]
    assert aggs["t"]["buckets"] == [{"key": 1, "key_as_string": "1.0", "doc_count": 1}]
    assert aggs["r"]["buckets"] == [{"key": "*-2.50", "to": 2.5, "to_as_string": "2.50", "doc_count": 2}]
    assert aggs["a"] == {"value": 3.5, "value_as_string": "3.50"}
    assert (aggs["s"]["min_as_string"], aggs["s"]["max_as_string"], aggs["s"]["sum_as_string"]) == ("01", "06", "21")
    assert aggs["none"] == {"value": None}


def test_text_fields_have_no_fielddata(engine: Engine) -> None:
    err = error_of(engine, {"t": {"terms": {"field": "text"}}})
    assert err.meta.status == 400
    assert err.body["error"]["failed_shards"][0]["index"] == "idx"
    assert err.body["error"]["caused_by"]["reason"].startswith(
        "Fielddata is disabled on [text] in [idx]. Text fields are not optimised for operations"
    )
