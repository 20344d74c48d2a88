"""OpenSearch's ``hybrid`` query scored by a ``normalization-processor``, end to end through the planner.

Each expectation is computed here, independently of retrievo's hybrid code: every sub-query's own scores
come from a plain search of that sub-query alone (BM25 is golden-tested elsewhere), and the processor's
normalisations and combinations are written out below from neural-search's formulas (min_max with its
0.001 floor and single-score rule, l2, z_score with the sample deviation; arithmetic, geometric and
harmonic means, a document missing from a sub-query counting as 0 there).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from retrievo import ApiError, Engine
from retrievo.grammar.json import parse_search
from retrievo.opensearch.normalization import apply_normalization, parse_normalization_processor
from retrievo.planner.execute import run_search
from retrievo.planner.plan import build_plan

DOCS = [
    "apple banana",  # 0
    "apple apple cherry",  # 1
    "banana cherry date",  # 2
    "cherry cherry cherry",  # 3
    "date elder",  # 4
    "apple date",  # 5
    "banana banana apple cherry",  # 6
    "fig",  # 7
    "apple banana",  # 8: the same text as 0, so every score ties with it
    "elder fig grape",  # 9
    "grape apple",  # 10
    "cherry date fig",  # 11
]
APPLE = {"match": {"t": "apple"}}
CHERRY = {"match": {"t": "cherry"}}
DATE = {"match": {"t": "date"}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="h",
        mappings={"properties": {"t": {"type": "text"}, "k": {"type": "keyword"}, "p": {"type": "float"}}},
    )
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(DOCS):
        ops += [{"index": {"_index": "h", "_id": str(i)}}, {"t": text, "k": "xy"[i % 2], "p": price(i)}]
    e.bulk(operations=ops, refresh=True)
    return e


def price(i: int) -> float:
    """A distinct number per document, for the by_field rerank."""
    return float((i * 7) % 12) + 0.5


# ---------------------------------------------------------------------------------------- helpers


def plain(engine: Engine, query: dict[str, Any], size: int) -> dict[str, float]:
    """A sub-query's own top ``size`` hits, by a plain search."""
    resp = engine.search(index="h", query=query, size=size)
    return {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}


def hybrid_search(engine: Engine, body: dict[str, Any], processor: dict[str, Any]) -> dict[str, Any]:
    shard = engine.catalog.shard("h")
    request = parse_search("h", body)
    return run_search(shard, apply_normalization(request, parse_normalization_processor(processor)))


def processor(
    norm: str = "min_max", comb: str = "arithmetic_mean", weights: list[float] | None = None
) -> dict[str, Any]:
    combination: dict[str, Any] = {"technique": comb}
    if weights is not None:
        combination["parameters"] = {"weights": weights}
    return {"normalization": {"technique": norm}, "combination": combination}


def min_max(scores: dict[str, float]) -> dict[str, float]:
    lo, hi = min(scores.values()), max(scores.values())
    out = {}
    for d, s in scores.items():
        if hi == lo:
            out[d] = 1.0
        else:
            x = (s - lo) / (hi - lo)
            out[d] = 0.001 if x == 0 else x
    return out


def l2(scores: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(s * s for s in scores.values()))
    return {d: (s / norm if norm else 0.0) for d, s in scores.items()}


def z_score(scores: dict[str, float]) -> dict[str, float]:
    values = np.array(list(scores.values()), dtype=np.float64)
    mean = values.mean()
    std = values.std(ddof=1) if values.size > 1 else 0.0
    out = {}
    for d, s in scores.items():
        if np.float32(s) == np.float32(mean):
            out[d] = float(values.max())
        elif std == 0:
            out[d] = float(values.min())
        else:
            z = (s - mean) / std
            out[d] = 0.001 if z <= 0 else z
    return out


def combine(kind: str, scores: list[float], weights: list[float]) -> float:
    if kind == "arithmetic_mean":
        used = [(w, s) for w, s in zip(weights, scores) if s >= 0]
        total = sum(w for w, _ in used)
        return sum(w * s for w, s in used) / total if total else 0.0
    used = [(w, s) for w, s in zip(weights, scores) if s > 0]
    if not used:
        return 0.0
    total = sum(w for w, _ in used)
    if kind == "geometric_mean":
        return math.exp(sum(w * math.log(s) for w, s in used) / total)
    return total / sum(w / s for w, s in used)


NORMALIZE = {"min_max": min_max, "l2": l2, "z_score": z_score}


def expected(
    subs: list[dict[str, float]],
    norm: str = "min_max",
    comb: str = "arithmetic_mean",
    weights: list[float] | None = None,
) -> list[tuple[str, float]]:
    """The processor's list: every document any sub-query returned, by combined score, then doc id. The
    hybrid collector drops scores <= 0 (it cannot tell them from "no match")."""
    subs = [{d: s for d, s in sub.items() if s > 0} for sub in subs]
    ws = weights or [1.0] * len(subs)
    normalized = [NORMALIZE[norm](s) if s else {} for s in subs]
    docs = sorted({d for s in subs for d in s}, key=int)
    combined = {d: combine(comb, [n.get(d, 0.0) for n in normalized], ws) for d in docs}
    return sorted(combined.items(), key=lambda item: (-np.float32(item[1]), int(item[0])))


def hits(resp: dict[str, Any]) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def assert_hits(resp: dict[str, Any], want: list[tuple[str, float]]) -> None:
    got = hits(resp)
    assert [d for d, _ in got] == [d for d, _ in want]
    for (_, g), (_, w) in zip(got, want):
        assert g == pytest.approx(w, rel=2e-6, abs=1e-7)


def error_of(fn: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------------------------- scoring


def test_default_processor_is_min_max_arithmetic_mean(engine: Engine) -> None:
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY]}}}
    resp = hybrid_search(engine, body, {})
    subs = [plain(engine, APPLE, 10), plain(engine, CHERRY, 10)]
    assert_hits(resp, expected(subs))
    # hits.total counts every document any sub-query matched, once
    assert resp["hits"]["total"] == {"value": len(set(subs[0]) | set(subs[1])), "relation": "eq"}
    assert resp["hits"]["max_score"] == hits(resp)[0][1]


@pytest.mark.parametrize(
    ("norm", "comb"),
    [
        ("min_max", "arithmetic_mean"),
        ("min_max", "geometric_mean"),
        ("min_max", "harmonic_mean"),
        ("l2", "arithmetic_mean"),
        ("l2", "geometric_mean"),
        ("l2", "harmonic_mean"),
        ("z_score", "arithmetic_mean"),
    ],
)
def test_every_technique_with_weights(engine: Engine, norm: str, comb: str) -> None:
    weights = [0.2, 0.5, 0.3]
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY, DATE]}}}
    resp = hybrid_search(engine, body, processor(norm, comb, weights))
    subs = [plain(engine, q, 10) for q in (APPLE, CHERRY, DATE)]
    assert_hits(resp, expected(subs, norm, comb, weights))


def test_missing_documents_by_hand(engine: Engine) -> None:
    """Doc 3 ("cherry cherry cherry") is cherry's best and absent from apple: min_max gives it 1.0 there.
    The arithmetic mean still counts apple's weight (0 there); the geometric mean skips the 0."""
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY]}}}
    arithmetic = dict(hits(hybrid_search(engine, body, processor(weights=[0.4, 0.6]))))
    assert arithmetic["3"] == pytest.approx(0.6 * 1.0 / (0.4 + 0.6))
    geometric = dict(hits(hybrid_search(engine, body, processor(comb="geometric_mean", weights=[0.4, 0.6]))))
    assert geometric["3"] == pytest.approx(1.0)
    harmonic = dict(hits(hybrid_search(engine, body, processor(comb="harmonic_mean", weights=[0.4, 0.6]))))
    assert harmonic["3"] == pytest.approx(0.6 / (0.6 / 1.0))


def test_min_max_floor_and_single_score(engine: Engine) -> None:
    # fig matches docs 7, 9, 11: its lowest score normalises to 0, which becomes 0.001
    fig = {"match": {"t": "fig"}}
    resp = hybrid_search(engine, {"query": {"hybrid": {"queries": [fig]}}}, {})
    scores = [s for _, s in hits(resp)]
    assert scores[0] == 1.0
    assert scores[-1] == pytest.approx(0.001)
    # a sub-query with one hit: its single score normalises to 1.0 (elder: docs 4 and 9; k=y keeps 9)
    one_doc = {"bool": {"must": [{"term": {"t": "elder"}}], "filter": [{"term": {"k": "y"}}]}}
    resp = hybrid_search(engine, {"query": {"hybrid": {"queries": [one_doc, fig]}}}, processor(weights=[0.5, 0.5]))
    by_id = dict(hits(resp))
    assert by_id["9"] == pytest.approx((1.0 + min_max(plain(engine, fig, 10))["9"]) / 2)


def test_ties_are_ordered_by_doc_id(engine: Engine) -> None:
    """Docs 0 and 8 have the same text: the same combined score, the lower doc id first."""
    banana = {"match": {"t": "banana"}}
    resp = hybrid_search(engine, {"query": {"hybrid": {"queries": [banana, APPLE]}}}, {})
    got = hits(resp)
    ids = [d for d, _ in got]
    assert ids.index("0") + 1 == ids.index("8")
    assert got[ids.index("0")][1] == got[ids.index("8")][1]


# ---------------------------------------------------------------------------------------- windows and pages


def test_size_sets_each_sub_query_window(engine: Engine) -> None:
    """Without pagination_depth each sub-query collects ``size`` hits, and normalises over those only;
    the combined list (up to 2 x size) is then cut to ``size``."""
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY]}}, "size": 2}
    resp = hybrid_search(engine, body, {})
    subs = [plain(engine, APPLE, 2), plain(engine, CHERRY, 2)]
    assert_hits(resp, expected(subs)[:2])
    everything = set(plain(engine, APPLE, 100)) | set(plain(engine, CHERRY, 100))
    assert resp["hits"]["total"]["value"] == len(everything)


def test_pagination_depth_and_from(engine: Engine) -> None:
    subs = [plain(engine, APPLE, 3), plain(engine, CHERRY, 3)]
    full = expected(subs)
    for start in (0, 2, 4):
        body = {"query": {"hybrid": {"queries": [APPLE, CHERRY], "pagination_depth": 3}}, "from": start, "size": 2}
        assert_hits(hybrid_search(engine, body, {}), full[start : start + 2])
    # from == the list's length is an empty page; beyond it OpenSearch asks for a deeper pagination_depth
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY], "pagination_depth": 3}}, "from": len(full), "size": 2}
    assert hits(hybrid_search(engine, body, {})) == []
    body["from"] = len(full) + 1
    err = error_of(hybrid_search, engine, body, {})
    assert err.status_code == 400
    assert err.body["error"]["type"] == "search_phase_execution_exception"
    assert err.body["error"]["caused_by"]["reason"] == (
        "Reached end of search result, increase pagination_depth value to see more results"
    )


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"from": 1}, "pagination_depth param is missing in the search request"),
        ({"pagination_depth": 0}, "pagination_depth must not be zero"),
        ({"pagination_depth": -1}, "pagination_depth should be greater than 0"),
    ],
)
def test_pagination_errors(engine: Engine, extra: dict[str, Any], reason: str) -> None:
    hybrid: dict[str, Any] = {"queries": [APPLE, CHERRY]}
    body: dict[str, Any] = {"query": {"hybrid": hybrid}}
    if "from" in extra:
        body["from"] = extra["from"]
    else:
        hybrid.update(extra)
    err = error_of(hybrid_search, engine, body, {})
    assert err.status_code == 400
    assert err.body["error"]["type"] == "search_phase_execution_exception"
    assert err.body["error"]["reason"] == "all shards failed"
    assert err.body["error"]["root_cause"] == [{"type": "illegal_argument_exception", "reason": reason}]


def test_min_score_cuts_combined_scores(engine: Engine) -> None:
    full = expected([plain(engine, APPLE, 10), plain(engine, CHERRY, 10)])
    cut = 0.3
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY]}}, "min_score": cut}
    resp = hybrid_search(engine, body, {})
    want = [(d, s) for d, s in full if np.float32(s) >= np.float32(cut)]
    assert 0 < len(want) < len(full)
    assert_hits(resp, want)
    assert resp["hits"]["total"] == {"value": len(want), "relation": "eq"}


def test_filter_reaches_every_sub_query(engine: Engine) -> None:
    only_x = {"term": {"k": "x"}}
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY], "filter": only_x}}}
    subs = [
        plain(engine, {"bool": {"must": [APPLE], "filter": [only_x]}}, 10),
        plain(engine, {"bool": {"must": [CHERRY], "filter": [only_x]}}, 10),
    ]
    resp = hybrid_search(engine, body, processor("l2", "harmonic_mean"))
    assert_hits(resp, expected(subs, "l2", "harmonic_mean"))
    assert all(int(d) % 2 == 0 for d, _ in hits(resp))


def test_filter_joins_a_bool_sub_query(engine: Engine) -> None:
    """``QueryBuilder.filter`` on a ``bool`` adds one more filter clause (``BoolQueryBuilder.filter``), so a
    should-only bool no longer needs a should match: filtered documents without one score 0 there, which
    the hybrid collector leaves out of that sub-query's list (they still count in hits.total)."""
    only_x = {"term": {"k": "x"}}
    should_apple = {"bool": {"should": [APPLE]}}
    body = {"query": {"hybrid": {"queries": [should_apple, CHERRY], "filter": only_x}}}
    first = plain(engine, {"bool": {"should": [APPLE], "filter": [only_x]}}, 10)
    assert 0.0 in first.values()  # e.g. doc 2, "banana cherry date"
    subs = [first, plain(engine, {"bool": {"must": [CHERRY], "filter": [only_x]}}, 10)]
    resp = hybrid_search(engine, body, {})
    assert_hits(resp, expected(subs))
    zero_only = {d for d, sc in first.items() if sc == 0} - set(subs[1])
    assert zero_only and not zero_only & {d for d, _ in hits(resp)}
    assert resp["hits"]["total"]["value"] == len(set(first) | set(subs[1]))


def test_non_hybrid_requests_are_unchanged(engine: Engine) -> None:
    request = parse_search("h", {"query": APPLE})
    assert apply_normalization(request, parse_normalization_processor({})) is request


def test_plan_shows_the_hybrid_operator(engine: Engine) -> None:
    shard = engine.catalog.shard("h")
    request = parse_search("h", {"query": {"hybrid": {"queries": [APPLE, CHERRY], "pagination_depth": 4}}})
    spec = parse_normalization_processor(processor("l2", "geometric_mean", [0.5, 0.5]))
    text = build_plan(apply_normalization(request, spec), shard.searcher()).explain()
    assert "HybridFuse(normalization=l2, combination=geometric_mean, window=4, weights=[0.5, 0.5])" in text
    assert text.count("TopDocs(k=4)") == 2


# ---------------------------------------------------------------------------------------- query errors


def parse_error(body: dict[str, Any]) -> dict[str, Any]:
    err = error_of(parse_search, "h", body)
    assert err.status_code == 400
    return dict(err.body["error"])


@pytest.mark.parametrize(
    ("hybrid", "reason"),
    [
        ({"queries": [APPLE] * 6}, "Number of sub-queries exceeds maximum supported by [hybrid] query"),
        ({"queries": []}, "[_na] query malformed, must start with start_object"),
        ({"pagination_depth": 5}, "[hybrid] requires 'queries' field with at least one clause"),
        ({"queries": [APPLE], "size": 3}, "Field is not supported by [hybrid] query"),
        ({"queries": [APPLE], "boost": 2}, "[hybrid] query does not support [boost]"),
        ({"queries": [APPLE], "filter": [APPLE]}, "[hybrid] query's [filter] field must be a query object"),
    ],
)
def test_hybrid_parse_errors(hybrid: dict[str, Any], reason: str) -> None:
    error = parse_error({"query": {"hybrid": hybrid}})
    assert (error["type"], error["reason"]) == ("parsing_exception", reason)


def test_five_sub_queries_and_boost_one_are_accepted() -> None:
    request = parse_search("h", {"query": {"hybrid": {"queries": [APPLE] * 5, "boost": 1.0}}})
    assert len(request.retriever.query.queries) == 5  # type: ignore[attr-defined]


def test_hybrid_inside_another_query(engine: Engine) -> None:
    body = {"query": {"bool": {"should": [{"hybrid": {"queries": [APPLE]}}]}}}
    shard = engine.catalog.shard("h")
    err = error_of(run_search, shard, parse_search("h", body))
    assert err.status_code == 400
    assert err.body["error"]["type"] == "search_phase_execution_exception"
    assert err.body["error"]["caused_by"]["reason"].startswith(
        "hybrid query must be a top level query and cannot be wrapped into other queries."
    )
    nested = {"query": {"hybrid": {"queries": [APPLE, {"hybrid": {"queries": [CHERRY]}}]}}}
    err = error_of(hybrid_search, engine, nested, {})
    assert err.body["error"]["caused_by"]["reason"] == "hybrid query cannot be nested in another hybrid query"


def test_hybrid_without_a_normalization_processor(engine: Engine) -> None:
    err = error_of(engine.search, index="h", query={"hybrid": {"queries": [APPLE, CHERRY]}})
    assert err.status_code == 400
    assert "without a search pipeline holding a [normalization-processor]" in err.body["error"]["reason"]


def test_features_retrievo_refuses_with_hybrid(engine: Engine) -> None:
    for extra in ({"sort": [{"k": "asc"}]}, {"explain": True}):
        body = {"query": {"hybrid": {"queries": [APPLE]}}, **extra}
        err = error_of(hybrid_search, engine, body, {})
        assert "is not supported in retrievo" in err.body["error"]["reason"]


# ---------------------------------------------------------------------------------------- processor errors


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"normalization": {"technique": "max"}}, "provided normalization technique is not supported"),
        ({"combination": {"technique": "sum"}}, "provided combination technique is not supported"),
        (
            processor("z_score", "geometric_mean"),
            "provided combination technique geometric_mean is not supported for normalization technique z_score. "
            "Supported techniques are: arithmetic_mean",
        ),
        (
            processor(weights=[0.5, 1.5]),
            "all weights must be in range [0.0 ... 1.0], submitted weights: [0.5, 1.5]",
        ),
        (
            processor(weights=[0.3, 0.3]),
            "sum of weights for combination must be equal to 1.0, submitted weights: [0.3, 0.3]",
        ),
        (
            {"combination": {"technique": "arithmetic_mean", "parameters": {"weights": 0.5}}},
            "parameter [weights] must be a collection of numbers",
        ),
        (
            {"combination": {"technique": "arithmetic_mean", "parameters": {"weight": [1.0]}}},
            "provided parameter for combination technique is not supported. supported parameters are [weights]",
        ),
        (
            {"normalization": {"technique": "l2", "parameters": {"x": 1}}},
            "unrecognized parameters in normalization technique",
        ),
        (
            {"normalization": {"technique": "min_max", "parameters": {"lower_bounds": [{"mode": "cut"}]}}},
            "invalid mode: cut, valid values are: apply, clip, ignore",
        ),
        (
            {"normalization": {"technique": "min_max", "parameters": {"lower_bounds": [{"min_score": 10001.0}]}}},
            "min_score must be a valid finite number between -10000.000000 and 10000.000000",
        ),
        (
            {"normalization": {"technique": "min_max", "parameters": {"upper_bounds": {"mode": "clip"}}}},
            "upper_bounds must be a List",
        ),
    ],
)
def test_processor_config_errors(config: dict[str, Any], reason: str) -> None:
    err = error_of(parse_normalization_processor, config)
    assert err.status_code == 400
    assert (err.body["error"]["type"], err.body["error"]["reason"]) == ("illegal_argument_exception", reason)


def test_weights_sum_within_tolerance_and_integer_weights() -> None:
    assert parse_normalization_processor(processor(weights=[0.333, 0.333, 0.333])).scoring.weights == (
        0.333,
        0.333,
        0.333,
    )
    # ScoreCombinationUtil casts each weight to Double: an integer fails there with a 500
    err = error_of(parse_normalization_processor, processor(weights=[1, 0]))
    assert err.status_code == 500
    assert err.body["error"]["type"] == "class_cast_exception"


def test_processor_shape_errors() -> None:
    err = error_of(parse_normalization_processor, {"normalization": "min_max"})
    assert err.body["error"]["type"] == "parse_exception"
    assert err.body["error"]["reason"] == "[normalization] property isn't a map, but of type [java.lang.String]"
    err = error_of(parse_normalization_processor, {"normalization": {"technique": 1}})
    assert err.body["error"]["reason"] == "[technique] property isn't a string, but of type [java.lang.Integer]"
    err = error_of(parse_normalization_processor, {"combinations": {}})
    assert err.body["error"]["reason"] == (
        "processor [normalization-processor] doesn't support one or more provided configuration parameters: "
        "[combinations]"
    )


def test_weight_count_is_checked_at_search_time(engine: Engine) -> None:
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY, DATE]}}}
    err = error_of(hybrid_search, engine, body, processor(weights=[0.5, 0.5]))
    assert err.status_code == 400
    assert err.body["error"]["caused_by"]["reason"] == (
        "number of weights [2] must match number of sub-queries [3] in hybrid query"
    )


# ---------------------------------------------------------------------------------------- min_max bounds


def test_min_max_lower_bound_clip(engine: Engine) -> None:
    """``clip`` with min_score b: scores below b become 0.001, the rest normalise against [b, max]."""
    apple = plain(engine, APPLE, 10)
    ordered = sorted(set(apple.values()))
    bound = (ordered[1] + ordered[2]) / 2  # the two lowest distinct scores fall below it
    config = {
        "normalization": {
            "technique": "min_max",
            "parameters": {"lower_bounds": [{"mode": "clip", "min_score": bound}]},
        }
    }
    resp = hybrid_search(engine, {"query": {"hybrid": {"queries": [APPLE]}}}, config)
    hi = max(apple.values())
    b32 = float(np.float32(bound))
    for d, score in hits(resp):
        raw = apple[d]
        want = 0.001 if raw < b32 else ((raw - b32) / (hi - b32) or 0.001)
        assert score == pytest.approx(want, rel=2e-6, abs=1e-7)
    # a bounds list that does not fit the sub-queries fails when the search runs
    err = error_of(hybrid_search, engine, {"query": {"hybrid": {"queries": [APPLE, CHERRY]}}}, config)
    assert err.body["error"]["caused_by"]["reason"] == (
        "expected bounds array to contain 2 elements matching the number of sub-queries, but found a mismatch"
    )


def test_pagination_depth_above_max_result_window(engine: Engine) -> None:
    request = parse_search("h", {"query": {"hybrid": {"queries": [APPLE], "pagination_depth": 6}}})
    spec = parse_normalization_processor({})
    err = error_of(apply_normalization, request, spec, max_result_window=5)
    assert err.body["error"]["root_cause"][0]["reason"] == (
        "pagination_depth should be less than or equal to index.max_result_window setting"
    )
    assert apply_normalization(request, spec, max_result_window=6).retriever.own_window == 6


def test_scroll_is_refused() -> None:
    request = parse_search("h", {"query": {"hybrid": {"queries": [APPLE]}}})
    err = error_of(apply_normalization, request, parse_normalization_processor({}), scroll=True)
    assert err.body["error"]["root_cause"][0]["reason"] == "Scroll operation is not supported in hybrid query"


def test_the_configuration_is_read_not_changed() -> None:
    config = processor("l2", "harmonic_mean", [0.5, 0.5])
    before = repr(config)
    spec = parse_normalization_processor(config)
    assert repr(config) == before
    assert spec.to_json() == config


# ---------------------------------------------------------------------------------------- through the API

JSON = {"content-type": "application/json", "accept": "application/json"}


def test_search_pipeline_end_to_end(engine: Engine) -> None:
    """``PUT _search/pipeline`` then ``_search?search_pipeline=``: the pipeline's normalization-processor
    scores the hybrid query; without the parameter the same body is refused."""
    pipeline = {
        "description": "hybrid: l2 and harmonic mean",
        "phase_results_processors": [
            {"normalization-processor": processor("l2", "harmonic_mean", [0.25, 0.75])},
        ],
    }
    put = engine.perform_request("PUT", "/_search/pipeline/hybrid-l2", body=pipeline, headers=JSON)
    assert put.body == {"acknowledged": True}
    body = {"query": {"hybrid": {"queries": [APPLE, CHERRY]}}, "size": 4}
    resp = engine.perform_request(
        "POST", "/h/_search", params={"search_pipeline": "hybrid-l2"}, body=body, headers=JSON
    ).body
    subs = [plain(engine, APPLE, 4), plain(engine, CHERRY, 4)]
    assert_hits(resp, expected(subs, "l2", "harmonic_mean", [0.25, 0.75])[:4])
    err = error_of(engine.perform_request, "POST", "/h/_search", body=body, headers=JSON)
    assert "normalization-processor" in err.body["error"]["reason"]
    # a bad processor is refused when the pipeline is put, with the factory's message
    bad = {"phase_results_processors": [{"normalization-processor": processor(weights=[0.9, 0.9])}]}
    err = error_of(engine.perform_request, "PUT", "/_search/pipeline/bad", body=bad, headers=JSON)
    assert err.status_code == 400
    assert err.body["error"]["reason"] == (
        "sum of weights for combination must be equal to 1.0, submitted weights: [0.9, 0.9]"
    )


def test_hybrid_then_rerank_by_field(engine: Engine) -> None:
    """A pipeline with both phases: the normalization-processor picks and scores the page, then the
    ``rerank`` response processor reorders that page by a field, keeping the hybrid score."""
    pipeline = {
        "phase_results_processors": [{"normalization-processor": {}}],
        "response_processors": [
            {"rerank": {"by_field": {"target_field": "p", "keep_previous_score": True}}},
        ],
    }
    engine.perform_request("PUT", "/_search/pipeline/hybrid-rerank", body=pipeline, headers=JSON)
    body = {"query": {"hybrid": {"queries": [APPLE, DATE]}}, "size": 5}
    resp = engine.perform_request(
        "POST", "/h/_search", params={"search_pipeline": "hybrid-rerank"}, body=body, headers=JSON
    ).body
    page = expected([plain(engine, APPLE, 5), plain(engine, DATE, 5)])[:5]
    want = sorted(page, key=lambda item: -price(int(item[0])))
    got = resp["hits"]["hits"]
    assert [h["_id"] for h in got] == [d for d, _ in want]
    for h, (d, hybrid_score) in zip(got, want):
        assert h["_score"] == price(int(d))
        assert h["_source"]["previous_score"] == pytest.approx(hybrid_score, rel=2e-6)


# ---------------------------------------------------------------------------------------- a real server


def test_hybrid_and_cross_encoder_rerank_with_opensearch_py(tmp_path: Any) -> None:
    """What an OpenSearch user writes: a pipeline with the normalization-processor and a ``rerank``
    processor on a deployed ML Commons cross-encoder, searched with opensearch-py against ``retrievo
    serve``. The page is the hybrid list's first ``size`` (computed here from plain searches), reordered
    by the model's raw scores (``CrossEncoder.predict`` on the same tiny model)."""
    opensearchpy = pytest.importorskip("opensearchpy")
    torch = pytest.importorskip("torch")
    from sentence_transformers import CrossEncoder

    from hub_cache import hub_env, place_in_hub_cache
    from server_process import ServerProcess
    from tiny_models import save_tiny_bert

    model_dir = save_tiny_bert(tmp_path / "cross-encoder")
    place_in_hub_cache(tmp_path / "hf-home", "cross-encoder/ms-marco-MiniLM-L-6-v2", model_dir)
    server = ServerProcess("--no-persist", env=hub_env(tmp_path / "hf-home"))
    try:
        client = opensearchpy.OpenSearch(hosts=[{"host": server.host, "port": server.port}], timeout=120)
        client.cluster.put_settings(
            body={
                "persistent": {
                    "plugins": {"ml_commons": {"only_run_on_ml_node": "false", "native_memory_threshold": "100"}}
                }
            }
        )
        answer = client.plugins.ml.register_model(
            body={
                "name": "huggingface/cross-encoders/ms-marco-MiniLM-L-6-v2",
                "version": "1.0.2",
                "model_format": "TORCH_SCRIPT",
            },
            params={"deploy": "true"},
        )
        model_id = client.plugins.ml.get_task(task_id=answer["task_id"])["model_id"]
        client.indices.create(index="h", body={"mappings": {"properties": {"t": {"type": "text"}}}})
        for i, text in enumerate(DOCS):
            client.index(index="h", id=str(i), body={"t": text}, refresh=True)
        client.search_pipeline.put(
            id="hybrid-rerank",
            body={
                "description": "Post processor for hybrid search, then a cross-encoder",
                "phase_results_processors": [
                    {
                        "normalization-processor": {
                            "normalization": {"technique": "min_max"},
                            "combination": {"technique": "arithmetic_mean", "parameters": {"weights": [0.3, 0.7]}},
                        }
                    }
                ],
                "response_processors": [
                    {"rerank": {"ml_opensearch": {"model_id": model_id}, "context": {"document_fields": ["t"]}}}
                ],
            },
        )
        body = {
            "query": {"hybrid": {"queries": [APPLE, CHERRY]}},
            "size": 4,
            "ext": {"rerank": {"query_context": {"query_text": "apple cherry"}}},
        }
        resp = client.search(index="h", body=body, params={"search_pipeline": "hybrid-rerank"})

        def sub(query: dict[str, Any]) -> dict[str, float]:
            found = client.search(index="h", body={"query": query, "size": 4})["hits"]["hits"]
            return {h["_id"]: h["_score"] for h in found}

        page = [d for d, _ in expected([sub(APPLE), sub(CHERRY)], weights=[0.3, 0.7])[:4]]
        model = CrossEncoder(str(model_dir), device="cpu")
        scores = model.predict([("apple cherry", DOCS[int(d)]) for d in page], activation_fn=torch.nn.Identity())
        want = sorted(zip(page, scores.tolist()), key=lambda item: -item[1])
        got = resp["hits"]["hits"]
        assert [h["_id"] for h in got] == [d for d, _ in want]
        for h, (_, score) in zip(got, want):
            assert h["_score"] == pytest.approx(score, abs=1e-5)
    finally:
        server.stop()


def test_named_sub_queries_are_reported(engine: Engine) -> None:
    apple = {"match": {"t": {"query": "apple", "_name": "a"}}}
    cherry = {"match": {"t": {"query": "cherry", "_name": "c"}}}
    resp = hybrid_search(engine, {"query": {"hybrid": {"queries": [apple, cherry]}}}, {})
    for h in resp["hits"]["hits"]:
        text = DOCS[int(h["_id"])].split()
        want = [name for name, word in (("a", "apple"), ("c", "cherry")) if word in text]
        assert sorted(h["matched_queries"]) == want


def test_hybrid_prints_back_as_written() -> None:
    hybrid = {"hybrid": {"queries": [{"match": {"t": {"query": "apple"}}}], "filter": {"term": {"k": {"value": "x"}}}}}
    hybrid["hybrid"]["pagination_depth"] = 7
    request = parse_search("h", {"query": hybrid})
    assert request.to_json() == {"query": hybrid}
