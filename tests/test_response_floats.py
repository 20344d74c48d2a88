"""Scores print as Elasticsearch prints a float32: its shortest round-tripping decimal, read back as a double.

The expected value is found independently of numpy's printer: the fewest significant digits ``n`` whose
closest ``n``-digit decimal (Python's correctly rounded ``%.{n-1}e``) reads back as the same float32.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retrievo.response import es_float, es_floats

MIN_VALUE = np.float32(1.4e-45)


def shortest(x: np.float32) -> float:
    if abs(x) == MIN_VALUE:  # Java's Float.toString prints two digits here: 1.4E-45
        return float(np.sign(x)) * 1.4e-45
    for n in range(1, 10):
        candidate = float(f"{float(x):.{n - 1}e}")
        if np.float32(candidate) == x:
            return candidate
    raise AssertionError(x)


finite_float32 = st.integers(0, 2**32 - 1).map(lambda b: np.array([b], dtype=np.uint32).view(np.float32)[0])


@settings(max_examples=500, deadline=None)
@given(st.lists(finite_float32.filter(lambda x: bool(np.isfinite(x))), max_size=12))
def test_scores_print_their_shortest_round_tripping_decimal(values: list[np.float32]) -> None:
    array = np.array(values, dtype=np.float32)
    expected = [shortest(x) for x in array]
    assert es_floats(array) == expected
    assert [es_float(x) for x in array] == expected


def test_the_smallest_float32_prints_as_java_does() -> None:
    array = np.array([MIN_VALUE, -MIN_VALUE, 0.0, 6.9659295], dtype=np.float32)
    assert es_floats(array) == [1.4e-45, -1.4e-45, 0.0, 6.9659295]
