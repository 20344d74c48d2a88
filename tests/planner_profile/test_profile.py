"""``profile: true`` on real searches: Elasticsearch's profile shape, and retrievo's operator tree (under
``retrievo_operators``) with documents in and out, and the model calls, pairs, tokens and cache hits of
each operator. The Lucene query tree at ``query[0]``: test_lucene_profile.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import DOCS
from retrievo import Engine
from retrievo.errors import ApiError
from retrievo.grammar.json import parse_search

LIVE = len(DOCS)
ENTRY_KEYS = {"type", "description", "time_in_nanos", "breakdown", "debug", "children"}


def query_tree(resp: dict[str, Any]) -> dict[str, Any]:
    shards = resp["profile"]["shards"]
    assert len(shards) == 1
    searches = shards[0]["searches"]
    assert len(searches) == 1 and len(searches[0]["retrievo_operators"]) == 1
    return searches[0]["retrievo_operators"][0]


def walk(entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield entry
    for child in entry["children"]:
        yield from walk(child)


def only(entry: dict[str, Any], op_type: str) -> dict[str, Any]:
    found = [e for e in walk(entry) if e["type"] == op_type]
    assert len(found) == 1, [e["type"] for e in walk(entry)]
    return found[0]


def check_shape(entry: dict[str, Any]) -> None:
    """Every entry has Elasticsearch's keys; times are inclusive, so a parent is never faster than its
    children together; documents in are the children's documents out (or the live documents)."""
    for e in walk(entry):
        assert set(e) == ENTRY_KEYS
        assert isinstance(e["time_in_nanos"], int) and e["time_in_nanos"] > 0
        assert e["time_in_nanos"] >= sum(c["time_in_nanos"] for c in e["children"])
        assert e["breakdown"]["execute_count"] == 1
        assert all(isinstance(v, int) and v >= 0 for v in e["breakdown"].values())
        if e["type"] not in ("Bm25Score", "Score", "MatchAll", "VectorSearch"):
            assert e["debug"]["documents_in"] == sum(c["debug"]["documents_out"] for c in e["children"])


def test_bm25_profile_has_elasticsearch_shape_and_counts(engine: Engine) -> None:
    resp = engine.search(index="docs", query={"match": {"text": "moon sun"}}, size=2, profile=True)
    shard = resp["profile"]["shards"][0]
    assert shard["id"] == "[retrievo][docs][0]"
    assert (shard["node_id"], shard["shard_id"], shard["index"], shard["cluster"]) == ("retrievo", 0, "docs", "(local)")
    assert shard["aggregations"] == []
    search = shard["searches"][0]
    assert isinstance(search["rewrite_time"], int) and search["rewrite_time"] > 0
    assert search["collector"][0]["reason"] == "search_query_phase"
    assert search["collector"][0]["children"][0]["reason"] == "search_top_hits"
    root = query_tree(resp)
    check_shape(root)
    assert [e["type"] for e in walk(root)] == ["Page", "TopDocs", "Bm25Score"]
    matches = resp["hits"]["total"]["value"]
    assert matches == 3
    bm25 = only(root, "Bm25Score")
    assert bm25["description"] == "text:moon text:sun"
    assert bm25["debug"] == {"documents_in": LIVE, "documents_out": matches}
    assert only(root, "TopDocs")["debug"] == {"documents_in": matches, "documents_out": 2}
    assert root["debug"] == {"documents_in": 2, "documents_out": 2}
    assert root["description"] == "from=0, size=2"
    fetch = shard["fetch"]
    assert fetch["type"] == "fetch" and fetch["breakdown"]["load_source_count"] == 2


def test_profile_false_or_absent_adds_nothing(engine: Engine) -> None:
    plain = engine.search(index="docs", query={"match": {"text": "moon"}})
    off = engine.search(index="docs", body={"query": {"match": {"text": "moon"}}, "profile": False})
    assert "profile" not in plain and "profile" not in off
    on = engine.search(index="docs", body={"query": {"match": {"text": "moon"}}, "profile": "true"})
    for resp in (off, on):
        assert resp["hits"] == plain["hits"]
    assert set(on) - set(plain) == {"profile"}


def test_profile_round_trips_and_rejects_non_booleans() -> None:
    request = parse_search("docs", {"profile": True, "query": {"match_all": {}}})
    assert request.profile is True and request.to_json()["profile"] is True
    assert "profile" not in parse_search("docs", {"profile": False}).to_json()
    with pytest.raises(ApiError) as err:
        parse_search("docs", {"profile": "yes"})
    assert err.value.status_code == 400 and "profile" in str(err.value.body)


def test_no_fetch_section_without_hits(engine: Engine) -> None:
    resp = engine.search(index="docs", query={"match": {"text": "moon"}}, size=0, profile=True)
    assert "fetch" not in resp["profile"]["shards"][0]
    root = query_tree(resp)
    assert only(root, "TopDocs")["debug"] == {"documents_in": 3, "documents_out": 0}


def test_filter_and_knn_profile_record_query_embeddings_and_cache_hits(engine: Engine) -> None:
    body = {
        "retriever": {
            "knn": {
                "field": "meaning",
                "k": 2,
                "num_candidates": 6,
                "filter": {"term": {"tag": "sky"}},
                "query_vector_builder": {
                    "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "lunar cycle"}
                },
            }
        },
        "profile": True,
    }
    first = engine.search(index="docs", body=body)
    root = query_tree(first)
    check_shape(root)
    assert [e["type"] for e in walk(root)] == ["Page", "TopDocs", "KnnScore", "VectorSearch"]
    vector = only(root, "VectorSearch")
    assert vector["debug"]["documents_in"] == LIVE
    assert vector["debug"]["documents_out"] == 2  # only two documents are tagged "sky"
    assert vector["debug"]["inference_ids"] == [".all-minilm-l6-v2"]
    embed = vector["debug"]["text_embedding"]
    assert (embed["requests"], embed["texts"], embed["model_calls"], embed["cache_misses"], embed["cache_hits"]) == (
        1,
        1,
        1,
        1,
        0,
    )
    assert vector["breakdown"]["inference_count"] == 1 and vector["breakdown"]["inference"] > 0
    assert "text_embedding" not in only(root, "KnnScore")["debug"]  # the parent does not count it again
    second = engine.search(index="docs", body=body)
    embed = only(query_tree(second), "VectorSearch")["debug"]["text_embedding"]
    assert (embed["model_calls"], embed["cache_hits"], embed["cache_misses"]) == (0, 1, 0)
    assert second["hits"]["hits"] == first["hits"]["hits"]


def test_standard_filter_profile(engine: Engine) -> None:
    resp = engine.search(
        index="docs",
        profile=True,
        retriever={"standard": {"query": {"match": {"text": "the"}}, "filter": {"term": {"tag": "animal"}}}},
    )
    root = query_tree(resp)
    check_shape(root)
    flt = only(root, "Filter")
    assert only(root, "Bm25Score")["debug"]["documents_out"] == 4
    assert flt["debug"] == {"documents_in": 4, "documents_out": 2}
    assert "tag:animal" in flt["description"]


def test_rrf_profile_counts_the_union_of_its_children(engine: Engine) -> None:
    resp = engine.search(
        index="docs",
        profile=True,
        retriever={
            "rrf": {
                "retrievers": [
                    {"standard": {"query": {"match": {"text": "moon"}}}},
                    {
                        "knn": {
                            "field": "meaning",
                            "k": 3,
                            "num_candidates": 6,
                            "query_vector_builder": {
                                "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "a dog"}
                            },
                        }
                    },
                ],
                "rank_window_size": 10,
            }
        },
    )
    root = query_tree(resp)
    check_shape(root)
    fuse = only(root, "RrfFuse")
    sizes = [c["debug"]["documents_out"] for c in fuse["children"]]
    assert sizes == [3, 3]
    assert fuse["debug"]["documents_in"] == 6
    assert fuse["debug"]["documents_out"] == len(resp["hits"]["hits"]) == resp["hits"]["total"]["value"]
    assert fuse["description"] == "rank_constant=60, rank_window_size=10"


def _tokens(path: Path, query: str, texts: list[str]) -> int:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    return sum(len(tokenizer(query, t)["input_ids"]) for t in texts)


def test_reranker_profile_records_pairs_tokens_and_cache_hits(engine: Engine, tiny_cross_encoder: Path) -> None:
    child = {"standard": {"query": {"match": {"text": "the moon"}}}}
    body = {
        "retriever": {
            "text_similarity_reranker": {
                "retriever": child,
                "field": "text",
                "inference_text": "moon phases",
                "inference_id": "ce",
                "rank_window_size": 4,
            }
        },
        "size": 3,
        "profile": True,
    }
    window = [h["_id"] for h in engine.search(index="docs", retriever=child, size=4)["hits"]["hits"]]
    first = engine.search(index="docs", body=body)
    root = query_tree(first)
    check_shape(root)
    assert [e["type"] for e in walk(root)] == ["Page", "Rerank", "TopDocs", "Bm25Score"]
    rerank = only(root, "Rerank")
    assert rerank["debug"]["documents_in"] == 4  # every document of the window is scored ...
    assert rerank["debug"]["documents_out"] in (3, 4)  # ... and what the page needs is handed on
    assert root["debug"]["documents_out"] == 3
    stats = rerank["debug"]["rerank"]
    expected_tokens = _tokens(tiny_cross_encoder, "moon phases", [DOCS[i][0] for i in window])
    assert (stats["requests"], stats["pairs"], stats["model_calls"], stats["scored"]) == (1, 4, 1, 4)
    assert (stats["cache_hits"], stats["cache_misses"], stats["tokens"]) == (0, 4, expected_tokens)
    assert rerank["debug"]["inference_ids"] == ["ce"]
    assert rerank["breakdown"]["inference_count"] == 1
    assert "rerank" not in only(root, "TopDocs")["debug"]
    second = engine.search(index="docs", body=body)
    stats = only(query_tree(second), "Rerank")["debug"]["rerank"]
    assert (stats["pairs"], stats["model_calls"], stats["cache_hits"], stats["tokens"]) == (4, 0, 4, 0)
    assert second["hits"]["hits"] == first["hits"]["hits"]


def test_bi_encoder_reranker_charges_its_embeddings_to_the_reranker(engine: Engine) -> None:
    resp = engine.search(
        index="docs",
        profile=True,
        retriever={
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": {"match": {"text": "science"}}}},
                "field": "text",
                "inference_text": "study of stars",
                "inference_id": ".all-minilm-l6-v2-rerank",
                "rank_window_size": 10,
            }
        },
    )
    rerank = only(query_tree(resp), "Rerank")
    assert rerank["debug"]["rerank"]["pairs"] == 2
    # the passages were embedded at indexing time ("ingest"), the query once now
    assert rerank["debug"]["text_embedding"]["texts"] == 1 + 2
    assert sorted(rerank["debug"]["inference_ids"]) == [".all-minilm-l6-v2", ".all-minilm-l6-v2-rerank"]


def test_top_level_knn_and_query_profile(engine: Engine) -> None:
    resp = engine.search(
        index="docs",
        profile=True,
        body={
            "query": {"match": {"text": "dog"}},
            "knn": {
                "field": "meaning",
                "k": 2,
                "num_candidates": 6,
                "query_vector_builder": {"text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "canine"}},
            },
        },
    )
    root = query_tree(resp)
    check_shape(root)
    score = only(root, "Score")
    assert [c["type"] for c in score["children"]] == ["VectorSearch"]
    assert score["debug"]["documents_in"] == LIVE
    assert score["debug"]["documents_out"] == resp["hits"]["total"]["value"]
