"""The HyperLogLog++ and hashing building blocks of ``cardinality``, against hand computations, an
independent MurmurHash3 implementation's outputs, and the scalar model of ES's collector."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hll_model import MASK64, decode, encode, es_cardinality
from retrievo.aggregations import hyperloglog as hll
from retrievo.aggregations.murmur3 import hash128_h1, hash_doubles, hash_longs, hash_strings, mix64


def _signed(x: int) -> int:
    x &= MASK64
    return x - (1 << 64) if x >= 1 << 63 else x


def _mix64_ref(z: int) -> int:
    """hppc ``BitMixer.mix64`` with Python integers."""
    z &= MASK64
    z = ((z ^ (z >> 32)) * 0x4CD6944C5CC20B6D) & MASK64
    z = ((z ^ (z >> 29)) * 0xFC12C5B19D3259E9) & MASK64
    return _signed(z ^ (z >> 32))


def test_murmur3_h1_matches_reference_outputs() -> None:
    """``h1`` of MurmurHash3_x64_128 (seed 0), as given by the reference C implementation (mmh3)."""
    expected = {
        "": 0,
        "foo": -2129773440516405919,
        "bar": -7911037993560119804,
        "baz": 8295379539955784970,
        "hello world": 5998619086395760910,
    }
    got = hash_strings(list(expected))
    assert got.tolist() == list(expected.values())


def test_murmur3_blocks_and_tails() -> None:
    """Every length from 0 to 40 (0-2 full blocks, every tail length) hashes as it does one key at a time."""
    keys = [bytes(range(n)) for n in range(41)]
    together = hash128_h1(keys)
    alone = [int(hash128_h1([k])[0]) for k in keys]
    assert together.tolist() == alone
    assert len(set(alone)) == len(alone)


def test_mix64_and_double_bits() -> None:
    values = [0, 1, -1, 42, 2**62, -(2**63), 1_700_000_000_000]
    assert mix64(np.array(values, dtype=np.int64)).tolist() == [_mix64_ref(v) for v in values]
    assert hash_longs(np.array([5])).tolist() == [_mix64_ref(5)]
    one_bits = 0x3FF0000000000000  # Double.doubleToLongBits(1.0)
    assert hash_doubles(np.array([1.0])).tolist() == [_mix64_ref(one_bits)]
    nan_a = np.array([np.nan, -np.nan], dtype=np.float64)
    assert hash_doubles(nan_a).tolist() == [_mix64_ref(0x7FF8000000000000)] * 2


@pytest.mark.parametrize(
    ("threshold", "precision"),
    # ceil(t / 0.75) * 4 → bits needed, clamped to [4, 18]
    # ES's HyperLogLogPlusPlusTests.testPrecisionFromThreshold, plus 1 and 3000 (the documented default)
    [(0, 4), (1, 4), (10, 6), (100, 10), (1000, 13), (3000, 14), (10000, 16), (100000, 18), (10**6, 18)],
)
def test_precision_from_threshold(threshold: int, precision: int) -> None:
    assert hll.precision_from_threshold(threshold) == precision


def test_linear_counting_threshold() -> None:
    # (2**p / 4) * 0.75 encoded hashes
    assert [hll.linear_counting_threshold(p) for p in (4, 10, 14, 18)] == [3, 192, 3072, 49152]


def test_encoding_round_trips_to_the_registers_of_the_raw_hash() -> None:
    rng = np.random.default_rng(7)
    hashes = rng.integers(-(2**63), 2**63 - 1, size=2000, dtype=np.int64)
    hashes = np.concatenate([hashes, np.array([0, 1, 2**38, -1], dtype=np.int64)])
    for p in (4, 14, 18):
        encoded = hll.encode_hashes(hashes, p)
        assert encoded.tolist() == [encode(int(h), p) for h in hashes]
        regs = hll.registers(hashes, p)
        ref = [0] * (1 << p)
        for enc in encoded.tolist():
            index, run = decode(enc, p)
            ref[index] = max(ref[index], run)
        assert regs.tolist() == ref


def test_exact_below_threshold() -> None:
    hashes = hash_longs(np.arange(3072))
    assert hll.cardinality(hashes, 14) == 3072
    assert hll.cardinality(np.concatenate([hashes, hashes]), 14) == 3072
    assert hll.cardinality(hashes[:1], 14) == 1
    assert hll.cardinality(hashes[:0], 14) == 0


def test_linear_counting_value_is_es_formula() -> None:
    """At precision 18 linear counting holds up to 49152 hashes; its answer is round(m ln(m / (m - n)))
    over the distinct *encoded* hashes (m = 2**25), not the raw count."""
    hashes = hash_longs(np.arange(40000))
    n = len({encode(int(h), 18) for h in hashes})
    m = 1 << 25
    assert hll.cardinality(hashes, 18) == math.floor(m * math.log(m / (m - n)) + 0.5)


@pytest.mark.parametrize("precision", [4, 5, 8, 10, 14])
@pytest.mark.parametrize("count", [2, 5, 50, 200, 1000, 5000, 30000])
def test_matches_scalar_model_of_es(precision: int, count: int) -> None:
    hashes = hash_strings([f"v{i}" for i in range(count)])
    assert hll.cardinality(hashes, precision) == es_cardinality([int(h) for h in hashes], precision)


def test_hyperloglog_estimate_is_close() -> None:
    hashes = hash_longs(np.arange(100_000))
    value = hll.cardinality(hashes, 14)
    assert value == es_cardinality([int(h) for h in hashes], 14)
    assert abs(value - 100_000) < 0.03 * 100_000


@pytest.mark.parametrize("precision", [4, 11, 18])
def test_fake_hashes(precision: int) -> None:
    """ES's ``testFakeHashes``: hashes 0 and 1 are two values to linear counting, but share one register,
    so the HyperLogLog estimate of the pair is 1."""
    assert hll.cardinality(np.array([0], dtype=np.int64), precision) == 1
    assert hll.cardinality(np.array([0, 1], dtype=np.int64), precision) == 2
    assert hll.hll_estimate(hll.registers(np.array([0, 1], dtype=np.int64), precision), precision) == 1
