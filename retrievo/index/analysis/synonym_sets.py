"""Synonym filters whose rules live in a synonyms set (``synonyms_set``), reloadable in place.

Elasticsearch keeps synonyms sets in a system index (the ``_synonyms`` API) and lets a filter name one
with ``synonyms_set``. Such a filter must be ``updateable: true`` — search-time only, since changing the
rules under indexed text would leave the index inconsistent — and its analyzers are reloaded whenever
the set changes or on ``_reload_search_analyzers``. As in Elasticsearch, the index is built with an
empty map and loaded right after (``IndexCreationContext.RELOAD_ANALYZERS``), so the index layer never
reads the catalog: the catalog hands :func:`reload_index_synonyms` a lookup of the sets' rules.

A bound filter keeps the analysis chain that parses its rules (what precedes it in its analyzer), so a
reload rebuilds the map exactly as creation would have; the swap is one attribute assignment, so a
search running meanwhile sees the old or the new map, never a mix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .analyzers import Analyzer
from .filters import TokenFilter, TokenStream
from .synonyms import RuleError, SynonymRules, TermAnalyzer

#: A synonyms set's rules by set id, or None when the set does not exist.
RulesLookup = Callable[[str], Sequence[str] | None]


class SynonymsSetMissing(Exception):
    """A non-lenient filter names a set that does not exist."""

    def __init__(self, set_id: str) -> None:
        super().__init__(f"synonyms set [{set_id}] not found")
        self.set_id = set_id


class SetSynonymRules(SynonymRules):
    """An ``updateable: true`` synonym filter: its rules come from the synonyms sets ``set_ids`` (one or
    several, their rules in that order), or (``set_ids`` None) are its inline ``synonyms``, read again at
    each reload (which changes nothing)."""

    def __init__(
        self,
        name: str,
        graph: bool,
        set_ids: Sequence[str] | None,
        expand: bool,
        lenient: bool,
        rules: Sequence[str] = (),
        *,
        several: bool = False,
    ) -> None:
        super().__init__(name, graph, rules, expand, lenient)
        self.set_ids = None if set_ids is None else tuple(set_ids)
        self._several = several  # given as a list (printed back as one)

    def bind(self, analyze: TermAnalyzer) -> TokenFilter:
        return ReloadableSynonymFilter(self, analyze)

    def to_json(self) -> dict[str, Any]:
        source: dict[str, Any] = {"synonyms": self.rules}
        if self.set_ids is not None:
            sets = list(self.set_ids) if self._several or len(self.set_ids) != 1 else self.set_ids[0]
            source = {"synonyms_set": sets}
        return {"type": self.type_name, **source, "updateable": True, "expand": self.expand, "lenient": self.lenient}


class ReloadableSynonymFilter(TokenFilter):
    """One analyzer's binding of a :class:`SetSynonymRules`: starts empty, loaded by :meth:`reload`."""

    def __init__(self, rules: SetSynonymRules, analyze: TermAnalyzer) -> None:
        self.rules = rules
        self._analyze = analyze
        # a set starts empty (Elasticsearch builds the index with an empty map, then reloads it)
        self._inner: TokenFilter = SynonymRules(
            rules.name, rules.graph, rules.rules if rules.set_ids is None else [], rules.expand, rules.lenient
        ).bind(analyze)

    @property
    def name(self) -> str:
        return self.rules.name

    def reads(self, set_id: str) -> bool:
        """Whether this filter's rules come from the synonyms set ``set_id``."""
        return self.rules.set_ids is not None and set_id in self.rules.set_ids

    def reload(self, lookup: RulesLookup) -> None:
        """Rebuild the map from the set's current rules. A missing set is an empty map when lenient
        (Elasticsearch's default for updateable filters); a rule that fails to parse raises
        :class:`RuleError` when not lenient (the previous map stays)."""
        spec = self.rules
        found: list[str] = list(spec.rules)
        for set_id in spec.set_ids or ():
            lines = lookup(set_id)
            if lines is None:
                if not spec.lenient:
                    raise SynonymsSetMissing(set_id)
                continue
            found.extend(lines)
        self._inner = SynonymRules(spec.name, spec.graph, list(found), spec.expand, spec.lenient).bind(self._analyze)

    def apply(self, stream: TokenStream) -> TokenStream:
        return self._inner.apply(stream)

    def to_json(self) -> dict[str, Any]:
        return self.rules.to_json()


def reloadable_filters(analyzer: Analyzer) -> list[ReloadableSynonymFilter]:
    return [f for f in analyzer.filters if isinstance(f, ReloadableSynonymFilter)]


@dataclass
class ReloadResult:
    """What one index's reload touched: its analyzers by name, and the filters that failed."""

    analyzers: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def reload_index_synonyms(
    analyzers: Mapping[str, Analyzer], lookup: RulesLookup, set_id: str | None = None
) -> ReloadResult:
    """Reload every updateable synonym filter of an index's custom ``analyzers`` (only those reading
    ``set_id`` when given); the names of the analyzers reloaded, sorted, and (filter, reason) failures."""
    result = ReloadResult()
    for name in sorted(analyzers):
        filters = [f for f in reloadable_filters(analyzers[name]) if set_id is None or f.reads(set_id)]
        if not filters:
            continue
        for f in filters:
            try:
                f.reload(lookup)
            except (RuleError, SynonymsSetMissing, ValueError) as failure:
                result.failures.append((f.name, str(failure)))
        result.analyzers.append(name)
    return result


def updateable_filter_names(analyzer: Analyzer) -> list[str]:
    """The search-time-only filters of an analyzer (``AnalysisMode.SEARCH_TIME``), by name."""
    return [f.name for f in reloadable_filters(analyzer)]
