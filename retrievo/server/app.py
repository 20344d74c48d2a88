"""The HTTP transport: one Starlette route that hands every request to the REST router.

``create_app(router, settings, credentials)`` is an ASGI application. Its single catch-all route
authenticates the request (:mod:`retrievo.server.auth`), reads the body within
``http.max_content_length`` (413 and the connection closed past it, as Elasticsearch does; an
``Expect`` other than ``100-continue`` is 417), decompresses it, and builds a
:class:`~retrievo.api.types.RestRequest`. ``router.handle`` runs in a
worker thread (a pool of ``thread_pool.search.size``), so searches run alongside each other and
alongside writes, and the event loop only moves bytes; the worker also serialises the response
(:mod:`retrievo.server.wire`). Every response carries ``X-Elastic-Product: Elasticsearch``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from retrievo.api.types import RestRequest, RestResponse
from retrievo.errors import error_body
from retrievo.server import wire
from retrievo.server.auth import Credentials
from retrievo.server.settings import ServerSettings

PRODUCT_HEADER = ("x-elastic-product", "Elasticsearch")

#: Response headers the transport writes itself; a route's own values for them are not copied.
_TRANSPORT_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "x-elastic-product"})


class Handler(Protocol):
    """What the transport needs of the router: :meth:`retrievo.api.router.Router.handle`."""

    def handle(self, request: RestRequest) -> RestResponse: ...


class _Reply:
    """A response ready for the wire: status, headers (repeatable names) and payload."""

    __slots__ = ("headers", "payload", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.status = status
        self.headers = headers
        self.payload = payload

    def to_response(self) -> Response:
        response = Response(self.payload, status_code=self.status)
        for name, value in self.headers:
            response.headers.append(name, value)
        return response


def _headers(request: Request) -> dict[str, str]:
    """Request headers by lower-cased name; a repeated header's values joined with ``, `` (RFC 9110)."""
    out: dict[str, str] = {}
    for raw_name, raw_value in request.scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _raw_path(scope: Mapping[str, Any]) -> str:
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).partition(b"?")[0].decode("latin-1")
    return urllib.parse.quote(scope.get("path") or "/")


#: How much of a refused body is still read before answering 413: closing a connection with unread
#: bytes makes the kernel reset it, and a client may then lose the 413 before reading it.
DRAIN_BYTES = 16 * 1024 * 1024


async def _drain(stream: AsyncIterator[bytes]) -> None:
    """Read and drop what is left of a request body (up to :data:`DRAIN_BYTES`)."""
    left = DRAIN_BYTES
    try:
        async for chunk in stream:
            left -= len(chunk)
            if left < 0:
                break
    except ClientDisconnect:
        pass


class Transport:
    """The state one server's route works with: the router, its settings and credentials."""

    def __init__(self, router: Handler, settings: ServerSettings, credentials: Credentials) -> None:
        self.router = router
        self.settings = settings
        self.credentials = credentials
        #: Bounds the handlers running at once; made on the first request, inside the event loop.
        self.limiter: anyio.CapacityLimiter | None = None

    # ------------------------------------------------------------------ replies the transport makes

    def _json_reply(
        self, status: int, body: Any, headers: Mapping[str, str], extra: list[tuple[str, str]] | None = None
    ) -> _Reply:
        payload = wire.dump_json(body)
        out = [PRODUCT_HEADER, ("content-type", wire.json_media_type(headers, has_body=False)), *(extra or [])]
        return _Reply(status, out, payload)

    def _bad_request(self, reason: str, headers: Mapping[str, str]) -> _Reply:
        return self._json_reply(400, error_body("illegal_argument_exception", reason, 400), headers)

    @staticmethod
    def _too_large() -> _Reply:
        # Elasticsearch's Netty4HttpContentSizeHandler: 413, no body, and the connection closed.
        return _Reply(413, [PRODUCT_HEADER, ("connection", "close")], b"")

    # ------------------------------------------------------------------ the route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route's ASGI app: every method and path (the router answers unknown ones)."""
        try:
            reply = await self._reply(Request(scope, receive))
        except Exception as e:  # noqa: BLE001 - a transport fault is still an Elasticsearch-shaped 500
            body = error_body("exception", f"{type(e).__name__}: {e}", 500)
            reply = self._json_reply(500, body, {})
        await reply.to_response()(scope, receive, send)

    async def _reply(self, request: Request) -> _Reply:
        scope = request.scope
        headers = _headers(request)
        path = _raw_path(scope)
        query = bytes(scope.get("query_string") or b"")
        uri = path + ("?" + query.decode("latin-1") if query else "")

        failure = self.credentials.check(headers.get("authorization"), uri)
        if failure is not None:
            challenges = [("www-authenticate", c) for c in failure.challenges]
            return self._json_reply(401, failure.body, headers, challenges)

        try:
            params = wire.decode_query_string(query)
        except wire.MalformedRequest as e:
            return self._bad_request(str(e), headers)

        expect = headers.get("expect")
        if expect is not None and expect.strip().lower() != "100-continue":
            # Netty4HttpContentSizeHandler answers any other expectation 417 before reading a body; a body
            # that follows anyway is not read (Elasticsearch then closes the connection: here at once).
            return _Reply(417, [PRODUCT_HEADER, ("connection", "close")], b"")
        limit = self.settings.max_content_length
        declared = headers.get("content-length", "").strip()
        stream = request.stream()
        if declared.isdigit() and int(declared) > limit:
            if "100-continue" not in headers.get("expect", "").lower():  # else the client waits for our answer
                await _drain(stream)
            return self._too_large()
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in stream:
                size += len(chunk)
                if size > limit:
                    await _drain(stream)
                    return self._too_large()
                chunks.append(chunk)
        except ClientDisconnect:
            return _Reply(400, [PRODUCT_HEADER], b"")
        body: bytes | None = b"".join(chunks) or None

        encoding = headers.get("content-encoding")
        if body is not None and encoding:
            try:
                body = wire.decompress(body, encoding, limit)
            except wire.BodyTooLarge:
                return self._too_large()
            except wire.MalformedRequest as e:
                return self._bad_request(str(e), headers)
            headers.pop("content-encoding", None)
            headers["content-length"] = str(len(body))

        refused = wire.media_type_error(headers, body is not None)
        if refused is not None:
            return self._json_reply(refused[0], refused[1], headers)

        rest = RestRequest(method=request.method.upper(), path=path, params=params, body=body, headers=headers)
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(self.settings.threads)
        return await anyio.to_thread.run_sync(self._handle, rest, limiter=self.limiter)

    def _handle(self, request: RestRequest) -> _Reply:
        """In a worker thread: the router's answer, serialised (and compressed when asked for)."""
        try:
            response = self.router.handle(request)
        except Exception as e:  # noqa: BLE001 - the router never raises; if it does, the client gets a 500 body
            reason = f"{type(e).__name__}: {e}"
            response = RestResponse(500, error_body("exception", reason, 500))
        payload, content_type = wire.encode_body(
            response.body,
            response.headers,
            request.headers,
            pretty=wire.is_pretty(request.params),
            has_body=request.body is not None,
        )
        headers: list[tuple[str, str]] = [PRODUCT_HEADER]
        headers += [(k.lower(), str(v)) for k, v in response.headers.items() if k.lower() not in _TRANSPORT_HEADERS]
        opaque_id = request.headers.get("x-opaque-id")
        if opaque_id is not None and not any(k == "x-opaque-id" for k, _ in headers):
            headers.append(("x-opaque-id", opaque_id))
        if content_type is not None:
            headers.append(("content-type", content_type))
        if request.method == "HEAD":
            return _Reply(response.status, headers, b"")
        if payload and self.settings.compression:
            coding = wire.response_coding(request.headers.get("accept-encoding"))
            if coding is not None:
                payload = wire.compress(payload, coding, self.settings.compression_level)
                headers.append(("content-encoding", coding))
        return _Reply(response.status, headers, payload)


def create_app(
    router: Handler, settings: ServerSettings | None = None, credentials: Credentials | None = None
) -> Starlette:
    """The ASGI application serving ``router`` (a :class:`retrievo.api.router.Router`) over HTTP."""
    transport = Transport(router, settings or ServerSettings(), credentials or Credentials())
    # An ASGI app as the endpoint: Starlette lets every method through to it.
    return Starlette(routes=[Route("/{path:path}", transport)])
