"""The ``nested`` mapping type: parameters, GET mapping round trip, dynamic fields, limits, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


def test_mapping_round_trip_and_dynamic_fields() -> None:
    e = Engine()
    e.indices.create(
        index="t",
        mappings={
            "properties": {
                "n": {"type": "nested", "include_in_parent": True, "properties": {"k": {"type": "keyword"}}},
                "bare": {"type": "nested"},
            }
        },
    )
    e.index(index="t", id="1", document={"bare": [{"foo": "bar"}], "n": {"k": "x", "extra": 3}}, refresh=True)
    props = e.indices.get_mapping(index="t")["t"]["mappings"]["properties"]
    assert props["n"] == {
        "type": "nested",
        "include_in_parent": True,
        "properties": {"extra": {"type": "long"}, "k": {"type": "keyword"}},
    }
    assert props["bare"] == {
        "type": "nested",
        "properties": {"foo": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}},
    }
    # dynamic fields of nested objects live on the nested objects
    q = {"nested": {"path": "bare", "query": {"term": {"bare.foo.keyword": "bar"}}}}
    assert e.search(index="t", query=q)["hits"]["total"]["value"] == 1
    # include_in_parent: the values are also indexed on the parent
    assert e.search(index="t", query={"term": {"n.k": "x"}})["hits"]["total"]["value"] == 1
    assert e.search(index="t", query={"term": {"bare.foo.keyword": "bar"}})["hits"]["total"]["value"] == 0


def test_include_in_root_from_a_deeper_level() -> None:
    e = Engine()
    e.indices.create(
        index="r",
        mappings={
            "properties": {
                "a": {
                    "type": "nested",
                    "properties": {
                        "b": {"type": "nested", "include_in_root": True, "properties": {"v": {"type": "keyword"}}}
                    },
                }
            }
        },
    )
    e.index(index="r", id="1", document={"a": {"b": [{"v": "deep"}]}}, refresh=True)
    assert e.search(index="r", query={"term": {"a.b.v": "deep"}})["hits"]["total"]["value"] == 1


def test_object_parameters_are_refused_on_plain_objects() -> None:
    e = Engine()
    with pytest.raises(BadRequestError) as err:
        e.indices.create(index="x", mappings={"properties": {"o": {"type": "object", "include_in_parent": True}}})
    assert err.value.body["error"]["reason"] == (
        "Failed to parse mapping: Mapping definition for [o] has unsupported parameters:  [include_in_parent : true]"
    )


def test_changing_nested_to_object_conflicts() -> None:
    e = Engine()
    e.indices.create(index="c", mappings={"properties": {"n": {"type": "nested"}, "o": {"type": "object"}}})
    for change in ({"n": {"type": "object"}}, {"o": {"type": "nested"}}):
        with pytest.raises(BadRequestError) as err:
            e.indices.put_mapping(index="c", properties=change)
        path = next(iter(change))
        assert err.value.body["error"]["reason"] == f"can't merge a non-nested mapping [{path}] with a nested mapping"


def test_nested_fields_limit() -> None:
    e = Engine()
    with pytest.raises(BadRequestError) as err:
        e.indices.create(
            index="l",
            settings={"index.mapping.nested_fields.limit": 1},
            mappings={"properties": {"a": {"type": "nested"}, "b": {"type": "nested"}}},
        )
    assert err.value.body["error"]["reason"] == "Limit of nested fields [1] has been exceeded"
    e.indices.create(
        index="l", settings={"index.mapping.nested_fields.limit": 1}, mappings={"properties": {"a": {"type": "nested"}}}
    )
    with pytest.raises(BadRequestError):
        e.indices.put_mapping(index="l", properties={"b": {"type": "nested"}})


def test_nested_objects_limit() -> None:
    e = Engine()
    e.indices.create(
        index="l",
        settings={"index.mapping.nested_objects.limit": 2},
        mappings={"properties": {"a": {"type": "nested"}}},
    )
    with pytest.raises(BadRequestError) as err:
        e.index(index="l", id="1", document={"a": [{"x": 1}, {"x": 2}, {"x": 3}]})
    assert err.value.body["error"]["type"] == "document_parsing_exception"
    assert err.value.body["error"]["reason"] == (
        "The number of nested documents has exceeded the allowed limit of [2]. This limit can be set by changing "
        "the [index.mapping.nested_objects.limit] index level setting."
    )
    assert e.count(index="l")["count"] == 0  # nothing of the refused document was written
    e.indices.put_settings(index="l", settings={"index.mapping.nested_objects.limit": 3})
    e.index(index="l", id="1", document={"a": [{"x": 1}, {"x": 2}, {"x": 3}]}, refresh=True)
    settings = e.indices.get_settings(index="l")["l"]["settings"]["index"]
    assert settings["mapping"]["nested_objects"] == {"limit": "3"}


def test_nested_objects_survive_save_load_and_translog_replay(tmp_path: Path) -> None:
    mapping = {"properties": {"c": {"type": "nested", "properties": {"k": {"type": "keyword"}, "n": {"type": "long"}}}}}
    q = {"nested": {"path": "c", "query": {"term": {"c.k": "b"}}, "inner_hits": {}}}
    e = Engine(path=str(tmp_path))
    e.indices.create(index="p", mappings=mapping)
    e.index(index="p", id="1", document={"c": [{"k": "a", "n": 1}, {"k": "b", "n": 2}]}, refresh=True)  # committed
    e.index(index="p", id="2", document={"c": [{"k": "b", "n": 3}]})  # in the translog only
    before = e.search(index="p", query=q, sort=[{"c.n": {"order": "desc", "nested": {"path": "c"}}}])
    del e
    for reopened in (Engine(path=str(tmp_path)), Engine.load(str(tmp_path))):
        after = reopened.search(index="p", query=q, sort=[{"c.n": {"order": "desc", "nested": {"path": "c"}}}])
        assert [h["_id"] for h in after["hits"]["hits"]] == ["2", "1"] == [h["_id"] for h in before["hits"]["hits"]]
        assert after["hits"]["hits"][1]["inner_hits"] == before["hits"]["hits"][1]["inner_hits"]
        assert after["hits"]["hits"][1]["inner_hits"]["c"]["hits"]["hits"][0]["_nested"] == {"field": "c", "offset": 1}


def test_copy_to_from_a_nested_object_reaches_the_target_document() -> None:
    e = Engine()
    e.indices.create(
        index="cp",
        mappings={
            "properties": {
                "all": {"type": "text"},
                "c": {
                    "type": "nested",
                    "properties": {"a": {"type": "text", "copy_to": ["all", "c.b"]}, "b": {"type": "text"}},
                },
            }
        },
    )
    e.index(index="cp", id="1", document={"c": [{"a": "fox"}, {"a": "dog"}]}, refresh=True)
    # a root field: on the top-level document; a field of the same nested object: on that object
    assert e.search(index="cp", query={"match": {"all": "fox"}})["hits"]["total"]["value"] == 1
    inner = {"nested": {"path": "c", "query": {"match": {"c.b": "dog"}}, "inner_hits": {}}}
    hits = e.search(index="cp", query=inner)["hits"]["hits"][0]["inner_hits"]["c"]["hits"]["hits"]
    assert [h["_nested"]["offset"] for h in hits] == [1]


def test_strict_nested_object_and_field_caps() -> None:
    e = Engine()
    e.indices.create(
        index="st",
        mappings={
            "properties": {"c": {"type": "nested", "dynamic": "strict", "properties": {"a": {"type": "keyword"}}}}
        },
    )
    with pytest.raises(BadRequestError) as err:
        e.index(index="st", id="1", document={"c": [{"a": "x", "b": 1}]})
    assert err.value.body["error"]["type"] == "strict_dynamic_mapping_exception"
    assert err.value.body["error"]["reason"] == (
        "[1:20] mapping set to strict, dynamic introduction of [b] within [c] is not allowed"
    )
    caps = e.field_caps(index="st", fields="*")["fields"]["c"]
    assert caps == {"nested": {"type": "nested", "metadata_field": False, "searchable": False, "aggregatable": False}}
