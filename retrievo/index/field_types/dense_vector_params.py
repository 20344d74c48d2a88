"""The mapping parameters of ``dense_vector`` (``element_type``, ``dims``, ``index``,
``similarity``, ``index_options``) and their combined validation, with ES's messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from retrievo.index.field_types.base import (
    MappingContext,
    MappingDefinitionError,
    ParamParser,
    ParamSpec,
    ValueParseError,
)
from retrievo.index.field_types.numeric import java_parse_double, to_float32
from retrievo.index.field_types.params import constant, meta_param, parse_bool, parse_int
from retrievo.index.vectors import messages as vector_messages
from retrievo.index.vectors.options import (
    DEFAULT_EF_CONSTRUCTION,
    DEFAULT_M,
    ELEMENT_TYPES,
    INDEX_TYPES,
    MAX_BEAM_WIDTH,
    MAX_DIMS,
    MAX_M,
    SIMILARITIES,
    UNSUPPORTED_ELEMENT_TYPES,
    UNSUPPORTED_INDEX_TYPES,
    IndexOptions,
    default_index_options,
)
from retrievo.java_text import java_str

__all__ = ["DENSE_VECTOR_PARAMS", "parse_index_options", "validate_dense_vector"]


def _java_class_name(value: Any) -> str:
    names = {
        str: "java.lang.String",
        bool: "java.lang.Boolean",
        int: "java.lang.Integer",
        float: "java.lang.Double",
        list: "java.util.ArrayList",
    }
    return "class " + names.get(type(value), "java.lang.Object")


def _check_not_multi_field(name: str, context: MappingContext) -> None:
    """``TypeParser.notInMultiFields``: a vector cannot be another field's multi-field."""
    if context.in_multi_field:
        raise MappingDefinitionError(f"Field [{name}] of type [dense_vector] can't be used in multifields")


def _parse_element_type(name: str, raw: Any, context: MappingContext) -> str:
    _check_not_multi_field(name, context)
    text = java_str(raw)
    if text in ELEMENT_TYPES:
        return text
    if text in UNSUPPORTED_ELEMENT_TYPES:
        raise MappingDefinitionError(
            f"[element_type] [{text}] on field [{name}] is not supported by retrievo (supported: [float, byte])"
        )
    raise MappingDefinitionError(f"invalid element_type [{text}]; available types are [byte, float, bit]")


def _element_type_default(params: Mapping[str, Any], explicit: frozenset[str], context: MappingContext) -> str:
    if context.in_multi_field:  # only ``type`` was given, so no parser saw the name
        raise MappingDefinitionError("A field of type [dense_vector] can't be used in multifields")
    return "float"


def _vector_param(parse: ParamParser) -> ParamParser:
    """Every dense_vector parameter parser first refuses a multi-field context (with the name)."""

    def checked(name: str, raw: Any, context: MappingContext) -> Any:
        _check_not_multi_field(name, context)
        return parse(name, raw, context)

    return checked


def _parse_dims(name: str, raw: Any, context: MappingContext) -> int:
    """ES accepts a JSON integer only (``o instanceof Integer``); the range is checked once the
    element type is known (:func:`validate_dense_vector`)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not -(2**31) <= raw < 2**31:
        raise MappingDefinitionError(f"Property [dims] on field [{name}] must be an integer but got [{java_str(raw)}]")
    return raw


def _parse_similarity(name: str, raw: Any, context: MappingContext) -> str | None:
    if raw is None:
        return None
    text = java_str(raw)
    if text not in SIMILARITIES:
        raise MappingDefinitionError(
            f"Unknown value [{text}] for field [similarity] - accepted values are [{', '.join(SIMILARITIES)}]"
        )
    return text


def _similarity_default(params: Mapping[str, Any], explicit: frozenset[str], context: MappingContext) -> str | None:
    return "cosine" if params["index"] else None


def _option_int(raw: Any, default: int) -> int:
    """``XContentMapValues.nodeIntegerValue``."""
    return default if raw is None else parse_int("", raw, MappingContext())


def _option_float(raw: Any) -> float:
    """``(float) XContentMapValues.nodeDoubleValue``: numbers, or strings through parseDouble."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise MappingDefinitionError(f'For input string: "{java_str(raw)}"', "number_format_exception")
    try:
        number = java_parse_double(raw) if isinstance(raw, str) else float(raw)
    except ValueParseError as failure:
        raise MappingDefinitionError(failure.cause["reason"], failure.cause["type"]) from None
    return to_float32(number)


def _parse_rescore_vector(raw: Any) -> float | None:
    """``RescoreVector.fromIndexOptions``: ``{"oversample": 1..10, or exactly 0}``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise MappingDefinitionError(
            f"rescore_vector should be a hash but was of type: {_java_class_name(raw)}", "parse_exception"
        )
    if raw.get("oversample") is None:
        raise MappingDefinitionError(
            "Invalid rescore_vector value. Missing required field oversample", "illegal_argument_exception"
        )
    oversample = _option_float(raw["oversample"])
    if oversample < 1 and oversample != 0:
        raise MappingDefinitionError("oversample must be greater than 1 or exactly 0", "illegal_argument_exception")
    if oversample > 10:
        raise MappingDefinitionError("oversample must be less than or equal to 10", "illegal_argument_exception")
    return oversample


def _check_graph_parameters(m: int, ef_construction: int) -> None:
    """The bounds Lucene's HNSW formats enforce (checked when the mapping is parsed)."""
    if m <= 0 or m > MAX_M:
        raise MappingDefinitionError(
            f"maxConn must be positive and less than or equal to {MAX_M}; maxConn={m}", "illegal_argument_exception"
        )
    if ef_construction <= 0 or ef_construction > MAX_BEAM_WIDTH:
        raise MappingDefinitionError(
            f"beamWidth must be positive and less than or equal to {MAX_BEAM_WIDTH}; beamWidth={ef_construction}",
            "illegal_argument_exception",
        )


def _check_confidence_interval(value: float | None) -> None:
    """``ES814ScalarQuantizedVectorsFormat``: 0 (dynamic) or between 0.9 and 1.0 — compared as Java floats
    (``0.9f``), so the float nearest 0.9 is accepted although it is below the double 0.9."""
    if value is not None and value != 0.0 and not np.float32(0.9) <= np.float32(value) <= np.float32(1.0):
        raise MappingDefinitionError(
            f"confidenceInterval must be between 0.9 and 1.0; confidenceInterval="
            f"{vector_messages.java_float_str(value)}",
            "illegal_argument_exception",
        )


def _parse_index_options(name: str, raw: Any, context: MappingContext) -> IndexOptions | None:
    """``DenseVectorFieldMapper.parseIndexOptions`` and each ``VectorIndexType.parseIndexOptions``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise MappingDefinitionError(f"[index_options] on field [{name}] must be an object but got [{java_str(raw)}]")
    body = dict(raw)
    if body.get("type") is None:
        raise MappingDefinitionError("[index_options] requires field [type] to be configured")
    kind = java_str(body.pop("type"))
    if kind in UNSUPPORTED_INDEX_TYPES:
        raise MappingDefinitionError(
            f"[index_options] type [{kind}] on field [{name}] is not supported by "
            "retrievo (no BBQ quantisation); use [int8_hnsw] or [int4_hnsw], with "
            "[rescore_vector] for oversampling"
        )
    if kind not in INDEX_TYPES:
        raise MappingDefinitionError(f"Unknown vector index options type [{kind}] for field [{name}]")
    hnsw, quantized = kind.endswith("hnsw"), kind.startswith("int")
    m = _option_int(body.pop("m", None), DEFAULT_M) if hnsw else None
    ef_construction = _option_int(body.pop("ef_construction", None), DEFAULT_EF_CONSTRUCTION) if hnsw else None
    confidence_interval = oversample = None
    if quantized:
        if body.get("confidence_interval") is not None:
            confidence_interval = _option_float(body.pop("confidence_interval"))
        body.pop("confidence_interval", None)
        oversample = _parse_rescore_vector(body.pop("rescore_vector", None))
    if body:
        listed = "".join(f" [{key} : {java_str(value)}]" for key, value in body.items())
        raise MappingDefinitionError(f"Mapping definition for [{name}] has unsupported parameters: {listed}")
    if m is not None and ef_construction is not None:  # set exactly for the hnsw types
        _check_graph_parameters(m, ef_construction)
    _check_confidence_interval(confidence_interval)
    if kind.startswith("int4") and confidence_interval is None:
        confidence_interval = 0.0  # ES: int4 defaults to dynamic quantiles
    return IndexOptions(kind, m, ef_construction, confidence_interval, oversample)


#: The ``index_options`` parser, for ``semantic_text``'s ``{"dense_vector": {...}}`` options.
parse_index_options = _parse_index_options


def _index_options_default(
    params: Mapping[str, Any], explicit: frozenset[str], context: MappingContext
) -> IndexOptions | None:
    return default_index_options(params["element_type"], params["dims"], params["index"])


def _index_options_mergeable(old: IndexOptions | None, new: IndexOptions | None) -> bool:
    """ES's merge validator: from or to null, equal, or ``updatableTo``."""
    return old is None or new is None or old == new or old.updatable_to(new)


def validate_dense_vector(name: str, params: Mapping[str, Any]) -> None:
    """The parameter validators, in ES's parameter order (dims, index, index_options)."""
    dims, options = params["dims"], params["index_options"]
    if dims is not None and not 1 <= dims <= MAX_DIMS:
        raise MappingDefinitionError(
            f"The number of dimensions should be in the range [1, {MAX_DIMS}] but was [{dims}]"
        )
    if params["index"]:
        if params["similarity"] is None:
            raise MappingDefinitionError(
                "Field [index] requires field [similarity] to be configured and not null", "illegal_argument_exception"
            )
    else:
        if params["similarity"] is not None:
            raise MappingDefinitionError(
                "Field [similarity] can only be specified for a field of type [dense_vector] when it is indexed",
                "illegal_argument_exception",
            )
        if options is not None:
            raise MappingDefinitionError(
                "Field [index_options] can only be specified for a field of type [dense_vector] when it is indexed",
                "illegal_argument_exception",
            )
    if options is not None:
        if dims is not None and options.bits == 4 and dims % 2 != 0:
            raise MappingDefinitionError(
                f"{options.type} only supports even dimensions; provided={dims}", "illegal_argument_exception"
            )
        if options.is_quantized and params["element_type"] != "float":
            raise MappingDefinitionError(
                f"[element_type] cannot be [{params['element_type']}] when using index type [{options.type}]",
                "illegal_argument_exception",
            )


DENSE_VECTOR_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("element_type", _parse_element_type, _element_type_default),
    ParamSpec(
        "dims",
        _vector_param(_parse_dims),
        constant(None),
        can_merge=lambda old, new: old is None or old == new,
        display=lambda value, params: value is not None,
        always=True,
    ),
    ParamSpec("index", _vector_param(parse_bool), constant(True), display=lambda value, params: True, always=True),
    ParamSpec(
        "similarity",
        _vector_param(_parse_similarity),
        _similarity_default,
        accepts_null=True,
        display=lambda value, params: value is not None,
        always=True,
    ),
    ParamSpec(
        "index_options",
        _vector_param(_parse_index_options),
        _index_options_default,
        can_merge=_index_options_mergeable,
        accepts_null=True,
        display=lambda value, params: value is not None,
        always=True,
        render=lambda value: value.to_json(),
        conflict_text=lambda value: "null" if value is None else value.java_string(),
    ),
    meta_param(),
)
