"""``_msearch``: several searches in one request, planned together.

The request is Elasticsearch's: header/body pairs, as a list (what the official client's
``msearch(searches=[...])`` takes) or as NDJSON text. The response is Elasticsearch's too:
``{"took", "responses": [...]}``, each item a full search response with ``"status": 200``, or
``{"error": ..., "status": ...}`` for a search that failed -- one failing search never fails the
others. As in Elasticsearch, a request that does not *parse* (a bad header key, invalid JSON, a
body the search parser rejects) fails as a whole, before anything runs.

Running the searches together lets them share work that one search at a time cannot:

* **query embeddings** -- every ``query_vector_builder`` / ``semantic`` text of every search is
  embedded before execution, in one batched call per inference endpoint;
* **rerank pairs** -- every plan runs up to its rerank stage, the (query, passage) pairs of all
  rerankers are gathered per endpoint and scored in one deduplicated, batched call (pairs of
  different queries share batches where the model allows it), then each plan finishes with its
  scores; nested rerankers go in waves, innermost first;
* **filter bitsets** -- a filter used by several searches on the same index snapshot is evaluated
  once and handed to each of them.

All searches on one index see one snapshot (as one point in time), and each search's hits are the
ones it gets alone (same ids, order and total). A model score can differ from the search run alone
in its last float32 bit: padding a text to a longer batch neighbour changes the encoder's arithmetic,
as the batch a pair lands in already does between single searches (docs/profile.md).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo.errors import ApiError, BadRequestError, illegal_argument, not_supported, validation_error
from retrievo.index.searcher import Searcher
from retrievo.index.shard import Shard
from retrievo.inference.rerank_cache import RerankCallStats
from retrievo.inference.usage import TaskUsage, record_usage
from retrievo.planner.children import run_child
from retrievo.planner.execute import PreparedSearch, finish_search, prepare_search
from retrievo.lucene.query import LQuery
from retrievo.planner.operators.base import Embedder, Operator
from retrievo.planner.operators.query import Filter
from retrievo.planner.operators.vector import VectorSearch
from retrievo.planner.operators.rerank import Rerank
from retrievo.lucene.scoring import Evaluator

#: Header keys Elasticsearch reads (``MultiSearchRequest.readMultiLineFormat``) that cannot change
#: what a single local shard returns: accepted, their values checked.
_BOOLEAN_HEADER_KEYS = frozenset({"request_cache", "requestCache", "ccs_minimize_roundtrips",
                                  "ccsMinimizeRoundtrips", "allow_partial_search_results"})
_STRING_HEADER_KEYS = frozenset({"preference", "routing"})
_SEARCH_TYPES = frozenset({"query_then_fetch", "dfs_query_then_fetch"})
#: Header keys that change index resolution, which retrievo's search does not do.
_UNSUPPORTED_HEADER_KEYS = frozenset({"expand_wildcards", "expandWildcards", "ignore_unavailable",
                                      "ignoreUnavailable", "allow_no_indices", "allowNoIndices",
                                      "ignore_throttled", "ignoreThrottled"})
#: Errors the search parser raises that Elasticsearch only raises when the search runs (request
#: validation, the query phase): they fail that one search, not the whole request.
_PER_SEARCH_PARSE_ERRORS = frozenset({"action_request_validation_exception", "search_phase_execution_exception"})


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


# ---------------------------------------------------------------------------------------------- request


def _json_line(line: str | bytes, what: str) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRequestError("x_content_parse_exception", f"[{what}] is not valid JSON: {e}") from None


def _ndjson_pairs(text: str | bytes) -> list[tuple[Any, Any]]:
    """NDJSON as Elasticsearch reads it: every line ends with a newline (``\\r\\n`` too); an empty
    header line is an empty header; a header with no body after it is ignored."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadRequestError("x_content_parse_exception", f"msearch body is not UTF-8: {e}") from None
    if text and not text.endswith("\n"):
        raise illegal_argument("The msearch request must be terminated by a newline [\n]")
    lines = [line.rstrip("\r") for line in text.split("\n")[:-1]]
    pairs = []
    for i in range(0, len(lines) - 1, 2):
        header = _json_line(lines[i], "header") if lines[i].strip() else {}
        pairs.append((header, _json_line(lines[i + 1], "search body") if lines[i + 1].strip() else None))
    return pairs


def _item_json(item: Any, what: str) -> Any:
    """One list element as the client would send it: dicts as they are, text as JSON, builder
    objects (``elasticsearch.dsl``, retrievo's AST) as their JSON."""
    if isinstance(item, (str, bytes)):
        return _json_line(item, what) if item.strip() else ({} if what == "header" else None)
    if isinstance(item, dict):
        return item
    from retrievo.grammar.builders import NOT_A_BUILDER, builder_json
    converted = builder_json(item)
    return item if converted is NOT_A_BUILDER else converted


def read_searches(searches: Any) -> list[tuple[Any, Any]]:
    """(header, body) pairs of an ``_msearch`` request: a list alternating headers and bodies, or NDJSON."""
    if isinstance(searches, (str, bytes)):
        pairs = _ndjson_pairs(searches)
    elif isinstance(searches, Sequence):
        items = list(searches)
        pairs = [(_item_json(items[i], "header"), _item_json(items[i + 1], "search body"))
                 for i in range(0, len(items) - 1, 2)]
    else:
        raise illegal_argument(f"[searches] must be a list of headers and bodies or NDJSON text, "
                               f"found [{type(searches).__name__}]")
    if not pairs:
        raise validation_error("no requests added")
    return pairs


def _bool_value(key: str, value: Any) -> None:
    if isinstance(value, bool) or value in ("true", "false"):
        return
    raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def header_index(header: Any, default: str | None) -> str | None:
    """The index a header names (its ``index``/``indices``, else the request's), its other keys checked."""
    if not isinstance(header, dict):
        raise BadRequestError("parsing_exception", f"msearch header must be an object, found [{header!r}]")
    index = default
    for key, value in header.items():
        if key in ("index", "indices"):
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                index = ",".join(value)
            elif isinstance(value, str):
                index = value
            else:
                raise illegal_argument(f"[{key}] must be a string or an array of strings, found [{value!r}]")
        elif key in ("search_type", "searchType"):
            if value not in _SEARCH_TYPES:
                raise illegal_argument(f"No search type for [{value}]")
        elif key in _BOOLEAN_HEADER_KEYS:
            _bool_value(key, value)
        elif key in _STRING_HEADER_KEYS:
            if not isinstance(value, (str, int)):
                raise illegal_argument(f"[{key}] must be a string, found [{value!r}]")
        elif key in _UNSUPPORTED_HEADER_KEYS:
            raise not_supported(f"[{key}] in the msearch metadata section")
        else:
            raise illegal_argument(f"key [{key}] is not supported in the metadata section")
    return index


def _check_parses(index: str | None, body: Any) -> None:
    """Parse the body the way Elasticsearch's REST layer does before running anything: an error
    there fails the whole request; errors Elasticsearch raises later are left to the search."""
    from retrievo.grammar.json import parse_search
    try:
        parse_search(index or "_all", body, max_result_window=sys.maxsize)
    except ApiError as err:
        if err.error not in _PER_SEARCH_PARSE_ERRORS:
            raise


# ---------------------------------------------------------------------------------------------- sharing


def operators(op: Operator) -> Iterator[Operator]:
    yield op
    for child in op.children():
        yield from operators(child)


def _embed_ahead(prepared: list[PreparedSearch], registry: Any, report: MultiSearchReport
                 ) -> dict[tuple[str, str], np.ndarray]:
    """One batched embed call per endpoint for every query text of every kNN search."""
    texts: dict[str, dict[str, None]] = {}
    for p in prepared:
        for op in operators(p.plan.root):
            if isinstance(op, VectorSearch) and op.search.query_vector is None \
                    and op.search.query_vector_builder is not None:
                builder = op.search.query_vector_builder
                texts.setdefault(builder.model_id, {})[builder.model_text] = None
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
    """The inference registry as the rerankers of a multi-search see it: scores gathered and computed
    for all searches together are served from the shared table; everything else is the registry."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry
        self.scores: dict[tuple[str, str, str], float] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)

    def rerank_scores_with_stats(self, inference_id: str, query: str,
                                 texts: Sequence[str]) -> tuple[np.ndarray, RerankCallStats]:
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
        return op.passages(ctx, run_child(op.child, ctx, op.window))   # the window, as the reranker takes it
    except ApiError:
        return None


def _rerank_ahead(prepared: list[PreparedSearch], proxy: BatchedInference, registry: Any,
                  report: MultiSearchReport) -> None:
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


def _filters_of(op: Operator) -> tuple[LQuery, ...]:
    if isinstance(op, Filter):
        return op.filters
    if isinstance(op, VectorSearch):
        return op.filters
    return ()


def _share_filters(prepared: list[PreparedSearch], report: MultiSearchReport) -> None:
    """Evaluate each filter used by several searches on one snapshot once, and give every search the
    same bitset (seeded into its evaluator, so its own run finds it already computed)."""
    uses: dict[tuple[int, LQuery], list[tuple[PreparedSearch, LQuery]]] = {}
    snapshots: dict[int, Searcher] = {}
    for p in prepared:
        seen: set[LQuery] = set()
        for op in operators(p.plan.root):
            for f in _filters_of(op):
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
    return [g for op in operators(p.plan.root) for g in _filters_of(op) if g == f]


# ---------------------------------------------------------------------------------------------- run


def run_msearch(searches: Any, default_index: str | None, resolve: Callable[[str | None], Shard],
                embed: Embedder, registry: Any) -> tuple[dict[str, Any], MultiSearchReport]:
    """The ``_msearch`` response body and what the searches shared."""
    started = time.perf_counter_ns()
    pairs = read_searches(searches)
    targets = [header_index(header, default_index) for header, _ in pairs]
    for index, (_, body) in zip(targets, pairs):
        _check_parses(index, body)
    report = MultiSearchReport(searches=len(pairs))
    vectors: dict[tuple[str, str], np.ndarray] = {}
    proxy = BatchedInference(registry)
    shared_embed = batched_embedder(vectors, embed)
    snapshots: dict[str, Searcher] = {}
    prepared: list[PreparedSearch | None] = []
    failed: dict[int, ApiError] = {}
    for i, (index, (_, body)) in enumerate(zip(targets, pairs)):
        try:
            shard = resolve(index)
            snapshot = snapshots.get(shard.name)
            if snapshot is None:
                snapshot = snapshots[shard.name] = shard.searcher()
            p = prepare_search(shard, body, embed=shared_embed, inference=proxy, searcher=snapshot)
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
    for i, p in enumerate(prepared):
        if p is not None and i not in failed:
            try:
                responses.append({**finish_search(p), "status": 200})
                continue
            except ApiError as err:
                failed[i] = err
        err = failed[i]
        responses.append({"error": err.body["error"], "status": err.status_code})
    took = int((time.perf_counter_ns() - started) // 1_000_000)
    return {"took": took, "responses": responses}, report

