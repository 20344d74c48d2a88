"""rrf and linear: fused scores recomputed here from child results (float32, as Elasticsearch),
windows, totals, filters pushed into children, validation, child-failure wrapping and explain."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo import ApiError, BadRequestError, Engine
from retrievo.errors import error_reason

F32 = np.float32


@pytest.fixture(scope="module")
def e() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="t",
        mappings={
            "properties": {
                "text": {"type": "text"},
                "g": {"type": "keyword"},
                "vec": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "flat"}},
            }
        },
    )
    ops = []
    for i in range(12):
        ops += [
            {"index": {"_index": "t", "_id": str(i)}},
            {
                "text": " ".join(["apple"] * (i % 5 + 1)) + (" pear" if i % 3 == 0 else ""),
                "g": "even" if i % 2 == 0 else "odd",
                "vec": [float(i), 1.0],
            },
        ]
    engine.bulk(operations=ops, refresh=True)
    return engine


STD = {"standard": {"query": {"match": {"text": "apple pear"}}}}
KNN = {"knn": {"field": "vec", "query_vector": [3.0, 1.0], "k": 6, "num_candidates": 12}}


def _child(e: Engine, retriever: dict, window: int) -> list[tuple[str, float]]:
    hits = e.search(index="t", retriever=retriever, size=window)["hits"]["hits"]
    return [(h["_id"], h["_score"]) for h in hits]


def _order(scores: dict[str, np.float32]) -> list[str]:
    return sorted(scores, key=lambda d: (-scores[d], int(d)))


def test_rrf_scores_follow_ranks_only(e):
    window, k = 8, 20
    children = [_child(e, STD, window), _child(e, KNN, window)]
    weights = [F32(0.7), F32(2.0)]
    want: dict[str, np.float32] = {}
    for w, child in zip(weights, children):
        for rank, (doc, _) in enumerate(child, 1):
            want[doc] = F32(want.get(doc, F32(0)) + F32(w * (F32(1) / F32(k + rank))))
    resp = e.search(
        index="t",
        size=window,
        retriever={
            "rrf": {
                "retrievers": [{"retriever": STD, "weight": 0.7}, {"retriever": KNN, "weight": 2.0}],
                "rank_constant": k,
                "rank_window_size": window,
            }
        },
    )
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == _order(want)[:window]
    assert all(F32(h["_score"]) == want[h["_id"]] for h in hits)
    std_total = e.search(index="t", retriever=STD)["hits"]["total"]["value"]
    knn_ids = {d for d, _ in _child(e, KNN, 12)}
    std_ids = {h["_id"] for h in e.search(index="t", retriever=STD, size=50)["hits"]["hits"]}
    assert resp["hits"]["total"]["value"] == len(std_ids | knn_ids) >= std_total  # union of child matches


def test_linear_minmax_and_l2(e):
    window = 6
    std, knn = _child(e, STD, window), _child(e, KNN, window)
    s = np.array([x for _, x in std], dtype=F32)
    mm = (s - s.min()) / F32(s.max() - s.min())
    v = np.array([x for _, x in knn], dtype=F32)
    l2 = v / F32(np.sqrt((v.astype(np.float64) ** 2).sum()))
    want: dict[str, np.float32] = {}
    for (doc, _), n in zip(std, mm):
        want[doc] = F32(want.get(doc, F32(0)) + F32(F32(3) * F32(n)))
    for (doc, _), n in zip(knn, l2):
        want[doc] = F32(want.get(doc, F32(0)) + F32(F32(1) * F32(n)))
    resp = e.search(
        index="t",
        size=window,
        retriever={
            "linear": {
                "rank_window_size": window,
                "retrievers": [
                    {"retriever": STD, "weight": 3, "normalizer": "minmax"},
                    {"retriever": KNN, "normalizer": "l2_norm"},
                ],
            }
        },
    )
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == _order(want)[:window]
    for h in hits:
        assert F32(h["_score"]) == (want[h["_id"]] if want[h["_id"]] > 0 else F32(1.4e-45))


def test_filters_reach_every_child_and_paging_is_over_the_window(e):
    resp = e.search(index="t", size=10, retriever={"rrf": {"retrievers": [STD, KNN], "filter": {"term": {"g": "odd"}}}})
    assert resp["hits"]["hits"] and all(int(h["_id"]) % 2 == 1 for h in resp["hits"]["hits"])
    page = e.search(index="t", size=3, from_=9, retriever={"rrf": {"retrievers": [STD, KNN], "rank_window_size": 10}})
    assert len(page["hits"]["hits"]) == 1  # from + size beyond the window: fewer hits, not an error


def test_validation_errors(e):
    with pytest.raises(BadRequestError) as info:
        e.search(index="t", size=20, retriever={"rrf": {"retrievers": [STD]}})
    assert info.value.body["error"]["type"] == "action_request_validation_exception"
    assert "[rrf] requires [rank_window_size: 10] be greater than or equal to [size: 20]" in error_reason(info.value)
    with pytest.raises(BadRequestError) as info:
        e.search(index="t", retriever={"linear": {"retrievers": [{"retriever": STD}], "rank_window_size": -10}})
    assert "[rank_window_size] parameter cannot be negative, found [-10]" in error_reason(info.value)
    with pytest.raises(BadRequestError) as info:
        e.search(
            index="t",
            retriever={
                "rrf": {"rank_window_size": 10, "retrievers": [{"rrf": {"retrievers": [STD], "rank_window_size": 5}}]}
            },
        )
    assert "to be smaller than or equal to its sub retriever's rrf [rank_window_size: 5]" in error_reason(info.value)


def test_child_failure_is_wrapped(e):
    with pytest.raises(ApiError) as info:
        e.search(
            index="t",
            retriever={
                "rrf": {
                    "retrievers": [
                        STD,
                        {"knn": {"field": "text", "query_vector": [1.0, 0.0], "k": 1, "num_candidates": 1}},
                    ]
                }
            },
        )
    body = info.value.body["error"]
    assert body["reason"].startswith("[rrf] search failed - retrievers '[knn]' returned errors.")
    assert (
        body["root_cause"][0]["suppressed"][0]["reason"] == "[knn] queries are only supported on [dense_vector] fields"
    )
    assert info.value.status_code == 400


def test_global_min_score_cuts_fused_scores(e):
    full = e.search(index="t", retriever={"rrf": {"retrievers": [STD, KNN]}})["hits"]["hits"]
    cut = full[2]["_score"]
    resp = e.search(index="t", retriever={"rrf": {"retrievers": [STD, KNN]}}, min_score=cut)
    assert [h["_id"] for h in resp["hits"]["hits"]] == [h["_id"] for h in full[:3]]
    assert resp["hits"]["total"]["value"] == 3


def test_rrf_explain_format(e):
    resp = e.search(
        index="t",
        size=2,
        explain=True,
        retriever={
            "rrf": {
                "rank_constant": 1,
                "retrievers": [{"standard": {"query": {"match": {"text": "pear"}}, "_name": "lexical"}}, KNN],
            }
        },
    )
    top = resp["hits"]["hits"][0]["_explanation"]
    assert top["value"] == resp["hits"]["hits"][0]["_score"]
    assert top["description"].startswith("rrf score: [")
    assert "with rankConstant: [1]" in top["description"]
    ranks = [d["value"] for d in top["details"]]
    assert all(isinstance(r, int) for r in ranks)
    for d in top["details"]:
        if d["value"]:
            assert "for rank [" in d["description"]
    knn_detail = top["details"][1]
    if knn_detail["value"]:
        assert knn_detail["details"][0]["details"][0]["description"].startswith(
            "found vector with calculated similarity"
        )
