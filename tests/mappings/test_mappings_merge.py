"""PUT _mapping-style updates: new Mappings objects, ES's merge rules and conflict messages."""

from __future__ import annotations

import pytest

from retrievo.errors import BadRequestError, error_reason
from retrievo.index.mappings import Mappings


class FakeRegistry:
    def __init__(self, *names: str) -> None:
        self.names = set(names)

    def __contains__(self, name: object) -> bool:
        return name in self.names


REGISTRY = FakeRegistry("standard", "english", "whitespace")

BASE = {
    "properties": {
        "title": {"type": "text", "analyzer": "english", "fields": {"raw": {"type": "keyword"}}},
        "tag": {"type": "keyword", "ignore_above": 20},
        "user": {"properties": {"name": {"type": "keyword"}}},
        "logs": {"type": "object", "enabled": False},
    }
}


def base() -> Mappings:
    return Mappings.from_json(BASE, REGISTRY)


def merge_error(update: dict) -> BadRequestError:
    with pytest.raises(BadRequestError) as info:
        base().merge(update, REGISTRY)
    assert info.value.status_code == 400
    return info.value


def illegal(reason: str) -> dict:
    return {
        "error": {
            "root_cause": [{"type": "illegal_argument_exception", "reason": reason}],
            "type": "illegal_argument_exception",
            "reason": reason,
        },
        "status": 400,
    }


def test_merge_adds_fields_and_returns_a_new_object():
    m = base()
    before = m.to_json()
    merged = m.merge(
        {"properties": {"year": {"type": "integer"}, "user": {"properties": {"age": {"type": "long"}}}}}, REGISTRY
    )
    assert merged is not m and m.to_json() == before  # the original is untouched
    assert merged.field("year").type == "integer" and merged.field("user.age").type == "long"
    assert merged.field("user.name").type == "keyword"
    assert merged.to_json()["properties"]["user"] == {
        "properties": {"age": {"type": "long"}, "name": {"type": "keyword"}}
    }


def test_type_change_is_es_illegal_argument():
    err = merge_error({"properties": {"title": {"type": "long"}}})
    assert err.body == illegal("mapper [title] cannot be changed from type [text] to [long]")
    err = merge_error({"properties": {"user": {"properties": {"name": {"type": "text"}}}}})
    assert err.body == illegal("mapper [user.name] cannot be changed from type [keyword] to [text]")


def test_non_updatable_parameter_conflicts_list_every_parameter():
    err = merge_error(
        {"properties": {"title": {"type": "text", "analyzer": "whitespace", "norms": False, "index": False}}}
    )
    assert err.body == illegal(
        "Mapper for [title] conflicts with existing mapper:\n"
        "\tCannot update parameter [analyzer] from [english] to [whitespace]\n"
        "\tCannot update parameter [index] from [true] to [false]"
    )


def test_omitting_an_explicit_analyzer_is_a_conflict_with_the_default_analyzer():
    err = merge_error({"properties": {"title": {"type": "text"}}})
    assert err.error == "illegal_argument_exception"
    assert error_reason(err).endswith("Cannot update parameter [analyzer] from [english] to [default]")


def test_norms_can_be_disabled_but_not_enabled():
    m = Mappings.from_json({"properties": {"t": {"type": "text"}}})
    disabled = m.merge({"properties": {"t": {"type": "text", "norms": False}}})
    assert disabled.field("t").norms is False
    assert disabled.to_json()["properties"]["t"] == {"type": "text", "norms": False}
    with pytest.raises(BadRequestError) as info:
        disabled.merge({"properties": {"t": {"type": "text", "norms": True}}})
    assert error_reason(info.value) == (
        "Mapper for [t] conflicts with existing mapper:\n\tCannot update parameter [norms] from [false] to [true]"
    )


def test_updatable_parameters_take_the_new_value():
    merged = base().merge(
        {
            "properties": {
                "tag": {"type": "keyword", "ignore_above": 50},
                "title": {"type": "text", "analyzer": "english", "search_analyzer": "whitespace"},
            }
        },
        REGISTRY,
    )
    assert merged.field("tag").ignore_above == 50
    assert merged.field("title").search_analyzer == "whitespace"
    # ES merges with the incoming definition: an omitted updatable parameter returns to its default
    dropped = base().merge({"properties": {"tag": {"type": "keyword"}}}, REGISTRY)
    assert dropped.field("tag").ignore_above is None and dropped.to_json()["properties"]["tag"] == {"type": "keyword"}


def test_multi_fields_merge_by_name_and_keep_existing_ones():
    merged = base().merge(
        {"properties": {"title": {"type": "text", "analyzer": "english", "fields": {"len": {"type": "integer"}}}}},
        REGISTRY,
    )
    assert [f.path for f in merged.field("title").fields] == ["title.len", "title.raw"]
    assert merged.field("title.len").parent == "title"
    with pytest.raises(BadRequestError) as info:
        base().merge(
            {"properties": {"title": {"type": "text", "analyzer": "english", "fields": {"raw": {"type": "text"}}}}},
            REGISTRY,
        )
    assert error_reason(info.value) == "mapper [title.raw] cannot be changed from type [keyword] to [text]"


def test_objects_and_fields_cannot_replace_each_other():
    err = merge_error({"properties": {"tag": {"properties": {"x": {"type": "long"}}}}})
    assert err.body == illegal("can't merge a non object mapping [tag] with an object mapping")
    err = merge_error({"properties": {"user": {"type": "keyword"}}})
    assert err.body == illegal("can't merge a non object mapping [user] with an object mapping")


def test_object_enabled_cannot_change_but_dynamic_can():
    err = merge_error({"properties": {"logs": {"type": "object", "enabled": True}}})
    assert err.body == illegal("the [enabled] parameter can't be updated for the object mapping [logs]")
    merged = base().merge({"properties": {"user": {"type": "object", "dynamic": "strict"}}}, REGISTRY)
    assert merged.object_mapping("user").dynamic == "strict"
    assert merged.effective_dynamic("user") == "strict" and merged.effective_dynamic("") == "true"


def test_root_settings_given_in_the_update_replace_the_current_ones():
    m = Mappings.from_json({"dynamic": "false", "_meta": {"a": "1"}, "date_detection": False})
    merged = m.merge({"_meta": {"b": "2"}, "numeric_detection": True})
    assert merged.to_json() == {
        "dynamic": "false",
        "_meta": {"b": "2"},
        "date_detection": False,
        "numeric_detection": True,
    }
    assert m.merge({}).to_json() == m.to_json()


def test_invalid_update_body_is_a_mapping_parse_error():
    err = merge_error({"properties": {"x": {"type": "text", "analyzer": "nope"}}})
    assert err.body["error"]["reason"] == "Failed to parse mapping: analyzer [nope] has not been configured in mappings"


def test_with_added_creates_intermediate_objects():
    m = base().with_added("meta.source.url", {"type": "keyword"})
    assert m.field("meta.source.url").type == "keyword"
    assert m.to_json()["properties"]["meta"] == {"properties": {"source": {"properties": {"url": {"type": "keyword"}}}}}
    assert base().field("meta.source.url") is None


def test_merging_the_same_definition_is_a_no_op():
    m = base()
    assert m.merge(BASE, REGISTRY) == m
    assert m.merge(Mappings.from_json(BASE, REGISTRY)).to_json() == m.to_json()
