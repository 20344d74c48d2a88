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
from retrievo.retrievers import KnnRetriever, KnnSearch, Retriever, SearchRequest, StandardRetriever


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
        return str(build_plan(self.request, self.searcher, disabled_rules=tuple(sorted(off)), embed=self.embed))

    def execute(self) -> tuple[Ranked, ExecContext]:
        ctx = ExecContext(searcher=self.searcher, evaluator=Evaluator(self.searcher), embed=self.embed)
        ranked: Ranked = self.root.run(ctx)
        ranked.named = self.named.matched(ctx, ranked.docs) if self.named.names else {}
        return ranked, ctx


def _compile(q: Any, ctx: CompileContext, disabled: Iterable[str]) -> LQuery:
    return rewrite(compile_query(q, ctx), active_rules(disabled))


def _vector_search(search: KnnSearch, ctx: CompileContext, disabled: tuple[str, ...],
                   extra_filters: tuple[LQuery, ...] = ()) -> VectorSearch:
    field = ctx.searcher.vector(search.field)
    index = field.describe() if field is not None else {}
    slot = ctx.next_slot()
    filters = tuple(_compile(f, ctx, disabled) for f in search.filter) + extra_filters
    return VectorSearch(search, filters, slot, index)


def _plan_knn(r: KnnRetriever, ctx: CompileContext, k: int, disabled: tuple[str, ...]) -> Operator:
    prefilters = tuple(_compile(f, ctx, disabled) for f in r.filter)
    op: Operator = KnnScore(_vector_search(r.search, ctx, disabled, prefilters))
    if r.min_score is not None:
        op = MinScore(op, r.min_score)
    return TopDocs(op, k)


def _query_with_knn(r: StandardRetriever, ctx: CompileContext, disabled: tuple[str, ...]) -> Operator:
    """Elasticsearch's hybrid: each kNN search's hits become a SHOULD clause next to the query."""
    searches = tuple(_vector_search(s, ctx, disabled) for s in r.knn)
    clauses: list[LQuery] = []
    if r.query is not None:
        clauses.append(compile_query(r.query, ctx))
    for op in searches:
        clauses.append(boosted(KnnHitsQ(op.slot, op.search.field), op.search.boost))
    query = rewrite(BoolQ(should=tuple(clauses)), active_rules(disabled))
    return Bm25Score(query, searches, name="Score")


def plan_retriever(r: Retriever, ctx: CompileContext, k: int, disabled: tuple[str, ...]) -> Operator:
    """The operators of one retriever, producing its top ``k`` (its window inside a compound)."""
    if isinstance(r, KnnRetriever):
        return _plan_knn(r, ctx, k, disabled)
    if not isinstance(r, StandardRetriever):
        raise not_supported(f"[{r.kind}] retriever")
    if r.knn:
        op: Operator = _query_with_knn(r, ctx, disabled)
    elif r.query is not None:
        op = Bm25Score(_compile(r.query, ctx, disabled))
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
               now_millis: int | None = None, embed: Embedder | None = None) -> Plan:
    ctx = CompileContext(searcher=searcher,
                         now_millis=int(time.time() * 1000) if now_millis is None else now_millis)
    k = request.from_ + request.size
    body = plan_retriever(request.retriever, ctx, k, disabled_rules)
    named = NamedQueries(tuple((n, rewrite(q, active_rules(disabled_rules))) for n, q in ctx.named))
    return Plan(request=request, root=Page(body, request.from_, request.size), named=named,
                searcher=searcher, disabled_rules=disabled_rules, embed=embed)
