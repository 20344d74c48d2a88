"""parallel_branches: expensive branches of rrf/linear run on threads, with results identical to serial."""

from __future__ import annotations

import threading

import pytest

from retrievo.planner import parallel
from retrievo.planner.children import run_children
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.base import Operator
from retrievo.planner.operators.fusion import FusionOperator
from tests.planner.conftest import knn, outcome, same_with_rule_off, std

V = [0.2, -0.5, 0.1, 0.3]
BODY = {
    "retriever": {
        "rrf": {
            "filter": {"term": {"tag": "b"}},
            "retrievers": [std({"match": {"body": "apple pear"}}), knn(V, k=20), std({"match": {"title": "plum"}})],
        }
    }
}


@pytest.fixture
def every_branch_is_expensive(monkeypatch):
    monkeypatch.setattr(parallel, "BRANCH_WORK_THRESHOLD", 0)


def test_small_searches_stay_serial(engine):
    plan = engine.plan(index="docs", body=BODY)
    assert "parallel_branches" in plan.active_rules
    assert plan.root.child.fanout is None and not plan.physical.parallel


def test_plan_before_and_after(engine, every_branch_is_expensive):
    after = engine.plan(index="docs", body=BODY)
    before = after.with_rules(parallel_branches=False)
    assert before.root.child.fanout is None
    fanout = after.root.child.fanout
    assert fanout is not None and [str(f) for f in fanout.bitsets] == ["tag:b"]
    assert "RrfFuse(rank_constant=60, rank_window_size=10) [threads, bitsets first: 1" in after.explain()
    assert "parallel_branches: branches on threads: RrfFuse (3 heavy branches)" in after.explain()
    assert "[threads" not in before.explain()


def test_branches_run_on_pool_threads(engine, every_branch_is_expensive):
    """The real branches run through run_children; a probe in front of each records its thread."""
    plan = engine.plan(index="docs", body=BODY)
    fuse = plan.root.child
    assert isinstance(fuse, FusionOperator) and fuse.fanout is not None
    threads: dict[int, str] = {}

    class ThreadProbe(Operator):
        def __init__(self, i: int, op: Operator) -> None:
            self.i, self.op = i, op

        def run(self, ctx):
            threads[self.i] = threading.current_thread().name
            return self.op.execute(ctx)

    probes = tuple(ThreadProbe(i, op) for i, op in enumerate(fuse.children_ops))
    results = run_children(probes, plan.context(), fuse.window, fuse.fanout)
    assert threads[0] == threading.current_thread().name  # the caller runs the first branch
    assert threads[1].startswith("retrievo-branch") and threads[2].startswith("retrievo-branch")
    serial = run_children(fuse.children_ops, plan.context(), fuse.window, None)
    assert [r.docs.tolist() for r in results] == [r.docs.tolist() for r in serial]


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        {**BODY, "explain": True, "size": 4},
        {
            "retriever": {
                "linear": {
                    "rank_window_size": 12,
                    "retrievers": [
                        {
                            "retriever": {
                                "rrf": {
                                    "retrievers": [knn(V), std({"match": {"body": "kiwi"}})],
                                    "rank_window_size": 20,
                                }
                            },
                            "normalizer": "minmax",
                            "weight": 2,
                        },
                        {"retriever": std({"match": {"body": "lime date"}}), "normalizer": "l2_norm"},
                        {"retriever": knn([0.1, 0.1, 0.1, 0.1], k=12), "normalizer": "minmax"},
                    ],
                }
            },
            "size": 12,
        },
        {
            "retriever": {
                "rrf": {
                    "retrievers": [  # failing branches: errors reported in child order
                        {"knn": {"field": "body", "query_vector": V, "k": 3, "num_candidates": 3}},
                        std({"match": {"body": "apple"}}),
                        {"knn": {"field": "vec", "query_vector": [1.0], "k": 3, "num_candidates": 3}},
                    ]
                }
            }
        },
    ],
)
def test_results_are_identical_to_serial_execution(engine, every_branch_is_expensive, body):
    plan = same_with_rule_off(engine, body, "parallel_branches")
    assert any(getattr(op, "fanout", None) is not None for op in walk(plan.root))


def test_model_calls_are_serialised_when_branches_run_on_threads(engine, every_branch_is_expensive):
    plan = engine.plan(index="docs", body=BODY)
    ctx = plan.context()
    assert ctx.inference is not plan.inference and ctx.inference.rerank_window is not None
    serial = plan.with_rules(parallel_branches=False).context()
    assert serial.inference is plan.inference
    assert outcome(plan) == outcome(plan.with_rules(parallel_branches=False))
