"""Peak and resting memory of a BM25 index built through the official client (issue 18, item 4).

Builds ``--docs`` synthetic documents (the corpus law of ``benchmarks/bm25.py``: Poisson(60) tokens,
Zipf(1.0) over a 200k-word vocabulary) with ``_bulk`` batches, refreshes, runs a few searches (which build
the per-snapshot caches: ``unit_scores``, ``impacts``) and prints resident memory at each step, the peak
(``ru_maxrss``, and a sampler per phase) and what holds the memory: every array of the field's snapshot
(dtype, length, bytes) and the document store's Python objects (estimated with ``sys.getsizeof``).

The harness holds no corpus: each batch's token ids are drawn just before it is sent, from a generator
seeded by (``--seed``, batch number), so a run is reproducible and the figures are the engine's, not the
generator's. What the harness itself holds (the vocabulary, the interpreter, numpy) is printed apart, as
``harness RSS`` before the engine starts; it counts in every figure after. (Until 2026-12-07 the whole
corpus was drawn first and kept as int32 token ids: ~250 MiB more of harness at 1M documents; the draws
now differ, the corpus law is the same.) Run one size per process (``ru_maxrss`` is the process's
lifetime peak)::

    .venv/bin/python benchmarks/memory.py --docs 200000
    .venv/bin/python benchmarks/memory.py --docs 1000000
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bm25 import make_vocabulary

MIB = 1 << 20
_PAGE = resource.getpagesize()


def rss_bytes() -> int:
    """Current resident set size (``/proc/self/statm``'s second field)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Sampler:
    """Samples RSS every few milliseconds in a thread; ``phase`` starts a new maximum."""

    def __init__(self, every_s: float = 0.02) -> None:
        self.every_s = every_s
        self.peaks: dict[str, int] = {}
        self.current = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            r = rss_bytes()
            if r > self.peaks.get(self.current, 0):
                self.peaks[self.current] = r
            time.sleep(self.every_s)

    def phase(self, name: str) -> None:
        self.current = name
        self.peaks[name] = rss_bytes()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Corpus:
    """The synthetic corpus, drawn batch by batch: only the vocabulary and the Zipf CDF are kept."""

    def __init__(self, vocab_size: int, mean_len: float, seed: int) -> None:
        self.vocab = make_vocabulary(np.random.default_rng(seed), vocab_size)
        self.words = np.array(self.vocab, dtype=object)
        ranks = np.arange(1, vocab_size + 1, dtype=np.float64)
        p = ranks**-1.0
        self.cdf = np.cumsum(p / p.sum())
        self.mean_len, self.seed = mean_len, seed

    def batch(self, number: int, n_docs: int) -> tuple[list[str], np.ndarray]:
        """Batch ``number``'s tokens as words and its documents' offsets into them (Poisson lengths, at
        least one token; Zipf(1.0) word ranks)."""
        rng = np.random.default_rng((self.seed, number))
        lengths = np.maximum(rng.poisson(self.mean_len, size=n_docs), 1)
        offsets = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ranks = np.minimum(np.searchsorted(self.cdf, rng.random(int(offsets[-1])), side="right"), self.cdf.size - 1)
        return self.words[ranks].tolist(), offsets


def array_inventory(obj: Any, prefix: str) -> list[tuple[str, str, int, int]]:
    """(name, dtype, length, bytes) of every numpy array held by a snapshot's attributes and caches."""
    rows = []
    attrs = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    for name, value in sorted(attrs.items()):
        if isinstance(value, np.ndarray):
            rows.append((f"{prefix}.{name}", str(value.dtype), int(value.size), int(value.nbytes)))
        elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
            rows.extend(array_inventory(value, f"{prefix}.{name}"))
    return rows


def store_inventory(store: Any) -> list[tuple[str, int]]:
    """Estimated bytes of the document store's per-document Python containers."""
    rows = []
    names = ("ids", "sources", "by_id", "versions", "tombstones", "live_list", "doc_seq_nos", "doc_versions")
    for name in names:
        value = getattr(store, name, None)
        if value is None or (name == "versions" and not isinstance(value, dict)):
            continue  # a view over doc_versions and tombstones (index/store.py's VersionTable)
        if hasattr(value, "stored_bytes"):  # sources kept as bytes (index/store.py's SourceColumn)
            rows.append((name, value.stored_bytes()))
            continue
        if isinstance(value, (bytes, bytearray)) or hasattr(value, "buffer_info"):  # machine-int buffers
            rows.append((name, sys.getsizeof(value)))
            continue
        total = sys.getsizeof(value)
        items = value.items() if isinstance(value, dict) else ((v, None) for v in value)
        seen_small = 0
        for k, v in items:
            for x in (k, v):
                if x is None or isinstance(x, bool) or (isinstance(x, int) and -5 <= x <= 256):
                    continue
                total += sys.getsizeof(x)
                if isinstance(x, dict):
                    total += sum(sys.getsizeof(e) for e in x.values())
            seen_small += 1
        rows.append((name, total))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--vocab", type=int, default=200_000)
    ap.add_argument("--mean-len", type=float, default=60.0)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--refresh-every", type=int, default=0, help="also refresh after every N documents (default: only at the end)"
    )
    args = ap.parse_args(argv)

    sampler = Sampler()
    corpus = Corpus(args.vocab, args.mean_len, args.seed)
    vocab = corpus.vocab
    gc.collect()
    base = rss_bytes()
    print(f"harness ready: vocabulary of {len(vocab):,} words; harness RSS {base / MIB:,.0f} MiB", flush=True)

    from retrievo import Engine

    es = Engine()
    es.indices.create(index="mem", mappings={"properties": {"text": {"type": "text"}}})
    sampler.phase("bulk")
    t0 = time.perf_counter()
    n_tokens = 0
    for s in range(0, args.docs, args.batch):
        e = min(s + args.batch, args.docs)
        toks, local = corpus.batch(s // args.batch, e - s)
        n_tokens += len(toks)
        ops: list[dict] = []
        for i in range(e - s):
            ops.append({"index": {"_index": "mem", "_id": str(s + i)}})
            ops.append({"text": " ".join(toks[local[i] : local[i + 1]])})
        resp = es.bulk(operations=ops, refresh=False)
        if resp.get("errors"):
            raise RuntimeError("bulk error")
        del ops, toks
        if args.refresh_every and e < args.docs and e // args.refresh_every != s // args.refresh_every:
            es.indices.refresh(index="mem")  # a snapshot merged with the next batches' postings (refresh's peak)
    bulk_s = time.perf_counter() - t0
    after_bulk = rss_bytes()
    sampler.phase("refresh")
    t0 = time.perf_counter()
    es.indices.refresh(index="mem")
    refresh_s = time.perf_counter() - t0
    gc.collect()
    after_refresh = rss_bytes()
    sampler.phase("search")
    queries = [" ".join(vocab[t] for t in (100 + 7 * q, 1000 + 13 * q, 5000 + 17 * q)) for q in range(20)]
    t0 = time.perf_counter()
    for q in queries:
        es.search(index="mem", query={"match": {"text": q}}, size=10, _source=False)
    search_ms = (time.perf_counter() - t0) * 1e3 / len(queries)
    gc.collect()
    at_rest = rss_bytes()
    sampler.stop()

    print(f"{args.docs:,} docs, {n_tokens:,} tokens")
    print(f"bulk {bulk_s:.1f} s, refresh {refresh_s:.1f} s, search {search_ms:.1f} ms/query")
    print(f"RSS after bulk      {after_bulk / MIB:8,.0f} MiB")
    print(f"RSS after refresh   {after_refresh / MIB:8,.0f} MiB")
    print(f"RSS at rest (after 20 searches) {at_rest / MIB:8,.0f} MiB")
    for name, b in sampler.peaks.items():
        print(f"peak RSS during {name:8s} {b / MIB:8,.0f} MiB")
    peak = peak_bytes()
    print(
        f"peak RSS (ru_maxrss) {peak / MIB:8,.0f} MiB; the harness's own (RSS before the engine) {base / MIB:,.0f} MiB"
    )

    shard = es.catalog.shard("mem")
    print("\nwhat holds the memory (the field's snapshot and the writer):")
    rows: list[tuple[str, str, int, int]] = []
    for path, writer in shard.inverted.items():
        if writer.snapshot is not None:
            rows += array_inventory(writer.snapshot, f"inverted[{path}]")
    rows.sort(key=lambda r: -r[3])
    for name, dtype, n, nbytes in rows:
        print(f"  {name:44s} {dtype:8s} {n:>13,} {nbytes / MIB:9,.1f} MiB")
    print(f"  {'arrays total':44s} {'':8s} {'':>13s} {sum(r[3] for r in rows) / MIB:9,.1f} MiB")
    print("document store (Python objects, estimated):")
    for name, b in store_inventory(shard.store):
        print(f"  store.{name:38s} {'':8s} {'':>13s} {b / MIB:9,.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
