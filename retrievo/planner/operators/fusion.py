"""Physical operators of the compound retrievers, ``RrfFuse`` and ``LinearFuse``, and their planning.

Each child runs as its own search with the parent's window as its size (Elasticsearch runs them as
one multi-search against a point in time; here they share one snapshot). A child's position in its
window is its rank; ties inside a window were already broken by doc id. Fused sums are float32 in
child order, exactly like Elasticsearch's ``RankDoc`` arithmetic, and the fused list is ordered by
score then doc id. ``hits.total`` is the union of everything the children matched (spec §1.6), where a
``knn`` child counts only the window it returned (``rrf/200`` and ``rrf/400`` YAML tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, api_error, error_cause, illegal_argument
from retrievo.java_text import java_float_str
from retrievo.lucene.java_format import java_float
from retrievo.planner.children import run_children
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.explain import explain_child
from retrievo.planner.operators.base import ExecContext, Operator, Origin
from retrievo.planner.operators.failed import Failed, is_shard_failure
from retrievo.planner.operators.normalizers import NORMALIZERS
from retrievo.planner.planning import PlanningContext, plan_retriever, with_inherited_filters
from retrievo.planner.ranked import Ranked, score_order
from retrievo.response import es_float
from retrievo.retrievers import Retriever
from retrievo.retrievers.fusion import CompoundRetriever, LinearRetriever, RrfRetriever

F32 = np.float32
FLOAT_MIN_VALUE = float(np.float32(1.4e-45))


def child_failure(parent: str, names: list[str], errors: list[ApiError]) -> ApiError:
    """Elasticsearch wraps failing children: the highest status, the children as suppressed causes."""
    reason = (
        f"[{parent}] search failed - retrievers '[{', '.join(names)}]' returned errors. "
        f"All failures are attached as suppressed exceptions."
    )
    suppressed = [{k: v for k, v in e.body["error"].items() if k != "root_cause"} for e in errors]
    status = max(e.status_code for e in errors)
    root = [{**error_cause("status_exception", reason), "suppressed": suppressed}]
    return api_error("status_exception", reason, status=status, root_cause=root, suppressed=suppressed)


@dataclass
class FusedDoc:
    """Per-document fusion details, kept for ``explain``."""

    ranks: list[int]
    normalized: list[float]


def java_float_list(values: list[float]) -> str:
    """``Arrays.toString(float[])``."""
    return "[" + ", ".join(java_float_str(v) for v in values) + "]"


def score_in(result: Ranked | None, doc: int) -> float:
    """``doc``'s score in a child's result (0 when absent)."""
    if result is None:
        return 0.0
    hits = np.flatnonzero(result.docs == doc)
    return float(result.scores[hits[0]]) if hits.size else 0.0


@dataclass(frozen=True)
class FusionTrace:
    """What one fusion run noted in the run's trace: each fused document's ranks (rrf) or normalised
    scores (linear) per child, and the fused score of each document it handed out."""

    details: dict[int, FusedDoc]
    scores: dict[int, float]
    #: The whole ranked window (docs, scores) before ``limit`` cut it: the profile lists it as
    #: Elasticsearch's rank docs, which ``prune_windows`` never shortens.
    window: tuple[np.ndarray, np.ndarray] | None = None


@dataclass
class FusionOperator(Operator):
    kind: str = "rrf"
    children_ops: tuple[Operator, ...] = ()
    child_names: tuple[str | None, ...] = ()
    weights: tuple[float, ...] = ()
    window: int = 10
    min_score: float | None = None
    #: A child with its own min_score makes hits.total the fused count (Elasticsearch's quirk).
    child_min_score: bool = False
    name: str = "Fuse"
    #: Set by the ``parallel_branches`` rule (a :class:`retrievo.planner.parallel.Fanout`): run the
    #: children on threads. ``None``: one after the other.
    fanout: Any = None
    #: Set by the ``prune_windows`` rule: hand out only this many of the fused window (what the parent
    #: can use); ``None``: the whole window. Never changes which documents are fused or counted.
    limit: int | None = None

    def ranked_window(self, ctx: ExecContext) -> tuple[np.ndarray, np.ndarray] | None:
        trace = ctx.trace.of(self, FusionTrace)
        return trace.window if trace is not None else None

    def children(self) -> tuple[Operator, ...]:
        return self.children_ops

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = sum(min(self.window, e.docs_out) for e in inputs)
        out = min(self.window, inflow, costs.n)  # the fused list is a union: never more than the documents
        if self.limit is not None:
            out = min(out, self.limit)
        return Estimate(inflow, out, work=inflow)

    def _run_children(self, ctx: ExecContext) -> list[Ranked]:
        results, failed, errors = [], [], []
        outcomes = run_children(self.children_ops, ctx, self.window, self.fanout)
        for i, (op, out) in enumerate(zip(self.children_ops, outcomes)):
            if isinstance(out, ApiError):
                # A child lifted out of single-child rrfs (flatten_single_child_rrf) fails as it did inside them.
                for kind, label in op.origin.flattened_from if op.origin is not None else ():
                    out = child_failure(kind, [label], [out])
                failed.append(self.child_names[i] or op.retriever_kind)
                errors.append(out)
            else:
                results.append(out)
        if errors:
            raise child_failure(self.kind, failed, errors)
        return results

    def _combine(self, results: list[Ranked]) -> tuple[np.ndarray, np.ndarray, dict[int, FusedDoc]]:
        """The union of the children's documents, their fused scores and each one's details."""
        raise NotImplementedError  # pragma: no cover

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """Elasticsearch's rrf or linear explanation around each child's own, from the ranks or
        normalised scores this fusion noted in the run."""
        fused = ctx.trace.of(self, FusionTrace)
        if fused is None or doc not in fused.details:
            return None
        kids = [explain_child(c, ctx, doc) for c in self.children_ops]
        return self.explain_fused(fused.details[doc], es_float(score), kids)

    def explain_fused(
        self, info: FusedDoc, score: float, child_explanations: list[dict[str, Any] | None]
    ) -> dict[str, Any]:
        """The explanation of one fused document in this fusion's own format."""
        raise NotImplementedError  # pragma: no cover

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        fused = ctx.trace.of(self, FusionTrace)
        return float(fused.scores.get(doc, 0.0)) if fused is not None else 0.0

    def run(self, ctx: ExecContext) -> Ranked:
        results = self._run_children(ctx)
        docs, scores, details = self._combine(results)
        if np.any(np.isnan(scores)) or np.any(scores < 0):
            raise illegal_argument("RankDoc scores must be positive values. Missing a normalization step?")
        order = score_order(docs, scores, ctx.searcher.tie_order)[: self.window]
        docs, scores = docs[order], scores[order]
        scores = np.where(scores == 0, F32(FLOAT_MIN_VALUE), scores).astype(F32)
        matched = np.zeros(ctx.searcher.max_doc, dtype=bool)
        for op, r in zip(self.children_ops, results):
            if op.retriever_kind == "knn":
                # Elasticsearch counts a kNN child's materialised results (KnnRetrieverBuilder.topDocsQuery
                # is a query over its rank docs): the top window it returned, not all k neighbours.
                matched[r.docs] = True
            elif r.matched is not None:
                matched |= r.matched
        total = int(matched.sum())
        if self.min_score is not None:
            keep = scores >= F32(self.min_score)
            docs, scores = docs[keep], scores[keep]
            total = int(docs.size)
        elif self.child_min_score:
            total = int(docs.size)
        window = (docs, scores)
        if self.limit is not None:
            docs, scores = docs[: self.limit], scores[: self.limit]
        ctx.trace[self] = FusionTrace(details, dict(zip(docs.tolist(), scores.tolist())), window)
        fused = np.zeros(ctx.searcher.max_doc, dtype=bool)
        fused[docs] = True
        return Ranked(docs=docs.astype(np.int32), scores=scores, total=total, matched=matched | fused, fused=True)


def _union(results: list[Ranked]) -> tuple[np.ndarray, dict[int, int]]:
    docs = np.unique(np.concatenate([r.docs for r in results])) if results else np.zeros(0, np.int32)
    return docs, {int(d): i for i, d in enumerate(docs.tolist())}


def rrf_combine(
    results: list[Ranked], weights: tuple[float, ...], rank_constant: int
) -> tuple[np.ndarray, np.ndarray, dict[int, FusedDoc]]:
    """The union of the children's documents (any integer keys: internal ids, or the global ids of a
    search over several indices), each one's weighted ``1 / (rank_constant + rank)`` summed in float32
    in child order, and its ranks per child."""
    docs, pos = _union(results)
    acc = np.zeros(docs.size, dtype=F32)
    details = {int(d): FusedDoc([0] * len(results), []) for d in docs.tolist()}
    for i, r in enumerate(results):
        ranks = np.arange(1, r.docs.size + 1, dtype=np.int64)
        contrib = (F32(weights[i]) * (F32(1.0) / (rank_constant + ranks).astype(F32))).astype(F32)
        idx = np.fromiter((pos[int(d)] for d in r.docs.tolist()), dtype=np.int64, count=r.docs.size)
        acc[idx] = (acc[idx] + contrib).astype(F32)
        for d, rank in zip(r.docs.tolist(), ranks.tolist()):
            details[int(d)].ranks[i] = rank
    return docs, acc, details


def linear_combine(
    results: list[Ranked], weights: tuple[float, ...], normalizers: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, dict[int, FusedDoc]]:
    """The union of the children's documents (any integer keys), each child's window normalised on its
    own, and the weighted sum in float32 in child order; each document's normalised scores per child."""
    docs, pos = _union(results)
    normalized = np.zeros((len(results), docs.size), dtype=F32)
    for i, r in enumerate(results):
        idx = np.fromiter((pos[int(d)] for d in r.docs.tolist()), dtype=np.int64, count=r.docs.size)
        normalized[i, idx] = NORMALIZERS[normalizers[i]](r.scores)
    acc = np.zeros(docs.size, dtype=F32)
    for i in range(len(results)):
        part = np.where(np.isnan(normalized[i]), F32(0.0), F32(weights[i]) * normalized[i]).astype(F32)
        acc = (acc + part).astype(F32)
    details = {int(d): FusedDoc([], normalized[:, j].tolist()) for j, d in enumerate(docs.tolist())}
    return docs, acc, details


@dataclass
class RrfFuse(FusionOperator):
    rank_constant: int = 60
    name: str = "RrfFuse"

    def rank_doc_strings(
        self, ctx: ExecContext, docs: list[int], scores: list[float], child_results: list[Any]
    ) -> list[str] | None:
        """``RRFRankDoc.toString``: 0-based positions per child (-1 where absent) and the child scores."""
        fused = ctx.trace.of(self, FusionTrace)
        out = []
        for rank, (doc, score) in enumerate(zip(docs, scores), start=1):
            known = fused is not None and doc in fused.details
            ranks = fused.details[doc].ranks if fused is not None and known else [0] * len(child_results)
            positions = ", ".join(str(r - 1) for r in ranks)
            child_scores = [score_in(k, doc) if r else 0.0 for k, r in zip(child_results, ranks)]
            out.append(
                f"RRFRankDoc{{rank={rank}, positions=[{positions}], scores={java_float_list(child_scores)}, "
                f"score={java_float_str(score)}, doc={doc}, shardIndex=0, rankConstant={self.rank_constant}}}"
            )
        return out

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rank_constant": self.rank_constant, "rank_window_size": self.window}
        if any(w != 1.0 for w in self.weights):
            out["weights"] = list(self.weights)
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out

    def _combine(self, results: list[Ranked]) -> tuple[np.ndarray, np.ndarray, dict[int, FusedDoc]]:
        return rrf_combine(results, self.weights, self.rank_constant)

    def explain_fused(
        self, info: FusedDoc, score: float, child_explanations: list[dict[str, Any] | None]
    ) -> dict[str, Any]:
        k = self.rank_constant
        subs = []
        for i, (rank, child) in enumerate(zip(info.ranks, child_explanations)):
            label = f" [{self.child_names[i]}]" if self.child_names[i] else ""
            if rank == 0:
                subs.append(
                    {
                        "value": 0.0,
                        "description": f"rrf score: [0], result not found in query at index [{i}]{label}",
                        "details": [],
                    }
                )
            else:
                part = java_float(F32(1.0) / F32(rank + k))
                subs.append(
                    {
                        "value": rank,
                        "description": f"rrf score: [{part}], for rank [{rank}] in query at index [{i}]{label} "
                        f"computed as "
                        f"[1 / ({rank} + {k})], for matching query with score",
                        "details": [child] if child is not None else [],
                    }
                )
        ranks = ", ".join(str(r) for r in info.ranks)
        return {
            "value": score,
            "description": f"rrf score: [{java_float(score)}] computed for initial ranks [{ranks}] "
            f"with rankConstant: [{k}] "
            f"as sum of [1 / (rank + rankConstant)] for each query",
            "details": subs,
        }


@dataclass
class LinearFuse(FusionOperator):
    normalizers: tuple[str, ...] = ()
    name: str = "LinearFuse"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "weights": list(self.weights),
            "normalizers": list(self.normalizers),
            "rank_window_size": self.window,
        }
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out

    def _combine(self, results: list[Ranked]) -> tuple[np.ndarray, np.ndarray, dict[int, FusedDoc]]:
        return linear_combine(results, self.weights, self.normalizers)

    def explain_fused(
        self, info: FusedDoc, score: float, child_explanations: list[dict[str, Any] | None]
    ) -> dict[str, Any]:
        subs = []
        for i, (norm, child) in enumerate(zip(info.normalized, child_explanations)):
            label = f" [{self.child_names[i]}]" if self.child_names[i] else ""
            w = F32(self.weights[i])
            if norm > 0:
                value = float(F32(w * F32(norm)))
                subs.append(
                    {
                        "value": value,
                        "description": f"weighted score: [{java_float(value)}] in query at index [{i}]{label} "
                        f"computed as "
                        f"[{java_float(w)} * {java_float(norm)}] using score normalizer [{self.normalizers[i]}] "
                        f"for original matching query with score:",
                        "details": [child] if child is not None else [],
                    }
                )
            else:
                subs.append(
                    {
                        "value": 0.0,
                        "description": f"weighted score: [0], result not found in query at index [{i}]{label}",
                        "details": [],
                    }
                )
        norms = ", ".join(java_float(n) for n in info.normalized)
        weights = ", ".join(java_float(w) for w in self.weights)
        return {
            "value": score,
            "description": f"weighted linear combination score: [{java_float(score)}] computed for normalized scores "
            f"[{norms}] and weights [{weights}] as sum of (weight[i] * score[i]) for each query.",
            "details": subs,
        }


def _fusion_fields(r: CompoundRetriever, ctx: PlanningContext, min_score: float | None) -> dict[str, Any]:
    """What ``rrf`` and ``linear`` plan alike: every child planned for this retriever's window, with its
    filters, named by its kind when it fails."""
    children = tuple(_plan_child(e.retriever, r, ctx) for e in r.retrievers)
    return dict(
        kind=r.kind,
        children_ops=children,
        child_names=tuple(e.retriever.name for e in r.retrievers),
        weights=tuple(e.weight for e in r.retrievers),
        window=r.rank_window_size,
        min_score=r.min_score if r.min_score is not None else min_score,
        child_min_score=any(e.retriever.min_score is not None for e in r.retrievers),
    )


def _plan_child(written: Retriever, r: CompoundRetriever, ctx: PlanningContext) -> Operator:
    """A child planned for the parent's window; a child whose query fails on the shard becomes a
    :class:`Failed` operator, so the failure is reported among the children's when the fusion runs."""
    child = with_inherited_filters(written, r.filter)
    try:
        return plan_retriever(child, ctx, r.rank_window_size, written_as=written, retriever_kind=written.kind)
    except ApiError as err:
        if not is_shard_failure(err):
            raise
        k = None if child.own_window is not None else r.rank_window_size
        return Failed(error=err, origin=Origin(child, k, written, written.kind))


def plan_rrf(r: RrfRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    return RrfFuse(rank_constant=r.rank_constant, **_fusion_fields(r, ctx, min_score))


def plan_linear(r: LinearRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    return LinearFuse(normalizers=tuple(r.normalizer_of(e) for e in r.retrievers), **_fusion_fields(r, ctx, min_score))
