"""Cheap, honest cost estimates for a plan, from statistics the index already keeps.

Nothing here runs a query. The numbers come from:

* BM25 clauses — postings lengths (document frequencies) from the term dictionary: a term matches
  exactly ``df`` documents; a conjunction at most its rarest clause; a disjunction at most the sum;
* filters of other kinds — what the structure can say without scanning: ``ids`` their count, a
  numeric range at most the documents holding a value, ``exists`` and prefixes at most every document;
* kNN — ``k`` neighbours out of the field's vector count, ``num_candidates`` explored (or every
  vector when the search is exact);
* fusion and rerank — window sizes; rerank pairs = documents × chunks per document, tokens = pairs ×
  (query words + passage words), passage words from the field's average length in the index (or a
  sample of stored documents when the field has no inverted index), capped by the chunk size.

Each operator estimates itself (``Operator.estimate``) from its children's estimates and what this
module knows about the index: :class:`CostModel` computes them bottom-up once per plan and prices
Lucene-level queries. Document counts are upper bounds (``≤``), except where marked exact. Token
counts are analyzer tokens (words), a lower bound for a model's word pieces. ``work`` is a rough common unit
(postings read, vectors compared, model pairs weighted by :data:`PAIR_WORK`) used to decide whether
branches are worth running on threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retrievo.index.searcher import Searcher
from retrievo.inference.protocols import Reranker
from retrievo.lucene.query import (
    BoolQ,
    BoostQ,
    ConstQ,
    DisMaxQ,
    DocSetQ,
    FeatureQ,
    KnnHitsQ,
    LQuery,
    MatchAllQ,
    MatchNoneQ,
    MultiPhraseQ,
    NamedQ,
    NestedFeaturesQ,
    PhraseQ,
    SpanGraphQ,
    SynonymQ,
    TermQ,
)
from retrievo.retrievers.knn import KnnSearch

if TYPE_CHECKING:
    from retrievo.planner.operators.base import Operator

#: A model pair (or embedded text) counted as this many postings when comparing branch costs: a
#: cross-encoder pair costs about as much as scoring tens of thousands of postings.
PAIR_WORK = 20_000


@dataclass
class Estimate:
    """What one operator is expected to take in and hand out."""

    docs_in: int
    docs_out: int
    work: int = 0
    pairs: int = 0
    tokens: int = 0
    model_calls: int = 0
    #: docs_out is exact (a term's postings, a kNN's k over enough vectors), not an upper bound.
    exact: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"docs_in": self.docs_in, "docs_out": self.docs_out, "work": self.work}
        if self.pairs:
            out["pairs"] = self.pairs
        if self.tokens:
            out["tokens"] = self.tokens
        if self.model_calls:
            out["model_calls"] = self.model_calls
        out["docs_out_is"] = "exact" if self.exact else "upper_bound"
        out.update(self.extra)
        return out


@dataclass
class QueryCost:
    matches: int
    postings: int
    exact: bool = False


class CostModel:
    """Estimates for every operator of one plan (by identity), computed bottom-up once."""

    def __init__(
        self,
        searcher: Searcher,
        searches: dict[int, KnnSearch] | None = None,
        inference: Reranker | None = None,
        shared_vectors: bool = False,
    ) -> None:
        self.searcher = searcher
        self.n = searcher.live_count
        self.searches = searches or {}
        self.inference = inference
        self.shared_vectors = shared_vectors
        self._ops: dict[int, Estimate] = {}
        self._embedded: set[tuple[str, str]] = set()

    def of(self, op: Operator) -> Estimate:
        done = self._ops.get(id(op))
        if done is None:
            inputs = [self.of(c) for c in op.children()]
            done = self._ops[id(op)] = op.estimate(self, inputs)
        return done

    def charges_embedding(self, endpoint: str, text: str) -> bool:
        """Whether embedding ``text`` costs a model call here: always, unless the plan shares query
        vectors and an operator estimated before this one already embeds the same pair."""
        key = (endpoint, text)
        charged = not (self.shared_vectors and key in self._embedded)
        self._embedded.add(key)
        return charged

    # ------------------------------------------------------------------ queries
    def query(self, q: LQuery) -> QueryCost:
        """Matches (upper bound) and postings read for a Lucene-level query."""
        fn = _QUERY_COSTS.get(type(q))
        return fn(self, q) if fn is not None else QueryCost(self.n, self.n)

    def _term(self, q: TermQ) -> QueryCost:
        inv = self.searcher.inverted(q.field)
        tid = inv.term_id(q.term) if inv is not None else None
        df = inv.doc_freq(tid) if inv is not None and tid is not None else 0
        return QueryCost(df, df, exact=True)

    def _feature(self, q: FeatureQ) -> QueryCost:
        return self._term(TermQ(q.field, q.feature))

    def _nested_features(self, q: NestedFeaturesQ) -> QueryCost:
        snapshot = self.searcher.vector(q.field)
        chunks = int(snapshot.describe().get("chunks", 0)) if snapshot is not None else 0
        return QueryCost(min(self.n, chunks), chunks * max(1, len(q.tokens)))

    def _phrase(self, q: PhraseQ) -> QueryCost:
        dfs = [self._term(TermQ(q.field, t)).matches for t in q.terms]
        return QueryCost(min(dfs) if dfs else 0, sum(dfs))

    def _multi_phrase(self, q: MultiPhraseQ) -> QueryCost:
        dfs = [sum(self._term(TermQ(q.field, t)).matches for t in terms) for terms in q.groups]
        return QueryCost(min(self.n, min(dfs)) if dfs else 0, sum(dfs))

    def _span_graph(self, q: SpanGraphQ) -> QueryCost:
        from retrievo.lucene.span_graph import span_terms

        dfs = [self._term(TermQ(q.field, t)).matches for t in span_terms(q.tree)]
        return QueryCost(min(self.n, sum(dfs)), sum(dfs))

    def _synonym(self, q: SynonymQ) -> QueryCost:
        dfs = [self._term(TermQ(q.field, t)).matches for t in q.terms]
        return QueryCost(min(self.n, sum(dfs)), sum(dfs))

    def _bool(self, q: BoolQ) -> QueryCost:
        required = [self.query(c) for c in q.must + q.filter]
        optional = [self.query(c) for c in q.should]
        negative = [self.query(c) for c in q.must_not]
        postings = sum(c.postings for c in required + optional + negative)
        if required:
            matches = min(c.matches for c in required)
        elif optional:
            matches = min(self.n, sum(c.matches for c in optional))
        else:
            matches = 0
        exact = len(required) + len(optional) == 1 and not negative and all(c.exact for c in required + optional)
        return QueryCost(matches, postings, exact)

    def _dis_max(self, q: DisMaxQ) -> QueryCost:
        parts = [self.query(c) for c in q.queries]
        return QueryCost(
            min(self.n, sum(c.matches for c in parts)),
            sum(c.postings for c in parts),
            exact=len(parts) == 1 and parts[0].exact,
        )

    def _wrapped(self, q: BoostQ | ConstQ | NamedQ) -> QueryCost:
        return self.query(q.query)

    def _match_all(self, q: MatchAllQ) -> QueryCost:
        return QueryCost(self.n, 0, exact=True)

    def _match_none(self, q: MatchNoneQ) -> QueryCost:
        return QueryCost(0, 0, exact=True)

    def _knn_hits(self, q: KnnHitsQ) -> QueryCost:
        search = self.searches.get(q.slot)
        k = search.k if search is not None else self.n
        return QueryCost(min(k, self.n), min(k, self.n))

    def _doc_set(self, q: DocSetQ) -> QueryCost:
        if q.kind == "ids":
            return QueryCost(min(len(q.args), self.n), len(q.args))
        if q.kind == "terms":
            dfs = sum(self._term(TermQ(q.field, str(t))).matches for t in q.args)
            return QueryCost(min(self.n, dfs), dfs)
        if q.kind in ("range", "points"):
            col = self.searcher.numeric(q.field)
            held = int(col.docs.size) if col is not None else 0
            return QueryCost(min(self.n, held), held)
        return QueryCost(self.n, self.n)


_QUERY_COSTS: dict[type, Callable[[CostModel, Any], QueryCost]] = {
    TermQ: CostModel._term,
    PhraseQ: CostModel._phrase,
    SynonymQ: CostModel._synonym,
    SpanGraphQ: CostModel._span_graph,
    MultiPhraseQ: CostModel._multi_phrase,
    BoolQ: CostModel._bool,
    DisMaxQ: CostModel._dis_max,
    BoostQ: CostModel._wrapped,
    ConstQ: CostModel._wrapped,
    NamedQ: CostModel._wrapped,
    MatchAllQ: CostModel._match_all,
    MatchNoneQ: CostModel._match_none,
    KnnHitsQ: CostModel._knn_hits,
    FeatureQ: CostModel._feature,
    NestedFeaturesQ: CostModel._nested_features,
    DocSetQ: CostModel._doc_set,
}
