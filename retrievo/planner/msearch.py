"""``_msearch``: several parsed searches, planned and run together.

The searches arrive parsed, each with its index (retrievo.grammar.json.msearch reads the request;
retrievo.multi_search finds the indices), or as the error that fails that search alone. The
response is Elasticsearch's: ``{"took", "responses": [...]}``, each item a full search response with
``"status": 200``, or ``{"error": ..., "status": ...}`` for a search that failed -- one failing
search never fails the others.

Running the searches together lets them share work that one search at a time cannot:

* **query embeddings** -- every ``query_vector_builder`` / ``semantic`` text of every search is
  embedded before execution, in one batched call per inference endpoint;
* **rerank pairs** -- every plan runs up to its rerank stage, the (query, passage) pairs of all
  rerankers are gathered per endpoint and scored in one deduplicated, batched call (pairs of
  different queries share batches where the model allows it), then each plan finishes with its
  scores; nested rerankers go in waves, innermost first;
* **filter bitsets** -- a filter used by several searches on the same index snapshot is evaluated
  once and handed to each of them;
* **plans** -- searches whose bodies are one ``match`` of the same shape (a search box's batch) are
  planned once per number of terms; the others take that plan with their own terms swapped in
  (:mod:`retrievo.planner.match_template`).

All searches on one index see one snapshot (as one point in time), and each search's hits are the
ones it gets alone (same ids, order and total). A model score can differ from the search run alone
in its last float32 bit: padding a text to a longer batch neighbour changes the encoder's arithmetic,
as the batch a pair lands in already does between single searches (docs/profile.md).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from retrievo.errors import ApiError
from retrievo.index.searcher import Searcher
from retrievo.index.shard import Shard
from retrievo.inference.rerank_cache import RerankCallStats
from retrievo.inference.usage import TaskUsage, record_usage
from retrievo.lucene.query import LQuery
from retrievo.lucene.scoring import Evaluator
from retrievo.planner.children import run_child
from retrievo.planner.execute import PreparedSearch, finish_search, prepare_search
from retrievo.planner.match_template import MatchTemplates
from retrievo.planner.operators.base import Embedder, Operator, Reranker
from retrievo.planner.operators.rerank import Rerank
from retrievo.retrievers.search import SearchRequest


@dataclass
class MultiSearchReport:
    """What a multi-search shared (for tests and benchmarks; not part of the response)."""

    searches: int = 0
    #: Texts embedded ahead, by endpoint, and the batched calls that embedded them.
    embedded_texts: dict[str, int] = field(default_factory=dict)
    embed_requests: int = 0
    #: Rerank pairs gathered across searches, by endpoint, and the batched calls that scored them.
    rerank_pairs: dict[str, int] = field(default_factory=dict)
    rerank_requests: int = 0
    rerank_waves: int = 0
    #: Distinct filters evaluated once for several uses, and the uses they served.
    shared_filters: int = 0
    shared_filter_uses: int = 0
    #: Searches planned from an earlier search's plan of the same ``match`` shape (``TextShape``).
    templated: int = 0


# ---------------------------------------------------------------------------------------------- sharing


def operators(op: Operator) -> Iterator[Operator]:
    yield op
    for child in op.children():
        yield from operators(child)


def _embed_ahead(
    prepared: list[PreparedSearch], registry: Any, report: MultiSearchReport
) -> dict[tuple[str, str], np.ndarray]:
    """One batched embed call per endpoint for every query text of every kNN search."""
    texts: dict[str, dict[str, None]] = {}
    for p in prepared:
        for op in operators(p.plan.root):
            wanted_vector = op.embeds()
            if wanted_vector is not None:
                model_id, model_text = wanted_vector
                texts.setdefault(model_id, {})[model_text] = None
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for model_id, wanted in texts.items():
        batch = list(wanted)
        try:
            rows = registry.embed(model_id, batch, input_type="search")
        except ApiError:
            continue  # each search reports the error itself
        report.embed_requests += 1
        report.embedded_texts[model_id] = len(batch)
        for text, row in zip(batch, rows):
            vectors[(model_id, text)] = row
    return vectors


def batched_embedder(vectors: dict[tuple[str, str], np.ndarray], fallback: Embedder) -> Embedder:
    """Query vectors from the shared batch (charged to the asking operator as ``batched``)."""

    def embed(model_id: str, text: str) -> np.ndarray:
        row = vectors.get((model_id, text))
        if row is None:
            return fallback(model_id, text)
        record_usage("text_embedding", model_id, TaskUsage(requests=1, inputs=1, batched=1))
        return row

    return embed


class BatchedInference:
    """The rerank endpoints as the rerankers of a multi-search see them: scores gathered and computed
    for all searches together are served from the shared table; everything else is the registry's."""

    def __init__(self, registry: Reranker) -> None:
        self._registry = registry
        self.scores: dict[tuple[str, str, str], float] = {}

    def get(self, inference_id: str) -> Any:
        """The endpoint (a sparse query asks its task type): the registry's."""
        return getattr(self._registry, "get")(inference_id)  # noqa: B009 - Reranker does not declare it

    def sparse_embed(self, inference_id: str, texts: Sequence[str], *, input_type: str | None = None) -> Any:
        """Sparse query expansion (``sparse_vector`` and sparse ``semantic`` queries): the registry's."""
        return getattr(self._registry, "sparse_embed")(inference_id, texts, input_type=input_type)  # noqa: B009

    def rerank_window(self, inference_id: str) -> int | None:
        return self._registry.rerank_window(inference_id)

    def rerank_top_n(self, inference_id: str) -> int | None:
        return self._registry.rerank_top_n(inference_id)

    def rerank_scores_with_stats(
        self, inference_id: str, query: str, texts: Sequence[str]
    ) -> tuple[np.ndarray, RerankCallStats]:
        found = [self.scores.get((inference_id, query, t)) for t in texts]
        if not texts or any(s is None for s in found):
            return self._registry.rerank_scores_with_stats(inference_id, query, texts)
        record_usage("rerank", inference_id, TaskUsage(requests=1, inputs=len(texts), batched=len(texts)))
        return np.asarray(found, dtype=np.float32), RerankCallStats()


def _rerank_levels(op: Operator, out: list[tuple[int, Rerank]]) -> int:
    """Rerankers by nesting level (1: nothing reranks below it); returns ``op``'s level."""
    below = max((_rerank_levels(c, out) for c in op.children()), default=0)
    if isinstance(op, Rerank):
        out.append((below + 1, op))
        return below + 1
    return below


def _gather_passages(op: Rerank, p: PreparedSearch, registry: Any) -> list[str] | None:
    """Run the reranker's child (kept for the plan's own run) and return the texts it will send, or
    ``None`` when it cannot join the shared batch (the plan then scores, or fails, on its own)."""
    ctx = p.ctx
    try:
        if ctx.inference is None or not registry.rerank_pairs_batchable(op.inference_id):
            return None
        top_n = ctx.inference.rerank_top_n(op.inference_id)
        if top_n is not None and top_n < op.window:
            return None
        assert ctx.ready is not None
        ctx.ready[id(op.child)] = op.child.execute(ctx)
        return op.passages(ctx, run_child(op.child, ctx, op.window))  # the window, as the reranker takes it
    except ApiError:
        return None


def _rerank_ahead(
    prepared: list[PreparedSearch], proxy: BatchedInference, registry: Any, report: MultiSearchReport
) -> None:
    """Run every plan up to its rerank stage, wave by wave, scoring each wave's pairs together."""
    levels: list[list[tuple[int, Rerank]]] = []
    for p in prepared:
        found: list[tuple[int, Rerank]] = []
        _rerank_levels(p.plan.root, found)
        levels.append(found)
    deepest = max((lvl for found in levels for lvl, _ in found), default=0)
    for wave in range(1, deepest + 1):
        pairs: dict[str, list[tuple[str, str]]] = {}
        for p, found in zip(prepared, levels):
            for lvl, op in found:
                if lvl != wave:
                    continue
                texts = _gather_passages(op, p, registry)
                if texts:
                    pairs.setdefault(op.inference_id, []).extend((op.inference_text, t) for t in texts)
        if pairs:
            report.rerank_waves += 1
        for inference_id, batch in pairs.items():
            try:
                scores, _ = registry.rerank_pairs_with_stats(inference_id, batch)
            except ApiError:
                continue  # each search scores on its own and reports (or allows) the failure
            report.rerank_requests += 1
            report.rerank_pairs[inference_id] = report.rerank_pairs.get(inference_id, 0) + len(batch)
            for (query, text), score in zip(batch, scores.tolist()):
                proxy.scores[(inference_id, query, text)] = score


def _share_filters(prepared: list[PreparedSearch], report: MultiSearchReport) -> None:
    """Evaluate each filter used by several searches on one snapshot once, and give every search the
    same bitset (seeded into its evaluator, so its own run finds it already computed)."""
    uses: dict[tuple[int, LQuery], list[tuple[PreparedSearch, LQuery]]] = {}
    snapshots: dict[int, Searcher] = {}
    for p in prepared:
        seen: set[LQuery] = set()
        for op in operators(p.plan.root):
            for f in op.filter_queries():
                try:
                    key = (id(p.plan.searcher), f)
                    hash(key)
                except TypeError:
                    continue
                if f in seen:
                    continue
                seen.add(f)
                snapshots[id(p.plan.searcher)] = p.plan.searcher
                uses.setdefault(key, []).append((p, f))
    shared: dict[int, Evaluator] = {}
    for (snapshot, f), users in uses.items():
        if len(users) < 2:
            continue
        evaluator = shared.setdefault(snapshot, Evaluator(snapshots[snapshot]))
        try:
            scored = evaluator.evaluate(f)
        except ApiError:
            continue  # each search evaluates it and reports the error itself
        report.shared_filters += 1
        report.shared_filter_uses += len(users)
        for p, own in users:
            for g in _same_filters(p, own):
                p.ctx.evaluator.memo[(id(g), 1.0)] = scored


def _same_filters(p: PreparedSearch, f: LQuery) -> list[LQuery]:
    """Every filter object of the plan equal to ``f`` (an evaluator memoises by object)."""
    return [g for op in operators(p.plan.root) for g in op.filter_queries() if g == f]


# ---------------------------------------------------------------------------------------------- run


def _learn(templates: dict[Hashable, MatchTemplates], shape: TextShape, prepared: PreparedSearch) -> None:
    """Keep ``prepared`` as its shape's template for its number of terms, if its plan is one a swap of
    terms rebuilds (``MatchTemplates.of``)."""
    found = templates.get(shape.key)
    if found is not None:
        found.add(prepared, shape.text)
    elif (started := MatchTemplates.of(prepared, shape.text)) is not None:
        templates[shape.key] = started


class TextShape(NamedTuple):
    """A search whose body is one ``match``: what keys its plan among the request's searches (index,
    shard options, the body's shape) and its text (``planner/match_template.py``)."""

    key: Hashable
    text: str


def run_msearch(
    searches: Sequence[tuple[Shard, SearchRequest] | ApiError],
    embed: Embedder,
    registry: Any,
    shapes: Sequence[TextShape | None] | None = None,
) -> tuple[dict[str, Any], MultiSearchReport]:
    """The ``_msearch`` response body and what the searches shared; each search is its index and
    parsed request, or the error that fails it. ``shapes`` (aligned with ``searches``): the searches
    that are one ``match``, whose plans the request's other searches of that shape reuse with their
    own terms (a template per shape, for this request only: its searches read one snapshot per index)."""
    started = time.perf_counter_ns()
    report = MultiSearchReport(searches=len(searches))
    vectors: dict[tuple[str, str], np.ndarray] = {}
    proxy = BatchedInference(registry)
    shared_embed = batched_embedder(vectors, embed)
    snapshots: dict[str, Searcher] = {}
    prepared: list[PreparedSearch | None] = []
    failed: dict[int, ApiError] = {}
    templates: dict[Hashable, MatchTemplates] = {}
    for i, search in enumerate(searches):
        if isinstance(search, ApiError):
            failed[i] = search
            prepared.append(None)
            continue
        shard, request = search
        shape = shapes[i] if shapes is not None else None
        try:
            snapshot = snapshots.get(shard.name)
            if snapshot is None:
                snapshot = snapshots[shard.name] = shard.searcher()
            found = templates.get(shape.key) if shape is not None else None
            p = found.instantiate(shape.text) if found is not None and shape is not None else None
            if p is None:
                p = prepare_search(shard, request, embed=shared_embed, inference=proxy, searcher=snapshot)
                if shape is not None:
                    _learn(templates, shape, p)
            else:
                report.templated += 1
            p.ctx.ready = {}
            prepared.append(p)
        except ApiError as err:
            failed[i] = err
            prepared.append(None)
    live = [p for p in prepared if p is not None]
    vectors.update(_embed_ahead(live, registry, report))
    _share_filters(live, report)
    _rerank_ahead(live, proxy, registry, report)
    responses: list[dict[str, Any]] = []
    for i, ready in enumerate(prepared):
        if ready is not None and i not in failed:
            try:
                responses.append({**finish_search(ready), "status": 200})
                continue
            except ApiError as err:
                failed[i] = err
        error = failed[i]
        responses.append({"error": error.body["error"], "status": error.status_code})
    took = int((time.perf_counter_ns() - started) // 1_000_000)
    return {"took": took, "responses": responses}, report
