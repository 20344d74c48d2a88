"""From a search request (AST) to an executable plan over one index snapshot.

Planning has four steps, each visible in :meth:`Plan.explain`:

1. **Validate** the retriever tree as Elasticsearch does before running anything (window sizes).
2. **Logical rules** rewrite the retriever AST (``PLAN_RULES`` with ``STAGE = "logical"``: filter
   push-down).
3. **Operators**: fields and analyzers come from the index's mappings, DSL queries compile to
   Lucene-level queries and Lucene's rewrites run on them (``QUERY_RULES``); each retriever becomes a
   small operator chain (``TopDocs(Filter(Bm25Score))``, ``RrfFuse(children)``, ...).
4. **Physical rules** rewrite the operator tree (``PLAN_RULES`` with ``STAGE = "physical"``: shared
   bitsets and sub-trees, pruned windows, shared query vectors, parallel branches).

Every rule can be switched off by name (``Plan.explain(**{name: False})``, ``Plan.with_rules``);
plan rules never change results, query rules are part of exact scoring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from retrievo.errors import not_supported, validation_error
from retrievo.index.searcher import Searcher
from retrievo.planner.children import OnceResults
from retrievo.planner.compile_query import CompileContext, compile_query
from retrievo.planner.operators.fusion import LinearFuse, RrfFuse
from retrievo.lucene.query import BoolQ, KnnHitsQ, LQuery, boosted
from retrievo.planner.parallel import ModelLock
from retrievo.planner.operators.base import Embedder, ExecContext, Operator
from retrievo.planner.operators.query import Bm25Score, ConstantScore, Filter, MinScore, NamedQueries, TerminateAfter
from retrievo.planner.operators.top_docs import Page, TopDocs
from retrievo.planner.operators.vector import KnnScore, VectorSearch
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv
from retrievo.planner.query_vectors import SharedQueryVectors
from retrievo.planner.ranked import Ranked
from retrievo.planner.operators.rerank import Rerank
from retrievo.lucene.rewrite import active_rules, rewrite
from retrievo.planner.rules import PLAN_RULES, RULE_NAMES, check_rule_names, disabled_rules as rules_off
from retrievo.lucene.scoring import Evaluator
from retrievo.retrievers import (
    CompoundRetriever, KnnRetriever, LinearRetriever, Retriever, RrfRetriever, SearchRequest, StandardRetriever,
    TextSimilarityReranker,
)


@dataclass
class Plan:
    """An executable plan: the request it came from, its operator tree and its named queries.

    ``str(plan)`` prints the operator tree; :meth:`explain` prints the logical and physical plans
    with cost estimates; :meth:`to_dict` and ``_repr_html_`` (notebooks) show the same.
    """
    request: SearchRequest
    root: Operator
    named: NamedQueries
    searcher: Searcher
    disabled_rules: tuple[str, ...] = ()
    rules: tuple[str, ...] = field(default=RULE_NAMES)
    embed: Embedder | None = None
    inference: Any = None
    #: The retriever tree after the logical rules (what the operators were planned from).
    logical: Retriever | None = None
    #: The operator tree with what the physical rules decided (bitsets, sharing, threads).
    physical: PhysicalPlan | None = None
    now_millis: int | None = None

    def __str__(self) -> str:
        header = f"Plan(index={self.request.index}"
        if self.disabled_rules:
            header += f", disabled_rules={list(self.disabled_rules)}"
        return header + ")\n" + self.root.render(1)

    def __repr__(self) -> str:
        return str(self)

    @property
    def active_rules(self) -> tuple[str, ...]:
        return tuple(r for r in self.rules if r not in self.disabled_rules)

    def with_rules(self, optimized: Any = None, **rules: Any) -> "Plan":
        """The same request planned with rules switched on or off by name, starting from this plan's
        rules (``optimized=True``: from every rule on, ``optimized=False``: from every rule off).
        Unknown names and non-boolean values are ``illegal_argument`` errors."""
        off = rules_off(optimized, rules, self.disabled_rules)
        if off == self.disabled_rules:
            return self
        return build_plan(self.request, self.searcher, disabled_rules=off, now_millis=self.now_millis,
                          embed=self.embed, inference=self.inference)

    def explain(self, optimized: Any = None, **rules: Any) -> str:
        """The logical and physical plans, with estimated documents in/out, model pairs and tokens
        per operator (like Polars' ``LazyFrame.explain``): this plan, or — with arguments — the plan
        re-derived with rules switched by name (see :meth:`with_rules`)."""
        from retrievo.planner.plan_view import plan_text
        return plan_text(self.with_rules(optimized, **rules))

    def to_dict(self) -> dict[str, Any]:
        from retrievo.planner.plan_view import plan_dict
        return plan_dict(self)

    def _repr_html_(self) -> str:
        from retrievo.planner.plan_view import plan_html
        return plan_html(self)

    def context(self, **options: Any) -> ExecContext:
        """A fresh execution context for this plan; ``options`` are further :class:`ExecContext` fields
        (``profiler``, ``ready``) -- a multi-search keeps one context per search across its phases.

        What the physical rules decided is installed here: a once-per-search result store for
        shared sub-trees, a once-per-search embedder for shared query vectors, and one model lock
        when branches run on threads."""
        embed, inference = self.embed, self.inference
        phys = self.physical
        if phys is not None and phys.parallel:
            lock = ModelLock()
            embed, inference = lock.embedder(embed), lock.registry(inference)
        if phys is not None and phys.share_vectors and embed is not None:
            embed = SharedQueryVectors(embed)
        if phys is not None and phys.shared and "once" not in options:
            options["once"] = OnceResults()
        return ExecContext(searcher=self.searcher, evaluator=Evaluator(self.searcher), embed=embed,
                           inference=inference, **options)

    def execute(self, ctx: ExecContext | None = None) -> tuple[Ranked, ExecContext]:
        ctx = self.context() if ctx is None else ctx
        ranked: Ranked = self.root.execute(ctx)
        ranked.named = self.named.matched(ctx, ranked.docs) if self.named.names else {}
        return ranked, ctx


# ---------------------------------------------------------------------------------------- compile

@dataclass
class PlanningContext(CompileContext):
    """The compile context of one plan, plus the filters compiled so far (see :func:`_compile_filter`)."""
    share_filters: bool = False
    compiled_filters: list[tuple[Any, LQuery]] = field(default_factory=list)


def _compile(q: Any, ctx: CompileContext, disabled: Iterable[str]) -> LQuery:
    return rewrite(compile_query(q, ctx), active_rules(disabled))


def _compile_filter(q: Any, ctx: CompileContext, disabled: Iterable[str]) -> LQuery:
    """A filter compiled once per plan: a filter pushed into several children is one query object
    from the start (what ``share_filter_bitsets`` asks for, without rebuilding the tree afterwards).
    Filters whose compilation registers something (named queries, kNN searches) compile every time."""
    if not isinstance(ctx, PlanningContext) or not ctx.share_filters:
        return _compile(q, ctx, disabled)
    for seen, compiled in ctx.compiled_filters:
        if seen == q:
            return compiled
    named, searches = len(ctx.named), len(ctx.searches)
    compiled = _compile(q, ctx, disabled)
    if len(ctx.named) == named and len(ctx.searches) == searches:
        ctx.compiled_filters.append((q, compiled))
    return compiled


def _search_ops(ctx: CompileContext, first: int) -> tuple[VectorSearch, ...]:
    """VectorSearch operators for the kNN searches registered since slot ``first``."""
    ops = []
    for slot, search, filters in ctx.searches[first:]:
        field = ctx.searcher.vector(search.field)
        ops.append(VectorSearch(search, filters, slot, field.describe() if field is not None else {}))
    return tuple(ops)


def _plan_knn(r: KnnRetriever, ctx: CompileContext, k: int, disabled: tuple[str, ...]) -> Operator:
    filters = tuple(_compile_filter(f, ctx, disabled) for f in r.search.filter + r.filter)
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
            filters = tuple(_compile_filter(f, ctx, disabled) for f in search.filter)
            clauses.append(boosted(KnnHitsQ(ctx.add_search(search, filters), search.field), search.boost))
        query = rewrite(BoolQ(should=tuple(clauses)), active_rules(disabled))
    inputs = _search_ops(ctx, first)
    return Bm25Score(query, inputs, name="Score" if inputs else "Bm25Score")


def _with_filters(r: Retriever, filters: tuple[Any, ...]) -> Retriever:
    """A compound's filters reach every child (a knn child takes them as pre-filters), never applied
    after fusion (spec §1.4). With ``push_down_filters`` on they are already at the leaves."""
    return r if not filters else r.model_copy(update={"filter": r.filter + filters})


# ---------------------------------------------------------------------------------------- validate

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


def validate_retriever(r: Retriever) -> None:
    """Elasticsearch's request validation of a retriever tree, before anything is planned (so plan
    rules that reshape the tree can never hide an invalid window)."""
    if isinstance(r, CompoundRetriever):
        _check_windows(r)
        for e in r.retrievers:
            validate_retriever(e.retriever)
    elif isinstance(r, TextSimilarityReranker):
        if r.rank_window_size < 0:
            raise validation_error(f"[rank_window_size] parameter cannot be negative, found [{r.rank_window_size}]")
        validate_retriever(r.retriever)


def validate_request(request: SearchRequest) -> None:
    r = request.retriever
    if isinstance(r, CompoundRetriever):
        _check_windows(r)
    if isinstance(r, (CompoundRetriever, TextSimilarityReranker)) and request.size > r.rank_window_size:
        raise validation_error(f"[{r.kind}] requires [rank_window_size: {r.rank_window_size}] be greater than or "
                               f"equal to [size: {request.size}]")
    validate_retriever(r)


# ---------------------------------------------------------------------------------------- operators

def _plan_compound(r: CompoundRetriever, ctx: CompileContext, disabled: tuple[str, ...],
                   min_score: float | None) -> Operator:
    children = tuple(plan_retriever(_with_filters(e.retriever, r.filter), ctx, r.rank_window_size, disabled)
                     for e in r.retrievers)
    for op, e in zip(children, r.retrievers):
        op.retriever_kind = e.retriever.kind  # type: ignore[attr-defined]
        op.written_as = e.retriever  # type: ignore[attr-defined]  # the node the logical plan shows
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
    child = plan_retriever(_with_filters(r.retriever, r.filter), ctx, r.rank_window_size, disabled)
    child.written_as = r.retriever  # type: ignore[attr-defined]
    return Rerank(child, r.field, r.inference_text, r.inference_id, r.rank_window_size,
                  min_score=r.min_score if r.min_score is not None else min_score,
                  allow_failures=r.allow_rerank_failures, chunk=r.chunk_rescorer,
                  child_kind=r.retriever.name or r.retriever.kind)


def plan_retriever(r: Retriever, ctx: CompileContext, k: int, disabled: tuple[str, ...],
                   min_score: float | None = None) -> Operator:
    """The operators of one retriever, producing its top ``k`` (its window inside a compound).

    The returned operator remembers the retriever and ``k`` it was planned from (``source``): two
    operators with equal sources compute the same thing, which ``share_subtrees`` relies on. A
    compound or reranker is planned from its own window, whatever its parent's ``k``."""
    op = _plan(r, ctx, k, disabled, min_score)
    own_window = isinstance(r, (CompoundRetriever, TextSimilarityReranker))
    op.source = (r, None if own_window else k)  # type: ignore[attr-defined]
    return op


def _plan(r: Retriever, ctx: CompileContext, k: int, disabled: tuple[str, ...],
          min_score: float | None) -> Operator:
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
        op = Filter(op, tuple(_compile_filter(f, ctx, disabled) for f in r.filter))
    if r.min_score is not None:
        op = MinScore(op, r.min_score)
    if r.terminate_after:
        op = TerminateAfter(op, r.terminate_after)
    return TopDocs(op, k, r.sort, r.search_after)


# ---------------------------------------------------------------------------------------- rules

def apply_logical_rules(r: Retriever, env: RuleEnv, disabled: tuple[str, ...]) -> Retriever:
    for rule in PLAN_RULES:
        if rule.STAGE == "logical" and rule.NAME not in disabled:
            r = rule.apply(r, env)
    return r


def apply_physical_rules(plan: PhysicalPlan, env: RuleEnv, disabled: tuple[str, ...]) -> PhysicalPlan:
    for rule in PLAN_RULES:
        if rule.STAGE == "physical" and rule.NAME not in disabled:
            plan = rule.apply(plan, env)
    return plan


def build_plan(request: SearchRequest, searcher: Searcher, disabled_rules: Iterable[str] = (),
               now_millis: int | None = None, embed: Embedder | None = None, inference: Any = None) -> Plan:
    disabled = check_rule_names(disabled_rules)
    now = int(time.time() * 1000) if now_millis is None else now_millis
    validate_request(request)
    env = RuleEnv(request=request, searcher=searcher, inference=inference)
    logical = apply_logical_rules(request.retriever, env, disabled)
    ctx = PlanningContext(searcher=searcher, now_millis=now, share_filters="share_filter_bitsets" not in disabled)
    body = plan_retriever(logical, ctx, request.from_ + request.size, disabled, request.min_score)
    named = NamedQueries(tuple((n, rewrite(q, active_rules(disabled))) for n, q in ctx.named))
    physical = PhysicalPlan(root=Page(body, request.from_, request.size), named=named,
                            searches={slot: search for slot, search, _ in ctx.searches})
    physical = apply_physical_rules(physical, env, disabled)
    return Plan(request=request, root=physical.root, named=physical.named, searcher=searcher,
                disabled_rules=disabled, embed=embed, inference=inference, logical=logical,
                physical=physical, now_millis=now)
