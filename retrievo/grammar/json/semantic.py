"""``semantic``: the query for ``semantic_text`` fields (Elasticsearch's ``SemanticQueryBuilder``)."""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause
from retrievo.grammar.json.errors import negative_boost, x_content
from retrievo.grammar.json.objects import bool_field, float_field, parse_object, string_field
from retrievo.grammar.json.query_common import QueryContext
from retrievo.retrievers.queries import SemanticQuery

#: Elasticsearch 9's ``SemanticQueryBuilder`` fields. ``inner_hits`` is not among them: 8.16 added it
#: and rolled it back before release (elastic/elasticsearch#113986), so it is an unknown field there
#: and here, not a feature retrievo lacks.
_FIELDS = {
    "field": string_field(),
    "query": string_field(),
    "lenient": bool_field(),
    "boost": float_field(),
    "_name": string_field(),
}


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
        field=parsed["field"],
        query=parsed["query"],
        lenient=parsed.get("lenient"),
        boost=parsed.get("boost", 1.0),
        name=parsed.get("_name"),
    )
