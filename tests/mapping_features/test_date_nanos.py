"""``date_nanos``: nanosecond dates (epoch nanoseconds in a long, 1970 to 2262).

Ported from Elasticsearch's ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search/
240_date_nanos.yml`` (commit ``855658d51464deaaefbc9657e4058c330c93f704``): sorting (sort values are the
long nanoseconds), ``docvalue_fields`` in three formats, and the ``date_histogram`` case. The YAML runs the
last two over ``date*`` (a ``date`` and a ``date_nanos`` index at once); retrievo refuses ``sort`` and
``aggs`` over several indices, so each index is checked on its own against the same expected values. The
other expectations are computed by hand: 2018-10-29T12:12:12Z is 1540815132 s after the epoch; the
out-of-range messages are ``DateUtils.toLong``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

FIRST = "2018-10-29T12:12:12.123456789Z"
SECOND = "2018-10-29T12:12:12.987654321Z"
FIRST_NS = 1540815132123456789
SECOND_NS = 1540815132987654321


@pytest.fixture
def es() -> Iterator[Engine]:
    engine = Engine()
    engine.indices.create(
        index="date_ns", mappings={"properties": {"date": {"type": "date_nanos"}, "field": {"type": "long"}}}
    )
    engine.indices.create(
        index="date_ms", mappings={"properties": {"date": {"type": "date"}, "field": {"type": "long"}}}
    )
    yield engine


def _bulk(es: Engine, *docs: tuple[str, str, dict[str, Any]]) -> None:
    ops: list[dict[str, Any]] = []
    for index, doc_id, source in docs:
        ops += [{"index": {"_index": index, "_id": doc_id}}, source]
    es.bulk(operations=ops, refresh=True)


def test_sorting_against_date_nanos_only_fields(es: Engine) -> None:
    _bulk(es, ("date_ns", "first", {"date": FIRST, "field": 1}), ("date_ns", "second", {"date": SECOND, "field": 2}))
    hits = es.search(index="date_ns*", sort=[{"date": "desc"}])["hits"]["hits"]
    assert [(h["_id"], h["sort"]) for h in hits] == [("second", [SECOND_NS]), ("first", [FIRST_NS])]
    hits = es.search(index="date_ns*", sort=[{"date": "asc"}])["hits"]["hits"]
    assert [(h["_id"], h["sort"]) for h in hits] == [("first", [FIRST_NS]), ("second", [SECOND_NS])]


@pytest.mark.parametrize(
    ("fmt", "nanos_value", "millis_value"),
    [
        ("strict_date_optional_time", "2018-10-29T12:12:12.123Z", "2018-10-29T12:12:12.987Z"),
        ("epoch_millis", "1540815132123.456789", "1540815132987"),
        ("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSSX", "2018-10-29T12:12:12.123456789Z", "2018-10-29T12:12:12.987000000Z"),
    ],
)
def test_doc_value_fields_across_date_and_date_nanos(es: Engine, fmt: str, nanos_value: str, millis_value: str) -> None:
    _bulk(
        es,
        ("date_ns", "date_ns_1", {"date": FIRST, "field": 1}),
        ("date_ms", "date_ms_1", {"date": "2018-10-29T12:12:12.987Z"}),
    )
    for index, expected in (("date_ns", nanos_value), ("date_ms", millis_value)):
        hit = es.search(index=index, docvalue_fields=[{"field": "date", "format": fmt}], sort=[{"date": "desc"}])[
            "hits"
        ]["hits"][0]
        assert hit["fields"]["date"] == [expected]


def test_date_histogram_with_date_and_date_nanos(es: Engine) -> None:
    _bulk(
        es,
        ("date_ns", "date_ns_1", {"date": FIRST}),
        ("date_ms", "date_ms_1", {"date": "2018-10-29T12:12:12.987Z"}),
        ("date_ns", "date_ns_2", {"date": "2018-10-30T12:12:12.123456789Z"}),
        ("date_ms", "date_ms_2", {"date": "2018-10-30T12:12:12.987Z"}),
    )
    for index in ("date_ns", "date_ms"):
        resp = es.search(
            index=index, size=0, aggs={"date": {"date_histogram": {"field": "date", "calendar_interval": "1d"}}}
        )
        buckets = resp["aggregations"]["date"]["buckets"]
        assert [(b["key"], b["key_as_string"], b["doc_count"]) for b in buckets] == [
            (1540771200000, "2018-10-29T00:00:00.000Z", 1),
            (1540857600000, "2018-10-30T00:00:00.000Z", 1),
        ]


# ------------------------------------------------------------------------------ beyond the YAML


def test_fields_print_nanos_and_mapping_round_trip(es: Engine) -> None:
    es.index(index="date_ns", id="1", document={"date": ["2018-10-29T12:12:12.1Z", 1540815132123]}, refresh=True)
    hit = es.search(index="date_ns", fields=["date"], docvalue_fields=["date"])["hits"]["hits"][0]
    # strict_date_optional_time_nanos prints 3 to 9 fraction digits
    assert hit["fields"]["date"] == ["2018-10-29T12:12:12.100Z", "2018-10-29T12:12:12.123Z"]
    assert es.indices.get_mapping(index="date_ns")["date_ns"]["mappings"]["properties"]["date"] == {
        "type": "date_nanos"
    }


def test_range_and_term_keep_nanoseconds(es: Engine) -> None:
    _bulk(es, ("date_ns", "first", {"date": FIRST}), ("date_ns", "second", {"date": SECOND}))

    def ids(query: dict[str, Any]) -> list[str]:
        return sorted(h["_id"] for h in es.search(index="date_ns", query=query)["hits"]["hits"])

    assert ids({"range": {"date": {"gt": FIRST}}}) == ["second"]
    assert ids({"range": {"date": {"gte": FIRST}}}) == ["first", "second"]
    assert ids({"range": {"date": {"lt": "2018-10-29T12:12:12.123456790Z"}}}) == ["first"]
    assert ids({"range": {"date": {"lte": "2018-10-29T12:12:12.123456788Z"}}}) == []
    assert ids({"term": {"date": FIRST}}) == ["first"]
    # a date without fraction: lte rounds up to .999999999
    assert ids({"range": {"date": {"lte": "2018-10-29T12:12:12"}}}) == ["first", "second"]
    assert ids({"range": {"date": {"gte": "2018-10-29||/d", "lt": "2018-10-29||+1d/d"}}}) == ["first", "second"]
    assert ids({"terms": {"date": [SECOND]}}) == ["second"]


def test_search_after_on_nanos(es: Engine) -> None:
    _bulk(es, ("date_ns", "first", {"date": FIRST}), ("date_ns", "second", {"date": SECOND}))
    hits = es.search(index="date_ns", sort=[{"date": "asc"}], search_after=[FIRST_NS])["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["second"]


def test_min_max_aggregate_in_millis(es: Engine) -> None:
    _bulk(es, ("date_ns", "first", {"date": FIRST}), ("date_ns", "second", {"date": SECOND}))
    aggs = es.search(
        index="date_ns", size=0, aggs={"lo": {"min": {"field": "date"}}, "hi": {"max": {"field": "date"}}}
    )["aggregations"]
    assert aggs["lo"] == {"value": 1540815132123.0, "value_as_string": "2018-10-29T12:12:12.123Z"}
    assert aggs["hi"] == {"value": 1540815132987.0, "value_as_string": "2018-10-29T12:12:12.987Z"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            "1969-12-31T23:59:59Z",
            "date[1969-12-31T23:59:59Z] is before the epoch in 1970 and cannot be stored in nanosecond resolution",
        ),
        (
            "2262-04-11T23:47:16.854775808Z",
            "date[2262-04-11T23:47:16.854775808Z] is after 2262-04-11T23:47:16.854775807 and cannot be stored in "
            "nanosecond resolution",
        ),
    ],
)
def test_out_of_range_values(es: Engine, value: str, reason: str) -> None:
    with pytest.raises(ApiError) as failure:
        es.index(index="date_ns", id="1", document={"date": value})
    error = failure.value.body["error"]
    assert error["type"] == "document_parsing_exception"
    assert "failed to parse field [date] of type [date_nanos]" in error["reason"]
    assert error["caused_by"] == {"type": "illegal_argument_exception", "reason": reason}
    # ignore_malformed covers it
    es.indices.create(
        index="lenient", mappings={"properties": {"date": {"type": "date_nanos", "ignore_malformed": True}}}
    )
    es.index(index="lenient", id="1", document={"date": value}, refresh=True)
    assert es.search(index="lenient")["hits"]["hits"][0]["_ignored"] == ["date"]


def test_last_representable_instant(es: Engine) -> None:
    es.index(index="date_ns", id="1", document={"date": "2262-04-11T23:47:16.854775807Z"}, refresh=True)
    hit = es.search(index="date_ns", sort=["date"], fields=["date"])["hits"]["hits"][0]
    assert hit["sort"] == [2**63 - 1]
    assert hit["fields"]["date"] == ["2262-04-11T23:47:16.854775807Z"]


def test_stored_and_copied(es: Engine) -> None:
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "ts": {"type": "date_nanos", "store": True, "copy_to": "raw"},
                "raw": {"type": "keyword"},
            }
        },
    )
    es.index(index="t", id="1", document={"ts": FIRST}, refresh=True)
    hit = es.search(index="t", stored_fields=["ts"], query={"term": {"raw": FIRST}})["hits"]["hits"][0]
    assert hit["fields"] == {"ts": [FIRST]}


def test_sort_tells_single_nanoseconds_apart(es: Engine) -> None:
    """Values 1 ns apart (a float64 sort key could not tell them apart near 2018) sort and page exactly."""
    values = [FIRST_NS + 2, FIRST_NS, FIRST_NS + 1]
    for i, value in enumerate(values):
        es.index(
            index="date_ns", id=str(i), document={"date": str(value // 1_000_000) + "." + f"{value % 1_000_000:06d}"}
        )
    es.indices.refresh(index="date_ns")
    hits = es.search(index="date_ns", sort=[{"date": "asc"}])["hits"]["hits"]
    assert [(h["_id"], h["sort"]) for h in hits] == [("1", [FIRST_NS]), ("2", [FIRST_NS + 1]), ("0", [FIRST_NS + 2])]
    hits = es.search(index="date_ns", sort=[{"date": "desc"}], search_after=[FIRST_NS + 1])["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["1"]
    hits = es.search(index="date_ns", sort=[{"date": "asc"}], search_after=[FIRST])["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["2", "0"]


def test_esql_reads_date_nanos(es: Engine) -> None:
    es.index(index="date_ns", id="1", document={"date": FIRST, "field": 1}, refresh=True)
    es.index(index="date_ns", id="2", document={"date": "2018-10-29T12:12:13Z", "field": 2}, refresh=True)
    resp = es.esql.query(query="FROM date_ns | KEEP date, field | SORT field")
    assert resp["columns"][0] == {"name": "date", "type": "date_nanos"}
    assert resp["values"] == [[FIRST, 1], ["2018-10-29T12:12:13.000Z", 2]]


def test_date_and_date_nanos_indices_searched_together(es: Engine) -> None:
    """Across a ``date`` and a ``date_nanos`` index (no sort or aggs, which retrievo refuses over several
    indices): each index reads the bound in its own resolution and prints its own values."""
    _bulk(es, ("date_ns", "date_ns_1", {"date": FIRST}), ("date_ms", "date_ms_1", {"date": "2018-10-29T12:12:12.987Z"}))
    resp = es.search(
        index="date*",
        query={"range": {"date": {"gt": "2018-10-29T12:12:12.123Z"}}},
        docvalue_fields=[{"field": "date", "format": "strict_date_optional_time_nanos"}],
    )
    fields = {h["_id"]: h["fields"]["date"] for h in resp["hits"]["hits"]}
    assert fields == {"date_ns_1": ["2018-10-29T12:12:12.123456789Z"], "date_ms_1": ["2018-10-29T12:12:12.987Z"]}
    resp = es.search(index="date*", query={"range": {"date": {"gt": "2018-10-29T12:12:12.123456789Z"}}})
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["date_ms_1"]


def test_date_range_aggregation_and_get_stored(es: Engine) -> None:
    """``date_range`` buckets on nanos values compare in milliseconds (aggregations read millis); a stored
    ``date_nanos`` comes back from ``GET`` with every digit."""
    es.indices.create(index="s", mappings={"properties": {"date": {"type": "date_nanos", "store": True}}})
    _bulk(es, ("s", "first", {"date": FIRST}), ("s", "second", {"date": SECOND}))
    resp = es.search(
        index="s",
        size=0,
        aggs={
            "r": {
                "date_range": {
                    "field": "date",
                    "ranges": [{"to": "2018-10-29T12:12:12.500Z"}, {"from": "2018-10-29T12:12:12.500Z"}],
                }
            }
        },
    )
    buckets = resp["aggregations"]["r"]["buckets"]
    assert [(b["to" if "to" in b else "from"], b["doc_count"]) for b in buckets] == [
        (1540815132500.0, 1),
        (1540815132500.0, 1),
    ]
    assert es.get(index="s", id="second", stored_fields="date")["fields"] == {"date": [SECOND]}
