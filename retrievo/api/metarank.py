"""Metarank's inference API: ``POST /inference/cross/<name>`` and ``POST /inference/encoder/<name>``.

The names are the entries of the Metarank configuration ``retrievo serve --config`` was given
(:mod:`retrievo.server.metarank_config`); each is an inference endpoint of the same name, so scores and
embeddings go through the inference registry (its model sessions and caches) like every other use.

Shapes, from Metarank's ``CrossEncoderApi`` / ``BiEncoderApi``::

    POST /inference/cross/msmarco   {"input": [{"query": "crocs", "text": "Crocs Kids' Baya Clog"}, ...]}
    -> {"scores": [0.75, ...], "took": 12}          # raw cross-encoder logits, input order; took in ms

    POST /inference/encoder/minilm  {"texts": ["hello", ...]}
    -> {"embeddings": [[0.1, ...], ...], "took": 3}

Floats are the model's float32 values, printed as Java prints a ``Float`` (shortest float32 digits).

Errors are Metarank's: every failure -- a body that does not decode (not JSON, a missing or mistyped
field), a name not in the configuration, a model failure -- is an exception inside the http4s route,
which Metarank's ``ErrorAction`` middleware logs and its Ember server answers with ``500`` and an empty
body. retrievo answers the same and logs the reason (Metarank's wording where it has one, e.g.
``cross-encoder foo is not defined in config (defined: List(msmarco))``) on the ``retrievo.metarank``
logger, which prints to stderr. Unknown fields in the body are ignored, as circe's derived decoders
ignore them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from retrievo import xcontent
from retrievo.api.call import Call
from retrievo.api.types import RestResponse
from retrievo.errors import ApiError, error_reason
from retrievo.inference.services import RerankSettings

LOG = logging.getLogger("retrievo.metarank")


class MetarankFailure(Exception):
    """Why Metarank would answer 500 (logged, never sent: Metarank's 500 has an empty body)."""


def _failure_response(reason: str) -> RestResponse:
    LOG.error("Metarank inference request failed: %s", reason)
    return RestResponse(500, b"", {})


def _body(raw: Any) -> Mapping[str, Any]:
    """The JSON object sent (``post.as[...]``: anything else fails to decode)."""
    if isinstance(raw, (bytes, bytearray, str)):
        try:
            value = xcontent.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise MetarankFailure(f"Malformed message body: Invalid JSON ({e})") from None
    else:
        value = raw
    if not isinstance(value, Mapping):
        raise MetarankFailure("Invalid message body: Could not decode JSON: expected a JSON object")
    return value


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise MetarankFailure(f"Invalid message body: Could not decode JSON: {field}: expected a string")
    return value


def _list(body: Mapping[str, Any], field: str) -> list[Any]:
    value = body.get(field)
    if not isinstance(value, list):
        what = "missing required field" if value is None else "expected a JSON array"
        raise MetarankFailure(f"Invalid message body: Could not decode JSON: {field}: {what}")
    return value


def _defined(names: Mapping[str, str]) -> str:
    """Scala's ``Map.keys.toList`` as it prints: ``List(a, b)``."""
    return "List(" + ", ".join(names) + ")"


def java_floats(values: np.ndarray) -> list[float]:
    """float32 values as JSON numbers with the digits of Java's ``Float.toString``."""
    return [float(str(v)) for v in np.asarray(values, dtype=np.float32).ravel()]


def _cross_scores(call: Call, inference_id: str, pairs: list[tuple[str, str]]) -> np.ndarray:
    """Scores in input order: one rerank call per distinct query (cached by the registry)."""
    registry = call.catalog.inference
    endpoint = registry.get(inference_id)
    scores = np.zeros(len(pairs), dtype=np.float32)
    by_query: dict[str, list[int]] = {}
    for i, (query, _) in enumerate(pairs):
        by_query.setdefault(query, []).append(i)
    for query, rows in by_query.items():
        ranked = registry.rerank_with(endpoint, query, [pairs[i][1] for i in rows], RerankSettings())
        scores[rows] = np.asarray(ranked.scores, dtype=np.float32)
    return scores


def cross(call: Call) -> RestResponse | dict[str, Any]:
    """``POST /inference/cross/<name>``."""
    name = str(call.part("name"))
    try:
        body = _body(call.body)
        pairs = []
        for i, item in enumerate(_list(body, "input")):
            if not isinstance(item, Mapping):
                raise MetarankFailure(f"Invalid message body: Could not decode JSON: input[{i}]: expected an object")
            pairs.append(
                (_string(item.get("query"), f"input[{i}].query"), _string(item.get("text"), f"input[{i}].text"))
            )
        inference_id = call.catalog.metarank_cross.get(name)
        if inference_id is None:
            defined = _defined(call.catalog.metarank_cross)
            raise MetarankFailure(f"cross-encoder {name} is not defined in config (defined: {defined})")
        start = time.monotonic()
        scores = _cross_scores(call, inference_id, pairs) if pairs else np.zeros(0, dtype=np.float32)
        took = int((time.monotonic() - start) * 1000)
    except MetarankFailure as e:
        return _failure_response(str(e))
    except ApiError as e:
        return _failure_response(error_reason(e))
    return {"scores": java_floats(scores), "took": took}


def encoder(call: Call) -> RestResponse | dict[str, Any]:
    """``POST /inference/encoder/<name>``."""
    name = str(call.part("name"))
    try:
        body = _body(call.body)
        texts = [_string(t, f"texts[{i}]") for i, t in enumerate(_list(body, "texts"))]
        inference_id = call.catalog.metarank_encoders.get(name)
        if inference_id is None:
            defined = _defined(call.catalog.metarank_encoders)
            raise MetarankFailure(f"encoder {name} is not defined in config (defined: {defined})")
        if not texts:  # Metarank reads the first encoding's length: an empty batch fails there
            raise MetarankFailure("Index 0 out of bounds for length 0")
        start = time.monotonic()
        vectors = np.asarray(call.catalog.inference.embed(inference_id, texts), dtype=np.float32)
        took = int((time.monotonic() - start) * 1000)
    except MetarankFailure as e:
        return _failure_response(str(e))
    except ApiError as e:
        return _failure_response(error_reason(e))
    return {"embeddings": [java_floats(row) for row in vectors], "took": took}
