"""From a search request (AST) to an executable plan over one index snapshot.

Resolution happens here: fields and analyzers come from the index's mappings, DSL queries compile
to Lucene-level queries, and Lucene's rewrites run (each can be switched off by name to see its
effect). The result is a :class:`Plan` whose ``str()`` is the operator tree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from retrievo.errors import not_supported
from retrievo.index.searcher import Searcher
from retrievo.planner.compile_query import CompileContext, compile_query
from retrievo.planner.lucene_query import BoolQ, KnnHitsQ, LQuery, boosted
from retrievo.planner.physical import (
    Bm25Score, ConstantScore, Embedder, ExecContext, Filter, KnnScore, MinScore, NamedQueries, Operator, Page,
    TerminateAfter, TopDocs, VectorSearch,
)
from retrievo.planner.ranked import Ranked
from retrievo.planner.rewrite import active_rules, rewrite
from retrievo.planner.rules import QUERY_RULE_NAMES
from retrievo.planner.scoring import Evaluator
from retrievo.errors import validation_error
from retrievo.planner.fusion import LinearFuse, RrfFuse
from retrievo.planner.rerank import Rerank
from retrievo.retrievers import (
    CompoundRetriever, KnnRetriever, LinearRetriever, Retriever, RrfRetriever, SearchRequest, StandardRetriever,
    TextSimilarityReranker,
)


@dataclass
class Plan:
    """An executable plan: the request it came from, its operator tree and its named queries."""
    request: SearchRequest
    root: Operator
    named: NamedQueries
    searcher: Searcher
    disabled_rules: tuple[str, ...] = ()
    rules: tuple[str, ...] = field(default=QUERY_RULE_NAMES)
    embed: Embedder | None = None
    inference: Any = None

    def __str__(self) -> str:
        header = f"Plan(index={self.request.index}"
        if self.disabled_rules:
            header += f", disabled_rules={list(self.disabled_rules)}"
        return header + ")\n" + self.root.render(1)

    def __repr__(self) -> str:
        return str(self)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.request.index, "rules": [r for r in self.rules if r not in self.disabled_rules],
                "plan": self.root.to_dict()}

    def explain(self, optimized: bool = True, **rules: bool) -> str:
        """The plan re-derived with rules switched off by name (``optimized=False``: all off)."""
        unknown = [r for r in rules if r not in QUERY_RULE_NAMES]
        if unknown:
            from retrievo.errors import illegal_argument
            raise illegal_argument(f"unknown rule {unknown}; rules are {list(QUERY_RULE_NAMES)}")
        off = set(QUERY_RULE_NAMES) if not optimized else {r for r, on in rules.items() if not on}
        return str(build_plan(self.request, self.searcher, disabled_rules=tuple(sorted(off)), embed=self.embed,
                              inference=self.inference))

    def execute(self) -> tuple[Ranked, ExecContext]:
        ctx = ExecContext(searcher=self.searcher, evaluator=Evaluator(self.searcher), embed=self.embed,
                          inference=self.inference)
        ranked: Ranked = self.root.run(ctx)
        ranked.named = self.named.matched(ctx, ranked.docs) if self.named.names else {}
        return ranked, ctx


def _compile(q: Any, ctx: CompileContext, disabled: Iterable[str]) -> LQuery:
    return rewrite(compile_query(q, ctx), active_rules(disabled))


def _search_ops(ctx: CompileContext, first: int) -> tuple[VectorSearch, ...]:
    """VectorSearch operators for the kNN searches registered since slot ``first``."""
    ops = []
    for slot, search, filters in ctx.searches[first:]:
        field = ctx.searcher.vector(search.field)
        ops.append(VectorSearch(search, filters, slot, field.describe() if field is not None else {}))
    return tuple(ops)


def _plan_knn(r: KnnRetriever, ctx: CompileContext, k: int, disabled: tuple[str, ...]) -> Operator:
    filters = tuple(_compile(f, ctx, disabled) for f in r.search.filter + r.filter)
    first = len(ctx.searches)
    ctx.add_search(r.search, filters)
    op: Operator = KnnScore(_search_ops(ctx, first)[0])
    if r.min_score is not None:
        op = MinScore(op, r.min_score)
    return TopDocs(op, k)


def _scored_query(r: StandardRetriever, ctx: CompileContext, disabled: tuple[str, ...]) -> Operator:
    """The retriever's query; with a top-level ``knn``, each search's hits are a SHOULD clause next to
    it (Elasticsearch runs the kNN searches first and sums scores), and semantic queries inside it
    register their own searches while compiling."""
    first = len(ctx.searches)
    if not r.knn:
        assert r.query is not None
        query = _compile(r.query, ctx, disabled)
    else:
        clauses: list[LQuery] = [compile_query(r.query, ctx)] if r.query is not None else []
        for search in r.knn:
            filters = tuple(_compile(f, ctx, disabled) for f in search.filter)
            clauses.append(boosted(KnnHitsQ(ctx.add_search(search, filters), search.field), search.boost))
        query = rewrite(BoolQ(should=tuple(clauses)), active_rules(disabled))
    inputs = _search_ops(ctx, first)
    return Bm25Score(query, inputs, name="Score" if inputs else "Bm25Score")


def _with_filters(r: Retriever, filters: tuple[Any, ...]) -> Retriever:
    """A compound's filters reach every child (a knn child takes them as pre-filters), never applied
    after fusion (spec §1.4)."""
    return r if not filters else r.model_copy(update={"filter": r.filter + filters})


def _check_windows(r: CompoundRetriever) -> None:
    if r.rank_window_size < 0:
        raise validation_error(f"[rank_window_size] parameter cannot be negative, found [{r.rank_window_size}]")
    for entry in r.retrievers:
        child = entry.retriever
        if isinstance(child, (CompoundRetriever, TextSimilarityReranker)) \
                and child.rank_window_size < r.rank_window_size:
            raise validation_error(
                f"[{r.kind}] requires [rank_window_size: {r.rank_window_size}] to be smaller than or equal to its "
                f"sub retriever's {child.kind} [rank_window_size: {child.rank_window_size}]")


def _plan_compound(r: CompoundRetriever, ctx: CompileContext, disabled: tuple[str, ...],
                   min_score: float | None) -> Operator:
    _check_windows(r)
    children = tuple(plan_retriever(_with_filters(e.retriever, r.filter), ctx, r.rank_window_size, disabled)
                     for e in r.retrievers)
    for op, e in zip(children, r.retrievers):
        op.retriever_kind = e.retriever.kind  # type: ignore[attr-defined]
    common = dict(kind=r.kind, children_ops=children, child_names=tuple(e.retriever.name for e in r.retrievers),
                  weights=tuple(e.weight for e in r.retrievers), window=r.rank_window_size,
                  min_score=r.min_score if r.min_score is not None else min_score,
                  child_min_score=any(e.retriever.min_score is not None for e in r.retrievers))
    if isinstance(r, RrfRetriever):
        return RrfFuse(rank_constant=r.rank_constant, **common)
    assert isinstance(r, LinearRetriever)
    return LinearFuse(normalizers=tuple(r.normalizer_of(e) for e in r.retrievers), **common)


def _plan_reranker(r: TextSimilarityReranker, ctx: CompileContext, disabled: tuple[str, ...],
                   min_score: float | None) -> Operator:
    if r.rank_window_size < 0:
        raise validation_error(f"[rank_window_size] parameter cannot be negative, found [{r.rank_window_size}]")
    child = plan_retriever(_with_filters(r.retriever, r.filter), ctx, r.rank_window_size, disabled)
    return Rerank(child, r.field, r.inference_text, r.inference_id, r.rank_window_size,
                  min_score=r.min_score if r.min_score is not None else min_score,
                  allow_failures=r.allow_rerank_failures, chunk=r.chunk_rescorer,
                  child_kind=r.retriever.name or r.retriever.kind)


def plan_retriever(r: Retriever, ctx: CompileContext, k: int, disabled: tuple[str, ...],
                   min_score: float | None = None) -> Operator:
    """The operators of one retriever, producing its top ``k`` (its window inside a compound)."""
    if isinstance(r, CompoundRetriever):
        return _plan_compound(r, ctx, disabled, min_score)
    if isinstance(r, TextSimilarityReranker):
        return _plan_reranker(r, ctx, disabled, min_score)
    ctx.window = k
    if isinstance(r, KnnRetriever):
        return _plan_knn(r, ctx, k, disabled)
    if not isinstance(r, StandardRetriever):
        raise not_supported(f"[{r.kind}] retriever")
    if r.knn or r.query is not None:
        op: Operator = _scored_query(r, ctx, disabled)
    else:
        # Elasticsearch scores a missing query as match_all (1.0), or 0 when only filters are given.
        op = ConstantScore(0.0 if r.filter else 1.0)
    if r.filter:
        op = Filter(op, tuple(_compile(f, ctx, disabled) for f in r.filter))
    if r.min_score is not None:
        op = MinScore(op, r.min_score)
    if r.terminate_after:
        op = TerminateAfter(op, r.terminate_after)
    return TopDocs(op, k, r.sort, r.search_after)


def build_plan(request: SearchRequest, searcher: Searcher, disabled_rules: tuple[str, ...] = (),
               now_millis: int | None = None, embed: Embedder | None = None, inference: Any = None) -> Plan:
    ctx = CompileContext(searcher=searcher,
                         now_millis=int(time.time() * 1000) if now_millis is None else now_millis)
    k = request.from_ + request.size
    r = request.retriever
    if isinstance(r, CompoundRetriever):
        _check_windows(r)
    if isinstance(r, (CompoundRetriever, TextSimilarityReranker)) and request.size > r.rank_window_size:
        raise validation_error(f"[{r.kind}] requires [rank_window_size: {r.rank_window_size}] be greater than or "
                               f"equal to [size: {request.size}]")
    body = plan_retriever(r, ctx, k, disabled_rules, request.min_score)
    named = NamedQueries(tuple((n, rewrite(q, active_rules(disabled_rules))) for n, q in ctx.named))
    return Plan(request=request, root=Page(body, request.from_, request.size), named=named,
                searcher=searcher, disabled_rules=disabled_rules, embed=embed, inference=inference)
