"""Compound retrievers (``rrf``, ``linear``, ``text_similarity_reranker``) over several indices.

Elasticsearch runs each child as a search over every shard of every index, merges its hits (score, then
shard number, then index name, then doc) and fuses the merged windows on the coordinator: ranks and
normalisations are GLOBAL, not per index. Scores here come from ``constant_score`` boosts, so every
child's merged list is known by hand; the fused values are computed below from the formulas
(``1 / (rank_constant + rank)`` summed in float32; minmax ``(s - min) / (max - min)``; the reranker's
``max(s, 0) + min(exp(s), 1)``), not by retrievo.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from elasticsearch import ApiError

from retrievo import Engine

F32 = np.float32
VECTOR = {"type": "dense_vector", "dims": 1, "similarity": "l2_norm", "index_options": {"type": "flat"}}
MAPPING = {"properties": {"name": {"type": "keyword"}, "s": {"type": "text"}, "v": VECTOR}}
#: index → [(id, vector)]; ``name`` is the id.
DOCS = {"i1": [("a", 1.0), ("b", 2.0), ("c", 3.0)], "i2": [("d", 4.0), ("e", 5.0)]}


def boosted(**scores: float) -> dict[str, Any]:
    """A query giving each named document a constant score (the others do not match)."""
    should = [{"constant_score": {"filter": {"term": {"name": n}}, "boost": b}} for n, b in scores.items()]
    return {"bool": {"should": should}}


def standard(**scores: float) -> dict[str, Any]:
    return {"standard": {"query": boosted(**scores)}}


def hits(response: Any) -> list[tuple[str, str, float]]:
    return [(h["_index"], h["_id"], h["_score"]) for h in response["hits"]["hits"]]


def assert_hits(response: Any, expected: list[tuple[str, str, float]]) -> None:
    """The hits' indices and ids exactly, their scores to float32 precision."""
    got = hits(response)
    assert [h[:2] for h in got] == [h[:2] for h in expected]
    assert [h[2] for h in got] == pytest.approx([h[2] for h in expected], rel=1e-6)


def rrf_score(*ranks: int, k: int = 60) -> float:
    total = F32(0.0)
    for rank in ranks:
        total = F32(total + F32(1.0) / F32(k + rank))
    return float(total)


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    for index, docs in DOCS.items():
        engine.indices.create(index=index, mappings=MAPPING)
        for doc_id, value in docs:
            engine.index(index=index, id=doc_id, document={"name": doc_id, "v": [value]})
        engine.indices.refresh(index=index)
    engine.indices.update_aliases(actions=[{"add": {"index": "i*", "alias": "both"}}])
    return engine


def test_rrf_ranks_are_global_across_indices(es: Engine) -> None:
    # child A merged: a 5, d 4, b 3, e 1 → ranks a1 d2 b3 e4 (per index, d would be rank 1)
    # child B merged: e 9, c 7, a 6 → ranks e1 c2 a3
    body = {"rrf": {"retrievers": [standard(a=5, d=4, b=3, e=1), standard(e=9, c=7, a=6)]}}
    resp = es.search(index="i1,i2", retriever=body)
    expected = [
        ("i1", "a", rrf_score(1, 3)),
        ("i2", "e", rrf_score(4, 1)),
        ("i1", "c", rrf_score(2)),  # ties d (1/62): same shard number, index i1 first
        ("i2", "d", rrf_score(2)),
        ("i1", "b", rrf_score(3)),
    ]
    assert_hits(resp, expected)
    assert resp["hits"]["total"] == {"value": 5, "relation": "eq"}
    assert resp["hits"]["max_score"] == pytest.approx(rrf_score(1, 3))


def test_rrf_pages_through_the_fused_list(es: Engine) -> None:
    body = {"rrf": {"retrievers": [standard(a=5, d=4, b=3, e=1), standard(e=9, c=7, a=6)]}}
    resp = es.search(index="i1,i2", retriever=body, size=2, **{"from": 2})
    assert [h[1] for h in hits(resp)] == ["c", "d"]
    assert resp["hits"]["total"]["value"] == 5


def test_rrf_window_cuts_each_childs_merged_list(es: Engine) -> None:
    # rank_window_size 2: child A keeps a, d; child B keeps e, c. b is never fused; it still counts
    # in hits.total (the union of what the children matched).
    body = {"rrf": {"retrievers": [standard(a=5, d=4, b=3, e=1), standard(e=9, c=7, a=6)], "rank_window_size": 2}}
    resp = es.search(index="i1,i2", retriever=body, size=2)
    assert [h[1] for h in hits(resp)] == ["a", "e"]  # a 1/61, e 1/61: tie, shard 0 both, i1 first
    assert [h[2] for h in hits(resp)] == pytest.approx([rrf_score(1), rrf_score(1)])
    assert resp["hits"]["total"]["value"] == 5


def test_linear_minmax_normalises_the_merged_window(es: Engine) -> None:
    # child A merged [a 5, d 4, b 3] → minmax a 1, d 0.5, b 0 (per index, d alone would be 1)
    # child B merged [e 9, c 7, a 6] → e 1, c 1/3, a 0; weights 2 and 1
    body = {
        "linear": {
            "retrievers": [
                {"retriever": standard(a=5, d=4, b=3), "weight": 2, "normalizer": "minmax"},
                {"retriever": standard(e=9, c=7, a=6), "weight": 1, "normalizer": "minmax"},
            ]
        }
    }
    resp = es.search(index="i1,i2", retriever=body)
    third = float((F32(7) - F32(6)) / (F32(9) - F32(6)))
    expected = [
        ("i1", "a", 2.0),
        ("i2", "d", 1.0),  # ties e: same index and shard, d is the earlier document
        ("i2", "e", 1.0),
        ("i1", "c", third),
        ("i1", "b", float(np.float32(1.4e-45))),  # a fused 0 becomes Float.MIN_VALUE
    ]
    assert_hits(resp, expected)
    assert resp["hits"]["total"]["value"] == 5


def test_knn_child_keeps_its_best_k_over_every_index(es: Engine) -> None:
    # knn query 4.5, k 2: l2_norm 1/(1+d²): d 0.8, e 0.8 (tie: d first), c 0.2 ... → d, e survive
    knn = {"knn": {"field": "v", "query_vector": [4.5], "k": 2, "num_candidates": 5}}
    body = {"rrf": {"retrievers": [knn, standard(a=1)]}}
    resp = es.search(index="i1,i2", retriever=body)
    # d 1/61 and a 1/61 tie (shard 0 both: i1 first), e 1/62
    assert [h[1] for h in hits(resp)] == ["a", "d", "e"]
    assert resp["hits"]["total"]["value"] == 3  # the kNN child counts its window only


def test_nested_compounds(es: Engine) -> None:
    inner = {"rrf": {"retrievers": [standard(d=2, b=1), standard(b=2)]}}  # b 1/62+1/61, d 1/61
    body = {"rrf": {"retrievers": [inner, standard(d=1)]}}
    resp = es.search(index="i1,i2", retriever=body)
    # inner merged: b, d → outer: b rank 1 (1/61), d rank 2 + rank 1 (1/62 + 1/61)
    assert_hits(resp, [("i2", "d", rrf_score(2, 1)), ("i1", "b", rrf_score(1))])


def test_fields_and_highlight_come_from_each_index(es: Engine) -> None:
    body = {"rrf": {"retrievers": [standard(a=2, d=1), standard(d=2)]}}
    resp = es.search(index="both", retriever=body, fields=["name"], _source=False)
    assert [(h["_index"], h["fields"]) for h in resp["hits"]["hits"]] == [
        ("i2", {"name": ["d"]}),
        ("i1", {"name": ["a"]}),
    ]


def test_aggregations_count_every_match(es: Engine) -> None:
    body = {"rrf": {"retrievers": [standard(a=2, d=1), standard(e=2)], "rank_window_size": 1}}
    resp = es.search(index="i1,i2", retriever=body, size=1, aggs={"n": {"terms": {"field": "name"}}})
    assert [b["key"] for b in resp["aggregations"]["n"]["buckets"]] == ["a", "d", "e"]
    assert resp["hits"]["total"]["value"] == 3


def test_top_level_min_score_cuts_the_fused_list(es: Engine) -> None:
    body = {"rrf": {"retrievers": [standard(a=5, d=4, b=3, e=1), standard(e=9, c=7, a=6)]}}
    resp = es.search(index="i1,i2", retriever=body, min_score=rrf_score(4, 1))
    assert [h[1] for h in hits(resp)] == ["a", "e"]
    assert resp["hits"]["total"]["value"] == 2


@pytest.mark.parametrize(
    "retriever, named",
    [
        ({"rescorer": {"retriever": standard(a=1), "rescore": {"query": {"rescore_query": {"match_all": {}}}}}}, None),
        ({"pinned": {"ids": ["a"], "retriever": standard(a=1)}}, "pinned"),
        (
            {"rrf": {"retrievers": [{"standard": {"query": {"match_all": {}}, "sort": ["name"]}}, standard(a=1)]}},
            "sort",
        ),
    ],
)
def test_other_kinds_are_refused_by_name(es: Engine, retriever: dict[str, Any], named: str | None) -> None:
    with pytest.raises(ApiError) as err:
        es.search(index="i1,i2", retriever=retriever)
    reason = err.value.body["error"]["reason"]
    assert "not supported in retrievo" in reason
    assert f"[{named or 'rescorer'}]" in reason


def test_explain_gives_global_ranks_and_each_childs_own_explanation(es: Engine) -> None:
    body = {"rrf": {"retrievers": [standard(a=5, d=4, b=3, e=1), standard(e=9, c=7, a=6)]}}
    resp = es.search(index="i1,i2", retriever=body, explain=True, size=2)
    top = resp["hits"]["hits"][0]
    assert (top["_id"], top["_shard"]) == ("a", "[i1][0]")
    explanation = top["_explanation"]
    assert explanation["value"] == pytest.approx(rrf_score(1, 3))
    assert explanation["description"].endswith(
        "computed for initial ranks [1, 3] with rankConstant: [60] as sum of [1 / (rank + rankConstant)] for each query"
    )
    first, second = explanation["details"]
    assert (first["value"], second["value"]) == (1, 3)  # global ranks: a is third in child B (after e of i2)
    assert first["details"][0]["value"] == 5.0 and second["details"][0]["value"] == 6.0
    missing = resp["hits"]["hits"][1]["_explanation"]["details"]  # e: rank 4 and rank 1
    assert [d["value"] for d in missing] == [4, 1]


def test_standard_and_knn_retrievers_run_as_their_query_and_knn_section(es: Engine) -> None:
    resp = es.search(index="i1,i2", retriever=standard(a=1, e=3))
    assert hits(resp) == [("i2", "e", 3.0), ("i1", "a", 1.0)]
    knn = {"knn": {"field": "v", "query_vector": [2.2], "k": 2, "num_candidates": 5}}
    resp = es.search(index="i1,i2", retriever=knn)
    assert [h[1] for h in hits(resp)] == ["b", "c"]
    assert resp["hits"]["total"]["value"] == 2


# ------------------------------------------------------------------------------ shard order in ties


def test_ties_go_to_the_lower_shard_number_before_the_index_name() -> None:
    e = Engine()
    e.indices.create(index="left", settings={"number_of_shards": 2}, mappings=MAPPING)
    e.indices.create(index="right", mappings=MAPPING)
    for doc_id in ("l0", "l1", "l2", "l3", "l4", "l5"):
        e.index(index="left", id=doc_id, document={"name": doc_id})
    e.index(index="right", id="r0", document={"name": "r0"})
    e.indices.refresh(index="left,right")
    located = e.search(index="left", query={"match_all": {}}, explain=True, size=10)["hits"]["hits"]
    shard_of = {h["_id"]: int(h["_shard"].rsplit("[", 1)[1].rstrip("]")) for h in located}
    on_one = next(d for d, s in shard_of.items() if s == 1)
    on_zero = next(d for d, s in shard_of.items() if s == 0)
    # one child finds only a left document, the other only r0: both rank 1, both 1/61
    body = {"rrf": {"retrievers": [standard(**{on_one: 1}), standard(r0=1)]}}
    assert [h[1] for h in hits(e.search(index="left,right", retriever=body))] == ["r0", on_one]
    body = {"rrf": {"retrievers": [standard(**{on_zero: 1}), standard(r0=1)]}}
    assert [h[1] for h in hits(e.search(index="left,right", retriever=body))] == [on_zero, "r0"]


# ------------------------------------------------------------------------------ reranker over an alias


def normalized(raw: float) -> float:
    s = F32(raw)
    return float(F32(max(s, F32(0.0)) + min(F32(math.exp(float(s))), F32(1.0))))


def test_reranker_over_an_alias_scores_the_merged_window() -> None:
    e = Engine()
    e.inference.put(
        task_type="rerank",
        inference_id="mock",
        body={"service": "test_reranking_service", "service_settings": {"model_id": "m", "api_key": "k"}},
    )
    for index, docs in {"r1": [("a", "2"), ("b", "-1")], "r2": [("c", "0.5"), ("d", "9")]}.items():
        e.indices.create(index=index, mappings=MAPPING)
        for doc_id, text in docs:
            e.index(index=index, id=doc_id, document={"name": doc_id, "s": text})
        e.indices.refresh(index=index)
        e.indices.put_alias(index=index, name="rr")
    # the child's merged window of 3: a 4, c 3, b 2 (d, scored 1, falls out of the window)
    child = standard(a=4, c=3, b=2, d=1)
    body = {
        "text_similarity_reranker": {
            "retriever": child,
            "field": "s",
            "inference_id": "mock",
            "inference_text": "q",
            "rank_window_size": 3,
        }
    }
    resp = e.search(index="rr", retriever=body)
    assert_hits(resp, [("r1", "a", normalized(2)), ("r2", "c", normalized(0.5)), ("r1", "b", normalized(-1))])
    assert resp["hits"]["total"]["value"] == 4  # the child's total
    explained = e.search(index="rr", retriever=body, explain=True, size=1)["hits"]["hits"][0]["_explanation"]
    assert explained["description"] == "sum of:"  # a reranker at the top explains inside the rank docs query
    assert explained["details"][0]["description"].startswith("text_similarity_reranker match using inference endpoint")
    assert explained["details"][0]["details"][0]["value"] == 4.0  # the child's score of a
    body["text_similarity_reranker"]["min_score"] = 0
    resp = e.search(index="rr", retriever=body)
    assert [h[1] for h in hits(resp)] == ["a", "c"]
    assert resp["hits"]["total"]["value"] == 2


def test_a_top_level_standard_retriever_explains_like_its_query(es: Engine) -> None:
    resp = es.search(index="i1,i2", retriever=standard(d=2), explain=True)
    assert [(h["_id"], h["_explanation"]["value"]) for h in resp["hits"]["hits"]] == [("d", 2.0)]


def test_msearch_items_rank_compounds_over_several_indices(es: Engine) -> None:
    body = {"rrf": {"retrievers": [standard(a=5, d=4, b=3, e=1), standard(e=9, c=7, a=6)]}}
    resp = es.msearch(searches=[{"index": "i1,i2"}, {"retriever": body, "size": 2}])
    assert [h["_id"] for h in resp["responses"][0]["hits"]["hits"]] == ["a", "e"]


# ------------------------------------------------------------------------------ the multi-field format


@pytest.fixture(scope="module")
def semantic() -> Engine:
    """Two indices with a ``semantic_text`` field on one endpoint (Elasticsearch's sparse test mock); their
    ``index.query.default_field`` weights it differently, and ``only_lexical`` has no semantic field."""
    e = Engine()
    endpoint = {"service": "test_service", "service_settings": {"model": "m", "api_key": "k"}, "task_settings": {}}
    e.inference.put(task_type="sparse_embedding", inference_id="sparse", body=endpoint)
    properties = {"s": {"type": "semantic_text", "inference_id": "sparse"}, "t": {"type": "text"}}
    for index, default_field in (("sem1", ["s", "t"]), ("sem2", ["s^2", "t"]), ("sem3", ["s", "t"])):
        e.indices.create(
            index=index, settings={"index.query.default_field": default_field}, mappings={"properties": properties}
        )
        e.index(index=index, id=f"{index}-1", document={"s": "blue sky", "t": "blue"}, refresh=True)
    e.indices.create(index="only_lexical", mappings={"properties": {"t": {"type": "text"}}})
    e.index(index="only_lexical", id="lex-1", document={"t": "blue"}, refresh=True)
    return e


def test_a_field_weighted_differently_per_index_is_an_error(semantic: Engine) -> None:
    with pytest.raises(ApiError) as err:
        semantic.search(index="sem1,sem2", retriever={"rrf": {"query": "blue"}})
    assert err.value.status_code == 400
    assert err.value.body["error"]["type"] == "illegal_argument_exception"
    assert err.value.body["error"]["reason"] == "field [s] has different weights in indices [sem1] and [sem2]"


def test_one_child_tree_over_every_index(semantic: Engine) -> None:
    # lexical: t on every index (one multi_match); semantic: s only where mapped (filtered on _index)
    resp = semantic.search(index="sem1,sem3,only_lexical", retriever={"rrf": {"query": "blue"}})
    # the three lexical scores tie (one identical document per index): global ranks in index order,
    # only_lexical first; the semantic group (an inner rrf over its one field) ranks sem1-1, then sem3-1
    assert_hits(
        resp,
        [
            ("sem1", "sem1-1", rrf_score(2, 1)),
            ("sem3", "sem3-1", rrf_score(3, 2)),
            ("only_lexical", "lex-1", rrf_score(1)),
        ],
    )
    assert resp["hits"]["total"]["value"] == 3
