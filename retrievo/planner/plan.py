"""From a search request (AST) to an executable plan over one index snapshot.

Planning has four steps, each visible in :meth:`Plan.explain`:

1. **Validate** the retriever tree as Elasticsearch does before running anything (window sizes:
   ``Retriever.validate_tree``).
2. **Logical rules** rewrite the retriever AST (``PLAN_RULES`` with ``STAGE = "logical"``: filter
   push-down).
3. **Operators**: fields and analyzers come from the index's mappings, DSL queries compile to
   Lucene-level queries and Lucene's rewrites run on them (``QUERY_RULES``); each retriever becomes a
   small operator chain (``TopDocs(Filter(Bm25Score))``, ``RrfFuse(children)``, ...) through the
   planning function of its kind (:data:`PLANNERS`, see :mod:`retrievo.planner.planning`).
4. **Physical rules** rewrite the operator tree (``PLAN_RULES`` with ``STAGE = "physical"``: shared
   bitsets and sub-trees, pruned windows, shared query vectors, parallel branches).

Every rule can be switched off by name (``Plan.explain(**{name: False})``, ``Plan.with_rules``);
plan rules never change results, query rules are part of exact scoring.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from retrievo.index.searcher import Searcher
from retrievo.lucene.clause_limit import TooManyNestedClauses, too_many_nested_clauses
from retrievo.lucene.query import LQuery
from retrievo.planner.children import OnceResults
from retrievo.planner.compile_query import DEFAULT_MAX_TERMS_COUNT, sparse_query_embedder
from retrievo.planner.multi_field import IndexFields, expand_multi_field
from retrievo.planner.operators.base import Embedder, ExecContext, Operator, Reranker
from retrievo.planner.operators.collapse import plan_top_level_collapse
from retrievo.planner.operators.diversify import plan_diversify
from retrievo.planner.operators.fusion import plan_linear, plan_rrf
from retrievo.planner.operators.hybrid import plan_hybrid
from retrievo.planner.operators.pinned import plan_pinned
from retrievo.planner.operators.query import NamedQueries
from retrievo.planner.operators.random_rerank import plan_random_reranker
from retrievo.planner.operators.rerank import plan_reranker
from retrievo.planner.operators.rescore import plan_rescorer
from retrievo.planner.operators.rule import plan_rule
from retrievo.planner.operators.standard import plan_standard
from retrievo.planner.operators.top_docs import Page
from retrievo.planner.operators.vector import plan_knn
from retrievo.planner.parallel import ModelLock
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv
from retrievo.planner.planning import PlanFunction, PlanningContext
from retrievo.planner.query_vectors import SharedQueryVectors
from retrievo.planner.ranked import Ranked
from retrievo.planner.rules import PLAN_RULES, RULE_NAMES, check_rule_names
from retrievo.planner.rules import disabled_rules as rules_off
from retrievo.retrievers import (
    KnnRetriever,
    LinearRetriever,
    Retriever,
    RrfRetriever,
    SearchRequest,
    StandardRetriever,
    TextSimilarityReranker,
)
from retrievo.retrievers.diversify import DiversifyRetriever
from retrievo.retrievers.hybrid import HybridRetriever
from retrievo.retrievers.pinned import PinnedRetriever
from retrievo.retrievers.random_rerank import RandomReranker
from retrievo.retrievers.rescorer import RescorerRetriever
from retrievo.retrievers.rule import RuleRetriever


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
    inference: Reranker | None = None
    #: The retriever tree after the logical rules (what the operators were planned from).
    logical: Retriever | None = None
    #: The operator tree with what the physical rules decided (bitsets, sharing, threads).
    physical: PhysicalPlan | None = None
    now_millis: int | None = None
    #: The index's ``index.query.default_field`` (what a multi-field ``rrf``/``linear`` queries by default).
    default_field: tuple[str, ...] = ("*",)
    #: Scoring queries compiled per shard (``PlanningContext.shard_variants``); empty with one shard.
    shard_variants: Mapping[int, tuple[LQuery, tuple[LQuery, ...]]] = field(default_factory=dict)

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

    def with_rules(self, optimized: Any = None, **rules: Any) -> Plan:
        """The same request planned with rules switched on or off by name, starting from this plan's
        rules (``optimized=True``: from every rule on, ``optimized=False``: from every rule off).
        Unknown names and non-boolean values are ``illegal_argument`` errors."""
        off = rules_off(optimized, rules, self.disabled_rules)
        if off == self.disabled_rules:
            return self
        return build_plan(
            self.request,
            self.searcher,
            disabled_rules=off,
            now_millis=self.now_millis,
            embed=self.embed,
            inference=self.inference,
            default_field=self.default_field,
        )

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
        return ExecContext(
            searcher=self.searcher, embed=embed, inference=inference, shard_variants=self.shard_variants, **options
        )

    def execute(self, ctx: ExecContext | None = None) -> tuple[Ranked, ExecContext]:
        """Run the plan in ``ctx`` (default: a fresh :meth:`context`). The plan itself is not changed, so
        any number of runs may share it, on any threads. Returns the ranked hits and the run's context,
        whose ``trace`` holds what operators noted on the way: ``ctx.trace[rerank_op].sent`` are the texts
        a reranker sent, ``ctx.trace[fuse_op].scores`` a fusion's scores (see :class:`RunTrace`)."""
        ctx = self.context() if ctx is None else ctx
        ranked: Ranked = self.root.execute(ctx)
        ranked.named = self.named.matched(ctx, ranked.docs) if self.named.names else {}
        return ranked, ctx


# ---------------------------------------------------------------------------------------- kinds

#: The planning function of each retriever kind, by AST class (each lives in its kind's operator
#: module). A new kind adds one line here; nothing else in the planner names it.
PLANNERS: dict[type[Retriever], PlanFunction] = {
    StandardRetriever: plan_standard,
    KnnRetriever: plan_knn,
    RrfRetriever: plan_rrf,
    LinearRetriever: plan_linear,
    TextSimilarityReranker: plan_reranker,
    RescorerRetriever: plan_rescorer,
    HybridRetriever: plan_hybrid,
    PinnedRetriever: plan_pinned,
    DiversifyRetriever: plan_diversify,
    RandomReranker: plan_random_reranker,
    RuleRetriever: plan_rule,
}


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


def build_plan(
    request: SearchRequest,
    searcher: Searcher,
    disabled_rules: Iterable[str] = (),
    now_millis: int | None = None,
    embed: Embedder | None = None,
    inference: Reranker | None = None,
    max_terms_count: int = DEFAULT_MAX_TERMS_COUNT,
    default_field: tuple[str, ...] = ("*",),
) -> Plan:
    """The plan of ``request`` over ``searcher``. A rewritten query with more leaves than Lucene's clause
    limit fails here, the one place every way of planning goes through. ``default_field`` is the
    index's ``index.query.default_field``."""
    try:
        return _build_plan(
            request, searcher, disabled_rules, now_millis, embed, inference, max_terms_count, default_field
        )
    except TooManyNestedClauses:
        raise too_many_nested_clauses(searcher.index_name) from None


def _build_plan(
    request: SearchRequest,
    searcher: Searcher,
    disabled_rules: Iterable[str],
    now_millis: int | None,
    embed: Embedder | None,
    inference: Reranker | None,
    max_terms_count: int,
    default_field: tuple[str, ...],
) -> Plan:
    disabled = check_rule_names(disabled_rules)
    now = int(time.time() * 1000) if now_millis is None else now_millis
    request.retriever.validate_tree(request.checked_size)
    # Elasticsearch's rewrite of the multi-field format, where the target index is known (not a rule:
    # it is what the request means, and it can fail)
    expanded = expand_multi_field(request.retriever, [IndexFields.of(searcher, default_field)])
    env = RuleEnv(request=request, searcher=searcher, inference=inference)
    logical = apply_logical_rules(expanded, env, disabled)
    ctx = PlanningContext(
        searcher=searcher,
        now_millis=now,
        disabled=disabled,
        planners=PLANNERS,
        share_filters="share_filter_bitsets" not in disabled,
        max_terms_count=max_terms_count,
        sparse_embed=sparse_query_embedder(inference),
        request_from=request.from_,
        default_field=default_field,
    )
    body = plan_top_level_collapse(request, logical, ctx)
    named = NamedQueries(tuple((n, ctx.rewrite(q)) for n, q in ctx.named))
    physical = PhysicalPlan(
        root=Page(body, request.from_, request.size),
        named=named,
        searches={slot: search for slot, search, _ in ctx.searches},
    )
    physical = apply_physical_rules(physical, env, disabled)
    return Plan(
        request=request,
        root=physical.root,
        named=physical.named,
        searcher=searcher,
        disabled_rules=disabled,
        embed=embed,
        inference=inference,
        logical=logical,
        physical=physical,
        now_millis=now,
        default_field=default_field,
        shard_variants=ctx.shard_variants,
    )
