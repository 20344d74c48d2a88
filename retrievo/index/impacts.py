"""Per-block score bounds of a field's postings: what dynamic pruning reads to skip documents.

Lucene stores "impacts" (the best (freq, norm) pairs per block of postings) so that a top-k search can
skip blocks whose best possible score cannot enter the top k. Here the blocks are fixed ranges of
internal doc ids (``2**shift`` documents each), the same ranges for every term and every field of one
snapshot, so bounds of several terms add up block by block. For each (term, block) we keep the largest
``freq * normInverse`` of the term's postings in that block: BM25's ``w - w / (1 + freq * normInverse)``
grows with that product for any weight ``w``, so one number bounds the term's score in the block at any
boost, exactly (the bound is the score of the block's best posting).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    ``t``, in block order (8 bytes per entry: at most one per posting, at most one per block)."""

    shift: int
    offsets: np.ndarray  # int64[T + 1]
    blocks: np.ndarray  # int32[E]
    max_x: np.ndarray  # float32[E]: the largest freq * normInverse in the block


def build_impacts(
    offsets: np.ndarray, docs: np.ndarray, freqs: np.ndarray, norm_inverse: np.ndarray, max_doc: int
) -> BlockImpacts:
    """Block maxima of one field's CSR postings (``docs`` ascending within each term's range).

    ``norm_inverse`` is BM25's ``cache[norm]`` per posting; the product is rounded to float32 exactly
    as the scorer rounds it, so the bound equals the best posting's score."""
    shift = block_shift(max_doc)
    n_post = int(docs.size)
    if n_post == 0:
        return BlockImpacts(
            shift,
            np.zeros(offsets.size, dtype=np.int64),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float32),
        )
    blk = (docs >> shift).astype(np.int32)
    change = np.empty(n_post, dtype=bool)
    change[0] = True
    np.not_equal(blk[1:], blk[:-1], out=change[1:])
    term_starts = offsets[:-1][np.diff(offsets) > 0]
    change[term_starts] = True
    starts = np.flatnonzero(change)
    x = freqs.astype(np.float32) * norm_inverse.astype(np.float32, copy=False)
    max_x = np.maximum.reduceat(x, starts).astype(np.float32)
    entry_offsets = np.searchsorted(starts, offsets).astype(np.int64)
    return BlockImpacts(
        shift=shift,
        offsets=entry_offsets,
        blocks=blk[starts],
        max_x=max_x,
    )
