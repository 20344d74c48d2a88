"""Percentiles and percentile ranks as Elasticsearch's default TDigest computes them.

Elasticsearch 8.9+ builds percentiles with its own ``org.elasticsearch.tdigest`` library. The default
execution hint picks a ``HybridDigest``: a ``SortingDigest`` that keeps every sample until
``round(compression) * 20`` samples have been added (2000 at the default compression of 100), then a
``MergingDigest``. The sorting digest is exact, and its answers are the ``Dist`` reference formulas
implemented here:

* quantile ``q`` of ``n`` sorted values: linear interpolation at index ``q * (n - 1)`` (clamped to the
  first/last value) — NumPy's "linear" method;
* cdf at ``x``: 0 below the smallest value; otherwise ``(below + 0.5 + fraction) / n`` where ``fraction``
  interpolates between the neighbouring values, or ``(below + 0.5 * equal) / n`` once ``x`` equals
  samples — the midpoint convention for ties.

Where this may differ from Elasticsearch: with ``round(compression) * 20`` samples or more in a bucket
Elasticsearch switches to a ``MergingDigest`` whose centroids approximate the distribution (typically
within 0.1-1%); retrievo keeps answering with the exact formulas above, so such large buckets may differ in
the low digits. ``execution_hint: high_accuracy`` (an ``AVLTreeDigest``, which merges samples into
centroids by its own rules) is refused rather than approximated.
"""

from __future__ import annotations

import numpy as np

DEFAULT_COMPRESSION = 100.0


def sorting_limit(compression: float) -> int:
    """How many samples ES's hybrid digest keeps exactly before it switches to a merging digest."""
    return int(np.floor(compression + 0.5)) * 20


def quantiles(sorted_values: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """ES's ``Dist.quantile`` for each ``q`` in ``qs`` (fractions in [0, 1]); NaN when there are no values."""
    n = sorted_values.size
    qs = np.asarray(qs, dtype=np.float64)
    if n == 0:
        return np.full(qs.shape, np.nan)
    index = qs * (n - 1)
    low = np.floor(index).astype(np.int64)
    weight = index - low
    at_start = index <= 0
    at_end = index >= n - 1
    low = np.where(at_start, 0, np.where(at_end, n - 1, low))
    high = np.where(at_start | at_end, low, low + 1)
    weight = np.where(at_start | at_end, 0.0, weight)
    low_value = sorted_values[low]
    high_value = sorted_values[high]
    return low_value + weight * (high_value - low_value)


def cdfs(sorted_values: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """ES's ``Dist.cdf`` for each ``x`` in ``xs`` over the sorted samples, vectorised.

    ES scans the samples once: the first counts as half a sample below ``x`` whatever its value, every
    later sample below ``x`` as one, every later sample equal to ``x`` as a tie; at the first sample above
    ``x`` it answers ``(below + ties / 2) / n`` when there were ties, else it interpolates between the
    neighbours of ``x``; past the end it answers ``(n - ties / 2) / n``. The counts come from two binary
    searches instead of the scan.
    """
    n = sorted_values.size
    xs = np.asarray(xs, dtype=np.float64)
    if n == 0:
        return np.full(xs.shape, np.nan)
    below = np.searchsorted(sorted_values, xs, side="left")
    equal = np.searchsorted(sorted_values, xs, side="right") - below
    first_is_x = below == 0
    half_counted = np.where(first_is_x, 0.5, below - 0.5)
    ties = np.where(first_is_x, equal - 1, equal)
    above = below + equal  # index of the first sample above x
    inside = above < n
    prev = sorted_values[np.clip(above - 1, 0, n - 1)]
    nxt = sorted_values[np.clip(above, 0, n - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (xs - prev) / (nxt - prev)
    stopped = np.where(ties > 0, (half_counted + 0.5 * ties) / n, (half_counted + factor) / n)
    result = np.where(inside, stopped, (n - 0.5 * ties) / n)
    return np.where(xs < sorted_values[0], 0.0, result)


def percentile_ranks(sorted_values: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``InternalTDigestPercentileRanks.percentileRank``: the cdf clamped to [0, 1], in percent."""
    return np.clip(cdfs(sorted_values, xs), 0.0, 1.0) * 100.0
