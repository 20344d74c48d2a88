"""Ports of Elasticsearch's ``suggest`` YAML REST tests.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/suggest/`` in ``elastic/elasticsearch``:
``10_basic.yml`` (commit ``f36ac43b``), ``20_completion.yml`` (``1fb7113b``; ``_type`` assertions dropped,
Elasticsearch 9 prints no ``_type``), ``40_typed_keys.yml`` (``ec956d4b``) and
``50_completion_with_multi_fields.yml`` (``5b66966b``). Skipped: the ``geo_point`` case of 50 (``geo_point`` is
refused). ``30_context.yml`` and the context cases of 40/50 are ported in ``test_completion_contexts.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


def _suggest(es: Engine, index: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    return es.search(index=index, suggest=body, **params)["suggest"]


# ------------------------------------------------------------------ 10_basic.yml
def test_basic_tests_for_suggest_api() -> None:
    es = Engine()
    es.index(index="test", id="testing_document", document={"body": "Amsterdam meetup"})
    es.indices.refresh(index="test")
    out = _suggest(es, "test", {"test_suggestion": {"text": "The Amsterdma meetpu", "term": {"field": "body"}}})
    assert out["test_suggestion"][1]["options"][0]["text"] == "amsterdam"
    assert out["test_suggestion"][2]["options"][0]["text"] == "meetup"


# ------------------------------------------------------------------ 20_completion.yml
@pytest.fixture
def completion() -> Engine:
    es = Engine()
    props: dict[str, Any] = {f"suggest_{n}": {"type": "completion"} for n in ("1", "2", "3", "4", "5a", "5b", "6")}
    es.indices.create(index="test", mappings={"properties": {**props, "title": {"type": "keyword"}}})
    return es


def _complete(es: Engine, text: str, field: str, **extra: Any) -> list[dict[str, Any]]:
    out = _suggest(es, "test", {"result": {"text": text, "completion": {"field": field, **extra}}})
    assert len(out["result"]) == 1
    return out["result"][0]["options"]


def _index(es: Engine, docs: dict[str, dict[str, Any]]) -> None:
    for _id, doc in docs.items():
        es.index(index="test", id=_id, document=doc)
    es.indices.refresh(index="test")


def test_simple_suggestion_should_work(completion: Engine) -> None:
    _index(completion, {"1": {"suggest_1": "bar"}, "2": {"suggest_1": "baz"}})
    assert len(_complete(completion, "b", "suggest_1")) == 2


def test_simple_suggestion_array_should_work(completion: Engine) -> None:
    _index(completion, {"1": {"suggest_2": ["bar", "foo"]}})
    assert [o["text"] for o in _complete(completion, "f", "suggest_2")] == ["foo"]
    assert [o["text"] for o in _complete(completion, "b", "suggest_2")] == ["bar"]


def test_suggestion_entry_should_work(completion: Engine) -> None:
    _index(
        completion,
        {"1": {"suggest_3": {"input": "bar", "weight": 2}}, "2": {"suggest_3": {"input": "baz", "weight": 3}}},
    )
    assert [o["text"] for o in _complete(completion, "b", "suggest_3")] == ["baz", "bar"]


def test_suggestion_entry_array_should_work(completion: Engine) -> None:
    _index(
        completion,
        {
            "1": {"suggest_4": [{"input": "bar", "weight": 3}, {"input": "fo", "weight": 3}]},
            "2": {"suggest_4": [{"input": "baz", "weight": 2}, {"input": "foo", "weight": 1}]},
        },
    )
    assert [o["text"] for o in _complete(completion, "b", "suggest_4")] == ["bar", "baz"]
    assert [o["text"] for o in _complete(completion, "f", "suggest_4")] == ["fo", "foo"]


def test_multiple_completion_fields_should_work(completion: Engine) -> None:
    _index(completion, {"1": {"suggest_5a": "bar", "suggest_5b": "baz"}})
    assert [o["text"] for o in _complete(completion, "b", "suggest_5a")] == ["bar"]
    assert [o["text"] for o in _complete(completion, "b", "suggest_5b")] == ["baz"]


def test_suggestions_with_source_should_work(completion: Engine) -> None:
    _index(
        completion,
        {
            "1": {"suggest_6": {"input": "bar", "weight": 2}, "title": "title_bar", "count": 4},
            "2": {"suggest_6": {"input": "baz", "weight": 3}, "title": "title_baz", "count": 3},
        },
    )
    options = _complete(completion, "b", "suggest_6")
    assert len(options) == 2
    assert [o["text"] for o in options] == ["baz", "bar"]
    assert [o["_index"] for o in options] == ["test", "test"]
    assert [(o["_source"]["title"], o["_source"]["count"]) for o in options] == [("title_baz", 3), ("title_bar", 4)]


def test_skip_duplicates_should_work(completion: Engine) -> None:
    _index(completion, {"1": {"suggest_1": "bar"}, "2": {"suggest_1": "bar"}})
    assert [o["text"] for o in _complete(completion, "b", "suggest_1", skip_duplicates=True)] == ["bar"]
    assert len(_complete(completion, "b", "suggest_1")) == 2


# ------------------------------------------------------------------ 40_typed_keys.yml
def test_typed_keys_parameter_for_suggesters() -> None:
    es = Engine()
    es.indices.create(
        index="test", mappings={"properties": {"title": {"type": "keyword"}, "suggestions": {"type": "completion"}}}
    )
    es.index(index="test", document={"title": "Elasticsearch in Action", "suggestions": {"input": "ELK in Action"}})
    es.index(
        index="test",
        document={"title": "Elasticsearch - The Definitive Guide", "suggestions": ["Elasticsearch in Action"]},
    )
    es.indices.refresh(index="test")
    body = {
        "text": "Elastic",
        "term_suggester": {"term": {"field": "title"}},
        "completion_suggester": {"prefix": "Elastic", "completion": {"field": "suggestions"}},
        "phrase_suggester": {"phrase": {"field": "title"}},
    }
    out = es.search(index="test", query={"match_all": {}}, suggest=body, typed_keys=True)["suggest"]
    assert out["term#term_suggester"]
    assert out["phrase#phrase_suggester"]
    assert out["completion#completion_suggester"]
    assert out["completion#completion_suggester"][0]["options"][0]["text"] == "Elasticsearch in Action"


@pytest.mark.parametrize(
    "body",
    [
        {"s": {"text": "Elastic", "phrase": {"field": "title", "collate": {"query": {"id": "t"}}}}},
    ],
)
def test_context_and_phrase_suggesters_are_refused(body: dict[str, Any]) -> None:
    es = Engine()
    es.indices.create(index="test", mappings={"properties": {"title": {"type": "keyword"}}})
    with pytest.raises(BadRequestError) as caught:
        es.search(index="test", suggest=body)
    assert "is not supported in retrievo" in caught.value.body["error"]["reason"]


# ------------------------------------------------------------------ 50_completion_with_multi_fields.yml
def test_search_by_suggestion_and_by_keyword_sub_field_should_work() -> None:
    es = Engine()
    mapping = {"suggest_1": {"type": "completion", "fields": {"text_raw": {"type": "keyword"}}}}
    es.indices.create(index="completion_with_sub_keyword", mappings={"properties": mapping})
    es.index(index="completion_with_sub_keyword", id="1", document={"suggest_1": "bar"})
    es.index(index="completion_with_sub_keyword", id="2", document={"suggest_1": "baz"})
    es.indices.refresh(index="completion_with_sub_keyword")
    out = _suggest(es, "completion_with_sub_keyword", {"result": {"text": "b", "completion": {"field": "suggest_1"}}})
    assert len(out["result"]) == 1 and len(out["result"][0]["options"]) == 2
    resp = es.search(index="completion_with_sub_keyword", query={"term": {"suggest_1.text_raw": "bar"}})
    assert resp["hits"]["total"]["value"] == 1


def _sub_completion(index: str, docs: dict[str, Any]) -> Engine:
    es = Engine()
    mapping = {"suggest_1": {"type": "completion", "fields": {"suggest_2": {"type": "completion"}}}}
    es.indices.create(index=index, mappings={"properties": mapping})
    for _id, value in docs.items():
        es.index(index=index, id=_id, document={"suggest_1": value})
    es.indices.refresh(index=index)
    return es


def test_search_by_suggestion_on_sub_field_should_work() -> None:
    es = _sub_completion("completion_with_sub_completion", {"1": "bar", "2": "baz"})
    body = {"result": {"text": "b", "completion": {"field": "suggest_1.suggest_2"}}}
    out = _suggest(es, "completion_with_sub_completion", body)
    assert len(out["result"]) == 1 and len(out["result"][0]["options"]) == 2


def test_search_by_suggestion_on_sub_field_with_weight_should_work() -> None:
    docs = {"1": {"input": "bar", "weight": 2}, "2": {"input": "baz", "weight": 3}}
    es = _sub_completion("completion_with_weight", docs)
    body = {"result": {"text": "b", "completion": {"field": "suggest_1.suggest_2"}}}
    options = _suggest(es, "completion_with_weight", body)["result"][0]["options"]
    assert [o["text"] for o in options] == ["baz", "bar"]
