"""flatten_single_child_rrf: an rrf with one child inside an rrf disappears; results (and errors) unchanged."""

from __future__ import annotations

import pytest

from retrievo.planner.operators.fusion import RrfFuse
from tests.planner.conftest import knn, outcome, same_with_rule_off, std

V = [0.1, 0.4, -0.3, 0.2]


def _single(child, window=30, **extra):
    return {"rrf": {"retrievers": [child], "rank_window_size": window, **extra}}


def test_plan_before_and_after(engine):
    body = {
        "retriever": {
            "rrf": {"retrievers": [std({"match": {"body": "apple"}}), _single(std({"match": {"body": "pear"}}))]}
        }
    }
    after = engine.plan(index="docs", body=body)
    before = after.with_rules(flatten_single_child_rrf=False)
    outer_before, outer_after = before.root.child, after.root.child
    assert isinstance(outer_before.children_ops[1], RrfFuse)
    assert outer_before.children_ops[1].children_ops[0].name == "TopDocs"
    lifted = outer_after.children_ops[1]
    assert lifted.name == "TopDocs" and lifted.k == 30  # keeps the window it was planned with
    assert "└─ TopDocs(k=30) [lifted out of rrf[standard]]" in after.explain()
    assert "flatten_single_child_rrf: 1 single-child rrf removed" in after.explain()
    same_with_rule_off(engine, body, "flatten_single_child_rrf")


@pytest.mark.parametrize(
    "inner",
    [
        _single(knn(V, k=25)),
        _single(_single(std({"match": {"body": "plum fig"}}), window=40), window=35),
        _single(
            {
                "linear": {
                    "retrievers": [
                        {"retriever": std({"match": {"body": "kiwi"}}), "normalizer": "minmax"},
                        {"retriever": knn(V), "normalizer": "minmax"},
                    ],
                    "rank_window_size": 30,
                }
            }
        ),
        {
            "rrf": {
                "retrievers": [{"retriever": std({"match": {"body": "lime"}}), "weight": 0.25}],
                "rank_window_size": 12,
                "rank_constant": 3,
            }
        },
    ],
)
def test_results_are_identical_with_the_rule_off(engine, inner):
    body = {
        "retriever": {
            "rrf": {"retrievers": [knn(V), inner, std({"match": {"body": "grape"}})], "rank_window_size": 12}
        },
        "size": 12,
    }
    plan = same_with_rule_off(engine, body, "flatten_single_child_rrf")
    assert "flatten_single_child_rrf" in plan.physical.notes


@pytest.mark.parametrize(
    "inner,why",
    [
        ({"rrf": {"retrievers": [std({"match": {"body": "apple"}}), knn(V)]}}, "two children"),
        (_single(std({"match": {"body": "apple"}}), min_score=0.01), "own min_score"),
        (_single(std({"match": {"body": "apple"}}, min_score=0.5)), "child min_score"),
        ({"rrf": {"retrievers": [{"retriever": std({"match": {"body": "apple"}}), "weight": 1e-9}]}}, "tiny weight"),
    ],
)
def test_left_alone_where_the_maths_could_differ(engine, inner, why):
    body = {"retriever": {"rrf": {"retrievers": [knn(V), inner]}}}
    plan = engine.plan(index="docs", body=body)
    assert "flatten_single_child_rrf" not in plan.physical.notes, why
    assert isinstance(plan.root.child.children_ops[1], RrfFuse)
    same_with_rule_off(engine, body, "flatten_single_child_rrf")


def test_left_alone_when_hits_are_explained(engine):
    body = {
        "explain": True,
        "retriever": {"rrf": {"retrievers": [knn(V), _single(std({"match": {"body": "pear"}}), window=10)]}},
    }
    plan = same_with_rule_off(engine, body, "flatten_single_child_rrf")
    assert "flatten_single_child_rrf" not in plan.physical.notes


def test_a_failing_child_is_wrapped_as_before(engine):
    bad = {"knn": {"field": "body", "query_vector": V, "k": 3, "num_candidates": 5}}
    body = {"retriever": {"rrf": {"retrievers": [std({"match": {"body": "apple"}}), _single(_single(bad))]}}}
    on = engine.plan(index="docs", body=body)
    assert "flatten_single_child_rrf" in on.physical.notes
    got = outcome(on)
    assert got == outcome(on.with_rules(flatten_single_child_rrf=False))
    error = got["error"]["error"]
    assert error["reason"].startswith("[rrf] search failed - retrievers '[rrf]' returned errors.")
    inner = error["root_cause"][0]["suppressed"][0]
    assert inner["reason"].startswith("[rrf] search failed - retrievers '[rrf]' returned errors.")
    assert (
        inner["suppressed"][0]["suppressed"][0]["reason"] == "[knn] queries are only supported on [dense_vector] fields"
    )
