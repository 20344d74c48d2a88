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
======================== ===================================================================
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from retrievo.errors import error_cause
from retrievo.index.dates import (DEFAULT_DATE_FORMAT, DateFormatError, DateParseError,
                                  compile_date_format)

__all__ = [
    "AnalyzerRegistry",
    "FIELD_TYPES",
    "FieldMapping",
    "FieldTypeSpec",
    "IgnoredValue",
    "MappingContext",
    "MappingDefinitionError",
    "ParamSpec",
    "UNSUPPORTED_FIELD_TYPES",
    "ValueParseError",
    "java_str",
]


# --------------------------------------------------------------------------------------------
# Java-flavoured rendering, for messages that quote values the way Elasticsearch prints them
# --------------------------------------------------------------------------------------------

def java_double_str(value: float) -> str:
    """``Double.toString``: ``1.0``, ``1.5``, ``1.0E7``, ``1.0E-4``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        if "e" in text:
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(magnitude)).normalize().as_tuple()
    digit_text = "".join(map(str, digits))
    mantissa = digit_text[0] + "." + (digit_text[1:] or "0")
    power = len(digit_text) - 1 + int(exponent)
    return ("-" if value < 0 else "") + f"{mantissa}E{power}"


def java_str(value: Any) -> str:
    """``String.valueOf`` of a JSON value as ES holds it (maps print as ``{k=v, k2=v2}``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={java_str(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_str(item) for item in value) + "]"
    return str(value)


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

    def __init__(self, reason: str, error_type: str = "mapper_parsing_exception",
                 caused_by: dict[str, Any] | None = None) -> None:
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
    fields: tuple["FieldMapping", ...] = ()
    parent: str | None = None

    @property
    def name(self) -> str:
        """The leaf name (``keyword`` for ``title.keyword``)."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def is_multi_field(self) -> bool:
        return self.parent is not None

    @property
    def spec(self) -> "FieldTypeSpec":
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

    def parse_value(self, value: Any, where: Callable[[], str]) -> Any:
        """One JSON value of a document as the typed value to index, or ``None`` to index
        nothing. ``where`` renders the value's ``line:column`` for messages that quote it.
        Raises :class:`ValueParseError` or :class:`IgnoredValue`."""
        return self.spec.parse_value(self, value, where)

    def to_json(self) -> dict[str, Any]:
        """The field as ``GET _mapping`` shows it."""
        body: dict[str, Any] = {"type": self.type}
        for param in self.spec.params:
            if param.name in self.explicit and param.shown(self.params):
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
    from the default); ``conflict_text`` renders a value in merge-conflict messages.
    """

    name: str
    parse: ParamParser
    default: Callable[[Mapping[str, Any], frozenset[str], MappingContext], Any]
    can_merge: Callable[[Any, Any], bool] = _same
    accepts_null: bool = False
    display: Callable[[Any, Any], bool] | None = None
    render: Callable[[Any], Any] = lambda value: value
    conflict_text: Callable[[Any], str] = lambda value: java_str(value)

    def shown(self, params: Mapping[str, Any]) -> bool:
        """Whether an explicitly given value appears in ``GET _mapping``."""
        value = params[self.name]
        if self.display is not None:
            return self.display(value, params)
        return bool(value != self.default(params, frozenset(), MappingContext()))


def _constant(value: Any) -> Callable[[Mapping[str, Any], frozenset[str], MappingContext], Any]:
    return lambda params, explicit, context: value


def _search_analyzer_default(params: Mapping[str, Any], explicit: frozenset[str],
                             context: MappingContext) -> str:
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
    raise MappingDefinitionError(f"Failed to parse value [{text}] as only [true] or [false] are allowed.",
                                 "illegal_argument_exception")


def _parse_bool(name: str, raw: Any, context: MappingContext) -> bool:
    return _bool_value(raw)


def _parse_int(name: str, raw: Any, context: MappingContext) -> int:
    """``XContentMapValues.nodeIntegerValue``: numbers truncate, strings go through parseInt."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise MappingDefinitionError(f"For input string: \"{java_str(raw)}\"", "number_format_exception")
    if isinstance(raw, (int, float)):
        return int(raw)
    if not re.fullmatch(r"[+-]?\d+", raw) or not -2**31 <= int(raw) < 2**31:
        raise MappingDefinitionError(f"For input string: \"{raw}\"", "number_format_exception")
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
        raise MappingDefinitionError(f"analyzer [{analyzer}] has not been configured in mappings",
                                     "illegal_argument_exception")
    return analyzer


def _parse_meta(name: str, raw: Any, context: MappingContext) -> Mapping[str, str]:
    """``TypeParsers.parseMeta``: at most 5 string entries, short keys and values."""
    if not isinstance(raw, dict):
        kind = {bool: "Boolean", int: "Integer", float: "Double", str: "String", list: "ArrayList"}.get(
            type(raw), type(raw).__name__)
        raise MappingDefinitionError(f"[meta] must be an object, got {kind}[{java_str(raw)}] for field [{name}]")
    if len(raw) > 5:
        raise MappingDefinitionError(f"[meta] can't have more than 5 entries, but got {len(raw)} on field [{name}]")
    for key, value in raw.items():
        if len(key) > 20:
            raise MappingDefinitionError(f"[meta] keys can't be longer than 20 chars, but got [{key}] "
                                         f"for field [{name}]")
        if value is None:
            raise MappingDefinitionError(f"[meta] values can't be null (field [{name}])")
        if not isinstance(value, str):
            kind = {bool: "Boolean", int: "Integer", float: "Double", list: "ArrayList",
                    dict: "LinkedHashMap"}.get(type(value), type(value).__name__)
            raise MappingDefinitionError(f"[meta] values can only be strings, but got {kind}[{java_str(value)}] "
                                         f"for field [{name}]")
        if len(value) > 50:
            raise MappingDefinitionError(f"[meta] values can't be longer than 50 chars, but got [{value}] "
                                         f"for field [{name}]")
    return MappingProxyType(dict(sorted(raw.items())))


def _index_param() -> ParamSpec:
    return ParamSpec("index", _parse_bool, _constant(True))


def _doc_values_param() -> ParamSpec:
    return ParamSpec("doc_values", _parse_bool, _constant(True))


def _meta_param() -> ParamSpec:
    return ParamSpec("meta", _parse_meta, _constant(None), can_merge=_always,
                     display=lambda value, params: bool(value), render=dict)


def _explicit_flag_param(name: str, default: bool) -> ParamSpec:
    """ES's ``explicitBoolParam``: shown whenever given, updatable."""
    return ParamSpec(name, _parse_bool, _constant(default), can_merge=_always,
                     display=lambda value, params: True)


def _null_value_param(parse: ParamParser, render: Callable[[Any], Any] = lambda value: value) -> ParamSpec:
    def parse_or_none(name: str, raw: Any, context: MappingContext) -> Any:
        return None if raw is None else parse(name, raw, context)
    return ParamSpec("null_value", parse_or_none, _constant(None), accepts_null=True,
                     display=lambda value, params: value is not None, render=render)


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
    return ValueParseError(error_cause("illegal_state_exception",
                                       f"Can't get text on a {json_token_name(value)} at {where()}"),
                           malformed=False)


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
        ParamSpec("analyzer", _parse_analyzer,
                  lambda params, explicit, context: context.default_analyzer,
                  display=lambda value, params: True),
        ParamSpec("search_analyzer", _parse_analyzer, _search_analyzer_default, can_merge=_always,
                  display=lambda value, params: value != params["analyzer"]),
        _index_param(),
        ParamSpec("norms", _parse_bool, _constant(True), can_merge=lambda old, new: old == new or (old and not new)),
        ParamSpec("position_increment_gap", _non_negative("position_increment_gap", _parse_int),
                  _constant(100), display=lambda value, params: True),
        _meta_param(),
    ),
    parse_value=_parse_text_value,
    unsupported=frozenset({"search_quote_analyzer", "store", "copy_to", "similarity", "index_options",
                           "term_vector", "fielddata", "fielddata_frequency_filter",
                           "eager_global_ordinals", "index_phrases", "index_prefixes"}),
)

KEYWORD = FieldTypeSpec(
    name="keyword",
    params=(
        _index_param(),
        _doc_values_param(),
        ParamSpec("ignore_above", _non_negative("ignore_above", _parse_int), _constant(None),
                  can_merge=_always, display=lambda value, params: value is not None),
        _null_value_param(_parse_keyword_null),
        _meta_param(),
    ),
    parse_value=_parse_keyword_value,
    unsupported=frozenset({"store", "copy_to", "normalizer", "norms", "similarity", "index_options",
                           "eager_global_ordinals", "split_queries_on_whitespace", "script",
                           "on_script_error", "time_series_dimension"}),
)


# ---- numbers --------------------------------------------------------------------------------

_INTEGER_RANGES = {"long": (-2**63, 2**63 - 1), "integer": (-2**31, 2**31 - 1),
                   "short": (-2**15, 2**15 - 1), "byte": (-2**7, 2**7 - 1)}
_JAVA_CLASS = {"long": "Long", "integer": "Integer", "short": "Short", "byte": "Integer",
               "double": "Double", "float": "Float", "half_float": "Float"}
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
        raise ValueParseError(error_cause("number_format_exception", f"For input string: \"{text}\""))
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
    if re.fullmatch(r"[+-]?\d+", text) and -2**63 <= int(text) < 2**63:
        return int(text)
    if not _BIG_DECIMAL_RE.fullmatch(text):
        raise _illegal(f"For input string: \"{text}\"")
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
    raise _illegal(f"[{type_name}] supports only finite values, but got "
                   f"[{java_double_str(value if shown is None else shown)}]")


def _number_from_value(type_name: str, value: Any, coerce: bool) -> int | float:
    """One non-null JSON value into a number of ``type_name``, as ``NumberFieldMapper.value``."""
    if isinstance(value, dict):
        raise ValueParseError(error_cause("illegal_argument_exception", "Cannot parse object as number"),
                              malformed=False)
    if isinstance(value, bool):
        raise ValueParseError(error_cause("x_content_parse_exception",
                                          f"Current token ({json_token_name(value)}) not numeric, "
                                          "can not use numeric value accessors"))
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
                raise _illegal(f"For input string: \"{java_str(raw)}\"")
            if type_name in _INTEGER_RANGES:
                number = (java_parse_double(raw) if isinstance(raw, str) else raw)
                low, high = _INTEGER_RANGES[type_name]
                if not low <= number <= high:
                    raise _illegal(f"Value [{java_str(raw)}] is out of range for "
                                   f"{'a byte' if type_name == 'byte' else _RANGE_NAME[type_name]}")
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
            _null_value_param(_number_null_parser(type_name),
                              _shortest_float32 if type_name == "float" else (lambda value: value)),
            _explicit_flag_param("coerce", True),
            _explicit_flag_param("ignore_malformed", False),
            _meta_param(),
        ),
        parse_value=_parse_number_value,
        unsupported=frozenset({"store", "copy_to", "script", "on_script_error", "time_series_dimension",
                               "time_series_metric"}),
    )


# ---- date -------------------------------------------------------------------------------------

def _parse_format(name: str, raw: Any, context: MappingContext) -> str:
    if not isinstance(raw, str):
        raise MappingDefinitionError(f"Invalid format: [{java_str(raw)}]: expected string value",
                                     "illegal_argument_exception")
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
        raise MappingDefinitionError(f"Error parsing [null_value] on field [{name}]: {failure.reason}",
                                     caused_by=failure.to_cause()) from None


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
    raise ValueParseError(error_cause("x_content_parse_exception",
                                      f"Current token ({json_token_name(value)}) not of boolean type"),
                          malformed=not isinstance(value, dict))


def _parse_boolean_null(name: str, raw: Any, context: MappingContext) -> bool:
    return _bool_value(raw)


BOOLEAN = FieldTypeSpec(
    name="boolean",
    params=(_index_param(), _doc_values_param(), _null_value_param(_parse_boolean_null), _meta_param()),
    parse_value=_parse_boolean_value,
    unsupported=frozenset({"store", "copy_to", "script", "on_script_error", "ignore_malformed"}),
)


FIELD_TYPES: Mapping[str, FieldTypeSpec] = MappingProxyType({
    spec.name: spec for spec in (
        TEXT, KEYWORD, DATE, BOOLEAN,
        *(_number_spec(name) for name in ("long", "integer", "short", "byte", "double", "float",
                                          "half_float")),
    )
})
"""Every supported leaf type by name. Adding a type is adding a spec here."""

UNSUPPORTED_FIELD_TYPES: frozenset[str] = frozenset({
    "nested", "flattened", "geo_point", "geo_shape", "shape", "point", "ip", "binary",
    "integer_range", "long_range", "float_range", "double_range", "date_range", "ip_range",
    "date_nanos", "scaled_float", "unsigned_long", "wildcard", "constant_keyword",
    "match_only_text", "search_as_you_type", "completion", "token_count", "dense_vector",
    "sparse_vector", "semantic_text", "rank_feature", "rank_features", "percolator", "join",
    "alias", "histogram", "version", "aggregate_metric_double", "passthrough",
    "counted_keyword", "annotated_text", "murmur3", "icu_collation_keyword", "rank_vectors",
    "exponential_histogram",
})
"""Real Elasticsearch types that retrievo rejects with a "not supported" mapping error."""
