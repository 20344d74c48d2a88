"""``nested`` query JSON → :class:`~retrievo.retrievers.nested.NestedQuery` (``NestedQueryBuilder.fromXContent``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from retrievo.errors import illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.collapse import parse_inner_hits
from retrievo.grammar.json.errors import does_not_support
from retrievo.grammar.json.query_common import QueryContext, checked_boost, coerce, float_param, text_param
from retrievo.retrievers.highlight import Highlight
from retrievo.retrievers.nested import NestedInnerHits, NestedQuery, ScoreMode
from retrievo.retrievers.queries import Query

__all__ = ["HIGHLIGHT_PARSERS", "parse_nested", "parse_nested_inner_hits", "use_highlight_parser"]

_SCORE_MODES = ("none", "min", "max", "avg", "sum")


def parse_score_mode(text: str) -> ScoreMode:
    """``NestedQueryBuilder.parseScoreMode``: exact, lower-case names."""
    if text not in _SCORE_MODES:
        raise illegal_argument(f"No score mode for child query [{text}] found")
    return cast(ScoreMode, text)


#: The search body's ``highlight`` parser (one entry, handed in by ``grammar/json/highlight.py``, which
#: imports the query parsers and so cannot be imported from here).
HIGHLIGHT_PARSERS: list[Callable[[Any], Highlight]] = []


def use_highlight_parser(parser: Callable[[Any], Highlight]) -> None:
    HIGHLIGHT_PARSERS[:] = [parser]


def parse_nested_inner_hits(body: Any, path: str) -> NestedInnerHits:
    """An ``inner_hits`` of a ``nested`` query: ``InnerHitBuilder``'s options (read as ``collapse`` reads
    them), the name defaulting to the path; ``explain`` and ``docvalue_fields`` are taken here, and a
    ``collapse`` of nested inner hits is refused."""
    if not isinstance(body, dict):
        return NestedInnerHits(hits=parse_inner_hits(body))
    rest = dict(body)
    if rest.get("name") is None:
        rest["name"] = path
    explain = rest.pop("explain", False)
    docvalue_fields = rest.pop("docvalue_fields", None)
    highlight_body = rest.pop("highlight", None)
    if "collapse" in rest:
        raise not_supported("[inner_hits] parameter [collapse] of a [nested] query")
    hits = parse_inner_hits(rest)
    if hits.seq_no_primary_term:  # a nested object's own sequence fields are not modelled
        raise not_supported("[inner_hits] parameter [seq_no_primary_term] of a [nested] query")
    if not isinstance(explain, bool) and explain not in ("true", "false"):
        raise parsing_error(f"[inner_hits] explain doesn't support values of type: {jv.token_of(explain)}")
    values = None
    if docvalue_fields is not None:
        values = parse_inner_hits({"name": hits.name, "fields": docvalue_fields}).fields
    highlight = HIGHLIGHT_PARSERS[0](highlight_body) if highlight_body is not None else None
    return NestedInnerHits(hits=hits, explain=jv.java_bool(explain), docvalue_fields=values, highlight=highlight)


def parse_nested(body: dict[str, Any], ctx: QueryContext) -> NestedQuery:
    query: Query | None = None
    path: str | None = None
    inner_hits: Any = None
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, dict):
            if key == "query":
                query = ctx.inner(val)
            elif key == "inner_hits":
                inner_hits = val
            else:
                raise does_not_support("nested", key)
        elif isinstance(val, list):
            raise does_not_support("nested", key)
        elif key == "path":
            path = text_param("nested", key, val)
        elif key == "boost":
            params["boost"] = float_param("nested", key, val)
        elif key == "ignore_unmapped":
            params["ignore_unmapped"] = coerce("nested", key, jv.java_bool, val)
        elif key == "score_mode":
            params["score_mode"] = parse_score_mode(text_param("nested", key, val))
        elif key == "_name":
            params["name"] = text_param("nested", key, val)
        else:
            raise does_not_support("nested", key)
    if path is None:
        raise illegal_argument("[nested] requires 'path' field")
    if query is None:
        raise illegal_argument("[nested] requires 'query' field")
    checked_boost("nested", body, params.get("boost", 1.0))
    hits = parse_nested_inner_hits(inner_hits, path) if inner_hits is not None else None
    return NestedQuery(path=path, query=query, inner_hits=hits, **params)
