"""The ``_bulk`` API: a list of actions (or NDJSON text), each succeeding or failing on its own.

A bad document fails its item with the error Elasticsearch would give and leaves the index as it
was; the rest of the batch goes on. Supported actions: ``index``, ``create``, ``delete`` and
``update`` with ``doc`` (plus ``doc_as_upsert``/``upsert``); scripted updates are refused per item.
An item's ``routing`` (else the request's) picks its shard as the single-document APIs do: a
delete or update routed to a shard that does not hold the document finds nothing, and an index with
``_routing.required`` fails an item without one (``routing_missing_exception``).
"""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from operator import add
from typing import Any

from retrievo import xcontent
from retrievo.catalog import Catalog
from retrievo.errors import (
    ApiError,
    bad_request,
    document_parsing_error,
    error_reason,
    illegal_argument,
    not_found,
    not_supported,
    validation_error,
)
from retrievo.index.doc_ids import empty_id, id_problems
from retrievo.index.shard import Shard
from retrievo.index.versioning import WriteVersion, parse_write_version
from retrievo.progress import Progress

#: Texts per embedding call of the prefetch, and the batch size from which it shows a progress bar.
_EMBED_BATCH = 256
_PROGRESS_FROM = 1000

ACTIONS = ("index", "create", "delete", "update")
#: The keys an action's metadata may hold.
_META_KEYS = frozenset(("_index", "_id", "routing", "require_alias", "version", "version_type"))


def routing_param(value: Any) -> str | None:
    """A ``routing`` value (URL parameter, ``_mget`` item, bulk metadata): text, ``None`` when absent
    or empty (``IndexRequest.routing`` treats an empty routing as none)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    routing = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return routing or None


def alias_routing(catalog: Catalog, expression: Any, index: Any, routing: str | None) -> str | None:
    """``Metadata.resolveIndexRouting``: a request through an alias with an ``index_routing`` takes the
    alias's routing (a request routing that differs is refused); any other name keeps ``routing``."""
    # ``is_alias`` first: ``aliases`` builds a view of every alias, and a bulk asks once an item
    on = catalog.aliases.get(expression) if isinstance(expression, str) and catalog.is_alias(expression) else None
    alias_value = (on.get(index) or {}).get("index_routing") if on is not None and isinstance(index, str) else None
    if alias_value is None:
        return routing
    if "," in alias_value:
        raise illegal_argument(
            f"index/alias [{expression}] provided with routing value [{alias_value}] that resolved to several "
            "routing values, rejecting operation"
        )
    if routing is not None and routing != alias_value:
        raise illegal_argument(
            f"Alias [{expression}] has index routing associated with it [{alias_value}], and was provided with "
            f"routing value [{routing}], rejecting operation"
        )
    return str(alias_value)


def delete_routed(
    shard: Shard, doc_id: str, requested: WriteVersion | None, routing: str | None
) -> tuple[int | None, int]:
    """A delete sent with ``routing``: on a shard that does not hold the document nothing is deleted
    (``None``: not found), as Elasticsearch's delete on that shard finds nothing."""
    shard.check_routing(doc_id, routing)
    if not shard.routes_to_document(doc_id, routing):
        return None, shard.store.seq_no
    return shard.delete_document(doc_id, requested)


def routed_current(shard: Shard, doc_id: str, routing: str | None) -> tuple[int, dict[str, Any]] | None:
    """The live document an update with ``routing`` finds (``None`` on a shard that does not hold it)."""
    shard.check_routing(doc_id, routing)  # TransportUpdateAction.resolveRequest
    current = shard.store.get(doc_id)
    return current if current is not None and shard.routes_to_document(doc_id, routing) else None


def document_missing(shard: Shard, doc_id: str, routing: str | None) -> ApiError:
    """``DocumentMissingException`` on the shard the update was routed to."""
    return not_found(
        "document_missing_exception",
        f"[{doc_id}]: document missing",
        index_uuid=shard.uuid,
        shard=str(shard.shard_number(doc_id, routing)),
        index=shard.name,
    )


def _lines(operations: Any) -> list[Any]:
    if isinstance(operations, (bytes, str)):
        raw = operations if isinstance(operations, bytes) else operations.encode("utf-8", "surrogatepass")
        plain = _plain_body(raw)
        if plain is not None:
            return plain
        out: list[Any] = []
        for n, line in enumerate(raw.splitlines(), 1):
            value = _plain_line(line)
            if value is not _NOT_PLAIN:
                out.append(value)
            elif line.strip():
                try:
                    out.append(xcontent.loads(line))
                except ApiError as err:  # bad bytes: a document line fails its own item (ES parses it later)
                    out.append(err)
                except json.JSONDecodeError as e:
                    raise bad_request(
                        "x_content_parse_exception", f"[{n}:{e.colno}] Malformed content, {e.msg}"
                    ) from None
        return out
    if not isinstance(operations, (list, tuple)):
        raise illegal_argument("The bulk request must be terminated by a newline [\\n]")
    return list(operations)


_NOT_PLAIN = object()
_SCAN_JSON = xcontent.scan_once  # the same scanner (and number hooks) xcontent.loads runs


def _plain_line(line: bytes) -> Any:
    """The value of an NDJSON line that ``xcontent.loads`` would read without a problem, read with
    less work per line (a bulk body has two lines a document), else ``_NOT_PLAIN``.

    Plain: UTF-8, shallower than the nesting limit by a mere count of brackets, and one JSON value
    that fills the line (no surrounding whitespace). ``xcontent.loads`` reads it the same way (its
    decoder's own scanner) and everything else, errors included, still goes through it."""
    if line.count(b"[") + line.count(b"{") > xcontent.MAX_NESTING_DEPTH:
        return _NOT_PLAIN
    try:
        text = line.decode("utf-8")
        value, end = _SCAN_JSON(text, 0)
    except (ValueError, StopIteration, RecursionError):  # bad bytes or JSON, whitespace, a blank line
        return _NOT_PLAIN
    return value if end == len(text) else _NOT_PLAIN


def _plain_body(raw: bytes) -> list[Any] | None:
    """The values of a body whose every non-empty line ``xcontent.loads`` reads without a problem,
    read by one scan of the lines as the items of a JSON array (one C call for the request instead of
    one a line); ``None`` for any other body, which the line-by-line reading then gives each line its
    value or error.

    The array reads each line as ``xcontent.loads`` does: the same scanner and number hooks, the same
    JSON whitespace around a value, and each line a whole value of its own, since the array has
    exactly one item a line (no line held two values or none: a blank line of spaces breaks the
    array's syntax). Not taken: bytes that are not strict UTF-8, a line that may nest too deep (by a
    mere count of brackets), and ``\\r`` anywhere (``bytes.splitlines`` breaks lines there too)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        return None
    lines = [line for line in text.split("\n") if line]
    if not lines:
        return []
    if text.count("[") + text.count("{") > xcontent.MAX_NESTING_DEPTH and (
        max(map(add, map(str.count, lines, repeat("[")), map(str.count, lines, repeat("{"))))
        > xcontent.MAX_NESTING_DEPTH
    ):
        return None  # a line that may be too deep: its own reading gives the error
    array = "[" + ",".join(lines) + "]"
    try:
        values, end = _SCAN_JSON(array, 0)
    except (ValueError, StopIteration, RecursionError):
        return None
    return values if end == len(array) and len(values) == len(lines) else None


def _error_item(action: str, index: str | None, doc_id: str | None, err: ApiError) -> dict[str, Any]:
    error = {k: v for k, v in err.body["error"].items() if k != "root_cause"}
    return {action: {"_index": index, "_id": doc_id, "status": err.status_code, "error": error}}


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in patch.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _field_values(source: dict[str, Any], path: str) -> list[str]:
    """String values at a dotted path of a source document (objects and arrays walked)."""
    values: list[Any] = [source]
    for part in path.split("."):
        nxt: list[Any] = []
        for v in values:
            if isinstance(v, dict):
                if part in v:
                    nxt.append(v[part])
                for key, sub in v.items():  # dotted keys in the source mean the same path
                    if key.startswith(part + ".") and isinstance(sub, (dict, str, list)):
                        nxt.append({key[len(part) + 1 :]: sub})
            elif isinstance(v, list):
                nxt.extend(x.get(part) for x in v if isinstance(x, dict) and part in x)
        values = nxt
    flat: list[str] = []
    for v in values:
        flat.extend(x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str))
    return flat


def _semantic_fields(catalog: Catalog, name: Any) -> list[Any]:
    """The semantic_text fields of the index a write to ``name`` lands in (none when it does not
    exist yet or the name is refused: the per-document pass reports that on its item)."""
    try:
        index = catalog.write_index(name)
    except ApiError:
        return []
    shard = catalog.shards.get(index) if isinstance(index, str) else None
    return [] if shard is None else [fm for fm in shard.mappings.leaf_fields() if fm.type == "semantic_text"]


def _prefetch_embeddings(catalog: Catalog, lines: list[Any], default_index: str | None) -> None:
    """Embed every semantic_text value of the batch up front, in large batches.

    Each document is still indexed on its own (so a bad one fails alone), but by then its chunks'
    embeddings are in the inference cache: the model sees a few large batches instead of one call
    per document. Large loads show a progress bar on a terminal (retrievo.progress).
    """
    wanted: dict[tuple[str, str], tuple[Any, list[str]]] = {}
    by_name: dict[str, list[Any]] = {}  # nothing is written during the prefetch: one lookup per index name
    for header, source in zip(lines[::2], lines[1::2]):
        if not (isinstance(header, dict) and len(header) == 1 and isinstance(source, dict)):
            return  # irregular batch (deletes or malformed lines): skip the optimisation
        action, meta = next(iter(header.items()))
        if action not in ("index", "create"):
            return
        name = (meta or {}).get("_index", default_index)
        fields = by_name.get(name) if isinstance(name, str) else None
        if fields is None:
            fields = _semantic_fields(catalog, name)
            if isinstance(name, str):
                by_name[name] = fields
        for fm in fields:
            chunking = fm.params.get("chunking_settings")
            key = (fm.params["inference_id"], json.dumps(chunking, sort_keys=True, default=dict))
            wanted.setdefault(key, (chunking, []))[1].extend(_field_values(source, fm.path))
    for (inference_id, _), (chunking, texts) in wanted.items():
        progress = Progress(
            len(texts),
            label=f"embedding [{inference_id}]",
            unit="texts",
            in_bytes=False,
            enabled=None if len(texts) >= _PROGRESS_FROM else False,
        )
        try:
            for start in range(0, len(texts), _EMBED_BATCH):
                try:
                    catalog.inference.embed_chunks(
                        inference_id, texts[start : start + _EMBED_BATCH], chunking_settings=chunking or None
                    )
                except ApiError:
                    return  # the per-document pass reports the error on each item
                done = min(start + _EMBED_BATCH, len(texts))
                progress.update(done, done, force=done == len(texts))
        finally:
            progress.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off for one bulk request.

    A request keeps every parsed line and every response item alive until it ends: tens of thousands
    of containers that survive each young collection and so set off full ones, each walking every
    object of the process again (a tenth of a 100k-document load). Nothing a write allocates forms a
    reference cycle that needs collecting before the request ends; the collector resumes after it (a
    collector someone else switched off stays off)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def run_bulk(
    catalog: Catalog,
    operations: Any,
    default_index: str | None,
    *,
    require_alias: bool = False,
    routing: str | None = None,
) -> tuple[list[dict[str, Any]], set[Shard]]:
    """Each action's item of the ``_bulk`` response, and the indices written to (to refresh). An
    item's ``_index`` (else ``default_index``) that is an alias writes to its write index;
    ``require_alias`` (the request's, else the item's) makes a name that is no alias fail its item;
    ``routing`` (the request's) is the routing of items whose metadata names none."""
    with _collector_paused():
        return _run_bulk(catalog, operations, default_index, require_alias, routing)


def _run_bulk(
    catalog: Catalog, operations: Any, default_index: str | None, require_alias: bool, routing: str | None
) -> tuple[list[dict[str, Any]], set[Shard]]:
    lines = _lines(operations)
    actions = _actions(lines)  # every action line is read before any is applied, as Elasticsearch does
    problems = [m for action, meta, _ in actions for m in id_problems(action, _text_id(meta.get("_id")))]
    if problems:  # BulkRequest.validate: every item's validation failure rejects the whole request
        raise validation_error(*problems)
    _prefetch_embeddings(catalog, lines, default_index)
    items: list[dict[str, Any]] = []
    touched: set[Shard] = set()
    with catalog.write_batch():  # one translog fsync per index for the request, before it is answered
        for action, meta, source in actions:
            index = meta.get("_index", default_index)
            doc_id = _text_id(meta.get("_id"))
            if routing is not None and meta.get("routing") is None:
                meta = {**meta, "routing": routing}
            try:
                items.append(_one(catalog, action, index, doc_id, source, meta, touched, require_alias))
            except ApiError as err:
                items.append(_error_item(action, index, doc_id, err))
    return items, touched


def _actions(lines: list[Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """The (action, metadata, document line) triples of a bulk body; a malformed action line, or one
    with no document line after it, rejects the whole request before anything is written."""
    actions: list[tuple[str, dict[str, Any], Any]] = []
    i = 0
    while i < len(lines):
        header = lines[i]
        i += 1
        if isinstance(header, ApiError):  # an action line that could not be read rejects the request
            raise header
        if not isinstance(header, dict) or len(header) != 1 or next(iter(header)) not in ACTIONS:
            raise illegal_argument(
                f"Malformed action/metadata line [{i}], expected one of {list(ACTIONS)} but found [{header}]"
            )
        action, meta = next(iter(header.items()))
        source = None
        if action != "delete":
            if i >= len(lines):
                raise illegal_argument(f"[{action}] action line [{i}] is not followed by a document line")
            source = lines[i]
            i += 1
        actions.append((action, meta or {}, source))
    return actions


def _one(
    catalog: Catalog,
    action: str,
    index: str | None,
    doc_id: str | None,
    source: Any,
    meta: dict[str, Any],
    touched: set[Shard],
    require_alias: bool = False,
) -> dict[str, Any]:
    unknown = meta.keys() - _META_KEYS
    if unknown:
        raise illegal_argument(f"Action/metadata line contains an unknown parameter [{sorted(unknown)[0]}]")
    if action == "update" and ("version" in meta or "version_type" in meta):
        raise not_supported("[version] on a bulk [update]")
    requested = parse_write_version(meta.get("version"), meta.get("version_type"), action)
    if index is None:
        raise bad_request("action_request_validation_exception", "Validation Failed: 1: index is missing;")
    if action != "delete" and meta.get("require_alias") is not None:
        require_alias = _flag("require_alias", meta["require_alias"])
    named, index = index, catalog.write_index(index, require_alias=require_alias and action != "delete")
    routing = alias_routing(catalog, named, index, routing_param(meta.get("routing")))
    if action == "delete":
        shard = catalog.shard(index)
        version, seq_no = delete_routed(shard, str(doc_id), requested, routing)
        touched.add(shard)
        result = catalog.write_result(shard, str(doc_id), version or 1, "deleted" if version else "not_found", seq_no)
        return {"delete": {**result, "status": 200 if version else 404}}
    if isinstance(source, ApiError):  # a document line that could not be read: Elasticsearch's parse error
        location, _, reason = error_reason(source).partition(" ")
        raise document_parsing_error(f"{location} failed to parse: {reason}")
    if action == "update":
        return {"update": _update(catalog, index, doc_id, source, touched, routing)}
    if not isinstance(source, dict):
        raise bad_request("mapper_parsing_exception", "failed to parse, document is empty")
    if doc_id == "":
        raise empty_id()
    shard = catalog.shard(index, auto_create=True)
    touched.add(shard)
    new_id, version, created, seq_no = shard.index_document(doc_id, source, action, version=requested, routing=routing)
    result = catalog.write_result(shard, new_id, version, "created" if created else "updated", seq_no)
    result["status"] = 201 if created else 200  # a fresh dict: completed in place rather than copied
    return {action: result}


def _text_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def _update(
    catalog: Catalog, index: str, doc_id: str | None, body: Any, touched: set[Shard], routing: str | None
) -> dict[str, Any]:
    if doc_id is None:
        raise bad_request("action_request_validation_exception", "Validation Failed: 1: id is missing;")
    if not isinstance(body, dict):
        raise bad_request("parsing_exception", "update body must be an object")
    unknown = set(body) - {"doc", "doc_as_upsert", "upsert"}
    if "script" in body:
        raise bad_request("illegal_argument_exception", "scripted updates are not supported in retrievo")
    if unknown:
        raise bad_request("x_content_parse_exception", f"[UpdateRequest] unknown field [{sorted(unknown)[0]}]")
    shard = catalog.shard(index, auto_create=True)
    current = routed_current(shard, doc_id, routing)
    if current is None:
        if body.get("doc_as_upsert") and isinstance(body.get("doc"), dict):
            new_source = body["doc"]
        elif isinstance(body.get("upsert"), dict):
            new_source = body["upsert"]
        else:
            raise document_missing(shard, doc_id, routing)
    else:
        if not isinstance(body.get("doc"), dict):
            raise bad_request("action_request_validation_exception", "Validation Failed: 1: script or doc is missing;")
        new_source = _merge(current[1], body["doc"])
        if new_source == current[1]:
            touched.add(shard)
            return {
                "_index": shard.name,
                "_id": doc_id,
                "_version": shard.store.versions[doc_id],
                "result": "noop",
                "_shards": {"total": 0, "successful": 0, "failed": 0},
                "_seq_no": shard.store.seq_no,
                "_primary_term": 1,
                "status": 200,
            }
    touched.add(shard)
    kept = routing if current is None else shard.store.routing_of(doc_id)  # UpdateHelper keeps the doc's routing
    _, version, created, seq_no = shard.index_document(doc_id, new_source, routing=kept)
    result = catalog.write_result(shard, doc_id, version, "created" if created else "updated", seq_no)
    return {**result, "status": 201 if created else 200}
