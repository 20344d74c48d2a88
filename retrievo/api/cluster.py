"""``cluster.health``: one node that holds every primary shard.

An index with ``number_of_replicas`` > 0 (Elasticsearch's default is 1) has replicas no second node
can take, so a single node reports ``yellow`` for it, as Elasticsearch does; with every index at
``number_of_replicas: 0`` (or no index at all) the cluster is ``green``. Nothing changes by
itself on one node, so the ``wait_for_*`` conditions are not waited for: each is checked against the
node as it is (``wait_for_status``; ``wait_for_nodes`` against one node; ``wait_for_active_shards``
against the active primaries, ``all`` needing every replica too; ``wait_for_events`` always holds:
nothing is ever pending; ``wait_for_no_initializing/relocating_shards`` always hold), and a condition
that does not hold answers at once with ``timed_out: true`` and 408, the answer Elasticsearch gives when
the wait times out.
"""

from __future__ import annotations

import operator
import re
from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, reply
from retrievo.api.resolve import resolve
from retrievo.api.types import RestResponse
from retrievo.cluster_settings import nest
from retrievo.errors import illegal_argument, not_supported, x_content_parse_error

CLUSTER_NAME = "retrievo"
_RANK = {"green": 0, "yellow": 1, "red": 2}
_JAVA_INT_MAX = 2**31 - 1  # both counts are Java ints in Elasticsearch
_PRIORITIES = ("immediate", "urgent", "high", "normal", "low", "languid")
#: ``wait_for_nodes`` comparisons, in both of Elasticsearch's spellings (``>=2``, ``ge(2)``).
_NODE_TESTS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "ge": operator.ge,
    "le": operator.le,
    "gt": operator.gt,
    "lt": operator.lt,
}
_NODES = re.compile(r"^\s*(?:(>=|<=|>|<)\s*(\d+)|(ge|le|gt|lt)\((\d+)\)|(\d+))\s*$")


def _one_node_satisfies(wait_for_nodes: str) -> bool:
    """Whether a single node meets ``wait_for_nodes`` (``N``, ``>=N``, ``<=N``, ``>N``, ``<N`` or
    ``ge(N)``/``le(N)``/``gt(N)``/``lt(N)``)."""
    m = _NODES.match(wait_for_nodes)
    if m is None or int(m.group(2) or m.group(4) or m.group(5)) > _JAVA_INT_MAX:
        raise illegal_argument(f"failed to parse [wait_for_nodes] value [{wait_for_nodes}]")
    op, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    if op is None:
        return int(m.group(5)) == 1
    return bool(_NODE_TESTS[op](1, int(number)))  # one node


def _active_shards_satisfied(wanted: str, active: int, unassigned: int) -> bool:
    """``wait_for_active_shards``: a count, ``all`` (every copy, replicas included) or ``default``."""
    if wanted == "all":
        return unassigned == 0
    if wanted == "default":
        return True
    if not wanted.isdigit() or int(wanted) > _JAVA_INT_MAX:
        raise illegal_argument(f"cannot parse ActiveShardCount[{wanted}]")
    return active >= int(wanted)


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
    events = call.param("wait_for_events")
    if events is not None and p.text(events).lower() not in _PRIORITIES:
        raise illegal_argument(f"No enum constant for wait_for_events [{p.text(events)}]")
    wanted = call.param("wait_for_status")
    if wanted is not None and wanted not in _RANK:
        raise illegal_argument(f"unknown cluster health status [{p.text(wanted)}]")
    names = resolve(call.catalog, call.part("index"), expand=p.expand_wildcards(call.param("expand_wildcards")))
    indices: dict[str, Any] = {}
    unassigned = active = 0
    for name in names:
        settings = call.catalog.shards[name].settings
        primaries, replicas = settings.number_of_shards, settings.number_of_replicas
        unassigned += replicas * primaries  # one node: no replica is ever assigned
        active += primaries
        indices[name] = {
            "status": "yellow" if replicas else "green",
            "number_of_shards": primaries,
            "number_of_replicas": replicas,
            "active_primary_shards": primaries,
            "active_shards": primaries,
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": replicas * primaries,
            "unassigned_primary_shards": 0,
        }
    status = "yellow" if unassigned else "green"
    timed_out = wanted is not None and _RANK[status] > _RANK[str(wanted)]
    nodes = call.param("wait_for_nodes")
    if nodes is not None and p.text(nodes) != "" and not _one_node_satisfies(p.text(nodes)):
        timed_out = True
    shards = call.param("wait_for_active_shards")
    if shards is not None and not _active_shards_satisfied(p.text(shards).lower(), active, unassigned):
        timed_out = True
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


# ---------------------------------------------------------------------------- cluster settings


def _settings_view(flat: dict[str, str], flat_settings: bool) -> dict[str, Any]:
    return dict(sorted(flat.items())) if flat_settings else nest(flat)


def put_settings(call: Call) -> dict[str, Any]:
    """``PUT /_cluster/settings``: ``persistent`` and ``transient`` settings (the ones features registered
    in :mod:`retrievo.cluster_settings`; any other is Elasticsearch's ``not recognized``).
    Every setting is validated before any is applied; the answer echoes what was applied."""
    flat_settings = p.as_bool("flat_settings", call.param("flat_settings"))
    for name in ("timeout", "master_timeout"):
        p.time_value(name, call.param(name))
    body = body_object(call.body, "body")
    scopes: dict[str, dict[str, Any]] = {"persistent": {}, "transient": {}}
    for key, value in body.items():
        if key not in scopes:
            raise x_content_parse_error(f"[cluster_update_settings_request] unknown field [{key}]")
        if value is None:
            continue
        if not isinstance(value, dict):
            raise x_content_parse_error(
                f"[cluster_update_settings_request] {key} doesn't support values of type: VALUE_STRING"
            )
        scopes[key] = value
    applied = call.catalog.cluster_settings.update(scopes["persistent"], scopes["transient"])
    return {
        "acknowledged": True,
        "persistent": _settings_view(applied["persistent"], flat_settings),
        "transient": _settings_view(applied["transient"], flat_settings),
    }


def get_settings(call: Call) -> dict[str, Any]:
    """``GET /_cluster/settings``: the ``persistent`` and ``transient`` settings set so far."""
    flat_settings = p.as_bool("flat_settings", call.param("flat_settings"))
    p.as_bool("local", call.param("local"))
    if p.as_bool("include_defaults", call.param("include_defaults")):
        raise not_supported("[include_defaults]", "retrievo lists the settings that were set")
    for name in ("timeout", "master_timeout"):
        p.time_value(name, call.param(name))
    scopes = call.catalog.cluster_settings.scopes()
    return {
        "persistent": _settings_view(scopes["persistent"], flat_settings),
        "transient": _settings_view(scopes["transient"], flat_settings),
    }
