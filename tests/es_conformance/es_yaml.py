"""Assertion helpers that mirror the assertions of Elasticsearch's YAML REST test runner.

The YAML suites (``rest-api-spec`` / ``yamlRestTest``) assert with a handful of verbs; each has a
Python counterpart here so that a ported case reads like its source:

* ``match: {path: value}``          → ``assert at(resp, path) == value``
* ``match: {path: "/regex/"}``      → :func:`assert_regex` (Java ``Pattern.COMMENTS`` + ``find()``)
* ``close_to: {path: {value, error}}`` → :func:`assert_close_to`
* ``length: {path: n}``             → ``assert len(at(resp, path)) == n``
* ``contains: {path: {_id: x}}``    → ``assert x in ids(resp)``
* ``catch: /regex/``                → :func:`assert_catch_regex` (matched against the ``error`` object)
* ``catch: bad_request``            → ``assert err.status_code == 400``

Paths use the YAML dotted syntax (``hits.hits.0._explanation.details.1.value``).

It also holds the run-time feature detection (:func:`missing`, :func:`requires`, :func:`with_fields`)
that ``conftest.py`` and the test modules share.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

#: The phrase of retrievo's rejection of a feature Elasticsearch has and retrievo does not (yet).
NOT_SUPPORTED = "is not supported in retrievo"

#: ES's mock rerank endpoint from ``70_text_similarity_rank_retriever.yml``'s setup (spec §8.4).
RERANK_MODEL_ID = "my-rerank-model"
RERANK_MODEL_CONFIG: dict[str, Any] = {
    "service": "test_reranking_service",
    "service_settings": {"model_id": "my_model", "api_key": "abc64"},
    "task_settings": {},
}


#: The three documents of ``70_text_similarity_rank_retriever.yml`` (without ``inference_text_field``).
RERANK_DOCS: dict[str, dict[str, Any]] = {
    "doc_1": {
        "text": "As seen from Earth, a solar eclipse happens when the Moon is directly between the Earth and the Sun.",
        "topic": ["science"],
        "subtopic": ["technology"],
    },
    "doc_2": {
        "text": "The phases of the Moon come from the position of the Moon relative to the Earth and Sun.",
        "topic": ["science"],
        "subtopic": ["astronomy"],
    },
    "doc_3": {
        "text": "Sun Moon Lake is a lake in Nantou County, Taiwan. It is the largest lake in Taiwan.",
        "topic": ["geography"],
    },
}


#: ``10_standard_retriever.yml``'s documents: (type, name, color, count); ``_id`` = count.
ANIMALS: list[tuple[str, str, str, int]] = [
    ("domestic", "cow", "brown", 1),
    ("domestic", "cow cow", "spotted", 2),
    ("domestic", "cow cow cow", "spotted", 3),
    ("domestic", "pig", "pink", 4),
    ("domestic", "pig pig", "pink", 5),
    ("domestic", "pig pig pig", "spotted", 6),
    ("domestic", "chicken", "white", 7),
    ("domestic", "chicken chicken", "brown", 8),
    ("domestic", "chicken chicken chicken", "spotted", 9),
    ("wild", "coyote", "gray", 10),
    ("wild", "coyote coyote", "gray", 11),
    ("wild", "coyote coyote coyote", "white", 12),
    ("wild", "rabbit", "brown", 13),
    ("wild", "rabbit rabbit", "spotted", 14),
    ("wild", "rabbit rabbit rabbit", "white", 15),
]


def at(obj: Any, path: str) -> Any:
    """Follow a YAML-runner path (``a.b.0.c``): integer segments index lists."""
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def ids(resp: dict[str, Any]) -> list[str]:
    return [h["_id"] for h in resp["hits"]["hits"]]


def scores(resp: dict[str, Any]) -> list[float]:
    return [h["_score"] for h in resp["hits"]["hits"]]


def total(resp: dict[str, Any]) -> int:
    return resp["hits"]["total"]["value"]


def assert_close_to(actual: float, value: float, error: float) -> None:
    """``close_to``: Hamcrest ``closeTo(value, error)``, i.e. ``|actual - value| <= error``."""
    assert actual is not None and abs(actual - value) <= error, f"expected {value} ± {error}, got {actual}"


def assert_regex(pattern: str, actual: Any) -> None:
    """``match`` with a ``/regex/`` value: ``Pattern.compile(re, COMMENTS).matcher(s).find()``."""
    text = str(actual)
    assert re.search(pattern, text, re.VERBOSE), f"{text!r} does not match /{pattern}/"


def java_string(value: Any) -> str:
    """What Java's ``Map.toString()`` prints for a parsed JSON value (``{k=v, k2=[a, b]}``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_catch_regex(err: ApiError, pattern: str) -> None:
    """``catch: /regex/``: status ≥ 400 and the regex is found in the ``error`` object's string form."""
    assert err.status_code >= 400, err.status_code
    assert "error" in err.body, err.body
    text = java_string(err.body["error"])
    assert re.search(pattern, text), f"error {text!r} does not match /{pattern}/"


def doc_value(hit: dict[str, Any], field: str) -> Any:
    """``hits.hits.N.fields.<field>.0``; falls back to ``_source`` while the ``fields`` option is missing.

    For the plain ``text``/``keyword``/``integer`` fields the YAML suites read, the ``fields`` API
    returns the ``_source`` value unchanged, so the fallback checks the same thing.
    """
    if "fields" in hit:
        return hit["fields"][field][0]
    value = hit["_source"][field]
    return value[0] if isinstance(value, list) else value


# --------------------------------------------------------------------------- feature detection
def _probe_engine() -> Engine:
    e = Engine()
    e.indices.create(index="probe", mappings={"properties": {"k": {"type": "keyword"}}})
    e.index(index="probe", id="1", document={"k": "a"}, refresh=True)
    return e


_MATCH_ALL = {"standard": {"query": {"match_all": {}}}}

#: For each feature: a minimal request that uses it and nothing else retrievo may lack.
_SEARCH_PROBES: dict[str, dict[str, Any]] = {
    "rrf": {"retriever": {"rrf": {"retrievers": [_MATCH_ALL, _MATCH_ALL]}}},
    "linear": {"retriever": {"linear": {"retrievers": [{"retriever": _MATCH_ALL}, {"retriever": _MATCH_ALL}]}}},
    "text_similarity_reranker": {
        "retriever": {
            "text_similarity_reranker": {
                "retriever": _MATCH_ALL,
                "field": "k",
                "inference_text": "a",
                "inference_id": "probe-endpoint-that-does-not-exist",
            }
        }
    },
    "fields": {"query": {"match_all": {}}, "fields": ["k"]},
    # the ``knn`` query (not the top-level section or the retriever); named as retrievo's refusal names it
    "[knn] query": {"query": {"knn": {"field": "k", "query_vector": [1.0], "num_candidates": 1}}},
}


def _unsupported(err: ApiError, feature: str) -> bool:
    reason = str(err.body.get("error", {}).get("reason", ""))
    return err.status_code == 400 and NOT_SUPPORTED in reason and feature in reason


@functools.cache
def missing(feature: str) -> str | None:
    """Why ``feature`` cannot be tested yet (retrievo's own words), or ``None`` when it is there."""
    if feature == "test_reranking_service":
        try:
            Engine().inference.put(
                task_type="rerank", inference_id="probe-rerank", inference_config=RERANK_MODEL_CONFIG
            )
        except ApiError as err:
            reason = str(err.body.get("error", {}).get("reason", ""))
            if "Unknown service [test_reranking_service]" in reason or NOT_SUPPORTED in reason:
                return reason
        return None
    probe = _SEARCH_PROBES[feature]
    try:
        _probe_engine().search(index="probe", body=probe)
    except ApiError as err:
        if _unsupported(err, feature):
            return str(err.body["error"]["reason"])
    return None


def requires(*features: str) -> None:
    """Skip the running test while any of ``features`` is answered with retrievo's not-supported 400."""
    for feature in features:
        reason = missing(feature)
        if reason is not None:
            pytest.skip(f"needs {feature}, not implemented in retrievo yet ({reason})")


def with_fields(body: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Add the YAML request's ``fields: [...]`` once retrievo accepts it (see :func:`doc_value`)."""
    return {**body, "fields": names} if missing("fields") is None else body


#: ``rrf/800_rrf_with_text_similarity_reranker_retriever.yml``'s documents, in indexing order.
RRF800_DOCS: list[tuple[str, dict[str, Any]]] = [
    (
        "doc_2",
        {
            "text": "The phases of the Moon come from the position of the Moon relative to the Earth and Sun.",
            "topic": ["science"],
            "subtopic": ["astronomy"],
            "integer": 2,
        },
    ),
    (
        "doc_3",
        {
            "text": "As seen from Earth, a solar eclipse happens when the Moon is directly between the Earth and the Sun.",
            "topic": ["science"],
            "subtopic": ["technology"],
            "integer": 3,
        },
    ),
    (
        "doc_1",
        {
            "text": "Sun Moon Lake is a lake in Nantou County, Taiwan. It is the largest lake in Taiwan.",
            "topic": ["geography"],
            "integer": 1,
        },
    ),
]

#: ``inference/80_random_rerank_retriever.yml``'s texts: doc_1 … doc_5.
PUG_TEXTS: list[str] = [
    "Pugs are proof that even nature has a sense of humor.",
    "A pugs snore can rival a chainsaw, but it's somehow adorable.",
    "Pugs are like potato chips; you can't have just one wrinkle.",
    "Pugs don't walk; pugs waddle majestically.",
    "A pugs life goal: be the ultimate couch potato, and they're crushing it.",
]
