"""Run a parsed ``suggest`` section against one index snapshot and print it as Elasticsearch does.

What a suggestion cannot run on (an unmapped field, a term suggestion on a field without terms, a
completion suggestion on a field of another type, an unknown analyzer) fails the shard as in
Elasticsearch: ``search_phase_execution_exception`` (400) caused by an ``illegal_argument_exception``.

On an index with several shards each suggestion runs on every searched shard with the shard's own
statistics, and the answers are reduced as Elasticsearch's coordinator reduces them (``shards.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from retrievo.errors import ApiError, error_cause, shard_failure
from retrievo.index.field_types.completion import context_mappings
from retrievo.index.mappings import Mappings
from retrievo.index.searcher import Searcher
from retrievo.lucene.automata import RegexpSyntaxError
from retrievo.lucene.multi_term import TooComplex
from retrievo.response import es_float
from retrievo.retrievers.search import SearchRequest
from retrievo.retrievers.standard import StandardRetriever
from retrievo.suggest.collate import QueryMask
from retrievo.suggest.completion import ReservedCharacter, complete
from retrievo.suggest.contexts import ContextQueryError, named_contexts
from retrievo.suggest.model import CompletionSuggestion, Suggest, TermSuggestion
from retrievo.suggest.phrase import PhraseShard
from retrievo.suggest.phrase_model import PhraseSuggestion
from retrievo.suggest.phrase_run import run_phrase
from retrievo.suggest.shards import (
    empty_shard,
    reader_max_doc,
    reduce_completion,
    reduce_phrase,
    reduce_term,
    render_phrase,
    shard_searchers,
)
from retrievo.suggest.term import Token, suggestion_entries, utf16_offset

SourceFilter = Callable[[dict[str, Any]], dict[str, Any] | None]
#: How a ``collate`` query runs on a searcher (the whole index's, or a shard's view).
QueryMaskFor = Callable[[Searcher], QueryMask]


def _fail(index: str, reason: str) -> ApiError:
    return shard_failure(index, error_cause("illegal_argument_exception", reason))


def _analyzer(searcher: Searcher, index: str, name: str) -> Any:
    analyzer = searcher.analyzers(name)
    if analyzer is None:
        raise _fail(index, f"analyzer [{name}] doesn't exists")
    return analyzer


def _tokens(analyzer: Any, text: str) -> list[Token]:
    if hasattr(analyzer, "analyze"):
        return [
            Token(t.term, utf16_offset(text, t.start_offset), utf16_offset(text, t.end_offset))
            for t in analyzer.analyze(text)
        ]
    terms, _ = analyzer.terms(text)  # an analyzer without offsets: the whole text per token
    return [Token(t, 0, utf16_offset(text, len(text))) for t in terms]


def _term(searcher: Searcher, index: str, s: TermSuggestion) -> list[dict[str, Any]]:
    fi = searcher.field_info(s.field)
    if fi is None:
        raise _fail(index, f"no mapping found for field [{s.field}]")
    if s.analyzer is not None:
        analyzer = _analyzer(searcher, index, s.analyzer)
        tokens = _tokens(analyzer, s.text)
    elif fi.type == "text" and fi.search_analyzer is not None:
        tokens = _tokens(fi.search_analyzer, s.text)
    else:  # keyword and other single-term fields: the keyword analyzer
        tokens = [Token(s.text, 0, utf16_offset(s.text, len(s.text)))] if s.text else []
    entries = suggestion_entries(tokens, searcher.inverted(fi.path), s, reader_max_doc(searcher))
    return [{**entry, "options": []} for entry in entries] if empty_shard(searcher) else entries


def _completion(
    searcher: Searcher, mappings: Mappings, index: str, s: CompletionSuggestion, source_filter: SourceFilter
) -> list[dict[str, Any]]:
    fm = mappings.field(s.field)
    if fm is None or fm.type != "completion":
        raise _fail(index, f"Field [{s.field}] is not a completion suggest field")
    index_analyzer = _analyzer(searcher, index, str(fm.params.get("analyzer", "simple")))
    search_name = s.analyzer if s.analyzer is not None else str(fm.params.get("search_analyzer", "simple"))
    search_analyzer = _analyzer(searcher, index, search_name)
    options = []
    try:
        completed = complete(searcher, fm, index_analyzer, search_analyzer, s, mappings.field)
    except (RegexpSyntaxError, ReservedCharacter) as bad:
        raise _fail(index, str(bad)) from None
    except TooComplex as bad:
        reason = f"Determinizing automaton would result in more than {bad.limit} states."
        raise shard_failure(index, error_cause("too_complex_to_determinize_exception", reason)) from None
    except ContextQueryError as bad:  # suggest/contexts.py
        raise bad.shard_failure(index) from None
    for hit in completed:  # only live documents' inputs: an empty shard completes nothing
        entry = hit.entry
        option: dict[str, Any] = {"text": entry.input, "_index": index, "_id": searcher.ids[entry.doc]}
        option["_score"] = es_float(hit.score)
        source = searcher.sources[entry.doc]
        filtered = source_filter(source) if source is not None else None
        if filtered is not None:
            option["_source"] = filtered
        if hit.contexts:
            option["contexts"] = named_contexts(context_mappings(fm), hit.contexts)
        options.append(option)
    return [{"text": s.text, "offset": 0, "length": utf16_offset(s.text, len(s.text)), "options": options}]


def run_suggest(
    suggest: Suggest,
    searcher: Searcher,
    mappings: Mappings,
    index: str,
    source_filter: SourceFilter,
    typed_keys: bool = False,
    query_mask: QueryMaskFor | None = None,
) -> dict[str, Any]:
    """``suggest``: each named suggestion's entries, in the order requested (``typed_keys``: names
    prefixed with the suggester, ``term#name``; ``query_mask``: how a phrase suggestion's ``collate``
    query runs on a searcher). Each suggestion runs on each searched shard, then is reduced; within a
    search over several indices (:func:`suggest_partials`) the shards' answers go to that search's reduce."""
    shards = shard_searchers(searcher)
    numbers = list(searcher.routed_shards or range(searcher.number_of_shards))
    partials = [_on_shard(suggest, shard, mappings, index, source_filter, query_mask) for shard in shards]
    sink = _PARTIALS.get()
    if sink is not None:
        sink.extend(zip(numbers, partials))
        return {}
    return reduce_suggest(suggest, partials, typed_keys)


#: A shard's answer to each suggestion, by name: term/completion entries or a phrase shard.
ShardSuggest = dict[str, Any]
_PARTIALS: ContextVar[list[tuple[int, ShardSuggest]] | None] = ContextVar("shard_suggestions", default=None)


@contextmanager
def suggest_partials(sink: list[tuple[int, ShardSuggest]]) -> Iterator[None]:
    """Within this block, a search's suggestions are left unreduced in ``sink``, each shard's answer with
    its shard number (one index of a search over several: ``api/search.py`` reduces them all)."""
    token = _PARTIALS.set(sink)
    try:
        yield
    finally:
        _PARTIALS.reset(token)


def _on_shard(
    suggest: Suggest,
    shard: Searcher,
    mappings: Mappings,
    index: str,
    source_filter: SourceFilter,
    query_mask: QueryMaskFor | None,
) -> ShardSuggest:
    out: ShardSuggest = {}
    for s in suggest.suggestions:
        if isinstance(s, TermSuggestion):
            out[s.name] = _term(shard, index, s)
        elif isinstance(s, PhraseSuggestion):  # suggest/phrase_run.py
            out[s.name] = _phrase(shard, index, s, query_mask)
        else:
            out[s.name] = _completion(shard, mappings, index, s, source_filter)
    return out


def reduce_suggest(suggest: Suggest, shards: list[ShardSuggest], typed_keys: bool) -> dict[str, Any]:
    """The ``suggest`` object from every searched shard's answers (in Elasticsearch's shard order)."""
    out: dict[str, Any] = {}
    for s in suggest.suggestions:
        answers = [shard[s.name] for shard in shards]
        if isinstance(s, TermSuggestion):
            out[f"term#{s.name}" if typed_keys else s.name] = reduce_term(answers, s.size, s.sort)
        elif isinstance(s, PhraseSuggestion):
            out[f"phrase#{s.name}" if typed_keys else s.name] = render_phrase(reduce_phrase(answers, s.size))
        else:
            key = f"completion#{s.name}" if typed_keys else s.name
            out[key] = reduce_completion(answers, s.size, s.skip_duplicates)
    return out


def _phrase(searcher: Searcher, index: str, s: PhraseSuggestion, query_mask: QueryMaskFor | None) -> PhraseShard:
    entry = run_phrase(searcher, index, s, query_mask(searcher) if query_mask is not None else None)
    # an empty shard answers emptySuggestion: no options, the cutoff left at Double.MIN_VALUE
    return PhraseShard(entry.text, entry.length) if empty_shard(searcher) else entry


def with_suggest(response: dict[str, Any], suggest: dict[str, Any]) -> dict[str, Any]:
    """``suggest`` placed where Elasticsearch prints it: after ``hits`` and ``aggregations``."""
    out: dict[str, Any] = {}
    placed = False
    for key, value in response.items():
        if key == "profile" and not placed:
            out["suggest"] = suggest
            placed = True
        out[key] = value
    if not placed:
        out["suggest"] = suggest
    return out


def suggest_only(request: SearchRequest) -> bool:
    """``SearchSourceBuilder.isSuggestOnly``: a suggest section and no query, kNN or aggregations. Such a
    search collects no hits (``QueryPhase`` answers empty top docs before running any query)."""
    retriever = request.retriever
    return (
        request.suggest is not None
        and request.top_level_query
        and isinstance(retriever, StandardRetriever)
        and retriever.query is None
        and not retriever.knn
        and not request.aggs
    )
