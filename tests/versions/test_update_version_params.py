"""The update API's ``version``/``version_type``: Elasticsearch 9's ``RestUpdateAction`` rejects either
parameter, whatever its value, with one validation error (``RestUpdateActionTests.testUpdateDocVersion``)
before the body is read; the document is left as it was."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine

REASON = (
    "Validation Failed: 1: internal versioning can not be used for optimistic concurrency control. "
    "Please use `if_seq_no` and `if_primary_term` instead;"
)


@pytest.fixture()
def es() -> Engine:
    engine = Engine()
    engine.index(index="v", id="a", document={"k": "x"}, refresh=True)
    return engine


@pytest.mark.parametrize(
    "params",
    [
        {"version": "1"},
        {"version": "5", "version_type": "external"},
        {"version_type": "internal"},
        {"version_type": "external_gte"},
        {"version_type": "force"},  # not even parsed: the parameter's presence is enough
    ],
)
def test_update_rejects_version_parameters(es: Engine, params: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as err:
        es.perform_request(
            "POST",
            "/v/_update/a",
            params=params,
            headers={"content-type": "application/json", "accept": "application/json"},
            body={"doc": {"k": "y"}},
        )
    assert err.value.status_code == 400
    assert err.value.body["error"]["type"] == "action_request_validation_exception"
    assert err.value.body["error"]["reason"] == REASON
    assert es.get(index="v", id="a")["_source"] == {"k": "x"}
    assert es.get(index="v", id="a")["_version"] == 1


def test_version_checked_before_the_body(es: Engine) -> None:
    """The check runs in ``prepareRequest`` before the body is parsed: a bad body is not reached."""
    with pytest.raises(ApiError) as err:
        es.perform_request(
            "POST",
            "/v/_update/a",
            params={"version": "2"},
            headers={"content-type": "application/json", "accept": "application/json"},
            body={"nope": 1},
        )
    assert err.value.body["error"]["reason"] == REASON


def test_update_without_version_still_works(es: Engine) -> None:
    r = es.update(index="v", id="a", doc={"k": "y"})
    assert (r["result"], r["_version"]) == ("updated", 2)
