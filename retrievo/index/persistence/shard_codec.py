"""One index on disk: ``shard.json`` (identity, settings, mappings, the field table) plus the
files of its document store and of every per-field structure, in one generation directory.

Mappings are saved as ``GET _mapping`` shows them and settings in the form ``PUT index`` accepts:
both are parsed back by the same code that parsed them the first time (with the same analysis
settings), which re-establishes every resolved default. Field structures are saved in files named
by number (``field-3.postings.pack``; field names may hold any character), their facts in
``shard.json``; the directory is flat, because every new directory costs an fsync. Loading ends
with a refresh, as Elasticsearch refreshes a shard after recovery: everything that was written
before the save is searchable afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from retrievo.errors import ApiError, error_reason, error_type
from retrievo.index.persistence import errors
from retrievo.index.persistence.field_codecs import (
    read_column,
    read_inverted,
    read_sparse_semantic,
    write_column,
    write_inverted,
    write_sparse_semantic,
)
from retrievo.index.persistence.files import GenerationReader, GenerationWriter
from retrievo.index.persistence.store_codec import read_store, write_store
from retrievo.index.persistence.vector_codecs import (
    read_semantic,
    read_vector_writer,
    write_semantic,
    write_vector_writer,
)
from retrievo.index.semantic import ChunkEmbedder
from retrievo.index.settings import IndexSettings, settings_from_values, settings_values
from retrievo.index.shard import Shard

SHARD_FILE = "shard.json"

# Per-field structures of a shard: attribute, writer function, reader function.
_KINDS: tuple[tuple[str, Callable[..., dict[str, Any]], Callable[..., Any]], ...] = (
    ("inverted", write_inverted, read_inverted),
    ("columns", write_column, read_column),
    ("vectors", write_vector_writer, read_vector_writer),
    ("semantic", write_semantic, read_semantic),
    ("sparse_semantic", write_sparse_semantic, read_sparse_semantic),
)


def settings_to_json(settings: IndexSettings) -> dict[str, Any]:
    """Settings as a create-index body accepts them (every value, defaults included)."""
    body: dict[str, Any] = {
        "number_of_shards": settings.number_of_shards,
        "number_of_replicas": settings.number_of_replicas,
        "max_result_window": settings.max_result_window,
        "refresh_interval": settings.refresh_interval,
        "query": {"default_field": list(settings.default_field)},
    }
    if settings.number_of_routing_shards is not None:
        body["number_of_routing_shards"] = settings.number_of_routing_shards
    if settings.analysis:
        body["analysis"] = settings.analysis
    if settings.search_default_pipeline is not None:
        body["search"] = {"default_pipeline": settings.search_default_pipeline}
    return {"index": body}


def write_shard(out: GenerationWriter, shard: Shard) -> None:
    """Write every file of ``shard`` (the caller holds ``shard.lock``)."""
    fields: dict[str, list[dict[str, Any]]] = {}
    number = 0
    for kind, write, _ in _KINDS:
        entries = []
        for path in sorted(getattr(shard, kind)):
            prefix = f"field-{number}"
            number += 1
            entries.append({"path": path, "dir": prefix, "facts": write(out, prefix, getattr(shard, kind)[path])})
        fields[kind] = entries
    paths = sorted(shard.presence)
    # Presence lists only grow: their lengths identify their content.
    presence = {
        "paths": paths,
        "layout": out.write_pack(
            "presence.pack",
            {str(i): np.asarray(shard.presence[p], dtype=np.int32) for i, p in enumerate(paths)},
            key=("presence", tuple((p, len(shard.presence[p])) for p in paths)),
        ),
    }
    body = {
        "name": shard.name,
        "uuid": shard.uuid,
        "created_millis": shard.created_millis,
        "generation": shard.generation,
        "settings": settings_to_json(shard.settings),
        # Every field as it is (the create-body form above leaves some out): read back over it.
        "settings_values": settings_values(shard.settings),
        "mappings": shard.mappings.to_json(),
        "store": write_store(out, shard.store, shard.name),
        "fields": fields,
        "presence": presence,
    }
    out.write_json(SHARD_FILE, body)


def read_shard(src: GenerationReader, embedder: ChunkEmbedder | None) -> Shard:
    """The shard saved in ``src``, refreshed; every problem is an Elasticsearch-shaped error."""
    body = src.read_json(SHARD_FILE)
    try:
        return _build_shard(src, body, embedder)
    except ApiError as failure:
        if error_type(failure) in ("corrupt_index_exception", "index_format_too_new_exception"):
            raise
        raise errors.corrupt(
            src.path(SHARD_FILE), f"the saved index cannot be restored: {error_reason(failure)}"
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as failure:
        raise errors.corrupt(
            src.path(SHARD_FILE), f"unexpected content ({type(failure).__name__}: {failure})"
        ) from None


def _build_shard(src: GenerationReader, body: Any, embedder: ChunkEmbedder | None) -> Shard:
    if not isinstance(body, dict):
        raise errors.corrupt(src.path(SHARD_FILE), "expected an object")
    shard = Shard(str(body["name"]), body["mappings"], body["settings"], embedder=embedder)
    if "settings_values" in body:  # absent in directories written before the translog
        shard.settings = settings_from_values(body["settings_values"])
    shard.uuid = str(body["uuid"])
    shard.created_millis = int(body["created_millis"])
    shard.generation = int(body["generation"])
    shard.store = read_store(src, body["store"])
    for kind, _, read in _KINDS:
        target = getattr(shard, kind)
        for entry in body["fields"].get(kind, ()):  # a kind added later is absent from older directories
            target[str(entry["path"])] = read(src, str(entry["dir"]), entry["facts"])
    paths = [str(p) for p in body["presence"]["paths"]]
    arrays = src.read_pack("presence.pack", body["presence"]["layout"])
    for i, path in enumerate(paths):
        docs = arrays.get(str(i))
        if (
            docs is None
            or docs.dtype != np.int32
            or docs.ndim != 1
            or (docs.size and (int(docs.max()) >= shard.store.max_doc or int(docs.min()) < 0))
        ):
            raise errors.corrupt(src.path("presence.pack"), f"bad document list for field [{path}]")
        shard.presence[path] = docs.tolist()
    src.note("presence.pack", ("presence", tuple((p, len(shard.presence[p])) for p in paths)))
    _check_doc_ranges(src, shard)
    shard.rebuild_nested()  # nested objects are derived from the sources, not saved
    shard.refresh()
    return shard


def _check_doc_ranges(src: GenerationReader, shard: Shard) -> None:
    """Snapshots never reach past the store (a mix of files from different saves would)."""
    max_doc = shard.store.max_doc
    for path, writer in shard.inverted.items():
        if writer.snapshot is not None and writer.snapshot.max_doc > max_doc:
            raise errors.corrupt(src.path(SHARD_FILE), f"field [{path}] covers more documents than the store holds")
    for path, column in shard.columns.items():
        if column.snapshot is not None and column.snapshot.max_doc > max_doc:
            raise errors.corrupt(src.path(SHARD_FILE), f"field [{path}] covers more documents than the store holds")
