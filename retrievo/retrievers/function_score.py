"""Scoring queries as AST nodes: ``function_score`` (and its score functions), ``boosting``,
``rank_feature`` and ``terms_set``.

Values are kept as the user wrote them; the planner gives them their meaning against the mapping (a
decay function's ``origin`` is a number on a numeric field and date math on a date field, which only the
mapping can tell, so its parameters stay raw until then, as Elasticsearch keeps them as bytes until
``toFunction``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import Node, drop_defaults
from retrievo.retrievers.queries import Msm, Query, Scalar

ScoreMode = Literal["multiply", "sum", "avg", "first", "max", "min"]
BoostMode = Literal["multiply", "replace", "sum", "avg", "max", "min"]
Modifier = Literal["none", "log", "log1p", "log2p", "ln", "ln1p", "ln2p", "square", "sqrt", "reciprocal"]
DecayKind = Literal["gauss", "exp", "linear"]
MultiValueMode = Literal["min", "max", "avg", "sum"]


class ScoreFunction(Node):
    """A score function; ``weight`` multiplies what it computes (``WeightFactorFunction``)."""

    weight: float | None = None

    def _with_weight(self, body: dict[str, Any]) -> dict[str, Any]:
        return body if self.weight is None else {**body, "weight": self.weight}


class WeightFunction(ScoreFunction):
    """``weight`` alone: the constant ``weight`` (``WeightBuilder``)."""

    kind: ClassVar[str] = "weight"

    def to_json(self) -> dict[str, Any]:
        return {"weight": self.weight}


class FieldValueFactorFunction(ScoreFunction):
    kind: ClassVar[str] = "field_value_factor"
    field: str
    factor: float = 1.0
    modifier: Modifier = "none"
    missing: float | None = None

    def to_json(self) -> dict[str, Any]:
        body = drop_defaults(
            {"field": self.field, "factor": self.factor, "modifier": self.modifier, "missing": self.missing},
            {"factor": 1.0, "modifier": "none"},
        )
        return self._with_weight({"field_value_factor": body})


class DecayFunction(ScoreFunction):
    """``gauss``/``exp``/``linear`` on ``field``; ``params`` holds the field's object as written
    (``origin``, ``scale``, ``offset``, ``decay``), read once the field's type is known."""

    kind: ClassVar[str] = "decay"
    decay_type: DecayKind
    field: str
    params: tuple[tuple[str, Any], ...]
    multi_value_mode: MultiValueMode = "min"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {self.field: dict(self.params), "multi_value_mode": self.multi_value_mode.upper()}
        return self._with_weight({self.decay_type: body})


class RandomScoreFunction(ScoreFunction):
    kind: ClassVar[str] = "random_score"
    #: The seed as an int (``seed(String)`` is the string's ``hashCode``, a long is ``Long.hashCode``).
    seed: int | None = None
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._with_weight({"random_score": drop_defaults({"seed": self.seed, "field": self.field}, {})})


class FilterFunction(Node):
    """One entry of ``functions``: the function and the filter it applies under (``None``: every document)."""

    function: ScoreFunction
    filter: Query | None = None

    def to_json(self) -> dict[str, Any]:
        body = self.function.to_json()
        return body if self.filter is None else {"filter": self.filter.to_json(), **body}


class FunctionScoreQuery(Query):
    kind: ClassVar[str] = "function_score"
    query: Query
    functions: tuple[FilterFunction, ...] = ()
    score_mode: ScoreMode = "multiply"
    boost_mode: BoostMode | None = None
    max_boost: float = 3.4028234663852886e38  # Float.MAX_VALUE
    min_score: float | None = None

    def children(self) -> tuple[Query, ...]:
        return (self.query,) + tuple(f.filter for f in self.functions if f.filter is not None)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "query": self.query.to_json(),
            "functions": [f.to_json() for f in self.functions],
            "score_mode": self.score_mode,
        }
        if self.boost_mode is not None:
            body["boost_mode"] = self.boost_mode
        body["max_boost"] = self.max_boost
        if self.min_score is not None:
            body["min_score"] = self.min_score
        return {"function_score": {**body, **self._common()}}


class BoostingQuery(Query):
    kind: ClassVar[str] = "boosting"
    positive: Query
    negative: Query
    negative_boost: float

    def children(self) -> tuple[Query, ...]:
        return (self.positive, self.negative)

    def to_json(self) -> dict[str, Any]:
        body = {
            "positive": self.positive.to_json(),
            "negative": self.negative.to_json(),
            "negative_boost": self.negative_boost,
        }
        return {"boosting": {**body, **self._common()}}


class RankFeatureQuery(Query):
    """``rank_feature`` on a ``rank_feature`` field or a ``rank_features`` field's ``field.feature``."""

    kind: ClassVar[str] = "rank_feature"
    field: str
    function: Literal["saturation", "log", "sigmoid", "linear"] = "saturation"
    #: saturation (``None``: computed from the index) and sigmoid.
    pivot: float | None = None
    scaling_factor: float | None = None
    exponent: float | None = None

    def to_json(self) -> dict[str, Any]:
        params = {
            "saturation": drop_defaults({"pivot": self.pivot}, {}),
            "log": {"scaling_factor": self.scaling_factor},
            "sigmoid": {"pivot": self.pivot, "exponent": self.exponent},
            "linear": {},
        }[self.function]
        return {"rank_feature": {"field": self.field, self.function: params, **self._common()}}


class TermsSetQuery(Query):
    kind: ClassVar[str] = "terms_set"
    field: str
    terms: tuple[Scalar, ...]
    minimum_should_match_field: str | None = None
    minimum_should_match: Msm = None

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {
                "terms": list(self.terms),
                "minimum_should_match_field": self.minimum_should_match_field,
                "minimum_should_match": self.minimum_should_match,
            },
        )
