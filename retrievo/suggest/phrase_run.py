"""A ``phrase`` suggestion run on one snapshot: the field, analyzer and generators resolved as
``PhraseSuggestionBuilder.build`` and ``SuggestionBuilder.populateCommonFields`` resolve them, failures
as shard failures (``search_phase_execution_exception`` around the cause), then ``phrase.py`` (with
``collate.py`` judging each correction when the suggestion has a ``collate`` query)."""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause, not_supported, shard_failure
from retrievo.index.searcher import Searcher
from retrievo.suggest.collate import QueryMask, check_collate, collate_matcher
from retrievo.suggest.phrase import PhraseShard, PhraseToken, UnigramsRequired, gram_size_of, phrase_entry
from retrievo.suggest.phrase_model import DirectGenerator, PhraseSuggestion
from retrievo.suggest.shards import reader_max_doc

__all__ = ["run_phrase"]


def _tokens(analyzer: Any, text: str) -> list[PhraseToken]:
    if analyzer is None:  # the keyword analyzer: the whole text
        return [PhraseToken(text, 0, "word")] if text else []
    if hasattr(analyzer, "analyze"):
        return [PhraseToken(t.term, t.position, t.type) for t in analyzer.analyze(text)]
    terms, positions = analyzer.terms(text)
    return [PhraseToken(t, p, "word") for t, p in zip(terms, positions, strict=True)]


def run_phrase(searcher: Searcher, index: str, s: PhraseSuggestion, query_mask: QueryMask | None = None) -> PhraseShard:
    """The entry of the shard ``searcher`` shows (the whole index when it has one shard), with its
    ``maxDoc`` and statistics; ``query_mask`` runs a ``collate`` query on ``searcher`` (the planner
    compiles it)."""
    fi = searcher.field_info(s.field)
    if fi is None:
        raise shard_failure(index, error_cause("illegal_argument_exception", f"no mapping found for field [{s.field}]"))
    if s.analyzer is not None:
        analyzer = searcher.analyzers(s.analyzer)
        if analyzer is None:
            reason = f"analyzer [{s.analyzer}] doesn't exists"
            raise shard_failure(index, error_cause("illegal_argument_exception", reason))
    else:
        analyzer = fi.search_analyzer if fi.type == "text" else None
    collate = None
    if s.collate is not None:  # compiled where PhraseSuggestionBuilder.build compiles it
        if query_mask is None:
            raise not_supported("[phrase] suggester [collate] outside a search")
        check_collate(s.collate, index)
        collate = collate_matcher(s.collate, query_mask, searcher.live, index)
    gram_size = s.gram_size if s.gram_size is not None else (gram_size_of(analyzer) or 1)
    generators = s.generators or (DirectGenerator(field=s.field),)
    fields = [(g, searcher.inverted(g.field)) for g in generators]
    try:
        return phrase_entry(
            s,
            _tokens(analyzer, s.text),
            searcher.inverted(s.field),
            fields,
            reader_max_doc(searcher),
            gram_size,
            searcher.segments,
            collate,
        )
    except UnigramsRequired as bad:
        raise shard_failure(index, error_cause("illegal_state_exception", str(bad))) from None
