"""``dense_vector`` mappings: GET _mapping output, defaults, ES's validation messages, merges, and
document values (parsing, errors with ES's reasons, dims taken from the first vector)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from retrievo.errors import BadRequestError
from retrievo.index.documents import parse_document
from retrievo.index.field_types import (
    FIELD_TYPES,
    UNSUPPORTED_FIELD_TYPES,
    MappingUpdate,
    ValueParseError,
    VectorValueError,
    dynamic_dense_vector,
)
from retrievo.index.mappings import Mappings
from retrievo.index.vectors.options import IndexOptions


def parse(properties: dict) -> Mappings:
    return Mappings.from_json({"properties": properties})


def field_json(definition: dict) -> dict:
    return parse({"v": definition}).to_json()["properties"]["v"]


def mapping_error(definition: dict) -> BadRequestError:
    with pytest.raises(BadRequestError) as info:
        parse({"v": definition})
    assert info.value.status_code == 400
    return info.value


def where() -> str:
    return "1:1"


# ------------------------------------------------------------------------------- registration


def test_dense_vector_is_a_supported_type():
    assert "dense_vector" in FIELD_TYPES
    assert "dense_vector" not in UNSUPPORTED_FIELD_TYPES


# ------------------------------------------------------------------------------- GET _mapping


def test_small_float_field_shows_what_elasticsearch_shows():
    assert field_json({"type": "dense_vector", "dims": 3}) == {
        "type": "dense_vector",
        "dims": 3,
        "index": True,
        "similarity": "cosine",
        "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100},
    }


def test_from_384_dims_the_default_is_int8_hnsw_with_oversample_3():
    """ES picks bbq_hnsw here; retrievo (no BBQ) keeps int8_hnsw with BBQ's default oversample."""
    body = field_json({"type": "dense_vector", "dims": 384})
    assert body["index_options"] == {
        "type": "int8_hnsw",
        "m": 16,
        "ef_construction": 100,
        "rescore_vector": {"oversample": 3.0},
    }
    assert field_json({"type": "dense_vector", "dims": 383})["index_options"] == {
        "type": "int8_hnsw",
        "m": 16,
        "ef_construction": 100,
    }


def test_byte_fields_have_no_default_index_options():
    assert field_json({"type": "dense_vector", "dims": 4, "element_type": "byte"}) == {
        "type": "dense_vector",
        "element_type": "byte",
        "dims": 4,
        "index": True,
        "similarity": "cosine",
    }


def test_unindexed_field_shows_index_false_only():
    assert field_json({"type": "dense_vector", "dims": 4, "index": False}) == {
        "type": "dense_vector",
        "dims": 4,
        "index": False,
    }


def test_without_dims_index_options_wait_for_the_first_vector():
    assert field_json({"type": "dense_vector"}) == {"type": "dense_vector", "index": True, "similarity": "cosine"}


@pytest.mark.parametrize(
    "options, shown",
    [
        ({"type": "hnsw"}, {"type": "hnsw", "m": 16, "ef_construction": 100}),
        ({"type": "hnsw", "m": 32, "ef_construction": 200}, {"type": "hnsw", "m": 32, "ef_construction": 200}),
        ({"type": "flat"}, {"type": "flat"}),
        ({"type": "int8_flat"}, {"type": "int8_flat"}),
        ({"type": "int8_flat", "confidence_interval": 0.95}, {"type": "int8_flat", "confidence_interval": 0.95}),
        ({"type": "int4_flat"}, {"type": "int4_flat", "confidence_interval": 0.0}),
        (
            {"type": "int4_hnsw", "m": "24"},
            {"type": "int4_hnsw", "m": 24, "ef_construction": 100, "confidence_interval": 0.0},
        ),
        (
            {"type": "int8_hnsw", "rescore_vector": {"oversample": 2}},
            {"type": "int8_hnsw", "m": 16, "ef_construction": 100, "rescore_vector": {"oversample": 2.0}},
        ),
        (
            {"type": "int8_hnsw", "rescore_vector": {"oversample": 0}},
            {"type": "int8_hnsw", "m": 16, "ef_construction": 100, "rescore_vector": {"oversample": 0.0}},
        ),
    ],
)
def test_index_options_round_trip(options, shown):
    body = field_json({"type": "dense_vector", "dims": 8, "index_options": options})
    assert body["index_options"] == shown
    again = field_json(copy.deepcopy(body))
    assert again == body


def test_full_definition_round_trips_and_exposes_properties():
    definition = {
        "type": "dense_vector",
        "element_type": "byte",
        "dims": 16,
        "index": True,
        "similarity": "l2_norm",
        "index_options": {"type": "flat"},
        "meta": {"unit": "px"},
    }
    mappings = parse({"v": copy.deepcopy(definition)})
    assert mappings.to_json()["properties"]["v"] == definition
    field = mappings.field("v")
    assert (field.dims, field.element_type, field.similarity, field.index) == (16, "byte", "l2_norm", True)
    assert field.index_options == IndexOptions("flat")


def test_explicit_float_element_type_is_not_echoed():
    assert "element_type" not in field_json({"type": "dense_vector", "dims": 3, "element_type": "float"})


# ------------------------------------------------------------------------------- mapping errors


@pytest.mark.parametrize(
    "definition, error_type, reason",
    [
        (
            {"type": "dense_vector", "dims": 5000},
            "mapper_parsing_exception",
            "The number of dimensions should be in the range [1, 4096] but was [5000]",
        ),
        (
            {"type": "dense_vector", "dims": 0},
            "mapper_parsing_exception",
            "The number of dimensions should be in the range [1, 4096] but was [0]",
        ),
        (
            {"type": "dense_vector", "dims": "3"},
            "mapper_parsing_exception",
            "Property [dims] on field [v] must be an integer but got [3]",
        ),
        (
            {"type": "dense_vector", "dims": 3.0},
            "mapper_parsing_exception",
            "Property [dims] on field [v] must be an integer but got [3.0]",
        ),
        (
            {"type": "dense_vector", "dims": 3, "similarity": "euclid"},
            "mapper_parsing_exception",
            "Unknown value [euclid] for field [similarity] - accepted values are "
            "[l2_norm, cosine, dot_product, max_inner_product]",
        ),
        (
            {"type": "dense_vector", "dims": 3, "element_type": "double"},
            "mapper_parsing_exception",
            "invalid element_type [double]; available types are [byte, float, bit]",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"m": 16}},
            "mapper_parsing_exception",
            "[index_options] requires field [type] to be configured",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "ivf"}},
            "mapper_parsing_exception",
            "Unknown vector index options type [ivf] for field [v]",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "hnsw", "m": 0}},
            "illegal_argument_exception",
            "maxConn must be positive and less than or equal to 512; maxConn=0",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "hnsw", "ef_construction": 5000}},
            "illegal_argument_exception",
            "beamWidth must be positive and less than or equal to 3200; beamWidth=5000",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "hnsw", "confidence_interval": 0.9}},
            "mapper_parsing_exception",
            "Mapping definition for [v] has unsupported parameters:  [confidence_interval : 0.9]",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "flat", "rescore_vector": {"oversample": 2}}},
            "mapper_parsing_exception",
            "Mapping definition for [v] has unsupported parameters:  [rescore_vector : {oversample=2}]",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "int8_hnsw", "confidence_interval": 0.5}},
            "illegal_argument_exception",
            "confidenceInterval must be between 0.9 and 1.0; confidenceInterval=0.5",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "int8_hnsw", "rescore_vector": {}}},
            "illegal_argument_exception",
            "Invalid rescore_vector value. Missing required field oversample",
        ),
        (
            {
                "type": "dense_vector",
                "dims": 3,
                "index_options": {"type": "int8_flat", "rescore_vector": {"oversample": 0.5}},
            },
            "illegal_argument_exception",
            "oversample must be greater than 1 or exactly 0",
        ),
        (
            {
                "type": "dense_vector",
                "dims": 3,
                "index_options": {"type": "int8_flat", "rescore_vector": {"oversample": 11}},
            },
            "illegal_argument_exception",
            "oversample must be less than or equal to 10",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index_options": {"type": "int4_hnsw"}},
            "illegal_argument_exception",
            "int4_hnsw only supports even dimensions; provided=3",
        ),
        (
            {"type": "dense_vector", "dims": 4, "element_type": "byte", "index_options": {"type": "int8_hnsw"}},
            "illegal_argument_exception",
            "[element_type] cannot be [byte] when using index type [int8_hnsw]",
        ),
        (
            {"type": "dense_vector", "dims": 3, "similarity": None},
            "illegal_argument_exception",
            "Field [index] requires field [similarity] to be configured and not null",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index": False, "similarity": "cosine"},
            "illegal_argument_exception",
            "Field [similarity] can only be specified for a field of type [dense_vector] when it is indexed",
        ),
        (
            {"type": "dense_vector", "dims": 3, "index": False, "index_options": {"type": "hnsw"}},
            "illegal_argument_exception",
            "Field [index_options] can only be specified for a field of type [dense_vector] when it is indexed",
        ),
        (
            {"type": "dense_vector", "dims": 3, "doc_values": True},
            "mapper_parsing_exception",
            "unknown parameter [doc_values] on mapper [v] of type [dense_vector]",
        ),
    ],
)
def test_mapping_errors_match_elasticsearch(definition, error_type, reason):
    err = mapping_error(definition)
    assert err.body["error"]["type"] == "mapper_parsing_exception"
    assert err.body["error"]["reason"] == f"Failed to parse mapping: {reason}"
    assert err.body["error"]["caused_by"] == {"type": error_type, "reason": reason}


@pytest.mark.parametrize(
    "definition, fragment",
    [
        (
            {"type": "dense_vector", "dims": 64, "index_options": {"type": "bbq_hnsw"}},
            "[index_options] type [bbq_hnsw]",
        ),
        (
            {"type": "dense_vector", "dims": 64, "index_options": {"type": "bbq_flat"}},
            "[index_options] type [bbq_flat]",
        ),
        (
            {"type": "dense_vector", "dims": 64, "index_options": {"type": "bbq_disk"}},
            "[index_options] type [bbq_disk]",
        ),
        ({"type": "dense_vector", "dims": 64, "element_type": "bit"}, "[element_type] [bit]"),
        ({"type": "dense_vector", "dims": 64, "element_type": "bfloat16"}, "[element_type] [bfloat16]"),
        ({"type": "dense_vector", "dims": 3, "copy_to": "x"}, "parameter [copy_to] on mapper [v]"),
    ],
)
def test_unimplemented_options_are_rejected_as_not_supported(definition, fragment):
    reason = mapping_error(definition).body["error"]["caused_by"]["reason"]
    assert fragment in reason and "not supported by retrievo" in reason


def test_dense_vector_cannot_be_a_multi_field():
    err = mapping_error({"type": "keyword", "fields": {"vec": {"type": "dense_vector", "dims": 3}}})
    assert err.body["error"]["caused_by"]["reason"] == "Field [vec] of type [dense_vector] can't be used in multifields"


# ------------------------------------------------------------------------------- merges


def test_dims_can_be_set_once_but_not_changed():
    base = parse({"v": {"type": "dense_vector"}})
    updated = base.merge({"properties": {"v": {"type": "dense_vector", "dims": 3}}})
    assert updated.field("v").dims == 3
    with pytest.raises(BadRequestError) as info:
        updated.merge({"properties": {"v": {"type": "dense_vector", "dims": 4}}})
    assert info.value.body["error"]["reason"] == (
        "Mapper for [v] conflicts with existing mapper:\n\tCannot update parameter [dims] from [3] to [4]"
    )


def test_index_options_follow_elasticsearchs_updatable_rules():
    base = parse({"v": {"type": "dense_vector", "dims": 8, "index_options": {"type": "hnsw", "m": 16}}})
    denser = base.merge(
        {"properties": {"v": {"type": "dense_vector", "dims": 8, "index_options": {"type": "int8_hnsw", "m": 32}}}}
    )
    assert denser.field("v").index_options == IndexOptions("int8_hnsw", 32, 100)
    with pytest.raises(BadRequestError) as info:
        base.merge({"properties": {"v": {"type": "dense_vector", "dims": 8, "index_options": {"type": "flat"}}}})
    assert info.value.body["error"]["reason"] == (
        "Mapper for [v] conflicts with existing mapper:\n\tCannot update parameter [index_options] from "
        "[{type=hnsw, m=16, ef_construction=100}] to [{type=flat}]"
    )
    with pytest.raises(BadRequestError):
        base.merge(
            {"properties": {"v": {"type": "dense_vector", "dims": 8, "index_options": {"type": "hnsw", "m": 8}}}}
        )
    flat = parse({"v": {"type": "dense_vector", "dims": 8, "index_options": {"type": "flat"}}})
    assert (
        flat.merge({"properties": {"v": {"type": "dense_vector", "dims": 8, "index_options": {"type": "hnsw"}}}})
        .field("v")
        .index_options.type
        == "hnsw"
    )


def test_similarity_cannot_change():
    base = parse({"v": {"type": "dense_vector", "dims": 3, "similarity": "cosine"}})
    with pytest.raises(BadRequestError) as info:
        base.merge({"properties": {"v": {"type": "dense_vector", "dims": 3, "similarity": "l2_norm"}}})
    assert "Cannot update parameter [similarity] from [cosine] to [l2_norm]" in info.value.body["error"]["reason"]


# ------------------------------------------------------------------------------- document values


def vector_field(**params):
    return parse({"v": {"type": "dense_vector", **params}}).field("v")


def test_float_values_become_float32_arrays_as_given():
    field = vector_field(dims=3, similarity="l2_norm")
    value = field.parse_value([1, 2.5, -0.1], where)
    assert value.dtype == np.float32 and value.tolist() == np.array([1, 2.5, -0.1], dtype=np.float32).tolist()
    assert field.parse_value(None, where) is None


def test_cosine_values_are_not_normalised_by_the_parser():
    """Normalisation is the vector index's job (it keeps ES's 'already unit' tolerance)."""
    assert vector_field(dims=2).parse_value([3, 4], where).tolist() == [3.0, 4.0]


def test_byte_values_accept_arrays_and_hex_strings():
    field = vector_field(dims=3, element_type="byte", similarity="dot_product")
    assert field.parse_value([-128, 0, 127], where).tolist() == [-128.0, 0.0, 127.0]
    assert field.parse_value([1.0, 2.0, 3.0], where).tolist() == [1.0, 2.0, 3.0]
    assert field.parse_value("80007f", where).tolist() == [-128.0, 0.0, 127.0]


def value_error(field, value) -> VectorValueError:
    with pytest.raises(VectorValueError) as info:
        field.parse_value(value, where)
    return info.value


@pytest.mark.parametrize(
    "params, value, error_type, reason, element, at_end",
    [
        (
            dict(dims=4),
            [1, 2, 3],
            "illegal_argument_exception",
            "The [dense_vector] field [v] in doc [document with id '1'] has a different number of dimensions [3] "
            "than defined in the mapping [4]",
            None,
            True,
        ),
        (
            dict(dims=2),
            [1, 2, 3],
            "illegal_argument_exception",
            "The [dense_vector] field [v] in doc [document with id '1'] has more dimensions than defined in the "
            "mapping [2]",
            2,
            False,
        ),
        (
            dict(dims=3),
            [1, "x", 3],
            "parsing_exception",
            "Failed to parse object: expecting token of type [VALUE_NUMBER] but found [VALUE_STRING]",
            1,
            False,
        ),
        (
            dict(dims=3),
            [1, True, 3],
            "parsing_exception",
            "Failed to parse object: expecting token of type [VALUE_NUMBER] but found [VALUE_BOOLEAN]",
            1,
            False,
        ),
        (
            dict(dims=3),
            [1, None, 3],
            "parsing_exception",
            "Failed to parse object: expecting token of type [VALUE_NUMBER] but found [VALUE_NULL]",
            1,
            False,
        ),
        (
            dict(dims=3),
            [[1, 2, 3]],
            "parsing_exception",
            "Failed to parse object: expecting token of type [VALUE_NUMBER] but found [START_ARRAY]",
            0,
            False,
        ),
        (
            dict(dims=3),
            [0, 0, 0],
            "illegal_argument_exception",
            "The [cosine] similarity does not support vectors with zero magnitude. Preview of invalid vector: "
            "[0.0, 0.0, 0.0]",
            None,
            True,
        ),
        (
            dict(dims=3, similarity="dot_product"),
            [0.5, 0.5, 0.5],
            "illegal_argument_exception",
            "The [dot_product] similarity can only be used with unit-length vectors. Preview of invalid vector: "
            "[0.5, 0.5, 0.5]",
            None,
            True,
        ),
        (
            dict(dims=6, similarity="dot_product"),
            [1, 1, 1, 1, 1, 1],
            "illegal_argument_exception",
            "The [dot_product] similarity can only be used with unit-length vectors. Preview of invalid vector: "
            "[1.0, 1.0, 1.0, 1.0, 1.0, ...]",
            None,
            True,
        ),
        (
            dict(dims=3, similarity="l2_norm"),
            [1e39, 0, 0],
            "illegal_argument_exception",
            "element_type [float] vectors do not support infinite values but found [Infinity] at dim [0]; "
            "Preview of invalid vector: [Infinity, 0.0, 0.0]",
            None,
            True,
        ),
        (
            dict(dims=3, element_type="byte"),
            [1, 2, 300],
            "illegal_argument_exception",
            "element_type [byte] vectors only support integers between [-128, 127] but found [300] at dim [2];",
            2,
            False,
        ),
        (
            dict(dims=3, element_type="byte"),
            [1, 2.5, 3],
            "illegal_argument_exception",
            "element_type [byte] vectors only support non-decimal values but found decimal value [2.5] at dim [1];",
            1,
            False,
        ),
        (
            dict(dims=3, element_type="byte"),
            [0, 0, 0],
            "illegal_argument_exception",
            "The [cosine] similarity does not support vectors with zero magnitude. Preview of invalid vector: "
            "[0, 0, 0]",
            None,
            True,
        ),
        (
            dict(dims=3, element_type="byte"),
            "0a0b",
            "illegal_argument_exception",
            "The [dense_vector] field [v] in doc [document with id '1'] has a different number of dimensions [2] "
            "than defined in the mapping [3]",
            None,
            False,
        ),
        (
            dict(dims=3, element_type="byte"),
            "0a0b0",
            "illegal_argument_exception",
            "string length not even: 5",
            None,
            False,
        ),
        (
            dict(dims=3, element_type="byte"),
            "0a0bzz",
            "number_format_exception",
            'not a hexadecimal digit: "z" = 122',
            None,
            False,
        ),
        (
            dict(dims=3),
            "abc",
            "parsing_exception",
            "Unsupported type [VALUE_STRING] for provided value [abc]",
            None,
            False,
        ),
        (dict(dims=3), 7, "parsing_exception", "Unsupported type [VALUE_NUMBER] for provided value [7]", None, False),
    ],
)
def test_document_value_errors_carry_elasticsearchs_reasons(params, value, error_type, reason, element, at_end):
    err = value_error(vector_field(**params), value)
    assert err.cause_for("1") == {"type": error_type, "reason": reason}
    assert (err.element, err.at_end) == (element, at_end)
    assert isinstance(err, ValueParseError) and not err.malformed


def test_unit_length_tolerance_for_dot_product():
    field = vector_field(dims=2, similarity="dot_product")
    assert field.parse_value([0.6, 0.8002], where) is not None  # |v|² - 1 = 3.2e-4 < 1e-3
    value_error(field, [0.6, 0.81])  # |v|² - 1 = 1.6e-2


def test_unindexed_fields_skip_similarity_checks():
    field = vector_field(dims=3, index=False)
    assert field.parse_value([0, 0, 0], where).tolist() == [0.0, 0.0, 0.0]


def test_missing_dims_come_from_the_first_vector():
    field = vector_field()
    with pytest.raises(MappingUpdate) as info:
        field.parse_value([0.1] * 400, where)
    updated = info.value.mapping
    assert updated.dims == 400 and updated.path == "v"
    assert updated.to_json() == {
        "type": "dense_vector",
        "dims": 400,
        "index": True,
        "similarity": "cosine",
        "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100, "rescore_vector": {"oversample": 3.0}},
    }
    assert updated.parse_value([0.1] * 400, where).shape == (400,)
    merged = parse({"v": {"type": "dense_vector"}}).with_mappers([updated])
    assert merged.field("v").dims == 400


def test_missing_dims_keep_explicit_index_options_and_check_them():
    field = vector_field(index_options={"type": "int4_hnsw"})
    err = value_error(field, [1.0, 2.0, 3.0])
    assert err.cause_for("1") == {
        "type": "illegal_argument_exception",
        "reason": "int4_hnsw only supports even dimensions; provided=3",
    }
    with pytest.raises(MappingUpdate) as info:
        field.parse_value([1.0, 2.0], where)
    assert info.value.mapping.index_options.type == "int4_hnsw"


def test_too_many_dimensions_for_a_dims_less_field():
    err = value_error(vector_field(), [0.5] * 4097)
    assert err.cause_for("1")["reason"] == "The number of dimensions should be in the range [1, 4096] but was [4097]"


def test_parse_document_reports_vector_errors_as_document_parsing_exceptions():
    """Until documents.py special-cases VectorValueError the generic field wrapper is used; the
    cause is ES's in any case."""
    mappings = parse({"v": {"type": "dense_vector", "dims": 3}})
    assert parse_document(mappings, {"v": [1, 2, 3]}, "1").values["v"][0].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(BadRequestError) as info:
        parse_document(mappings, {"v": [1, 2]}, "1")
    assert info.value.body["error"]["type"] == "document_parsing_exception"
    assert info.value.body["error"]["caused_by"]["type"] == "illegal_argument_exception"


# ------------------------------------------------------------------------------- dynamic mapping


def test_dynamic_vector_rule():
    assert dynamic_dense_vector([0.5] * 128)
    assert dynamic_dense_vector([0.5] * 4096)
    assert not dynamic_dense_vector([0.5] * 127)
    assert not dynamic_dense_vector([0.5] * 4097)
    assert not dynamic_dense_vector([0.5] * 127 + [1])  # an integer maps to long
    assert not dynamic_dense_vector(["0.5"] * 200)
    assert dynamic_dense_vector(["0.5"] * 200, numeric_detection=True)
    assert not dynamic_dense_vector(["5"] * 200, numeric_detection=True)
