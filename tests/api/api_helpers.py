"""Helpers for the router tests: send raw requests (paths as on the wire, parameters as text,
bodies as JSON/NDJSON bytes) and read Elasticsearch error bodies."""

from __future__ import annotations

import json
from typing import Any

from retrievo.api.router import Router
from retrievo.api.types import RestRequest, RestResponse

BOOKS = [
    {"title": "red fox", "year": 2001, "tags": ["animal"]},
    {"title": "blue fox jumps", "year": 2005, "tags": ["animal", "colour"]},
    {"title": "fox fox fox", "year": 2010, "tags": ["repeat"]},
    {"title": "green tree", "year": 1999, "tags": ["plant"]},
]


def send(router: Router, method: str, path: str, body: Any = None, **params: str) -> RestResponse:
    """One raw request: ``body`` a dict/list (sent as JSON), ``str``/``bytes`` (sent as is) or None."""
    if isinstance(body, (dict, list)):
        raw: bytes | None = json.dumps(body).encode()
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = body
    return router.handle(RestRequest(method, path, dict(params), raw))


def ndjson(*lines: Any) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def error_of(response: RestResponse) -> dict[str, Any]:
    """The ``error`` object of an Elasticsearch error body, checked for its shape."""
    body = response.body
    assert isinstance(body, dict) and body.get("status") == response.status, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert {"type", "reason", "root_cause"} <= set(error), body
    return error
