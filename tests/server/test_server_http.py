"""``retrievo serve`` as a real subprocess, spoken to with the standard library's ``http.client``
(and once with the official ``elasticsearch`` client): statuses, headers, HEAD, NDJSON, gzip, the
content-length limit, authentication, the loopback rule, and a SIGTERM that flushes the data directory."""

from __future__ import annotations

import base64
import gzip
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server_process import REPO, ServerProcess

API_KEY = "dGVzdDp0ZXN0LWtleQ=="
USER, PASSWORD = "elastic", "changeme"
KEY = {"Authorization": f"ApiKey {API_KEY}"}
LIMIT = 64 * 1024
VENDOR_9 = "application/vnd.elasticsearch+json;compatible-with=9"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    config = tmp_path_factory.mktemp("config") / "elasticsearch.yml"
    config.write_text("cluster.name: retrievo-tests\nhttp:\n  max_content_length: 64kb\n")
    srv = ServerProcess("--no-persist", "--api-key", API_KEY, "--user", f"{USER}:{PASSWORD}", "--config", str(config))
    yield srv
    rc, stderr = srv.stop()
    assert rc == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert "ignoring settings retrievo does not use: cluster.name" in stderr


def ok_json(
    srv: ServerProcess, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    status, response_headers, payload = srv.request(method, target, body, {**KEY, **(headers or {})})
    assert status == 200, payload
    assert response_headers["X-Elastic-Product"] == "Elasticsearch"
    return json.loads(payload)


def bulk_lines(index: str, count: int) -> bytes:
    lines = []
    for i in range(count):
        lines.append(json.dumps({"index": {"_index": index, "_id": str(i)}}))
        lines.append(json.dumps({"title": f"book number {i}", "n": i}))
    return ("\n".join(lines) + "\n").encode()


def test_info_with_elasticsearchs_headers(server: ServerProcess) -> None:
    status, headers, payload = server.request("GET", "/", headers=KEY)
    assert status == 200
    assert headers["X-Elastic-Product"] == "Elasticsearch"
    assert headers["Content-Type"] == "application/json"
    body = json.loads(payload)
    assert body["version"]["number"].startswith("9.")
    assert body["tagline"] == "You Know, for Search"


def test_the_vendor_media_type_is_answered_in_kind(server: ServerProcess) -> None:
    accept = {"Accept": "application/vnd.elasticsearch+json; compatible-with=9"}
    status, headers, _ = server.request("GET", "/", headers={**KEY, **accept})
    assert status == 200
    assert headers["Content-Type"] == VENDOR_9


def test_pretty(server: ServerProcess) -> None:
    status, _, payload = server.request("GET", "/?pretty", headers=KEY)
    assert status == 200
    assert payload.startswith(b'{\n  "name" : ') and payload.endswith(b"}\n")


def test_head_has_a_status_and_no_body(server: ServerProcess) -> None:
    status, headers, payload = server.request("HEAD", "/", headers=KEY)
    assert (status, payload) == (200, b"")
    assert headers["X-Elastic-Product"] == "Elasticsearch"
    status, _, payload = server.request("HEAD", "/no-such-index/_doc/1", headers=KEY)
    assert (status, payload) == (404, b"")


def test_errors_are_elasticsearch_bodies(server: ServerProcess) -> None:
    status, headers, payload = server.request("GET", "/no-such-index/_search", headers=KEY)
    assert status == 404
    assert headers["X-Elastic-Product"] == "Elasticsearch"
    assert json.loads(payload)["error"]["type"] == "index_not_found_exception"


def test_ndjson_bulk_then_search_and_get(server: ServerProcess) -> None:
    ndjson = {"Content-Type": "application/x-ndjson"}
    result = ok_json(server, "POST", "/books/_bulk?refresh=true", bulk_lines("books", 50), ndjson)
    assert result["errors"] is False and len(result["items"]) == 50
    found = ok_json(server, "POST", "/books/_search", {"query": {"match": {"title": "number"}}, "size": 3})
    assert found["hits"]["total"]["value"] == 50
    assert len(found["hits"]["hits"]) == 3
    doc = ok_json(server, "GET", "/books/_doc/7")
    assert doc["_source"] == {"title": "book number 7", "n": 7}


def test_gzip_request_and_response_bodies(server: ServerProcess) -> None:
    ok_json(server, "POST", "/gz/_bulk?refresh=true", bulk_lines("gz", 20), {"Content-Type": "application/x-ndjson"})
    query = json.dumps({"query": {"term": {"n": 3}}}).encode()
    headers = {**KEY, "Content-Type": "application/json", "Content-Encoding": "gzip", "Accept-Encoding": "gzip"}
    status, response_headers, payload = server.request("POST", "/gz/_search", gzip.compress(query), headers)
    assert status == 200
    assert response_headers["Content-Encoding"] == "gzip"
    hits = json.loads(gzip.decompress(payload))["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["3"]
    # without Accept-Encoding the answer is not compressed
    status, response_headers, payload = server.request(
        "POST", "/gz/_search", query, {**KEY, "Content-Type": "application/json"}
    )
    assert status == 200 and "Content-Encoding" not in response_headers
    assert json.loads(payload)["hits"]["total"]["value"] == 1


def test_a_body_over_http_max_content_length_is_413(server: ServerProcess) -> None:
    big = bulk_lines("big", 2000)
    assert len(big) > LIMIT
    status, headers, payload = server.request("POST", "/_bulk", big, {**KEY, "Content-Type": "application/x-ndjson"})
    assert (status, payload) == (413, b"")
    assert headers["Connection"] == "close"
    status, _, _ = server.request("HEAD", "/big", headers=KEY)
    assert status == 404  # nothing of it was indexed


def test_authentication(server: ServerProcess) -> None:
    status, headers, payload = server.request("GET", "/_search?size=1")
    assert status == 401
    assert headers.get_all("WWW-Authenticate") == ['Basic realm="security", charset="UTF-8"', "ApiKey"]
    error = json.loads(payload)["error"]
    assert error["type"] == "security_exception"
    assert error["reason"] == "missing authentication credentials for REST request [/_search?size=1]"

    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    status, _, _ = server.request("GET", "/", headers={"Authorization": basic})
    assert status == 200
    wrong = "Basic " + base64.b64encode(f"{USER}:nope".encode()).decode()
    status, _, payload = server.request("GET", "/", headers={"Authorization": wrong})
    assert status == 401
    assert json.loads(payload)["error"]["reason"] == f"unable to authenticate user [{USER}] for REST request [/]"
    status, _, payload = server.request("HEAD", "/", headers={"Authorization": "ApiKey nope"})
    assert (status, payload) == (401, b"")


def test_the_official_client_over_http(server: ServerProcess) -> None:
    from elasticsearch import Elasticsearch, NotFoundError, helpers

    with Elasticsearch(server.url, api_key=API_KEY) as es:
        assert es.info()["version"]["number"].startswith("9.")
        assert es.ping()
        es.index(index="client", id="1", document={"title": "the left hand of darkness"}, refresh=True)
        es.index(index="client", id="2", document={"title": "a wizard of earthsea"}, refresh=True)
        response = es.search(index="client", query={"match": {"title": "darkness"}})
        assert [h["_id"] for h in response["hits"]["hits"]] == ["1"]
        assert response.meta.headers["content-type"] == VENDOR_9
        with pytest.raises(NotFoundError):
            es.get(index="client", id="nope")
    with Elasticsearch(server.url, basic_auth=(USER, PASSWORD), http_compress=True) as es:
        assert es.get(index="client", id="2")["_source"]["title"] == "a wizard of earthsea"
        actions = ({"_index": "helpers", "_id": str(i), "n": i, "title": f"doc {i}"} for i in range(300))
        assert helpers.bulk(es, actions, chunk_size=100, refresh=True) == (300, [])
        assert es.count(index="helpers", query={"range": {"n": {"gte": 100}}})["count"] == 200
        csv = es.esql.query(query="FROM helpers | WHERE n < 3 | SORT n | KEEP n", format="csv")
        assert csv.body.splitlines() == ["n", "0", "1", "2"]
        assert csv.meta.headers["content-type"].startswith("text/csv")


def test_a_public_address_without_authentication_is_refused() -> None:
    argv = [sys.executable, "-m", "retrievo", "serve", "--host", "0.0.0.0", "--port", "0", "--no-persist"]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "refusing to serve on [0.0.0.0] without authentication" in result.stderr
    assert result.stdout == ""


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [sys.executable, "-m", "retrievo", "serve", "--port", str(port), "--no-persist"]
        result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot bind to 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_flushes_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ServerProcess("--data", str(data))
    try:
        ndjson = {"Content-Type": "application/x-ndjson"}
        # no refresh: the documents are only in the unrefreshed buffer when the signal comes
        status, _, payload = first.request("POST", "/kept/_bulk", bulk_lines("kept", 10), ndjson)
        assert status == 200 and json.loads(payload)["errors"] is False
    finally:
        rc, stderr = first.stop(signal.SIGTERM)
    assert rc == 0, stderr
    assert "1 index flushed" in stderr

    second = ServerProcess("--data", str(data))
    try:
        status, _, payload = second.request("GET", "/kept/_doc/9")
        assert status == 200, payload
        assert json.loads(payload)["_source"] == {"title": "book number 9", "n": 9}
        status, _, payload = second.request("GET", "/kept/_count")
        assert status == 200 and json.loads(payload)["count"] == 10
    finally:
        rc, stderr = second.stop(signal.SIGINT)
    assert rc == 0, stderr


#: One scripted session: (method, target, body); NDJSON bodies are bytes.
SESSION: list[tuple[str, str, Any]] = [
    ("PUT", "/same", {"mappings": {"properties": {"title": {"type": "text"}, "n": {"type": "integer"}}}}),
    ("POST", "/same/_bulk?refresh=true", bulk_lines("same", 200)),
    ("POST", "/same/_search", {"query": {"match": {"title": "number 17"}}, "size": 5}),
    (
        "POST",
        "/same/_search?filter_path=hits.hits._id,hits.total",
        {
            "retriever": {
                "rrf": {
                    "retrievers": [
                        {"standard": {"query": {"match": {"title": "book"}}}},
                        {"standard": {"query": {"range": {"n": {"gte": 150}}}}},
                    ],
                    "rank_window_size": 50,
                }
            },
            "size": 10,
        },
    ),
    ("GET", "/same/_count", None),
    ("GET", "/same/_doc/42?_source_includes=n", None),
    ("POST", "/same/_update/42?refresh=true", {"doc": {"title": "updated"}}),
    ("POST", "/same/_delete_by_query?refresh=true", {"query": {"range": {"n": {"lt": 10}}}}),
    ("POST", "/_query", {"query": "FROM same | WHERE n < 15 | STATS c = COUNT(*)"}),
    ("GET", "/same/_search?q=title:updated&rest_total_hits_as_int=true", None),
    ("GET", "/same/_search?size=0&bogus=1", None),
]


def test_http_answers_what_the_router_answers(server: ServerProcess) -> None:
    from retrievo.api.router import Router
    from retrievo.api.types import RestRequest
    from retrievo.catalog import Catalog

    router = Router(Catalog())
    for method, target, body in SESSION:
        path, _, query = target.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&")) if query else {}
        if isinstance(body, bytes):
            raw, kind = body, "application/x-ndjson"
        else:
            raw, kind = (None, "application/json") if body is None else (json.dumps(body).encode(), "application/json")
        local = router.handle(RestRequest(method, path, params, raw, {"content-type": kind}))
        status, _, payload = server.request(method, target, raw, {**KEY, "Content-Type": kind})
        remote = json.loads(payload)
        if isinstance(remote, dict):
            remote.pop("took", None)
        expected = json.loads(json.dumps(local.body))
        if isinstance(expected, dict):
            expected.pop("took", None)
        assert (status, remote) == (local.status, expected), target
