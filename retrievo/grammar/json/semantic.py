"""``semantic``: the query for ``semantic_text`` fields (Elasticsearch's ``SemanticQueryBuilder``)."""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause
from retrievo.grammar.json.errors import negative_boost, x_content
from retrievo.grammar.json.objects import float_field, parse_object, string_field
from retrievo.grammar.json.query_common import QueryContext
from retrievo.retrievers.queries import SemanticQuery

_FIELDS = {"field": string_field(), "query": string_field(), "boost": float_field(), "_name": string_field()}


def parse_semantic(body: dict[str, Any], ctx: QueryContext) -> SemanticQuery:
    parsed = parse_object("semantic", body, _FIELDS)
    missing = [f for f in ("field", "query") if f not in parsed]
    if missing:
        raise x_content(
            "[semantic] failed to parse object",
            cause=error_cause("illegal_argument_exception", f"Required [{', '.join(missing)}]"),
        )
    if parsed.get("boost", 1.0) < 0:
        raise negative_boost("semantic", body)
    return SemanticQuery(
        field=parsed["field"], query=parsed["query"], boost=parsed.get("boost", 1.0), name=parsed.get("_name")
    )
