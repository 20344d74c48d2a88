"""``retrievo serve`` against misbehaving clients and a killed process, as a client sees it.

* a client that closes mid-body, mid-search or mid-response: the others are still served, nothing of
  the cut request is applied, and the server logs no traceback;
* a client that sends its request byte by byte (fixed length and chunked): answered correctly, and
  the others are served meanwhile;
* bodies over ``http.max_content_length`` (declared, chunked, ``Expect: 100-continue``, gzip that
  inflates past it): Elasticsearch's 413 (``Netty4HttpContentSizeHandler``: no body, and for content
  already on its way the connection closed), nothing applied;
* ``kill -9`` during bulk traffic, then a restart on the same data directory: every acknowledged write
  is there with its acknowledged version, and a write in flight at the kill is either wholly there or
  not at all.
"""

from __future__ import annotations

import gzip
import http.client
import json
import random
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from load_workload import INDEX, MAPPINGS, Client, Ledger, Stats, content, expect_doc, get_many
from server_process import ServerProcess

NDJSON = {"Content-Type": "application/x-ndjson"}
LIMIT = 1024  # -E http.max_content_length=1kb
DOCS = 20_000


def vocabulary() -> list[str]:
    rng = random.Random(7)
    return ["".join(rng.choice("abcdefghij") for _ in range(6)) for _ in range(DOCS)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server on a data directory with ``books``: 20,000 documents of 30 random words, ``n`` = position."""
    srv = ServerProcess("--data", str(tmp_path_factory.mktemp("faults") / "data"))
    rng = random.Random(3)
    words = vocabulary()
    lines = []
    for i in range(DOCS):
        lines.append(json.dumps({"index": {"_index": "books", "_id": str(i)}}))
        lines.append(json.dumps({"text": " ".join(rng.choices(words, k=30)), "n": i}))
    status, _, payload = srv.request("POST", "/_bulk?refresh=true", ("\n".join(lines) + "\n").encode(), NDJSON)
    assert status == 200 and json.loads(payload)["errors"] is False
    yield srv
    rc, stderr = srv.stop()
    assert rc == 0, stderr
    assert_clean(stderr)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess("--no-persist", "-E", "http.max_content_length=1kb")
    yield srv
    rc, stderr = srv.stop()
    assert rc == 0, stderr
    assert_clean(stderr)


def assert_clean(stderr: str) -> None:
    for sign in ("Traceback", "Exception in ASGI", "ERROR"):
        assert sign not in stderr, stderr


def connect(srv: ServerProcess, timeout: float = 30.0) -> socket.socket:
    sock = socket.create_connection((srv.host, srv.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def head(method: str, target: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_response(sock: socket.socket) -> tuple[int, http.client.HTTPMessage, bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()  # skips a 100 Continue
    return response.status, response.headers, response.read()


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def quick_get(srv: ServerProcess) -> float:
    """Seconds for ``GET /`` on a fresh connection (which must succeed)."""
    started = time.perf_counter()
    status, _, _ = srv.request("GET", "/")
    assert status == 200
    return time.perf_counter() - started


def count(srv: ServerProcess, index: str) -> int | None:
    status, _, payload = srv.request("GET", f"/{index}/_count")
    return json.loads(payload)["count"] if status == 200 else None


def slow_msearch() -> bytes:
    """About a second or more of searching: 20 matches on 5,000 terms each, totals counted."""
    words = vocabulary()
    lines = []
    for i in range(20):
        query = " ".join(words[i * 500 : i * 500 + 5000])
        lines.append(json.dumps({"index": "books"}))
        lines.append(json.dumps({"size": 1, "track_total_hits": True, "query": {"match": {"text": query}}}))
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------------- clients that go away


def test_a_client_that_sends_half_a_body_and_closes(server: ServerProcess) -> None:
    doc = json.dumps({"index": {"_index": "half", "_id": "1"}}) + "\n" + json.dumps({"text": "x" * 300}) + "\n"
    body = doc.encode()
    with connect(server) as sock:
        headers = {"Content-Type": "application/x-ndjson", "Content-Length": str(len(body))}
        sock.sendall(head("POST", "/_bulk?refresh=true", headers) + body[: len(body) // 2])
        time.sleep(0.2)
    with connect(server) as sock:  # headers cut short too
        sock.sendall(b"POST /half/_doc/2 HTTP/1.1\r\nHost: localhost\r\nContent-Le")
    time.sleep(0.3)
    assert quick_get(server) < 5
    status, _, _ = server.request("HEAD", "/half")
    assert status == 404  # nothing of the cut requests was applied
    assert_clean(server.read_stderr())


def test_a_client_that_closes_while_its_slow_search_runs(server: ServerProcess) -> None:
    body = slow_msearch()
    started = time.perf_counter()
    status, _, payload = server.request("POST", "/_msearch", body, NDJSON)
    alone = time.perf_counter() - started
    assert status == 200 and len(json.loads(payload)["responses"]) == 20

    with connect(server) as sock:
        sock.sendall(head("POST", "/_msearch", {**NDJSON, "Content-Length": str(len(body))}) + body)
        time.sleep(min(0.3, alone / 3))
    # the others are served while the abandoned search still runs, and after it
    assert quick_get(server) < max(5.0, alone)
    time.sleep(alone + 0.5)
    found = json.loads(server.request("POST", "/books/_search", {"query": {"term": {"n": 17}}})[2])
    assert [h["_id"] for h in found["hits"]["hits"]] == ["17"]
    assert_clean(server.read_stderr())


def test_a_client_that_closes_while_reading_a_large_response(server: ServerProcess) -> None:
    body = json.dumps({"size": 10000, "query": {"match_all": {}}}).encode()
    for _ in range(3):
        with connect(server) as sock:
            sock.sendall(
                head("POST", "/books/_search", {"Content-Type": "application/json", "Content-Length": str(len(body))})
                + body
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    time.sleep(0.5)
    assert quick_get(server) < 5
    assert_clean(server.read_stderr())


# ---------------------------------------------------------------------- slow clients


def trickle(sock: socket.socket, data: bytes, pause: float) -> None:
    for i in range(len(data)):
        sock.sendall(data[i : i + 1])
        time.sleep(pause)


def test_a_request_sent_byte_by_byte_is_answered(server: ServerProcess) -> None:
    body = json.dumps({"query": {"bool": {"filter": [{"range": {"n": {"gte": 10, "lt": 13}}}]}}, "sort": ["n"]})
    request = head("POST", "/books/_search", {"Content-Type": "application/json", "Content-Length": str(len(body))})
    answers: list[tuple[int, http.client.HTTPMessage, bytes]] = []

    def slow_client() -> None:
        with connect(server) as sock:
            trickle(sock, request + body.encode(), 0.003)
            answers.append(read_response(sock))

    worker = threading.Thread(target=slow_client)
    worker.start()
    time.sleep(0.2)
    assert quick_get(server) < 2  # the slow client holds up no one
    worker.join(60)
    assert not worker.is_alive()
    status, _, payload = answers[0]
    assert status == 200
    assert [h["_id"] for h in json.loads(payload)["hits"]["hits"]] == ["10", "11", "12"]


def test_a_chunked_body_sent_byte_by_byte_is_answered(server: ServerProcess) -> None:
    body = json.dumps({"query": {"term": {"n": 42}}}).encode()
    with connect(server) as sock:
        sock.sendall(
            head("POST", "/books/_search", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        )
        for byte in body:
            sock.sendall(b"1\r\n" + bytes([byte]) + b"\r\n")
            time.sleep(0.003)
        sock.sendall(b"0\r\n\r\n")
        status, _, payload = read_response(sock)
    assert status == 200
    assert [h["_id"] for h in json.loads(payload)["hits"]["hits"]] == ["42"]


# ---------------------------------------------------------------------- http.max_content_length


def bulk_of_size(index: str, size: int) -> bytes:
    """One index action whose NDJSON is exactly ``size`` bytes (padding in the document's text)."""
    action = json.dumps({"index": {"_index": index, "_id": "1"}}) + "\n"
    empty = action + json.dumps({"text": ""}) + "\n"
    return (action + json.dumps({"text": "x" * (size - len(empty))}) + "\n").encode()


def test_a_body_of_exactly_the_limit_is_accepted(small: ServerProcess) -> None:
    body = bulk_of_size("exact", LIMIT)
    assert len(body) == LIMIT
    status, _, payload = small.request("POST", "/_bulk?refresh=true", body, NDJSON)
    assert status == 200 and json.loads(payload)["errors"] is False
    assert count(small, "exact") == 1


def test_a_declared_length_over_the_limit_is_413_and_the_connection_closed(small: ServerProcess) -> None:
    body = bulk_of_size("over", LIMIT + 1)
    with connect(small) as sock:
        sock.sendall(head("POST", "/_bulk?refresh=true", {**NDJSON, "Content-Length": str(len(body))}) + body)
        status, headers, payload = read_response(sock)
        assert (status, payload) == (413, b"")
        assert headers["Connection"] == "close"
        assert closed_by_server(sock)
    assert count(small, "over") is None  # the index was never created
    assert quick_get(small) < 5


def test_a_chunked_body_over_the_limit_is_413_and_the_connection_closed(small: ServerProcess) -> None:
    body = bulk_of_size("chunked", 3 * LIMIT)
    with connect(small) as sock:
        sock.sendall(head("POST", "/_bulk?refresh=true", {**NDJSON, "Transfer-Encoding": "chunked"}))
        for start in range(0, len(body), 300):
            piece = body[start : start + 300]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        status, headers, payload = read_response(sock)
        assert (status, payload) == (413, b"")
        assert headers["Connection"] == "close"
        assert closed_by_server(sock)
    assert count(small, "chunked") is None
    # under the limit, chunked is fine
    body = bulk_of_size("chunked", 600)
    with connect(small) as sock:
        sock.sendall(head("POST", "/_bulk?refresh=true", {**NDJSON, "Transfer-Encoding": "chunked"}))
        sock.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        status, _, payload = read_response(sock)
    assert status == 200 and json.loads(payload)["errors"] is False
    assert count(small, "chunked") == 1


def test_expect_100_continue_over_the_limit_is_413_before_the_body(small: ServerProcess) -> None:
    with connect(small, timeout=10) as sock:
        headers = {**NDJSON, "Content-Length": str(10 * LIMIT), "Expect": "100-continue"}
        sock.sendall(head("POST", "/_bulk", headers))  # the body is never sent
        status, _, payload = read_response(sock)
    assert (status, payload) == (413, b"")


def test_a_gzip_body_that_inflates_past_the_limit_is_413(small: ServerProcess) -> None:
    body = gzip.compress(bulk_of_size("inflated", 4 * LIMIT))
    assert len(body) < LIMIT
    headers = {**NDJSON, "Content-Encoding": "gzip"}
    status, _, payload = small.request("POST", "/_bulk?refresh=true", body, headers)
    assert (status, payload) == (413, b"")
    assert count(small, "inflated") is None


# ---------------------------------------------------------------------- kill -9


#: Seconds of bulk traffic before the kill.
KILL_AFTER = 3.0


def test_kill_9_during_bulk_traffic_then_restart_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ServerProcess("--data", str(data))
    status, _, payload = first.request("PUT", f"/{INDEX}", MAPPINGS)
    assert status == 200, payload
    ledger, stats = Ledger(), Stats()
    writers = [Client(n, first.host, first.port, ledger, stats, 30.0, seed=9, refresh_share=0.0) for n in range(4)]
    stop = threading.Event()

    def write(client: Client) -> None:
        while not stop.is_set():
            client.bulk()

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    time.sleep(KILL_AFTER)
    ledger.server_killed = True
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    stop.set()
    for t in threads:
        t.join(30)
    rc, stderr = first.stop()
    assert rc == -signal.SIGKILL
    assert_clean(stderr)  # nothing went wrong before the kill
    assert ledger.failures == [], ledger.failures
    acked = [s for s in ledger.docs.values() if s.acked]
    assert len(acked) >= 20, "too few writes were acknowledged before the kill to test anything"

    second = ServerProcess("--data", str(data))
    try:
        problems = []
        found = 0
        for doc_id, (status, body) in get_many(second.request, sorted(ledger.docs)).items():
            state = ledger.docs[doc_id]
            found += status == 200
            problem = expect_doc(doc_id, state, status, body) if state.acked else None
            if state.acked and not problem:
                continue
            # a write in flight at the kill: wholly applied, or not at all
            for seq, is_delete in state.unacked:
                if is_delete and (status, body.get("found")) == (404, False):
                    break
                if not is_delete and status == 200 and body["_source"] == content(doc_id, seq):
                    assert body["_version"] > state.acked_version, body
                    break
            else:
                if not state.acked and (status, body.get("found")) == (404, False):
                    continue
                problems.append(problem or f"{doc_id}: unacknowledged write half-applied: {status} {body}")
        assert problems == [], "\n".join(problems[:20])
        status, _, _ = second.request("POST", f"/{INDEX}/_refresh")
        assert status == 200
        assert count(second, INDEX) == found  # searches see exactly what GET sees
    finally:
        rc, stderr = second.stop()
    assert rc == 0, stderr
    assert_clean(stderr)


def test_an_expectation_other_than_100_continue_is_417(small: ServerProcess) -> None:
    with connect(small, timeout=10) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": "2", "Expect": "something-else"}
        sock.sendall(head("PUT", "/expected/_doc/1", headers))  # Elasticsearch answers before the body
        status, _, payload = read_response(sock)
    assert (status, payload) == (417, b"")
    assert count(small, "expected") is None
