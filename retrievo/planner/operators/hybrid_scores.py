"""The ``normalization-processor``'s arithmetic: per-sub-query normalisation, per-document combination.

Everything is float32 step by step, as neural-search computes it in Java ``float`` (the source of each
formula is named on its function). A sub-query's statistics (min, max, norm, mean) come from the hits
it returned, its window only. A document a sub-query did not return counts as score ``0.0`` there
(``ScoreCombiner.getNormalizedScoresPerDocument`` fills a fresh ``float[]``): the arithmetic mean still
counts that sub-query's weight, the geometric and harmonic means skip scores ``<= 0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from retrievo.retrievers.hybrid import HybridScoring, ScoreBound

F32 = np.float32
#: ``MinMaxScoreNormalizationTechnique.MIN_SCORE``: a normalised 0 becomes this, so the document keeps
#: a say in geometric and harmonic means (and z_score's floor, ``ZScoreNormalizationTechnique.MIN_SCORE``).
MIN_SCORE = F32(0.001)
SINGLE_RESULT_SCORE = F32(1.0)
NO_BOUND = ScoreBound(score=0.0, enabled=False)


# ---------------------------------------------------------------------------------------- min_max


def _lower_effective(b: ScoreBound, score: F32, lo: F32, hi: F32) -> F32:
    """``LowerBound.determineEffectiveScore``."""
    bound = F32(b.score)
    if not b.enabled or b.mode == "ignore":
        return lo
    if b.mode == "apply":
        return bound if (hi > bound and score > bound) else lo
    return lo if hi < bound else bound  # clip


def _upper_effective(b: ScoreBound, score: F32, lo: F32, hi: F32) -> F32:
    """``UpperBound.determineEffectiveScore``."""
    bound = F32(b.score)
    if not b.enabled or b.mode == "ignore":
        return hi
    if b.mode == "apply":
        return bound if (lo < bound and score < bound) else hi
    return hi if lo > bound else bound  # clip


def _min_max_one(score: F32, lo: F32, hi: F32, lower: ScoreBound, upper: ScoreBound) -> F32:
    """``MinMaxScoreNormalizationTechnique.normalizeSingleScore``."""
    if hi == lo and hi == score:
        return SINGLE_RESULT_SCORE
    eff_lo = _lower_effective(lower, score, lo, hi)
    eff_hi = _upper_effective(upper, score, lo, hi)
    if lower.enabled and lower.mode == "clip" and score < eff_lo:
        return MIN_SCORE
    if upper.enabled and upper.mode == "clip" and score > eff_hi:
        return F32(1.0)
    if eff_hi == eff_lo:
        return SINGLE_RESULT_SCORE
    normalized = F32(F32(score - eff_lo) / F32(eff_hi - eff_lo))
    return MIN_SCORE if normalized == 0 else normalized


def min_max(scores: np.ndarray, lower: ScoreBound = NO_BOUND, upper: ScoreBound = NO_BOUND) -> np.ndarray:
    if scores.size == 0:
        return scores.astype(F32)
    s = scores.astype(F32)
    lo, hi = F32(s.min()), F32(s.max())
    return np.array([_min_max_one(F32(x), lo, hi, lower, upper) for x in s], dtype=F32)


# ---------------------------------------------------------------------------------------- l2, z_score


def l2(scores: np.ndarray) -> np.ndarray:
    """``L2ScoreNormalizationTechnique``: the norm accumulates squares in float; a zero norm gives 0."""
    s = scores.astype(F32)
    acc = F32(0.0)
    for x in s:
        acc = F32(acc + F32(x * x))
    norm = F32(math.sqrt(float(acc)))
    if norm == 0:
        return np.zeros(s.size, dtype=F32)
    return (s / norm).astype(F32)


def z_score(scores: np.ndarray) -> np.ndarray:
    """``ZScoreNormalizationTechnique``: mean and sample standard deviation (commons-math, ``n - 1``) in
    double, cast to float. A score equal to the mean becomes the sub-query's *raw* maximum, a zero
    deviation gives the raw minimum, and z-scores ``<= 0`` are floored at 0.001 -- OpenSearch's rules."""
    if scores.size == 0:
        return scores.astype(F32)
    s = scores.astype(F32)
    values = s.astype(np.float64)
    mean = F32(values.mean())
    std = F32(math.sqrt(float(values.var(ddof=1)))) if values.size > 1 else F32(0.0)
    hi, lo = F32(values.max()), F32(values.min())
    out = np.empty(s.size, dtype=F32)
    for i, x in enumerate(s):
        if mean == x:
            out[i] = hi
        elif std == 0:
            out[i] = lo
        else:
            z = F32(F32(x - mean) / std)
            out[i] = MIN_SCORE if z <= 0 else z
    return out


def normalize(scoring: HybridScoring, index: int, scores: np.ndarray) -> np.ndarray:
    """Sub-query ``index``'s window of scores, normalised by the processor's technique."""
    if scoring.normalization == "l2":
        return l2(scores)
    if scoring.normalization == "z_score":
        return z_score(scores)
    lower = scoring.lower_bounds[index] if scoring.lower_bounds is not None else NO_BOUND
    upper = scoring.upper_bounds[index] if scoring.upper_bounds is not None else NO_BOUND
    return min_max(scores, lower, upper)


# ---------------------------------------------------------------------------------------- combination


def _weight(weights: Sequence[float], i: int) -> F32:
    """``ScoreCombinationUtil.getWeightForSubQuery``: 1.0 past the end of the list."""
    return F32(weights[i]) if i < len(weights) else F32(1.0)


def arithmetic_mean(scores: Sequence[F32], weights: Sequence[float]) -> F32:
    """``ArithmeticMeanScoreCombinationTechnique``: every score ``>= 0`` counts, 0.0 included."""
    combined, total = F32(0.0), F32(0.0)
    for i, s in enumerate(scores):
        if s >= 0.0:
            w = _weight(weights, i)
            combined = F32(combined + F32(s * w))
            total = F32(total + w)
    return F32(0.0) if total == 0 else F32(combined / total)


def geometric_mean(scores: Sequence[F32], weights: Sequence[float]) -> F32:
    """``GeometricMeanScoreCombinationTechnique``: ``exp(sum(w ln s) / sum(w))`` over scores ``> 0``; the
    weighted log is a double added to a float sum (Java's compound assignment narrows it back)."""
    ln_sum, total = F32(0.0), F32(0.0)
    for i, s in enumerate(scores):
        if s <= 0:
            continue
        w = _weight(weights, i)
        total = F32(total + w)
        ln_sum = F32(float(ln_sum) + float(w) * math.log(float(s)))
    return F32(0.0) if total == 0 else F32(math.exp(float(F32(ln_sum / total))))


def harmonic_mean(scores: Sequence[F32], weights: Sequence[float]) -> F32:
    """``HarmonicMeanScoreCombinationTechnique``: ``sum(w) / sum(w / s)`` over scores ``> 0``."""
    total, harmonics = F32(0.0), F32(0.0)
    for i, s in enumerate(scores):
        if s <= 0:
            continue
        w = _weight(weights, i)
        total = F32(total + w)
        harmonics = F32(harmonics + F32(w / s))
    return F32(total / harmonics) if harmonics > 0 else F32(0.0)


COMBINATIONS: dict[str, Callable[[Sequence[F32], Sequence[float]], F32]] = {
    "arithmetic_mean": arithmetic_mean,
    "geometric_mean": geometric_mean,
    "harmonic_mean": harmonic_mean,
}
