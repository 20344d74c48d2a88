"""The ``semantic_text`` field type: its endpoint and chunking parameters (values are read as text;
:mod:`retrievo.index.semantic` embeds them)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from retrievo.index.field_types.base import FieldTypeSpec, MappingContext, MappingDefinitionError, ParamSpec
from retrievo.index.field_types.params import always_mergeable, constant, meta_param
from retrievo.index.field_types.text import parse_text_value
from retrievo.java_text import java_str

__all__ = ["DEFAULT_SEMANTIC_INFERENCE_ID", "SEMANTIC_TEXT"]


#: retrievo's default text-embedding endpoint: the packaged all-MiniLM-L6-v2 (Elasticsearch's default
#: for semantic_text is a hosted ELSER endpoint, which does not exist offline).
DEFAULT_SEMANTIC_INFERENCE_ID = ".all-minilm-l6-v2"


def _parse_endpoint_id(name: str, raw: Any, context: MappingContext) -> str:
    value = java_str(raw)
    if not value:
        raise MappingDefinitionError(
            f"[{name}] on mapper of type [semantic_text] must not be empty", "illegal_argument_exception"
        )
    return value


def _parse_chunking(name: str, raw: Any, context: MappingContext) -> Mapping[str, Any] | None:
    """Kept as given; the engine validates it against the inference package's chunkers. ``null`` and
    ``{}`` leave the field without chunking settings, as in Elasticsearch."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise MappingDefinitionError(f"[{name}] must be an object, found [{java_str(raw)}]", "mapper_parsing_exception")
    return MappingProxyType(dict(raw))


SEMANTIC_TEXT = FieldTypeSpec(
    name="semantic_text",
    params=(
        ParamSpec(
            "inference_id",
            _parse_endpoint_id,
            constant(DEFAULT_SEMANTIC_INFERENCE_ID),
            display=lambda value, params: True,
            always=True,
        ),
        ParamSpec(
            "search_inference_id",
            _parse_endpoint_id,
            constant(None),
            can_merge=always_mergeable,
            display=lambda value, params: value is not None,
        ),
        ParamSpec(
            "chunking_settings",
            _parse_chunking,
            constant(None),
            accepts_null=True,
            display=lambda value, params: value is not None,
            render=lambda value: dict(value),
        ),
        meta_param(),
    ),
    parse_value=parse_text_value,
    unsupported=frozenset({"copy_to", "fields", "index_options", "model_settings"}),
    multi_fields=False,
)
