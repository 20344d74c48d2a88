"""Deploying and undeploying ML Commons models, and deploying them again after a restart.

A deployed model is an inference endpoint of a registry private to this object (the loaded weights are
shared with every other endpoint through the one model cache): ``TEXT_SIMILARITY`` models are ``rerank``
endpoints and ``TEXT_EMBEDDING`` models ``text_embedding`` endpoints of the ``sentence_transformers``
service. They are not listed by ``GET _inference``: their life is the model's (undeploy and delete end
it), and ML model ids are not valid inference ids.

On a restart on a data directory, a model that was deployed is deployed again as ML Commons'
``MLModelAutoReDeployer`` does while ``plugins.ml_commons.model_auto_redeploy.enable`` is true (its
default) and the model's ``auto_redeploy_retry_times`` is below ``model_auto_redeploy.lifetime_retry_times``
(default 3): the count goes up, a ``DEPLOY_MODEL`` task records the redeploy, and a success sets the count
back to 0. The endpoint is created at once but the weights load the first time anyone uses the model or
asks for it or for that task; a model that no longer loads is then ``DEPLOY_FAILED`` with the task
``FAILED`` (the count stays raised), and using it answers ML Commons' "not ready" error. Without
auto-redeploy, or past the retry limit, it comes back ``DEPLOY_FAILED``, as ML Commons' sync-up job
(``MLSyncUpCron``) marks a deployed model that no node runs. The model's files are not part of the data
directory: they load again from the hub id or path the model was registered with.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from retrievo.cluster_settings import ClusterSettings
from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceRegistry
from retrievo.inference.services.cross_encoder_model import CrossEncoderRerankModel
from retrievo.inference.services.sentence_transformer_model import SentenceTransformerEmbeddingModel

from . import ml_errors as errors
from .ml_documents import DEPLOYED_STATES, MlModel, now_millis
from .ml_predict import memory_used_percent
from .ml_records import MlRecords
from .ml_register import local_model_dir
from .pretrained import TEXT_SIMILARITY


class MlDeployments(MlRecords):
    """The records plus the models' inference endpoints: deploy, undeploy, redeploy after a restart."""

    def __init__(self, *, node_id: str | None = None, settings: ClusterSettings | None = None) -> None:
        super().__init__(node_id=node_id, settings=settings)
        self._inference = InferenceRegistry()
        self._endpoints = 0
        #: One deploy or undeploy of a model at a time (loading happens outside the registry lock).
        self._model_locks: dict[str, threading.RLock] = {}
        #: Models redeployed after a restart whose weights have not loaded yet: model id → (the
        #: redeploy task's id, the retry count to keep if loading fails).
        self._pending: dict[str, tuple[str, int]] = {}

    def _model(self, model_id: str) -> MlModel:
        model = self._models.get(model_id)
        if model is None:
            raise errors.model_not_found()
        return model

    def _model_lock(self, model_id: str) -> threading.RLock:
        with self._lock:
            return self._model_locks.setdefault(model_id, threading.RLock())

    # ------------------------------------------------------------------ deploy

    def deploy(self, model_id: str) -> dict[str, Any]:
        """``POST /_plugins/_ml/models/<model_id>/_deploy``: the deploy task, already finished; a model
        that cannot be loaded fails the task (``error`` per node) and is left ``DEPLOY_FAILED``."""
        if not self.settings.flag("local_model.enabled"):
            raise errors.status_exception(errors.LOCAL_MODEL_DISABLED, 400)
        with self._lock:
            self._model(model_id)
        with self._model_lock(model_id):
            self._settle(model_id)
            return self._deploy(model_id)

    def _deploy(self, model_id: str) -> dict[str, Any]:
        with self._lock:
            model = self._model(model_id)
            before = dict(vars(model))
            task = self._new_task("DEPLOY_MODEL", model.algorithm, is_async=True, model_id=model_id)
            already = model.state == "DEPLOYED" and model.endpoint_id is not None
            if not already:
                model.state = "DEPLOYING"
                model.version += 1
        endpoint_id: str | None = None
        failure: str | None = None
        if not already:
            try:
                self._check_memory()
                endpoint_id = self._start_endpoint(model, load=True)
            except ApiError as err:
                failure = error_reason(err)
        try:
            with self._changing():
                if failure is not None:
                    self._fail(task, json.dumps({self.node_id: failure}, separators=(",", ":")))
                    model.state = "DEPLOY_FAILED"
                    model.last_updated_time = now_millis()
                    model.version += 1
                    return {"task_id": task.task_id, "task_type": "DEPLOY_MODEL", "status": "CREATED"}
                if endpoint_id is not None:
                    if self._models.get(model_id) is not model:  # deleted meanwhile: nothing to keep
                        self._inference.delete(endpoint_id)
                        endpoint_id = None
                    else:
                        self._deployed_now(model, endpoint_id)
                self._complete(task)
        except BaseException:
            # not saved: the model is as it was and the task never happened
            if endpoint_id is not None:
                self._inference.delete(endpoint_id)
            with self._lock:
                self._tasks.pop(task.task_id, None)
                if self._models.get(model_id) is model:
                    vars(model).update(before)
            raise
        return {"task_id": task.task_id, "task_type": "DEPLOY_MODEL", "status": "CREATED"}

    def _deployed_now(self, model: MlModel, endpoint_id: str) -> None:
        now = now_millis()
        model.endpoint_id = endpoint_id
        model.state = "DEPLOYED"
        model.worker_nodes = [self.node_id]
        model.last_deployed_time = now
        model.last_updated_time = now
        model.auto_redeploy_retry_times = 0  # TransportForwardAction clears it after a deploy succeeds
        model.version += 1

    def _start_endpoint(self, model: MlModel, *, load: bool) -> str:
        """Create the model's private inference endpoint; with ``load``, load its weights now."""
        if model.url is not None and not os.path.isdir(model.source):
            model.source = local_model_dir(model.url)  # a zip unpacked by an earlier process
        with self._lock:
            self._endpoints += 1
            endpoint_id = f"ml-model-{self._endpoints}"
        task_type = "rerank" if model.algorithm == TEXT_SIMILARITY else "text_embedding"
        config = {
            "service": "sentence_transformers",
            "service_settings": {"model_id": model.source, **model.service_settings},
        }
        self._inference.put(endpoint_id, config, task_type)
        if load:
            self._load(endpoint_id)
        return endpoint_id

    def _load(self, endpoint_id: str) -> None:
        """Load an endpoint's weights (deploying is loading); a failure removes the endpoint."""
        try:
            loaded = self._inference.get(endpoint_id).model
            if isinstance(loaded, (CrossEncoderRerankModel, SentenceTransformerEmbeddingModel)):
                loaded.encoder.model()
        except BaseException:
            self._inference.delete(endpoint_id)
            raise

    def undeploy(self, model_id: str) -> dict[str, Any]:
        """``POST /_plugins/_ml/models/<model_id>/_undeploy``: per node, each model's undeploy status."""
        with self._lock:
            self._model(model_id)
        with self._model_lock(model_id):
            with self._lock:
                self._pending.pop(model_id, None)  # a redeploy not loaded yet: nothing to load now
            return self._undeploy(model_id)

    def deployed_model_ids(self) -> list[str]:
        """The models deployed now (``POST /_plugins/_ml/models/_undeploy`` without ids undeploys them)."""
        with self._lock:
            return [m.model_id for m in self._models.values() if m.endpoint_id is not None]

    def _undeploy(self, model_id: str) -> dict[str, Any]:
        with self._changing():
            model = self._model(model_id)
            endpoint_id = model.endpoint_id
            if endpoint_id is None:
                return {self.node_id: {"stats": {model_id: "not_found"}}}
            now = now_millis()
            model.endpoint_id = None
            model.state = "UNDEPLOYED"
            model.worker_nodes = []
            model.last_undeployed_time = now
            model.last_updated_time = now
            model.version += 1
        self._inference.delete(endpoint_id)
        return {self.node_id: {"stats": {model_id: "UNDEPLOYED"}}}

    # ------------------------------------------------------------------ restart

    def restore(self, state: Mapping[str, Any]) -> bool:
        """Everything a data directory saved (see :meth:`state`); models that were deployed are redeployed
        or marked failed as the module docstring says. Whether that changed what was saved."""
        self._load_state(state)
        changed = False
        with self._lock:
            for model in self._models.values():
                if model.state in DEPLOYED_STATES:
                    self._redeploy(model)
                    changed = True
        return changed

    def _redeploy(self, model: MlModel) -> None:
        """``MLModelAutoReDeployer.triggerModelRedeploy`` for one model after a restart (or the sync-up
        job's ``DEPLOY_FAILED`` when it is off or the model used up its retries)."""
        model.worker_nodes = []
        limit = self.settings.number("model_auto_redeploy.lifetime_retry_times")
        if self.settings.flag("model_auto_redeploy.enable") and model.auto_redeploy_retry_times < limit:
            model.auto_redeploy_retry_times += 1
            model.version += 1
            if self.settings.flag("local_model.enabled"):
                task = self._new_task("DEPLOY_MODEL", model.algorithm, is_async=True, model_id=model.model_id)
                try:
                    endpoint_id = self._start_endpoint(model, load=False)
                except ApiError as err:
                    self._fail(task, json.dumps({self.node_id: error_reason(err)}, separators=(",", ":")))
                else:
                    retries = model.auto_redeploy_retry_times
                    self._deployed_now(model, endpoint_id)
                    self._complete(task)
                    self._pending[model.model_id] = (task.task_id, retries)
                    return
        model.state = "DEPLOY_FAILED"
        model.last_updated_time = now_millis()
        model.version += 1

    def _settle(self, model_id: str) -> None:
        """Load a redeployed model's weights if they have not loaded yet; if they cannot load, the model
        is ``DEPLOY_FAILED`` and its redeploy task ``FAILED``, as a failed redeploy leaves them."""
        with self._lock:
            if model_id not in self._pending:
                return
        with self._model_lock(model_id):
            with self._lock:
                pending = self._pending.get(model_id)
                model = self._models.get(model_id)
                endpoint_id = None if model is None else model.endpoint_id
            if pending is None:
                return
            failure: str | None = None
            if endpoint_id is not None:
                try:
                    self._load(endpoint_id)
                except Exception as err:  # noqa: BLE001 - any load failure is the redeploy's failure
                    failure = error_reason(err) if isinstance(err, ApiError) else f"{type(err).__name__}: {err}"
            with self._lock:
                del self._pending[model_id]
                if failure is None or model is None or model.endpoint_id != endpoint_id:
                    return
                task = self._tasks.get(pending[0])
                if task is not None:
                    self._fail(task, json.dumps({self.node_id: failure}, separators=(",", ":")))
                model.endpoint_id = None
                model.state = "DEPLOY_FAILED"
                model.worker_nodes = []
                model.auto_redeploy_retry_times = pending[1]
                model.last_updated_time = now_millis()
                model.version += 1
                # a fact about the model rather than a request: it stands even if it cannot be saved
                self._publish()

    # ------------------------------------------------------------------ predict

    def _deployed(self, model_id: str) -> tuple[MlModel, str]:
        self._settle(model_id)
        with self._lock:
            model = self._model(model_id)
            if not self.settings.flag("local_model.enabled"):
                raise errors.status_exception(errors.LOCAL_MODEL_DISABLED, 400)
            if model.endpoint_id is None:
                raise errors.illegal_argument(errors.MODEL_NOT_READY)
            return model, model.endpoint_id

    def _check_memory(self) -> None:
        """ML Commons' native memory circuit breaker (``plugins.ml_commons.native_memory_threshold``)."""
        used = memory_used_percent()
        if used is not None and used > self.settings.number("native_memory_threshold"):
            raise errors.circuit_breaking(errors.NATIVE_MEMORY_BREAKER_OPEN)
