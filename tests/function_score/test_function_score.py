"""``function_score`` through the official client, against values computed here from Elasticsearch's
documented formulas (the function_score reference page) with numpy, and the sub-query scores the plain query
gives. Rounding follows the documented types: function values in double, combined with the float sub-query
score in double and rounded once to float.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from elasticsearch import ApiError, BadRequestError

from retrievo import Engine
from tests.function_score.conftest import f32, indexed
from tests.random_score_reference import murmur3_32, salted_seed

F32 = np.float32
INDEX = "fs"
DOCS: dict[str, dict[str, Any]] = {
    "1": {"title": "quick brown fox", "tags": ["a", "b"], "price": 10.5, "n": [1, 5], "d": "2020-01-01"},
    "2": {"title": "quick fox", "tags": ["a"], "price": 2.0, "n": [3], "d": "2020-01-11"},
    "3": {"title": "lazy brown dog", "tags": ["b", "c"], "price": 0.5, "n": [10, 20, 30], "d": "2019-12-25T12:00:00"},
    "4": {"title": "quick quick dog", "tags": ["c"]},
}
BASE = {"match": {"title": "quick brown fox"}}


@pytest.fixture(scope="module")
def es() -> Engine:
    properties = {
        "title": {"type": "text"},
        "tags": {"type": "keyword"},
        "price": {"type": "double"},
        "n": {"type": "integer"},
        "d": {"type": "date"},
    }
    return indexed(INDEX, properties, DOCS)


def scores(es: Engine, query: dict[str, Any], **kw: Any) -> dict[str, float]:
    resp = es.search(index=INDEX, query=query, size=10, **kw)
    return {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}


MODIFIERS = {
    "none": lambda x: x,
    "log": math.log10,
    "log1p": lambda x: math.log10(x + 1),
    "log2p": lambda x: math.log10(x + 2),
    "ln": math.log,
    "ln1p": math.log1p,
    "ln2p": lambda x: math.log1p(x + 1),
    "square": lambda x: x * x,
    "sqrt": math.sqrt,
    "reciprocal": lambda x: 1.0 / x,
}


@pytest.mark.parametrize("modifier", sorted(MODIFIERS))
def test_field_value_factor_modifiers(es: Engine, modifier: str) -> None:
    """``score = sub × modifier(value × factor)``; a document without the field takes ``missing``."""
    base = scores(es, BASE)
    query = {
        "function_score": {
            "query": BASE,
            "field_value_factor": {"field": "price", "factor": 3, "modifier": modifier, "missing": 1.7},
        }
    }
    got = scores(es, query)
    assert set(got) == set(base) == {"1", "2", "3", "4"}
    for doc_id, sub in base.items():
        value = DOCS[doc_id].get("price", 1.7)
        expected = f32(float(F32(sub)) * MODIFIERS[modifier](value * 3.0))
        assert got[doc_id] == expected, (doc_id, modifier)


def test_field_value_factor_negative_result_is_refused(es: Engine) -> None:
    query = {"function_score": {"query": BASE, "field_value_factor": {"field": "price", "modifier": "ln"}}}
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query=query)
    reason = str(err.value.body["error"]["root_cause"][0]["reason"])
    assert reason == (
        "field value function must not produce negative scores, but got: [-0.6931471805599453] for field value: "
        "[0.5]; consider using ln1p or ln2p instead of ln to avoid negative scores"
    )


def test_field_value_factor_missing_value_fails_the_shard(es: Engine) -> None:
    query = {"function_score": {"query": BASE, "field_value_factor": {"field": "price"}}}
    with pytest.raises(ApiError) as err:
        es.search(index=INDEX, query=query)
    assert err.value.status_code == 500
    assert err.value.body["error"]["root_cause"][0]["reason"] == "Missing value for field [price]"


def test_field_value_factor_unmapped_field(es: Engine) -> None:
    """An unmapped field reads ``missing`` everywhere; without ``missing`` the query cannot be built."""
    base = scores(es, BASE)
    query = {"function_score": {"query": BASE, "field_value_factor": {"field": "nope", "missing": 4}}}
    assert scores(es, query) == {k: f32(float(F32(v)) * 4.0) for k, v in base.items()}
    with pytest.raises(ApiError) as err:
        es.search(index=INDEX, query={"function_score": {"query": BASE, "field_value_factor": {"field": "nope"}}})
    assert "Unable to find a field mapper for field [nope]. No 'missing' value defined." in str(err.value.body)


def _decay_reference(kind: str, distance: float, scale: float, decay: float) -> float:
    """The documented decay curves (σ² = -scale² / (2 ln decay), λ = ln(decay) / scale, s = scale / (1 - decay))."""
    if kind == "gauss":
        sigma2 = -(scale**2) / (2 * math.log(decay))
        return math.exp(-(distance**2) / (2 * sigma2))
    if kind == "exp":
        return math.exp(math.log(decay) / scale * distance)
    s = scale / (1 - decay)
    return max((s - distance) / s, 0.0)


@pytest.mark.parametrize("kind", ["gauss", "exp", "linear"])
def test_numeric_decay(es: Engine, kind: str) -> None:
    """``max(0, |value - origin| - offset)`` fed to the curve; a document without a value scores 1."""
    origin, scale, offset, decay = 3.0, 2.0, 0.5, 0.3
    query = {
        "function_score": {
            kind: {"price": {"origin": origin, "scale": scale, "offset": offset, "decay": decay}},
            "boost_mode": "replace",
        }
    }
    got = scores(es, query)
    for doc_id, doc in DOCS.items():
        distance = max(0.0, abs(doc["price"] - origin) - offset) if "price" in doc else 0.0
        assert got[doc_id] == pytest.approx(_decay_reference(kind, distance, scale, decay), rel=1e-6, abs=1e-7)
    assert got["4"] == 1.0


@pytest.mark.parametrize("mode", ["min", "max", "avg", "sum"])
def test_multi_value_mode(es: Engine, mode: str) -> None:
    folds: dict[str, Callable[[list[float]], float]] = {
        "min": min,
        "max": max,
        "sum": sum,
        "avg": lambda xs: sum(xs) / len(xs),
    }
    fold = folds[mode]
    query = {
        "function_score": {
            "linear": {"n": {"origin": 0, "scale": 100, "decay": 0.5}, "multi_value_mode": mode},
            "boost_mode": "replace",
        }
    }
    got = scores(es, query)
    for doc_id, doc in DOCS.items():
        distance = fold([abs(v) for v in doc["n"]]) if "n" in doc else 0.0
        assert got[doc_id] == f32(max(0.0, (200.0 - distance) / 200.0))


def test_date_decay_with_date_math_origin(es: Engine) -> None:
    """Dates decay over milliseconds; ``origin`` is date math, ``scale``/``offset`` time values."""
    query = {
        "function_score": {
            "gauss": {"d": {"origin": "2020-01-11||-10d", "scale": "10d", "offset": "1d", "decay": 0.5}},
            "boost_mode": "replace",
        }
    }
    got = scores(es, query)
    day = 86_400_000.0
    days = {"1": 0.0, "2": 10.0, "3": 6.5, "4": None}
    for doc_id, delta in days.items():
        distance = 0.0 if delta is None else max(0.0, delta * day - day)
        assert got[doc_id] == pytest.approx(_decay_reference("gauss", distance, 10 * day, 0.5), rel=1e-6)


FUNCTIONS = [
    {"filter": {"term": {"tags": "a"}}, "weight": 2},
    {"filter": {"term": {"tags": "b"}}, "field_value_factor": {"field": "price"}, "weight": 3},
    {"weight": 0.5},
]


def _function_values(doc: dict[str, Any]) -> list[tuple[float, float]]:
    """(value, weight) of each function whose filter the document matches, in order."""
    out = []
    if "a" in doc["tags"]:
        out.append((2.0, 2.0))
    if "b" in doc["tags"]:
        out.append((doc["price"] * 3.0, 3.0))
    out.append((0.5, 0.5))
    return out


SCORE_MODES: dict[str, Callable[[list[tuple[float, float]]], float]] = {
    "multiply": lambda vs: math.prod(v for v, _ in vs),
    "sum": lambda vs: sum(v for v, _ in vs),
    "avg": lambda vs: sum(v for v, _ in vs) / sum(w for _, w in vs),
    "first": lambda vs: vs[0][0],
    "max": lambda vs: max(v for v, _ in vs),
    "min": lambda vs: min(v for v, _ in vs),
}
BOOST_MODES: dict[str, Callable[[float, float], float]] = {
    "multiply": lambda q, f: q * f,
    "replace": lambda q, f: f,
    "sum": lambda q, f: q + f,
    "avg": lambda q, f: (q + f) / 2,
    "max": max,
    "min": min,
}


@pytest.mark.parametrize("score_mode", sorted(SCORE_MODES))
@pytest.mark.parametrize("boost_mode", sorted(BOOST_MODES))
def test_score_and_boost_modes(es: Engine, score_mode: str, boost_mode: str) -> None:
    base = scores(es, BASE)
    query = {
        "function_score": {
            "query": BASE,
            "functions": FUNCTIONS,
            "score_mode": score_mode,
            "boost_mode": boost_mode,
            "max_boost": 20,
        }
    }
    got = scores(es, query)
    for doc_id, sub in base.items():
        factor = min(SCORE_MODES[score_mode](_function_values(DOCS[doc_id])), 20.0)
        assert got[doc_id] == f32(BOOST_MODES[boost_mode](float(F32(sub)), factor)), (doc_id, score_mode, boost_mode)


def test_no_function_matches_gives_factor_one(es: Engine) -> None:
    base = scores(es, BASE)
    query = {"function_score": {"query": BASE, "functions": [{"filter": {"term": {"tags": "zzz"}}, "weight": 9}]}}
    assert scores(es, query) == base


def test_boost_goes_to_the_sub_query(es: Engine) -> None:
    """The query's ``boost`` scales the sub-query's score (``createWeight(boost)``): it is lost with
    ``boost_mode: replace``."""
    boosted = scores(es, {"match": {"title": {"query": "quick brown fox", "boost": 2.5}}})
    query = {"function_score": {"query": BASE, "weight": 3, "boost": 2.5}}
    assert scores(es, query) == {k: f32(float(F32(v)) * 3.0) for k, v in boosted.items()}
    replace = {"function_score": {"query": BASE, "weight": 3, "boost": 2.5, "boost_mode": "replace"}}
    assert set(scores(es, replace).values()) == {3.0}


def test_min_score_and_max_boost(es: Engine) -> None:
    base = scores(es, BASE)
    query = {
        "function_score": {
            "query": BASE,
            "field_value_factor": {"field": "price", "missing": 1},
            "max_boost": 5,
            "min_score": 1.0,
        }
    }
    got = scores(es, query)
    expected = {k: f32(float(F32(v)) * min(DOCS[k].get("price", 1.0), 5.0)) for k, v in base.items()}
    assert got == {k: v for k, v in expected.items() if v >= 1.0}
    assert len(got) < len(expected)


def test_weight_alone_and_empty_functions(es: Engine) -> None:
    base = scores(es, BASE)
    assert scores(es, {"function_score": {"query": BASE}}) == base
    assert scores(es, {"function_score": {"weight": 4}}) == dict.fromkeys(DOCS, 4.0)


def test_murmur3_reference_vectors() -> None:
    assert murmur3_32(b"", 1) == 0x514E28B7
    assert murmur3_32(b"Hello, world!", 1234) == 0xFAF6CDB3
    assert murmur3_32(b"The quick brown fox jumps over the lazy dog", 0x9747B28C) == 0x2FA826CD


def test_random_score_with_seed_and_field(es: Engine) -> None:
    """``RandomScoreFunction``: murmur3 of the first value's bytes, seeded with ``mix32(seed ^ salt)`` where
    the salt is the index name's ``hashCode << 10`` (shard 0); the low 24 bits over 2^24."""
    seed = 12345
    salted = salted_seed(seed, INDEX)
    got = scores(es, {"function_score": {"random_score": {"seed": seed, "field": "tags"}, "boost_mode": "replace"}})
    for doc_id, doc in DOCS.items():
        first = min(doc["tags"]).encode()
        assert got[doc_id] == f32((murmur3_32(first, salted) & 0xFFFFFF) / float(1 << 24))
    again = scores(es, {"function_score": {"random_score": {"seed": seed, "field": "tags"}, "boost_mode": "replace"}})
    assert again == got
    numeric = scores(es, {"function_score": {"random_score": {"seed": seed, "field": "n"}, "boost_mode": "replace"}})
    for doc_id, doc in DOCS.items():
        if "n" in doc:
            assert numeric[doc_id] == f32((murmur3_32(str(min(doc["n"])).encode(), salted) & 0xFFFFFF) / float(1 << 24))
        else:  # no value: the salted seed itself is the hash
            assert numeric[doc_id] == f32((salted & 0xFFFFFF) / float(1 << 24))
    doubles = scores(
        es, {"function_score": {"random_score": {"seed": seed, "field": "price"}, "boost_mode": "replace"}}
    )
    for doc_id, doc in DOCS.items():  # a double hashes its Double.toString ("10.5", "2.0", "0.5")
        hashed = murmur3_32(repr(doc["price"]).encode(), salted) if "price" in doc else salted
        assert doubles[doc_id] == f32((hashed & 0xFFFFFF) / float(1 << 24))


def test_random_score_refusals(es: Engine) -> None:
    # a seed without a field (or on _seq_no) is exact now: tests/loose_ends/test_random_score_seq_no.py
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query={"function_score": {"random_score": {"seed": 1, "field": "_id"}}})
    assert "Fielddata access on the _id field is disallowed" in str(err.value.body)
    unseeded = scores(es, {"function_score": {"random_score": {}, "boost_mode": "replace"}})
    assert set(unseeded) == set(DOCS) and all(0.0 <= v < 1.0 for v in unseeded.values())


def test_explanation_single_function(es: Engine) -> None:
    query = {"function_score": {"query": BASE, "field_value_factor": {"field": "price", "factor": 2, "missing": 1}}}
    hit = es.search(index=INDEX, query=query, explain=True)["hits"]["hits"][0]
    expl = hit["_explanation"]
    assert expl["description"] == "function score, product of:"
    assert expl["value"] == hit["_score"]
    sub, min_of = expl["details"]
    assert sub["value"] == scores(es, BASE)[hit["_id"]]
    assert min_of["description"] == "min of:"
    fn, max_boost = min_of["details"]
    assert fn["description"] == "field value function: none(doc['price'].value?:1.0 * factor=2.0)"
    assert max_boost == {"value": 3.4028235e38, "description": "maxBoost", "details": []}


def test_explanation_filtered_functions(es: Engine) -> None:
    query = {"function_score": {"query": BASE, "functions": FUNCTIONS, "score_mode": "sum"}}
    hit = next(h for h in es.search(index=INDEX, query=query, explain=True)["hits"]["hits"] if h["_id"] == "1")
    factor = hit["_explanation"]["details"][1]["details"][0]
    assert factor["description"] == "function score, score mode [sum]"
    assert factor["value"] == f32(2.0 + 10.5 * 3 + 0.5)
    first, second, third = factor["details"]
    assert first["description"] == "function score, product of:"
    assert first["details"][0]["description"] == "match filter: tags:a"
    assert first["details"][1]["description"] == "product of:"
    assert first["details"][1]["details"][0]["description"] == "constant score 1.0 - no function provided"
    assert second["details"][1]["details"][1] == {"value": 3.0, "description": "weight", "details": []}
    assert third["description"] == "product of:"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"weight": 2, "functions": [{"weight": 3}]},
            "failed to parse [function_score] query. [you can either define [functions] array or a single function, "
            "not both. already found [weight], now encountering [functions].]",
        ),
        (
            {"query": {"match_all": {}}, "field_value_factor": {"field": "price"}, "gauss": {"price": {}}},
            "failed to parse [function_score] query. already found function [field_value_factor], now encountering "
            "[gauss]. use [functions] array if you want to define several functions.",
        ),
        ({"functions": [{"filter": {"match_all": {}}}]}, "an entry in functions list is missing a function"),
        ({"foo": 1}, "failed to parse [function_score] query. field [foo] is not supported"),
        ({"field_value_factor": {"factor": 2}}, "[field_value_factor] required field 'field' missing"),
    ],
)
def test_parse_errors(es: Engine, body: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query={"function_score": body})
    assert message in str(err.value.body)


def test_scripts_are_refused(es: Engine) -> None:
    for query in (
        {"function_score": {"script_score": {"script": "1"}}},
        {"script_score": {"query": {"match_all": {}}, "script": {"source": "1"}}},
    ):
        with pytest.raises(BadRequestError) as err:
            es.search(index=INDEX, query=query)
        assert "is not supported in retrievo: retrievo runs no scripts" in str(err.value.body)


def test_decay_errors(es: Engine) -> None:
    for params, message in (
        ({"origin": 1}, "both [scale] and [origin] must be set for numeric fields."),
        ({"origin": 1, "scale": 2, "foo": 3}, "parameter [foo] not supported!"),
        ({"origin": 1, "scale": 0}, "scale must be > 0.0."),
        ({"origin": 1, "scale": 1, "decay": 1.5}, "decay must be in the range [0..1]."),
    ):
        with pytest.raises(BadRequestError) as err:
            es.search(index=INDEX, query={"function_score": {"gauss": {"price": params}}})
        assert message in str(err.value.body)
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query={"function_score": {"gauss": {"tags": {"origin": 1, "scale": 1}}}})
    assert "but only numeric types are supported" in str(err.value.body)


def test_decay_explanation(es: Engine) -> None:
    """``Function for field price:`` around the curve's formula over the distance text (Java doubles)."""
    query = {
        "function_score": {
            "query": {"ids": {"values": ["1"]}},
            "exp": {"price": {"origin": 3, "scale": 2, "offset": 0.5, "decay": 0.5}},
        }
    }
    hit = es.search(index=INDEX, query=query, explain=True)["hits"]["hits"][0]
    fn = hit["_explanation"]["details"][1]["details"][0]
    assert fn["description"] == "Function for field price:"
    lam = math.log(0.5) / 2
    assert fn["details"][0]["description"] == (
        f"exp(- MIN[Math.max(Math.abs(10.5(=doc value) - 3.0(=origin))) - 0.5(=offset), 0)] * {-1 * lam!r})"
    )
    assert fn["value"] == f32(math.exp(lam * 7.0))


def test_negative_weight_is_refused(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query={"function_score": {"functions": [{"weight": -1}]}})
    assert "[weight] cannot be negative for a filtering function" in str(err.value.body)


def test_vectorised_murmur3_matches_the_reference() -> None:
    from retrievo.lucene.function_score import murmurhash3_x86_32

    rng = np.random.default_rng(7)
    keys = [bytes(rng.integers(0, 256, size=int(n), dtype=np.uint8)) for n in rng.integers(0, 40, size=300)]
    keys += [b"The quick brown fox jumps over the lazy dog", "héllo wörld".encode()]
    got = murmurhash3_x86_32(keys, 0x9747B28C)
    assert got.tolist() == [murmur3_32(k, 0x9747B28C) for k in keys]


def test_functions_do_not_run_where_no_score_is_needed(es: Engine) -> None:
    """In a filter (and for ``_count``) a ``function_score`` without ``min_score`` is its sub-query: a function
    that would fail on a missing value fails nothing there; scored, it fails the search."""
    failing = {"function_score": {"query": BASE, "field_value_factor": {"field": "price"}}}
    filtered = es.search(index=INDEX, query={"bool": {"filter": [failing]}})
    assert {h["_id"] for h in filtered["hits"]["hits"]} == set(DOCS)
    assert es.count(index=INDEX, query={"constant_score": {"filter": failing}})["count"] == len(DOCS)
    with pytest.raises(ApiError):
        es.search(index=INDEX, query={"bool": {"must": [failing]}})
    with_min = {"function_score": {**failing["function_score"], "min_score": 0}}
    with pytest.raises(ApiError):  # min_score needs the scores, in a filter too
        es.search(index=INDEX, query={"bool": {"filter": [with_min]}})
