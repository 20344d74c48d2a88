"""``query_string`` and ``simple_query_string``: queries written in a small language of their own.

The AST keeps the query text unparsed, with the options as Elasticsearch's builders hold them: the text
can only be parsed against an index (which fields ``*`` means, which analyzer a field has), so parsing it
is the planner's job (``retrievo/planner/query_string/``), as it is ``QueryStringQueryBuilder.doToQuery``'s.
Options left unset stay ``None`` where Elasticsearch falls back on an index setting.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import drop_defaults
from retrievo.retrievers.queries import Msm, Query

#: ``SimpleQueryStringFlag``'s bits (``ALL`` is -1, ``NONE`` 0).
SIMPLE_FLAGS: dict[str, int] = {
    "ALL": -1,
    "NONE": 0,
    "AND": 1 << 0,
    "NOT": 1 << 1,
    "OR": 1 << 2,
    "PREFIX": 1 << 3,
    "PHRASE": 1 << 4,
    "PRECEDENCE": 1 << 5,
    "ESCAPE": 1 << 6,
    "WHITESPACE": 1 << 7,
    "FUZZY": 1 << 8,
    "NEAR": 1 << 9,
    "SLOP": 1 << 9,
}


class QueryStringQuery(Query):
    """``query_string``: Lucene's classic query syntax over one or more fields."""

    kind: ClassVar[str] = "query_string"
    query: str
    default_field: str | None = None
    fields: tuple[str, ...] = ()
    type: Literal["best_fields", "most_fields", "phrase"] = "best_fields"
    tie_breaker: float | None = None
    default_operator: Literal["or", "and"] = "or"
    analyzer: str | None = None
    quote_analyzer: str | None = None
    quote_field_suffix: str | None = None
    allow_leading_wildcard: bool | None = None
    analyze_wildcard: bool | None = None
    enable_position_increments: bool = True
    fuzziness: str = "AUTO"
    fuzzy_prefix_length: int = 0
    fuzzy_max_expansions: int = 50
    fuzzy_transpositions: bool = True
    fuzzy_rewrite: str | None = None
    rewrite: str | None = None
    phrase_slop: int = 0
    minimum_should_match: Msm = None
    lenient: bool | None = None
    time_zone: str | None = None
    escape: bool = False
    max_determinized_states: int = 10000
    auto_generate_synonyms_phrase_query: bool = True

    def to_json(self) -> dict[str, Any]:
        body = drop_defaults(
            {
                "query": self.query,
                "default_field": self.default_field,
                "fields": list(self.fields) or None,
                "type": self.type,
                "tie_breaker": self.tie_breaker,
                "default_operator": self.default_operator,
                "analyzer": self.analyzer,
                "quote_analyzer": self.quote_analyzer,
                "quote_field_suffix": self.quote_field_suffix,
                "allow_leading_wildcard": self.allow_leading_wildcard,
                "analyze_wildcard": self.analyze_wildcard,
                "enable_position_increments": self.enable_position_increments,
                "fuzziness": self.fuzziness,
                "fuzzy_prefix_length": self.fuzzy_prefix_length,
                "fuzzy_max_expansions": self.fuzzy_max_expansions,
                "fuzzy_transpositions": self.fuzzy_transpositions,
                "fuzzy_rewrite": self.fuzzy_rewrite,
                "rewrite": self.rewrite,
                "phrase_slop": self.phrase_slop,
                "minimum_should_match": self.minimum_should_match,
                "lenient": self.lenient,
                "time_zone": self.time_zone,
                "escape": self.escape,
                "max_determinized_states": self.max_determinized_states,
                "auto_generate_synonyms_phrase_query": self.auto_generate_synonyms_phrase_query,
            },
            {
                "type": "best_fields",
                "default_operator": "or",
                "enable_position_increments": True,
                "fuzziness": "AUTO",
                "fuzzy_prefix_length": 0,
                "fuzzy_max_expansions": 50,
                "fuzzy_transpositions": True,
                "phrase_slop": 0,
                "escape": False,
                "max_determinized_states": 10000,
                "auto_generate_synonyms_phrase_query": True,
            },
        )
        return {"query_string": {**body, **self._common()}}


class SimpleQueryStringQuery(Query):
    """``simple_query_string``: Lucene's ``SimpleQueryParser`` syntax, which never fails to parse."""

    kind: ClassVar[str] = "simple_query_string"
    query: str
    fields: tuple[str, ...] = ()
    default_operator: Literal["or", "and"] = "or"
    analyzer: str | None = None
    #: ``SimpleQueryStringFlag`` bits; -1 is ``ALL``.
    flags: int = -1
    analyze_wildcard: bool = False
    lenient: bool | None = None
    minimum_should_match: Msm = None
    quote_field_suffix: str | None = None
    auto_generate_synonyms_phrase_query: bool = True
    fuzzy_prefix_length: int = 0
    fuzzy_max_expansions: int = 50
    fuzzy_transpositions: bool = True

    def to_json(self) -> dict[str, Any]:
        body = drop_defaults(
            {
                "query": self.query,
                "fields": list(self.fields) or None,
                "default_operator": self.default_operator,
                "analyzer": self.analyzer,
                "flags": self.flags,
                "analyze_wildcard": self.analyze_wildcard,
                "lenient": self.lenient,
                "minimum_should_match": self.minimum_should_match,
                "quote_field_suffix": self.quote_field_suffix,
                "auto_generate_synonyms_phrase_query": self.auto_generate_synonyms_phrase_query,
                "fuzzy_prefix_length": self.fuzzy_prefix_length,
                "fuzzy_max_expansions": self.fuzzy_max_expansions,
                "fuzzy_transpositions": self.fuzzy_transpositions,
            },
            {
                "default_operator": "or",
                "flags": -1,
                "analyze_wildcard": False,
                "auto_generate_synonyms_phrase_query": True,
                "fuzzy_prefix_length": 0,
                "fuzzy_max_expansions": 50,
                "fuzzy_transpositions": True,
            },
        )
        return {"simple_query_string": {**body, **self._common()}}
