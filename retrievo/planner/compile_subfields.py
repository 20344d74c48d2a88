"""Queries that Elasticsearch rewrites onto a field's hidden subfields (``retrievo.index.subfields``):
``prefix`` onto ``._index_prefix`` (``TextFieldType.prefixQuery``, ``SearchAsYouTypeFieldType.prefixQuery``),
``match_phrase`` onto ``._index_phrase`` or a ``._Ngram`` shingle field (``TextFieldType.phraseQuery``,
``SearchAsYouTypeFieldType.phraseQuery``), ``match_phrase_prefix`` onto ``._index_prefix``
(``TextFieldMapper.createPhrasePrefixQuery``). Each function returns ``None`` when Elasticsearch
keeps the query on the field itself, so the caller's ordinary path runs.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from retrievo.errors import not_supported
from retrievo.index.searcher import FieldInfo
from retrievo.index.subfields import SubfieldInfo, fixed_shingles
from retrievo.lucene.prefix_span import PrefixSpanQ
from retrievo.lucene.query import ConstQ, DocSetQ, LQuery, PhraseQ, SynonymQ, TermQ

__all__ = [
    "bool_prefix_by_position",
    "phrase_on_subfield",
    "phrase_prefix_field",
    "phrase_prefix_on_subfield",
    "prefix_on_subfield",
]

#: The rewrite methods after which ``prefixQuery`` wraps the prefix field's term in ``ConstantScoreQuery``
#: (``null``, ``CONSTANT_SCORE_REWRITE``, ``CONSTANT_SCORE_BOOLEAN_REWRITE``); any other scores the term.
_CONSTANT_REWRITES = (None, "constant_score", "constant_score_boolean")


def prefix_on_subfield(fi: FieldInfo, value: str, rewrite: str | None, case_insensitive: bool) -> LQuery | None:
    sub = fi.subfields
    if sub is None or sub.prefix_path is None or not sub.prefix_accepts(len(value)):
        return None
    if len(value) < sub.min_chars:
        # PrefixFieldType: an automaton over the grams OR the parent's exact term — the documents of
        # the parent's own prefix query; only a scoring rewrite would tell them apart.
        if rewrite in _CONSTANT_REWRITES:
            return None
        raise not_supported(
            f"a scoring [rewrite] of a prefix shorter than [{sub.min_chars}] characters on [{fi.path}]",
            "Elasticsearch scores an automaton over the prefix subfield with the parent's term",
        )
    if case_insensitive:  # termQueryCaseInsensitive: an automaton query, constant score
        return ConstQ(DocSetQ("terms_ci", sub.prefix_path, (value.lower(),)))
    term = TermQ(sub.prefix_path, value)
    return ConstQ(term) if rewrite in _CONSTANT_REWRITES else term


def _has_gaps(positions: list[int]) -> bool:
    """``TextFieldType.hasGaps``: a position increment above one, the first token's included."""
    if not positions:
        return False
    return positions[0] > 0 or any(b - a > 1 for a, b in pairwise(positions))


def _stacked(positions: list[int]) -> bool:
    return len(set(positions)) != len(positions)


def _toks(terms: list[str], positions: list[int]) -> list[tuple[str, int, int, int]]:
    return [(t, p, 0, 0) for t, p in zip(terms, positions, strict=True)]


def _phrase(field: str, toks: list[tuple[str, int, int, int]]) -> LQuery:
    """``createPhraseQuery`` over a shingled stream; one shingle is Lucene's single-term rewrite."""
    if len(toks) == 1:
        return TermQ(field, toks[0][0])
    first = toks[0][1]
    return PhraseQ(field, tuple(t[0] for t in toks), tuple(t[1] - first for t in toks), 0)


def _shingle_for(sub: SubfieldInfo, num_positions: int) -> tuple[int, str]:
    """``shingleFieldForPositions``."""
    return sub.shingles[min(max(num_positions - 2, 0), len(sub.shingles) - 1)]


def phrase_on_subfield(fi: FieldInfo, terms: list[str], positions: list[int], slop: int) -> LQuery | None:
    sub = fi.subfields
    if sub is None or slop > 0 or len(terms) < 2 or _has_gaps(positions) or _stacked(positions):
        return None
    if sub.shingles:  # search_as_you_type's root field
        size, path = _shingle_for(sub, positions[-1] + 1)
        return _phrase(path, fixed_shingles(_toks(terms, positions), size))
    if sub.phrase_path is not None:  # text's index_phrases
        return _phrase(sub.phrase_path, fixed_shingles(_toks(terms, positions), 2))
    return None


def phrase_prefix_on_subfield(fi: FieldInfo, terms: list[str], positions: list[int], slop: int) -> LQuery | None:
    """``None``: the ordinary ``MultiPhrasePrefixQuery`` on the field (or on the shingle field named
    by :func:`phrase_prefix_field`)."""
    sub = fi.subfields
    if sub is None or slop > 0 or not terms:
        return None
    if sub.shingles:  # the root: the shingle field for the query's positions, then its own rule
        return None
    if sub.prefix_path is None:
        return None
    last = max(positions)
    last_terms = [t for t, p in zip(terms, positions, strict=True) if p == last]
    if sub.shingle_size:  # a shingle field: termLengthWithinBounds
        usable = all(sub.prefix_accepts(len(t)) for t in last_terms)
    else:  # text's index_prefixes
        usable = all(sub.min_chars <= len(t) <= sub.max_chars for t in last_terms)
    if not usable:
        return None
    if len(set(positions)) == 1:  # one position: a SynonymQuery over the prefix field
        if len(last_terms) == 1:
            return TermQ(sub.prefix_path, last_terms[0])
        return SynonymQ(sub.prefix_path, tuple(sorted(last_terms)))
    # a SpanNearQuery on the field whose last clause is the prefix field's terms, masked as the field's
    ordered = sorted(set(positions))
    groups = tuple(tuple(t for t, p in zip(terms, positions, strict=True) if p == at) for at in ordered)
    return PrefixSpanQ(fi.path, sub.prefix_path, groups, tuple(p - ordered[0] for p in ordered))


def phrase_prefix_field(
    fi: FieldInfo, terms: list[str], positions: list[int], slop: int
) -> tuple[str, list[str], list[int]] | None:
    """``SearchAsYouTypeFieldType.phrasePrefixQuery``: the shingle field (path) a root field's phrase
    prefix runs on, with the query's shingles and their positions; ``None`` to stay on the root."""
    sub = fi.subfields
    if sub is None or not sub.shingles or slop > 0 or not terms or _has_gaps(positions) or _stacked(positions):
        return None
    num_positions = positions[-1] + 1
    if num_positions <= 1:
        return None
    size, path = _shingle_for(sub, num_positions)
    shingles = fixed_shingles(_toks(terms, positions), size)
    return path, [t[0] for t in shingles], [t[1] for t in shingles]


def bool_prefix_by_position(
    fi: FieldInfo,
    terms: list[str],
    positions: list[int],
    ends_with_token: bool,
    term_query: Callable[[str, str], LQuery],
) -> list[LQuery]:
    """``MatchQueryParser``'s ``BOOLEAN_PREFIX`` clauses, one per position: a term, a ``SynonymQuery``
    where tokens stack ("we don't apply prefix on synonyms"), and for the last position, when the text
    ends with its token, the field type's ``prefixQuery`` (onto a prefix subfield where there is one)."""
    groups: dict[int, list[str]] = {}
    for term, pos in zip(terms, positions, strict=True):
        groups.setdefault(pos, []).append(term)
    ordered = [groups[p] for p in sorted(groups)]
    clauses: list[LQuery] = []
    for i, group in enumerate(ordered):
        if len(group) > 1:
            clauses.append(SynonymQ(fi.path, tuple(sorted(group))))
        elif i == len(ordered) - 1 and ends_with_token:
            on_subfield = prefix_on_subfield(fi, group[0], None, False)
            clauses.append(on_subfield or ConstQ(DocSetQ("prefix", fi.path, (group[0], False))))
        else:
            clauses.append(term_query(fi.path, group[0]))
    return clauses
