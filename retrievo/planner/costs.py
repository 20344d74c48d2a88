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

Document counts are upper bounds (``≤``), except where marked exact. Token counts are analyzer
tokens (words), a lower bound for a model's word pieces. ``work`` is a rough common unit
(postings read, vectors compared, model pairs weighted by :data:`PAIR_WORK`) used to decide whether
branches are worth running on threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from retrievo.index.searcher import Searcher
from retrievo.planner.operators.base import Operator
from retrievo.planner.operators.query import Bm25Score, ConstantScore, Filter, MinScore, TerminateAfter
from retrievo.planner.operators.top_docs import Page, TopDocs
from retrievo.planner.operators.vector import KnnScore, VectorSearch
from retrievo.planner.operators.fusion import FusionOperator
from retrievo.lucene.query import (
    BoolQ, BoostQ, ConstQ, DisMaxQ, DocSetQ, KnnHitsQ, LQuery, MatchAllQ, MatchNoneQ, NamedQ, PhraseQ, TermQ,
)
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.rerank import DEFAULT_WINDOW_WORDS, Rerank
from retrievo.retrievers.knn import KnnSearch

#: A model pair (or embedded text) counted as this many postings when comparing branch costs: a
#: cross-encoder pair costs about as much as scoring tens of thousands of postings.
PAIR_WORK = 20_000
#: Vectors an HNSW search compares per explored candidate (about 2 × M neighbours at M = 16).
HNSW_COMPARISONS_PER_CANDIDATE = 32
#: Documents sampled from the store when a reranked field has no inverted index to read lengths from.
SAMPLE_DOCS = 64


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

    def __init__(self, searcher: Searcher, searches: dict[int, KnnSearch] | None = None,
                 inference: Any = None, shared_vectors: bool = False) -> None:
        self.s = searcher
        self.n = searcher.live_count
        self.searches = searches or {}
        self.inference = inference
        self.shared_vectors = shared_vectors
        self._ops: dict[int, Estimate] = {}
        self._embedded: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ operators
    def of(self, op: Operator) -> Estimate:
        done = self._ops.get(id(op))
        if done is None:
            kids = [self.of(c) for c in op.children()]
            done = self._ops[id(op)] = _ESTIMATORS.get(type(op), CostModel._default)(self, op, kids)
        return done

    def subtree_work(self, op: Operator) -> int:
        """Work of every distinct operator under (and including) ``op``."""
        return sum(self.of(o).work for o in walk(op))

    def _default(self, op: Operator, kids: list[Estimate]) -> Estimate:
        if isinstance(op, FusionOperator):
            return self._fusion(op, kids)
        inflow = sum(k.docs_out for k in kids)
        return Estimate(inflow, inflow)

    def _vector_search(self, op: VectorSearch, kids: list[Estimate]) -> Estimate:
        search = op.search
        # The snapshot's description (VectorField or semantic_text chunks) has the vector count.
        count = int(op.index.get("count", 0) or 0)
        passing = min([count] + [self.query(f).matches for f in op.filters])
        exact = int(op.index.get("exact_rows", 0) or 0) >= passing or op.index.get("index_type") in (
            "flat", "int8_flat", "int4_flat", "bbq_flat")
        compared = passing if exact else min(passing, max(search.num_candidates, search.k)
                                             * HNSW_COMPARISONS_PER_CANDIDATE)
        # Work: an exact search touches every row (filter mask included), an ANN search its
        # candidates' neighbours; each comparison costs about dims / 16 posting reads.
        per_vector = max(1, int(op.index.get("dims", 16) or 16) // 16)
        est = Estimate(count, min(search.k, passing), work=(count if exact else compared) * per_vector,
                       exact=not op.filters and search.similarity is None,
                       extra={"vectors_compared": compared, "search": "exact" if exact else "ann"})
        builder = search.query_vector_builder
        if builder is not None:
            key = (builder.model_id, builder.model_text)
            if not (self.shared_vectors and key in self._embedded):
                est.model_calls = 1
                est.tokens = len(builder.model_text.split())
                est.work += PAIR_WORK
            self._embedded.add(key)
        return est

    def _bm25(self, op: Bm25Score, kids: list[Estimate]) -> Estimate:
        q = self.query(op.query)
        return Estimate(self.n, min(self.n, q.matches), work=q.postings, exact=q.exact,
                        extra={"postings": q.postings})

    def _knn_score(self, op: KnnScore, kids: list[Estimate]) -> Estimate:
        return Estimate(kids[0].docs_out, kids[0].docs_out, exact=kids[0].exact)

    def _constant(self, op: ConstantScore, kids: list[Estimate]) -> Estimate:
        return Estimate(self.n, self.n, work=self.n, exact=True)

    def _filter(self, op: Filter, kids: list[Estimate]) -> Estimate:
        costs = [self.query(f) for f in op.filters]
        out = min([kids[0].docs_out] + [c.matches for c in costs])
        postings = sum(c.postings for c in costs)
        return Estimate(kids[0].docs_out, out, work=postings, extra={"postings": postings})

    def _min_score(self, op: MinScore, kids: list[Estimate]) -> Estimate:
        return Estimate(kids[0].docs_out, kids[0].docs_out)

    def _terminate(self, op: TerminateAfter, kids: list[Estimate]) -> Estimate:
        return Estimate(kids[0].docs_out, min(op.limit, kids[0].docs_out), exact=kids[0].exact)

    def _top_docs(self, op: TopDocs, kids: list[Estimate]) -> Estimate:
        inflow = kids[0].docs_out
        return Estimate(inflow, min(op.k, inflow), work=inflow, exact=kids[0].exact)

    def _page(self, op: Page, kids: list[Estimate]) -> Estimate:
        inflow = kids[0].docs_out
        return Estimate(inflow, max(0, min(op.size, inflow - op.from_)), exact=kids[0].exact)

    def _fusion(self, op: FusionOperator, kids: list[Estimate]) -> Estimate:
        inflow = sum(min(op.window, k.docs_out) for k in kids)
        out = min(op.window, inflow, self.n)  # the fused list is a union: never more than the documents
        if op.limit is not None:
            out = min(out, op.limit)
        return Estimate(inflow, out, work=inflow)

    def _rerank(self, op: Rerank, kids: list[Estimate]) -> Estimate:
        docs = min(op.window, kids[0].docs_out)
        words = self.field_words(op.field)
        query_words = len(op.inference_text.split())
        chunks = 1
        if op.chunk is not None:
            chunk_words = self._chunk_words(op)
            chunks = max(1, min(op.chunk.size, math.ceil(words / chunk_words) if words else 1))
            words = min(words, chunk_words)
        pairs = docs * chunks
        out = docs if op.limit is None else min(docs, op.limit)
        return Estimate(docs, out, work=pairs * PAIR_WORK, pairs=pairs,
                        tokens=int(round(pairs * (query_words + words))), model_calls=1 if pairs else 0,
                        extra={"chunks_per_doc": chunks, "avg_passage_words": round(words, 1)})

    def _chunk_words(self, op: Rerank) -> int:
        settings = (op.chunk.chunking_settings or {}) if op.chunk is not None else {}
        size = settings.get("max_chunk_size")
        if isinstance(size, int) and size > 0:
            return size
        window = None
        if self.inference is not None:
            try:
                window = self.inference.rerank_window(op.inference_id)
            except Exception:  # noqa: BLE001 - an unknown endpoint fails at run time, not in a cost estimate
                window = None
        return int(window or DEFAULT_WINDOW_WORDS)

    def field_words(self, path: str) -> float:
        """Average words of a field: the inverted index's average length, else a small sample."""
        inv = self.s.inverted(path)
        if inv is not None and inv.doc_count and inv.norms is not None:
            return float(inv.avgdl)
        from retrievo.planner.operators.rerank import field_text
        words, seen = 0, 0
        for doc in range(min(self.s.max_doc, SAMPLE_DOCS * 4)):
            if not self.s.live[doc]:
                continue
            text = field_text(self.s.source(doc), path)
            if text is not None:
                words += len(text.split())
                seen += 1
            if seen >= SAMPLE_DOCS:
                break
        return words / seen if seen else 0.0

    # ------------------------------------------------------------------ queries
    def query(self, q: LQuery) -> QueryCost:
        """Matches (upper bound) and postings read for a Lucene-level query."""
        fn = _QUERY_COSTS.get(type(q))
        return fn(self, q) if fn is not None else QueryCost(self.n, self.n)

    def _term(self, q: TermQ) -> QueryCost:
        inv = self.s.inverted(q.field)
        tid = inv.term_id(q.term) if inv is not None else None
        df = inv.doc_freq(tid) if inv is not None and tid is not None else 0
        return QueryCost(df, df, exact=True)

    def _phrase(self, q: PhraseQ) -> QueryCost:
        dfs = [self._term(TermQ(q.field, t)).matches for t in q.terms]
        return QueryCost(min(dfs) if dfs else 0, sum(dfs))

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
        return QueryCost(min(self.n, sum(c.matches for c in parts)), sum(c.postings for c in parts),
                         exact=len(parts) == 1 and parts[0].exact)

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
            col = self.s.numeric(q.field)
            held = int(col.docs.size) if col is not None else 0
            return QueryCost(min(self.n, held), held)
        return QueryCost(self.n, self.n)


_ESTIMATORS: dict[type, Callable[[CostModel, Any, list[Estimate]], Estimate]] = {
    VectorSearch: CostModel._vector_search, Bm25Score: CostModel._bm25, KnnScore: CostModel._knn_score,
    ConstantScore: CostModel._constant, Filter: CostModel._filter, MinScore: CostModel._min_score,
    TerminateAfter: CostModel._terminate, TopDocs: CostModel._top_docs, Page: CostModel._page,
    Rerank: CostModel._rerank,
}

_QUERY_COSTS: dict[type, Callable[[CostModel, Any], QueryCost]] = {
    TermQ: CostModel._term, PhraseQ: CostModel._phrase, BoolQ: CostModel._bool, DisMaxQ: CostModel._dis_max,
    BoostQ: CostModel._wrapped, ConstQ: CostModel._wrapped, NamedQ: CostModel._wrapped,
    MatchAllQ: CostModel._match_all, MatchNoneQ: CostModel._match_none, KnnHitsQ: CostModel._knn_hits,
    DocSetQ: CostModel._doc_set,
}
