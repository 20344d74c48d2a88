"""Query DSL dispatch: ``{"<query name>": {...}}`` → the query's AST node.

Follows ``AbstractQueryBuilder.parseInnerQueryBuilder``: the clause must be an object with one key
whose value is an object; a name retrievo implements is parsed by the function :data:`QUERY_PARSERS`
lists for it (the one table of implemented queries); a name Elasticsearch knows but retrievo does not
implement is a clear ``not_supported`` error; any other name is
Elasticsearch's ``unknown query [x]`` with its did-you-mean suggestion drawn from every name
Elasticsearch registers. Nesting deeper than ``indices.query.bool.max_nested_depth`` (30) fails as
it does in Elasticsearch, which also keeps Python's recursion limit out of reach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import BadRequestError, bad_request, error_cause, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json.combined_fields import parse_combined_fields
from retrievo.grammar.json.compound import (
    parse_bool,
    parse_constant_score,
    parse_dis_max,
    parse_match_all,
    parse_match_none,
)
from retrievo.grammar.json.errors import suggest
from retrievo.grammar.json.full_text import parse_match, parse_match_phrase, parse_multi_match
from retrievo.grammar.json.function_score import (
    parse_boosting,
    parse_function_score,
    parse_script_score,
    parse_terms_set,
)
from retrievo.grammar.json.hybrid import parse_hybrid
from retrievo.grammar.json.knn_query import parse_knn_query
from retrievo.grammar.json.more_like_this import parse_more_like_this
from retrievo.grammar.json.multi_term import parse_fuzzy, parse_regexp, parse_wildcard
from retrievo.grammar.json.nested import parse_nested
from retrievo.grammar.json.nested_sort import use_filter_parser
from retrievo.grammar.json.pinned_query import parse_pinned_query
from retrievo.grammar.json.prefix_queries import parse_match_bool_prefix, parse_match_phrase_prefix
from retrievo.grammar.json.query_common import MAX_NESTED_DEPTH, QueryContext
from retrievo.grammar.json.query_string import parse_query_string, parse_simple_query_string
from retrievo.grammar.json.rank_feature import parse_rank_feature
from retrievo.grammar.json.rule_query import parse_rule_query
from retrievo.grammar.json.semantic import parse_semantic
from retrievo.grammar.json.sparse_vector import parse_sparse_vector, parse_text_expansion, parse_weighted_tokens
from retrievo.grammar.json.term_level import (
    parse_exists,
    parse_ids,
    parse_prefix,
    parse_range,
    parse_term,
    parse_terms,
)
from retrievo.retrievers.queries import Query

QueryParser = Callable[[dict[str, Any], QueryContext], Query]

#: Every query retrievo parses, by the name it is written under.
QUERY_PARSERS: dict[str, QueryParser] = {
    # full text
    "match": parse_match,
    "match_phrase": parse_match_phrase,
    "query_string": parse_query_string,
    "simple_query_string": parse_simple_query_string,
    "match_phrase_prefix": parse_match_phrase_prefix,
    "match_bool_prefix": parse_match_bool_prefix,
    "multi_match": parse_multi_match,
    "combined_fields": parse_combined_fields,
    "more_like_this": parse_more_like_this,
    # term level
    "term": parse_term,
    "terms": parse_terms,
    "range": parse_range,
    "exists": parse_exists,
    "ids": parse_ids,
    "prefix": parse_prefix,
    # multi-term queries (grammar/json/multi_term.py)
    "fuzzy": parse_fuzzy,
    "wildcard": parse_wildcard,
    "regexp": parse_regexp,
    # compound and trivial
    "bool": parse_bool,
    "match_all": parse_match_all,
    "match_none": parse_match_none,
    "constant_score": parse_constant_score,
    "dis_max": parse_dis_max,
    "nested": parse_nested,
    "pinned": parse_pinned_query,
    "rule": parse_rule_query,
    "rule_query": parse_rule_query,
    # dense_vector (and semantic_text) fields
    "knn": parse_knn_query,
    # semantic_text
    "semantic": parse_semantic,
    # sparse_vector fields (and semantic_text on a sparse_embedding endpoint)
    "sparse_vector": parse_sparse_vector,
    "weighted_tokens": parse_weighted_tokens,
    "text_expansion": parse_text_expansion,
    # OpenSearch's hybrid query (scored by a search pipeline's normalization-processor)
    "hybrid": parse_hybrid,
    # scoring queries (function_score.py, rank_feature.py)
    "function_score": parse_function_score,
    "script_score": parse_script_score,
    "boosting": parse_boosting,
    "rank_feature": parse_rank_feature,
    "terms_set": parse_terms_set,
}

#: Query names Elasticsearch 9 registers (core, x-pack and bundled modules) that retrievo does not
#: implement. They are rejected with ``not_supported``, never as unknown.
UNSUPPORTED_QUERIES: frozenset[str] = frozenset(
    {
        "intervals",
        "script",
        "wrapper",
        "distance_feature",
        "percolate",
        "has_child",
        "has_parent",
        "parent_id",
        "type",
        "geo_distance",
        "geo_bounding_box",
        "geo_polygon",
        "geo_shape",
        "geo_grid",
        "shape",
        "span_term",
        "span_near",
        "span_or",
        "span_not",
        "span_first",
        "span_containing",
        "span_within",
        "span_multi",
        "span_gap",
        "span_field_masking",
        "field_masking_span",
        "kql",
    }
)


def known_query_names() -> frozenset[str]:
    """Every query name Elasticsearch knows: the candidates for a did-you-mean."""
    return frozenset(QUERY_PARSERS) | UNSUPPORTED_QUERIES


def _unknown_query(name: str) -> BadRequestError:
    """``unknown query [x]`` (a ``parsing_exception`` caused by ``named_object_not_found``)."""
    return bad_request(
        "parsing_exception",
        f"unknown query [{name}]{suggest(name, known_query_names())}",
        caused_by=error_cause("named_object_not_found_exception", f"unknown field [{name}]"),
    )


def parse_inner_query(obj: Any, ctx: QueryContext) -> Query:
    """``parseInnerQueryBuilder`` for one query clause, one nesting level below ``ctx``."""
    if not isinstance(obj, dict):
        raise parsing_error("[_na] query malformed, must start with start_object")
    if not obj:
        raise illegal_argument("query malformed, empty clause found")
    name, body = next(iter(obj.items()))
    if not isinstance(body, dict):
        raise parsing_error(f"[{name}] query malformed, no start_object after query name")
    if ctx.depth + 1 > MAX_NESTED_DEPTH:
        raise illegal_argument(
            "The nested depth of the query exceeds the maximum nested depth for "
            "queries set in [indices.query.bool.max_nested_depth]"
        )
    parser = QUERY_PARSERS.get(name)
    if parser is None:
        if name in UNSUPPORTED_QUERIES:
            raise not_supported(f"[{name}] query")
        raise _unknown_query(name)
    query = parser(body, QueryContext(dispatch=parse_inner_query, depth=ctx.depth + 1))
    if len(obj) > 1:
        raise parsing_error(f"[{name}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
    return query


def parse_top_level_query(obj: Any) -> Query:
    """``parseTopLevelQuery``: a query clause with a fresh nesting count."""
    return parse_inner_query(obj, QueryContext(dispatch=parse_inner_query))


use_filter_parser(parse_top_level_query)  # a sort's nested filter (grammar/json/nested_sort.py)
