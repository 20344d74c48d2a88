"""The ``sparse_vector`` query over ``query_vector`` tokens: scores computed by hand (Σ query weight ×
truncated stored weight, boosts as float32 products), token pruning worked out from the index's
statistics, the index's ``index_options`` as the default, errors, named queries and ``explain``.

Pruning (``WeightedTokensUtils``): with ``N`` documents holding the field, ``U`` distinct tokens and
``P`` postings, the average ratio is ``P / N / U``; a token is kept when its document ratio ``df / N``
is below ``tokens_freq_ratio_threshold × average`` or its weight is above ``tokens_weight_threshold ×``
the query's best weight; a token in no document is never kept; ``only_score_pruned_tokens`` inverts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.errors import ApiError

INDEX = "svq"
F32 = np.float32

# Eight documents; every weight is exact in FeatureField's 17 bits (x.5, x.25, whole numbers).
DOCS: dict[str, dict[str, float]] = {
    "1": {"common": 1.0, "rare": 3.0},
    "2": {"common": 2.0},
    "3": {"common": 0.5, "mid": 1.0},
    "4": {"common": 1.0, "mid": 2.0},
    "5": {"common": 1.0},
    "6": {"common": 4.0, "mid": 0.25},
    "7": {"common": 1.0},
    "8": {"other": 1.5},
}
# N = 8 documents, U = 4 tokens (common, rare, mid, other), P = 7 + 1 + 3 + 1 = 12 postings:
# average ratio = 12 / 8 / 4 = 0.375. Ratios: common 7/8 = 0.875, mid 3/8 = 0.375, rare 1/8, other 1/8.


@pytest.fixture(scope="module")
def es() -> Iterator[Engine]:
    engine = Engine()
    engine.indices.create(
        index=INDEX,
        mappings={
            "properties": {
                "tokens": {"type": "sparse_vector"},
                "no_prune": {"type": "sparse_vector", "index_options": {"prune": False}},
                "strict": {
                    "type": "sparse_vector",
                    "index_options": {
                        "prune": True,
                        "pruning_config": {"tokens_freq_ratio_threshold": 1, "tokens_weight_threshold": 0.9},
                    },
                },
                "label": {"type": "keyword"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for doc_id, tokens in DOCS.items():
        ops += [{"index": {"_id": doc_id}}, {"tokens": tokens, "no_prune": tokens, "strict": tokens, "label": doc_id}]
    engine.bulk(index=INDEX, operations=ops, refresh=True)
    yield engine


def search(es: Engine, query: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return es.search(index=INDEX, query=query, size=20, **extra).body


def sv(field: str = "tokens", **params: Any) -> dict[str, Any]:
    return {"sparse_vector": {"field": field, **params}}


def scored(resp: dict[str, Any]) -> dict[str, float]:
    return {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}


def test_score_is_the_weighted_sum_of_features(es: Engine) -> None:
    resp = search(es, sv(query_vector={"common": 0.5, "rare": 2.0, "missing": 1.0}))
    # default pruning (9.1) keeps both: common's ratio 0.875 < 5 × 0.375, rare's 0.125 too
    assert scored(resp) == {
        "1": 0.5 * 1.0 + 2.0 * 3.0,
        "2": 1.0,
        "3": 0.25,
        "4": 0.5,
        "5": 0.5,
        "6": 2.0,
        "7": 0.5,
    }
    assert [h["_id"] for h in resp["hits"]["hits"]][:3] == ["1", "6", "2"]
    assert resp["hits"]["hits"][3:] and {h["_id"] for h in resp["hits"]["hits"][3:5]} == {"4", "5"}


def test_ties_keep_index_order(es: Engine) -> None:
    resp = search(es, sv(query_vector={"common": 1.0}))
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["6", "2", "1", "4", "5", "7", "3"]


def test_boost_multiplies_each_token_weight_in_float32(es: Engine) -> None:
    resp = search(es, sv(query_vector={"rare": 0.1}, boost=3.0))
    expected = float(F32(F32(0.1) * F32(3.0)) * F32(3.0))
    assert resp["hits"]["hits"][0]["_score"] == pytest.approx(expected, rel=1e-7)


def test_named_query_is_reported(es: Engine) -> None:
    resp = search(es, sv(query_vector={"rare": 1.0}, _name="sv"))
    assert [(h["_id"], h["matched_queries"]) for h in resp["hits"]["hits"]] == [("1", ["sv"])]


def test_pruning_by_hand(es: Engine) -> None:
    # ratio threshold 2: limit 2 × 0.375 = 0.75 → common (0.875) is frequent; weight threshold 0.5 of best
    # 4.0 = 2.0 → common (1.0) is light: pruned. mid (0.375 < 0.75) and rare (0.125) stay.
    config = {"tokens_freq_ratio_threshold": 2, "tokens_weight_threshold": 0.5}
    resp = search(es, sv(query_vector={"common": 1.0, "mid": 1.0, "rare": 4.0}, prune=True, pruning_config=config))
    assert scored(resp) == {"1": 12.0, "3": 1.0, "4": 2.0, "6": 0.25}
    only = {**config, "only_score_pruned_tokens": True}
    resp = search(es, sv(query_vector={"common": 1.0, "mid": 1.0, "rare": 4.0}, prune=True, pruning_config=only))
    assert scored(resp) == {"1": 1.0, "2": 2.0, "3": 0.5, "4": 1.0, "5": 1.0, "6": 4.0, "7": 1.0}


def test_a_heavy_token_survives_however_frequent(es: Engine) -> None:
    # common is frequent (limit 1 × 0.375 ≤ 0.875) but its weight 4 > 0.4 × 4: kept; mid (ratio 0.375, not
    # below the limit; weight 0.5 ≤ 1.6) is pruned
    config = {"tokens_freq_ratio_threshold": 1}
    resp = search(es, sv(query_vector={"common": 4.0, "mid": 0.5}, prune=True, pruning_config=config))
    assert resp["hits"]["total"]["value"] == 7
    assert scored(resp)["6"] == 16.0


def test_ratio_threshold_is_read_as_an_integer(es: Engine) -> None:
    # 2.9 is read with intValue(): 2 → limit 0.75 → mid (0.375) kept, common (0.875, light) pruned
    config = {"tokens_freq_ratio_threshold": 2.9, "tokens_weight_threshold": 0.5}
    resp = search(es, sv(query_vector={"common": 1.0, "mid": 4.0}, prune=True, pruning_config=config))
    assert set(scored(resp)) == {"3", "4", "6"}


def test_mid_ratio_equal_to_the_limit_is_frequent(es: Engine) -> None:
    # threshold 1: limit 0.375; mid's ratio 0.375 is not below it; weight 1 ≤ 0.4 × 4 → pruned
    config = {"tokens_freq_ratio_threshold": 1}
    resp = search(es, sv(query_vector={"mid": 1.0, "rare": 4.0}, prune=True, pruning_config=config))
    assert scored(resp) == {"1": 12.0}


def test_prune_false_scores_every_token(es: Engine) -> None:
    config = {"tokens_freq_ratio_threshold": 1, "tokens_weight_threshold": 0.9}
    resp = search(es, sv(query_vector={"common": 1.0, "rare": 4.0}, prune=False, pruning_config=config))
    assert len(scored(resp)) == 7


def test_index_options_are_the_default(es: Engine) -> None:
    # "strict" prunes with ratio 1 and weight 0.9: common (frequent, 1 ≤ 0.9 × 4) goes
    resp = search(es, sv("strict", query_vector={"common": 1.0, "rare": 4.0}))
    assert scored(resp) == {"1": 12.0}
    # the query's prune: false overrides the index
    resp = search(es, sv("strict", query_vector={"common": 1.0, "rare": 4.0}, prune=False))
    assert len(scored(resp)) == 7
    # "no_prune" never prunes unless the query asks
    resp = search(es, sv("no_prune", query_vector={"common": 1.0, "rare": 4.0}))
    assert len(scored(resp)) == 7
    config = {"tokens_freq_ratio_threshold": 1, "tokens_weight_threshold": 0.9}
    resp = search(es, sv("no_prune", query_vector={"common": 1.0, "rare": 4.0}, prune=True, pruning_config=config))
    assert scored(resp) == {"1": 12.0}


def test_pruning_an_empty_field_matches_nothing(es: Engine) -> None:
    es2 = Engine()
    es2.indices.create(index="empty", mappings={"properties": {"tokens": {"type": "sparse_vector"}}})
    es2.index(index="empty", id="1", document={"other": 1}, refresh=True)
    resp = es2.search(index="empty", query=sv(query_vector={"a": 1.0}))
    assert resp["hits"]["total"]["value"] == 0


def test_unmapped_field_matches_nothing(es: Engine) -> None:
    assert search(es, sv("nope", query_vector={"common": 1.0}))["hits"]["total"]["value"] == 0


def test_inside_a_bool_with_a_filter(es: Engine) -> None:
    query = {"bool": {"must": [sv(query_vector={"common": 1.0})], "filter": [{"terms": {"label": ["2", "3"]}}]}}
    assert scored(search(es, query)) == {"2": 2.0, "3": 0.5}


def test_explain_shows_the_linear_feature_function(es: Engine) -> None:
    resp = search(es, sv(query_vector={"common": 0.5, "rare": 2.0}), explain=True)
    top = resp["hits"]["hits"][0]
    assert top["_id"] == "1"
    explanation = top["_explanation"]
    assert explanation["value"] == 6.5
    assert explanation["description"] == "sum of:"
    rare = next(d for d in explanation["details"] if "rare" in d["description"])
    assert rare["description"] == "Linear function on the tokens field for the rare feature, computed as w * S from:"
    assert [d["value"] for d in rare["details"]] == [2.0, 3.0]


# ------------------------------------------------------------------------------------------- errors


def error_of(es: Engine, query: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ApiError) as info:
        es.search(index=INDEX, query=query)
    assert info.value.status_code == 400
    return info.value.body["error"]


def test_field_of_another_type(es: Engine) -> None:
    error = error_of(es, sv("label", query_vector={"a": 1.0}))
    reason = "field [label] must be type [sparse_vector] but is type [keyword]"
    assert error["type"] == "search_phase_execution_exception"
    assert error["caused_by"]["caused_by"] == {"type": "illegal_argument_exception", "reason": reason}


def test_negative_token_weight_without_pruning(es: Engine) -> None:
    error = error_of(es, sv(query_vector={"common": -1.0}, prune=False))
    assert error["caused_by"]["caused_by"]["reason"] == "boost must be a positive float, got -1.0"


@pytest.mark.parametrize(
    ("params", "reason", "inner"),
    [
        ({}, "Failed to build [sparse_vector] after last required field arrived", "requires one of"),
        (
            {"query_vector": {"a": 1.0}, "inference_id": "x"},
            "Failed to build [sparse_vector] after last required field arrived",
            "requires one of",
        ),
        ({"query_vector": {"a": "x"}}, "Failed to build [sparse_vector] after last required field arrived", None),
        ({"query_vector": [1]}, "[sparse_vector] query_vector doesn't support values of type: START_ARRAY", None),
        ({"query_vector": {"a": 1.0}, "bogus": 1}, "[sparse_vector] unknown field [bogus]", None),
        (
            {"query_vector": {"a": 1.0}, "pruning_config": {"nope": 1}},
            "[sparse_vector] failed to parse field [pruning_config]",
            "[pruning_config] unknown token [nope]",
        ),
        (
            {"query_vector": {"a": 1.0}, "pruning_config": {"tokens_weight_threshold": 2}},
            "[sparse_vector] failed to parse field [pruning_config]",
            "[tokens_weight_threshold] must be between 0 and 1",
        ),
    ],
)
def test_parse_errors(es: Engine, params: dict[str, Any], reason: str, inner: str | None) -> None:
    error = error_of(es, sv(**params))
    assert error["type"] == "parsing_exception"
    assert error["reason"] == reason
    if inner is not None:
        assert inner in str(error["caused_by"])


def test_missing_field(es: Engine) -> None:
    error = error_of(es, {"sparse_vector": {"query_vector": {"a": 1.0}}})
    assert (error["type"], error["reason"]) == ("parsing_exception", "Required [field]")


def test_negative_boost(es: Engine) -> None:
    error = error_of(es, sv(query_vector={"a": 1.0}, boost=-1))
    assert error["type"] == "parsing_exception"
    assert "negative [boost] are not allowed" in error["reason"]


def test_text_without_inference_id(es: Engine) -> None:
    error = error_of(es, sv(query="some text"))
    assert error == {
        "root_cause": [
            {
                "type": "illegal_argument_exception",
                "reason": "inference_id required to perform vector search on query string",
            }
        ],
        "type": "illegal_argument_exception",
        "reason": "inference_id required to perform vector search on query string",
    }


@pytest.mark.parametrize(
    "query",
    [
        sv(query_vector={"a": 1.5, "b.c": 2.0}, prune=True, pruning_config={"tokens_freq_ratio_threshold": 3}),
        sv(inference_id="e", query="some text", boost=2.0, _name="n"),
        sv(query="text only", prune=False),
        {"weighted_tokens": {"tokens": {"tokens": {"a": 1.0}, "pruning_config": {"only_score_pruned_tokens": True}}}},
    ],
)
def test_printed_query_parses_back_to_itself(query: dict[str, Any]) -> None:
    from retrievo.grammar.json.queries import parse_top_level_query

    parsed = parse_top_level_query(query)
    assert parse_top_level_query(parsed.to_json()) == parsed
