"""The fetch phase's highlighting: which fields, their values, their tokens, which highlighter.

:func:`plan_highlight` resolves the request once per search (fields named or matched by a pattern,
each with its merged options, analyzer and the query leaves that apply to it); :class:`Highlighter`
then highlights each hit from its ``_source``, as Elasticsearch's ``HighlightPhase`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from retrievo.errors import ApiError, error_cause, error_reason, not_supported, shard_failure
from retrievo.highlight.breaks import VALUE_SEPARATOR
from retrievo.highlight.encoding import encoder_for
from retrievo.highlight.matches import FieldToken, Match, find_matches
from retrievo.highlight.options import FieldOptions, resolve
from retrievo.highlight.plain import no_match_end, plain_fragments
from retrievo.highlight.terms import Leaf, QueryLeaves, term_weights
from retrievo.highlight.unified import unified_fragments
from retrievo.index.analysis.analyzers import DEFAULT_POSITION_INCREMENT_GAP, Analyzer
from retrievo.index.copy_to import source_paths
from retrievo.index.fetch_fields import extract_raw_values, is_pattern, matching_fields
from retrievo.index.field_types.base import FieldMapping
from retrievo.index.mappings.index_mappings import Mappings
from retrievo.java_order import hashmap_order
from retrievo.java_text import java_str
from retrievo.retrievers.highlight import Highlight, HighlightOptions
from retrievo.retrievers.queries import Query

#: Field types a pattern in ``fields`` picks up (``HighlightPhase``: text-like and keyword fields only).
PATTERN_TYPES = frozenset({"text", "match_only_text", "keyword"})
#: Field types retrievo highlights when named explicitly.
HIGHLIGHTABLE_TYPES = PATTERN_TYPES | {"search_as_you_type"}


@dataclass(frozen=True)
class MatchSource:
    """One analysis of the highlighted value and the query leaves matched against it: the field's own,
    then each of its ``matched_fields`` (the same text analysed as that field, its leaves)."""

    analyzer: Analyzer | None
    leaves: tuple[Leaf, ...]


@dataclass(frozen=True)
class FieldPlan:
    name: str
    mapping: FieldMapping
    analyzer: Analyzer | None
    options: FieldOptions
    leaves: tuple[Leaf, ...]
    weights: Mapping[str, float]
    weight_matches: bool
    matched: tuple[MatchSource, ...] = ()
    #: Where ``_source`` holds the field's values (a ``copy_to`` target's sources included).
    source_paths: tuple[str, ...] = ()


def _source_path(fm: FieldMapping) -> str:
    return fm.parent if fm.parent is not None else fm.path


def _resolve(options: HighlightOptions, field: str, index: str) -> FieldOptions:
    """The field's options; an option the fetch phase rejects fails the shard, as in Elasticsearch."""
    try:
        return resolve(options, field)
    except ApiError as err:
        if err.error != "illegal_argument_exception" or "is not supported in retrievo" in error_reason(err):
            raise
        raise shard_failure(index, error_cause("illegal_argument_exception", error_reason(err))) from None


def plan_highlight(
    index: str,
    spec: Highlight,
    mappings: Mappings,
    analyzer_of: Callable[[FieldMapping], Analyzer | None],
    main: QueryLeaves,
    main_weight_matches: bool,
    leaves_of: Callable[[Query], QueryLeaves],
) -> list[FieldPlan]:
    """The fields to highlight, in request order; a pattern adds its matching text and keyword fields."""
    plans: dict[str, FieldPlan] = {}
    for entry in spec.fields:
        names = matching_fields(mappings, entry.name)
        pattern = is_pattern(entry.name)
        opts = _resolve(entry.options.merged(spec.options), entry.name, index)
        for name in names:
            fm = mappings.field(name)
            if fm is None or name in plans:
                continue
            if fm.type == "semantic_text" and not pattern:
                raise not_supported("[highlight] on [semantic_text] fields", "the semantic highlighter")
            if fm.type not in HIGHLIGHTABLE_TYPES:
                continue
            if opts.highlight_query is not None:
                query = leaves_of(opts.highlight_query)
                weight_ok = not query.has_knn
            else:
                query, weight_ok = main, main_weight_matches
            leaves = query.for_field(name, opts.require_field_match)
            matched: list[MatchSource] = []
            for other in opts.matched_fields:
                other_fm = mappings.field(other)
                if other_fm is not None and other != name:
                    other_analyzer = analyzer_of(other_fm) if other_fm.type != "keyword" else None
                    matched.append(MatchSource(other_analyzer, query.for_field(other, True)))
            plans[name] = FieldPlan(
                name=name,
                mapping=fm,
                analyzer=analyzer_of(fm) if fm.type != "keyword" else None,
                options=opts,
                leaves=leaves,
                weights=term_weights(leaves),
                weight_matches=weight_ok and opts.require_field_match,
                matched=tuple(matched),
                source_paths=tuple(source_paths(mappings.fields(), fm)),
            )
    return list(plans.values())


def _text(value: Any) -> str:
    return value if isinstance(value, str) else java_str(value)


def _tokens(
    analyzer: Analyzer | None, text: str, offset: int, first_position: int, limit: int | None
) -> list[FieldToken]:
    if analyzer is None:  # not tokenized: the value is one token
        tokens = [FieldToken(text, first_position, offset, offset + len(text))]
    else:
        tokens = [
            FieldToken(t.term, first_position + t.position, offset + t.start_offset, offset + t.end_offset)
            for t in analyzer.analyze(text)
        ]
    if limit is not None:
        tokens = [t for t in tokens if t.start <= limit]
    return tokens


def _too_long(index: str, field: str, doc: int, length: int, limit: int) -> ApiError:
    reason = (
        f"The length [{length}] of field [{field}] in doc[{doc}]/index[{index}] exceeds the "
        f"[index.highlight.max_analyzed_offset] limit [{limit}]. To avoid this error, set the query parameter "
        f"[max_analyzed_offset] to a value less than index setting [{limit}] and this will tolerate long field "
        "values by truncating them."
    )
    return shard_failure(index, error_cause("illegal_argument_exception", reason))


class Highlighter:
    """Highlights hits; built once per search from :func:`plan_highlight`."""

    def __init__(self, plans: list[FieldPlan], index: str, max_analyzed_offset: int) -> None:
        self.plans = plans
        self.index = index
        self.max_analyzed_offset = max_analyzed_offset

    def _values(self, plan: FieldPlan, source: Mapping[str, Any]) -> list[str]:
        paths = plan.source_paths or (_source_path(plan.mapping),)
        values = [_text(v) for path in paths for v in extract_raw_values(path, source)]
        ignore_above = plan.mapping.ignore_above if plan.mapping.type == "keyword" else None
        if ignore_above is not None:
            values = [v for v in values if len(v) <= ignore_above]
        return values

    def _query_limit(self, plan: FieldPlan) -> int | None:
        """``QueryMaxAnalyzedOffset``: the request's ``max_analyzed_offset``, ``-1`` meaning the index's."""
        limit = plan.options.max_analyzed_offset
        return self.max_analyzed_offset if limit is not None and limit < 0 else limit

    def _check_length(self, plan: FieldPlan, doc: int, length: int) -> None:
        limit = self._query_limit(plan)
        if (limit is None or limit > self.max_analyzed_offset) and length > self.max_analyzed_offset:
            raise _too_long(self.index, plan.name, doc, length, self.max_analyzed_offset)

    def _unified(self, plan: FieldPlan, doc: int, values: list[str]) -> list[str]:
        sources = (MatchSource(plan.analyzer, plan.leaves), *plan.matched)
        if not any(source.leaves for source in sources) and plan.options.no_match_size == 0:
            return []  # nothing can match: Elasticsearch does not even load (or measure) the value
        content = VALUE_SEPARATOR.join(values)
        self._check_length(plan, doc, len(content))
        gap = plan.mapping.position_increment_gap
        gap = DEFAULT_POSITION_INCREMENT_GAP if gap is None else gap
        found: set[Match] = set()
        for source in sources:  # matched fields: the same value analysed as each field, matches merged
            tokens: list[FieldToken] = []
            offset, position = 0, 0
            for value in values:
                value_tokens = _tokens(source.analyzer, value, offset, position, self._query_limit(plan))
                tokens.extend(value_tokens)
                if value_tokens:
                    position = value_tokens[-1].position + gap + 1
                offset += len(value) + 1
            found.update(find_matches(tokens, source.leaves, plan.weight_matches))
        matches = sorted(found, key=lambda m: (m.start, m.end, m.key))
        encode = encoder_for("html" if plan.options.html else None)
        return unified_fragments(content, matches, plan.options, plan.analyzer is not None, encode)

    def _plain(self, plan: FieldPlan, doc: int, values: list[str]) -> list[str]:
        limit = self._query_limit(plan)
        analyzed: list[tuple[str, list[FieldToken]]] = []
        for value in values:
            self._check_length(plan, doc, len(value))
            analyzed.append((value, _tokens(plan.analyzer, value, 0, 0, limit)))
        end = no_match_end(analyzed[0][1], plan.options.no_match_size) if analyzed and plan.options.no_match_size else 0
        encode = encoder_for("html" if plan.options.html else None)
        return plain_fragments(analyzed, plan.leaves, dict(plan.weights), plan.options, encode, end)

    def highlight(self, doc: int, source: Mapping[str, Any] | None) -> dict[str, list[str]]:
        """``{field: fragments}`` for one hit (fields without fragments left out)."""
        out: dict[str, list[str]] = {}
        if source is None:
            return out
        for plan in self.plans:
            values = self._values(plan, source)
            if not values:
                continue
            fragments = (
                self._plain(plan, doc, values) if plan.options.type == "plain" else self._unified(plan, doc, values)
            )
            if fragments:
                out[plan.name] = fragments
        return {name: out[name] for name in hashmap_order(out, 16)}  # ``HighlightPhase``'s ``HashMap``
