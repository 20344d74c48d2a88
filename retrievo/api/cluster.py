"""``cluster.health``: one node that holds every primary shard.

An index with ``number_of_replicas`` > 0 (Elasticsearch's default is 1) has replicas no second node
can take, so a single node reports ``yellow`` for it, as Elasticsearch does; with every index at
``number_of_replicas: 0`` (or no index at all) the cluster is ``green``. ``wait_for_status`` cannot
be waited for (nothing will change by itself): a status worse than the one asked for answers at once
with ``timed_out: true`` and 408, the answer Elasticsearch gives when the wait times out.
"""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, reply
from retrievo.api.resolve import resolve
from retrievo.api.types import RestResponse
from retrievo.errors import illegal_argument, not_supported

CLUSTER_NAME = "retrievo"
_RANK = {"green": 0, "yellow": 1, "red": 2}


def health(call: Call) -> RestResponse:
    """``GET /_cluster/health``, ``/_cluster/health/{index}``."""
    level = call.param("level")
    if level not in (None, "cluster", "indices", "shards"):
        raise illegal_argument(f"No enum constant for level [{p.text(level)}]")
    if level == "shards":
        raise not_supported("[level=shards]")
    for name in ("timeout", "master_timeout"):
        p.time_value(name, call.param(name))
    p.as_bool("local", call.param("local"))
    for name in ("wait_for_no_initializing_shards", "wait_for_no_relocating_shards"):
        p.as_bool(name, call.param(name))
    wanted = call.param("wait_for_status")
    if wanted is not None and wanted not in _RANK:
        raise illegal_argument(f"unknown cluster health status [{p.text(wanted)}]")
    names = resolve(call.catalog, call.part("index"), expand=p.expand_wildcards(call.param("expand_wildcards")))
    indices: dict[str, Any] = {}
    unassigned = 0
    for name in names:
        replicas = call.catalog.shards[name].settings.number_of_replicas
        unassigned += replicas
        indices[name] = {
            "status": "yellow" if replicas else "green",
            "number_of_shards": 1,
            "number_of_replicas": replicas,
            "active_primary_shards": 1,
            "active_shards": 1,
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": replicas,
            "unassigned_primary_shards": 0,
        }
    status = "yellow" if unassigned else "green"
    timed_out = wanted is not None and _RANK[status] > _RANK[str(wanted)]
    active = len(names)
    body: dict[str, Any] = {
        "cluster_name": CLUSTER_NAME,
        "status": status,
        "timed_out": timed_out,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": active,
        "active_shards": active,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": unassigned,
        "unassigned_primary_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0 * active / (active + unassigned) if active + unassigned else 100.0,
    }
    if level == "indices":
        body["indices"] = indices
    return reply(408 if timed_out else 200, body)
