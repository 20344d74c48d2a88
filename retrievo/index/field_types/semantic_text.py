"""The ``semantic_text`` field type: its endpoint and chunking parameters (values are read as text;
:mod:`retrievo.index.semantic` embeds them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from retrievo.index.field_types.base import FieldTypeSpec, MappingContext, MappingDefinitionError, ParamSpec
from retrievo.index.field_types.dense_vector_params import parse_index_options
from retrievo.index.field_types.params import always_mergeable, constant, meta_param
from retrievo.index.field_types.sparse_vector import parse_sparse_index_options
from retrievo.index.field_types.text import parse_text_value
from retrievo.index.sparse_vectors import SparseIndexOptions
from retrievo.index.vectors.options import INDEX_TYPES, UNSUPPORTED_INDEX_TYPES, IndexOptions
from retrievo.java_text import java_str

__all__ = ["DEFAULT_SEMANTIC_INFERENCE_ID", "SEMANTIC_TEXT", "SemanticIndexOptions", "check_index_options_task"]


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


@dataclass(frozen=True)
class SemanticIndexOptions:
    """A semantic_text field's ``index_options``: the options of the field its chunk embeddings go to,
    under that field's type (``{"dense_vector": {...}}`` or ``{"sparse_vector": {...}}``). Exactly one of
    ``dense`` / ``sparse`` is set."""

    dense: IndexOptions | None = None
    sparse: SparseIndexOptions | None = None

    @property
    def kind(self) -> str:
        return "dense_vector" if self.dense is not None else "sparse_vector"

    def to_json(self) -> dict[str, Any]:
        inner = self.dense.to_json() if self.dense is not None else self.sparse.to_json() if self.sparse else {}
        return {self.kind: inner}

    def java_string(self) -> str:
        """How a merge conflict quotes the value: the inner options' own text under the kind."""
        inner = self.dense.java_string() if self.dense is not None else str(self.to_json()[self.kind])
        return f"{{{self.kind}={inner}}}"


def _parse_semantic_index_options(name: str, raw: Any, context: MappingContext) -> SemanticIndexOptions | None:
    """``SemanticTextFieldMapper.parseIndexOptionsFromMap``: one key, ``dense_vector`` or ``sparse_vector``,
    whose object is parsed as that field type parses its own ``index_options``. Whether the kind fits the
    endpoint's task type is checked once the endpoint is known (:func:`check_index_options_task`)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise MappingDefinitionError(f"[index_options] on field [{name}] must be an object but got [{java_str(raw)}]")
    if len(raw) != 1:
        raise MappingDefinitionError("Too many index options provided, found [" + ", ".join(raw) + "]")
    kind, inner = next(iter(raw.items()))
    if kind not in ("dense_vector", "sparse_vector"):
        raise MappingDefinitionError(f"Unknown index options type [{kind}]", "illegal_argument_exception")
    if kind == "sparse_vector":
        sparse = parse_sparse_index_options(name, inner, context)
        return SemanticIndexOptions(sparse=sparse or SparseIndexOptions())
    if not isinstance(inner, Mapping):
        raise MappingDefinitionError(f"[index_options] on field [{name}] must be an object but got [{java_str(inner)}]")
    if inner.get("type") is None:
        raise MappingDefinitionError("Required type")
    vector_type = java_str(inner["type"])
    if vector_type not in INDEX_TYPES and vector_type not in UNSUPPORTED_INDEX_TYPES:
        raise MappingDefinitionError(f"Unsupported index options type {vector_type}")
    dense = parse_index_options(name, inner, context)
    assert dense is not None
    return SemanticIndexOptions(dense=dense)


def _options_mergeable(old: SemanticIndexOptions | None, new: SemanticIndexOptions | None) -> bool:
    """The parameter is updatable; the chunk field's own merge rules then apply: dense options change only
    as a ``dense_vector`` field's may (``IndexOptions.updatableTo``), sparse ones freely, and the kind of
    field never changes."""
    if old is None or new is None or old == new:
        return True
    if old.dense is not None and new.dense is not None:
        return old.dense.updatable_to(new.dense)
    return old.sparse is not None and new.sparse is not None


def check_index_options_task(
    name: str, options: SemanticIndexOptions | None, task_type: str, dims: int | None, element_type: str = "float"
) -> None:
    """``validateIndexOptions``: the options must be those of the field the endpoint's embeddings go to
    (``dense_vector`` for ``text_embedding``, ``sparse_vector`` for ``sparse_embedding``), and dense options
    must suit the endpoint's dimensions (``int4`` types need an even count) and element type (quantised
    types quantise float vectors only)."""
    if options is None:
        return
    required = "text_embedding" if options.kind == "dense_vector" else "sparse_embedding"
    if task_type != required:
        raise MappingDefinitionError(
            f"Invalid task type for index options, required [{required}] but was [{task_type}]",
            "illegal_argument_exception",
        )
    dense = options.dense
    if dense is not None and dense.bits == 4 and dims is not None and dims % 2 != 0:
        raise MappingDefinitionError(
            f"{dense.type} only supports even dimensions; provided={dims}", "illegal_argument_exception"
        )
    if dense is not None and dense.is_quantized and element_type not in ("float", "bfloat16"):
        raise MappingDefinitionError(
            f"[element_type] cannot be [{element_type}] when using index type [{dense.type}]",
            "illegal_argument_exception",
        )


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
        ParamSpec(
            "index_options",
            _parse_semantic_index_options,
            constant(None),
            can_merge=lambda old, new: _options_mergeable(old, new),
            conflict_text=lambda value: "null" if value is None else value.java_string(),
            accepts_null=True,
            display=lambda value, params: value is not None,
            render=lambda value: value.to_json(),
        ),
        meta_param(),
    ),
    parse_value=parse_text_value,
    unsupported=frozenset({"copy_to", "fields", "model_settings"}),
    multi_fields=False,
)
