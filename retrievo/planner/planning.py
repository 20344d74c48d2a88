"""What every retriever kind's planning function works with: the planning context and the dispatcher.

Each kind plans itself in its operator module (``plan_standard`` in :mod:`.operators.standard`,
``plan_knn`` in :mod:`.operators.vector`, ``plan_rrf``/``plan_linear`` in :mod:`.operators.fusion`,
``plan_reranker`` in :mod:`.operators.rerank`); :data:`retrievo.planner.plan.PLANNERS` maps each AST
class to its function. This module holds only what they share, so it imports none of them: a
planning function plans its children through :func:`plan_retriever`, which looks the child's kind up
in the table the context carries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from retrievo.errors import not_supported
from retrievo.lucene.query import LQuery
from retrievo.lucene.rewrite import active_rules, rewrite
from retrievo.planner.compile_query import CompileContext, compile_query
from retrievo.planner.operators.base import Operator, Origin
from retrievo.retrievers import Retriever
from retrievo.retrievers.queries import Query

#: ``plan(retriever, ctx, k, min_score)``: the operators producing the retriever's top ``k``.
#: ``min_score`` is the request's top-level ``min_score``, handed to the top-level retriever only.
PlanFunction = Callable[[Any, "PlanningContext", int, "float | None"], Operator]


@dataclass
class PlanningContext(CompileContext):
    """The compile context of one plan: the query rules in force, the filters compiled so far (see
    :meth:`compile_filter`) and the table of planning functions by AST class."""

    disabled: tuple[str, ...] = ()
    share_filters: bool = False
    compiled_filters: list[tuple[Query, LQuery]] = field(default_factory=list)
    planners: Mapping[type, PlanFunction] = field(default_factory=dict)
    #: On an index with several shards, each scoring query compiled once more per shard view
    #: (``lucene/shard_scoring.py``): ``id(query) → (query, per-shard queries)``. Compiling reads the term
    #: dictionary (multi-term expansions, ``more_like_this``'s terms, blended frequencies): each shard's own.
    shard_variants: dict[int, tuple[LQuery, tuple[LQuery, ...]]] = field(default_factory=dict)

    def rewrite(self, q: LQuery) -> LQuery:
        """Lucene's rewrites (the query rules not switched off) of a compiled query."""
        return rewrite(q, active_rules(self.disabled))

    def compile(self, q: Query, *, scored: bool = True) -> LQuery:
        """``q`` compiled and rewritten; a ``scored`` query also per shard (:meth:`add_shard_variants`)."""
        marks = self.marks()
        compiled = self.rewrite(compile_query(q, self))
        if scored:
            self.add_shard_variants(compiled, marks, lambda on_shard: on_shard.rewrite(compile_query(q, on_shard)))
        return compiled

    def marks(self) -> tuple[int, int, frozenset[int]]:
        """How much compiling has registered so far (searches, named queries): where a per-shard
        compile of the next query starts, so its kNN slots are the ones the whole-index compile gives."""
        return len(self.searches), len(self.named), frozenset(self.per_shard_slots)

    def add_shard_variants(
        self,
        compiled: LQuery,
        marks: tuple[int, int, frozenset[int]],
        build: Callable[[PlanningContext], LQuery],
    ) -> None:
        """Register ``compiled``'s per-shard twins: ``build`` run once on each shard view (nothing on an
        index with one shard, or under ``dfs_query_then_fetch``). What a shard compile registers is dropped."""
        views = self.searcher.shard_views
        if not views:
            return
        searches, named, slots = marks
        twins = tuple(
            build(
                replace(
                    self,
                    searcher=view,
                    searches=self.searches[:searches],
                    named=self.named[:named],
                    per_shard_slots=set(slots),
                    compiled_filters=[],
                )
            )
            for view in views
        )
        self.shard_variants[id(compiled)] = (compiled, twins)

    def compile_filter(self, q: Query) -> LQuery:
        """A filter compiled once per plan: a filter pushed into several children is one query object
        from the start (what ``share_filter_bitsets`` asks for, without rebuilding the tree afterwards).
        Filters whose compilation registers something (named queries, kNN searches) compile every time."""
        if not self.share_filters:
            return self.compile(q, scored=False)
        for seen, compiled in self.compiled_filters:
            if seen == q:
                return compiled
        named, searches = len(self.named), len(self.searches)
        compiled = self.compile(q, scored=False)
        if len(self.named) == named and len(self.searches) == searches:
            self.compiled_filters.append((q, compiled))
        return compiled


def plan_retriever(
    r: Retriever,
    ctx: PlanningContext,
    k: int,
    min_score: float | None = None,
    *,
    written_as: Retriever | None = None,
    retriever_kind: str | None = None,
) -> Operator:
    """The operators of one retriever, producing its top ``k`` (its window inside a compound).

    The top operator carries the retriever and ``k`` it was planned from (its :class:`Origin`): two
    operators with equal origins compute the same thing, which ``share_subtrees`` relies on. A
    retriever with a window of its own is planned from that window, whatever its parent's ``k``.
    A parent passes the child as written (``written_as``, what the logical plan shows) and the kind
    it names the child by when the child fails (``retriever_kind``)."""
    planner = next((ctx.planners[c] for c in type(r).__mro__ if c in ctx.planners), None)
    if planner is None:
        raise not_supported(f"[{r.kind}] retriever")
    ctx.depth += 1
    try:
        op = planner(r, ctx, k, min_score)
    finally:
        ctx.depth -= 1
    origin = Origin(r, None if r.own_window is not None else k, written_as, retriever_kind)
    return replace(op, origin=origin)


def with_inherited_filters(r: Retriever, filters: tuple[Query, ...]) -> Retriever:
    """A compound's filters reach every child (a knn child takes them as pre-filters), never applied
    after fusion (spec §1.4). With ``push_down_filters`` on they are already at the leaves."""
    return r if not filters else r.model_copy(update={"filter": r.filter + filters})
