"""A mixed read/write workload against a running ``retrievo serve``, and the ledger that checks it.

Shared by ``tests/server/test_server_load.py`` (a bounded run in the test suite) and
``benchmarks/soak.py`` (the same workload for longer, with figures). Each client thread owns its own
keep-alive ``http.client`` connection and its own document ids (``c{client}-{n}``), so the writes to one
id happen in one order, and the ledger can say what every id must hold: the content of the last write
the server acknowledged, with the ``_version`` it reported. Document content is a pure function of
``(id, seq)`` (``seq`` counts the writes to that id), so any ``_source`` a search or GET returns can be
checked against what was sent, independently of the server.

Searches (BM25 ``match``, ``knn`` with an explicit vector, ``rrf`` of both, and
``text_similarity_reranker`` over that ``rrf`` with Elasticsearch's ``test_reranking_service``) may only
return documents whose content was sent by the time the answer arrived; realtime GETs of a client's
own ids must return exactly its last acknowledged write (a GET is realtime in Elasticsearch).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

INDEX = "load"
RERANK_ID = "load-rerank"
DIMS = 4
WORDS = (
    "river stone forest cloud ember signal harbor lantern meadow copper orbit thistle canyon "
    "willow beacon granite falcon prism tundra velvet"
).split()

MAPPINGS: dict[str, Any] = {
    "mappings": {
        "properties": {
            "text": {"type": "text"},
            "tag": {"type": "keyword"},
            "seq": {"type": "integer"},
            "vec": {"type": "dense_vector", "dims": DIMS, "similarity": "cosine"},
        }
    }
}

#: Elasticsearch's deterministic rerank mock (score = 1 / len(text)); no model to load.
RERANK_ENDPOINT: dict[str, Any] = {
    "service": "test_reranking_service",
    "service_settings": {"model_id": "mock", "api_key": "none"},
    "task_settings": {"use_text_length": True},
}

NDJSON = {"Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}
SEARCH_KINDS = ("match", "knn", "rrf", "rerank")


def content(doc_id: str, seq: int) -> dict[str, Any]:
    """The ``_source`` of write number ``seq`` to ``doc_id``: derived from both, so it is checkable."""
    digest = hashlib.sha256(f"{doc_id}/{seq}".encode()).digest()
    words = [WORDS[b % len(WORDS)] for b in digest[:6]]
    vec = [round(0.05 + b / 255.0, 4) for b in digest[6 : 6 + DIMS]]
    client = doc_id.split("-", 1)[0]
    return {"text": " ".join(words) + f" s{seq}", "tag": client, "seq": seq, "vec": vec}


@dataclass
class DocState:
    """What the ledger knows of one id: writes sent, and the last one acknowledged."""

    sent: int = 0  # seq of the last write sent (acknowledged or not)
    sent_delete: bool = False
    acked: int = 0  # seq of the last acknowledged write; 0: none
    acked_version: int = 0
    acked_delete: bool = False
    #: Writes sent since the last acknowledged one, ``(seq, is_delete)``: after a kill, any may be applied.
    unacked: list[tuple[int, bool]] = field(default_factory=list)


@dataclass
class Stats:
    """Per request kind: latencies (seconds) and counts, for the soak figures."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    docs_written: int = 0
    #: ``time.monotonic()`` at which each answer arrived (for throughput over time).
    answered_at: list[float] = field(default_factory=list)

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.answered_at.append(time.monotonic())


class Ledger:
    """The acknowledged state of every id, and the violations found while the workload ran."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.docs: dict[str, DocState] = {}
        self.failures: list[str] = []
        #: Set when the server is killed on purpose: requests then lost are noted in ``lost``, not failures.
        self.server_killed = False
        self.lost: list[str] = []

    def fail(self, message: str) -> None:
        with self.lock:
            if len(self.failures) < 50:
                self.failures.append(message)

    def state(self, doc_id: str) -> DocState:
        with self.lock:
            return self.docs.setdefault(doc_id, DocState())

    def check_hit(self, kind: str, hit: dict[str, Any]) -> None:
        """A search hit's content must be one that was sent to that id by now."""
        doc_id = hit["_id"]
        with self.lock:
            state = self.docs.get(doc_id)
            sent = state.sent if state is not None else 0
        source = hit.get("_source")
        if sent == 0 or not isinstance(source, dict):
            self.fail(f"{kind}: hit {doc_id} was never written (or has no _source): {hit}")
            return
        seq = source.get("seq")
        if not isinstance(seq, int) or not 1 <= seq <= sent or source != content(doc_id, seq):
            self.fail(f"{kind}: hit {doc_id} holds {source}, not a write sent to it (last sent seq {sent})")

    def live(self) -> dict[str, DocState]:
        """The ids whose last acknowledged write is an index (not a delete)."""
        with self.lock:
            return {i: s for i, s in self.docs.items() if s.acked and not s.acked_delete}


def search_body(kind: str, rng: random.Random) -> dict[str, Any]:
    words = " ".join(rng.sample(WORDS, 2))
    vector = [round(rng.uniform(0.05, 1.0), 3) for _ in range(DIMS)]
    match = {"match": {"text": words}}
    knn = {"field": "vec", "query_vector": vector, "k": 10, "num_candidates": 50}
    rrf = {"rrf": {"retrievers": [{"standard": {"query": match}}, {"knn": knn}], "rank_window_size": 20}}
    if kind == "match":
        return {"query": match, "size": 10}
    if kind == "knn":
        return {"knn": knn, "size": 10}
    if kind == "rrf":
        return {"retriever": rrf, "size": 10}
    reranker = {"retriever": rrf, "field": "text", "inference_id": RERANK_ID, "inference_text": words}
    return {"retriever": {"text_similarity_reranker": {**reranker, "rank_window_size": 20}}, "size": 10}


class Client:
    """One client thread's connection, its ids, and the loop it runs."""

    def __init__(
        self,
        number: int,
        host: str,
        port: int,
        ledger: Ledger,
        stats: Stats,
        timeout: float,
        seed: int = 0,
        refresh_share: float = 0.1,
    ) -> None:
        """``refresh_share``: the share of bulk requests sent with ``?refresh=true``."""
        self.refresh_share = refresh_share
        self.number = number
        self.name = f"c{number}"
        self.host, self.port, self.timeout = host, port, timeout
        self.ledger, self.stats = ledger, stats
        self.rng = random.Random(seed * 1000 + number)
        self.own: list[str] = []  # ids this client has written (its own)
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def call(self, kind: str, method: str, target: str, body: bytes | None, headers: dict[str, str]) -> Any:
        """One request; a 5xx, a malformed answer, a timeout or a dropped connection is a failure."""
        started = time.perf_counter()
        try:
            self.conn.request(method, target, body=body, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as e:
            if self.ledger.server_killed:
                self.ledger.lost.append(f"{kind} {target}: {e!r}")
            else:
                self.ledger.fail(f"{kind} {target}: no answer within {self.timeout} s or connection lost: {e!r}")
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            return None
        elapsed = time.perf_counter() - started
        self.stats.add(kind, elapsed)
        if response.status != 200:
            self.ledger.fail(f"{kind} {target}: status {response.status}: {payload[:500]!r}")
            return None
        return json.loads(payload)

    # ---------------------------------------------------------------- operations

    def bulk(self) -> None:
        rng = self.rng
        ops: list[tuple[str, str, int]] = []  # (action, id, seq)
        chosen: set[str] = set()
        for _ in range(rng.randint(1, 20)):
            if self.own and rng.random() < 0.5:
                doc_id = rng.choice(self.own)
            else:
                doc_id = f"{self.name}-{len(self.own)}"
                self.own.append(doc_id)
            if doc_id in chosen:
                continue
            chosen.add(doc_id)
            state = self.ledger.state(doc_id)
            action = "delete" if state.acked and not state.acked_delete and rng.random() < 0.08 else "index"
            ops.append((action, doc_id, state.sent + 1))
        lines: list[str] = []
        for action, doc_id, seq in ops:
            lines.append(json.dumps({action: {"_id": doc_id}}))
            if action == "index":
                lines.append(json.dumps(content(doc_id, seq)))
            with self.ledger.lock:
                state = self.ledger.docs[doc_id]
                state.sent, state.sent_delete = seq, action == "delete"
                state.unacked.append((seq, action == "delete"))
        refresh = "?refresh=true" if rng.random() < self.refresh_share else ""
        result = self.call("bulk", "POST", f"/{INDEX}/_bulk{refresh}", ("\n".join(lines) + "\n").encode(), NDJSON)
        if result is None:
            return
        items = result.get("items", [])
        if len(items) != len(ops):
            self.ledger.fail(f"bulk: {len(ops)} operations, {len(items)} items: {result}")
            return
        for (action, doc_id, seq), item in zip(ops, items, strict=True):
            answer = item.get(action, {})
            if answer.get("status") not in (200, 201) or answer.get("_id") != doc_id:
                self.ledger.fail(f"bulk {action} {doc_id}: {answer}")
                continue
            with self.ledger.lock:
                state = self.ledger.docs[doc_id]
                if answer["_version"] <= state.acked_version:
                    self.ledger.failures.append(f"{doc_id}: version {answer['_version']} after {state.acked_version}")
                state.acked, state.acked_version, state.acked_delete = seq, answer["_version"], action == "delete"
                state.unacked = [u for u in state.unacked if u[0] > seq]
                self.stats.docs_written += action == "index"

    def refresh(self) -> None:
        self.call("refresh", "POST", f"/{INDEX}/_refresh", None, {})

    def search(self) -> None:
        kind = self.rng.choice(SEARCH_KINDS)
        body = json.dumps(search_body(kind, self.rng)).encode()
        result = self.call(kind, "POST", f"/{INDEX}/_search", body, JSON)
        if result is None:
            return
        for hit in result["hits"]["hits"]:
            self.ledger.check_hit(kind, hit)

    def get(self) -> None:
        """A realtime GET of an own id: exactly the last acknowledged write (no write of it is in flight)."""
        if not self.own:
            return
        doc_id = self.rng.choice(self.own)
        state = self.ledger.state(doc_id)
        if not state.acked:
            return
        started = time.perf_counter()
        try:
            self.conn.request("GET", f"/{INDEX}/_doc/{doc_id}")
            response = self.conn.getresponse()
            payload = json.loads(response.read())
        except (OSError, http.client.HTTPException) as e:
            self.ledger.fail(f"get {doc_id}: {e!r}")
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            return
        self.stats.add("get", time.perf_counter() - started)
        problem = expect_doc(doc_id, state, response.status, payload)
        if problem:
            self.ledger.fail(f"realtime get: {problem}")

    def run(self, deadline: float) -> None:
        try:
            while time.monotonic() < deadline:
                roll = self.rng.random()
                if roll < 0.35:
                    self.bulk()
                elif roll < 0.42:
                    self.refresh()
                elif roll < 0.52:
                    self.get()
                else:
                    self.search()
        except Exception as e:  # noqa: BLE001 - a client bug must fail the test, not vanish with the thread
            self.ledger.fail(f"{self.name}: {type(e).__name__}: {e}")
        finally:
            self.conn.close()


def expect_doc(doc_id: str, state: DocState, status: int, body: dict[str, Any]) -> str | None:
    """Why a GET answer does not show the last acknowledged write of ``doc_id``; ``None`` when it does."""
    if state.acked_delete:
        return None if status == 404 and body.get("found") is False else f"{doc_id} deleted, GET says {body}"
    if status != 200 or not body.get("found"):
        return f"{doc_id}: acknowledged write {state.acked} missing: {status} {body}"
    if body.get("_version") != state.acked_version or body.get("_source") != content(doc_id, state.acked):
        return f"{doc_id}: expected v{state.acked_version} seq {state.acked}, got {body}"
    return None


def get_many(request: Callable[..., tuple[int, Any, bytes]], ids: list[str]) -> dict[str, tuple[int, Any]]:
    """Realtime GETs of many ids (``_mget`` in batches): id -> (the status its GET would have, its doc)."""
    out: dict[str, tuple[int, Any]] = {}
    for start in range(0, len(ids), 500):
        status, _, payload = request("POST", f"/{INDEX}/_mget", {"ids": ids[start : start + 500]})
        assert status == 200, payload[:500]
        for doc in json.loads(payload)["docs"]:
            out[doc["_id"]] = (200 if doc.get("found") else 404, doc)
    return out


def prepare(request: Callable[..., tuple[int, Any, bytes]]) -> None:
    """Create the index and the rerank endpoint; ``request``: ``ServerProcess.request``."""
    status, _, payload = request("PUT", f"/{INDEX}", MAPPINGS)
    assert status == 200, payload
    status, _, payload = request("PUT", f"/_inference/rerank/{RERANK_ID}", RERANK_ENDPOINT)
    assert status == 200, payload


def run_clients(
    host: str, port: int, clients: int, seconds: float, timeout: float, seed: int = 0
) -> tuple[Ledger, Stats, float]:
    """Run ``clients`` threads for ``seconds``; the ledger, the stats and the wall time taken."""
    ledger, stats = Ledger(), Stats()
    workers = [Client(n, host, port, ledger, stats, timeout, seed) for n in range(clients)]
    started = time.monotonic()
    deadline = started + seconds
    threads = [threading.Thread(target=w.run, args=(deadline,), name=w.name) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 2 * timeout)
        if t.is_alive():
            ledger.fail(f"client {t.name} still running {seconds + 2 * timeout} s after the start: a hung request")
    return ledger, stats, time.monotonic() - started


def verify_final(request: Callable[..., tuple[int, Any, bytes]], ledger: Ledger) -> list[str]:
    """After a refresh: every id holds its last acknowledged write, by GET and by search (per client tag)."""
    problems: list[str] = []
    status, _, payload = request("POST", f"/{INDEX}/_refresh")
    if status != 200:
        return [f"final refresh: {status} {payload[:300]!r}"]
    acked = sorted(i for i, s in ledger.docs.items() if s.acked)
    for doc_id, (status, body) in get_many(request, acked).items():
        problem = expect_doc(doc_id, ledger.docs[doc_id], status, body)
        if problem:
            problems.append(problem)
    live = ledger.live()
    by_client: dict[str, set[str]] = {}
    for doc_id in live:
        by_client.setdefault(doc_id.split("-", 1)[0], set()).add(doc_id)
    for tag, ids in sorted(by_client.items()):
        body = {"query": {"term": {"tag": tag}}, "size": 10000, "_source": ["seq"]}
        status, _, payload = request("POST", f"/{INDEX}/_search", body)
        hits = json.loads(payload)["hits"]["hits"] if status == 200 else []
        found = {h["_id"]: h["_source"]["seq"] for h in hits}
        expected = {i: live[i].acked for i in ids}
        if found != expected:
            missing = sorted(set(expected) - set(found))[:5]
            extra = sorted(set(found) - set(expected))[:5]
            stale = sorted(i for i in set(found) & set(expected) if found[i] != expected[i])[:5]
            problems.append(f"search tag {tag}: missing {missing}, unexpected {extra}, stale {stale}")
    status, _, payload = request("GET", f"/{INDEX}/_count")
    count = json.loads(payload).get("count") if status == 200 else None
    if count != len(live):
        problems.append(f"_count {count}, acknowledged live documents {len(live)}")
    return problems
