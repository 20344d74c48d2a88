"""``sort`` and ``search_after``, read as ``SortBuilder`` and ``SearchAfterBuilder`` read them.

Sort specs come as a field name (``"_score"``), an object (``{"f": "desc"}`` or
``{"f": {"order": …, "missing": …, "mode": …, "unmapped_type": …}}``) or an array of
both.
Object forms are ``ObjectParser``s named ``field_sort`` (``_score`` has its own, accepting only
``order``). Script and geo-distance sorts and ``_shard_doc`` are Elasticsearch features retrievo
does not implement and are rejected as such (``numeric_type``/``format``: ``lucene/sort_options.py``).
"""

from __future__ import annotations

from typing import Any, Literal

from retrievo.errors import illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.nested_sort import parse_nested_sort
from retrievo.grammar.json.objects import OBJECT, STRING, VALUE, Field, parse_object, string_field
from retrievo.lucene.sort_options import parse_numeric_type
from retrievo.retrievers.sort import SortField

_SORT_MODES = ("min", "max", "sum", "avg", "median")
_NAMED_SORTS = ("_geo_distance", "_geoDistance", "_script")


def sort_order(value: str) -> Literal["asc", "desc"]:
    """``SortOrder.fromString``: ``valueOf(op.toUpperCase())``."""
    upper = value.upper()
    if upper not in ("ASC", "DESC"):
        raise illegal_argument(f"No enum constant org.elasticsearch.search.sort.SortOrder.{upper}")
    return "asc" if upper == "ASC" else "desc"


def _sort_mode(value: str) -> str:
    """``SortMode.fromString``."""
    if value.lower() not in _SORT_MODES:
        raise illegal_argument(f"Unknown SortMode [{value}]")
    return value.lower()


def _rejected(what: str) -> Field:
    def parse(value: Any) -> None:
        raise not_supported(what)

    return Field(VALUE | OBJECT, parse)


def _removed(name: str) -> Field:
    def parse(value: Any) -> None:
        raise parsing_error(f"[{name}] has been removed in favour of the [nested] parameter")

    return Field(VALUE | OBJECT, parse)


_FIELD_SORT: dict[str, Field] = {
    "missing": Field(VALUE, lambda v: "_last" if v is None else v),
    "unmapped_type": string_field(),
    "order": Field(STRING, sort_order),
    "mode": Field(STRING, _sort_mode),
    "nested": Field(OBJECT, parse_nested_sort),
    "numeric_type": Field(STRING, parse_numeric_type),
    "format": string_field(),
    "nested_path": _removed("nested_path"),
    "nested_filter": _removed("nested_filter"),
}
_SCORE_SORT: dict[str, Field] = {"order": Field(STRING, sort_order)}


def _field_or_score(name: str, order: Literal["asc", "desc"] | None = None) -> SortField:
    if name == "_shard_doc":
        raise not_supported("[_shard_doc] sort")
    return SortField(field=name, order=order or SortField.default_order(name))


def _object_sort(name: str, value: Any) -> SortField:
    """``{"f": {...}}``: ``_score`` and field sorts; script/geo sorts are not supported."""
    if name in _NAMED_SORTS:
        raise not_supported(f"[{name}] sort")
    if name == "_shard_doc":
        raise not_supported("[_shard_doc] sort")
    parser = "_score" if name == "_score" else "field_sort"
    if not isinstance(value, dict):
        raise x_content(f"[{parser}] Expected START_OBJECT but was: {jv.token_of(value)}")
    parsed = parse_object(parser, value, _SCORE_SORT if name == "_score" else _FIELD_SORT)
    order = parsed.pop("order", None) or SortField.default_order(name)
    return SortField(field=name, order=order, **parsed)


def _compound(obj: dict[str, Any]) -> list[SortField]:
    out = []
    for name, value in obj.items():
        if isinstance(value, str):
            out.append(_field_or_score(name, sort_order(value)))
        else:
            out.append(_object_sort(name, value))
    return out


def parse_sort(value: Any) -> tuple[SortField, ...]:
    """``SortBuilder.fromXContent`` for an array, an object or a field name."""
    if isinstance(value, list):
        out: list[SortField] = []
        for element in value:
            if isinstance(element, dict):
                out.extend(_compound(element))
            elif isinstance(element, str):
                out.append(_field_or_score(element))
            else:
                raise illegal_argument(
                    "malformed sort format, within the sort array, an object, or an actual string are allowed"
                )
        return tuple(out)
    if isinstance(value, str):
        return (_field_or_score(value),)
    if isinstance(value, dict):
        return tuple(_compound(value))
    raise illegal_argument("malformed sort format, either start with array, object, or an actual string")


def parse_search_after(value: Any) -> tuple[Any, ...]:
    """``SearchAfterBuilder.fromXContent``: a non-empty array of scalars (``null`` allowed)."""
    if not isinstance(value, list):
        raise parsing_error(
            f"Expected [START_ARRAY] in [search_after] but found [{jv.token_of(value)}] inside search_after"
        )
    for element in value:
        if element is not None and not jv.is_value(element):
            raise parsing_error(
                "Expected [VALUE_STRING] or [VALUE_NUMBER] or [VALUE_BOOLEAN] or [VALUE_NULL] but "
                f"found [{jv.token_of(element)}] inside search_after."
            )
    if not value:
        raise illegal_argument("Values must contains at least one value.")
    return tuple(value)
