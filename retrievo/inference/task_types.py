"""Task types by name: what a request for each task must contain and how it is answered.

Adding a task type is one :class:`TaskType` entry in :data:`TASK_TYPES`, with the
:class:`~retrievo.inference.services.base.EndpointModel` subclass services build for it, its request
validation and its response shape. ``text_embedding``, ``sparse_embedding``, ``rerank`` and
``completion`` are implemented (``sparse_embedding`` and ``completion`` only by Elasticsearch's test
mocks, see :data:`MOCK_ONLY_TASK_TYPES`).

``sparse_embedding`` answers ``{"sparse_embedding": [{"is_truncated": false, "embedding": {token:
weight, ...}}, ...]}`` (``SparseEmbeddingResults.Embedding``), weights printed as Java floats.
``completion`` answers ``{"completion": [{"result": text}, ...]}`` (``ChatCompletionResults``).

``rerank`` answers ``{"rerank": [{"index", "relevance_score", "text"?}, ...]}``: every input's raw
score, ordered by score descending (ties: lower index first -- the ``test_reranking_service`` mock
orders its own ties), truncated to ``top_n`` (the request's, else the endpoint's task setting);
``text`` is included when ``return_documents`` (the request's, else the task setting's, else the
service's default) is true. Scores are float32 and printed as Elasticsearch's JSON prints a Java
float (shortest round-trip digits: ``0.4``, not ``0.4000000059604645``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from retrievo.errors import illegal_argument, validation_error

from .endpoint import Endpoint
from .errors import status_exception
from .services.base import (
    CompletionModel,
    RankedScores,
    RerankModel,
    RerankSettings,
    SparseEmbeddingModel,
    TextEmbeddingModel,
    java_descending_key,
)

# Every task type Elasticsearch knows; the ones missing from TASK_TYPES are "not supported" here.
ELASTICSEARCH_TASK_TYPES = (
    "text_embedding",
    "sparse_embedding",
    "rerank",
    "completion",
    "chat_completion",
    "embedding",
)
INPUT_TYPES = ("search", "ingest", "classification", "clustering")
# Task types retrievo answers only through Elasticsearch's test mocks: asked of another service that has
# them in Elasticsearch (ELSER's ``sparse_embedding``), they are "not supported in retrievo".
MOCK_ONLY_TASK_TYPES = ("sparse_embedding", "completion")


@dataclass(frozen=True)
class InferenceRequest:
    """The body of ``POST _inference/[<task_type>/]<inference_id>``, normalised."""

    inputs: list[str]
    input_type: str | None = None
    query: str | None = None
    task_settings: dict[str, Any] = field(default_factory=dict)
    return_documents: bool | None = None
    top_n: int | None = None


class TaskRuntime(Protocol):
    """What task implementations may call back into (the registry provides it)."""

    def embed_with(self, endpoint: Endpoint, texts: list[str], input_type: str | None) -> np.ndarray: ...

    def rerank_with(
        self, endpoint: Endpoint, query: str, texts: list[str], settings: RerankSettings
    ) -> RankedScores: ...

    def sparse_embed_with(
        self, endpoint: Endpoint, texts: list[str], input_type: str | None
    ) -> list[dict[str, float]]: ...


@dataclass(frozen=True)
class TaskType:
    """One task: whether endpoints take ``chunking_settings``, the model class services must build
    (an ``EndpointModel`` subclass), request validation, and how to answer a request."""

    name: str
    accepts_chunking_settings: bool
    model_class: type
    validate: Callable[[InferenceRequest], None]
    run: Callable[[TaskRuntime, Endpoint, InferenceRequest], dict[str, Any]]


def parse_input_type(value: Any) -> str | None:
    """``InputType.fromRestString``: case-insensitive; internal types are not accepted from users."""
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in INPUT_TYPES:
        raise illegal_argument(f"Unrecognized input_type [{value}]")
    return value.strip().lower()


def _reject_rerank_fields(task: str, request: InferenceRequest) -> None:
    """``InferenceAction.Request.validate`` for the non-rerank task types."""
    for name, value in (
        ("query", request.query),
        ("return_documents", request.return_documents),
        ("top_n", request.top_n),
    ):
        if value is not None:
            raise validation_error(f"Field [{name}] cannot be specified for task type [{task}]")


def _validate_text_embedding(request: InferenceRequest) -> None:
    _reject_rerank_fields("text_embedding", request)


def _embedding_input_type(endpoint: Endpoint, request: InferenceRequest) -> str | None:
    """The request's ``input_type`` (top level, else in ``task_settings``), after the endpoint's model
    has checked the other request ``task_settings``."""
    settings = dict(request.task_settings)
    input_type = request.input_type or parse_input_type(settings.pop("input_type", None))
    endpoint.model.check_request_task_settings(settings, endpoint.service)
    return input_type


def _run_text_embedding(runtime: TaskRuntime, endpoint: Endpoint, request: InferenceRequest) -> dict[str, Any]:
    input_type = _embedding_input_type(endpoint, request)
    vectors = runtime.embed_with(endpoint, request.inputs, input_type)
    return {"text_embedding": [{"embedding": row.tolist()} for row in vectors]}


TEXT_EMBEDDING = TaskType(
    "text_embedding",
    accepts_chunking_settings=True,
    model_class=TextEmbeddingModel,
    validate=_validate_text_embedding,
    run=_run_text_embedding,
)


def _reject_input_type(task: str, request: InferenceRequest) -> None:
    """Only ``text_embedding`` takes a user ``input_type``."""
    if request.input_type is not None:
        raise validation_error(f"Field [input_type] cannot be specified for task type [{task}]")


def _validate_sparse_embedding(request: InferenceRequest) -> None:
    _reject_rerank_fields("sparse_embedding", request)
    _reject_input_type("sparse_embedding", request)


def _run_sparse_embedding(runtime: TaskRuntime, endpoint: Endpoint, request: InferenceRequest) -> dict[str, Any]:
    input_type = _embedding_input_type(endpoint, request)
    weights = runtime.sparse_embed_with(endpoint, request.inputs, input_type)
    return {
        "sparse_embedding": [
            {"is_truncated": False, "embedding": {token: json_float(w) for token, w in row.items()}} for row in weights
        ]
    }


SPARSE_EMBEDDING = TaskType(
    "sparse_embedding",
    accepts_chunking_settings=True,
    model_class=SparseEmbeddingModel,
    validate=_validate_sparse_embedding,
    run=_run_sparse_embedding,
)


def _validate_completion(request: InferenceRequest) -> None:
    _reject_rerank_fields("completion", request)
    _reject_input_type("completion", request)


def _run_completion(runtime: TaskRuntime, endpoint: Endpoint, request: InferenceRequest) -> dict[str, Any]:
    model = endpoint.model
    assert isinstance(model, CompletionModel)
    model.check_request_task_settings(request.task_settings, endpoint.service)
    return {"completion": [{"result": text} for text in model.complete(request.inputs)]}


COMPLETION = TaskType(
    "completion",
    accepts_chunking_settings=False,
    model_class=CompletionModel,
    validate=_validate_completion,
    run=_run_completion,
)


def json_float(value: Any) -> float:
    """A float32 as a client reads it from Elasticsearch's JSON (``Float.toString`` digits)."""
    return float(str(np.float32(value)))


def rerank_order(ranked: RankedScores) -> list[int]:
    """The service's own order, else score descending (Java float order), ties by input index."""
    if ranked.order is not None:
        return [int(i) for i in ranked.order]
    scores = ranked.scores
    return sorted(range(len(scores)), key=lambda i: (*java_descending_key(scores[i]), i))


def _validate_rerank(request: InferenceRequest) -> None:
    """``InferenceAction.Request.validate`` for the rerank task."""
    if request.query is None:
        raise validation_error("Field [query] cannot be null for task type [rerank]")
    if request.query == "":
        raise validation_error("Field [query] cannot be empty for task type [rerank]")
    if request.input_type is not None:
        raise validation_error("Field [input_type] cannot be specified for task type [rerank]")
    if request.top_n is not None and request.top_n < 1:
        raise validation_error("Field [top_n] must be greater than or equal to 1")


def _run_rerank(runtime: TaskRuntime, endpoint: Endpoint, request: InferenceRequest) -> dict[str, Any]:
    model = endpoint.model
    assert isinstance(model, RerankModel) and request.query is not None
    settings = model.request_settings(request.task_settings, endpoint.service)
    ranked = runtime.rerank_with(endpoint, request.query, request.inputs, settings)
    order = rerank_order(ranked)
    top_n = request.top_n if request.top_n is not None else settings.top_n
    if top_n is not None:
        order = order[: max(top_n, 0)]
    returns = request.return_documents
    if returns is None:
        returns = settings.return_documents if settings.return_documents is not None else model.default_return_documents
    results = []
    for index in order:
        doc: dict[str, Any] = {"index": index, "relevance_score": json_float(ranked.scores[index])}
        if returns:
            doc["text"] = request.inputs[index]
        results.append(doc)
    return {"rerank": results}


RERANK = TaskType(
    "rerank", accepts_chunking_settings=False, model_class=RerankModel, validate=_validate_rerank, run=_run_rerank
)

TASK_TYPES: Mapping[str, TaskType] = {
    task.name: task for task in (TEXT_EMBEDDING, SPARSE_EMBEDDING, RERANK, COMPLETION)
}


def known_task_type(name: Any) -> str:
    """Validate a task type named in a request path (``TaskType.fromStringOrStatusException``)."""
    if not isinstance(name, str) or name.lower() not in (*ELASTICSEARCH_TASK_TYPES, "any"):
        raise status_exception(f"Unknown task_type [{name}]")
    return name.lower()
