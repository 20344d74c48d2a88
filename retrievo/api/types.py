"""The two values every transport exchanges with the router: a REST request and its response.

The in-process client, the HTTP server and the command line all build a :class:`RestRequest` and
get a :class:`RestResponse` back from :meth:`retrievo.api.router.Router.handle`, which never raises:
errors come back as Elasticsearch's error body with its status. Transports only translate bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RestRequest:
    """One REST call as Elasticsearch's REST layer sees it."""

    #: "GET", "POST", "PUT", "DELETE" or "HEAD".
    method: str
    #: The URL path without the query string, still percent-encoded ("/books/_search", "/_inference/rerank/x").
    path: str
    #: Query-string parameters as text, as they arrive on the wire ("true", "1", "a,b").
    params: Mapping[str, str] = field(default_factory=dict)
    #: The raw body (JSON, NDJSON or nothing); the router decodes it per route.
    body: bytes | None = None
    #: Request headers with lower-cased names ("content-type", "authorization", ...).
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RestResponse:
    """What the router answers: a status, a body and the headers the route sets."""

    status: int
    #: A JSON-shaped value, ``str``/``bytes`` for text formats (ES|QL csv/tsv/txt), or ``None`` (HEAD, no body).
    body: Any = None
    #: Headers the route sets ("content-type" at least when there is a body); transports add their own.
    headers: Mapping[str, str] = field(default_factory=dict)
