"""Elasticsearch's value hashes for the ``cardinality`` aggregation, vectorised over numpy arrays.

Elasticsearch feeds its HyperLogLog++ counter a 64-bit hash per value, and which hash depends on the
value source (``CardinalityAggregator``): keyword/text bytes get the ``h1`` half of MurmurHash3 x64_128
(seed 0) of their UTF-8 bytes; integral numbers (long, date, boolean) get hppc's ``BitMixer.mix64`` of
the long; floating-point numbers get ``mix64`` of the double's IEEE bits (``Double.doubleToLongBits``,
which folds every NaN into one canonical NaN). The counts only equal Elasticsearch's when these bit
patterns do, so every step below is unsigned 64-bit arithmetic that wraps as Java's ``long`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_C1 = np.uint64(0x87C37B91114253D5)
_C2 = np.uint64(0x4CF5AD432745937F)
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_MIX64_1 = np.uint64(0x4CD6944C5CC20B6D)
_MIX64_2 = np.uint64(0xFC12C5B19D3259E9)
_CANONICAL_NAN_BITS = np.uint64(0x7FF8000000000000)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    """Java's ``Long.rotateLeft`` on uint64 lanes."""
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


def _fmix(k: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (``MurmurHash3.fmix``)."""
    k = k ^ (k >> np.uint64(33))
    k = k * _FMIX_1
    k = k ^ (k >> np.uint64(33))
    k = k * _FMIX_2
    return k ^ (k >> np.uint64(33))


def mix64(values: np.ndarray) -> np.ndarray:
    """hppc ``BitMixer.mix64`` (Stafford variant 9) of int64 values, as int64 (Java's signed view)."""
    z = np.asarray(values, dtype=np.int64).view(np.uint64)
    z = (z ^ (z >> np.uint64(32))) * _MIX64_1
    z = (z ^ (z >> np.uint64(29))) * _MIX64_2
    return (z ^ (z >> np.uint64(32))).view(np.int64)


def double_bits(values: np.ndarray) -> np.ndarray:
    """Java's ``Double.doubleToLongBits``: the IEEE bits with every NaN mapped to the canonical NaN."""
    doubles = np.ascontiguousarray(values, dtype=np.float64)
    bits = doubles.view(np.uint64).copy()
    bits[np.isnan(doubles)] = _CANONICAL_NAN_BITS
    return bits.view(np.int64)


def hash128_h1(keys: Sequence[bytes]) -> np.ndarray:
    """``MurmurHash3.hash128(bytes, seed=0).h1`` of each byte string, as int64.

    Keys are hashed in groups of the same number of 16-byte blocks (so one very long key does not pad
    every other key to its length); within a group every key is zero-padded to the group's width, which
    leaves each key's tail block last. The padding is harmless because Murmur's mixing of an all-zero tail
    lane is the identity (0 * c == 0), so full and partial tails share one code path.
    """
    n = len(keys)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=n)
    blocks = lengths // 16 + 1  # full blocks plus the (possibly empty) tail block
    for width_blocks in np.unique(blocks).tolist():
        members = np.flatnonzero(blocks == width_blocks)
        group = [keys[i] for i in members.tolist()]
        out[members] = _hash_group(group, lengths[members], int(width_blocks))
    return out


def _hash_group(keys: list[bytes], lengths: np.ndarray, width_blocks: int) -> np.ndarray:
    """``h1`` of keys that all have ``width_blocks - 1`` full blocks and a tail block."""
    n = len(keys)
    width = width_blocks * 16
    buf = np.zeros((n, width), dtype=np.uint8)
    flat = np.frombuffer(b"".join(keys), dtype=np.uint8)
    rows = np.repeat(np.arange(n), lengths)
    starts = np.cumsum(lengths) - lengths
    cols = np.arange(flat.size) - np.repeat(starts, lengths)
    buf[rows, cols] = flat
    lanes = buf.view("<u8").reshape(n, width_blocks, 2).astype(np.uint64)
    h1 = np.zeros(n, dtype=np.uint64)
    h2 = np.zeros(n, dtype=np.uint64)
    for block in range(width_blocks):
        k1 = _rotl(lanes[:, block, 0] * _C1, 31) * _C2
        k2 = _rotl(lanes[:, block, 1] * _C2, 33) * _C1
        if block == width_blocks - 1:  # the tail: mixed in without the body's rotation and constants
            h1 = h1 ^ k1
            h2 = h2 ^ k2
            break
        h1 = (_rotl(h1 ^ k1, 27) + h2) * np.uint64(5) + np.uint64(0x52DCE729)
        h2 = (_rotl(h2 ^ k2, 31) + h1) * np.uint64(5) + np.uint64(0x38495AB5)
    length = lengths.astype(np.uint64)
    h1 = h1 ^ length
    h2 = h2 ^ length
    h1 = h1 + h2
    h2 = h2 + h1
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = h1 + h2
    return h1.view(np.int64)


def hash_strings(values: Sequence[str]) -> np.ndarray:
    """The hash Elasticsearch collects for keyword values: ``h1`` of the UTF-8 bytes."""
    return hash128_h1([v.encode("utf-8") for v in values])


def hash_longs(values: np.ndarray) -> np.ndarray:
    """The hash Elasticsearch collects for long/date/boolean values."""
    return mix64(np.asarray(values, dtype=np.int64))


def hash_doubles(values: np.ndarray) -> np.ndarray:
    """The hash Elasticsearch collects for float/double values."""
    return mix64(double_bits(np.asarray(values, dtype=np.float64)))
