"""Parsing a document against the mappings: typed values per field, and dynamic mapping.

:func:`parse_document` walks a ``_source`` the way Elasticsearch's ``DocumentParser`` does:

* arrays (of any nesting) are flattened; each element goes to the field on its own;
* dotted keys (``{"user.name": "x"}``) mean nested objects;
* ``null`` indexes the field's ``null_value`` or nothing;
* multi-fields receive the parent's raw JSON value and parse it with their own type;
* unmapped fields follow the ``dynamic`` setting in force: ``true`` adds a mapping (strings become
  ``text`` with a ``keyword`` sub-field with ``ignore_above: 256``, or ``date`` when date detection
  matches; integers ``long``; fractions ``float``; booleans ``boolean``; objects ``object``),
  ``false`` keeps them in ``_source`` only, ``strict`` rejects the document;
* objects with ``enabled: false`` are skipped entirely.

It never mutates the mappings: new fields come back as ``ParsedDocument.new_mappings``, so a
document that fails leaves the index unchanged.

Error rendering. Elasticsearch prefixes document errors with the ``[line:column]`` of the
offending token in the request body. retrievo receives a parsed dict, so the position is computed
in the *compact re-serialisation* of the source (``json.dumps(source, separators=(",", ":"),
ensure_ascii=False)``, UTF-8 byte columns like Jackson's, always line 1): for ``{"age":"abc"}`` a
bad ``age`` is reported at ``[1:8]``. It matches Elasticsearch exactly when the client sent compact
JSON, which is what the official clients send.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from typing import Any

from retrievo.errors import (
    BadRequestError,
    bad_request,
    document_parsing_error,
    error_cause,
    error_reason,
    illegal_argument,
)
from retrievo.index.copy_to import copy_targets
from retrievo.index.dates import DEFAULT_DATE_FORMAT, DYNAMIC_DATE_FORMATS, DateParseError, compile_date_format
from retrievo.index.field_types import (
    FieldMapping,
    IgnoredValue,
    MappingContext,
    MappingUpdate,
    ValueParseError,
    VectorValueError,
    dynamic_dense_vector,
)
from retrievo.index.field_types.completion import check_completion_contexts
from retrievo.index.field_types.numeric import java_parse_double
from retrievo.index.mappings import Mapper, Mappings, ObjectMapping, build_mapper
from retrievo.index.mappings.limits import check_field_limit, mapper_fields_count
from retrievo.index.nested_parse import parse_nested_object
from retrievo.java_text import java_str

__all__ = ["METADATA_FIELDS", "ParsedDocument", "parse_document"]

METADATA_FIELDS: frozenset[str] = frozenset(
    {
        "_id",
        "_index",
        "_source",
        "_routing",
        "_version",
        "_seq_no",
        "_primary_term",
        "_ignored",
        "_field_names",
        "_nested_path",
        "_data_stream_timestamp",
        "_tier",
        "_ignored_source",
        "_feature",
        "_size",
    }
)
"""Names of metadata fields; Elasticsearch refuses them as top-level fields of a document."""

_ROOT_NAME = "_doc"
_LONG_RE = re.compile(r"[+-]?\d+")

Location = tuple[Any, ...]
"""Keys and array indexes leading from the source root to a token."""


@dataclass(frozen=True)
class ParsedDocument:
    """What indexing a document needs.

    ``values``: full field path (multi-fields included) -> typed values in document order:
    ``text``/``keyword`` -> ``str``, integer types -> ``int``, ``double``/``float``/``half_float``
    -> ``float`` (rounded to the type's precision), ``date`` -> ``int`` epoch millis (UTC),
    ``boolean`` -> ``bool``. Fields with ``index: false`` are included (doc values need them);
    the indexer consults the mapping.
    ``new_mappings``: the mappings with this document's dynamic additions, or ``None``.
    ``ignored``: fields whose values were dropped by ``ignore_above``/``ignore_malformed``
    (Elasticsearch's ``_ignored``).
    """

    doc_id: str | None
    values: dict[str, list[Any]]
    new_mappings: Mappings | None = None
    ignored: tuple[str, ...] = ()
    #: The document's ``nested`` objects (``index.nested.NestedDoc``), each a document of its own.
    nested: tuple[Any, ...] = ()


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _jsonable(value: Any) -> Any:
    """What elasticsearch-py's serializer sends for Python values that are not JSON: dates and
    times as ISO strings, ``Decimal`` as a number, ``UUID`` as a string, tuples as arrays."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _compact_length(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_jsonable).encode("utf-8"))


def _column_of(source: Any, location: Location, at_key: bool) -> int:
    """1-based UTF-8 column, in the compact serialisation of ``source``, of the token at
    ``location`` (of its key when ``at_key``)."""
    offset = 0
    node = source
    for depth, step in enumerate(location):
        offset += 1  # "{" or "["
        last = depth == len(location) - 1
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == step:
                    if last and at_key:
                        return offset + 1
                    offset += _compact_length(key) + 1
                    node = value
                    break
                offset += _compact_length(key) + 1 + _compact_length(value) + 1
        else:
            for item in node[:step]:
                offset += _compact_length(item) + 1
            node = node[step]
    return offset + 1


class _DocumentParse:
    """The state of one :func:`parse_document` call (never shared, dropped on failure)."""

    def __init__(
        self,
        mappings: Mappings,
        source: Mapping[str, Any],
        doc_id: str | None,
        depth_limit: int = 20,
        fields_limit: int | None = None,
    ) -> None:
        self.mappings = mappings
        self.depth_limit = depth_limit
        self.fields_limit = fields_limit
        self.new_fields = 0
        self.source = source
        self.doc_id = doc_id
        self.values: dict[str, list[Any]] = {}
        self.root_values = self.values
        self.nested: list[Any] = []  # the current level's nested objects (index/nested_parse.py)
        self.ignored: dict[str, None] = {}
        self.added: dict[str, Mapper] = {}
        self.copying = False  # inside a copy_to: the target's own copy_to is not followed

    @cached_property
    def context(self) -> MappingContext:
        """The context new fields are parsed in: built on the first dynamic field only, as most
        documents add none (one object fewer a document on a bulk load)."""
        return self.mappings.mapping_context()

    # ---- lookups ----------------------------------------------------------------------------------

    def mapper(self, path: str) -> Mapper | None:
        found = self.added.get(path)
        return found if found is not None else self.mappings.mapper(path)

    def add(self, mapper: Mapper, location: Location = ()) -> None:
        if isinstance(mapper, ObjectMapping) and mapper.path.count(".") + 2 > self.depth_limit:
            # MappingLookup.checkObjectDepthLimit (the root object is depth 1), before the walk goes deeper
            raise illegal_argument(
                f"Limit of mapping depth [{self.depth_limit}] has been exceeded due to object field [{mapper.path}]"
            )
        new = mapper.path not in self.added and self.mappings.mapper(mapper.path) is None
        if self.fields_limit is not None and new:
            # DocumentParserContext.addDynamicMapper: checked eagerly, before the mapper is added;
            # DocumentParser wraps the IllegalArgumentException as "[l:c] failed to parse: ..."
            adding = self.new_fields + mapper_fields_count(mapper)
            try:
                check_field_limit(self.mappings.total_fields_count(), self.fields_limit, adding)
            except BadRequestError as failure:
                reason = error_reason(failure)
                raise self.failed(reason, location, error_cause("illegal_argument_exception", reason)) from None
            self.new_fields = adding
        self.added[mapper.path] = mapper

    # ---- errors -----------------------------------------------------------------------------------

    def where(self, location: Location, at_key: bool = False) -> str:
        return f"1:{_column_of(self.source, location, at_key)}"

    def failed(self, reason: str, location: Location, cause: dict[str, Any], at_key: bool = False) -> BadRequestError:
        """DocumentParser's wrapper for non-document exceptions: ``[l:c] failed to parse: ...``."""
        return document_parsing_error(f"[{self.where(location, at_key)}] failed to parse: {reason}", caused_by=cause)

    def field_error(
        self, mapping: FieldMapping, value: Any, location: Location, cause: dict[str, Any]
    ) -> BadRequestError:
        """``FieldMapper.parse``'s error, with the value preview."""
        return document_parsing_error(
            f"[{self.where(location)}] failed to parse field [{mapping.path}] of type [{mapping.type}] in "
            f"document with id '{java_str(self.doc_id)}'. Preview of field's value: '{java_str(value)}'",
            caused_by=cause,
        )

    def strict_error(self, name: str, parent: str, location: Location) -> BadRequestError:
        return bad_request(
            "strict_dynamic_mapping_exception",
            f"[{self.where(location)}] mapping set to strict, dynamic introduction of "
            f"[{name}] within [{parent or _ROOT_NAME}] is not allowed",
        )

    # ---- walking ----------------------------------------------------------------------------------

    def parse_object(self, obj: ObjectMapping, value: Mapping[str, Any], dynamic: str, location: Location) -> None:
        for key, child in value.items():
            child_location = (*location, key)
            if not obj.path and key in METADATA_FIELDS:
                raise document_parsing_error(
                    f"[{self.where(child_location, at_key=True)}] Field [{key}] is a metadata field and cannot be "
                    "added inside a document. Use the index API request parameters."
                )
            if key and "." not in key:  # one plain name: what split_key and parse_path come down to
                self.parse_field(obj, dynamic, key, child, child_location)
                continue
            parts = self.split_key(key, child_location)
            self.parse_path(obj, dynamic, parts, child, child_location)

    def split_key(self, key: str, location: Location) -> list[str]:
        """``splitAndValidatePath``: a dotted key stands for nested objects."""
        if key == "":
            raise self.failed(
                "field name cannot be an empty string",
                location,
                error_cause("illegal_argument_exception", "field name cannot be an empty string"),
                at_key=True,
            )
        parts = key.split(".")
        if len(parts) > 1:
            for part in parts:
                if part == "":
                    reason = f"object field starting or ending with a [.] makes object resolution ambiguous: [{key}]"
                elif part.strip() == "":
                    reason = f"object field cannot contain only whitespace: ['{key}']"
                else:
                    continue
                raise self.failed(reason, location, error_cause("illegal_argument_exception", reason), at_key=True)
        return parts

    def parse_path(
        self, obj: ObjectMapping, dynamic: str, parts: Sequence[str], value: Any, location: Location
    ) -> None:
        for part in parts[:-1]:
            path = _join(obj.path, part)
            child = self.mapper(path)
            if child is None:
                if dynamic == "strict":
                    raise self.strict_error(part, obj.path, location)
                if dynamic == "false":
                    return
                child = ObjectMapping(path)
                self.add(child)
            elif isinstance(child, FieldMapping):
                full = _join(obj.path, ".".join(parts))
                reason = (
                    f"Could not dynamically add mapping for field [{full}]. Existing mapping for "
                    f"[{child.path}] must be of type object but found [{child.type}]."
                )
                raise self.failed(reason, location, error_cause("illegal_argument_exception", reason))
            if not child.enabled:
                return
            obj, dynamic = child, child.dynamic or dynamic
        self.parse_field(obj, dynamic, parts[-1], value, location)

    def parse_field(self, obj: ObjectMapping, dynamic: str, name: str, value: Any, location: Location) -> None:
        mapper = self.mapper(_join(obj.path, name))
        if mapper is None:
            self.parse_unmapped(obj, dynamic, name, value, location)
        elif isinstance(mapper, ObjectMapping):
            self.parse_into_object(mapper, dynamic, name, value, location)
        else:
            self.parse_leaf(mapper, value, location)

    def parse_into_object(self, obj: ObjectMapping, dynamic: str, name: str, value: Any, location: Location) -> None:
        value = _jsonable(value)
        if value is None:
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.parse_into_object(obj, dynamic, name, item, (*location, index))
            return
        if not isinstance(value, dict):
            raise document_parsing_error(
                f"[{self.where(location)}] object mapping for [{obj.path}] tried to parse field [{name}] as "
                "object, but found a concrete value"
            )
        if obj.enabled and obj.nested is not None:
            parse_nested_object(self, obj, value, obj.dynamic or dynamic, location)
        elif obj.enabled:
            self.parse_object(obj, value, obj.dynamic or dynamic, location)

    def parse_leaf(self, mapping: FieldMapping, value: Any, location: Location) -> None:
        if type(value) is str and mapping.type == "text":
            # what parse_value gives a string of a text field (text_of: the string itself), without
            # the walk there: the usual value of a bulk load
            self.values.setdefault(mapping.path, []).append(value)
        else:
            value = _jsonable(value)
            if isinstance(value, list) and not mapping.spec.parses_arrays:
                for index, item in enumerate(value):
                    self.parse_leaf(mapping, item, (*location, index))
                return
            self.parse_value(mapping, value, location)
        for sub in mapping.fields:
            self.parse_value(sub, value, location)
        if not self.copying and copy_targets(mapping.params):
            self.copy_value(mapping, value, location)

    def copy_value(self, mapping: FieldMapping, value: Any, location: Location) -> None:
        """``DocumentParser.parseCopyFields`` (see :mod:`retrievo.index.copy_to`): not transitive."""
        self.copying = True
        try:
            for target in copy_targets(mapping.params):
                root = self.mappings.root
                self.parse_path(root, root.dynamic or "true", target.split("."), value, location)
        finally:
            self.copying = False

    def parse_value(self, mapping: FieldMapping, value: Any, location: Location) -> None:
        if mapping.spec.parses_arrays and mapping.path in self.values:
            reason = (
                f"Field [{mapping.path}] of type [{mapping.type}] doesn't support indexing multiple values "
                "for the same field in the same document"
            )
            raise self.failed(reason, location, error_cause("illegal_argument_exception", reason))
        try:
            typed = mapping.parse_value(value, lambda: self.where(location))
        except MappingUpdate as update:
            self.add(update.mapping, location)
            self.parse_value(update.mapping, value, location)
            return
        except IgnoredValue:
            self.ignored[mapping.path] = None
            return
        except VectorValueError as failure:
            raise self.vector_error(failure, value, location) from None
        except ValueParseError as failure:
            raise self.field_error(mapping, value, location, failure.cause) from None
        if typed is not None:
            self.values.setdefault(mapping.path, []).append(typed)

    def vector_error(self, failure: VectorValueError, value: Any, location: Location) -> BadRequestError:
        """dense_vector parses itself: ES's generic ``[l:c] failed to parse: <reason>`` at the token
        the parser was on (an element, the closing bracket, or the value)."""
        if failure.element is not None:
            column = _column_of(self.source, (*location, failure.element), False)
        elif failure.at_end:
            column = _column_of(self.source, location, False) + _compact_length(value) - 1
        else:
            column = _column_of(self.source, location, False)
        cause = failure.cause_for(self.doc_id)
        return document_parsing_error(f"[1:{column}] failed to parse: {cause['reason']}", caused_by=cause)

    def parse_unmapped(self, obj: ObjectMapping, dynamic: str, name: str, value: Any, location: Location) -> None:
        value = _jsonable(value)
        if dynamic == "strict":
            raise self.strict_error(name, obj.path, location)
        if dynamic == "false" or value is None:
            return
        path = _join(obj.path, name)
        if isinstance(value, list) and dynamic_dense_vector(value, self.mappings.numeric_detection):
            self.add(build_mapper(path, {"type": "dense_vector"}, self.context), location)
            self.parse_field(obj, dynamic, name, value, location)
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.parse_field(obj, dynamic, name, item, (*location, index))
            return
        if isinstance(value, dict):
            child = ObjectMapping(path)
            self.add(child, location)
            self.parse_object(child, value, dynamic, location)
            return
        mapper = build_mapper(path, dynamic_definition(value, self.mappings), self.context)
        self.add(mapper, location)
        self.parse_field(obj, dynamic, name, value, location)


def _looks_numeric(text: str) -> tuple[bool, bool]:
    """(parseable by ``Long.parseLong``, parseable by ``Double.parseDouble``)."""
    as_long = bool(_LONG_RE.fullmatch(text)) and -(2**63) <= int(text) < 2**63
    try:
        java_parse_double(text)
        as_double = True
    except ValueParseError:
        as_double = False
    return as_long, as_double


def _detect_date(text: str) -> str | None:
    """The first of the dynamic date formats that parses ``text``."""
    for formats in DYNAMIC_DATE_FORMATS:
        try:
            compile_date_format(formats).parse_millis(text)
        except DateParseError:
            continue
        return formats
    return None


def dynamic_definition(value: Any, mappings: Mappings) -> dict[str, Any]:
    """The mapping Elasticsearch's ``DynamicFieldsBuilder`` gives a new field with this value."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    text = str(value)
    as_long, as_double = _looks_numeric(text)
    if mappings.numeric_detection and as_long:
        return {"type": "long"}
    if mappings.numeric_detection and as_double:
        return {"type": "float"}
    if not as_long and not as_double and mappings.date_detection:
        formats = _detect_date(text)
        if formats is not None:
            return {"type": "date"} if formats == DEFAULT_DATE_FORMAT else {"type": "date", "format": formats}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def parse_document(
    mappings: Mappings,
    source: Mapping[str, Any],
    doc_id: str | None,
    depth_limit: int = 20,
    fields_limit: int | None = None,
) -> ParsedDocument:
    """Parses ``source`` against ``mappings`` (which it never modifies).

    Raises ``BadRequestError``: ``document_parsing_exception`` for a value that does not fit its
    field (``[1:8] failed to parse field [age] of type [long] in document with id '1'. Preview of
    field's value: 'abc'``, caused by e.g. ``illegal_argument_exception`` ``For input string:
    "abc"``), for metadata fields inside the document and malformed field names;
    ``strict_dynamic_mapping_exception`` for an unmapped field under ``dynamic: strict``.
    """
    if not isinstance(source, Mapping):
        raise document_parsing_error("[1:1] Malformed content, must start with an object")
    state = _DocumentParse(mappings, source, doc_id, depth_limit, fields_limit)
    root = mappings.root
    if root.enabled:
        state.parse_object(root, source, root.dynamic or "true", ())
    new_mappings = mappings.with_mappers(state.added.values()) if state.added else None
    check_completion_contexts(state.values, (new_mappings or mappings).field)  # completion contexts: the writer's check
    return ParsedDocument(doc_id, state.values, new_mappings, tuple(state.ignored), tuple(state.nested))
