"""The ``sparse_vector`` field type (Elasticsearch 9.x ``SparseVectorFieldMapper``): a JSON object of
feature → positive weight per value, indexed as Lucene ``FeatureField``\\s
(:mod:`retrievo.index.sparse_vectors`).

Parameters: ``meta``; ``store`` (``false`` only: a stored field returns its features decoded from
term vectors in ``fields``, which retrievo does not keep); ``index_options`` with ``prune`` and
``pruning_config``, the pruning a ``sparse_vector`` query uses when it names none. A value parses
itself as ES's mapper does, so its errors are ``[l:c] failed to parse: <reason>`` without the
"failed to parse field [x] of type" wrapper: a non-object value, a weight that is not a number or a
numeric string, a weight that is not a positive normal float. Feature names keep their dots.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    MappingContext,
    MappingDefinitionError,
    ParamParser,
    ParamSpec,
    ValueParseError,
    VectorValueError,
)
from retrievo.index.field_types.numeric import java_parse_double
from retrievo.index.field_types.params import always_mergeable, bool_value, constant, meta_param
from retrievo.index.sparse_vectors import DEFAULT_INDEX_OPTIONS, PruningConfig, SparseIndexOptions
from retrievo.java_text import java_float_str, java_str
from retrievo.xcontent import token as xcontent_token

__all__ = ["SPARSE_VECTOR", "parse_pruning_config", "parse_sparse_index_options"]

_MIN_NORMAL = float(np.finfo(np.float32).tiny)  # Float.MIN_NORMAL


def _java_class(value: Any) -> str:
    names = {str: "java.lang.String", bool: "java.lang.Boolean", int: "java.lang.Integer", float: "java.lang.Double"}
    if isinstance(value, list):
        return "class java.util.ArrayList"
    return "class " + names.get(type(value), "java.lang.Object")


def _build_failure(parser: str, reason: str) -> MappingDefinitionError:
    """A ``ConstructingObjectParser`` whose constructor refused the values."""
    return MappingDefinitionError(
        f"Failed to build [{parser}] after last required field arrived",
        "x_content_parse_exception",
        {"type": "illegal_argument_exception", "reason": reason},
    )


def _field_failure(parser: str, field: str, cause: MappingDefinitionError) -> MappingDefinitionError:
    return MappingDefinitionError(
        f"[{parser}] failed to parse field [{field}]", "x_content_parse_exception", cause.cause()
    )


def _option_float(parser: str, field: str, raw: Any) -> float:
    """``declareFloat``: a number or a numeric string, as a float32."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise MappingDefinitionError(
            f"[{parser}] {field} doesn't support values of type: {xcontent_token(raw)}", "x_content_parse_exception"
        )
    try:
        number = java_parse_double(raw) if isinstance(raw, str) else float(raw)
    except ValueParseError as failure:
        cause = MappingDefinitionError(failure.cause["reason"], failure.cause["type"])
        raise _field_failure(parser, field, cause) from None
    except OverflowError:
        number = math.inf
    return float(np.float32(number)) if math.isfinite(number) else number


def _option_bool(parser: str, field: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw in ("true", "false"):
        return raw == "true"
    raise MappingDefinitionError(
        f"[{parser}] {field} doesn't support values of type: {xcontent_token(raw)}", "x_content_parse_exception"
    )


def _check_fields(parser: str, raw: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for key in raw:
        if key not in known:
            raise MappingDefinitionError(f"[{parser}] unknown field [{key}]", "x_content_parse_exception")


def pruning_config_problem(ratio: float, weight: float) -> str | None:
    """``TokenPruningConfig``'s constructor checks (query and mapping alike)."""
    if ratio < 1 or ratio > 100:
        return f"[tokens_freq_ratio_threshold] must be between [1] and [100], got {java_float_str(ratio)}"
    if weight < 0 or weight > 1:
        return "[tokens_weight_threshold] must be between 0 and 1"
    return None


def parse_pruning_config(raw: Any) -> PruningConfig:
    """``TokenPruningConfig.PARSER`` (the mapping's form): float thresholds, defaults 5 and 0.4."""
    if not isinstance(raw, dict):
        raise MappingDefinitionError(
            f"[pruning_config] pruning_config doesn't support values of type: {xcontent_token(raw)}",
            "x_content_parse_exception",
        )
    _check_fields(
        "pruning_config", raw, ("tokens_freq_ratio_threshold", "tokens_weight_threshold", "only_score_pruned_tokens")
    )
    default = PruningConfig()
    ratio = default.tokens_freq_ratio_threshold
    weight = default.tokens_weight_threshold
    only = False
    if raw.get("tokens_freq_ratio_threshold") is not None:
        ratio = _option_float("pruning_config", "tokens_freq_ratio_threshold", raw["tokens_freq_ratio_threshold"])
    if raw.get("tokens_weight_threshold") is not None:
        weight = _option_float("pruning_config", "tokens_weight_threshold", raw["tokens_weight_threshold"])
    if raw.get("only_score_pruned_tokens") is not None:
        only = _option_bool("pruning_config", "only_score_pruned_tokens", raw["only_score_pruned_tokens"])
    problem = pruning_config_problem(ratio, weight)
    if problem is not None:
        raise _build_failure("pruning_config", problem)
    return PruningConfig(ratio, weight, only)


def _parse_index_options(name: str, raw: Any, context: MappingContext) -> SparseIndexOptions | None:
    """``SparseVectorFieldMapper.parseIndexOptions``: an object of ``prune`` and ``pruning_config``;
    a ``pruning_config`` needs ``prune: true``."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise MappingDefinitionError(
            f"index_options should be a hash but was of type: {_java_class(raw)}", "parse_exception"
        )
    _check_fields("index_options", raw, ("prune", "pruning_config"))
    prune = None
    if raw.get("prune") is not None:
        prune = _option_bool("index_options", "prune", raw["prune"])
    config = None
    if raw.get("pruning_config") is not None:
        try:
            config = parse_pruning_config(raw["pruning_config"])
        except MappingDefinitionError as failure:
            raise _field_failure("index_options", "pruning_config", failure) from None
    if config is not None and prune is not True:
        raise _build_failure(
            "index_options", "[index_options] field [pruning_config] should only be set if [prune] is set to true"
        )
    return SparseIndexOptions(prune, config)


#: The ``index_options`` parser, for ``semantic_text``'s ``{"sparse_vector": {...}}`` options.
parse_sparse_index_options = _parse_index_options


def _parse_store(name: str, raw: Any, context: MappingContext) -> bool:
    value = bool_value(raw)
    if value:
        raise MappingDefinitionError(
            "[store] true on a [sparse_vector] field is not supported by retrievo: it would return the "
            "features decoded from term vectors, which retrievo does not keep",
            "illegal_argument_exception",
        )
    return value


def _not_in_multi_fields(
    params: Mapping[str, Any], explicit: frozenset[str], context: MappingContext
) -> SparseIndexOptions | None:
    """``notInMultiFields`` when only ``type`` was given (no parser saw the name)."""
    if context.in_multi_field:
        raise MappingDefinitionError("A field of type [sparse_vector] can't be used in multifields")
    return None


def _field_param(parse: ParamParser) -> ParamParser:
    """``TypeParser.notInMultiFields`` runs before any parameter is read: every parser checks it first."""

    def checked(name: str, raw: Any, context: MappingContext) -> Any:
        if context.in_multi_field:
            raise MappingDefinitionError(f"Field [{name}] of type [sparse_vector] can't be used in multifields")
        return parse(name, raw, context)

    return checked


# --------------------------------------------------------------------------------------------- values


def _weight(mapping: FieldMapping, feature: str, raw: Any) -> float:
    """``parser.floatValue(true)`` then ``FeatureField.setFeatureValue``'s checks."""
    if isinstance(raw, str):
        try:
            number = java_parse_double(raw)
        except ValueParseError as failure:
            raise VectorValueError(failure.cause["type"], failure.cause["reason"], element=feature) from None
    else:
        try:
            number = float(raw)
        except OverflowError:
            number = math.copysign(math.inf, raw)
    with np.errstate(over="ignore"):
        value = np.float32(number)
    where = f"for feature {feature} on field {mapping.path}"
    if not np.isfinite(value):
        raise VectorValueError(
            "illegal_argument_exception",
            f"featureValue must be finite, got: {java_float_str(value)} {where}",
            element=feature,
        )
    if value < _MIN_NORMAL:
        raise VectorValueError(
            "illegal_argument_exception",
            f"featureValue must be a positive normal float, got: {java_float_str(value)} {where} which is less "
            f"than the minimum positive normal float: {java_float_str(_MIN_NORMAL)}",
            element=feature,
        )
    return float(value)


def _parse_sparse_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> dict[str, float]:
    """One JSON object of features as ``{feature: float32 weight}`` (``null`` weights skipped). An
    array of objects reaches here one object at a time; the indexer keeps each feature's largest
    weight, as ES does."""
    if not isinstance(value, dict):
        raise VectorValueError(
            "illegal_argument_exception",
            f"[sparse_vector] fields must be json objects, expected a START_OBJECT but got: {xcontent_token(value)}",
        )
    features: dict[str, float] = {}
    for feature, raw in value.items():
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise VectorValueError(
                "illegal_argument_exception",
                "[sparse_vector] fields take hashes that map a feature to a strictly positive float, but got "
                f"unexpected token {xcontent_token(raw)}",
                element=feature,
            )
        features[feature] = _weight(mapping, feature, raw)
    return features


def _render_index_options(value: SparseIndexOptions | None) -> dict[str, Any] | None:
    return None if value is None else value.to_json()


SPARSE_VECTOR = FieldTypeSpec(
    name="sparse_vector",
    params=(
        ParamSpec(
            "index_options",
            _field_param(_parse_index_options),
            _not_in_multi_fields,
            can_merge=always_mergeable,
            accepts_null=True,
            display=lambda value, params: value is not None and value != DEFAULT_INDEX_OPTIONS,
            render=_render_index_options,
            conflict_text=lambda value: java_str(_render_index_options(value)),
        ),
        ParamSpec("store", _field_param(_parse_store), constant(False)),
        meta_param(),
    ),
    parse_value=_parse_sparse_value,
    unsupported=frozenset({"copy_to"}),
    multi_fields=False,
)
