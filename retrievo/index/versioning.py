"""Document versions on writes: internal (each write adds one) or external (the caller's number).

Elasticsearch keeps one ``_version`` per ``_id``; a delete leaves a tombstone with its version, so a
re-created document continues from it (retrievo keeps tombstones for good, where ES drops them after
``index.gc_deletes``). External versions (``version_type=external`` / ``external_gt`` /
``external_gte``) replace the count with the caller's number and refuse a write that does not move the
version forward (``VersionType.isVersionConflictForWrites``); a request that names a version with
internal versioning is refused as ES 9 refuses it (compare-and-set goes through ``if_seq_no``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrievo.errors import conflict, illegal_argument, validation_error

__all__ = ["WriteVersion", "next_version", "parse_write_version"]

#: ``Versions.MATCH_ANY``: what a request without ``version`` carries.
_MATCH_ANY = -3
#: The names ``VersionType.fromString`` accepts → their enum names.
_TYPES = {"internal": "INTERNAL", "external": "EXTERNAL", "external_gt": "EXTERNAL", "external_gte": "EXTERNAL_GTE"}


@dataclass(frozen=True)
class WriteVersion:
    """A write's requested version: ``kind`` is ``external``, ``external_gte`` or ``replay`` (a translog
    operation re-applied with the version it was logged with, never checked)."""

    version: int
    kind: str


def parse_write_version(version: Any, version_type: Any, op_type: str) -> WriteVersion | None:
    """The ``version``/``version_type`` of an index, create or delete request, checked as
    ``DocWriteRequest.validateDocWriteRequest`` and ``IndexRequest.validate`` check them."""
    if version is None and version_type is None:
        return None
    type_name = "internal" if version_type is None else str(version_type).lower()
    if type_name not in _TYPES:
        raise illegal_argument(f"No version type match [{version_type}]")
    number = _MATCH_ANY if version is None else _long(version)
    kind = _TYPES[type_name]
    problems: list[str] = []
    if kind != "INTERNAL" and number < 0:
        problems.append(f"illegal version value [{number}] for version type [{kind}]")
    if op_type == "create" and kind != "INTERNAL":
        problems.append("create operations only support internal versioning. use index instead")
    if kind == "INTERNAL" and number != _MATCH_ANY:
        problems.append(
            "internal versioning can not be used for optimistic concurrency control. "
            "Please use `if_seq_no` and `if_primary_term` instead"
        )
    if problems:
        raise validation_error(*problems)
    if kind == "INTERNAL":
        return None
    return WriteVersion(number, "external_gte" if kind == "EXTERNAL_GTE" else "external")


def _long(value: Any) -> int:
    """``RestRequest.paramAsLong``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise illegal_argument(f"Failed to parse long parameter [version] with value [{value}]") from None


def next_version(doc_id: str, current: int | None, requested: WriteVersion | None, where: dict[str, str]) -> int:
    """The version a write gives ``doc_id`` (``current``: its live or tombstoned version, ``None`` when
    never written), or a 409 ``version_conflict_engine_exception`` naming the shard in ``where``."""
    if requested is None:
        return (current or 0) + 1
    if requested.kind == "replay" or current is None:
        return requested.version
    if requested.kind == "external" and current >= requested.version:
        relation = "higher or equal to"
    elif requested.kind == "external_gte" and current > requested.version:
        relation = "higher than"
    else:
        return requested.version
    raise conflict(
        "version_conflict_engine_exception",
        f"[{doc_id}]: version conflict, current version [{current}] is {relation} the one provided "
        f"[{requested.version}]",
        index_uuid=where["index_uuid"],
        shard=where["shard"],
        index=where["index"],
    )
