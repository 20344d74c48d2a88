"""push_down_filters: a compound's filters move to the leaves in the logical plan; results unchanged."""

from __future__ import annotations

import pytest

from tests.planner.conftest import knn, same_with_rule_off, std

V = [0.3, -0.2, 0.5, 0.1]
TAG_A = {"term": {"tag": "a"}}
RECENT = {"range": {"year": {"gte": 2005}}}


def _logical(plan):
    return plan.to_dict()["logical"]["children"][0]


def test_plan_before_and_after(engine):
    body = {"retriever": {"rrf": {"retrievers": [std({"match": {"body": "apple"}}), knn(V)], "filter": TAG_A}}}
    after = engine.plan(index="docs", body=body)
    before = after.with_rules(push_down_filters=False)
    tag = '[{"term":{"tag":{"value":"a"}}}]'
    rrf_before, rrf_after = _logical(before), _logical(after)
    assert rrf_before["params"]["filter"] == tag
    assert all("filter" not in c["params"] for c in rrf_before["children"])
    assert "filter" not in rrf_after["params"]
    assert [c["params"]["filter"] for c in rrf_after["children"]] == [tag, tag]
    # the physical plan is the same either way: the filter reaches the BM25 mask and the kNN pre-filter
    text = after.explain()
    assert "Filter(filters=[tag:a])" in text and "prefilter=[tag:a]" in text


def test_nested_compounds_append_parent_filters_after_their_own(engine):
    body = {
        "retriever": {
            "rrf": {
                "filter": TAG_A,
                "retrievers": [
                    {
                        "linear": {
                            "filter": RECENT,
                            "retrievers": [
                                {"retriever": std({"match": {"body": "pear"}}), "normalizer": "minmax"},
                                {"retriever": knn(V), "normalizer": "minmax"},
                            ],
                        }
                    },
                    std({"match": {"body": "plum"}}, filter={"term": {"tag": "b"}}),
                ],
            }
        }
    }
    plan = engine.plan(index="docs", body=body)
    linear, standard = plan.logical.retrievers[0].retriever, plan.logical.retrievers[1].retriever
    assert linear.filter == () and plan.logical.filter == ()
    for leaf in (e.retriever for e in linear.retrievers):
        assert [f.to_json() for f in leaf.filter] == [
            {"range": {"year": {"gte": 2005}}},
            {"term": {"tag": {"value": "a"}}},
        ]
    assert [f.to_json() for f in standard.filter] == [
        {"term": {"tag": {"value": "b"}}},
        {"term": {"tag": {"value": "a"}}},
    ]
    same_with_rule_off(engine, body, "push_down_filters")


def test_a_filter_the_child_already_has_is_not_added_twice(engine):
    body = {
        "retriever": {"rrf": {"filter": TAG_A, "retrievers": [std({"match": {"body": "fig"}}, filter=TAG_A), knn(V)]}}
    }
    plan = engine.plan(index="docs", body=body)
    assert len(plan.logical.retrievers[0].retriever.filter) == 1
    assert len(plan.with_rules(push_down_filters=False).logical.filter) == 1  # still on the rrf
    # explaining lists every clause, as Elasticsearch's explanation does: duplicates stay
    explained = engine.plan(index="docs", body={**body, "explain": True})
    assert len(explained.logical.retrievers[0].retriever.filter) == 2
    same_with_rule_off(engine, {**body, "explain": True}, "push_down_filters")


@pytest.mark.parametrize(
    "body",
    [
        {
            "retriever": {"rrf": {"filter": TAG_A, "retrievers": [std({"match": {"body": "apple kiwi"}}), knn(V)]}},
            "size": 5,
        },
        {
            "retriever": {
                "linear": {
                    "filter": [TAG_A, RECENT],
                    "rank_window_size": 20,
                    "retrievers": [
                        {"retriever": std({"match": {"title": "lime"}}), "weight": 2, "normalizer": "minmax"},
                        {"retriever": knn(V, k=15), "normalizer": "l2_norm"},
                    ],
                }
            },
            "size": 20,
        },
        {
            "retriever": {
                "rrf": {
                    "filter": RECENT,
                    "retrievers": [
                        {"rrf": {"filter": TAG_A, "retrievers": [std({"match": {"body": "date"}}), knn(V)]}},
                        std({"match": {"body": "grape"}}),
                    ],
                }
            },
            "explain": True,
        },
    ],
)
def test_results_are_identical_with_the_rule_off(engine, body):
    same_with_rule_off(engine, body, "push_down_filters")
