"""An independent reference for ``random_score``: MurmurHash3 x86_32 written out from Appleby's reference
implementation, Java's ``String.hashCode``, and ``RandomScoreFunction``'s formula over them.

Tests compare retrievo's scores with these, so they must not import retrievo's own hashing.
"""

from __future__ import annotations

import numpy as np


def mix32(k: int) -> int:
    """MurmurHash3's ``fmix32`` finaliser (Elasticsearch's ``BitMixer.mix32``)."""
    k &= 0xFFFFFFFF
    k = ((k ^ (k >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    k = ((k ^ (k >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    return k ^ (k >> 16)


def murmur3_32(data: bytes, seed: int) -> int:
    """MurmurHash3 x86_32 of ``data`` with ``seed``, as an unsigned 32-bit value."""
    h, n = seed & 0xFFFFFFFF, len(data)
    for i in range(0, n - n % 4, 4):
        k = (int.from_bytes(data[i : i + 4], "little") * 0xCC9E2D51) & 0xFFFFFFFF
        k = (((k << 15) | (k >> 17)) * 0x1B873593) & 0xFFFFFFFF
        h ^= k
        h = (((h << 13) | (h >> 19)) * 5 + 0xE6546B64) & 0xFFFFFFFF
    tail = data[n - n % 4 :]
    if tail:
        k = (int.from_bytes(tail, "little") * 0xCC9E2D51) & 0xFFFFFFFF
        h ^= (((k << 15) | (k >> 17)) * 0x1B873593) & 0xFFFFFFFF
    return mix32(h ^ n)


def java_string_hash(s: str) -> int:
    """``String.hashCode`` (for BMP text), unsigned."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def salted_seed(seed: int, index: str) -> int:
    """``RandomScoreFunction``'s per-shard seed: ``mix32(seed ^ salt)``, the salt the index name's
    ``hashCode << 10`` (shard 0)."""
    return mix32(seed ^ ((java_string_hash(index) << 10) & 0xFFFFFFFF))


def random_score(seed: int, index: str, value: bytes | None) -> float:
    """The score of a document whose first field value hashes as ``value`` (``None``: no value, the
    salted seed itself is the hash): the hash's low 24 bits over 2^24, as a float."""
    salted = salted_seed(seed, index)
    hashed = salted if value is None else murmur3_32(value, salted)
    return float(np.float32((hashed & 0xFFFFFF) / float(1 << 24)))
