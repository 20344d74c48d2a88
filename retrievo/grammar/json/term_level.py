"""Term-level queries: ``term``, ``terms``, ``range``, ``exists``, ``ids``, ``prefix``.

Like the full-text parsers, these follow each Elasticsearch builder's ``fromXContent`` loop and
constructor checks, so errors come out in the same order and words. ``range`` accepts the legacy
``from``/``to``/``include_lower``/``include_upper`` parameters (Elasticsearch 8 still parses them)
and folds them into ``gt``/``gte``/``lt``/``lte`` with Elasticsearch's last-one-wins semantics.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, error_cause, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import (
    as_parsing,
    does_not_support,
    is_negative,
    multiple_fields,
    negative_boost,
    unknown_token,
)
from retrievo.grammar.json.objects import (
    NUMBER,
    STRING_ARRAY,
    Field,
    parse_array,
    parse_object,
    string_field,
)
from retrievo.grammar.json.query_common import (
    QueryContext,
    bool_param,
    checked_boost,
    float_param,
    text_param,
)
from retrievo.retrievers.queries import (
    ExistsQuery,
    IdsQuery,
    PrefixQuery,
    RangeQuery,
    Scalar,
    TermQuery,
    TermsQuery,
)


def _scalar(query: str, param: str, value: Any) -> Scalar | None:
    """``objectBytes()`` of a term value: a scalar or ``null``; structures are unknown tokens."""
    if value is None or jv.is_value(value):
        return value
    raise unknown_token(query, jv.token_of(value), param)


def _require_field_and_value(field: str | None, value: Any) -> tuple[str, Any]:
    """``BaseTermQueryBuilder``/``PrefixQueryBuilder`` constructor checks."""
    if not field:
        raise illegal_argument("field name is null or empty")
    if value is None:
        raise illegal_argument("value cannot be null")
    return field, value


def parse_term(body: dict[str, Any], ctx: QueryContext) -> TermQuery:
    """``TermQueryBuilder.fromXContent``; a ``null`` short-form value is skipped, as in ES."""
    field: str | None = None
    value: Any = None
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, list):
            raise parsing_error("[term] query does not support array of values")
        if val is None:
            continue
        if field is not None:
            raise multiple_fields("term", field, key)
        field = key
        if not isinstance(val, dict):
            value = _scalar("term", key, val)
            continue
        for pk, pv in val.items():
            if pk in ("term", "value"):
                value = _scalar("term", pk, pv)
            elif pk == "_name":
                params["name"] = text_param("term", pk, pv)
            elif pk == "boost":
                params["boost"] = float_param("term", pk, pv)
            elif pk == "case_insensitive":
                params["case_insensitive"] = bool_param("term", pk, pv)
            else:
                raise does_not_support("term", pk)
    field, value = _require_field_and_value(field, value)
    checked_boost("term", body, params.get("boost", 1.0), field_level=True)
    return TermQuery(field=field, value=value, **params)


def _terms_value(field: str, value: Any) -> Scalar:
    if value is None:
        raise illegal_argument("No value specified for terms query")
    return _scalar("terms", field, value)  # type: ignore[return-value]


def parse_terms(body: dict[str, Any], ctx: QueryContext) -> TermsQuery:
    """``TermsQueryBuilder.fromXContent``; the terms-lookup form is not supported by retrievo."""
    field: str | None = None
    values: list[Scalar] = []
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, list):
            if field is not None:
                raise parsing_error("[terms] query does not support multiple fields")
            field = key
            values = [_terms_value(key, v) for v in val]
        elif isinstance(val, dict):
            if field is not None:
                raise parsing_error(
                    f"[terms] query does not support more than one field. Already got: [{field}] but also found [{key}]"
                )
            raise not_supported("[terms] query with a terms lookup")
        elif not jv.is_value(val):
            raise unknown_token("terms", jv.token_of(val), key)
        elif key == "boost":
            params["boost"] = float_param("terms", key, val)
        elif key == "_name":
            params["name"] = jv.java_text(val)
        else:
            raise does_not_support("terms", key)
    if field is None:
        raise parsing_error(
            "[terms] query requires a field name, followed by array of terms or a document lookup specification"
        )
    checked_boost("terms", body, params.get("boost", 1.0))
    return TermsQuery(field=field, values=tuple(values), **params)


_RELATIONS = ("intersects", "disjoint", "within", "contains")


def _relation(value: Any) -> None:
    """``RangeQueryBuilder.relation``: only the default, ``intersects``, is supported here."""
    text = text_param("range", "relation", value)
    name = text.lower()
    if name not in _RELATIONS:
        raise illegal_argument(f"{text} is not a valid relation")
    if name == "disjoint":
        raise illegal_argument(f"[range] query does not support relation [{text}]")
    if name != "intersects":
        raise not_supported(f"[range] query relation [{name}]")


def _range_bounds(body: dict[str, Any]) -> dict[str, Any]:
    """The inner loop of ``range``: bounds are tracked as (value, inclusive) like ES 8."""
    low: Any = None
    high: Any = None
    low_incl: bool | None = None
    high_incl: bool | None = None
    out: dict[str, Any] = {}
    for key, val in body.items():
        if key in ("gt", "gte", "from"):
            low = _scalar("range", key, val)
            low_incl = (key == "gte") if key != "from" else low_incl
        elif key in ("lt", "lte", "to"):
            high = _scalar("range", key, val)
            high_incl = (key == "lte") if key != "to" else high_incl
        elif key == "include_lower":
            low_incl = bool_param("range", key, val)
        elif key == "include_upper":
            high_incl = bool_param("range", key, val)
        elif key == "boost":
            out["boost"] = float_param("range", key, val)
        elif key in ("time_zone", "format"):
            out[key] = text_param("range", key, val)
        elif key == "relation":
            _relation(val)
        elif key == "_name":
            out["name"] = text_param("range", key, val)
        else:
            raise does_not_support("range", key)
    if low is not None:
        out["gte" if low_incl in (None, True) else "gt"] = low
    if high is not None:
        out["lte" if high_incl in (None, True) else "lt"] = high
    return out


def parse_range(body: dict[str, Any], ctx: QueryContext) -> RangeQuery:
    """``RangeQueryBuilder.fromXContent``."""
    field: str | None = None
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, dict):
            if field is not None:
                raise multiple_fields("range", field, key)
            field = key
            params = _range_bounds(val)
        elif val is not None:
            raise does_not_support("range", key)
    if not field:
        raise illegal_argument("field name is null or empty")
    checked_boost("range", body, params.get("boost", 1.0), field_level=True)
    return RangeQuery(field=field, **params)


def parse_exists(body: dict[str, Any], ctx: QueryContext) -> ExistsQuery:
    """``ExistsQueryBuilder.fromXContent``."""
    field: str | None = None
    params: dict[str, Any] = {}
    for key, val in body.items():
        if not jv.is_value(val):
            raise unknown_token("exists", jv.token_of(val), key)
        if key == "field":
            field = jv.java_text(val)
        elif key == "_name":
            params["name"] = jv.java_text(val)
        elif key == "boost":
            params["boost"] = float_param("exists", key, val)
        else:
            raise does_not_support("exists", key)
    if field is None:
        raise parsing_error("[exists] must be provided with a [field]")
    if not field:
        raise illegal_argument("field name is null or empty")
    checked_boost("exists", body, params.get("boost", 1.0))
    return ExistsQuery(field=field, **params)


def _id(value: Any) -> str:
    if not jv.is_value(value):
        found = jv.token_of(value)
        raise jv.BadValue(error_cause("illegal_argument_exception", f"[ids] values must be strings, found [{found}]"))
    return jv.java_text(value)


def _ids_fields(body: dict[str, Any]) -> dict[str, Field]:
    def boost(value: Any) -> float:
        b = jv.java_float(value)
        if is_negative(b):
            raise negative_boost("ids", body)
        return b

    return {
        "values": Field(STRING_ARRAY, lambda v: parse_array(v, _id)),
        "boost": Field(NUMBER, boost),
        "_name": string_field(),
    }


def parse_ids(body: dict[str, Any], ctx: QueryContext) -> IdsQuery:
    """``IdsQueryBuilder.fromXContent``: an ObjectParser whose errors are rethrown as parsing."""
    try:
        parsed = parse_object("ids", body, _ids_fields(body))
    except ApiError as err:
        raise as_parsing(err) from None
    return IdsQuery(values=tuple(parsed.get("values", ())), boost=parsed.get("boost", 1.0), name=parsed.get("_name"))


def parse_prefix(body: dict[str, Any], ctx: QueryContext) -> PrefixQuery:
    """``PrefixQueryBuilder.fromXContent``."""
    field: str | None = None
    value: str | None = None
    params: dict[str, Any] = {}
    for key, val in body.items():
        if field is not None:
            raise multiple_fields("prefix", field, key)
        field = key
        if not isinstance(val, dict):
            value = None if val is None else text_param("prefix", key, val)
            continue
        for pk, pv in val.items():
            if pk == "value":
                value = None if pv is None else text_param("prefix", pk, pv)
            elif pk == "_name":
                params["name"] = text_param("prefix", pk, pv)
            elif pk == "boost":
                params["boost"] = float_param("prefix", pk, pv)
            elif pk == "rewrite":  # parsed (QueryParsers.parseRewriteMethod) when the query is built
                params["rewrite"] = None if pv is None else text_param("prefix", pk, pv)
            elif pk == "case_insensitive":
                params["case_insensitive"] = bool_param("prefix", pk, pv)
            else:
                raise does_not_support("prefix", pk)
    field, value = _require_field_and_value(field, value)
    checked_boost("prefix", body, params.get("boost", 1.0), field_level=True)
    return PrefixQuery(field=field, value=value, **params)
