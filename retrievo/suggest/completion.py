"""The ``completion`` suggester over a ``completion`` field's inputs.

Elasticsearch keeps each input's analysed form in an FST (``NRTSuggester``): the tokens of the field's
analyzer joined by a separator (``preserve_separators``), a position hole marked where a token was
removed (``preserve_position_increments``). A prefix is analysed the same way with the search analyzer
and matches every input whose form starts with it. A document is suggested once, under its best
matching input (largest weight; ties by input, then document), scored by that weight; documents are
ordered by score, then input, then document (Lucene's ``TopSuggestDocsCollector`` queue), and
``skip_duplicates`` keeps the first document of each input text.

``fuzzy`` follows ``FuzzyCompletionQuery``: a prefix at least ``min_length`` long also matches input
prefixes within the allowed edits (its first ``prefix_length`` characters exact), and every suggestion
scores ``weight × boost`` (:func:`fuzzy_path`); ``regex`` follows ``RegexCompletionQuery`` (Lucene's
``RegExp`` over the analysed form, not analysed itself; scored by weight). Lengths count code points
where Lucene counts UTF-8 bytes unless ``unicode_aware``: the same for ASCII text.

The inputs are read back from each live document's ``_source`` through the field's own value parser,
once per searcher snapshot and field.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.index.fetch_fields import indexed_values
from retrievo.index.field_types.base import FieldMapping
from retrievo.index.field_types.completion import (
    CONTEXT_SEPARATOR,
    CompletionInput,
    context_mappings,
    java_blank,
    path_contexts,
    typed_contexts,
)
from retrievo.index.searcher import Searcher
from retrievo.lucene.automata import EMPTY_LANG, DerivativeMatcher, parse_regexp, sanitise_flags
from retrievo.lucene.multi_term import check_determinized_states
from retrievo.suggest.contexts import context_filter, parse_query_contexts
from retrievo.suggest.model import CompletionSuggestion, FuzzyOptions
from retrievo.suggest.term import osa_distance

#: Resolves a field path to its mapping (a context's ``path``).
FieldLookup = Callable[[str], FieldMapping | None]

SEP = "\x1f"  # ConcatenateGraphFilter.SEP_LABEL
HOLE = "\x1e"  # TokenStreamToAutomaton.HOLE


@dataclass(frozen=True)
class Entry:
    """One FST key: a document's input (once per context on a context-enabled field)."""

    doc: int
    input: str
    weight: int
    form: str
    #: The context (its mapping's position as a char, then the value) on a context-enabled field.
    context: str | None = None

    @property
    def key(self) -> str:
        """What the FST orders keys by: the context and its separator first, then the analysed form."""
        return self.form if self.context is None else self.context + CONTEXT_SEPARATOR + self.form


@dataclass(frozen=True)
class Completed:
    """A suggested document: its first matching key, that key's score, and the contexts of all its
    keys that were collected (Elasticsearch's ``TopDocumentsCollector.SuggestDoc``)."""

    entry: Entry
    score: float
    contexts: tuple[str, ...] = ()


_CACHE: weakref.WeakKeyDictionary[Searcher, dict[str, list[Entry]]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def analyzed_form(analyzer: Any, text: str, preserve_separators: bool, preserve_increments: bool) -> str:
    """What the FST holds for ``text``: tokens, separators between positions, holes for removed ones."""
    sep = SEP if preserve_separators else ""
    if hasattr(analyzer, "analyze"):
        pairs = [(t.term, t.position) for t in analyzer.analyze(text)]
    else:
        terms, positions = analyzer.terms(text)
        pairs = list(zip(terms, positions))
    out: list[str] = []
    last = -1
    for term, pos in pairs:
        if pos == last:  # stacked tokens: the first path only
            continue
        gap = pos - last - 1 if preserve_increments else 0
        if out or gap:
            out.append(sep)
        for _ in range(gap):
            out.append(HOLE + sep)
        out.append(term)
        last = pos
    return "".join(out)


def _entries(searcher: Searcher, fm: FieldMapping, analyzer: Any, field_of: FieldLookup) -> list[Entry]:
    with _LOCK:
        cached = _CACHE.setdefault(searcher, {}).get(fm.path)
    if cached is not None:
        return cached
    seps = bool(fm.params.get("preserve_separators", True))
    incs = bool(fm.params.get("preserve_position_increments", True))
    info = searcher.field_info(fm.path)
    paths = info.source_paths if info is not None and info.source_paths else None  # a copy_to target's sources
    defined = context_mappings(fm)
    out: list[Entry] = []
    for doc in range(searcher.max_doc):
        source = searcher.sources[doc] if searcher.live[doc] else None
        if source is None:
            continue
        for value in indexed_values(fm, source, paths):
            for item in value:
                assert isinstance(item, CompletionInput)
                form = analyzed_form(analyzer, item.input, seps, incs)
                if not defined:
                    out.append(Entry(doc, item.input, item.weight, form))
                    continue
                if java_blank(item.input):  # never indexed
                    continue
                for context in _doc_contexts(fm.path, defined, item, source, field_of):
                    out.append(Entry(doc, item.input, item.weight, form, context))
    with _LOCK:
        _CACHE.setdefault(searcher, {})[fm.path] = out
    return out


def _doc_contexts(
    field: str, defined: tuple[Any, ...], item: CompletionInput, source: Any, field_of: FieldLookup
) -> list[str]:
    """The typed contexts an input was indexed under: inline ones and its mappings' ``path`` values read
    back from ``_source`` through those fields' own parsers (indexing refused a document without any)."""

    def from_path(path: str) -> list[str]:
        other = field_of(path)
        try:
            return path_contexts(other, indexed_values(other, source) if other is not None else [])
        except ValueError:
            return []

    try:
        return typed_contexts(field, defined, item, from_path)
    except ValueError:
        return []


def _score(weight: int, boost: float) -> float:
    """``CompletionScorer.score``: the weight alone without a boost, the boost alone for weight 0, else
    their float product."""
    if boost == 0:
        return float(weight)
    if weight == 0:
        return float(boost)
    return float(np.float32(np.float32(weight) * np.float32(boost)))


def _auto_edits(spec: str | int) -> int:
    """``FuzzyOptions.Builder.setFuzziness``: ``Fuzziness.asDistance()`` without a text, which measures
    ``AUTO`` against an assumed length of 5 (one edit with the default ``AUTO:3,6``)."""
    if isinstance(spec, int):
        return spec
    low, high = 3, 6
    if spec.startswith("AUTO:"):
        low, high = (int(x) for x in spec[5:].split(","))
    return 0 if low > 5 else 1 if high > 5 else 2


def fuzzy_path(typed: str, form: str, fuzzy: FuzzyOptions) -> str | None:
    """The prefix of ``form`` through which ``FuzzyCompletionQuery`` reaches it, or None when it does not.

    A typed prefix no longer than ``prefix_length`` or shorter than ``min_length`` is matched exactly.
    Otherwise the automaton accepts the strings within the edits of ``typed`` (its first
    ``prefix_length`` characters exact); Lucene intersects it with the FST and stops each path at its
    first accepted node (``FSTUtil.intersectPrefixPaths``), so a form is reached through its shortest
    accepted prefix, and the suggestion's boost is that prefix's common prefix with ``typed``
    (``FuzzyCompletionWeight.setNextMatch``).
    """
    fixed = fuzzy.prefix_length
    if len(typed) <= fixed or len(typed) < fuzzy.min_length:
        return typed if form.startswith(typed) else None
    edits = _auto_edits(fuzzy.fuzziness)
    if form[:fixed] != typed[:fixed]:
        return None
    tail = typed[fixed:]
    lo, hi = max(fixed, len(typed) - edits), min(len(form), len(typed) + edits)
    for end in range(lo, hi + 1):
        if _within(tail, form[fixed:end], edits, fuzzy.transpositions):
            return form[:end]
    return None


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _within(a: str, b: str, edits: int, transpositions: bool) -> bool:
    if transpositions:
        return osa_distance(a, b, edits) <= edits
    return levenshtein(a, b, edits) <= edits


def levenshtein(a: str, b: str, limit: int) -> int:
    """Plain Levenshtein distance (no transpositions), ``limit + 1`` once certainly above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[len(b)]


class ReservedCharacter(ValueError):
    """``CompletionQuery.validate``: the query text holds a separator or hole character."""


def check_reserved(text: str) -> None:
    if HOLE in text:
        raise ReservedCharacter("Term text cannot contain HOLE character U+001E; this character is reserved")
    if SEP in text:
        raise ReservedCharacter("Term text cannot contain unit separator character U+001F; this character is reserved")


def regex_path(matcher: DerivativeMatcher, form: str) -> str | None:
    """The shortest prefix of ``form`` a ``RegexCompletionQuery`` accepts (the regex matches it whole):
    the path through which Lucene reaches the form; None when there is none."""
    e = matcher.start
    if matcher.nullable(e):
        return ""
    for i, ch in enumerate(form):
        e = matcher.derive(e, ord(ch))
        if e == EMPTY_LANG:
            return None
        if matcher.nullable(e):
            return form[: i + 1]
    return None


def regex_matcher(s: CompletionSuggestion) -> DerivativeMatcher:
    """The suggestion's regex as Lucene's ``RegExp`` with its flags; raises ``RegexpSyntaxError`` or
    ``TooComplex`` as Lucene's constructor and determinization do."""
    assert s.regex is not None and s.regex_options is not None
    expr = parse_regexp(s.regex, sanitise_flags(s.regex_options.flags))
    check_determinized_states(expr, s.regex_options.max_determinized_states)
    return DerivativeMatcher(expr)


def complete(
    searcher: Searcher,
    fm: FieldMapping,
    index_analyzer: Any,
    search_analyzer: Any,
    s: CompletionSuggestion,
    field_of: FieldLookup = lambda path: None,
) -> list[Completed]:
    """The suggested documents, best first, each with its matching input and score.

    ``NRTSuggester`` gathers the best ``size × prefix paths`` suggestions by score (ties in the FST's
    input order: the analysed form), a repeated input not counted under ``skip_duplicates``; a document
    with several of them is suggested once, under the first. So a document matching by several inputs
    takes several of the ``size`` places and fewer documents may come back, as in Elasticsearch.

    On a context-enabled field (:mod:`retrievo.suggest.contexts`) each key also needs a context the query
    accepts, whose boost joins the inner query's; every path through a different context counts.
    """
    defined = context_mappings(fm)
    query_contexts = parse_query_contexts(fm.path, defined, s.contexts)  # the builder, before the query
    seps = bool(fm.params.get("preserve_separators", True))
    incs = bool(fm.params.get("preserve_position_increments", True))
    check_reserved(s.regex if s.regex is not None else s.prefix)
    typed = analyzed_form(search_analyzer, s.prefix, seps, incs)
    regex = regex_matcher(s) if s.regex is not None else None
    accepted = context_filter(defined, query_contexts) if defined else None
    matches: list[tuple[Entry, float]] = []
    paths: set[tuple[str | None, str]] = set()
    for entry in _entries(searcher, fm, index_analyzer, field_of):
        context_boost = 0.0
        if accepted is not None:
            found = accepted.boost_of(entry.context or "")
            if found is None:
                continue
            context_boost = found
        if regex is not None:  # RegexCompletionQuery: not analysed, scored by weight alone
            path = regex_path(regex, entry.form)
            if path is None:
                continue
            score = _score(entry.weight, context_boost)
        elif s.fuzzy is None:
            if not entry.form.startswith(typed):
                continue
            path, score = typed, _score(entry.weight, context_boost)
        else:
            path = fuzzy_path(typed, entry.form, s.fuzzy)
            if path is None:
                continue
            score = _score(entry.weight, context_boost + common_prefix(typed, path))
        paths.add((entry.context, path))
        matches.append((entry, score))
    matches.sort(key=lambda m: (-m[1], m[0].key, m[0].input, m[0].doc))  # NRTSuggester's ScoringPathComparator
    wanted = max(1, s.shard_size if s.shard_size is not None else s.size)
    top_n = wanted * max(1, len(paths))
    per_doc: dict[int, Completed] = {}
    seen: set[str] = set()
    taken = 0
    for entry, score in matches:
        if taken >= top_n:
            break
        if s.skip_duplicates:
            if entry.input in seen:
                continue
            seen.add(entry.input)
        taken += 1
        held = per_doc.get(entry.doc)
        if held is None:
            held = per_doc[entry.doc] = Completed(entry, score)
        if entry.context is not None:
            per_doc[entry.doc] = Completed(held.entry, held.score, (*held.contexts, entry.context))
    ranked = sorted(per_doc.values(), key=lambda m: (-m.score, m.entry.input, m.entry.doc))
    return ranked[: min(wanted, s.size)]
