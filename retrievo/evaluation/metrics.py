"""The five ``_rank_eval`` metrics as small pure functions over a ranked list of ratings.

A search's hits are first joined with the request's rated documents; what a metric sees is the
list of those ratings in rank order, ``None`` for a hit nobody rated. Each function returns the
per-query score and the ``metric_details`` body Elasticsearch reports for it, computed in the same
order of double-precision operations as Elasticsearch so the scores agree to the last bit.

Formulas (Elasticsearch's ``modules/rank-eval``):

* precision@k: relevant retrieved / retrieved, where unrated hits count as retrieved (false
  positives) unless ``ignore_unlabeled``; 0 when nothing counts.
* recall@k: relevant retrieved / relevant rated documents (all of them, not only those retrieved).
* reciprocal rank: 1 / rank of the first hit rated at or above the threshold, 0 if none; the
  detail's ``first_relevant`` is that rank or -1.
* DCG: sum over ranks of (2^rating - 1) / log2(rank + 1); unrated hits take ``unknown_doc_rating``
  or contribute nothing (keeping their rank). Normalised, it is divided by the DCG of all rated
  documents' ratings sorted descending and cut to the number of hits (``ideal_dcg``).
* ERR (Chapelle et al. 2009): sum over ranks of p * R(r) / rank, R(r) = (2^r - 1) / 2^max,
  p the probability that the user was not satisfied higher up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

Ratings = Sequence[int | None]
MetricResult = tuple[float, dict[str, Any]]

_LOG2 = math.log(2.0)


def precision(ratings: Ratings, *, threshold: int = 1, ignore_unlabeled: bool = False) -> MetricResult:
    relevant = retrieved = 0
    for rating in ratings:
        if rating is not None:
            retrieved += 1
            if rating >= threshold:
                relevant += 1
        elif not ignore_unlabeled:
            retrieved += 1
    score = relevant / retrieved if retrieved > 0 else 0.0
    return score, {"relevant_docs_retrieved": relevant, "docs_retrieved": retrieved}


def recall(ratings: Ratings, rated: Sequence[int], *, threshold: int = 1) -> MetricResult:
    retrieved = sum(1 for r in ratings if r is not None and r >= threshold)
    relevant = sum(1 for r in rated if r >= threshold)
    score = retrieved / relevant if relevant > 0 else 0.0
    return score, {"relevant_docs_retrieved": retrieved, "relevant_docs": relevant}


def reciprocal_rank(ratings: Ratings, *, threshold: int = 1) -> MetricResult:
    first = next((rank for rank, r in enumerate(ratings, 1) if r is not None and r >= threshold), -1)
    score = 0.0 if first == -1 else 1.0 / first
    return score, {"first_relevant": first}


def dcg_sum(ratings: Ratings) -> float:
    """Σ (2^r − 1) / log2(rank + 1), skipping ``None`` but keeping its rank."""
    total = 0.0
    for rank, rating in enumerate(ratings, 1):
        if rating is not None:
            total += (math.pow(2, rating) - 1) / (math.log(rank + 1) / _LOG2)
    return total


def dcg(
    ratings: Ratings, rated: Sequence[int], *, normalize: bool = False, unknown_doc_rating: int | None = None
) -> MetricResult:
    unrated = sum(1 for r in ratings if r is None)
    filled = [unknown_doc_rating if r is None else r for r in ratings]
    value = dcg_sum(filled)
    score, ideal = value, 0.0
    if normalize:
        best = sorted(rated, reverse=True)[: len(filled)]
        ideal = dcg_sum(best)
        score = value / ideal if ideal != 0 else 0.0
    detail: dict[str, Any] = {"dcg": value}
    if ideal != 0:
        detail["ideal_dcg"] = ideal
        detail["normalized_dcg"] = value / ideal
    detail["unrated_docs"] = unrated
    return score, detail


def expected_reciprocal_rank(
    ratings: Ratings, *, maximum_relevance: int, unknown_doc_rating: int | None = None
) -> MetricResult:
    two_pow_max = math.pow(2, maximum_relevance)
    unrated = sum(1 for r in ratings if r is None)
    p, err = 1.0, 0.0
    for rank, rating in enumerate(ratings, 1):
        value = unknown_doc_rating if rating is None else rating
        if value is not None:
            prob = (math.pow(2, value) - 1) / two_pow_max
            err = err + (p * prob / rank)
            p = p * (1 - prob)
    return err, {"unrated_docs": unrated}
