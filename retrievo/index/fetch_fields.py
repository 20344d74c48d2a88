"""A hit's ``fields``, ``docvalue_fields`` and metadata, as Elasticsearch's fetch phase builds them.

Two readings of one document, which differ on purpose (as they do in Elasticsearch):

* ``fields`` (``FetchFieldsPhase``/``FieldFetcher``) reads ``_source`` and passes each value through
  the field's mapping (``MappedFieldType.valueFetcher``): a ``long`` given as ``"5"`` comes back as
  ``5``, a date in the mapping's (or the request's) format, a keyword longer than ``ignore_above``
  is left out of ``fields`` and listed, raw, under the hit's ``ignored_field_values``. Values keep
  the document's order and duplicates. Multi-fields read their parent's source values. Unmapped
  source values come back raw only with ``include_unmapped``.
* ``docvalue_fields`` (``FetchDocValuesPhase``) reads what was indexed: keyword values sorted by
  their UTF-8 bytes without duplicates (Lucene's sorted set), numbers and dates sorted with
  duplicates (sorted numeric), dates printed with the mapping's format unless the request names
  one. retrievo reads each column from the document's source with the value parser the indexer
  uses (the parent's values for a multi-field, ``null_value`` for nulls, dropped values left out),
  so it holds what indexing produced.

Metadata: ``_id`` and ``_index`` can be fetched by name (never through a wildcard); ``_ignored``
(the fields whose values ``ignore_above``/``ignore_malformed`` dropped) is both a ``fields`` entry
when named and a top-level hit key on every hit that has one, Elasticsearch's default
(``FetchFieldsPhase.DEFAULT_METADATA_FIELDS``, fetched for the default stored-fields context).
``_seq_no`` and ``_version`` live in numeric doc values (``SeqNoFieldMapper``, ``VersionFieldMapper``):
both answer ``docvalue_fields``, and ``_version`` answers ``fields`` too (its ``valueFetcher`` reads
those doc values) while ``_seq_no``'s refuses. Their numbers are the search snapshot's, by ``_id``
(:data:`DocNumbers`); a nested object carries its top-level document's, as in Elasticsearch.
Internal metadata fields fail as Elasticsearch's ``valueFetcher`` does.

A failure here happens in Elasticsearch's fetch phase, which on one shard runs inside the query
phase: the search fails with ``search_phase_execution_exception`` around the cause.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo.errors import BadRequestError, error_cause, not_supported, shard_failure
from retrievo.index.copy_to import indexed_paths, source_paths
from retrievo.index.dates import DEFAULT_DATE_FORMAT, DateFormatError, DateFormatter, compile_date_format
from retrievo.index.field_types import FieldMapping, IgnoredValue, ValueParseError
from retrievo.index.ip_values import format_hex
from retrievo.index.mappings import Mappings
from retrievo.java_text import java_str

__all__ = [
    "MAX_DOCVALUE_FIELDS",
    "DocNumbers",
    "DocValueFetcher",
    "FetchedFields",
    "FieldFetcher",
    "FieldRequest",
    "HitFetcher",
    "ignored_fields",
    "snapshot_numbers",
]

#: ``index.max_docvalue_fields_search`` default.
MAX_DOCVALUE_FIELDS = 100

#: Metadata fields whose value a search can fetch by name.
_FETCHABLE_METADATA = frozenset({"_id", "_index", "_routing", "_ignored", "_version"})
#: Metadata fields that exist in every index but whose ``valueFetcher`` refuses
#: (``Cannot fetch values for internal field [...]``, e.g. ``SeqNoFieldMapper``).
_INTERNAL_METADATA = frozenset(
    {"_source", "_seq_no", "_field_names", "_nested_path", "_tier", "_ignored_source", "_doc_count"}
)
#: Metadata fields held as sorted-numeric ``long`` doc values: (``_seq_no``, ``_version``) index.
_NUMBERED_METADATA = {"_seq_no": 0, "_version": 1}

#: ``_id`` → (``_seq_no``, ``_version``) of the document with that id in the searched snapshot
#: (``None`` for an id it lacks: no doc values, as for the empty id of a value-only fetch).
DocNumbers = Callable[[str], tuple[int, int] | None]


def snapshot_numbers(by_id: Mapping[str, int], seq_nos: np.ndarray, versions: np.ndarray) -> DocNumbers:
    """The numbers a snapshot holds per ``_id`` (its ``by_id`` and per-doc arrays): what Elasticsearch's
    ``_seq_no``/``_version`` doc values give a hit, and every nested object under it."""

    def numbers(doc_id: str) -> tuple[int, int] | None:
        internal = by_id.get(doc_id)
        return None if internal is None else (int(seq_nos[internal]), int(versions[internal]))

    return numbers


def _numbers_unavailable(name: str, kind: str) -> BadRequestError:
    """Where a caller has no snapshot numbers to give (see :class:`HitFetcher`)."""
    return not_supported(f"[{kind}] [{name}] in this part of a search")


_METADATA = _FETCHABLE_METADATA | _INTERNAL_METADATA
_FLOAT32_TYPES = frozenset({"float", "half_float"})
_NUMBER_TYPES = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float"})
_MAY_IGNORE = frozenset({"keyword", "date", "date_nanos", "ip", *_NUMBER_TYPES})


@dataclass(frozen=True)
class FieldRequest:
    """One ``fields``/``docvalue_fields`` entry: a name or ``*`` pattern, a format, ``include_unmapped``."""

    field: str
    format: str | None = None
    include_unmapped: bool = False


@dataclass
class FetchedFields:
    """What one hit gets: ``fields``, ``ignored_field_values`` and top-level metadata, each in the
    order Elasticsearch writes them (empty ones are left out of the hit)."""

    fields: dict[str, list[Any]] = field(default_factory=dict)
    ignored_values: dict[str, list[Any]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def fetch_failure(index: str, reason: str) -> BadRequestError:
    """An ``illegal_argument_exception`` in the fetch phase of the (only) shard."""
    return shard_failure(index, error_cause("illegal_argument_exception", reason), node="retrievo")


# ------------------------------------------------------------------------------------------------
# Field names, patterns, source paths
# ------------------------------------------------------------------------------------------------


def is_pattern(name: str) -> bool:
    """``Regex.isSimpleMatchPattern``: only ``*`` is a wildcard."""
    return "*" in name


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def matching_fields(mappings: Mappings, pattern: str) -> list[str]:
    """``SearchExecutionContext.getMatchingFieldNames``: mapped leaf fields and multi-fields (objects
    are not fields), plus the metadata fields, matching ``pattern``."""
    if not is_pattern(pattern):
        return [pattern] if pattern in _METADATA or mappings.field(pattern) is not None else []
    regex = _pattern_regex(pattern)
    return [fm.path for fm in mappings.fields() if regex.fullmatch(fm.path)]


def extract_value(path: str, source: Any, null_value: Any = None) -> Any:
    """``XContentMapValues.extractValue``: the value(s) at a dotted ``path``, through nested objects,
    dotted keys (``{"a.b": 1}``) and arrays (which stay arrays); ``null`` reads as ``null_value``."""
    return _extract(path.split("."), 0, source, null_value)


def _extract(parts: list[str], index: int, current: Any, null_value: Any) -> Any:
    if isinstance(current, list):
        out = []
        for item in current:
            value = _extract(parts, index, item, null_value)
            if value is not None:
                out.append(value)
        return out
    if index == len(parts):
        return null_value if current is None else current
    if not isinstance(current, Mapping):
        return None
    key = parts[index]
    following = index + 1
    found: list[Any] = []
    while True:
        if key in current:
            value = current[key]
            if value is None:
                found.append(null_value)
            else:
                extracted = _extract(parts, following, value, null_value)
                if extracted is not None:
                    found.append(extracted)
        if following == len(parts):
            found = [v for v in found if v is not None]
            if not found:
                return None
            return found[0] if len(found) == 1 else found
        key = f"{key}.{parts[following]}"
        following += 1


def extract_raw_values(path: str, source: Mapping[str, Any]) -> list[Any]:
    """``XContentMapValues.extractRawValues``: the scalar values met along ``path`` (dotted keys
    too), arrays flattened; an object at the end of the path gives nothing. As in Elasticsearch, a
    scalar met before the path ends is taken as well."""
    out: list[Any] = []
    _raw_from_map(path.split("."), 0, source, out)
    return out


def _raw_from_map(parts: list[str], index: int, part: Mapping[str, Any], out: list[Any]) -> None:
    if index == len(parts):
        return
    key = parts[index]
    following = index + 1
    while True:
        value = part.get(key)
        if value is not None:
            if isinstance(value, Mapping):
                _raw_from_map(parts, following, value, out)
            elif isinstance(value, list):
                _raw_from_list(parts, following, value, out)
            else:
                out.append(value)
        if following == len(parts):
            return
        key = f"{key}.{parts[following]}"
        following += 1


def _raw_from_list(parts: list[str], index: int, values: list[Any], out: list[Any]) -> None:
    for value in values:
        if value is None:
            continue
        if isinstance(value, Mapping):
            _raw_from_map(parts, index, value, out)
        elif isinstance(value, list):
            _raw_from_list(parts, index, value, out)
        else:
            out.append(value)


# ------------------------------------------------------------------------------------------------
# Values as a field's mapping reads them (``valueFetcher``)
# ------------------------------------------------------------------------------------------------


class _Ignored(Exception):
    """The value does not make it into ``fields`` (it goes to ``ignored_field_values``)."""


SourceParser = Callable[[Any], Any]


def _where() -> str:
    return "1:1"


def _no_format(fm: FieldMapping, fmt: str | None) -> None:
    if fmt is not None:
        raise ValueError(f"Field [{fm.path}] of type [{fm.type}] doesn't support formats.")


def _display_number(fm: FieldMapping, value: int | float) -> int | float:
    """A ``Float`` prints with its shortest digits (``0.1``), not the double it widens to."""
    if fm.type in _FLOAT32_TYPES and isinstance(value, float):
        return float(str(np.float32(value)))
    return value


def _typed(fm: FieldMapping, value: Any) -> Any:
    try:
        typed = fm.parse_value(value, _where)
    except (IgnoredValue, ValueParseError):
        raise _Ignored from None
    if typed is None:
        raise _Ignored
    return typed


def _date_formatter(fm: FieldMapping, fmt: str | None) -> DateFormatter:
    try:
        return compile_date_format(fmt if fmt is not None else fm.format or DEFAULT_DATE_FORMAT)
    except DateFormatError as bad:
        raise ValueError(str(bad)) from None


def source_parser(fm: FieldMapping, fmt: str | None) -> SourceParser:
    """How ``fields`` turns one source value of ``fm`` into its output (``_Ignored`` when the mapping
    would not have indexed it). Raises ``ValueError`` (Elasticsearch's ``IllegalArgumentException``
    from ``valueFetcher``) for a format the type does not take."""
    if fm.type in ("text", "search_as_you_type"):
        _no_format(fm, fmt)
        return lambda value: value if isinstance(value, str) else java_str(value)
    if fm.type == "keyword":
        _no_format(fm, fmt)
        return lambda value: _typed(fm, value if isinstance(value, str) else java_str(value))
    if fm.type in _NUMBER_TYPES:
        _no_format(fm, fmt)
        return lambda value: _display_number(fm, _typed(fm, value))
    if fm.type == "boolean":
        _no_format(fm, fmt)
        return lambda value: _typed(fm, value)
    if fm.type == "ip":  # the address as DocValueFormat.IP prints it, not as the source spells it
        _no_format(fm, fmt)
        return lambda value: format_hex(_typed(fm, value))
    if fm.type == "date":
        printer = _date_formatter(fm, fmt)
        return lambda value: printer.format_millis(_typed(fm, value if isinstance(value, str) else java_str(value)))
    if fm.type == "date_nanos":
        nanos_printer = _date_formatter(fm, fmt)
        return lambda value: nanos_printer.format_nanos(
            _typed(fm, value if isinstance(value, str) else java_str(value))
        )
    if fm.type == "dense_vector":  # the source array as it is (retrievo keeps vectors in _source)
        _no_format(fm, fmt)
        return lambda value: value
    if fm.type in ("sparse_vector", "rank_features"):  # SourceValueFetcher.identity: the source object as it is
        return lambda value: value
    if fm.type == "rank_feature":  # objectToFloat of the source value (before positive_score_impact)
        return lambda value: float(np.float32(value if not isinstance(value, str) else float(value)))
    if fm.type == "semantic_text":  # the original text; "chunks" reads the inference results
        if fmt == "chunks":
            raise not_supported(f"[fields] format [chunks] on [semantic_text] field [{fm.path}]")
        if fmt is not None:
            raise ValueError(f"Unknown format [{fmt}] for field [{fm.path}], only [chunks] is supported.")
        return lambda value: value if isinstance(value, str) else java_str(value)
    raise not_supported(f"[fields] on field [{fm.path}] of type [{fm.type}]")


def source_values(
    fm: FieldMapping, parse: SourceParser, source: Mapping[str, Any], paths: Sequence[str] | None = None
) -> tuple[list[Any], list[Any]]:
    """``SourceValueFetcher.fetchValues``: (values, ignored raw values). Nested arrays are walked
    breadth-first, as Elasticsearch's queue does. ``paths``: the source paths to read (a ``copy_to``
    target's own and its sources', :func:`retrievo.index.copy_to.source_paths`), one after the other."""
    if paths is not None and len(paths) > 1:
        values_of, ignored_of = [], []
        for one in paths:
            found_at, dropped = source_values(fm, parse, source, (one,))
            values_of.extend(found_at)
            ignored_of.extend(dropped)
        return values_of, ignored_of
    path = paths[0] if paths else fm.parent if fm.parent is not None else fm.path
    found = extract_value(path, source, fm.null_value)
    values: list[Any] = []
    ignored: list[Any] = []
    if found is None:
        return values, ignored
    if fm.type == "dense_vector":  # ArraySourceValueFetcher: the whole array is one source value
        if isinstance(found, list):
            values.extend(found)
        else:
            ignored.append(found)
        return values, ignored
    if fm.type in ("sparse_vector", "rank_features"):  # each object given is one value
        values.extend(v for v in (found if isinstance(found, list) else [found]) if isinstance(v, Mapping))
        return values, ignored
    queue: deque[Any] = deque([found])
    while queue:
        value = queue.popleft()
        if isinstance(value, list):
            queue.extend(v for v in value if v is not None)
            continue
        if isinstance(value, Mapping):
            ignored.append(value)
            continue
        try:
            values.append(parse(value))
        except _Ignored:
            ignored.append(value)
    return values, ignored


# ------------------------------------------------------------------------------------------------
# _ignored
# ------------------------------------------------------------------------------------------------


_Ignoring = tuple[FieldMapping, SourceParser, tuple[str, ...]]


def _ignoring_fields(mappings: Mappings) -> list[_Ignoring]:
    """The fields that can drop a value at indexing (``ignore_above``, ``ignore_malformed``), with the
    source paths their values come from (a ``copy_to`` target's sources included)."""
    out: list[_Ignoring] = []
    for fm in mappings.fields():
        if (fm.ignore_above is not None or fm.ignore_malformed) and fm.type in _MAY_IGNORE:
            out.append((fm, source_parser(fm, None), tuple(source_paths(mappings.fields(), fm))))
    return out


def ignored_fields(candidates: Sequence[_Ignoring], source: Mapping[str, Any]) -> list[str]:
    """The document's ``_ignored``: the fields one of whose source values indexing dropped. Indices
    created by Elasticsearch 8.15+ keep ``_ignored`` in sorted-set doc values
    (``IgnoredFieldMapper``, ``DOC_VALUES_FOR_IGNORED_META_FIELD``), so it reads back in UTF-8 order."""
    return _utf8_order(
        [
            fm.path
            for fm, parse, paths in candidates
            if (len(paths) > 1 or not _surely_kept(fm, source)) and source_values(fm, parse, source, paths)[1]
        ]
    )


def _surely_kept(fm: FieldMapping, source: Mapping[str, Any]) -> bool:
    """A cheap answer for the common case, so that every hit does not re-parse its fields: no value, or
    one keyword string too short for ``ignore_above`` to drop (its UTF-16 length is at most twice its
    length in code points)."""
    found = extract_value(fm.parent if fm.parent is not None else fm.path, source, fm.null_value)
    if found is None:
        return True
    limit = fm.ignore_above
    return fm.type == "keyword" and limit is not None and isinstance(found, str) and 2 * len(found) <= limit


# ------------------------------------------------------------------------------------------------
# fields
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    name: str
    mapping: FieldMapping | None  # None: a metadata field
    parse: SourceParser | None
    paths: tuple[str, ...] = ()  # where _source holds its values (copy_to sources included)


class FieldFetcher:
    """``fields``: patterns resolved against the mappings once per search, applied to each hit."""

    def __init__(
        self,
        mappings: Mappings,
        index_name: str,
        requests: Sequence[FieldRequest],
        numbers: DocNumbers | None = None,
    ) -> None:
        self.mappings = mappings
        self.index_name = index_name
        self.numbers = numbers
        resolved: dict[str, _Resolved] = {}
        unmapped_patterns: list[re.Pattern[str]] = []
        unmapped_names: list[str] = []
        for request in requests:
            pattern = request.field if is_pattern(request.field) else None
            if request.include_unmapped:
                if pattern is not None:
                    unmapped_patterns.append(_pattern_regex(pattern))
                else:
                    unmapped_names.append(request.field)
            for name in matching_fields(mappings, request.field):
                if name in _METADATA:
                    if pattern is not None:
                        continue
                    if name in _INTERNAL_METADATA:
                        raise fetch_failure(
                            index_name, f"error fetching [{name}]: Cannot fetch values for internal field [{name}]."
                        )
                    if name == "_version":  # VersionFieldType.valueFetcher: doc values, RAW format only
                        if request.format is not None:
                            raise fetch_failure(
                                index_name,
                                f"error fetching [{name}]: Field [{name}] of type [{name}] does not support custom "
                                "formats",
                            )
                        if numbers is None:
                            raise _numbers_unavailable(name, "fields")
                    resolved[name] = _Resolved(name, None, None)
                    continue
                fm = mappings.field(name)
                assert fm is not None
                try:
                    parse = source_parser(fm, request.format)
                except ValueError as bad:
                    shown = f" which matched [{pattern}]" if pattern is not None else ""
                    raise fetch_failure(index_name, f"error fetching [{name}]{shown}: {bad}") from None
                resolved[name] = _Resolved(name, fm, parse, tuple(source_paths(mappings.fields(), fm)))
        self.resolved = resolved
        self.unmapped_patterns = unmapped_patterns
        self.unmapped_names = unmapped_names

    def fetch(self, doc_id: str, source: Mapping[str, Any], ignored: list[str]) -> FetchedFields:
        out = FetchedFields()
        for name, entry in self.resolved.items():
            if entry.mapping is None:
                values = self._metadata(name, doc_id, ignored)
                bad: list[Any] = []
            else:
                assert entry.parse is not None
                values, bad = source_values(entry.mapping, entry.parse, source, entry.paths)
            if values:
                out.fields[name] = values
            if bad:
                out.ignored_values[name] = bad
        if self.unmapped_patterns:
            self._collect_unmapped(source, "", out.fields)
        for name in self.unmapped_names:
            if name in self.resolved:
                continue
            values = extract_raw_values(name, source)
            if values:
                out.fields[name] = values
        return out

    def _metadata(self, name: str, doc_id: str, ignored: list[str]) -> list[Any]:
        if name == "_id":
            return [doc_id]
        if name == "_index":
            return [self.index_name]
        if name == "_ignored":
            return list(ignored)
        if name == "_version":
            assert self.numbers is not None  # checked when resolved
            found = self.numbers(doc_id)
            return [] if found is None else [found[1]]
        return []  # _routing: retrievo keeps no custom routing

    def _accepts(self, path: str) -> bool:
        return any(p.fullmatch(path) for p in self.unmapped_patterns)

    def _collect_unmapped(self, obj: Mapping[str, Any], parent: str, out: dict[str, list[Any]]) -> None:
        """``FieldFetcher.collectUnmapped``: raw source values at paths the ``include_unmapped``
        patterns match and no mapped field answered."""
        for key, value in obj.items():
            path = parent + key
            if path in self.resolved:
                continue
            if isinstance(value, Mapping):
                self._collect_unmapped(value, path + ".", out)
            elif isinstance(value, list):
                self._collect_unmapped_list(value, path, out)
            elif value is not None and self._accepts(path):
                out.setdefault(path, []).append(value)

    def _collect_unmapped_list(self, values: list[Any], path: str, out: dict[str, list[Any]]) -> None:
        found: list[Any] = []
        for value in values:
            if isinstance(value, Mapping):
                self._collect_unmapped(value, path + ".", out)
            elif isinstance(value, list):
                self._collect_unmapped_list(value, path, out)
            elif self._accepts(path) and path not in self.resolved:
                found.append(value)
        if found:
            out.setdefault(path, []).extend(found)


# ------------------------------------------------------------------------------------------------
# docvalue_fields
# ------------------------------------------------------------------------------------------------

DocValuePrinter = Callable[[list[Any]], list[Any]]


def indexed_values(fm: FieldMapping, source: Mapping[str, Any], paths: Sequence[str] | None = None) -> list[Any]:
    """What indexing ``source`` put in ``fm``'s doc values: each source value (the parent's for a
    multi-field, ``null_value`` for a null; for a ``copy_to`` target its sources' too, ``paths``)
    through the indexer's own parser, dropped ones left out."""
    found_at = [extract_value(path, source, fm.null_value) for path in paths or [fm.parent or fm.path]]
    out: list[Any] = []
    pending: deque[Any] = deque(found for found in found_at if found is not None)
    while pending:
        value = pending.popleft()
        if isinstance(value, list):
            pending.extend(v for v in value if v is not None)
            continue
        try:
            typed = fm.parse_value(value, _where)
        except (IgnoredValue, ValueParseError):
            continue
        if typed is not None:
            out.append(typed)
    return out


def _utf8_order(values: list[str]) -> list[str]:
    return sorted(set(values), key=lambda v: v.encode("utf-8", "surrogatepass"))


class DocValueFetcher:
    """``docvalue_fields``: resolved once per search (``FetchDocValuesContext``), applied per hit."""

    def __init__(
        self,
        mappings: Mappings,
        index_name: str,
        requests: Sequence[FieldRequest],
        numbers: DocNumbers | None = None,
    ) -> None:
        self.mappings = mappings
        self.index_name = index_name
        self.numbers = numbers
        formats: dict[str, str | None] = {}
        for request in requests:
            for name in matching_fields(mappings, request.field):
                formats[name] = request.format
        if len(formats) > MAX_DOCVALUE_FIELDS:
            raise fetch_failure(
                index_name,
                "Trying to retrieve too many docvalue_fields. Must be less than or equal to: "
                f"[{MAX_DOCVALUE_FIELDS}] but was [{len(formats)}]. This limit can be set by changing the "
                "[index.max_docvalue_fields_search] index level setting.",
            )
        self.printers: dict[str, DocValuePrinter] = {}
        self.paths: dict[str, tuple[str, ...]] = {}  # a copy_to target's sources (retrievo.index.copy_to)
        for name, fmt in formats.items():
            try:
                self.printers[name] = self._printer(name, fmt)
            except ValueError as bad:
                raise fetch_failure(index_name, str(bad)) from None

    def _printer(self, name: str, fmt: str | None) -> DocValuePrinter:
        """``docValueFormat`` then ``getForField``, in Elasticsearch's order (a bad format first)."""
        if name in _METADATA:
            return self._metadata_printer(name, fmt)
        fm = self.mappings.field(name)
        assert fm is not None
        if fm.type == "dense_vector":
            raise ValueError(f"Field [{name}] of type [dense_vector] doesn't support docvalue_fields or aggregations")
        if fm.type in ("sparse_vector", "rank_feature", "rank_features"):
            raise ValueError(f"[{fm.type}] fields do not support sorting, scripting or aggregating")
        if fm.type == "semantic_text":
            if fmt is not None:
                raise ValueError(f"Field [{name}] of type [semantic_text] does not support custom formats")
            raise ValueError("[semantic_text] fields do not support sorting, scripting or aggregating")
        if fm.type in ("date", "date_nanos"):
            printer = _date_formatter(fm, fmt)
        elif fmt is not None:
            if fm.type in _NUMBER_TYPES:  # a java.text.DecimalFormat pattern
                raise not_supported(f"[docvalue_fields] [format] [{fmt}] on numeric field [{name}]")
            raise ValueError(f"Field [{name}] of type [{fm.type}] does not support custom formats")
        if fm.type == "text":
            raise ValueError(
                f"Fielddata is disabled on [{name}] in [{self.index_name}]. Text fields are not optimised for "
                "operations that require per-document field data like aggregations and sorting, so these "
                "operations are disabled by default. Please use a keyword field instead. Alternatively, set "
                f"fielddata=true on [{name}] in order to load field data by uninverting the inverted index. "
                "Note that this can use significant memory."
            )
        if not fm.doc_values:
            raise ValueError(
                f"Can't load fielddata on [{name}] because fielddata is unsupported on fields of type "
                f"[{fm.type}]. Use doc values instead."
            )
        if fm.type == "keyword":
            return _utf8_order
        if fm.type == "ip":  # sorted-set order: the address bytes, which hex text sorts as
            return lambda values: [format_hex(v) for v in sorted(set(values))]
        if fm.type == "boolean":
            return lambda values: [bool(v) for v in sorted(int(v) for v in values)]
        if fm.type == "date":
            return lambda values: [printer.format_millis(v) for v in sorted(values)]
        if fm.type == "date_nanos":
            return lambda values: [printer.format_nanos(v) for v in sorted(values)]
        if fm.type in _NUMBER_TYPES:
            return lambda values: sorted(float(v) if fm.type in _FLOAT32_TYPES else v for v in values)
        raise not_supported(f"[docvalue_fields] on field [{name}] of type [{fm.type}]")

    def _metadata_printer(self, name: str, fmt: str | None) -> DocValuePrinter:
        if fmt is not None:
            raise ValueError(f"Field [{name}] of type [{name}] does not support custom formats")
        if name == "_id":
            raise ValueError(
                "Fielddata access on the _id field is disallowed, you can re-enable it by updating the dynamic "
                "cluster setting: indices.id_field_data.enabled"
            )
        if name in ("_index", "_ignored"):
            return lambda values: values
        if name in _NUMBERED_METADATA:  # SortedNumericIndexFieldData, LONG, DocValueFormat.RAW
            if self.numbers is None:
                raise _numbers_unavailable(name, "docvalue_fields")
            return lambda values: values
        if name == "_routing":  # stored, not in doc values (RoutingFieldMapper's default)
            raise ValueError(
                "Can't load fielddata on [_routing] because fielddata is unsupported on fields of type "
                "[_routing]. Use doc values instead."
            )
        raise not_supported(f"[docvalue_fields] on metadata field [{name}]")

    def fetch(self, source: Mapping[str, Any], ignored: list[str], doc_id: str = "") -> dict[str, list[Any]]:
        """Every requested field, even without values (Elasticsearch creates the entry and the hit
        leaves empty ones out)."""
        out: dict[str, list[Any]] = {}
        for name, printer in self.printers.items():
            if name == "_index":
                out[name] = [self.index_name]
                continue
            if name == "_ignored":
                out[name] = _utf8_order(ignored)
                continue
            if name in _NUMBERED_METADATA:
                assert self.numbers is not None  # checked when resolved
                found = self.numbers(doc_id)
                out[name] = [] if found is None else [found[_NUMBERED_METADATA[name]]]
                continue
            fm = self.mappings.field(name)
            assert fm is not None
            if name not in self.paths:
                self.paths[name] = tuple(indexed_paths(self.mappings.fields(), fm))
            out[name] = printer(indexed_values(fm, source, self.paths[name]))
        return out


# ------------------------------------------------------------------------------------------------
# One search's fetch
# ------------------------------------------------------------------------------------------------


class HitFetcher:
    """Everything besides ``_source`` that a search's hits carry from their document: resolved once
    per search (a bad request fails before any hit is built), applied to each hit.

    ``metadata`` is false for ``stored_fields: _none_``, which drops ``_ignored`` with ``_id``.
    ``numbers`` gives ``_seq_no``/``_version`` (:func:`snapshot_numbers`); a caller without it
    refuses those two fields by name rather than answering wrongly.
    """

    def __init__(
        self,
        mappings: Mappings,
        index_name: str,
        fields: Sequence[FieldRequest] | None,
        docvalue_fields: Sequence[FieldRequest] | None,
        *,
        metadata: bool = True,
        numbers: DocNumbers | None = None,
    ) -> None:
        self.docvalues = DocValueFetcher(mappings, index_name, docvalue_fields, numbers) if docvalue_fields else None
        self.fields = FieldFetcher(mappings, index_name, fields, numbers) if fields else None
        self.metadata = metadata
        wants_ignored = metadata or (self.fields is not None and "_ignored" in self.fields.resolved)
        wants_ignored = wants_ignored or (self.docvalues is not None and "_ignored" in self.docvalues.printers)
        self.ignoring = _ignoring_fields(mappings) if wants_ignored else []

    @property
    def needed(self) -> bool:
        """Whether :meth:`fetch` can give a hit anything: when not, a search skips it (and, unless
        something else reads it, the document's source)."""
        return self.docvalues is not None or self.fields is not None or bool(self.ignoring)

    def fetch(self, doc_id: str, source: Mapping[str, Any]) -> FetchedFields:
        ignored = ignored_fields(self.ignoring, source) if self.ignoring else []
        out = FetchedFields()
        if self.docvalues is not None:
            for name, values in self.docvalues.fetch(source, ignored, doc_id).items():
                if values:
                    out.fields[name] = values
        if self.fields is not None:
            fetched = self.fields.fetch(doc_id, source, ignored)
            # FetchFieldsPhase runs after FetchDocValuesPhase and replaces the entries it fetched
            for name in fetched.ignored_values:
                out.fields.pop(name, None)
            out.fields.update(fetched.fields)
            out.ignored_values = fetched.ignored_values
        if self.metadata and ignored:
            out.metadata["_ignored"] = ignored
        return out
