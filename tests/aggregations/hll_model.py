"""A scalar, value-by-value model of Elasticsearch's HyperLogLog++ collector, used as the reference the
vectorised :mod:`retrievo.aggregations.hyperloglog` is checked against.

It follows ES's state machine literally — a set of 32-bit encoded hashes, upgraded once it holds more
than its threshold by *decoding* every stored value into registers, then register updates from raw
hashes — with Python integers masked to 64 bits, so it shares no code path with the numpy version
(only the published bias tables, which are data).
"""

from __future__ import annotations

import math

from retrievo.aggregations.hyperloglog_tables import BIAS_DATA, RAW_ESTIMATE_DATA, THRESHOLDS

MASK64 = (1 << 64) - 1
P2 = 25


def nlz64(x: int) -> int:
    x &= MASK64
    return 64 - x.bit_length()


def encode(h: int, p: int) -> int:
    h &= MASK64
    e = h >> (64 - P2)
    if e & ((1 << (P2 - p)) - 1) == 0:
        run = 1 + min(nlz64(h << P2), 64 - P2)
        return (e << 7) | (run << 1) | 1
    return e << 1


def decode(encoded: int, p: int) -> tuple[int, int]:
    """(register index, run length) of an encoded hash."""
    if encoded & 1:
        run = ((encoded >> 1) & 0x3F) + (P2 - p)
        index = encoded >> 7
    else:
        bits = (encoded << (31 + p - P2)) & 0xFFFFFFFF
        run = 1 + (32 - bits.bit_length())
        index = encoded >> 1
    return index >> (P2 - p), run


def java_round(x: float) -> int:
    return math.floor(x + 0.5)


def linear_counting(m: int, v: int) -> int:
    return java_round(m * math.log(m / v))


def bias(e: float, p: int) -> float:
    raw, biases = RAW_ESTIMATE_DATA[p - 4], BIAS_DATA[p - 4]
    weights = [0.0] * 6
    start = len(biases) - 6
    for i, r in enumerate(raw):
        if r == e:
            return biases[i]
        w = 1.0 / abs(r - e)
        if weights[i % 6] >= w:
            start = i - 6
            break
        weights[i % 6] = w
    num = 0.0
    den = 0.0
    for i in range(6):
        num += weights[i] * biases[start + i]
        den += weights[i]
    return num / den


def hll_cardinality(regs: list[int], p: int) -> int:
    m = 1 << p
    alpha = {4: 0.673, 5: 0.697}.get(p, 0.7213 / (1 + 1.079 / m))
    inv = 0.0
    zeros = 0
    for r in regs:
        inv += 1.0 / (1 << r)
        zeros += r == 0
    e1 = alpha * m * m / inv
    e2 = e1 - bias(e1, p) if e1 <= 5 * m else e1
    h = linear_counting(m, zeros) if zeros else java_round(e2)
    return h if h <= THRESHOLDS[p - 4] else java_round(e2)


def es_cardinality(hashes: list[int], p: int) -> int:
    """Collect ``hashes`` one by one as ES does, then report the cardinality."""
    threshold = int(((1 << p) // 4) * 0.75)
    lc: set[int] | None = set()
    regs = [0] * (1 << p)
    for h in hashes:
        h &= MASK64
        if lc is not None:
            lc.add(encode(h, p))
            if len(lc) > threshold:
                for enc in lc:
                    index, run = decode(enc, p)
                    regs[index] = max(regs[index], run)
                lc = None
        else:
            index = h >> (64 - p)
            run = 1 + min(nlz64(h << p), 64 - p)
            regs[index] = max(regs[index], run)
    if lc is not None:
        if len(lc) <= 1:
            return len(lc)
        return linear_counting(1 << P2, (1 << P2) - len(lc))
    return hll_cardinality(regs, p)
