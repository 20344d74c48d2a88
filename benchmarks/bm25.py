"""BM25 benchmark: retrievo vs rank-bm25 vs bm25s, measured side by side in one run.

Usage (from the repository root):

    .venv/bin/python benchmarks/bm25.py                 # full run: 100k synthetic docs + CISI
    .venv/bin/python benchmarks/bm25.py --docs 10000 --queries 200     # quick run
    .venv/bin/python benchmarks/bm25.py --markdown      # table as Markdown
    .venv/bin/python benchmarks/bm25.py --profile       # + cProfile of retrievo indexing/querying

What is measured (everything single-threaded, in this process):

* index_s -- retrievo: ``indices.create`` + ``bulk`` (batches of ``--batch`` docs, no refresh) +
  ``indices.refresh``.  rank-bm25: lowercase whitespace split of every document +
  ``BM25Okapi(tokenized)``.  bm25s: ``bm25s.tokenize`` + ``BM25(method="lucene", k1=1.2, b=0.75)`` +
  ``index``.
* queries/s -- top-10 for each query, one query at a time, query analysis included.  retrievo:
  ``engine.search(index=..., query={"match": {"text": q}}, size=10, _source=False)``.  rank-bm25:
  ``get_scores`` + ``argpartition`` top-10 (slow: on the 100k corpus it is timed on the first
  ``--rank-queries`` evenly spaced queries, one pass, and extrapolated; marked ``*``).  bm25s:
  ``retrieve([tokens], k=10, n_threads=0, backend_selection="numpy")``; ``n_threads=0`` is bm25s's
  in-thread path (``n_threads=1`` would hand each single query to a fresh one-worker
  ThreadPoolExecutor: still one thread, just slower).  bm25s-numba: its fastest documented setup,
  ``BM25(backend="numba")`` and ``retrieve([tokens], k=10, n_threads=1, backend_selection="numba")``
  one query at a time; bm25s-numba batched: every query in one ``retrieve`` call.  bm25s's queries
  are tokenized before timing, as its documentation recommends (retrievo's analysis is timed).
  retrievo msearch: the same searches through ``_msearch``, ``--msearch-batch`` (100) per request.
  Every system first answers ``--warmup``
  queries untimed; retrievo's very first search is timed on its own and printed (so work deferred
  from indexing to the first search is visible).
  The query set is timed ``--repeat`` times (default 3) and the best pass is reported; index_s is
  measured once.
* ratios -- ``vs X`` = this system's queries/s divided by X's queries/s (so > 1 is faster).

Agreement checks (synthetic corpus):

* overlap@10 of retrievo vs bm25s (method="lucene", same k1/b) top-10 ids on ``--agree-queries``
  queries.  bm25s uses exact document lengths while Lucene stores lengths in a lossy one-byte
  norm (SmallFloat.intToByte4), so the two legitimately differ a little: informational only.
* retrievo's scores vs an independent float64 BM25 (Elasticsearch's LegacyBM25Similarity: Lucene 8+'s
  formula times (k1+1)) that decodes lengths through SmallFloat as Lucene does: max relative difference (target < 1e-6).

Tokenisation: synthetic words are ASCII lowercase letters only (>= 2 letters), so the standard
analyzer, ``str.lower().split()`` and bm25s's ``\\w\\w+`` regex all produce identical tokens.  bm25s is
run with ``stopwords=None`` (retrievo's standard analyzer and rank-bm25 keep stopwords too).  On CISI
the three tokenisers differ slightly (punctuation, one-letter tokens), which is normal.
"""

from __future__ import annotations

import os

# Single-threaded numpy / BLAS: must be set before numpy is imported (by us or any library).
for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ[_var] = "1"
os.environ.setdefault("TQDM_DISABLE", "1")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CISI_DIR = SHARED / "fixtures" / "cisi"

K1, B = 1.2, 0.75  # Elasticsearch / Lucene defaults; bm25s is configured with the same values
TOP_K = 10
STOPWORD_RANKS = 50  # the 50 most frequent synthetic words never appear in queries
BM25S_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default token_pattern


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    name: str
    ids: list[str]
    texts: list[str]
    queries: list[str]
    # synthetic only: token ids per document (CSR) and the vocabulary, for the reference scorer
    flat: np.ndarray | None = None
    offsets: np.ndarray | None = None
    vocab: list[str] | None = None
    query_term_ids: list[list[int]] | None = None
    notes: list[str] = field(default_factory=list)


def make_vocabulary(rng: np.random.Generator, size: int) -> list[str]:
    """``size`` distinct pronounceable lowercase words (2-3 CV syllables, optional final consonant).

    Sorted shortest first, so the most frequent Zipf ranks get the shortest words, as in language.
    """
    consonants = list("bcdfghjklmnprstvz")
    vowels = list("aeiou")
    finals = [""] * 6 + list("nrst")
    words: set[str] = set()
    while len(words) < size:
        n = size - len(words)
        nsyl = rng.integers(2, 4, size=n)
        c = rng.integers(0, len(consonants), size=(n, 3))
        v = rng.integers(0, len(vowels), size=(n, 3))
        f = rng.integers(0, len(finals), size=n)
        for i in range(n):
            w = "".join(consonants[c[i, j]] + vowels[v[i, j]] for j in range(nsyl[i])) + finals[f[i]]
            words.add(w)
    ordered = sorted(words)  # deterministic order before the seeded shuffle
    perm = rng.permutation(len(ordered))
    shuffled = [ordered[i] for i in perm][:size]
    shuffled.sort(key=len)  # stable: random within a length
    return shuffled


def synthetic_corpus(
    n_docs: int,
    n_queries: int,
    vocab_size: int,
    zipf_s: float,
    mean_len: float,
    seed: int,
    query_terms: tuple[int, int] = (3, 6),
) -> Corpus:
    rng = np.random.default_rng(seed)
    vocab = make_vocabulary(rng, vocab_size)
    ranks = np.arange(1, vocab_size + 1, dtype=np.float64)
    p = ranks**-zipf_s
    p /= p.sum()
    cdf = np.cumsum(p)

    lengths = np.maximum(rng.poisson(mean_len, size=n_docs), 1)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.minimum(np.searchsorted(cdf, rng.random(int(offsets[-1])), side="right"), vocab_size - 1)
    flat = flat.astype(np.int32)

    words = np.array(vocab, dtype=object)
    toks = words[flat].tolist()
    texts = [" ".join(toks[offsets[i] : offsets[i + 1]]) for i in range(n_docs)]
    del toks

    # Queries: 3-6 (query_terms) distinct terms, drawn from the same Zipf law restricted to ranks > STOPWORD_RANKS.
    qrng = np.random.default_rng(seed + 1)
    pq = p[STOPWORD_RANKS:] / p[STOPWORD_RANKS:].sum()
    cdfq = np.cumsum(pq)
    queries, qids = [], []
    for _ in range(n_queries):
        n_terms = int(qrng.integers(query_terms[0], query_terms[1] + 1))
        terms: list[int] = []
        while len(terms) < n_terms:
            t = STOPWORD_RANKS + min(int(np.searchsorted(cdfq, qrng.random(), side="right")), len(pq) - 1)
            if t not in terms:
                terms.append(t)
        qids.append(terms)
        queries.append(" ".join(vocab[t] for t in terms))

    c = Corpus(
        name=f"synthetic{n_docs // 1000}k" if n_docs % 1000 == 0 else f"synthetic{n_docs}",
        ids=[str(i) for i in range(n_docs)],
        texts=texts,
        queries=queries,
        flat=flat,
        offsets=offsets,
        vocab=vocab,
        query_term_ids=qids,
    )
    c.notes.append(
        f"{c.name}: {n_docs:,} docs, {int(offsets[-1]):,} tokens (mean length {lengths.mean():.1f}, "
        f"Poisson({mean_len:g}) clipped >= 1), Zipf(s={zipf_s:g}) over {vocab_size:,} pseudo-words, seed {seed}; "
        f"{n_queries:,} match queries of {query_terms[0]}-{query_terms[1]} distinct terms from the same Zipf law "
        f"without its top "
        f"{STOPWORD_RANKS} words (seed {seed + 1})"
    )
    return c


def cisi_corpus() -> Corpus | None:
    corpus_f, queries_f = CISI_DIR / "corpus.jsonl", CISI_DIR / "queries.jsonl"
    if not (corpus_f.is_file() and queries_f.is_file()):
        return None
    docs = [json.loads(line) for line in corpus_f.read_text().splitlines() if line.strip()]
    qs = [json.loads(line) for line in queries_f.read_text().splitlines() if line.strip()]
    c = Corpus(
        name="cisi",
        ids=[str(d["_id"]) for d in docs],
        texts=[d.get("text", "") for d in docs],
        queries=[q["text"] for q in qs],
    )
    c.notes.append(f"cisi: {len(c.ids):,} docs (field `text`), {len(c.queries)} queries (field `text`)")
    return c


# --------------------------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    corpus: str
    system: str
    index_s: float
    qps: float
    n_timed: int
    extrapolated: bool = False
    first_query_ms: float | None = None
    passes: list[float] = field(default_factory=list)  # queries/s of every timed pass
    top: dict[int, list[tuple[str, float]]] = field(default_factory=dict)  # query no -> [(id, score)]
    error: str | None = None


REPEAT = 3  # set from --repeat
PASSES: list[float] = []  # queries/s of each timed pass of the last _time_queries call


def _time_queries(run_one, queries: list[str], warmup: int, repeat: int | None = None) -> tuple[float, float]:
    """Best (shortest) of REPEAT timed passes over ``queries``, after ``warmup`` untimed queries."""
    for q in queries[:warmup]:
        run_one(q)
    passes = []
    for _ in range(max(1, REPEAT if repeat is None else repeat)):
        t0 = time.perf_counter()
        for q in queries:
            run_one(q)
        passes.append(time.perf_counter() - t0)
    PASSES[:] = [len(queries) / t for t in passes]
    return min(passes), len(queries)


def run_retrievo(c: Corpus, args, keep: set[int]) -> Result:
    from retrievo import Engine

    index = "bench"
    gc.collect()
    t0 = time.perf_counter()
    engine = Engine()
    engine.indices.create(index=index, mappings={"properties": {"text": {"type": "text"}}})
    for s in range(0, len(c.ids), args.batch):
        ops: list[dict] = []
        for i in range(s, min(s + args.batch, len(c.ids))):
            ops.append({"index": {"_index": index, "_id": c.ids[i]}})
            ops.append({"text": c.texts[i]})
        resp = engine.bulk(operations=ops, refresh=False)
        if resp.get("errors"):
            bad = next(it for it in resp["items"] if next(iter(it.values())).get("error"))
            raise RuntimeError(f"bulk error: {bad}")
    engine.indices.refresh(index=index)
    index_s = time.perf_counter() - t0

    def search(q: str) -> dict:
        return engine.search(index=index, query={"match": {"text": q}}, size=TOP_K, _source=False)  # noqa: F821 - freed by `del` below

    t0 = time.perf_counter()
    search(c.queries[0])
    first_ms = (time.perf_counter() - t0) * 1e3
    elapsed, n = _time_queries(search, c.queries, args.warmup)
    res = Result(c.name, "retrievo", index_s, n / elapsed, n, first_query_ms=first_ms, passes=list(PASSES))
    for qi in sorted(keep):
        hits = search(c.queries[qi])["hits"]["hits"]
        res.top[qi] = [(h["_id"], float(h["_score"])) for h in hits]
    del engine
    gc.collect()
    return res


def run_rank_bm25(c: Corpus, args, keep: set[int]) -> Result:
    from rank_bm25 import BM25Okapi

    gc.collect()
    t0 = time.perf_counter()
    tokenized = [t.lower().split() for t in c.texts]
    bm = BM25Okapi(tokenized)
    index_s = time.perf_counter() - t0
    del tokenized

    def search(q: str):
        scores = bm.get_scores(q.lower().split())  # noqa: F821 - freed by `del` below
        k = min(TOP_K, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top], kind="stable")], scores

    subset = c.queries
    extrapolated = False
    if len(c.ids) > args.rank_full_below and len(c.queries) > args.rank_queries:
        # evenly spaced, so the subset's mean query length tracks the whole set's
        step = len(c.queries) / args.rank_queries
        subset, extrapolated = [c.queries[int(i * step)] for i in range(args.rank_queries)], True
    # one pass: a pure-Python loop over every document, its pass-to-pass spread is small
    elapsed, n = _time_queries(search, subset, min(args.warmup, 2), repeat=1)
    res = Result(c.name, "rank-bm25", index_s, n / elapsed, n, extrapolated=extrapolated)
    del bm
    gc.collect()
    return res


def run_bm25s(c: Corpus, args, keep: set[int]) -> Result:
    import bm25s

    gc.collect()
    t0 = time.perf_counter()
    tokens = bm25s.tokenize(c.texts, stopwords=None, show_progress=False)
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B, backend="numpy")
    retriever.index(tokens, show_progress=False)
    index_s = time.perf_counter() - t0
    del tokens

    # pre-tokenized, as bm25s's documentation recommends: the lookup is all that is timed
    tokenized = {q: BM25S_TOKEN_RE.findall(q.lower()) for q in c.queries}

    def search(q: str):
        return retriever.retrieve([tokenized[q]], k=TOP_K, n_threads=0, backend_selection="numpy", show_progress=False)  # noqa: F821 - freed by `del` below

    elapsed, n = _time_queries(search, c.queries, args.warmup)
    res = Result(c.name, "bm25s", index_s, n / elapsed, n, passes=list(PASSES))
    for qi in sorted(keep):
        r = search(c.queries[qi])
        res.top[qi] = [(c.ids[int(d)], float(s)) for d, s in zip(r.documents[0], r.scores[0])]
    del retriever
    gc.collect()
    return res


def _bm25s_numba(c: Corpus) -> tuple[Any, float]:
    import bm25s

    gc.collect()
    t0 = time.perf_counter()
    tokens = bm25s.tokenize(c.texts, stopwords=None, show_progress=False)
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B, backend="numba")
    retriever.index(tokens, show_progress=False)
    return retriever, time.perf_counter() - t0


def run_bm25s_numba(c: Corpus, args, keep: set[int]) -> Result:
    """bm25s's fastest documented setup: the numba backend, pre-tokenized queries, one thread,
    one query at a time."""
    retriever, index_s = _bm25s_numba(c)
    tokenized = {q: BM25S_TOKEN_RE.findall(q.lower()) for q in c.queries}

    def search(q: str):
        return retriever.retrieve([tokenized[q]], k=TOP_K, n_threads=1, backend_selection="numba", show_progress=False)  # noqa: F821 - freed by `del` below

    elapsed, n = _time_queries(search, c.queries, args.warmup)
    res = Result(c.name, "bm25s-numba", index_s, n / elapsed, n, passes=list(PASSES))
    del retriever
    gc.collect()
    return res


def run_bm25s_numba_batched(c: Corpus, args, keep: set[int]) -> Result:
    """The same, every query in one ``retrieve`` call (queries/s = queries / seconds of the call)."""
    retriever, index_s = _bm25s_numba(c)
    batch = [BM25S_TOKEN_RE.findall(q.lower()) for q in c.queries]
    retriever.retrieve(batch[: args.warmup] or batch[:1], k=TOP_K, n_threads=1, show_progress=False)
    passes = []
    for _ in range(max(1, REPEAT)):
        t0 = time.perf_counter()
        retriever.retrieve(batch, k=TOP_K, n_threads=1, backend_selection="numba", show_progress=False)
        passes.append(len(batch) / (time.perf_counter() - t0))
    res = Result(c.name, "bm25s-numba batched", index_s, max(passes), len(batch), passes=passes)
    del retriever
    gc.collect()
    return res


def run_retrievo_msearch(c: Corpus, args, keep: set[int]) -> Result:
    """retrievo through ``_msearch``: the queries in batches of ``--msearch-batch`` searches."""
    from retrievo import Engine

    index = "bench"
    gc.collect()
    t0 = time.perf_counter()
    engine = Engine()
    engine.indices.create(index=index, mappings={"properties": {"text": {"type": "text"}}})
    for s0 in range(0, len(c.ids), args.batch):
        ops: list[dict] = []
        for i in range(s0, min(s0 + args.batch, len(c.ids))):
            ops += [{"index": {"_index": index, "_id": c.ids[i]}}, {"text": c.texts[i]}]
        engine.bulk(operations=ops, refresh=False)
    engine.indices.refresh(index=index)
    index_s = time.perf_counter() - t0
    size = max(1, args.msearch_batch)
    batches = []
    for b0 in range(0, len(c.queries), size):
        body: list[dict] = []
        for q in c.queries[b0 : b0 + size]:
            body += [{"index": index}, {"query": {"match": {"text": q}}, "size": TOP_K, "_source": False}]
        batches.append(body)
    engine.msearch(searches=batches[0])
    passes = []
    for _ in range(max(1, REPEAT)):
        t0 = time.perf_counter()
        for body in batches:
            engine.msearch(searches=body)
        passes.append(len(c.queries) / (time.perf_counter() - t0))
    res = Result(c.name, "retrievo msearch", index_s, max(passes), len(c.queries), passes=passes)
    del engine
    gc.collect()
    return res


SYSTEMS = {
    "retrievo": run_retrievo,
    "retrievo-msearch": run_retrievo_msearch,
    "rank-bm25": run_rank_bm25,
    "bm25s": run_bm25s,
    "bm25s-numba": run_bm25s_numba,
    "bm25s-numba-batched": run_bm25s_numba_batched,
}


# --------------------------------------------------------------------------------------------
# Independent reference: float64 textbook BM25 with Lucene's SmallFloat-decoded lengths
# --------------------------------------------------------------------------------------------


def _small_float_decoded(length: np.ndarray) -> np.ndarray:
    """Lucene ``SmallFloat.byte4ToInt(intToByte4(n))``, written out again here (not imported)."""
    out = np.empty(len(length), dtype=np.float64)
    for i, n in enumerate(length.tolist()):
        if n < 24:
            out[i] = n
            continue
        m = n - 24
        shift = max(m.bit_length() - 4, 0)
        # keep the 4 most significant bits (truncate the rest), which is what encode+decode does
        out[i] = 24 + ((m >> shift) << shift)
    return out


def reference_scores(
    c: Corpus, term_ids: list[int], lengths: np.ndarray, decoded: np.ndarray, doc_of_token: np.ndarray
) -> np.ndarray:
    n_docs = len(lengths)
    doc_count = int(np.count_nonzero(lengths))
    avgdl = float(lengths.sum()) / doc_count
    denom_norm = K1 * (1.0 - B + B * decoded / avgdl)
    scores = np.zeros(n_docs, dtype=np.float64)
    for t in term_ids:
        tf = np.bincount(doc_of_token[c.flat == t], minlength=n_docs).astype(np.float64)
        df = int(np.count_nonzero(tf))
        if df == 0:
            continue
        idf = math.log(1.0 + (doc_count - df + 0.5) / (df + 0.5))
        scores += idf * tf * (K1 + 1.0) / (tf + denom_norm)  # Elasticsearch's LegacyBM25Similarity
    return scores


def lucene_check(c: Corpus, retrievo: Result, qnos: list[int]) -> dict:
    lengths = np.diff(c.offsets)
    decoded = _small_float_decoded(lengths)
    doc_of_token = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    max_rel, same_top, n = 0.0, 0, 0
    for qi in qnos:
        hits = retrievo.top.get(qi)
        if hits is None:
            continue
        ref = reference_scores(c, c.query_term_ids[qi], lengths, decoded, doc_of_token)
        for doc_id, s in hits:
            r = ref[int(doc_id)]
            max_rel = max(max_rel, abs(s - r) / abs(r) if r else abs(s))
        # is retrievo's top-10 the reference's top-10 (ties at the cut allowed)?
        k = min(TOP_K, len(ref))
        kth = np.sort(ref)[-k]
        got = {int(d) for d, _ in hits}
        must = set(np.flatnonzero(ref > kth * (1 + 1e-6)).tolist())
        ok = len(hits) == k and must <= got and all(ref[d] >= kth * (1 - 1e-6) for d in got)
        same_top += ok
        n += 1
    return {"queries": n, "max_rel_diff": max_rel, "same_top10": same_top}


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.0f} GiB RAM"
    except OSError:
        pass
    versions = {"numpy": np.__version__}
    for name in ("bm25s", "rank-bm25", "scipy", "retrievo"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "?"
    return {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical ({usable} usable)" + (f", {mem}" if mem else ""),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def _fmt_ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    r = a / b
    return f"{r:,.0f}x" if r >= 100 else f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


def build_rows(results: list[Result], markdown: bool = False) -> list[list[str]]:
    rows = []
    by = {(r.corpus, r.system): r for r in results}
    for r in results:
        rank = by.get((r.corpus, "rank-bm25"))
        bs = by.get((r.corpus, "bm25s"))
        numba = by.get((r.corpus, "bm25s-numba"))
        if r.error:
            rows.append([r.corpus, r.system, "error", "-", "-", "-", "-", "-", "-", r.error[:60]])
            continue
        qps = f"{r.qps:,.1f}" + (("\\*" if markdown else "*") if r.extrapolated else "")
        ok = lambda x: x is not None and not x.error  # noqa: E731
        rows.append(
            [
                r.corpus,
                r.system,
                f"{r.index_s:.2f}",
                qps,
                _fmt_ratio(r.qps, rank.qps) if ok(rank) else "-",
                _fmt_ratio(r.qps, bs.qps) if ok(bs) else "-",
                _fmt_ratio(r.qps, numba.qps) if ok(numba) else "-",
                _fmt_ratio(rank.index_s, r.index_s) if ok(rank) else "-",
                _fmt_ratio(bs.index_s, r.index_s) if ok(bs) else "-",
                f"{r.n_timed}",
            ]
        )
    return rows


HEADER = [
    "corpus",
    "system",
    "index_s",
    "queries/s",
    "vs rank-bm25",
    "vs bm25s",
    "vs bm25s numba",
    "index vs rank-bm25",
    "index vs bm25s",
    "queries timed",
]


def render(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        right = [False, False] + [True] * (len(HEADER) - 2)
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADER)]

    def line(cells):
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(HEADER), line(["-" * w for w in widths])] + [line(r) for r in rows])


# --------------------------------------------------------------------------------------------
# Profiling (retrievo only)
# --------------------------------------------------------------------------------------------


def profile_retrievo(c: Corpus, args, out) -> None:
    from retrievo import Engine

    def top_table(prof: cProfile.Profile, title: str) -> None:
        st = pstats.Stats(prof)
        total = st.total_tt
        rows = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[: args.profile_top]
        print(f"\n### cProfile: {title} (total {total:.2f} s under the profiler; sorted by self time)", file=out)
        print(f"{'self %':>7} {'self s':>8} {'cum s':>8} {'calls':>10}  function (file:line)", file=out)
        for (fname, lineno, func), (_cc, nc, tt, ct, _callers) in rows:
            short = fname.replace(str(REPO) + "/", "")
            short = re.sub(r".*/site-packages/", "", short)
            print(f"{100 * tt / total:6.1f}% {tt:8.3f} {ct:8.3f} {nc:>10}  {func} ({short}:{lineno})", file=out)
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(args.profile_top)
        cum = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
        start = next((i for i, ln in enumerate(cum) if ln.lstrip().startswith("ncalls")), 0)
        print(f"\n-- cumulative view (top {args.profile_top}) --", file=out)
        print("\n".join(cum[start:]), file=out)

    index = "prof"
    prof = cProfile.Profile()
    prof.enable()
    engine = Engine()
    engine.indices.create(index=index, mappings={"properties": {"text": {"type": "text"}}})
    for s in range(0, len(c.ids), args.batch):
        ops: list[dict] = []
        for i in range(s, min(s + args.batch, len(c.ids))):
            ops.append({"index": {"_index": index, "_id": c.ids[i]}})
            ops.append({"text": c.texts[i]})
        engine.bulk(operations=ops, refresh=False)
    engine.indices.refresh(index=index)
    prof.disable()
    top_table(prof, f"retrievo indexing, {c.name} ({len(c.ids):,} docs)")

    qs = c.queries[: args.profile_queries]
    engine.search(index=index, query={"match": {"text": qs[0]}}, size=TOP_K, _source=False)
    prof = cProfile.Profile()
    prof.enable()
    for q in qs:
        engine.search(index=index, query={"match": {"text": q}}, size=TOP_K, _source=False)
    prof.disable()
    top_table(prof, f"retrievo querying, {c.name} ({len(qs)} queries)")


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--docs", type=int, default=100_000, help="synthetic corpus size (default 100000)")
    ap.add_argument("--queries", type=int, default=1_000, help="synthetic queries (default 1000)")
    ap.add_argument("--vocab", type=int, default=50_000, help="synthetic vocabulary size (default 50000)")
    ap.add_argument("--zipf-s", type=float, default=1.0, help="Zipf exponent (default 1.0)")
    ap.add_argument("--mean-len", type=float, default=120.0, help="mean document length (default 120)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--query-terms",
        default="3-6",
        help="distinct terms per synthetic query, MIN-MAX (default 3-6; issue 18's 1M set: 2-5)",
    )
    ap.add_argument("--batch", type=int, default=10_000, help="retrievo bulk batch size in docs (default 10000)")
    ap.add_argument(
        "--rank-queries",
        type=int,
        default=100,
        help="rank-bm25 is timed on this many evenly spaced queries and extrapolated (default 100) ...",
    )
    ap.add_argument(
        "--rank-full-below",
        type=int,
        default=20_000,
        help="... unless the corpus has at most this many docs (default 20000): then all queries",
    )
    ap.add_argument("--warmup", type=int, default=5, help="untimed warm-up queries per system (default 5)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed passes over the queries per system; the best is reported (default 3)",
    )
    ap.add_argument("--agree-queries", type=int, default=20, help="queries for the agreement checks (default 20)")
    ap.add_argument(
        "--systems",
        default="rank-bm25,bm25s,bm25s-numba,bm25s-numba-batched,retrievo,retrievo-msearch",
        help="comma-separated subset",
    )
    ap.add_argument("--msearch-batch", type=int, default=100, help="searches per _msearch request (default 100)")
    ap.add_argument("--no-cisi", action="store_true", help="skip the CISI part")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the synthetic part")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument(
        "--profile", action="store_true", help="afterwards, cProfile retrievo indexing and querying on each corpus"
    )
    ap.add_argument("--profile-queries", type=int, default=300)
    ap.add_argument("--profile-top", type=int, default=25)
    args = ap.parse_args(argv)
    global REPEAT
    REPEAT = args.repeat
    out = sys.stdout
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in systems:
        if s not in SYSTEMS:
            ap.error(f"unknown system {s!r}; choose from {', '.join(SYSTEMS)}")

    info = machine_info()
    cmd = "python " + " ".join([os.path.relpath(__file__, REPO)] + (argv if argv is not None else sys.argv[1:]))
    print(f"# BM25 benchmark  ({datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z})", file=out)
    print(f"command : {cmd}", file=out)
    for k, v in info.items():
        print(f"{k:8}: {v}", file=out)
    print("threads : single (OMP/OPENBLAS/MKL_NUM_THREADS=1, bm25s n_threads=0, one query at a time)", file=out)
    out.flush()

    corpora: list[Corpus] = []
    synth = None
    if not args.no_synthetic:
        t0 = time.perf_counter()
        lo, hi = (int(x) for x in args.query_terms.split("-"))
        synth = synthetic_corpus(
            args.docs, args.queries, args.vocab, args.zipf_s, args.mean_len, args.seed, query_terms=(lo, hi)
        )
        print(f"[generated {synth.name} in {time.perf_counter() - t0:.1f} s]", file=sys.stderr)
        corpora.append(synth)
    if not args.no_cisi:
        cisi = cisi_corpus()
        if cisi is None:
            print(f"note: CISI skipped ({CISI_DIR} not found)", file=out)
        else:
            corpora.append(cisi)

    results: list[Result] = []
    checks: dict[str, object] = {}
    for c in corpora:
        keep = set(range(min(args.agree_queries, len(c.queries))))
        for s in systems:
            print(f"[{c.name}: {s} ...]", file=sys.stderr, flush=True)
            try:
                r = SYSTEMS[s](c, args, keep)
            except Exception as e:  # noqa: BLE001 - keep the other systems' numbers if one fails
                import traceback

                traceback.print_exc()
                r = Result(c.name, s, float("nan"), float("nan"), 0, error=f"{type(e).__name__}: {e}")
            results.append(r)
            if not r.error:
                print(f"[{c.name}: {s} index {r.index_s:.2f} s, {r.qps:,.1f} q/s]", file=sys.stderr, flush=True)
        by = {r.system: r for r in results if r.corpus == c.name and not r.error}
        if "retrievo" in by and "bm25s" in by:
            ov = [
                len({d for d, _ in by["retrievo"].top[q]} & {d for d, _ in by["bm25s"].top[q]}) / TOP_K
                for q in sorted(keep)
            ]
            checks[f"{c.name}: overlap@10 retrievo vs bm25s(lucene)"] = (
                f"mean {np.mean(ov):.3f}, min {min(ov):.1f} over {len(ov)} queries "
                f"(informational: bm25s uses exact lengths, Lucene one-byte norms)"
            )
        if c is synth and "retrievo" in by:
            lc = lucene_check(c, by["retrievo"], sorted(keep))
            verdict = "OK" if lc["max_rel_diff"] < 1e-6 else "FAIL"
            checks[f"{c.name}: retrievo vs float64 BM25 (legacy scale, SmallFloat lengths)"] = (
                f"max rel diff {lc['max_rel_diff']:.2e} over top-10 of {lc['queries']} queries [{verdict} < 1e-6]; "
                f"same top-10 set as reference: {lc['same_top10']}/{lc['queries']}"
            )
        if "retrievo" in by and by["retrievo"].first_query_ms is not None:
            checks[f"{c.name}: retrievo first search after refresh"] = f"{by['retrievo'].first_query_ms:.1f} ms"
        for s in ("retrievo", "bm25s"):
            if s in by and len(by[s].passes) > 1:
                checks[f"{c.name}: {s} queries/s per pass"] = ", ".join(f"{x:,.0f}" for x in by[s].passes)

    print("", file=out)
    print(render(build_rows(results, args.markdown), args.markdown), file=out)
    print("", file=out)
    foot = [
        f"queries/s: top-10, single thread, one query at a time, query analysis included, best of {args.repeat} "
        f"passes (rank-bm25: one) after {args.warmup} warm-up queries; "
        "'vs X' = queries/s ratio (higher = faster); 'index vs X' = X's index_s / this index_s.",
        ("\\* " if args.markdown else "* ") + f"rank-bm25 on corpora over {args.rank_full_below:,} docs: timed on "
        f"{args.rank_queries} evenly spaced queries (one pass) and extrapolated: it scores every document per query "
        "term in Python.",
        f"index_s: retrievo indices.create + bulk (batches of {args.batch} docs) + refresh; "
        "rank-bm25 lower().split() + BM25Okapi; "
        "bm25s bm25s.tokenize(stopwords=None) + BM25(method='lucene', k1=1.2, b=0.75).index.",
    ]
    for c in corpora:
        foot.extend(c.notes)
    for line in foot:
        print(("- " if args.markdown else "") + line, file=out)
    if checks:
        print("", file=out)
        print("Checks:" if not args.markdown else "**Checks**", file=out)
        for k, v in checks.items():
            print(f"- {k}: {v}", file=out)

    if synth is not None:
        by = {r.system: r for r in results if r.corpus == synth.name and not r.error}
        if "retrievo" in by:
            lines = []
            if "bm25s-numba" in by:
                ok = by["retrievo"].qps >= by["bm25s-numba"].qps
                lines.append(
                    f"retrievo q/s >= bm25s numba q/s (issue 18): {'PASS' if ok else 'MISS'} "
                    f"({by['retrievo'].qps:,.1f} vs {by['bm25s-numba'].qps:,.1f})"
                )
            if "bm25s" in by:
                ok = by["retrievo"].qps >= by["bm25s"].qps
                lines.append(
                    f"retrievo q/s >= bm25s q/s: {'PASS' if ok else 'MISS'} "
                    f"({by['retrievo'].qps:,.1f} vs {by['bm25s'].qps:,.1f})"
                )
            if "rank-bm25" in by:
                ratio = by["retrievo"].qps / by["rank-bm25"].qps
                lines.append(f"retrievo q/s >= 200x rank-bm25: {'PASS' if ratio >= 200 else 'MISS'} ({ratio:,.0f}x)")
            print("", file=out)
            print(("**Targets** (%s)" if args.markdown else "Targets (%s):") % synth.name, file=out)
            for ln in lines:
                print(f"- {ln}", file=out)
    out.flush()

    if args.profile:
        for c in corpora:
            profile_retrievo(c, args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
