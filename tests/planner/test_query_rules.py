"""The query rules (Lucene's own rewrites): each one's plan before and after, and the results with it off.

Unlike the plan rules, these are part of exact scoring: Elasticsearch scores the rewritten query, so
a rule that changes the order of float32 additions (merging duplicate clauses, inlining nested
disjunctions, turning a tie-breaker-1 dis_max into a sum) changes a score in its last bit when switched
off. The hits and their order never change; the scores are identical, or one float32 ulp apart where the
rule reorders additions — and with the rule on they are Lucene's (tests/test_bm25_golden.py checks them
against Lucene 8.8.1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.planner.conftest import outcome

CASES = [
    # (rule, request, a line of the plan with the rule on, the same line with it off, may differ by an ulp)
    (
        "unwrap_single_clause",
        {"query": {"bool": {"must": [{"match": {"body": "apple"}}]}}},
        "Bm25Score(query=body:apple)",
        "Bm25Score(query=+body:apple)",
        False,
    ),
    (
        "collapse_boosts",
        {"query": {"bool": {"should": [{"match": {"body": {"query": "apple", "boost": 2}}}], "boost": 3}}},
        "Bm25Score(query=(body:apple)^6.0)",
        "Bm25Score(query=((body:apple)^2.0)^3.0)",
        False,
    ),
    (
        "dismax_rewrite",
        {"query": {"multi_match": {"query": "apple pear", "fields": ["title", "body"], "type": "most_fields"}}},
        "Bm25Score(query=title:apple title:pear body:apple body:pear)",
        "Bm25Score(query=(title:apple title:pear | body:apple body:pear)~1.0)",
        True,
    ),
    (
        "dismax_rewrite",
        {"query": {"dis_max": {"queries": [{"match": {"body": "apple"}}]}}},
        "Bm25Score(query=body:apple)",
        "Bm25Score(query=(body:apple))",
        False,
    ),
    (
        "merge_duplicate_clauses",
        {"query": {"match": {"body": "apple apple apple pear"}}},
        "Bm25Score(query=(body:apple)^3.0 body:pear)",
        "Bm25Score(query=body:apple body:apple body:apple body:pear)",
        True,
    ),
    (
        "flatten_disjunctions",
        {"query": {"bool": {"should": [{"match": {"body": "apple pear"}}, {"match": {"title": "fig kiwi"}}]}}},
        "Bm25Score(query=body:apple body:pear title:fig title:kiwi)",
        "Bm25Score(query=(body:apple body:pear) (title:fig title:kiwi))",
        True,
    ),
]


@pytest.mark.parametrize("rule,body,after,before,reorders", CASES, ids=[c[0] for c in CASES])
def test_plan_before_and_after(
    engine, rule: str, body: dict[str, Any], after: str, before: str, reorders: bool
) -> None:
    plan = engine.plan(index="docs", body=body)
    off = plan.with_rules(**{rule: False})
    assert after in plan.explain() and before not in plan.explain()
    assert before in off.explain() and f"disabled: {rule}" in off.explain()


@pytest.mark.parametrize("rule,body,after,before,reorders", CASES, ids=[c[0] for c in CASES])
def test_results_with_the_rule_off(
    engine, rule: str, body: dict[str, Any], after: str, before: str, reorders: bool
) -> None:
    plan = engine.plan(index="docs", body={**body, "size": 100})
    on, off = outcome(plan), outcome(plan.with_rules(**{rule: False}))
    assert on["docs"] and on["docs"] == off["docs"] and on["total"] == off["total"]
    got, want = np.array(off["scores"], dtype=np.float32), np.array(on["scores"], dtype=np.float32)
    if reorders:
        ulps = np.abs(got.view(np.int32) - want.view(np.int32))
        # the rounding the rule exists to reproduce: one term at boost 3 (3 x 2.2f in float) against
        # three at boost 1, summed
        assert 1 <= ulps.max() <= 2
    else:
        assert np.array_equal(got, want)
