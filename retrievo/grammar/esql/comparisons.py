"""The leaves of a ``WHERE`` that filter without scoring: comparisons, ``IN``, ``IS NULL`` and boolean
fields, checked against the field types with ES|QL's verification messages."""

from __future__ import annotations

from typing import Any

from retrievo.grammar.esql.conditions import Const, Leaf, WhereContext, operand_value
from retrievo.grammar.esql.errors import Pos, not_supported
from retrievo.grammar.esql.esql_types import NUMERIC_TYPES, TEXT_TYPES, esql_type, literal_type
from retrievo.grammar.esql.syntax_tree import Compare, Field, InList, IsNull, Lit
from retrievo.retrievers.queries import BoolQuery, ExistsQuery, Query, RangeQuery, TermQuery, TermsQuery

__all__ = ["boolean_field", "comparison", "in_list", "is_null"]


def _type_error(text: str, field_type: str, value: Any) -> str:
    return (
        f"first argument of [{text}] is [{field_type}] so second argument must also be [{field_type}] "
        f"but was [{literal_type(value)}]"
    )


def _compared_field(f: Field, value: Any, text: str, pos: Pos, ctx: WhereContext) -> None:
    es_type = ctx.column(f)
    if es_type is None or value is None:
        return
    if es_type in TEXT_TYPES:
        raise not_supported(
            ctx.text, pos, f"comparing the text field [{f.name}] with a value (use MATCH, or a keyword field)"
        )
    family = (
        "numeric"
        if es_type in NUMERIC_TYPES
        else "keyword"
        if es_type in ("keyword", "constant_keyword")
        else "datetime"
        if es_type == "date"
        else es_type
    )
    ok = {
        "numeric": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "keyword": lambda v: isinstance(v, str),
        "datetime": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
    }.get(family)
    if ok is None:
        raise not_supported(ctx.text, pos, f"comparisons on [{es_type}] fields")
    if not ok(value):
        ctx.problems.add(pos, _type_error(text, family, value))


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_RANGE_KEY = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _present_and_not(f: str, q: Query) -> Query:
    """``f`` has a value and ``q`` does not match: what a negated comparison keeps."""
    return BoolQuery(filter=(ExistsQuery(field=f),), must_not=(q,))


def comparison(c: Compare, negated: bool, ctx: WhereContext) -> Any:
    left, right, op = c.left, c.right, c.op
    if isinstance(left, Lit) and isinstance(right, Field):
        left, right, op = right, left, _FLIP[op]
    if not isinstance(left, Field):
        if isinstance(left, Lit) and isinstance(right, Lit):
            raise not_supported(ctx.text, c.pos, "comparisons between two constants")
        operand_value(left, ctx, "comparison operand")
        raise not_supported(ctx.text, c.pos, "comparisons that do not compare a field with a constant")
    value = operand_value(right, ctx, "comparison operand")
    if isinstance(value, list):
        raise not_supported(ctx.text, right.pos, "comparing with an array")
    _compared_field(left, value, c.text, c.pos, ctx)
    if value is None:
        return Const(False)  # a comparison with null is null: never true, negated or not
    if negated:
        op = _NEGATE[op]
    if op == "==":
        return Leaf(TermQuery(field=left.name, value=value), False)
    if op == "!=":
        return Leaf(_present_and_not(left.name, TermQuery(field=left.name, value=value)), False)
    return Leaf(RangeQuery(field=left.name, **{_RANGE_KEY[op]: value}), False)


def in_list(e: InList, negated: bool, ctx: WhereContext) -> Any:
    if not isinstance(e.value, Field):
        raise not_supported(ctx.text, e.pos, "IN on something other than a field")
    values = [operand_value(item, ctx, "IN list item") for item in e.items]
    for v in values:
        if isinstance(v, list):
            raise not_supported(ctx.text, e.pos, "arrays in an IN list")
        _compared_field(e.value, v, e.text, e.pos, ctx)
    negated = negated != e.negated
    present = [v for v in values if v is not None]
    if negated and len(present) < len(values):
        return Const(False)  # x NOT IN (..., null) is never true
    if not present:
        return Const(False)
    terms = TermsQuery(field=e.value.name, values=tuple(present))
    if negated:
        return Leaf(_present_and_not(e.value.name, terms), False)
    return Leaf(terms, False)


def is_null(e: IsNull, negated: bool, ctx: WhereContext) -> Any:
    if not isinstance(e.value, Field):
        raise not_supported(ctx.text, e.pos, "IS NULL on something other than a field")
    ctx.column(e.value)
    exists = ExistsQuery(field=e.value.name)
    wants_value = negated != e.negated
    return Leaf(exists if wants_value else BoolQuery(must_not=(exists,)), False)


def boolean_field(f: Field, negated: bool, ctx: WhereContext) -> Any:
    es_type = ctx.column(f)
    if es_type is not None and es_type != "boolean":
        ctx.problems.add(f.pos, f"Condition expression needs to be boolean, found [{esql_type(es_type).upper()}]")
    return Leaf(TermQuery(field=f.name, value=not negated), False)
