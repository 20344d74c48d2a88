"""Leaf field types: their mapping parameters, and how a document value becomes an indexed value.

Each supported type is one :class:`FieldTypeSpec` in :data:`FIELD_TYPES`: the parameters it
accepts (:class:`ParamSpec`: parse, default, whether a ``PUT _mapping`` may change it, whether
``GET _mapping`` shows it) and a value parser turning one JSON value of a document into the typed
value the indexer stores. Adding a type (``dense_vector``, ``semantic_text``) is one more entry;
a type whose value is a whole JSON array sets ``parses_arrays``.

The pieces: :mod:`.base` (errors, :class:`MappingContext`, :class:`FieldMapping`, :class:`ParamSpec`,
:class:`FieldTypeSpec`, the registry), :mod:`.params` (parameters several types share), one module
per family (:mod:`.text` for ``text`` and ``keyword``, :mod:`.numeric`, :mod:`.date`,
:mod:`.boolean`, :mod:`.dense_vector` with :mod:`.dense_vector_params`, :mod:`.semantic_text`,
:mod:`.sparse_vector`), and
this ``__init__``, which registers every family's specs in :data:`FIELD_TYPES`.

Parameters and who implements their effect:

======================== ===================================================================
``index``                 exposed (``FieldMapping.index``): the indexer must not make the field
                          searchable when false; values are still produced for doc values.
``doc_values``            exposed (``FieldMapping.doc_values``) for sorting/aggregations.
``analyzer``              exposed, validated against the analysis registry; the indexer
                          analyzes with it.
``search_analyzer``       exposed (defaults to ``analyzer``, or ``default_search`` if the index
                          defines one and the field names no analyzer); used by queries.
``norms``                 exposed: when false the indexer stores no length norm (BM25 uses a
                          field length of 1, as Lucene does without norms).
``position_increment_gap`` exposed (default 100): position gap between array values.
``ignore_above``          implemented here: longer keyword values are not indexed and the field
                          is listed in ``ParsedDocument.ignored`` (ES's ``_ignored``).
``null_value``            implemented here: substituted for JSON ``null``.
``coerce``                implemented here (strings and fractions into numbers).
``ignore_malformed``      implemented here (numbers, dates): a malformed value is skipped and
                          the field listed in ``ParsedDocument.ignored``.
``format``                implemented here for parsing (dates), exposed for printing.
``meta``                  validated and echoed by ``GET _mapping``.
``fields``                multi-fields: each sub-field parses the parent's raw JSON value.
``copy_to``, ``store``     added to the value types by :mod:`.copy_to_param`; the document parser
                          copies (:mod:`retrievo.index.copy_to`), ``stored_fields`` reads stored
                          fields (:mod:`retrievo.index.stored_fields`).
``dims``, ``element_type``, exposed (``FieldMapping.dims`` ...) for ``dense_vector``; values are
``similarity``,            validated here (length, bytes, unit length, zero magnitude) and come
``index_options``          back as float32 arrays; the vector index
                          (:mod:`retrievo.index.vectors`) implements the rest.
======================== ===================================================================

``dense_vector`` follows Elasticsearch 9.x: ``dims`` 1..4096, or omitted and then set by the first
vector indexed (:class:`MappingUpdate`); ``element_type`` ``float``/``byte``; ``similarity``
``cosine`` by default; ``index`` true by default; ``index_options`` ``hnsw``, ``int8_hnsw``,
``int4_hnsw``, ``flat``, ``int8_flat``, ``int4_flat`` with ES's validation messages (``bbq_*``,
``bit`` and ``bfloat16`` are rejected as not supported). When ``index_options`` is omitted a float
field gets ``int8_hnsw`` (m 16, ef_construction 100), plus ``rescore_vector.oversample: 3.0`` from
384 dimensions, where ES would choose ``bbq_hnsw`` (see :mod:`retrievo.index.vectors.options`).
"""

from retrievo.index.field_types.base import (
    FIELD_TYPES,
    AnalyzerRegistry,
    FieldMapping,
    FieldTypeSpec,
    IgnoredValue,
    MappingContext,
    MappingDefinitionError,
    MappingUpdate,
    ParamSpec,
    ValueParseError,
    VectorValueError,
    register_field_types,
)
from retrievo.index.field_types.boolean import BOOLEAN
from retrievo.index.field_types.completion import COMPLETION
from retrievo.index.field_types.copy_to_param import with_copy_to, with_store
from retrievo.index.field_types.date import DATE
from retrievo.index.field_types.date_nanos import DATE_NANOS
from retrievo.index.field_types.dense_vector import DENSE_VECTOR, dynamic_dense_vector
from retrievo.index.field_types.ip import IP
from retrievo.index.field_types.numeric import NUMBERS
from retrievo.index.field_types.rank_feature import RANK_FEATURE, RANK_FEATURES
from retrievo.index.field_types.search_as_you_type import SEARCH_AS_YOU_TYPE
from retrievo.index.field_types.semantic_text import SEMANTIC_TEXT
from retrievo.index.field_types.sparse_vector import SPARSE_VECTOR
from retrievo.index.field_types.text import KEYWORD, TEXT

__all__ = [
    "FIELD_TYPES",
    "UNSUPPORTED_FIELD_TYPES",
    "AnalyzerRegistry",
    "FieldMapping",
    "FieldTypeSpec",
    "IgnoredValue",
    "MappingContext",
    "MappingDefinitionError",
    "MappingUpdate",
    "ParamSpec",
    "ValueParseError",
    "VectorValueError",
    "dynamic_dense_vector",
]

register_field_types(
    *with_store(*with_copy_to(TEXT, KEYWORD, DATE, DATE_NANOS, BOOLEAN, IP)),
    DENSE_VECTOR,
    SEMANTIC_TEXT,
    SPARSE_VECTOR,
    COMPLETION,
    SEARCH_AS_YOU_TYPE,
    RANK_FEATURE,
    RANK_FEATURES,
    *with_store(*with_copy_to(*NUMBERS)),
)

UNSUPPORTED_FIELD_TYPES: frozenset[str] = frozenset(
    {
        "flattened",
        "geo_point",
        "geo_shape",
        "shape",
        "point",
        "binary",
        "integer_range",
        "long_range",
        "float_range",
        "double_range",
        "date_range",
        "ip_range",
        "scaled_float",
        "unsigned_long",
        "wildcard",
        "constant_keyword",
        "match_only_text",
        "token_count",
        "percolator",
        "join",
        "alias",
        "histogram",
        "version",
        "aggregate_metric_double",
        "passthrough",
        "counted_keyword",
        "annotated_text",
        "murmur3",
        "icu_collation_keyword",
        "rank_vectors",
        "exponential_histogram",
    }
)
"""Real Elasticsearch types that retrievo rejects with a "not supported" mapping error."""
