"""share_subtrees: identical retriever sub-trees (same canonical AST, same window) run once per search."""

from __future__ import annotations

import pytest

from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.query import Bm25Score
from retrievo.planner.profile import ProfileCollector
from tests.planner.conftest import knn, outcome, same_with_rule_off, std

V = [0.0, 0.2, -0.1, 0.4]
LEXICAL = std(
    {"bool": {"should": [{"match": {"body": {"query": "apple fig", "_name": "fruit"}}}, {"match": {"title": "kiwi"}}]}}
)
BODY = {
    "retriever": {
        "rrf": {
            "retrievers": [
                LEXICAL,
                {
                    "linear": {
                        "retrievers": [
                            {"retriever": LEXICAL, "normalizer": "minmax"},
                            {"retriever": knn(V), "normalizer": "minmax"},
                        ]
                    }
                },
            ]
        }
    }
}


def _runs(plan):
    ctx = plan.context(profiler=ProfileCollector())
    plan.execute(ctx)
    return {id(op): ctx.profiler.of(op).runs for op in walk(plan.root)}


def test_plan_before_and_after(engine):
    after = engine.plan(index="docs", body=BODY)
    before = after.with_rules(share_subtrees=False)
    rrf_after, rrf_before = after.root.child, before.root.child
    linear_after, linear_before = rrf_after.children_ops[1], rrf_before.children_ops[1]
    assert rrf_after.children_ops[0] is linear_after.children_ops[0]  # one operator, two parents
    assert rrf_before.children_ops[0] is not linear_before.children_ops[0]  # two equal copies
    text = after.explain()
    assert "├─ TopDocs(k=10) [shared #1]" in text
    assert "├─ TopDocs → shared #1, runs once" in text
    assert "share_subtrees: 1 duplicate sub-tree(s) run once" in text
    assert after.to_dict()["physical"]["children"][0]["children"][1]["children"][0] == {
        "operator": "TopDocs",
        "shared": "#1",
        "children": [],
    }


def test_shared_operators_run_once(engine):
    after = engine.plan(index="docs", body=BODY)
    shared = after.root.child.children_ops[0]
    runs = _runs(after)
    assert runs[id(shared)] == 1
    assert all(n == 1 for n in runs.values())
    before = after.with_rules(share_subtrees=False)
    copies = [before.root.child.children_ops[0], before.root.child.children_ops[1].children_ops[0]]
    runs = _runs(before)
    assert [runs[id(c)] for c in copies] == [1, 1]


def test_equal_queries_planned_for_different_windows_share_their_scoring(engine):
    body = {
        "retriever": {
            "rrf": {
                "rank_window_size": 5,
                "retrievers": [LEXICAL, {"rrf": {"rank_window_size": 20, "retrievers": [LEXICAL, knn(V)]}}],
            }
        },
        "size": 5,
    }
    after = engine.plan(index="docs", body=body)
    scorers = [op for op in walk(after.root) if isinstance(op, Bm25Score)]
    assert len(scorers) == 2 and scorers[0].query is scorers[1].query
    assert "1 scoring(s) share an equal query" in after.explain()
    before = after.with_rules(share_subtrees=False)
    a, b = [op for op in walk(before.root) if isinstance(op, Bm25Score)]
    assert a.query == b.query and a.query is not b.query
    same_with_rule_off(engine, body, "share_subtrees")


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        {**BODY, "explain": True, "size": 5},
        {
            "retriever": {
                "rrf": {
                    "retrievers": [
                        knn(V, k=7),
                        {"rrf": {"retrievers": [knn(V, k=7), LEXICAL]}},
                        {"rrf": {"retrievers": [knn(V, k=7), LEXICAL]}},
                    ]
                }
            }
        },
    ],
)
def test_results_are_identical_with_the_rule_off(engine, body):
    same_with_rule_off(engine, body, "share_subtrees")


def test_a_failing_shared_child_fails_every_parent_alike(engine):
    bad = {"knn": {"field": "title", "query_vector": V, "k": 3, "num_candidates": 5}}
    body = {"retriever": {"rrf": {"retrievers": [bad, {"rrf": {"retrievers": [bad, LEXICAL]}}]}}}
    on = engine.plan(index="docs", body=body)
    assert on.physical.shared == 1
    got = outcome(on)
    assert got == outcome(on.with_rules(share_subtrees=False))
    assert got["error"]["error"]["reason"].startswith("[rrf] search failed - retrievers '[knn, rrf]' returned errors.")
