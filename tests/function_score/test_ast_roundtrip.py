"""The scoring queries print themselves back to Elasticsearch JSON (``to_json``) in a form that parses to
the same AST: the canonical form plans are cached under."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.retrievers.function_score import FunctionScoreQuery, RandomScoreFunction

QUERIES: list[dict[str, Any]] = [
    {"function_score": {"query": {"match": {"t": "x"}}, "field_value_factor": {"field": "p", "modifier": "ln2p"}}},
    {
        "function_score": {
            "functions": [
                {"filter": {"term": {"k": "a"}}, "weight": 2},
                {"gauss": {"d": {"origin": "now-1d", "scale": "2d"}, "multi_value_mode": "avg"}, "weight": 0.5},
                {"random_score": {"seed": "abc", "field": "k"}},
                {"exp": {"n": {"origin": 1, "scale": 3, "offset": 1, "decay": 0.2}}},
            ],
            "score_mode": "avg",
            "boost_mode": "sum",
            "max_boost": 10,
            "min_score": 0.5,
            "boost": 2,
            "_name": "f",
        }
    },
    {"boosting": {"positive": {"match_all": {}}, "negative": {"term": {"k": "b"}}, "negative_boost": 0.25}},
    {"rank_feature": {"field": "pr", "sigmoid": {"pivot": 7, "exponent": 0.6}, "boost": 3}},
    {"rank_feature": {"field": "pr"}},
    {"terms_set": {"codes": {"terms": ["a", "b"], "minimum_should_match_field": "n", "_name": "ts"}}},
    {"terms_set": {"codes": {"terms": [1, 2, 3], "minimum_should_match": "50%"}}},
]


@pytest.mark.parametrize("query", QUERIES)
def test_round_trip(query: dict[str, Any]) -> None:
    ast = parse_top_level_query(query)
    printed = ast.to_json()
    assert next(iter(printed)) == next(iter(query))
    assert parse_top_level_query(printed) == ast


def test_string_and_long_seeds_are_java_hashes() -> None:
    """``seed(String)`` is ``String.hashCode``, ``seed(long)`` is ``Long.hashCode``."""
    ast = parse_top_level_query({"function_score": {"random_score": {"seed": "abc", "field": "k"}}})
    assert isinstance(ast, FunctionScoreQuery) and isinstance(ast.functions[0].function, RandomScoreFunction)
    assert ast.functions[0].function.seed == 96354  # "abc".hashCode()
    big = parse_top_level_query({"function_score": {"random_score": {"seed": 2**40 + 5, "field": "k"}}})
    assert isinstance(big, FunctionScoreQuery) and isinstance(big.functions[0].function, RandomScoreFunction)
    assert big.functions[0].function.seed == 5 ^ 256  # low word 5 ^ high word 2**8
