"""OpenSearch ML Commons' local models: registering, deploying and predicting, on retrievo's inference.

ML Commons registers and deploys models asynchronously: ``_register`` and ``_deploy`` answer at once with
a task id whose state a client polls (``GET /_plugins/_ml/tasks/<task_id>``) until it is ``COMPLETED``
(or ``FAILED``, with an ``error``). retrievo finishes the work before answering, so the first poll already
sees the final state; the answers and the tasks keep ML Commons' shapes, so scripts written for
OpenSearch run unchanged. What is checked while the request is parsed is an error response (400); what
ML Commons checks on the worker node (the pretrained model list, the model group, loading the model)
fails the task instead, with ML Commons' message in its ``error``.

Cross-encoder scores are the model's raw logits, as ML Commons' ``TextSimilarityTranslator`` returns the
traced model's output unchanged. The modules around this one: :mod:`.ml_documents` (the stored documents),
:mod:`.ml_records` (model groups, tasks, and saving to a data directory), :mod:`.ml_deployments`
(deploying, and redeploying after a restart), :mod:`.ml_register` (register bodies and model sources),
:mod:`.ml_predict` (predict bodies and outputs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from retrievo.errors import ApiError, error_reason, not_supported
from retrievo.inference.services.cross_encoder_model import CrossEncoderRerankModel

from . import ml_errors as errors
from .ml_deployments import MlDeployments
from .ml_documents import DEPLOYED_STATES, MODEL_INDEX, MlModel, MlTask, now_millis
from .ml_predict import embedding_output, parse_text_docs, parse_text_similarity, similarity_output
from .ml_register import (
    FUNCTION_NAMES,
    RUNNABLE,
    RegisterRequest,
    as_url,
    local_model_dir,
    parse_register,
    pretrained_function,
    refuse_remote,
    settings_from_config,
)
from .pretrained import (
    NOT_IN_PRETRAINED_LIST,
    SPARSE_ENCODING,
    SPARSE_TOKENIZE,
    TEXT_EMBEDDING,
    TEXT_SIMILARITY,
    find_pretrained,
)

__all__ = ["MlModels"]


class MlModels(MlDeployments):
    """Model groups, models and tasks of ``_plugins/_ml``; every method is thread-safe.

    Each public method takes a request's decoded parts and returns the response body ML Commons sends,
    or raises its error.
    """

    # ------------------------------------------------------------------ register

    def register(self, body: Mapping[str, Any], *, deploy: bool = False) -> dict[str, Any]:
        """``POST /_plugins/_ml/models/_register[?deploy=true]``: the register task, already finished."""
        request = parse_register(body)
        if not self.settings.flag("local_model.enabled"):
            raise errors.status_exception(errors.LOCAL_MODEL_DISABLED, 400)
        if request.url is not None:
            if not self.settings.flag("allow_registering_model_via_url"):
                raise errors.illegal_argument(errors.URL_NOT_ALLOWED)
            if re.search(self.settings.text("trusted_url_regex"), as_url(request.url)) is None:
                raise errors.illegal_argument(errors.URL_NOT_TRUSTED)
            refuse_remote(request.url)
        listed = pretrained_function(request) if request.url is None else None
        for function in (request.function_name, listed):
            if function in (SPARSE_ENCODING, SPARSE_TOKENIZE):
                raise not_supported(f"[{function}] models", "neural sparse models have no local implementation")
        if request.function_name not in RUNNABLE:
            raise not_supported(
                f"[function_name] [{request.function_name}]",
                f"retrievo runs [{TEXT_EMBEDDING}] and [{TEXT_SIMILARITY}] models",
            )
        model: MlModel | None = None
        with self._changing():
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
        if deploy and model is not None:
            self.deploy(model.model_id)
        return {"task_id": task.task_id, "status": "CREATED"}

    def _register(self, request: RegisterRequest, group_id: str, task: MlTask) -> MlModel:
        """``MLModelManager.registerMLModel`` on the worker node: bump the group's version, then store
        the model (pretrained: checked against the list; ``url``: checked to hold a model)."""
        group = self._groups.get(group_id)
        if group is None:
            raise errors.status_exception(
                "Model group not found" if self._group_index else "Failed to get model group", 404
            )
        group.latest_version += 1
        group.last_updated_time = now_millis()
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
            task.function_name = function_name
            source = pretrained.hub_id
            if pretrained.dimension is not None:
                model_config = {"embedding_dimension": pretrained.dimension, "framework_type": "SENTENCE_TRANSFORMERS"}
                settings["dimensions"] = pretrained.dimension
        else:
            source = local_model_dir(request.url)
            settings.update(settings_from_config(function_name, model_config or {}))
        now = now_millis()
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
            url=request.url,
        )
        self._models[model.model_id] = model
        self._model_index = True
        self._seq_no += 3
        task.model_id = model.model_id
        self._complete(task)
        return model

    # ------------------------------------------------------------------ tasks and models

    def get_task(self, task_id: str) -> dict[str, Any]:
        """``GET /_plugins/_ml/tasks/<task_id>``."""
        with self._lock:
            waiting = [model_id for model_id, (pending, _) in self._pending.items() if pending == task_id]
        for model_id in waiting:
            self._settle(model_id)
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise errors.task_not_found()
            return task.to_dict()

    def get_model(self, model_id: str) -> dict[str, Any]:
        """``GET /_plugins/_ml/models/<model_id>``."""
        self._settle(model_id)
        with self._lock:
            if not self._model_index:
                raise errors.status_exception("Fail to find model", 404)
            model = self._models.get(model_id)
            if model is None:
                raise errors.model_not_found_by_id(model_id)
            return model.to_dict()

    def delete_model(self, model_id: str) -> dict[str, Any]:
        """``DELETE /_plugins/_ml/models/<model_id>`` (a deployed model must be undeployed first)."""
        with self._changing():
            model = self._model(model_id)
            if model.state in DEPLOYED_STATES:
                raise errors.status_exception(errors.DELETE_DEPLOYED, 400)
            del self._models[model_id]
            self._model_locks.pop(model_id, None)
            return self._delete_response(MODEL_INDEX, model_id, model.version + 1, True)[1]

    # ------------------------------------------------------------------ predict

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
            query, docs = parse_text_similarity(body)
            return similarity_output([float(s) for s in self.rerank_scores(model_id, query, docs)])
        docs, wanted_outputs, return_number, return_bytes = parse_text_docs(body)
        return embedding_output(self.embeddings(model_id, docs), wanted_outputs, return_number, return_bytes)
