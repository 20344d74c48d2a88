"""The ``dense_vector`` field type: document vectors validated and parsed to float32 arrays,
``dims`` taken from the first vector, and the dynamic mapping of unmapped float arrays."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np

from retrievo.index.field_types.base import (
    DOCUMENT_PLACEHOLDER,
    FieldMapping,
    FieldTypeSpec,
    MappingDefinitionError,
    MappingUpdate,
    ValueParseError,
    VectorValueError,
)
from retrievo.index.field_types.dense_vector_params import DENSE_VECTOR_PARAMS, validate_dense_vector
from retrievo.index.field_types.numeric import java_parse_double
from retrievo.index.vectors import messages as vector_messages
from retrievo.index.vectors.options import MAX_DIMS, default_index_options
from retrievo.java_text import java_str
from retrievo.xcontent import token as xcontent_token

__all__ = ["DENSE_VECTOR", "dynamic_dense_vector"]


def _with_dims(mapping: FieldMapping, dims: int) -> FieldMapping:
    """The mapping once the first vector has set ``dims`` (default index options chosen now, as
    ES delays that choice until the dimensions are known)."""
    params = dict(mapping.params)
    params["dims"] = dims
    if "index_options" not in mapping.explicit:
        params["index_options"] = default_index_options(params["element_type"], dims, params["index"])
    try:
        validate_dense_vector(mapping.name, params)
    except MappingDefinitionError as failure:
        raise VectorValueError(failure.error_type, failure.reason, at_end=True) from None
    return FieldMapping(
        mapping.path,
        mapping.type,
        MappingProxyType(params),
        mapping.explicit | {"dims"},
        mapping.fields,
        mapping.parent,
    )


def _token_error(value: Any, element: int) -> VectorValueError:
    """``ensureExpectedToken(VALUE_NUMBER, ...)`` on an array element."""
    return VectorValueError(
        "parsing_exception",
        f"Failed to parse object: expecting token of type [VALUE_NUMBER] but found [{xcontent_token(value)}]",
        element=element,
    )


def _unsupported_value(value: Any) -> VectorValueError:
    """A vector given as something other than an array (or, for bytes, a hex string)."""
    return VectorValueError(
        "parsing_exception", f"Unsupported type [{xcontent_token(value)}] for provided value [{java_str(value)}]"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dimension_error(mapping: FieldMapping, count: int, at_end: bool = True) -> VectorValueError:
    return VectorValueError(
        "illegal_argument_exception",
        f"The [dense_vector] field [{mapping.path}] in doc [{DOCUMENT_PLACEHOLDER}] has a "
        f"different number of dimensions [{count}] than defined in the mapping "
        f"[{mapping.dims}]",
        at_end=at_end,
    )


def _too_many_dimensions(mapping: FieldMapping, element: int) -> VectorValueError:
    return VectorValueError(
        "illegal_argument_exception",
        f"The [dense_vector] field [{mapping.path}] in doc [{DOCUMENT_PLACEHOLDER}] has more "
        f"dimensions than defined in the mapping [{mapping.dims}]",
        element=element,
    )


def _as_java_float(value: int | float) -> np.float32:
    """``parser.floatValue()``: the nearest float32 (huge values become infinite)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.copysign(math.inf, value)
    with np.errstate(over="ignore"):
        return np.float32(number)


def _plain_float_vector(value: list[Any], dims: int) -> np.ndarray | None:
    """The common case at C speed: exactly ``dims`` ints/floats, converted as ``_as_java_float``
    converts each (to the nearest double, then the nearest float32). ``None`` sends anything
    else (wrong length, other types, ints beyond a double's range) to the per-element path, which
    words the error."""
    if len(value) != dims or not _NUMBER_TYPES.issuperset(map(type, value)):
        return None
    try:
        doubles = np.array(value, dtype=np.float64)
    except OverflowError:
        return None
    with np.errstate(over="ignore"):
        return doubles.astype(np.float32)


_NUMBER_TYPES = frozenset({int, float})


def _check_magnitude(values: np.ndarray, similarity: str | None, element_type: str, at_end: bool) -> None:
    problem = vector_messages.magnitude_error(values, similarity, element_type)
    if problem is not None:
        raise VectorValueError(
            "illegal_argument_exception",
            problem + vector_messages.preview(values, as_int=element_type == "byte"),
            at_end=at_end,
        )


def _float_elements(mapping: FieldMapping, value: list[Any], dims: int) -> np.ndarray:
    """Element by element, as the parser reads tokens: the first bad element or the first one past
    ``dims`` is the error, then a short array is one."""
    out = np.empty(dims, dtype=np.float32)
    for index, item in enumerate(value):
        if index >= dims:
            raise _too_many_dimensions(mapping, index)
        if not _is_number(item):
            raise _token_error(item, index)
        out[index] = _as_java_float(item)
    if len(value) != dims:
        raise _dimension_error(mapping, len(value))
    return out


def _parse_float_vector(mapping: FieldMapping, value: Any, dims: int) -> np.ndarray:
    """``FloatElement.parseKnnVector``: numbers only, exactly ``dims`` of them, finite, then the
    similarity's magnitude rules (``dot_product`` unit length, ``cosine`` non-zero)."""
    if not isinstance(value, list):
        raise _unsupported_value(value)
    out = _plain_float_vector(value, dims)
    if out is None:
        out = _float_elements(mapping, value, dims)
    problem = vector_messages.vector_error(out, "float")
    if problem is not None:
        raise VectorValueError("illegal_argument_exception", problem + vector_messages.preview(out), at_end=True)
    _check_magnitude(out, mapping.similarity, "float", at_end=True)
    return out


_HEX_DIGIT = re.compile(r"[0-9a-fA-F]")


def _decode_hex(text: str) -> np.ndarray:
    """``HexFormat.of().parseHex``: an even number of hex digits, nothing else."""
    if len(text) % 2:
        raise VectorValueError("illegal_argument_exception", f"string length not even: {len(text)}")
    for char in text:
        if not _HEX_DIGIT.fullmatch(char):
            raise VectorValueError("number_format_exception", f'not a hexadecimal digit: "{char}" = {ord(char)}')
    return np.frombuffer(bytes.fromhex(text), dtype=np.int8).astype(np.float32)


def _byte_element(item: Any, index: int) -> int:
    """One array element of a byte vector: a whole number in [-128, 127]."""
    if not _is_number(item):
        raise _token_error(item, index)
    if isinstance(item, float):
        number = _as_java_float(item)
        if np.isnan(number) or number % np.float32(1.0) != 0:
            raise VectorValueError(
                "illegal_argument_exception",
                "element_type [byte] vectors only support non-decimal values but found decimal "
                f"value [{vector_messages.java_float_str(number)}] at dim [{index}];",
                element=index,
            )
        item = int(max(min(float(number), 2**31 - 1), -(2**31)))  # Java's (int) cast saturates
    if not -128 <= item <= 127:
        raise VectorValueError(
            "illegal_argument_exception",
            "element_type [byte] vectors only support integers between [-128, 127] but found "
            f"[{item}] at dim [{index}];",
            element=index,
        )
    return item


def _parse_byte_vector(mapping: FieldMapping, value: Any, dims: int) -> np.ndarray:
    """``ByteElement.parseKnnVector``: an array of whole numbers in [-128, 127], or a hex string."""
    if isinstance(value, str):
        out = _decode_hex(value)
        if out.size != dims:
            raise _dimension_error(mapping, out.size, at_end=False)
        _check_magnitude(out, mapping.similarity, "byte", at_end=False)
        return out
    if not isinstance(value, list):
        raise _unsupported_value(value)
    out = np.empty(dims, dtype=np.float32)
    for index, item in enumerate(value):
        if index >= dims:
            raise _too_many_dimensions(mapping, index)
        out[index] = _byte_element(item, index)
    if len(value) != dims:
        raise _dimension_error(mapping, len(value))
    _check_magnitude(out, mapping.similarity, "byte", at_end=True)
    return out


def _count_dimensions(mapping: FieldMapping, value: Any) -> int:
    """``Element.parseDimensionCount``: the length of the first vector, for a field without dims."""
    if isinstance(value, list):
        return len(value)
    if isinstance(value, str) and mapping.element_type == "byte":
        return int(_decode_hex(value).size)
    raise _unsupported_value(value)


def _parse_dense_vector_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> np.ndarray | None:
    """A whole JSON array (``parses_arrays``) as a float32 array of ``dims`` values (byte vectors
    hold whole numbers). The vector is returned as given: ``cosine`` normalisation belongs to the
    vector index. ``null`` indexes nothing."""
    if value is None:
        return None
    dims = mapping.dims
    if dims is None:
        raise MappingUpdate(_with_dims(mapping, _count_dimensions(mapping, value)))
    if mapping.element_type == "byte":
        return _parse_byte_vector(mapping, value, dims)
    return _parse_float_vector(mapping, value, dims)


DENSE_VECTOR = FieldTypeSpec(
    name="dense_vector",
    params=DENSE_VECTOR_PARAMS,
    parse_value=_parse_dense_vector_value,
    unsupported=frozenset({"copy_to", "fields"}),
    multi_fields=False,
    parses_arrays=True,
    validate=validate_dense_vector,
)


_DYNAMIC_VECTOR_DIMS = (128, MAX_DIMS)  # DenseVectorFieldMapper.MIN_DIMS_FOR_DYNAMIC_FLOAT_MAPPING, MAX_DIMS_COUNT


def dynamic_dense_vector(value: list[Any], numeric_detection: bool = False) -> bool:
    """Whether ES ≥ 8.11 maps this *unmapped* array dynamically as ``dense_vector`` (without dims)
    instead of ``float`` (``DocumentParser.postProcessDynamicArrayMapping``): 128 to 4096 elements,
    every one of which dynamic mapping would map to ``float`` (JSON fractions; numeric strings
    that are not longs when ``numeric_detection`` is on). Integers map to ``long`` and disqualify."""
    low, high = _DYNAMIC_VECTOR_DIMS
    if not low <= len(value) <= high:
        return False
    for item in value:
        if isinstance(item, float):
            continue
        if not (numeric_detection and isinstance(item, str)) or re.fullmatch(r"[+-]?\d+", item):
            return False
        try:
            java_parse_double(item)
        except ValueParseError:
            return False
    return True
