"""``stored_fields``: the values of fields mapped with ``store: true``, as Elasticsearch returns them.

Elasticsearch keeps a stored field's indexed value in Lucene's stored fields and prints it with the
field type's ``valueForDisplay`` (``StoredFieldsPhase`` for a search, ``ShardGetService`` for
``GET _doc`` and ``_mget``): strings as indexed (a keyword longer than ``ignore_above`` is not
stored), numbers as numbers of their type, dates in the field's format, booleans as ``true``/``false``,
values in indexing order, ``copy_to`` copies included. retrievo keeps no second copy: it parses the
document's ``_source`` again with the indexer's own parser (:func:`parse_document`), which produces
exactly what indexing stored, in the same order.

Names may be ``*`` patterns (``StoredFieldsContext``); names that match no stored field, unmapped
names and metadata fields give nothing (``_id`` comes back anyway, ``_source`` switches the source on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from retrievo.index.dates import DEFAULT_DATE_FORMAT, compile_date_format
from retrievo.index.documents import parse_document
from retrievo.index.fetch_fields import matching_fields
from retrievo.index.field_types import FieldMapping
from retrievo.index.ip_values import format_hex
from retrievo.index.mappings import Mappings

__all__ = ["StoredFieldsFetcher", "names_request_source"]

_FLOAT32_TYPES = frozenset({"float", "half_float"})


def names_request_source(names: Sequence[str]) -> bool:
    """``ShardGetService.normalizeFetchSourceContent``: a ``GET`` naming stored fields returns
    ``_source`` only when ``_source`` is one of the names."""
    return "_source" in names


def _display(fm: FieldMapping) -> Callable[[Any], Any]:
    """``MappedFieldType.valueForDisplay`` of what the field stores."""
    if fm.type == "date":
        printer = compile_date_format(fm.format or DEFAULT_DATE_FORMAT)
        return printer.format_millis
    if fm.type == "date_nanos":
        return compile_date_format(fm.format or DEFAULT_DATE_FORMAT).format_nanos
    if fm.type == "boolean":
        return bool
    if fm.type == "ip":
        return format_hex
    if fm.type in _FLOAT32_TYPES:  # a Float prints its shortest digits
        return lambda value: float(str(np.float32(value))) if isinstance(value, float) else value
    return lambda value: value


class StoredFieldsFetcher:
    """The stored fields a request names, resolved once against the mappings, read per document."""

    def __init__(self, mappings: Mappings, names: Sequence[str]) -> None:
        self.mappings = mappings
        self.entries: list[tuple[str, Callable[[Any], Any]]] = []
        seen: set[str] = set()
        for name in names:
            if name == "_source":
                continue
            for path in matching_fields(mappings, name):
                fm = mappings.field(path)
                if fm is None or path in seen or not fm.params.get("store"):
                    continue
                seen.add(path)
                self.entries.append((path, _display(fm)))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def fetch(self, source: Mapping[str, Any]) -> dict[str, list[Any]]:
        """``{name: [values]}`` for the named stored fields the document has values for."""
        out: dict[str, list[Any]] = {}
        if not self.entries:
            return out
        indexed = parse_document(self.mappings, source, None).values
        for path, display in self.entries:
            values = indexed.get(path)
            if values:
                out[path] = [display(value) for value in values]
        return out
