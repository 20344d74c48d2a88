"""Queries on the ``_id`` and ``_index`` metadata fields, and sorts on fields without doc values."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import BadRequestError, Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="books", mappings={"properties": {"title": {"type": "text"}, "vec": {"type": "dense_vector", "dims": 2}}}
    )
    e.bulk(
        operations=[
            {"index": {"_index": "books", "_id": "a1"}},
            {"title": "red apple", "vec": [1, 0]},
            {"index": {"_index": "books", "_id": "b2"}},
            {"title": "red car", "vec": [0, 1]},
            {"index": {"_index": "books", "_id": "c3"}},
            {"title": "blue sky", "vec": [1, 1]},
        ],
        refresh=True,
    )
    return e


def _hits(engine: Engine, query: dict[str, Any]) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in engine.search(index="books", query=query)["hits"]["hits"]]


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"term": {"_id": "b2"}}, [("b2", 1.0)]),
        ({"term": {"_id": {"value": "b2", "boost": 2.5}}}, [("b2", 2.5)]),
        ({"terms": {"_id": ["c3", "a1", "zz"]}}, [("a1", 1.0), ("c3", 1.0)]),
        ({"term": {"_index": "books"}}, [("a1", 1.0), ("b2", 1.0), ("c3", 1.0)]),
        ({"term": {"_index": "films"}}, []),
        ({"exists": {"field": "_id"}}, [("a1", 1.0), ("b2", 1.0), ("c3", 1.0)]),
    ],
)
def test_metadata_term_queries_match_as_in_elasticsearch(engine: Engine, query, expected) -> None:
    assert _hits(engine, query) == expected


def test_an_id_filter_keeps_the_bm25_score(engine: Engine) -> None:
    alone = dict(_hits(engine, {"match": {"title": "red"}}))
    filtered = _hits(engine, {"bool": {"must": {"match": {"title": "red"}}, "filter": {"term": {"_id": "b2"}}}})
    assert filtered == [("b2", alone["b2"])]


def test_sorting_on_a_dense_vector_is_refused(engine: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        engine.search(index="books", sort=[{"vec": "asc"}])
    assert err.value.body["error"]["root_cause"][0] == {
        "type": "illegal_argument_exception",
        "reason": "Field [vec] of type [dense_vector] doesn't support sort",
    }
