"""The manifest: the one small file that says what a data directory holds.

``retrievo-manifest.json`` names the format and its version, the generation, the inference
endpoint definitions and, per index, the generation directory that holds it with the length and
sha256 of every file there, and the index's aliases (as Elasticsearch keeps them in the index
metadata: alias name → its ``filter``, routing, ``is_write_index``...). An alias change is one
manifest swap: no index is rewritten for it. It carries a checksum of its own content. It is only ever replaced
whole (written aside, fsynced, then ``os.replace``\\ d over the old one), so it always describes a
complete, earlier-written set of files: a save that fails half way leaves the previous manifest —
and with it the previous state — in place.

Versioning: :data:`FORMAT_VERSION` is bumped whenever a reader of the old version could
misread the new layout. A manifest from a newer version is refused with
``index_format_too_new_exception``; every older version is still read:

* 1: no aliases (an index entry without ``aliases`` has none);
* 2: index entries carry ``aliases`` (a version-1 reader would drop them silently);
* 3: ``search_pipelines``, OpenSearch search pipeline definitions by id (absent before: none);
* 4: ``ml_commons``, OpenSearch ML Commons' model groups, models, tasks and persistent settings as one
  object (absent before: none; a version-3 reader would drop them silently);
* 5: index entries carry ``translog_generation``, the first translog generation the saved index does
  not include (absent before: 0, replay every generation; a version-4 reader would skip the translog
  and silently lose the writes acknowledged since the last commit).
* 6: ``cluster_settings``, the persistent cluster settings (flat); before, the ML Commons settings were
  kept as ``ml_commons.persistent_settings`` (still read from there when ``cluster_settings`` is absent).
* 7: ``query_rules``, Elasticsearch's query rulesets by id, as ``GET _query_rules/{id}`` answers them
  (absent before: none; a version-6 reader would drop them silently).
  Also from 7: a ``shard.json`` field table may hold ``sparse_semantic`` (the chunks of ``semantic_text``
  fields on a ``sparse_embedding`` endpoint; absent before: none; a version-6 reader would drop them).
  Also from 7: a ``semantic`` field entry may carry ``similarity`` and ``element_type`` (its endpoint's;
  absent before: ``cosine`` / ``float``, the only ones stored then).
* 8: ``synonyms``, Elasticsearch's synonyms sets by id, each a list of ``{"id", "synonyms"}`` rules
  (absent before: none; a version-7 reader would drop them silently).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from retrievo.index.persistence import errors
from retrievo.index.persistence.files import FileRecord, canonical_digest, load_json

FORMAT = "retrievo-data"
FORMAT_VERSION = 8
MANIFEST_NAME = "retrievo-manifest.json"

_INDEX_DIR = re.compile(r"indices/[0-9a-zA-Z_-]{1,64}/[0-9]{8,}")
_UUID = re.compile(r"[0-9a-zA-Z_-]{1,64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class IndexEntry:
    """Where one index lives: its generation directory and the record of each of its files."""

    name: str
    uuid: str
    dir: str
    sequence: int
    files: dict[str, FileRecord]
    #: Alias name → the alias's metadata on this index (as ``GET _alias`` shows it).
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The first translog generation this generation of the index does not include (replay starts there).
    translog_generation: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uuid": self.uuid,
            "dir": self.dir,
            "sequence": self.sequence,
            "files": {rel: rec.to_json() for rel, rec in sorted(self.files.items())},
            "aliases": {alias: self.aliases[alias] for alias in sorted(self.aliases)},
            "translog_generation": self.translog_generation,
        }


@dataclass(frozen=True)
class Manifest:
    generation: int = 0
    writer: str = ""
    indices: dict[str, IndexEntry] = field(default_factory=dict)
    inference_endpoints: list[dict[str, Any]] = field(default_factory=list)
    retrievo_version: str = ""
    #: OpenSearch search pipeline definitions by id, as they were put.
    search_pipelines: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: OpenSearch ML Commons' state (``retrievo.opensearch.ml_state``), opaque here; empty: none.
    ml_commons: dict[str, Any] = field(default_factory=dict)
    #: The persistent cluster settings (``PUT _cluster/settings``), flat; ``None``: none saved (format < 6).
    cluster_settings: dict[str, str] | None = None
    #: Query rulesets by id (``retrievo.query_rules``), as ``GET`` answers them; empty: none.
    query_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Synonyms sets by id (``retrievo.synonyms``), each its rules as ``GET _synonyms/{id}`` lists them.
    synonyms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generation": self.generation,
            "writer": self.writer,
            "retrievo_version": self.retrievo_version,
            "inference_endpoints": self.inference_endpoints,
            "search_pipelines": {name: self.search_pipelines[name] for name in sorted(self.search_pipelines)},
            "ml_commons": self.ml_commons,
            "cluster_settings": dict(sorted((self.cluster_settings or {}).items())),
            "query_rules": {name: self.query_rules[name] for name in sorted(self.query_rules)},
            "synonyms": {name: self.synonyms[name] for name in sorted(self.synonyms)},
            "indices": [self.indices[name].to_json() for name in sorted(self.indices)],
        }

    def to_json(self) -> dict[str, Any]:
        body = self.body()
        body["checksum"] = canonical_digest(body)
        return body

    @property
    def max_sequence(self) -> int:
        return max((entry.sequence for entry in self.indices.values()), default=0)


def parse_manifest(path: Path, data: bytes) -> Manifest:
    """Check and decode a manifest's bytes; every problem names ``path``."""
    try:
        body = load_json(data)
    except (UnicodeDecodeError, ValueError):
        if not data.strip():
            raise errors.corrupt(path, "the manifest is empty (truncated?)") from None
        raise errors.corrupt(path, "the manifest is not valid JSON (truncated or overwritten?)") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise errors.not_a_data_directory(
            path.parent, f'[{path.name}] was not written by retrievo (no ["format": "{FORMAT}"])'
        )
    version = body.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise errors.corrupt(path, f"invalid format_version [{version}]")
    if version > FORMAT_VERSION:
        raise errors.format_too_new(path, version, FORMAT_VERSION)
    stored = body.pop("checksum", None)
    actual = canonical_digest(body)
    if stored != actual:
        raise errors.checksum_failed(path, str(stored), actual)
    try:
        return _decode(path, body)
    except (KeyError, TypeError, ValueError, AttributeError) as failure:
        raise errors.corrupt(path, f"unexpected manifest content ({type(failure).__name__}: {failure})") from None


def _safe_rel(path: Path, rel: str) -> str:
    parts = PurePosixPath(rel).parts
    if not rel or rel.startswith("/") or "\\" in rel or any(p in ("..", ".", "") for p in parts):
        raise errors.corrupt(path, f"file name [{rel}] leaves its directory")
    return rel


def _decode(path: Path, body: dict[str, Any]) -> Manifest:
    indices: dict[str, IndexEntry] = {}
    for item in body["indices"]:
        directory = str(item["dir"])
        if not _INDEX_DIR.fullmatch(directory):
            raise errors.corrupt(path, f"index directory [{directory}] is not one retrievo writes")
        files = {}
        for rel, rec in item["files"].items():
            if not _SHA256.fullmatch(str(rec["sha256"])) or int(rec["bytes"]) < 0:
                raise errors.corrupt(path, f"bad record for file [{rel}]")
            files[_safe_rel(path, str(rel))] = FileRecord(str(rec["sha256"]), int(rec["bytes"]))
        aliases = item.get("aliases", {})  # format version 1: none
        if not isinstance(aliases, dict) or not all(
            isinstance(a, str) and a and isinstance(m, dict) for a, m in aliases.items()
        ):
            raise TypeError(f"the aliases of index [{item['name']}] must be an object of objects")
        if not _UUID.fullmatch(str(item["uuid"])):
            raise errors.corrupt(path, f"index uuid [{item['uuid']}] is not one retrievo writes")
        translog_generation = item.get("translog_generation", 0)  # format versions 1 to 4: replay all
        if not isinstance(translog_generation, int) or isinstance(translog_generation, bool) or translog_generation < 0:
            raise TypeError(f"the translog_generation of index [{item['name']}] must be a non-negative integer")
        entry = IndexEntry(
            str(item["name"]),
            str(item["uuid"]),
            directory,
            int(item["sequence"]),
            files,
            dict(aliases),
            translog_generation,
        )
        indices[entry.name] = entry
    endpoints = body["inference_endpoints"]
    if not isinstance(endpoints, list) or not all(isinstance(e, dict) for e in endpoints):
        raise TypeError("inference_endpoints must be a list of objects")
    pipelines = body.get("search_pipelines", {})  # format versions 1 and 2: none
    if not isinstance(pipelines, dict) or not all(isinstance(d, dict) for d in pipelines.values()):
        raise TypeError("search_pipelines must be an object of objects")
    ml_commons = body.get("ml_commons", {})  # format versions 1 to 3: none
    if not isinstance(ml_commons, dict):
        raise TypeError("ml_commons must be an object")
    cluster_settings = body.get("cluster_settings")  # format versions 1 to 5: none
    if cluster_settings is not None and (
        not isinstance(cluster_settings, dict) or not all(isinstance(v, str) for v in cluster_settings.values())
    ):
        raise TypeError("cluster_settings must be an object of strings")
    query_rules = body.get("query_rules", {})  # format versions 1 to 6: none
    if not isinstance(query_rules, dict) or not all(isinstance(d, dict) for d in query_rules.values()):
        raise TypeError("query_rules must be an object of objects")
    synonyms = body.get("synonyms", {})  # format versions 1 to 7: none
    if not isinstance(synonyms, dict) or not all(
        isinstance(rules, list) and all(isinstance(r, dict) for r in rules) for rules in synonyms.values()
    ):
        raise TypeError("synonyms must be an object of lists of objects")
    return Manifest(
        generation=int(body["generation"]),
        writer=str(body["writer"]),
        indices=indices,
        inference_endpoints=endpoints,
        retrievo_version=str(body.get("retrievo_version", "")),
        search_pipelines={str(name): dict(definition) for name, definition in pipelines.items()},
        ml_commons=dict(ml_commons),
        cluster_settings=None if cluster_settings is None else dict(cluster_settings),
        query_rules={str(name): dict(d) for name, d in query_rules.items()},
        synonyms={str(name): [dict(r) for r in rules] for name, rules in synonyms.items()},
    )
