"""The ``nested`` mapping type and the ``nested`` query, through the official client.

Expected scores are computed independently: a textbook BM25 (``tests/bm25_reference.py``) over the
nested objects alone (the statistics Elasticsearch uses, since nested fields exist only on the hidden
nested documents), joined to parents by hand for each ``score_mode``.
"""

from __future__ import annotations

import numpy as np
import pytest
from elasticsearch import ApiError, BadRequestError

from retrievo import Engine
from tests.bm25_reference import bm25_scores

COMMENTS = {
    "1": [{"author": "ann", "text": "hello world", "stars": 4}, {"author": "bob", "text": "hello", "stars": 1}],
    "2": [{"author": "bob", "text": "hello hello there", "stars": 5}],
    "3": [{"author": "cat", "text": "bye now", "stars": 2}],
}


@pytest.fixture(scope="module")
def es() -> Engine:
    e = Engine()
    e.indices.create(
        index="blog",
        mappings={
            "properties": {
                "title": {"type": "text"},
                "comments": {
                    "type": "nested",
                    "properties": {
                        "author": {"type": "keyword"},
                        "text": {"type": "text"},
                        "stars": {"type": "integer"},
                    },
                },
            }
        },
    )
    for doc_id, comments in COMMENTS.items():
        e.index(index="blog", id=doc_id, document={"title": f"post {doc_id}", "comments": comments})
    e.index(index="blog", id="4", document={"title": "hello no comments"})
    e.indices.refresh(index="blog")
    return e


def _nested_bm25(query: list[str]) -> dict[str, list[float]]:
    """Each post's comments' BM25 scores (×2.2: Elasticsearch's legacy scale), statistics over comments."""
    rows = [(doc_id, c["text"].split()) for doc_id, comments in COMMENTS.items() for c in comments]
    scores = bm25_scores([tokens for _, tokens in rows], query)
    out: dict[str, list[float]] = {}
    for (doc_id, _), score in zip(rows, scores):
        if score > 0:
            out.setdefault(doc_id, []).append(float(np.float32(score)))
    return out


def _search(es: Engine, query: dict) -> dict[str, float]:
    resp = es.search(index="blog", query=query)
    return {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}


@pytest.mark.parametrize("mode", ["avg", "max", "min", "sum", "none"])
def test_score_modes_join_child_scores(es: Engine, mode: str) -> None:
    per_doc = _nested_bm25(["hello"])
    reduce = {"avg": np.mean, "max": max, "min": min, "sum": sum, "none": lambda s: 0.0}[mode]
    expected = {d: float(reduce(s)) for d, s in per_doc.items()}
    got = _search(
        es, {"nested": {"path": "comments", "score_mode": mode, "query": {"match": {"comments.text": "hello"}}}}
    )
    assert set(got) == {"1", "2"}  # post 4 has "hello" in its title only
    for doc_id, score in expected.items():
        assert got[doc_id] == pytest.approx(score, rel=1e-6)


def test_boost_multiplies_child_scores(es: Engine) -> None:
    plain = _search(es, {"nested": {"path": "comments", "query": {"match": {"comments.text": "hello"}}}})
    boosted = _search(es, {"nested": {"path": "comments", "boost": 2, "query": {"match": {"comments.text": "hello"}}}})
    assert boosted == {d: pytest.approx(2 * s, rel=1e-6) for d, s in plain.items()}


def test_conditions_hold_within_one_object(es: Engine) -> None:
    # bob wrote "hello" (1 star) in post 1 and 5 stars in post 2: only post 2 has one comment with both
    query = {
        "nested": {
            "path": "comments",
            "query": {
                "bool": {"filter": [{"term": {"comments.author": "bob"}}, {"range": {"comments.stars": {"gte": 3}}}]}
            },
        }
    }
    assert set(_search(es, query)) == {"2"}


def test_nested_fields_outside_a_nested_query_match_nothing(es: Engine) -> None:
    assert _search(es, {"term": {"comments.author": "bob"}}) == {}
    assert _search(es, {"exists": {"field": "comments.author"}}) == {}


def test_named_inner_query_is_reported(es: Engine) -> None:
    resp = es.search(
        index="blog",
        query={"nested": {"path": "comments", "query": {"term": {"comments.author": {"value": "cat", "_name": "c"}}}}},
    )
    assert [(h["_id"], h["matched_queries"]) for h in resp["hits"]["hits"]] == [("3", ["c"])]


def test_ignore_unmapped_and_path_errors(es: Engine) -> None:
    assert _search(es, {"nested": {"path": "nope", "ignore_unmapped": True, "query": {"match_all": {}}}}) == {}
    with pytest.raises(BadRequestError) as missing:
        es.search(index="blog", query={"nested": {"path": "nope", "query": {"match_all": {}}}})
    cause = missing.value.body["error"]["failed_shards"][0]["reason"]
    assert cause["type"] == "query_shard_exception"
    assert cause["caused_by"] == {
        "type": "illegal_state_exception",
        "reason": "[nested] failed to find nested object under path [nope]",
    }


def test_path_of_a_plain_object_is_not_nested() -> None:
    e = Engine()
    e.indices.create(index="o", mappings={"properties": {"obj": {"properties": {"x": {"type": "keyword"}}}}})
    with pytest.raises(BadRequestError) as err:
        e.search(index="o", query={"nested": {"path": "obj", "query": {"match_all": {}}}})
    reason = err.value.body["error"]["failed_shards"][0]["reason"]["caused_by"]["reason"]
    assert reason == "[nested] nested object under path [obj] is not of nested type"


@pytest.mark.parametrize(
    "body, error_type, reason",
    [
        ({"query": {"match_all": {}}}, "illegal_argument_exception", "[nested] requires 'path' field"),
        ({"path": "comments"}, "illegal_argument_exception", "[nested] requires 'query' field"),
        (
            {"path": "comments", "score_mode": "total", "query": {"match_all": {}}},
            "illegal_argument_exception",
            "No score mode for child query [total] found",
        ),
        (
            {"path": "comments", "query": {"match_all": {}}, "foo": 1},
            "parsing_exception",
            "[nested] query does not support [foo]",
        ),
    ],
)
def test_parse_errors(es: Engine, body: dict, error_type: str, reason: str) -> None:
    with pytest.raises(ApiError) as err:
        es.search(index="blog", query={"nested": body})
    assert err.value.status_code == 400
    assert (err.value.body["error"]["type"], err.value.body["error"]["reason"]) == (error_type, reason)


def test_updates_and_deletes_retire_nested_objects() -> None:
    e = Engine()
    e.indices.create(
        index="u", mappings={"properties": {"c": {"type": "nested", "properties": {"k": {"type": "keyword"}}}}}
    )
    e.index(index="u", id="1", document={"c": [{"k": "a"}, {"k": "b"}]}, refresh=True)
    e.index(index="u", id="2", document={"c": [{"k": "b"}]}, refresh=True)
    q = {"nested": {"path": "c", "query": {"term": {"c.k": "b"}}}}
    assert sorted(h["_id"] for h in e.search(index="u", query=q)["hits"]["hits"]) == ["1", "2"]
    e.index(index="u", id="1", document={"c": [{"k": "a"}]}, refresh=True)
    e.delete(index="u", id="2", refresh=True)
    assert e.search(index="u", query=q)["hits"]["total"]["value"] == 0
    assert (
        e.search(index="u", query={"nested": {"path": "c", "query": {"term": {"c.k": "a"}}}})["hits"]["total"]["value"]
        == 1
    )


def test_multi_level_nesting() -> None:
    e = Engine()
    e.indices.create(
        index="m",
        mappings={
            "properties": {
                "a": {
                    "type": "nested",
                    "properties": {
                        "n": {"type": "keyword"},
                        "b": {"type": "nested", "properties": {"v": {"type": "integer"}}},
                    },
                }
            }
        },
    )
    e.index(index="m", id="1", document={"a": [{"n": "x", "b": [{"v": 1}, {"v": 9}]}, {"n": "y", "b": {"v": 5}}]})
    e.index(index="m", id="2", document={"a": {"n": "x", "b": {"v": 2}}}, refresh=True)
    inner = {"nested": {"path": "a.b", "query": {"range": {"a.b.v": {"gte": 5}}}}}
    both = {"nested": {"path": "a", "query": {"bool": {"must": [{"term": {"a.n": "x"}}, inner]}}}}
    assert [h["_id"] for h in e.search(index="m", query=both)["hits"]["hits"]] == ["1"]
    skipped = e.search(index="m", query=inner)  # a nested query may name the deeper path directly
    assert [h["_id"] for h in skipped["hits"]["hits"]] == ["1"]


def test_explain_counts_child_docs(es: Engine) -> None:
    resp = es.search(
        index="blog",
        explain=True,
        query={"nested": {"path": "comments", "score_mode": "max", "query": {"match": {"comments.text": "hello"}}}},
    )
    top = resp["hits"]["hits"][0]
    explanation = top["_explanation"]
    assert explanation["value"] == top["_score"]
    # post 1 is the first block (its 2 comments are Lucene docs 0 and 1); post 2's comment is doc 3
    expected = {"1": "from 0 to 1", "2": "from 3 to 3"}[top["_id"]]
    count = {"1": 2, "2": 1}[top["_id"]]
    assert explanation["description"] == f"Score based on {count} child docs in range {expected}, using score mode Max"
    assert explanation["details"][0]["value"] == top["_score"]


def test_fields_of_nested_objects_are_grouped_per_object() -> None:
    e = Engine()
    e.indices.create(
        index="f",
        mappings={
            "properties": {
                "t": {"type": "keyword"},
                "c": {
                    "type": "nested",
                    "properties": {
                        "a": {"type": "keyword"},
                        "d": {"type": "nested", "properties": {"z": {"type": "long"}}},
                    },
                },
            }
        },
    )
    e.index(
        index="f", id="1", document={"t": "top", "c": [{"a": "x", "d": [{"z": 1}, {"z": 2}]}, {"a": "y"}]}, refresh=True
    )
    hit = e.search(index="f", fields=["*"], _source=False)["hits"]["hits"][0]
    assert hit["fields"] == {"t": ["top"], "c": [{"a": ["x"], "d": [{"z": [1]}, {"z": [2]}]}, {"a": ["y"]}]}
    q = {"nested": {"path": "c", "query": {"term": {"c.a": "y"}}}}
    assert e.count(index="f", query=q)["count"] == 1
    assert e.delete_by_query(index="f", query=q, refresh=True)["deleted"] == 1
    assert e.count(index="f")["count"] == 0
