"""Reloading search analyzers: what the synonyms API and ``_reload_search_analyzers`` do to indices.

Elasticsearch reloads the updateable analyzers of every index that uses a synonyms set when the set
changes, and answers with ``reload_analyzers_details`` — the shards reached and, per index, the
analyzers reloaded; ``POST /<index>/_reload_search_analyzers`` reloads all of an index's updateable
analyzers. A filter that only runs at search time may not run at index time: a text field whose index
analyzer has one is a ``mapper_parsing_exception`` (``checkAllowedInMode(INDEX_TIME)``).

Each index is one shard here, so ``_shards.total`` counts the indices reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from retrievo.errors import illegal_argument, not_found
from retrievo.index.analysis import AnalysisRegistry
from retrievo.index.analysis.synonym_sets import (
    ReloadResult,
    RulesLookup,
    reload_index_synonyms,
    reloadable_filters,
    updateable_filter_names,
)
from retrievo.index.field_types.base import MappingDefinitionError
from retrievo.index.mappings import Mappings
from retrievo.index.mappings.parsing import wrap_definition_error

#: The field types whose ``analyzer`` runs at index time.
_ANALYZED = frozenset({"text", "match_only_text", "search_as_you_type"})


class IndexLike(Protocol):
    name: str
    analysis: AnalysisRegistry
    mappings: Mappings


def check_index_time_analyzers(index: IndexLike) -> None:
    """Refuse an index whose text fields index with a search-time-only analyzer."""
    check_mappings(index.analysis, index.mappings)


def check_mappings(analysis: AnalysisRegistry, mappings: Mappings) -> None:
    """``checkAllowedInMode(INDEX_TIME)`` for every analyzed field of ``mappings`` (a new index's, or
    a put-mapping's merged result)."""
    for fm in mappings.fields():
        if fm.type not in _ANALYZED or fm.analyzer is None or fm.analyzer not in analysis:
            continue
        names = updateable_filter_names(analysis.get(fm.analyzer))
        if names:
            reason = (
                f"analyzer [{fm.analyzer}] contains filters [{', '.join(names)}] that are not allowed to run "
                "in index time mode."
            )
            raise wrap_definition_error(MappingDefinitionError(reason))


def uses_set(index: IndexLike, set_id: str) -> bool:
    """Whether one of the index's analyzers reads the synonyms set ``set_id``."""
    return any(f.reads(set_id) for a in index.analysis.custom().values() for f in reloadable_filters(a))


def load(index: IndexLike, lookup: RulesLookup, set_id: str | None = None) -> ReloadResult:
    """Load (or reload) an index's updateable synonym filters from the current sets."""
    return reload_index_synonyms(index.analysis.custom(), lookup, set_id)


def reload_details(
    indices: Iterable[IndexLike], lookup: RulesLookup, node_id: str, set_id: str | None = None
) -> dict[str, Any]:
    """Reload ``indices`` (only the analyzers reading ``set_id`` when given) and answer as
    ``ReloadAnalyzersResponse``: ``_shards`` and one ``reload_details`` entry per index reloaded."""
    details: list[dict[str, Any]] = []
    for index in sorted(indices, key=lambda i: i.name):
        result = load(index, lookup, set_id)
        if set_id is not None and not result.analyzers:
            continue
        details.append({"index": index.name, "reloaded_analyzers": result.analyzers, "reloaded_node_ids": [node_id]})
    count = len(details)
    return {"_shards": {"total": count, "successful": count, "failed": 0}, "reload_details": details}


def prepare_new_index(index: IndexLike, lookup: RulesLookup) -> None:
    """A new index's checks and first load: no search-time-only analyzer at index time; a non-lenient
    filter whose set is missing or whose rules do not parse refuses the index (Elasticsearch acknowledges
    it but cannot open its shards)."""
    check_index_time_analyzers(index)
    result = load(index, lookup)
    if result.failures:
        name, reason = result.failures[0]
        if reason.startswith("synonyms set ["):
            raise not_found("resource_not_found_exception", reason)
        raise illegal_argument(f"failed to build synonyms from [{name}]: {reason}")
