"""ML Commons' stored documents: tasks, model groups and models, as OpenSearch prints them and as
retrievo keeps them in its data directory.

OpenSearch keeps these as documents of the system indices named below; ``to_dict`` is the document's
``toXContent`` (what ``GET`` answers), ``to_state``/``from_state`` the form the data directory's
manifest holds (see :mod:`retrievo.opensearch.ml_state`). A model's state records where its weights
come from (a Hugging Face hub id or a local directory, as registered), never the weights themselves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any

#: ML Commons' system indices (named in delete responses).
MODEL_INDEX = ".plugins-ml-model"
MODEL_GROUP_INDEX = ".plugins-ml-model-group"
TASK_INDEX = ".plugins-ml-task"

#: ``MLModelState`` values in which a model runs (or is starting to) on some node; ML Commons'
#: ``MLModelAutoReDeployer.queryRunningModels`` redeploys models in these states after a restart.
DEPLOYED_STATES = ("DEPLOYED", "DEPLOYING", "PARTIALLY_DEPLOYED")


def now_millis() -> int:
    return int(time.time() * 1000)


def _state_of(record: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(record):
        if f.name in skip:
            continue
        value = getattr(record, f.name)
        out[f.name] = list(value) if isinstance(value, list) else value
    return out


def _from_state(cls: Any, state: dict[str, Any], skip: tuple[str, ...] = ()) -> Any:
    """A record from its saved fields (a missing or unknown field is an error the caller reports)."""
    names = [f.name for f in fields(cls) if f.name not in skip]
    unknown = set(state) - set(names)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    return cls(**{name: state[name] for name in names if name in state})


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

    def to_state(self) -> dict[str, Any]:
        return _state_of(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MlTask:
        task: MlTask = _from_state(cls, state)
        return task


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

    def to_state(self) -> dict[str, Any]:
        return _state_of(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MlModelGroup:
        group: MlModelGroup = _from_state(cls, state)
        return group


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
    #: The private inference endpoint while deployed (not saved: a restart creates a new one).
    endpoint_id: str | None = None
    #: Write count of the document (its ``_version``).
    version: int = 1
    #: ``auto_redeploy_retry_times``: automatic redeploys tried since the last successful deploy.
    auto_redeploy_retry_times: int = 0
    #: The ``url`` a custom model was registered from (a zip is unpacked again after a restart).
    url: str | None = None

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
            body["auto_redeploy_retry_times"] = self.auto_redeploy_retry_times
            body["planning_worker_node_count"] = 1
            body["current_worker_node_count"] = len(self.worker_nodes)
            if self.worker_nodes:
                body["planning_worker_nodes"] = list(self.worker_nodes)
            body["deploy_to_all_nodes"] = True
        body["is_hidden"] = False
        return body

    def to_state(self) -> dict[str, Any]:
        return _state_of(self, skip=("endpoint_id",))

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MlModel:
        model: MlModel = _from_state(cls, state, skip=("endpoint_id",))
        return model
