"""The aggregation contract: one immutable class per aggregation type, that is both its parsed form
(the AST) and its operator (``collect`` over a bucket's documents).

Elasticsearch collects aggregations document by document on each shard and reduces the shard results;
retrievo has one shard and columnar doc values, so an aggregation receives the whole bucket at once — a
sorted array of internal doc ids — and works on numpy arrays. Bucket aggregations call their
sub-aggregations once per bucket (a loop over buckets, never over documents).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from retrievo.errors import ApiError, error_cause, shard_failure
from retrievo.index.searcher import Searcher

if TYPE_CHECKING:
    from retrievo.retrievers.highlight import Highlight
    from retrievo.retrievers.search import FieldAndFormat

#: Elasticsearch's default ``search.max_buckets``.
MAX_BUCKETS = 65536


def too_many_buckets(index: str) -> ApiError:
    cause = error_cause(
        "too_many_buckets_exception",
        f"Trying to create too many buckets. Must be less than or equal to: [{MAX_BUCKETS}] but this number of "
        "buckets was exceeded. This limit can be set by changing the [search.max_buckets] cluster level setting.",
        max_buckets=MAX_BUCKETS,
    )
    return shard_failure(index, cause)


@dataclass
class AggResult:
    """One aggregation's answer: the JSON Elasticsearch prints for it (without ``meta``, which the
    framework adds) and the numbers a ``buckets_path`` may read from it."""

    body: dict[str, Any]
    values: dict[str, float | None] = field(default_factory=dict)
    #: Bucket aggregations: the buckets in response order, each with its doc count and sub-results
    #: (what pipeline aggregations walk).
    buckets: list[Bucket] | None = None
    #: A search over several indices (``AggContext.reducible``): the state the coordinator's reduce
    #: needs and the printed body lacks (sums and counts, hash sets, samples, a shard's terms cut...).
    partial: Any = None

    def value(self, prop: str | None) -> float | None:
        """``buckets_path``'s property lookup: no property means the single value (``value``)."""
        key = "value" if prop is None else prop
        if key not in self.values:
            raise KeyError(key)
        return self.values[key]


@dataclass
class Bucket:
    """One bucket of a multi-bucket aggregation, as pipelines see it."""

    key: Any
    doc_count: int
    subs: dict[str, AggResult]
    body: dict[str, Any]  # the printed bucket (sub-aggregation bodies included once rendered)


#: ``(doc, source)`` → part of a hit (its ``fields``, ``highlight``...).
HitPart = Callable[[int, Any], dict[str, Any]]


@dataclass(frozen=True)
class HitOptions:
    """The fetch phase's per-hit options a ``top_hits`` runs with its own values, built by the planner,
    which owns the search's mappings, query and highlighter (``TopHitsAggregatorFactory`` sets each on a
    sub-search context of the search)."""

    #: (``fields``, ``docvalue_fields``; ``None``: the search's own list) → the hits' ``fields`` reader.
    fields: Callable[[tuple[FieldAndFormat, ...] | None, tuple[FieldAndFormat, ...] | None], HitPart]
    #: A ``highlight`` spec → the hits' ``highlight`` reader, highlighting with the search's query.
    highlight: Callable[[Highlight], HitPart]
    #: (doc, query score) → ``_shard``, ``_node`` and the ``_explanation`` of the search's query.
    explain: Callable[[int, float], dict[str, Any]]
    #: doc → the search's named queries (``_name``) it matches: every hit's ``matched_queries``, as on
    #: the search's own hits (``None``: the search names no query).
    matched_queries: Callable[[int], list[str]] | None = None


@dataclass(frozen=True)
class AggContext:
    """What an aggregation may read: the search's snapshot and the ways into the planner it needs,
    passed in so that this package never imports the planner (which runs it)."""

    searcher: Searcher
    index_name: str
    #: Query scores over every document, where the search computed them (``top_hits``), else ``None``.
    scores: np.ndarray | None = None
    #: A parsed query → bool[max_doc] of the documents it matches (``filter``/``filters``).
    filter_mask: Callable[[Any], np.ndarray] | None = None
    #: (doc, score) → a hit object shaped as the search's own hits (``top_hits``).
    fetch_hit: Callable[[int, float | None], dict[str, Any]] | None = None
    typed_keys: bool = False
    #: Buckets built so far by this search (``search.max_buckets`` caps them; one list per search).
    buckets_built: list[int] = field(default_factory=lambda: [0])
    #: Per-search memo of doc-value layouts (``values.py``), shared by every bucket of the search.
    cache: dict[Any, Any] = field(default_factory=dict)
    #: A searcher → its ``filter_mask`` (a ``filter`` inside a ``nested`` aggregation reads nested rows).
    filter_mask_for: Callable[[Searcher], Callable[[Any], np.ndarray]] | None = None
    #: Inside a ``nested`` aggregation: the scope ``reverse_nested`` climbs (``aggregations/nested.py``).
    nested_scope: Any = None
    #: Stored field names → a reader of their values from a source (``top_hits``' ``stored_fields``).
    stored_fields: Callable[[tuple[str, ...]], Callable[[Any], dict[str, Any]]] | None = None
    #: ``top_hits``' own ``fields``/``docvalue_fields``, ``highlight`` and ``explain``.
    hit_options: HitOptions | None = None
    #: One index of a search over several: results carry ``partial`` state for ``reduce.py``, bucket
    #: cuts are the shard's (``shard_size``), pipelines wait for the reduced tree, nothing is printed.
    reducible: bool = False

    def count_buckets(self, n: int) -> None:
        """``MultiBucketConsumer``: fail the search once it has built more than ``MAX_BUCKETS`` buckets."""
        self.buckets_built[0] += n
        if self.buckets_built[0] > MAX_BUCKETS:
            raise too_many_buckets(self.index_name)

    def mask_of(self, docs: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.searcher.max_doc, dtype=bool)
        mask[docs] = True
        return mask


@dataclass(frozen=True, kw_only=True)
class Aggregation:
    """Base of every aggregation type. ``type_key`` is the ``typed_keys`` prefix Elasticsearch prints
    (its internal aggregation's writeable name); ``type_name`` the request's key."""

    name: str
    meta: dict[str, Any] | None = None
    subs: tuple[Aggregation, ...] = ()

    type_name: ClassVar[str] = ""
    type_key: ClassVar[str] = ""
    accepts_subs: ClassVar[bool] = False
    is_pipeline: ClassVar[bool] = False
    #: ``filter``/``missing``: one bucket, so a bucket order may pass through it (``filter>max``).
    single_bucket: ClassVar[bool] = False

    def result_key(self, result: AggResult) -> str:
        """The ``typed_keys`` prefix of this result (terms answer ``sterms``/``lterms``/``dterms``)."""
        return str(result.body.pop("__type__", self.type_key))

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        raise NotImplementedError


def bucket_docs(docs: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The sorted doc ids of ``docs`` where ``keep`` (aligned with ``docs``) is true."""
    return docs[keep]
