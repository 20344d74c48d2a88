"""Suggesters on an index with several shards: each shard suggests alone, the coordinator reduces.

Elasticsearch runs every suggestion on every searched shard with that shard's own term dictionary and
statistics (``docFreq``, ``maxDoc``, total term frequencies), and ``Suggest.reduce`` merges the shards'
answers on the coordinating node. retrievo's shards are views of one index (``index/shard_views.py``), so
a suggestion runs once per view and the answers are merged here as Elasticsearch merges them:

- ``term`` (``Suggest.Suggestion.reduce``, ``Entry.reduce``, ``TermSuggestion.Entry.Option.mergeInto``):
  entry by entry, options with the same text are one option whose ``freq`` is the shards' sum and whose
  ``score`` is their maximum; then sorted by the suggestion's ``sort`` (``TermSuggestion.SCORE``: score,
  frequency, text; ``FREQUENCY``: frequency, score, text) and cut to ``size``. Each shard answered up to
  ``shard_size`` options.
- ``phrase`` (``PhraseSuggestion.Entry.merge``/``addOption``): the entry's cutoff is the largest of the
  shards' cutoffs and only options scoring above it stay; same-text options keep the highest score and
  ``collate_match`` is true when any shard matched; sorted by ``Suggest.COMPARATOR`` (score, then text),
  cut to ``size``. The first shard's ``highlighted`` text is kept.
- ``completion`` (``CompletionSuggestion.reduce``): each shard answered up to ``size`` documents (from its
  ``shard_size`` best); the shards' lists are merged by score, then text, then shard (a priority queue
  over the lists' heads), ``skip_duplicates`` dropping a text seen before, until ``size`` options.

With one searched shard Elasticsearch does no merge, only the cut to ``size`` (``Suggest.reduce`` trims
every suggestion), and neither does this. A shard without live documents answers Elasticsearch's
``emptySuggestion`` (``Suggester.execute``): its entries with no options.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from retrievo.index.searcher import Searcher
from retrievo.index.shard_views import shard_view
from retrievo.suggest.phrase import DOUBLE_MIN, PhraseOption, PhraseShard

__all__ = [
    "empty_shard",
    "reader_max_doc",
    "reduce_completion",
    "reduce_phrase",
    "reduce_term",
    "render_phrase",
    "shard_searchers",
]

Entries = list[dict[str, Any]]


def shard_searchers(searcher: Searcher) -> Sequence[Searcher]:
    """The searchers a suggestion runs on, in shard order: ``searcher`` itself on an index with one
    shard, else a view of each searched shard (only those ``routing`` names)."""
    if searcher.shard_of is None or searcher.shard_id is not None:
        return [searcher]
    if searcher.routed_shards is None and searcher.shard_views:  # kept with the snapshot, caches and all
        return searcher.shard_views
    shards = searcher.routed_shards if searcher.routed_shards is not None else range(searcher.number_of_shards)
    return [shard_view(searcher, shard) for shard in shards]


def reader_max_doc(searcher: Searcher) -> int:
    """``IndexReader.maxDoc`` of the shard ``searcher`` shows: its documents, deleted ones included."""
    if searcher.shard_of is None or searcher.shard_id is None:
        return searcher.max_doc
    return int(np.count_nonzero(searcher.shard_of[: searcher.max_doc] == searcher.shard_id))


def empty_shard(searcher: Searcher) -> bool:
    """``numDocs() == 0``: the shard answers ``emptySuggestion`` (no options) whatever its postings hold."""
    return not bool(searcher.live.any())


def _trimmed(entries: Entries, size: int) -> Entries:
    return [{**entry, "options": entry["options"][:size]} for entry in entries]


def reduce_term(shards: Sequence[Entries], size: int, sort: str) -> Entries:
    """The ``term`` suggestion's entries from each shard's (options ``text``/``score``/``freq``)."""
    if len(shards) == 1:
        return _trimmed(shards[0], size)
    reduced = []
    for i, leader in enumerate(shards[0]):
        merged: dict[str, dict[str, Any]] = {}
        for entries in shards:
            for option in entries[i]["options"]:
                held = merged.get(option["text"])
                if held is None:
                    merged[option["text"]] = dict(option)
                else:
                    held["score"] = max(held["score"], option["score"])
                    held["freq"] += option["freq"]
        ranked = sorted(merged.values(), key=_term_order(sort))
        reduced.append({**leader, "options": ranked[:size]})
    return reduced


def _term_order(sort: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """``TermSuggestion.SCORE`` (score, then frequency, then text) or ``FREQUENCY`` (frequency, then
    score, then text): highest first, text ascending."""
    if sort == "frequency":
        return lambda o: (-o["freq"], -o["score"], o["text"])
    return lambda o: (-o["score"], -o["freq"], o["text"])


def reduce_phrase(shards: Sequence[PhraseShard], size: int) -> PhraseShard:
    """The ``phrase`` suggestion's entry from each shard's."""
    leader = shards[0]
    if len(shards) == 1:
        return PhraseShard(leader.text, leader.length, leader.cutoff, leader.options[:size])
    cutoff = max((shard.cutoff for shard in shards), default=DOUBLE_MIN)
    merged: dict[str, PhraseOption] = {}
    for shard in shards:
        for option in shard.options:
            held = merged.get(option.text)
            if held is None:
                merged[option.text] = option
                continue
            matched = held.collate_match
            if option.collate_match is not None:
                matched = option.collate_match if matched is None else matched or option.collate_match
            merged[option.text] = PhraseOption(held.text, held.highlighted, max(held.score, option.score), matched)
    kept = sorted((o for o in merged.values() if o.score > cutoff), key=lambda o: (-o.score, o.text))
    return PhraseShard(leader.text, leader.length, cutoff, tuple(kept[:size]))


def render_phrase(entry: PhraseShard) -> Entries:
    """The entry as the response prints it (``text``, ``highlighted``, ``score``, ``collate_match``)."""
    from retrievo.response import es_float

    options = []
    for o in entry.options:
        option: dict[str, Any] = {"text": o.text}
        if o.highlighted is not None:
            option["highlighted"] = o.highlighted
        option["score"] = es_float(o.score)
        if o.collate_match is not None:
            option["collate_match"] = o.collate_match
        options.append(option)
    return [{"text": entry.text, "offset": 0, "length": entry.length, "options": options}]


def reduce_completion(shards: Sequence[Entries], size: int, skip_duplicates: bool) -> Entries:
    """The ``completion`` suggestion's entry from each shard's (options ``text``/``_score``, best first
    on their shard). Merging the lists head by head under (score, text, shard) is sorting them all by
    (score, text, shard, place on the shard): each list is already in score-then-text order."""
    leader = shards[0][0]
    if len(shards) == 1:
        return [{**leader, "options": leader["options"][:size]}]
    heads = [
        (-option["_score"], option["text"], shard, place, option)
        for shard, entries in enumerate(shards)
        for place, option in enumerate(entries[0]["options"])
    ]
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for *_, option in sorted(heads, key=lambda h: h[:4]):
        if skip_duplicates:
            if option["text"] in seen:
                continue
            seen.add(option["text"])
        options.append(option)
        if len(options) >= size:
            break
    return [{**leader, "options": options}]
