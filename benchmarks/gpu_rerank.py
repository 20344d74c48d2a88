"""GPU reranking: issue 18's device targets, ready to run wherever torch sees a CUDA device.

Usage (from the repository root):

    .venv/bin/python benchmarks/gpu_rerank.py                        # cuda, float16
    .venv/bin/python benchmarks/gpu_rerank.py --dtype bfloat16
    .venv/bin/python benchmarks/gpu_rerank.py --device cpu --dtype float32 --pairs 256 --repeat 3   # smoke run

The cross-encoder is ``benchmarks/rerank.py``'s MiniLM-L6-shaped one (the packaged all-MiniLM-L6-v2 encoder
and a random 1-logit head, built on the spot: no trained cross-encoder is available offline), on an endpoint
of the ``sentence_transformers`` service with ``device`` / ``dtype`` as given.

1. Latency (target: <= 5 ms): ``--window`` (100) passages of about 128 WordPiece tokens are indexed; each
   search is a ``text_similarity_reranker`` over ``match_all`` with ``rank_window_size`` = the window, a new
   query every time (the score cache never answers). Median over ``--repeat`` searches of the whole search
   and of the model's part (the endpoint's own ``model_seconds``).
2. Saturated throughput (target: >= 60,000 pairs/s): ``--pairs`` (20,000) distinct pairs scored through the
   endpoint (``rerank_scores_with_stats``, ``--batch`` pairs per model call), against
   ``CrossEncoder.predict(pairs, batch_size=--batch)`` of the same model on the same device and dtype.
"""

from __future__ import annotations

import os

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rerank as rerank_bench
from retrievo import Engine

LATENCY_TARGET_MS = 5.0
THROUGHPUT_TARGET = 60_000


def _engine(model_dir: Path, passages: list[str], device: str, dtype: str, batch: int) -> Engine:
    es = Engine()
    es.indices.create(index="p", mappings={"properties": {"text": {"type": "text"}}})
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(passages):
        ops += [{"index": {"_index": "p", "_id": str(i)}}, {"text": text}]
    es.bulk(operations=ops, refresh=True)
    for name, size in (("latency", 32), ("saturated", batch)):
        es.inference.put(
            task_type="rerank",
            inference_id=name,
            inference_config={
                "service": "sentence_transformers",
                "service_settings": {
                    "model_id": str(model_dir),
                    "device": device,
                    "dtype": dtype,
                    "batch_size": size,
                    "backend": "torch",
                },
            },
        )
    return es


def _search_ms(es: Engine, query: str, window: int) -> tuple[float, float]:
    """(whole search, model part) in milliseconds."""
    before = es.inference.cache_stats()["rerank"]["model_seconds"]
    started = time.perf_counter()
    es.search(
        index="p",
        size=window,
        source=False,
        retriever={
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": {"match_all": {}}}},
                "field": "text",
                "inference_id": "latency",
                "inference_text": query,
                "rank_window_size": window,
            }
        },
    )
    total = (time.perf_counter() - started) * 1e3
    model = (es.inference.cache_stats()["rerank"]["model_seconds"] - before) * 1e3
    return total, model


def _plain(model_dir: Path, device: str, dtype: str) -> Any:
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device=device)
    if dtype != "float32":
        model = model.to(getattr(torch, dtype))
    return model.eval()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:<n> or cpu")
    parser.add_argument("--dtype", default="float16", choices=("float16", "bfloat16", "float32"))
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=50, help="latency searches (median)")
    parser.add_argument("--pairs", type=int, default=20_000, help="pairs for the saturated throughput")
    parser.add_argument("--batch", type=int, default=256, help="pairs per model call when saturated")
    args = parser.parse_args()

    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("CUDA is not available to torch here: nothing to measure (--device cpu runs a smoke test)")
        return 2
    gpu = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu"
    print(f"device {args.device} ({gpu}), dtype {args.dtype}, torch {torch.__version__}")

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = rerank_bench.build_cross_encoder(Path(tmp))
        plain = _plain(model_dir, args.device, args.dtype)
        passages = rerank_bench.make_passages(max(args.window, args.pairs), plain.tokenizer)
        queries = rerank_bench.make_queries(args.repeat + 5, seed=42)
        es = _engine(model_dir, passages[: args.window], args.device, args.dtype, args.batch)

        for q in queries[:5]:  # loads and warms the model (kernels, allocator)
            _search_ms(es, q, args.window)
        timings = [_search_ms(es, q, args.window) for q in queries[5:]]
        total = statistics.median(t for t, _ in timings)
        model = statistics.median(m for _, m in timings)
        verdict = "MET" if total <= LATENCY_TARGET_MS else "MISSED"
        print(
            f"latency, window {args.window} x ~128 tokens: {total:.2f} ms per search (model {model:.2f} ms), "
            f"median of {len(timings)}; target <= {LATENCY_TARGET_MS} ms: {verdict}"
        )

        registry = es.catalog.inference
        pairs = passages[: args.pairs]
        query = rerank_bench.PAIRS_QUERY
        registry.rerank_scores_with_stats("saturated", "warm up", pairs[: args.batch])
        plain.predict([(query, p) for p in pairs[: args.batch]], batch_size=args.batch)
        started = time.perf_counter()
        plain.predict([(query, p) for p in pairs], batch_size=args.batch, activation_fn=torch.nn.Identity())
        plain_rate = len(pairs) / (time.perf_counter() - started)
        started = time.perf_counter()
        registry.rerank_scores_with_stats("saturated", query, pairs)
        rate = len(pairs) / (time.perf_counter() - started)
        verdict = "MET" if rate >= THROUGHPUT_TARGET else "MISSED"
        print(
            f"saturated, {len(pairs):,} pairs, batch {args.batch}: retrievo {rate:,.0f} pairs/s, "
            f"CrossEncoder.predict {plain_rate:,.0f} pairs/s ({rate / plain_rate:.2f}x); "
            f"target >= {THROUGHPUT_TARGET:,} pairs/s: {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
