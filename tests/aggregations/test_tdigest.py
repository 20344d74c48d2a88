"""The exact digest formulas Elasticsearch's default TDigest answers small buckets with, worked by hand,
and the vectorised cdf against a sample-by-sample scan of the samples as ES's ``Dist.cdf`` walks them."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo.aggregations.tdigest import cdfs, percentile_ranks, quantiles, sorting_limit


def test_quantile_interpolates_at_rank_q_times_n_minus_1() -> None:
    data = np.array([1.0, 51.0, 101.0, 151.0])
    # rank 0.03 → 1 + 0.03 * 50; rank 0.75 → 38.5; rank 1.5 → 76; rank 3 → the last value
    got = quantiles(data, np.array([0.0, 0.01, 0.25, 0.5, 1.0]))
    assert got.tolist() == pytest.approx([1.0, 2.5, 38.5, 76.0, 151.0])


def test_quantile_edges() -> None:
    assert quantiles(np.array([7.0]), np.array([0.0, 0.5, 1.0])).tolist() == [7.0, 7.0, 7.0]
    assert np.isnan(quantiles(np.zeros(0), np.array([0.5]))).all()


def test_cdf_hand_values() -> None:
    data = np.array([1.0, 51.0, 101.0, 151.0])
    # below the first: 0; at 50: (0.5 + 49/50) / 4; at 99: (1.5 + 48/50) / 4; above the last: 1
    assert cdfs(data, np.array([0.0, 50.0, 99.0, 200.0])).tolist() == pytest.approx([0.0, 0.37, 0.615, 1.0])
    # at a sample: the first counts half → (0.5 + 0) / 4 at 1; at 151: (4 - 0.5) / 4
    assert cdfs(data, np.array([1.0, 151.0])).tolist() == pytest.approx([0.125, 0.875])


def _scan_cdf(x: float, data: list[float]) -> float:
    """ES's ``Dist.cdf`` as a literal scan."""
    if x < data[0]:
        return 0.0
    below_half, ties = 0.5, 0
    for i in range(1, len(data)):
        if data[i] > x:
            if ties > 0:
                return (below_half + 0.5 * ties) / len(data)
            return (below_half + (x - data[i - 1]) / (data[i] - data[i - 1])) / len(data)
        if data[i] < x:
            below_half += 1
        else:
            ties += 1
    return (len(data) - 0.5 * ties) / len(data)


def test_vectorised_cdf_matches_scan() -> None:
    rng = np.random.default_rng(3)
    xs = np.arange(-1.0, 8.0, 0.5)
    for _ in range(500):
        data = np.sort(rng.integers(0, 6, size=int(rng.integers(1, 9))).astype(float))
        assert cdfs(data, xs).tolist() == [_scan_cdf(float(x), data.tolist()) for x in xs]


def test_ranks_are_clamped_percentages() -> None:
    assert percentile_ranks(np.array([1.0, 2.0]), np.array([-5.0, 10.0])).tolist() == [0.0, 100.0]


def test_sorting_limit() -> None:
    # HybridDigest switches at round(compression) * 20 samples
    assert sorting_limit(100.0) == 2000
    assert sorting_limit(200.0) == 4000
    assert sorting_limit(0.5) == 20
