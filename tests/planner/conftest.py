"""Fixtures and helpers for the plan-rule tests: a small real index (BM25 text, keywords, numbers and
a flat dense_vector field, so kNN is exact and deterministic) and a way to run one request's plan
with a rule on and off and compare everything a search returns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo import ApiError, Engine
from retrievo.planner.explain import explain_operator
from retrievo.planner.plan import Plan

WORDS = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "grape"]
N_DOCS = 90


def _doc(i: int) -> dict[str, Any]:
    rng = np.random.default_rng(i)
    words = [WORDS[j] for j in rng.integers(0, len(WORDS), size=3 + i % 7)]
    return {
        "title": " ".join(words[:3]),
        "body": " ".join(words),
        "tag": "abc"[i % 3],
        "year": 2000 + i % 12,
        "vec": [float(x) for x in rng.normal(size=4)],
    }


@pytest.fixture(scope="package")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="docs",
        mappings={
            "properties": {
                "title": {"type": "text"},
                "body": {"type": "text"},
                "tag": {"type": "keyword"},
                "year": {"type": "integer"},
                "vec": {"type": "dense_vector", "dims": 4, "similarity": "l2_norm", "index_options": {"type": "flat"}},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for i in range(N_DOCS):
        ops += [{"index": {"_index": "docs", "_id": str(i)}}, _doc(i)]
    e.bulk(operations=ops, refresh=True)
    return e


def std(query: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"standard": {"query": query, **extra}}


def knn(vector: list[float], k: int = 10, num_candidates: int = 50, **extra: Any) -> dict[str, Any]:
    return {"knn": {"field": "vec", "query_vector": vector, "k": k, "num_candidates": num_candidates, **extra}}


def outcome(plan: Plan) -> dict[str, Any]:
    """Everything a search answers from its plan: hits in order with scores, total, flags, named
    queries and — when the request explains — every hit's explanation; or the error body."""
    try:
        ranked, ctx = plan.execute()
    except ApiError as err:
        return {"error": err.body, "status": err.status_code}
    out: dict[str, Any] = {
        "docs": ranked.docs.tolist(),
        "scores": ranked.scores.tolist(),
        "total": ranked.total,
        "terminated_early": ranked.terminated_early,
        "named": ranked.named,
    }
    if plan.request.explain:
        out["explanations"] = [
            explain_operator(plan.root, ctx, d, s) for d, s in zip(ranked.docs.tolist(), ranked.scores.tolist())
        ]
    return out


def same_with_rule_off(engine: Engine, body: dict[str, Any], rule: str, index: str = "docs") -> Plan:
    """Plan ``body`` with every rule and with ``rule`` off; assert both give the same outcome.
    Returns the optimised plan (for further checks)."""
    on = engine.plan(index=index, body=body)
    off = on.with_rules(**{rule: False})
    assert rule in on.active_rules and rule not in off.active_rules
    got_on, got_off = outcome(on), outcome(off)
    assert got_on == got_off
    assert "error" in got_on or got_on["docs"] or on.request.size == 0  # a meaningful comparison
    return on


def ids(plan: Plan) -> list[str]:
    ranked, _ = plan.execute()
    return [plan.searcher.ids[d] for d in ranked.docs.tolist()]
