"""A point-in-time, read-only view of one index: what every search runs against.

``refresh`` produces a new :class:`Searcher`; a search holds on to the one it started with, so
writes that happen meanwhile never change its results (Elasticsearch's near-real-time model).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from retrievo.index.dates.nanos import DEFAULT_DATE_NANOS_FORMAT, parse_nanos_bound
from retrievo.index.doc_values import NumericColumn
from retrievo.index.inverted import InvertedField
from retrievo.index.shard_views import restricted, shard_view
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
    ids: Sequence[str]  # internal doc → _id (the store's IdColumn, shared, only appended to)
    by_id: Mapping[str, int]  # as of this snapshot (the store's SnapshotIds view)
    sources: Sequence[dict[str, Any] | None]  # the store's SourceColumn: each read decodes a new dict
    fields: dict[str, FieldInfo]
    inverted_fields: Mapping[str, InvertedField]
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
    #: Internal doc → ``_seq_no`` (the store's array, only appended to; ``-1`` unknown, see ``index.store``).
    doc_seq_nos: Sequence[int] = field(default_factory=list)
    #: Internal doc → ``_version`` (the store's array, only appended to; see ``index.store``).
    doc_versions: Sequence[int] = field(default_factory=list)
    #: ``index.number_of_shards``, and each document's shard (int16[max_doc]; ``None`` with one shard):
    #: see ``index/routing.py`` and ``index/shard_views.py``.
    number_of_shards: int = 1
    shard_of: np.ndarray | None = None
    #: Set on a shard's view (``index/shard_views.py``): the shard it shows; ``None`` on the whole index.
    shard_id: int | None = None
    #: Internal doc → the custom routing it was written with (the store's dict; hits print ``_routing``).
    doc_routings: Mapping[int, str] = field(default_factory=dict)
    #: The shards a search with ``routing`` covers (:meth:`routed`); ``None``: all of them.
    routed_shards: tuple[int, ...] | None = None
    #: ``search_type=dfs_query_then_fetch``: every shard scores with the whole index's statistics.
    dfs: bool = False

    @property
    def shards_searched(self) -> int:
        """The ``_shards.total`` of a search of this searcher."""
        return self.number_of_shards if self.routed_shards is None else len(self.routed_shards)

    def routed(self, shards: tuple[int, ...] | None, dfs: bool) -> Searcher:
        """This snapshot as one search sees it: only the shards its ``routing`` names (their documents
        are the only live ones), scored with whole-index statistics under ``dfs``."""
        if shards == self.routed_shards and dfs == self.dfs:  # already this search's view
            return self
        if self.shard_of is None and shards is not None and 0 not in shards:  # preference=_shards: elsewhere
            return replace(self, live=np.zeros_like(self.live), routed_shards=())
        if self.shard_of is None or (shards is None and not dfs):
            return self  # one shard: its statistics are the index's
        if shards is None:
            return replace(self, dfs=True)
        routed = np.isin(self.shard_of, np.asarray(shards, dtype=np.int16))
        if dfs:  # the dfs phase gathers the routed shards' statistics only
            return replace(restricted(self, routed, None), routed_shards=shards, dfs=True)
        return replace(self, live=self.live & routed, routed_shards=shards)

    @cached_property
    def shard_views(self) -> tuple[Searcher, ...]:
        """One searcher per shard, each with its own term statistics (empty with one shard)."""
        if self.shard_of is None or self.shard_id is not None or self.dfs:
            return ()
        return tuple(shard_view(self, s) for s in range(self.number_of_shards))

    @cached_property
    def tie_order(self) -> np.ndarray | None:
        """Each document's place in Elasticsearch's cross-shard tie order (shard, then doc id within its
        shard) as int64[max_doc]; ``None`` with one shard, where the doc id is the order."""
        if self.shard_of is None:
            return None
        order = np.lexsort((np.arange(self.max_doc), self.shard_of))
        rank = np.empty(self.max_doc, dtype=np.int64)
        rank[order] = np.arange(self.max_doc)
        return rank

    @cached_property
    def local_doc_ids(self) -> np.ndarray | None:
        """Each document's doc id within its shard (int64[max_doc]), what Lucene numbers it on the shard
        (explanations, ``random_score`` without a field); ``None`` with one shard, where they are the same."""
        if self.shard_of is None:
            return None
        local = np.empty(self.max_doc, dtype=np.int64)
        for shard in range(self.number_of_shards):
            mine = np.flatnonzero(self.shard_of == shard)
            local[mine] = np.arange(mine.size)
        return local

    def shard_number(self, doc: int) -> int:
        """The shard holding internal doc ``doc`` (what ``_shard`` and explanations name)."""
        return 0 if self.shard_of is None else int(self.shard_of[doc])

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
