"""``engine.indices.analyze``: Elasticsearch's ``_analyze`` tokens and errors (what notebook 01 shows)."""

from __future__ import annotations

import pytest

from retrievo import Engine
from retrievo.errors import ApiError


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="x",
        mappings={
            "properties": {
                "t": {"type": "text", "analyzer": "english"},
                "k": {"type": "keyword"},
                "n": {"type": "integer"},
            }
        },
    )
    return engine


def test_english_analyzer_tokens_with_positions_offsets_and_types(es: Engine) -> None:
    tokens = es.indices.analyze(analyzer="english", text="Parsing the dates 😀")["tokens"]
    assert tokens == [
        {"token": "pars", "start_offset": 0, "end_offset": 7, "type": "<ALPHANUM>", "position": 0},
        {"token": "date", "start_offset": 12, "end_offset": 17, "type": "<ALPHANUM>", "position": 2},
        {"token": "😀", "start_offset": 18, "end_offset": 20, "type": "<EMOJI>", "position": 3},  # UTF-16 units
    ]


def test_field_uses_the_mapping_and_body_form_is_accepted(es: Engine) -> None:
    assert [t["token"] for t in es.indices.analyze(index="x", field="t", text="Running dogs")["tokens"]] == [
        "run",
        "dog",
    ]
    body = {"field": "k", "text": "Running dogs"}
    assert [t["token"] for t in es.indices.analyze(index="x", body=body)["tokens"]] == ["Running dogs"]
    # an unmapped field falls back to the index's default analyzer; no analyzer at all: standard
    assert [t["token"] for t in es.indices.analyze(index="x", field="zz", text="Running dogs")["tokens"]] == [
        "running",
        "dogs",
    ]
    assert [t["token"] for t in es.indices.analyze(text=["The Dogs"])["tokens"]] == ["the", "dogs"]


@pytest.mark.parametrize(
    "kwargs, status, kind, reason",
    [
        (
            {"index": "x", "field": "n", "text": "1"},
            400,
            "illegal_argument_exception",
            "Can't process field [n], Analysis requests are only supported on tokenized fields",
        ),
        (
            {"field": "t", "text": "a"},
            400,
            "illegal_argument_exception",
            "analysis based on a specific field requires an index",
        ),
        ({"analyzer": "nope", "text": "a"}, 400, "illegal_argument_exception", "failed to find global analyzer [nope]"),
        (
            {"index": "x", "analyzer": "nope", "text": "a"},
            400,
            "illegal_argument_exception",
            "failed to find analyzer [nope]",
        ),
        (
            {"analyzer": "standard"},
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: text is missing;",
        ),
        (
            {"normalizer": "lowercase", "text": "a"},
            400,
            "illegal_argument_exception",
            "[_analyze] with [normalizer] is not supported in retrievo",
        ),
        (
            {"text": ["a", "b"]},
            400,
            "illegal_argument_exception",
            "[_analyze] of more than one [text] value is not supported in retrievo",
        ),
        ({"index": "nope", "text": "a"}, 404, "index_not_found_exception", "no such index [nope]"),
    ],
)
def test_errors_have_elasticsearch_bodies(es: Engine, kwargs: dict, status: int, kind: str, reason: str) -> None:
    with pytest.raises(ApiError) as err:
        es.indices.analyze(**kwargs)
    assert err.value.status_code == status
    assert err.value.body["error"]["type"] == kind
    assert err.value.body["error"]["reason"] == reason
