"""Identical sub-trees anywhere in the plan are executed once per search (physical stage).

Two children are identical when their retrievers have the same canonical form (``node.canonical()``,
after filter push-down) and are planned for the same window: they would produce the same ranked list,
so the first is kept and every later occurrence points at it. The plan becomes a DAG; at run time the
first parent to ask runs the shared operator and the others receive its result (or its error) —
also when the parents run on different threads.

Scoring is shared one level lower as well: ``standard`` retrievers whose compiled queries are equal
(the same query planned for two different windows, say) score through one query object, which the
evaluator computes once.

Named queries of a dropped copy are re-pointed at the kept copy's kNN results, so
``matched_queries`` stay as they were.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from retrievo.lucene.query import BoolQ, BoostQ, ConstQ, DisMaxQ, KnnHitsQ, LQuery, NamedQ
from retrievo.planner.operator_tree import transform, walk, with_children
from retrievo.planner.operators.base import Operator
from retrievo.planner.operators.query import NamedQueries
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "share_subtrees"
STAGE = "physical"


def signature(op: Operator) -> tuple[Any, ...] | None:
    """What makes two retriever sub-trees interchangeable; ``None`` for operators below a retriever."""
    origin = op.origin
    if origin is None:
        return None
    return (origin.retriever.canonical(), origin.k, origin.flattened_from, origin.retriever_kind)


def _slots(op: Operator) -> list[int]:
    return [slot for o in walk(op, distinct=False) for slot in o.knn_slots()]


def remap_slots(q: LQuery, mapping: dict[int, int]) -> LQuery:
    if isinstance(q, KnnHitsQ):
        return replace(q, slot=mapping[q.slot]) if q.slot in mapping else q
    if isinstance(q, BoolQ):
        return BoolQ(
            must=tuple(remap_slots(c, mapping) for c in q.must),
            should=tuple(remap_slots(c, mapping) for c in q.should),
            filter=tuple(remap_slots(c, mapping) for c in q.filter),
            must_not=tuple(remap_slots(c, mapping) for c in q.must_not),
            msm=q.msm,
        )
    if isinstance(q, DisMaxQ):
        return DisMaxQ(tuple(remap_slots(c, mapping) for c in q.queries), q.tie)
    if isinstance(q, (BoostQ, ConstQ, NamedQ)):
        return replace(q, query=remap_slots(q.query, mapping))
    return q


def _dedupe(root: Operator) -> tuple[Operator, dict[int, int], int]:
    """The tree with later copies of a retriever sub-tree replaced by the first; the kNN slot map of
    the dropped copies; how many copies were dropped."""
    first: dict[tuple[Any, ...], tuple[Operator, Operator]] = {}
    slot_map: dict[int, int] = {}
    dropped = 0

    def visit(op: Operator) -> Operator:
        nonlocal dropped
        key = signature(op)
        if key is not None and key in first:
            original, kept = first[key]
            slot_map.update(zip(_slots(op), _slots(original)))
            dropped += 1
            return kept
        new = with_children(op, tuple(visit(c) for c in op.children()))
        if key is not None:
            first[key] = (op, new)
        return new

    return visit(root), slot_map, dropped


def _mark_shared(root: Operator) -> tuple[Operator, int]:
    edges: dict[int, int] = {}
    for op in walk(root):
        for c in op.children():
            edges[id(c)] = edges.get(id(c), 0) + 1
    marked = {k for k, n in edges.items() if n > 1}
    if not marked:
        return root, 0

    done: dict[int, Operator] = {}

    def visit(op: Operator) -> Operator:
        hit = done.get(id(op))
        if hit is not None:
            return hit
        new = with_children(op, tuple(visit(c) for c in op.children()))
        if id(op) in marked:
            new = replace(new, shared=True)
        done[id(op)] = new
        return new

    return visit(root), len(marked)


def _share_queries(root: Operator) -> tuple[Operator, int]:
    canonical: dict[LQuery, LQuery] = {}
    shared = 0

    def share(op: Operator) -> Operator:
        nonlocal shared
        own = op.scoring_query()
        if own is None:
            return op
        try:
            query = canonical.setdefault(own, own)
        except TypeError:
            return op
        if query is own:
            return op
        shared += 1
        return op.with_scoring_query(query)

    return transform(root, share), shared


def _may_repeat(ops: tuple[Operator, ...]) -> bool:
    """Whether two retriever sub-trees could be equal: same kind and window (cheap; the canonical
    form is only computed when this says yes)."""
    seen: set[tuple[Any, ...]] = set()
    for op in ops:
        if op.origin is not None:
            key = (type(op), op.origin.retriever.kind, op.origin.k)
            if key in seen:
                return True
            seen.add(key)
    return False


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    if not plan.has_compound:
        return plan  # a single retriever has one query and no repeated sub-tree
    root, dropped, marked = plan.root, 0, 0
    slot_map: dict[int, int] = {}
    if _may_repeat(plan.ops):
        root, slot_map, dropped = _dedupe(plan.root)
        root, marked = _mark_shared(root)
    queries = 0
    if sum(op.scoring_query() is not None for op in (plan.ops if root is plan.root else walk(root))) > 1:
        root, queries = _share_queries(root)
    if not dropped and not queries:
        return plan
    named = plan.named
    if slot_map:
        named = NamedQueries(tuple((n, remap_slots(q, slot_map)) for n, q in plan.named.names))
    parts = []
    if dropped:
        parts.append(f"{dropped} duplicate sub-tree(s) run once")
    if queries:
        parts.append(f"{queries} scoring(s) share an equal query")
    return plan.noted(NAME, "; ".join(parts), root=root, named=named, shared=plan.shared + marked)
