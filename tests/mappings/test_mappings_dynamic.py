"""Dynamic mapping: the mappings Elasticsearch adds for unmapped fields, and dynamic false/strict."""

from __future__ import annotations

import json

import pytest

from retrievo.errors import BadRequestError, error_reason
from retrievo.index.dates import parse_date
from retrievo.index.documents import parse_document
from retrievo.index.mappings import Mappings

TEXT_WITH_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def dynamic(doc: dict, body: dict | None = None):
    return parse_document(Mappings.from_json(body or {}), doc, "1")


def test_dynamic_types_as_es_maps_them():
    parsed = dynamic(
        {
            "title": "hello world",
            "n": 3,
            "f": 1.5,
            "ok": True,
            "user": {"name": "ann", "tags": ["a"]},
            "iso": "2015-09-02T10:11:12Z",
            "slash": "2015/09/02",
            "slash_time": "2015/09/02 10:11:12",
            "numeric_string": "42",
            "float_string": "1.5",
            "empty": {},
            "nothing": None,
            "no_values": [],
        }
    )
    assert parsed.new_mappings.to_json() == {
        "properties": {
            "empty": {"type": "object"},
            "f": {"type": "float"},
            "float_string": TEXT_WITH_KEYWORD,
            "iso": {"type": "date"},
            "n": {"type": "long"},
            "numeric_string": TEXT_WITH_KEYWORD,
            "ok": {"type": "boolean"},
            "slash": {"type": "date", "format": "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"},
            "slash_time": {"type": "date", "format": "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"},
            "title": TEXT_WITH_KEYWORD,
            "user": {"properties": {"name": TEXT_WITH_KEYWORD, "tags": TEXT_WITH_KEYWORD}},
        }
    }
    assert parsed.values == {
        "title": ["hello world"],
        "title.keyword": ["hello world"],
        "n": [3],
        "f": [1.5],
        "ok": [True],
        "user.name": ["ann"],
        "user.name.keyword": ["ann"],
        "user.tags": ["a"],
        "user.tags.keyword": ["a"],
        "iso": [parse_date("2015-09-02T10:11:12Z")],
        "slash": [parse_date("2015/09/02", "yyyy/MM/dd")],
        "slash_time": [parse_date("2015/09/02 10:11:12", "yyyy/MM/dd HH:mm:ss")],
        "numeric_string": ["42"],
        "numeric_string.keyword": ["42"],
        "float_string": ["1.5"],
        "float_string.keyword": ["1.5"],
    }


def test_dynamic_mappings_round_trip_as_explicit_mappings():
    parsed = dynamic({"a": "x", "b": {"c": 1}, "d": "2020-01-01"})
    reparsed = Mappings.from_json(json.loads(json.dumps(parsed.new_mappings.to_json())))
    assert reparsed == parsed.new_mappings
    assert reparsed.field("a.keyword").ignore_above == 256 and reparsed.field("a.keyword").parent == "a"


def test_dynamic_keyword_subfield_ignores_long_strings():
    long_text = "x" * 300
    parsed = dynamic({"body": long_text})
    assert parsed.values == {"body": [long_text]} and parsed.ignored == ("body.keyword",)


def test_numeric_detection():
    parsed = dynamic({"a": "42", "b": "1.5", "c": "1e3", "d": "abc"}, {"numeric_detection": True})
    props = parsed.new_mappings.to_json()["properties"]
    assert props["a"] == {"type": "long"} and props["b"] == {"type": "float"} and props["c"] == {"type": "float"}
    assert props["d"] == TEXT_WITH_KEYWORD
    assert parsed.values["a"] == [42] and parsed.values["c"] == [1000.0]


def test_date_detection_off():
    parsed = dynamic({"when": "2015-09-02"}, {"date_detection": False})
    assert parsed.new_mappings.to_json()["properties"]["when"] == TEXT_WITH_KEYWORD


def test_first_value_of_an_array_decides_and_the_rest_must_fit():
    parsed = dynamic({"mixed": [None, 1, "2", 3.7]})
    assert parsed.new_mappings.field("mixed").type == "long" and parsed.values["mixed"] == [1, 2, 3]
    with pytest.raises(BadRequestError) as info:
        dynamic({"mixed": [1, "two"]})
    assert "failed to parse field [mixed] of type [long]" in error_reason(info.value)
    parsed = dynamic({"s": ["a", 1, True]})
    assert parsed.values["s"] == ["a", "1", "true"]


def test_arrays_of_objects_map_to_one_object():
    parsed = dynamic({"authors": [{"name": "a", "age": 1}, {"name": "b", "country": "fr"}]})
    assert set(parsed.new_mappings.object_mapping("authors").properties) == {"name", "age", "country"}
    assert parsed.values["authors.name"] == ["a", "b"]


def test_dotted_keys_create_objects():
    parsed = dynamic({"a.b.c": 1, "a.b": {"d": "x"}})
    assert parsed.new_mappings.to_json() == {
        "properties": {"a": {"properties": {"b": {"properties": {"c": {"type": "long"}, "d": TEXT_WITH_KEYWORD}}}}}
    }


def test_null_values_create_no_leaf_mapping():
    assert dynamic({"a": None, "b": [None]}).new_mappings is None
    assert dynamic({"o": {"x": None}}).new_mappings.to_json() == {"properties": {"o": {"type": "object"}}}


def test_new_fields_merge_into_existing_objects():
    body = {"properties": {"user": {"properties": {"name": {"type": "keyword"}}}}}
    parsed = dynamic({"user": {"name": "a", "age": 3}}, body)
    assert parsed.new_mappings.to_json() == {
        "properties": {"user": {"properties": {"age": {"type": "long"}, "name": {"type": "keyword"}}}}
    }


def test_dynamic_false_keeps_unmapped_fields_out_of_the_index():
    body = {"dynamic": False, "properties": {"title": {"type": "text"}}}
    parsed = dynamic({"title": "t", "extra": "x", "obj": {"y": 1}}, body)
    assert parsed.values == {"title": ["t"]} and parsed.new_mappings is None
    assert Mappings.from_json(body).to_json()["dynamic"] == "false"


def test_dynamic_is_inherited_and_can_be_overridden_per_object():
    body = {
        "dynamic": "strict",
        "properties": {
            "open": {
                "type": "object",
                "dynamic": True,
                "properties": {"inner": {"properties": {"x": {"type": "long"}}}},
            },
            "closed": {"properties": {"x": {"type": "long"}}},
        },
    }
    parsed = dynamic({"open": {"inner": {"new": "v"}, "also": 1}}, body)
    assert parsed.new_mappings.field("open.inner.new").type == "text"
    assert parsed.new_mappings.field("open.also").type == "long"
    with pytest.raises(BadRequestError) as info:
        dynamic({"closed": {"y": 1}}, body)
    assert error_reason(info.value).endswith(
        "mapping set to strict, dynamic introduction of [y] within [closed] is not allowed"
    )


def test_strict_error_body_is_exactly_es():
    body = {"dynamic": "strict", "properties": {"name": {"type": "text"}}}
    doc = {"name": "Rahul", "grade": 10}
    with pytest.raises(BadRequestError) as info:
        dynamic(doc, body)
    col = json.dumps(doc, separators=(",", ":")).index("10") + 1
    reason = f"[1:{col}] mapping set to strict, dynamic introduction of [grade] within [_doc] is not allowed"
    assert info.value.status_code == 400
    assert info.value.body == {
        "error": {
            "root_cause": [{"type": "strict_dynamic_mapping_exception", "reason": reason}],
            "type": "strict_dynamic_mapping_exception",
            "reason": reason,
        },
        "status": 400,
    }


def test_strict_rejects_unmapped_nulls_and_dotted_intermediates():
    body = {"dynamic": "strict", "properties": {"a": {"type": "long"}}}
    with pytest.raises(BadRequestError) as info:
        dynamic({"b": None}, body)
    assert "dynamic introduction of [b] within [_doc]" in error_reason(info.value)
    with pytest.raises(BadRequestError) as info:
        dynamic({"x.y": 1}, body)
    assert "dynamic introduction of [x] within [_doc]" in error_reason(info.value)


def test_failed_dynamic_document_leaves_mappings_unchanged():
    m = Mappings.from_json({"properties": {"n": {"type": "long"}}})
    with pytest.raises(BadRequestError):
        parse_document(m, {"new1": "x", "nested": {"new2": 1}, "n": "oops"}, "1")
    assert m.to_json() == {"properties": {"n": {"type": "long"}}}
    assert m.field("new1") is None and m.object_mapping("nested") is None


def test_dynamic_text_fields_use_the_index_default_analyzers():
    class Registry:
        def __contains__(self, name: object) -> bool:
            return name in {"standard", "default", "default_search"}

    m = Mappings.from_json({}, Registry())
    field = parse_document(m, {"t": "x"}, "1").new_mappings.field("t")
    assert (field.analyzer, field.search_analyzer) == ("default", "default_search")
