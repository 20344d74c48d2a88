"""The ``text_similarity_reranker`` operator, ``Rerank(child)``, and its planning: rerank a child's window
with a rerank endpoint.

All (inference text, passage) pairs of the search go to the endpoint in one call — the inference
registry deduplicates, batches by length and caches them. Raw scores are cut by ``min_score`` and then
normalised as Elasticsearch does: ``max(s, 0) + min(exp(s), 1)`` (spec §6.2–§6.5).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, illegal_argument
from retrievo.index.searcher import Searcher
from retrievo.java_text import java_float_str
from retrievo.planner.children import run_child
from retrievo.planner.costs import PAIR_WORK, CostModel, Estimate
from retrievo.planner.explain import explain_child
from retrievo.planner.operators.base import ExecContext, Operator, Reranker
from retrievo.planner.operators.chunk_selection import select_chunks
from retrievo.planner.operators.fusion import child_failure
from retrievo.planner.planning import PlanningContext, plan_retriever, with_inherited_filters
from retrievo.planner.ranked import Ranked
from retrievo.response import es_float
from retrievo.retrievers.rerank import ChunkRescorer, TextSimilarityReranker

F32 = np.float32
DEFAULT_WINDOW_WORDS = 300
#: Documents sampled from the store when a reranked field has no inverted index to read lengths from.
SAMPLE_DOCS = 64


def field_text(source: dict[str, Any], path: str) -> str | None:
    """The first value of ``path`` as text, as Elasticsearch's fields API hands it to the reranker."""
    value: Any = source
    for part in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(part, source.get(path) if value is source else None)
    while isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def average_words(searcher: Searcher, path: str) -> float:
    """Average words of a field: the inverted index's average length, else a small sample of documents."""
    inv = searcher.inverted(path)
    if inv is not None and inv.doc_count and inv.norms is not None:
        return float(inv.avgdl)
    words, seen = 0, 0
    for doc in range(min(searcher.max_doc, SAMPLE_DOCS * 4)):
        if not searcher.live[doc]:
            continue
        text = field_text(searcher.source(doc), path)
        if text is not None:
            words += len(text.split())
            seen += 1
        if seen >= SAMPLE_DOCS:
            break
    return words / seen if seen else 0.0


def normalize(raw: float) -> float:
    """``max(s, 0) + min(exp(s), 1)`` in Java floats: raw 0 → 1.0, negative → (0, 1), positive → s + 1."""
    s = F32(raw)
    return float(F32(max(s, F32(0.0)) + min(F32(math.exp(float(s))), F32(1.0))))


def chunking_settings(chunk: ChunkRescorer, window_words: int | None) -> dict[str, Any]:
    """Defaults: sentence chunks of the endpoint's word window, no overlap; partial maps completed."""
    given = dict(chunk.chunking_settings or {})
    size = window_words or DEFAULT_WINDOW_WORDS
    if not given:
        return {"strategy": "sentence", "max_chunk_size": size, "sentence_overlap": 0}
    given.setdefault("strategy", "sentence")
    if given["strategy"] == "sentence":
        given.setdefault("max_chunk_size", size)
        given.setdefault("sentence_overlap", 0)
    return given


@dataclass(frozen=True)
class RerankTrace:
    """What one reranker run noted in the run's trace (for ``explain``, ES|QL's RERANK column, notebooks)."""

    #: The texts sent to the model for each document (its chunks with ``chunk_rescorer``).
    sent: dict[int, list[str]]
    #: The score of each document handed out (after ``min_score`` and normalisation).
    scores: dict[int, float]
    #: The model's raw score of each scored document (before min_score and normalisation): what
    #: ES|QL's RERANK writes into its score column.
    raw_scores: dict[int, float]
    #: Model calls, pairs, tokens and cache hits of the run's model call (empty when none was made).
    stats: dict[str, Any]
    #: The whole reranked window (docs, scores) before ``limit`` cut it: the profile lists it as
    #: Elasticsearch's rank docs, which ``prune_windows`` never shortens.
    window: tuple[np.ndarray, np.ndarray] | None = None


@dataclass
class Rerank(Operator):
    child: Operator
    field: str
    inference_text: str
    inference_id: str
    window: int
    min_score: float | None = None
    allow_failures: bool = False
    chunk: ChunkRescorer | None = None
    child_kind: str = "standard"
    name: str = "Rerank"
    releases_gil = True
    #: Set by the ``prune_windows`` rule: hand out only this many of the reranked window (what the
    #: parent can use); ``None``: the whole window. Every document of the window is still scored.
    limit: int | None = None

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def ranked_window(self, ctx: ExecContext) -> tuple[np.ndarray, np.ndarray] | None:
        trace = ctx.trace.of(self, RerankTrace)
        return trace.window if trace is not None else None

    def rank_doc_strings(
        self, ctx: ExecContext, docs: list[int], scores: list[float], child_results: list[Any]
    ) -> list[str] | None:
        """``TextSimilarityRankDoc.toString``, with its ``ChunkScorerConfig``."""
        config = self._chunk_config_text(ctx)
        return [
            f"TextSimilarityRankDoc{{doc={doc}, shardIndex=0, score={java_float_str(score)}, "
            f"inferenceId={self.inference_id}, field={self.field}, chunkScorerConfig={config}}}"
            for doc, score in zip(docs, scores)
        ]

    def _chunk_config_text(self, ctx: ExecContext) -> str:
        """``ChunkScorerConfig.toString``, with the chunking settings resolved as the run resolved them."""
        if self.chunk is None:
            return "null"
        window = None
        if ctx.inference is not None:
            try:
                window = ctx.inference.rerank_window(self.inference_id)
            except Exception:  # noqa: BLE001 - an unknown endpoint already failed the search; print defaults
                window = None
        settings = chunking_settings(self.chunk, window)
        ordered: dict[str, Any] = {k: settings[k] for k in ("strategy", "max_chunk_size") if k in settings}
        ordered.update({k: v for k, v in settings.items() if k not in ordered})
        text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)
        return f"ChunkScorerConfig{{size={self.chunk.size}, inferenceText=[null], chunkingSettings={text}}}"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "inference_id": self.inference_id,
            "field": self.field,
            "inference_text": repr(self.inference_text),
            "rank_window_size": self.window,
        }
        if self.min_score is not None:
            out["min_score"] = self.min_score
        if self.chunk is not None:
            out["chunks_per_doc"] = self.chunk.size
        out["max_pairs"] = self.window * (self.chunk.size if self.chunk is not None else 1)
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        """Pairs = documents × chunks per document; tokens = pairs × (query words + passage words), a
        passage being the field's average length capped by the chunk size."""
        docs = min(self.window, inputs[0].docs_out)
        words = average_words(costs.searcher, self.field)
        query_words = len(self.inference_text.split())
        chunks = 1
        if self.chunk is not None:
            chunk_words = self._chunk_words(costs.inference)
            chunks = max(1, min(self.chunk.size, math.ceil(words / chunk_words) if words else 1))
            words = min(words, chunk_words)
        pairs = docs * chunks
        out = docs if self.limit is None else min(docs, self.limit)
        return Estimate(
            docs,
            out,
            work=pairs * PAIR_WORK,
            pairs=pairs,
            tokens=round(pairs * (query_words + words)),
            model_calls=1 if pairs else 0,
            extra={"chunks_per_doc": chunks, "avg_passage_words": round(words, 1)},
        )

    def _chunk_words(self, inference: Reranker | None) -> int:
        settings = (self.chunk.chunking_settings or {}) if self.chunk is not None else {}
        size = settings.get("max_chunk_size")
        if isinstance(size, int) and size > 0:
            return size
        window = None
        if inference is not None:
            try:
                window = inference.rerank_window(self.inference_id)
            except Exception:  # noqa: BLE001 - an unknown endpoint fails at run time, not in a cost estimate
                window = None
        return int(window or DEFAULT_WINDOW_WORDS)

    def _inputs(
        self, ctx: ExecContext, docs: list[int]
    ) -> tuple[list[int], list[str], list[int], dict[int, list[str]]]:
        """(docs that have the field, texts to send, owning position of each text, texts per doc)."""
        from retrievo.inference.chunking import chunk_text, parse_chunking_settings

        kept: list[int] = []
        texts: list[str] = []
        owner: list[int] = []
        sent: dict[int, list[str]] = {}
        settings = None
        if self.chunk is not None:
            window = ctx.inference.rerank_window(self.inference_id) if ctx.inference is not None else None
            settings = parse_chunking_settings(chunking_settings(self.chunk, window))
        info = ctx.searcher.field_info(self.field)
        paths = info.source_paths if info is not None and info.source_paths else (self.field,)  # copy_to sources
        for doc in docs:
            source = ctx.searcher.source(doc)
            text = next((t for t in (field_text(source, path) for path in paths) if t is not None), None)
            if text is None:
                continue  # Elasticsearch drops documents without the field
            if settings is not None and self.chunk is not None:
                pieces = [text[c.start : c.end] for c in chunk_text(text, settings)] or [text]
                chosen = [pieces[i] for i in select_chunks(pieces, self.inference_text, self.chunk.size)]
            else:
                chosen = [text]
            sent[doc] = chosen
            for t in chosen:
                texts.append(t)
                owner.append(len(kept))
            kept.append(doc)
        return kept, texts, owner, sent

    def passages(self, ctx: ExecContext, child: Ranked) -> list[str]:
        """The texts this reranker sends for the child's window (what a multi-search gathers from all
        its rerankers before scoring them together)."""
        return self._inputs(ctx, child.docs.tolist())[1]

    def check_top_n(self, inference: Reranker) -> None:
        """The endpoint's ``top_n`` must cover the window (``TextSimilarityRankRetrieverBuilder``)."""
        top_n = inference.rerank_top_n(self.inference_id)
        if top_n is not None and top_n < self.window:
            raise illegal_argument(
                f"Inference endpoint [{self.inference_id}] is configured to return the top [{top_n}] results, "
                f"but rank_window_size is [{self.window}]. Reduce rank_window_size to be less than or equal to "
                f"the configured top N value."
            )

    def texts_for(
        self, ctx: ExecContext, docs: list[int]
    ) -> tuple[list[int], list[str], list[int], dict[int, list[str]]]:
        """What this reranker sends for ``docs`` of ``ctx``'s index: (the docs that have the field, the
        texts, the position in the kept docs each text belongs to, the texts per doc). A search over
        several indices gathers them index by index and scores them in one call (:meth:`model_scores`)."""
        return self._inputs(ctx, docs)

    def model_scores(self, inference: Reranker, texts: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
        """The model's raw score of each text, and what the call cost."""
        return self._score(inference, texts)

    def run(self, ctx: ExecContext) -> Ranked:
        child: Ranked = run_child(self.child, ctx, self.window)
        sent: dict[int, list[str]] = {}
        try:
            if ctx.inference is None:
                raise illegal_argument("text_similarity_reranker needs an inference registry")
            self.check_top_n(ctx.inference)
            kept, texts, owner, sent = self._inputs(ctx, child.docs.tolist())
            raw, stats = self._score(ctx.inference, texts)
        except ApiError as err:
            if not self.allow_failures:
                raise child_failure("text_similarity_reranker", [self.child_kind], [err]) from None
            return self._keep_child_order(ctx, child, sent)
        per_doc = np.full(len(kept), -np.inf)
        for i, s in zip(owner, raw.tolist()):
            per_doc[i] = max(per_doc[i], s)
        docs: list[int] = []
        scores: list[float] = []
        for doc, s in zip(kept, per_doc.tolist()):
            if self.min_score is not None and s < self.min_score:
                continue
            docs.append(doc)
            scores.append(normalize(s))
        order = sorted(range(len(docs)), key=lambda i: (-scores[i], docs[i]))[: self.window]
        out_docs = np.array([docs[i] for i in order], dtype=np.int32)
        out_scores = np.array([scores[i] for i in order], dtype=F32)
        total = int(out_docs.size) if self.min_score is not None else child.total
        window = (out_docs, out_scores)
        if self.limit is not None:
            out_docs, out_scores = out_docs[: self.limit], out_scores[: self.limit]
        ctx.trace[self] = RerankTrace(
            sent, dict(zip(out_docs.tolist(), out_scores.tolist())), dict(zip(kept, per_doc.tolist())), stats, window
        )
        return Ranked(docs=out_docs, scores=out_scores, total=total, matched=child.matched, fused=True)

    def _score(self, inference: Reranker, texts: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
        """The model's raw score of each text, and what the call cost."""
        if not texts:
            return np.zeros(0), {}
        scores, stats = inference.rerank_scores_with_stats(self.inference_id, self.inference_text, texts)
        return np.asarray(scores, dtype=np.float64), stats.as_dict()

    def _keep_child_order(self, ctx: ExecContext, child: Ranked, sent: dict[int, list[str]]) -> Ranked:
        """``allow_rerank_failures``: the child's window in its own order and scores."""
        scores = child.scores.astype(F32).copy()
        for i in np.flatnonzero(np.isnan(scores)):
            scores[i] = F32(1.0 / (i + 1))
        keep = np.ones(scores.size, dtype=bool) if self.min_score is None else scores >= F32(self.min_score)
        ctx.trace[self] = RerankTrace(sent, dict(zip(child.docs[keep].tolist(), scores[keep].tolist())), {}, {})
        return Ranked(docs=child.docs[keep], scores=scores[keep], total=child.total, matched=child.matched, fused=True)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """Elasticsearch's reranker explanation around the child's own, for a document it handed out."""
        reranked = ctx.trace.of(self, RerankTrace)
        if reranked is None or doc not in reranked.scores:
            return None
        return self.explained(score, explain_child(self.child, ctx, doc))

    def explained(self, score: float, child_explanation: dict[str, Any] | None) -> dict[str, Any]:
        """Elasticsearch's reranker explanation of a document it scored ``score``, around its child's."""
        desc = (
            f"text_similarity_reranker match using inference endpoint: [{self.inference_id}] on document field: "
            f"[{self.field}] matching on source query "
        )
        if self.chunk is not None:
            desc += f"and rescoring considering only top [{self.chunk.size}] best chunks"
        return {
            "value": es_float(score),
            "description": desc,
            "details": [child_explanation] if child_explanation else [],
        }

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        reranked = ctx.trace.of(self, RerankTrace)
        return float(reranked.scores.get(doc, 0.0)) if reranked is not None else 0.0


def plan_reranker(r: TextSimilarityReranker, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    child = plan_retriever(
        with_inherited_filters(r.retriever, r.filter), ctx, r.rank_window_size, written_as=r.retriever
    )
    return Rerank(
        child,
        r.field,
        r.inference_text,
        r.inference_id,
        r.rank_window_size,
        min_score=r.min_score if r.min_score is not None else min_score,
        allow_failures=r.allow_rerank_failures,
        chunk=r.chunk_rescorer,
        child_kind=r.retriever.name or r.retriever.kind,
    )
