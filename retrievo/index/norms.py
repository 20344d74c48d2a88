"""Lucene's one-byte length norms (``SmallFloat.intToByte4``) and their decode table.

Lucene does not keep a document's real field length: it stores one lossy byte, and BM25 reads the
length back from that byte. Scores only match Lucene when lengths go through the same round trip
(see ../shared/spec/lucene-bm25.md §3 — using exact lengths moves scores by up to 6 %).
"""

from __future__ import annotations

import numpy as np

_MAX_INT4 = 231  # long_to_int4(2**31 - 1)
NUM_FREE_VALUES = 255 - _MAX_INT4  # 24: lengths below this are stored exactly


def _long_to_int4(i: int) -> int:
    nbits = i.bit_length()
    if nbits < 4:
        return i
    shift = nbits - 4
    return ((i >> shift) & 0x07) | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits, shift = i & 0x07, (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


def int_to_byte4(n: int) -> int:
    """Encode a length; lower bits are truncated, not rounded, as in Lucene."""
    return n if n < NUM_FREE_VALUES else NUM_FREE_VALUES + _long_to_int4(n - NUM_FREE_VALUES)


def byte4_to_int(b: int) -> int:
    return b if b < NUM_FREE_VALUES else NUM_FREE_VALUES + _int4_to_long(b - NUM_FREE_VALUES)


#: Decoded length for each of the 256 norm bytes, as Lucene's BM25 ``LENGTH_TABLE`` (float32).
LENGTH_TABLE: np.ndarray = np.array([byte4_to_int(i) for i in range(256)], dtype=np.float32)

_ENCODE_LIMIT = 1 << 16
#: Norm byte for every length below 65536, so encoding a whole field is one vectorised lookup.
_ENCODE_TABLE: np.ndarray = np.array([int_to_byte4(n) for n in range(_ENCODE_LIMIT)], dtype=np.uint8)


def encode_lengths(lengths: np.ndarray) -> np.ndarray:
    """Norm bytes for an array of field lengths (vectorised; long fields fall back per value)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    out = _ENCODE_TABLE[np.minimum(lengths, _ENCODE_LIMIT - 1)]
    big = np.flatnonzero(lengths >= _ENCODE_LIMIT)
    for i in big:
        out[i] = int_to_byte4(int(lengths[i]))
    return out
