"""The query DSL as typed, immutable AST nodes.

One class per Elasticsearch query type that retrievo runs. Values are stored as the user wrote them
(boosts as floats, ``minimum_should_match`` as int or string); the planner decides what they mean for
a given index. ``to_json`` prints the canonical Elasticsearch form (defaults omitted).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import Node, drop_defaults
from retrievo.retrievers.fuzzy_options import FuzzyOptions

Scalar = str | int | float | bool
Msm = int | str | None


class Query(Node):
    """Base class of query nodes; ``boost`` and ``name`` (Elasticsearch's ``_name``) are universal."""

    boost: float = 1.0
    name: str | None = None

    def _common(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.boost != 1.0:
            out["boost"] = self.boost
        if self.name is not None:
            out["_name"] = self.name
        return out

    def children(self) -> tuple[Query, ...]:
        return ()

    def _field_json(self, field: str, body: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``{kind: {field: {...}}}`` form every field-level query prints, with ``boost``/``_name``.

        One place so field-level queries agree on what they leave out: ``None`` values and parameters
        at their defaults (``drop_defaults``), keeping the canonical form (a cache key) minimal.
        """
        return {self.kind: {field: {**drop_defaults(body, defaults or {}), **self._common()}}}


class MatchAllQuery(Query):
    kind: ClassVar[str] = "match_all"

    def to_json(self) -> dict[str, Any]:
        return {"match_all": self._common()}


class MatchNoneQuery(Query):
    kind: ClassVar[str] = "match_none"

    def to_json(self) -> dict[str, Any]:
        return {"match_none": self._common()}


class MatchQuery(Query):
    kind: ClassVar[str] = "match"
    field: str
    query: Scalar
    operator: Literal["or", "and"] = "or"
    minimum_should_match: Msm = None
    analyzer: str | None = None
    zero_terms_query: Literal["none", "all"] = "none"
    lenient: bool = False
    auto_generate_synonyms_phrase_query: bool = True
    #: ``fuzziness`` and its parameters (each analysed term a fuzzy query); ``None``: exact terms.
    fuzzy: FuzzyOptions | None = None

    def to_json(self) -> dict[str, Any]:
        fuzzy = self.fuzzy.params(with_max_expansions=True) if self.fuzzy is not None else {}
        return self._field_json(
            self.field,
            {
                "query": self.query,
                "operator": self.operator,
                "minimum_should_match": self.minimum_should_match,
                "analyzer": self.analyzer,
                "zero_terms_query": self.zero_terms_query,
                "lenient": self.lenient,
                "auto_generate_synonyms_phrase_query": self.auto_generate_synonyms_phrase_query,
                **fuzzy,
            },
            {
                "operator": "or",
                "zero_terms_query": "none",
                "lenient": False,
                "auto_generate_synonyms_phrase_query": True,
            },
        )


class MatchPhraseQuery(Query):
    kind: ClassVar[str] = "match_phrase"
    field: str
    query: Scalar
    slop: int = 0
    analyzer: str | None = None
    zero_terms_query: Literal["none", "all"] = "none"

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {
                "query": self.query,
                "slop": self.slop,
                "analyzer": self.analyzer,
                "zero_terms_query": self.zero_terms_query,
            },
            {"slop": 0, "zero_terms_query": "none"},
        )


class MultiMatchQuery(Query):
    kind: ClassVar[str] = "multi_match"
    query: Scalar
    fields: tuple[str, ...]
    type: Literal["best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix"] = (
        "best_fields"
    )
    tie_breaker: float | None = None
    operator: Literal["or", "and"] = "or"
    minimum_should_match: Msm = None
    analyzer: str | None = None
    slop: int = 0
    zero_terms_query: Literal["none", "all"] = "none"
    lenient: bool = False
    #: ``phrase_prefix``: how many terms the last word expands to.
    max_expansions: int = 50
    #: ``fuzziness`` and its parameters (``best_fields``/``most_fields``/``bool_prefix``); its
    #: ``max_expansions`` is the one above.
    fuzzy: FuzzyOptions | None = None

    def to_json(self) -> dict[str, Any]:
        body = drop_defaults(
            {
                "query": self.query,
                "fields": list(self.fields),
                "type": self.type,
                "tie_breaker": self.tie_breaker,
                "operator": self.operator,
                "minimum_should_match": self.minimum_should_match,
                "analyzer": self.analyzer,
                "slop": self.slop,
                "zero_terms_query": self.zero_terms_query,
                "lenient": self.lenient,
                "max_expansions": self.max_expansions,
            },
            {
                "type": "best_fields",
                "operator": "or",
                "slop": 0,
                "zero_terms_query": "none",
                "lenient": False,
                "max_expansions": 50,
            },
        )
        fuzzy = self.fuzzy.params(with_max_expansions=False) if self.fuzzy is not None else {}
        return {"multi_match": {**body, **fuzzy, **self._common()}}


class BoolQuery(Query):
    kind: ClassVar[str] = "bool"
    must: tuple[Query, ...] = ()
    should: tuple[Query, ...] = ()
    filter: tuple[Query, ...] = ()
    must_not: tuple[Query, ...] = ()
    minimum_should_match: Msm = None

    def children(self) -> tuple[Query, ...]:
        return self.must + self.should + self.filter + self.must_not

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for role in ("must", "filter", "should", "must_not"):
            clauses = getattr(self, role)
            if clauses:
                body[role] = [c.to_json() for c in clauses]
        if self.minimum_should_match is not None:
            body["minimum_should_match"] = self.minimum_should_match
        return {"bool": {**body, **self._common()}}


class TermQuery(Query):
    kind: ClassVar[str] = "term"
    field: str
    value: Scalar
    case_insensitive: bool = False

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field, {"value": self.value, "case_insensitive": self.case_insensitive}, {"case_insensitive": False}
        )


class TermsQuery(Query):
    kind: ClassVar[str] = "terms"
    field: str
    values: tuple[Scalar, ...]

    def to_json(self) -> dict[str, Any]:
        return {"terms": {self.field: list(self.values), **self._common()}}


class RangeQuery(Query):
    kind: ClassVar[str] = "range"
    field: str
    gt: Scalar | None = None
    gte: Scalar | None = None
    lt: Scalar | None = None
    lte: Scalar | None = None
    format: str | None = None
    time_zone: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {
                "gt": self.gt,
                "gte": self.gte,
                "lt": self.lt,
                "lte": self.lte,
                "format": self.format,
                "time_zone": self.time_zone,
            },
        )


class ExistsQuery(Query):
    kind: ClassVar[str] = "exists"
    field: str

    def to_json(self) -> dict[str, Any]:
        return {"exists": {"field": self.field, **self._common()}}


class IdsQuery(Query):
    kind: ClassVar[str] = "ids"
    values: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"ids": {"values": list(self.values), **self._common()}}


class PrefixQuery(Query):
    kind: ClassVar[str] = "prefix"
    field: str
    value: str
    case_insensitive: bool = False
    #: Lucene's rewrite method by Elasticsearch's name (``lucene/multi_term.py``); ``None``: constant score.
    rewrite: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {"value": self.value, "case_insensitive": self.case_insensitive, "rewrite": self.rewrite},
            {"case_insensitive": False},
        )


class ConstantScoreQuery(Query):
    kind: ClassVar[str] = "constant_score"
    filter: Query

    def children(self) -> tuple[Query, ...]:
        return (self.filter,)

    def to_json(self) -> dict[str, Any]:
        return {"constant_score": {"filter": self.filter.to_json(), **self._common()}}


class DisMaxQuery(Query):
    kind: ClassVar[str] = "dis_max"
    queries: tuple[Query, ...]
    tie_breaker: float = 0.0

    def children(self) -> tuple[Query, ...]:
        return self.queries

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"queries": [q.to_json() for q in self.queries]}
        if self.tie_breaker != 0.0:
            body["tie_breaker"] = self.tie_breaker
        return {"dis_max": {**body, **self._common()}}


class SemanticQuery(Query):
    """``semantic``: embed ``query`` with the field's inference endpoint, rank by nearest chunks."""

    kind: ClassVar[str] = "semantic"
    field: str
    query: str
    #: On a field that is not ``semantic_text``: match nothing instead of failing (9.x).
    lenient: bool | None = None

    def to_json(self) -> dict[str, Any]:
        extra = {} if self.lenient is None else {"lenient": self.lenient}
        return {"semantic": {"field": self.field, "query": self.query, **extra, **self._common()}}


QUERY_TYPES: tuple[type[Query], ...] = (
    MatchAllQuery,
    MatchNoneQuery,
    MatchQuery,
    MatchPhraseQuery,
    MultiMatchQuery,
    BoolQuery,
    TermQuery,
    TermsQuery,
    RangeQuery,
    ExistsQuery,
    IdsQuery,
    PrefixQuery,
    ConstantScoreQuery,
    DisMaxQuery,
    SemanticQuery,
)
