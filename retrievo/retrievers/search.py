"""A whole search request: the retriever tree plus what shapes the response.

A top-level ``query``/``sort``/``min_score``/``terminate_after`` is normalised into a ``standard``
retriever by the parser (Elasticsearch itself rewrites a top-level ``standard`` retriever into exactly
those search-source fields), so the planner sees one shape only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.highlight import Highlight
from retrievo.retrievers.retriever import Retriever


class SourceFilter(Node):
    """``_source``: ``enabled=False`` drops it; ``includes``/``excludes`` are wildcard patterns."""

    kind: ClassVar[str] = "_source"
    enabled: bool = True
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def to_json(self) -> Any:
        if not self.enabled:
            return False
        if not self.includes and not self.excludes:
            return True
        return {"includes": list(self.includes), "excludes": list(self.excludes)}


class FieldAndFormat(Node):
    """One entry of ``fields`` or ``docvalue_fields``: a field name or ``*`` pattern, with an optional
    ``format`` (dates) and, for ``fields``, ``include_unmapped`` (``None`` when not given)."""

    kind: ClassVar[str] = "field_and_format"
    field: str
    format: str | None = None
    include_unmapped: bool | None = None

    def to_json(self) -> Any:
        if self.format is None and self.include_unmapped is None:
            return self.field
        body: dict[str, Any] = {"field": self.field}
        if self.format is not None:
            body["format"] = self.format
        if self.include_unmapped is not None:
            body["include_unmapped"] = self.include_unmapped
        return body


class StoredFields(Node):
    """``stored_fields``: ``_none_`` (``fetch=False``: hits without ``_id`` or ``_source``) or names.

    Naming any stored field (even none, ``[]``) turns the implicit ``_source`` off unless ``_source``
    is among the names, as Elasticsearch's ``FetchContext`` does.
    """

    kind: ClassVar[str] = "stored_fields"
    fetch: bool = True
    names: tuple[str, ...] = ()

    def to_json(self) -> Any:
        if not self.fetch:
            return "_none_"
        return list(self.names)


TrackTotalHits = bool | int


class SearchRequest(Node):
    kind: ClassVar[str] = "search"
    index: str
    retriever: Retriever
    size: int = 10
    #: Whether the request wrote ``size`` out. Elasticsearch checks a compound retriever's window
    #: against ``size`` only when it was given (``CompoundRetrieverBuilder.validate`` reads the unset
    #: ``-1``), so an unwritten default of 10 never fails against a smaller window. Any other value
    #: was given by definition, so only an explicit ``size: 10`` sets it.
    size_given: bool = False
    from_: int = 0
    source: SourceFilter = SourceFilter()
    explain: bool = False
    track_total_hits: TrackTotalHits = 10000
    track_scores: bool = False
    #: ``seq_no_primary_term``: each hit shows its document's ``_seq_no`` and ``_primary_term`` (always 1).
    seq_no_primary_term: bool = False
    #: ``version``: each hit shows its document's ``_version``.
    version: bool = False
    #: The ``routing`` URL parameter's values: the search covers only the shards they route to.
    routing: tuple[str, ...] = ()
    #: ``preference=_shards:…``: the only shard numbers the search may cover (``None``: any).
    preferred_shards: tuple[int, ...] | None = None
    #: ``search_type=dfs_query_then_fetch``: scores use the whole index's term statistics, not each shard's.
    dfs: bool = False
    #: Top-level ``min_score``; only with a compound retriever (it cuts the fused scores).
    min_score: float | None = None
    #: True when the request came as a top-level ``query`` rather than a ``retriever``; it only
    #: changes how the request prints back, never what it means.
    top_level_query: bool = False
    #: True when the request used the deprecated ``rank`` section: it runs as an ``rrf`` retriever, and
    #: only its ``profile`` differs (Elasticsearch profiles the legacy dfs kNN + query-phase shape).
    legacy_rank: bool = False
    #: ``profile``: report what each operator cost (it never changes the hits).
    profile: bool = False
    #: ``fields``: values read from ``_source`` through each field's mapping (``None``: not asked).
    fields: tuple[FieldAndFormat, ...] | None = None
    #: ``docvalue_fields``: values as the index holds them in doc values (``None``: not asked).
    docvalue_fields: tuple[FieldAndFormat, ...] | None = None
    #: ``stored_fields`` (``None``: not given, Elasticsearch's metadata-only default).
    stored_fields: StoredFields | None = None
    #: An explicit ``_source: true`` beside named ``stored_fields``: the one place where it differs
    #: from the implicit default (naming stored fields turns the implicit ``_source`` off).
    source_requested: bool = False
    #: ``aggs``/``aggregations`` (``retrievo.aggregations`` classes, which this package may not import,
    #: hence ``Any``): computed over every document the retriever tree matched.
    aggs: tuple[Any, ...] = ()
    #: The ``typed_keys`` URL parameter: aggregation names printed as ``type#name``.
    typed_keys: bool = False
    #: A top-level ``collapse`` (``retrievers.collapse.Collapse``, which imports this module, hence
    #: ``Any``) over a retriever other than ``standard``: a ``standard`` retriever holds its own.
    collapse: Any = None
    #: ``highlight``: fragments of the hits' fields around what the query matched (``None``: not asked).
    highlight: Highlight | None = None
    #: ``suggest`` (a ``retrievo.suggest.model.Suggest``, which this package may not import, hence ``Any``).
    suggest: Any = None

    @property
    def checked_size(self) -> int | None:
        """The ``size`` a compound retriever's window is checked against: ``None`` when the request
        left it to its default (see :attr:`size_given`)."""
        return self.size if self.size_given or self.size != 10 else None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        ret = self.retriever.to_json()
        rescore = ret["rescorer"]["rescore"] if self.top_level_query and "rescorer" in ret else None
        if rescore is not None:  # a top-level ``rescore`` around the body's query
            ret = ret["rescorer"]["retriever"]
        if self.top_level_query and "standard" in ret:
            body.update(ret["standard"])
        else:
            body["retriever"] = ret
        if rescore is not None:
            body["rescore"] = rescore
        if self.size != 10:  # an explicit 10 prints as the default: for a valid request it means the same
            body["size"] = self.size
        if self.from_ != 0:
            body["from"] = self.from_
        src = self.source.to_json()
        if src is not True or self.source_requested:
            body["_source"] = src
        if self.explain:
            body["explain"] = True
        if self.track_total_hits != 10000:
            body["track_total_hits"] = self.track_total_hits
        if self.track_scores:
            body["track_scores"] = True
        if self.seq_no_primary_term:
            body["seq_no_primary_term"] = True
        if self.version:
            body["version"] = True
        if self.min_score is not None:
            body["min_score"] = self.min_score
        if self.profile:
            body["profile"] = True
        if self.stored_fields is not None:
            body["stored_fields"] = self.stored_fields.to_json()
        if self.docvalue_fields is not None:
            body["docvalue_fields"] = [f.to_json() for f in self.docvalue_fields]
        if self.fields is not None:
            body["fields"] = [f.to_json() for f in self.fields]
        if self.collapse is not None:
            body["collapse"] = self.collapse.to_json()
        if self.highlight is not None:
            body["highlight"] = self.highlight.to_json()
        if self.suggest is not None:
            body["suggest"] = self.suggest.to_json()
        return body

    @property
    def returns_source(self) -> bool:
        """Whether hits carry ``_source`` (``FetchContext.buildFetchSourceContext``): an explicit
        ``_source`` decides; otherwise naming stored fields turns it off, unless ``_source`` is one
        of them; ``stored_fields: _none_`` always turns it off."""
        stored = self.stored_fields
        if stored is None:
            return self.source.enabled
        if not stored.fetch:
            return False
        if "_source" in stored.names:
            return True
        if self.source == SourceFilter():
            return self.source_requested
        return self.source.enabled
