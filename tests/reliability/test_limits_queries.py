"""Elasticsearch's mapping and query limits and the search timeout, through ``retrievo.Engine()``.

Expected numbers are worked out by hand here: the clause limit Elasticsearch 9 computes for a 1 GB heap
and 2 processors is ``max(1024, 1024 MB * 64 / (2 * 3 // 2 + 1))`` = 65536 / 4 = 16384, and Lucene lets
``limit + 1`` leaves through its nested-clause check (it tests ``count > limit`` before counting each).
"""

from __future__ import annotations

import time
from typing import Any

import elasticsearch
import pytest

import retrievo

LIMIT = 16384  # the clause limit, computed by hand in the module docstring


@pytest.fixture
def es() -> Any:
    return retrievo.Engine()


def _error(call: Any, **kwargs: Any) -> elasticsearch.ApiError:
    with pytest.raises(elasticsearch.ApiError) as caught:
        call(**kwargs)
    return caught.value


def _shard_failure(index: str, cause: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    return {
        "root_cause": [root],
        "type": "search_phase_execution_exception",
        "reason": "all shards failed",
        "phase": "query",
        "grouped": True,
        "failed_shards": [{"shard": 0, "index": index, "node": "retrievo", "reason": cause}],
        "caused_by": cause,
    }


# ------------------------------------------------------------------- index.mapping.total_fields.limit

MAPPING = {
    "properties": {
        "t": {"type": "text", "fields": {"k": {"type": "keyword"}}},
        "o": {"properties": {"x": {"type": "long"}}},
    }
}


def test_total_fields_count_fields_multi_fields_and_objects_at_create(es: Any) -> None:
    # t, t.k, o, o.x: four fields
    error = _error(es.indices.create, index="f", settings={"index.mapping.total_fields.limit": 3}, mappings=MAPPING)
    assert error.meta.status == 400
    assert error.body["error"]["type"] == "illegal_argument_exception"
    assert error.body["error"]["reason"] == "Limit of total fields [3] has been exceeded"
    assert not es.indices.exists(index="f")
    es.indices.create(index="f", settings={"index.mapping.total_fields.limit": 4}, mappings=MAPPING)
    assert es.indices.get_settings(index="f")["f"]["settings"]["index"]["mapping"] == {"total_fields": {"limit": "4"}}


def test_put_mapping_over_the_limit_changes_nothing(es: Any) -> None:
    es.indices.create(index="f", settings={"index.mapping.total_fields.limit": 4}, mappings=MAPPING)
    error = _error(es.indices.put_mapping, index="f", properties={"y": {"type": "long"}})
    assert error.meta.status == 400
    assert error.body["error"]["reason"] == "Limit of total fields [4] has been exceeded"
    assert es.indices.get_mapping(index="f")["f"]["mappings"] == MAPPING


def test_dynamic_fields_over_the_limit_reject_the_document(es: Any) -> None:
    es.indices.create(index="f", settings={"index.mapping.total_fields.limit": 6}, mappings=MAPPING)
    # z (long) makes 5; n (text + n.keyword) would make 7: refused when n is added, K = 1 + 2 new fields
    error = _error(es.index, index="f", id="1", document={"t": "x", "z": 1, "n": "hello"})
    assert error.meta.status == 400
    reason = "Limit of total fields [6] has been exceeded while adding new fields [3]"
    assert error.body["error"]["type"] == "document_parsing_exception"
    assert error.body["error"]["reason"] == f"[1:20] failed to parse: {reason}"
    assert error.body["error"]["caused_by"] == {"type": "illegal_argument_exception", "reason": reason}
    assert es.indices.get_mapping(index="f")["f"]["mappings"] == MAPPING  # unchanged
    es.indices.refresh(index="f")
    assert es.count(index="f")["count"] == 0
    es.indices.put_settings(index="f", settings={"index.mapping.total_fields.limit": 7})  # dynamic setting
    es.index(index="f", id="1", document={"t": "x", "z": 1, "n": "hello"}, refresh=True)
    assert es.count(index="f")["count"] == 1


def test_total_fields_settings_are_validated(es: Any) -> None:
    error = _error(es.indices.create, index="f", settings={"index.mapping.total_fields.limit": -1})
    assert error.body["error"]["reason"] == (
        "Failed to parse value [-1] for setting [index.mapping.total_fields.limit] must be >= 0"
    )
    es.indices.create(index="f", settings={"index.mapping.total_fields.ignore_dynamic_beyond_limit": False})
    error = _error(
        es.indices.put_settings, index="f", settings={"index.mapping.total_fields.ignore_dynamic_beyond_limit": True}
    )
    assert error.meta.status == 400
    assert "is not supported in retrievo" in error.body["error"]["reason"]


# ----------------------------------------------------------------------------- index.max_terms_count


def _terms_error(index: str, count: int, limit: int) -> dict[str, Any]:
    reason = (
        f"The number of terms [{count}] used in the Terms Query request has exceeded the allowed maximum of "
        f"[{limit}]. This maximum can be set by changing the [index.max_terms_count] index level setting."
    )
    message = f"failed to create query: {reason}"
    cause = {
        "type": "query_shard_exception",
        "reason": message,
        "index": index,
        "caused_by": {"type": "illegal_argument_exception", "reason": reason},
    }
    return _shard_failure(index, cause, {"type": "query_shard_exception", "reason": message, "index": index})


def test_max_terms_count_default_and_setting(es: Any) -> None:
    es.indices.create(index="m", mappings={"properties": {"k": {"type": "keyword"}}})
    es.index(index="m", id="1", document={"k": "v1"}, refresh=True)
    values = [f"v{i}" for i in range(65536)]
    assert es.search(index="m", query={"terms": {"k": values}})["hits"]["total"]["value"] == 1
    error = _error(es.search, index="m", query={"terms": {"k": [*values, "extra"]}})
    assert error.meta.status == 400
    assert error.body["error"] == _terms_error("m", 65537, 65536)
    es.indices.put_settings(index="m", settings={"index.max_terms_count": 2})
    # duplicates count: the limit is on the values as sent
    error = _error(es.search, index="m", query={"terms": {"k": ["v1", "v1", "v2"]}})
    assert error.body["error"] == _terms_error("m", 3, 2)
    assert es.search(index="m", query={"terms": {"k": ["v1", "v2"]}})["hits"]["total"]["value"] == 1
    error = _error(es.indices.put_settings, index="m", settings={"index.max_terms_count": 0})
    assert error.body["error"]["reason"] == "Failed to parse value [0] for setting [index.max_terms_count] must be >= 1"


# ------------------------------------------------------------------------------- the clause limit


@pytest.fixture
def small(es: Any) -> Any:
    es.indices.create(index="c", mappings={"properties": {"t": {"type": "text"}, "k": {"type": "keyword"}}})
    es.index(index="c", id="1", document={"t": "w1 w2", "k": "v1"}, refresh=True)
    return es


def _too_many_clauses() -> dict[str, Any]:
    message = f"failed to create query: maxClauseCount is set to {LIMIT}"
    cause = {
        "type": "query_shard_exception",
        "reason": message,
        "index": "c",
        "caused_by": {"type": "too_many_clauses", "reason": f"maxClauseCount is set to {LIMIT}"},
    }
    return _shard_failure("c", cause, {"type": "query_shard_exception", "reason": message, "index": "c"})


def test_a_bool_with_100k_should_clauses_fails_when_built(small: Any) -> None:
    query = {"bool": {"should": [{"term": {"k": f"v{i}"}} for i in range(100_000)]}}
    began = time.perf_counter()
    error = _error(small.search, index="c", query=query)
    elapsed = time.perf_counter() - began
    assert error.meta.status == 400
    assert error.body["error"] == _too_many_clauses()
    # sanity only: most of it is parsing the 100,000 clauses (grammar/json), not the limit
    assert elapsed < 10


def test_a_bool_at_the_limit_runs(small: Any) -> None:
    query = {"bool": {"should": [{"term": {"k": f"v{i}"}} for i in range(LIMIT)]}}
    assert small.search(index="c", query=query)["hits"]["total"]["value"] == 1


def test_a_match_analysed_into_100k_terms_fails_fast(small: Any) -> None:
    text = " ".join(f"w{i}" for i in range(100_000))
    began = time.perf_counter()
    error = _error(small.search, index="c", query={"match": {"t": text}})
    assert time.perf_counter() - began < 2  # sanity only
    assert error.body["error"] == _too_many_clauses()
    # a 1 MB query string: Elasticsearch has no limit on its length, only on the clauses it becomes
    megabyte = ("ab " * 350_000)[:1_000_000]
    error = _error(small.search, index="c", query={"match": {"t": megabyte}})
    assert error.body["error"] == _too_many_clauses()


def _nested(sizes: list[int]) -> dict[str, Any]:
    return {
        "bool": {"should": [{"match": {"t": " ".join(f"n{j}x{i}" for i in range(n))}} for j, n in enumerate(sizes)]}
    }


def test_nested_clauses_are_counted_after_rewrite(small: Any) -> None:
    half = LIMIT // 2
    # limit + 1 leaves in all: Lucene's visitor checks before counting, so this still runs
    assert small.search(index="c", query=_nested([half, half + 1]))["hits"]["total"]["value"] == 0
    error = _error(small.search, index="c", query=_nested([half + 1, half + 1]))
    assert error.meta.status == 400
    reason = "Query rewrite failed: too many clauses"
    lucene = {
        "type": "too_many_nested_clauses",
        "reason": f"Query contains too many nested clauses; maxClauseCount is set to {LIMIT}",
    }
    shard = {"type": "illegal_argument_exception", "reason": reason, "caused_by": lucene}
    expected = _shard_failure("c", shard, {"type": "illegal_argument_exception", "reason": reason})
    expected["caused_by"] = {"type": "illegal_argument_exception", "reason": reason, "caused_by": shard}
    assert error.body["error"] == expected


# ---------------------------------------------------------------------------------------- timeout


@pytest.fixture
def docs(es: Any) -> Any:
    es.indices.create(index="d", mappings={"properties": {"t": {"type": "text"}}})
    operations = [x for i in range(300) for x in ({"index": {"_index": "d", "_id": str(i)}}, {"t": f"hello w{i}"})]
    es.bulk(operations=operations, refresh=True)
    return es


def _timed_out(response: Any) -> None:
    assert response["timed_out"] is True
    assert response["hits"]["hits"] == []
    assert response["hits"]["total"] == {"value": 0, "relation": "eq"}


def _url_search(es: Any, target: str, body: dict[str, Any]) -> Any:
    headers = {"content-type": "application/json", "accept": "application/json"}
    return es.perform_request("POST", target, body=body, headers=headers).body


def test_a_search_out_of_time_answers_timed_out(docs: Any) -> None:
    query = {"match": {"t": "hello"}}
    _timed_out(docs.search(index="d", query=query, timeout="1nanos"))  # the client sends it in the body
    _timed_out(_url_search(docs, "/d/_search?timeout=1nanos", {"query": query}))  # URL parameter
    full = _url_search(docs, "/d/_search?timeout=1m", {"query": query, "timeout": "1nanos"})  # the URL's wins
    assert full["timed_out"] is False
    assert full["hits"]["total"] == {"value": 300, "relation": "eq"}
    error = _error(docs.search, index="d", query=query, timeout="1nanos", allow_partial_search_results=False)
    assert error.meta.status == 429
    cause = {"type": "search_timeout_exception", "reason": "Time exceeded"}
    assert error.body["error"] == _shard_failure("d", cause, cause)
    error = _error(docs.search, index="d", query=query, timeout="soon")
    assert error.body["error"]["reason"] == (
        "failed to parse setting [timeout] with value [soon] as a time value: unit is missing or unrecognized"
    )


def test_the_cluster_default_search_timeout(docs: Any) -> None:
    query = {"match": {"t": "hello"}}
    docs.cluster.put_settings(transient={"search.default_search_timeout": "1nanos"})
    _timed_out(docs.search(index="d", query=query))
    assert docs.search(index="d", query=query, timeout="-1")["timed_out"] is False  # the request's own wins
    docs.cluster.put_settings(transient={"search.default_search_timeout": None})
    assert docs.search(index="d", query=query)["hits"]["total"]["value"] == 300
    error = _error(docs.cluster.put_settings, persistent={"search.default_search_timeout": "soon"})
    assert error.body["error"]["reason"] == (
        "failed to parse setting [search.default_search_timeout] with value [soon] as a time value: "
        "unit is missing or unrecognized"
    )


def test_the_nested_clause_limit_on_every_way_of_planning(es: Any) -> None:
    """Two matches of 9,000 terms each: no single boolean query is over the limit, their rewritten tree is;
    a search, ``Engine.plan`` and ES|QL all answer Elasticsearch's rewrite failure."""
    es.indices.create(index="lib", mappings={"properties": {"title": {"type": "text"}}})
    first = " ".join(f"a{i}" for i in range(9000))
    second = " ".join(f"b{i}" for i in range(9000))
    query = {"bool": {"should": [{"match": {"title": first}}, {"match": {"title": second}}]}}
    calls = [
        lambda: es.search(index="lib", query=query),
        lambda: es.plan(index="lib", query=query),
        lambda: es.esql.query(query=f'FROM lib | WHERE MATCH(title, "{first}") OR MATCH(title, "{second}")'),
    ]
    for call in calls:
        with pytest.raises(elasticsearch.BadRequestError) as caught:
            call()
        assert caught.value.body["error"]["type"] == "search_phase_execution_exception"
        assert caught.value.body["error"]["caused_by"]["reason"] == "Query rewrite failed: too many clauses"
