"""Remote rerank over HTTP (``cohere`` and ``hugging_face`` services) against a real local server.

The server is a ``ThreadingHTTPServer`` on 127.0.0.1, port 0, in a thread; each test scripts its
answers. Only the loopback interface is ever contacted.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceClient
from retrievo.inference.services import http_rerank

Reply = tuple[int, Any, dict[str, str]]  # status, JSON body (or raw bytes), headers


def word_overlap(query: str, text: str) -> float:
    q = set(query.lower().split())
    return len(q & set(text.lower().split())) / (len(q) or 1)


def cohere_reply(body: dict[str, Any]) -> Reply:
    scores = [word_overlap(body["query"], d) for d in body["documents"]]
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[: body.get("top_n") or len(scores)]
    return (
        200,
        {
            "id": "x",
            "results": [{"index": i, "relevance_score": scores[i]} for i in order],
            "meta": {"api_version": {"version": "1"}},
        },
        {},
    )


def tei_reply(body: dict[str, Any]) -> Reply:
    scores = [word_overlap(body["query"], t) for t in body["texts"]]
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return 200, [{"index": i, "score": scores[i]} for i in order], {}


@dataclass
class Server:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[Callable[[dict[str, Any]], Reply]] = field(default_factory=list)
    default: Callable[[dict[str, Any]], Reply] = cohere_reply
    delay: float = 0.0


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            if state.delay:
                time.sleep(state.delay)
            reply = state.script.pop(0) if state.script else state.default
            status, payload, headers = reply(body)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_rerank, "RETRY_BACKOFF_S", 0.01)


def put_cohere(client: InferenceClient, server: Server, inference_id: str = "cohere", **settings: Any) -> dict:
    return client.put(
        inference_id=inference_id,
        task_type="rerank",
        inference_config={
            "service": "cohere",
            "service_settings": {
                "url": f"{server.url}/v1/rerank",
                "model_id": "rerank-english-v3.0",
                "api_key": "secret-key",
                **settings,
            },
        },
    )


def api_error(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as e:
        call(*args, **kwargs)
    return e.value


QUERY = "moon phases"
DOCS = ["the moon phases", "solar eclipse", "moon lake", "phases of matter"]
BY_LENGTH = sorted(DOCS, key=len, reverse=True)  # the order passages are sent in


def test_cohere_format(client: InferenceClient, server: Server) -> None:
    response = put_cohere(client, server)
    assert response == {
        "inference_id": "cohere",
        "task_type": "rerank",
        "service": "cohere",
        "service_settings": {
            "model_id": "rerank-english-v3.0",
            "url": f"{server.url}/v1/rerank",
            "api_format": "cohere",
            "timeout": 30.0,
            "max_retries": 2,
            "batch_size": 96,
        },
    }
    assert "secret-key" not in json.dumps(client.get(inference_id="cohere"))
    ranked = client.rerank(inference_id="cohere", query=QUERY, input=DOCS, return_documents=True)["rerank"]
    assert ranked == [
        {"index": 0, "relevance_score": 1.0, "text": DOCS[0]},
        {"index": 2, "relevance_score": 0.5, "text": DOCS[2]},
        {"index": 3, "relevance_score": 0.5, "text": DOCS[3]},
        {"index": 1, "relevance_score": 0.0, "text": DOCS[1]},
    ]
    (request,) = server.requests
    assert request["path"] == "/v1/rerank"
    assert request["body"] == {
        "model": "rerank-english-v3.0",
        "query": QUERY,
        "documents": BY_LENGTH,
        "top_n": 4,
        "return_documents": False,
    }
    assert request["headers"]["Authorization"] == "Bearer secret-key"
    assert request["headers"]["Content-Type"] == "application/json"


def test_tei_format_and_hugging_face_service(client: InferenceClient, server: Server) -> None:
    server.default = tei_reply
    put_cohere(client, server, "tei", api_format="tei", url=f"{server.url}/rerank")
    response = client.put(
        inference_id="hf",
        task_type="rerank",
        inference_config={
            "service": "hugging_face",
            "service_settings": {"url": f"{server.url}/rerank", "api_key": "hf-key"},
            "task_settings": {"top_n": 2, "return_documents": True},
        },
    )
    assert response == {
        "inference_id": "hf",
        "task_type": "rerank",
        "service": "hugging_face",
        "service_settings": {"url": f"{server.url}/rerank", "timeout": 30.0, "max_retries": 2, "batch_size": 32},
        "task_settings": {"top_n": 2, "return_documents": True},
    }
    expected = np.array([1.0, 0.0, 0.5, 0.5], dtype=np.float32)
    np.testing.assert_array_equal(client.registry.rerank_scores("tei", QUERY, DOCS), expected)
    assert client.rerank(inference_id="hf", query=QUERY, input=DOCS)["rerank"] == [
        {"index": 0, "relevance_score": 1.0, "text": DOCS[0]},
        {"index": 2, "relevance_score": 0.5, "text": DOCS[2]},
    ]
    assert [r["body"] for r in server.requests] == [{"query": QUERY, "texts": BY_LENGTH, "return_text": False}] * 2
    assert server.requests[1]["headers"]["Authorization"] == "Bearer hf-key"
    assert client.registry.rerank_top_n("hf") == 2


def test_batches_cache_and_dedup(client: InferenceClient, server: Server) -> None:
    put_cohere(client, server, batch_size=2, model_id=None)
    docs = DOCS + ["moon", "the moon phases"]
    scores, stats = client.registry.rerank_scores_with_stats("cohere", QUERY, docs)
    assert (stats.model_calls, stats.pairs_scored, stats.deduplicated) == (3, 5, 1)
    assert [len(r["body"]["documents"]) for r in server.requests] == [2, 2, 1]
    assert all("model" not in r["body"] for r in server.requests)
    sent = [d for r in server.requests for d in r["body"]["documents"]]
    assert [len(d) for d in sent] == sorted((len(d) for d in sent), reverse=True)
    np.testing.assert_array_equal(scores, [word_overlap(QUERY, d) for d in docs])
    _, again = client.registry.rerank_scores_with_stats("cohere", QUERY, docs)
    assert again.model_calls == 0 and len(server.requests) == 3


def test_retry_on_503_then_success(client: InferenceClient, server: Server) -> None:
    put_cohere(client, server)
    server.script = [lambda body: (503, {"message": "warming up"}, {})]
    ranked = client.rerank(inference_id="cohere", query=QUERY, input=DOCS)["rerank"]
    assert ranked[0]["index"] == 0 and len(server.requests) == 2
    assert server.requests[0]["body"] == server.requests[1]["body"]


def test_retry_on_429_honours_retry_after(client: InferenceClient, server: Server) -> None:
    put_cohere(client, server, inference_id="c2", max_retries=1)
    server.script = [lambda body: (429, {"message": "slow down"}, {"Retry-After": "0"})]
    assert client.registry.rerank_scores("c2", QUERY, DOCS).shape == (4,)
    assert len(server.requests) == 2


def test_errors_name_the_url_and_status(client: InferenceClient, server: Server) -> None:
    put_cohere(client, server, max_retries=2)
    server.default = lambda body: (500, {"message": "boom"}, {})
    e = api_error(client.rerank, inference_id="cohere", query=QUERY, input=DOCS)
    assert (e.status_code, e.error) == (500, "status_exception")
    assert error_reason(e) == (
        f"Received a server error status code for request from inference entity id [cohere] "
        f"status [500] from [{server.url}/v1/rerank] after 3 attempts. "
        f'Error message: [{{"message": "boom"}}]'
    )
    assert len(server.requests) == 3  # bounded: 1 + max_retries
    server.requests.clear()
    server.default = lambda body: (401, {"message": "invalid api token"}, {})
    e = api_error(client.registry.rerank_scores, "cohere", "another query", DOCS)
    assert e.status_code == 401 and len(server.requests) == 1  # no retry on 4xx
    assert error_reason(e).startswith(
        "Received an authentication error status code for request from inference entity "
        f"id [cohere] status [401] from [{server.url}/v1/rerank]"
    )
    assert "secret-key" not in error_reason(e)


def test_malformed_responses(client: InferenceClient, server: Server) -> None:
    put_cohere(client, server, max_retries=0)
    for reply, message in [
        (lambda b: (200, b"not json", {}), "the body is not JSON"),
        (lambda b: (200, {"data": []}, {}), 'expected an object with a "results" array'),
        (lambda b: (200, {"results": [{"index": 9, "relevance_score": 1}]}, {}), 'every result needs an "index"'),
        (
            lambda b: (200, {"results": [{"index": 0, "relevance_score": 1}]}, {}),
            "3 of the 4 documents sent have no score",
        ),
    ]:
        server.script = [reply]
        e = api_error(client.registry.rerank_scores, "cohere", f"query {message}", DOCS)
        assert e.status_code == 500 and message in error_reason(e)
        assert error_reason(e).startswith(
            "Failed to parse the rerank response for inference entity id [cohere] from "
            f"[{server.url}/v1/rerank] (cohere format)"
        )


def test_timeout(client: InferenceClient, server: Server) -> None:
    put_cohere(client, server, timeout=0.2)
    server.delay = 1.0
    started = time.perf_counter()
    e = api_error(client.rerank, inference_id="cohere", query=QUERY, input=DOCS)
    assert time.perf_counter() - started < 0.9  # not retried
    assert (e.status_code, e.error) == (408, "status_exception")
    assert error_reason(e) == (
        f"Failed to send rerank request for inference entity id [cohere] to "
        f"[{server.url}/v1/rerank]: request timed out after [0.2s]"
    )


def test_connection_refused_is_retried_then_reported(client: InferenceClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client.put(
        inference_id="down",
        task_type="rerank",
        inference_config={
            "service": "cohere",
            "service_settings": {"url": f"http://127.0.0.1:{port}/v1/rerank", "max_retries": 1},
        },
    )
    e = api_error(client.registry.rerank_scores, "down", QUERY, DOCS)
    assert e.status_code == 500
    assert error_reason(e).startswith(
        f"Failed to send rerank request for inference entity id [down] to "
        f"[http://127.0.0.1:{port}/v1/rerank] after 2 attempt(s):"
    )


def test_settings_validation(client: InferenceClient) -> None:
    def put_error(service: str, settings: dict[str, Any]) -> ApiError:
        return api_error(
            client.put,
            inference_id="x",
            task_type="rerank",
            inference_config={"service": service, "service_settings": settings},
        )

    e = put_error("cohere", {"url": "ftp://127.0.0.1/rerank", "api_format": "grpc", "timeout": 0, "batch_size": 0})
    assert error_reason(e) == (
        "Validation Failed: 1: [service_settings] Invalid url [ftp://127.0.0.1/rerank] received for "
        "field [url]. Error: expected an absolute http:// or https:// URL;2: [service_settings] "
        "Invalid value [grpc] received. [api_format] must be one of [cohere, tei];3: "
        "[service_settings] Invalid value [0]. [timeout] must be a positive number of seconds;4: "
        "[service_settings] Invalid value [0]. [batch_size] must be a positive integer;"
    )
    e = put_error("hugging_face", {"api_key": "k"})
    assert error_reason(e) == "Validation Failed: 1: [service_settings] does not contain the required setting [url];"
    e = put_error("cohere", {"url": "http://127.0.0.1:1/v1/rerank", "temperature": 1})
    assert error_reason(e) == "Configuration contains settings [{temperature=1}] unknown to the [cohere] service"
    e = api_error(
        client.put,
        inference_id="x",
        task_type="text_embedding",
        inference_config={"service": "cohere", "service_settings": {}},
    )
    assert error_reason(e) == "The [cohere] service does not support task type [text_embedding]"
    # Elasticsearch's rate_limit is accepted and echoed; the default URL is Cohere's API
    response = client.put(
        inference_id="c",
        task_type="rerank",
        inference_config={
            "service": "cohere",
            "service_settings": {
                "model_id": "rerank-v3.5",
                "api_key": "k",
                "rate_limit": {"requests_per_minute": 100},
                "max_retries": 0,
            },
        },
    )
    assert response["service_settings"] == {
        "model_id": "rerank-v3.5",
        "url": "https://api.cohere.com/v1/rerank",
        "api_format": "cohere",
        "timeout": 30.0,
        "max_retries": 0,
        "batch_size": 96,
        "rate_limit": {"requests_per_minute": 100},
    }
    assert client.registry.rerank_window("c") == 300


def test_client_timeout_and_rate_limit_are_enforced():
    """``timeout`` answers 408 when a call outlasts it."""
    from retrievo.errors import ApiError
    from retrievo.inference import InferenceClient

    client = InferenceClient()
    client.put(
        inference_id="t",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "k"},
            "task_settings": {"min_score": 0.0},
        },
    )
    ok = client.rerank(inference_id="t", query="q", input=["a", "b"], timeout="30s")
    assert [r["index"] for r in ok["rerank"]] == [1, 0]
    with pytest.raises(ApiError) as info:
        client.rerank(inference_id="t", query="q", input=["a"], timeout="0nanos")
    assert info.value.status_code == 408
    with pytest.raises(ApiError) as info:
        client.rerank(inference_id="t", query="q", input=["a"], timeout="soon")
    assert info.value.status_code == 400


def test_rate_limit_spaces_requests(client: InferenceClient, server: Server) -> None:
    import time

    put_cohere(client, server, batch_size=1, rate_limit={"requests_per_minute": 600})  # 0.1 s apart
    start = time.perf_counter()
    client.registry.rerank_scores("cohere", QUERY, ["a b", "c d e", "f g h i"])
    assert len(server.requests) == 3
    assert time.perf_counter() - start >= 0.2  # two gaps of at least 0.1 s
