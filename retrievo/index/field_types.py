"""Leaf field types: their mapping parameters, and how a document value becomes an indexed value.

Each supported type is one :class:`FieldTypeSpec` in :data:`FIELD_TYPES`: the parameters it
accepts (:class:`ParamSpec`: parse, default, whether a ``PUT _mapping`` may change it, whether
``GET _mapping`` shows it) and a value parser turning one JSON value of a document into the typed
value the indexer stores. Adding a type (``dense_vector``, ``semantic_text``) is one more entry;
a type whose value is a whole JSON array sets ``parses_arrays``.

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

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from retrievo.errors import error_cause
from retrievo.index.dates import DEFAULT_DATE_FORMAT, DateFormatError, DateParseError, compile_date_format
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
from retrievo.java_text import java_double_str, java_str

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
    "java_str",
]


# --------------------------------------------------------------------------------------------
# Java-flavoured rendering, for messages that quote values the way Elasticsearch prints them
# --------------------------------------------------------------------------------------------


def json_token_text(value: Any) -> str:
    """The text Jackson returns for a scalar token (``parser.text()``): what keyword and text
    fields index for numbers and booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def json_token_name(value: Any) -> str:
    """Jackson's token name for a JSON value, used in its accessor errors."""
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, (list, tuple)):
        return "START_ARRAY"
    return "VALUE_STRING"


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class MappingDefinitionError(Exception):
    """A mapping definition problem. ``Mappings.from_json`` reports it as ES does:
    ``mapper_parsing_exception`` "Failed to parse mapping: <reason>" caused by this error."""

    def __init__(
        self, reason: str, error_type: str = "mapper_parsing_exception", caused_by: dict[str, Any] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error_type = error_type
        self.caused_by = caused_by

    def cause(self) -> dict[str, Any]:
        return error_cause(self.error_type, self.reason, self.caused_by)


class ValueParseError(Exception):
    """A document value that does not fit its field. ``cause`` is the ``caused_by`` object of
    the ``document_parsing_exception``; ``malformed`` is false for structural problems (an
    object where a value is expected) that ``ignore_malformed`` does not cover."""

    def __init__(self, cause: dict[str, Any], malformed: bool = True) -> None:
        super().__init__(cause.get("reason"))
        self.cause = cause
        self.malformed = malformed


class IgnoredValue(Exception):
    """The value is dropped but the document is fine (``ignore_above``, ``ignore_malformed``):
    the field goes to the document's ``_ignored`` list."""


DOCUMENT_PLACEHOLDER = "{document}"
"""Stands for ES's ``documentDescription()`` (``document with id '1'``) in vector messages."""


class VectorValueError(ValueParseError):
    """A bad ``dense_vector`` value.

    ``DenseVectorFieldMapper`` parses its value itself (no ``FieldMapper.parse`` wrapper), so ES
    reports these as ``DocumentParser``'s generic ``document_parsing_exception`` "``[l:c] failed to
    parse: <reason>``" caused by the error below, not as "failed to parse field [v] of type ...".
    The token Jackson was on decides ``[l:c]``: array element ``element`` when set, the array's
    closing ``]`` when ``at_end``, else the value itself. Reasons may name the document through
    :data:`DOCUMENT_PLACEHOLDER`; :meth:`cause_for` fills it in.
    """

    def __init__(self, error_type: str, reason: str, *, element: int | None = None, at_end: bool = False) -> None:
        self.error_type = error_type
        self.template = reason
        self.element = element
        self.at_end = at_end
        super().__init__(error_cause(error_type, reason.replace(DOCUMENT_PLACEHOLDER, "document")), malformed=False)

    def cause_for(self, doc_id: str | None) -> dict[str, Any]:
        """The ``caused_by`` object with the document described as ES does."""
        description = f"document with id '{java_str(doc_id)}'"
        return error_cause(self.error_type, self.template.replace(DOCUMENT_PLACEHOLDER, description))


class MappingUpdate(ValueParseError):
    """Parsing the value changed the field's mapping: a ``dense_vector`` without ``dims`` takes
    them from its first vector. ES adds ``mapping`` as a dynamic update and parses the document
    again with it; the document parser records the update and parses the value again (catch this
    before :class:`ValueParseError`; a parser that does not know it reports a plain value error)."""

    def __init__(self, mapping: FieldMapping) -> None:
        super().__init__(
            error_cause(
                "illegal_argument_exception",
                f"[dense_vector] field [{mapping.path}] takes its [dims] from its first "
                "vector, which needs a dynamic mapping update",
            ),
            malformed=False,
        )
        self.mapping = mapping


# --------------------------------------------------------------------------------------------
# Mapping context and field mappings
# --------------------------------------------------------------------------------------------


class AnalyzerRegistry(Protocol):
    """What mapping validation needs from the analysis registry: ``name in registry``."""

    def __contains__(self, name: object) -> bool: ...


@dataclass(frozen=True)
class MappingContext:
    """What parsing a field definition depends on besides the JSON.

    ``registry`` is ``None`` when analyzer names are not to be checked (dynamic mapping).
    ``default_analyzer`` is what a text field without ``analyzer`` uses (the index's
    ``default`` analyzer, or ``standard``); ``default_search_analyzer`` is ``default_search``
    when the index defines it.
    """

    registry: AnalyzerRegistry | None = None
    default_analyzer: str = "standard"
    default_search_analyzer: str | None = None
    in_multi_field: bool = False


@dataclass(frozen=True)
class FieldMapping:
    """One leaf field (or multi-field) of a mapping, immutable.

    ``params`` holds every parameter of the type, resolved (defaults filled in); ``explicit`` the
    names given in the mapping JSON, which with each parameter's display rule decides what
    ``GET _mapping`` shows. ``fields`` are the multi-fields, with full paths
    (``title.keyword``); ``parent`` is the parent field's path for a multi-field.
    """

    path: str
    type: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    explicit: frozenset[str] = frozenset()
    fields: tuple[FieldMapping, ...] = ()
    parent: str | None = None

    @property
    def name(self) -> str:
        """The leaf name (``keyword`` for ``title.keyword``)."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def is_multi_field(self) -> bool:
        return self.parent is not None

    @property
    def spec(self) -> FieldTypeSpec:
        return FIELD_TYPES[self.type]

    @property
    def index(self) -> bool:
        return bool(self.params.get("index", True))

    @property
    def doc_values(self) -> bool:
        return bool(self.params.get("doc_values", False))

    @property
    def analyzer(self) -> str | None:
        """Index-time analyzer (text fields); ``None`` for other types."""
        return self.params.get("analyzer")

    @property
    def search_analyzer(self) -> str | None:
        return self.params.get("search_analyzer")

    @property
    def norms(self) -> bool:
        return bool(self.params.get("norms", False))

    @property
    def position_increment_gap(self) -> int | None:
        return self.params.get("position_increment_gap")

    @property
    def ignore_above(self) -> int | None:
        return self.params.get("ignore_above")

    @property
    def null_value(self) -> Any:
        """The ``null_value`` as given (numbers and booleans typed; dates as the string)."""
        return self.params.get("null_value")

    @property
    def coerce(self) -> bool:
        return bool(self.params.get("coerce", True))

    @property
    def ignore_malformed(self) -> bool:
        return bool(self.params.get("ignore_malformed", False))

    @property
    def format(self) -> str | None:
        return self.params.get("format")

    @property
    def meta(self) -> Mapping[str, str]:
        return self.params.get("meta") or MappingProxyType({})

    @property
    def dims(self) -> int | None:
        """``dense_vector``: the vector length, ``None`` until the first vector sets it."""
        return self.params.get("dims")

    @property
    def element_type(self) -> str | None:
        """``dense_vector``: ``float`` or ``byte``."""
        return self.params.get("element_type")

    @property
    def similarity(self) -> str | None:
        """``dense_vector``: ``l2_norm``, ``cosine``, ``dot_product``, ``max_inner_product``, or
        ``None`` for an unindexed field."""
        return self.params.get("similarity")

    @property
    def index_options(self) -> IndexOptions | None:
        """``dense_vector``: the resolved ``index_options`` (``None``: Lucene's default HNSW)."""
        return self.params.get("index_options")

    def parse_value(self, value: Any, where: Callable[[], str]) -> Any:
        """One JSON value of a document as the typed value to index, or ``None`` to index
        nothing. ``where`` renders the value's ``line:column`` for messages that quote it.
        Raises :class:`ValueParseError` or :class:`IgnoredValue`."""
        return self.spec.parse_value(self, value, where)

    def to_json(self) -> dict[str, Any]:
        """The field as ``GET _mapping`` shows it."""
        body: dict[str, Any] = {"type": self.type}
        for param in self.spec.params:
            if (param.always or param.name in self.explicit) and param.shown(self.params):
                body[param.name] = param.render(self.params[param.name])
        if self.fields:
            body["fields"] = {sub.name: sub.to_json() for sub in sorted(self.fields, key=lambda f: f.name)}
        return body


# --------------------------------------------------------------------------------------------
# Parameter specs
# --------------------------------------------------------------------------------------------

ParamParser = Callable[[str, Any, MappingContext], Any]
"""``(field name, raw JSON value, context) -> typed value``; raises :class:`MappingDefinitionError`."""


def _same(old: Any, new: Any) -> bool:
    return bool(old == new)


def _always(old: Any, new: Any) -> bool:
    return True


@dataclass(frozen=True)
class ParamSpec:
    """One mapping parameter of a field type.

    ``default`` computes the value when the parameter is absent, from the parameters resolved
    before it (``search_analyzer`` defaults to ``analyzer``). ``can_merge(old, new)`` decides if
    a mapping update may replace a value (ES's updateable flag / merge validator). ``display``
    decides whether an explicitly given value appears in ``GET _mapping`` (ES: when it differs
    from the default); ``always`` extends that to defaulted values (ES's ``alwaysSerialize``:
    ``dense_vector`` shows ``index``, ``similarity`` and ``index_options`` even when not given);
    ``conflict_text`` renders a value in merge-conflict messages.
    """

    name: str
    parse: ParamParser
    default: Callable[[Mapping[str, Any], frozenset[str], MappingContext], Any]
    can_merge: Callable[[Any, Any], bool] = _same
    accepts_null: bool = False
    display: Callable[[Any, Any], bool] | None = None
    render: Callable[[Any], Any] = lambda value: value
    conflict_text: Callable[[Any], str] = lambda value: java_str(value)
    always: bool = False

    def shown(self, params: Mapping[str, Any]) -> bool:
        """Whether an explicitly given value appears in ``GET _mapping``."""
        value = params[self.name]
        if self.display is not None:
            return self.display(value, params)
        return bool(value != self.default(params, frozenset(), MappingContext()))


def _constant(value: Any) -> Callable[[Mapping[str, Any], frozenset[str], MappingContext], Any]:
    return lambda params, explicit, context: value


def _search_analyzer_default(params: Mapping[str, Any], explicit: frozenset[str], context: MappingContext) -> str:
    """``TextParams.Analyzers``: the index's ``default_search`` unless the field names an analyzer."""
    if context.default_search_analyzer is not None and "analyzer" not in explicit:
        return context.default_search_analyzer
    return str(params["analyzer"])


def _bool_value(raw: Any) -> bool:
    """``XContentMapValues.nodeBooleanValue``: booleans, or exactly ``"true"``/``"false"``."""
    if isinstance(raw, bool):
        return raw
    text = java_str(raw)
    if text == "true":
        return True
    if text == "false":
        return False
    raise MappingDefinitionError(
        f"Failed to parse value [{text}] as only [true] or [false] are allowed.", "illegal_argument_exception"
    )


def _parse_bool(name: str, raw: Any, context: MappingContext) -> bool:
    return _bool_value(raw)


def _parse_int(name: str, raw: Any, context: MappingContext) -> int:
    """``XContentMapValues.nodeIntegerValue``: numbers truncate, strings go through parseInt."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise MappingDefinitionError(f'For input string: "{java_str(raw)}"', "number_format_exception")
    if isinstance(raw, (int, float)):
        return int(raw)
    if not re.fullmatch(r"[+-]?\d+", raw) or not -(2**31) <= int(raw) < 2**31:
        raise MappingDefinitionError(f'For input string: "{raw}"', "number_format_exception")
    return int(raw)


def _non_negative(param: str, parse: ParamParser) -> ParamParser:
    def parse_checked(name: str, raw: Any, context: MappingContext) -> int:
        value = parse(name, raw, context)
        if value < 0:
            raise MappingDefinitionError(f"[{param}] must be positive, got [{value}]")
        return value

    return parse_checked


def _parse_analyzer(name: str, raw: Any, context: MappingContext) -> str:
    analyzer = java_str(raw)
    if context.registry is not None and analyzer not in context.registry:
        raise MappingDefinitionError(
            f"analyzer [{analyzer}] has not been configured in mappings", "illegal_argument_exception"
        )
    return analyzer


def _parse_meta(name: str, raw: Any, context: MappingContext) -> Mapping[str, str]:
    """``TypeParsers.parseMeta``: at most 5 string entries, short keys and values."""
    if not isinstance(raw, dict):
        kind = {bool: "Boolean", int: "Integer", float: "Double", str: "String", list: "ArrayList"}.get(
            type(raw), type(raw).__name__
        )
        raise MappingDefinitionError(f"[meta] must be an object, got {kind}[{java_str(raw)}] for field [{name}]")
    if len(raw) > 5:
        raise MappingDefinitionError(f"[meta] can't have more than 5 entries, but got {len(raw)} on field [{name}]")
    for key, value in raw.items():
        if len(key) > 20:
            raise MappingDefinitionError(
                f"[meta] keys can't be longer than 20 chars, but got [{key}] for field [{name}]"
            )
        if value is None:
            raise MappingDefinitionError(f"[meta] values can't be null (field [{name}])")
        if not isinstance(value, str):
            kind = {bool: "Boolean", int: "Integer", float: "Double", list: "ArrayList", dict: "LinkedHashMap"}.get(
                type(value), type(value).__name__
            )
            raise MappingDefinitionError(
                f"[meta] values can only be strings, but got {kind}[{java_str(value)}] for field [{name}]"
            )
        if len(value) > 50:
            raise MappingDefinitionError(
                f"[meta] values can't be longer than 50 chars, but got [{value}] for field [{name}]"
            )
    return MappingProxyType(dict(sorted(raw.items())))


def _index_param() -> ParamSpec:
    return ParamSpec("index", _parse_bool, _constant(True))


def _doc_values_param() -> ParamSpec:
    return ParamSpec("doc_values", _parse_bool, _constant(True))


def _meta_param() -> ParamSpec:
    return ParamSpec(
        "meta", _parse_meta, _constant(None), can_merge=_always, display=lambda value, params: bool(value), render=dict
    )


def _explicit_flag_param(name: str, default: bool) -> ParamSpec:
    """ES's ``explicitBoolParam``: shown whenever given, updatable."""
    return ParamSpec(name, _parse_bool, _constant(default), can_merge=_always, display=lambda value, params: True)


def _null_value_param(parse: ParamParser, render: Callable[[Any], Any] = lambda value: value) -> ParamSpec:
    def parse_or_none(name: str, raw: Any, context: MappingContext) -> Any:
        return None if raw is None else parse(name, raw, context)

    return ParamSpec(
        "null_value",
        parse_or_none,
        _constant(None),
        accepts_null=True,
        display=lambda value, params: value is not None,
        render=render,
    )


def _shortest_float32(value: float) -> float:
    """A float32 as Jackson writes a Java ``Float`` (``0.1``, not ``0.10000000149011612``)."""
    return float(str(np.float32(value)))


# --------------------------------------------------------------------------------------------
# Field type specs
# --------------------------------------------------------------------------------------------

ValueParser = Callable[[FieldMapping, Any, Callable[[], str]], Any]


@dataclass(frozen=True)
class FieldTypeSpec:
    """A leaf field type: its parameters and its document value parser.

    ``unsupported`` lists real Elasticsearch parameters of the type that retrievo does not
    implement (rejected with a clear message rather than ES's "unknown parameter").
    ``parses_arrays``: the value parser receives a JSON array whole (vectors) instead of one
    call per element. ``validate`` checks combinations of resolved parameters.
    """

    name: str
    params: tuple[ParamSpec, ...]
    parse_value: ValueParser
    unsupported: frozenset[str] = frozenset()
    multi_fields: bool = True
    parses_arrays: bool = False
    validate: Callable[[str, Mapping[str, Any]], None] | None = None

    def param(self, name: str) -> ParamSpec | None:
        for param in self.params:
            if param.name == name:
                return param
        return None


def _object_text_error(value: Any, where: Callable[[], str]) -> ValueParseError:
    """Jackson's ``text()`` on an object: what text-reading fields (text, keyword, date) report."""
    return ValueParseError(
        error_cause("illegal_state_exception", f"Can't get text on a {json_token_name(value)} at {where()}"),
        malformed=False,
    )


def _text_of(value: Any, where: Callable[[], str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        raise _object_text_error(value, where)
    return value if isinstance(value, str) else json_token_text(value)


def _parse_text_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> str | None:
    return _text_of(value, where)


def _utf16_length(text: str) -> int:
    """Java ``String.length()``: UTF-16 code units, which ``ignore_above`` compares against."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _parse_keyword_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> str | None:
    text = _text_of(value, where)
    if text is None:
        text = mapping.null_value
        if text is None:
            return None
    limit = mapping.ignore_above
    if limit is not None and _utf16_length(text) > limit:
        raise IgnoredValue(mapping.path)
    return text


def _parse_keyword_null(name: str, raw: Any, context: MappingContext) -> str:
    return java_str(raw)


TEXT = FieldTypeSpec(
    name="text",
    params=(
        ParamSpec(
            "analyzer",
            _parse_analyzer,
            lambda params, explicit, context: context.default_analyzer,
            display=lambda value, params: True,
        ),
        ParamSpec(
            "search_analyzer",
            _parse_analyzer,
            _search_analyzer_default,
            can_merge=_always,
            display=lambda value, params: value != params["analyzer"],
        ),
        _index_param(),
        ParamSpec("norms", _parse_bool, _constant(True), can_merge=lambda old, new: old == new or (old and not new)),
        ParamSpec(
            "position_increment_gap",
            _non_negative("position_increment_gap", _parse_int),
            _constant(100),
            display=lambda value, params: True,
        ),
        _meta_param(),
    ),
    parse_value=_parse_text_value,
    unsupported=frozenset(
        {
            "search_quote_analyzer",
            "store",
            "copy_to",
            "similarity",
            "index_options",
            "term_vector",
            "fielddata",
            "fielddata_frequency_filter",
            "eager_global_ordinals",
            "index_phrases",
            "index_prefixes",
        }
    ),
)

KEYWORD = FieldTypeSpec(
    name="keyword",
    params=(
        _index_param(),
        _doc_values_param(),
        ParamSpec(
            "ignore_above",
            _non_negative("ignore_above", _parse_int),
            _constant(None),
            can_merge=_always,
            display=lambda value, params: value is not None,
        ),
        _null_value_param(_parse_keyword_null),
        _meta_param(),
    ),
    parse_value=_parse_keyword_value,
    unsupported=frozenset(
        {
            "store",
            "copy_to",
            "normalizer",
            "norms",
            "similarity",
            "index_options",
            "eager_global_ordinals",
            "split_queries_on_whitespace",
            "script",
            "on_script_error",
            "time_series_dimension",
        }
    ),
)


# ---- numbers --------------------------------------------------------------------------------

_INTEGER_RANGES = {
    "long": (-(2**63), 2**63 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
}
_JAVA_CLASS = {
    "long": "Long",
    "integer": "Integer",
    "short": "Short",
    "byte": "Integer",
    "double": "Double",
    "float": "Float",
    "half_float": "Float",
}
_RANGE_NAME = {"long": "a long", "integer": "an integer", "short": "a short", "byte": "an integer"}
_JAVA_DOUBLE_RE = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)")
_BIG_DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FLOAT32_MAX = 3.4028234663852886e38


def _illegal(reason: str) -> ValueParseError:
    return ValueParseError(error_cause("illegal_argument_exception", reason))


def java_parse_double(text: str) -> float:
    """``Double.parseDouble``: trims ASCII whitespace, accepts ``NaN``, ``Infinity`` and a
    ``f``/``d`` suffix. Raises :class:`ValueParseError` (``number_format_exception``)."""
    trimmed = text.strip("".join(chr(c) for c in range(33)))
    if trimmed == "":
        raise ValueParseError(error_cause("number_format_exception", "empty String"))
    if not _JAVA_DOUBLE_RE.fullmatch(trimmed):
        raise ValueParseError(error_cause("number_format_exception", f'For input string: "{text}"'))
    core = trimmed.rstrip("fFdD") if not trimmed.endswith("Infinity") else trimmed
    return float(core.replace("Infinity", "inf"))


def _to_float32(value: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _to_float16(value: float) -> float:
    try:
        return struct.unpack("e", struct.pack("e", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _string_to_long(text: str) -> int:
    """``AbstractXContentParser.toLong`` with coercion: BigDecimal semantics, truncating."""
    if re.fullmatch(r"[+-]?\d+", text) and -(2**63) <= int(text) < 2**63:
        return int(text)
    if not _BIG_DECIMAL_RE.fullmatch(text):
        raise _illegal(f'For input string: "{text}"')
    number = Decimal(text)
    scale = -int(number.as_tuple().exponent)
    if scale < -19:
        raise _illegal(f"Value [{text}] is out of range for a long")
    result = 0 if scale > 19 else int(number)  # int() truncates toward zero like toBigInteger
    low, high = _INTEGER_RANGES["long"]
    if not low <= result <= high:
        raise _illegal(f"Value [{text}] is out of range for a long")
    return result


def _string_to_small_int(type_name: str, text: str) -> int:
    """``intValue``/``shortValue`` of a string: parseDouble, range check, truncation (NaN is 0)."""
    number = java_parse_double(text)
    low, high = _INTEGER_RANGES["integer" if type_name == "byte" else type_name]
    if number < low or number > high:
        raise _illegal(f"Value [{text}] is out of range for {_RANGE_NAME[type_name]}")
    return 0 if math.isnan(number) else int(number)


def _json_number_to_int(type_name: str, value: int | float, coerce: bool) -> int:
    """Jackson's ``getLongValue``/``getIntValue``/``getShortValue`` on a number token, plus ES's
    check that no fraction is lost when ``coerce`` is false."""
    access = "integer" if type_name == "byte" else type_name
    low, high = _INTEGER_RANGES[access]
    if not low <= value <= high:
        text = json_token_text(value)
        if access == "short":
            message = f"Numeric value ({text}) out of range of Java short"
        else:
            label = "long" if access == "long" else "int"
            message = f"Numeric value ({text}) out of range of {label} ({low} - {high})"
        raise ValueParseError(error_cause("input_coercion_exception", message))
    result = int(value)
    if not coerce and isinstance(value, float) and result != value:
        raise _illegal(f"{java_double_str(value)} cannot be converted to {_JAVA_CLASS[type_name]} without data loss")
    return result


def _finite(type_name: str, value: float, shown: float | None = None) -> float:
    if math.isfinite(value):
        return value
    raise _illegal(
        f"[{type_name}] supports only finite values, but got [{java_double_str(value if shown is None else shown)}]"
    )


def _number_from_value(type_name: str, value: Any, coerce: bool) -> int | float:
    """One non-null JSON value into a number of ``type_name``, as ``NumberFieldMapper.value``."""
    if isinstance(value, dict):
        raise ValueParseError(
            error_cause("illegal_argument_exception", "Cannot parse object as number"), malformed=False
        )
    if isinstance(value, bool):
        raise ValueParseError(
            error_cause(
                "x_content_parse_exception",
                f"Current token ({json_token_name(value)}) not numeric, can not use numeric value accessors",
            )
        )
    if isinstance(value, str):
        if not coerce:
            raise _illegal(f"{_JAVA_CLASS[type_name]} value passed as String")
        if type_name == "long":
            return _string_to_long(value)
        if type_name in ("integer", "short", "byte"):
            result = _string_to_small_int(type_name, value)
        else:
            number = java_parse_double(value)
            return _round_floating(type_name, number)
    elif type_name in _INTEGER_RANGES:
        result = _json_number_to_int(type_name, value, coerce)
    else:
        try:
            number = float(value)
        except OverflowError:
            number = math.copysign(math.inf, value)
        return _round_floating(type_name, number)
    if type_name == "byte" and not -128 <= result <= 127:
        raise _illegal(f"Value [{result}] is out of range for a byte")
    return result


def _round_floating(type_name: str, number: float) -> float:
    if type_name == "double":
        return _finite("double", number)
    if type_name == "float":
        return _finite("float", _to_float32(number))
    return _finite("half_float", _to_float16(number), _to_float32(number))


def _parse_number_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> int | float | None:
    if value is None or (value == "" and mapping.coerce):
        return mapping.null_value
    try:
        return _number_from_value(mapping.type, value, mapping.coerce)
    except ValueParseError as failure:
        if failure.malformed and mapping.ignore_malformed:
            raise IgnoredValue(mapping.path) from None
        raise


def _number_null_parser(type_name: str) -> ParamParser:
    """``NumberType.parse(Object, coerce=false)``: numbers and numeric strings, integral for
    integer types."""

    def parse(name: str, raw: Any, context: MappingContext) -> int | float:
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise _illegal(f'For input string: "{java_str(raw)}"')
            if type_name in _INTEGER_RANGES:
                number = java_parse_double(raw) if isinstance(raw, str) else raw
                low, high = _INTEGER_RANGES[type_name]
                if not low <= number <= high:
                    raise _illegal(
                        f"Value [{java_str(raw)}] is out of range for "
                        f"{'a byte' if type_name == 'byte' else _RANGE_NAME[type_name]}"
                    )
                if number != int(number):
                    raise _illegal(f"Value [{java_str(raw)}] has a decimal part")
                return int(number)
            number = java_parse_double(raw) if isinstance(raw, str) else float(raw)
            return _round_floating(type_name, number)
        except ValueParseError as failure:
            raise MappingDefinitionError(failure.cause["reason"], failure.cause["type"]) from None

    return parse


def _number_spec(type_name: str) -> FieldTypeSpec:
    return FieldTypeSpec(
        name=type_name,
        params=(
            _index_param(),
            _doc_values_param(),
            _null_value_param(
                _number_null_parser(type_name), _shortest_float32 if type_name == "float" else (lambda value: value)
            ),
            _explicit_flag_param("coerce", True),
            _explicit_flag_param("ignore_malformed", False),
            _meta_param(),
        ),
        parse_value=_parse_number_value,
        unsupported=frozenset(
            {"store", "copy_to", "script", "on_script_error", "time_series_dimension", "time_series_metric"}
        ),
    )


# ---- date -------------------------------------------------------------------------------------


def _parse_format(name: str, raw: Any, context: MappingContext) -> str:
    if not isinstance(raw, str):
        raise MappingDefinitionError(
            f"Invalid format: [{java_str(raw)}]: expected string value", "illegal_argument_exception"
        )
    try:
        compile_date_format(raw)
    except DateFormatError as unsupported:
        raise MappingDefinitionError(str(unsupported)) from None
    return raw


def _parse_date_null(name: str, raw: Any, context: MappingContext) -> str:
    return java_str(raw)


def _validate_date(name: str, params: Mapping[str, Any]) -> None:
    """ES 8 rejects a ``null_value`` that the field's own format cannot parse."""
    null_value = params.get("null_value")
    if null_value is None:
        return
    try:
        compile_date_format(params["format"]).parse_millis(null_value)
    except DateParseError as failure:
        raise MappingDefinitionError(
            f"Error parsing [null_value] on field [{name}]: {failure.reason}", caused_by=failure.to_cause()
        ) from None


def _parse_date_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> int | None:
    text = _text_of(value, where)
    if text is None:
        text = mapping.null_value
        if text is None:
            return None
    try:
        return compile_date_format(mapping.format or DEFAULT_DATE_FORMAT).parse_millis(text)
    except DateParseError as failure:
        if mapping.ignore_malformed:
            raise IgnoredValue(mapping.path) from None
        raise ValueParseError(failure.to_cause()) from None


DATE = FieldTypeSpec(
    name="date",
    params=(
        _index_param(),
        _doc_values_param(),
        ParamSpec("format", _parse_format, _constant(DEFAULT_DATE_FORMAT)),
        _null_value_param(_parse_date_null),
        _explicit_flag_param("ignore_malformed", False),
        _meta_param(),
    ),
    parse_value=_parse_date_value,
    unsupported=frozenset({"store", "copy_to", "locale", "script", "on_script_error", "precision_step"}),
    validate=_validate_date,
)


# ---- boolean ----------------------------------------------------------------------------------


def _parse_boolean_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> bool | None:
    """``parser.booleanValue()``: JSON booleans, ``"true"``, ``"false"`` and ``""`` (false)."""
    if value is None:
        return mapping.null_value
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in ("true", "false", ""):
            return value == "true"
        raise _illegal(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    raise ValueParseError(
        error_cause("x_content_parse_exception", f"Current token ({json_token_name(value)}) not of boolean type"),
        malformed=not isinstance(value, dict),
    )


def _parse_boolean_null(name: str, raw: Any, context: MappingContext) -> bool:
    return _bool_value(raw)


BOOLEAN = FieldTypeSpec(
    name="boolean",
    params=(_index_param(), _doc_values_param(), _null_value_param(_parse_boolean_null), _meta_param()),
    parse_value=_parse_boolean_value,
    unsupported=frozenset({"store", "copy_to", "script", "on_script_error", "ignore_malformed"}),
)


# ---- dense_vector -----------------------------------------------------------------------------


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
    element type is known (:func:`_validate_dense_vector`)."""
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
    return default if raw is None else _parse_int("", raw, MappingContext())


def _option_float(raw: Any) -> float:
    """``(float) XContentMapValues.nodeDoubleValue``: numbers, or strings through parseDouble."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise MappingDefinitionError(f'For input string: "{java_str(raw)}"', "number_format_exception")
    try:
        number = java_parse_double(raw) if isinstance(raw, str) else float(raw)
    except ValueParseError as failure:
        raise MappingDefinitionError(failure.cause["reason"], failure.cause["type"]) from None
    return _to_float32(number)


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
    """``ES814ScalarQuantizedVectorsFormat``: 0 (dynamic) or between 0.9 and 1.0."""
    if value is not None and value != 0.0 and not 0.9 <= value <= 1.0:
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


def _index_options_default(
    params: Mapping[str, Any], explicit: frozenset[str], context: MappingContext
) -> IndexOptions | None:
    return default_index_options(params["element_type"], params["dims"], params["index"])


def _index_options_mergeable(old: IndexOptions | None, new: IndexOptions | None) -> bool:
    """ES's merge validator: from or to null, equal, or ``updatableTo``."""
    return old is None or new is None or old == new or old.updatable_to(new)


def _validate_dense_vector(name: str, params: Mapping[str, Any]) -> None:
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


def _with_dims(mapping: FieldMapping, dims: int) -> FieldMapping:
    """The mapping once the first vector has set ``dims`` (default index options chosen now, as
    ES delays that choice until the dimensions are known)."""
    params = dict(mapping.params)
    params["dims"] = dims
    if "index_options" not in mapping.explicit:
        params["index_options"] = default_index_options(params["element_type"], dims, params["index"])
    try:
        _validate_dense_vector(mapping.name, params)
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


def _xcontent_token(value: Any) -> str:
    """``XContentParser.Token`` of a JSON value (ES's own names, not Jackson's)."""
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, (list, tuple)):
        return "START_ARRAY"
    return "VALUE_STRING"


def _token_error(value: Any, element: int) -> VectorValueError:
    """``ensureExpectedToken(VALUE_NUMBER, ...)`` on an array element."""
    return VectorValueError(
        "parsing_exception",
        f"Failed to parse object: expecting token of type [VALUE_NUMBER] but found [{_xcontent_token(value)}]",
        element=element,
    )


def _unsupported_value(value: Any) -> VectorValueError:
    """A vector given as something other than an array (or, for bytes, a hex string)."""
    return VectorValueError(
        "parsing_exception", f"Unsupported type [{_xcontent_token(value)}] for provided value [{java_str(value)}]"
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
    params=(
        ParamSpec("element_type", _parse_element_type, _element_type_default),
        ParamSpec(
            "dims",
            _vector_param(_parse_dims),
            _constant(None),
            can_merge=lambda old, new: old is None or old == new,
            display=lambda value, params: value is not None,
            always=True,
        ),
        ParamSpec(
            "index", _vector_param(_parse_bool), _constant(True), display=lambda value, params: True, always=True
        ),
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
        _meta_param(),
    ),
    parse_value=_parse_dense_vector_value,
    unsupported=frozenset({"copy_to", "fields"}),
    multi_fields=False,
    parses_arrays=True,
    validate=_validate_dense_vector,
)


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


def _parse_chunking(name: str, raw: Any, context: MappingContext) -> Mapping[str, Any]:
    """Kept as given; the engine validates it against the inference package's chunkers."""
    if not isinstance(raw, dict):
        raise MappingDefinitionError(f"[{name}] must be an object, found [{java_str(raw)}]", "mapper_parsing_exception")
    return MappingProxyType(dict(raw))


SEMANTIC_TEXT = FieldTypeSpec(
    name="semantic_text",
    params=(
        ParamSpec(
            "inference_id",
            _parse_endpoint_id,
            _constant(DEFAULT_SEMANTIC_INFERENCE_ID),
            display=lambda value, params: True,
            always=True,
        ),
        ParamSpec(
            "search_inference_id",
            _parse_endpoint_id,
            _constant(None),
            can_merge=_always,
            display=lambda value, params: value is not None,
        ),
        ParamSpec(
            "chunking_settings",
            _parse_chunking,
            _constant(None),
            accepts_null=True,
            display=lambda value, params: value is not None,
            render=lambda value: dict(value),
        ),
        _meta_param(),
    ),
    parse_value=_parse_text_value,
    unsupported=frozenset({"copy_to", "fields", "index_options", "model_settings"}),
    multi_fields=False,
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


FIELD_TYPES: Mapping[str, FieldTypeSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            TEXT,
            KEYWORD,
            DATE,
            BOOLEAN,
            DENSE_VECTOR,
            SEMANTIC_TEXT,
            *(_number_spec(name) for name in ("long", "integer", "short", "byte", "double", "float", "half_float")),
        )
    }
)
"""Every supported leaf type by name. Adding a type is adding a spec here."""

UNSUPPORTED_FIELD_TYPES: frozenset[str] = frozenset(
    {
        "nested",
        "flattened",
        "geo_point",
        "geo_shape",
        "shape",
        "point",
        "ip",
        "binary",
        "integer_range",
        "long_range",
        "float_range",
        "double_range",
        "date_range",
        "ip_range",
        "date_nanos",
        "scaled_float",
        "unsigned_long",
        "wildcard",
        "constant_keyword",
        "match_only_text",
        "search_as_you_type",
        "completion",
        "token_count",
        "sparse_vector",
        "rank_feature",
        "rank_features",
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
