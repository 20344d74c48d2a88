"""Per-block score bounds of a field's postings: what dynamic pruning reads to skip documents.

Lucene stores "impacts" (the best (freq, norm) pairs per block of postings) so that a top-k search can
skip blocks whose best possible score cannot enter the top k. Here the blocks are fixed ranges of
internal doc ids (``2**shift`` documents each), the same ranges for every term and every field of one
snapshot, so bounds of several terms add up block by block. For each (term, block) we keep the largest
``freq * normInverse`` of the term's postings in that block: BM25's ``w - w / (1 + freq * normInverse)``
grows with that product for any weight ``w``, so one number bounds the term's score in the block at any
boost. That number is kept as the smallest float16 at or above the product (memory, issue 18 item 4:
half the bytes of a float32, ~50 MiB at a million documents): still a true upper bound, since the score
(rounded to float32 step by step) never decreases as the product grows, and at most 2**-10 above it (relative), so
the bounds prune as well as the exact ones did (the exact bound is the score of the block's best posting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Blocks are at least this many doc ids (2**7 = 128, Lucene's postings block size) and there are at
#: most 2**12 of them, so choosing blocks by their bound stays cheap on large indices.
MIN_SHIFT = 7
MAX_BLOCKS_LOG2 = 12


def block_shift(max_doc: int) -> int:
    """log2 of the block size for an index of ``max_doc`` documents."""
    return max(MIN_SHIFT, max(max_doc - 1, 1).bit_length() - MAX_BLOCKS_LOG2)


@dataclass(frozen=True, eq=False)
class BlockImpacts:
    """Entries of term ``t`` are ``offsets[t]:offsets[t+1]``, one per doc-id block holding a posting of
    ``t``, in block order (4 bytes per entry: at most one per posting, at most one per block)."""

    shift: int
    offsets: np.ndarray  # int64[T + 1]
    blocks: np.ndarray  # uint16[E] (fewer than 2**MAX_BLOCKS_LOG2 blocks)
    max_x: np.ndarray  # float16[E]: the smallest float16 >= the largest freq * normInverse in the block


def round_up_half(x: np.ndarray) -> np.ndarray:
    """The smallest float16 at or above each float32 of ``x`` (``inf`` above float16's largest, 65504:
    a bound that prunes nothing, never a wrong one)."""
    with np.errstate(over="ignore"):
        half = x.astype(np.float16)
        low = half.astype(np.float32) < x
        if low.any():
            half[low] = np.nextafter(half[low], np.float16(np.inf))
    return half


#: Postings handled at once while building, so the temporaries stay a few tens of MB on any field.
_CHUNK = 1 << 20


def build_impacts(
    offsets: np.ndarray, docs: np.ndarray, freqs: np.ndarray, norm_inverse: Any, max_doc: int
) -> BlockImpacts:
    """Block maxima of one field's CSR postings (``docs`` ascending within each term's range).

    ``norm_inverse`` is BM25's ``cache[norm]`` per posting (anything sliced by posting ranges: an array
    or :class:`~retrievo.index.posting_views.NormInverseView`); the product is rounded to float32
    exactly as the scorer rounds it, so the bound equals the best posting's score. Built over chunks
    of postings so no temporary spans the whole field."""
    shift = block_shift(max_doc)
    n_post = int(docs.size)
    if n_post == 0:
        return BlockImpacts(
            shift,
            np.zeros(offsets.size, dtype=np.int64),
            np.zeros(0, dtype=np.uint16),
            np.zeros(0, dtype=np.float16),
        )

    def entry_starts(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """The chunk's block ids and the chunk-relative starts of the entries that begin in it (a term's
        first posting, found from ``offsets`` per chunk: a mask over every posting was ~50 MiB at 1M)."""
        blk = docs[lo:hi] >> shift
        change = np.zeros(hi - lo, dtype=bool)
        a, b = np.searchsorted(offsets, [lo, hi], side="left")
        change[offsets[a:b] - lo] = True  # (an empty term's start is the next term's: the same entry)
        change[1:] |= blk[1:] != blk[:-1]
        if lo == 0 or blk[0] != (int(docs[lo - 1]) >> shift):
            change[0] = True
        return blk, np.flatnonzero(change)

    # Two passes (count, then fill) so the entries are written once into arrays of their final size.
    chunks = range(0, n_post, _CHUNK)
    n_entries = sum(int(entry_starts(lo, min(lo + _CHUNK, n_post))[1].size) for lo in chunks)
    entry_offsets = np.empty(offsets.size, dtype=np.int64)
    blocks = np.empty(n_entries, dtype=np.uint16)  # at most 2**MAX_BLOCKS_LOG2 blocks
    max_x = np.empty(n_entries, dtype=np.float16)
    e = 0
    for lo in chunks:
        hi = min(lo + _CHUNK, n_post)
        blk, starts = entry_starts(lo, hi)
        # terms whose postings begin in this chunk begin an entry here: number them
        a, b = np.searchsorted(offsets, [lo, hi], side="left")
        entry_offsets[a:b] = e + np.searchsorted(starts, offsets[a:b] - lo)
        x = freqs[lo:hi].astype(np.float32) * np.asarray(norm_inverse[lo:hi], dtype=np.float32)
        head = int(starts[0]) if starts.size else x.size
        if head:  # this chunk's first postings continue the previous chunk's last entry
            max_x[e - 1 : e] = round_up_half(np.maximum(max_x[e - 1 : e].astype(np.float32), x[:head].max()))
        if starts.size:
            k = int(starts.size)
            blocks[e : e + k] = blk[starts]
            max_x[e : e + k] = round_up_half(np.maximum.reduceat(x, starts))
            e += k
    entry_offsets[np.searchsorted(offsets, n_post, side="left") :] = e  # the end (and empty last terms)
    return BlockImpacts(
        shift=shift,
        offsets=entry_offsets,
        blocks=blocks,
        max_x=max_x,
    )
