"""Errors are the official ``elasticsearch`` client's classes.

``retrievo.errors.ApiError``, ``BadRequestError``, ``NotFoundError``, ``ConflictError`` … *are*
``elasticsearch.ApiError``, ``elasticsearch.BadRequestError`` …, so ``except
elasticsearch.NotFoundError`` catches what retrievo raises and code written against a real cluster
inspects ``e.body``, ``e.status_code``, ``e.meta.status`` and ``str(e)`` unchanged.

retrievo builds them through the factories below (:func:`api_error`, :func:`bad_request`, …), which
lay out the JSON body Elasticsearch would send (``error.type``, ``error.reason``,
``error.root_cause``, ``status``) and an :class:`elastic_transport.ApiResponseMeta` carrying the
status and Elasticsearch's response headers. :func:`error_type` and :func:`error_reason` read the
body back.
"""

from __future__ import annotations

from typing import Any

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch.exceptions import (
    HTTP_EXCEPTIONS,
    ApiError,
    AuthenticationException,
    AuthorizationException,
    BadRequestError,
    ConflictError,
    NotFoundError,
    TransportError,
)

__all__ = [
    "ApiError",
    "AuthenticationException",
    "AuthorizationException",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "TransportError",
    "api_error",
    "bad_request",
    "conflict",
    "document_parsing_error",
    "error_body",
    "error_cause",
    "error_from_body",
    "error_reason",
    "error_type",
    "illegal_argument",
    "index_not_found",
    "not_found",
    "not_found_body",
    "not_supported",
    "parsing_error",
    "response_meta",
    "validation_error",
    "x_content_parse_error",
]

#: The node an in-process response claims to come from (nothing listens there).
LOCAL_NODE = NodeConfig("http", "retrievo.invalid", 9200)

#: What Elasticsearch sends with every JSON response.
JSON_HEADERS: dict[str, str] = {"X-Elastic-Product": "Elasticsearch", "content-type": "application/json"}


def response_meta(status: int, headers: dict[str, str] | None = None, *, duration: float = 0.0) -> ApiResponseMeta:
    """The client's response metadata for a response retrievo produced itself."""
    return ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(JSON_HEADERS if headers is None else headers),
        duration=duration,
        node=LOCAL_NODE,
    )


def shard_failure(
    index: str | None, cause: dict[str, Any], *, reason: str = "all shards failed", node: str | None = None
) -> BadRequestError:
    """A failure inside the query (or fetch) phase on the one shard of ``index``: Elasticsearch and
    OpenSearch answer ``search_phase_execution_exception`` around ``cause``, status 400, naming the
    failed shard (none when ``index`` is ``None``: the failure came after the shards answered)."""
    shard: dict[str, Any] = {"shard": 0, "index": index}
    if node is not None:
        shard["node"] = node
    return bad_request(
        "search_phase_execution_exception",
        reason,
        caused_by=cause,
        root_cause=[dict(cause)],
        phase="query",
        grouped=True,
        failed_shards=[] if index is None else [{**shard, "reason": dict(cause)}],
    )


def query_shard_failure(index: str, reason: str, cause: dict[str, Any] | None = None) -> BadRequestError:
    """A ``QueryShardException`` thrown while the shard builds the query (``SearchExecutionContext.toQuery``
    wraps what the builder threw in one, "failed to create query: ..."): the search fails with it, status
    400. Unlike :func:`shard_failure`, the root cause is the shard exception itself, not what it wraps."""
    failure: dict[str, Any] = {"type": "query_shard_exception", "reason": reason, "index": index}
    if cause is not None:
        failure["caused_by"] = cause
    return bad_request(
        "search_phase_execution_exception",
        "all shards failed",
        caused_by=failure,
        root_cause=[{"type": "query_shard_exception", "reason": reason, "index": index}],
        phase="query",
        grouped=True,
        failed_shards=[{"shard": 0, "index": index, "node": "retrievo", "reason": failure}],
    )


def error_cause(error_type: str, reason: str, caused_by: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """One ``{type, reason, ...}`` object, the unit Elasticsearch nests in ``caused_by`` chains."""
    cause: dict[str, Any] = {"type": error_type, "reason": reason}
    cause.update(extra)
    if caused_by is not None:
        cause["caused_by"] = caused_by
    return cause


def error_body(
    error_type: str,
    reason: str,
    status: int,
    *,
    caused_by: dict[str, Any] | None = None,
    root_cause: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Elasticsearch's error body: ``{"error": {"root_cause": [...], "type", "reason", ...}, "status"}``."""
    top = error_cause(error_type, reason, caused_by, **extra)
    roots = root_cause if root_cause is not None else [error_cause(error_type, reason, **extra)]
    return {"error": {"root_cause": roots, **top}, "status": status}


def _message(body: Any) -> str:
    """The client's ``ApiError.message``: ``error.type`` for an error body, else the body as text."""
    if isinstance(body, dict):
        error = body.get("error", str(body))
        if isinstance(error, dict) and "type" in error:
            return str(error["type"])
        return str(error)
    return str(body)


def error_from_body(status: int, body: Any, meta: ApiResponseMeta | None = None) -> ApiError:
    """The exception the client raises for a response of ``status`` with ``body`` (its class rule too)."""
    cls = HTTP_EXCEPTIONS.get(status, ApiError)
    return cls(message=_message(body), meta=meta if meta is not None else response_meta(status), body=body)


def api_error(
    error_type: str,
    reason: str,
    *,
    status: int = 500,
    caused_by: dict[str, Any] | None = None,
    root_cause: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> ApiError:
    """An error of any status; the class follows the status (400 → ``BadRequestError`` …)."""
    body = error_body(error_type, reason, status, caused_by=caused_by, root_cause=root_cause, **extra)
    return error_from_body(status, body)


def bad_request(
    error_type: str,
    reason: str,
    *,
    caused_by: dict[str, Any] | None = None,
    root_cause: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> BadRequestError:
    body = error_body(error_type, reason, 400, caused_by=caused_by, root_cause=root_cause, **extra)
    return BadRequestError(message=error_type, meta=response_meta(400), body=body)


def not_found(
    error_type: str,
    reason: str,
    *,
    caused_by: dict[str, Any] | None = None,
    root_cause: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> NotFoundError:
    body = error_body(error_type, reason, 404, caused_by=caused_by, root_cause=root_cause, **extra)
    return NotFoundError(message=error_type, meta=response_meta(404), body=body)


def conflict(
    error_type: str,
    reason: str,
    *,
    caused_by: dict[str, Any] | None = None,
    root_cause: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> ConflictError:
    body = error_body(error_type, reason, 409, caused_by=caused_by, root_cause=root_cause, **extra)
    return ConflictError(message=error_type, meta=response_meta(409), body=body)


def _error_object(err: BaseException) -> dict[str, Any] | None:
    body = getattr(err, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return None


def error_type(err: BaseException) -> str:
    """``error.type`` of an Elasticsearch error (the client's ``err.error``/``err.message``)."""
    error = _error_object(err)
    if error is not None and "type" in error:
        return str(error["type"])
    return str(getattr(err, "message", type(err).__name__))


def error_reason(err: BaseException) -> str:
    """``error.reason`` of an Elasticsearch error; other objects' own ``reason``, else ``str(err)``."""
    error = _error_object(err)
    if error is not None and "reason" in error:
        return str(error["reason"])
    reason = getattr(err, "reason", None)
    return str(reason) if reason is not None else str(err)


def parsing_error(reason: str, **extra: Any) -> BadRequestError:
    """``parsing_exception``: what Elasticsearch raises for a malformed query DSL object."""
    return bad_request("parsing_exception", reason, **extra)


def illegal_argument(reason: str, **extra: Any) -> BadRequestError:
    return bad_request("illegal_argument_exception", reason, **extra)


def x_content_parse_error(reason: str, caused_by: dict[str, Any] | None = None) -> BadRequestError:
    """``x_content_parse_exception``: unknown or ill-typed fields inside an object parser."""
    return bad_request("x_content_parse_exception", reason, caused_by=caused_by)


def index_not_found(index: str) -> NotFoundError:
    extra: dict[str, Any] = {
        "resource.type": "index_or_alias",
        "resource.id": index,
        "index_uuid": "_na_",
        "index": index,
    }
    return not_found("index_not_found_exception", f"no such index [{index}]", **extra)


def document_parsing_error(reason: str, caused_by: dict[str, Any] | None = None) -> BadRequestError:
    return bad_request("document_parsing_exception", reason, caused_by=caused_by)


def not_supported(what: str, detail: str = "") -> BadRequestError:
    """A feature Elasticsearch has and retrievo does not: rejected loudly rather than ignored."""
    reason = f"{what} is not supported in retrievo" + (f": {detail}" if detail else "")
    return bad_request("illegal_argument_exception", reason)


def validation_error(*messages: str) -> BadRequestError:
    """``action_request_validation_exception``: Elasticsearch numbers each failed check."""
    body = "".join(f"{i}: {m};" for i, m in enumerate(messages, 1))
    return bad_request("action_request_validation_exception", f"Validation Failed: {body}")


def not_found_body(body: dict[str, Any]) -> NotFoundError:
    """A 404 whose body is not an error object (``get``/``delete`` of a missing document)."""
    return NotFoundError(message=_message(body), meta=response_meta(404), body=body)
