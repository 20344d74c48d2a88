"""Hypothesis strategies for random retrievo ASTs: queries, retrievers and whole search requests.

Every tree drawn here is *valid*: it parses back from its printed JSON (and, with an executable
:class:`Vocab`, runs on the index the vocabulary describes). Front ends share these strategies for
their round-trip properties (JSON today, ES|QL next).

Public API (``from tests.ast_strategies import ...``)::

    queries(vocab=FREE, depth=2)           # Query nodes
    retrievers(vocab=FREE, depth=2)        # Retriever trees (standard, knn, rrf, linear, reranker)
    search_requests(vocab=FREE, depth=2)   # SearchRequest (retriever form or top-level query form)

and the pieces they are built from (``standard_retrievers``, ``knn_retrievers``, ``rrf_retrievers``,
``linear_retrievers``, ``rerankers``, ``sort_fields``, ``knn_searches``, ``source_filters`` …), all
taking the same ``vocab``. :data:`FREE` draws arbitrary field names and values (for parser/printer
round trips); :func:`executable_vocab` restricts everything to one index's fields, values, vector
size and inference endpoints, so that the trees also run.

``depth`` bounds nesting (bool/dis_max/constant_score for queries; rrf/linear/reranker for
retrievers). Compound retrievers draw their ``rank_window_size`` at least as large as their parent's
(``min_window``), as Elasticsearch requires of nested compounds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from retrievo.retrievers import (
    BoolQuery,
    ChunkRescorer,
    ConstantScoreQuery,
    DisMaxQuery,
    ExistsQuery,
    IdsQuery,
    KnnRetriever,
    KnnSearch,
    LinearRetriever,
    MatchAllQuery,
    MatchNoneQuery,
    MatchPhraseQuery,
    MatchQuery,
    MultiMatchQuery,
    PrefixQuery,
    Query,
    RangeQuery,
    Retriever,
    RetrieverEntry,
    RrfRetriever,
    SearchRequest,
    SemanticQuery,
    SortField,
    SourceFilter,
    StandardRetriever,
    TermQuery,
    TermsQuery,
    TextEmbeddingBuilder,
    TextSimilarityReranker,
)

__all__ = [
    "FREE",
    "Vocab",
    "boosts",
    "chunk_rescorers",
    "executable_vocab",
    "filters",
    "knn_retrievers",
    "knn_searches",
    "leaf_queries",
    "linear_retrievers",
    "names",
    "queries",
    "rerankers",
    "retrievers",
    "rrf_retrievers",
    "search_requests",
    "sort_fields",
    "source_filters",
    "standard_retrievers",
]


@dataclass(frozen=True)
class Vocab:
    """What the strategies may name. ``free`` allows arbitrary strings and scalar types where the
    parser accepts them; otherwise values come from the lists, so that every tree executes."""

    text_fields: tuple[str, ...]
    keyword_fields: tuple[str, ...]
    numeric_fields: tuple[str, ...]
    vector_field: str
    dims: int
    words: tuple[str, ...]
    keywords: tuple[str, ...]
    ids: tuple[str, ...]
    rerank_ids: tuple[str, ...]
    embedding_ids: tuple[str, ...] = ()
    semantic_fields: tuple[str, ...] = ()
    free: bool = True


#: Arbitrary names and values: for parse/print round trips (nothing is executed).
FREE = Vocab(
    text_fields=("title", "body", "a.b"),
    keyword_fields=("tag", "kind"),
    numeric_fields=("year", "price"),
    vector_field="vec",
    dims=3,
    words=("red", "apple", "the", "quick", "fox"),
    keywords=("x", "y"),
    ids=("1", "2", "doc-3"),
    rerank_ids=(".rerank-v1-elasticsearch", "my-rerank"),
    embedding_ids=(".all-minilm-l6-v2",),
    semantic_fields=("meaning",),
    free=True,
)


def executable_vocab(
    *,
    text_fields: tuple[str, ...],
    keyword_fields: tuple[str, ...],
    numeric_fields: tuple[str, ...],
    vector_field: str,
    dims: int,
    words: tuple[str, ...],
    keywords: tuple[str, ...],
    ids: tuple[str, ...],
    rerank_ids: tuple[str, ...] = (),
) -> Vocab:
    """A vocabulary whose trees run on an index with exactly these fields and values (no
    query-vector builders or semantic queries: those would need a model)."""
    return Vocab(
        text_fields=text_fields,
        keyword_fields=keyword_fields,
        numeric_fields=numeric_fields,
        vector_field=vector_field,
        dims=dims,
        words=words,
        keywords=keywords,
        ids=ids,
        rerank_ids=rerank_ids,
        free=False,
    )


# ---------------------------------------------------------------------------------------- values
def _cached(factory: Any) -> Any:
    """One strategy object per distinct arguments: building and validating strategies inside
    ``@composite`` draws would otherwise dominate the run time."""
    return functools.lru_cache(maxsize=None)(factory)


@_cached
def names() -> st.SearchStrategy[str]:
    """``_name`` values: any non-empty text."""
    return st.text(min_size=1, max_size=8)


@_cached
def boosts() -> st.SearchStrategy[float]:
    """Non-negative boosts, often exactly 1.0 (the default, which prints as nothing)."""
    return st.one_of(
        st.just(1.0),
        st.sampled_from([0.0, 0.5, 2.0]),
        st.floats(min_value=0.0, max_value=100.0, allow_nan=False, allow_infinity=False),
    )


@_cached
def _free_field() -> st.SearchStrategy[str]:
    return st.from_regex(r"[a-z][a-z0-9_]{0,6}(\.[a-z]{1,3})?", fullmatch=True)


@_cached
def _fields(vocab: Vocab, *pools: tuple[str, ...]) -> st.SearchStrategy[str]:
    pool = tuple(f for p in pools for f in p)
    return st.one_of(st.sampled_from(pool), _free_field()) if vocab.free else st.sampled_from(pool)


@_cached
def _text(vocab: Vocab) -> st.SearchStrategy[str]:
    words = st.lists(st.sampled_from(vocab.words), min_size=1, max_size=4).map(" ".join)
    return st.one_of(words, st.text(max_size=12)) if vocab.free else words


@_cached
def _finite(lo: float = -1e6, hi: float = 1e6) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


@_cached
def _scalar(vocab: Vocab) -> st.SearchStrategy[Any]:
    """A term-level value: strings, numbers and booleans (what XContent calls a value)."""
    return st.one_of(st.text(max_size=8), st.integers(-(10**6), 10**6), _finite(), st.booleans())


@_cached
def _msm() -> st.SearchStrategy[int | str | None]:
    return st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["1", "2", "75%", "-25%", "-1"]))


@_cached
def _name() -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), names())


@_cached
def _common(vocab: Vocab) -> dict[str, st.SearchStrategy[Any]]:
    return {"boost": boosts(), "name": _name()}


# ---------------------------------------------------------------------------------------- queries
@_cached
def _match(vocab: Vocab) -> st.SearchStrategy[MatchQuery]:
    query = st.one_of(_text(vocab), _scalar(vocab)) if vocab.free else _text(vocab)
    return st.builds(
        MatchQuery,
        field=_fields(vocab, vocab.text_fields),
        query=query,
        operator=st.sampled_from(["or", "and"]),
        minimum_should_match=_msm(),
        analyzer=st.one_of(st.none(), st.sampled_from(["standard", "whitespace", "simple"])),
        zero_terms_query=st.sampled_from(["none", "all"]),
        lenient=st.booleans(),
        **_common(vocab),
    )


@_cached
def _match_phrase(vocab: Vocab) -> st.SearchStrategy[MatchPhraseQuery]:
    return st.builds(
        MatchPhraseQuery,
        field=_fields(vocab, vocab.text_fields),
        query=_text(vocab),
        slop=st.integers(0, 5),
        analyzer=st.one_of(st.none(), st.sampled_from(["standard", "whitespace"])),
        zero_terms_query=st.sampled_from(["none", "all"]),
        **_common(vocab),
    )


@_cached
def _mm_field(vocab: Vocab) -> st.SearchStrategy[str]:
    boost = st.one_of(st.integers(0, 5).map(str), st.sampled_from(["0.5", "2.5", "1.0"]))
    return st.one_of(
        _fields(vocab, vocab.text_fields), st.tuples(_fields(vocab, vocab.text_fields), boost).map("^".join)
    )


@_cached
def _multi_match(vocab: Vocab) -> st.SearchStrategy[MultiMatchQuery]:
    return st.builds(
        MultiMatchQuery,
        query=_text(vocab),
        fields=st.lists(_mm_field(vocab), min_size=1, max_size=3).map(tuple),
        type=st.sampled_from(["best_fields", "most_fields", "phrase"]),
        tie_breaker=st.one_of(st.none(), _finite(0.0, 1.0)),
        operator=st.sampled_from(["or", "and"]),
        minimum_should_match=_msm(),
        slop=st.integers(0, 3),
        zero_terms_query=st.sampled_from(["none", "all"]),
        lenient=st.booleans(),
        **_common(vocab),
    )


@_cached
def _term_value(vocab: Vocab, field: str) -> st.SearchStrategy[Any]:
    if vocab.free:
        return _scalar(vocab)
    if field in vocab.numeric_fields:
        return st.integers(1990, 2030)
    return st.sampled_from(vocab.keywords)


@_cached
@st.composite
def _term(draw: st.DrawFn, vocab: Vocab) -> TermQuery:
    field = draw(_fields(vocab, vocab.keyword_fields, vocab.numeric_fields))
    insensitive = draw(st.booleans()) if vocab.free or field not in vocab.numeric_fields else False
    return TermQuery(
        field=field,
        value=draw(_term_value(vocab, field)),
        case_insensitive=insensitive,
        boost=draw(boosts()),
        name=draw(_name()),
    )


@_cached
@st.composite
def _terms(draw: st.DrawFn, vocab: Vocab) -> TermsQuery:
    field = draw(_fields(vocab, vocab.keyword_fields, vocab.numeric_fields))
    values = draw(_value_lists(vocab, field))
    return TermsQuery(field=field, values=values, boost=draw(boosts()), name=draw(_name()))


@_cached
def _value_lists(vocab: Vocab, field: str) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(_term_value(vocab, field), max_size=4).map(tuple)


@_cached
@st.composite
def _range(draw: st.DrawFn, vocab: Vocab) -> RangeQuery:
    field = draw(_fields(vocab, vocab.numeric_fields, vocab.keyword_fields))
    value = _term_value(vocab, field)
    low = draw(st.sampled_from([None, "gt", "gte"]))
    high = draw(st.sampled_from([None, "lt", "lte"]))
    bounds = {k: draw(value) for k in (low, high) if k is not None}
    extra: dict[str, Any] = {}
    if vocab.free:
        extra = {
            "format": draw(st.one_of(st.none(), st.just("yyyy"))),
            "time_zone": draw(st.one_of(st.none(), st.just("+01:00"))),
        }
    return RangeQuery(field=field, **bounds, **extra, boost=draw(boosts()), name=draw(_name()))


@_cached
def _exists(vocab: Vocab) -> st.SearchStrategy[ExistsQuery]:
    return st.builds(
        ExistsQuery,
        field=_fields(vocab, vocab.text_fields, vocab.keyword_fields, vocab.numeric_fields),
        **_common(vocab),
    )


@_cached
def _ids(vocab: Vocab) -> st.SearchStrategy[IdsQuery]:
    value = st.one_of(st.sampled_from(vocab.ids), st.text(max_size=5)) if vocab.free else st.sampled_from(vocab.ids)
    return st.builds(IdsQuery, values=st.lists(value, max_size=3).map(tuple), **_common(vocab))


@_cached
def _prefix(vocab: Vocab) -> st.SearchStrategy[PrefixQuery]:
    value = st.text(max_size=4) if vocab.free else st.sampled_from(vocab.keywords + tuple(w[:2] for w in vocab.words))
    return st.builds(
        PrefixQuery,
        field=_fields(vocab, vocab.keyword_fields, vocab.text_fields),
        value=value,
        case_insensitive=st.booleans(),
        **_common(vocab),
    )


@_cached
def _semantic(vocab: Vocab) -> st.SearchStrategy[SemanticQuery]:
    return st.builds(SemanticQuery, field=st.sampled_from(vocab.semantic_fields), query=_text(vocab), **_common(vocab))


@_cached
def leaf_queries(vocab: Vocab = FREE) -> st.SearchStrategy[Query]:
    """Queries without sub-queries."""
    leaves = [
        st.builds(MatchAllQuery, **_common(vocab)),
        _match(vocab),
        _match_phrase(vocab),
        _multi_match(vocab),
        _term(vocab),
        _terms(vocab),
        _range(vocab),
        _exists(vocab),
        _ids(vocab),
        _prefix(vocab),
        st.builds(MatchNoneQuery, **_common(vocab)),
    ]
    if vocab.semantic_fields:
        leaves.append(_semantic(vocab))
    return st.one_of(*leaves)


@_cached
def queries(vocab: Vocab = FREE, depth: int = 2) -> st.SearchStrategy[Query]:
    """Any query; ``bool``, ``constant_score`` and ``dis_max`` nest up to ``depth`` levels."""
    if depth <= 0:
        return leaf_queries(vocab)
    inner = queries(vocab, depth - 1)
    clauses = st.lists(inner, max_size=2).map(tuple)
    compound = st.one_of(
        st.builds(
            BoolQuery,
            must=clauses,
            should=clauses,
            filter=clauses,
            must_not=clauses,
            minimum_should_match=_msm(),
            **_common(vocab),
        ),
        st.builds(ConstantScoreQuery, filter=inner, **_common(vocab)),
        st.builds(
            DisMaxQuery,
            queries=st.lists(inner, min_size=1, max_size=3).map(tuple),
            tie_breaker=st.one_of(st.just(0.0), _finite(0.0, 1.0)),
            **_common(vocab),
        ),
    )
    return st.one_of(leaf_queries(vocab), compound)


@_cached
def filters(vocab: Vocab = FREE) -> st.SearchStrategy[tuple[Query, ...]]:
    """A retriever's ``filter``: none, one (printed as an object) or several (an array). With an
    executable vocabulary filters are rarer and single, so that most trees still find documents."""
    if not vocab.free:
        return st.one_of(st.just(()), st.just(()), st.tuples(leaf_queries(vocab)))
    return st.lists(queries(vocab, 1), max_size=2).map(tuple)


# ---------------------------------------------------------------------------------------- pieces
@_cached
def sort_fields(vocab: Vocab = FREE) -> st.SearchStrategy[SortField]:
    score = st.builds(SortField, field=st.just("_score"), order=st.sampled_from(["asc", "desc"]))
    missing = (
        st.one_of(st.just("_last"), st.just("_first"), st.integers(-5, 5))
        if not vocab.free
        else st.one_of(st.just("_last"), st.just("_first"), _scalar(vocab))
    )
    by_field = st.builds(
        SortField,
        field=_fields(vocab, vocab.keyword_fields, vocab.numeric_fields),
        order=st.sampled_from(["asc", "desc"]),
        missing=missing,
        mode=st.one_of(st.none(), st.sampled_from(["min", "max"])),
        unmapped_type=st.one_of(st.none(), st.just("keyword")) if vocab.free else st.none(),
    )
    return st.one_of(score, by_field)


@_cached
def _vector(vocab: Vocab) -> st.SearchStrategy[tuple[float, ...]]:
    return st.lists(_finite(-10.0, 10.0), min_size=vocab.dims, max_size=vocab.dims).map(tuple)


@_cached
@st.composite
def knn_searches(draw: st.DrawFn, vocab: Vocab = FREE, *, section: bool = False) -> KnnSearch:
    """One kNN search; ``section=True`` for the top-level ``knn`` (which also takes ``filter``,
    ``boost`` and ``_name``; the retriever form takes those as retriever fields)."""
    k = draw(st.integers(1, 8))
    num_candidates = draw(st.integers(k, 20))
    vector, builder = draw(_vector(vocab)), None
    if vocab.free and vocab.embedding_ids and draw(st.booleans()):
        vector, builder = (
            None,
            TextEmbeddingBuilder(model_id=draw(st.sampled_from(vocab.embedding_ids)), model_text=draw(_text(vocab))),
        )
    extra: dict[str, Any] = {}
    if section:
        extra = {"filter": draw(filters(vocab)), "boost": draw(boosts()), "name": draw(_name())}
    similarity = draw(st.one_of(st.none(), _finite(0.0, 100.0))) if vocab.free else None
    return KnnSearch(
        field=draw(_fields(vocab, (vocab.vector_field,))) if vocab.free else vocab.vector_field,
        k=k,
        num_candidates=num_candidates,
        query_vector=vector,
        query_vector_builder=builder,
        similarity=similarity,
        rescore_oversample=draw(st.one_of(st.none(), st.just(0.0), _finite(1.0, 10.0))) if vocab.free else None,
        **extra,
    )


@_cached
def source_filters(vocab: Vocab = FREE) -> st.SearchStrategy[SourceFilter]:
    patterns = st.lists(
        st.sampled_from(vocab.text_fields + vocab.keyword_fields + ("*", "t*")), unique=True, max_size=2
    ).map(tuple)
    return st.one_of(
        st.just(SourceFilter()),
        st.just(SourceFilter(enabled=False)),
        st.builds(SourceFilter, includes=patterns, excludes=patterns),
    )


def _base(draw: st.DrawFn, vocab: Vocab) -> dict[str, Any]:
    """``filter``, ``min_score`` and ``_name``: the fields every retriever accepts."""
    return {"filter": draw(filters(vocab)), "min_score": draw(_min_score(vocab)), "name": draw(_name())}


@_cached
def _min_score(vocab: Vocab) -> st.SearchStrategy[float | None]:
    """Free: any cut-off; executable: mostly none, else small enough to keep some hits."""
    if vocab.free:
        return st.one_of(st.none(), _finite(0.0, 5.0))
    return st.one_of(st.none(), st.none(), st.none(), _finite(0.0, 0.05))


# ---------------------------------------------------------------------------------------- retrievers
@_cached
@st.composite
def standard_retrievers(draw: st.DrawFn, vocab: Vocab = FREE, *, sortable: bool = True) -> StandardRetriever:
    """``standard``; ``sortable=False`` leaves out ``sort``/``search_after`` (inside compounds)."""
    sort: tuple[SortField, ...] = ()
    search_after = None
    if sortable and draw(st.booleans()):
        sort = tuple(draw(st.lists(sort_fields(vocab), min_size=1, max_size=2)))
        if vocab.free and draw(st.booleans()):
            search_after = tuple(draw(st.lists(st.one_of(st.none(), _scalar(vocab)), min_size=1, max_size=2)))
    return StandardRetriever(
        query=draw(st.one_of(st.none(), queries(vocab))),
        sort=sort,
        search_after=search_after,
        terminate_after=draw(st.one_of(st.none(), st.integers(1, 50))),
        **_base(draw, vocab),
    )


@_cached
@st.composite
def knn_retrievers(draw: st.DrawFn, vocab: Vocab = FREE) -> KnnRetriever:
    return KnnRetriever(search=draw(knn_searches(vocab)), **_base(draw, vocab))


@_cached
def _first_stage(vocab: Vocab) -> st.SearchStrategy[Retriever]:
    return st.one_of(standard_retrievers(vocab, sortable=False), knn_retrievers(vocab))


@_cached
def _window(min_window: int) -> st.SearchStrategy[int]:
    return st.integers(min_window, min_window + 10)


@_cached
@st.composite
def _entries(draw: st.DrawFn, vocab: Vocab, depth: int, window: int, *, linear: bool) -> tuple[RetrieverEntry, ...]:
    out = []
    for child in draw(st.lists(_children(vocab, depth - 1, window), min_size=1, max_size=3)):
        if not linear and draw(st.booleans()):
            out.append(RetrieverEntry(retriever=child, wrapped=False))
            continue
        weight = draw(st.one_of(st.just(1.0), _finite(0.0, 5.0)))
        normalizer = draw(st.sampled_from([None, "none", "minmax", "l2_norm"])) if linear else None
        out.append(RetrieverEntry(retriever=child, weight=weight, normalizer=normalizer))
    return tuple(out)


@_cached
@st.composite
def rrf_retrievers(draw: st.DrawFn, vocab: Vocab = FREE, depth: int = 1, min_window: int = 10) -> RrfRetriever:
    window = draw(_window(min_window))
    return RrfRetriever(
        retrievers=draw(_entries(vocab, depth, window, linear=False)),
        rank_constant=draw(st.one_of(st.just(60), st.integers(1, 100))),
        rank_window_size=window,
        **_base(draw, vocab),
    )


@_cached
@st.composite
def linear_retrievers(draw: st.DrawFn, vocab: Vocab = FREE, depth: int = 1, min_window: int = 10) -> LinearRetriever:
    window = draw(_window(min_window))
    return LinearRetriever(
        retrievers=draw(_entries(vocab, depth, window, linear=True)),
        normalizer=draw(st.sampled_from([None, "none", "minmax", "l2_norm"])),
        rank_window_size=window,
        **_base(draw, vocab),
    )


@_cached
def chunk_rescorers() -> st.SearchStrategy[ChunkRescorer]:
    """``chunk_rescorer`` with no, sentence or word chunking settings (all valid)."""
    sentence = st.builds(
        lambda n, o: {"strategy": "sentence", "max_chunk_size": n, "sentence_overlap": o},
        st.integers(20, 60),
        st.sampled_from([0, 1]),
    )
    word = st.integers(10, 40).flatmap(
        lambda n: st.integers(1, n // 2).map(lambda o: {"strategy": "word", "max_chunk_size": n, "overlap": o})
    )
    return st.builds(ChunkRescorer, size=st.integers(1, 3), chunking_settings=st.one_of(st.none(), sentence, word))


@_cached
@st.composite
def rerankers(draw: st.DrawFn, vocab: Vocab = FREE, depth: int = 1, min_window: int = 10) -> TextSimilarityReranker:
    window = draw(_window(min_window))
    return TextSimilarityReranker(
        retriever=draw(_children(vocab, depth - 1, window)),
        field=draw(_fields(vocab, vocab.text_fields)),
        inference_text=draw(_text(vocab)),
        inference_id=draw(st.sampled_from(vocab.rerank_ids)),
        rank_window_size=window,
        allow_rerank_failures=draw(st.booleans()) if vocab.free else False,
        chunk_rescorer=draw(st.one_of(st.none(), chunk_rescorers())),
        **_base(draw, vocab),
    )


@_cached
def _children(vocab: Vocab, depth: int, window: int) -> st.SearchStrategy[Retriever]:
    """A child of a compound retriever or reranker: a first-stage retriever, or (depth left)
    another compound whose window is at least ``window``."""
    if depth <= 0:
        return _first_stage(vocab)
    return st.one_of(_first_stage(vocab), _compounds(vocab, depth, window))


@_cached
def _compounds(vocab: Vocab, depth: int, min_window: int) -> st.SearchStrategy[Retriever]:
    kinds = [rrf_retrievers(vocab, depth, min_window), linear_retrievers(vocab, depth, min_window)]
    if vocab.rerank_ids:
        kinds.append(rerankers(vocab, depth, min_window))
    return st.one_of(*kinds)


@_cached
def retrievers(vocab: Vocab = FREE, depth: int = 2, min_window: int = 10) -> st.SearchStrategy[Retriever]:
    """Any retriever tree, compounds nested up to ``depth`` levels."""
    if depth <= 0:
        return st.one_of(standard_retrievers(vocab), knn_retrievers(vocab))
    return st.one_of(standard_retrievers(vocab), knn_retrievers(vocab), _compounds(vocab, depth, min_window))


# ---------------------------------------------------------------------------------------- requests
@_cached
@st.composite
def _top_level_query_requests(draw: st.DrawFn, vocab: Vocab, index: str) -> SearchRequest:
    """``{"query": ..., "knn": ..., "sort": ...}``: a standard retriever without retriever-only fields."""
    size = draw(st.integers(0 if vocab.free else 1, 20))
    standard = draw(standard_retrievers(vocab))
    knn = tuple(draw(st.lists(knn_searches(vocab, section=True), max_size=2)))
    standard = standard.model_copy(update={"filter": (), "name": None, "knn": knn})
    from_ = 0 if standard.search_after is not None else draw(st.integers(0, 5))
    return SearchRequest(
        index=index, retriever=standard, size=size, from_=from_, top_level_query=True, **_request_options(draw, vocab)
    )


@_cached
@st.composite
def _retriever_requests(draw: st.DrawFn, vocab: Vocab, index: str, depth: int) -> SearchRequest:
    retriever = draw(retrievers(vocab, depth))
    windowed = isinstance(retriever, (RrfRetriever, LinearRetriever, TextSimilarityReranker))
    size = draw(st.integers(0 if vocab.free else 1, retriever.rank_window_size if windowed else 20))  # type: ignore[union-attr]
    from_ = 0 if getattr(retriever, "search_after", None) is not None else draw(st.integers(0, 5))
    min_score = None
    if isinstance(retriever, (RrfRetriever, LinearRetriever)):
        min_score = draw(_min_score(vocab))
    return SearchRequest(
        index=index, retriever=retriever, size=size, from_=from_, min_score=min_score, **_request_options(draw, vocab)
    )


def _request_options(draw: st.DrawFn, vocab: Vocab) -> dict[str, Any]:
    return {
        "source": draw(source_filters(vocab)),
        "explain": draw(st.booleans()) if vocab.free else False,
        "track_total_hits": draw(st.one_of(st.just(10_000), st.booleans(), st.integers(0, 50_000))),
        "track_scores": draw(st.booleans()),
        "profile": draw(st.booleans()) if vocab.free else False,
    }


@_cached
def search_requests(vocab: Vocab = FREE, depth: int = 2, index: str = "test") -> st.SearchStrategy[SearchRequest]:
    """Whole requests: a retriever tree, or the classic top-level ``query``/``knn``/``sort`` body."""
    return st.one_of(_retriever_requests(vocab, index, depth), _top_level_query_requests(vocab, index))
