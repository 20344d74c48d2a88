"""parse_document against explicit mappings: typed values, ES's errors, and no side effects."""

from __future__ import annotations

import copy
import json
import struct
from datetime import UTC, datetime

import pytest

from retrievo.errors import BadRequestError, error_reason
from retrievo.index.documents import ParsedDocument, parse_document
from retrievo.index.mappings import Mappings

MAPPING = {
    "properties": {
        "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "code": {"type": "keyword", "fields": {"num": {"type": "long"}, "txt": {"type": "text"}}},
        "tag": {"type": "keyword", "ignore_above": 5, "null_value": "none"},
        "l": {"type": "long"},
        "i": {"type": "integer"},
        "s": {"type": "short"},
        "b": {"type": "byte"},
        "d": {"type": "double"},
        "f": {"type": "float"},
        "h": {"type": "half_float"},
        "strict_n": {"type": "integer", "coerce": False},
        "lenient": {"type": "integer", "ignore_malformed": True},
        "nv": {"type": "integer", "null_value": 42},
        "when": {"type": "date"},
        "day": {"type": "date", "format": "yyyy-MM-dd", "null_value": "2000-01-01"},
        "ok": {"type": "boolean"},
        "user": {"properties": {"name": {"type": "keyword"}, "age": {"type": "integer"}}},
        "raw_blob": {"type": "object", "enabled": False},
    }
}


def mappings() -> Mappings:
    return Mappings.from_json(MAPPING)


def values(doc: dict) -> dict:
    return parse_document(mappings(), doc, "1").values


def failure(doc: dict, doc_id: str = "1", m: Mappings | None = None) -> BadRequestError:
    with pytest.raises(BadRequestError) as info:
        parse_document(m or mappings(), doc, doc_id)
    assert info.value.status_code == 400
    return info.value


def column(doc: dict, token: str) -> int:
    """1-based UTF-8 column of ``token`` in the compact JSON of ``doc``, computed independently."""
    compact = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return compact.index(token.encode()) + 1


def float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def epoch_millis(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


# ------------------------------------------------------------------------------- typed values


def test_typed_values_per_type():
    got = values(
        {
            "title": "Hello",
            "l": "12",
            "i": 7.9,
            "s": "-3.5",
            "b": "127",
            "d": 0.1,
            "f": 0.1,
            "h": 0.1,
            "when": "2020-05-06T07:08:09.010Z",
            "day": "2021-02-03",
            "ok": "false",
            "user": {"name": "ann", "age": "33"},
        }
    )
    assert got == {
        "title": ["Hello"],
        "title.raw": ["Hello"],
        "l": [12],
        "i": [7],
        "s": [-3],
        "b": [127],
        "d": [0.1],
        "f": [float32(0.1)],
        "h": [struct.unpack("e", struct.pack("e", 0.1))[0]],
        "when": [epoch_millis(2020, 5, 6, 7, 8, 9) + 10],
        "day": [epoch_millis(2021, 2, 3)],
        "ok": [False],
        "user.name": ["ann"],
        "user.age": [33],
    }
    assert got["f"][0] != 0.1 and isinstance(got["l"][0], int) and isinstance(got["d"][0], float)


def test_multi_fields_parse_the_parents_raw_value_with_their_own_type():
    assert values({"code": "42"}) == {"code": ["42"], "code.num": [42], "code.txt": ["42"]}
    assert values({"code": [7, 8.5]}) == {"code": ["7", "8.5"], "code.num": [7, 8], "code.txt": ["7", "8.5"]}
    err = failure({"code": "not a number"})
    assert error_reason(err).endswith(
        "failed to parse field [code.num] of type [long] in document with id '1'. "
        "Preview of field's value: 'not a number'"
    )


def test_scalars_into_keyword_and_text_become_their_json_text():
    assert values({"user": {"name": True}})["user.name"] == ["true"]
    assert values({"user": {"name": 1.5}})["user.name"] == ["1.5"]


def test_arrays_flatten_at_any_depth_and_keep_order():
    got = values({"l": [1, [2, [3, "4"]], []], "user": [{"name": "a"}, [{"name": "b"}]], "title": ["x", ["y"]]})
    assert got["l"] == [1, 2, 3, 4]
    assert got["user.name"] == ["a", "b"]
    assert got["title"] == ["x", "y"] and got["title.raw"] == ["x", "y"]


def test_dotted_keys_address_object_fields():
    assert values({"user.name": "x", "user": {"age": 5}}) == {"user.name": ["x"], "user.age": [5]}


def test_nulls_use_null_value_or_index_nothing():
    got = values({"tag": None, "nv": None, "l": None, "day": None, "title": None, "when": [None, "2020"], "ok": None})
    assert got == {"tag": ["none"], "nv": [42], "day": [epoch_millis(2000, 1, 1)], "when": [epoch_millis(2020, 1, 1)]}
    assert values({"nv": ""}) == {"nv": [42]}  # an empty string is null for a coercing number field


def test_boolean_values():
    assert values({"ok": [True, False, "true", "false", ""]})["ok"] == [True, False, True, False, False]


def test_ignore_above_drops_long_keywords_and_records_ignored():
    parsed = parse_document(mappings(), {"tag": ["short", "too long", "😀😀😀"]}, "1")
    # Java counts UTF-16 units: three emoji are 6 > 5
    assert parsed.values == {"tag": ["short"]} and parsed.ignored == ("tag",)


def test_ignore_malformed_skips_bad_values_but_not_objects():
    parsed = parse_document(mappings(), {"lenient": ["x", 3]}, "1")
    assert parsed.values == {"lenient": [3]} and parsed.ignored == ("lenient",)
    err = failure({"lenient": {"a": 1}})
    assert err.body["error"]["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "Cannot parse object as number",
    }


def test_disabled_objects_are_not_parsed():
    parsed = parse_document(mappings(), {"raw_blob": {"anything": [1, {"x": "y"}], "l": "zzz"}}, "1")
    assert parsed.values == {} and parsed.new_mappings is None


# ------------------------------------------------------------------------------- value errors


def _field_error(
    doc: dict, path: str, type_name: str, preview: str, token: str, cause: dict, doc_id: str = "1"
) -> None:
    err = failure(doc, doc_id)
    reason = (
        f"[1:{column(doc, token)}] failed to parse field [{path}] of type [{type_name}] in document with "
        f"id '{doc_id}'. Preview of field's value: '{preview}'"
    )
    assert err.body == {
        "error": {
            "root_cause": [{"type": "document_parsing_exception", "reason": reason}],
            "type": "document_parsing_exception",
            "reason": reason,
            "caused_by": cause,
        },
        "status": 400,
    }


def test_long_from_garbage_is_es_error_body():
    _field_error(
        {"title": "t", "l": "abc"},
        "l",
        "long",
        "abc",
        '"abc"',
        {"type": "illegal_argument_exception", "reason": 'For input string: "abc"'},
    )


@pytest.mark.parametrize(
    "doc, path, type_name, preview, token, cause",
    [
        (
            {"b": 300},
            "b",
            "byte",
            "300",
            "300",
            ("illegal_argument_exception", "Value [300] is out of range for a byte"),
        ),
        (
            {"b": "300"},
            "b",
            "byte",
            "300",
            '"300"',
            ("illegal_argument_exception", "Value [300] is out of range for a byte"),
        ),
        (
            {"s": "40000"},
            "s",
            "short",
            "40000",
            '"40000"',
            ("illegal_argument_exception", "Value [40000] is out of range for a short"),
        ),
        (
            {"i": "3e10"},
            "i",
            "integer",
            "3e10",
            '"3e10"',
            ("illegal_argument_exception", "Value [3e10] is out of range for an integer"),
        ),
        (
            {"i": 3000000000},
            "i",
            "integer",
            "3000000000",
            "3000000000",
            ("input_coercion_exception", "Numeric value (3000000000) out of range of int (-2147483648 - 2147483647)"),
        ),
        (
            {"l": "1e20"},
            "l",
            "long",
            "1e20",
            '"1e20"',
            ("illegal_argument_exception", "Value [1e20] is out of range for a long"),
        ),
        ({"i": "x1"}, "i", "integer", "x1", '"x1"', ("number_format_exception", 'For input string: "x1"')),
        (
            {"d": "NaN"},
            "d",
            "double",
            "NaN",
            '"NaN"',
            ("illegal_argument_exception", "[double] supports only finite values, but got [NaN]"),
        ),
        (
            {"f": 1e39},
            "f",
            "float",
            "1.0E39",
            "1e+39",
            ("illegal_argument_exception", "[float] supports only finite values, but got [Infinity]"),
        ),
        (
            {"h": 70000},
            "h",
            "half_float",
            "70000",
            "70000",
            ("illegal_argument_exception", "[half_float] supports only finite values, but got [70000.0]"),
        ),
        (
            {"strict_n": "5"},
            "strict_n",
            "integer",
            "5",
            '"5"',
            ("illegal_argument_exception", "Integer value passed as String"),
        ),
        (
            {"strict_n": 5.5},
            "strict_n",
            "integer",
            "5.5",
            "5.5",
            ("illegal_argument_exception", "5.5 cannot be converted to Integer without data loss"),
        ),
        (
            {"l": True},
            "l",
            "long",
            "true",
            "true",
            (
                "x_content_parse_exception",
                "Current token (VALUE_TRUE) not numeric, can not use numeric value accessors",
            ),
        ),
        (
            {"ok": "yes"},
            "ok",
            "boolean",
            "yes",
            '"yes"',
            ("illegal_argument_exception", "Failed to parse value [yes] as only [true] or [false] are allowed."),
        ),
        (
            {"ok": 1},
            "ok",
            "boolean",
            "1",
            "1",
            ("x_content_parse_exception", "Current token (VALUE_NUMBER_INT) not of boolean type"),
        ),
        (
            {"user": {"age": {"years": 3}}},
            "user.age",
            "integer",
            "{years=3}",
            '{"years"',
            ("illegal_argument_exception", "Cannot parse object as number"),
        ),
    ],
)
def test_value_errors(doc, path, type_name, preview, token, cause):
    _field_error(doc, path, type_name, preview, token, {"type": cause[0], "reason": cause[1]})


def test_object_into_keyword_reports_jackson_text_error_with_location():
    doc = {"title": "x", "user": {"name": {"first": "a", "last": "b"}}}
    col = column(doc, '{"first"')
    _field_error(
        doc,
        "user.name",
        "keyword",
        "{first=a, last=b}",
        '{"first"',
        {"type": "illegal_state_exception", "reason": f"Can't get text on a START_OBJECT at 1:{col}"},
    )


def test_bad_date_cause_chain():
    _field_error(
        {"when": "yesterday"},
        "when",
        "date",
        "yesterday",
        '"yesterday"',
        {
            "type": "illegal_argument_exception",
            "reason": "failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis]",
            "caused_by": {"type": "date_time_parse_exception", "reason": "Failed to parse with all enclosed parsers"},
        },
    )


def test_location_counts_utf8_bytes_and_array_positions():
    doc = {"title": "héllo wörld", "l": [1, 2, "bad"]}
    err = failure(doc)
    bad = column(doc, '"bad"')
    assert error_reason(err).startswith(f"[1:{bad}] failed to parse field [l]")
    assert bad == len('{"title":"héllo wörld","l":[1,2,'.encode()) + 1


def test_doc_id_is_quoted_in_the_message():
    err = failure({"l": "x"}, doc_id="abc-42")
    assert "in document with id 'abc-42'." in error_reason(err)


# ------------------------------------------------------------------------------- structural errors


def test_metadata_fields_are_refused_at_the_top_level_only():
    for name in ("_id", "_index", "_source", "_routing", "_version", "_seq_no", "_ignored"):
        err = failure({"title": "x", name: "1"})
        reason = (
            f"[1:{column({'title': 'x', name: '1'}, json.dumps(name))}] Field [{name}] is a metadata field and "
            "cannot be added inside a document. Use the index API request parameters."
        )
        assert err.body == {
            "error": {
                "root_cause": [{"type": "document_parsing_exception", "reason": reason}],
                "type": "document_parsing_exception",
                "reason": reason,
            },
            "status": 400,
        }
    # inside an object it is an ordinary (dynamic) field
    parsed = parse_document(mappings(), {"user": {"_id": "x"}}, "1")
    assert parsed.values["user._id"] == ["x"]


def test_concrete_value_into_an_object_field():
    doc = {"user": "bob"}
    err = failure(doc)
    bob = column(doc, '"bob"')
    assert err.body["error"]["type"] == "document_parsing_exception"
    assert error_reason(err) == (
        f"[1:{bob}] object mapping for [user] tried to parse field [user] as object, but found a concrete value"
    )


def test_dotted_key_through_a_leaf_field():
    err = failure({"title.sub": 1})
    assert error_reason(err).endswith(
        "failed to parse: Could not dynamically add mapping for field [title.sub]. "
        "Existing mapping for [title] must be of type object but found [text]."
    )
    assert err.body["error"]["caused_by"]["type"] == "illegal_argument_exception"


@pytest.mark.parametrize(
    "key, message",
    [
        ("", "field name cannot be an empty string"),
        ("a..b", "object field starting or ending with a [.] makes object resolution ambiguous: [a..b]"),
        (".a", "object field starting or ending with a [.] makes object resolution ambiguous: [.a]"),
        ("a. .b", "object field cannot contain only whitespace: ['a. .b']"),
    ],
)
def test_malformed_field_names(key, message):
    err = failure({key: 1})
    assert error_reason(err) == f"[1:2] failed to parse: {message}"
    assert err.body["error"]["caused_by"] == {"type": "illegal_argument_exception", "reason": message}


# ------------------------------------------------------------------------------- no side effects


def test_a_failing_document_changes_nothing():
    m = mappings()
    before = m.to_json()
    doc = {"brand_new": "x", "another": {"deep": 1}, "l": "not a long"}
    source = copy.deepcopy(doc)
    with pytest.raises(BadRequestError):
        parse_document(m, doc, "1")
    assert m.to_json() == before and m.field("brand_new") is None and doc == source


def test_successful_parse_leaves_inputs_untouched():
    m = mappings()
    before = m.to_json()
    doc = {"new_field": "value", "l": "5"}
    source = copy.deepcopy(doc)
    parsed = parse_document(m, doc, "9")
    assert isinstance(parsed, ParsedDocument) and parsed.doc_id == "9"
    assert m.to_json() == before and doc == source
    assert parsed.new_mappings is not None and parsed.new_mappings.field("new_field").type == "text"
    assert m.field("new_field") is None


def test_no_new_mappings_when_nothing_is_added():
    assert parse_document(mappings(), {"l": 1, "user": {"name": "x"}}, "1").new_mappings is None


def test_python_values_are_read_as_the_official_client_would_send_them():
    from decimal import Decimal
    from uuid import UUID

    when = datetime(2020, 5, 6, 7, 8, 9, 10_000, tzinfo=UTC)
    got = values({"when": when, "day": when.date(), "d": Decimal("2.5"), "user": {"name": UUID(int=1)}, "l": (1, 2)})
    assert got == {
        "when": [epoch_millis(2020, 5, 6, 7, 8, 9) + 10],
        "day": [epoch_millis(2020, 5, 6)],
        "d": [2.5],
        "user.name": ["00000000-0000-0000-0000-000000000001"],
        "l": [1, 2],
    }
    parsed = parse_document(Mappings.empty(), {"created": datetime(2021, 1, 2, 3, 4, 5)}, "1")
    assert parsed.new_mappings.field("created").type == "date"
    err = failure({"l": ["x", datetime(2020, 1, 1)], "i": "bad"})
    assert "failed to parse field [l] of type [long]" in error_reason(err)
