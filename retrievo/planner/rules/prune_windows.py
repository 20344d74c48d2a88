"""A child hands its parent only as many results as the parent can use (physical stage).

Elasticsearch runs every child of a compound retriever as a search of ``size = rank_window_size``
of the *parent*, so a nested ``rrf`` with window 100 under an ``rrf`` with window 10 contributes
its top 10; the page at the top uses ``from + size`` of the root's window. The parent always cuts
what it receives (that is the semantics, see :mod:`retrievo.planner.children`); this rule moves the
cut into the child, which then materialises only that many results (its fused or reranked list,
its explanation scores, its result arrays) instead of building its whole window for the parent to
throw away.

What a child computes *before* its output is untouched: a fusion still fuses its whole window, a
reranker still scores every document of its window (the top 10 of a reranked 100 need all 100
scores), and ``hits.total`` is counted before the cut — so results are identical.
"""

from __future__ import annotations

from collections.abc import Iterable

from retrievo.planner.operator_tree import rebuild, updated
from retrievo.planner.operators.base import Operator
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "prune_windows"
STAGE = "physical"


def needs(ops: Iterable[Operator]) -> dict[int, int]:
    """For each operator with a window of its own (a fusion, a reranker), the most any of its parents
    reads (``child_window``), when every parent reads a bounded number."""
    seen: dict[int, list[int | None]] = {}
    for op in ops:
        for c in op.children():
            if c.window is not None:
                seen.setdefault(id(c), []).append(op.child_window())
    return {k: max(n for n in v if n is not None) for k, v in seen.items() if None not in v}


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    if not plan.has_compound:
        return plan
    targets: dict[int, int] = {}
    pruned: list[str] = []
    need = needs(plan.ops)
    for op in plan.ops:
        n = need.get(id(op))
        if n is None or op.window is None or n >= op.window:
            continue
        if op.limit is not None and op.limit <= n:
            continue
        targets[id(op)] = n
        pruned.append(f"{op.name} {op.window}→{n}")
    if not targets:
        return plan
    root = rebuild(
        plan.root, lambda original, op: updated(op, limit=targets[id(original)]) if id(original) in targets else op
    )
    return plan.noted(NAME, "outputs cut to what the parent reads: " + ", ".join(pruned), root=root)
