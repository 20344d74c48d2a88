"""ES|QL ``WHERE`` conditions → query DSL nodes, with Elasticsearch's ES|QL scoring rules.

How Elasticsearch pushes a ``WHERE`` down to Lucene decides the scores, so retrievo translates the
same way:

* Only the full-text functions (``MATCH``, ``:``, ``MATCH_PHRASE``, ``MULTI_MATCH``, ``KNN``) score.
  Every other condition is pushed down with ``boost: 0``: it filters and adds nothing. At the top
  level such conditions become the retriever's ``filter``; inside a scoring ``AND`` they become the
  bool query's ``filter`` clauses; inside an ``OR`` they are ``constant_score`` with ``boost: 0``.
* ``NOT`` is pushed down to the leaves first (De Morgan), as ES|QL's three-valued logic allows:
  ``NOT a > 5`` is ``a <= 5``; ``a != v`` and ``NOT a IN (...)`` hold only where ``a`` has a value
  (``exists`` plus ``must_not``), because a comparison with a missing value is ``null``, never true;
  a negated full-text function is a plain ``must_not`` (full-text functions are never ``null``).
* Comparisons on the same field inside one ``AND`` are combined into one ``range`` query.
* ``KNN`` is a retriever in retrievo's AST, not a query, so it may appear alone, or as a disjunct of
  a top-level ``OR`` (then it is the ``standard`` retriever's ``knn`` section, whose hits are added
  as a ``should`` clause — exactly ES|QL's ``bool.should`` of a match and a knn query). The other
  top-level conjuncts are its pre-filters, as ES|QL pushes conjunctions into ``KNN``'s prefilter.
  ``KNN`` anywhere else is reported as not supported.

Everything is checked against the index's fields when they are known (unknown columns, the type of
compared values), with ES|QL's verification messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrievo.grammar.esql.comparisons import boolean_field, comparison, in_list, is_null
from retrievo.grammar.esql.conditions import (
    And,
    Const,
    Knn,
    KnnSpec,
    Leaf,
    Or,
    WhereContext,
    flatten,
    function_error,
    has_knn,
    is_scoring,
)
from retrievo.grammar.esql.errors import Pos, not_supported
from retrievo.grammar.esql.esql_types import literal_type
from retrievo.grammar.esql.full_text import FULL_TEXT_FUNCTIONS, match_function
from retrievo.grammar.esql.syntax_tree import (
    Call,
    Compare,
    Expr,
    Field,
    InList,
    IsNull,
    Lit,
    Logic,
    MatchOp,
    Not,
    Unsupported,
)
from retrievo.retrievers.queries import BoolQuery, ConstantScoreQuery, MatchAllQuery, MatchNoneQuery, Query, RangeQuery

__all__ = ["WherePlan", "merge_ranges", "normal_form", "translate_where", "zero_score"]


def normal_form(e: Expr, ctx: WhereContext, negated: bool = False) -> Any:
    """The condition with ``NOT`` pushed to the leaves and leaves translated to queries."""
    if isinstance(e, Logic):
        kind = And if (e.op == "and") != negated else Or
        return flatten(kind, [normal_form(c, ctx, negated) for c in e.children])
    if isinstance(e, Not):
        return normal_form(e.child, ctx, not negated)
    if isinstance(e, Lit):
        if isinstance(e.value, bool):
            return Const(e.value != negated)
        if e.value is None:
            return Const(False)
        ctx.problems.add(e.pos, f"Condition expression needs to be boolean, found [{literal_type(e.value).upper()}]")
        return Const(False)
    if isinstance(e, Field):
        return boolean_field(e, negated, ctx)
    if isinstance(e, MatchOp):
        call = Call("MATCH", (e.field, e.value), e.pos, f"{e.field.name}:...")
        return match_function(call, negated, ctx)
    if isinstance(e, Call):
        handler = FULL_TEXT_FUNCTIONS.get(e.name)
        if handler is None:
            raise function_error(e, ctx)
        return handler(e, negated, ctx)
    if isinstance(e, Compare):
        return comparison(e, negated, ctx)
    if isinstance(e, InList):
        return in_list(e, negated, ctx)
    if isinstance(e, IsNull):
        return is_null(e, negated, ctx)
    if isinstance(e, Unsupported):
        raise not_supported(ctx.text, e.pos, e.what)
    raise not_supported(ctx.text, getattr(e, "pos", Pos(1, 1)), "this expression in WHERE")


# ---------------------------------------------------------------- normal form → queries


def merge_ranges(queries: list[Query]) -> tuple[Query, ...]:
    """One ``range`` per field inside a conjunction: a bound joins the first earlier range on the
    same field whose side (lower or upper) is still free."""
    out: list[Query] = []
    for q in queries:
        if isinstance(q, RangeQuery):
            lower = q.gt is not None or q.gte is not None
            for i, prev in enumerate(out):
                if not isinstance(prev, RangeQuery) or prev.field != q.field:
                    continue
                prev_lower = prev.gt is not None or prev.gte is not None
                prev_upper = prev.lt is not None or prev.lte is not None
                if (lower and not prev_lower) or (not lower and not prev_upper):
                    bound = {
                        k: v for k, v in (("gt", q.gt), ("gte", q.gte), ("lt", q.lt), ("lte", q.lte)) if v is not None
                    }
                    out[i] = prev.model_copy(update=bound)
                    break
            else:
                out.append(q)
            continue
        out.append(q)
    return tuple(out)


def _filter_query(node: Any) -> Query:
    """A non-scoring condition as a query (only matching matters)."""
    if isinstance(node, Leaf):
        return node.query
    if isinstance(node, Const):
        return MatchAllQuery() if node.value else MatchNoneQuery()
    if isinstance(node, And):
        merged = merge_ranges([_filter_query(c) for c in node.children])
        return merged[0] if len(merged) == 1 else BoolQuery(filter=merged)
    if isinstance(node, Or):
        return BoolQuery(should=tuple(_filter_query(c) for c in node.children))
    raise AssertionError(node)


def zero_score(q: Query) -> Query:
    """A condition inside a scoring ``OR``: it matches, and adds nothing to the score."""
    return ConstantScoreQuery(filter=q, boost=0.0)


def _scoring_query(node: Any, ctx: WhereContext) -> Query:
    if isinstance(node, Knn):
        raise not_supported(
            ctx.text,
            node.spec.pos,
            "KNN inside AND, NOT or a nested OR (retrievo runs KNN as a "
            "retriever: alone, or as a disjunct of the top-level OR)",
        )
    if not is_scoring(node):
        return zero_score(_filter_query(node))
    if isinstance(node, Leaf):
        return node.query
    if isinstance(node, And):
        must = tuple(_scoring_query(c, ctx) for c in node.children if is_scoring(c))
        filters = merge_ranges([_filter_query(c) for c in node.children if not is_scoring(c)])
        return BoolQuery(must=must, filter=filters)
    assert isinstance(node, Or)
    return BoolQuery(should=tuple(_scoring_query(c, ctx) for c in node.children))


@dataclass(frozen=True)
class WherePlan:
    """A whole (possibly multi-command) ``WHERE``, split the way a retriever needs it."""

    query: Query | None = None  # the scoring part, kNN disjuncts excluded
    knn: tuple[KnnSpec, ...] = ()  # kNN searches (alone, or disjuncts of the top-level OR)
    filters: tuple[Query, ...] = ()  # the non-scoring conjuncts (the retriever's filter)
    scoring: bool = False  # some condition scores (otherwise every score is 0)


def translate_where(conditions: list[Expr], ctx: WhereContext) -> WherePlan:
    """All ``WHERE`` conditions of one pipeline stage (they are ANDed) → a :class:`WherePlan`."""
    nodes = [normal_form(c, ctx) for c in conditions]
    ctx.problems.raise_if_any()
    top = flatten(And, nodes) if nodes else Const(True)
    conjuncts = list(top.children) if isinstance(top, And) else [top]
    scoring = [c for c in conjuncts if is_scoring(c)]
    filters = merge_ranges(
        [_filter_query(c) for c in conjuncts if not is_scoring(c) and not (isinstance(c, Const) and c.value)]
    )
    if not scoring:
        return WherePlan(filters=filters)
    knn: list[KnnSpec] = []
    if len(scoring) == 1 and isinstance(scoring[0], Knn):
        return WherePlan(knn=(scoring[0].spec,), filters=filters, scoring=True)
    if len(scoring) == 1 and isinstance(scoring[0], Or) and any(isinstance(c, Knn) for c in scoring[0].children):
        rest = [c for c in scoring[0].children if not isinstance(c, Knn)]
        knn = [c.spec for c in scoring[0].children if isinstance(c, Knn)]
        query = None
        if rest:
            query = _scoring_query(rest[0], ctx) if len(rest) == 1 else _scoring_query(Or(tuple(rest)), ctx)
        return WherePlan(query=query, knn=tuple(knn), filters=filters, scoring=True)
    for c in scoring:
        if has_knn(c) and len(scoring) > 1:
            spec = _first_knn(c)
            raise not_supported(
                ctx.text,
                spec.pos,
                "KNN combined with AND with another full-text function (the retriever API has no kNN query)",
            )
    query = (
        _scoring_query(scoring[0], ctx)
        if len(scoring) == 1
        else BoolQuery(must=tuple(_scoring_query(c, ctx) for c in scoring))
    )
    return WherePlan(query=query, filters=filters, scoring=True)


def _first_knn(node: Any) -> KnnSpec:
    if isinstance(node, Knn):
        return node.spec
    for c in node.children:
        if has_knn(c):
            return _first_knn(c)
    raise AssertionError
