"""What a handler receives: the catalog, the path parts, the query parameters and the decoded body.

Handlers are plain functions ``handler(call) -> body | RestResponse``. The router builds a
:class:`Call` from a :class:`~retrievo.api.types.RestRequest` (parameters as text, the body decoded
from JSON; NDJSON bodies stay bytes for the bulk and msearch parsers); ``Engine`` builds one from
its keyword arguments (parameters as Python values, the body as the objects it was given). Every
parameter reader in :mod:`retrievo.api.params` accepts both spellings, so the two ways in run the
same code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from retrievo import xcontent
from retrievo.api.types import RestResponse
from retrievo.catalog import Catalog
from retrievo.errors import bad_request, not_supported


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it."""

    catalog: Catalog
    #: Path parts by name, percent-decoded ("index", "id", "inference_id", ...).
    path: Mapping[str, Any] = field(default_factory=dict)
    #: Query parameters: text from the wire, or Python values from ``Engine``.
    params: Mapping[str, Any] = field(default_factory=dict)
    #: The decoded body (a JSON value), raw bytes/text for NDJSON routes, or ``None``.
    body: Any = None
    #: The request's method and decoded path, for messages that name them.
    method: str = "GET"
    uri: str = "/"

    def part(self, name: str) -> Any:
        """A path part (text from the router; ``Engine`` may pass a list of index names), ``None``
        when the route has none of that name."""
        return self.path.get(name)

    def param(self, name: str, default: Any = None) -> Any:
        value = self.params.get(name)
        return default if value is None else value


def reply(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> RestResponse:
    """A response with a status other than 200 (or a non-JSON body)."""
    return RestResponse(status=status, body=body, headers=dict(headers or {}))


def body_object(value: Any, what: str) -> dict[str, Any]:
    """A body that must be a JSON object (``Engine`` may pass JSON text, as the official client would
    send it)."""
    if value is None:
        raise bad_request("parse_exception", "request body is required")
    if isinstance(value, (str, bytes)):
        try:
            value = xcontent.loads(value)
        except json.JSONDecodeError as e:
            raise bad_request(
                "x_content_parse_exception", f"[{what}] is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
            ) from None
        except UnicodeDecodeError:
            raise bad_request("x_content_parse_exception", f"[{what}] is not valid UTF-8") from None
    if not isinstance(value, Mapping):
        raise bad_request("parsing_exception", f"[{what}] must be an object, found [{type(value).__name__}]")
    return dict(value)


def refuse(call: Call, *names: str) -> None:
    """Parameters Elasticsearch accepts here and retrievo cannot honour: refused by name."""
    for name in names:
        if call.params.get(name) is not None:
            raise not_supported(f"[{name}]")


def status_of(err: BaseException) -> int | None:
    """The HTTP status an error carries: ``meta.status`` (the official client's errors) or
    ``status_code``."""
    status = getattr(getattr(err, "meta", None), "status", None)
    if not isinstance(status, int):
        status = getattr(err, "status_code", None)
    return status if isinstance(status, int) else None
