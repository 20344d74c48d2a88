"""Elasticsearch's HyperLogLog++ distinct count, computed in one vectorised pass over a bucket's hashes.

Elasticsearch (``HyperLogLogPlusPlus`` with ``AbstractLinearCounting`` / ``AbstractHyperLogLog``) first keeps
every hash *encoded on 32 bits* in a hash set ("linear counting"), and once the set holds more than
``threshold = ((2**p) // 4) * 0.75`` entries it replays them into ``2**p`` HyperLogLog registers and keeps
collecting there. Because both the set of encoded values and the register maxima are independent of the
order values arrive in (and of how shards/segments split them), the final state is a pure function of the
*set* of hashes — which is what lets this module compute it with numpy instead of replaying ES's loop:

* at most ``threshold`` distinct encoded hashes → linear counting, ``round(2**25 * ln(2**25 / (2**25 - n)))``
  (which is ``n`` for every ``n`` a bucket can hold there — exact, as Elasticsearch documents; ``n == 1`` is
  reported as 1 directly, as ES's single-hash state does);
* otherwise → the HLL++ estimate with Elasticsearch's bias correction, its own linear-counting fallback on
  empty registers and its per-precision switch-over thresholds.

Two values whose hashes agree on the 25 leading bits and the run length are one value to Elasticsearch
too, so even the "exact" range is exact up to the same (astronomically rare) collisions.
"""

from __future__ import annotations

import math

import numpy as np

from retrievo.aggregations.hyperloglog_tables import BIAS_DATA, RAW_ESTIMATE_DATA, THRESHOLDS

MIN_PRECISION = 4
MAX_PRECISION = 18
DEFAULT_PRECISION = 14
_P2 = 25  # bits of the hash kept by the linear-counting encoding
_BIAS_K = 6  # neighbours averaged by the bias correction
_MAX_LOAD_FACTOR = np.float32(0.75)


def java_round(x: float) -> int:
    """Java's ``Math.round(double)``: half-up rounding, which Python's ``round`` (half-even) is not."""
    return math.floor(x + 0.5)


def precision_from_threshold(count: int) -> int:
    """ES's ``precisionFromThreshold``: the precision whose linear-counting table holds ``count`` entries.

    The division happens in float32 because Elasticsearch's load factor is a Java ``float``.
    """
    entries = math.ceil(float(np.float32(count) / _MAX_LOAD_FACTOR))
    bits = max(1, (entries * 4).bit_length())
    return min(max(bits, MIN_PRECISION), MAX_PRECISION)


def _bit_length(x: np.ndarray) -> np.ndarray:
    """Bit length of uint64 lanes (0 for 0), exact: each 32-bit half converts to float64 without rounding."""
    hi = (x >> np.uint64(32)).astype(np.float64)
    lo = (x & np.uint64(0xFFFFFFFF)).astype(np.float64)
    hi_len = np.frexp(hi)[1].astype(np.int64)
    lo_len = np.frexp(lo)[1].astype(np.int64)
    return np.where(hi_len > 0, hi_len + 32, lo_len)


def _leading_zeros(x: np.ndarray) -> np.ndarray:
    """Java's ``Long.numberOfLeadingZeros`` on uint64 lanes."""
    return 64 - _bit_length(x)


def encode_hashes(hashes: np.ndarray, precision: int) -> np.ndarray:
    """ES's ``AbstractLinearCounting.encodeHash``: the 32-bit form the linear-counting set stores.

    The 25 leading bits are kept; when the bits between the register index and bit 25 are all zero the
    run length (which those 25 bits can't tell) is stored alongside, flagged by the low bit.
    """
    h = np.asarray(hashes, dtype=np.int64).view(np.uint64)
    e = h >> np.uint64(64 - _P2)
    low_zero = (e & np.uint64((1 << (_P2 - precision)) - 1)) == 0
    run_len = 1 + np.minimum(_leading_zeros(h << np.uint64(_P2)), 64 - _P2)
    with_run = (e << np.uint64(7)) | (run_len.astype(np.uint64) << np.uint64(1)) | np.uint64(1)
    return np.where(low_zero, with_run, e << np.uint64(1)).astype(np.int64)


def registers(hashes: np.ndarray, precision: int) -> np.ndarray:
    """The ``2**p`` HyperLogLog registers (max run length per index) the hashes produce.

    Elasticsearch fills them either from the hashes directly or by decoding the linear-counting set on
    upgrade; both give the same index (top ``p`` bits) and run length (``1 + leading zeros`` of the rest,
    capped at ``64 - p``), so the registers are computed straight from the hashes.
    """
    h = np.asarray(hashes, dtype=np.int64).view(np.uint64)
    index = (h >> np.uint64(64 - precision)).astype(np.int64)
    run_len = 1 + np.minimum(_leading_zeros(h << np.uint64(precision)), 64 - precision)
    regs = np.zeros(1 << precision, dtype=np.int64)
    np.maximum.at(regs, index, run_len)
    return regs


def _linear_counting(m: int, v: int) -> int:
    return java_round(m * math.log(m / v))


def _estimate_bias(e: float, precision: int) -> float:
    """ES's ``estimateBias``: a weighted mean of the 6 measured biases nearest to the raw estimate.

    Reproduces Elasticsearch's scan exactly, including its ring buffer of weights (the weight of the
    i-th table entry lands in slot ``i % 6``), so the result matches bit for bit.
    """
    raw = RAW_ESTIMATE_DATA[precision - MIN_PRECISION]
    bias = BIAS_DATA[precision - MIN_PRECISION]
    weights = [0.0] * _BIAS_K
    index = len(bias) - _BIAS_K
    for i, r in enumerate(raw):
        distance = abs(r - e)
        if distance == 0.0:
            return bias[i]
        w = 1.0 / distance
        j = i % _BIAS_K
        if weights[j] >= w:
            index = i - _BIAS_K
            break
        weights[j] = w
    bias_sum = 0.0
    weight_sum = 0.0
    for i in range(_BIAS_K):
        bias_sum += weights[i] * bias[index + i]
        weight_sum += weights[i]
    return bias_sum / weight_sum


def hll_estimate(regs: np.ndarray, precision: int) -> int:
    """ES's ``AbstractHyperLogLog.cardinality`` of a register array."""
    m = 1 << precision
    if precision == 4:
        alpha = 0.673
    elif precision == 5:
        alpha = 0.697
    else:
        alpha = 0.7213 / (1 + 1.079 / m)
    alpha_mm = alpha * m * m
    # Java sums the registers in order; a running sum reproduces its rounding where np.sum would not.
    inverse_sum = float(np.cumsum(np.ldexp(1.0, -regs))[-1])
    zeros = int(np.count_nonzero(regs == 0))
    e1 = alpha_mm / inverse_sum
    e2 = e1 - _estimate_bias(e1, precision) if e1 <= 5 * m else e1
    h = _linear_counting(m, zeros) if zeros != 0 else java_round(e2)
    if h <= THRESHOLDS[precision - MIN_PRECISION]:
        return h
    return java_round(e2)


def linear_counting_threshold(precision: int) -> int:
    """How many encoded hashes ES's linear-counting set holds before it switches to HyperLogLog."""
    capacity = (1 << precision) // 4
    return int(np.float32(capacity) * _MAX_LOAD_FACTOR)


def _sorted_distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by a sort: hashes are spread over 64 bits, where numpy's hash-table unique is slow."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered


def cardinality(hashes: np.ndarray, precision: int) -> int:
    """The ``value`` Elasticsearch reports for a bucket whose values hash to ``hashes`` (duplicates allowed)."""
    if not MIN_PRECISION <= precision <= MAX_PRECISION:
        raise ValueError(f"precision must be in [{MIN_PRECISION}, {MAX_PRECISION}]")
    # no dedupe of the hashes themselves: equal hashes encode alike and a register keeps a maximum
    values = np.asarray(hashes, dtype=np.int64)
    if values.size == 0:
        return 0
    regs = registers(values, precision)
    threshold = linear_counting_threshold(precision)
    # Each encoded hash keeps its top 25 bits, which hold the register index: there are at least as many
    # distinct encodings as registers set, so past the threshold the linear-counting set is never needed.
    if int(np.count_nonzero(regs)) > threshold:
        return hll_estimate(regs, precision)
    encoded = _sorted_distinct(encode_hashes(values, precision))
    n = int(encoded.size)
    if n <= threshold:
        if n == 1:
            return 1
        return _linear_counting(1 << _P2, (1 << _P2) - n)
    return hll_estimate(regs, precision)
