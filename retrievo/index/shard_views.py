"""The shards of an index with ``number_of_shards`` > 1, as views over its one document store.

retrievo keeps every document of an index in one store and one set of inverted fields, numbered in
arrival order. Elasticsearch keeps each shard in its own Lucene index, and a search scores each shard's
documents with that shard's statistics (``docFreq``, ``docCount``, ``avgdl``) unless it asks for
``dfs_query_then_fetch``. A :class:`~retrievo.index.searcher.Searcher` for shard *s* is the whole index's
searcher with ``live`` cut to the documents routed to *s* and inverted fields holding only their
postings. Doc ids stay the index's own, so a shard's results need no translation and the shards'
results never overlap.

A document's nested objects live on its shard: each nested level is restricted through its rows'
parents, so nested queries score with the shard's statistics too.

Term ids stay the index's too (the ``terms`` dictionary is shared): a term absent from a shard has an
empty posting list there, which every scorer already treats as no match.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from retrievo.index.inverted import InvertedField

if TYPE_CHECKING:
    from retrievo.index.searcher import Searcher


def restrict_field(inv: InvertedField, in_shard: np.ndarray) -> InvertedField:
    """``inv`` with only the postings of documents where ``in_shard`` is true, and their statistics."""
    keep = in_shard[inv.docs]
    kept_before = np.zeros(keep.size + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    offsets = kept_before[inv.offsets]  # each term's postings stay one contiguous run
    docs, freqs = inv.docs[keep], inv.freqs[keep]
    has_value = inv.has_value & in_shard[: inv.has_value.size]
    # the index's own choice: token counts where freqs are kept, else one per posting (inverted._merge)
    counted = inv.sum_total_term_freq != inv.sum_doc_freq or inv.norms is not None
    sum_doc_freq = int(docs.size)
    return InvertedField(
        name=inv.name,
        max_doc=inv.max_doc,
        terms=inv.terms,
        offsets=offsets,
        docs=docs,
        freqs=freqs,
        norms=inv.norms,
        has_value=has_value,
        fwd_offsets=inv.fwd_offsets,
        fwd_tids=inv.fwd_tids,
        fwd_pos=inv.fwd_pos,
        doc_count=int(has_value.sum()),
        sum_total_term_freq=int(freqs.sum(dtype=np.int64)) if counted else sum_doc_freq,
        sum_doc_freq=sum_doc_freq,
    )


def shard_view(searcher: Searcher, shard: int) -> Searcher:
    """Shard ``shard`` of ``searcher``'s index: its live documents and its own term statistics."""
    assert searcher.shard_of is not None
    in_shard = searcher.shard_of == shard
    return restricted(searcher, in_shard, shard)


def restricted(searcher: Searcher, in_shard: np.ndarray, shard: int | None) -> Searcher:
    """``searcher`` (the index's, or a nested level's over its rows) cut to the rows in ``in_shard``;
    nested objects live on their top-level document's shard, each level restricted through its parents.
    ``shard``: the one shard shown, or ``None`` for several together (a routed ``dfs`` search's)."""
    nested = {
        path: replace(level, searcher=restricted(level.searcher, in_shard[level.parents], shard))
        for path, level in searcher.nested.items()
    }
    return replace(
        searcher,
        live=searcher.live & in_shard[: searcher.live.size],
        inverted_fields=_ShardFields(searcher.inverted_fields, in_shard),
        nested=nested,
        shard_id=shard,
    )


class _ShardFields(Mapping[str, InvertedField]):
    """The view's ``inverted_fields``: each field restricted when it is first read (a query reads a few
    fields of many)."""

    def __init__(self, fields: Mapping[str, InvertedField], in_shard: np.ndarray) -> None:
        self._fields, self._in_shard = fields, in_shard
        self._built: dict[str, InvertedField] = {}

    def __getitem__(self, path: str) -> InvertedField:
        built = self._built.get(path)
        if built is None:
            built = self._built[path] = restrict_field(self._fields[path], self._in_shard)
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)
