"""Each distinct filter is evaluated once per search into one bitset that every user shares
(physical stage).

A filter pushed into three children is compiled three times, into three equal but separate query
objects; the evaluator memoises by object, so it would compute the same document set three times.
This rule makes equal filters (by value) the very same object across the whole plan: the first
operator that needs it evaluates it into a boolean mask over all documents, and every other user —
a ``Filter`` masking BM25 matches, a ``VectorSearch`` handing it to FAISS as its id selector — reads
that mask. Filters used by more than one operator are listed as the plan's bitsets.

While the rule is on, the planner already compiles each distinct filter once per plan (a filter
pushed into three children is compiled once), so usually there is nothing left to rebuild; the rule
still interns what only became equal later (``simplify_filters`` turning ``bool{filter:[x]}`` into
``x``) and records the bitsets.
"""

from __future__ import annotations

from retrievo.lucene.query import LQuery
from retrievo.planner.operator_tree import rebuild
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "share_filter_bitsets"
STAGE = "physical"


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    canonical: dict[LQuery, LQuery] = {}
    users: dict[int, int] = {}
    targets: dict[int, tuple[LQuery, ...]] = {}
    for op in plan.ops:
        filters = op.filter_queries()
        if not filters:
            continue
        shared = []
        for f in filters:
            try:
                one = canonical.setdefault(f, f)
            except TypeError:  # a value that cannot be hashed is simply not shared
                one = f
            users[id(one)] = users.get(id(one), 0) + 1
            shared.append(one)
        if any(a is not b for a, b in zip(shared, filters)):
            targets[id(op)] = tuple(shared)
    bitsets = tuple(f for f in canonical.values() if users[id(f)] > 1)
    if not bitsets:
        return plan
    root = plan.root
    if targets:
        root = rebuild(
            root, lambda original, op: op.with_filter_queries(targets[id(original)]) if id(original) in targets else op
        )
    uses = sum(users[id(f)] for f in bitsets)
    return plan.noted(NAME, f"{len(bitsets)} filter(s) evaluated once for {uses} users", root=root, bitsets=bitsets)
