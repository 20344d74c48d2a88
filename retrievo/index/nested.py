"""``nested`` objects: each one a document of its own, in a per-path child store.

Elasticsearch indexes every object of a ``nested`` field as a hidden Lucene document in the block
before its parent; the nested fields (``path.x``) exist only on those documents, so their BM25
statistics (document count, average length, document frequencies) are over nested objects, not
over top-level documents. retrievo keeps the same numbers with one :class:`NestedWriter` per nested
path: its rows are the nested objects, with their own inverted fields, norms, numeric columns and
presence, and an int32 array mapping each row to the row of its enclosing level (a top-level
document's internal id, or the row of the enclosing nested object for nesting inside nesting).

A row is live while its parent is: deleting or replacing a document (a new internal id) retires its
nested objects with it, so the child store needs no deletes of its own. ``refresh`` publishes a
:class:`NestedLevel` per path whose ``searcher`` is an ordinary :class:`Searcher` over the rows (the
query engine scores a nested query's inner query on it unchanged) and whose ``nested`` holds the
levels directly below it.

The store is derived from ``_source``: a data directory does not save it but rebuilds it from the
documents when the index is opened (:func:`rebuild_nested`), and translog replay goes through
:meth:`Shard.index_document` like any write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np

from retrievo.errors import document_parsing_error, illegal_argument, not_supported
from retrievo.index.doc_values import NumericColumnWriter
from retrievo.index.inverted import InvertedFieldWriter
from retrievo.index.mappings import Mappings
from retrievo.index.searcher import Searcher
from retrievo.index.subfields import hidden_field, parent_path

__all__ = [
    "NestedDoc",
    "NestedLevel",
    "NestedRow",
    "NestedSources",
    "NestedStore",
    "analyze_nested",
    "check_nested_limit",
    "enclosing_nested",
    "level_chain",
    "nested_identity",
    "nested_object",
    "nested_paths",
    "object_types",
    "resolve_level",
    "value_at",
]

_INTEGER_TYPES = frozenset({"long", "integer", "short", "byte", "date", "boolean"})


@dataclass(frozen=True)
class NestedDoc:
    """One nested object as the document parser found it: its path, its position among the objects of
    that path in its parent (``_nested.offset``), its typed values and the nested objects inside it."""

    path: str
    offset: int
    values: dict[str, list[Any]]
    children: tuple[NestedDoc, ...] = ()


@dataclass(frozen=True)
class NestedRow:
    """A nested object analysed and ready to store (``analyzed`` is the shard's per-document shape:
    ``tokens``, ``columns``, ``present``; vectors and chunks are refused inside nested objects)."""

    path: str
    offset: int
    analyzed: Any
    children: tuple[NestedRow, ...] = ()


def nested_paths(mappings: Mappings) -> list[str]:
    """Every ``nested`` object path of the mappings, outermost first."""
    return [path for path, kind in object_types(mappings).items() if kind == "nested"]


def object_types(mappings: Mappings) -> dict[str, str]:
    """Every object path of the mappings → its type (``object`` or ``nested``)."""
    out: dict[str, str] = {}

    def walk(path: str) -> None:
        obj = mappings.object_mapping(path)
        if obj is None:
            return
        for child in obj.properties.values():
            if child.type in ("object", "nested") and hasattr(child, "properties"):
                out[child.path] = child.type
                walk(child.path)

    walk("")
    return out


def enclosing_nested(mappings: Mappings, path: str) -> str | None:
    """The innermost ``nested`` object that contains ``path`` (or is it), else ``None``."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        obj = mappings.object_mapping(".".join(parts[:end]))
        if obj is not None and obj.nested is not None:
            return obj.path
    return None


def analyze_nested(
    docs: Sequence[NestedDoc], analyze: Callable[[dict[str, list[Any]]], Any], limit: int
) -> tuple[NestedRow, ...]:
    """Analyses a document's nested objects (before anything is written: a failure changes nothing).
    ``limit`` is ``index.mapping.nested_objects.limit``, counted over the whole document."""
    total = _count(docs)
    if total > limit:
        raise document_parsing_error(
            f"The number of nested documents has exceeded the allowed limit of [{limit}]. This limit can be set "
            "by changing the [index.mapping.nested_objects.limit] index level setting."
        )
    return tuple(_analyze_one(doc, analyze) for doc in docs)


def _count(docs: Sequence[NestedDoc]) -> int:
    return sum(1 + _count(doc.children) for doc in docs)


def _analyze_one(doc: NestedDoc, analyze: Callable[[dict[str, list[Any]]], Any]) -> NestedRow:
    analyzed = analyze(doc.values)
    if analyzed.vectors or analyzed.chunks or analyzed.features:
        raise not_supported(
            f"vector, sparse_vector and semantic_text fields inside the nested object [{doc.path}]",
            "retrievo indexes text, keyword, numeric, date and boolean fields of nested objects",
        )
    return NestedRow(doc.path, doc.offset, analyzed, tuple(_analyze_one(c, analyze) for c in doc.children))


@dataclass
class NestedWriter:
    """The rows of one nested path, collected between refreshes."""

    path: str
    parents: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    inverted: dict[str, InvertedFieldWriter] = field(default_factory=dict)
    columns: dict[str, NumericColumnWriter] = field(default_factory=dict)
    presence: dict[str, list[int]] = field(default_factory=dict)

    def add(self, parent: int, row: NestedRow, mappings: Mappings) -> int:
        doc = len(self.parents)
        self.parents.append(parent)
        self.offsets.append(row.offset)
        analyzed = row.analyzed
        for path, (terms, positions) in analyzed.tokens.items():
            fm = mappings.field(path) or hidden_field(mappings.field(parent_path(path)), path)  # index/subfields.py
            assert fm is not None
            writer = self.inverted.get(path)
            if writer is None:
                text = fm.type in ("text", "search_as_you_type")
                norms = text and fm.norms is not False
                writer = InvertedFieldWriter(path, with_norms=norms, with_positions=text, with_freqs=text or None)
                self.inverted[path] = writer
            writer.add(doc, terms, positions)
        for path, vals in analyzed.columns.items():
            fm = mappings.field(path)
            assert fm is not None
            column = self.columns.get(path)
            if column is None:
                column = self.columns[path] = NumericColumnWriter(path, integer=fm.type in _INTEGER_TYPES)
            column.add(doc, vals)
        for path in analyzed.present:
            self.presence.setdefault(path, []).append(doc)
        return doc


@dataclass(frozen=True, eq=False)
class NestedLevel:
    """The published rows of one nested path: a searcher over them, each row's parent row and offset."""

    path: str
    #: The enclosing nested path (``""``: the top-level documents).
    parent_path: str
    searcher: Searcher
    parents: np.ndarray  # int32[rows]: the row of the enclosing level
    offsets: np.ndarray  # int32[rows]: ``_nested.offset``

    @property
    def rows(self) -> int:
        return int(self.parents.size)


class NestedStore:
    """A shard's nested objects: one :class:`NestedWriter` per nested path."""

    def __init__(self) -> None:
        self.writers: dict[str, NestedWriter] = {}
        self._dirty = False

    def add(self, parent: int, rows: Sequence[NestedRow], mappings: Mappings) -> None:
        for row in rows:
            writer = self.writers.get(row.path)
            if writer is None:
                writer = self.writers[row.path] = NestedWriter(row.path)
            doc = writer.add(parent, row, mappings)
            self.add(doc, row.children, mappings)
            self._dirty = True

    def refresh(self, root: Searcher, mappings: Mappings, deletes: bool = True) -> dict[str, NestedLevel]:
        """The levels directly below the top-level documents (each holding its own sub-levels).
        ``deletes``: top-level documents were deleted or replaced since the last refresh (rows died)."""
        for path in nested_paths(mappings):  # every mapped path gets a level, empty until objects come
            if path not in self.writers:
                self.writers[path] = NestedWriter(path)
        if not self.writers:
            return {}
        live_of: dict[str, np.ndarray] = {"": root.live}
        ids_of: dict[str, Sequence[str]] = {"": root.ids}
        searcher_of: dict[str, Searcher] = {"": root}
        levels: dict[str, NestedLevel] = {}
        for path in sorted(self.writers, key=lambda p: p.count(".")):
            writer = self.writers[path]
            parent_path = _enclosing_path(mappings, path)
            parents = np.asarray(writer.parents, dtype=np.int32)
            parent_live = live_of.get(parent_path)
            if parent_live is None:
                continue
            rows = int(parents.size)
            live = parent_live[parents] if rows else np.zeros(0, dtype=bool)
            live_of[path] = live
            parent_ids = ids_of[parent_path]  # the store's IdColumn at the top: read per row, never copied whole
            ids = [parent_ids[p] for p in parents.tolist()]
            ids_of[path] = ids
            presence = {}
            for field_path, docs in writer.presence.items():
                mask = np.zeros(rows, dtype=bool)
                mask[np.asarray(docs, dtype=np.int64)] = True
                presence[field_path] = mask & live
            searcher = replace(
                root,
                index_name=root.index_name,
                max_doc=rows,
                live=live,
                ids=ids,
                by_id={},
                sources=cast(Any, NestedSources(searcher_of[parent_path], _relative(path, parent_path), writer)),
                retired=None,
                inverted_fields={p: w.refresh(rows, live, deletes) for p, w in writer.inverted.items()},
                numeric_columns={p: c.refresh(rows, live, deletes) for p, c in writer.columns.items()},
                presence=presence,
                vector_fields={},
                nested={},
            )
            searcher_of[path] = searcher
            levels[path] = NestedLevel(path, parent_path, searcher, parents, np.asarray(writer.offsets, np.int32))
        self._dirty = False
        return _tree(levels)


class NestedSources:
    """The ``_source`` of each nested row: its object read from the enclosing document's source (the
    parent searcher's, so deeper levels read through their ancestors). Stands in for a level searcher's
    ``sources`` list, so ``Searcher.source(row)`` answers the nested object."""

    def __init__(self, parent: Searcher, field: str, writer: NestedWriter) -> None:
        self.parent = parent
        self.field = field
        self.parents = np.asarray(writer.parents, dtype=np.int64)
        self.offsets = np.asarray(writer.offsets, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.parents.size)

    def __getitem__(self, row: int) -> dict[str, Any]:
        return nested_object(self.parent.source(int(self.parents[row])), self.field, int(self.offsets[row]))

    def steps(self, row: int) -> list[tuple[str, int]]:
        """(field, offset) of each nested object from the top-level document down to ``row``."""
        above = self.parent.sources
        prefix: list[tuple[str, int]] = above.steps(int(self.parents[row])) if isinstance(above, NestedSources) else []
        return [*prefix, (self.field, int(self.offsets[row]))]


def nested_identity(steps: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """A nested hit's ``_nested`` (Elasticsearch's ``NestedIdentity``): ``{field, offset}`` from the
    top-level document down, each deeper object as a ``_nested`` of its own."""
    identity: dict[str, Any] = {}
    for field_name, offset in reversed(steps):
        identity = {"field": field_name, "offset": offset, **({"_nested": identity} if identity else {})}
    return identity


def value_at(obj: Any, path: str) -> Any:
    """The value under a relative dotted ``path`` of a source object (dotted keys or nested objects)."""
    if not isinstance(obj, dict):
        return None
    if path in obj:
        return obj[path]
    head, _, rest = path.partition(".")
    while rest:
        if head in obj:
            return value_at(obj[head], rest)
        nxt, _, rest = rest.partition(".")
        head = f"{head}.{nxt}"
    return None


def nested_object(source: Any, field_name: str, offset: int) -> dict[str, Any]:
    """The ``offset``-th object (nulls skipped) under ``field_name`` of a source object."""
    value = value_at(source, field_name)
    if isinstance(value, list):
        objects = [v for v in value if v is not None]
        value = objects[offset] if offset < len(objects) else None
    return value if isinstance(value, dict) else {}


def _relative(path: str, base: str) -> str:
    return path[len(base) + 1 :] if base else path


def _enclosing_path(mappings: Mappings, path: str) -> str:
    parent = path.rpartition(".")[0]
    found = enclosing_nested(mappings, parent) if parent else None
    return found or ""


def _tree(levels: dict[str, NestedLevel]) -> dict[str, NestedLevel]:
    """Hangs each level under its enclosing one (its searcher's ``nested``); returns the top ones."""
    done: dict[str, NestedLevel] = {}
    for path in sorted(levels, key=lambda p: -p.count(".")):
        level = levels[path]
        below = {p: done.pop(p) for p in list(done) if levels[p].parent_path == path}
        if below:
            level = replace(level, searcher=replace(level.searcher, nested=below))
        done[path] = level
    return {p: lv for p, lv in done.items() if lv.parent_path == ""}


def resolve_level(levels: Mapping[str, NestedLevel], path: str) -> tuple[NestedLevel, np.ndarray] | None:
    """The level of ``path`` below a searcher whose direct levels are ``levels``, with each of its rows'
    ancestor *at that searcher's level* (a nested query may skip intermediate nested objects)."""
    found = levels.get(path)
    if found is not None:
        return found, found.parents
    for level in levels.values():
        if path.startswith(level.path + "."):
            deeper = resolve_level(level.searcher.nested, path)
            if deeper is None:
                return None
            target, rows = deeper
            return target, level.parents[rows]
    return None


def check_nested_limit(mappings: Mappings, limit: int) -> None:
    """``MappingLookup.checkNestedLimit``: ``index.mapping.nested_fields.limit`` nested objects at most."""
    if len(nested_paths(mappings)) > limit:
        raise illegal_argument(f"Limit of nested fields [{limit}] has been exceeded")


def level_chain(levels: Mapping[str, NestedLevel], path: str) -> list[NestedLevel] | None:
    """The levels from one of ``levels`` (a searcher's own) down to ``path``: a nested query, sort or
    aggregation may name a deeper path and skip the nested objects in between."""
    found = levels.get(path)
    if found is not None:
        return [found]
    for level in levels.values():
        if path.startswith(level.path + "."):
            deeper = level_chain(level.searcher.nested, path)
            return None if deeper is None else [level, *deeper]
    return None
