"""The search body's ``fields`` option: values read from ``_source`` through each field's mapping.

Every expected value below is written out by hand from the documents indexed here, following
Elasticsearch's ``FieldFetcher``/``valueFetcher`` rules (cited per case), never read back from retrievo.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import BadRequestError, Engine

MAPPINGS: dict[str, Any] = {
    "dynamic": False,  # "extra" stays unmapped
    "properties": {
        "asin": {"type": "keyword"},
        "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 10}}},
        "count": {"type": "long"},
        "price": {"type": "float"},
        "ratio": {"type": "half_float"},
        "added": {"type": "date"},
        "day": {"type": "date", "format": "yyyy/MM/dd"},
        "in_stock": {"type": "boolean"},
        "brand": {"type": "keyword", "null_value": "NONE"},
        "meta": {"properties": {"color": {"type": "keyword"}, "size": {"type": "integer", "ignore_malformed": True}}},
        "notes": {"type": "object", "enabled": False},
    },
}

DOC_1: dict[str, Any] = {
    "asin": "B01",
    "title": "Crocs Classic Clog",
    "count": "5",
    "price": 19.99,
    "ratio": 0.1,
    "added": "2020-01-02T03:04:05Z",
    "day": "2021/03/04",
    "in_stock": "true",
    "brand": None,
    "meta": {"color": ["red", "blue", "red"], "size": "L"},
    "notes": {"x": "y"},
    "extra": "unmapped",
}
DOC_2: dict[str, Any] = {
    "asin": "B02",
    "title": "Crocs Kids",
    "count": [3, 1.9],
    "price": 5,
    "added": 1577934245000,
    "day": "2021/03/05",
    "in_stock": False,
    "brand": "Crocs",
    "meta.color": "green",
    "meta": {"size": 7},
}

ALL = ["asin", "title", "title.raw", "count", "price", "ratio", "added", "day", "in_stock", "brand", "meta.*"]


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="products", mappings=MAPPINGS)
    engine.index(index="products", id="1", document=DOC_1)
    engine.index(index="products", id="2", document=DOC_2, refresh=True)
    return engine


def _by_id(response: Any) -> dict[str, dict[str, Any]]:
    return {hit["_id"]: hit for hit in response["hits"]["hits"]}


def _error(excinfo: pytest.ExceptionInfo[BadRequestError]) -> tuple[int, str, str]:
    body = excinfo.value.body
    return excinfo.value.meta.status, body["error"]["root_cause"][0]["type"], body["error"]["root_cause"][0]["reason"]


def test_values_are_parsed_through_the_mapping(es: Engine) -> None:
    hits = _by_id(es.search(index="products", fields=ALL, source=False))
    assert "_source" not in hits["1"]  # fields work with _source: false, read from the source regardless
    assert hits["1"]["fields"] == {
        "asin": ["B01"],
        "title": ["Crocs Classic Clog"],
        "count": [5],  # a long given as "5" is coerced
        "price": [19.99],  # a Float prints with its shortest digits
        # half_float keeps what it indexes: 0.1 = 1.6 * 2^-4, 1.6 * 1024 = 1638.4 -> 1638 / 1024 * 2^-4
        # = 0.0999755859375, printed as the shortest float32 text
        "ratio": [0.099975586],
        "added": ["2020-01-02T03:04:05.000Z"],  # the mapping's first format prints it
        "day": ["2021/03/04"],
        "in_stock": [True],  # "true" read as a boolean
        "brand": ["NONE"],  # null reads as the field's null_value
        "meta.color": ["red", "blue", "red"],  # source order, duplicates kept
    }
    # values the mapping drops at indexing: left out of fields, listed raw
    assert hits["1"]["ignored_field_values"] == {"title.raw": ["Crocs Classic Clog"], "meta.size": ["L"]}
    assert hits["2"]["fields"] == {
        "asin": ["B02"],
        "title": ["Crocs Kids"],
        "title.raw": ["Crocs Kids"],  # 10 characters: not above ignore_above
        "count": [3, 1],  # 1.9 truncated
        "price": [5.0],
        "added": ["2020-01-02T03:04:05.000Z"],  # epoch millis 1577934245000 = 1577836800000 + 1 day + 11045 s
        "day": ["2021/03/05"],
        "in_stock": [False],
        "brand": ["Crocs"],
        "meta.color": ["green"],  # a dotted key in the source
        "meta.size": [7],
    }
    assert "ignored_field_values" not in hits["2"]


def test_ignored_metadata_on_every_hit(es: Engine) -> None:
    """``_ignored`` is a top-level key of a hit whose document had values dropped (Elasticsearch's
    default metadata fetch); it is read from sorted-set doc values, so in UTF-8 order."""
    hits = _by_id(es.search(index="products"))
    assert hits["1"]["_ignored"] == ["meta.size", "title.raw"]
    assert list(hits["1"])[:5] == ["_index", "_id", "_score", "_ignored", "_source"]
    assert "_ignored" not in hits["2"]
    assert "fields" not in hits["1"]


def test_date_format_from_the_request(es: Engine) -> None:
    hits = _by_id(es.search(index="products", fields=[{"field": "added", "format": "yyyy/MM/dd HH:mm"}]))
    assert hits["1"]["fields"] == {"added": ["2020/01/02 03:04"]}
    hits = _by_id(es.search(index="products", fields=[{"field": "day", "format": "epoch_millis"}]))
    # 2021-03-04: 18690 days after 1970-01-01 -> 18690 * 86400000
    assert hits["1"]["fields"] == {"day": ["1614816000000"]}


def test_wildcards_cover_multi_fields_but_not_metadata(es: Engine) -> None:
    hits = _by_id(es.search(index="products", fields=["ti*", "_*"], source=False))
    assert hits["2"]["fields"] == {"title": ["Crocs Kids"], "title.raw": ["Crocs Kids"]}
    hits = _by_id(es.search(index="products", fields=["meta.*"]))
    assert hits["1"]["fields"] == {"meta.color": ["red", "blue", "red"]}
    assert hits["1"]["ignored_field_values"] == {"meta.size": ["L"]}


def test_objects_are_not_fields(es: Engine) -> None:
    hits = _by_id(es.search(index="products", fields=["meta", "notes", "nope"]))
    assert "fields" not in hits["1"] and "fields" not in hits["2"]


def test_include_unmapped(es: Engine) -> None:
    body = {"fields": [{"field": "extra", "include_unmapped": True}, {"field": "notes.*", "include_unmapped": True}]}
    hits = _by_id(es.search(index="products", body=body))
    assert hits["1"]["fields"] == {"extra": ["unmapped"], "notes.x": ["y"]}
    assert "fields" not in hits["2"]
    hits = _by_id(es.search(index="products", fields=["extra", "notes.*"]))  # unmapped: only when asked
    assert "fields" not in hits["1"]


def test_metadata_fields_by_name(es: Engine) -> None:
    hits = _by_id(es.search(index="products", fields=["_id", "_index", "_ignored", "_routing"]))
    assert hits["1"]["fields"] == {"_id": ["1"], "_index": ["products"], "_ignored": ["meta.size", "title.raw"]}
    assert hits["2"]["fields"] == {"_id": ["2"], "_index": ["products"]}


@pytest.mark.parametrize(
    "fields,reason",
    [
        (
            [{"field": "asin", "format": "yyyy"}],
            "error fetching [asin]: Field [asin] of type [keyword] doesn't support formats.",
        ),
        (
            [{"field": "cou*", "format": "0.0"}],
            "error fetching [count] which matched [cou*]: Field [count] of type [long] doesn't support formats.",
        ),
        (["_seq_no"], "error fetching [_seq_no]: Cannot fetch values for internal field [_seq_no]."),
    ],
)
def test_fetch_errors(es: Engine, fields: list[Any], reason: str) -> None:
    with pytest.raises(BadRequestError) as excinfo:
        es.search(index="products", fields=fields)
    assert _error(excinfo) == (400, "illegal_argument_exception", reason)
    assert excinfo.value.body["error"]["type"] == "search_phase_execution_exception"


@pytest.mark.parametrize(
    "entry,kind,reason",
    [
        ({"format": "x"}, "illegal_argument_exception", "Required [field]"),
        ({"field": "a", "formt": "x"}, "x_content_parse_exception", "[fetch_field_and_format] unknown field [formt]"),
        (
            {"field": 1},
            "x_content_parse_exception",
            "[fetch_field_and_format] field doesn't support values of type: VALUE_NUMBER",
        ),
        (["a"], "x_content_parse_exception", "[fetch_field_and_format] Expected START_OBJECT but was: START_ARRAY"),
    ],
)
def test_bad_field_entries(es: Engine, entry: Any, kind: str, reason: str) -> None:
    with pytest.raises(BadRequestError) as excinfo:
        es.search(index="products", body={"fields": [entry]})
    status, found_kind, found_reason = _error(excinfo)
    assert (status, found_kind) == (400, kind)
    assert found_reason.startswith(reason)


def test_vectors_and_semantic_text() -> None:
    """``dense_vector`` returns its source array (``ArraySourceValueFetcher``: the array is one source
    value, its numbers become the field's values); ``semantic_text`` its original text."""
    es = Engine()
    es.indices.create(
        index="v",
        mappings={"properties": {"vec": {"type": "dense_vector", "dims": 2}, "body": {"type": "semantic_text"}}},
    )
    es.index(index="v", id="1", document={"vec": [1.0, 0.5], "body": "a cat on a mat"}, refresh=True)
    hit = es.search(index="v", fields=["vec", "body"], source=False)["hits"]["hits"][0]
    assert hit["fields"] == {"vec": [1.0, 0.5], "body": ["a cat on a mat"]}
    cases = [
        (
            [{"field": "body", "format": "x"}],
            "error fetching [body]: Unknown format [x] for field [body], only [chunks] is supported.",
        ),
        (
            [{"field": "vec", "format": "x"}],
            "error fetching [vec]: Field [vec] of type [dense_vector] doesn't support formats.",
        ),
        (
            [{"field": "body", "format": "chunks"}],
            "[fields] format [chunks] on [semantic_text] field [body] is not supported in retrievo",
        ),
    ]
    for fields, reason in cases:
        with pytest.raises(BadRequestError) as excinfo:
            es.search(index="v", fields=fields)
        assert _error(excinfo) == (400, "illegal_argument_exception", reason)
    for field, reason in [
        ("vec", "Field [vec] of type [dense_vector] doesn't support docvalue_fields or aggregations"),
        ("body", "[semantic_text] fields do not support sorting, scripting or aggregating"),
    ]:
        with pytest.raises(BadRequestError) as excinfo:
            es.search(index="v", docvalue_fields=[field])
        assert _error(excinfo) == (400, "illegal_argument_exception", reason)


def test_request_prints_back(es: Engine) -> None:
    body = {
        "query": {"match": {"title": "crocs"}},
        "fields": ["asin", {"field": "added", "format": "yyyy"}, {"field": "x*", "include_unmapped": True}],
        "docvalue_fields": ["count"],
        "stored_fields": ["_source"],
        "_source": True,
    }
    printed = es.plan(index="products", body=body).request.to_json()
    assert printed["fields"] == body["fields"]
    assert printed["docvalue_fields"] == ["count"]
    assert printed["stored_fields"] == ["_source"]
