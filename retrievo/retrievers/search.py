"""A whole search request: the retriever tree plus what shapes the response.

A top-level ``query``/``sort``/``min_score``/``terminate_after`` is normalised into a ``standard``
retriever by the parser (Elasticsearch itself rewrites a top-level ``standard`` retriever into exactly
those search-source fields), so the planner sees one shape only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
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


TrackTotalHits = bool | int


class SearchRequest(Node):
    kind: ClassVar[str] = "search"
    index: str
    retriever: Retriever
    size: int = 10
    from_: int = 0
    source: SourceFilter = SourceFilter()
    explain: bool = False
    track_total_hits: TrackTotalHits = 10000
    track_scores: bool = False
    #: Top-level ``min_score``; only with a compound retriever (it cuts the fused scores).
    min_score: float | None = None
    #: True when the request came as a top-level ``query`` rather than a ``retriever``; it only
    #: changes how the request prints back, never what it means.
    top_level_query: bool = False
    #: ``profile``: report what each operator cost (it never changes the hits).
    profile: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        ret = self.retriever.to_json()
        if self.top_level_query and "standard" in ret:
            body.update(ret["standard"])
        else:
            body["retriever"] = ret
        if self.size != 10:
            body["size"] = self.size
        if self.from_ != 0:
            body["from"] = self.from_
        src = self.source.to_json()
        if src is not True:
            body["_source"] = src
        if self.explain:
            body["explain"] = True
        if self.track_total_hits != 10000:
            body["track_total_hits"] = self.track_total_hits
        if self.track_scores:
            body["track_scores"] = True
        if self.min_score is not None:
            body["min_score"] = self.min_score
        if self.profile:
            body["profile"] = True
        return body
