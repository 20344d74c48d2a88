"""Lucene's multi-term queries (fuzzy, wildcard, regexp, prefix) expanded over a field's term dictionary.

A multi-term query matches the terms an automaton accepts; Lucene then *rewrites* it into ordinary
queries over those terms, and the rewrite method decides the score: constant (Elasticsearch 9's default
for wildcard, regexp and prefix), a BM25 disjunction of the terms (``scoring_boolean``), or the top
terms only (``top_terms_*``; a fuzzy query's default is ``top_terms_blended_freqs_<max_expansions>``,
which gives every chosen term the largest document frequency among them, so a rare misspelling does not
outscore the word the user meant). Reproducing scores means reproducing the term selection and the
rewrite, which this module does; the languages live in :mod:`retrievo.lucene.automata`.

Term boosts follow Lucene's ``FuzzyTermsEnum``: 1 for the exact term, else ``1 - edits / min(len(term),
len(query))`` in code points (float arithmetic), possibly negative (top-terms rewrites clamp it to 0).
Top terms are the best by (boost desc, term asc) — the priority queue ``TopTermsRewrite`` keeps — and
become clauses in term order.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from retrievo.errors import illegal_argument
from retrievo.index import bm25
from retrievo.index.inverted import InvertedField
from retrievo.index.searcher import Searcher
from retrievo.lucene import automata
from retrievo.lucene.clause_limit import MAX_CLAUSE_COUNT, too_many_nested_clauses
from retrievo.lucene.query import (
    BlendedTermQ,
    BoolQ,
    BoostQ,
    ConstQ,
    DocSetQ,
    LQuery,
    MatchNoneQ,
    TermQ,
)

F32 = np.float32

#: ``index.max_regex_length``'s default (retrievo does not accept the setting, so it is the limit).
MAX_REGEX_LENGTH = 1000
#: ``Operations.DEFAULT_DETERMINIZE_WORK_LIMIT``: Elasticsearch's default ``max_determinized_states``.
DEFAULT_MAX_DETERMINIZED_STATES = 10000


# ------------------------------------------------------------------------------------ rewrites


def parse_rewrite(rewrite: str | None) -> tuple[str, int] | None:
    """Elasticsearch's ``QueryParsers.parseRewriteMethod``: (method, size) or ``None`` for the query's
    default. Sizes come from the digits at the first digit (``top_terms_10``); an unknown name is
    ``Failed to parse rewrite_method [x]``."""
    if rewrite is None:
        return None
    if rewrite in ("constant_score", "constant_score_blended", "scoring_boolean", "constant_score_boolean"):
        return rewrite, 0
    first = next((i for i, c in enumerate(rewrite) if c.isdigit()), -1)
    if first >= 0:
        name, digits = rewrite[:first], rewrite[first:]
        if name in ("top_terms_", "top_terms_boost_", "top_terms_blended_freqs_"):
            try:
                size = int(digits)
            except ValueError:
                raise illegal_argument(f'For input string: "{digits}"') from None
            if not -(2**31) <= size < 2**31:
                raise illegal_argument(f'For input string: "{digits}"')
            return name.rstrip("_"), size
    raise illegal_argument(f"Failed to parse rewrite_method [{rewrite}]")


def _top(terms: list[str], boosts: list[float], size: int) -> list[int]:
    """Indices of the ``size`` best terms by (boost desc, term asc), returned in term order."""
    order = sorted(range(len(terms)), key=lambda i: (-boosts[i], terms[i]))[: max(size, 0)]
    return sorted(order, key=lambda i: terms[i])


def _should(clauses: list[LQuery]) -> LQuery:
    if not clauses:
        return MatchNoneQ("empty BooleanQuery")
    if len(clauses) == 1:
        return clauses[0]
    return BoolQ(should=tuple(clauses))


def _boost(q: LQuery, boost: float) -> LQuery:
    return q if boost == 1.0 else BoostQ(q, boost)


def rewrite_terms(
    searcher: Searcher,
    field: str,
    kind: str,
    text: str,
    terms: list[str],
    boosts: list[float],
    method: tuple[str, int] | None,
    default: tuple[str, int],
) -> LQuery:
    """The rewritten query for the expanded ``terms`` (in term order, with their boosts)."""
    name, size = method if method is not None else default
    if name in ("constant_score", "constant_score_blended", "constant_score_boolean"):
        if name == "constant_score_boolean" and len(terms) > MAX_CLAUSE_COUNT:
            raise too_many_nested_clauses(searcher.index_name)
        return ConstQ(DocSetQ(kind, field, (text, tuple(terms))))
    if name == "scoring_boolean":
        if len(terms) > MAX_CLAUSE_COUNT:
            raise too_many_nested_clauses(searcher.index_name)
        return _should([_boost(TermQ(field, t), max(0.0, b)) for t, b in zip(terms, boosts)])
    chosen = _top(terms, boosts, min(size, MAX_CLAUSE_COUNT))
    if name == "top_terms":
        return _should([_boost(TermQ(field, terms[i]), max(0.0, boosts[i])) for i in chosen])
    if name == "top_terms_boost":
        return _should([_boost(ConstQ(TermQ(field, terms[i])), max(0.0, boosts[i])) for i in chosen])
    # top_terms_blended_freqs: every term scored with the largest document frequency among them
    inv = searcher.inverted(field)
    if len(chosen) <= 1 or inv is None:
        return _should([_boost(TermQ(field, terms[i]), max(0.0, boosts[i])) for i in chosen])
    max_df = max(inv.doc_freq(inv.terms[terms[i]]) for i in chosen)
    return _should([_boost(BlendedTermQ(field, terms[i], max_df), max(0.0, boosts[i])) for i in chosen])


def blended_term_scores(
    inv: InvertedField | None, q: BlendedTermQ, boost: np.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A term's postings scored by BM25 with the blended document frequency: (docs, scores, freqs)."""
    tid = inv.term_id(q.term) if inv is not None else None
    if inv is None or tid is None or inv.doc_freq(tid) == 0:
        return None
    sl = inv.posting_slice(tid)
    weight = bm25.term_weight(boost, bm25.idf(q.doc_freq, inv.doc_count))
    return inv.docs[sl], bm25.score(weight, inv.freqs[sl], inv.doc_norm_inverse[sl]), inv.freqs[sl]


def terms_mask(inv: InvertedField, terms: tuple[str, ...], n: int) -> np.ndarray:
    """The documents holding any of ``terms`` (a constant-score rewrite's matches), all postings at once."""
    found = list(map(inv.terms.get, terms))  # the expansion came from this snapshot: all present
    if None in found:
        found = [tid for tid in found if tid is not None]
    tids = np.array(found, dtype=np.int64)
    mask = np.zeros(n, dtype=bool)
    if tids.size == 0:
        return mask
    starts, ends = inv.offsets[tids], inv.offsets[tids + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    # the posting positions of every term, run after run: start of the run + position within it
    runs = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    mask[inv.docs[runs + np.arange(total)]] = True
    return mask


def blended_idf(inv: InvertedField, q: BlendedTermQ) -> np.float32:
    return bm25.idf(q.doc_freq, inv.doc_count)


# ------------------------------------------------------------------------------------ expansion


@dataclass
class _Vocabulary:
    """A field snapshot's sorted terms with what the expansions filter on, built once per snapshot:
    code-point lengths, and per-term histograms of code points (folded into 64 bins) whose L1 distance
    bounds the edit distance from below (one edit changes it by at most 2)."""

    terms: list[str]
    array: np.ndarray
    lengths: np.ndarray
    hist: np.ndarray | None = None
    #: The terms joined by newlines, and where each starts (``None`` when a term holds a newline).
    text: str | None = None
    starts: np.ndarray | None = None

    def lines(self) -> tuple[str, np.ndarray] | None:
        if self.starts is None:
            if any("\n" in t for t in self.terms):
                self.starts = np.zeros(0, dtype=np.int64)
            else:
                self.starts = np.concatenate(([0], np.cumsum(self.lengths.astype(np.int64) + 1)))
                self.text = "\n".join(self.terms) + "\n"
        return None if self.text is None else (self.text, self.starts)

    def histograms(self) -> np.ndarray:
        if self.hist is None:
            lengths = self.lengths.astype(np.int64)
            rows = np.repeat(np.arange(len(self.terms), dtype=np.int64), lengths)
            points = _code_points("".join(self.terms)).astype(np.int64)
            counts = np.bincount(rows * _BINS + points % _BINS, minlength=len(self.terms) * _BINS)
            self.hist = counts.reshape(len(self.terms), _BINS).astype(np.int16)
        return self.hist


_BINS = 64


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_VOCABULARIES: WeakKeyDictionary[InvertedField, _Vocabulary] = WeakKeyDictionary()


def _vocabulary(inv: InvertedField) -> _Vocabulary:
    vocab = _VOCABULARIES.get(inv)
    if vocab is None:
        array = inv.sorted_terms
        terms = array.tolist()
        lengths = np.fromiter((len(t) for t in terms), dtype=np.int32, count=len(terms))
        vocab = _VOCABULARIES[inv] = _Vocabulary(terms, array, lengths)
    return vocab


def _prefix_range(vocab: _Vocabulary, prefix: str) -> tuple[int, int]:
    """The slice of the sorted terms that start with ``prefix``."""
    if not prefix:
        return 0, len(vocab.terms)
    lo = int(np.searchsorted(vocab.array, prefix, side="left"))
    hi = int(np.searchsorted(vocab.array, prefix + "\U0010ffff", side="right"))
    while hi > lo and not vocab.terms[hi - 1].startswith(prefix):  # a term continuing with U+10FFFF
        hi -= 1
    return lo, hi


def _terms_matching(inv: InvertedField, prefix: str, match: automata.TermMatcher) -> list[str]:
    """Terms of the sorted dictionary that start with ``prefix`` and that ``match`` accepts, in order:
    one multi-line scan of the joined dictionary when the pattern allows, else term by term."""
    vocab = _vocabulary(inv)
    lo, hi = _prefix_range(vocab, prefix)
    if match.lines is not None and hi - lo > 256:
        joined = vocab.lines()
        if joined is not None:
            text, starts = joined
            # up to the last term's end, before its newline: no empty line after it can match
            return match.lines.findall(text, int(starts[lo]), int(starts[hi]) - 1)
    return match.select(vocab.terms[lo:hi])


def auto_fuzziness(fuzziness: str | int | float, term: str) -> int:
    """Elasticsearch's ``Fuzziness.asDistance``: ``AUTO`` (or ``AUTO:low,high``, defaults 3 and 6) gives
    0 edits below ``low`` code points, 1 below ``high``, else 2; a number gives ``min(2, int(n))``.
    ``fuzziness`` is what the parser accepted (``Fuzziness.fromString``/``fromEdits``)."""
    if isinstance(fuzziness, str) and fuzziness.upper().startswith("AUTO"):
        low, high = 3, 6
        if ":" in fuzziness:
            low_s, high_s = fuzziness.split(":", 1)[1].split(",")
            low, high = int(low_s), int(high_s)
        length = len(term)
        return 0 if length < low else 1 if length < high else 2
    return min(2, int(float(fuzziness)))


def fuzzy_terms(
    inv: InvertedField, term: str, max_edits: int, prefix_length: int, transpositions: bool
) -> tuple[list[str], list[float]]:
    """The dictionary terms within ``max_edits`` of ``term`` (sharing its first ``prefix_length`` code
    points), in term order, with ``FuzzyTermsEnum``'s boosts."""
    if max_edits == 0 or prefix_length >= len(term.encode("utf-16-le")) // 2:
        return ([term], [1.0]) if term in inv.terms else ([], [])
    prefix = term[:prefix_length]
    suffix = term[len(prefix) :]
    length = len(term)
    vocab = _vocabulary(inv)
    lo, hi = _prefix_range(vocab, prefix)
    idx = lo + np.flatnonzero(np.abs(vocab.lengths[lo:hi] - length) <= max_edits)
    if idx.size > 64:  # the histogram bound prunes most candidates before the dynamic programme
        query_hist = np.bincount(np.array([ord(c) % _BINS for c in term], dtype=np.int64), minlength=_BINS)
        l1 = np.abs(vocab.histograms()[idx] - query_hist.astype(np.int16)).sum(axis=1)
        idx = idx[l1 <= 2 * max_edits]
    candidates = [vocab.terms[i] for i in idx.tolist()]
    if not candidates:
        return [], []
    edits = automata.edit_distances(suffix, [t[len(prefix) :] for t in candidates], max_edits, transpositions)
    keep = np.flatnonzero(edits <= max_edits)
    out_terms = [candidates[i] for i in keep.tolist()]
    boosts = []
    for t, ed in zip(out_terms, edits[keep].tolist()):
        if t == term:
            boosts.append(1.0)
        else:
            boosts.append(float(F32(1.0) - F32(ed) / F32(min(len(t), length))))
    return out_terms, boosts


def fuzzy_query(
    searcher: Searcher,
    field: str,
    term: str,
    *,
    max_edits: int,
    prefix_length: int = 0,
    max_expansions: int = 50,
    transpositions: bool = True,
    rewrite: str | None = None,
) -> LQuery:
    """Lucene's ``FuzzyQuery`` rewritten: the terms within ``max_edits`` of ``term`` (default rewrite:
    ``top_terms_blended_freqs_<max_expansions>``). Constructor checks are Lucene's."""
    if not 0 <= max_edits <= 2:
        raise illegal_argument("maxEdits must be between 0 and 2")
    if prefix_length < 0:
        raise illegal_argument("prefixLength cannot be negative.")
    if max_expansions <= 0:
        raise illegal_argument("maxExpansions must be positive.")
    method = parse_rewrite(rewrite)
    text = f"{field}:{term}~{max_edits}"
    inv = searcher.inverted(field)
    terms, boosts = ([], []) if inv is None else fuzzy_terms(inv, term, max_edits, prefix_length, transpositions)
    return rewrite_terms(
        searcher, field, "fuzzy", text, terms, boosts, method, ("top_terms_blended_freqs", max_expansions)
    )


def _automaton_query(
    searcher: Searcher, field: str, kind: str, text: str, expr: automata.Expr, rewrite: str | None
) -> LQuery:
    method = parse_rewrite(rewrite)
    inv = searcher.inverted(field)
    terms = [] if inv is None else _terms_matching(inv, automata.literal_prefix(expr), automata.matcher(expr))
    return rewrite_terms(searcher, field, kind, text, terms, [1.0] * len(terms), method, ("constant_score", 0))


def wildcard_query(
    searcher: Searcher, field: str, pattern: str, *, case_insensitive: bool = False, rewrite: str | None = None
) -> LQuery:
    """Lucene's ``WildcardQuery`` rewritten (``*``, ``?``, ``\\`` escapes; constant score by default)."""
    expr = automata.wildcard_expr(pattern, case_insensitive)
    return _automaton_query(searcher, field, "wildcard", f"{field}:{pattern}", expr, rewrite)


def prefix_query(
    searcher: Searcher, field: str, prefix: str, *, case_insensitive: bool = False, rewrite: str | None = None
) -> LQuery:
    """Lucene's ``PrefixQuery`` (``CaseInsensitivePrefixQuery``) with an explicit ``rewrite``; without one,
    ``DocSetQ("prefix")`` serves it."""
    escaped = prefix.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
    expr = automata.wildcard_expr(escaped + "*", case_insensitive)
    return _automaton_query(searcher, field, "prefix_rewrite", f"{field}:{prefix}*", expr, rewrite)


def regexp_syntax_flags(flags: str) -> int:
    """Elasticsearch's ``RegexpFlag.resolveValue``: ``|``-separated names, case-insensitive."""
    if not flags:
        return automata.ALL
    value = automata.NONE
    for name in flags.split("|"):
        if not name:
            continue
        flag = automata.FLAG_VALUES.get(name.upper())
        if flag is None:
            raise illegal_argument(f"Unknown regexp flag [{name}]")
        if flag == automata.ALL:
            return automata.ALL
        value |= flag
    return value


def regexp_query(
    searcher: Searcher,
    field: str,
    pattern: str,
    *,
    flags: str = "ALL",
    case_insensitive: bool = False,
    max_determinized_states: int = DEFAULT_MAX_DETERMINIZED_STATES,
    rewrite: str | None = None,
    syntax_flags: int | None = None,
) -> LQuery:
    """Lucene's ``RegexpQuery`` rewritten (Lucene's ``RegExp`` syntax, not Java's; constant score by
    default). ``syntax_flags`` (an integer, ``flags_value``) overrides the ``flags`` names. A malformed
    expression raises :class:`~retrievo.lucene.automata.RegexpSyntaxError`, one whose DFA is too large
    :class:`TooComplex`."""
    value = regexp_syntax_flags(flags) if syntax_flags is None else syntax_flags
    expr = automata.parse_regexp(pattern, automata.sanitise_flags(value), case_insensitive)
    check_determinized_states(expr, max_determinized_states)
    return _automaton_query(searcher, field, "regexp", f"{field}:/{pattern}/", expr, rewrite)


def check_determinized_states(expr: automata.Expr, limit: int) -> None:
    """Refuse an expression whose DFA needs more than ``limit`` states: Lucene determinizes the regexp's
    automaton and gives up past ``max_determinized_states``. retrievo counts the states of its own
    derivative DFA over the expression's character classes (not Lucene's powerset work, so the limit
    trips at a comparable, not identical, point)."""
    if automata.count_dfa_states(expr, limit) > limit:
        raise TooComplex(limit)


class TooComplex(Exception):
    """Lucene's ``TooComplexToDeterminizeException``."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit
