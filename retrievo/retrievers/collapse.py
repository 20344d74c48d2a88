"""Field collapsing (``collapse``) and the ``inner_hits`` that expand each collapsed group.

A search with ``collapse`` keeps only the best hit (by the search's own order) of each value of one
keyword or numeric field; documents without a value form one group of their own. Each ``inner_hits``
entry is a second search per group (Elasticsearch's expand phase): the same query restricted to the
group's value, with its own ``from``/``size``/``sort``/``_source``/``fields`` and optionally a second
``collapse`` on another field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.search import FieldAndFormat, SourceFilter, StoredFields
from retrievo.retrievers.sort import SortField


class InnerHits(Node):
    """One ``inner_hits`` entry of a ``collapse`` (``InnerHitBuilder``); ``name`` is required there."""

    kind: ClassVar[str] = "inner_hits"
    name: str
    from_: int = 0
    size: int = 3
    sort: tuple[SortField, ...] = ()
    #: ``_source`` (``None``: not given, the hit's whole source).
    source: SourceFilter | None = None
    fields: tuple[FieldAndFormat, ...] | None = None
    track_scores: bool = False
    ignore_unmapped: bool | None = None
    #: A second-level collapse of the group's hits: only its ``field``.
    collapse: Collapse | None = None
    #: ``stored_fields`` (``retrievers/fetch_source.py`` says what it does to ``_source``).
    stored_fields: StoredFields | None = None
    #: ``seq_no_primary_term``: each inner hit shows ``_seq_no`` and ``_primary_term``.
    seq_no_primary_term: bool = False
    #: ``version``: each inner hit shows its document's ``_version``.
    version: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.ignore_unmapped is not None:
            body["ignore_unmapped"] = self.ignore_unmapped
        if self.from_ != 0:
            body["from"] = self.from_
        if self.size != 3:
            body["size"] = self.size
        if self.track_scores:
            body["track_scores"] = True
        if self.fields is not None:
            body["fields"] = [f.to_json() for f in self.fields]
        if self.sort:
            body["sort"] = [s.to_json() for s in self.sort]
        if self.source is not None:
            body["_source"] = self.source.to_json()
        if self.collapse is not None:
            body["collapse"] = self.collapse.to_json()
        if self.stored_fields is not None:
            body["stored_fields"] = self.stored_fields.to_json()
        if self.seq_no_primary_term:
            body["seq_no_primary_term"] = True
        if self.version:
            body["version"] = True
        return body


class Collapse(Node):
    """``collapse``: the field to group by and the inner hits to expand each group with.
    ``max_concurrent_group_searches`` only bounds how many expand searches run at once in
    Elasticsearch; it is kept so the request prints back as it came."""

    kind: ClassVar[str] = "collapse"
    #: ``None`` when the body left it out: the shard refuses it (``no collapse field specified``).
    field: str | None = None
    inner_hits: tuple[InnerHits, ...] = ()
    #: Whether ``inner_hits`` was written as a list (it prints back the same way).
    inner_hits_list: bool = False
    max_concurrent_group_searches: int = 0

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {} if self.field is None else {"field": self.field}
        if self.max_concurrent_group_searches > 0:
            body["max_concurrent_group_searches"] = self.max_concurrent_group_searches
        if self.inner_hits:
            if len(self.inner_hits) == 1 and not self.inner_hits_list:
                body["inner_hits"] = self.inner_hits[0].to_json()
            else:
                body["inner_hits"] = [h.to_json() for h in self.inner_hits]
        return body


InnerHits.model_rebuild()
