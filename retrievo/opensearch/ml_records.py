"""The records behind ML Commons' registry, and how a change to them is saved.

OpenSearch keeps model groups, models and tasks as documents of system indices
(``.plugins-ml-model-group``, ``.plugins-ml-model``, ``.plugins-ml-task``), so all of them outlive a
restart (its ``plugins.ml_commons.*`` settings live in the cluster settings, saved by the catalog).
retrievo keeps them here and, with a data directory, saves all of them as one JSON object (the
manifest's ``ml_commons``) whenever one changes: a change runs under :meth:`MlRecords._changing`, which
hands the new state to ``on_change`` before the request answers and puts everything back as it was if
that raises, so a change that cannot be saved is not made. Only the registrations are saved (hub id or
local path, config, state); a model's files stay where they were registered from and are loaded from
there again.

:class:`MlRecords` also answers the model group and task requests; :class:`~.ml_models.MlModels` adds
models, deploying and predicting.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from retrievo.cluster_settings import ClusterSettings
from retrievo.errors import not_supported

from . import ml_errors as errors
from .ids import TimeBasedIds, random_node_id
from .ml_documents import MODEL_GROUP_INDEX, MODEL_INDEX, TASK_INDEX, MlModel, MlModelGroup, MlTask, now_millis
from .ml_register import access_control_requested
from .ml_settings import ML_COMMONS_SETTINGS, MlSettings
from .ml_xcontent import text

#: Version of the saved object's layout (inside the manifest's own format version).
STATE_VERSION = 1


class MlRecords:
    """Model groups, models and tasks, and their saved form; thread-safe. ``settings``: the cluster
    settings store the ML Commons settings are read from (the catalog's; a private one by default)."""

    def __init__(self, *, node_id: str | None = None, settings: ClusterSettings | None = None) -> None:
        self._lock = threading.RLock()
        self._ids = TimeBasedIds()
        self.node_id = node_id or random_node_id()
        self.settings = MlSettings(settings or ClusterSettings((ML_COMMONS_SETTINGS,)))
        self._groups: dict[str, MlModelGroup] = {}
        self._models: dict[str, MlModel] = {}
        self._tasks: dict[str, MlTask] = {}
        self._seq_no = 0
        # whether each system index exists yet (some messages differ before the first document)
        self._group_index = False
        self._model_index = False
        #: Called with :meth:`state` before a change takes effect (the catalog saves it there); if it
        #: raises, the change is not made.
        self.on_change: Callable[[dict[str, Any]], None] | None = None

    # ------------------------------------------------------------------ saving

    def state(self) -> dict[str, Any]:
        """Everything a restart needs, as JSON. The node id is kept too: an OpenSearch node keeps its
        id in its data path."""
        with self._lock:
            indices = ((MODEL_GROUP_INDEX, self._group_index), (MODEL_INDEX, self._model_index))
            return {
                "version": STATE_VERSION,
                "node_id": self.node_id,
                "system_indices": [name for name, made in indices if made],
                "seq_no": self._seq_no,
                "model_groups": [g.to_state() for g in self._groups.values()],
                "models": [m.to_state() for m in self._models.values()],
                "tasks": [t.to_state() for t in self._tasks.values()],
            }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Replace everything with a saved :meth:`state` (``ValueError``/``KeyError``/``TypeError`` when
        it is not one). A state saved before the cluster settings had a store of their own carries
        ``persistent_settings``; the catalog restores those, so they are not read here."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown ML Commons state version [{state.get('version')}]")
        groups = [MlModelGroup.from_state(dict(g)) for g in state["model_groups"]]
        models = [MlModel.from_state(dict(m)) for m in state["models"]]
        tasks = [MlTask.from_state(dict(t)) for t in state["tasks"]]
        indices = list(state["system_indices"])
        with self._lock:
            self.node_id = str(state["node_id"])
            self._groups = {g.group_id: g for g in groups}
            self._models = {m.model_id: m for m in models}
            self._tasks = {t.task_id: t for t in tasks}
            self._seq_no = int(state["seq_no"])
            self._group_index = MODEL_GROUP_INDEX in indices
            self._model_index = MODEL_INDEX in indices

    def _publish(self) -> None:
        if self.on_change is not None:
            self.on_change(self.state())

    def _snapshot(self) -> tuple[Any, ...]:
        """The records and a copy of each one's fields: a rollback puts the same objects back (code
        holding one across a model load keeps seeing the registry's own) with their old fields."""
        kept = tuple(
            {key: (record, copy.deepcopy(vars(record))) for key, record in records.items()}
            for records in (self._groups, self._models, self._tasks)
        )
        return (*kept, self._seq_no, self._group_index, self._model_index)

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """One change, saved at its end; if it fails (or cannot be saved), the records are as before."""
        with self._lock:
            before = self._snapshot()
            try:
                yield
                self._publish()
            except BaseException:
                groups, models, tasks, self._seq_no, self._group_index, self._model_index = before
                for records, saved in ((self._groups, groups), (self._models, models), (self._tasks, tasks)):
                    records.clear()
                    for key, (record, fields) in saved.items():
                        vars(record).clear()
                        vars(record).update(fields)
                        records[key] = record
                raise

    # ------------------------------------------------------------------ model groups

    def register_group(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /_plugins/_ml/model_groups/_register``."""
        name = text("name", body.get("name"))
        if name is None:
            raise errors.illegal_argument("model group name must not be null")
        description = text("description", body.get("description"))
        access_mode = body.get("access_mode")
        if access_mode is not None and access_mode not in ("public", "private", "restricted"):
            raise errors.illegal_argument("Wrong access value")
        if body.get("model_group_id") is not None:
            raise not_supported("[model_group_id] in a model group registration")
        if access_control_requested(body):
            raise errors.illegal_argument(errors.ACCESS_CONTROL_DISABLED)
        with self._changing():
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
        now = now_millis()
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
        with self._changing():
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

    # ------------------------------------------------------------------ tasks

    def _new_task(self, task_type: str, function_name: str, *, is_async: bool, model_id: str | None = None) -> MlTask:
        now = now_millis()
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
            task.last_update_time = now_millis()

    def _complete(self, task: MlTask) -> None:
        with self._lock:
            task.state = "COMPLETED"
            task.last_update_time = now_millis()

    def delete_task(self, task_id: str) -> tuple[int, dict[str, Any]]:
        """``DELETE /_plugins/_ml/tasks/<task_id>`` (every task here has finished)."""
        with self._changing():
            if self._tasks.pop(task_id, None) is None:
                raise errors.task_not_found()
            return self._delete_response(TASK_INDEX, task_id, 3, True)
