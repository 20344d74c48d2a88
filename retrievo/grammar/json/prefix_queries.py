"""``match_phrase_prefix`` and ``match_bool_prefix``: Elasticsearch JSON → AST.

Each parser follows its builder's ``fromXContent``: one field, given as ``{"f": "text"}`` or
``{"f": {...}}``, scalar parameters read in order (the first bad one wins), then the builder's setter
checks. ``match_bool_prefix``'s ``fuzziness`` makes every term but the last (the prefix) a fuzzy query.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import illegal_argument
from retrievo.grammar.json.full_text import common_match_param, phrase_param, single_field
from retrievo.grammar.json.multi_term import fuzzy_options
from retrievo.grammar.json.query_common import QueryContext, checked_boost, int_param
from retrievo.retrievers.prefix_queries import MatchBoolPrefixQuery, MatchPhrasePrefixQuery

#: ``match`` parameters ``MatchBoolPrefixQueryBuilder`` does not read.
_NOT_BOOL_PREFIX = frozenset({"lenient", "zero_terms_query", "auto_generate_synonyms_phrase_query"})


def _phrase_prefix_param(key: str, value: Any, out: dict[str, Any]) -> bool:
    """``match_phrase``'s parameters and ``max_expansions``."""
    if key == "max_expansions":
        out["max_expansions"] = int_param("match_phrase_prefix", key, value)
        return True
    return phrase_param("match_phrase_prefix", key, value, out)


def _bool_prefix_param(key: str, value: Any, out: dict[str, Any]) -> bool:
    """``match``'s parameters but for the three that shape a ``match`` query's fallbacks."""
    return key not in _NOT_BOOL_PREFIX and common_match_param("match_bool_prefix", key, value, out)


def parse_match_phrase_prefix(body: dict[str, Any], ctx: QueryContext) -> MatchPhrasePrefixQuery:
    """``MatchPhrasePrefixQueryBuilder.fromXContent``."""
    name = "match_phrase_prefix"
    field, params = single_field(name, body, _phrase_prefix_param)
    if not field:
        raise illegal_argument(f"[{name}] requires fieldName")
    if params.get("query") is None:
        raise illegal_argument(f"[{name}] requires query value")
    if params.get("slop", 0) < 0:
        raise illegal_argument("No negative slop allowed.")
    if params.get("max_expansions", 0) < 0:
        raise illegal_argument("No negative maxExpansions allowed.")
    checked_boost(name, body, params.get("boost", 1.0), field_level=True)
    return MatchPhrasePrefixQuery(field=field, **params)


def parse_match_bool_prefix(body: dict[str, Any], ctx: QueryContext) -> MatchBoolPrefixQuery:
    """``MatchBoolPrefixQueryBuilder.fromXContent``."""
    name = "match_bool_prefix"
    field, params = single_field(name, body, _bool_prefix_param)
    if not field:
        raise illegal_argument(f"[{name}] requires fieldName")
    if params.get("query") is None:
        raise illegal_argument(f"[{name}] requires query value")
    if params.get("prefix_length", 0) < 0:
        raise illegal_argument("[match_bool_prefix] requires prefix length to be non-negative.")
    if params.get("max_expansions", 50) <= 0:
        raise illegal_argument("[match_bool_prefix] requires maxExpansions to be positive.")
    checked_boost(name, body, params.get("boost", 1.0), field_level=True)
    fuzzy = fuzzy_options(params, params.pop("max_expansions", 50))
    return MatchBoolPrefixQuery(field=field, fuzzy=fuzzy, **params)
