"""Elasticsearch's write limits, each with its own error: ``_id`` length and emptiness, immense keyword terms."""

from __future__ import annotations

from typing import Any

import elasticsearch
import pytest

import retrievo


@pytest.fixture
def es() -> Any:
    engine = retrievo.Engine()
    engine.indices.create(index="ing", mappings={"properties": {"title": {"type": "text"}, "k": {"type": "keyword"}}})
    return engine


def _error(call: Any, **kwargs: Any) -> elasticsearch.ApiError:
    with pytest.raises(elasticsearch.ApiError) as caught:
        call(**kwargs)
    return caught.value


def _count(es: Any) -> int:
    es.indices.refresh(index="ing")
    return int(es.count(index="ing")["count"])


def test_an_id_over_512_bytes_fails_validation(es: Any) -> None:
    es.index(index="ing", id="a" * 512, document={"title": "x"})  # 512 bytes is allowed
    long_id = "é" * 257  # 514 bytes of UTF-8, 257 characters
    error = _error(es.index, index="ing", id=long_id, document={"title": "x"})
    assert error.meta.status == 400
    assert error.body["error"]["type"] == "action_request_validation_exception"
    assert error.body["error"]["reason"] == (
        f"Validation Failed: 1: id [{long_id}] is too long, must be no longer than 512 bytes but was: 514;"
    )
    error = _error(es.delete, index="ing", id=long_id)
    assert error.body["error"]["type"] == "action_request_validation_exception"
    error = _error(es.update, index="ing", id=long_id, doc={"title": "y"})
    assert "is too long, must be no longer than 512 bytes but was: 514" in error.body["error"]["reason"]
    assert _count(es) == 1


def test_bulk_validation_rejects_the_whole_request(es: Any) -> None:
    long_id = "b" * 600
    error = _error(
        es.bulk,
        operations=[
            {"index": {"_index": "ing", "_id": "ok"}},
            {"title": "x"},
            {"index": {"_index": "ing", "_id": long_id}},
            {"title": "y"},
            {"delete": {"_index": "ing"}},
        ],
    )
    assert error.meta.status == 400
    assert error.body["error"]["reason"] == (
        f"Validation Failed: 1: id [{long_id}] is too long, must be no longer than 512 bytes but was: 600;"
        "2: id is missing;"
    )
    assert _count(es) == 0  # nothing was written


def test_an_empty_id_fails_only_its_item(es: Any) -> None:
    response = es.bulk(
        operations=[{"index": {"_index": "ing", "_id": ""}}, {"title": "x"}, {"index": {"_index": "ing"}}, {"t": 1}],
        refresh=True,
    )
    first, second = response["items"]
    assert response["errors"] is True
    assert first["index"]["status"] == 400
    assert first["index"]["error"]["type"] == "illegal_argument_exception"
    assert first["index"]["error"]["reason"] == "if _id is specified it must not be empty"
    assert second["index"]["status"] == 201
    assert _count(es) == 1


def test_an_immense_keyword_term_rejects_the_document(es: Any) -> None:
    value = "a" * 32766
    es.index(index="ing", id="fits", document={"k": value})  # exactly the limit is indexed
    error = _error(es.index, index="ing", id="big", document={"k": "é" + value})
    assert error.meta.status == 400
    body = error.body["error"]
    assert body["type"] == "document_parsing_exception"
    assert body["reason"].startswith("[1:") and "failed to parse field [k] of type [keyword]" in body["reason"]
    # "é" is the bytes 0xC3 0xA9, which Java prints signed
    prefix = ", ".join(["-61", "-87", *["97"] * 28])
    assert body["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": 'Document contains at least one immense term in field="k" (whose UTF8 encoding is longer than '
        "the max length 32766), all of which were skipped. Please correct the analyzer to not produce such terms. "
        f"The prefix of the first immense term is: '[{prefix}]...'",
    }
    assert _count(es) == 1
    es.indices.create(index="capped", mappings={"properties": {"k": {"type": "keyword", "ignore_above": 10}}})
    es.index(index="capped", id="1", document={"k": value}, refresh=True)  # ignore_above drops it first
    assert es.search(index="capped", query={"term": {"k": value}})["hits"]["total"]["value"] == 0
    assert es.count(index="capped")["count"] == 1
