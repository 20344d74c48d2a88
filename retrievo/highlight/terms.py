"""What a compiled query can highlight: its term, phrase, prefix and term-set leaves, per field.

Lucene's highlighters visit the query with a ``QueryVisitor`` that skips ``MUST_NOT`` clauses and
collects every other leaf (filters included); retrievo walks its own Lucene-level tree the same way.
Leaves that match no text (kNN hits, ranges, features) highlight nothing, but a kNN leaf switches the
unified highlighter off its ``WEIGHT_MATCHES`` mode, as Elasticsearch does.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrievo.lucene.combined_fields import CombinedFieldQ
from retrievo.lucene.function_score import BoostingQ, FunctionScoreQ, TermsSetQ
from retrievo.lucene.query import (
    MULTI_TERM_KINDS,
    BlendedTermQ,
    BoolQ,
    BoostQ,
    ConstQ,
    DisMaxQ,
    DocSetQ,
    KnnHitsQ,
    LQuery,
    MultiPhraseQ,
    NamedQ,
    PhraseQ,
    SpanGraphQ,
    SynonymQ,
    TermQ,
)


@dataclass(frozen=True)
class TermLeaf:
    field: str
    term: str
    #: The product of the boosts around the leaf: the plain highlighter weighs its fragments with it.
    boost: float = 1.0


@dataclass(frozen=True)
class PhraseLeaf:
    field: str
    terms: tuple[str, ...]
    positions: tuple[int, ...]
    slop: int
    boost: float = 1.0


@dataclass(frozen=True)
class PrefixLeaf:
    field: str
    prefix: str
    case_insensitive: bool
    boost: float = 1.0


@dataclass(frozen=True)
class SetLeaf:
    field: str
    terms: frozenset[str]
    boost: float = 1.0


Leaf = TermLeaf | PhraseLeaf | PrefixLeaf | SetLeaf


@dataclass(frozen=True)
class QueryLeaves:
    """The highlightable leaves of one or more queries, and whether a kNN leaf was among them."""

    leaves: tuple[Leaf, ...]
    has_knn: bool = False

    def for_field(self, field: str, require_field_match: bool) -> tuple[Leaf, ...]:
        """The leaves that apply to ``field``: its own, or every field's but ``_id`` when matches
        need not come from the field itself (the term text is compared as it is)."""
        if require_field_match:
            return tuple(leaf for leaf in self.leaves if leaf.field == field)
        return tuple(leaf for leaf in self.leaves if leaf.field != "_id")


def term_weights(leaves: tuple[Leaf, ...]) -> dict[str, float]:
    """Each term's weight for the plain highlighter's ``QueryScorer``: the highest boost it is queried with
    (``WeightedSpanTermExtractor`` keeps the larger weight of a repeated term)."""
    weights: dict[str, float] = {}
    for leaf in leaves:
        terms: tuple[str, ...] | frozenset[str] = ()
        if isinstance(leaf, TermLeaf):
            terms = (leaf.term,)
        elif isinstance(leaf, (PhraseLeaf, SetLeaf)):
            terms = leaf.terms
        for term in terms:
            weights[term] = max(weights.get(term, 0.0), leaf.boost)
    return weights


def _collect(q: LQuery, boost: float, out: list[Leaf], knn: list[bool]) -> None:
    if isinstance(q, (TermQ, BlendedTermQ)):
        out.append(TermLeaf(q.field, q.term, boost))
    elif isinstance(q, SynonymQ):
        out.extend(TermLeaf(q.field, t, boost) for t in q.terms)
    elif isinstance(q, CombinedFieldQ):  # every (field, term) pair (CombinedFieldQuery.visit)
        out.extend(TermLeaf(f, t, boost) for f, t in q.field_terms())
    elif isinstance(q, SpanGraphQ):  # each term of the graph (not the spans)
        from retrievo.lucene.span_graph import span_terms

        out.extend(TermLeaf(q.field, t, boost) for t in span_terms(q.tree))
    elif isinstance(q, MultiPhraseQ):  # each alternative term (not the phrase's spans)
        out.extend(TermLeaf(q.field, t, boost) for group in q.groups for t in group)
    elif isinstance(q, PhraseQ):
        if len(q.terms) == 1:
            out.append(TermLeaf(q.field, q.terms[0], boost))
        else:
            out.append(PhraseLeaf(q.field, q.terms, q.positions, q.slop, boost))
    elif isinstance(q, DocSetQ):
        if q.kind == "prefix":
            out.append(PrefixLeaf(q.field, str(q.args[0]), bool(q.args[1]), boost))
        elif q.kind == "terms":
            out.append(SetLeaf(q.field, frozenset(str(t) for t in q.args), boost))
        elif q.kind in MULTI_TERM_KINDS:  # a multi-term query's expanded terms
            out.append(SetLeaf(q.field, frozenset(q.args[1]), boost))
    elif isinstance(q, KnnHitsQ):
        knn.append(True)
    elif isinstance(q, BoolQ):
        for clause in q.must + q.should + q.filter:  # MUST_NOT clauses never highlight
            _collect(clause, boost, out, knn)
    elif isinstance(q, DisMaxQ):
        for sub in q.queries:
            _collect(sub, boost, out, knn)
    elif isinstance(q, BoostQ):
        _collect(q.query, boost * q.boost, out, knn)
    elif isinstance(q, (ConstQ, NamedQ)):
        _collect(q.query, boost, out, knn)
    elif isinstance(q, (FunctionScoreQ, BoostingQ, TermsSetQ)):  # their visit(): the scored sub-queries
        for sub in q.sub_queries():
            _collect(sub, boost, out, knn)


def query_leaves(queries: tuple[LQuery, ...]) -> QueryLeaves:
    """Every highlightable leaf of ``queries``, first occurrence kept, in query order."""
    out: list[Leaf] = []
    knn: list[bool] = []
    for q in queries:
        _collect(q, 1.0, out, knn)
    return QueryLeaves(tuple(dict.fromkeys(out)), bool(knn))
