"""Hypothesis strategies for random ASTs that ES|QL can express, in the canonical form the ES|QL front
end produces (so that ``parse(print(ast)) == ast`` is the property, not a weaker one).

What "canonical" means, mirroring ``retrievo/grammar/esql_where.py`` and ``esql_pipeline.py``:

* conditions that are not full-text functions score nothing: at the top level they are the
  retriever's ``filter``; inside a scoring ``AND`` they are ``bool.filter``; inside a scoring ``OR``
  they are ``constant_score`` with ``boost: 0``;
* negations are pushed down: ``!=`` / ``NOT IN`` are ``exists`` + ``must_not``, ``IS NULL`` is
  ``must_not exists``, a negated full-text function is ``must_not`` alone;
* an ``AND`` never directly contains an ``AND`` (nor an ``OR`` an ``OR``), and holds at most one
  ``range`` per field (comparisons on one field are combined);
* no ``SORT`` is ``_doc`` order, ``SORT _score DESC`` alone is the default order; a lone kNN sorted
  by score without boost is a ``knn`` retriever, every other kNN use is a ``standard`` retriever's
  ``knn`` section whose filter is the retriever's;
* ``MATCH`` and ``MULTI_MATCH`` are lenient (ES|QL's default); weights are positive; a compound has
  2–8 children that are not compounds, all sharing its window.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from retrievo.grammar.json.knn import default_num_candidates
from retrievo.retrievers import (
    BoolQuery,
    ConstantScoreQuery,
    ExistsQuery,
    KnnRetriever,
    KnnSearch,
    LinearRetriever,
    MatchAllQuery,
    MatchPhraseQuery,
    MatchQuery,
    MultiMatchQuery,
    Query,
    RangeQuery,
    Retriever,
    RetrieverEntry,
    RrfRetriever,
    SearchRequest,
    SortField,
    StandardRetriever,
    TermQuery,
    TermsQuery,
    TextSimilarityReranker,
)

DOC_ORDER = (SortField(field="_doc", order="asc"),)


@dataclass(frozen=True)
class Vocab:
    index: str
    text_fields: tuple[str, ...]
    keyword_fields: tuple[str, ...]
    keywords: tuple[str, ...]
    int_fields: tuple[str, ...]
    float_fields: tuple[str, ...]
    date_fields: tuple[str, ...]
    bool_fields: tuple[str, ...]
    vector_field: str
    dims: int
    words: tuple[str, ...]
    rerank_field: str
    rerank_ids: tuple[str, ...]

    @property
    def sortable(self) -> tuple[str, ...]:
        return self.keyword_fields + self.int_fields + self.float_fields + self.date_fields

    @property
    def all_fields(self) -> tuple[str, ...]:
        return self.text_fields + self.sortable + self.bool_fields


#: Runs on the ``lib`` test index (tests/esql/conftest.py).
LIB = Vocab(
    index="lib",
    text_fields=("title", "body"),
    keyword_fields=("genre", "tags", "title.raw"),
    keywords=("sf", "fantasy", "mystery", "history", "dark", "sea"),
    int_fields=("year", "pages"),
    float_fields=("rating",),
    date_fields=("published",),
    bool_fields=("available",),
    vector_field="vec",
    dims=3,
    words=("dark", "light", "hand", "wizard", "sea", "stone", "night", "city", "river", "star"),
    rerank_field="title",
    rerank_ids=("rr",),
)
#: Names that need quoting, words with quotes and escapes: only parsed and printed, never run.
FREE = Vocab(
    index="books-2",
    text_fields=("title", "first", "my text", "a.b"),
    keyword_fields=("genre", "@tag", "ke`y"),
    keywords=("sf", 'say "hi"', "back\\slash", "tab\there", ""),
    int_fields=("year", "desc"),
    float_fields=("rating",),
    date_fields=("published",),
    bool_fields=("flag",),
    vector_field="vec",
    dims=2,
    words=("dark", "light", "ünïcode", "new\nline", "7"),
    rerank_field="title",
    rerank_ids=("rr", ".rerank-v1-elasticsearch"),
)


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.integers(int(lo * 100), int(hi * 100)).map(lambda i: i / 100)


# ------------------------------------------------------------------ filters (non-scoring conditions)


@functools.cache
def comparisons(v: Vocab) -> st.SearchStrategy[Query]:
    """``==`` on keyword / integer / boolean fields, ``IN``, ``IS [NOT] NULL``, ``!=``, ``NOT IN``."""
    term = st.one_of(
        st.builds(
            lambda f, k: TermQuery(field=f, value=k), st.sampled_from(v.keyword_fields), st.sampled_from(v.keywords)
        ),
        st.builds(lambda f, n: TermQuery(field=f, value=n), st.sampled_from(v.int_fields), st.integers(1940, 2030)),
        st.builds(lambda f, b: TermQuery(field=f, value=b), st.sampled_from(v.bool_fields), st.booleans()),
    )
    terms = st.builds(
        lambda f, ks: TermsQuery(field=f, values=tuple(ks)),
        st.sampled_from(v.keyword_fields),
        st.lists(st.sampled_from(v.keywords), min_size=1, max_size=3, unique=True),
    )
    exists = st.builds(lambda f: ExistsQuery(field=f), st.sampled_from(v.all_fields))
    missing = exists.map(lambda e: BoolQuery(must_not=(e,)))
    negated = st.one_of(term, terms).map(lambda q: BoolQuery(filter=(ExistsQuery(field=q.field),), must_not=(q,)))
    return st.one_of(term, terms, exists, missing, negated, ranges(v))


@functools.cache
def ranges(v: Vocab) -> st.SearchStrategy[Query]:
    @st.composite
    def draw(draw_: Any) -> Query:
        kind = draw_(st.sampled_from(["int", "float", "date"]))
        if kind == "int":
            field, values = draw_(st.sampled_from(v.int_fields)), st.integers(1900, 2100)
        elif kind == "float":
            field, values = draw_(st.sampled_from(v.float_fields)), _floats(0, 6)
        else:
            field = draw_(st.sampled_from(v.date_fields))
            values = st.dates().filter(lambda d: 1900 <= d.year <= 2100).map(lambda d: d.isoformat())
        lower = draw_(st.sampled_from([None, "gt", "gte"]))
        upper = draw_(st.sampled_from([None, "lt", "lte"] if lower else ["lt", "lte"]))
        bounds = {k: draw_(values) for k in (lower, upper) if k}
        return RangeQuery(field=field, **bounds)

    return draw()


def _one_range_per_field(qs: list[Query]) -> bool:
    fields = [q.field for q in qs if isinstance(q, RangeQuery)]
    return len(fields) == len(set(fields))


def _is_and(q: Query) -> bool:
    """A pure conjunction (``bool.filter`` of several), which an enclosing AND would flatten."""
    return isinstance(q, BoolQuery) and len(q.filter) > 1 and not q.must and not q.should and not q.must_not


def _is_or(q: Query) -> bool:
    return isinstance(q, BoolQuery) and bool(q.should)


@functools.cache
def filter_conditions(v: Vocab, depth: int = 2) -> st.SearchStrategy[Query]:
    leaf = st.one_of(comparisons(v), full_text(v).map(lambda q: BoolQuery(must_not=(q,))))
    if depth <= 0:
        return leaf
    sub = filter_conditions(v, depth - 1)
    ors = st.lists(sub.filter(lambda q: not _is_or(q)), min_size=2, max_size=3).map(
        lambda qs: BoolQuery(should=tuple(qs))
    )
    ands = st.lists(
        sub.filter(lambda q: not _is_and(q) and not (isinstance(q, RangeQuery))), min_size=2, max_size=3
    ).map(lambda qs: BoolQuery(filter=tuple(qs)))
    return st.one_of(leaf, ors, ands)


@functools.cache
def filter_lists(v: Vocab, max_size: int = 3) -> st.SearchStrategy[tuple[Query, ...]]:
    """A retriever's ``filter``: top-level conjuncts (never themselves conjunctions)."""
    return (
        st.lists(filter_conditions(v, 1).filter(lambda q: not _is_and(q)), max_size=max_size)
        .filter(_one_range_per_field)
        .map(tuple)
    )


# ------------------------------------------------------------------ scoring conditions


@functools.cache
def full_text(v: Vocab) -> st.SearchStrategy[Query]:
    text = st.lists(st.sampled_from(v.words), min_size=1, max_size=3).map(" ".join)
    boost = st.sampled_from([1.0, 1.0, 2.0, 0.5])
    match = st.builds(
        lambda f, q, op, msm, lenient, b: MatchQuery(
            field=f, query=q, operator=op, minimum_should_match=msm, lenient=lenient, boost=b
        ),
        st.sampled_from(v.text_fields),
        text,
        st.sampled_from(["or", "and"]),
        st.sampled_from([None, 1, "50%"]),
        st.sampled_from([True, True, False]),
        boost,
    )
    phrase = st.builds(
        lambda f, q, slop, b: MatchPhraseQuery(field=f, query=q, slop=slop, boost=b),
        st.sampled_from(v.text_fields),
        text,
        st.sampled_from([0, 0, 1, 2]),
        boost,
    )
    multi = st.builds(
        lambda fs, q, t, tb: MultiMatchQuery(query=q, fields=tuple(fs), type=t, tie_breaker=tb, lenient=True),
        st.lists(st.sampled_from(v.text_fields), min_size=2, max_size=2, unique=True),
        text,
        st.sampled_from(["best_fields", "most_fields"]),
        st.sampled_from([None, 0.3]),
    )
    return st.one_of(match, match, phrase, multi)


@functools.cache
def scoring_conditions(v: Vocab, depth: int = 2) -> st.SearchStrategy[Query]:
    leaf = full_text(v)
    if depth <= 0:
        return leaf
    sub = scoring_conditions(v, depth - 1)

    def and_(must: list[Query], filters: list[Query]) -> Query:
        return BoolQuery(must=tuple(must), filter=tuple(filters))

    ands = st.builds(
        and_,
        st.lists(sub.filter(lambda q: not (isinstance(q, BoolQuery) and q.must)), min_size=1, max_size=2),
        st.lists(filter_conditions(v, 1).filter(lambda q: not _is_and(q)), max_size=2).filter(_one_range_per_field),
    ).filter(lambda q: len(q.must) + len(q.filter) >= 2)
    zero = (
        filter_conditions(v, 1).filter(lambda q: not _is_or(q)).map(lambda q: ConstantScoreQuery(filter=q, boost=0.0))
    )
    ors = (
        st.lists(st.one_of(sub.filter(lambda q: not _is_or(q)), zero), min_size=2, max_size=3)
        .filter(lambda qs: any(not isinstance(q, ConstantScoreQuery) for q in qs))
        .map(lambda qs: BoolQuery(should=tuple(qs)))
    )
    return st.one_of(leaf, leaf, ands, ors)


@functools.cache
def top_queries(v: Vocab) -> st.SearchStrategy[Query]:
    """A standard retriever's query: a must-``bool`` at the top carries no filter (that would be the
    retriever's filter)."""
    return scoring_conditions(v).filter(lambda q: not (isinstance(q, BoolQuery) and q.must and q.filter))


# ------------------------------------------------------------------ retrievers


@functools.cache
def sorts(v: Vocab) -> st.SearchStrategy[tuple[SortField, ...]]:
    item = st.builds(
        lambda f, o, m: SortField(field=f, order=o, missing=m),
        st.sampled_from(v.sortable),
        st.sampled_from(["asc", "desc"]),
        st.sampled_from(["_last", "_first"]),
    )
    score = st.builds(lambda o: SortField(field="_score", order=o), st.sampled_from(["asc", "desc"]))
    keyed = (
        st.lists(st.one_of(item, score), min_size=1, max_size=3, unique_by=lambda s: s.field)
        .filter(lambda s: s != [SortField(field="_score", order="desc")])
        .map(tuple)
    )
    return st.one_of(st.just(()), st.just(DOC_ORDER), keyed)


@functools.cache
def vectors(v: Vocab) -> st.SearchStrategy[tuple[float, ...]]:
    return st.lists(_floats(-2, 2), min_size=v.dims, max_size=v.dims).map(tuple)


@functools.cache
def knn_searches(v: Vocab, boost: bool) -> st.SearchStrategy[KnnSearch]:
    """Without a filter: the caller sets the retriever's filters on it."""

    @st.composite
    def draw(draw_: Any) -> KnnSearch:
        k = draw_(st.integers(1, 12))
        nc = draw_(st.sampled_from([default_num_candidates(k), k, k + 7, 100]))
        return KnnSearch(
            field=v.vector_field,
            k=k,
            num_candidates=nc,
            query_vector=draw_(vectors(v)),
            similarity=draw_(st.sampled_from([None, None, 0.05])),
            boost=draw_(st.sampled_from([1.0, 2.0])) if boost else 1.0,
        )

    return draw()


@functools.cache
def standard_retrievers(v: Vocab, knn_section: bool = True) -> st.SearchStrategy[Retriever]:
    """``knn_section``: may carry kNN disjuncts (the ``knn`` section, which retriever JSON has only as
    the top-level search body's ``knn`` — and that has no ``filter`` next to it)."""

    @st.composite
    def draw(draw_: Any) -> Retriever:
        filters = draw_(filter_lists(v))
        query = draw_(st.one_of(st.none(), top_queries(v)))
        knn: tuple[KnnSearch, ...] = ()
        if knn_section:
            knn = tuple(
                s.model_copy(update={"filter": filters})
                for s in draw_(st.lists(knn_searches(v, boost=True), max_size=2))
            )
        sort = draw_(sorts(v))
        if query is None and not knn:
            filters = filters or (MatchAllQuery(),)
        if query is None and len(knn) == 1 and knn[0].boost == 1.0 and sort == ():
            sort = DOC_ORDER  # that shape is the knn retriever's
        return StandardRetriever(query=query, knn=knn, filter=filters, sort=sort)

    return draw()


@functools.cache
def knn_retrievers(v: Vocab) -> st.SearchStrategy[Retriever]:
    @st.composite
    def draw(draw_: Any) -> Retriever:
        filters = draw_(filter_lists(v, 2))
        return KnnRetriever(search=draw_(knn_searches(v, boost=False)), filter=filters)

    return draw()


@functools.cache
def leaf_retrievers(v: Vocab, knn_section: bool = True) -> st.SearchStrategy[Retriever]:
    return st.one_of(standard_retrievers(v, knn_section), standard_retrievers(v, knn_section), knn_retrievers(v))


@functools.cache
def rerankers(v: Vocab, child: st.SearchStrategy[Retriever], min_window: int) -> st.SearchStrategy[Retriever]:
    return st.builds(
        lambda c, text, iid, w: TextSimilarityReranker(
            retriever=c, field=v.rerank_field, inference_text=text, inference_id=iid, rank_window_size=w
        ),
        child,
        st.lists(st.sampled_from(v.words), min_size=1, max_size=3).map(" ".join),
        st.sampled_from(v.rerank_ids),
        st.integers(max(min_window, 1), max(min_window, 30)),
    )


@functools.cache
def compounds(v: Vocab, window: int, knn_section: bool = True) -> st.SearchStrategy[Retriever]:
    child = st.one_of(leaf_retrievers(v, knn_section), rerankers(v, leaf_retrievers(v, knn_section), window))

    @st.composite
    def draw(draw_: Any) -> Retriever:
        entries = tuple(
            RetrieverEntry(retriever=c, weight=draw_(st.sampled_from([1.0, 1.0, 0.5, 2.0, 0.3])))
            for c in draw_(st.lists(child, min_size=2, max_size=4))
        )
        filters = draw_(filter_lists(v, 2))
        if draw_(st.booleans()):
            return RrfRetriever(
                retrievers=entries,
                rank_window_size=window,
                filter=filters,
                rank_constant=draw_(st.sampled_from([60, 60, 1, 20])),
            )
        return LinearRetriever(
            retrievers=entries,
            rank_window_size=window,
            filter=filters,
            normalizer=draw_(st.sampled_from([None, "none", "minmax", "l2_norm"])),
        )

    return draw()


def has_json_form(request: SearchRequest) -> bool:
    """Whether retriever JSON can say it: a ``knn`` section only on a top-level standard retriever
    without ``filter`` (it is then the search body's ``query`` + ``knn``)."""
    r = request.retriever
    return not isinstance(r, StandardRetriever) or not r.knn or not r.filter


def json_body(request: SearchRequest) -> dict[str, Any]:
    """The request as an Elasticsearch search body (a kNN section is the top-level ``knn``)."""
    r = request.retriever
    if isinstance(r, StandardRetriever) and r.knn:
        return request.model_copy(update={"top_level_query": True}).to_json()
    return request.to_json()


@functools.cache
def search_requests(v: Vocab, json_form: bool = False) -> st.SearchStrategy[SearchRequest]:
    """``json_form``: only requests that retriever JSON can also say (see :func:`has_json_form`)."""
    nested_knn = not json_form

    @st.composite
    def draw(draw_: Any) -> SearchRequest:
        shape = draw_(st.sampled_from(["leaf", "leaf", "compound", "rerank", "rerank_compound"]))
        if shape == "leaf":
            request = SearchRequest(index=v.index, retriever=draw_(leaf_retrievers(v)), size=draw_(st.integers(0, 25)))
            if json_form and not has_json_form(request):
                request = request.model_copy(
                    update={
                        "retriever": request.retriever.model_copy(
                            update={
                                "knn": tuple(s.model_copy(update={"filter": ()}) for s in request.retriever.knn),
                                "filter": (),
                            }
                        )
                    }
                )
                if request.retriever.query is None and not request.retriever.knn:
                    request = request.model_copy(
                        update={"retriever": request.retriever.model_copy(update={"filter": (MatchAllQuery(),)})}
                    )
            return request
        window = draw_(st.integers(1, 20))
        size = draw_(st.integers(0, window))
        if shape == "compound":
            r = draw_(compounds(v, window, nested_knn))
        elif shape == "rerank":
            r = draw_(rerankers(v, leaf_retrievers(v, nested_knn), window))
            size = min(size, r.rank_window_size)
        else:
            inner = draw_(st.integers(1, 20))
            r = draw_(rerankers(v, compounds(v, inner, nested_knn), 1))
            r = r.model_copy(update={"rank_window_size": min(r.rank_window_size, inner)})
            size = min(size, r.rank_window_size)
        return SearchRequest(index=v.index, retriever=r, size=size)

    return draw()
