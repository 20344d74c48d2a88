"""The ``term`` suggester: Lucene's ``DirectSpellChecker`` over one field's term dictionary.

For each analysed token of the text, ``DirectSpellChecker.suggestSimilar`` looks for indexed terms
within ``max_edits`` (Damerau–Levenshtein with adjacent transpositions, as ``FuzzyTermsEnum`` counts
them, the first ``max(prefix_length, edits - 1)`` code points fixed): first at one edit, then, when that
found fewer than ``shard_size × max_inspections``, at ``max_edits``. A candidate's ``internal`` score is
the fuzzy enum's boost, ``1 - edits / min(len(candidate), len(token))`` in float32; another
``string_distance`` scores with Lucene's ``LevenshteinDistance``, ``LuceneLevenshteinDistance``
(``damerau_levenshtein``), ``JaroWinklerDistance`` or ``NGramDistance`` (``ngram``). The gates, in
Lucene's order: the token must have ``min_word_length`` code points; with ``suggest_mode: missing`` it
must not be indexed; it must not be more frequent than ``max_term_freq``; a candidate must be more
frequent than the token (``popular``) or than ``min_doc_freq``; its score must reach ``accuracy``.
Candidates compete in a queue of ``shard_size × max_inspections`` ordered by boost, visited in term
order, as the fuzzy enum visits them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.index.inverted import InvertedField
from retrievo.lucene.automata import edit_distances
from retrievo.suggest.model import TermSuggestion

F32 = np.float32


@dataclass(frozen=True)
class Candidate:
    term: str
    boost: float
    score: float
    freq: int


@dataclass(frozen=True)
class Token:
    """An analysed token of the suggest text, with its UTF-16 offsets (what the response reports)."""

    term: str
    start: int
    end: int


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions), ``limit + 1`` once
    it is certainly above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def levenshtein_similarity(a: str, b: str) -> float:
    """Lucene's ``LevensteinDistance.getDistance``: ``1 - distance / max(len)`` (no transpositions)."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return float(F32(1.0) - F32(prev[len(b)]) / F32(max(len(a), len(b))))


def damerau_similarity(target: str, other: str) -> float:
    """Lucene's ``LuceneLevenshteinDistance`` (``damerau_levenshtein``): optimal string alignment over code
    points, ``1 - distance / min(len)``; a transposition costs the substitution cost of its second
    character. With an empty side it answers the raw distance (0 or the other length), as Lucene does."""
    n, m = len(target), len(other)
    if n == 0 or m == 0:
        return 0.0 if n == m else float(max(n, m))
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for j in range(1, m + 1):
        for i in range(1, n + 1):
            cost = 0 if target[i - 1] == other[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and target[i - 1] == other[j - 2] and target[i - 2] == other[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + cost)
    return float(F32(1.0) - F32(d[n][m]) / F32(min(m, n)))


def jaro_winkler_similarity(s1: str, s2: str) -> float:
    """Lucene's ``JaroWinklerDistance`` (threshold 0.7) over UTF-16 units, in float32."""
    a, b = _utf16(s1), _utf16(s2)
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    window = max(len(longer) // 2 - 1, 0)
    matched_at = [-1] * len(shorter)
    taken = [False] * len(longer)
    matches = 0
    for mi, c in enumerate(shorter):
        for xi in range(max(mi - window, 0), min(mi + window + 1, len(longer))):
            if not taken[xi] and c == longer[xi]:
                matched_at[mi] = xi
                taken[xi] = True
                matches += 1
                break
    ms1 = [c for c, at in zip(shorter, matched_at) if at != -1]
    ms2 = [c for c, t in zip(longer, taken) if t]
    transpositions = sum(1 for x, y in zip(ms1, ms2) if x != y) // 2
    prefix = 0
    for x, y in zip(a, b):
        if x != y:
            break
        prefix += 1
    if matches == 0:
        return 0.0
    m = F32(matches)
    j = (m / F32(len(a)) + m / F32(len(b)) + (m - F32(transpositions)) / m) / F32(3)
    if j < F32(0.7):
        return float(F32(j))
    return float(F32(j + min(F32(0.1), F32(1) / F32(len(longer))) * F32(prefix) * (F32(1) - j)))


def ngram_similarity(source_text: str, target_text: str, n: int = 2) -> float:
    """Lucene's ``NGramDistance`` (bigrams, ``ngram``): an edit distance over n-grams, each costing the
    share of its characters that differ (matches on the leading padding discounted), in float32 over
    UTF-16 units."""
    source, target = _utf16(source_text), _utf16(target_text)
    sl, tl = len(source), len(target)
    if sl == 0 or tl == 0:
        return 1.0 if sl == tl else 0.0
    if sl < n or tl < n:
        same = sum(1 for i in range(min(sl, tl)) if source[i] == target[i])
        return float(F32(same) / F32(max(sl, tl)))
    sa = [0] * (n - 1) + source
    p = [F32(i) for i in range(sl + 1)]
    one = F32(1)
    for j in range(1, tl + 1):
        t_j = [0] * (n - j) + target[:j] if j < n else target[j - n : j]
        d = [F32(j)] + [F32(0)] * sl
        for i in range(1, sl + 1):
            cost, tn = 0, n
            for ni in range(n):
                if sa[i - 1 + ni] != t_j[ni]:
                    cost += 1
                elif sa[i - 1 + ni] == 0:
                    tn -= 1
            ec = F32(cost) / F32(tn)
            d[i] = min(min(F32(d[i - 1] + one), F32(p[i] + one)), F32(p[i - 1] + ec))
        p = d
    return float(F32(1) - F32(p[sl] / F32(max(tl, sl))))


def _utf16(text: str) -> list[int]:
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


_DISTANCES = {
    "levenshtein": lambda token, cand: levenshtein_similarity(token, cand),
    "damerau_levenshtein": damerau_similarity,
    "jaro_winkler": jaro_winkler_similarity,
    "ngram": ngram_similarity,
}


def _reverse_key(term: str) -> list[int]:
    """A key under which a larger term sorts first (``ScoreTerm.compareTo``'s tie-break)."""
    return [-ord(c) for c in term] + [1]


def _fuzzy_pass(
    inv: InvertedField, token: str, edits: int, s: TermSuggestion, threshold: int, inspections: int
) -> list[Candidate]:
    """``DirectSpellChecker.suggestSimilar(term, numSug, ir, docfreq, editDistance, ...)``: one fuzzy enum."""
    prefix_len = min(max(s.prefix_length, edits - 1), len(token))
    prefix, suffix = token[:prefix_len], token[prefix_len:]
    terms = inv.sorted_terms
    start = int(np.searchsorted(terms, prefix, side="left"))
    stop = int(np.searchsorted(terms, prefix + chr(0x10FFFF), side="right"))
    near = [t for t in terms[start:stop] if abs(len(t) - len(token)) <= edits and t.startswith(prefix)]
    distances = edit_distances(suffix, [t[prefix_len:] for t in near], edits, True)
    queue: list[Candidate] = []
    for cand, ed in zip(near, distances.tolist()):  # term order, as the fuzzy enum visits them
        if ed > edits:
            continue
        boost = 1.0 if ed == 0 else float(F32(1.0) - F32(ed) / F32(min(len(cand), len(token))))
        if len(queue) >= inspections and boost <= _bottom(queue).boost:
            continue
        if cand == token:
            continue
        freq = inv.doc_freq(inv.terms[cand])
        if freq <= threshold:
            continue
        score = boost if s.string_distance == "internal" else _DISTANCES[s.string_distance](token, cand)
        if score < s.accuracy:
            continue
        queue.append(Candidate(cand, boost, score, freq))
        if len(queue) > inspections:
            queue.remove(_bottom(queue))
    return queue


def _bottom(queue: list[Candidate]) -> Candidate:
    return min(queue, key=lambda c: (c.boost, _reverse_key(c.term)))


def _order(sort: str) -> Any:
    """The response's order (``TermSuggestion.SCORE``/``FREQUENCY``): ties by frequency or score, then text."""
    if sort == "frequency":
        return lambda c: (-c.freq, -c.score, c.term)
    return lambda c: (-c.score, -c.freq, c.term)


def suggest_similar(inv: InvertedField | None, token: str, s: TermSuggestion, max_doc: int) -> list[Candidate]:
    """The options of one token, best first, at most ``size``."""
    return shard_candidates(inv, token, s, max_doc)[: s.size]


def shard_candidates(inv: InvertedField | None, token: str, s: TermSuggestion, max_doc: int) -> list[Candidate]:
    """What one shard answers for a token (``DirectSpellChecker.suggestSimilar`` asked for ``shard_size``
    words): best first, at most ``shard_size``; the coordinator merges the shards' and keeps ``size``
    (``suggest/shards.py``). ``max_doc`` is the shard's ``maxDoc``, what the fractional
    ``max_term_freq`` and ``min_doc_freq`` scale by."""
    shard_size = s.shard_size if s.shard_size is not None else max(s.size, 5)
    if len(token) < s.min_word_length or inv is None:
        return []
    tid = inv.term_id(token)
    freq = inv.doc_freq(tid) if tid is not None else 0
    if s.suggest_mode == "missing" and freq > 0:
        return []
    if s.max_term_freq >= 1:
        if freq > s.max_term_freq:
            return []
    elif freq > math.ceil(F32(s.max_term_freq) * F32(max_doc)):
        return []
    threshold = freq if s.suggest_mode == "popular" else 0
    if s.min_doc_freq >= 1:
        threshold = max(threshold, int(s.min_doc_freq))
    elif s.min_doc_freq > 0:
        threshold = max(threshold, int(F32(s.min_doc_freq) * F32(max_doc)) - 1)
    inspections = shard_size * s.max_inspections
    found = {c.term: c for c in _fuzzy_pass(inv, token, 1, s, threshold, inspections)}
    if s.max_edits > 1 and len(found) < inspections:
        for c in _fuzzy_pass(inv, token, s.max_edits, s, threshold, inspections):
            found.setdefault(c.term, c)
    return sorted(found.values(), key=_order(s.sort))[:shard_size]


def utf16_offset(text: str, index: int) -> int:
    """A code-point index of ``text`` as a Java ``String`` index (UTF-16 units)."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def suggestion_entries(tokens: list[Token], inv: InvertedField | None, s: TermSuggestion, max_doc: int) -> list[dict]:
    """One shard's entries: one per token, ``text``, ``offset``, ``length`` and up to ``shard_size``
    ``options`` (the reduce in ``suggest/shards.py`` keeps ``size`` of them)."""
    from retrievo.response import es_float

    entries = []
    for tok in tokens:
        options = [
            {"text": c.term, "score": es_float(c.score), "freq": c.freq}
            for c in shard_candidates(inv, tok.term, s, max_doc)
        ]
        entries.append({"text": tok.term, "offset": tok.start, "length": tok.end - tok.start, "options": options})
    return entries
