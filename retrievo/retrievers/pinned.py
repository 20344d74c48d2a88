"""``pinned``: promote chosen documents above a child retriever's results (x-pack search-business-rules).

Elasticsearch wraps the child's query in a ``pinned`` query: each pinned document scores a constant just
above ``2^127`` (the first listed highest), every organic score is capped at ``2^127``, so the pinned
documents lead in the order given and the child's results follow (``PinnedRetrieverBuilder``,
``PinnedQueryBuilder``).
"""

from __future__ import annotations

import json
import struct
from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import WrappingRetriever

#: ``PinnedQueryBuilder.MAX_NUM_PINNED_HITS``.
MAX_PINNED = 100
#: Bits of ``MAX_ORGANIC_SCORE``: ``Float.intBitsToFloat(0xfe << 23) - 1`` is 2^127 (the ``- 1`` vanishes).
MAX_ORGANIC_BITS = 0xFE << 23


def _float_of_bits(bits: int) -> float:
    return float(struct.unpack(">f", struct.pack(">I", bits))[0])


MAX_ORGANIC_SCORE = _float_of_bits(MAX_ORGANIC_BITS)


def pin_score(position: int, count: int) -> float:
    """The score of the pinned document at ``position`` (from 0) of ``count``: the float32 whose bits are
    ``bits(2^127) + 1 + count - position``, so two pins score ``1.7014124E38`` and ``1.7014122E38``. A
    listed document that is absent (or in another index) still uses its slot."""
    return _float_of_bits(MAX_ORGANIC_BITS + 1 + count - position)


class PinnedDoc(Node):
    """One entry of ``docs``: an ``_id``, optionally only in the index (or alias) named by ``_index``."""

    kind: ClassVar[str] = "pinned_doc"
    id: str
    index: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"_id": self.id} if self.index is None else {"_index": self.index, "_id": self.id}


def pretty_doc(doc: PinnedDoc) -> str:
    """``SpecifiedDocument.toString()``: pretty JSON as Jackson's default pretty printer writes it."""
    return json.dumps(doc.to_json(), indent=2, separators=(",", " : "))


def pin_list_problem(ids: tuple[str, ...] | None, docs: tuple[PinnedDoc, ...] | None) -> str | None:
    """``PinnedQueryBuilder``'s constructor checks, in its order (at most 100, then no duplicates): the
    message of the first that fails, ``None`` when the list is fine."""
    if ids is not None:
        if len(ids) > MAX_PINNED:
            return f"[pinned] Max of {MAX_PINNED} ids exceeded: {len(ids)} provided."
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            for i in ids:
                if i in seen:
                    return f"[pinned] duplicate id found in list: {i}"
                seen.add(i)
    if docs is not None:
        if len(docs) > MAX_PINNED:
            return f"[pinned] Max of {MAX_PINNED} docs exceeded: {len(docs)} provided."
        seen_docs: set[tuple[str | None, str]] = set()
        for d in docs:
            if (d.index, d.id) in seen_docs:
                return f"[pinned] duplicate doc found in list: {pretty_doc(d)}"
            seen_docs.add((d.index, d.id))
    return None


class PinnedRetriever(WrappingRetriever):
    kind: ClassVar[str] = "pinned"
    #: Exactly one of ``ids`` and ``docs`` is set (the parser enforces Elasticsearch's rules).
    ids: tuple[str, ...] | None = None
    docs: tuple[PinnedDoc, ...] | None = None

    def pinned(self) -> tuple[PinnedDoc, ...]:
        """The pinned documents in pin order, ``ids`` read as documents of any index."""
        if self.docs is not None:
            return self.docs
        return tuple(PinnedDoc(id=i) for i in self.ids or ())

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.ids is not None:
            out["ids"] = list(self.ids)
        if self.docs is not None:
            out["docs"] = [d.to_json() for d in self.docs]
        out["rank_window_size"] = self.rank_window_size
        return {**out, **super().describe()}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.ids is not None:
            body["ids"] = list(self.ids)
        if self.docs is not None:
            body["docs"] = [d.to_json() for d in self.docs]
        body["retriever"] = self.retriever.to_json()
        if self.rank_window_size != DEFAULT_RANK_WINDOW_SIZE:
            body["rank_window_size"] = self.rank_window_size
        return {"pinned": {**body, **self._base_json()}}


class PinnedQuery(Query):
    """The ``pinned`` query: ``organic`` with the pinned documents scored above it (``PinnedQueryBuilder``).

    Unlike the retriever, empty ``ids`` are allowed (the organic query alone, its scores capped)."""

    kind: ClassVar[str] = "pinned"
    organic: Query
    ids: tuple[str, ...] | None = None
    docs: tuple[PinnedDoc, ...] | None = None

    def pinned(self) -> tuple[PinnedDoc, ...]:
        if self.docs is not None:
            return self.docs
        return tuple(PinnedDoc(id=i) for i in self.ids or ())

    def children(self) -> tuple[Query, ...]:
        return (self.organic,)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"organic": self.organic.to_json()}
        if self.ids is not None:
            body["ids"] = list(self.ids)
        if self.docs is not None:
            body["docs"] = [d.to_json() for d in self.docs]
        return {"pinned": {**body, **self._common()}}
