"""``InferenceClient``: the official ``elasticsearch`` client's ``client.inference`` namespace, locally.

Method names and keyword arguments follow ``elasticsearch._sync.client.inference.InferenceClient``
(9.x) so code written against a cluster runs unchanged; responses are the JSON bodies Elasticsearch
returns, as plain dicts. Argument mistakes the official client catches before sending a request
(an empty ``inference_id``, both ``body`` and a body parameter) raise the same ``ValueError``\\ s;
everything else raises the Elasticsearch-shaped :class:`retrievo.errors.ApiError` the server would
return.

``timeout`` (an Elasticsearch time value such as ``"30s"``) bounds how long a call may take: inference
runs in this process and cannot be abandoned half way, so a call that finishes later than its timeout
answers with Elasticsearch's 408 instead of a result. :meth:`InferenceClient.cache_stats` is a retrievo
extension (embedding and rerank cache counters).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from retrievo.errors import api_error, illegal_argument, validation_error, x_content_parse_error

from .errors import mismatched_task_type
from .registry import InferenceRegistry
from .task_types import InferenceRequest, known_task_type, parse_input_type

_ALL = ("_all", "*")
_TIME_UNITS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _timeout_seconds(timeout: Any) -> float | None:
    """An Elasticsearch time value (``"30s"``, ``"500ms"``, ``"1m"``) in seconds; None for no limit."""
    if timeout is None or timeout in ("-1", -1):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)\s*", str(timeout))
    if match is None:
        raise illegal_argument(
            f"failed to parse setting [timeout] with value [{timeout}] as a time value: unit is missing or unrecognized"
        )
    return float(match.group(1)) * _TIME_UNITS[match.group(2)]


def _within(timeout: Any, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    limit = _timeout_seconds(timeout)
    start = time.perf_counter()
    result = call()
    if limit is not None and time.perf_counter() - start > limit:
        raise api_error("status_exception", f"Request timed out after [{timeout}]", status=408)
    return result


_INFERENCE_BODY_FIELDS = ("input", "input_type", "query", "task_settings", "return_documents", "top_n")


def _require_id(value: Any, name: str) -> str:
    if value is None or value == "" or value == [] or value == ():
        raise ValueError(f"Empty value passed for parameter '{name}'")
    return str(value)


def _single_body(param: Any, body: Any, param_name: str) -> Mapping[str, Any]:
    if param is None and body is None:
        raise ValueError(f"Empty value passed for parameters '{param_name}' and 'body', one of them should be set.")
    if param is not None and body is not None:
        raise ValueError(f"Cannot set both '{param_name}' and 'body'")
    return param if param is not None else body


def _inputs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise illegal_argument("[input] must be a string or an array of strings")


class InferenceClient:
    """``engine.inference``: create, list, delete and call inference endpoints."""

    def __init__(self, registry: InferenceRegistry | None = None) -> None:
        self.registry = registry if registry is not None else InferenceRegistry()

    # ------------------------------------------------------------------ endpoint management

    def put(
        self,
        *,
        inference_id: str,
        inference_config: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        task_type: str | None = None,
        timeout: Any = None,
    ) -> dict[str, Any]:
        """``PUT _inference/[<task_type>/]<inference_id>``: create an endpoint; echoes its config."""
        inference_id = _require_id(inference_id, "inference_id")
        config = _single_body(inference_config, body, "inference_config")
        return _within(timeout, lambda: self.registry.put(inference_id, config, task_type).to_dict())

    def put_elasticsearch(
        self,
        *,
        task_type: str,
        elasticsearch_inference_id: str,
        service: str | None = None,
        service_settings: Mapping[str, Any] | None = None,
        chunking_settings: Mapping[str, Any] | None = None,
        task_settings: Mapping[str, Any] | None = None,
        timeout: Any = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``PUT _inference/<task_type>/<id>`` with the ``elasticsearch`` service's named parameters."""
        _require_id(task_type, "task_type")
        inference_id = _require_id(elasticsearch_inference_id, "elasticsearch_inference_id")
        if service is None and body is None:
            raise ValueError("Empty value passed for parameter 'service'")
        if service_settings is None and body is None:
            raise ValueError("Empty value passed for parameter 'service_settings'")
        config: dict[str, Any] = dict(body) if body is not None else {}
        if not config:
            for key, value in (
                ("service", service),
                ("service_settings", service_settings),
                ("chunking_settings", chunking_settings),
                ("task_settings", task_settings),
            ):
                if value is not None:
                    config[key] = value
        return _within(timeout, lambda: self.registry.put(inference_id, config, task_type).to_dict())

    def get(self, *, task_type: str | None = None, inference_id: str | None = None) -> dict[str, Any]:
        """``GET _inference[/<task_type>][/<inference_id>]``: ``{"endpoints": [...]}``."""
        wanted = known_task_type(task_type) if task_type not in (None, "") else None
        if inference_id in (None, "") or inference_id in _ALL:
            endpoints = self.registry.endpoints(wanted)
        else:
            endpoint = self.registry.get(inference_id)
            if wanted not in (None, "any", endpoint.task_type):
                raise mismatched_task_type(wanted, endpoint.task_type)
            endpoints = [endpoint]
        return {"endpoints": [e.to_dict() for e in endpoints]}

    def delete(
        self, *, inference_id: str, task_type: str | None = None, dry_run: bool | None = None, force: bool | None = None
    ) -> dict[str, Any]:
        """``DELETE _inference/[<task_type>/]<inference_id>``."""
        inference_id = _require_id(inference_id, "inference_id")
        wanted = known_task_type(task_type) if task_type not in (None, "") else None
        return self.registry.delete(inference_id, wanted, force=bool(force), dry_run=bool(dry_run))

    # ------------------------------------------------------------------ inference

    def inference(
        self,
        *,
        inference_id: str,
        input: str | Sequence[str] | None = None,
        task_type: str | None = None,
        input_type: str | None = None,
        query: str | None = None,
        task_settings: Mapping[str, Any] | None = None,
        timeout: Any = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``POST _inference/[<task_type>/]<inference_id>``: run the endpoint's task."""
        inference_id = _require_id(inference_id, "inference_id")
        if input is None and body is None:
            raise ValueError("Empty value passed for parameter 'input'")
        fields = self._request_fields(
            body, input=input, input_type=input_type, query=query, task_settings=task_settings
        )
        request = self._request(fields)
        wanted = task_type if task_type not in (None, "") else None
        return _within(timeout, lambda: self.registry.infer(inference_id, request, wanted))

    def text_embedding(
        self,
        *,
        inference_id: str,
        input: str | Sequence[str] | None = None,
        input_type: str | None = None,
        task_settings: Mapping[str, Any] | None = None,
        timeout: Any = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``POST _inference/text_embedding/<inference_id>``: ``{"text_embedding": [{"embedding": [...]}]}``."""
        inference_id = _require_id(inference_id, "inference_id")
        if input is None and body is None:
            raise ValueError("Empty value passed for parameter 'input'")
        fields = self._request_fields(body, input=input, input_type=input_type, task_settings=task_settings)
        return _within(timeout, lambda: self.registry.infer(inference_id, self._request(fields), "text_embedding"))

    def rerank(
        self,
        *,
        inference_id: str,
        input: str | Sequence[str] | None = None,
        query: str | None = None,
        return_documents: bool | None = None,
        task_settings: Mapping[str, Any] | None = None,
        timeout: Any = None,
        top_n: int | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``POST _inference/rerank/<inference_id>``:
        ``{"rerank": [{"index": i, "relevance_score": s, "text"?: ...}, ...]}``, best first."""
        inference_id = _require_id(inference_id, "inference_id")
        if input is None and body is None:
            raise ValueError("Empty value passed for parameter 'input'")
        if query is None and body is None:
            raise ValueError("Empty value passed for parameter 'query'")
        fields = self._request_fields(
            body, input=input, query=query, return_documents=return_documents, task_settings=task_settings, top_n=top_n
        )
        return _within(timeout, lambda: self.registry.infer(inference_id, self._request(fields), "rerank"))

    def cache_stats(self) -> dict[str, Any]:
        """retrievo extension: embedding cache hits, misses, model calls and sizes; rerank counters
        (model calls, pairs scored, tokens, cache hits and misses) under ``"rerank"``."""
        return self.registry.cache_stats()

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _request_fields(body: Mapping[str, Any] | None, **params: Any) -> dict[str, Any]:
        """The official client sends ``body`` as is when given, else the named parameters."""
        if body:
            if not isinstance(body, Mapping):
                raise illegal_argument("request body must be an object")
            for name in body:
                if name not in _INFERENCE_BODY_FIELDS:
                    raise x_content_parse_error(f"[inference_request] unknown field [{name}]")
            return dict(body)
        return {k: v for k, v in params.items() if v is not None}

    @staticmethod
    def _request(fields: Mapping[str, Any]) -> InferenceRequest:
        if fields.get("input") is None:
            raise validation_error("Field [input] cannot be null")
        task_settings = fields.get("task_settings") or {}
        if not isinstance(task_settings, Mapping):
            raise illegal_argument("[task_settings] must be an object")
        query, top_n, returns = fields.get("query"), fields.get("top_n"), fields.get("return_documents")
        if query is not None and not isinstance(query, str):
            raise x_content_parse_error(
                "[inference_request] failed to parse field [query]",
                {"type": "illegal_argument_exception", "reason": "only text queries are supported in retrievo"},
            )
        if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int)):
            raise x_content_parse_error("[inference_request] failed to parse field [top_n]")
        if returns is not None and not isinstance(returns, bool):
            raise x_content_parse_error("[inference_request] failed to parse field [return_documents]")
        return InferenceRequest(
            inputs=_inputs(fields["input"]),
            input_type=parse_input_type(fields.get("input_type")),
            query=query,
            task_settings=dict(task_settings),
            return_documents=returns,
            top_n=top_n,
        )
