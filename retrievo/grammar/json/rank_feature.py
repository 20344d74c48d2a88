"""The ``rank_feature`` query: Elasticsearch JSON → AST (``RankFeatureQueryBuilder.PARSER``).

A ``ConstructingObjectParser``: ``field`` is required, at most one function object (``saturation`` with
an optional ``pivot``, ``log`` with its ``scaling_factor``, ``sigmoid`` with ``pivot`` and ``exponent``,
``linear``); none means ``saturation`` with the pivot computed from the index.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from retrievo.errors import BadRequestError, bad_request, illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.query_common import QueryContext, checked_boost, float_param, text_param
from retrievo.retrievers.function_score import RankFeatureQuery

NAME = "rank_feature"
_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "saturation": ("pivot",),
    "log": ("scaling_factor",),
    "sigmoid": ("pivot", "exponent"),
    "linear": (),
}


def _x_content(reason: str, cause: dict[str, Any] | None = None) -> BadRequestError:
    return bad_request("x_content_parse_exception", reason, caused_by=cause)


def _f32(value: float) -> float:
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def _function(kind: str, body: Any) -> dict[str, float]:
    if not isinstance(body, dict):
        raise _x_content(f"[{NAME}] {kind} doesn't support values of type: {jv.token_of(body)}")
    out: dict[str, float] = {}
    for key, val in body.items():
        if key not in _FUNCTIONS[kind]:
            raise _x_content(f"[{kind}] unknown field [{key}]")
        out[key] = _f32(float_param(kind, key, val))
    missing = [p for p in _FUNCTIONS[kind] if p not in out and kind != "saturation"]
    if missing:
        raise _x_content(
            f"[{NAME}] failed to parse field [{kind}]",
            {"type": "illegal_argument_exception", "reason": f"Required [{', '.join(missing)}]"},
        )
    return out


def parse_rank_feature(body: dict[str, Any], ctx: QueryContext) -> RankFeatureQuery:
    field: str | None = None
    function: Literal["saturation", "log", "sigmoid", "linear"] | None = None
    values: dict[str, float] = {}
    params: dict[str, Any] = {}
    for key, val in body.items():
        if key == "field":
            field = text_param(NAME, key, val)
        elif key in _FUNCTIONS:
            if function is not None:
                raise illegal_argument("Can only specify one of [log], [saturation], [sigmoid] and [linear]")
            function = key  # type: ignore[assignment]
            values = _function(key, val)
        elif key == "boost":
            params["boost"] = _f32(float_param(NAME, key, val))
        elif key == "_name":
            params["name"] = text_param(NAME, key, val)
        else:
            raise _x_content(f"[feature] unknown field [{key}]")  # the parser is named "feature"
    if field is None:
        raise illegal_argument("Required [field]")
    checked_boost(NAME, body, params.get("boost", 1.0))
    return RankFeatureQuery(
        field=field,
        function=function or "saturation",
        pivot=values.get("pivot"),
        scaling_factor=values.get("scaling_factor"),
        exponent=values.get("exponent"),
        **params,
    )
