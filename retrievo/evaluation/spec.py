"""A ``_rank_eval`` body → :class:`RankEvalSpec`, with Elasticsearch's parse and validation errors.

Elasticsearch parses the body with three nested ``ConstructingObjectParser``s — ``rank_eval``
(``requests``, ``metric``, ``templates``, ``max_concurrent_searches``), ``request`` (one rated
request) and ``rated_document`` — so an error deep inside reads ``[rank_eval] failed to parse field
[requests]`` around ``[request] failed to parse field [ratings]`` around the real cause. Each rated
request's search body is parsed here too (Elasticsearch parses it while reading the body), so a
malformed query fails the whole call, while errors met when the search runs become per-request
``failures`` (see :mod:`retrievo.evaluation.rank_eval`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from retrievo.errors import ApiError, BadRequestError, api_error, bad_request, illegal_argument, not_supported
from retrievo.evaluation.metric_specs import Metric, parse_metric
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import unknown_field, unsupported_token, x_content
from retrievo.grammar.json.objects import (
    OBJECT,
    OBJECT_ARRAY,
    STRING_ARRAY,
    Field,
    int_field,
    parse_array,
    parse_object,
)

DEFAULT_MAX_CONCURRENT_SEARCHES = 10


@dataclass(frozen=True)
class RatedDocument:
    index: str
    id: str
    rating: int


@dataclass(frozen=True)
class RatedRequest:
    """One search intent: an id, its ratings, and either a search body or a template + params."""

    id: str
    ratings: tuple[RatedDocument, ...]
    request: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    template_id: str | None = None
    summary_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankEvalSpec:
    requests: tuple[RatedRequest, ...]
    metric: Metric
    templates: dict[str, str]  # template id -> mustache source (JSON text)
    max_concurrent_searches: int = DEFAULT_MAX_CONCURRENT_SEARCHES


def _required(missing: list[str]) -> BadRequestError:
    return illegal_argument(f"Required [{', '.join(missing)}]")


def _build_failure(parser: str, cause: ApiError) -> BadRequestError:
    return x_content(f"Failed to build [{parser}] after last required field arrived", cause=cause)


def _string(value: Any) -> str:
    """``declareString``: strings, numbers and booleans are read as their text."""
    return jv.java_text(value)


_SCALAR = frozenset({jv.VALUE_STRING, jv.VALUE_NUMBER, jv.VALUE_BOOLEAN})


def parse_rated_document(value: Any) -> RatedDocument:
    if not isinstance(value, Mapping):
        raise bad_request("parsing_exception", f"[rated_document] Expected START_OBJECT but was: {jv.token_of(value)}")
    parsed = parse_object(
        "rated_document",
        value,
        {"_index": Field(_SCALAR, _string), "_id": Field(_SCALAR, _string), "rating": int_field()},
    )
    missing = [name for name in ("_index", "_id", "rating") if name not in parsed]
    if missing:
        raise _required(missing)
    if not parsed["_index"]:
        raise _build_failure("rated_document", illegal_argument("Index must be set for each rated document"))
    if not parsed["_id"]:
        raise _build_failure("rated_document", illegal_argument("DocId must be set for each rated document"))
    return RatedDocument(parsed["_index"], parsed["_id"], parsed["rating"])


#: ``RatedRequest.validateEvaluatedQuery``, in Elasticsearch's order.
_FORBIDDEN_PARTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("suggest",), "Query in rated requests should not contain a suggest section."),
    (("aggregations", "aggs"), "Query in rated requests should not contain aggregations."),
    (("highlight",), "Query in rated requests should not contain a highlighter section."),
    (("explain",), "Query in rated requests should not use explain."),
    (("profile",), "Query in rated requests should not use profile."),
)


def _flag_set(value: Any) -> bool:
    try:
        return jv.java_bool(value)
    except jv.BadValue:
        return False


def validate_evaluated_query(body: Mapping[str, Any]) -> None:
    """Refuse the search sections that make no sense in an evaluation (Elasticsearch's checks)."""
    for keys, message in _FORBIDDEN_PARTS:
        for key in keys:
            if key not in body:
                continue
            if key in ("explain", "profile") and not _flag_set(body[key]):
                continue
            raise illegal_argument(message)


def parse_search_body(value: Any) -> dict[str, Any]:
    """A rated request's search body, checked as ``SearchSourceBuilder.parseXContent`` and then
    ``validateEvaluatedQuery`` would (the evaluation-specific refusals are reported first, since
    retrievo itself refuses aggregations and the like with a less helpful message)."""
    from retrievo.grammar.json import parse_search

    if not isinstance(value, Mapping):
        raise bad_request("parsing_exception", f"Expected [START_OBJECT] but found [{jv.token_of(value)}]")
    body = dict(value)
    validate_evaluated_query(body)
    parse_search("_rank_eval", body)
    return body


def parse_rated_request(value: Any) -> RatedRequest:
    if not isinstance(value, Mapping):
        raise bad_request("parsing_exception", f"[request] Expected START_OBJECT but was: {jv.token_of(value)}")
    parsed = parse_object(
        "request",
        value,
        {
            "id": Field(_SCALAR, _string),
            "ratings": Field(OBJECT_ARRAY, lambda v: parse_array(v, parse_rated_document)),
            "request": Field(OBJECT, parse_search_body),
            "params": Field(OBJECT, dict),
            "summary_fields": Field(STRING_ARRAY, lambda v: tuple(parse_array(v, _summary_field))),
            "template_id": Field(_SCALAR, _string),
        },
    )
    missing = [name for name in ("id", "ratings") if name not in parsed]
    if missing:
        raise _required(missing)
    request, params, template_id = parsed.get("request"), parsed.get("params") or {}, parsed.get("template_id")
    rid: str = parsed["id"]
    error: str | None = None
    if (params and request is not None) or (template_id is not None and request is not None):
        error = "Ambiguous rated request: Set both, verbatim test request and test request template parameters."
    elif not params and request is None:
        error = "Need to set at least test request or test request template parameters."
    elif params and template_id is None:
        error = "If template parameters are supplied need to set id of template to apply them to too."
    if error is None:
        seen: set[tuple[str, str]] = set()
        for doc in parsed["ratings"]:
            key = (doc.index, doc.id)
            if key in seen:
                shown = json.dumps({"_index": doc.index, "_id": doc.id}, separators=(",", ":"))
                error = f"Found duplicate rated document key [{shown}] in evaluation request [{rid}]"
                break
            seen.add(key)
    if error is not None:
        raise _build_failure("request", illegal_argument(error))
    return RatedRequest(
        id=rid,
        ratings=tuple(parsed["ratings"]),
        request=request,
        params=dict(params),
        template_id=template_id,
        summary_fields=parsed.get("summary_fields", ()),
    )


def _summary_field(value: Any) -> str:
    if not jv.is_value(value):
        raise jv.BadValue(
            {"type": "illegal_state_exception", "reason": f"expected value but got [{jv.token_of(value)}]"}
        )
    return _string(value)


def _script_source(value: Any) -> tuple[str, str]:
    """``Script.parse`` for a template: returns (id, mustache source as text)."""
    if not isinstance(value, Mapping):
        raise bad_request("parsing_exception", f"expected a script but found [{jv.token_of(value)}]")
    allowed = {"source", "id", "lang", "params", "options"}
    for key in value:
        if key not in allowed:
            raise unknown_field("script", key, allowed)
    if "id" in value:
        raise not_supported("stored scripts ([id] in a rank_eval template)", "give the template inline as [source]")
    if "params" in value:
        raise not_supported(
            "[params] on a rank_eval template",
            "Elasticsearch does not apply them; give parameters in each request's [params]",
        )
    lang = value.get("lang", "mustache")
    if lang != "mustache":
        raise illegal_argument(f"script_lang not supported [{lang}]")
    options = value.get("options") or {}
    content_type = options.get("content_type") if isinstance(options, Mapping) else None
    if content_type not in (None, "application/json", "application/json; charset=UTF-8"):
        raise not_supported(f"template content_type [{content_type}]", "templates render JSON")
    if "source" not in value:
        raise illegal_argument("must specify either [source] for an inline script or [id] for a stored script")
    source = value["source"]
    if isinstance(source, Mapping):
        return "", json.dumps(source, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(source, str):
        raise unsupported_token("script", "source", jv.token_of(source))
    return "", source


def _template(value: Any) -> tuple[str, str]:
    if not isinstance(value, Mapping):
        raise bad_request("parsing_exception", f"[script_with_id] Expected START_OBJECT but was: {jv.token_of(value)}")
    parsed = parse_object(
        "script_with_id", value, {"id": Field(_SCALAR, _string), "template": Field(OBJECT, _script_source)}
    )
    missing = [name for name in ("id", "template") if name not in parsed]
    if missing:
        raise _required(missing)
    return parsed["id"], parsed["template"][1]


def parse_rank_eval(body: Any) -> RankEvalSpec:
    """Parse a whole ``_rank_eval`` body."""
    if not isinstance(body, Mapping):
        raise bad_request("parsing_exception", f"request body is required, found [{jv.token_of(body)}]")
    parsed = parse_object(
        "rank_eval",
        body,
        {
            "requests": Field(OBJECT_ARRAY, lambda v: parse_array(v, parse_rated_request)),
            "metric": Field(OBJECT, parse_metric),
            "templates": Field(OBJECT_ARRAY, lambda v: parse_array(v, _template)),
            "max_concurrent_searches": int_field(),
        },
    )
    missing = [name for name in ("requests", "metric") if name not in parsed]
    if missing:
        raise _required(missing)
    requests: list[RatedRequest] = parsed["requests"]
    if not requests:
        raise _build_failure(
            "rank_eval",
            illegal_argument("Cannot evaluate ranking if no search requests with rated results are provided. Seen: []"),
        )
    templates = dict(parsed.get("templates") or [])
    if not templates:
        for request in requests:
            if request.request is None:
                cause = api_error(
                    "illegal_state_exception",
                    "Cannot evaluate ranking if neither template nor evaluation request is "
                    f"provided. Seen for request id: {request.id}",
                )
                raise _build_failure("rank_eval", cause)
    for request in requests:
        if request.request is None and request.template_id not in templates:
            raise illegal_argument(
                f"Template with id [{request.template_id}] not found for rated "
                f"request [{request.id}]; known templates: {sorted(templates)}"
            )
    concurrency = parsed.get("max_concurrent_searches", DEFAULT_MAX_CONCURRENT_SEARCHES)
    if concurrency < 1:
        raise illegal_argument("maxConcurrentSearchRequests must be positive")
    return RankEvalSpec(
        requests=tuple(requests), metric=parsed["metric"], templates=templates, max_concurrent_searches=concurrency
    )
