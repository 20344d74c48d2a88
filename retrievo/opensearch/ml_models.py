"""OpenSearch ML Commons' local models: model groups, models and their tasks, on retrievo's inference.

ML Commons registers and deploys models asynchronously: ``_register`` and ``_deploy`` answer at once with
a task id whose state a client polls (``GET /_plugins/_ml/tasks/<task_id>``) until it is ``COMPLETED``
(or ``FAILED``, with an ``error``). retrievo finishes the work before answering, so the first poll already
sees the final state; the answers and the tasks keep ML Commons' shapes, so scripts written for
OpenSearch run unchanged. What is checked while the request is parsed is an error response (400); what
ML Commons checks on the worker node (the pretrained model list, the model group, loading the model)
fails the task instead, with ML Commons' message in its ``error``.

A deployed model is an inference endpoint of a registry private to this object (the loaded weights are
shared with every other endpoint through the one model cache): ``TEXT_SIMILARITY`` models are ``rerank``
endpoints and ``TEXT_EMBEDDING`` models ``text_embedding`` endpoints of the ``sentence_transformers``
service. They are not listed by ``GET _inference``: their life is the model's (undeploy and delete end
it), and ML model ids are not valid inference ids. Cross-encoder scores are the model's raw logits, as
ML Commons' ``TextSimilarityTranslator`` returns the traced model's output unchanged.

Nothing here is persisted to a data directory: like a restarted OpenSearch node without auto-redeploy,
a restarted ``retrievo serve`` starts without models.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
import threading
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from retrievo.errors import ApiError, error_reason, not_supported, parsing_error
from retrievo.inference import InferenceRegistry
from retrievo.inference.services.cross_encoder_model import CrossEncoderRerankModel
from retrievo.inference.services.sentence_transformer_model import SentenceTransformerEmbeddingModel
from retrievo.java_text import java_float_str

from . import ml_errors as errors
from .ids import TimeBasedIds, random_node_id
from .ml_settings import MlCommonsSettings
from .pretrained import (
    NOT_IN_PRETRAINED_LIST,
    SPARSE_ENCODING,
    SPARSE_TOKENIZE,
    TEXT_EMBEDDING,
    TEXT_SIMILARITY,
    find_pretrained,
)

#: ML Commons' system indices (named in delete responses).
MODEL_INDEX = ".plugins-ml-model"
MODEL_GROUP_INDEX = ".plugins-ml-model-group"
TASK_INDEX = ".plugins-ml-task"

#: ``FunctionName`` values ML Commons knows; retrievo runs the two local NLP ones.
FUNCTION_NAMES = frozenset(
    (
        "LINEAR_REGRESSION KMEANS AD_LIBSVM SAMPLE_ALGO LOCAL_SAMPLE_CALCULATOR FIT_RCF BATCH_RCF "
        "ANOMALY_LOCALIZATION RCF_SUMMARIZE LOGISTIC_REGRESSION TEXT_EMBEDDING METRICS_CORRELATION REMOTE "
        "SPARSE_ENCODING SPARSE_TOKENIZE TEXT_SIMILARITY QUESTION_ANSWERING AGENT CONNECTOR TOOL"
    ).split()
)
RUNNABLE = (TEXT_EMBEDDING, TEXT_SIMILARITY)
MODEL_FORMATS = ("ONNX", "TORCH_SCRIPT")
_DEPLOYED_STATES = ("DEPLOYED", "DEPLOYING", "PARTIALLY_DEPLOYED")
_ACCESS_FIELDS = ("access_mode", "backend_roles", "add_all_backend_roles")
#: Register body fields retrievo cannot honour (remote models, guardrails, rate limits ...).
_UNSUPPORTED_REGISTER_FIELDS = (
    "connector",
    "connector_id",
    "rate_limiter",
    "guardrails",
    "interface",
    "model_node_ids",
    "deploy_setting",
    "model_content_hash_value",
    "model_id",
    "is_hidden",
    "tenant_id",
)
#: ``model_config`` fields (``BaseModelConfig`` / ``TextEmbeddingModelConfig``).
_CONFIG_FIELDS = (
    "model_type",
    "all_config",
    "additional_config",
    "embedding_dimension",
    "framework_type",
    "pooling_mode",
    "normalize_result",
    "model_max_length",
    "query_prefix",
    "passage_prefix",
)
_FRAMEWORK_TYPES = ("HUGGINGFACE_TRANSFORMERS", "SENTENCE_TRANSFORMERS", "HUGGINGFACE_TRANSFORMERS_NEURON")
_POOLING_MODES = ("MEAN", "MEAN_SQRT_LEN", "MAX", "WEIGHTEDMEAN", "CLS", "LASTTOKEN", "NONE")


def _now() -> int:
    return int(time.time() * 1000)


def _text(name: str, value: Any) -> str | None:
    """``XContentParser.text()``: strings, numbers and booleans as text; objects and arrays refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise errors.illegal_argument(f"Can't get text on a {_token(value)} in [{name}]")


def _boolean(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise errors.illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


# ---------------------------------------------------------------------------- records


@dataclass
class MlTask:
    """One ``.plugins-ml-task`` document."""

    task_id: str
    task_type: str
    function_name: str
    state: str
    worker_node: list[str]
    create_time: int
    last_update_time: int
    is_async: bool
    model_id: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``MLTask.toXContent`` of the stored document (which has no ``task_id``: it is the id)."""
        body: dict[str, Any] = {}
        if self.model_id is not None:
            body["model_id"] = self.model_id
        body["task_type"] = self.task_type
        body["function_name"] = self.function_name
        body["state"] = self.state
        body["worker_node"] = list(self.worker_node)
        body["create_time"] = self.create_time
        body["last_update_time"] = self.last_update_time
        if self.error is not None:
            body["error"] = self.error
        body["is_async"] = self.is_async
        return body


@dataclass
class MlModelGroup:
    """One ``.plugins-ml-model-group`` document."""

    group_id: str
    name: str
    description: str | None
    created_time: int
    last_updated_time: int
    latest_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``MLModelGroup.toXContent`` (security disabled: ``access`` is ``public``, no owner)."""
        body: dict[str, Any] = {"name": self.name, "latest_version": self.latest_version}
        if self.description is not None:
            body["description"] = self.description
        body["access"] = "public"
        body["created_time"] = self.created_time
        body["last_updated_time"] = self.last_updated_time
        return body


@dataclass
class MlModel:
    """One ``.plugins-ml-model`` document plus what retrievo runs for it."""

    model_id: str
    name: str
    group_id: str
    algorithm: str
    model_version: str
    model_format: str
    description: str | None
    model_config: dict[str, Any] | None
    #: The Hugging Face hub id or local directory the ``sentence_transformers`` service loads.
    source: str
    #: ``service_settings`` beyond ``model_id`` (``max_length``, ``dimensions``, ``normalize``).
    service_settings: dict[str, Any]
    created_time: int
    state: str = "REGISTERED"
    last_updated_time: int = 0
    last_registered_time: int = 0
    last_deployed_time: int | None = None
    last_undeployed_time: int | None = None
    worker_nodes: list[str] = field(default_factory=list)
    #: The private inference endpoint while deployed.
    endpoint_id: str | None = None
    #: Write count of the document (its ``_version``).
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        """``MLModel.toXContent`` of the stored document (no ``model_id``: it is the id)."""
        body: dict[str, Any] = {
            "name": self.name,
            "model_group_id": self.group_id,
            "algorithm": self.algorithm,
            "model_version": self.model_version,
        }
        if self.description is not None:
            body["description"] = self.description
        body["model_format"] = self.model_format
        body["model_state"] = self.state
        if self.model_config is not None:
            body["model_config"] = self.model_config
        body["created_time"] = self.created_time
        body["last_updated_time"] = self.last_updated_time
        body["last_registered_time"] = self.last_registered_time
        if self.last_deployed_time is not None:
            body["last_deployed_time"] = self.last_deployed_time
        if self.last_undeployed_time is not None:
            body["last_undeployed_time"] = self.last_undeployed_time
        if self.last_deployed_time is not None:
            body["auto_redeploy_retry_times"] = 0
            body["planning_worker_node_count"] = 1
            body["current_worker_node_count"] = len(self.worker_nodes)
            if self.worker_nodes:
                body["planning_worker_nodes"] = list(self.worker_nodes)
            body["deploy_to_all_nodes"] = True
        body["is_hidden"] = False
        return body


@dataclass(frozen=True)
class _RegisterRequest:
    """A register body as ``MLRegisterModelInput.parse`` reads it."""

    name: str
    function_name: str
    version: str | None
    model_format: str
    group_id: str | None
    description: str | None
    url: str | None
    model_config: dict[str, Any] | None


# ---------------------------------------------------------------------------- the registry


class MlModels:
    """Model groups, models and tasks of ``_plugins/_ml``; every method is thread-safe.

    Each public method takes a request's decoded parts and returns the response body ML Commons sends,
    or raises its error.
    """

    def __init__(self, *, node_id: str | None = None) -> None:
        self._lock = threading.RLock()
        self._ids = TimeBasedIds()
        self.node_id = node_id or random_node_id()
        self.settings = MlCommonsSettings()
        self._inference = InferenceRegistry()
        self._groups: dict[str, MlModelGroup] = {}
        self._models: dict[str, MlModel] = {}
        self._tasks: dict[str, MlTask] = {}
        self._seq_no = 0
        # whether each system index exists yet (some messages differ before the first document)
        self._group_index = False
        self._model_index = False
        self._endpoints = 0
        #: One deploy or undeploy of a model at a time (loading happens outside the registry lock).
        self._model_locks: dict[str, threading.Lock] = {}

    # ------------------------------------------------------------------ model groups

    def register_group(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /_plugins/_ml/model_groups/_register``."""
        name = _text("name", body.get("name"))
        if name is None:
            raise errors.illegal_argument("model group name must not be null")
        description = _text("description", body.get("description"))
        access_mode = body.get("access_mode")
        if access_mode is not None and access_mode not in ("public", "private", "restricted"):
            raise errors.illegal_argument("Wrong access value")
        if body.get("model_group_id") is not None:
            raise not_supported("[model_group_id] in a model group registration")
        if _access_control_requested(body):
            raise errors.illegal_argument(errors.ACCESS_CONTROL_DISABLED)
        with self._lock:
            self._check_unique_group_name(name)
            group = self._new_group(name, description)
        return {"model_group_id": group.group_id, "status": "CREATED"}

    def _check_unique_group_name(self, name: str) -> None:
        for group in self._groups.values():
            if group.name == name:
                raise errors.illegal_argument(
                    f"The name you provided is already being used by a model group with ID: {group.group_id}."
                )

    def _new_group(self, name: str, description: str | None) -> MlModelGroup:
        now = _now()
        group = MlModelGroup(self._ids.next_id(), name, description, now, now)
        self._groups[group.group_id] = group
        self._group_index = True
        self._seq_no += 1
        return group

    def get_group(self, group_id: str) -> dict[str, Any]:
        """``GET /_plugins/_ml/model_groups/<id>``."""
        with self._lock:
            if not self._group_index:
                raise errors.status_exception("Failed to find model group index", 404)
            group = self._groups.get(group_id)
            if group is None:
                raise errors.status_exception(
                    f"Failed to find model group with the provided model group id: {group_id}", 404
                )
            return group.to_dict()

    def delete_group(self, group_id: str) -> tuple[int, dict[str, Any]]:
        """``DELETE /_plugins/_ml/model_groups/<id>``: status and delete response."""
        with self._lock:
            if any(m.group_id == group_id for m in self._models.values()):
                raise errors.status_exception(errors.GROUP_HAS_MODELS, 409)
            if not self._group_index:
                raise errors.status_exception("Failed to find model group", 404)
            group = self._groups.pop(group_id, None)
            # the group document was created (version 1) and updated once per registered model version
            version = 1 if group is None else group.latest_version + 2
            return self._delete_response(MODEL_GROUP_INDEX, group_id, version, group is not None)

    def _delete_response(self, index: str, doc_id: str, version: int, found: bool) -> tuple[int, dict[str, Any]]:
        """A ``DeleteResponse`` of one of ML Commons' one-shard system indices (404 when not found)."""
        self._seq_no += 1
        body = {
            "_index": index,
            "_id": doc_id,
            "_version": version,
            "result": "deleted" if found else "not_found",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": self._seq_no,
            "_primary_term": 1,
        }
        return (200 if found else 404), body

    # ------------------------------------------------------------------ register

    def register(self, body: Mapping[str, Any], *, deploy: bool = False) -> dict[str, Any]:
        """``POST /_plugins/_ml/models/_register[?deploy=true]``: the register task, already finished."""
        request = self._parse_register(body)
        if not self.settings.flag("local_model.enabled"):
            raise errors.status_exception(errors.LOCAL_MODEL_DISABLED, 400)
        if request.url is not None:
            if not self.settings.flag("allow_registering_model_via_url"):
                raise errors.illegal_argument(errors.URL_NOT_ALLOWED)
            if re.search(self.settings.text("trusted_url_regex"), _as_url(request.url)) is None:
                raise errors.illegal_argument(errors.URL_NOT_TRUSTED)
            _refuse_remote(request.url)
        listed = _pretrained_function(request) if request.url is None else None
        for function in (request.function_name, listed):
            if function in (SPARSE_ENCODING, SPARSE_TOKENIZE):
                raise not_supported(f"[{function}] models", "neural sparse models have no local implementation")
        if request.function_name not in RUNNABLE:
            raise not_supported(
                f"[function_name] [{request.function_name}]",
                f"retrievo runs [{TEXT_EMBEDDING}] and [{TEXT_SIMILARITY}] models",
            )
        with self._lock:
            group_id = request.group_id
            if not group_id:
                # ML Commons reuses a group named after the model, or creates one
                existing = next((g for g in self._groups.values() if g.name == request.name), None)
                group_id = (existing or self._new_group(request.name, request.description)).group_id
            task = self._new_task("REGISTER_MODEL", request.function_name, is_async=True)
        try:
            self._check_memory()
            model = self._register(request, group_id, task)
        except ApiError as err:
            self._fail(task, error_reason(err))
            return {"task_id": task.task_id, "status": "CREATED"}
        if deploy:
            self.deploy(model.model_id)
        return {"task_id": task.task_id, "status": "CREATED"}

    def _parse_register(self, body: Mapping[str, Any]) -> _RegisterRequest:
        for unsupported in _UNSUPPORTED_REGISTER_FIELDS:
            if body.get(unsupported) is not None:
                raise not_supported(f"[{unsupported}] in a model registration")
        if _access_control_requested(body):
            raise errors.illegal_argument(errors.ACCESS_CONTROL_DISABLED)
        function = _text("function_name", body.get("function_name"))
        function_name = function.upper() if function is not None else TEXT_EMBEDDING
        if function_name not in FUNCTION_NAMES:
            raise errors.illegal_argument("Wrong function name")
        fmt = _text("model_format", body.get("model_format"))
        if fmt is not None and fmt.upper() not in MODEL_FORMATS:
            raise errors.illegal_argument("Wrong model format")
        config = body.get("model_config")
        model_config = _parse_model_config(config, function_name) if config is not None else None
        name = _text("name", body.get("name"))
        url = _text("url", body.get("url"))
        if name is None:
            raise errors.illegal_argument("model name is null")
        if function_name != "REMOTE":
            if fmt is None:
                raise errors.illegal_argument("model format is null")
            if url is not None and model_config is None and function_name not in (SPARSE_ENCODING, SPARSE_TOKENIZE):
                raise errors.illegal_argument("model config is null")
        return _RegisterRequest(
            name,
            function_name,
            _text("version", body.get("version")),
            (fmt or "").upper(),
            _text("model_group_id", body.get("model_group_id")),
            _text("description", body.get("description")),
            url,
            model_config,
        )

    def _register(self, request: _RegisterRequest, group_id: str, task: MlTask) -> MlModel:
        """``MLModelManager.registerMLModel`` on the worker node: bump the group's version, then store
        the model (pretrained: checked against the list; ``url``: checked to hold a model)."""
        with self._lock:
            group = self._groups.get(group_id)
            if group is None:
                raise errors.status_exception(
                    "Model group not found" if self._group_index else "Failed to get model group", 404
                )
            group.latest_version += 1
            group.last_updated_time = _now()
            version = str(group.latest_version)
        function_name = request.function_name
        settings: dict[str, Any] = {}
        model_config = request.model_config
        if request.url is None:
            pretrained = find_pretrained(request.name, request.version, request.model_format)
            if pretrained is None:
                raise errors.illegal_argument(NOT_IN_PRETRAINED_LIST)
            assert pretrained.hub_id is not None
            function_name = pretrained.function_name
            with self._lock:
                task.function_name = function_name
            source = pretrained.hub_id
            if pretrained.dimension is not None:
                model_config = {"embedding_dimension": pretrained.dimension, "framework_type": "SENTENCE_TRANSFORMERS"}
                settings["dimensions"] = pretrained.dimension
        else:
            source = _local_model_dir(request.url)
            settings.update(_settings_from_config(function_name, model_config or {}))
        now = _now()
        model = MlModel(
            model_id=self._ids.next_id(),
            name=request.name,
            group_id=group_id,
            algorithm=function_name,
            model_version=version,
            model_format=request.model_format,
            description=request.description,
            model_config=model_config,
            source=source,
            service_settings=settings,
            created_time=now,
            last_updated_time=now,
            last_registered_time=now,
            version=3,  # indexed REGISTERING, then the chunk count, then REGISTERED
        )
        with self._lock:
            self._models[model.model_id] = model
            self._model_index = True
            self._seq_no += 3
            task.model_id = model.model_id
            task.state = "COMPLETED"
            task.last_update_time = _now()
        return model

    # ------------------------------------------------------------------ tasks

    def _new_task(self, task_type: str, function_name: str, *, is_async: bool, model_id: str | None = None) -> MlTask:
        now = _now()
        task = MlTask(
            self._ids.next_id(), task_type, function_name, "CREATED", [self.node_id], now, now, is_async, model_id
        )
        with self._lock:
            self._tasks[task.task_id] = task
            self._seq_no += 1
        return task

    def _fail(self, task: MlTask, error: str) -> None:
        with self._lock:
            task.state = "FAILED"
            task.error = error
            task.last_update_time = _now()

    def get_task(self, task_id: str) -> dict[str, Any]:
        """``GET /_plugins/_ml/tasks/<task_id>``."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise errors.task_not_found()
            return task.to_dict()

    def delete_task(self, task_id: str) -> tuple[int, dict[str, Any]]:
        """``DELETE /_plugins/_ml/tasks/<task_id>`` (every task here has finished)."""
        with self._lock:
            if self._tasks.pop(task_id, None) is None:
                raise errors.task_not_found()
            return self._delete_response(TASK_INDEX, task_id, 3, True)

    # ------------------------------------------------------------------ models

    def _model(self, model_id: str) -> MlModel:
        model = self._models.get(model_id)
        if model is None:
            raise errors.model_not_found()
        return model

    def get_model(self, model_id: str) -> dict[str, Any]:
        """``GET /_plugins/_ml/models/<model_id>``."""
        with self._lock:
            if not self._model_index:
                raise errors.status_exception("Fail to find model", 404)
            model = self._models.get(model_id)
            if model is None:
                raise errors.model_not_found_by_id(model_id)
            return model.to_dict()

    def delete_model(self, model_id: str) -> dict[str, Any]:
        """``DELETE /_plugins/_ml/models/<model_id>`` (a deployed model must be undeployed first)."""
        with self._lock:
            model = self._model(model_id)
            if model.state in _DEPLOYED_STATES:
                raise errors.status_exception(errors.DELETE_DEPLOYED, 400)
            del self._models[model_id]
            self._model_locks.pop(model_id, None)
            return self._delete_response(MODEL_INDEX, model_id, model.version + 1, True)[1]

    def _model_lock(self, model_id: str) -> threading.Lock:
        with self._lock:
            return self._model_locks.setdefault(model_id, threading.Lock())

    def deploy(self, model_id: str) -> dict[str, Any]:
        """``POST /_plugins/_ml/models/<model_id>/_deploy``: the deploy task, already finished; a model
        that cannot be loaded fails the task (``error`` per node) and is left ``DEPLOY_FAILED``."""
        if not self.settings.flag("local_model.enabled"):
            raise errors.status_exception(errors.LOCAL_MODEL_DISABLED, 400)
        with self._lock:
            self._model(model_id)
        with self._model_lock(model_id):
            return self._deploy(model_id)

    def _deploy(self, model_id: str) -> dict[str, Any]:
        with self._lock:
            model = self._model(model_id)
            task = self._new_task("DEPLOY_MODEL", model.algorithm, is_async=True, model_id=model_id)
            already = model.state == "DEPLOYED" and model.endpoint_id is not None
            if not already:
                model.state = "DEPLOYING"
                model.version += 1
        if not already:
            try:
                self._check_memory()
                endpoint_id = self._start_endpoint(model)
            except ApiError as err:
                self._fail(task, json.dumps({self.node_id: error_reason(err)}, separators=(",", ":")))
                with self._lock:
                    model.state = "DEPLOY_FAILED"
                    model.last_updated_time = _now()
                    model.version += 1
                return {"task_id": task.task_id, "task_type": "DEPLOY_MODEL", "status": "CREATED"}
            with self._lock:
                if self._models.get(model_id) is not model:  # deleted meanwhile: nothing to keep
                    self._inference.delete(endpoint_id)
                else:
                    now = _now()
                    model.endpoint_id = endpoint_id
                    model.state = "DEPLOYED"
                    model.worker_nodes = [self.node_id]
                    model.last_deployed_time = now
                    model.last_updated_time = now
                    model.version += 1
        with self._lock:
            task.state = "COMPLETED"
            task.last_update_time = _now()
        return {"task_id": task.task_id, "task_type": "DEPLOY_MODEL", "status": "CREATED"}

    def _start_endpoint(self, model: MlModel) -> str:
        """Create the model's private inference endpoint and load its weights now (deploying is loading)."""
        with self._lock:
            self._endpoints += 1
            endpoint_id = f"ml-model-{self._endpoints}"
        task_type = "rerank" if model.algorithm == TEXT_SIMILARITY else "text_embedding"
        config = {
            "service": "sentence_transformers",
            "service_settings": {"model_id": model.source, **model.service_settings},
        }
        endpoint = self._inference.put(endpoint_id, config, task_type)
        try:
            loaded = endpoint.model
            if isinstance(loaded, (CrossEncoderRerankModel, SentenceTransformerEmbeddingModel)):
                loaded.encoder.model()
        except BaseException:
            self._inference.delete(endpoint_id)
            raise
        return endpoint_id

    def undeploy(self, model_id: str) -> dict[str, Any]:
        """``POST /_plugins/_ml/models/<model_id>/_undeploy``: per node, each model's undeploy status."""
        with self._lock:
            self._model(model_id)
        with self._model_lock(model_id):
            return self._undeploy(model_id)

    def deployed_model_ids(self) -> list[str]:
        """The models deployed now (``POST /_plugins/_ml/models/_undeploy`` without ids undeploys them)."""
        with self._lock:
            return [m.model_id for m in self._models.values() if m.endpoint_id is not None]

    def _undeploy(self, model_id: str) -> dict[str, Any]:
        with self._lock:
            model = self._model(model_id)
            endpoint_id = model.endpoint_id
            if endpoint_id is None:
                return {self.node_id: {"stats": {model_id: "not_found"}}}
            now = _now()
            model.endpoint_id = None
            model.state = "UNDEPLOYED"
            model.worker_nodes = []
            model.last_undeployed_time = now
            model.last_updated_time = now
            model.version += 1
        self._inference.delete(endpoint_id)
        return {self.node_id: {"stats": {model_id: "UNDEPLOYED"}}}

    # ------------------------------------------------------------------ predict

    def _deployed(self, model_id: str) -> tuple[MlModel, str]:
        with self._lock:
            model = self._model(model_id)
            if not self.settings.flag("local_model.enabled"):
                raise errors.status_exception(errors.LOCAL_MODEL_DISABLED, 400)
            if model.endpoint_id is None:
                raise errors.illegal_argument(errors.MODEL_NOT_READY)
            return model, model.endpoint_id

    def rerank_scores(self, model_id: str, query: str, texts: Sequence[str]) -> np.ndarray:
        """Raw float32 scores of ``texts`` against ``query`` from a deployed ``TEXT_SIMILARITY`` model, in
        input order: what the ``rerank`` search response processor (``ml_opensearch``) asks the model.
        ML Commons' errors for a model that does not exist (404) or is not deployed (400)."""
        model, endpoint_id = self._deployed(model_id)
        if model.algorithm != TEXT_SIMILARITY:
            raise not_supported(f"reranking with a [{model.algorithm}] model", f"use a [{TEXT_SIMILARITY}] model")
        self._check_memory()
        if not texts:
            return np.zeros(0, dtype=np.float32)
        if query == "":
            # the _inference registry refuses an empty query as Elasticsearch does; ML Commons scores it
            loaded = self._inference.get(endpoint_id).model
            assert isinstance(loaded, CrossEncoderRerankModel)
            return np.asarray(loaded.encoder.predict(query, list(texts)), dtype=np.float32)
        return np.asarray(self._inference.rerank_scores(endpoint_id, query, list(texts)), dtype=np.float32)

    def embeddings(self, model_id: str, texts: Sequence[str]) -> np.ndarray:
        """Float32 ``(len(texts), dims)`` sentence embeddings from a deployed ``TEXT_EMBEDDING`` model."""
        model, endpoint_id = self._deployed(model_id)
        if model.algorithm != TEXT_EMBEDDING:
            raise not_supported(f"embedding with a [{model.algorithm}] model", f"use a [{TEXT_EMBEDDING}] model")
        self._check_memory()
        return self._inference.embed(endpoint_id, list(texts))

    def function_name(self, model_id: str) -> str:
        """The model's ``algorithm`` (its ``FunctionName``), or ML Commons' 404."""
        with self._lock:
            return self._model(model_id).algorithm

    def predict(self, model_id: str, body: Mapping[str, Any], algorithm: str | None = None) -> dict[str, Any]:
        """``POST /_plugins/_ml/models/<model_id>/_predict`` and ``/_plugins/_ml/_predict/<algorithm>/<model_id>``."""
        function_name = self.function_name(model_id)
        if algorithm is not None:
            wanted = algorithm.upper()
            if wanted not in FUNCTION_NAMES:
                raise errors.illegal_argument("Wrong function name")
            if wanted != function_name:
                raise not_supported(f"predicting with a [{function_name}] model as [{wanted}]")
        if function_name == TEXT_SIMILARITY:
            query, docs = _parse_text_similarity(body)
            scores = self.rerank_scores(model_id, query, docs)
            return {"inference_results": [{"output": [_tensor("similarity", [float(s)], [1], True)]} for s in scores]}
        docs, wanted_outputs, return_number, return_bytes = _parse_text_docs(body)
        vectors = self.embeddings(model_id, docs)
        results = []
        for vector in vectors:
            outputs = []
            if not wanted_outputs or "sentence_embedding" in wanted_outputs:
                tensor = _tensor("sentence_embedding", [float(v) for v in vector], [len(vector)], return_bytes)
                if not return_number:
                    tensor.pop("data")
                outputs.append(tensor)
            results.append({"output": outputs} if outputs else {})  # ModelTensors omits an empty list
        return {"inference_results": results}

    def _check_memory(self) -> None:
        """ML Commons' native memory circuit breaker (``plugins.ml_commons.native_memory_threshold``)."""
        used = _memory_used_percent()
        if used is not None and used > self.settings.number("native_memory_threshold"):
            raise errors.circuit_breaking(errors.NATIVE_MEMORY_BREAKER_OPEN)


# ---------------------------------------------------------------------------- helpers


def _access_control_requested(body: Mapping[str, Any]) -> bool:
    """Model access control fields (an empty ``backend_roles`` list asks for nothing)."""
    return (
        body.get("access_mode") is not None
        or body.get("add_all_backend_roles") is not None
        or bool(body.get("backend_roles"))
    )


def _token(value: Any) -> str:
    """The XContent token a JSON value starts with (for parser messages)."""
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    if isinstance(value, str):
        return "VALUE_STRING"
    return "START_OBJECT" if isinstance(value, Mapping) else "START_ARRAY"


def _pretrained_function(request: _RegisterRequest) -> str | None:
    pretrained = find_pretrained(request.name, request.version, request.model_format)
    return pretrained.function_name if pretrained is not None else None


def _tensor(name: str, data: list[float], shape: list[int], with_bytes: bool) -> dict[str, Any]:
    """A ``ModelTensor`` of FLOAT32 values: numbers printed as Java prints a float, and (unless filtered
    out) the little-endian bytes, base64 encoded as Jackson writes a ``byte[]``."""
    values = np.asarray(data, dtype=np.float32)
    tensor: dict[str, Any] = {
        "name": name,
        "data_type": "FLOAT32",
        "shape": shape,
        "data": [float(java_float_str(v)) for v in values],
    }
    if with_bytes:
        raw = values.astype("<f4").tobytes()
        tensor["byte_buffer"] = {"array": base64.b64encode(raw).decode("ascii"), "order": "LITTLE_ENDIAN"}
    return tensor


def _string_list(name: str, value: Any, *, nulls: bool = False) -> list[str]:
    if not isinstance(value, list):
        # XContentParserUtils.ensureExpectedToken
        raise parsing_error(
            f"Failed to parse object: expecting token of type [START_ARRAY] but found [{_token(value)}]"
        )
    out = []
    for item in value:
        if item is None and nulls:
            raise not_supported(f"null entries in [{name}]")
        text = _text(name, item)
        if text is None:
            raise errors.illegal_argument(f"Can't get text on a VALUE_NULL in [{name}]")
        out.append(text)
    return out


def _parse_text_similarity(body: Mapping[str, Any]) -> tuple[str, list[str]]:
    """``TextSimilarityMLInput``: ``query_text`` and ``text_docs`` (other fields are skipped, as there)."""
    docs = _string_list("text_docs", body["text_docs"]) if body.get("text_docs") is not None else []
    if not docs:
        raise errors.illegal_argument("No text documents were provided")
    query = _text("query_text", body.get("query_text"))
    if query is None:
        raise errors.illegal_argument("No query text was provided")
    return query, docs


def _parse_text_docs(body: Mapping[str, Any]) -> tuple[list[str], list[str], bool, bool]:
    """``TextDocsMLInput``: ``text_docs`` and the result filter (``return_number``, ``return_bytes``,
    ``target_response``)."""
    for unsupported in ("parameters", "result_filter", "target_response_positions"):
        if body.get(unsupported) is not None:
            raise not_supported(f"[{unsupported}] in a text embedding prediction")
    docs = _string_list("text_docs", body["text_docs"], nulls=True) if body.get("text_docs") is not None else []
    if not docs:
        raise errors.illegal_argument("Empty text docs")
    targets = _string_list("target_response", body["target_response"]) if body.get("target_response") else []
    return_number = _boolean("return_number", body.get("return_number"))
    return_bytes = _boolean("return_bytes", body.get("return_bytes"))
    return docs, targets, True if return_number is None else return_number, bool(return_bytes)


def _parse_model_config(config: Any, function_name: str) -> dict[str, Any]:
    """``TextEmbeddingModelConfig`` / ``BaseModelConfig``: the object as given, enumerations checked."""
    if not isinstance(config, Mapping):
        raise parsing_error(
            f"Failed to parse object: expecting token of type [START_OBJECT] but found [{_token(config)}]"
        )
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key not in _CONFIG_FIELDS:
            continue  # BaseModelConfig.parse skips unknown fields
        if key == "framework_type":
            text = _text(key, value) or ""
            if text.upper() not in _FRAMEWORK_TYPES:
                raise errors.illegal_argument("Wrong framework type")
            value = text.upper()
        elif key == "pooling_mode":
            text = _text(key, value) or ""
            if text.upper() not in _POOLING_MODES:
                raise errors.illegal_argument("Wrong pooling method")
            value = text.upper()
        out[key] = value
    if function_name == TEXT_EMBEDDING:
        if out.get("embedding_dimension") is None:
            raise errors.illegal_argument("embedding dimension is null")
        if out.get("framework_type") is None:
            raise errors.illegal_argument("framework type is null")
    return out


def _settings_from_config(function_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """What a custom model's ``model_config`` asks of the ``sentence_transformers`` service; fields that
    would change the model's output in ways a saved model cannot express are refused."""
    settings: dict[str, Any] = {}
    if function_name == TEXT_EMBEDDING:
        if config.get("framework_type") != "SENTENCE_TRANSFORMERS":
            raise not_supported(
                f"[framework_type] [{str(config.get('framework_type')).lower()}]",
                "retrievo runs a saved sentence-transformers model: use [sentence_transformers]",
            )
        for name in ("pooling_mode", "model_max_length", "query_prefix", "passage_prefix"):
            if config.get(name) is not None:
                raise not_supported(
                    f"[model_config.{name}]", "the saved sentence-transformers model defines its own pooling and length"
                )
        settings["dimensions"] = int(config["embedding_dimension"])
        if config.get("normalize_result") is not None:
            settings["normalize"] = bool(_boolean("normalize_result", config["normalize_result"]))
    else:
        for name in ("pooling_mode", "normalize_result", "query_prefix", "passage_prefix"):
            if config.get(name) is not None:
                raise not_supported(f"[model_config.{name}] for a [{function_name}] model")
        if config.get("model_max_length") is not None:
            settings["max_length"] = int(config["model_max_length"])
    return settings


def _as_url(url: str) -> str:
    """A bare local path as the ``file://`` URL the trusted-URL check sees."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        return url
    return Path(url).expanduser().resolve().as_uri()


#: Extracted model zips, by archive path and modification time (a zip is unpacked once per process).
_UNPACKED: dict[tuple[str, float], str] = {}
_UNPACK_LOCK = threading.Lock()


def _refuse_remote(url: str) -> None:
    """A model on the network cannot be fetched offline: refused before anything is registered."""
    if urlsplit(url).scheme.lower() in ("http", "https", "ftp"):
        raise not_supported(
            f"downloading a model from [{url}]",
            "retrievo runs offline: point [url] at a local directory or zip of a saved model (a path or a file:// URL)",
        )


def _local_model_dir(url: str) -> str:
    """The local directory a ``url`` names: a directory or a zip of a saved model, given as a path or a
    ``file://`` URL."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme in ("", None) or re.fullmatch(r"[a-zA-Z]", parts.scheme or ""):
        path = Path(url).expanduser()
    else:
        raise errors.illegal_argument(f"unknown protocol: {parts.scheme}")
    if path.is_dir():
        return str(path.resolve())
    if path.is_file() and zipfile.is_zipfile(path):
        return _unpack(path)
    raise errors.illegal_argument(f"Model file [{url}] does not exist or is not a directory or zip of a saved model")


def _unpack(archive: Path) -> str:
    key = (str(archive.resolve()), archive.stat().st_mtime)
    with _UNPACK_LOCK:
        target = _UNPACKED.get(key)
        if target is not None and os.path.isdir(target):
            return target
        target = tempfile.mkdtemp(prefix="retrievo-ml-model-")
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                resolved = Path(target, member).resolve()
                if not str(resolved).startswith(str(Path(target).resolve())):
                    raise errors.illegal_argument(f"Model zip [{archive}] has an entry outside the archive: {member}")
            zf.extractall(target)
        entries = [p for p in Path(target).iterdir() if not p.name.startswith(("__MACOSX", "."))]
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(target)
        _UNPACKED[key] = str(root)
        return str(root)


def _memory_used_percent() -> int | None:
    """Percent of memory in use (``MemTotal - MemAvailable``), rounded as ``OsStats`` rounds it."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = dict(line.split(":", 1) for line in f if ":" in line)
        total = int(info["MemTotal"].split()[0])
        available = int(info["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        return None
    if total <= 0:
        return None
    return round(100.0 * (total - available) / total)
