"""Indices with several shards, searched through the official client.

Expected scores are computed here from the BM25 formula with each shard's own statistics (Elasticsearch's
``query_then_fetch``), in double precision, and compared to 1e-6; orders follow Elasticsearch's merge
(score descending, then shard, then the document's order on its shard). Which shard holds which ``_id`` is
listed in ``SHARD_OF`` (murmur3 routing over 768 routing shards; checked against Lucene's own murmur3 in
``test_shard_goldens.py``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.errors import ApiError

DOCS = {
    "1": "quick fox",
    "2": "fox",
    "3": "lazy dog",
    "4": "fox fox dog",
    "5": "fox",
    "6": "dog",
    "7": "cat",
    "8": "fox jumps high",
    "9": "the end",
}
SHARD_OF = {"1": 2, "2": 1, "3": 1, "4": 1, "5": 0, "6": 2, "7": 0, "8": 2, "9": 2}
VECTORS = {
    "1": [0.1, 0.9],
    "2": [0.2, 0.8],
    "3": [0.9, 0.1],
    "4": [0.5, 0.5],
    "5": [0.3, 0.7],
    "6": [0.8, 0.3],
    "7": [0.6, 0.6],
    "8": [0.0, 1.0],
    "9": [1.0, 0.0],
}


def _engine(shards: int = 3) -> Engine:
    e = Engine()
    e.indices.create(
        index="docs",
        settings={"number_of_shards": shards},
        mappings={
            "properties": {
                "text": {"type": "text"},
                "v": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "flat"}},
            }
        },
    )
    for doc_id, text in DOCS.items():
        e.index(index="docs", id=doc_id, document={"text": text, "v": VECTORS[doc_id]})
    e.indices.refresh(index="docs")
    return e


@pytest.fixture(scope="module")
def sharded() -> Engine:
    return _engine()


def _bm25(term: str, doc_id: str, docs: list[str]) -> float:
    """BM25 (Elasticsearch's k1 1.2, b 0.75, boost 2.2) of ``term`` in ``doc_id`` over the documents ``docs``."""
    lengths = {d: len(DOCS[d].split()) for d in docs}
    n = len(docs)
    df = sum(1 for d in docs if term in DOCS[d].split())
    avgdl = sum(lengths.values()) / n
    tf = DOCS[doc_id].split().count(term)
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return 2.2 * idf * tf / (tf + 1.2 * (0.25 + 0.75 * lengths[doc_id] / avgdl))


def _shard_docs(shard: int) -> list[str]:
    return [d for d in DOCS if SHARD_OF[d] == shard]


def _merge_order(scores: dict[str, float]) -> list[str]:
    """Elasticsearch's coordinator order: score, then shard, then the doc's place on its shard."""
    return sorted(scores, key=lambda d: (-scores[d], SHARD_OF[d], list(DOCS).index(d)))


def test_each_shard_scores_with_its_own_statistics(sharded: Engine) -> None:
    resp = sharded.search(index="docs", query={"match": {"text": "fox"}})
    expected = {d: _bm25("fox", d, _shard_docs(SHARD_OF[d])) for d in DOCS if "fox" in DOCS[d].split()}
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == _merge_order(expected)
    for hit in hits:
        assert hit["_score"] == pytest.approx(expected[hit["_id"]], rel=1e-6)
    assert resp["_shards"] == {"total": 3, "successful": 3, "skipped": 0, "failed": 0}


def test_dfs_query_then_fetch_scores_with_the_whole_index(sharded: Engine) -> None:
    resp = sharded.search(index="docs", query={"match": {"text": "fox"}}, search_type="dfs_query_then_fetch")
    expected = {d: _bm25("fox", d, list(DOCS)) for d in DOCS if "fox" in DOCS[d].split()}
    assert [h["_id"] for h in resp["hits"]["hits"]] == _merge_order(expected)
    for hit in resp["hits"]["hits"]:
        assert hit["_score"] == pytest.approx(expected[hit["_id"]], rel=1e-6)
    one_shard = _engine(1).search(index="docs", query={"match": {"text": "fox"}})
    assert {h["_id"]: h["_score"] for h in one_shard["hits"]["hits"]} == {
        h["_id"]: h["_score"] for h in resp["hits"]["hits"]
    }


def test_ties_break_by_shard_then_doc(sharded: Engine) -> None:
    resp = sharded.search(index="docs", query={"match_all": {}}, size=9)
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["5", "7", "2", "3", "4", "1", "6", "8", "9"]
    sort = sharded.search(index="docs", query={"match_all": {}}, sort=[{"_score": "desc"}], size=3)
    assert [h["_id"] for h in sort["hits"]["hits"]] == ["5", "7", "2"]


def test_explain_names_the_shard_and_the_shard_doc_id(sharded: Engine) -> None:
    resp = sharded.search(index="docs", query={"term": {"text": "jumps"}}, explain=True)
    hit = resp["hits"]["hits"][0]
    assert hit["_id"] == "8" and hit["_shard"] == "[docs][2]"
    # shard 2 holds docs 1, 6, 8, 9 in that order: doc 8 is its doc 2, and N counts the shard's four docs
    explanation = hit["_explanation"]
    assert explanation["description"] == "weight(text:jumps in 2) [PerFieldSimilarity], result of:"
    idf = explanation["details"][0]["details"][1]
    assert [d["value"] for d in idf["details"]] == [1.0, 4.0]


def test_routing_limits_the_search_to_its_shard(sharded: Engine) -> None:
    resp = sharded.search(index="docs", query={"match_all": {}}, routing="carol", size=10)
    assert resp["_shards"]["total"] == 1
    assert sorted(h["_id"] for h in resp["hits"]["hits"]) == sorted(_shard_docs(1))
    both = sharded.count(index="docs", routing="carol,alice")  # carol → shard 1, alice → shard 2
    assert both["count"] == len(_shard_docs(1)) + len(_shard_docs(2))
    assert both["_shards"]["total"] == 2


def test_terminate_after_counts_per_shard(sharded: Engine) -> None:
    resp = sharded.search(index="docs", query={"match_all": {}}, terminate_after=1, size=10)
    assert resp["terminated_early"] is True
    assert resp["hits"]["total"]["value"] == 3
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["5", "2", "1"]  # each shard's first document


def test_rescore_window_is_per_shard(sharded: Engine) -> None:
    resp = sharded.search(
        index="docs",
        query={"match_all": {}},
        rescore={"window_size": 1, "query": {"rescore_query": {"match": {"text": "fox"}}}},
        size=9,
    )
    firsts = {"5": 0, "2": 1, "1": 2}  # each shard's best (first) document is rescored
    expected = {d: 1.0 + _bm25("fox", d, _shard_docs(s)) for d, s in firsts.items()}
    expected.update({d: 1.0 for d in DOCS if d not in firsts})
    assert [h["_id"] for h in resp["hits"]["hits"]] == _merge_order(expected)
    for hit in resp["hits"]["hits"]:
        assert hit["_score"] == pytest.approx(expected[hit["_id"]], rel=1e-6)


def _brute_force(query: list[float]) -> dict[str, float]:
    q = np.asarray(query)
    return {d: 1.0 / (1.0 + float(np.sum((np.asarray(v) - q) ** 2))) for d, v in VECTORS.items()}


def test_knn_query_finds_k_on_every_shard_and_top_level_knn_k_in_all(sharded: Engine) -> None:
    scores = _brute_force([0.12, 0.88])
    per_shard = [max(_shard_docs(s), key=lambda d: scores[d]) for s in range(3)]
    query = sharded.search(
        index="docs", query={"knn": {"field": "v", "query_vector": [0.12, 0.88], "k": 1, "num_candidates": 3}}
    )
    assert sorted(h["_id"] for h in query["hits"]["hits"]) == sorted(per_shard)
    top = sharded.search(index="docs", knn={"field": "v", "query_vector": [0.12, 0.88], "k": 2, "num_candidates": 3})
    assert [h["_id"] for h in top["hits"]["hits"]] == sorted(scores, key=lambda d: -scores[d])[:2]
    for hit in top["hits"]["hits"]:
        assert hit["_score"] == pytest.approx(scores[hit["_id"]], rel=1e-6)


def test_nested_queries_score_with_the_shard_statistics() -> None:
    e = Engine()
    e.indices.create(
        index="n",
        settings={"number_of_shards": 2},  # ids 1, 2, 3, 5 → shard 0; 4 → shard 1
        mappings={"properties": {"c": {"type": "nested", "properties": {"t": {"type": "text"}}}}},
    )
    for doc_id, texts in {"1": ["a b", "a"], "2": ["a", "c"], "3": ["b b a"], "4": ["a a a", "x"], "5": ["q"]}.items():
        e.index(index="n", id=doc_id, document={"c": [{"t": t} for t in texts]})
    e.indices.refresh(index="n")
    resp = e.search(index="n", query={"nested": {"path": "c", "query": {"match": {"c.t": "a"}}, "score_mode": "sum"}})
    four = next(h for h in resp["hits"]["hits"] if h["_id"] == "4")
    # shard 1 holds only doc 4's two objects: "a" has df 1 of 2, freq 3, length 3, average length 2
    expected = 2.2 * math.log(2) * 3 / (3 + 1.2 * (0.25 + 0.75 * 3 / 2))
    assert four["_score"] == pytest.approx(expected, rel=1e-6)
    assert resp["hits"]["hits"][0]["_id"] == "4"


def _error(call: Any) -> dict[str, Any]:
    with pytest.raises(ApiError) as info:
        call()
    return {"status": info.value.meta.status, **info.value.body["error"]}


def test_shard_settings_are_validated_as_elasticsearch_does() -> None:
    e = Engine()
    err = _error(lambda: e.indices.create(index="a", settings={"number_of_shards": 1025}))
    assert err["status"] == 400 and err["type"] == "illegal_argument_exception"
    assert err["reason"] == "Failed to parse value [1025] for setting [index.number_of_shards] must be <= 1024"
    err = _error(lambda: e.indices.create(index="b", settings={"number_of_shards": 5, "number_of_routing_shards": 7}))
    assert err["reason"] == "the number of source shards [5] must be a factor of [7]"
    err = _error(lambda: e.indices.create(index="c", settings={"index.routing_partition_size": 2}))
    assert "not supported in retrievo" in err["reason"]
    assert not e.indices.exists(index="a,b,c")


def test_settings_and_health_report_the_shards(sharded: Engine) -> None:
    settings = sharded.indices.get_settings(index="docs")["docs"]["settings"]["index"]
    assert settings["number_of_shards"] == "3"
    health = sharded.cluster.health(index="docs", level="indices")
    assert health["active_primary_shards"] == 3
    assert health["unassigned_shards"] == 3  # one replica of each, never assigned on one node
    assert health["indices"]["docs"]["number_of_shards"] == 3


def test_an_explicit_routing_shard_count_moves_documents() -> None:
    e = Engine()
    e.indices.create(index="r", settings={"number_of_shards": 3, "number_of_routing_shards": 6})
    e.index(index="r", id="6", document={"x": 1}, refresh=True)
    # murmur3("6") over 6 routing shards lands on shard 1; over the default 768 it is SHARD_OF's 2
    hit = e.search(index="r", explain=True)["hits"]["hits"][0]
    assert hit["_shard"] == "[r][1]"
    assert e.indices.get_settings(index="r")["r"]["settings"]["index"]["number_of_routing_shards"] == "6"


def test_profile_is_refused_on_several_shards(sharded: Engine) -> None:
    err = _error(lambda: sharded.search(index="docs", profile=True))
    assert err["status"] == 400 and "[profile] on an index with several shards" in err["reason"]


def test_preference_shards_limits_the_search(sharded: Engine) -> None:
    resp = sharded.search(index="docs", query={"match_all": {}}, preference="_shards:0,2", size=10)
    assert resp["_shards"]["total"] == 2
    assert sorted(h["_id"] for h in resp["hits"]["hits"]) == sorted(_shard_docs(0) + _shard_docs(2))
    # routing names shard 1; the preference allows 0 and 2: nothing is left to search
    none = sharded.search(index="docs", routing="carol", preference="_shards:0,2|_local")
    assert none["_shards"]["total"] == 0 and none["hits"]["hits"] == []
    counted = sharded.count(index="docs", preference="_shards:1")
    assert counted["count"] == len(_shard_docs(1)) and counted["_shards"]["total"] == 1
    items = sharded.msearch(
        searches=[{"index": "docs", "preference": "_shards:0"}, {"query": {"match_all": {}}, "size": 10}]
    )["responses"]
    assert sorted(h["_id"] for h in items[0]["hits"]["hits"]) == sorted(_shard_docs(0))
    assert sharded.search(index="docs", preference="_local")["_shards"]["total"] == 3


def test_a_bad_preference_is_elasticsearchs_error(sharded: Engine) -> None:
    err = _error(lambda: sharded.search(index="docs", preference="_shards:x"))
    assert err["status"] == 400 and err["reason"] == 'For input string: "x"'
    err = _error(lambda: sharded.search(index="docs", preference="_nowhere"))
    assert err["reason"] == "no Preference for [_nowhere]"
