"""``retrievo serve`` under load: 16 concurrent clients mixing bulk writes, refreshes, realtime GETs and
searches (BM25, knn, rrf, text_similarity_reranker) for a bounded time, on a data directory.

No answer may be a 5xx, none may take longer than the per-request timeout, every search hit must be a
write that was sent by then, every realtime GET the client's last acknowledged write, and after a
final refresh every acknowledged document must be found (by GET and by search) with its last
acknowledged content and version. ``benchmarks/soak.py`` runs the same workload longer, with figures.
"""

from __future__ import annotations

from pathlib import Path

from load_workload import SEARCH_KINDS, prepare, run_clients, verify_final
from server_process import ServerProcess

#: Seconds of mixed traffic in the test (the soak benchmark runs the same workload for 60 s and more).
LOAD_SECONDS = 20.0
CLIENTS = 16
#: No request may take longer than this (a hung request fails the test rather than hanging it).
REQUEST_TIMEOUT = 30.0


def test_sixteen_clients_mixing_writes_refreshes_and_searches(tmp_path: Path) -> None:
    server = ServerProcess("--data", str(tmp_path / "data"))
    try:
        prepare(server.request)
        ledger, stats, wall = run_clients(server.host, server.port, CLIENTS, LOAD_SECONDS, REQUEST_TIMEOUT)
        assert ledger.failures == [], "\n".join(ledger.failures)
        assert wall < LOAD_SECONDS + REQUEST_TIMEOUT
        # the mix really happened: every kind of request ran, and many writes were acknowledged
        for kind in ("bulk", "refresh", "get", *SEARCH_KINDS):
            assert len(stats.latencies.get(kind, [])) >= 5, (kind, {k: len(v) for k, v in stats.latencies.items()})
        assert max(max(v) for v in stats.latencies.values()) < REQUEST_TIMEOUT
        assert len(ledger.live()) >= 100
        problems = verify_final(server.request, ledger)
        assert problems == [], "\n".join(problems[:20])
    finally:
        rc, stderr = server.stop()
    assert rc == 0, stderr
    assert "Traceback" not in stderr and "Exception in ASGI" not in stderr, stderr
