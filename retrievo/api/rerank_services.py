"""retrievo as a rerank server for Cohere and text-embeddings-inference (TEI) clients.

``POST /v1/rerank`` and ``POST /v2/rerank`` speak Cohere's rerank API (the official ``cohere`` SDK's
``Client.rerank`` / ``ClientV2.rerank``); ``POST /rerank`` speaks TEI's (``router/src/http/server.rs``).
Any retrievo ``rerank`` inference endpoint serves them: Cohere's ``model`` is the inference id; TEI's
request names no model, so ``/rerank`` -- and ``/v1/rerank`` without ``model``, optional in v1 -- use
the catalog's default rerank endpoint (``retrievo serve -E retrievo.rerank.inference_id=ID``;
otherwise ``.rerank-v1-elasticsearch``, Elasticsearch's default reranker id). Scores go through the
inference registry, so they are cached and shared with ``text_similarity_reranker``.

Scores, honestly: retrievo endpoints give raw scores (a cross-encoder's logit, a bi-encoder's cosine).

* Cohere documents ``relevance_score`` as normalised to [0, 1]. retrievo returns the logistic sigmoid of
  the endpoint's raw score -- exactly what sentence-transformers and TEI apply to a single-label
  cross-encoder, order-preserving, but not Cohere's own calibration. Endpoints of the ``cohere`` and
  ``hugging_face`` services already return [0, 1] scores from the remote service; theirs pass unchanged.
* TEI returns the sigmoid unless ``raw_scores`` is true (``core/src/infer.rs``); so does retrievo, from
  the endpoint's raw score.

Ordering: Cohere results by descending score (ties by input index); TEI's as TEI sorts them -- an
ascending stable sort reversed, so equal scores come out in descending index order. ``top_n`` larger
than the documents returns them all.

What is refused rather than ignored: Cohere's ``rank_fields`` and ``max_chunks_per_doc`` (v1),
``max_tokens_per_doc`` and ``relevant_spans`` (v2) -- retrievo truncates every pair at the endpoint
model's own maximum length and has no chunked scoring or spans here; TEI's ``truncation_direction:
Left`` with truncation on (models truncate on the right). TEI's ``truncate: false`` is honoured for
cross-encoders whose tokenizer retrievo runs (``sentence_transformers``, ``elasticsearch``, ``metarank``
services): a pair longer than the model's maximum length is TEI's 422 ``must have less than N tokens``;
for other services it is refused. Cohere's ``priority`` is accepted: it
orders queued requests, and retrievo queues none. A ``document`` given to v1 as an object keeps all its
fields in the response (``text`` is scored), as Cohere documents.

Errors are each system's own: Cohere answers ``{"id", "message"}`` with its status (400 ``invalid
request: ...``, 404 for an unknown model, 422 ``unknown field: parameter '...' is not a valid
field...``); where Cohere's exact wording is not documented the message is retrievo's, in the same
``invalid request:`` form. TEI answers ``{"error", "error_type"}`` (``Empty`` 400, ``Validation`` 422,
``Backend`` 424) and, for a body that does not decode, axum's plain-text rejections (400 for invalid
JSON, 422 for a missing or mistyped field; serde's `` at line L column C`` suffix is not reproduced).

Authentication: the ``cohere`` SDK always sends ``Authorization: Bearer <api_key>`` and TEI clients send
``Bearer`` too. With no ``--api-key``/``--user`` the server checks nothing and these clients work as
they are; with ``--api-key KEY`` on, ``Bearer KEY`` authenticates like ``ApiKey KEY`` (and any other
value gets the 401 ``security_exception``).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

import numpy as np

from retrievo import xcontent
from retrievo.api.call import Call
from retrievo.api.types import RestResponse
from retrievo.errors import ApiError, NotFoundError, error_from_body, error_reason
from retrievo.inference import Endpoint
from retrievo.inference.services import RerankModel, RerankSettings
from retrievo.inference.services.cross_encoder_model import CrossEncoderRerankModel
from retrievo.inference.services.onnx_models import OnnxCrossEncoderRerankModel

#: Services whose scores are already the remote reranker's [0, 1] relevance (passed through).
PROBABILITY_SERVICES = ("cohere", "hugging_face")
_COHERE_DOCS = "https://docs.cohere.com/reference/rerank"
_V1_FIELDS = ("model", "query", "documents", "top_n", "rank_fields", "return_documents", "max_chunks_per_doc")
_V2_FIELDS = ("model", "query", "documents", "top_n", "max_tokens_per_doc", "priority", "relevant_spans")
_JSON = {"content-type": "application/json"}


# ---------------------------------------------------------------------------------------------- shared


def sigmoid(scores: np.ndarray) -> np.ndarray:
    """float32 ``1 / (1 + exp(-x))``, as TEI computes it in Rust ``f32``."""
    x = np.asarray(scores, dtype=np.float32)
    with np.errstate(over="ignore"):
        return (np.float32(1.0) / (np.float32(1.0) + np.exp(-x))).astype(np.float32)


def _f32(value: Any) -> float:
    """A float32 score as a JSON number with its shortest float32 digits (serde's ``f32``)."""
    return float(str(np.float32(value)))


def _raw_scores(call: Call, endpoint: Endpoint, query: str, texts: list[str]) -> np.ndarray:
    ranked = call.catalog.inference.rerank_with(endpoint, query, texts, RerankSettings())
    return np.asarray(ranked.scores, dtype=np.float32)


def _decode(raw: Any) -> Any:
    """The request body as JSON (``json.JSONDecodeError`` when it is not)."""
    if isinstance(raw, (bytes, bytearray, str)):
        return xcontent.loads(raw)
    return raw


# ---------------------------------------------------------------------------------------------- Cohere


def cohere_error(status: int, message: str) -> ApiError:
    """Cohere's error body: ``{"id": <request id>, "message": ...}`` with its status."""
    return error_from_body(status, {"id": str(uuid.uuid4()), "message": message})


def _invalid(message: str) -> ApiError:
    return cohere_error(400, f"invalid request: {message}")


def _cohere_endpoint(call: Call, model: str) -> Endpoint:
    try:
        endpoint = call.catalog.inference.get(model)
    except NotFoundError:
        raise cohere_error(
            404,
            f"model '{model}' not found, make sure the correct model ID was used and that you have access to "
            "the model.",
        ) from None
    except ApiError as e:
        raise _invalid(error_reason(e)) from None
    if endpoint.task_type != "rerank" or not isinstance(endpoint.model, RerankModel):
        raise _invalid(f"model '{model}' is not a rerank model (its task type is [{endpoint.task_type}])")
    return endpoint


def _cohere_request(call: Call, version: int) -> dict[str, Any]:
    try:
        body = _decode(call.body)
    except (json.JSONDecodeError, UnicodeDecodeError, ApiError):
        raise _invalid("request body is not valid JSON") from None
    if not isinstance(body, Mapping):
        raise _invalid("request body must be a JSON object")
    allowed = _V1_FIELDS if version == 1 else _V2_FIELDS
    for key in body:
        if key not in allowed:
            raise cohere_error(
                422,
                f"unknown field: parameter '{key}' is not a valid field. For proper usage, please refer to "
                f"{_COHERE_DOCS}",
            )
    return {k: v for k, v in body.items() if v is not None}


def _documents(value: Any, version: int) -> tuple[list[str], list[dict[str, Any]]]:
    """The texts to score and the documents to echo (``{"text": s}`` for a string)."""
    if not isinstance(value, list) or not value:
        raise _invalid("list of documents must not be empty")
    texts, echoed = [], []
    for i, doc in enumerate(value):
        if isinstance(doc, str):
            texts.append(doc)
            echoed.append({"text": doc})
        elif version == 1 and isinstance(doc, Mapping):
            text = doc.get("text")
            if not isinstance(text, str):
                raise _invalid(f"document at index {i} must have a string 'text' field")
            texts.append(text)
            echoed.append(dict(doc))
        else:
            kinds = "strings or objects with a 'text' field" if version == 1 else "strings"
            raise _invalid(f"documents must be {kinds}; the document at index {i} is not")
    return texts, echoed


def _rerank(call: Call, version: int) -> dict[str, Any]:
    request = _cohere_request(call, version)
    for name in ("rank_fields", "max_chunks_per_doc", "max_tokens_per_doc", "relevant_spans"):
        if name in request:
            raise _invalid(
                f"[{name}] is not supported in retrievo: documents are scored whole, truncated at the "
                f"rerank model's own maximum length"
            )
    model = request.get("model")
    if model is None:
        if version == 2:
            raise _invalid("model must be specified")
        model = call.catalog.default_rerank_id
    if not isinstance(model, str) or not model:
        raise _invalid("model must be a non-empty string")
    query = request.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _invalid("query must not be empty")
    texts, echoed = _documents(request.get("documents"), version)
    top_n = request.get("top_n")
    if top_n is not None and (type(top_n) is not int or top_n <= 0):
        raise _invalid("top_n must be a positive integer")
    priority = request.get("priority")
    if priority is not None and (type(priority) is not int or priority < 0):
        raise _invalid("priority must be a non-negative integer")
    return_documents = request.get("return_documents", False)
    if not isinstance(return_documents, bool):
        raise _invalid("return_documents must be a boolean")
    endpoint = _cohere_endpoint(call, model)
    try:
        raw = _raw_scores(call, endpoint, query, texts)
    except ApiError as e:
        raise cohere_error(500, f"internal server error: {error_reason(e)}") from None
    scores = raw if endpoint.service in PROBABILITY_SERVICES else sigmoid(raw)
    order = sorted(range(len(texts)), key=lambda i: (-float(scores[i]), i))[: top_n or len(texts)]
    results = []
    for i in order:
        item: dict[str, Any] = {"index": i, "relevance_score": _f32(scores[i])}
        if return_documents:
            item = {"document": echoed[i], **item}
        results.append(item)
    meta = {"api_version": {"version": str(version)}, "billed_units": {"search_units": math.ceil(len(texts) / 100)}}
    return {"id": str(uuid.uuid4()), "results": results, "meta": meta}


def cohere_v1(call: Call) -> dict[str, Any]:
    """``POST /v1/rerank`` (``cohere.Client.rerank``)."""
    return _rerank(call, 1)


def cohere_v2(call: Call) -> dict[str, Any]:
    """``POST /v2/rerank`` (``cohere.ClientV2.rerank``)."""
    return _rerank(call, 2)


# ---------------------------------------------------------------------------------------------- TEI


def tei_error(status: int, message: str, error_type: str) -> ApiError:
    """TEI's ``ErrorResponse``: ``{"error", "error_type"}`` (``Empty`` 400, ``Validation`` 422,
    ``Backend`` 424 ...)."""
    return error_from_body(status, {"error": message, "error_type": error_type})


def _rejection(status: int, message: str) -> RestResponse:
    """axum's ``JsonRejection``: plain text."""
    return RestResponse(status, message.encode("utf-8"), {"content-type": "text/plain; charset=utf-8"})


def _serde_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f'string "{value}"'
    if value is None:
        return "null"
    return "sequence" if isinstance(value, list) else "map"


class _Undecodable(Exception):
    """A body serde cannot turn into ``RerankRequest`` (axum answers 422 with the message)."""


def _field(body: Mapping[str, Any], name: str, kind: type, expected: str, default: Any = None) -> Any:
    if name not in body:
        if default is None and name in ("query", "texts"):
            raise _Undecodable(f"missing field `{name}`")
        return default
    value = body[name]
    if value is None and name in ("truncate",):
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _Undecodable(f"{name}: invalid type: {_serde_type(value)}, expected {expected}")
    return value


def _pair_lengths(endpoint: Endpoint, query: str, texts: list[str]) -> tuple[list[int], int] | None:
    """Tokens of each (query, text) pair before truncation and the model's limit, for the models whose
    tokenizer retrievo runs (ONNX and sentence-transformers cross-encoders); ``None`` for others."""
    model = endpoint.model
    if isinstance(model, OnnxCrossEncoderRerankModel):
        return model.pair_lengths(query, texts), model.max_length()
    if isinstance(model, CrossEncoderRerankModel):
        tokenizer = getattr(model.encoder.model(), "tokenizer", None)
        limit = model.encoder.max_length()
        if tokenizer is None or limit is None:
            return None
        encoded = tokenizer([query] * len(texts), list(texts), truncation=False)
        return [len(ids) for ids in encoded["input_ids"]], int(limit)
    return None


def _check_lengths(endpoint: Endpoint, query: str, texts: list[str]) -> None:
    """TEI's ``truncate: false``: a pair longer than the model's limit is a 422 (the first in input
    order, as TEI collects the per-pair results in order)."""
    counted = _pair_lengths(endpoint, query, texts)
    if counted is None:
        raise tei_error(
            422,
            f"Input validation error: [truncate: false] is not supported in retrievo for the "
            f"[{endpoint.service}] service: it cannot count tokens before scoring",
            "Validation",
        )
    lengths, limit = counted
    for length in lengths:
        if length > limit:
            raise tei_error(
                422,
                f"Input validation error: `inputs` must have less than {limit} tokens. Given: {length}",
                "Validation",
            )


def tei_rerank(call: Call) -> RestResponse | list[dict[str, Any]]:
    """``POST /rerank``."""
    try:
        body = _decode(call.body)
    except (json.JSONDecodeError, UnicodeDecodeError, ApiError) as e:
        return _rejection(400, f"Failed to parse the request body as JSON: {error_reason(e)}")
    try:
        if not isinstance(body, Mapping):
            raise _Undecodable(f"invalid type: {_serde_type(body)}, expected struct RerankRequest")
        query = _field(body, "query", str, "a string")
        texts = _field(body, "texts", list, "a sequence")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise _Undecodable(f"texts[{i}]: invalid type: {_serde_type(text)}, expected a string")
        truncate = _field(body, "truncate", bool, "a boolean")
        direction = _field(body, "truncation_direction", str, "a string", "Right")
        if direction not in ("Left", "left", "Right", "right"):
            raise _Undecodable(f"truncation_direction: unknown variant `{direction}`, expected `Left` or `Right`")
        raw_scores = _field(body, "raw_scores", bool, "a boolean", False)
        return_text = _field(body, "return_text", bool, "a boolean", False)
    except _Undecodable as e:
        return _rejection(422, f"Failed to deserialize the JSON body into the target type: {e}")
    if not texts:
        raise tei_error(400, "`texts` cannot be empty", "Empty")
    truncate = True if truncate is None else truncate  # TEI's --auto-truncate defaults to true
    if truncate and direction.lower() == "left":
        raise tei_error(
            422,
            "Input validation error: [truncation_direction: Left] is not supported in retrievo: models "
            "truncate on the right",
            "Validation",
        )
    try:
        endpoint = call.catalog.inference.get(call.catalog.default_rerank_id)
    except ApiError as e:
        raise tei_error(424, f"Backend error: {error_reason(e)}", "Backend") from None
    if endpoint.task_type != "rerank" or not isinstance(endpoint.model, RerankModel):
        raise tei_error(424, "Backend error: model is not a re-ranker model", "Backend")
    try:
        if not truncate:
            _check_lengths(endpoint, query, texts)
        raw = _raw_scores(call, endpoint, query, texts)
    except ApiError as e:
        if isinstance(e.body, Mapping) and "error_type" in e.body:
            raise
        raise tei_error(424, f"Backend error: {error_reason(e)}", "Backend") from None
    scores = raw if raw_scores or endpoint.service in PROBABILITY_SERVICES else sigmoid(raw)
    if np.isnan(scores).any():
        raise tei_error(424, "score is NaN", "Backend")
    ranks = []
    for i in range(len(texts)):
        rank: dict[str, Any] = {"index": i}
        if return_text:
            rank["text"] = texts[i]
        rank["score"] = _f32(scores[i])
        ranks.append(rank)
    ranks.sort(key=lambda r: float(r["score"]))  # stable, ascending; then reversed, as TEI does
    ranks.reverse()
    return ranks
