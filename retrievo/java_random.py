"""``java.util.Random``, bit for bit: the 48-bit linear congruential generator Java specifies.

Elasticsearch's ``random_reranker`` scores each document with ``new Random(seed).nextFloat()``; to
give the same scores retrievo must draw the same numbers, so the generator is reproduced from its
definition (``java.util.Random``'s Javadoc): the seed is scrambled as
``(seed ^ 0x5DEECE66D) & (2^48 - 1)``, each step is ``state = (state * 0x5DEECE66D + 0xB) mod 2^48``,
``next(bits)`` is the top ``bits`` of the new state as a signed 32-bit int, and ``nextFloat()`` is
``next(24) / 2^24`` (exact in a float).

The functions are pure: a generator's state is a plain ``int`` passed in and handed back, so callers
can draw from many seeds at once without sharing anything.
"""

from __future__ import annotations

MULTIPLIER = 0x5DEECE66D
ADDEND = 0xB
MASK = (1 << 48) - 1


def to_int32(value: int) -> int:
    """Java's narrowing to ``int``: the low 32 bits, read as two's complement."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def to_int64(value: int) -> int:
    """Java's narrowing to ``long``: the low 64 bits, read as two's complement."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value & (1 << 63) else value


def initial_state(seed: int) -> int:
    """``new Random(seed)``: the scrambled 48-bit state (``seed`` is a Java ``long``)."""
    return (to_int64(seed) ^ MULTIPLIER) & MASK


def next_bits(state: int, bits: int) -> tuple[int, int]:
    """``next(bits)``: the new state and the top ``bits`` bits of it, as Java's ``int``."""
    state = (state * MULTIPLIER + ADDEND) & MASK
    return state, to_int32(state >> (48 - bits))


def next_int(state: int) -> tuple[int, int]:
    """``nextInt()``: ``next(32)``."""
    return next_bits(state, 32)


def next_float(state: int) -> tuple[int, float]:
    """``nextFloat()``: ``next(24) / 2^24``, a float in ``[0, 1)`` (exactly representable in float32)."""
    state, value = next_bits(state, 24)
    return state, value / float(1 << 24)


def next_double(state: int) -> tuple[int, float]:
    """``nextDouble()``: ``((long) next(26) << 27 + next(27)) * 2^-53``."""
    state, high = next_bits(state, 26)
    state, low = next_bits(state, 27)
    return state, ((high << 27) + low) * (1.0 / (1 << 53))


def first_float(seed: int) -> float:
    """``new Random(seed).nextFloat()``: the one draw ``random_reranker`` makes per document."""
    return next_float(initial_state(seed))[1]
