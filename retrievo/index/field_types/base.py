"""The model of a leaf field type: errors, the mapping context, :class:`FieldMapping`,
:class:`ParamSpec`, :class:`FieldTypeSpec` and the registry :data:`FIELD_TYPES`.

Each family's module (:mod:`.text`, :mod:`.numeric`, :mod:`.date`, :mod:`.boolean`,
:mod:`.dense_vector`, :mod:`.semantic_text`) defines its specs; the package ``__init__`` registers
them, so :data:`FIELD_TYPES` is complete as soon as any part of the package is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from retrievo.errors import error_cause
from retrievo.index.vectors.options import IndexOptions
from retrievo.java_text import java_str

__all__ = [
    "FIELD_TYPES",
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
    "register_field_types",
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
    The token Jackson was on decides ``[l:c]``: array element (or object key) ``element`` when set, the array's
    closing ``]`` when ``at_end``, else the value itself. Reasons may name the document through
    :data:`DOCUMENT_PLACEHOLDER`; :meth:`cause_for` fills it in.
    """

    def __init__(self, error_type: str, reason: str, *, element: int | str | None = None, at_end: bool = False) -> None:
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


_FIELD_TYPES: dict[str, FieldTypeSpec] = {}

FIELD_TYPES: Mapping[str, FieldTypeSpec] = MappingProxyType(_FIELD_TYPES)
"""Every supported leaf type by name. Adding a type is adding a spec to the registration in the
package ``__init__``."""


def register_field_types(*specs: FieldTypeSpec) -> None:
    """Adds ``specs`` to :data:`FIELD_TYPES` (the package ``__init__`` registers every family)."""
    for spec in specs:
        _FIELD_TYPES[spec.name] = spec
