"""An ``rrf`` with a single child, inside another ``rrf``, is replaced by that child (physical stage).

``rrf`` only looks at ranks. A one-child ``rrf`` scores its child's documents ``w / (k + rank)``,
which falls strictly with the rank, so it hands the parent the same documents in the same order,
and the same matched set (for ``hits.total``); the parent, reading ranks only, cannot tell the
difference. Nested ``rrf`` with several children is never flattened: fusing fused ranks is not
fusing the children's ranks.

The rule only applies where that argument holds to the last bit:

* the inner ``rrf`` has no ``min_score`` and its child none either (both change ``hits.total``);
* its weight and ``rank_constant + rank_window_size`` keep ``w / (k + rank)`` distinct in float32
  for every rank of the window (so no two ranks tie and fall back to doc-id order);
* the search does not explain its hits (the explanation would lose a level);
* the parent is an ``rrf`` (``linear`` reads scores, not ranks).

The child keeps the window it was planned with (the inner ``rank_window_size``), and the parent still
cuts it to its own window. A failure of the child is wrapped exactly as the inner ``rrf`` would
have wrapped it.
"""

from __future__ import annotations

from dataclasses import replace

from retrievo.planner.operator_tree import transform
from retrievo.planner.operators.base import Operator
from retrievo.planner.operators.fusion import RrfFuse
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "flatten_single_child_rrf"
STAGE = "physical"

#: ``1 / (k + rank)`` stays distinct between neighbouring ranks in float32 well below 2^23.
MAX_RANK_SPAN = 1 << 20
MIN_WEIGHT, MAX_WEIGHT = 1e-6, 1e6


def flattenable(op: Operator) -> bool:
    return (
        isinstance(op, RrfFuse)
        and len(op.children_ops) == 1
        and op.min_score is None
        and not op.child_min_score
        and op.fanout is None
        and op.limit is None
        and not op.shared
        and MIN_WEIGHT <= op.weights[0] <= MAX_WEIGHT
        and op.rank_constant + op.window <= MAX_RANK_SPAN
    )


def lift(inner: RrfFuse) -> Operator:
    """The inner rrf's child, labelled so its failures are wrapped as the inner rrf wrapped them."""
    child = inner.children_ops[0]
    origin = child.origin
    assert origin is not None  # every child of a fusion is the top of a retriever's chain
    label = inner.child_names[0] or child.retriever_kind
    return replace(
        child,
        origin=replace(
            origin, flattened_from=origin.flattened_from + ((inner.kind, label),), retriever_kind=inner.retriever_kind
        ),
    )


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    if (
        env.explaining
        or not plan.has_compound
        or not any(isinstance(op, RrfFuse) and any(flattenable(c) for c in op.children_ops) for op in plan.ops)
    ):
        return plan
    count = 0

    def flatten(op: Operator) -> Operator:
        nonlocal count
        if not isinstance(op, RrfFuse) or not any(flattenable(c) for c in op.children_ops):
            return op
        kids = []
        for c in op.children_ops:
            if flattenable(c):
                assert isinstance(c, RrfFuse)
                kids.append(lift(c))
                count += 1
            else:
                kids.append(c)
        return replace(op, children_ops=tuple(kids))

    root = transform(plan.root, flatten)
    if not count:
        return plan
    return plan.noted(NAME, f"{count} single-child rrf removed", root=root)
