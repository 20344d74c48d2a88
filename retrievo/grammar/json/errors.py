"""Elasticsearch's parse-error shapes, built on :mod:`retrievo.errors`.

Three families matter, because Elasticsearch uses all three and clients match on them:

* ``parsing_exception`` from hand-written parsers (``[match] query does not support [foo]``);
* ``x_content_parse_exception`` from ``ObjectParser`` (``[bool] unknown field [foo]``), which also
  *wraps* any error raised while parsing one field as ``[bool] failed to parse field [must]``;
* plain ``illegal_argument_exception`` from builder setters and constructors.

``root_cause`` follows ``ElasticsearchException.guessRootCauses``: a wrapper exposes the root cause
of what it wraps when that is an Elasticsearch exception or another x-content error, and itself
otherwise. Errors that exist only because retrievo lacks a feature (``not_supported``) are never
wrapped: Elasticsearch would have accepted the request, so the useful message is retrievo's.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable
from typing import Any

from retrievo.errors import (
    ApiError,
    BadRequestError,
    bad_request,
    error_cause,
    error_reason,
    illegal_argument,
    parsing_error,
)

# Error types that are (subclasses of) ElasticsearchException or XContentParseException: a wrapper
# around one of these reports the inner root cause; around anything else (IAE, NumberFormat…),
# itself.
_TRANSPARENT_CAUSES = frozenset(
    {
        "parsing_exception",
        "x_content_parse_exception",
        "parse_exception",
        "named_object_not_found_exception",
        "action_request_validation_exception",
        "search_phase_execution_exception",
        "status_exception",
    }
)

_UNSUPPORTED_MARK = " is not supported in retrievo"


def is_unsupported(err: ApiError) -> bool:
    """True for retrievo's own ``not_supported`` errors, which wrappers must let through."""
    return _UNSUPPORTED_MARK in error_reason(err)


def _float32(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])


def lucene_similarity(target: str, other: str) -> float:
    """Lucene's ``LevenshteinDistance.getDistance``: ``1 - edits / max(len)``, in Java floats."""
    n, m = len(target), len(other)
    if n == 0 or m == 0:
        return 1.0 if n == m else 0.0
    prev = list(range(n + 1))
    for j in range(1, m + 1):
        cur = [j] + [0] * n
        for i in range(1, n + 1):
            cost = 0 if target[i - 1] == other[j - 1] else 1
            cur[i] = min(cur[i - 1] + 1, prev[i] + 1, prev[i - 1] + cost)
        prev = cur
    return _float32(1.0 - _float32(prev[n] / max(n, m)))


def suggest(unknown: str, candidates: Iterable[str]) -> str:
    """``SuggestingErrorOnUnknown.suggest``: candidates more than 0.5 similar, best first.

    Returns ``""``, `` did you mean [x]?`` or `` did you mean any of [x, y]?``.
    """
    scored = [(lucene_similarity(unknown, c), c) for c in set(candidates)]
    keys = [c for s, c in sorted(scored, key=lambda t: (-t[0], t[1])) if s > 0.5]
    if not keys:
        return ""
    if len(keys) == 1:
        return f" did you mean [{keys[0]}]?"
    return f" did you mean any of [{', '.join(keys)}]?"


def _cause_of(err: ApiError) -> dict[str, Any]:
    return {k: v for k, v in err.body["error"].items() if k != "root_cause"}


def x_content(reason: str, *, cause: ApiError | dict[str, Any] | None = None) -> BadRequestError:
    """An ``x_content_parse_exception``, optionally wrapping a cause with ES's root-cause rule."""
    if cause is None:
        return bad_request("x_content_parse_exception", reason)
    if isinstance(cause, ApiError):
        roots = cause.body["error"]["root_cause"] if cause.error in _TRANSPARENT_CAUSES else None
        return bad_request("x_content_parse_exception", reason, caused_by=_cause_of(cause), root_cause=roots)
    roots = [error_cause(cause["type"], cause["reason"])] if cause["type"] in _TRANSPARENT_CAUSES else None
    return bad_request("x_content_parse_exception", reason, caused_by=cause, root_cause=roots)


def failed_field(parser: str | None, field: str, cause: ApiError | dict[str, Any]) -> ApiError:
    """``[parser] failed to parse field [field]`` around ``cause`` (unsupported errors pass)."""
    if isinstance(cause, ApiError) and is_unsupported(cause):
        return cause
    prefix = f"[{parser}] " if parser else ""
    return x_content(f"{prefix}failed to parse field [{field}]", cause=cause)


def as_parsing(err: ApiError) -> ApiError:
    """What ``MatchAllQueryBuilder``/``IdsQueryBuilder`` do: rethrow as ``parsing_exception``."""
    if is_unsupported(err):
        return err
    return bad_request("parsing_exception", error_reason(err), caused_by=_cause_of(err))


def unknown_field(parser: str, field: str, candidates: Iterable[str]) -> BadRequestError:
    return x_content(f"[{parser}] unknown field [{field}]{suggest(field, candidates)}")


def unsupported_token(parser: str, field: str, token: str) -> BadRequestError:
    return x_content(f"[{parser}] {field} doesn't support values of type: {token}")


def does_not_support(query: str, param: str) -> BadRequestError:
    return parsing_error(f"[{query}] query does not support [{param}]")


def unknown_token(query: str, token: str, param: str | None) -> BadRequestError:
    return parsing_error(f"[{query}] unknown token [{token}] after [{param}]")


def multiple_fields(query: str, first: str, second: str) -> BadRequestError:
    return parsing_error(f"[{query}] query doesn't support multiple fields, found [{first}] and [{second}]")


def is_negative(x: float) -> bool:
    """``Float.compare(x, 0f) < 0``: ``-0.0`` counts as negative, ``NaN`` does not."""
    return x < 0 or (x == 0 and math.copysign(1.0, x) < 0)


def negative_boost(query: str, body: Any, *, field_level: bool = False) -> BadRequestError:
    """``AbstractQueryBuilder.checkNegativeBoost``.

    Elasticsearch prints the builder's ``toString()`` (pretty JSON with every default); we print the
    query as the user wrote it, compactly and without its ``boost``, which names the same query.
    ``field_level`` queries (``match``, ``term`` …) keep their boost one level down.
    """

    def strip(obj: Any) -> Any:
        return {k: v for k, v in obj.items() if k != "boost"} if isinstance(obj, dict) else obj

    shown = strip(body)
    if field_level and isinstance(shown, dict):
        shown = {k: strip(v) for k, v in shown.items()}
    text = json.dumps({query: shown}, separators=(",", ":"), default=str)
    return illegal_argument(f"negative [boost] are not allowed in [{text}], use a value between 0 and 1 to deboost")
