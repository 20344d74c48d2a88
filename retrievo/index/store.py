"""The document store: ``_id`` ↔ internal doc id, ``_source``, versions and live documents.

Internal doc ids are assigned in indexing order and never reused. Re-indexing an existing ``_id``
deletes the old internal doc and appends a new one, so — as in a single-shard Elasticsearch index —
an updated document moves to the end of the tie-break order.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo.json_copy import copy_json


class RetiredSources:
    """The sources of documents deleted or re-indexed after one refresh, kept for its searchers.

    A searcher published at a refresh counts its documents live until the next one; a write after it
    drops the old document's source from the store, yet a search on that searcher may still fetch it
    (Elasticsearch's searcher reads it from its point-in-time segment). Each refresh starts a new node
    and links it from the previous one, so a searcher walks forward from its own node to find any source
    dropped since it was published; the store holds only the newest node, so a node, and the sources in
    it, go when the last searcher that can see them does.
    """

    __slots__ = ("__weakref__", "by_doc", "next")

    def __init__(self) -> None:
        self.by_doc: dict[int, dict[str, Any]] = {}
        self.next: RetiredSources | None = None

    def find(self, doc: int) -> dict[str, Any] | None:
        node: RetiredSources | None = self
        while node is not None:
            source = node.by_doc.get(doc)
            if source is not None:
                return source
            node = node.next
        return None


@dataclass
class DocumentStore:
    ids: list[str] = field(default_factory=list)
    sources: list[dict[str, Any] | None] = field(default_factory=list)
    by_id: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    live_list: list[bool] = field(default_factory=list)
    seq_no: int = -1
    #: Internal doc → the ``_seq_no`` of the write that stored it (``-1``: unknown, a store saved before
    #: retrievo kept it); what ``random_score`` with a seed but no ``field`` hashes, as ES does.
    doc_seq_nos: list[int] = field(default_factory=list)
    #: Internal doc → the ``_version`` it was stored with (``0`` for a dead document loaded from disk):
    #: a searcher published before a later write must still show the version it saw (``version: true``).
    doc_versions: list[int] = field(default_factory=list)
    #: Internal doc → the custom ``routing`` it was written with (absent: routed by its ``_id``); kept for
    #: dead documents too, whose postings still count in their shard's statistics until a merge.
    doc_routings: dict[int, str] = field(default_factory=dict)
    deletes_since_refresh: bool = False
    #: Sources dropped since the last refresh (see :class:`RetiredSources`).
    retired: RetiredSources = field(default_factory=RetiredSources)

    @property
    def max_doc(self) -> int:
        return len(self.ids)

    def _drop_source(self, internal: int) -> None:
        """Free a dead document's source, keeping it for the searchers published before (retired first,
        then cleared, so a concurrent reader finds it in one place or the other)."""
        source = self.sources[internal]
        if source is not None:
            self.retired.by_doc[internal] = source
        self.sources[internal] = None

    def publish_retired(self) -> RetiredSources:
        """At a refresh: the node collecting the sources dropped from now on, for the new searcher."""
        node = RetiredSources()
        self.retired.next = node
        self.retired = node
        return node

    def live_mask(self) -> np.ndarray:
        return np.fromiter(self.live_list, dtype=bool, count=len(self.live_list))

    def next_auto_id(self) -> str:
        """A 20-character URL-safe base64 id, the shape of Elasticsearch's generated ids."""
        while True:
            candidate = base64.urlsafe_b64encode(os.urandom(15)).decode("ascii")
            if candidate not in self.by_id:
                return candidate

    def append(
        self, doc_id: str, source: dict[str, Any], version: int | None = None, routing: str | None = None
    ) -> tuple[int, int, bool]:
        """Store a document; returns (internal doc, new version, created?). ``version``: the one
        ``index.versioning`` settled on (else the id's next); ``routing``: the write's custom routing."""
        created = doc_id not in self.by_id
        if not created:
            self.live_list[self.by_id[doc_id]] = False
            self._drop_source(self.by_id[doc_id])
            self.deletes_since_refresh = True
        internal = len(self.ids)
        self.ids.append(doc_id)
        self.sources.append(copy_json(source))
        self.live_list.append(True)
        self.by_id[doc_id] = internal
        if routing is not None:
            self.doc_routings[internal] = routing
        version = self.versions.get(doc_id, 0) + 1 if version is None else version
        self.versions[doc_id] = version
        self.seq_no += 1
        self.doc_seq_nos.append(self.seq_no)
        self.doc_versions.append(version)
        return internal, version, created

    def delete(self, doc_id: str, version: int | None = None) -> int | None:
        """Remove a document; returns its new version (``version`` when given), or None when it did not exist."""
        internal = self.by_id.pop(doc_id, None)
        if internal is None:
            return None
        self.live_list[internal] = False
        self._drop_source(internal)
        self.deletes_since_refresh = True
        self.versions[doc_id] = self.versions.get(doc_id, 0) + 1 if version is None else version
        self.seq_no += 1
        return self.versions[doc_id]

    def seq_no_of(self, internal: int) -> int:
        """The ``_seq_no`` a get reports for a document (the shard's latest where it was not saved)."""
        known = self.doc_seq_nos[internal] if internal < len(self.doc_seq_nos) else -1
        return known if known >= 0 else self.seq_no

    def routing_of(self, doc_id: str) -> str | None:
        """The custom routing the live document ``doc_id`` was written with (``None``: by its ``_id``)."""
        internal = self.by_id.get(doc_id)
        return None if internal is None else self.doc_routings.get(internal)

    def get(self, doc_id: str) -> tuple[int, dict[str, Any]] | None:
        internal = self.by_id.get(doc_id)
        if internal is None:
            return None
        src = self.sources[internal]
        assert src is not None
        return internal, src
