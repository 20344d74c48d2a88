"""The ``rule`` operator, ``ApplyRules(child)``, and its planning: the query rules' pinned documents first,
then the child's results without the pinned and the excluded documents.

Facts carried over from Elasticsearch (``QueryRuleRetrieverBuilder``, ``RuleQueryBuilder``):

* The child runs as one search whose query is wrapped in a ``rule`` query, which rewrites to a ``pinned``
  query over the child's query (pinned documents score just above ``2^127`` in rule order, organic scores
  are capped there) inside a ``bool`` whose ``must_not`` removes the excluded documents. So the window
  (``rank_window_size``) is filled by the present, not excluded pinned documents, then by the child's own
  best documents that are neither pinned nor excluded; ``hits.total`` counts what the wrapped query
  matches. A document both pinned and excluded is excluded.
* The child may sort by score only (``[rule] retriever only supports sort by score, got: [...]``).
* ``explain``: the final rank document (value: its rank) over the child's rank document, over the rule
  query's own explanation (``sum of:`` when documents are excluded, ``max of:`` for the pinned query, the
  pins as ``ConstantScore(_id:([..]))^score``).

The child is asked for its window plus as many documents as the rules pin or exclude, so that removing
them never leaves the window short of documents the wrapped query would have found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, illegal_argument
from retrievo.lucene.java_format import java_float
from retrievo.lucene.query import BoostQ
from retrievo.lucene.query_text import encoded_id, term_text
from retrievo.planner.children import run_child
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.explain import explain_child
from retrievo.planner.operator_tree import transform
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.fusion import child_failure
from retrievo.planner.operators.pinned import live_doc, pin_above
from retrievo.planner.planning import PlanningContext, plan_retriever, with_inherited_filters
from retrievo.planner.ranked import Ranked
from retrievo.response import es_float
from retrievo.retrievers.knn import KnnRetriever
from retrievo.retrievers.pinned import PinnedDoc, pin_score
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.rule import RuleRetriever
from retrievo.retrievers.standard import StandardRetriever

F32 = np.float32
NAME = "rule"


@dataclass(frozen=True)
class RuleTrace:
    """What one run noted for ``explain``: each handed-out document's score and rank, and the pins."""

    scores: dict[int, float]
    ranks: dict[int, int]
    pins: dict[int, tuple[str, float]]
    excluding: bool


@dataclass
class ApplyRules(Operator):
    child: Operator
    #: The pinned documents of this index, in rule order, with their pin scores.
    pins: tuple[tuple[PinnedDoc, float], ...] = ()
    #: The excluded documents (an ``_index`` must name this index for the document to be removed).
    excluded: tuple[PinnedDoc, ...] = ()
    #: Whether the rules excluded anything at all (the rewritten query is then a ``bool``).
    excluding: bool = False
    window: int = 10
    min_score: float | None = None
    child_min_score: float | None = None
    child_kind: str = "standard"
    name: str = "ApplyRules"
    limit: int | None = None

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pinned": json.dumps([d.to_json() for d, _ in self.pins], separators=(",", ":")),
            "excluded": json.dumps([d.to_json() for d in self.excluded], separators=(",", ":")),
            "rank_window_size": self.window,
        }
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = inputs[0].docs_out + len(self.pins)
        out = min(self.window, inflow, costs.n)
        if self.limit is not None:
            out = min(out, self.limit)
        return Estimate(inflow, out, work=inflow)

    def run(self, ctx: ExecContext) -> Ranked:
        try:
            child: Ranked = run_child(self.child, ctx, self.window + len(self.pins) + len(self.excluded))
        except ApiError as err:
            raise child_failure(NAME, [self.child_kind], [err]) from None
        excluded = {d for d in (live_doc(ctx.searcher, doc.id) for doc in self.excluded) if d is not None}
        present: list[tuple[int, float, str]] = []
        for doc, score in self.pins:
            internal = live_doc(ctx.searcher, doc.id)
            if internal is None or internal in excluded:
                continue
            if self.child_min_score is not None and score < self.child_min_score:
                continue
            present.append((internal, score, doc.id))
        out = pin_above(
            child,
            [(d, score) for d, score, _ in present],
            excluded,
            max_doc=ctx.searcher.max_doc,
            window=self.window,
            min_score=self.min_score,
            child_min_score=self.child_min_score,
            limit=self.limit,
        )
        ranked = out.ranked
        pins = {d: (i, s) for d, s, i in present}
        scores = dict(zip(ranked.docs.tolist(), ranked.scores.tolist()))
        ctx.trace[self] = RuleTrace(scores, out.ranks, pins, self.excluding)
        return ranked

    def _query_explanation(self, ctx: ExecContext, trace: RuleTrace, doc: int) -> dict[str, Any] | None:
        """The rewritten ``rule`` query's explanation of ``doc``: ``sum of:`` (the ``bool`` with the
        exclusions) over ``max of:`` (the pinned query) over the pins' ``max of:`` and the organic query."""
        organic = explain_child(self.child, ctx, doc)
        inner = organic
        if self.pins:
            parts = []
            if doc in trace.pins:
                doc_id, score = trace.pins[doc]
                text = f"ConstantScore(_id:({term_text(encoded_id(doc_id))}))^{java_float(F32(score))}"
                pin = {"value": es_float(score), "description": text, "details": []}
                parts.append({"value": es_float(score), "description": "max of:", "details": [pin]})
            if organic is not None:
                parts.append(organic)
            if not parts:
                return None
            top = max(float(str(p["value"])) for p in parts)
            inner = {"value": es_float(top), "description": "max of:", "details": parts}
        if inner is not None and trace.excluding:
            inner = {"value": inner["value"], "description": "sum of:", "details": [inner]}
        return inner

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """``RankDoc.explain`` twice (the rule retriever's rank document over its child's), valued by the
        rank, over the rule query's explanation."""
        trace = ctx.trace.of(self, RuleTrace)
        if trace is None or doc not in trace.ranks:
            return None
        rank = trace.ranks[doc]
        text = (
            f"doc [{doc}] with an original score of [{java_float(F32(score))}] is at rank [{rank}] "
            "from the following source queries."
        )
        inner = self._query_explanation(ctx, trace, doc)
        source = {"value": rank, "description": text, "details": [inner] if inner else []}
        return {"value": rank, "description": text, "details": [source]}

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        trace = ctx.trace.of(self, RuleTrace)
        return float(trace.scores.get(doc, 0.0)) if trace is not None else 0.0


def _check_child(child: Retriever) -> None:
    """``checkValidSort``: the child's first sort, if any, must be by score; and the child's search must
    have a query for ``RuleQueryBuilder`` to wrap -- a ``knn`` child hands it a kNN section instead, and
    ``RuleQueryBuilder`` refuses the missing organic query."""
    if isinstance(child, KnnRetriever):
        raise illegal_argument("organicQuery must not be null")
    if isinstance(child, StandardRetriever) and child.sort:
        first = child.sort[0]
        if first.field != "_score":
            shown = ", ".join(json.dumps(s.to_json(), indent=2, separators=(",", " : ")) for s in child.sort)
            raise illegal_argument(f"[{NAME}] retriever only supports sort by score, got: [{shown}]")


def _unboost_top(op: Operator) -> Operator:
    """``CappedScoreQuery.rewrite`` (inside the ``pinned`` query the rules rewrite to): a boost at the top of
    the rewritten organic query is dropped."""
    query = op.scoring_query()
    return op.with_scoring_query(query.query) if isinstance(query, BoostQ) else op


def plan_rule(r: RuleRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    if r.applied is None:
        raise illegal_argument("[rule] retriever planned before its query rulesets were read")
    child_r = with_inherited_filters(r.retriever, r.filter)
    _check_child(child_r)
    window = r.rank_window_size
    extra = len(r.applied.pinned) + len(r.applied.excluded)
    child = plan_retriever(child_r, ctx, window + extra, written_as=r.retriever)
    if r.applied.pinned and isinstance(child_r, StandardRetriever) and not child_r.filter and not child_r.knn:
        child = transform(child, _unboost_top)
    index = ctx.searcher.index_name
    pins = r.applied.pinned
    present = tuple((d, pin_score(i, len(pins))) for i, d in enumerate(pins) if d.index is None or d.index == index)
    excluded = tuple(d for d in r.applied.excluded if d.index is None or d.index == index)
    return ApplyRules(
        child,
        pins=present,
        excluded=excluded,
        excluding=bool(r.applied.excluded),
        window=window,
        min_score=r.min_score if r.min_score is not None else min_score,
        child_min_score=child_r.min_score,
        child_kind=r.retriever.name or r.retriever.kind,
    )
