"""The ``suggest`` section end to end: response shape and placement, suggest-only searches, errors with
Elasticsearch's types and messages, and the ``completion`` mapping (parameters, value checks,
``max_input_length``, separators)."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


@pytest.fixture
def es() -> Engine:
    e = Engine()
    e.indices.create(
        index="idx",
        mappings={"properties": {"body": {"type": "text"}, "tag": {"type": "keyword"}, "s": {"type": "completion"}}},
    )
    docs = [
        {"body": "Amsterdam meetup", "tag": "amsterdam", "s": {"input": ["Amsterdam", "Amstel"], "weight": 5}},
        {"body": "Amsterdam canals", "tag": "amsterdamm", "s": "Amersfoort"},
        {"body": "Rotterdam harbour", "tag": "rotterdam", "s": {"input": "Rotterdam", "weight": 9}},
    ]
    for i, doc in enumerate(docs, 1):
        e.index(index="idx", id=str(i), document=doc)
    e.indices.refresh(index="idx")
    return e


def _error(es: Engine, **body: Any) -> dict[str, Any]:
    with pytest.raises(BadRequestError) as caught:
        es.search(index="idx", **body)
    return caught.value.body["error"]


def test_suggest_only_search_has_no_hits(es: Engine) -> None:
    resp = es.search(index="idx", suggest={"s": {"text": "amsterdma", "term": {"field": "body"}}})
    assert resp["hits"] == {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}
    assert list(resp)[-1] == "suggest"
    entry = resp["suggest"]["s"][0]
    assert entry == {
        "text": "amsterdma",
        "offset": 0,
        "length": 9,
        "options": [{"text": "amsterdam", "score": 0.8888889, "freq": 2}],
    }


def test_suggest_with_a_query_keeps_the_hits(es: Engine) -> None:
    resp = es.search(
        index="idx",
        query={"match": {"body": "amsterdam"}},
        suggest={"s": {"text": "rotterdma", "term": {"field": "body"}}},
    )
    assert resp["hits"]["total"]["value"] == 2
    assert resp["suggest"]["s"][0]["options"][0]["text"] == "rotterdam"


def test_suggest_with_size_zero_and_aggregations(es: Engine) -> None:
    resp = es.search(
        index="idx",
        size=0,
        aggs={"n": {"value_count": {"field": "tag"}}},
        suggest={"s": {"prefix": "am", "completion": {"field": "s"}}},
    )
    assert resp["hits"]["total"]["value"] == 3 and resp["hits"]["hits"] == []
    assert list(resp)[-2:] == ["aggregations", "suggest"]
    options = resp["suggest"]["s"][0]["options"]
    assert [(o["text"], o["_id"], o["_score"]) for o in options] == [("Amstel", "1", 5.0), ("Amersfoort", "2", 1.0)]


def test_global_text_and_offsets_in_utf16(es: Engine) -> None:
    body = {
        "text": "😀 amsterdma",
        "a": {"term": {"field": "body"}},
        "b": {"term": {"field": "body", "min_word_length": 20}},
    }
    out = es.search(index="idx", suggest=body)["suggest"]
    assert [(e["text"], e["offset"], e["length"]) for e in out["a"]] == [("😀", 0, 2), ("amsterdma", 3, 9)]
    assert [e["options"] for e in out["b"]] == [[], []]


def test_term_suggester_on_a_keyword_field(es: Engine) -> None:
    out = es.search(index="idx", suggest={"s": {"text": "amsterdm", "term": {"field": "tag"}}})["suggest"]
    assert [(o["text"], o["freq"]) for o in out["s"][0]["options"]] == [("amsterdam", 1), ("amsterdamm", 1)]


def test_term_suggester_with_an_analyzer(es: Engine) -> None:
    body = {"s": {"text": "AMSTERDMA", "term": {"field": "body", "analyzer": "whitespace"}}}
    entry = es.search(index="idx", suggest=body)["suggest"]["s"][0]
    assert entry["text"] == "AMSTERDMA" and entry["options"] == []


def test_completion_source_filtering(es: Engine) -> None:
    resp = es.search(index="idx", source=["tag"], suggest={"s": {"prefix": "rot", "completion": {"field": "s"}}})
    assert resp["suggest"]["s"][0]["options"][0]["_source"] == {"tag": "rotterdam"}
    resp = es.search(index="idx", source=False, suggest={"s": {"prefix": "rot", "completion": {"field": "s"}}})
    assert "_source" not in resp["suggest"]["s"][0]["options"][0]


@pytest.mark.parametrize(
    ("suggest", "error_type", "reason"),
    [
        ({"s": {"text": "a"}}, "illegal_argument_exception", "missing suggestion object"),
        ({"s": {"term": {"field": "body"}}}, "illegal_argument_exception", "The required text option is missing"),
        ({"s": {"text": "a", "term": {}}}, "parse_exception", "the required field option [field] is missing"),
        (
            {"s": {"text": "a", "term": {"field": "body", "foo": 1}}},
            "parsing_exception",
            "suggester[term] doesn't support field [foo]",
        ),
        (
            {"s": {"text": "a", "term": {"field": "body", "max_edits": 3}}},
            "illegal_argument_exception",
            "maxEdits must be between 1 and 2",
        ),
        (
            {"s": {"text": "a", "term": {"field": "body", "size": 0}}},
            "illegal_argument_exception",
            "size must be positive",
        ),
        (
            {"s": {"text": "a", "term": {"field": "body", "suggest_mode": "x"}}},
            "illegal_argument_exception",
            "Illegal suggest mode x",
        ),
        (
            {"s": {"text": "a", "term": {"field": "body", "sort": "x"}}},
            "illegal_argument_exception",
            "Illegal suggest sort x",
        ),
        (
            {"s": {"text": "a", "term": {"field": "body", "string_distance": "x"}}},
            "illegal_argument_exception",
            "Illegal distance option x",
        ),
        (
            {"s": {"text": "a", "foo": "b", "term": {"field": "body"}}},
            "parsing_exception",
            "suggestion does not support [foo]",
        ),
        ({"foo": 1}, "illegal_argument_exception", "[suggest] does not support [foo]"),
        (
            {"s": {"text": "a", "completion": {"field": "s", "foo": 1}}},
            "x_content_parse_exception",
            "[completion] unknown field [foo]",
        ),
    ],
)
def test_parse_errors(es: Engine, suggest: dict[str, Any], error_type: str, reason: str) -> None:
    error = _error(es, suggest=suggest)
    assert (error["type"], error["reason"]) == (error_type, reason)


@pytest.mark.parametrize(
    ("suggest", "reason"),
    [
        ({"s": {"text": "a", "term": {"field": "nope"}}}, "no mapping found for field [nope]"),
        ({"s": {"text": "a", "completion": {"field": "body"}}}, "Field [body] is not a completion suggest field"),
        ({"s": {"text": "a", "term": {"field": "body", "analyzer": "nope"}}}, "analyzer [nope] doesn't exists"),
    ],
)
def test_shard_failures(es: Engine, suggest: dict[str, Any], reason: str) -> None:
    error = _error(es, suggest=suggest)
    assert error["type"] == "search_phase_execution_exception"
    assert error["failed_shards"][0]["reason"] == {"type": "illegal_argument_exception", "reason": reason}


def test_refused_features(es: Engine) -> None:
    for suggest in ({"s": {"text": "a", "phrase": {"field": "body", "collate": {"query": {"id": "t"}}}}},):
        error = _error(es, suggest=suggest)
        assert error["type"] == "illegal_argument_exception" and "is not supported in retrievo" in error["reason"]


def test_completion_regex(es: Engine) -> None:
    out = es.search(index="idx", suggest={"s": {"regex": "am[a-s]+", "completion": {"field": "s"}}})["suggest"]
    assert out["s"][0]["text"] == "am[a-s]+"
    assert [o["text"] for o in out["s"][0]["options"]] == ["Amstel", "Amersfoort"]
    # with a text (or a prefix) the regex is not used: the text is the prefix
    body = {"s": {"text": "rot", "regex": "am.*", "completion": {"field": "s"}}}
    assert [o["text"] for o in es.search(index="idx", suggest=body)["suggest"]["s"][0]["options"]] == ["Rotterdam"]


@pytest.mark.parametrize(
    ("suggest", "error_type", "reason"),
    [
        ({"s": {"regex": "am[", "completion": {"field": "s"}}}, "illegal_argument_exception", None),
        (
            {"s": {"prefix": "a\u001fb", "completion": {"field": "s"}}},
            "illegal_argument_exception",
            "Term text cannot contain unit separator character U+001F; this character is reserved",
        ),
        (
            {"s": {"regex": "(a|b)*c", "completion": {"field": "s", "regex": {"max_determinized_states": 1}}}},
            "too_complex_to_determinize_exception",
            "Determinizing automaton would result in more than 1 states.",
        ),
    ],
)
def test_completion_query_failures(es: Engine, suggest: dict[str, Any], error_type: str, reason: str | None) -> None:
    error = _error(es, suggest=suggest)
    assert error["type"] == "search_phase_execution_exception"
    cause = error["failed_shards"][0]["reason"]
    assert cause["type"] == error_type
    assert reason is None or cause["reason"] == reason


def test_completion_mapping_defaults_and_parameters() -> None:
    es = Engine()
    es.indices.create(
        index="m",
        mappings={
            "properties": {
                "a": {"type": "completion"},
                "b": {
                    "type": "completion",
                    "analyzer": "standard",
                    "search_analyzer": "whitespace",
                    "max_input_length": 5,
                },
            }
        },
    )
    props = es.indices.get_mapping(index="m")["m"]["mappings"]["properties"]
    defaults = {"preserve_separators": True, "preserve_position_increments": True}
    assert props["a"] == {"type": "completion", "analyzer": "simple", **defaults, "max_input_length": 50}
    assert props["b"] == {
        "type": "completion",
        "analyzer": "standard",
        "search_analyzer": "whitespace",
        **defaults,
        "max_input_length": 5,
    }
    es.index(index="m", id="1", document={"b": "Nevermind"}, refresh=True)
    options = es.search(index="m", suggest={"s": {"prefix": "nev", "completion": {"field": "b"}}})["suggest"]["s"][0][
        "options"
    ]
    assert [o["text"] for o in options] == ["Never"]  # the input is cut to max_input_length


def test_completion_mapping_errors() -> None:
    es = Engine()
    with pytest.raises(BadRequestError) as caught:
        es.indices.create(index="m", mappings={"properties": {"a": {"type": "completion", "max_input_length": 0}}})
    assert "[max_input_length] must be > 0 but was [0]" in str(caught.value.body["error"])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"input": "x", "weight": 1.5}, "weight must be an integer, but was [1.5]"),
        ({"input": "x", "weight": 2.0}, "weight must be an integer, but was [2.0]"),
        ({"input": "x", "weight": "2x"}, "weight must be an integer, but was [2x]"),
        ({"input": "x", "weight": True}, "weight must be a number or string, but was [VALUE_TRUE]"),
        (
            {"input": "x", "weight": "3000000000"},
            "weight must be in the interval [0..2147483647], but was [3000000000]",
        ),
        ({"input": "x", "weight": -1}, "weight must be in the interval [0..2147483647], but was [-1]"),
        ({"inputs": "x"}, "unknown field name [inputs], must be one of [input, weight, contexts]"),
    ],
)
def test_completion_value_errors(value: Any, reason: str) -> None:
    es = Engine()
    es.indices.create(index="m", mappings={"properties": {"a": {"type": "completion"}}})
    with pytest.raises(BadRequestError) as caught:
        es.index(index="m", id="1", document={"a": value})
    assert caught.value.body["error"]["type"] == "document_parsing_exception"
    assert caught.value.body["error"]["caused_by"]["reason"] == reason


def test_separators() -> None:
    es = Engine()
    es.indices.create(
        index="m",
        mappings={
            "properties": {"a": {"type": "completion"}, "b": {"type": "completion", "preserve_separators": False}}
        },
    )
    es.index(index="m", id="1", document={"a": "New York", "b": "New York"}, refresh=True)

    def texts(field: str, prefix: str) -> list[str]:
        out = es.search(index="m", suggest={"s": {"prefix": prefix, "completion": {"field": field}}})["suggest"]
        return [o["text"] for o in out["s"][0]["options"]]

    assert texts("a", "new y") == ["New York"] and texts("a", "newy") == []
    assert texts("b", "newy") == ["New York"] and texts("b", "new-y") == ["New York"]


def test_completion_follows_updates_deletes_and_restarts(tmp_path: Any) -> None:
    es = Engine(path=str(tmp_path))
    es.indices.create(index="m", mappings={"properties": {"a": {"type": "completion"}}})
    es.index(index="m", id="1", document={"a": "alpha"})
    es.index(index="m", id="2", document={"a": "alps"}, refresh=True)

    def texts(engine: Engine) -> list[str]:
        out = engine.search(index="m", suggest={"s": {"prefix": "al", "completion": {"field": "a"}}})["suggest"]
        return [o["text"] for o in out["s"][0]["options"]]

    assert texts(es) == ["alpha", "alps"]
    es.index(index="m", id="1", document={"a": {"input": "alpine", "weight": 3}})
    es.delete(index="m", id="2", refresh=True)
    assert texts(es) == ["alpine"]
    es.close()
    assert texts(Engine(path=str(tmp_path))) == ["alpine"]


def test_completion_copy_to_target() -> None:
    es = Engine()
    es.indices.create(
        index="m", mappings={"properties": {"t": {"type": "text", "copy_to": "a"}, "a": {"type": "completion"}}}
    )
    es.index(index="m", id="1", document={"t": "Hello world"}, refresh=True)
    out = es.search(index="m", suggest={"s": {"prefix": "hel", "completion": {"field": "a"}}})["suggest"]
    assert [(o["text"], o["_score"]) for o in out["s"][0]["options"]] == [("Hello world", 1.0)]
