"""``diversify`` (MMR) against hand-computed selections, through ``retrievo.Engine``.

Similarity is Lucene's MAXIMUM_INNER_PRODUCT: ``dot + 1`` for ``dot >= 0``, ``1 / (1 - dot)`` below.
Documents (index order = child order for ``match_all``):

    a [1, 0]   b [1, 0]   c [0, 1]   d [-1, 0]   e (no vector)

Pairwise similarities: a·b = 1 → 2; a·c = 0 → 1; a·d = -1 → 0.5; c·d = 0 → 1; b·d → 0.5; b·c → 1.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError
from retrievo.grammar.json import parse_retriever

INDEX = "mmr"
DOCS: dict[str, dict[str, Any]] = {
    "a": {"vec": [1.0, 0.0], "rank": 1},
    "b": {"vec": [1.0, 0.0], "rank": 2},
    "c": {"vec": [0.0, 1.0], "rank": 3},
    "d": {"vec": [-1.0, 0.0], "rank": 4},
    "e": {"rank": 5},
}
MATCH_ALL: dict[str, Any] = {"standard": {"query": {"match_all": {}}}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index=INDEX,
        mappings={
            "properties": {
                "vec": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm"},
                "rank": {"type": "integer"},
                "tag": {"type": "keyword"},
            }
        },
    )
    for doc_id, src in DOCS.items():
        e.index(index=INDEX, id=doc_id, document=src)
    e.indices.refresh(index=INDEX)
    return e


def diversify(child: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    body = {"type": "mmr", "field": "vec", **params, "retriever": child or MATCH_ALL}
    return {"diversify": body}


def search(engine: Engine, retriever: dict[str, Any], **top: Any) -> dict[str, Any]:
    return engine.search(index=INDEX, body={"retriever": retriever, **top})


def ids(resp: dict[str, Any]) -> list[str]:
    return [h["_id"] for h in resp["hits"]["hits"]]


def test_without_query_vector_the_first_document_with_a_vector_leads(engine):
    # First pick a (first with a vector). Next: mmr = -0.5·maxsim → b -1, c -0.5, d -0.25 → d.
    # Then b: max(2, 0.5) → -1, c: max(1, 1) → -0.5 → c. Kept {a, c, d}, in child order.
    resp = search(engine, diversify(**{"lambda": 0.5, "size": 3}))
    assert ids(resp) == ["a", "c", "d"]
    assert [h["_score"] for h in resp["hits"]["hits"]] == [1.0, 1.0, 1.0]
    assert resp["hits"]["total"]["value"] == 5  # everything the child matched


def test_the_child_order_decides_first_pick_and_ties(engine):
    # Child order d, c, b, a (rank desc). First pick d; then c -0.5·1, b -0.5·0.5, a -0.5·0.5:
    # b and a tie at -0.25, the earlier (b) wins. Then c: max(1, sim(c, b) 1) → -0.5; a: max(0.5, 2) → -1 → c.
    child = {"standard": {"query": {"match_all": {}}, "sort": [{"rank": "desc"}]}}
    resp = search(engine, diversify(child, **{"lambda": 0.5, "size": 3}))
    assert ids(resp) == ["d", "c", "b"]


def test_query_vector_leads_with_the_most_similar_and_ties_keep_the_earlier(engine):
    # q = [0, 2]: sim(q, ·) a 1, b 1, c 3, d 1 → first pick c. Next: 0.5·1 - 0.5·1 = 0 for a, b, d: a.
    resp = search(engine, diversify(**{"lambda": 0.5, "size": 2, "query_vector": [0, 2]}))
    assert ids(resp) == ["a", "c"]


def test_lambda_one_is_pure_relevance(engine):
    # λ = 1: c (3) first, then a, b, d all at 1 → a, then b.
    resp = search(engine, diversify(**{"lambda": 1.0, "size": 3, "query_vector": [0, 2]}))
    assert ids(resp) == ["a", "b", "c"]


def test_lambda_zero_is_pure_diversity(engine):
    # λ = 0 with q = [2, 0]: first pick still by query similarity (a 3, b 3 → a, the earlier),
    # then -maxsim: b -2, c -1, d -0.5 → d; then b -max(2, 0.5), c -max(1, 1) → c.
    resp = search(engine, diversify(**{"lambda": 0.0, "size": 3, "query_vector": [2, 0]}))
    assert ids(resp) == ["a", "c", "d"]


def test_documents_without_a_vector_are_never_kept(engine):
    resp = search(engine, diversify(**{"lambda": 0.5, "size": 5, "rank_window_size": 5}))
    assert ids(resp) == ["a", "b", "c", "d"]


def test_scores_are_the_childs(engine):
    # A kNN child on l2_norm: score 1 / (1 + l2²). q = [1, 0]: a, b → 1; c → 1/3; d → 1/5.
    child = {"knn": {"field": "vec", "query_vector": [1, 0], "k": 4, "num_candidates": 4}}
    resp = search(engine, diversify(child, **{"lambda": 0.5, "size": 2}))
    # Child order a, b, c, d. First a; then b -1, c -0.5, d -0.25 → d. Kept a, d with their kNN scores.
    assert ids(resp) == ["a", "d"]
    assert [h["_score"] for h in resp["hits"]["hits"]] == pytest.approx([1.0, 0.2])


def test_paging_is_over_the_kept_documents(engine):
    resp = search(engine, diversify(**{"lambda": 0.5, "size": 3}), **{"from": 1, "size": 1})
    assert ids(resp) == ["c"]


def test_min_score_cuts_the_kept_documents(engine):
    child = {"knn": {"field": "vec", "query_vector": [1, 0], "k": 4, "num_candidates": 4}}
    resp = search(engine, diversify(child, **{"lambda": 0.5, "size": 2, "min_score": 0.5}))
    assert ids(resp) == ["a"]


def test_filter_reaches_the_child(engine):
    # Only c and d pass: first pick c; then d.
    resp = search(engine, diversify(**{"lambda": 0.5, "size": 2, "filter": {"range": {"rank": {"gte": 3}}}}))
    assert ids(resp) == ["c", "d"]


def test_inside_rrf(engine):
    resp = search(engine, {"rrf": {"retrievers": [diversify(**{"lambda": 0.5, "size": 3})], "rank_window_size": 10}})
    assert ids(resp) == ["a", "c", "d"]
    scores = [h["_score"] for h in resp["hits"]["hits"]]
    assert scores == pytest.approx([1 / 61, 1 / 62, 1 / 63])


def test_explain(engine):
    resp = search(engine, diversify(**{"lambda": 0.5, "size": 3}), explain=True)
    hit = resp["hits"]["hits"][1]
    explanation = hit["_explanation"]
    assert explanation["value"] == hit["_score"]
    assert "is at rank [3]" in explanation["description"]  # c is third in the child's list
    assert explanation["details"]


def test_profile_and_plan(engine):
    body = {"retriever": diversify(**{"lambda": 0.5, "size": 3})}
    plan = str(engine.plan(index=INDEX, body=body))
    assert "Diversify(type=mmr, field=vec, lambda=0.5, size=3, rank_window_size=10)" in plan
    resp = engine.search(index=INDEX, body={**body, "profile": True})
    assert "Diversify" in str(resp["profile"])


def test_json_round_trip():
    written = {
        "diversify": {
            "retriever": {"standard": {"query": {"match_all": {}}}},
            "type": "MMR",
            "field": "vec",
            "rank_window_size": 20,
            "query_vector": [0.5, 1],
            "lambda": 0.25,
            "size": 4,
            "_name": "div",
        }
    }
    printed = parse_retriever(written).to_json()
    assert printed["diversify"]["type"] == "mmr"
    assert printed["diversify"]["query_vector"] == [0.5, 1.0]
    assert parse_retriever(printed).to_json() == printed


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {"lambda": 0.5, "query_vector": "0a0b"},
            "Validation Failed: 1: [diversify] retriever cannot have a [query_vector] that is string encoded;",
        ),
        (
            {
                "lambda": 0.5,
                "query_vector": [1, 0],
                "query_vector_builder": {"text_embedding": {"model_id": "m", "model_text": "t"}},
            },
            "Validation Failed: 1: [diversify] MMR result diversification can have one of [query_vector] or "
            "[query_vector_builder], but not both;",
        ),
        (
            {"lambda": 2.0, "size": 0},
            "Validation Failed: 1: [diversify] MMR result diversification [size] of 0 must be greater than zero;"
            "2: [diversify] MMR result diversification must have a [lambda] between 0.0 and 1.0. "
            "The value provided was 2.0;",
        ),
    ],
)
def test_validation(engine, params, reason):
    with pytest.raises(ApiError) as info:
        search(engine, diversify(**params))
    assert info.value.status_code == 400
    assert info.value.body["error"]["reason"] == reason


def test_size_defaults_to_the_window_when_smaller(engine):
    # size defaults to min(10, rank_window_size): window 3 → size 3, no validation error.
    resp = search(engine, diversify(**{"lambda": 0.5, "rank_window_size": 3}))
    # Hand: window a, b, c; first a; then b -1, c -0.5 → c; then b → kept a, b, c.
    assert ids(resp) == ["a", "b", "c"]


def test_unknown_field_in_the_body(engine):
    with pytest.raises(ApiError) as info:
        search(engine, diversify(**{"lambda": 0.5, "bogus": 1}))
    assert info.value.body["error"]["type"] == "x_content_parse_exception"
    assert "[diversify] unknown field [bogus]" in info.value.body["error"]["reason"]


def test_unindexed_dense_vector_and_semantic_text():
    # An unindexed dense_vector still has doc values in Elasticsearch: MMR reads it. Vectors
    # [1, 0], [1, 0], [0, 1]: first pick 0; then 1 at -0.5·2, 2 at -0.5·1 → 2.
    e = Engine()
    e.indices.create(
        index="u",
        mappings={
            "properties": {"v": {"type": "dense_vector", "dims": 2, "index": False}, "s": {"type": "semantic_text"}}
        },
    )
    for i, v in enumerate([[1, 0], [1, 0], [0, 1]]):
        e.index(index="u", id=str(i), document={"v": v})
    e.indices.refresh(index="u")
    body = {"retriever": {"diversify": {"type": "mmr", "field": "v", "lambda": 0.5, "size": 2, "retriever": MATCH_ALL}}}
    assert ids(e.search(index="u", body=body)) == ["0", "2"]
    body["retriever"]["diversify"]["field"] = "s"
    with pytest.raises(ApiError) as info:
        e.search(index="u", body=body)
    assert info.value.status_code == 400
    # No document has chunk embeddings in [s]: Elasticsearch 9.3's answer for a field without vectors.
    assert "Is it a [dense_vector] or [semantic_text] field with dense vectors?" in str(info.value.body)
