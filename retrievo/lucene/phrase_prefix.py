"""Phrase-prefix and bool-prefix queries: the prefix's expansion, and the Lucene queries they rewrite to.

Elasticsearch's ``match_phrase_prefix`` builds a ``MultiPhrasePrefixQuery``, which rewrites against the
index: the last position's terms are replaced by the first ``max_expansions`` terms of the field's
dictionary that start with them (term order, segment by segment; retrievo has one segment), and the
result is a Lucene ``MultiPhraseQuery`` (:class:`~retrievo.lucene.query.MultiPhraseQ`, scored in
:mod:`retrievo.lucene.multi_phrase`). One position is rewritten to a disjunction of term queries, and
a phrase whose positions all hold one term scores exactly as a ``PhraseQuery``, so both compile to the
simpler nodes.

``match_bool_prefix`` is simpler: a ``bool`` of term queries whose last clause, when the text ends with
the last token, is a constant-score prefix query.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from retrievo.index.inverted import InvertedField
from retrievo.lucene.query import BoolQ, ConstQ, DocSetQ, LQuery, MatchNoneQ, MultiPhraseQ, PhraseQ, TermQ

NO_TERMS = "No terms supplied for org.elasticsearch.common.lucene.search.MultiPhrasePrefixQuery"


def prefix_expansions(inv: InvertedField | None, prefixes: list[str], max_expansions: int) -> list[str]:
    """``MultiPhrasePrefixQuery.getPrefixTerms`` over each prefix of the last position, in term order.

    The loop adds a term before it checks the limit, so ``max_expansions: 0`` still keeps one term.
    """
    if inv is None:
        return []
    terms = inv.sorted_terms
    found: dict[str, None] = {}
    for prefix in prefixes:
        start = int(np.searchsorted(terms, prefix, side="left"))
        for t in terms[start:]:
            if not t.startswith(prefix):
                break
            found[t] = None
            if len(found) >= max_expansions:
                break
        if len(found) > max_expansions:
            break
    return list(found)


def phrase_prefix_query(
    inv: InvertedField | None,
    field: str,
    terms: list[str],
    positions: list[int],
    slop: int,
    max_expansions: int,
) -> LQuery:
    """The rewritten query of ``MultiPhrasePrefixQuery`` for analysed ``terms`` at ``positions``.

    Tokens stacked at one position (synonyms) share that position, as ``createPhrasePrefixQuery``
    groups them; the last position's terms are the prefixes.
    """
    slots: list[list[str]] = []
    at: list[int] = []
    for term, pos in zip(terms, positions):
        if at and at[-1] == pos:
            slots[-1].append(term)
        else:
            slots.append([term])
            at.append(pos)
    expanded = prefix_expansions(inv, slots[-1], max_expansions)
    if not expanded:
        return MatchNoneQ(NO_TERMS)
    groups = [tuple(s) for s in slots[:-1]] + [tuple(sorted(expanded))]
    if len(groups) == 1:  # MultiPhraseQuery.rewrite: one position is a disjunction of its terms
        only = groups[0]
        return TermQ(field, only[0]) if len(only) == 1 else BoolQ(should=tuple(TermQ(field, t) for t in only))
    if all(len(g) == 1 for g in groups):
        return PhraseQ(field, tuple(g[0] for g in groups), tuple(at), slop)
    return MultiPhraseQ(field, tuple(groups), tuple(at), slop)


def bool_prefix_clauses(
    field: str, terms: list[str], last_is_prefix: bool, term_query: Callable[[str, str], LQuery] = TermQ
) -> list[LQuery]:
    """The clauses ``analyzeMultiBoolean`` adds for ``match_bool_prefix``, one per position (stacked
    tokens are refused by the caller: they make a ``SynonymQuery``); ``term_query`` builds the term
    clauses (fuzzy ones with ``fuzziness``); the last one is a ``PrefixQuery`` (constant score) only when
    the text ends with its token."""
    clauses: list[LQuery] = [term_query(field, t) for t in terms]
    if last_is_prefix:
        clauses[-1] = ConstQ(DocSetQ("prefix", field, (terms[-1], False)))
    return clauses
