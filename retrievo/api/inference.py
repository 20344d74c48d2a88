"""The ``_inference`` API: ``inference.put/get/delete/inference/rerank/text_embedding``.

The endpoint logic (validation, the registry, services, caches, timeouts) lives in
:class:`retrievo.inference.InferenceClient`; these handlers map paths and parameters onto it.
"""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object
from retrievo.inference import InferenceClient
from retrievo.inference.task_types import ELASTICSEARCH_TASK_TYPES


def _client(call: Call) -> InferenceClient:
    return InferenceClient(call.catalog.inference)


def _timeout(call: Call) -> Any:
    value = call.param("timeout")
    p.time_value("timeout", value)
    return None if value is None else p.text(value)


def put(call: Call) -> dict[str, Any]:
    """``PUT /_inference/[{task_type}/]{inference_id}``."""
    body = body_object(call.body, "body")
    return _client(call).put(
        inference_id=str(call.part("inference_id")),
        body=body,
        task_type=call.part("task_type"),
        timeout=_timeout(call),
    )


def get(call: Call) -> dict[str, Any]:
    """``GET /_inference[/{task_type}][/{inference_id}]``; one path part is a task type when it names
    one (``GET _inference/rerank`` lists the rerank endpoints), else an endpoint id."""
    task_type, inference_id = call.part("task_type"), call.part("inference_id")
    if task_type is None and inference_id is not None and inference_id.lower() in ELASTICSEARCH_TASK_TYPES:
        task_type, inference_id = inference_id, None
    return _client(call).get(task_type=task_type, inference_id=inference_id)


def delete(call: Call) -> dict[str, Any]:
    """``DELETE /_inference/[{task_type}/]{inference_id}``."""
    return _client(call).delete(
        inference_id=str(call.part("inference_id")),
        task_type=call.part("task_type"),
        dry_run=p.as_bool("dry_run", call.param("dry_run")),
        force=p.as_bool("force", call.param("force")),
    )


def inference(call: Call) -> dict[str, Any]:
    """``POST /_inference/[{task_type}/]{inference_id}``: run the endpoint's task."""
    body = body_object(call.body, "body")
    return _client(call).inference(
        inference_id=str(call.part("inference_id")),
        task_type=call.part("task_type"),
        body=body or {"input": None},
        timeout=_timeout(call),
    )


def rerank(call: Call) -> dict[str, Any]:
    """``POST /_inference/rerank/{inference_id}``."""
    body = body_object(call.body, "body")
    return _client(call).rerank(
        inference_id=str(call.part("inference_id")), body=body or {"input": None}, timeout=_timeout(call)
    )


def text_embedding(call: Call) -> dict[str, Any]:
    """``POST /_inference/text_embedding/{inference_id}``."""
    body = body_object(call.body, "body")
    return _client(call).text_embedding(
        inference_id=str(call.part("inference_id")), body=body or {"input": None}, timeout=_timeout(call)
    )
