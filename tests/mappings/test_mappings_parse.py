"""Parsing mapping JSON: what GET _mapping shows, the resolved parameters, lookups, and ES's errors."""

from __future__ import annotations

import copy

import pytest

from retrievo.errors import BadRequestError
from retrievo.index.mappings import FieldMapping, Mappings, ObjectMapping


class FakeRegistry:
    """Stands in for the analysis registry: only ``name in registry`` matters to mappings."""

    def __init__(self, *names: str) -> None:
        self.names = set(names)

    def __contains__(self, name: object) -> bool:
        return name in self.names


REGISTRY = FakeRegistry("standard", "english", "whitespace", "my_custom")


def parse(body: dict, registry: FakeRegistry = REGISTRY) -> Mappings:
    return Mappings.from_json(body, registry)


def mapping_error(body: dict, registry: FakeRegistry = REGISTRY) -> BadRequestError:
    with pytest.raises(BadRequestError) as info:
        parse(body, registry)
    assert info.value.status_code == 400
    return info.value


# ------------------------------------------------------------------------------- round trips

FULL = {
    "dynamic": "strict",
    "_meta": {"owner": "search-team", "version": 3},
    "date_detection": False,
    "numeric_detection": True,
    "properties": {
        "age": {"type": "integer", "coerce": False, "null_value": 0},
        "author": {"type": "keyword", "ignore_above": 64, "null_value": "anonymous", "doc_values": False},
        "born": {"type": "date", "format": "yyyy-MM-dd", "null_value": "1970-01-01"},
        "flag": {"type": "boolean", "null_value": False, "index": False},
        "logs": {"type": "object", "enabled": False},
        "price": {"type": "float", "ignore_malformed": True},
        "title": {
            "type": "text",
            "analyzer": "english",
            "search_analyzer": "whitespace",
            "norms": False,
            "position_increment_gap": 10,
            "meta": {"unit": "words"},
            "fields": {"raw": {"type": "keyword"}, "len": {"type": "long", "index": False}},
        },
        "user": {"dynamic": "false", "properties": {"name": {"type": "text"}, "id": {"type": "long"}}},
    },
}


def test_explicit_mapping_round_trips_through_get_mapping():
    assert parse(copy.deepcopy(FULL)).to_json() == FULL


def test_parameters_equal_to_their_defaults_are_not_shown():
    m = parse(
        {
            "properties": {
                "k": {"type": "keyword", "index": True, "doc_values": True},
                "d": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
                "t": {"type": "text", "norms": True, "analyzer": "english", "search_analyzer": "english"},
                "n": {"type": "long", "null_value": None},
            }
        }
    )
    assert m.to_json() == {
        "properties": {
            "d": {"type": "date"},
            "k": {"type": "keyword"},
            "n": {"type": "long"},
            "t": {"type": "text", "analyzer": "english"},  # an explicit analyzer is always shown
        }
    }


def test_explicit_flags_and_gap_are_shown_even_at_their_default_value():
    m = parse(
        {
            "properties": {
                "n": {"type": "long", "coerce": True, "ignore_malformed": False},
                "t": {"type": "text", "position_increment_gap": 100},
            }
        }
    )
    assert m.to_json()["properties"] == {
        "n": {"type": "long", "coerce": True, "ignore_malformed": False},
        "t": {"type": "text", "position_increment_gap": 100},
    }


def test_empty_mappings_and_doc_type_wrapper():
    assert Mappings.from_json(None).to_json() == {}
    assert Mappings.from_json({}).to_json() == {}
    assert Mappings.empty().to_json() == {}
    wrapped = parse({"_doc": {"properties": {"a": {"type": "keyword"}}}})
    assert wrapped.to_json() == {"properties": {"a": {"type": "keyword"}}}


def test_properties_are_sorted_and_objects_without_properties_show_their_type():
    m = parse({"properties": {"zeta": {"type": "keyword"}, "alpha": {"type": "object"}, "mid": {"properties": {}}}})
    out = m.to_json()["properties"]
    assert list(out) == ["alpha", "mid", "zeta"]
    assert out["alpha"] == {"type": "object"} and out["mid"] == {"type": "object"}


def test_dotted_property_names_expand_into_objects():
    m = parse({"properties": {"user.name.first": {"type": "keyword"}, "user.age": {"type": "long"}}})
    assert m.to_json() == {
        "properties": {
            "user": {"properties": {"age": {"type": "long"}, "name": {"properties": {"first": {"type": "keyword"}}}}}
        }
    }
    assert m.field("user.name.first").type == "keyword"
    assert isinstance(m.object_mapping("user.name"), ObjectMapping)


def test_source_enabled_and_empty_dynamic_templates_are_accepted_and_not_echoed():
    m = parse({"_source": {"enabled": True}, "dynamic_templates": [], "properties": {"a": {"type": "long"}}})
    assert m.to_json() == {"properties": {"a": {"type": "long"}}}


# ------------------------------------------------------------------------------- lookups


def test_lookup_over_object_sub_fields_and_multi_fields():
    m = parse(copy.deepcopy(FULL))
    title = m.field("title")
    assert isinstance(title, FieldMapping) and title.type == "text" and not title.is_multi_field
    raw = m.field("title.raw")
    assert raw.type == "keyword" and raw.parent == "title" and raw.is_multi_field and raw.name == "raw"
    assert [sub.path for sub in title.fields] == ["title.len", "title.raw"]
    assert m.field("user.name").type == "text" and m.field("user.id").type == "long"
    assert m.field("user") is None and m.object_mapping("user").dynamic == "false"
    assert m.mapper("user") is m.object_mapping("user")
    assert m.field("missing") is None and m.field("title.missing") is None
    assert "user.id" in m and "user" in m and "nope" not in m
    assert m.object_mapping("") is m.root


def test_fields_of_type_includes_multi_fields():
    m = parse(copy.deepcopy(FULL))
    assert [f.path for f in m.fields_of_type("keyword")] == ["author", "title.raw"]
    assert [f.path for f in m.fields_of_type("long", "integer")] == ["age", "title.len", "user.id"]
    assert [f.path for f in m.leaf_fields()] == [
        "age",
        "author",
        "born",
        "flag",
        "price",
        "title",
        "title.len",
        "title.raw",
        "user.id",
        "user.name",
    ]


def test_resolved_parameters_and_defaults():
    m = parse(
        {
            "properties": {
                "t": {"type": "text"},
                "e": {"type": "text", "analyzer": "english"},
                "s": {"type": "text", "search_analyzer": "whitespace"},
                "k": {"type": "keyword"},
                "n": {"type": "short", "null_value": "7"},
                "d": {"type": "date"},
                "b": {"type": "boolean", "null_value": "true"},
            }
        }
    )
    t = m.field("t")
    assert (t.analyzer, t.search_analyzer, t.norms, t.position_increment_gap, t.index) == (
        "standard",
        "standard",
        True,
        100,
        True,
    )
    assert (m.field("e").analyzer, m.field("e").search_analyzer) == ("english", "english")
    assert (m.field("s").analyzer, m.field("s").search_analyzer) == ("standard", "whitespace")
    k = m.field("k")
    assert (k.ignore_above, k.null_value, k.doc_values, k.analyzer) == (None, None, True, None)
    assert m.field("n").null_value == 7 and m.field("n").coerce is True
    assert m.field("d").format == "strict_date_optional_time||epoch_millis"
    assert m.field("b").null_value is True
    assert m.to_json()["properties"]["n"] == {"type": "short", "null_value": 7}
    assert m.date_detection is True and m.numeric_detection is False and m.meta is None


def test_index_default_analyzers_come_from_the_registry_like_es():
    registry = FakeRegistry("standard", "english", "default", "default_search")
    m = Mappings.from_json(
        {"properties": {"t": {"type": "text"}, "e": {"type": "text", "analyzer": "english"}}}, registry
    )
    assert (m.field("t").analyzer, m.field("t").search_analyzer) == ("default", "default_search")
    # a field naming its analyzer searches with it, not with default_search
    assert (m.field("e").analyzer, m.field("e").search_analyzer) == ("english", "english")
    assert m.to_json()["properties"]["t"] == {"type": "text"}


def test_mappings_are_immutable():
    m = parse({"properties": {"a": {"type": "keyword"}}})
    with pytest.raises(TypeError):
        m.root.properties["b"] = m.field("a")  # type: ignore[index]
    with pytest.raises(AttributeError):
        m.field("a").type = "text"  # type: ignore[misc]
    with pytest.raises(TypeError):
        m.field("a").params["index"] = False  # type: ignore[index]


def test_input_json_is_not_modified():
    body = copy.deepcopy(FULL)
    parse(body)
    assert body == FULL


# ------------------------------------------------------------------------------- errors


def _wrapped(inner_type: str, reason: str, root_is_inner: bool) -> dict:
    outer = f"Failed to parse mapping: {reason}"
    root = (
        {"type": inner_type, "reason": reason}
        if root_is_inner
        else {"type": "mapper_parsing_exception", "reason": outer}
    )
    return {
        "error": {
            "root_cause": [root],
            "type": "mapper_parsing_exception",
            "reason": outer,
            "caused_by": {"type": inner_type, "reason": reason},
        },
        "status": 400,
    }


def test_unknown_parameter_body_is_exactly_es():
    err = mapping_error({"properties": {"title": {"type": "text", "foo": 1}}})
    assert err.body == _wrapped(
        "mapper_parsing_exception", "unknown parameter [foo] on mapper [title] of type [text]", root_is_inner=True
    )


def test_unknown_parameter_names_the_leaf_mapper():
    err = mapping_error({"properties": {"user": {"properties": {"name": {"type": "keyword", "analyzer": "x"}}}}})
    assert err.body["error"]["caused_by"]["reason"] == "unknown parameter [analyzer] on mapper [name] of type [keyword]"


def test_unconfigured_analyzer_body_is_exactly_es():
    err = mapping_error({"properties": {"title": {"type": "text", "analyzer": "nope"}}})
    assert err.body == _wrapped(
        "illegal_argument_exception", "analyzer [nope] has not been configured in mappings", root_is_inner=False
    )
    err = mapping_error({"properties": {"t": {"type": "text", "search_analyzer": "ghost"}}})
    assert err.body["error"]["caused_by"]["reason"] == "analyzer [ghost] has not been configured in mappings"


def test_analyzers_are_checked_inside_multi_fields():
    err = mapping_error({"properties": {"k": {"type": "keyword", "fields": {"t": {"type": "text", "analyzer": "zz"}}}}})
    assert err.body["error"]["caused_by"]["reason"] == "analyzer [zz] has not been configured in mappings"


def test_analyzers_are_not_checked_without_a_registry():
    m = Mappings.from_json({"properties": {"t": {"type": "text", "analyzer": "anything"}}})
    assert m.field("t").analyzer == "anything"


@pytest.mark.parametrize(
    "body, inner_type, reason",
    [
        (
            {"properties": {"bar": {"type": "foo"}}},
            "mapper_parsing_exception",
            "No handler for type [foo] declared on field [bar]",
        ),
        ({"properties": {"bar": {"index": False}}}, "mapper_parsing_exception", "No type specified for field [bar]"),
        (
            {"properties": {"t": {"type": "keyword", "index": None}}},
            "mapper_parsing_exception",
            "[index] on mapper [t] of type [keyword] must not have a [null] value",
        ),
        (
            {"properties": {"t": {"type": "keyword", "boost": 2}}},
            "mapper_parsing_exception",
            "Unknown parameter [boost] on mapper [t]",
        ),
        (
            {"properties": {"t": {"type": "keyword", "index": "yes"}}},
            "illegal_argument_exception",
            "Failed to parse value [yes] as only [true] or [false] are allowed.",
        ),
        (
            {"properties": {"t": {"type": "keyword", "ignore_above": -1}}},
            "mapper_parsing_exception",
            "[ignore_above] must be positive, got [-1]",
        ),
        (
            {"properties": {"t": {"type": "keyword", "ignore_above": "ten"}}},
            "number_format_exception",
            'For input string: "ten"',
        ),
        (
            {
                "properties": {
                    "t": {"type": "text", "fields": {"a": {"type": "keyword", "fields": {"b": {"type": "keyword"}}}}}
                }
            },
            "illegal_argument_exception",
            "Encountered a multi-field [a] which itself contains a multi-field. "
            "Defining chained multi-fields is not supported.",
        ),
        (
            {"properties": {"t": {"type": "text", "fields": {"a.b": {"type": "keyword"}}}}},
            "mapper_parsing_exception",
            "Field name [a.b] which is a multi field of [t] cannot contain '.'",
        ),
        (
            {"properties": {"t": {"type": "text", "fields": {"o": {"type": "object"}}}}},
            "mapper_parsing_exception",
            "Type [object] cannot be used in multi field",
        ),
        (
            {"properties": {"t": {"type": "text", "fields": {"o": {"index": False}}}}},
            "mapper_parsing_exception",
            "no type specified for property [o]",
        ),
        (
            {"properties": {"o": {"properties": {}, "foo": "bar"}}},
            "mapper_parsing_exception",
            "Mapping definition for [o] has unsupported parameters:  [foo : bar]",
        ),
        (
            {"foo": "bar", "properties": {}},
            "mapper_parsing_exception",
            "Root mapping definition has unsupported parameters:  [foo : bar]",
        ),
        ({"properties": "nope"}, "parse_exception", "properties must be a map type"),
        (
            {"properties": {"a": "keyword"}},
            "mapper_parsing_exception",
            "Expected map for property [fields] on field [a] but got a class java.lang.String",
        ),
        ({"dynamic": "sometimes"}, "illegal_argument_exception", "Could not convert [dynamic.dynamic] to boolean"),
        ({"date_detection": "maybe"}, "illegal_argument_exception", "Could not convert [date_detection] to boolean"),
        (
            {"properties": {"n": {"type": "byte", "null_value": 300}}},
            "illegal_argument_exception",
            "Value [300] is out of range for a byte",
        ),
        (
            {"properties": {"n": {"type": "integer", "null_value": 1.5}}},
            "illegal_argument_exception",
            "Value [1.5] has a decimal part",
        ),
        (
            {"properties": {"t": {"type": "text", "meta": {"a": 1}}}},
            "mapper_parsing_exception",
            "[meta] values can only be strings, but got Integer[1] for field [t]",
        ),
        (
            {"properties": {"d": {"type": "date", "format": 5}}},
            "illegal_argument_exception",
            "Invalid format: [5]: expected string value",
        ),
    ],
)
def test_mapping_errors(body, inner_type, reason):
    err = mapping_error(body)
    assert err.body["error"]["type"] == "mapper_parsing_exception"
    assert err.body["error"]["reason"] == f"Failed to parse mapping: {reason}"
    assert err.body["error"]["caused_by"]["type"] == inner_type
    assert err.body["error"]["caused_by"]["reason"] == reason


def test_nested_cause_of_a_bad_dynamic_value():
    err = mapping_error({"dynamic": "sometimes"})
    assert err.body["error"]["caused_by"]["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "Failed to parse value [sometimes] as only [true] or [false] are allowed.",
    }


def test_date_null_value_must_parse_with_the_field_format():
    err = mapping_error({"properties": {"born": {"type": "date", "format": "yyyy-MM-dd", "null_value": "01/02/2020"}}})
    assert err.body["error"]["caused_by"]["reason"] == (
        "Error parsing [null_value] on field [born]: failed to parse date field [01/02/2020] with format [yyyy-MM-dd]"
    )


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"properties": {"c": {"type": "flattened"}}}, "[flattened] field type (field [c])"),
        ({"properties": {"loc": {"type": "geo_point"}}}, "[geo_point] field type (field [loc])"),
        (
            {"properties": {"p": {"type": "scaled_float", "scaling_factor": 10}}},
            "[scaled_float] field type (field [p])",
        ),
        (
            {"properties": {"t": {"type": "text", "search_quote_analyzer": "english"}}},
            "parameter [search_quote_analyzer] on mapper [t] of type [text]",
        ),
        (
            {"properties": {"t": {"type": "text", "term_vector": "yes"}}},
            "parameter [term_vector] on mapper [t] of type [text]",
        ),
        (
            {"properties": {"t": {"type": "keyword", "normalizer": "lowercase"}}},
            "parameter [normalizer] on mapper [t] of type [keyword]",
        ),
        ({"dynamic": "runtime"}, "[dynamic: runtime]"),
        ({"properties": {"o": {"dynamic": "runtime", "properties": {}}}}, "[dynamic: runtime] (on [o])"),
        (
            {"dynamic_templates": [{"s": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}]},
            "[dynamic_templates]",
        ),
        ({"_source": {"enabled": False}}, "[_source]"),
        ({"_source": {"excludes": ["x"]}}, "[_source]"),
        ({"runtime": {"r": {"type": "keyword"}}}, "[runtime]"),
        ({"properties": {"d": {"type": "date", "format": "MMM dd, yyyy"}}}, "date format [MMM dd, yyyy]"),
        ({"properties": {"d": {"type": "date", "format": "strict_weekyear_week"}}}, "[strict_weekyear_week]"),
    ],
)
def test_unsupported_features_are_rejected_clearly(body, fragment):
    err = mapping_error(body)
    reason = err.body["error"]["caused_by"]["reason"]
    assert fragment in reason and "not supported" in reason
    assert err.body["error"]["reason"] == f"Failed to parse mapping: {reason}"
