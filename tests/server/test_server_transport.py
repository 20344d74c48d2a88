"""The HTTP transport on its own: a real uvicorn server (in a thread) over a stand-in router that
echoes the :class:`RestRequest` it receives, so what the transport builds and sends is seen exactly.
The real router is exercised over HTTP in test_server_http.py."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from retrievo.api.types import RestRequest, RestResponse
from retrievo.server import Credentials, HttpServer, ServerSettings

LIMIT = 4096


class EchoRouter:
    """Answers every request with what it was given; a few paths behave otherwise."""

    def handle(self, request: RestRequest) -> RestResponse:
        if request.path == "/boom":
            raise RuntimeError("boom")
        if request.path == "/slow":
            time.sleep(0.3)
        if request.path == "/text":
            return RestResponse(200, "a\tb\n1\t2\n", {"content-type": "text/tab-separated-values; charset=utf-8"})
        if request.path == "/warn":
            return RestResponse(200, {}, {"content-type": "application/json", "Warning": '299 Elasticsearch "x"'})
        body = {
            "method": request.method,
            "path": request.path,
            "params": dict(request.params),
            "body": None if request.body is None else request.body.decode(),
            "headers": dict(request.headers),
        }
        return RestResponse(200, body, {"content-type": "application/json"})


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    settings = ServerSettings(host="127.0.0.1", port=0, max_content_length=LIMIT, threads=8)
    srv = HttpServer(EchoRouter(), settings, Credentials())
    ready = threading.Event()
    thread = threading.Thread(target=srv.run, kwargs={"on_ready": lambda url: ready.set()}, daemon=True)
    thread.start()
    assert ready.wait(10), "server did not start"
    yield srv
    srv.stop()
    thread.join(10)
    assert not thread.is_alive()


def call(
    srv: HttpServer, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    address = urllib.parse.urlsplit(srv.url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def echo(srv: HttpServer, *args: Any, **kwargs: Any) -> dict[str, Any]:
    status, headers, payload = call(srv, *args, **kwargs)
    assert status == 200, payload
    assert headers["X-Elastic-Product"] == "Elasticsearch"
    return json.loads(payload)


def test_the_rest_request_is_built_as_the_router_expects(server: HttpServer) -> None:
    seen = echo(
        server,
        "POST",
        "/my-index/_doc/a%2Fb?refresh=true&pretty&q=x+y%21",
        body=b'{"a":1}',
        headers={"Content-Type": "application/json", "X-Custom": "V"},
    )
    assert seen["method"] == "POST"
    assert seen["path"] == "/my-index/_doc/a%2Fb"  # still percent-encoded
    assert seen["params"] == {"refresh": "true", "pretty": "", "q": "x y!"}
    assert seen["body"] == '{"a":1}'
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["x-custom"] == "V"


def test_no_body_is_none_and_every_method_reaches_the_router(server: HttpServer) -> None:
    for method in ("GET", "DELETE", "PATCH", "OPTIONS"):
        seen = echo(server, method, "/")
        assert (seen["method"], seen["body"]) == (method, None)


def test_pretty_output(server: HttpServer) -> None:
    status, _, payload = call(server, "GET", "/x?pretty")
    assert status == 200
    assert payload.startswith(b'{\n  "method" : "GET",\n') and payload.endswith(b"}\n")


def test_head_has_no_body(server: HttpServer) -> None:
    status, headers, payload = call(server, "HEAD", "/")
    assert (status, payload) == (200, b"")
    assert headers["X-Elastic-Product"] == "Elasticsearch"


def test_text_bodies_route_headers_and_opaque_id(server: HttpServer) -> None:
    status, headers, payload = call(server, "GET", "/text", headers={"X-Opaque-Id": "trace-1"})
    assert (status, payload) == (200, b"a\tb\n1\t2\n")
    assert headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    assert headers["X-Opaque-Id"] == "trace-1"
    _, headers, _ = call(server, "GET", "/warn")
    assert headers["Warning"] == '299 Elasticsearch "x"'


def test_a_router_failure_is_an_elasticsearch_500(server: HttpServer) -> None:
    status, headers, payload = call(server, "GET", "/boom")
    assert status == 500
    assert headers["Content-Type"] == "application/json"
    body = json.loads(payload)
    assert body["status"] == 500 and body["error"]["reason"] == "RuntimeError: boom"


def test_a_malformed_query_string_is_400(server: HttpServer) -> None:
    status, _, payload = call(server, "GET", "/?q=%zz")
    assert status == 400
    assert json.loads(payload)["error"]["type"] == "illegal_argument_exception"


def test_gzip_request_and_response(server: HttpServer) -> None:
    raw = b'{"query":{"match_all":{}}}'
    status, headers, payload = call(
        server,
        "POST",
        "/_search",
        body=gzip.compress(raw),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip", "Accept-Encoding": "gzip"},
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    seen = json.loads(gzip.decompress(payload))
    assert seen["body"] == raw.decode()
    assert "content-encoding" not in seen["headers"]


def test_bodies_over_the_limit_are_413_and_the_connection_closed(server: HttpServer) -> None:
    status, headers, payload = call(server, "POST", "/_bulk", body=b"x" * (LIMIT + 1))
    assert (status, payload) == (413, b"")
    assert headers["Connection"] == "close"
    # chunked, without a content-length (http.client chunks an iterable body)
    chunks = iter([b"y" * 3000, b"y" * 3000])
    status, _, _ = call(server, "POST", "/_bulk", body=chunks)  # type: ignore[arg-type]
    assert status == 413
    # small on the wire, over the limit once decompressed
    status, _, _ = call(
        server, "POST", "/_bulk", body=gzip.compress(b" " * 100_000), headers={"Content-Encoding": "gzip"}
    )
    assert status == 413
    ndjson = {"Content-Type": "application/x-ndjson"}
    assert echo(server, "POST", "/_bulk", body=b"z" * LIMIT, headers=ndjson)["body"] == "z" * LIMIT


def test_requests_run_in_parallel(server: HttpServer) -> None:
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(call(server, "GET", "/slow")[0])) for _ in range(4)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 4
    assert time.perf_counter() - started < 0.9  # four 0.3 s handlers at once, not one after another


def test_bodies_the_router_cannot_read_are_406(server: HttpServer) -> None:
    status, _, payload = call(server, "POST", "/_search", body=b"{}")
    assert (status, json.loads(payload)) == (406, {"error": "Content-Type header is missing", "status": 406})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, payload = call(server, "POST", "/_search", body=b"{}", headers=form)
    expected = {"error": "Content-Type header [application/x-www-form-urlencoded] is not supported", "status": 406}
    assert (status, json.loads(payload)) == (406, expected)
    charset = {"Content-Type": "application/json; charset=UTF-8"}
    assert echo(server, "POST", "/_search", body=b"{}", headers=charset)["body"] == "{}"


def test_compatible_with_versions(server: HttpServer) -> None:
    v8 = {"Accept": "application/vnd.elasticsearch+json; compatible-with=8"}
    status, headers, _ = call(server, "GET", "/", headers=v8)
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.elasticsearch+json;compatible-with=8"
    v7 = {"Accept": "application/vnd.elasticsearch+json; compatible-with=7"}
    status, _, payload = call(server, "GET", "/", headers=v7)
    assert status == 400
    assert json.loads(payload)["error"]["type"] == "media_type_header_exception"
