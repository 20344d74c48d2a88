"""The ``rank_feature`` and ``rank_features`` field types (Elasticsearch's mapper-extras module), indexed as
Lucene ``FeatureField``\\s the way ``sparse_vector`` is (:mod:`retrievo.index.sparse_vectors`: the weight's
top 17 bits as the term frequency).

``rank_feature`` holds one positive number per document; Elasticsearch indexes it as the feature named
after the field in its ``_feature`` field — retrievo keeps it as the feature of that same name in the
field's own feature postings, which has the same statistics. ``rank_features`` holds an object of feature →
positive number. ``positive_score_impact: false`` stores ``1 / value`` so that larger values score less.
Both take the whole JSON array of a document (``parses_arrays``) to refuse a second value for a field or a
feature as Elasticsearch does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from retrievo.errors import error_cause
from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    MappingContext,
    MappingDefinitionError,
    ParamSpec,
    ValueParseError,
    VectorValueError,
    json_token_name,
)
from retrievo.index.field_types.numeric import java_parse_double
from retrievo.index.field_types.params import bool_value, meta_param, null_value_param
from retrievo.index.sparse_vectors import encode_feature_value
from retrievo.java_text import java_float_str

__all__ = ["RANK_FEATURE", "RANK_FEATURES", "feature_terms"]

_MIN_NORMAL = np.float32(np.finfo(np.float32).tiny)  # Float.MIN_NORMAL


def _illegal(reason: str) -> ValueParseError:
    return ValueParseError(error_cause("illegal_argument_exception", reason))


def _float_value(raw: Any) -> np.float32:
    """``parser.floatValue(true)``: a number or a numeric string, as a Java float."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueParseError(
            error_cause(
                "x_content_parse_exception",
                f"Current token ({json_token_name(raw)}) not numeric, can not use numeric value accessors",
            )
        )
    number = java_parse_double(raw) if isinstance(raw, str) else float(raw)
    with np.errstate(over="ignore"):
        return np.float32(number)


def _feature_value(mapping: FieldMapping, field: str, feature: str, raw: Any) -> float:
    """The value a ``FeatureField`` stores, after ``positive_score_impact``, with its constructor's checks."""
    value = _float_value(raw)
    if mapping.params.get("positive_score_impact", True) is False:
        with np.errstate(divide="ignore"):
            value = np.float32(np.float32(1.0) / value)
    if not math.isfinite(float(value)):
        where = f"for feature {feature} on field {field}"
        raise _illegal(f"featureValue must be finite, got: {java_float_str(value)} {where}")
    if value < _MIN_NORMAL:
        raise _illegal(
            f"featureValue must be a positive normal float, got: {java_float_str(value)} for feature {feature} on "
            f"field {field} which is less than the minimum positive normal float: {java_float_str(_MIN_NORMAL)}"
        )
    return float(value)


def _parse_null_value(name: str, raw: Any, context: MappingContext) -> float:
    """``null_value`` (8.9+): a positive normal float, what a ``null`` value indexes as."""
    try:
        value = _float_value(raw)
    except ValueParseError as failure:
        raise MappingDefinitionError(failure.cause["reason"]) from None
    if not value >= _MIN_NORMAL or not math.isfinite(float(value)):
        raise MappingDefinitionError("[null_value] must be a positive normal float for field of type [rank_feature]")
    return float(value)


def _parse_rank_feature(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> float | None:
    """``RankFeatureFieldMapper.parseCreateField``: one number; ``null`` is the ``null_value`` (or nothing)."""
    values = value if isinstance(value, list) else [value]
    present = [mapping.null_value if v is None else v for v in values]
    present = [v for v in present if v is not None]
    if not present:
        return None
    if len(present) > 1:
        raise _illegal(
            "[rank_feature] fields do not support indexing multiple values for the same field "
            f"[{mapping.path}] in the same document"
        )
    return _feature_value(mapping, "_feature", mapping.path, present[0])


def _error_at(value: Any, index: int, feature: str) -> int | str:
    """Where a ``rank_features`` error points: the feature's key, or in an array of objects the object."""
    return index if isinstance(value, list) else feature


def _parse_rank_features(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> dict[str, float] | None:
    """``RankFeaturesFieldMapper.parse``: objects of feature → number (``null`` ignored). It parses the value
    itself (no ``parseCreateField``), so its errors are the document parser's ``[l:c] failed to parse: ...``
    at the feature, as ``sparse_vector``'s are."""
    objects = value if isinstance(value, list) else [value]
    features: dict[str, float] = {}
    for i, obj in enumerate(objects):
        if obj is None:
            continue
        if not isinstance(obj, dict):
            raise VectorValueError(
                "illegal_argument_exception",
                f"[rank_features] fields must be json objects, expected a START_OBJECT but got: {json_token_name(obj)}",
            )
        for feature, raw in obj.items():
            if raw is None:
                continue
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise VectorValueError(
                    "illegal_argument_exception",
                    "[rank_features] fields take hashes that map a feature to a strictly positive float, but got "
                    f"unexpected token {json_token_name(raw)}",
                    element=_error_at(value, i, feature),
                )
            if feature in features:
                raise VectorValueError(
                    "illegal_argument_exception",
                    "[rank_features] fields do not support indexing multiple values for the same rank feature "
                    f"[{mapping.path}.{feature}] in the same document",
                    element=_error_at(value, i, feature),
                )
            try:
                features[feature] = _feature_value(mapping, mapping.path, feature, raw)
            except ValueParseError as failure:
                cause = failure.cause
                raise VectorValueError(cause["type"], cause["reason"], element=_error_at(value, i, feature)) from None
    return features or None


def feature_terms(mapping: FieldMapping, values: list[Any]) -> dict[str, int]:
    """A document's parsed values of a ``rank_feature(s)`` field as feature → encoded term frequency."""
    if mapping.type == "rank_feature":
        return {mapping.path: encode_feature_value(values[0])}
    return {feature: encode_feature_value(v) for obj in values for feature, v in obj.items()}


def _not_in_multi_fields(type_name: str) -> Callable[[str, Any, MappingContext], bool]:
    def parse(name: str, raw: Any, context: MappingContext) -> bool:
        if context.in_multi_field:
            raise MappingDefinitionError(f"Field [{name}] of type [{type_name}] can't be used in multifields")
        return bool_value(raw)

    return parse


def _spec(name: str, parse: Callable[[FieldMapping, Any, Callable[[], str]], Any], *extra: ParamSpec) -> FieldTypeSpec:
    def default(params: Any, explicit: frozenset[str], context: MappingContext) -> bool:
        if context.in_multi_field:
            raise MappingDefinitionError(f"A field of type [{name}] can't be used in multifields")
        return True

    return FieldTypeSpec(
        name=name,
        params=(ParamSpec("positive_score_impact", _not_in_multi_fields(name), default), *extra, meta_param()),
        parse_value=parse,
        unsupported=frozenset({"copy_to"}),
        multi_fields=False,
        parses_arrays=True,
    )


RANK_FEATURE = _spec("rank_feature", _parse_rank_feature, null_value_param(_parse_null_value))
RANK_FEATURES = _spec("rank_features", _parse_rank_features)
