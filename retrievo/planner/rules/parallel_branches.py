"""Independent branches of an ``rrf``/``linear`` run on threads when they are worth it (physical stage).

The children of a fusion share nothing they write, so they can run at the same time; FAISS, NumPy's
vector kernels and torch release the GIL while they work. Threads are not free, so a fusion is marked
only when at least two of its branches are estimated (:mod:`retrievo.planner.costs`) to do at least
:data:`retrievo.planner.parallel.BRANCH_WORK_THRESHOLD` units of work outside the GIL (see
:func:`threaded_work`): small searches stay serial and never touch the thread pool. Filter bitsets
that several branches need are evaluated before the branches start, so no two threads compute the
same one. Results are identical to serial execution: outputs and errors are gathered in child order
(see :mod:`retrievo.planner.parallel`).
"""

from __future__ import annotations

from retrievo.lucene.query import LQuery
from retrievo.planner import parallel
from retrievo.planner.costs import CostModel
from retrievo.planner.operator_tree import rebuild, updated, walk
from retrievo.planner.operators.base import Operator
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "parallel_branches"
STAGE = "physical"


def shared_bitsets(branches: tuple[Operator, ...]) -> tuple[LQuery, ...]:
    """Filter objects that more than one branch evaluates."""
    seen: dict[int, tuple[LQuery, set[int]]] = {}
    for i, branch in enumerate(branches):
        for op in walk(branch):
            for f in op.filter_queries():
                seen.setdefault(id(f), (f, set()))[1].add(i)
    return tuple(f for f, users in seen.values() if len(users) > 1)


def threaded_work(costs: CostModel, branch: Operator, threshold: int) -> bool:
    """Whether the branch's work that can overlap with other threads reaches ``threshold``.

    Only work done outside the GIL counts: FAISS and NumPy's BLAS-style kernels (vector
    comparisons) and model forward passes (rerank pairs, query embeddings). BM25 scoring here is
    mostly ``bincount`` and fancy indexing, which hold the GIL — two BM25 branches on two threads
    measured no faster than one after the other — so postings do not count.
    """
    total = 0
    for op in walk(branch):
        if op.releases_gil:
            total += costs.of(op).work
            if total >= threshold:
                return True
    return total >= threshold


def branching(op: Operator) -> bool:
    """An operator with a window of its own over several children (a fusion) can run them on threads."""
    return op.window is not None and len(op.children()) > 1


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    if not any(branching(op) for op in plan.ops):
        return plan
    threshold = parallel.BRANCH_WORK_THRESHOLD
    if threshold > 0 and not any(op.releases_gil for op in plan.ops):
        return plan  # nothing that runs outside the GIL
    costs = CostModel(env.searcher, plan.searches, env.inference, plan.share_vectors)
    marked: list[str] = []

    def mark(original: Operator, op: Operator) -> Operator:
        if not branching(op) or op.fanout is not None:
            return op
        heavy = sum(threaded_work(costs, c, threshold) for c in original.children())
        if heavy < 2:
            return op
        marked.append(f"{op.name} ({heavy} heavy branches)")
        return updated(op, fanout=parallel.Fanout(shared_bitsets(op.children())))

    root = rebuild(plan.root, mark)
    if not marked:
        return plan
    return plan.noted(NAME, "branches on threads: " + ", ".join(marked), root=root, parallel=True)
