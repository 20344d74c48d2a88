"""Merging a snapshot's CSR postings with the pending ones, by placement instead of one global sort.

The merged posting list of a term is its old postings (all older doc ids) followed by its new ones in
doc order, so every posting's destination follows from per-term counts: an old posting moves right by
the number of new postings of smaller term ids; a new posting goes after its term's old ones, at its
rank among the term's new postings. Ranks come from a stable sort of one chunk at a time plus a running
per-term count, so no temporary spans every posting (a global ``argsort`` costs 8 bytes per posting on
top of the concatenated copies: ~1 GB at 1M documents).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

#: Postings placed at once: the temporaries (int64 order, ranks and destinations) stay a few tens of MB.
CHUNK = 1 << 18


def freq_dtype(largest: int) -> np.dtype:
    """The narrowest dtype for term frequencies up to ``largest``. A text field's freqs are token counts
    per document (nearly all below 256: one byte a posting instead of four, ~150 MB at 1M documents);
    keyword fields' are all 1; a sparse vector's encoded weights (a positive float32's bits >> 15) fit
    16 bits; int32 is the fallback for a token repeated more than 65,535 times in one document. Every reader
    converts freqs to float32 (or int64 for sums) first, so scores do not depend on the choice."""
    if largest <= 0xFF:
        return np.dtype(np.uint8)
    if largest <= 0xFFFF:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


def _max(values: np.ndarray) -> int:
    return int(values.max()) if values.size else 0


#: The new postings, (term ids, doc ids, freqs) of live documents a chunk at a time in document order;
#: each call starts over (the merge reads them twice: once to count, once to place).
NewPostings = Callable[[], Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]]


def queued_postings(
    doc_ids: np.ndarray, unique: np.ndarray, tids: np.ndarray, freqs: np.ndarray, live: np.ndarray
) -> NewPostings:
    """Postings the writer queued: ``doc_ids`` (ascending) with ``unique`` distinct terms each, and
    their ``tids``/``freqs`` in document order."""
    doc_starts = np.zeros(unique.size + 1, dtype=np.int64)
    np.cumsum(unique, out=doc_starts[1:])
    n_new = int(tids.size)
    doc_live = live[doc_ids] if doc_ids.size else np.zeros(0, dtype=bool)
    all_live = bool(doc_live.all())

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for lo in range(0, n_new, CHUNK):
            hi = min(lo + CHUNK, n_new)
            which = np.searchsorted(doc_starts, np.arange(lo, hi), side="right") - 1
            t, d, f = tids[lo:hi], doc_ids[which], freqs[lo:hi]
            if not all_live:
                keep = doc_live[which]
                t, d, f = t[keep], d[keep], f[keep]
            yield t, d, f

    return chunks


def token_postings(
    doc_ids: np.ndarray, lengths: np.ndarray, tokens: np.ndarray, n_terms: int, live: np.ndarray
) -> NewPostings:
    """Postings counted from the documents' token streams (the forward index's term ids: ``lengths``
    tokens each), a run of whole documents at a time: sorting (document, term) keys gives each
    document's distinct terms and, as run lengths, their freqs. A positional field already keeps every
    token, so queuing its postings too (term id and count per posting) would hold ~5 more bytes a
    posting until the refresh (~250 MB at 1M documents)."""
    tok_starts = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=tok_starts[1:])
    n_docs = int(doc_ids.size)
    doc_live = live[doc_ids] if n_docs else np.zeros(0, dtype=bool)
    all_live = bool(doc_live.all())

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        d0 = 0
        while d0 < n_docs:
            d1 = int(np.searchsorted(tok_starts, tok_starts[d0] + CHUNK, side="right")) - 1
            d1 = min(max(d1, d0 + 1), n_docs)  # at least one document, however long
            local = np.repeat(np.arange(d1 - d0, dtype=np.int64), lengths[d0:d1])
            keys, counts = np.unique(local * n_terms + tokens[tok_starts[d0] : tok_starts[d1]], return_counts=True)
            which = keys // n_terms
            t, d = (keys - which * n_terms).astype(np.int32), doc_ids[d0:d1][which]
            if not all_live:
                keep = doc_live[d0:d1][which]
                t, d, counts = t[keep], d[keep], counts[keep]
            yield t, d, counts
            d0 = d1

    return chunks


def merge_postings(
    old_offsets: np.ndarray,
    old_docs: np.ndarray,
    old_freqs: np.ndarray,
    new_postings: NewPostings,
    n_terms: int,
    live: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets int64[n_terms + 1], docs int32, freqs) of the merged field, deleted docs dropped; freqs
    in the narrowest of uint8/uint16/int32 that holds the largest (see :func:`freq_dtype`)."""
    n_old_terms = old_offsets.size - 1
    old_keep = None
    old_counts = np.zeros(n_terms, dtype=np.int64)
    if old_docs.size and not live[old_docs].all():
        old_keep = live[old_docs]
        old_tids = np.repeat(np.arange(n_old_terms, dtype=np.int32), np.diff(old_offsets))[old_keep]
        old_counts[:n_old_terms] = np.bincount(old_tids, minlength=n_old_terms)
        old_docs, old_freqs = old_docs[old_keep], old_freqs[old_keep]
        del old_tids
    else:
        old_counts[:n_old_terms] = np.diff(old_offsets)

    new_counts = np.zeros(n_terms, dtype=np.int64)
    largest = _max(old_freqs)
    for tids, _, freqs in new_postings():
        new_counts += np.bincount(tids, minlength=n_terms)
        largest = max(largest, _max(freqs))

    offsets = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(old_counts + new_counts, out=offsets[1:])
    total = int(offsets[-1])
    docs_out = np.empty(total, dtype=np.int32)
    freqs_out = np.empty(total, dtype=freq_dtype(largest))

    # Old postings: shifted right by the new postings of smaller term ids.
    old_starts = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(old_counts, out=old_starts[1:])
    new_before = offsets[:-1] - old_starts[:-1]
    for lo in range(0, int(old_docs.size), CHUNK):
        hi = min(lo + CHUNK, int(old_docs.size))
        pos = np.arange(lo, hi, dtype=np.int64)
        tids = np.searchsorted(old_starts, pos, side="right") - 1
        dest = pos + new_before[tids]
        docs_out[dest] = old_docs[lo:hi]
        freqs_out[dest] = old_freqs[lo:hi]

    # New postings: after the term's old ones, in doc order (stable sort per chunk + running counts).
    seen = offsets[:-1] + old_counts
    for tids, docs, freqs in new_postings():
        if tids.size == 0:
            continue
        order = np.argsort(tids, kind="stable")
        sorted_tids = tids[order]
        group_start = np.empty(sorted_tids.size, dtype=bool)
        group_start[0] = True
        np.not_equal(sorted_tids[1:], sorted_tids[:-1], out=group_start[1:])
        firsts = np.flatnonzero(group_start)
        rank = np.arange(sorted_tids.size, dtype=np.int64) - np.repeat(
            firsts, np.diff(np.append(firsts, sorted_tids.size))
        )
        dest = seen[sorted_tids] + rank
        docs_out[dest] = docs[order]
        freqs_out[dest] = freqs[order]
        seen += np.bincount(tids, minlength=n_terms)
    return offsets, docs_out, freqs_out
