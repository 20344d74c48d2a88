"""HTTP overhead benchmark: the same searches through the router directly, the in-process client and
``retrievo serve`` over loopback HTTP, and searches/s with several concurrent HTTP clients.

Usage (from the repository root):

    .venv/bin/python benchmarks/http_server.py                       # 20k docs, 500 searches per measurement
    .venv/bin/python benchmarks/http_server.py --docs 5000 --searches 200 --duration 3
    .venv/bin/python benchmarks/http_server.py --markdown

What is measured:

* per-search latency (one search at a time, the same ``--searches`` match queries, best of
  ``--repeat`` passes, mean per search): ``router`` calls ``Router.handle(RestRequest)`` in this
  process (request parsing, search, response body; no serialisation); ``client`` is ``Engine``'s
  ``search(...)`` (the in-process client); ``http`` sends the same JSON body with ``http.client`` over
  one keep-alive connection to a ``retrievo serve`` subprocess on the same data directory, and reads
  and parses the response. ``overhead`` is the difference to ``router``.
* throughput: ``--clients`` threads (default 1, 4, 16), each with its own keep-alive ``http.client``
  connection, send searches for ``--duration`` seconds; searches/s over all of them. The same with
  threads calling ``Router.handle`` in this process is printed beside it.

The server runs in its own process (so the client threads here do not share its GIL); both share
the machine's cores, so the throughput numbers depend on how many there are (printed).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named after the standard library's http package: run as a script, its directory
# comes first on sys.path and would shadow it. Drop that entry; import retrievo from the repository.
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from retrievo.api.router import Router  # noqa: E402
from retrievo.api.types import RestRequest  # noqa: E402
from retrievo.catalog import Catalog  # noqa: E402

INDEX = "bench"
JSON_HEADERS = {"content-type": "application/json"}


def vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def build(data: Path, docs: int, seed: int) -> list[bytes]:
    """Index ``docs`` synthetic documents into ``data``; the search bodies to send."""
    rng = random.Random(seed)
    words = vocabulary(rng, 5000)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    catalog = Catalog()
    catalog.attach(data)
    router = Router(catalog)
    mapping = {"mappings": {"properties": {"title": {"type": "text"}, "body": {"type": "text"}, "n": {"type": "long"}}}}
    create = router.handle(RestRequest("PUT", f"/{INDEX}", {}, json.dumps(mapping).encode(), JSON_HEADERS))
    assert create.status == 200, create.body
    batch: list[str] = []
    for i in range(docs):
        title = " ".join(rng.choices(words, weights, k=6))
        body = " ".join(rng.choices(words, weights, k=40))
        batch.append(json.dumps({"index": {"_id": str(i)}}))
        batch.append(json.dumps({"title": title, "body": body, "n": i}))
        if len(batch) >= 2000 or i == docs - 1:
            payload = ("\n".join(batch) + "\n").encode()
            result = router.handle(
                RestRequest("POST", f"/{INDEX}/_bulk", {}, payload, {"content-type": "application/x-ndjson"})
            )
            assert result.status == 200 and not result.body["errors"], str(result.body)[:500]
            batch = []
    router.handle(RestRequest("POST", f"/{INDEX}/_refresh", {}, None, {}))
    catalog.flush([INDEX])
    queries = []
    for _ in range(1000):
        text = " ".join(rng.choices(words[:2000], k=2))
        queries.append(
            json.dumps({"query": {"multi_match": {"query": text, "fields": ["title^2", "body"]}}, "size": 10}).encode()
        )
    return queries


def stack() -> str:
    """The server stack's versions (httptools and uvloop are what uvicorn picks when present)."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("uvicorn", "starlette", "httptools", "uvloop"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} absent")
    return ", ".join(parts)


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def best_mean(run: Callable[[], None], searches: int, repeat: int) -> float:
    """Mean seconds per search of the best of ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best / searches


class Server:
    def __init__(self, data: Path, threads: int) -> None:
        argv = [sys.executable, "-m", "retrievo", "serve", "--port", "0", "--data", str(data)]
        argv += ["-E", f"thread_pool.search.size={threads}"]
        self.process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("retrievo listening on "):
            self.process.kill()
            raise SystemExit(f"retrievo serve did not start: {line!r}")
        url = urllib.parse.urlsplit(line.split()[-1])
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 9200

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def http_search(conn: http.client.HTTPConnection, body: bytes) -> Any:
    conn.request("POST", f"/{INDEX}/_search", body=body, headers=JSON_HEADERS)
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200:
        raise SystemExit(f"HTTP {response.status}: {payload[:300]!r}")
    return json.loads(payload)


def throughput(
    make_worker: Callable[[], Callable[[bytes], Any]], queries: list[bytes], clients: int, duration: float
) -> float:
    counts = [0] * clients
    stop = threading.Event()

    def loop(slot: int) -> None:
        search = make_worker()
        i = slot
        while not stop.is_set():
            search(queries[i % len(queries)])
            counts[slot] += 1
            i += clients

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per throughput measurement")
    parser.add_argument("--clients", default="1,4,16", help="concurrent clients, comma-separated")
    parser.add_argument("--threads", type=int, default=16, help="the server's thread_pool.search.size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    with tempfile.TemporaryDirectory(prefix="retrievo-http-bench-") as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        queries = build(data, args.docs, args.seed)
        print(f"indexed {args.docs} docs in {time.perf_counter() - started:.1f} s; cpus: {os.cpu_count()}", flush=True)
        print(f"stack: {stack()}; load at start: {load()}", flush=True)
        sample = queries[: args.searches]

        catalog = Catalog()
        catalog.restore(data)
        router = Router(catalog)

        def router_search(body: bytes) -> Any:
            response = router.handle(RestRequest("POST", f"/{INDEX}/_search", {}, body, JSON_HEADERS))
            assert response.status == 200, response.body
            return response.body

        from retrievo import Engine

        engine = Engine.load(data)
        client_bodies = [json.loads(b) for b in sample]

        def client_run() -> None:
            for body in client_bodies:
                engine.search(index=INDEX, query=body["query"], size=body["size"])

        server = Server(data, args.threads)
        try:
            conn = server.connection()
            for body in sample[:50]:  # warm up every path
                router_search(body)
                http_search(conn, body)
                engine.search(index=INDEX, query=json.loads(body)["query"], size=10)
            agree = all(
                [h["_id"] for h in router_search(b)["hits"]["hits"]]
                == [h["_id"] for h in http_search(conn, b)["hits"]["hits"]]
                for b in sample[:50]
            )
            direct = best_mean(lambda: [router_search(b) for b in sample], len(sample), args.repeat)
            client = best_mean(client_run, len(sample), args.repeat)
            over_http = best_mean(lambda: [http_search(conn, b) for b in sample], len(sample), args.repeat)
            conn.close()

            rows = []
            for n in clients:

                def http_worker() -> Callable[[bytes], Any]:
                    own = server.connection()
                    return lambda body: http_search(own, body)

                http_qps = throughput(http_worker, queries, n, args.duration)
                direct_qps = throughput(lambda: router_search, queries, n, args.duration)
                rows.append((n, http_qps, direct_qps))
        finally:
            server.stop()

    print(f"load at end: {load()}")
    ms = 1000.0
    if args.markdown:
        print("| path | ms / search | overhead vs router |")
        print("|---|---:|---:|")
        print(f"| router (Router.handle) | {direct * ms:.3f} | — |")
        print(f"| in-process client (Engine.search) | {client * ms:.3f} | {(client - direct) * ms:+.3f} |")
        print(f"| HTTP, loopback, keep-alive | {over_http * ms:.3f} | {(over_http - direct) * ms:+.3f} |")
        print()
        print("| concurrent clients | HTTP searches/s | in-process Router.handle searches/s |")
        print("|---:|---:|---:|")
        for n, http_qps, direct_qps in rows:
            print(f"| {n} | {http_qps:,.0f} | {direct_qps:,.0f} |")
    else:
        print(f"same top-10 over HTTP as in-process: {agree}")
        print(f"{'path':<36}{'ms/search':>10}{'overhead':>10}")
        print(f"{'router (Router.handle)':<36}{direct * ms:>10.3f}{'':>10}")
        print(f"{'in-process client (Engine.search)':<36}{client * ms:>10.3f}{(client - direct) * ms:>+10.3f}")
        print(f"{'HTTP loopback keep-alive':<36}{over_http * ms:>10.3f}{(over_http - direct) * ms:>+10.3f}")
        print()
        print(f"{'clients':>8}{'HTTP searches/s':>18}{'Router.handle searches/s':>26}")
        for n, http_qps, direct_qps in rows:
            print(f"{n:>8}{http_qps:>18,.0f}{direct_qps:>26,.0f}")


if __name__ == "__main__":
    main()
