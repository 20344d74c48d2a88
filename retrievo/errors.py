"""Errors shaped like Elasticsearch's.

Every error carries the JSON body Elasticsearch would send (``error.type``, ``error.reason``,
``error.root_cause``, ``status``) so that code written against a real cluster can inspect
``e.body`` and ``e.status_code`` unchanged. The class names mirror the official
``elasticsearch`` client (``ApiError``, ``BadRequestError``, ``NotFoundError``, ``ConflictError``).
"""

from __future__ import annotations

from typing import Any


def error_cause(error_type: str, reason: str, caused_by: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """One ``{type, reason, ...}`` object, the unit Elasticsearch nests in ``caused_by`` chains."""
    cause: dict[str, Any] = {"type": error_type, "reason": reason}
    cause.update(extra)
    if caused_by is not None:
        cause["caused_by"] = caused_by
    return cause


class ApiError(Exception):
    """Base error: ``status_code`` plus Elasticsearch's error body in ``body``."""

    default_status: int = 500

    def __init__(
        self,
        error_type: str,
        reason: str,
        *,
        status: int | None = None,
        caused_by: dict[str, Any] | None = None,
        root_cause: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        self.status_code: int = status if status is not None else self.default_status
        top = error_cause(error_type, reason, caused_by, **extra)
        roots = root_cause if root_cause is not None else [error_cause(error_type, reason, **extra)]
        self.body: dict[str, Any] = {"error": {"root_cause": roots, **top}, "status": self.status_code}
        super().__init__(self.status_code, error_type, reason)

    @property
    def error(self) -> str:
        """The top-level ``error.type``; the official client exposes it under this name."""
        return str(self.body["error"]["type"])

    @property
    def reason(self) -> str:
        return str(self.body["error"]["reason"])

    @property
    def info(self) -> dict[str, Any]:
        return self.body

    @property
    def message(self) -> str:
        return self.error

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.status_code}, {self.error!r}, {self.reason!r})"


class BadRequestError(ApiError):
    default_status = 400


class NotFoundError(ApiError):
    default_status = 404


class ConflictError(ApiError):
    default_status = 409


def parsing_error(reason: str, **extra: Any) -> BadRequestError:
    """``parsing_exception``: what Elasticsearch raises for a malformed query DSL object."""
    return BadRequestError("parsing_exception", reason, **extra)


def illegal_argument(reason: str, **extra: Any) -> BadRequestError:
    return BadRequestError("illegal_argument_exception", reason, **extra)


def x_content_parse_error(reason: str, caused_by: dict[str, Any] | None = None) -> BadRequestError:
    """``x_content_parse_exception``: unknown or ill-typed fields inside an object parser."""
    return BadRequestError("x_content_parse_exception", reason, caused_by=caused_by)


def index_not_found(index: str) -> NotFoundError:
    extra: dict[str, Any] = {
        "resource.type": "index_or_alias",
        "resource.id": index,
        "index_uuid": "_na_",
        "index": index,
    }
    return NotFoundError("index_not_found_exception", f"no such index [{index}]", **extra)


def document_parsing_error(reason: str, caused_by: dict[str, Any] | None = None) -> BadRequestError:
    return BadRequestError("document_parsing_exception", reason, caused_by=caused_by)


def not_supported(what: str, detail: str = "") -> BadRequestError:
    """A feature Elasticsearch has and retrievo does not: rejected loudly rather than ignored."""
    reason = f"{what} is not supported in retrievo" + (f": {detail}" if detail else "")
    return BadRequestError("illegal_argument_exception", reason)


def validation_error(*messages: str) -> BadRequestError:
    """``action_request_validation_exception``: Elasticsearch numbers each failed check."""
    body = "".join(f"{i}: {m};" for i, m in enumerate(messages, 1))
    return BadRequestError("action_request_validation_exception", f"Validation Failed: {body}")


def not_found_body(body: dict[str, Any]) -> NotFoundError:
    """A 404 whose body is not an error object (``get``/``delete`` of a missing document)."""
    err = NotFoundError("not_found", "document not found")
    err.body = body
    return err
