"""What a service is and what it builds.

A *service* (``sentence_transformers``, ``elasticsearch``, ...) turns the body of
``PUT _inference/<task_type>/<id>`` into an :class:`EndpointModel` -- Elasticsearch's ``Model``:
validated settings plus the ability to run the endpoint's task: a :class:`TextEmbeddingModel`
(``text_embedding``), a :class:`SparseEmbeddingModel` (``sparse_embedding``), a :class:`RerankModel`
(``rerank``) or a :class:`CompletionModel` (``completion``). Adding a service is one subclass of
:class:`InferenceService` plus one entry in :data:`retrievo.inference.services.SERVICES`; adding a
task type is one :class:`EndpointModel` subclass here plus one entry in
:data:`retrievo.inference.task_types.TASK_TYPES`.

Services read their settings through :class:`~retrievo.inference.settings_parsing.SettingsReader`
and must consume every key they accept; the registry rejects whatever is left over.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from ..chunking import DEFAULT_CHUNKING_SETTINGS, ChunkingSettings, ChunkOffset, chunk_text
from ..errors import unknown_settings
from ..settings_parsing import SettingsReader
from .model_loading import LoadedModelCache

if TYPE_CHECKING:
    from ..endpoint import Endpoint

# RerankingInferenceService.CONSERVATIVE_DEFAULT_WINDOW_SIZE: words for a 512-token reranker.
CONSERVATIVE_DEFAULT_WINDOW_WORDS = 300
# Words per token used to turn a model's token limit into a word window (Elasticsearch's estimate).
WORDS_PER_TOKEN = 0.75


@dataclass(frozen=True)
class ServiceContext:
    """Shared resources a service may use while building models (scoped to one registry).

    ``lookup`` returns another endpoint of the same registry by id (raising its 404); services
    that build on other endpoints (the ``bi_encoder`` rerank service) validate references with it.
    """

    model_cache: LoadedModelCache
    lookup: Callable[[str], Endpoint] | None = None


class EndpointModel(ABC):
    """A validated endpoint configuration that can run its task."""

    @abstractmethod
    def service_settings_view(self) -> dict[str, Any]:
        """``service_settings`` as GET/PUT echo them: defaults filled in, secrets omitted."""

    def task_settings_view(self) -> dict[str, Any]:
        return {}

    def release(self) -> None:  # noqa: B027 - optional hook: most models hold nothing to release
        """Give back loaded resources (the endpoint was deleted)."""

    def check_request_task_settings(self, settings: Mapping[str, Any], service: str) -> None:
        """Reject a request's embedding ``task_settings`` this model does not take (``input_type`` is
        already removed). By default it takes none; a service that reads or ignores some overrides this."""
        if settings:
            raise unknown_settings(settings, service)

    def ingest_chunking(
        self, requested: ChunkingSettings | None, configured: ChunkingSettings | None
    ) -> ChunkingSettings:
        """The chunking ``semantic_text`` ingest uses: the field's (``requested``), else the endpoint's
        (``configured``), else Elasticsearch's default; services with their own rule override this."""
        return requested or configured or DEFAULT_CHUNKING_SETTINGS

    def chunk(self, text: str, settings: ChunkingSettings) -> list[ChunkOffset]:
        """The chunks of one input at ``semantic_text`` ingest, as offsets into ``text``."""
        return chunk_text(text, settings)


class TextEmbeddingModel(EndpointModel):
    """A model for the ``text_embedding`` task: texts in, dense float32 vectors out."""

    batch_size: int = 32
    #: Whether the model sees texts as Java strings (Elasticsearch's in-JVM test mock): a lone surrogate
    #: then reaches it as itself, not as the ``?`` a UTF-8 encoder sends to a remote model.
    java_strings: ClassVar[bool] = False

    @abstractmethod
    def encode(self, texts: list[str], input_type: str | None) -> np.ndarray:
        """One model invocation for one batch: a float32 ``(len(texts), dims)`` array."""

    def cache_variant(self, input_type: str | None) -> str:
        """Distinguishes cached vectors when ``input_type`` changes what the model computes."""
        return ""

    def semantic_text_gap(self) -> str | None:
        """What keeps ``semantic_text`` from storing these embeddings as Elasticsearch would (``None``:
        nothing). semantic_text stores the endpoint's similarity and float/byte/bfloat16 element types;
        a ``bit`` endpoint is refused at ingest, not ignored."""
        return None


class CompletionModel(EndpointModel):
    """A model for the ``completion`` task: one generated text per input."""

    @abstractmethod
    def complete(self, texts: list[str]) -> list[str]:
        """The completion of each input, in input order."""


#: A sparse embedding: token -> weight, in the order the model lists them (weights are float32 values).
SparseVector = dict[str, float]


class SparseEmbeddingModel(EndpointModel):
    """A model for the ``sparse_embedding`` task: texts in, one token -> weight map per text out."""

    batch_size: int = 32

    @abstractmethod
    def encode_sparse(self, texts: list[str], input_type: str | None) -> list[SparseVector]:
        """One model invocation for one batch: a token -> weight map per text."""

    def encode_sparse_chunks(
        self, text: str, chunks: Sequence[tuple[int, int]], input_type: str | None
    ) -> list[SparseVector]:
        """The embeddings of one input's chunks (``(start, end)`` offsets into ``text``): by default each
        chunk's own text; a service may embed differently (the test service embeds the whole input)."""
        return self.encode_sparse([text[start:end] for start, end in chunks], input_type)


class InferenceService(ABC):
    """Parses endpoint configurations for one ``service`` name."""

    name: ClassVar[str]
    task_types: ClassVar[tuple[str, ...]]
    #: Whether an embedding endpoint PUT without ``chunking_settings`` gets the default ones (shown by
    #: GET); Elasticsearch's test mocks get none and do not chunk unless asked.
    default_chunking_settings: ClassVar[bool] = True
    #: Whether ``task_types`` are exactly those of the Elasticsearch service of the same name (its test
    #: mocks): any other task type then fails with Elasticsearch's own "does not support" error.
    exact_task_types: ClassVar[bool] = False

    @abstractmethod
    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        """Validate the settings (raising Elasticsearch-shaped errors) and build the model.

        Loading weights is not done here: models load lazily on first use.
        """


# ---------------------------------------------------------------------------------------------- rerank


def window_words_for_tokens(max_tokens: int | None) -> int | None:
    """A model's token limit as a word window: ``floor(0.75 * max_tokens)`` (None when unknown)."""
    if max_tokens is None or max_tokens <= 0 or max_tokens > 1_000_000:
        return None
    return max(1, math.floor(WORDS_PER_TOKEN * max_tokens))


def java_descending_key(score: Any) -> tuple[int, float, int]:
    """Sort key for ``RankedDoc.compareTo`` (``-Float.compare``): NaN first, then larger scores,
    ``+0.0`` before ``-0.0``; combine with the input index for a total order."""
    value = float(score)
    if value != value:
        return (0, 0.0, 0)
    return (1, -value, 1 if math.copysign(1.0, value) < 0 else 0)


def whitespace_tokens(query: str, texts: Sequence[str]) -> int:
    """Approximate token count when no tokenizer is at hand: whitespace-separated words of every pair."""
    query_words = len(query.split())
    return sum(query_words + len(text.split()) for text in texts)


@dataclass(frozen=True)
class RerankSettings:
    """Rerank task settings (an endpoint's, possibly overridden by a request's ``task_settings``).

    ``top_n`` truncates responses; ``hide_top_n`` keeps it from being reported to the reranker
    retriever's top-N check (the test service's switch); ``return_documents`` is the default for
    whether responses carry each input's ``text``.
    """

    top_n: int | None = None
    return_documents: bool | None = None
    hide_top_n: bool = False


@dataclass(frozen=True)
class RankedScores:
    """What one rerank call produced: float32 raw scores in input order, and optionally the service's
    own result order (indices); ``None`` means score descending, then input index ascending."""

    scores: np.ndarray
    order: np.ndarray | None = None


class RerankRuntime(Protocol):
    """What rerank models may call back into (the registry provides it)."""

    def get(self, inference_id: str) -> Endpoint: ...

    def embed(self, inference_id: str, texts: Sequence[str], *, input_type: str | None = None) -> np.ndarray: ...


class RerankModel(EndpointModel):
    """A model for the ``rerank`` task: a query and passages in, one raw relevance score per passage.

    *Pairwise* models (the default) score each (query, passage) pair independently of the other
    inputs: the registry deduplicates passages, caches scores by (endpoint, query, passage) and calls
    :meth:`score_batch` once per length-sorted batch of ``batch_size`` uncached passages. Models whose
    scores depend on the whole request (the test service scores by position) set ``pairwise = False``
    and implement :meth:`score_request`; they are called once per request, uncached.
    """

    batch_size: int = 32
    pairwise: ClassVar[bool] = True
    # Whether responses include each input's text when neither the request nor the task settings say.
    default_return_documents: ClassVar[bool] = False
    # Task settings keys accepted (at PUT and per request); top_n and return_documents by default.
    task_setting_names: ClassVar[tuple[str, ...]] = ("top_n", "return_documents")

    def __init__(self, settings: RerankSettings | None = None) -> None:
        self.settings = settings or RerankSettings()

    # -- scoring ---------------------------------------------------------------------------------

    def score_batch(self, query: str, texts: list[str], runtime: RerankRuntime) -> np.ndarray:
        """One model invocation for one batch (pairwise models): float32 ``(len(texts),)`` raw scores."""
        raise NotImplementedError(f"{type(self).__name__} does not score pairs")

    def score_request(
        self, query: str, texts: list[str], settings: RerankSettings, runtime: RerankRuntime
    ) -> RankedScores:
        """Score a whole request at once (models with ``pairwise = False``)."""
        raise NotImplementedError(f"{type(self).__name__} scores pairs")

    def cache_variant(self, runtime: RerankRuntime) -> Hashable:
        """Anything besides the endpoint that decides the scores (part of the score-cache key)."""
        return ""

    #: Whether one invocation can score pairs of different queries (:meth:`score_pairs`); a
    #: multi-search then scores the windows of all its rerankers in shared batches.
    mixed_queries: ClassVar[bool] = False

    def score_pairs(self, pairs: list[tuple[str, str]], runtime: RerankRuntime) -> np.ndarray:
        """One model invocation for a batch of ``(query, passage)`` pairs with mixed queries
        (models with ``mixed_queries``): float32 ``(len(pairs),)`` raw scores."""
        raise NotImplementedError(f"{type(self).__name__} scores one query per batch")

    def count_pair_tokens(self, pairs: Sequence[tuple[str, str]]) -> int:
        """Approximate tokens processed for these pairs (after a :meth:`score_pairs` call)."""
        return sum(whitespace_tokens(q, [t]) for q, t in pairs)

    def count_tokens(self, query: str, texts: Sequence[str]) -> int:
        """Approximate tokens processed for these pairs (after a :meth:`score_batch` call)."""
        return whitespace_tokens(query, texts)

    # -- properties the reranker retriever asks for ----------------------------------------------

    def window_words(self, runtime: RerankRuntime) -> int | None:
        """``RerankingInferenceService.rerankerWindowSize``: the passage length in words the model
        handles (the default chunk size of ``chunk_rescorer``)."""
        return CONSERVATIVE_DEFAULT_WINDOW_WORDS

    def configured_top_n(self) -> int | None:
        """``TopNProvider.getTopN``: the ``top_n`` the endpoint reports (None when hidden or unset)."""
        return None if self.settings.hide_top_n else self.settings.top_n

    # -- task settings ---------------------------------------------------------------------------

    @classmethod
    def read_task_settings(cls, reader: SettingsReader) -> RerankSettings:
        """Parse ``task_settings`` (PUT body or request); the caller rejects leftovers."""
        top_n = reader.optional_positive_int("top_n") if "top_n" in cls.task_setting_names else None
        return_documents = (
            reader.optional_bool("return_documents") if "return_documents" in cls.task_setting_names else None
        )
        reader.raise_if_errors()
        return RerankSettings(top_n=top_n, return_documents=return_documents)

    def request_settings(self, overrides: Mapping[str, Any], service: str) -> RerankSettings:
        """The endpoint's task settings with a request's ``task_settings`` laid over them."""
        if not overrides:
            return self.settings
        reader = SettingsReader(overrides, "task_settings")
        given = self.read_task_settings(reader)
        if reader.leftovers():
            raise unknown_settings(reader.leftovers(), service)
        return RerankSettings(
            top_n=given.top_n if given.top_n is not None else self.settings.top_n,
            return_documents=(
                given.return_documents if given.return_documents is not None else self.settings.return_documents
            ),
            hide_top_n=self.settings.hide_top_n,
        )

    def task_settings_view(self) -> dict[str, Any]:
        view: dict[str, Any] = {}
        if self.settings.top_n is not None:
            view["top_n"] = self.settings.top_n
        if self.settings.return_documents is not None:
            view["return_documents"] = self.settings.return_documents
        return view
