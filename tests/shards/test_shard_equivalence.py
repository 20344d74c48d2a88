"""An index with several shards answers as Elasticsearch's coordinator merges its shards: here each shard
is rebuilt as an index of its own (its documents, in their order), searched alone, and the per-shard
answers merged by score, then shard, then rank. Every query kind whose score or compile reads statistics
or the term dictionary is checked this way against the sharded index."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.index.routing import default_routing_num_shards, shard_for

SHARDS = 3
MAPPINGS = {
    "properties": {
        "title": {"type": "text"},
        "body": {"type": "text"},
        "tag": {"type": "keyword"},
        "n": {"type": "integer"},
        "c": {"type": "nested", "properties": {"t": {"type": "text"}}},
    }
}
WORDS = "fox foxes box boxer fix six sox dog dot doge cat cap cot hat hot hut quick quiet quill".split()


def _docs() -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(7)
    docs = {}
    for i in range(60):
        title = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4))))
        body = " ".join(rng.choice(WORDS, size=int(rng.integers(2, 9))))
        nested = [
            {"t": " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4))))} for _ in range(int(rng.integers(1, 3)))
        ]
        docs[f"d{i}"] = {"title": title, "body": body, "tag": str(rng.choice(["a", "b", "c"])), "n": i, "c": nested}
    return docs


DOCS = _docs()
ROUTING = default_routing_num_shards(SHARDS)
SHARD_OF = {d: shard_for(d, None, SHARDS, ROUTING) for d in DOCS}

QUERIES: dict[str, dict[str, Any]] = {
    "match": {"match": {"body": "fox dog quick"}},
    "match_and": {"match": {"body": {"query": "fox dog", "operator": "and"}}},
    "phrase": {"match_phrase": {"body": " ".join(DOCS["d0"]["body"].split()[:2])}},
    "phrase_slop": {"match_phrase": {"body": {"query": " ".join(DOCS["d1"]["body"].split()[::-2][:2]), "slop": 3}}},
    "fuzzy": {"fuzzy": {"body": {"value": "foz", "fuzziness": 1}}},
    "match_fuzziness": {"match": {"body": {"query": "boks quik", "fuzziness": "AUTO"}}},
    "wildcard": {"wildcard": {"body": {"value": "qu*", "rewrite": "top_terms_2"}}},
    "prefix_scoring": {"prefix": {"body": {"value": "do", "rewrite": "scoring_boolean"}}},
    "regexp": {"regexp": {"body": {"value": "h.t", "rewrite": "top_terms_blended_freqs_2"}}},
    "query_string": {"query_string": {"query": "title:fox~1 OR body:(qui* AND dog)", "default_field": "body"}},
    "cross_fields": {"multi_match": {"query": "fox cat", "fields": ["title", "body^2"], "type": "cross_fields"}},
    "combined_fields": {"combined_fields": {"query": "fox cat hat", "fields": ["title", "body"]}},
    "mlt": {
        "more_like_this": {
            "fields": ["body"],
            "like": "fox fox dog quick quick quiet hat",
            "min_term_freq": 1,
            "min_doc_freq": 1,
            "max_query_terms": 3,
        }
    },
    "function_score": {
        "function_score": {
            "query": {"match": {"title": "fox cat"}},
            "functions": [{"field_value_factor": {"field": "n", "factor": 0.1, "missing": 1}}],
            "boost_mode": "sum",
        }
    },
    "nested": {"nested": {"path": "c", "query": {"match": {"c.t": "fox hat"}}, "score_mode": "avg"}},
    "bool": {
        "bool": {
            "must": [{"match": {"body": "dog hat quick"}}],
            "should": [{"match": {"title": "fox"}}],
            "filter": [{"term": {"tag": "a"}}],
        }
    },
}


def _index(docs: dict[str, dict[str, Any]], shards: int, name: str) -> Engine:
    e = Engine()
    e.indices.create(index=name, settings={"number_of_shards": shards}, mappings=MAPPINGS)
    for doc_id, doc in docs.items():
        e.index(index=name, id=doc_id, document=doc)
    e.indices.refresh(index=name)
    return e


@pytest.fixture(scope="module")
def sharded() -> Engine:
    return _index(DOCS, SHARDS, "all")


@pytest.fixture(scope="module")
def alone() -> list[Engine]:
    """Each shard's documents as a one-shard index of their own."""
    return [_index({d: v for d, v in DOCS.items() if SHARD_OF[d] == s}, 1, "all") for s in range(SHARDS)]


def _merged(alone: list[Engine], body: dict[str, Any], size: int) -> list[tuple[str, float]]:
    rows = []
    for shard, engine in enumerate(alone):
        hits = engine.search(index="all", size=size, **body)["hits"]["hits"]
        rows += [(-hit["_score"], shard, rank, hit["_id"]) for rank, hit in enumerate(hits)]
    rows.sort()
    return [(doc_id, -score) for score, _, _, doc_id in rows[:size]]


@pytest.mark.parametrize("kind", sorted(QUERIES))
def test_a_sharded_index_answers_as_its_shards_merged(sharded: Engine, alone: list[Engine], kind: str) -> None:
    body = {"query": QUERIES[kind]}
    expected = _merged(alone, body, 20)
    assert expected, "the query matches something"
    got = sharded.search(index="all", size=20, **body)["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in got] == expected


def test_rescore_and_knn_query_match_the_merge_too(sharded: Engine, alone: list[Engine]) -> None:
    body = {
        "query": {"match": {"body": "fox"}},
        "rescore": {"window_size": 3, "query": {"rescore_query": {"match": {"title": "dog cat"}}}},
    }
    got = sharded.search(index="all", size=20, **body)["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in got] == _merged(alone, body, 20)


def test_explanations_carry_the_shard_statistics(sharded: Engine, alone: list[Engine]) -> None:
    body = {"query": QUERIES["fuzzy"]}
    for hit in sharded.search(index="all", size=5, explain=True, **body)["hits"]["hits"]:
        shard = SHARD_OF[hit["_id"]]
        own = alone[shard].search(index="all", size=50, explain=True, **body)["hits"]["hits"]
        twin = next(h for h in own if h["_id"] == hit["_id"])
        assert hit["_explanation"] == twin["_explanation"]
        assert hit["_shard"] == f"[all][{shard}]"


AGGS: dict[str, Any] = {
    "tags": {"terms": {"field": "tag", "size": 2, "shard_size": 1}, "aggs": {"avg_n": {"avg": {"field": "n"}}}},
    "tags_all": {"terms": {"field": "tag", "show_term_doc_count_error": True}},
    "hist": {"histogram": {"field": "n", "interval": 10, "min_doc_count": 0}, "aggs": {"mx": {"max": {"field": "n"}}}},
    "distinct": {"cardinality": {"field": "tag"}},
    "stats": {"extended_stats": {"field": "n"}},
    "best": {"top_hits": {"size": 3}},
    "inner": {"nested": {"path": "c"}, "aggs": {"rows": {"filter": {"match": {"c.t": "fox"}}}}},
}


@pytest.fixture(scope="module")
def shard_indices() -> Engine:
    """The shards as indices ``s0``, ``s1``, ``s2`` of one engine: a search over all three reduces them."""
    e = Engine()
    for s in range(SHARDS):
        e.indices.create(index=f"s{s}", mappings=MAPPINGS)
        for doc_id, doc in DOCS.items():
            if SHARD_OF[doc_id] == s:
                e.index(index=f"s{s}", id=doc_id, document=doc)
        e.indices.refresh(index=f"s{s}")
    return e


def test_aggregations_reduce_the_shards_as_a_search_over_their_indices(sharded: Engine, shard_indices: Engine) -> None:
    body = {"query": {"match": {"body": "fox dog"}}, "aggs": AGGS, "size": 0}
    got = sharded.search(index="all", **body)["aggregations"]
    want = shard_indices.search(index="s0,s1,s2", **body)["aggregations"]
    for hit in want["best"]["hits"]["hits"]:
        hit["_index"] = "all"
    assert got == want
    assert got["tags"]["doc_count_error_upper_bound"] > 0  # each shard cut its terms at one
