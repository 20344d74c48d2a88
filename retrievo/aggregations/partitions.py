"""Which partition a ``terms`` value falls in (``include: {partition, num_partitions}``), as
Elasticsearch's ``IncludeExclude`` computes it: strings by Lucene's ``murmurhash3_x86_32`` of their UTF-8
bytes with seed 31, numbers by hppc's ``BitMixer.mix64`` of the long (or of the double's bits)."""

from __future__ import annotations

import numpy as np

from retrievo.aggregations.murmur3 import double_bits, mix64

HASH_PARTITIONING_SEED = 31
_M32 = 0xFFFFFFFF


def murmurhash3_x86_32(data: bytes, seed: int) -> int:
    """Lucene's ``StringHelper.murmurhash3_x86_32`` as a signed 32-bit int (called once per distinct term)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h1 = seed & _M32
    rounded_end = len(data) & ~3
    for i in range(0, rounded_end, 4):
        k1 = int.from_bytes(data[i : i + 4], "little")
        k1 = (k1 * c1) & _M32
        k1 = ((k1 << 15) | (k1 >> 17)) & _M32
        k1 = (k1 * c2) & _M32
        h1 ^= k1
        h1 = ((h1 << 13) | (h1 >> 19)) & _M32
        h1 = (h1 * 5 + 0xE6546B64) & _M32
    k1 = 0
    tail = len(data) & 3
    if tail == 3:
        k1 = data[rounded_end + 2] << 16
    if tail >= 2:
        k1 |= data[rounded_end + 1] << 8
    if tail >= 1:
        k1 |= data[rounded_end]
        k1 = (k1 * c1) & _M32
        k1 = ((k1 << 15) | (k1 >> 17)) & _M32
        k1 = (k1 * c2) & _M32
        h1 ^= k1
    h1 ^= len(data)
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & _M32
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & _M32
    h1 ^= h1 >> 16
    return h1 - (1 << 32) if h1 & 0x80000000 else h1


def string_partitions(terms: list[str], num_partitions: int) -> np.ndarray:
    """``Math.floorMod(murmurhash3_x86_32(term, 31), n)`` per term (Python's ``%`` is a floor mod)."""
    return np.array(
        [murmurhash3_x86_32(t.encode("utf-8"), HASH_PARTITIONING_SEED) % num_partitions for t in terms], dtype=np.int64
    )


def long_partitions(values: np.ndarray, num_partitions: int) -> np.ndarray:
    return np.mod(mix64(values.astype(np.int64)), num_partitions)


def double_partitions(values: np.ndarray, num_partitions: int) -> np.ndarray:
    return np.mod(mix64(double_bits(values)), num_partitions)
