"""The search-as-you-type queries: ``match_phrase_prefix`` and ``match_bool_prefix``.

Both read the text as a user types it: every word but the last is complete, the last one may be a
prefix. They live apart from :mod:`retrievo.retrievers.queries` because they compile to queries that
depend on the index's term dictionary (the prefix's expansions), not only on the analyzed text.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.fuzzy_options import FuzzyOptions
from retrievo.retrievers.queries import Msm, Query, Scalar

#: ``max_expansions``' default in Elasticsearch (``FuzzyQuery.defaultMaxExpansions``).
DEFAULT_MAX_EXPANSIONS = 50


class MatchPhrasePrefixQuery(Query):
    """A phrase whose last word is a prefix, expanded to at most ``max_expansions`` indexed terms."""

    kind: ClassVar[str] = "match_phrase_prefix"
    field: str
    query: Scalar
    slop: int = 0
    max_expansions: int = DEFAULT_MAX_EXPANSIONS
    analyzer: str | None = None
    zero_terms_query: Literal["none", "all"] = "none"

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {
                "query": self.query,
                "slop": self.slop,
                "max_expansions": self.max_expansions,
                "analyzer": self.analyzer,
                "zero_terms_query": self.zero_terms_query,
            },
            {"slop": 0, "max_expansions": DEFAULT_MAX_EXPANSIONS, "zero_terms_query": "none"},
        )


class MatchBoolPrefixQuery(Query):
    """A ``bool`` of term queries whose last clause is a (constant-score) prefix query."""

    kind: ClassVar[str] = "match_bool_prefix"
    field: str
    query: Scalar
    operator: Literal["or", "and"] = "or"
    minimum_should_match: Msm = None
    analyzer: str | None = None
    #: ``fuzziness`` and its companions: every term but the last becomes a fuzzy query.
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
                **fuzzy,
            },
            {"operator": "or"},
        )
