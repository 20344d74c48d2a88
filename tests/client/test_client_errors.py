"""retrievo's errors are the official client's classes, with Elasticsearch's bodies and metadata."""

from __future__ import annotations

import elasticsearch
import pytest

import retrievo
from retrievo import errors
from retrievo.errors import api_error, bad_request, error_reason, error_type, index_not_found, not_found_body


def test_the_classes_are_the_clients():
    assert retrievo.ApiError is elasticsearch.ApiError
    assert retrievo.BadRequestError is elasticsearch.BadRequestError
    assert retrievo.NotFoundError is elasticsearch.NotFoundError
    assert retrievo.ConflictError is elasticsearch.ConflictError
    assert errors.ApiError is elasticsearch.ApiError
    assert errors.AuthenticationException is elasticsearch.AuthenticationException


def test_a_retrievo_error_reads_like_the_clients():
    err = index_not_found("books")
    assert isinstance(err, elasticsearch.NotFoundError)
    assert err.meta.status == err.status_code == 404
    assert err.meta.headers["X-Elastic-Product"] == "Elasticsearch"
    assert err.meta.mimetype == "application/json"
    assert err.message == err.error == "index_not_found_exception"
    assert err.info is err.body
    assert err.body == {
        "error": {
            "root_cause": [
                {
                    "type": "index_not_found_exception",
                    "reason": "no such index [books]",
                    "resource.type": "index_or_alias",
                    "resource.id": "books",
                    "index_uuid": "_na_",
                    "index": "books",
                }
            ],
            "type": "index_not_found_exception",
            "reason": "no such index [books]",
            "resource.type": "index_or_alias",
            "resource.id": "books",
            "index_uuid": "_na_",
            "index": "books",
        },
        "status": 404,
    }
    assert str(err) == "NotFoundError(404, 'index_not_found_exception', 'no such index [books]', books, index_or_alias)"
    assert (error_type(err), error_reason(err)) == ("index_not_found_exception", "no such index [books]")


def test_caused_by_and_the_class_follows_the_status():
    err = bad_request("x_content_parse_exception", "outer", caused_by={"type": "parsing_exception", "reason": "inner"})
    assert type(err) is elasticsearch.BadRequestError
    assert str(err) == "BadRequestError(400, 'x_content_parse_exception', 'outer', inner)"
    assert type(api_error("status_exception", "x", status=409)) is elasticsearch.ConflictError
    assert type(api_error("status_exception", "x", status=404)) is elasticsearch.NotFoundError
    teapot = api_error("status_exception", "x", status=408)
    assert type(teapot) is elasticsearch.ApiError and teapot.meta.status == 408 and teapot.body["status"] == 408
    assert type(api_error("io_exception", "disk")) is elasticsearch.ApiError  # 500 by default


def test_a_missing_document_renders():
    """A missing document's 404 body has no ``error`` key: ``str()`` must not fail on it."""
    body = {"_index": "books", "_id": "9", "found": False}
    err = not_found_body(body)
    assert err.body == body and err.status_code == 404
    assert str(err) == f"NotFoundError(404, {str(body)!r})"
    assert error_type(err) == str(body)  # the client's message for a body without an error object
    assert repr(err).startswith("NotFoundError(")


def test_except_the_clients_class_catches_retrievo(engine):
    with pytest.raises(elasticsearch.NotFoundError) as info:
        engine.search(index="nowhere", query={"match_all": {}})
    assert info.value.body["error"]["type"] == "index_not_found_exception"
    engine.indices.create(index="books")
    with pytest.raises(elasticsearch.NotFoundError) as missing:
        engine.get(index="books", id="9")
    assert missing.value.body == {"_index": "books", "_id": "9", "found": False}
    assert "404" in str(missing.value)
    with pytest.raises(retrievo.BadRequestError) as bad:
        engine.search(index="books", query={"match_all": {"nope": 1}})
    assert isinstance(bad.value, elasticsearch.BadRequestError) and bad.value.meta.status == 400
