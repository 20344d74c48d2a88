"""``_seq_no`` and ``_version`` fetched from doc values.

Elasticsearch keeps both as sorted-numeric ``long`` doc values (``SeqNoFieldMapper``,
``VersionFieldMapper``): ``docvalue_fields`` reads either, ``fields`` reads ``_version`` (its
``valueFetcher`` is a doc-values fetcher) and refuses ``_seq_no`` (``Cannot fetch values for internal
field``); neither takes a format. A nested object carries its top-level document's numbers.

Ports ``search.inner_hits/10_basic.yml`` "Nested doc version and seqIDs" as written (commit
``6b6b847a2327888a8b8da65876d0e518fbbb46c8``). Other expectations follow ES's rules by hand: every
write takes the shard's next sequence number from 0, internal versions count from 1 per ``_id``, and a
search sees the numbers of the snapshot it searches.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

NESTED_BODY = {
    "query": {
        "nested": {
            "path": "nested_field",
            "query": {"match_all": {}},
            "inner_hits": {"version": True, "docvalue_fields": ["_seq_no"]},
        }
    },
    "version": True,
    "docvalue_fields": ["_seq_no"],
}


def test_yaml_nested_doc_version_and_seq_ids() -> None:
    es = Engine()
    es.indices.create(index="test", mappings={"properties": {"nested_field": {"type": "nested"}}})
    es.index(index="test", id="1", document={"nested_field": [{"foo": "bar"}]})
    es.indices.refresh()
    r = es.search(index="test", rest_total_hits_as_int=True, body=NESTED_BODY)
    assert r["hits"]["total"] == 1
    hit = r["hits"]["hits"][0]
    assert (hit["_index"], hit["_id"], hit["_version"]) == ("test", "1", 1)
    assert hit["fields"]["_seq_no"] == [0]
    assert hit["inner_hits"]["nested_field"]["hits"]["hits"][0]["fields"]["_seq_no"] == [0]

    es.index(index="test", id="1", document={"nested_field": [{"foo": "baz"}]})
    es.indices.refresh()
    r = es.search(index="test", rest_total_hits_as_int=True, body=NESTED_BODY)
    assert r["hits"]["total"] == 1
    hit = r["hits"]["hits"][0]
    assert (hit["_index"], hit["_id"], hit["_version"]) == ("test", "1", 2)
    assert hit["fields"]["_seq_no"] == [1]
    inner = hit["inner_hits"]["nested_field"]["hits"]["hits"][0]
    assert inner["_version"] == 2
    assert inner["fields"]["_seq_no"] == [1]


@pytest.fixture()
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="d", mappings={"properties": {"k": {"type": "keyword"}, "n": {"type": "long"}}})
    engine.index(index="d", id="a", document={"k": "x", "n": 1})  # seq 0, version 1
    engine.index(index="d", id="b", document={"k": "x", "n": 2})  # seq 1, version 1
    engine.index(index="d", id="a", document={"k": "x", "n": 3})  # seq 2, version 2
    engine.delete(index="d", id="b")  # seq 3
    engine.index(index="d", id="b", document={"k": "x", "n": 4})  # seq 4, version 3 (after the tombstone's 2)
    engine.index(index="d", id="c", document={"k": "x", "n": 5}, refresh=True)  # seq 5, version 1
    return engine


def _fields(r: Any) -> dict[str, Any]:
    return {h["_id"]: h.get("fields", {}) for h in r["hits"]["hits"]}


def test_docvalue_fields_seq_no_and_version(es: Engine) -> None:
    r = es.search(index="d", docvalue_fields=["_seq_no", "_version", "n"], sort=[{"n": "asc"}])
    assert [h["_id"] for h in r["hits"]["hits"]] == ["a", "b", "c"]
    assert _fields(r) == {
        "a": {"_seq_no": [2], "_version": [2], "n": [3]},
        "b": {"_seq_no": [4], "_version": [3], "n": [4]},
        "c": {"_seq_no": [5], "_version": [1], "n": [5]},
    }


def test_docvalue_numbers_match_seq_no_primary_term(es: Engine) -> None:
    r = es.search(index="d", body={"seq_no_primary_term": True, "version": True, "docvalue_fields": ["_seq_no"]})
    for hit in r["hits"]["hits"]:
        assert hit["fields"]["_seq_no"] == [hit["_seq_no"]]


def test_fields_version_reads_doc_values(es: Engine) -> None:
    r = es.search(index="d", fields=["_version", "k"], sort=[{"n": "asc"}])
    assert _fields(r) == {
        "a": {"_version": [2], "k": ["x"]},
        "b": {"_version": [3], "k": ["x"]},
        "c": {"_version": [1], "k": ["x"]},
    }


def test_a_wildcard_skips_metadata(es: Engine) -> None:
    r = es.search(index="d", fields=["*"], docvalue_fields=["_s*"], query={"ids": {"values": ["c"]}})
    assert _fields(r) == {"c": {"k": ["x"], "n": [5]}}


def test_snapshot_numbers_until_refresh(es: Engine) -> None:
    es.indices.put_settings(index="d", settings={"refresh_interval": "-1"})  # no refresh on search
    es.index(index="d", id="c", document={"k": "x", "n": 5})  # seq 6, version 2: not yet visible
    r = es.search(index="d", docvalue_fields=["_seq_no"], fields=["_version"], query={"ids": {"values": ["c"]}})
    assert _fields(r) == {"c": {"_seq_no": [5], "_version": [1]}}
    es.indices.refresh(index="d")
    r = es.search(index="d", docvalue_fields=["_seq_no"], fields=["_version"], query={"ids": {"values": ["c"]}})
    assert _fields(r) == {"c": {"_seq_no": [6], "_version": [2]}}


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        (
            {"docvalue_fields": [{"field": "_seq_no", "format": "0"}]},
            "Field [_seq_no] of type [_seq_no] does not support custom formats",
        ),
        (
            {"docvalue_fields": [{"field": "_version", "format": "use_field_mapping"}]},
            "Field [_version] of type [_version] does not support custom formats",
        ),
        (
            {"fields": [{"field": "_version", "format": "0"}]},
            "error fetching [_version]: Field [_version] of type [_version] does not support custom formats",
        ),
        ({"fields": ["_seq_no"]}, "error fetching [_seq_no]: Cannot fetch values for internal field [_seq_no]."),
    ],
)
def test_fetch_errors(es: Engine, kw: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="d", body=kw)
    assert err.value.body["error"]["type"] == "search_phase_execution_exception"
    cause = err.value.body["error"]["root_cause"][0]
    assert (cause["type"], cause["reason"]) == ("illegal_argument_exception", reason)


def test_collapse_inner_hits_fields_version(es: Engine) -> None:
    r = es.search(
        index="d",
        collapse={"field": "k", "inner_hits": {"name": "g", "size": 3, "sort": [{"n": "asc"}], "fields": ["_version"]}},
        sort=[{"n": "asc"}],
    )
    inner = r["hits"]["hits"][0]["inner_hits"]["g"]["hits"]["hits"]
    assert [(h["_id"], h["fields"]) for h in inner] == [
        ("a", {"_version": [2]}),
        ("b", {"_version": [3]}),
        ("c", {"_version": [1]}),
    ]


def test_top_hits_carry_the_searchs_docvalue_fields(es: Engine) -> None:
    r = es.search(
        index="d",
        size=0,
        docvalue_fields=["_seq_no"],
        aggs={"t": {"top_hits": {"size": 3, "sort": [{"n": "desc"}]}}},
    )
    hits = r["aggregations"]["t"]["hits"]["hits"]
    assert [(h["_id"], h["fields"]["_seq_no"]) for h in hits] == [("c", [5]), ("b", [4]), ("a", [2])]
