"""The ``phrase`` suggester: Elasticsearch's ``PhraseSuggester`` — a noisy channel model over the
suggest field's n-gram statistics (``NoisyChannelSpellChecker``, ``CandidateScorer``, ``WordScorer``
and its smoothing models), with candidates drawn per token by ``DirectSpellChecker``s
(``DirectCandidateGenerator``, the term suggester's ``suggest_similar``).

Each unigram token of the analysed text becomes a candidate set: the token itself (channel score
``real_word_error_likelihood``) and its spelling candidates (channel score their string distance).
A correction picks one member per set, at most ``max_errors`` of them not the token; its score is
``exp(Σ log10(channel × P(word | previous words)))`` — Elasticsearch adds base-10 logarithms and
exponentiates in base e, and so does this — where ``P`` comes from the smoothing model over the
suggest field's total term frequencies (bigrams and trigrams are terms of a shingled field, joined
by ``separator``). Corrections must beat the input phrase's own score times ``confidence``.

``WordScorer``'s term count is ``Terms.size()``, the field's distinct terms, when the index is one
segment; over several segments Lucene's ``MultiTerms`` does not know it and Elasticsearch uses
``maxDoc`` instead. retrievo counts a segment per refresh that published new documents (no merges).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.index.inverted import InvertedField
from retrievo.suggest.model import TermSuggestion
from retrievo.suggest.phrase_model import DirectGenerator, PhraseSuggestion, Smoothing
from retrievo.suggest.term import suggest_similar

__all__ = ["PhraseOption", "PhraseShard", "PhraseToken", "UnigramsRequired", "gram_size_of", "phrase_entry"]

#: ``PhraseSuggestionContext.DEFAULT_SCORER``: stupid backoff with the float discount ``0.4f``.
DEFAULT_SMOOTHING = Smoothing("stupid_backoff", discount=float(np.float32(0.4)))
#: Java's ``Double.MIN_VALUE``: the cutoff when ``confidence`` is 0.
DOUBLE_MIN = 5e-324
_LOG_BASE = 5.0


class UnigramsRequired(Exception):
    """``force_unigrams`` and an analyzer that produced only shingles (an ``IllegalStateException``)."""


@dataclass(frozen=True)
class PhraseToken:
    """One token of the analysed suggest text."""

    term: str
    position: int
    type: str


@dataclass(frozen=True)
class _Cand:
    """``DirectCandidateGenerator.Candidate``: a term with its generator field's statistics."""

    term: str
    doc_freq: int
    total_freq: int
    distance: float
    score: float
    user_input: bool


@dataclass
class _Set:
    original: _Cand
    candidates: list[_Cand]


@dataclass(frozen=True)
class PhraseOption:
    """A correction as a shard answers it (``PhraseSuggestion.Entry.Option``): ``score`` is the float32
    score exactly (the reduce compares it with the cutoff as Java promotes it); ``collate_match`` only
    with a pruning ``collate``."""

    text: str
    highlighted: str | None
    score: float
    collate_match: bool | None = None


@dataclass(frozen=True)
class PhraseShard:
    """One shard's entry (``PhraseSuggestion.Entry``): the text, its UTF-16 length, the shard's
    ``cutoffScore`` (the input phrase's score times ``confidence``; ``Double.MIN_VALUE`` when nothing
    was scored) and up to ``shard_size`` options above it, best first."""

    text: str
    length: int
    cutoff: float = DOUBLE_MIN
    options: tuple[PhraseOption, ...] = ()


def _stats(inv: InvertedField, term: str) -> tuple[int, int]:
    """(docFreq, totalTermFreq) of ``term`` (zeros when absent)."""
    tid = inv.term_id(term)
    if tid is None:
        return 0, 0
    lo, hi = int(inv.offsets[tid]), int(inv.offsets[tid + 1])
    return hi - lo, int(inv.freqs[lo:hi].sum(dtype=np.int64))


class _Generator:
    """``DirectCandidateGenerator`` over one field."""

    def __init__(self, g: DirectGenerator, inv: InvertedField, max_doc: int, rwl: float) -> None:
        self.g, self.inv, self.max_doc, self.rwl = g, inv, max_doc, rwl
        self.sum_ttf = inv.sum_total_term_freq
        threshold = float(np.float32(g.min_doc_freq))
        self.plateau = int(threshold) if threshold >= 1.0 else int(np.float32(max_doc) * np.float32(threshold))

    def candidate(self, term: str, distance: float, user_input: bool) -> _Cand:
        df, ttf = _stats(self.inv, term)
        return _Cand(term, df, ttf, distance, distance * ((ttf + 1.0) / (self.sum_ttf + 1.0)), user_input)

    def _threshold(self, doc_freq: int) -> int:
        """``thresholdTermFrequency``: more frequent originals ask for more frequent candidates."""
        if doc_freq <= 0:
            return 0
        base = doc_freq - self.plateau
        log = math.log10(base) if base > 0 else (-math.inf if base == 0 else math.nan)
        value = doc_freq * (log * (1.0 / math.log10(_LOG_BASE)))
        rounded = 0 if math.isnan(value) else (-(2**63) if value == -math.inf else math.floor(value + 0.5))
        return int(min(max(0, rounded + 1), 2**31 - 1))

    def draw(self, original: _Cand) -> list[_Cand] | None:
        g = self.g
        min_doc_freq = float(np.float32(g.min_doc_freq))
        if g.suggest_mode != "always":
            threshold = self._threshold(original.doc_freq)
            if threshold == 2**31 - 1:
                return None
            min_doc_freq = max(min_doc_freq, float(threshold))
        spell = TermSuggestion(
            name="",
            field=g.field,
            text="",
            size=g.size,
            shard_size=g.size,
            suggest_mode=g.suggest_mode,
            accuracy=g.accuracy,
            sort=g.sort,
            string_distance=g.string_distance,
            max_edits=g.max_edits,
            max_inspections=g.max_inspections,
            max_term_freq=g.max_term_freq,
            prefix_length=g.prefix_length,
            min_word_length=g.min_word_length,
            min_doc_freq=min_doc_freq,
        )
        return [
            self.candidate(c.term, c.score, False)
            for c in suggest_similar(self.inv, original.term, spell, self.max_doc)
        ]


def _sorted_strongest(cands: list[_Cand]) -> list[_Cand]:
    """``Arrays.sort(candidates, reverseOrder())``: score descending, equal scores by term ascending."""
    return sorted(cands, key=lambda c: (-c.score, c.term))


def _add_candidates(current: list[_Cand], new: list[_Cand]) -> list[_Cand]:
    """``CandidateSet.addCandidates``: the union by term (a new candidate wins), strongest first."""
    by_term = {c.term: c for c in new}
    for c in current:
        by_term.setdefault(c.term, c)
    return _sorted_strongest(list(by_term.values()))


class _WordScorer:
    """``WordScorer`` and the smoothing models over the suggest field."""

    def __init__(self, inv: InvertedField, rwl: float, separator: str, model: Smoothing, num_terms: int) -> None:
        self.inv, self.rwl, self.sep, self.m = inv, rwl, separator, model
        self.vocabulary = inv.sum_total_term_freq
        self.num_terms = num_terms
        if model.kind == "linear_interpolation":
            total = model.unigram_lambda + model.bigram_lambda + model.trigram_lambda
            self.lambdas = (model.unigram_lambda / total, model.bigram_lambda / total, model.trigram_lambda / total)

    def freq(self, term: str) -> int:
        return _stats(self.inv, term)[1]

    def unigram(self, w: _Cand) -> float:
        if self.m.kind == "laplace":
            return (self.m.alpha + self.freq(w.term)) / (self.vocabulary + self.m.alpha * self.num_terms)
        return (1.0 + self.freq(w.term)) / (self.vocabulary + self.num_terms)

    def bigram(self, w: _Cand, w1: _Cand) -> float:
        count = self.freq(w1.term + self.sep + w.term)
        kind = self.m.kind
        if kind == "stupid_backoff":
            if count < 1:
                return self.m.discount * self.unigram(w)
            return count / (w1.total_freq + 0.00000000001)
        if kind == "laplace":
            return (self.m.alpha + count) / (w1.total_freq + self.m.alpha * self.num_terms)
        uni, bi, _ = self.lambdas
        if count < 1:
            return uni * self.unigram(w)
        return bi * (count / (0.5 + w1.total_freq)) + uni * self.unigram(w)

    def trigram(self, w: _Cand, w1: _Cand, w2: _Cand) -> float:
        kind = self.m.kind
        if kind == "stupid_backoff":
            bigram = self.freq(w1.term + self.sep + w.term)
            if bigram < 1:
                return self.m.discount * self.unigram(w)
            trigram = self.freq(w2.term + self.sep + w1.term + self.sep + w.term)
            if trigram < 1:
                return self.m.discount * (bigram / (w1.total_freq + 0.00000000001))
            return trigram / (bigram + 0.00000000001)
        if kind == "laplace":
            trigram = self.freq(w2.term + self.sep + w1.term + self.sep + w.term)
            return (self.m.alpha + trigram) / (self.freq(w1.term + self.sep + w.term) + self.m.alpha * self.num_terms)
        # LinearInterpolatingScorer joins the words in reverse order here, as Elasticsearch does
        count = self.freq(w.term + self.sep + w1.term + self.sep + w2.term)
        if count < 1:
            return self.bigram(w, w1)
        return self.lambdas[2] * (count / (1.0 + self.freq(w.term + self.sep + w1.term))) + self.bigram(w, w1)

    def score(self, path: Sequence[_Cand], sets: Sequence[_Set], at: int, gram_size: int) -> float:
        word = path[at]
        channel = self.rwl if word.distance == 1.0 else word.distance
        if at == 0 or gram_size == 1:
            p = self.unigram(word)
        elif at == 1 or gram_size == 2:
            p = self.bigram(word, path[at - 1])
        else:
            p = self.trigram(word, path[at - 1], path[at - 2])
        return math.log10(channel * p)


def _corrections(
    sets: list[_Set], scorer: _WordScorer, gram_size: int, max_errors: float, cutoff: float, limit: int
) -> list[tuple[float, tuple[_Cand, ...]]]:
    """``CandidateScorer.findBestCandiates``: every path with at most ``max_errors`` corrected tokens
    scoring above ``cutoff``; the ``limit`` best (score, then terms ascending)."""
    if max_errors >= 1.0:
        misspellings = int(max_errors)
    else:
        misspellings = math.floor(float(np.float32(max_errors) * np.float32(len(sets))) + 0.5)
    found: list[tuple[float, tuple[_Cand, ...]]] = []
    path: list[_Cand] = [s.original for s in sets]
    last = len(sets) - 1

    def offer(score: float) -> None:
        score = math.exp(score)
        if score > cutoff:
            found.append((score, tuple(path)))

    def walk(ord_: int, left: int, path_score: float) -> None:
        current = sets[ord_]
        members = [current.original, *current.candidates] if left > 0 else [current.original]
        for i, member in enumerate(members):
            path[ord_] = member
            step = path_score + scorer.score(path, sets, ord_, gram_size)
            if ord_ == last:
                offer(step)
            else:
                walk(ord_ + 1, left - (1 if i > 0 else 0), step)

    walk(0, max(1, misspellings), 0.0)
    found.sort(key=lambda item: (-item[0], [c.term for c in item[1]]))
    return found[:limit]


def gram_size_of(analyzer: Any) -> int | None:
    """The largest shingle size of the analyzer's ``shingle`` filter (``getShingleFilterFactory``)."""
    for f in getattr(analyzer, "filters", ()):
        if getattr(f, "type_name", None) == "shingle":
            return int(f.max)
    return None


def _join(cands: Sequence[_Cand], pre: str | None = None, post: str | None = None) -> str:
    """``Correction.join`` with the space separator; tags around each run of corrected words."""
    parts = []
    for i, c in enumerate(cands):
        if pre is None or c.user_input:
            parts.append(c.term)
            continue
        text = c.term
        if i == 0 or cands[i - 1].user_input:
            text = pre + text
        if i == len(cands) - 1 or cands[i + 1].user_input:
            text = text + (post or "")
        parts.append(text)
    return " ".join(parts)


def phrase_entry(
    s: PhraseSuggestion,
    tokens: list[PhraseToken],
    suggest_inv: InvertedField | None,
    generator_fields: list[tuple[DirectGenerator, InvertedField | None]],
    max_doc: int,
    gram_size: int,
    segments: int = 1,
    collate: Callable[[str], bool] | None = None,
) -> PhraseShard:
    """The suggestion's one entry on one shard: the text, its UTF-16 length, the cutoff and up to
    ``shard_size`` options (the reduce in ``suggest/shards.py`` keeps ``size`` of them). A field
    without postings here is as Lucene's ``MultiTerms.getTerms`` answering null: no options.

    ``collate`` (``suggest/collate.py``) tells whether a correction's text passes the collate query;
    it runs on every correction before the score cutoff, as ``PhraseSuggester`` runs it, and a
    correction that fails it is dropped, or kept with ``collate_match`` when ``s.collate.prune``."""
    length = len(s.text) + sum(1 for ch in s.text if ord(ch) > 0xFFFF)
    entry = PhraseShard(s.text, length)
    rwl = s.real_word_error_likelihood
    gens = [_Generator(g, inv, max_doc, rwl) for g, inv in generator_fields if inv is not None and inv.docs.size]
    if not gens or suggest_inv is None or not suggest_inv.docs.size:
        return entry
    sets: list[_Set] = []
    any_unigram = False
    previous = -1
    for tok in tokens:
        increment = tok.position - previous
        previous = tok.position
        if s.force_unigrams and tok.type == "shingle":
            continue
        any_unigram = True
        if increment == 0 and tok.type == "SYNONYM" and sets:
            if _stats(gens[0].inv, tok.term)[0] > 0:
                sets[-1].candidates.append(gens[0].candidate(tok.term, rwl, False))
            continue
        sets.append(_Set(gens[0].candidate(tok.term, 1.0, True), []))
    if s.force_unigrams and not any_unigram and tokens:
        raise UnigramsRequired("At least one unigram is required but all tokens were ngrams")
    if not sets or len(sets) >= s.token_limit:
        return entry
    shard_size = s.shard_size if s.shard_size is not None else max(s.size, 5)
    for cset in sets:
        for gen in gens:
            drawn = gen.draw(cset.original)
            if drawn is not None:
                cset.candidates = _add_candidates(cset.candidates, drawn)
        if len(cset.candidates) > shard_size:  # MultiCandidateGeneratorWrapper.reduce (a stable sort)
            cset.candidates = sorted(cset.candidates, key=lambda c: -c.score)[:shard_size]
    num_terms = int(np.count_nonzero(np.diff(suggest_inv.offsets))) if segments == 1 else max_doc
    scorer = _WordScorer(suggest_inv, rwl, s.separator, s.smoothing or DEFAULT_SMOOTHING, num_terms)
    cutoff = DOUBLE_MIN
    if s.confidence > 0.0:
        originals = [cset.original for cset in sets]
        total = 0.0
        for i in range(len(sets)):
            total += scorer.score(originals, sets, i, gram_size)
        cutoff = math.exp(total) * s.confidence
    options: list[PhraseOption] = []
    prune = collate is not None and s.collate is not None and s.collate.prune
    for score, cands in _corrections(sets, scorer, gram_size, s.max_errors, cutoff, shard_size):
        text = _join(cands)
        matched = collate(text) if collate is not None else True
        if not matched and not prune:
            continue
        shown = float(np.float32(score))
        if not shown > cutoff:  # PhraseSuggestion.Entry.addOption compares the float score
            continue
        highlighted = _join(cands, s.pre_tag, s.post_tag) if s.pre_tag is not None else None
        options.append(PhraseOption(text, highlighted, shown, matched if prune else None))
    return PhraseShard(s.text, length, cutoff, tuple(options))
