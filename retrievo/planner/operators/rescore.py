"""Query rescoring, ``Rescore(child)``, and its planning: the ``rescorer`` retriever and a body's
top-level ``rescore``.

Elasticsearch attaches the rescorers to the first pass's search: its query phase keeps
``max(size, window_size…)`` documents, then each rescorer in turn (``QueryRescorer``) takes the top
``window_size`` of the current list, gives each of them
``combine(first × query_weight, second × rescore_query_weight)`` when the rescore query matches it
(``first × query_weight`` when it does not), sorts them by that score (doc id breaking ties), gives
every document below the window ``first × query_weight``, and — only when there are such documents —
sorts the whole list again. All arithmetic is Java ``float``. The rescore query is scored as a query
of its own over the index (not filtered by the first pass's filters); it only ever changes the
scores of documents already in the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, error_cause, illegal_argument, shard_failure
from retrievo.lucene.query import LQuery
from retrievo.planner.children import run_child
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.explain import explain_child, explain_query, node
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.fusion import FLOAT_MIN_VALUE, child_failure
from retrievo.planner.operators.vector import VectorSearch, vector_searches
from retrievo.planner.planning import PlanningContext, plan_retriever, with_inherited_filters
from retrievo.planner.ranked import Ranked, score_order
from retrievo.retrievers.rescorer import DEFAULT_MAX_RESCORE_WINDOW, SCORE_MODE_LABEL, QueryRescore, RescorerRetriever
from retrievo.retrievers.standard import StandardRetriever

F32 = np.float32


def combine(mode: str, primary: np.float32, secondary: np.float32) -> np.float32:
    """``QueryRescoreMode.combine`` in Java floats."""
    if mode == "total":
        return F32(primary + secondary)
    if mode == "multiply":
        return F32(primary * secondary)
    if mode == "avg":
        return F32(F32(primary + secondary) / F32(2.0))
    if mode == "max":
        return F32(max(primary, secondary))
    return F32(min(primary, secondary))


def by_score(docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The order of a list by score descending, doc id ascending (``QueryRescorer``'s comparators)."""
    return np.lexsort((docs, -scores.astype(np.float64)))


@dataclass(frozen=True)
class RescoreStep:
    """What one rescorer did to one document: its incoming score and, when the rescore query matched
    it inside the window, the rescore query's own score (``None`` otherwise)."""

    first: float
    second: float | None
    rescored: bool


@dataclass(frozen=True)
class RescoreTrace:
    """Per run: each document's steps, one per rescorer it went through, and the scores handed out."""

    steps: dict[int, list[RescoreStep]]
    scores: dict[int, float]


@dataclass
class Rescore(Operator):
    child: Operator
    rescorers: tuple[QueryRescore, ...]
    #: The compiled rescore query of each rescorer.
    queries: tuple[LQuery, ...]
    #: How many first-pass documents the child hands over (the query phase's ``max(k, window_size…)``).
    collect: int
    top_level: bool = False
    child_kind: str = "standard"
    #: The retriever's ``min_score`` (or the request's, at the top), on the rescored scores.
    min_score: float | None = None
    #: A child with a ``min_score`` of its own makes ``hits.total`` the number of documents handed out.
    child_min_score: bool = False
    name: str = "Rescore"
    #: The ``rescorer`` retriever's own window (its smallest ``window_size``); ``None`` for a top-level
    #: ``rescore``, which hands out everything collected.
    window: int | None = None
    #: Set by ``prune_windows``: hand out only this many (everything is still rescored).
    limit: int | None = None
    #: The kNN searches of ``knn`` (or ``semantic``) queries in the rescore queries; they run first.
    inputs: tuple[VectorSearch, ...] = ()

    def children(self) -> tuple[Operator, ...]:
        return (self.child, *self.inputs)

    def child_window(self) -> int:
        return self.collect

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rescorers": "[" + "; ".join(r.describe() for r in self.rescorers) + "]"}
        out["queries"] = "[" + ", ".join(str(q) for q in self.queries) + "]"
        if self.window is not None:
            out["window_size"] = self.window
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = min(self.collect, inputs[0].docs_out)
        out = inflow if self.window is None else min(inflow, self.window)
        if self.limit is not None:
            out = min(out, self.limit)
        postings = sum(costs.query(q).postings for q in self.queries)
        return Estimate(inflow, out, work=postings + inflow, exact=inputs[0].exact, extra={"postings": postings})

    def run(self, ctx: ExecContext) -> Ranked:
        try:
            first: Ranked = run_child(self.child, ctx, self.collect)
        except ApiError as err:
            if self.top_level:
                raise
            raise child_failure("rescorer", [self.child_kind], [err]) from None
        for op in self.inputs:
            op.execute(ctx)
        docs = first.docs.astype(np.int32)
        scores = first.scores.astype(F32).copy()
        steps: dict[int, list[RescoreStep]] = {int(d): [] for d in docs.tolist()}
        for rescorer, query in zip(self.rescorers, self.queries):
            docs, scores = self._apply(ctx, rescorer, query, docs, scores, steps)
        if self.top_level:
            ctx.trace[self] = RescoreTrace(steps, dict(zip(docs.tolist(), scores.tolist())))
            # With ``sort: [_score]`` the hits keep their sort value, now the rescored score
            # (``RescorePhase.rewriteTopFieldDocs``).
            values = None if first.sort_values is None else [[float(s)] for s in scores.tolist()]
            return Ranked(
                docs=docs,
                scores=scores,
                total=first.total,
                sort_values=values,
                terminated_early=first.terminated_early,
            )
        return self._rank_docs(ctx, first, docs, scores, steps)

    def _rank_docs(
        self, ctx: ExecContext, first: Ranked, docs: np.ndarray, scores: np.ndarray, steps: dict[int, list[RescoreStep]]
    ) -> Ranked:
        """The retriever's window as a compound's RankDocs (spec §1.6): positive scores only, a zero
        shown as ``Float.MIN_VALUE``, ``min_score`` on the rescored scores, ``hits.total`` the union of
        what the child matched."""
        assert self.window is not None
        docs, scores = docs[: self.window], scores[: self.window]
        if np.any(np.isnan(scores)) or np.any(scores < 0):
            raise illegal_argument("RankDoc scores must be positive values. Missing a normalization step?")
        scores = np.where(scores == 0, F32(FLOAT_MIN_VALUE), scores).astype(F32)
        matched = first.matched.copy() if first.matched is not None else np.zeros(ctx.searcher.max_doc, dtype=bool)
        total = int(matched.sum())
        if self.min_score is not None:
            keep = scores >= F32(self.min_score)
            docs, scores = docs[keep], scores[keep]
            total = int(docs.size)
        elif self.child_min_score:
            total = int(docs.size)
        if self.limit is not None:
            docs, scores = docs[: self.limit], scores[: self.limit]
        ctx.trace[self] = RescoreTrace(steps, dict(zip(docs.tolist(), scores.tolist())))
        matched[docs] = True
        return Ranked(docs=docs, scores=scores, total=total, matched=matched, fused=True)

    @staticmethod
    def _apply(
        ctx: ExecContext,
        r: QueryRescore,
        query: LQuery,
        docs: np.ndarray,
        scores: np.ndarray,
        steps: dict[int, list[RescoreStep]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """One ``QueryRescorer.rescore`` over the current list: on each shard's own hits, each shard
        rescoring its best ``window`` (Elasticsearch rescores in the shard's query phase), then merged."""
        shard_of = ctx.searcher.shard_of
        if shard_of is not None and docs.size:
            parts = [
                Rescore._apply_one(ctx, r, query, docs[mine], scores[mine], steps)
                for mine in (shard_of[docs] == shard for shard in np.unique(shard_of[docs]))
            ]
            docs = np.concatenate([d for d, _ in parts])
            new = np.concatenate([n for _, n in parts])
            order = score_order(docs, new, ctx.searcher.tie_order)
            return docs[order], new[order]
        return Rescore._apply_one(ctx, r, query, docs, scores, steps)

    @staticmethod
    def _apply_one(
        ctx: ExecContext,
        r: QueryRescore,
        query: LQuery,
        docs: np.ndarray,
        scores: np.ndarray,
        steps: dict[int, list[RescoreStep]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """``QueryRescorer.rescore`` over one shard's list."""
        if docs.size == 0:
            return docs, scores
        qw, rw = F32(r.query_weight), F32(r.rescore_query_weight)
        top = min(docs.size, max(r.window, 0))
        mask, second = ctx.evaluator.evaluate(query).dense(ctx.searcher.max_doc)
        new = scores.copy()
        for i in range(docs.size):
            doc = int(docs[i])
            primary = F32(scores[i] * qw)
            matched = i < top and bool(mask[doc])
            s2 = float(second[doc]) if matched else None
            new[i] = combine(r.score_mode, primary, F32(F32(second[doc]) * rw)) if matched else primary
            steps[doc].append(RescoreStep(float(scores[i]), s2, i < top))
        head = by_score(docs[:top], new[:top])
        docs = np.concatenate([docs[:top][head], docs[top:]])
        new = np.concatenate([new[:top][head], new[top:]])
        if docs.size > top:
            order = by_score(docs, new)
            docs, new = docs[order], new[order]
        return docs, new

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """``QueryRescorer.explain`` chained over the rescorers, around the first pass's explanation."""
        trace = ctx.trace.of(self, RescoreTrace)
        if trace is None or doc not in trace.scores:
            return None
        explanation = explain_child(self.child, ctx, doc)
        for rescorer, query, step in zip(self.rescorers, self.queries, trace.steps[doc]):
            explanation = self._explain_step(ctx, rescorer, query, step, doc, explanation)
        return explanation

    @staticmethod
    def _explain_step(
        ctx: ExecContext,
        r: QueryRescore,
        query: LQuery,
        step: RescoreStep,
        doc: int,
        source: dict[str, Any] | None,
    ) -> dict[str, Any]:
        qw, rw = F32(r.query_weight), F32(r.rescore_query_weight)
        primary = F32(F32(step.first) * qw)
        source_node = source if source is not None else node(step.first, "first pass")
        prim = node(primary, "product of:", [source_node, node(qw, "primaryWeight")])
        if not step.rescored or step.second is None:
            return prim
        rescore_explanation = explain_query(ctx.evaluator, query, doc)
        if rescore_explanation is None:
            return prim
        secondary = F32(F32(step.second) * rw)
        sec = node(secondary, "product of:", [rescore_explanation, node(rw, "secondaryWeight")])
        label = SCORE_MODE_LABEL[r.score_mode]
        return node(combine(r.score_mode, primary, secondary), f"{label} of:", [prim, sec])

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        trace = ctx.trace.of(self, RescoreTrace)
        return float(trace.scores.get(doc, 0.0)) if trace is not None else 0.0


def _sort_refused(r: RescorerRetriever) -> bool:
    """``RescorePhase.validateSort``: only ``_score`` (descending) may sort what is rescored."""
    child = r.retriever
    sort = child.sort if isinstance(child, StandardRetriever) else ()
    return bool(sort) and (sort[0].field != "_score" or sort[0].order != "desc" or len(sort) > 1)


def _sort_failure(ctx: PlanningContext) -> ApiError:
    cause = error_cause("illegal_argument_exception", "Cannot use [sort] option in conjunction with [rescore].")
    return shard_failure(ctx.searcher.index_name, cause)


def _check_child_sort(r: RescorerRetriever, ctx: PlanningContext) -> None:
    """The child's own search carries the rescorers, so its shard refuses a field sort; the retriever
    reports that as a failed child."""
    if _sort_refused(r):
        raise child_failure("rescorer", [r.retriever.name or r.retriever.kind], [_sort_failure(ctx)])


def _check_top_level(r: RescorerRetriever, ctx: PlanningContext) -> None:
    """``DefaultSearchContext.preProcess``: a shard-level failure for a sort other than ``_score`` and
    for a window above ``index.max_rescore_window``."""
    if _sort_refused(r):
        raise _sort_failure(ctx)
    for rescorer in r.rescore:
        if rescorer.window < 0:
            # Elasticsearch fails deep inside the rescorer (a negative array size); retrievo refuses it.
            cause = error_cause(
                "illegal_argument_exception", f"[window_size] parameter cannot be negative, found [{rescorer.window}]"
            )
            raise shard_failure(ctx.searcher.index_name, cause)
        if rescorer.window > DEFAULT_MAX_RESCORE_WINDOW:
            cause = error_cause(
                "illegal_argument_exception",
                f"Rescore window [{rescorer.window}] is too large. It must be less than "
                f"[{DEFAULT_MAX_RESCORE_WINDOW}]. This prevents allocating massive heaps for storing the results "
                "to be rescored. This limit can be set by changing the [index.max_rescore_window] index level "
                "setting.",
            )
            raise shard_failure(ctx.searcher.index_name, cause)


def plan_rescorer(r: RescorerRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    if r.top_level:
        _check_top_level(r, ctx)
    else:
        _check_child_sort(r, ctx)
    window = r.own_window
    collect = max(k if window is None else window, r.collect)
    child = plan_retriever(with_inherited_filters(r.retriever, r.filter), ctx, collect, written_as=r.retriever)
    ctx.window = k  # a knn query without k in a rescore query finds the search's size, not the window
    first = len(ctx.searches)  # a knn query in a rescore query registers its search while compiling
    queries = tuple(ctx.compile(rescorer.rescore_query) for rescorer in r.rescore)
    return Rescore(
        child,
        r.rescore,
        queries,
        collect,
        inputs=vector_searches(ctx, first),
        top_level=r.top_level,
        child_kind=r.retriever.name or r.retriever.kind,
        min_score=None if r.top_level else (r.min_score if r.min_score is not None else min_score),
        child_min_score=any(c.min_score is not None for c in r.children()),
        window=window,
    )
