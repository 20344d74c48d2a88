"""``sort`` and ``search_after`` over several indices.

Ports ``search/95_sort_mixed_numeric_types.yml`` whole (its cases sort four indices at once); the rest
is worked out by hand from the documents: Elasticsearch merges the shards' hits by their sort values,
then by shard (index name order), then by doc id.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

INT_MAX, LONG_MAX = 2147483647, 9223372036854775807
FOUR = "index_long,index_int,index_short,index_byte"
#: 95_sort_mixed_numeric_types.yml's documents: index → (field1, field2) per doc, ids ``<kind><n>``.
DOCS: dict[str, list[tuple[int, int | None]]] = {
    "index_long": [(10, None), (20, 20), (30, None), (40, 40), (50, None)],
    "index_int": [(11, 11), (21, None), (31, 31), (41, None), (51, 51)],
    "index_short": [(12, None), (22, 22), (32, None), (42, 42), (52, None)],
    "index_byte": [(13, 13), (23, None), (33, 33), (43, None), (53, 53)],
}
TYPES = {"index_long": "long", "index_int": "integer", "index_short": "short", "index_byte": "byte"}


def _sorts(response: Any) -> list[Any]:
    return [hit["sort"][0] for hit in response["hits"]["hits"]]


def _ids(response: Any) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


@pytest.fixture(scope="module")
def mixed() -> Engine:
    es = Engine()
    for index, field_type in TYPES.items():
        props = {"field1": {"type": field_type}, "field2": {"type": field_type}}
        es.indices.create(index=index, mappings={"properties": props})
        for n, (one, two) in enumerate(DOCS[index], start=1):
            doc = {"field1": one} if two is None else {"field1": one, "field2": two}
            es.index(index=index, id=f"{index[6:]}{n}", document=doc)
        es.indices.refresh(index=index)
    return es


# ------------------------------------------------------------- 95_sort_mixed_numeric_types.yml


def test_95_simple_sort(mixed: Engine) -> None:
    asc = [{"field1": {"order": "asc"}}]
    assert _sorts(mixed.search(index=FOUR, sort=asc)) == [10, 11, 12, 13, 20, 21, 22, 23, 30, 31]
    after = mixed.search(index=FOUR, sort=asc, search_after=[31])
    assert _sorts(after) == [32, 33, 40, 41, 42, 43, 50, 51, 52, 53]


def test_95_sort_missing_values_sort_last(mixed: Engine) -> None:
    asc = [{"field2": {"order": "asc"}}]
    assert _sorts(mixed.search(index=FOUR, sort=asc)) == [11, 13, 20, 22, 31, 33, 40, 42, 51, 53]
    rest = mixed.search(index=FOUR, sort=asc, search_after=[53])
    # integer, short and byte sort as Lucene's INT (missing: Integer.MAX_VALUE), long as LONG; the
    # coordinator widens INT to LONG to merge them; ties go by index name, then doc id
    assert _sorts(rest) == [INT_MAX] * 7 + [LONG_MAX] * 3
    assert _ids(rest) == ["byte2", "byte4", "int2", "int4", "short1", "short3", "short5", "long1", "long3", "long5"]


# ------------------------------------------------------------- paging, windows, scores


def test_search_after_pages_as_elasticsearch_does(mixed: Engine) -> None:
    """Pages of 3 on field2 alone: each page takes what sorts strictly after the last value shown,
    so ties across pages are skipped (as in ES, which needs a tie-breaker for that)."""
    shown: list[tuple[str, int]] = []
    for index in sorted(DOCS):
        missing = LONG_MAX if TYPES[index] == "long" else INT_MAX
        for n, (_, two) in enumerate(DOCS[index], start=1):
            shown.append((f"{index[6:]}{n}", missing if two is None else two))
    order = sorted(shown, key=lambda pair: pair[1])  # stable: index name, then doc id
    expected: list[tuple[str, int]] = []
    while True:
        page = [p for p in order if not expected or p[1] > expected[-1][1]][:3]
        if not page:
            break
        expected.extend(page)
    got: list[tuple[str, int]] = []
    after: list[Any] | None = None
    for _ in range(20):  # 20 docs: more pages would mean a page came back twice
        kw: dict[str, Any] = {} if after is None else {"search_after": after}
        r = mixed.search(index=FOUR, sort=[{"field2": "asc"}], size=3, **kw)
        if not r["hits"]["hits"]:
            break
        got.extend((h["_id"], h["sort"][0]) for h in r["hits"]["hits"])
        after = r["hits"]["hits"][-1]["sort"]
    assert got == expected


def test_from_size_totals_and_desc(mixed: Engine) -> None:
    r = mixed.search(index="index_*", sort=[{"field1": "asc"}], from_=5, size=4)
    assert _sorts(r) == [21, 22, 23, 30]
    assert r["hits"]["total"] == {"value": 20, "relation": "eq"} and r["_shards"]["total"] == 4
    assert r["hits"]["max_score"] is None and all(h["_score"] is None for h in r["hits"]["hits"])
    r = mixed.search(index=FOUR, sort=[{"field1": "desc"}], size=3, track_total_hits=7)
    assert _sorts(r) == [53, 52, 51] and r["hits"]["total"] == {"value": 7, "relation": "gte"}


def test_track_scores(mixed: Engine) -> None:
    r = mixed.search(index=FOUR, query={"range": {"field1": {"gte": 50}}}, sort=[{"field1": "asc"}], track_scores=True)
    assert _sorts(r) == [50, 51, 52, 53]
    assert r["hits"]["max_score"] == 1.0 and [h["_score"] for h in r["hits"]["hits"]] == [1.0] * 4


def test_doc_sort_orders_by_doc_id_then_shard(mixed: Engine) -> None:
    r = mixed.search(index=FOUR, sort=["_doc"], size=5)
    assert _ids(r) == ["byte1", "int1", "long1", "short1", "byte2"] and _sorts(r) == [0, 0, 0, 0, 1]


def test_score_then_field(mixed: Engine) -> None:
    query = {"bool": {"should": [{"term": {"field1": 53}}, {"range": {"field1": {"gte": 40}}}]}}
    r = mixed.search(index=FOUR, query=query, sort=["_score", {"field1": "desc"}], size=3)
    assert _ids(r) == ["byte5", "short5", "int5"]
    assert [h["sort"] for h in r["hits"]["hits"]] == [[2.0, 53], [1.0, 52], [1.0, 51]]


# ------------------------------------------------------------- keywords, mixed types, numeric_type


@pytest.fixture(scope="module")
def words() -> Engine:
    es = Engine()
    for index, docs in (
        ("k1", [("a1", "b"), ("a2", "d"), ("a3", None)]),
        ("k2", [("b1", "a"), ("b2", "b"), ("b3", None)]),
    ):
        es.indices.create(index=index, mappings={"properties": {"tag": {"type": "keyword"}}})
        for doc_id, tag in docs:
            es.index(index=index, id=doc_id, document={} if tag is None else {"tag": tag})
        es.indices.refresh(index=index)
    es.indices.create(index="k3", mappings={"properties": {"other": {"type": "keyword"}}})
    es.index(index="k3", id="c1", document={"other": "z"}, refresh=True)
    return es


def test_keyword_sort_with_missing_first_and_last(words: Engine) -> None:
    r = words.search(index="k1,k2", sort=[{"tag": "asc"}])
    assert _ids(r) == ["b1", "a1", "b2", "a2", "a3", "b3"] and _sorts(r) == ["a", "b", "b", "d", None, None]
    r = words.search(index="k1,k2", sort=[{"tag": "desc"}])
    assert _ids(r) == ["a2", "a1", "b2", "b1", "a3", "b3"]
    r = words.search(index="k1,k2", sort=[{"tag": {"order": "asc", "missing": "_first"}}])
    assert _ids(r) == ["a3", "b3", "b1", "a1", "b2", "a2"]
    r = words.search(index="k1,k2", sort=[{"tag": "asc"}], search_after=["b"], size=2)
    assert _ids(r) == ["a2", "a3"]


def test_an_index_that_cannot_sort_fails_alone(words: Engine) -> None:
    """k3 does not map ``tag``: its shard fails and is reported; k1 and k2 answer."""
    r = words.search(index="k*", sort=[{"tag": "asc"}], search_after=["b"], size=2)
    assert _ids(r) == ["a2", "a3"]
    shards = r["_shards"]
    assert (shards["total"], shards["successful"], shards["failed"]) == (3, 2, 1)
    reason = shards["failures"][0]["reason"]
    assert shards["failures"][0]["index"] == "k3" and reason["type"] == "query_shard_exception"
    assert reason["reason"] == "No mapping found for [tag] in order to sort on"
    with pytest.raises(BadRequestError) as err:
        words.search(index="k*", sort=[{"tag": "asc"}], allow_partial_search_results=False)
    error = err.value.body["error"]
    assert error["type"] == "search_phase_execution_exception" and error["reason"] == "Partial shards failure"
    with pytest.raises(BadRequestError) as err:  # k3 alone: its failure is the answer
        words.search(index="k3", sort=[{"tag": "asc"}])
    assert "No mapping found for [tag] in order to sort on" in str(err.value.body)


def test_unmapped_type_over_an_index_without_the_field(words: Engine) -> None:
    r = words.search(index="k1,k3", sort=[{"tag": {"order": "desc", "unmapped_type": "keyword"}}])
    assert _ids(r) == ["a2", "a1", "a3", "c1"] and _sorts(r) == ["d", "b", None, None]
    with pytest.raises(BadRequestError) as err:  # a long sort on k3 beside k1's keyword sort
        words.search(index="k1,k3", sort=[{"tag": {"order": "asc", "unmapped_type": "long"}}])
    error = err.value.body["error"]
    assert error["type"] == "search_phase_execution_exception" and error["root_cause"] == []
    assert error["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "Can't sort on field [__anonymous_]; the field has incompatible sort types: [STRING] and [LONG] "
        "across shards!",
    }


@pytest.fixture(scope="module")
def numbers() -> Engine:
    es = Engine()
    es.indices.create(index="m_long", mappings={"properties": {"v": {"type": "long"}}})
    es.indices.create(index="m_double", mappings={"properties": {"v": {"type": "double"}}})
    es.indices.create(index="m_kw", mappings={"properties": {"v": {"type": "keyword"}}})
    for index, doc_id, value in (
        ("m_long", "l1", 5),
        ("m_long", "l2", 1),
        ("m_double", "d1", 2.5),
        ("m_double", "d2", 5.0),
    ):
        es.index(index=index, id=doc_id, document={"v": value})
    es.index(index="m_kw", id="k1", document={"v": "five"})
    for index in ("m_long", "m_double", "m_kw"):
        es.indices.refresh(index=index)
    es.indices.create(index="t_ms", mappings={"properties": {"t": {"type": "date"}}})
    es.indices.create(index="t_ns", mappings={"properties": {"t": {"type": "date_nanos"}}})
    es.index(index="t_ms", id="ms", document={"t": "2020-01-01T00:00:00.001Z"}, refresh=True)
    es.index(index="t_ns", id="ns", document={"t": "2020-01-01T00:00:00.000000500Z"}, refresh=True)
    return es


def test_long_beside_double_merges_as_double(numbers: Engine) -> None:
    r = numbers.search(index="m_long,m_double", sort=[{"v": "asc"}])
    assert _ids(r) == ["l2", "d1", "d2", "l1"]
    values = _sorts(r)
    assert values == [1.0, 2.5, 5.0, 5.0] and all(isinstance(v, float) for v in values)


def test_keyword_beside_numbers_fails_unless_one_side_brings_no_hits(numbers: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        numbers.search(index="m_kw,m_long", sort=[{"v": "asc"}])
    reason = err.value.body["error"]["caused_by"]["reason"]
    assert (
        reason == "Can't sort on field [v]; the field has incompatible sort types: [STRING] and [LONG] across shards!"
    )
    assert err.value.body["error"]["phase"] == "fetch"
    r = numbers.search(index="m_kw,m_long", sort=[{"v": "asc"}], size=0)
    assert r["hits"]["total"]["value"] == 3 and r["hits"]["hits"] == []
    r = numbers.search(index="m_kw,m_long", sort=[{"v": "asc"}], query={"ids": {"values": ["l1", "l2"]}})
    assert _ids(r) == ["l2", "l1"]


def test_numeric_type_puts_date_and_date_nanos_on_one_scale(numbers: Engine) -> None:
    ms, ns = 1577836800001, 1577836800000000500
    r = numbers.search(index="t_*", sort=[{"t": {"order": "asc", "numeric_type": "date_nanos"}}])
    assert [(h["_id"], h["sort"]) for h in r["hits"]["hits"]] == [("ns", [ns]), ("ms", [ms * 1_000_000])]
    r = numbers.search(index="t_*", sort=[{"t": {"order": "asc", "numeric_type": "date"}}])
    assert [(h["_id"], h["sort"]) for h in r["hits"]["hits"]] == [("ns", [ms - 1]), ("ms", [ms])]
    # without it each index sorts its own unit: millis sort before nanos, as in Elasticsearch
    r = numbers.search(index="t_*", sort=[{"t": "asc"}])
    assert [(h["_id"], h["sort"]) for h in r["hits"]["hits"]] == [("ms", [ms]), ("ns", [ns])]
    r = numbers.search(
        index="t_*", sort=[{"t": {"order": "desc", "numeric_type": "date_nanos"}}], search_after=[ns + 1]
    )
    assert _ids(r) == ["ns"]


def test_a_format_prints_the_merged_raw_values(numbers: Engine) -> None:
    r = numbers.search(index="t_*", sort=[{"t": {"order": "asc", "format": "yyyy-MM-dd HH:mm:ss.SSSSSSSSS"}}])
    # merged on the raw longs (millis before nanos, as above), then printed at each index's resolution
    assert [h["sort"] for h in r["hits"]["hits"]] == [
        ["2020-01-01 00:00:00.001000000"],
        ["2020-01-01 00:00:00.000000500"],
    ]


# ------------------------------------------------------------- 90_search_after.yml "Format sort values"


def test_90_format_sort_values_over_two_indices() -> None:
    es = Engine()
    es.indices.create(
        index="test", mappings={"properties": {"timestamp": {"type": "date", "format": "yyyy-MM-dd HH:mm:ss.SSS"}}}
    )
    nanos_mapping = {"type": "date_nanos", "format": "dd/MM/yyyy HH:mm:ss.SSS"}
    es.indices.create(index="test_nanos", mappings={"properties": {"timestamp": nanos_mapping}})
    for stamp in ("2021-10-13 00:30:04.828", "2021-06-11 04:30:04.828", "2021-02-11 08:30:04.828"):
        es.index(index="test", document={"timestamp": stamp})
    for stamp in ("21/08/2021 03:30:04.732", "20/05/2021 05:30:04.832", "15/04/2021 06:30:04.821"):
        es.index(index="test_nanos", document={"timestamp": stamp})
    es.indices.refresh(index="test,test_nanos")
    fmt = "strict_date_optional_time_nanos"
    sort = [{"timestamp": {"order": "asc", "format": fmt, "numeric_type": "date_nanos"}}]
    r = es.search(index="tes*", size=2, sort=sort)
    assert r["hits"]["total"]["value"] == 6
    hits = r["hits"]["hits"]
    assert [(h["_index"], h["_source"]["timestamp"], h["sort"]) for h in hits] == [
        ("test", "2021-02-11 08:30:04.828", ["2021-02-11T08:30:04.828Z"]),
        ("test_nanos", "15/04/2021 06:30:04.821", ["2021-04-15T06:30:04.821Z"]),
    ]
    sort = [{"timestamp": {"order": "asc", "format": fmt, "numeric_type": "date"}}]
    r = es.search(index="test*", size=2, sort=sort, search_after=["2021-04-15T06:30:04.821Z"])
    assert r["hits"]["total"]["value"] == 6
    hits = r["hits"]["hits"]
    assert [(h["_index"], h["_source"]["timestamp"], h["sort"]) for h in hits] == [
        ("test_nanos", "20/05/2021 05:30:04.832", ["2021-05-20T05:30:04.832Z"]),
        ("test", "2021-06-11 04:30:04.828", ["2021-06-11T04:30:04.828Z"]),
    ]


# ------------------------------------------------------------- collapse


@pytest.fixture(scope="module")
def groups() -> Engine:
    es = Engine()
    rows = {
        "g1": [("x1", "a", 1), ("x2", "a", 5), ("x3", "b", 3), ("x4", None, 2)],
        "g2": [("y1", "a", 6), ("y2", "c", 4), ("y3", "b", 3), ("y4", None, 7)],
    }
    for index, docs in rows.items():
        es.indices.create(index=index, mappings={"properties": {"g": {"type": "keyword"}, "n": {"type": "long"}}})
        for doc_id, group, n in docs:
            es.index(index=index, id=doc_id, document={"n": n} if group is None else {"g": group, "n": n})
        es.indices.refresh(index=index)
    return es


def test_collapse_keeps_each_groups_first_hit_of_the_merge(groups: Engine) -> None:
    r = groups.search(index="g1,g2", collapse={"field": "g"}, sort=[{"n": "desc"}])
    # by n desc: y4 (null, 7), y1 (a, 6), x2 (a, 5: dropped), y2 (c, 4), x3/y3 (b, 3: g1 first), x4 (null)
    assert _ids(r) == ["y4", "y1", "y2", "x3"]
    assert [h["fields"]["g"] for h in r["hits"]["hits"]] == [[None], ["a"], ["c"], ["b"]]
    assert r["hits"]["total"]["value"] == 8
    r = groups.search(index="g*", collapse={"field": "g"}, sort=[{"n": "asc"}], from_=1, size=2)
    # by n asc: x1 (a, 1), x4 (null, 2), x3 (b, 3), y3 (b: dropped), y2 (c, 4)
    assert _ids(r) == ["x4", "x3"]


# ------------------------------------------------------------- scroll and msearch go the same way


def test_scroll_and_msearch_over_several_indices(mixed: Engine) -> None:
    first = mixed.search(index=FOUR, sort=[{"field1": "desc"}], size=8, scroll="1m")
    assert _sorts(first) == [53, 52, 51, 50, 43, 42, 41, 40]
    second = mixed.scroll(scroll_id=first["_scroll_id"], scroll="1m")
    assert _sorts(second) == [33, 32, 31, 30, 23, 22, 21, 20]
    mixed.clear_scroll(scroll_id=second["_scroll_id"])
    body: list[dict[str, Any]] = [{"index": FOUR}, {"sort": [{"field2": "desc"}], "size": 3}]
    (response,) = mixed.msearch(searches=body)["responses"]
    assert _sorts(response) == [53, 51, 42]


def test_one_integer_index_shows_integer_bounds_for_missing_values(mixed: Engine) -> None:
    """Elasticsearch 9 sorts integer/short/byte as Lucene's INT on one index too (the YAML's comment)."""
    asc = mixed.search(index="index_short", sort=[{"field2": "asc"}])
    assert _ids(asc) == ["short2", "short4", "short1", "short3", "short5"]
    assert _sorts(asc) == [22, 42, INT_MAX, INT_MAX, INT_MAX]
    desc = mixed.search(index="index_short", sort=[{"field2": "desc"}], size=3)
    assert _sorts(desc) == [42, 22, -2147483648]
    # the stand-in is the key itself: paging past it leaves no missing document behind twice
    after = mixed.search(index="index_short", sort=[{"field2": "asc"}], search_after=[INT_MAX])
    assert _ids(after) == []
