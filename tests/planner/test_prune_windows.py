"""prune_windows: a child materialises only what its parent reads; and the parent reads only its window."""

from __future__ import annotations

import pytest

from retrievo import Engine
from tests.planner.conftest import ids, knn, same_with_rule_off, std

V = [0.4, 0.4, -0.2, 0.1]
A = std({"match": {"body": "apple pear plum"}})
B = knn(V, k=12, num_candidates=90)
C = std({"match": {"title": "fig kiwi pear"}})
INNER = {"rrf": {"retrievers": [A, B], "rank_window_size": 12}}
BODY = {"retriever": {"rrf": {"retrievers": [INNER, C], "rank_window_size": 4}}, "size": 2, "from": 1}


def _ranked(*ids: int) -> dict:
    """A standard retriever ranking the given docs in this order (constant scores, falling)."""
    return std(
        {
            "bool": {
                "should": [
                    {"constant_score": {"filter": {"term": {"key": str(d)}}, "boost": 10 - i}}
                    for i, d in enumerate(ids)
                ]
            }
        }
    )


@pytest.fixture(scope="module")
def small():
    e = Engine()
    e.indices.create(index="s", mappings={"properties": {"key": {"type": "keyword"}}})
    ops = []
    for d in range(1, 9):
        ops += [{"index": {"_index": "s", "_id": str(d)}}, {"key": str(d)}]
    e.bulk(operations=ops, refresh=True)
    return e


def test_a_compound_child_contributes_only_its_parents_window(small):
    # Elasticsearch runs each child as a search of size = the parent's rank_window_size: the inner rrf
    # hands over its top 2 ([1, 2]), not its whole window — doc 5 (inner rank 5) gets nothing from it.
    inner = {"rrf": {"retrievers": [_ranked(1, 2, 3, 4, 5), _ranked(1, 2, 3, 4, 5)], "rank_window_size": 10}}
    body = {"retriever": {"rrf": {"retrievers": [inner, _ranked(5, 6)], "rank_window_size": 2}}, "size": 2}
    for rules in ({}, {"optimized": False}):
        plan = small.plan(index="s", body=body).with_rules(**rules)
        assert ids(plan) == ["1", "5"]  # 1/61 each, tie broken by doc id; not [5, 1]
    assert [h["_id"] for h in small.search(index="s", body=body)["hits"]["hits"]] == ["1", "5"]


def test_plan_before_and_after(engine):
    after = engine.plan(index="docs", body=BODY)
    before = after.with_rules(prune_windows=False)
    outer, inner = after.root.child, after.root.child.children_ops[0]
    assert (outer.limit, inner.limit) == (3, 4)  # from + size; the outer window
    assert before.root.child.limit is None and before.root.child.children_ops[0].limit is None
    text = after.explain()
    assert "RrfFuse(rank_constant=60, rank_window_size=4) [emits 3]" in text
    assert "RrfFuse(rank_constant=60, rank_window_size=12) [emits 4]" in text
    assert "prune_windows: outputs cut to what the parent reads: RrfFuse 4→3, RrfFuse 12→4" in text
    assert "[emits" not in before.explain()
    _, after_run = after.execute()
    _, before_run = before.execute()
    assert len(after_run.trace[inner].scores) == 4
    assert len(before_run.trace[before.root.child.children_ops[0]].scores) == 12


def test_a_child_shared_by_parents_with_different_windows_keeps_the_larger(engine):
    shared = {"rrf": {"retrievers": [A, B], "rank_window_size": 30}}
    body = {
        "retriever": {
            "rrf": {
                "rank_window_size": 5,
                "retrievers": [shared, {"rrf": {"rank_window_size": 20, "retrievers": [shared, C]}}],
            }
        },
        "size": 5,
    }
    plan = same_with_rule_off(engine, body, "prune_windows")
    kept = plan.root.child.children_ops[0]
    assert getattr(kept, "shared", False) and kept.limit == 20


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        {**BODY, "explain": True},
        {"retriever": {"rrf": {"retrievers": [INNER, C], "rank_window_size": 6, "min_score": 0.0162}}, "size": 3},
        {
            "retriever": {
                "linear": {
                    "rank_window_size": 5,
                    "retrievers": [
                        {
                            "retriever": {"rrf": {"retrievers": [A, B], "rank_window_size": 15, "min_score": 0.016}},
                            "normalizer": "minmax",
                        },
                        {"retriever": C, "normalizer": "minmax"},
                    ],
                }
            },
            "size": 2,
            "from": 4,
        },
        {"retriever": {"rrf": {"retrievers": [INNER, C], "rank_window_size": 4}}, "size": 0},
    ],
)
def test_results_are_identical_with_the_rule_off(engine, body):
    same_with_rule_off(engine, body, "prune_windows")
