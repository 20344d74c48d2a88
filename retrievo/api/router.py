"""The router: (method, path, query parameters, body) → a handler → an Elasticsearch response.

:meth:`Router.handle` never raises. It matches the path against the route table
(:mod:`retrievo.api.routes`; literal segments beat placeholders, as in Elasticsearch's ``PathTrie``,
and a route that lacks the method lets a less specific one answer), percent-decodes the path parts,
answers ``HEAD`` with the ``GET`` route's status and no body, checks the query parameters (an unknown
one is Elasticsearch's ``illegal_argument_exception`` with its "did you mean" suggestions), decodes the
body (JSON, or NDJSON handed over raw) and runs the handler. Errors become Elasticsearch's error body
and status: the ``ApiError`` family by its ``body`` and ``status_code`` (or ``meta.status``), anything
else a 500 with an Elasticsearch-shaped body — never a traceback. ``filter_path`` is applied to
JSON bodies other than error bodies (Elasticsearch builds those unfiltered).

A path with no route is Elasticsearch's ``400 no handler found for uri [...] and method [...]``; a path
whose routes lack the method is ``405 Incorrect HTTP method for uri [...] and method [...], allowed:
[...]`` with an ``Allow`` header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlencode

from retrievo import xcontent
from retrievo.api import params as p
from retrievo.api.call import Call, status_of
from retrievo.api.routes import ROUTES, Route
from retrievo.api.types import RestRequest, RestResponse
from retrievo.catalog import Catalog
from retrievo.errors import bad_request, illegal_argument, not_supported

#: Elasticsearch's ``RestRequest.Method`` order, used when listing allowed methods.
_METHOD_ORDER = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT")
_JSON = {"content-type": "application/json"}
#: How many (method, path) matches the router remembers.
_MATCH_MEMO = 1024


class Router:
    """The REST API over one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.routes = ROUTES

    @property
    def routes(self) -> tuple[Route, ...]:
        """The route table (:data:`retrievo.api.routes.ROUTES` unless replaced)."""
        return self._routes

    @routes.setter
    def routes(self, routes: tuple[Route, ...]) -> None:
        self._routes = tuple(routes)
        self._matched: dict[tuple[str, str], tuple[Route, dict[str, str]]] = {}
        by_length: dict[int, list[Route]] = {}
        for route in sorted(self._routes, key=_specificity, reverse=True):
            by_length.setdefault(len(route.segments), []).append(route)
        self._by_length = by_length

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: RestRequest) -> RestResponse:
        """The response to ``request``; never raises."""
        try:
            return self._handle(request)
        except Exception as err:  # noqa: BLE001 - every failure becomes a response
            response = error_response(err)
            if request.method.upper() == "HEAD":
                return RestResponse(response.status, None, response.headers)
            return response

    def match(
        self, method: str, path: str, params: Mapping[str, str] | None = None
    ) -> tuple[Route, dict[str, str]] | RestResponse:
        """The route and path parts for ``method path``, or the no-handler / wrong-method response
        (whose message names the URI with its query string, as Elasticsearch's does)."""
        method = method.upper()
        known = self._matched.get((method, path))  # the table is fixed: a path matches as it did before
        if known is not None:
            return known[0], dict(known[1])
        segments = _segments(path)
        routes = self._by_length.get(len(segments), [])
        candidates = []
        for route in routes:
            parts = _match(route.segments, segments)
            if parts is None:
                continue
            if method in route.methods:
                return self._remember(method, path, route, parts)  # the most specific route with the method
            if method == "HEAD" and "GET" in route.methods:
                # HEAD is the GET route without a body, unless the same path has a HEAD route of its own
                own = next((r for r in routes if r.pattern == route.pattern and "HEAD" in r.methods), route)
                return self._remember(method, path, own, parts)
            candidates.append((route, parts))
        uri = _uri(path, params or {})
        allowed = {m for route, _ in candidates for m in route.methods}
        if "GET" in allowed:
            allowed.add("HEAD")
        if method == "OPTIONS" and allowed:
            return RestResponse(200, None, {"allow": ",".join(_ordered(allowed))})
        if allowed:
            ordered = _ordered(allowed)
            message = f"Incorrect HTTP method for uri [{uri}] and method [{method}], allowed: [{', '.join(ordered)}]"
            return RestResponse(405, {"error": message, "status": 405}, {**_JSON, "allow": ",".join(ordered)})
        message = f"no handler found for uri [{uri}] and method [{method}]"
        return RestResponse(400, {"error": message, "status": 400}, dict(_JSON))

    def _remember(self, method: str, path: str, route: Route, parts: dict[str, str]) -> tuple[Route, dict[str, str]]:
        """Keep a match for the next request to the same path (a bounded memo: paths with document ids
        are unbounded, so it starts over when full)."""
        if len(self._matched) >= _MATCH_MEMO:
            self._matched.clear()
        self._matched[(method, path)] = (route, dict(parts))
        return route, parts

    def _handle(self, request: RestRequest) -> RestResponse:
        method = request.method.upper()
        matched = self.match(method, request.path, request.params)
        if isinstance(matched, RestResponse):
            return matched if method != "HEAD" else RestResponse(matched.status, None, matched.headers)
        route, parts = matched
        params = dict(request.params)
        decoded_path = "/" + "/".join(_segments(request.path))
        unknown = [name for name in params if name not in route.params and name not in p.COMMON]
        if route.api == "esql.query":
            unknown = [n for n in unknown if n != "format"]
        elif params.get("format") not in (None, "json"):
            raise not_supported(f"[format={params['format']}]", "retrievo answers in JSON")
        if unknown:
            raise illegal_argument(p.unrecognized(decoded_path, unknown, route.params | p.COMMON))
        refused = _content_type_refused(request)
        if refused is not None:
            return refused
        body = _decode_body(route, method, decoded_path, request.body)
        call = Call(self.catalog, parts, params, body, method, decoded_path)
        result = route.handler(call)
        response = result if isinstance(result, RestResponse) else RestResponse(200, result, dict(_JSON))
        if response.body is not None and not isinstance(response.body, (str, bytes)):
            if "content-type" not in response.headers:
                response = RestResponse(response.status, response.body, {**response.headers, **_JSON})
            if params.get("filter_path") is not None and not _is_error(response.body):
                response = RestResponse(
                    response.status, p.filter_path(response.body, params["filter_path"]), response.headers
                )
        if method == "HEAD":
            response = RestResponse(response.status, None, response.headers)
        return response


# ---------------------------------------------------------------------------- helpers


def _segments(path: str) -> list[str]:
    raw = path.split("?", 1)[0]
    return [unquote(s) for s in raw.split("/") if s != ""]


def _match(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    parts: dict[str, str] = {}
    for want, got in zip(pattern, segments):
        if want.startswith("{"):
            parts[want[1:-1]] = got
        elif want != got:
            return None
    return parts


def _specificity(route: Route) -> tuple[int, tuple[bool, ...]]:
    literal = tuple(not s.startswith("{") for s in route.segments)
    return sum(literal), literal


def _ordered(methods: set[str]) -> list[str]:
    return sorted(methods, key=lambda m: _METHOD_ORDER.index(m) if m in _METHOD_ORDER else len(_METHOD_ORDER))


def _uri(path: str, params: Mapping[str, str]) -> str:
    return path + ("?" + urlencode(dict(params)) if params else "")


#: Media types whose bodies retrievo reads (Elasticsearch's JSON and NDJSON, plain and versioned).
_READABLE = ("application/json", "application/x-ndjson", "application/vnd.elasticsearch+json")
_READABLE_NDJSON = "application/vnd.elasticsearch+x-ndjson"
_OTHER_XCONTENT = ("application/yaml", "application/cbor", "application/smile")


def _content_type_refused(request: RestRequest) -> RestResponse | None:
    """Elasticsearch's 406 for a body sent with a media type it does not read (no header: JSON)."""
    if not request.body:
        return None
    header = next((v for k, v in request.headers.items() if k.lower() == "content-type"), None)
    if header is None:
        return None
    media = header.split(";", 1)[0].strip().lower()
    if media in _READABLE or media == _READABLE_NDJSON:
        return None
    if media in _OTHER_XCONTENT or media.startswith("application/vnd.elasticsearch+"):
        raise not_supported(f"[Content-Type: {media}]", "retrievo reads JSON and NDJSON bodies")
    message = f"Content-Type header [{header}] is not supported"
    return RestResponse(406, {"error": message, "status": 406}, dict(_JSON))


def _decode_body(route: Route, method: str, path: str, raw: bytes | None) -> Any:
    present = raw is not None and raw.strip() != b""
    if route.body == "raw":  # another system's route: its handler reads the bytes and answers in that system's shape
        return bytes(raw) if present and raw is not None else None
    if route.body == "none":
        if present:
            raise illegal_argument(f"request [{method} {path}] does not support having a body")
        return None
    if not present:
        if route.body in ("required", "ndjson"):
            raise bad_request("parse_exception", "request body is required")
        return None
    assert raw is not None
    if route.body == "ndjson":  # each line is read where its request reads it (bulk: per item)
        return bytes(raw)
    try:
        return xcontent.loads(bytes(raw))
    except json.JSONDecodeError as e:
        raise bad_request("x_content_parse_exception", f"[{e.lineno}:{e.colno}] {e.msg}") from None


def _is_error(body: Any) -> bool:
    """An error body (built by Elasticsearch's unfiltered error builder), as opposed to a 404 result body."""
    return isinstance(body, dict) and "error" in body and "status" in body


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_response(err: BaseException) -> RestResponse:
    """The response for an exception: an ``ApiError`` (retrievo's or, later, the official client's:
    only ``body`` and ``status_code``/``meta.status`` are read) as it is; anything else a 500 with an
    Elasticsearch-shaped body naming the exception's type (never its traceback)."""
    status = status_of(err)
    body = getattr(err, "body", None)
    if isinstance(status, int) and body is not None:
        return RestResponse(status, body, dict(_JSON))
    kind = _snake(type(err).__name__)
    kind = kind if kind.endswith(("_error", "_exception")) else kind + "_exception"
    reason = str(err) or type(err).__name__
    cause = {"type": kind, "reason": reason}
    return RestResponse(500, {"error": {"root_cause": [cause], **cause}, "status": 500}, dict(_JSON))
