"""An aggregation that fails on one index of a search over several: Elasticsearch builds the aggregators
on each shard, so a field the aggregation cannot read there (a ``max`` over a keyword, a ``terms`` over a
``text`` field) fails that index's shards only. They are listed in ``_shards.failures`` (one entry per
index and cause, ``ExceptionsHelper.groupBy``) and the others answer, hits and aggregations alike; when
every shard fails, or ``allow_partial_search_results`` is false, the search fails. A failure of the
coordinator's reduce (``terms`` over a field of two types) names no shard and fails the search."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

_MAX_ON_KEYWORD = "Field [f] of type [keyword] is not supported for aggregation [max]"


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(index="a_kw", mappings={"properties": {"f": {"type": "keyword"}, "c": {"type": "keyword"}}})
    e.indices.create(index="b_num", mappings={"properties": {"f": {"type": "long"}, "c": {"type": "keyword"}}})
    e.indices.create(
        index="c_num",
        settings={"number_of_shards": 3},
        mappings={"properties": {"f": {"type": "long"}, "c": {"type": "keyword"}}},
    )
    e.indices.create(index="d_text", mappings={"properties": {"f": {"type": "text"}, "c": {"type": "keyword"}}})
    e.bulk(
        refresh=True,
        operations=[
            *[x for i in range(2) for x in ({"index": {"_index": "a_kw", "_id": f"a{i}"}}, {"f": f"v{i}", "c": "x"})],
            {"index": {"_index": "a_kw", "_id": "a2"}},
            {"f": "w", "c": "y"},
            {"index": {"_index": "b_num", "_id": "b1"}},
            {"f": 4, "c": "x"},
            {"index": {"_index": "b_num", "_id": "b2"}},
            {"f": 9, "c": "y"},
            *[x for i in range(6) for x in ({"index": {"_index": "c_num", "_id": f"c{i}"}}, {"f": 10 + i, "c": "x"})],
            {"index": {"_index": "d_text", "_id": "d1"}},
            {"f": "some words", "c": "y"},
        ],
    )
    return e


def _failure(index: str, reason: str, kind: str = "illegal_argument_exception") -> dict[str, Any]:
    return {"shard": 0, "index": index, "reason": {"type": kind, "reason": reason}}


def test_the_index_that_cannot_aggregate_is_reported_the_others_answer(engine: Engine) -> None:
    resp = engine.search(index="a_kw,b_num", aggs={"m": {"max": {"field": "f"}}, "n": {"value_count": {"field": "c"}}})
    assert resp["_shards"] == {
        "total": 2,
        "successful": 1,
        "skipped": 0,
        "failed": 1,
        "failures": [_failure("a_kw", _MAX_ON_KEYWORD)],
    }
    assert resp["aggregations"] == {"m": {"value": 9.0}, "n": {"value": 2}}
    assert resp["hits"]["total"] == {"value": 2, "relation": "eq"}  # the failed index's hits are gone too
    assert {h["_index"] for h in resp["hits"]["hits"]} == {"b_num"}


def test_a_failure_inside_a_bucket_fails_the_whole_index(engine: Engine) -> None:
    aggs = {"t": {"terms": {"field": "c"}, "aggs": {"m": {"max": {"field": "f"}}}}}
    resp = engine.search(index="a_kw,b_num,c_num", size=0, aggs=aggs)
    assert resp["_shards"]["failures"] == [_failure("a_kw", _MAX_ON_KEYWORD)]
    # only b_num and c_num's documents are counted: x = b1 + c0..c5, y = b2
    buckets = [(b["key"], b["doc_count"], b["m"]["value"]) for b in resp["aggregations"]["t"]["buckets"]]
    assert buckets == [("x", 7, 15.0), ("y", 1, 9.0)]


def test_a_sharded_index_fails_as_all_its_shards(engine: Engine) -> None:
    """``c_num`` has three shards: a regular-expression ``include`` fails on its long ``f`` on each of
    them, one grouped entry is listed, and ``a_kw`` answers."""
    resp = engine.search(index="a_kw,c_num", size=0, aggs={"t": {"terms": {"field": "f", "include": "v.*"}}})
    assert (resp["_shards"]["total"], resp["_shards"]["successful"], resp["_shards"]["failed"]) == (4, 1, 3)
    reason = (
        "Aggregation [t] cannot support regular expression style include/exclude settings as they can only be "
        "applied to string fields. Use an array of values for include/exclude clauses"
    )
    assert resp["_shards"]["failures"] == [_failure("c_num", reason)]
    assert [(b["key"], b["doc_count"]) for b in resp["aggregations"]["t"]["buckets"]] == [("v0", 1), ("v1", 1)]
    resp = engine.search(index="b_num,c_num", size=0, aggs={"s": {"sum": {"field": "f"}}})
    assert resp["_shards"] == {"total": 4, "successful": 4, "skipped": 0, "failed": 0}
    assert resp["aggregations"]["s"]["value"] == 13.0 + sum(range(10, 16))
    resp = engine.search(index="a_kw,c_num", size=0, aggs={"m": {"max": {"field": "f"}}})
    assert (resp["_shards"]["total"], resp["_shards"]["successful"], resp["_shards"]["failed"]) == (4, 3, 1)
    assert resp["_shards"]["failures"] == [_failure("a_kw", _MAX_ON_KEYWORD)]
    assert resp["aggregations"]["m"]["value"] == 15.0


def test_a_text_field_fails_its_index(engine: Engine) -> None:
    resp = engine.search(index="b_num,d_text", size=0, aggs={"t": {"terms": {"field": "f"}}})
    [entry] = resp["_shards"]["failures"]
    assert entry["index"] == "d_text" and entry["reason"]["type"] == "illegal_argument_exception"
    assert entry["reason"]["reason"].startswith("Fielddata is disabled on [f] in [d_text].")
    assert [b["key"] for b in resp["aggregations"]["t"]["buckets"]] == [4, 9]


def test_every_index_failing_fails_the_search(engine: Engine) -> None:
    with pytest.raises(BadRequestError) as info:
        engine.search(index="a_kw,d_text", aggs={"m": {"max": {"field": "f"}}})
    error = info.value.body["error"]
    assert error["type"] == "search_phase_execution_exception" and error["reason"] == "all shards failed"


def test_no_partial_results_when_told(engine: Engine) -> None:
    with pytest.raises(BadRequestError) as info:
        engine.search(index="a_kw,b_num", allow_partial_search_results=False, aggs={"m": {"max": {"field": "f"}}})
    error = info.value.body["error"]
    assert (error["type"], error["reason"]) == ("search_phase_execution_exception", "Partial shards failure")
    assert error["caused_by"] == {"type": "illegal_argument_exception", "reason": _MAX_ON_KEYWORD}


def test_a_failed_reduce_names_no_shard_and_fails_the_search(engine: Engine) -> None:
    """``terms`` over ``f``: a keyword in ``a_kw``, a long in ``b_num``: every shard answers, the
    coordinator cannot merge them."""
    with pytest.raises(BadRequestError) as info:
        engine.search(index="a_kw,b_num", aggs={"t": {"terms": {"field": "f"}}})
    error = info.value.body["error"]
    assert error["failed_shards"] == [] and error["caused_by"]["type"] == "illegal_argument_exception"


@pytest.mark.parametrize("keyword_docs", [True, False], ids=["with_docs", "no_docs"])
def test_es_yaml_value_type_mismatch_fails_shard(keyword_docs: bool) -> None:
    """20_terms.yml "Value type mismatch fails shard" (and "... with no docs"): ``valuetype_test_1`` maps
    ``ip`` as a keyword; ``value_type: ip`` fails its shard whether or not it holds documents, and the
    index mapping an ip answers."""
    e = Engine()
    e.indices.create(index="valuetype_test_1", mappings={"properties": {"ip": {"type": "keyword"}}})
    e.indices.create(index="valuetype_test_2", mappings={"properties": {"ip": {"type": "ip"}}})
    if keyword_docs:
        for ip in ("192.168.7.1", "192.168.7.2", "192.168.7.3"):
            e.index(index="valuetype_test_1", document={"ip": ip})
    for ip in ("127.0.0.1", "192.168.0.1", "192.168.0.2", "192.168.0.3"):
        e.index(index="valuetype_test_2", document={"ip": ip})
    e.indices.refresh(index="valuetype_test_1,valuetype_test_2")
    aggs = {"str_terms": {"terms": {"field": "ip", "value_type": "ip"}}}
    resp = e.search(index="valuetype_test_1,valuetype_test_2", size=0, aggs=aggs)
    assert resp["_shards"]["failed"] == 1
    assert resp["_shards"]["failures"] == [
        _failure("valuetype_test_1", "Field type [keyword] is incompatible with specified value_type [ip]")
    ]
    buckets = resp["aggregations"]["str_terms"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in buckets] == [
        ("127.0.0.1", 1),
        ("192.168.0.1", 1),
        ("192.168.0.2", 1),
        ("192.168.0.3", 1),
    ]
    with pytest.raises(BadRequestError) as info:  # the keyword index alone: its one shard failed
        e.search(index="valuetype_test_1", size=0, aggs={"t": {"terms": {"field": "ip", "value_type": "long"}}})
    assert info.value.body["error"]["caused_by"]["reason"] == (
        "Field type [keyword] is incompatible with specified value_type [byte|short|integer|long]"
    )
