"""Soak: ``retrievo serve`` under 16 concurrent clients mixing writes, refreshes and searches, then a
``kill -9`` and a restart on the same data directory.

Usage (from the repository root):

    .venv/bin/python benchmarks/soak.py                      # 16 clients, 60 s
    .venv/bin/python benchmarks/soak.py --seconds 300 --clients 32
    .venv/bin/python benchmarks/soak.py --markdown

The workload is the one ``tests/server/test_server_load.py`` runs for 20 s
(``tests/server/load_workload.py``): each client thread has its own keep-alive ``http.client``
connection and its own ids, and loops over

* 35 % ``_bulk`` of 1-20 operations on its ids (half new ids, half rewrites of its earlier ones, 8 % of
  the rewrites deletes; one bulk in ten with ``?refresh=true``),
* 7 % ``_refresh``, 10 % realtime ``GET`` of one of its ids,
* 48 % searches, evenly: BM25 ``match``, ``knn`` (4-dim cosine ``dense_vector``, explicit query vector,
  k 10, 50 candidates), ``rrf`` of both (window 20), and ``text_similarity_reranker`` (window 20) over
  that ``rrf`` with Elasticsearch's ``test_reranking_service`` (no model: the cost is retrievo's own),

checking every answer as it goes: no 5xx, none slower than ``--timeout``, every search hit a write that
was sent, every realtime GET the client's last acknowledged write. At the end, after a refresh, every
acknowledged document must be found by ``_mget`` and by search with its last acknowledged content and
``_version``. Then the server is killed with SIGKILL and started again on the same directory: the time
until it listens (translog replay included) and the same final check are reported.

Latencies are client-side (request sent to response read), per request kind: p50 / p95 / p99 / max.
Server and clients share the machine's cores (printed); the server is one process (one GIL), so the
figures are about behaviour under contention, not peak speed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# only the test helpers are imported from outside the package: keep this script's directory off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO / "tests" / "server"))

from load_workload import Stats, prepare, run_clients, verify_final  # noqa: E402
from server_process import ServerProcess  # noqa: E402

KINDS = ("bulk", "refresh", "get", "match", "knn", "rrf", "rerank")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of ``pid`` in MiB (Linux ``/proc``; zeros elsewhere)."""
    fields: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def stack() -> str:
    parts = []
    for name in ("uvicorn", "starlette", "httptools", "uvloop"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} absent")
    return ", ".join(parts)


def table(stats: Stats, wall: float, markdown: bool) -> list[str]:
    rows = [("kind", "requests", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms")]
    total = 0
    for kind in KINDS:
        values = stats.latencies.get(kind, [])
        if not values:
            continue
        total += len(values)
        ms = [v * 1000 for v in values]
        rows.append(
            (
                kind,
                f"{len(values):,}",
                f"{len(values) / wall:,.1f}",
                f"{percentile(ms, 0.5):.1f}",
                f"{percentile(ms, 0.95):.1f}",
                f"{percentile(ms, 0.99):.1f}",
                f"{max(ms):.1f}",
            )
        )
    rows.append(("all", f"{total:,}", f"{total / wall:,.1f}", "", "", "", ""))
    if markdown:
        out = ["| " + " | ".join(rows[0]) + " |", "|---|" + "---:|" * (len(rows[0]) - 1)]
        out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return out
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of mixed traffic (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request limit in seconds (default 30)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"cores: {os.cpu_count()}; load average at start: {load}; {stack()}")
    print(f"{args.clients} clients, {args.seconds:g} s, per-request limit {args.timeout:g} s")
    with tempfile.TemporaryDirectory(prefix="retrievo-soak-") as tmp:
        data = str(Path(tmp) / "data")
        server = ServerProcess("--data", data)
        prepare(server.request)
        ledger, stats, wall = run_clients(server.host, server.port, args.clients, args.seconds, args.timeout, args.seed)
        problems = verify_final(server.request, ledger)
        rss, peak = rss_mb(server.process.pid)
        print()
        print("\n".join(table(stats, wall, args.markdown)))
        live = ledger.live()
        print()
        written = stats.docs_written
        print(f"documents written (index operations acknowledged): {written:,} ({written / wall:,.1f}/s)")
        print(f"ids at the end: {len(ledger.docs):,}, live {len(live):,}; server RSS {rss:,.0f} MiB (peak {peak:,.0f})")
        if stats.answered_at:
            first = min(stats.answered_at)
            windows = [0] * (int((max(stats.answered_at) - first) // 10) + 1)
            for moment in stats.answered_at:
                windows[int((moment - first) // 10)] += 1
            print("requests/s per 10 s window: " + ", ".join(f"{n / 10:.0f}" for n in windows[: int(wall // 10)]))
        print(f"failures during the run (5xx, timeouts, inconsistent hits or GETs): {len(ledger.failures)}")
        for failure in ledger.failures[:10]:
            print(f"  {failure}")
        print(f"final check (refresh, _mget of every id, search per client, _count): {len(problems)} problems")
        for problem in problems[:10]:
            print(f"  {problem}")

        server.process.send_signal(signal.SIGKILL)
        server.process.wait(30)
        server.stop()
        started = time.perf_counter()
        again = ServerProcess("--data", data, timeout=600)
        restart = time.perf_counter() - started
        after = verify_final(again.request, ledger)
        rc, _ = again.stop()
        print(f"kill -9, restart on the same directory: listening after {restart:.2f} s; {len(after)} problems")
        for problem in after[:10]:
            print(f"  {problem}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if not (ledger.failures or problems or after or rc) else 1


if __name__ == "__main__":
    raise SystemExit(main())
