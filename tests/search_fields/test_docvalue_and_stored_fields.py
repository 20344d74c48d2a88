"""``docvalue_fields`` (values as indexed, from doc values) and ``stored_fields`` (``_none_``, names),
in the body and as URL parameters. Expected values are written out by hand from the documents."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import BadRequestError, Engine

MAPPINGS: dict[str, Any] = {
    "properties": {
        "asin": {"type": "keyword"},
        "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 10}}},
        "count": {"type": "long"},
        "price": {"type": "float"},
        "added": {"type": "date"},
        "in_stock": {"type": "boolean"},
        "brand": {"type": "keyword", "null_value": "NONE"},
        "colors": {"type": "keyword"},
        "secret": {"type": "keyword", "doc_values": False},
    }
}
DOC_1 = {
    "asin": "B01",
    "title": "Crocs Classic Clog",
    "count": ["5", 2, 5],
    "price": 19.99,
    "added": "2020-01-02T03:04:05Z",
    "in_stock": "true",
    "brand": None,
    "colors": ["red", "blue", "red", "Zebra"],
}
DOC_2 = {"asin": "B02", "title": "Crocs Kids", "count": 3, "added": 1577934245000, "in_stock": False}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="products", mappings=MAPPINGS)
    engine.index(index="products", id="1", document=DOC_1)
    engine.index(index="products", id="2", document=DOC_2, refresh=True)
    return engine


def _by_id(response: Any) -> dict[str, dict[str, Any]]:
    return {hit["_id"]: hit for hit in response["hits"]["hits"]}


def _root_cause(excinfo: pytest.ExceptionInfo[BadRequestError]) -> tuple[int, str, str]:
    cause = excinfo.value.body["error"]["root_cause"][0]
    return excinfo.value.meta.status, cause["type"], cause["reason"]


def test_docvalue_fields_read_what_was_indexed(es: Engine) -> None:
    fields = ["asin", "title.raw", "count", "price", "added", "in_stock", "brand", "colors"]
    hits = _by_id(es.search(index="products", docvalue_fields=fields))
    assert hits["1"]["fields"] == {
        "asin": ["B01"],
        # title.raw: above ignore_above, never indexed: no doc value
        "count": [2, 5, 5],  # sorted numeric: ascending, duplicates kept, "5" coerced
        "price": [19.989999771118164],  # the float32 nearest 19.99, widened to a double
        "added": ["2020-01-02T03:04:05.000Z"],
        "in_stock": [True],
        "brand": ["NONE"],  # null indexed as null_value
        "colors": ["Zebra", "blue", "red"],  # sorted set: UTF-8 byte order ("Z" < "b"), no duplicates
    }
    assert hits["2"]["fields"] == {
        "asin": ["B02"],
        "title.raw": ["Crocs Kids"],
        "count": [3],
        "added": ["2020-01-02T03:04:05.000Z"],
        "in_stock": [False],
    }
    assert "_source" in hits["1"]  # docvalue_fields leave _source as it is


def test_docvalue_date_formats(es: Engine) -> None:
    body = {"docvalue_fields": [{"field": "added", "format": "epoch_millis"}, {"field": "a*", "format": "yyyy"}]}
    hits = _by_id(es.search(index="products", body={"docvalue_fields": body["docvalue_fields"][:1]}))
    assert hits["2"]["fields"] == {"added": ["1577934245000"]}
    with pytest.raises(BadRequestError) as excinfo:  # "a*" also matches the keyword field asin
        es.search(index="products", body=body)
    assert _root_cause(excinfo) == (
        400,
        "illegal_argument_exception",
        "Field [asin] of type [keyword] does not support custom formats",
    )


@pytest.mark.parametrize(
    "field,reason",
    [
        (
            "title",
            "Fielddata is disabled on [title] in [products]. Text fields are not optimised for operations that "
            "require per-document field data like aggregations and sorting, so these operations are disabled by "
            "default. Please use a keyword field instead. Alternatively, set fielddata=true on [title] in order to "
            "load field data by uninverting the inverted index. Note that this can use significant memory.",
        ),
        (
            "secret",
            "Can't load fielddata on [secret] because fielddata is unsupported on fields of type [keyword]. "
            "Use doc values instead.",
        ),
    ],
)
def test_docvalue_fields_without_doc_values(es: Engine, field: str, reason: str) -> None:
    with pytest.raises(BadRequestError) as excinfo:
        es.search(index="products", docvalue_fields=[field])
    assert _root_cause(excinfo) == (400, "illegal_argument_exception", reason)
    error = excinfo.value.body["error"]
    assert (error["type"], error["phase"], error["failed_shards"][0]["index"]) == (
        "search_phase_execution_exception",
        "query",
        "products",
    )


def test_fields_replace_docvalue_fields_of_the_same_name(es: Engine) -> None:
    hits = _by_id(es.search(index="products", docvalue_fields=["count"], fields=["count"]))
    assert hits["1"]["fields"] == {"count": [5, 2, 5]}  # FetchFieldsPhase runs last: source order


def test_stored_fields_none(es: Engine) -> None:
    hits = es.search(index="products", stored_fields="_none_", sort=["asin"])["hits"]["hits"]
    assert hits == [
        {"_index": "products", "_score": None, "sort": ["B01"]},
        {"_index": "products", "_score": None, "sort": ["B02"]},
    ]
    hits = es.search(index="products", stored_fields="_none_", source=False, docvalue_fields=["asin"], sort=["asin"])
    assert [h["fields"] for h in hits["hits"]["hits"]] == [{"asin": ["B01"]}, {"asin": ["B02"]}]


@pytest.mark.parametrize(
    "body,messages",
    [
        (
            {"stored_fields": "_none_", "_source": True},
            ["[stored_fields] cannot be disabled if [_source] is requested"],
        ),
        (
            {"stored_fields": "_none_", "_source": {"includes": ["asin"]}},
            ["[stored_fields] cannot be disabled if [_source] is requested"],
        ),
        (
            {"stored_fields": "_none_", "fields": ["asin"]},
            ["[stored_fields] cannot be disabled when using the [fields] option"],
        ),
    ],
)
def test_stored_fields_none_conflicts(es: Engine, body: dict[str, Any], messages: list[str]) -> None:
    with pytest.raises(BadRequestError) as excinfo:
        es.search(index="products", body=body)
    numbered = "".join(f"{i}: {m};" for i, m in enumerate(messages, 1))
    assert _root_cause(excinfo) == (400, "action_request_validation_exception", f"Validation Failed: {numbered}")


def test_stored_fields_none_mixed_with_names(es: Engine) -> None:
    with pytest.raises(BadRequestError) as excinfo:
        es.search(index="products", stored_fields=["asin", "_none_"])
    assert _root_cause(excinfo) == (400, "illegal_argument_exception", "cannot combine _none_ with other fields")


def test_named_stored_fields_turn_the_implicit_source_off(es: Engine) -> None:
    """retrievo has no ``store: true`` fields, so names bring nothing back, but as in Elasticsearch's
    ``FetchContext`` they switch the implicit ``_source`` off unless ``_source`` is named or asked for."""
    for names in ([], ["asin"], ["*"]):
        hit = _by_id(es.search(index="products", stored_fields=names))["1"]
        assert hit == {"_index": "products", "_id": "1", "_score": 1.0, "_ignored": ["title.raw"]}
    assert _by_id(es.search(index="products", stored_fields=["_source"], source=False))["2"]["_source"] == DOC_2
    assert _by_id(es.search(index="products", stored_fields=["asin"], source=True))["2"]["_source"] == DOC_2
    hit = _by_id(es.search(index="products", stored_fields=["asin"], source=["asin"]))["2"]
    assert hit["_source"] == {"asin": "B02"}


def test_url_parameters(es: Engine) -> None:
    headers = {"accept": "application/json", "content-type": "application/json"}
    response = es.perform_request(
        "POST",
        "/products/_search",
        params={"stored_fields": "_none_", "docvalue_fields": "asin,count", "sort": "asin"},
        headers=headers,
        body={"docvalue_fields": ["in_stock"]},  # the URL's docvalue_fields are added to the body's
    )
    assert response.body["hits"]["hits"] == [
        {
            "_index": "products",
            "_score": None,
            "fields": {"in_stock": [True], "asin": ["B01"], "count": [2, 5, 5]},
            "sort": ["B01"],
        },
        {
            "_index": "products",
            "_score": None,
            "fields": {"in_stock": [False], "asin": ["B02"], "count": [3]},
            "sort": ["B02"],
        },
    ]
    response = es.perform_request(
        "POST", "/products/_search", params={"stored_fields": ""}, headers=headers, body={"stored_fields": "_none_"}
    )
    assert response.body["hits"]["hits"][0] == {
        "_index": "products",
        "_id": "1",
        "_score": 1.0,
        "_ignored": ["title.raw"],
    }
