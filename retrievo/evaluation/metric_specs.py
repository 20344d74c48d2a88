"""The ``metric`` section of a ``_rank_eval`` body: which metric, with which parameters.

Each metric is declared as Elasticsearch declares it (field names, defaults, Java int/boolean
coercion, the parser's name in error messages — ``mean_reciprocal_rank`` parses under the name
``reciprocal_rank`` and ``expected_reciprocal_rank`` under ``dcg``, as in Elasticsearch) and checked
by the same constructor rules, whose failures Elasticsearch reports as ``Failed to build [...]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from retrievo.errors import ApiError, BadRequestError, bad_request, illegal_argument
from retrievo.evaluation import metrics
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import suggest, x_content
from retrievo.grammar.json.objects import bool_field, int_field, parse_object

DEFAULT_K = 10

#: The metric names Elasticsearch registers, for did-you-mean suggestions.
METRIC_NAMES = ("precision", "recall", "mean_reciprocal_rank", "dcg", "expected_reciprocal_rank")


@dataclass(frozen=True)
class Metric:
    """A parsed metric: its name, window ``k`` and parameters, and how to score one query."""

    name: str
    k: int
    params: Mapping[str, Any]

    def evaluate(self, ratings: Sequence[int | None], rated: Sequence[int]) -> metrics.MetricResult:
        """Score one query from its hits' ratings (rank order, ``None`` = unrated) and all ratings."""
        p = self.params
        if self.name == "precision":
            return metrics.precision(
                ratings, threshold=p["relevant_rating_threshold"], ignore_unlabeled=p["ignore_unlabeled"]
            )
        if self.name == "recall":
            return metrics.recall(ratings, rated, threshold=p["relevant_rating_threshold"])
        if self.name == "mean_reciprocal_rank":
            return metrics.reciprocal_rank(ratings, threshold=p["relevant_rating_threshold"])
        if self.name == "dcg":
            return metrics.dcg(ratings, rated, normalize=p["normalize"], unknown_doc_rating=p.get("unknown_doc_rating"))
        # Elasticsearch's ERR cuts the hits to k once more; the search already returned at most k
        return metrics.expected_reciprocal_rank(
            ratings[: self.k], maximum_relevance=p["maximum_relevance"], unknown_doc_rating=p.get("unknown_doc_rating")
        )

    def to_json(self) -> dict[str, Any]:
        """The metric as Elasticsearch prints it back, every default filled in."""
        return {self.name: {**self.params, "k": self.k}}


def _build_failure(parser: str, cause: ApiError) -> BadRequestError:
    return x_content(f"Failed to build [{parser}] after last required field arrived", cause=cause)


def _required(missing: list[str]) -> BadRequestError:
    return illegal_argument(f"Required [{', '.join(missing)}]")


def _check_threshold_and_k(parser: str, threshold: int, k: int) -> None:
    if threshold < 0:
        raise _build_failure(
            parser, illegal_argument("Relevant rating threshold for precision must be positive integer.")
        )
    if k <= 0:
        raise _build_failure(parser, illegal_argument("Window size k must be positive."))


def _precision(body: dict[str, Any]) -> Metric:
    parsed = parse_object(
        "precision",
        body,
        {"relevant_rating_threshold": int_field(), "ignore_unlabeled": bool_field(), "k": int_field()},
    )
    threshold, k = parsed.get("relevant_rating_threshold", 1), parsed.get("k", DEFAULT_K)
    _check_threshold_and_k("precision", threshold, k)
    return Metric(
        "precision",
        k,
        {"relevant_rating_threshold": threshold, "ignore_unlabeled": parsed.get("ignore_unlabeled", False)},
    )


def _recall(body: dict[str, Any]) -> Metric:
    parsed = parse_object("recall", body, {"relevant_rating_threshold": int_field(), "k": int_field()})
    threshold, k = parsed.get("relevant_rating_threshold", 1), parsed.get("k", DEFAULT_K)
    _check_threshold_and_k("recall", threshold, k)
    return Metric("recall", k, {"relevant_rating_threshold": threshold})


def _mean_reciprocal_rank(body: dict[str, Any]) -> Metric:
    parsed = parse_object("reciprocal_rank", body, {"relevant_rating_threshold": int_field(), "k": int_field()})
    threshold, k = parsed.get("relevant_rating_threshold", 1), parsed.get("k", DEFAULT_K)
    _check_threshold_and_k("reciprocal_rank", threshold, k)
    return Metric("mean_reciprocal_rank", k, {"relevant_rating_threshold": threshold})


def _dcg(body: dict[str, Any]) -> Metric:
    parsed = parse_object("dcg", body, {"normalize": bool_field(), "unknown_doc_rating": int_field(), "k": int_field()})
    params: dict[str, Any] = {"normalize": parsed.get("normalize", False)}
    if "unknown_doc_rating" in parsed:
        params["unknown_doc_rating"] = parsed["unknown_doc_rating"]
    return Metric("dcg", parsed.get("k", DEFAULT_K), params)


def _expected_reciprocal_rank(body: dict[str, Any]) -> Metric:
    parsed = parse_object(
        "dcg", body, {"maximum_relevance": int_field(), "unknown_doc_rating": int_field(), "k": int_field()}
    )
    if "maximum_relevance" not in parsed:
        raise _required(["maximum_relevance"])
    params: dict[str, Any] = {"maximum_relevance": parsed["maximum_relevance"]}
    if "unknown_doc_rating" in parsed:
        params["unknown_doc_rating"] = parsed["unknown_doc_rating"]
    return Metric("expected_reciprocal_rank", parsed.get("k", DEFAULT_K), params)


_PARSERS: dict[str, Callable[[dict[str, Any]], Metric]] = {
    "precision": _precision,
    "recall": _recall,
    "mean_reciprocal_rank": _mean_reciprocal_rank,
    "dcg": _dcg,
    "expected_reciprocal_rank": _expected_reciprocal_rank,
}


def _token_error(expected: str, found: Any) -> BadRequestError:
    return bad_request(
        "parsing_exception", f"Failed to parse object: expecting token of type [{expected}] but found [{found}]"
    )


def parse_metric(value: Any) -> Metric:
    """``RankEvalSpec.parseMetric``: an object with exactly one named metric inside."""
    if not isinstance(value, Mapping):
        raise _token_error(jv.START_OBJECT, jv.token_of(value))
    if not value:
        raise _token_error("FIELD_NAME", "END_OBJECT")
    name, body = next(iter(value.items()))
    parser = _PARSERS.get(name)
    if parser is None:
        raise bad_request("named_object_not_found_exception", f"unknown field [{name}]{suggest(name, METRIC_NAMES)}")
    if not isinstance(body, Mapping):
        raise _token_error(jv.START_OBJECT, jv.token_of(body))
    metric = parser(dict(body))
    if len(value) > 1:
        raise _token_error("END_OBJECT", "FIELD_NAME")
    return metric
