"""A point-in-time, read-only view of one index: what every search runs against.

``refresh`` produces a new :class:`Searcher`; a search holds on to the one it started with, so
writes that happen meanwhile never change its results (Elasticsearch's near-real-time model).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from retrievo.index.dates.nanos import DEFAULT_DATE_NANOS_FORMAT, parse_nanos_bound
from retrievo.index.doc_values import NumericColumn
from retrievo.index.inverted import InvertedField
from retrievo.index.sparse_vectors import SparseIndexOptions
from retrievo.index.store import RetiredSources
from retrievo.index.subfields import SubfieldInfo


class TextAnalyzer(Protocol):
    def terms(self, text: str) -> tuple[list[str], list[int]]: ...


@dataclass(frozen=True)
class FieldInfo:
    """What the query layer needs to know about one mapped leaf field."""

    path: str
    type: str
    indexed: bool
    search_analyzer: TextAnalyzer | None = None
    has_positions: bool = True
    date_format: str | None = None
    dims: int | None = None
    inference_id: str | None = None  # semantic_text: the endpoint that embeds its text
    sparse_options: SparseIndexOptions | None = None  # sparse_vector: the pruning its queries default to
    #: Where ``_source`` holds its values when that is more than its own path: a ``copy_to`` target's
    #: path and its sources' (retrievo.index.copy_to.source_paths); empty otherwise.
    source_paths: tuple[str, ...] = ()
    positive_score_impact: bool = True  # rank_feature(s): false stores 1/value
    #: Hidden subfields a query on this field may be rewritten onto (retrievo.index.subfields).
    subfields: SubfieldInfo | None = None


DateParser = Callable[[FieldInfo, Any, int, bool, "str | None", "str | None"], int]


@dataclass(frozen=True, eq=False)
class Searcher:
    index_name: str
    max_doc: int
    live: np.ndarray  # bool[max_doc]
    ids: tuple[str, ...] | list[str]  # internal doc → _id (list shared, only appended to)
    by_id: dict[str, int]
    sources: list[dict[str, Any] | None]
    fields: dict[str, FieldInfo]
    inverted_fields: dict[str, InvertedField]
    numeric_columns: dict[str, NumericColumn]
    presence: dict[str, np.ndarray]  # field path → bool[max_doc]: a value was given
    analyzers: Callable[[str], TextAnalyzer | None]
    date_parser: DateParser
    generation: int = 0
    vector_fields: dict[str, Any] = field(default_factory=dict)  # path → VectorField snapshot
    #: Refreshes that published new documents: the Lucene segments Elasticsearch would hold (no merges
    #: modelled); the phrase suggester's statistics differ between one segment and several.
    segments: int = 1
    #: Sources of this snapshot's documents dropped by later writes (``sources`` is the store's own list).
    retired: RetiredSources | None = None
    #: ``nested`` paths directly below this level → their ``index.nested.NestedLevel`` (rows, parents).
    nested: dict[str, Any] = field(default_factory=dict)
    #: Every object path of the mappings → ``"object"`` or ``"nested"`` (what a nested query's path names).
    objects: dict[str, str] = field(default_factory=dict)
    #: Internal doc → ``_seq_no`` (the store's list, only appended to; ``-1`` unknown, see ``index.store``).
    doc_seq_nos: list[int] = field(default_factory=list)
    #: Internal doc → ``_version`` (the store's list, only appended to; see ``index.store``).
    doc_versions: list[int] = field(default_factory=list)

    @cached_property
    def live_count(self) -> int:
        return int(self.live.sum())

    @cached_property
    def seq_nos(self) -> np.ndarray:
        """``_seq_no`` per doc of this snapshot (int64[max_doc]), the doc values ES keeps for it."""
        return np.asarray(self.doc_seq_nos[: self.max_doc], dtype=np.int64)

    @cached_property
    def doc_version_array(self) -> np.ndarray:
        """``_version`` per doc of this snapshot (int64[max_doc]), what ``version: true`` shows."""
        return np.asarray(self.doc_versions[: self.max_doc], dtype=np.int64)

    def field_info(self, path: str) -> FieldInfo | None:
        return self.fields.get(path)

    def find_analyzer(self, name: str) -> TextAnalyzer | None:
        return self.analyzers(name)

    def parse_date(
        self, fi: FieldInfo, value: Any, now_millis: int, round_up: bool, fmt: str | None, tz: str | None
    ) -> int:
        return self.date_parser(fi, value, now_millis, round_up, fmt, tz)

    def parse_date_bound(
        self, fi: FieldInfo, value: Any, now_millis: int, round_up: bool, fmt: str | None, tz: str | None
    ) -> int:
        """A query value on a date field in the field's own resolution: epoch nanoseconds for
        ``date_nanos`` (:mod:`retrievo.index.dates.nanos`), else :meth:`parse_date`'s millis."""
        if fi.type != "date_nanos":
            return self.date_parser(fi, value, now_millis, round_up, fmt, tz)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        formats = fmt or fi.date_format or DEFAULT_DATE_NANOS_FORMAT
        return parse_nanos_bound(str(value), now_millis, round_up, formats, tz)

    def searchable_fields(self) -> list[str]:
        return [p for p, fi in self.fields.items() if fi.indexed]

    def existing_fields(self, pattern: str) -> list[str]:
        """Leaf fields an ``exists`` query on ``pattern`` covers (an object path covers its leaves)."""
        if any(c in pattern for c in "*?"):
            return [p for p in self.fields if fnmatch.fnmatchcase(p, pattern)]
        if pattern in self.fields:
            return [pattern]
        prefix = pattern + "."
        return [p for p in self.fields if p.startswith(prefix)]

    def inverted(self, path: str) -> InvertedField | None:
        return self.inverted_fields.get(path)

    def vector(self, path: str) -> Any | None:
        return self.vector_fields.get(path)

    def numeric(self, path: str) -> NumericColumn | None:
        return self.numeric_columns.get(path)

    def present(self, path: str) -> np.ndarray:
        mask = self.presence.get(path)
        if mask is None:
            return np.zeros(self.max_doc, dtype=bool)
        return mask

    def source(self, doc: int) -> dict[str, Any]:
        src = self.sources[doc]
        if src is None and self.retired is not None:
            src = self.retired.find(doc)
        return src if src is not None else {}
