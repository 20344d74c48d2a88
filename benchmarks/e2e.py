"""End-to-end benchmark: the seed hybrid pipeline in retrievo vs the same pipeline written by hand.

Usage (from the repository root):

    .venv/bin/python benchmarks/e2e.py --prepare-only          # corpus + embeddings only (cached; resumable)
    .venv/bin/python benchmarks/e2e.py --markdown              # full run on 100,000 passages
    .venv/bin/python benchmarks/e2e.py --docs 2000 --queries 6 --warmup 1 --ablation-queries 1 \
        --cache-queries 3 --msearch-queries 6 --pairs 32 --bf16-pairs 4   # quick run

Time on the 2-core development machine, quiet: the corpus scan ~1.5 min the first time (then cached);
embedding 100,000 passages with MiniLM ~30-40 min the first time (~40-55 texts/s; cached in chunks of
1,000 rows, so an interrupted ``--prepare-only`` resumes where it stopped); with the embeddings cached,
the benchmark itself ~11-15 min (indexing ~2 min, section 1 ~4, ablation ~2, msearch ~2, the rest ~2).
Every search is dominated by the cross-encoder (50 pairs of ~60 tokens, ~0.5 s).

The pipeline (Elasticsearch retriever JSON, one search)::

    text_similarity_reranker (rank_window_size 50, field text, a MiniLM-L6 cross-encoder)
    └─ rrf (rank_window_size 100, rank_constant 60)
       ├─ standard: {"match": {"text": q}}                                   (BM25)
       └─ knn: field vec, k 100, num_candidates 100,
               query_vector_builder.text_embedding.model_id ".all-minilm-l6-v2"   (the packaged MiniLM)

and the same written the way a tutorial writes it: ``rank_bm25.BM25Okapi`` over ``lower().split()``
tokens (``get_scores`` + ``argsort``, the work ``get_top_n`` does, positive scores only, top 100), a
FAISS ``IndexFlatIP`` (``IndexHNSWFlat`` m 16 / efConstruction 100 / efSearch 100 with
``--index-options hnsw``, as retrievo's) over the same vectors, ``SentenceTransformer.encode`` for the
query, reciprocal rank fusion in a dict, ``CrossEncoder.predict`` (batch_size 32) on the top 50. The
"fast Python alternative" is the same with ``bm25s`` (``bm25s.tokenize`` with English stop words,
``BM25()``: its README's defaults) in place of rank-bm25.

Corpus (``benchmarks/e2e_corpus.py``): the first ``--docs`` passages (at most 50 words) of a fixed
shuffle of every docstring of the standard library and of site-packages, read with ``ast``; queries are
docstring summary lines whose docstring's first passage is in the corpus (known-item search).
Document vectors are computed once with the packaged all-MiniLM-L6-v2 (float32, batch 64) and cached
under ``benchmarks/.cache/e2e/``; retrievo receives them as ``dense_vector`` values through ``bulk``
and still embeds its queries through ``query_vector_builder`` (checked: the endpoint's query vector
equals ``SentenceTransformer.encode``'s).

The cross-encoder is built on the spot as in ``benchmarks/rerank.py`` (imported from there): the
packaged MiniLM-L6 encoder with a random one-logit head, the size and cost of
``cross-encoder/ms-marco-MiniLM-L-6-v2``; its scores mean nothing, so rankings after reranking only
say whether both sides did the same thing. Both sides use the same model files.

Sections (each printed as a table, ratios side by side; everything in this one process, on the CPU,
torch with its default threads, one search at a time):

1. **Seed pipeline**: p50 / p95 latency and searches/s, retrievo vs tutorial (rank-bm25) vs tutorial
   (bm25s), the systems taking turns query by query (so load drift hits all alike). retrievo's
   inference caches (query embeddings, rerank scores) are cleared before each of its searches: every
   search pays for its models, as the tutorial's do. ``--tutorial-queries`` caps the rank-bm25 side.
2. **Rule ablation**: each planner rule switched off in turn (``build_plan(..., disabled_rules=(rule,))``,
   what ``Plan.with_rules(rule=False)`` does), planning + execution timed (parsing excluded for all
   variants alike), p50 with cold caches and with warm caches (the warm figure isolates the engine's
   own work: BM25, kNN, fusion, window handling).
3. **Rerank cache**: the same searches twice, first with the caches cleared, then warm.
4. **msearch**: ``engine.msearch`` of ``--msearch-queries`` searches vs the same searches one by one
   (caches cleared before each), hits and scores compared.
5. **Reranker throughput**: ``benchmarks/rerank.py``'s pairs measurement (``measure_pairs``) on
   ``--pairs`` float32 and ``--bf16-pairs`` bfloat16 pairs: the framework's overhead (target <= 10 %).
"""

from __future__ import annotations

import os

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import argparse
import datetime
import gc
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for _p in (str(REPO), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import e2e_corpus  # noqa: E402
import rerank as rerank_bench  # noqa: E402
from retrievo import Engine  # noqa: E402

INDEX = "e2e"
EMBED_ID = ".all-minilm-l6-v2"
RERANK_ID = "e2e-cross-encoder"
RERANK_WINDOW = 50
RRF_WINDOW = 100
RANK_CONSTANT = 60
SIZE = 10
CE_BATCH = 32
HNSW = {"m": 16, "ef_construction": 100}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (linear interpolation, as numpy's default)."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


# --------------------------------------------------------------------------------------------
# retrievo
# --------------------------------------------------------------------------------------------


def search_body(q: str) -> dict[str, Any]:
    """The seed pipeline as Elasticsearch retriever JSON."""
    return {
        "retriever": {
            "text_similarity_reranker": {
                "retriever": {
                    "rrf": {
                        "retrievers": [
                            {"standard": {"query": {"match": {"text": q}}}},
                            {
                                "knn": {
                                    "field": "vec",
                                    "k": RRF_WINDOW,
                                    "num_candidates": RRF_WINDOW,
                                    "query_vector_builder": {"text_embedding": {"model_id": EMBED_ID, "model_text": q}},
                                }
                            },
                        ],
                        "rank_window_size": RRF_WINDOW,
                        "rank_constant": RANK_CONSTANT,
                    }
                },
                "field": "text",
                "inference_id": RERANK_ID,
                "inference_text": q,
                "rank_window_size": RERANK_WINDOW,
            }
        },
        "size": SIZE,
        "_source": False,
    }


def fusion_body(q: str) -> dict[str, Any]:
    """The pipeline without its reranker, cut at the reranker's window (for the window checks)."""
    rrf = search_body(q)["retriever"]["text_similarity_reranker"]["retriever"]
    return {"retriever": rrf, "size": RERANK_WINDOW, "_source": False}


def vector_mapping(index_options: str) -> dict[str, Any]:
    options: dict[str, Any] = {"type": index_options}
    if index_options == "hnsw":
        options.update(HNSW)
    return {"type": "dense_vector", "dims": 384, "similarity": "cosine", "index_options": options}


def build_engine(
    texts: list[str], vectors: np.ndarray, ce_path: Path, index_options: str, batch: int
) -> tuple[Engine, float]:
    engine = Engine()
    engine.inference.put(
        task_type="rerank",
        inference_id=RERANK_ID,
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": str(ce_path), "dtype": "float32", "batch_size": CE_BATCH},
        },
    )
    gc.collect()
    started = time.perf_counter()
    engine.indices.create(
        index=INDEX, mappings={"properties": {"text": {"type": "text"}, "vec": vector_mapping(index_options)}}
    )
    for lo in range(0, len(texts), batch):
        ops: list[dict[str, Any]] = []
        for i in range(lo, min(lo + batch, len(texts))):
            ops += [{"index": {"_index": INDEX, "_id": str(i)}}, {"text": texts[i], "vec": vectors[i].tolist()}]
        resp = engine.bulk(operations=ops)
        if resp["errors"]:
            raise RuntimeError(f"bulk failed: {next(it for it in resp['items'] if 'error' in it['index'])}")
    engine.indices.refresh(index=INDEX)
    return engine, time.perf_counter() - started


def clear_caches(engine: Engine) -> None:
    """Forget every query embedding and rerank score, so that the next search runs its models."""
    engine.catalog.inference.reranks.clear()
    engine.catalog.inference.embeddings.clear()


def rerank_counters(engine: Engine) -> dict[str, Any]:
    return dict(engine.catalog.inference.cache_stats()["rerank"])


def hit_ids(resp: dict[str, Any]) -> list[int]:
    return [int(h["_id"]) for h in resp["hits"]["hits"]]


# --------------------------------------------------------------------------------------------
# The tutorial
# --------------------------------------------------------------------------------------------


@dataclass
class Tutorial:
    """The pipeline as a tutorial writes it; ``lexical`` is ``rank-bm25`` or ``bm25s``."""

    lexical: str
    texts: list[str]
    bm25: Any
    index: Any
    encoder: Any
    cross_encoder: Any
    phases: dict[str, list[float]] = field(default_factory=dict)

    def lexical_top(self, q: str) -> list[int]:
        if self.lexical == "rank-bm25":
            scores = self.bm25.get_scores(q.lower().split())
            top = np.argsort(scores)[::-1][:RRF_WINDOW]  # what BM25Okapi.get_top_n does
            return [int(d) for d in top if scores[d] > 0]
        import bm25s

        tokens = bm25s.tokenize([q], stopwords="en", show_progress=False, return_ids=False)
        k = min(RRF_WINDOW, len(self.texts))
        docs, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, n_threads=0)
        return [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]

    def fused(self, q: str, timed: bool = True) -> list[int]:
        t0 = time.perf_counter()
        lexical = self.lexical_top(q)
        t1 = time.perf_counter()
        qv = self.encoder.encode([q], convert_to_numpy=True, show_progress_bar=False)
        t2 = time.perf_counter()
        _, ids = self.index.search(np.asarray(qv, dtype=np.float32), min(RRF_WINDOW, len(self.texts)))
        t3 = time.perf_counter()
        scores: dict[int, float] = {}
        for ranking in (lexical, [int(d) for d in ids[0] if d >= 0]):
            for rank, doc in enumerate(ranking, start=1):
                scores[doc] = scores.get(doc, 0.0) + 1.0 / (RANK_CONSTANT + rank)
        window = sorted(scores, key=lambda d: (-scores[d], d))[:RERANK_WINDOW]
        t4 = time.perf_counter()
        if timed:
            for name, seconds in (("lexical", t1 - t0), ("embed", t2 - t1), ("knn", t3 - t2), ("fuse", t4 - t3)):
                self.phases.setdefault(name, []).append(seconds)
        return window

    def search(self, q: str) -> list[int]:
        window = self.fused(q)
        t0 = time.perf_counter()
        scores = self.cross_encoder.predict(
            [(q, self.texts[d]) for d in window], batch_size=CE_BATCH, show_progress_bar=False
        )
        order = np.argsort(-np.asarray(scores, dtype=np.float32), kind="stable")[:SIZE]
        self.phases.setdefault("rerank", []).append(time.perf_counter() - t0)
        return [window[i] for i in order]


def build_faiss(vectors: np.ndarray, index_options: str) -> tuple[Any, float]:
    import faiss

    started = time.perf_counter()
    if index_options == "hnsw":
        index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW["m"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW["ef_construction"]
        index.hnsw.efSearch = RRF_WINDOW
    else:
        index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index, time.perf_counter() - started


def build_rank_bm25(texts: list[str]) -> tuple[Any, float]:
    from rank_bm25 import BM25Okapi

    gc.collect()
    started = time.perf_counter()
    bm = BM25Okapi([t.lower().split() for t in texts])
    return bm, time.perf_counter() - started


def build_bm25s(texts: list[str]) -> tuple[Any, float]:
    import bm25s

    gc.collect()
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    return retriever, time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


@dataclass
class SystemRun:
    name: str
    latencies: list[float] = field(default_factory=list)
    top10: dict[int, list[int]] = field(default_factory=dict)  # query number -> hits
    model_seconds: list[float] = field(default_factory=list)  # retrievo: rerank model time


def measure_pipeline(
    engine: Engine, tutorials: list[Tutorial], queries: list[str], tutorial_limit: dict[str, int], warmups: list[str]
) -> list[SystemRun]:
    """All systems, taking turns query by query (the first system rotates)."""
    runs = [SystemRun("retrievo")] + [SystemRun(f"tutorial ({t.lexical})") for t in tutorials]

    def run_retrievo(q: str) -> tuple[float, list[int], float]:
        clear_caches(engine)
        before = rerank_counters(engine)["model_seconds"]
        gc.collect()
        t0 = time.perf_counter()
        resp = engine.search(index=INDEX, body=search_body(q))
        elapsed = time.perf_counter() - t0
        return elapsed, hit_ids(resp), rerank_counters(engine)["model_seconds"] - before

    for q in warmups:
        run_retrievo(q)
        for t in tutorials:
            t.search(q)
    for t in tutorials:
        t.phases.clear()
    for i, q in enumerate(queries):
        order = list(range(len(runs)))
        order = order[i % len(order) :] + order[: i % len(order)]
        for k in order:
            run = runs[k]
            if k == 0:
                elapsed, hits, model_s = run_retrievo(q)
                run.model_seconds.append(model_s)
            else:
                tut = tutorials[k - 1]
                if i >= tutorial_limit.get(tut.lexical, len(queries)):
                    continue
                gc.collect()
                t0 = time.perf_counter()
                hits = tut.search(q)
                elapsed = time.perf_counter() - t0
            run.latencies.append(elapsed)
            run.top10[i] = hits
        if (i + 1) % 10 == 0 or i + 1 == len(queries):
            log(
                f"  pipeline {i + 1}/{len(queries)}: "
                + ", ".join(f"{r.name} p50 {statistics.median(r.latencies) * 1e3:,.0f} ms" for r in runs if r.latencies)
            )
    return runs


def rule_names() -> list[tuple[str, str]]:
    from retrievo.planner.rules import PLAN_RULES, QUERY_RULE_NAMES

    return [(n, "query") for n in QUERY_RULE_NAMES] + [(r.NAME, r.STAGE) for r in PLAN_RULES]


@dataclass
class Variant:
    rule: str | None
    stage: str
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    same: int = 0
    compared: int = 0


def measure_ablation(engine: Engine, queries: list[str], warm_repeat: int) -> list[Variant]:
    """Plan + execute with each rule off in turn; cold (caches cleared) and warm (caches filled)."""
    from retrievo.planner.plan import build_plan

    variants = [Variant(None, "-")] + [Variant(name, stage) for name, stage in rule_names()]

    def run(base: Any, v: Variant) -> tuple[float, Any]:
        gc.collect()
        t0 = time.perf_counter()
        plan = build_plan(
            base.request,
            base.searcher,
            disabled_rules=(v.rule,) if v.rule else (),
            embed=base.embed,
            inference=base.inference,
        )
        ranked, _ = plan.execute()
        return time.perf_counter() - t0, ranked

    for i, q in enumerate(queries):
        base = engine.plan(index=INDEX, body=search_body(q))
        order = variants[i % len(variants) :] + variants[: i % len(variants)]
        reference: dict[str, Any] = {}
        for v in order:  # cold: every search runs its models
            clear_caches(engine)
            seconds, ranked = run(base, v)
            v.cold.append(seconds)
            reference[v.rule or ""] = (ranked.docs.tolist(), ranked.scores.tolist())
        for _ in range(warm_repeat):  # warm: the models' results are cached
            for v in order:
                seconds, _ = run(base, v)
                v.warm.append(seconds)
        for v in variants[1:]:
            v.compared += 1
            v.same += reference[v.rule] == reference[""]
        log(f"  ablation {i + 1}/{len(queries)}")
    return variants


@dataclass
class CacheRun:
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    cold_calls: int = 0
    warm_calls: int = 0
    warm_hits: int = 0
    same: int = 0


def measure_cache(engine: Engine, queries: list[str]) -> CacheRun:
    res = CacheRun()
    clear_caches(engine)
    hits: list[list[tuple[str, float]]] = []
    for timings, calls_attr in ((res.cold, "cold_calls"), (res.warm, "warm_calls")):
        before = rerank_counters(engine)
        for j, q in enumerate(queries):
            gc.collect()
            t0 = time.perf_counter()
            resp = engine.search(index=INDEX, body=search_body(q))
            timings.append(time.perf_counter() - t0)
            got = [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]
            if timings is res.cold:
                hits.append(got)
            else:
                res.same += got == hits[j]
        after = rerank_counters(engine)
        setattr(res, calls_attr, after["model_calls"] - before["model_calls"])
        if timings is res.warm:
            res.warm_hits = after["cache_hits"] - before["cache_hits"]
    return res


@dataclass
class MsearchRun:
    n: int
    one_by_one_s: float
    msearch_s: float
    calls_one: int
    calls_multi: int
    embed_calls_one: int
    embed_calls_multi: int
    identical: int  # same ids, same scores, same order
    same_ids: int  # same ids in the same order
    max_score_diff: float  # over the searches with the same ids
    first_difference: str = ""


def measure_msearch(engine: Engine, queries: list[str]) -> MsearchRun:
    def counters() -> tuple[int, int]:
        stats = engine.catalog.inference.cache_stats()
        return stats["rerank"]["model_calls"], stats["model_calls"]

    clear_caches(engine)
    c0 = counters()
    gc.collect()
    t0 = time.perf_counter()
    single = [engine.search(index=INDEX, body=search_body(q)) for q in queries]
    one_s = time.perf_counter() - t0
    c1 = counters()
    clear_caches(engine)
    searches: list[dict[str, Any]] = []
    for q in queries:
        searches += [{"index": INDEX}, search_body(q)]
    gc.collect()
    t0 = time.perf_counter()
    multi = engine.msearch(searches=searches)
    multi_s = time.perf_counter() - t0
    c2 = counters()
    identical, same_ids, max_diff, first = 0, 0, 0.0, ""
    for q, a, b in zip(queries, single, multi["responses"]):
        ha = [(h["_id"], h["_score"]) for h in a["hits"]["hits"]]
        hb = [(h["_id"], h["_score"]) for h in b.get("hits", {}).get("hits", [])] if b.get("status") == 200 else []
        if ha == hb:
            identical += 1
        if [i for i, _ in ha] == [i for i, _ in hb]:
            same_ids += 1
            max_diff = max([max_diff] + [abs(x - y) for (_, x), (_, y) in zip(ha, hb)])
        elif not first:
            at = next((k for k, (x, y) in enumerate(zip(ha, hb)) if x[0] != y[0]), min(len(ha), len(hb)))
            first = f"{q!r} at rank {at + 1}: one by one {ha[at : at + 2]}, msearch {hb[at : at + 2] or b}"
    return MsearchRun(
        len(queries),
        one_s,
        multi_s,
        c1[0] - c0[0],
        c2[0] - c1[0],
        c1[1] - c0[1],
        c2[1] - c1[1],
        identical,
        same_ids,
        max_diff,
        first,
    )


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def versions() -> str:
    from importlib.metadata import version

    out = []
    for dist in ("torch", "sentence-transformers", "faiss-cpu", "rank-bm25", "bm25s", "numpy", "retrievo"):
        try:
            out.append(f"{dist} {version(dist)}")
        except Exception:  # noqa: BLE001
            pass
    return ", ".join(out)


def overlap(a: list[int], b: list[int]) -> float:
    return len(set(a) & set(b)) / max(len(a), 1)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}" if seconds < 0.1 else f"{seconds * 1e3:,.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000, help="passages in the corpus (100000)")
    parser.add_argument("--queries", type=int, default=100, help="timed pipeline searches per system (100)")
    parser.add_argument(
        "--tutorial-queries",
        type=int,
        default=None,
        help="cap on the rank-bm25 tutorial's searches (default: all --queries)",
    )
    parser.add_argument("--warmup", type=int, default=2, help="untimed searches per system first (2)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="passes over the queries in section 1 (each search still cold) (1)"
    )
    parser.add_argument("--ablation-queries", type=int, default=12, help="searches per rule variant (12)")
    parser.add_argument("--ablation-warm-repeat", type=int, default=3, help="warm runs per variant and query (3)")
    parser.add_argument("--cache-queries", type=int, default=20, help="searches in the cache section (20)")
    parser.add_argument("--msearch-queries", type=int, default=100, help="searches in the msearch section (100)")
    parser.add_argument("--pairs", type=int, default=256, help="float32 pairs in the reranker section (256)")
    parser.add_argument("--bf16-pairs", type=int, default=32, help="bfloat16 pairs in the reranker section (32)")
    parser.add_argument(
        "--index-options",
        choices=("flat", "hnsw"),
        default="flat",
        help="retrievo's dense_vector index_options type and the tutorial's FAISS index (flat)",
    )
    parser.add_argument("--max-words", type=int, default=50, help="words per passage at most (50)")
    parser.add_argument("--bulk-batch", type=int, default=5000, help="documents per bulk request (5000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus shuffle seed (0); queries use seed + 1")
    parser.add_argument(
        "--skip-tutorial", action="store_true", help="no hand-written pipelines (section 1: retrievo only)"
    )
    parser.add_argument("--skip-bm25s", action="store_true", help="no bm25s tutorial")
    parser.add_argument("--skip-ablation", action="store_true")
    parser.add_argument("--skip-cache", action="store_true")
    parser.add_argument("--skip-msearch", action="store_true")
    parser.add_argument("--skip-pairs", action="store_true")
    parser.add_argument("--skip-bf16", action="store_true")
    parser.add_argument(
        "--prepare-only", action="store_true", help="build the corpus and its embeddings (cached), then stop"
    )
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown")
    args = parser.parse_args()

    started = time.perf_counter()
    load_start = rerank_bench.loadavg()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    durations: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        durations[name] = now - since
        return now

    # ------------------------------------------------------------------ corpus and embeddings
    t = time.perf_counter()
    passages, corpus_hash = e2e_corpus.load_passages(args.max_words, args.seed, log=log)
    if args.docs > len(passages):
        log(f"only {len(passages):,} passages available; using all of them")
    n_docs = min(args.docs, len(passages))
    corpus = passages[:n_docs]
    texts = [p.text for p in corpus]
    n_queries = max(args.queries, args.cache_queries, args.msearch_queries, args.ablation_queries)
    items = e2e_corpus.known_item_queries(corpus, n_queries + args.warmup, args.seed + 1)
    warmups = [q for q, _ in items[: args.warmup]]
    items = items[args.warmup :]
    queries = [q for q, _ in items]
    targets = [row for _, row in items]
    t = stage("corpus", t)
    encoder = e2e_corpus.load_model()
    log(f"corpus {n_docs:,} passages (of {len(passages):,}); embedding (cached under {e2e_corpus.CACHE_DIR}) ...")
    vectors, embed_s, embedded = e2e_corpus.embeddings(passages, n_docs, corpus_hash, encoder, log=log)
    t = stage("embedding", t)
    if embedded:
        log(f"embedded {embedded:,} passages in {embed_s:.0f} s ({embedded / embed_s:.1f} texts/s)")
    if args.prepare_only:
        print(
            f"prepared {n_docs:,} passages; embedded {embedded:,} now ({embed_s:.0f} s); "
            f"total {time.perf_counter() - started:.0f} s"
        )
        return 0

    # ------------------------------------------------------------------ build
    tmp = tempfile.TemporaryDirectory(prefix="retrievo-e2e-bench-")
    ce_path = rerank_bench.build_cross_encoder(Path(tmp.name) / "minilm-l6-cross-encoder")
    log(f"indexing {n_docs:,} docs into retrievo ({args.index_options}) ...")
    engine, engine_s = build_engine(texts, vectors, ce_path, args.index_options, args.bulk_batch)
    log(f"  retrievo: {engine_s:.1f} s")
    t = stage("retrievo indexing", t)
    tutorials: list[Tutorial] = []
    builds: dict[str, float] = {"retrievo (bulk + refresh)": engine_s}
    if not args.skip_tutorial:
        index, faiss_s = build_faiss(vectors, args.index_options)
        builds[f"faiss {type(index).__name__}"] = faiss_s
        plain_encoder = e2e_corpus.load_model()
        cross = rerank_bench.load_plain(ce_path, "float32")
        bm, s = build_rank_bm25(texts)
        builds["rank-bm25 BM25Okapi"] = s
        tutorials.append(Tutorial("rank-bm25", texts, bm, index, plain_encoder, cross))
        if not args.skip_bm25s:
            try:
                bm, s = build_bm25s(texts)
                builds["bm25s BM25"] = s
                tutorials.append(Tutorial("bm25s", texts, bm, index, plain_encoder, cross))
            except ImportError:
                log("bm25s is not installed: no bm25s tutorial")
        log("  tutorial indexes: " + ", ".join(f"{k} {v:.1f} s" for k, v in builds.items()))
    t = stage("tutorial indexing", t)

    # ------------------------------------------------------------------ 1. pipeline
    log("section 1: seed pipeline ...")
    pipeline_queries = queries[: args.queries] * max(args.repeat, 1)
    tut_limit = {"rank-bm25": args.tutorial_queries} if args.tutorial_queries is not None else {}
    runs = measure_pipeline(engine, tutorials, pipeline_queries, tut_limit, warmups)
    t = stage("1 pipeline", t)

    # sanity: query vectors, fused windows, known items
    checks: list[str] = []
    qv_engine = engine.catalog.inference.embed(EMBED_ID, queries[:5], input_type="search")
    qv_plain = encoder.encode(queries[:5], convert_to_numpy=True, show_progress_bar=False)
    diff = float(np.abs(qv_engine - qv_plain).max())
    checks.append(
        f"query vectors, retrievo's {EMBED_ID} endpoint vs SentenceTransformer.encode: max abs diff "
        f"{diff:.3g} over 5 queries [{'OK' if diff <= 1e-5 else 'DIFFERS'} <= 1e-5]"
    )
    n_check = min(20, args.queries)
    windows = [
        [int(h["_id"]) for h in engine.search(index=INDEX, body=fusion_body(q))["hits"]["hits"]]
        for q in queries[:n_check]
    ]
    found = sum(target in w for target, w in zip(targets, windows))
    checks.append(f"known item (the query's own passage) in retrievo's fused top-{RERANK_WINDOW}: {found}/{n_check}")
    for tut, run in zip(tutorials, runs[1:]):
        tw = [tut.fused(q, timed=False) for q in queries[:n_check]]
        ov50 = statistics.mean(overlap(a, b) for a, b in zip(windows, tw))
        tfound = sum(target in w for target, w in zip(targets, tw))
        common = [i for i in run.top10 if i in runs[0].top10]
        ov10 = statistics.mean(overlap(runs[0].top10[i], run.top10[i]) for i in common) if common else float("nan")
        exact = sum(runs[0].top10[i] == run.top10[i] for i in common)
        checks.append(
            f"{run.name} vs retrievo: overlap@10 of the final hits {ov10:.3f} over {len(common)} searches "
            f"(identical lists {exact}); overlap@{RERANK_WINDOW} of the fused window {ov50:.3f} over "
            f"{n_check} (lexical differences: tokenisation, idf and length norms differ from Lucene's); "
            f"known item in its fused window {tfound}/{n_check}"
        )

    # ------------------------------------------------------------------ 2. ablation
    variants: list[Variant] = []
    if not args.skip_ablation:
        log("section 2: rule ablation ...")
        variants = measure_ablation(engine, queries[: args.ablation_queries], args.ablation_warm_repeat)
        t = stage("2 ablation", t)

    # ------------------------------------------------------------------ 3. cache
    cache: CacheRun | None = None
    if not args.skip_cache:
        log("section 3: rerank cache ...")
        cache = measure_cache(engine, queries[: args.cache_queries])
        t = stage("3 cache", t)

    # ------------------------------------------------------------------ 4. msearch
    msr: MsearchRun | None = None
    if not args.skip_msearch:
        log("section 4: msearch ...")
        msr = measure_msearch(engine, queries[: args.msearch_queries])
        t = stage("4 msearch", t)

    # ------------------------------------------------------------------ 5. pairs
    pair_results: list[Any] = []
    if not args.skip_pairs:
        log("section 5: reranker throughput ...")
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(ce_path)
        pair_texts = rerank_bench.make_passages(max(args.pairs, args.bf16_pairs), tokenizer)
        endpoints = rerank_bench.Endpoints(engine, ce_path)
        pair_results.append(
            rerank_bench.measure_pairs(engine, endpoints, ce_path, "float32", pair_texts[: args.pairs], 4)
        )
        if not args.skip_bf16 and args.bf16_pairs:
            pair_results.append(
                rerank_bench.measure_pairs(engine, endpoints, ce_path, "bfloat16", pair_texts[: args.bf16_pairs], 2)
            )
        t = stage("5 reranker throughput", t)

    # ------------------------------------------------------------------ print
    md = args.markdown
    table = rerank_bench.table
    info = rerank_bench.machine_info()
    info["versions"] = versions()
    words = [len(x.split()) for x in texts]
    header = {
        "command": "python benchmarks/e2e.py " + " ".join(sys.argv[1:]),
        **info,
        "load": f"{load_start} at start, {rerank_bench.loadavg()} at end (1/5/15-min load average)",
        "corpus": f"{n_docs:,} docstring passages (stdlib + site-packages, <= {args.max_words} words, mean "
        f"{statistics.mean(words):.1f}), hash {corpus_hash}; {len(set(queries[: args.queries]))} "
        f"known-item queries (docstring summary lines)",
        "models": f"query/doc embeddings all-MiniLM-L6-v2 (384 dims); reranker MiniLM-L6-H384 cross-encoder "
        f"(random head), batch {CE_BATCH}; kNN index_options {args.index_options}",
    }
    rerank_bench.print_header(f"End-to-end benchmark, {when}", header, md)

    print("**Build**" if md else "Build")
    print()
    print(
        table(
            ["index", "seconds", "docs/s"],
            [[k, f"{v:.1f}", f"{n_docs / v:,.0f}" if v > 0 else "-"] for k, v in builds.items()],
            md,
        )
    )
    if embedded:
        print(
            f"\nembedding {embedded:,} passages this run: {embed_s:.0f} s ({embedded / embed_s:.1f} texts/s); "
            f"the rest came from the cache"
        )
    print()

    base = runs[0]
    base_p50 = statistics.median(base.latencies)
    print(
        f"**1. Seed pipeline** (text_similarity_reranker {RERANK_WINDOW} over rrf {RRF_WINDOW} of match + knn "
        f"with query_vector_builder; one search at a time; retrievo's inference caches cleared before each search)"
        if md
        else "1. Seed pipeline"
    )
    print()
    rows = []
    for run in runs:
        if not run.latencies:
            continue
        p50, p95 = statistics.median(run.latencies), pct(run.latencies, 95)
        mean = statistics.mean(run.latencies)
        rows.append(
            [
                run.name,
                f"{len(run.latencies)}",
                ms(p50),
                ms(p95),
                f"{1 / mean:.2f}",
                f"{p50 / base_p50:.2f}x",
                f"{(1 / mean) / (1 / statistics.mean(base.latencies)):.2f}x",
            ]
        )
    print(
        table(
            ["system", "searches", "p50 ms", "p95 ms", "searches/s", "p50 vs retrievo", "searches/s vs retrievo"],
            rows,
            md,
        )
    )
    print()
    phase_rows = []
    if base.model_seconds:
        rest = [a - b for a, b in zip(base.latencies, base.model_seconds)]
        phase_rows.append(
            ["retrievo", "-", "-", "-", "-", ms(statistics.median(base.model_seconds)), ms(statistics.median(rest))]
        )
    for tut, run in zip(tutorials, runs[1:]):
        ph = {k: statistics.median(v) for k, v in tut.phases.items()}
        phase_rows.append(
            [
                run.name,
                ms(ph.get("lexical", 0)),
                ms(ph.get("embed", 0)),
                ms(ph.get("knn", 0)),
                ms(ph.get("fuse", 0)),
                ms(ph.get("rerank", 0)),
                "-",
            ]
        )
    print(
        "Median per phase, ms (retrievo: rerank = time inside the cross-encoder; rest = everything else, "
        "query embedding included)"
        if md
        else "Median per phase, ms"
    )
    print()
    print(
        table(["system", "lexical top-100", "query embed", "kNN top-100", "fuse", "rerank 50", "rest"], phase_rows, md)
    )
    if args.tutorial_queries is not None and args.tutorial_queries < len(pipeline_queries) and tutorials:
        print(
            f"\nrank-bm25 tutorial timed on its first {args.tutorial_queries} searches only "
            f"(it scores every document per query term in Python)"
        )
    print()

    if variants:
        allon = variants[0]
        cold0, warm0 = statistics.median(allon.cold), statistics.median(allon.warm)
        print(
            f"**2. Rule ablation** (plan + execute, parse excluded; {len(allon.cold)} searches per variant; cold: "
            f"caches cleared before each run; warm: {args.ablation_warm_repeat} runs per search with the "
            f"models' results cached)"
            if md
            else "2. Rule ablation"
        )
        print()
        rows = []
        for v in variants:
            c, w = statistics.median(v.cold), statistics.median(v.warm)
            same = "-" if v.rule is None else f"{v.same}/{v.compared}"
            rows.append(
                [
                    v.rule or "(all rules on)",
                    v.stage,
                    ms(c),
                    f"{c / cold0:.2f}",
                    ms(w) if w >= 0.1 else f"{w * 1e3:.2f}",
                    f"{w / warm0:.2f}",
                    same,
                ]
            )
        print(
            table(
                ["rule off", "stage", "p50 cold ms", "vs all on", "p50 warm ms", "vs all on", "same top-10 and scores"],
                rows,
                md,
                right_from=2,
            )
        )
        print()

    if cache is not None:
        n = len(cache.cold)
        c50, w50 = statistics.median(cache.cold), statistics.median(cache.warm)
        print("**3. Rerank cache**" if md else "3. Rerank cache")
        print()
        print(
            table(
                ["run", "searches", "p50 ms", "p95 ms", "rerank model calls", "cache hits", "speedup (p50)"],
                [
                    [
                        "cold (caches cleared)",
                        f"{n}",
                        ms(c50),
                        ms(pct(cache.cold, 95)),
                        f"{cache.cold_calls}",
                        "0",
                        "1.00x",
                    ],
                    [
                        "warm (same searches again)",
                        f"{n}",
                        ms(w50),
                        ms(pct(cache.warm, 95)),
                        f"{cache.warm_calls}",
                        f"{cache.warm_hits:,}",
                        f"{c50 / w50:,.0f}x",
                    ],
                ],
                md,
            )
        )
        print()
        checks.append(f"rerank cache: warm hits and scores identical to cold for {cache.same}/{n} searches")

    if msr is not None:
        print("**4. msearch**" if md else "4. msearch")
        print()
        print(
            table(
                ["mode", "searches", "seconds", "searches/s", "rerank model calls", "embed model calls", "speedup"],
                [
                    [
                        "one by one (engine.search)",
                        f"{msr.n}",
                        f"{msr.one_by_one_s:.2f}",
                        f"{msr.n / msr.one_by_one_s:.2f}",
                        f"{msr.calls_one}",
                        f"{msr.embed_calls_one}",
                        "1.00x",
                    ],
                    [
                        "engine.msearch",
                        f"{msr.n}",
                        f"{msr.msearch_s:.2f}",
                        f"{msr.n / msr.msearch_s:.2f}",
                        f"{msr.calls_multi}",
                        f"{msr.embed_calls_multi}",
                        f"{msr.one_by_one_s / msr.msearch_s:.2f}x",
                    ],
                ],
                md,
            )
        )
        print()
        verdict = "IDENTICAL" if msr.identical == msr.n else "NOT identical"
        print(
            f"msearch hits {verdict} to one-by-one: {msr.identical}/{msr.n} searches with the same ids and scores "
            f"in the same order; {msr.same_ids}/{msr.n} with the same ids in the same order (max abs score diff "
            f"{msr.max_score_diff:.3g})"
            + (f"; first id difference: {msr.first_difference}" if msr.first_difference else "")
        )
        print()

    if pair_results:
        print(
            "**5. Reranker throughput** (benchmarks/rerank.py's measure_pairs; overhead = retrievo s / plain s - 1)"
            if md
            else "5. Reranker throughput"
        )
        print()
        print(
            table(
                [
                    "dtype",
                    "system",
                    "pairs",
                    "seconds",
                    "pairs/s",
                    "speed vs plain",
                    "overhead",
                    "model calls",
                    "tokens",
                    "outside model",
                ],
                rerank_bench.pairs_rows(pair_results),
                md,
                right_from=2,
            )
        )
        print()
        for res in pair_results:
            d = float(np.abs(res.plain_scores - res.retrievo_scores).max())
            checks.append(f"{res.dtype} pair scores, retrievo vs plain: max abs diff {d:.3g}")

    print("**Checks**" if md else "Checks")
    for c in checks:
        print("- " + c)
    if pair_results:
        print()
        print("**Targets**" if md else "Targets")
        for res in pair_results:
            ok = res.overhead <= rerank_bench.OVERHEAD_TARGET
            print(
                f"- {res.dtype} reranker framework overhead <= 10 %: {'PASS' if ok else 'FAIL'} ({res.overhead:+.1%})"
            )
    print()
    print("stage durations: " + ", ".join(f"{k} {v:.0f} s" for k, v in durations.items()))
    print(f"total run time {time.perf_counter() - started:.0f} s")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
