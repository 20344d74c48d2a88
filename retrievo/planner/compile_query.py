"""Compile query-DSL AST nodes into Lucene-level queries, as Elasticsearch's ``toQuery`` does.

This is where mappings and analyzers give a query its meaning: ``match`` on a text field is analysed
into term clauses, on a keyword field it is one exact term, on a number it is a point lookup. The
result is the unrewritten Lucene tree; Lucene's rewrites (``planner/rules``) run afterwards.
Named queries (``_name``) are collected separately — Elasticsearch does not wrap them into the scored
tree either — so they never change how the tree rewrites or scores.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo import errors
from retrievo.errors import (
    BadRequestError,
    api_error,
    bad_request,
    error_cause,
    error_reason,
    illegal_argument,
    not_supported,
    shard_failure,
)
from retrievo.index.searcher import FieldInfo, Searcher, TextAnalyzer
from retrievo.index.sparse_semantic import SparseSemanticField
from retrievo.index.sparse_vectors import DEFAULT_INDEX_OPTIONS, PruningConfig, kept_tokens
from retrievo.java_text import java_float_str
from retrievo.lucene import min_should_match
from retrievo.lucene.clause_limit import MAX_CLAUSE_COUNT, too_many_clauses_cause
from retrievo.lucene.phrase_prefix import NO_TERMS as NO_PREFIX_TERMS
from retrievo.lucene.phrase_prefix import phrase_prefix_query
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
    NestedFeaturesQ,
    PhraseQ,
    TermQ,
    boosted,
)
from retrievo.planner import compile_function_score as cfs
from retrievo.planner import compile_subfields as subfields
from retrievo.planner import graph_query
from retrievo.planner.compile_combined import compile_combined
from retrievo.planner.compile_cross_fields import compile_cross_fields
from retrievo.planner.compile_ip import ip_exact, ip_range, ip_terms
from retrievo.planner.compile_mlt import compile_mlt
from retrievo.planner.compile_multi_term import (
    compile_fuzzy,
    compile_prefix_rewrite,
    compile_regexp,
    compile_wildcard,
    fuzzy_exact,
    fuzzy_term_builder,
)
from retrievo.planner.nested_query import compile_nested
from retrievo.planner.query_string import compile_query_string, compile_simple_query_string
from retrievo.retrievers import function_score as fsq
from retrievo.retrievers import queries as dsl
from retrievo.retrievers.combined_fields import CombinedFieldsQuery
from retrievo.retrievers.fuzzy_options import FuzzyOptions
from retrievo.retrievers.hybrid import HybridQuery
from retrievo.retrievers.knn import NUM_CANDIDATES_LIMIT, KnnSearch, TextEmbeddingBuilder
from retrievo.retrievers.knn_query import KnnQuery
from retrievo.retrievers.more_like_this import MoreLikeThisQuery
from retrievo.retrievers.multi_term_queries import FuzzyQuery, RegexpQuery, WildcardQuery
from retrievo.retrievers.nested import NestedQuery
from retrievo.retrievers.pinned import PinnedQuery, pin_score
from retrievo.retrievers.prefix_queries import MatchBoolPrefixQuery, MatchPhrasePrefixQuery
from retrievo.retrievers.query_string import QueryStringQuery, SimpleQueryStringQuery
from retrievo.retrievers.rule import RuleQuery
from retrievo.retrievers.sparse_queries import SparseVectorQuery, TextExpansionQuery, WeightedTokensQuery

NUMERIC_TYPES = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float"})
INTEGER_TYPES = frozenset({"long", "integer", "short", "byte"})
TERM_TYPES = frozenset({"text", "keyword", "boolean"})  # fields with an inverted index
#: ``index.max_terms_count``'s default.
DEFAULT_MAX_TERMS_COUNT = 65536


@dataclass(frozen=True)
class SparseQueryEmbedder:
    """The search's sparse query expansion: ``expand(endpoint, text)`` → token → weight, and whether an
    endpoint is a ``sparse_embedding`` one (``is_sparse``; false for an unknown endpoint)."""

    expand: Callable[[str, str], dict[str, float]]
    is_sparse: Callable[[str], bool]


def sparse_query_embedder(inference: object) -> SparseQueryEmbedder | None:
    """The sparse side of the search's inference registry (its ``sparse_embed`` and ``get``), or ``None``
    when it has none. Elasticsearch expands ``sparse_vector``/``semantic`` query text while rewriting
    the request, before any shard builds its query: so does the planner."""
    sparse_embed = getattr(inference, "sparse_embed", None)
    get = getattr(inference, "get", None)
    if sparse_embed is None or get is None:
        return None

    def is_sparse(inference_id: str) -> bool:
        try:
            return bool(get(inference_id).task_type == "sparse_embedding")
        except Exception:  # noqa: BLE001 - an unknown endpoint is reported by the path that embeds
            return False

    def expand(inference_id: str, text: str) -> dict[str, float]:
        # ES runs the text through CoordinatedInferenceAction, which answers a text_embedding endpoint with
        # dense results that the query then refuses (an unknown endpoint is the registry's 404)
        if not is_sparse(inference_id) and get(inference_id).task_type == "text_embedding":
            raise illegal_argument(
                "expected a result of type [text_expansion_result] received [text_embedding_result]. "
                f"Is [{inference_id}] a compatible model?"
            )
        tokens: dict[str, float] = sparse_embed(inference_id, [text], input_type="search")[0]
        return tokens

    return SparseQueryEmbedder(expand, is_sparse)


@dataclass
class CompileContext:
    searcher: Searcher
    now_millis: int
    #: How many hits the retriever being compiled must produce (``k`` of the semantic query's search).
    window: int = 10
    #: The request's ``from``, and how deep retriever planning is (1: the top-level retriever): a ``knn``
    #: query's default ``k`` is the search's ``size`` (``from`` left out), a compound child's its window.
    request_from: int = 0
    depth: int = 0
    named: list[tuple[str, LQuery]] = field(default_factory=list)
    #: kNN searches that must run before scoring, by slot: (slot, search, compiled pre-filters).
    searches: list[tuple[int, KnnSearch, tuple[LQuery, ...]]] = field(default_factory=list)
    #: Slots of searches a query registered (``add_search(per_shard=True)``).
    per_shard_slots: set[int] = field(default_factory=set)
    #: The index's ``index.max_terms_count``.
    max_terms_count: int = DEFAULT_MAX_TERMS_COUNT
    #: The index's ``index.query.default_field`` (what ``query_string``/``simple_query_string`` search by default).
    default_field: tuple[str, ...] = ("*",)
    #: Sparse query expansion (``sparse_vector`` with ``query`` text); ``None`` without an inference registry.
    sparse_embed: SparseQueryEmbedder | None = None

    def expand_sparse(self, inference_id: str, text: str) -> tuple[tuple[str, float], ...]:
        """``text`` expanded into weighted tokens by ``inference_id`` (a ``sparse_embedding`` endpoint)."""
        if self.sparse_embed is None:
            raise not_supported("[sparse_vector] query text without an inference registry", "use retrievo.Engine")
        return tuple(self.sparse_embed.expand(inference_id, text).items())

    def is_sparse_endpoint(self, inference_id: str) -> bool:
        return self.sparse_embed is not None and self.sparse_embed.is_sparse(inference_id)

    def rewrite(self, q: LQuery) -> LQuery:
        """Lucene's rewrites of a compiled query (the planning context leaves out switched-off rules)."""
        from retrievo.lucene.rewrite import rewrite

        return rewrite(q)

    def add_search(self, search: KnnSearch, filters: tuple[LQuery, ...] = (), *, per_shard: bool = False) -> int:
        """Register a kNN search the plan runs; ``per_shard``: a query's search (``knn``/``semantic``
        queries), whose ``k`` holds on each shard, where a top-level search keeps ``k`` in all."""
        slot = len(self.searches)
        self.searches.append((slot, search, filters))
        if per_shard:
            self.per_shard_slots.add(slot)
        return slot


#: Field types without text search (Elasticsearch's ``TextSearchInfo.NONE``): full-text queries reject them.
NO_TEXT_SEARCH = frozenset({"dense_vector"})


def query_shard_error(reason: str) -> BadRequestError:
    return bad_request("query_shard_exception", f"failed to create query: {reason}")


def query_shard_failure(ctx: CompileContext, reason: str, cause: dict[str, Any]) -> BadRequestError:
    """``SearchExecutionContext.toQuery`` wraps what building the query threw into
    ``query_shard_exception`` ("failed to create query: ..."), which fails the shard (status 400)."""
    return errors.query_shard_failure(ctx.searcher.index_name, f"failed to create query: {reason}", cause)


def too_many_clauses(ctx: CompileContext) -> BadRequestError:
    """One boolean query built with more than the clause limit (``BooleanQuery.Builder.add``)."""
    cause = too_many_clauses_cause()
    return query_shard_failure(ctx, cause["reason"], cause)


def compile_query(q: dsl.Query, ctx: CompileContext) -> LQuery:
    compiler = _COMPILERS[type(q)]
    lq = compiler(q, ctx)
    if q.name is not None:
        ctx.named.append((q.name, lq))
    return boosted(lq, q.boost)


# ---------------------------------------------------------------------------------------- values


def query_text(value: Any) -> str:
    """A query value as Elasticsearch reads it from JSON (``true``, ``5``, ``3.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any, fi: FieldInfo, lenient: bool) -> float | int | None:
    """Parse a query value for a numeric field; None means 'matches nothing' (lenient or decimal)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value) if not isinstance(value, int) else value
        if isinstance(number, float) and math.isnan(number):
            raise ValueError
    except (TypeError, ValueError):
        if lenient:
            return None
        raise query_shard_error(f'For input string: "{query_text(value)}"') from None
    if fi.type in INTEGER_TYPES and isinstance(number, float):
        if not number.is_integer():
            return None  # Elasticsearch: "Value [5.5] has a decimal part" → no documents
        number = int(number)
    return number


def _boolean_term(value: Any) -> str:
    if value in (True, "true"):
        return "T"
    if value in (False, "false", ""):
        return "F"
    raise query_shard_error(f"Can't parse boolean value [{query_text(value)}], expected [true] or [false]")


def _exact(fi: FieldInfo, value: Any, ctx: CompileContext, lenient: bool = False) -> LQuery:
    """An unanalysed single-value query on any field type (``term`` semantics)."""
    if fi.type in ("text", "keyword"):
        return TermQ(fi.path, query_text(value))
    if fi.type == "boolean":
        return TermQ(fi.path, _boolean_term(value))
    if fi.type == "ip":
        return ip_exact(fi.path, value)
    if fi.type in NUMERIC_TYPES:
        number = _number(value, fi, lenient)
        if number is None:
            return MatchNoneQ("value does not fit the field")
        return ConstQ(DocSetQ("range", fi.path, (number, True, number, True), fi.type))
    if fi.type in ("date", "date_nanos"):
        # DateFieldType.termQuery is rangeQuery(value, value, true, true): the upper bound rounds up,
        # so a term on "2015-01-01" matches the whole day.
        millis = ctx.searcher.parse_date_bound(fi, value, ctx.now_millis, round_up=False, fmt=None, tz=None)
        upper = ctx.searcher.parse_date_bound(fi, value, ctx.now_millis, round_up=True, fmt=None, tz=None)
        return ConstQ(DocSetQ("range", fi.path, (millis, True, upper, True), fi.type))
    if fi.type in ("sparse_vector", "rank_features"):  # their termQuery: the feature, linear, weight 1
        return FeatureQ(fi.path, query_text(value))
    if fi.type == "rank_feature":  # RankFeatureFieldType.termQuery
        raise query_shard_error("Queries on [rank_feature] fields are not supported")
    raise query_shard_error(f"field [{fi.path}] of type [{fi.type}] does not support term queries")


def _field(ctx: CompileContext, name: str) -> FieldInfo | None:
    fi = ctx.searcher.field_info(name)
    if fi is not None and not fi.indexed:
        raise query_shard_error(f"Cannot search on field [{name}] since it is not indexed.")
    return fi


def _zero_terms(mode: str) -> LQuery:
    return MatchAllQ() if mode == "all" else MatchNoneQ("Matching no documents because no terms present")


# ------------------------------------------------------------------------------- full-text queries


def _analyzer_for(ctx: CompileContext, fi: FieldInfo, override: str | None, query_kind: str) -> TextAnalyzer:
    if override is None:
        assert fi.search_analyzer is not None  # every text field has one (its index analyzer by default)
        return fi.search_analyzer
    analyzer = ctx.searcher.find_analyzer(override)
    if analyzer is None:
        raise query_shard_error(f"[{query_kind}] analyzer [{override}] not found")
    return analyzer


def _match_field(
    ctx: CompileContext,
    fi: FieldInfo,
    text: Any,
    *,
    operator: str,
    msm: Any,
    analyzer: str | None,
    zero_terms: str,
    lenient: bool,
    auto_phrase: bool = True,
    fuzzy: FuzzyOptions | None = None,
) -> LQuery:
    if fi.type in NO_TEXT_SEARCH:  # MatchQueryParser: such a field fails before the text is analysed
        reason = f"Field [{fi.path}] of type [{fi.type}] does not support match queries"
        if lenient:
            return MatchNoneQ(reason)
        raise query_shard_failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})
    if fi.type != "text":
        if fuzzy is not None:
            return fuzzy_exact(ctx, fi, query_text(text), fuzzy, lenient)
        return _exact(fi, text, ctx, lenient)
    an = _analyzer_for(ctx, fi, analyzer, "match")
    terms, positions = an.terms(query_text(text))
    # with fuzziness each analysed term is a fuzzy query (MatchQueryParser.newTermQuery)
    term_query = TermQ if fuzzy is None else fuzzy_term_builder(ctx, fi, fuzzy)
    if not terms:
        return _zero_terms(zero_terms)
    if len(terms) == 1:
        return term_query(fi.path, terms[0])
    if len(terms) > MAX_CLAUSE_COUNT:  # Lucene's QueryBuilder adds one clause per token
        raise too_many_clauses(ctx)
    if graph_query.is_stacked(positions) and fuzzy is not None:
        raise not_supported("[fuzziness] with a search analyzer that stacks tokens at one position")
    if graph_query.is_stacked(positions):  # search-time synonyms: SynonymQuery and graph queries
        tokens = graph_query.graph_tokens(an, query_text(text))
        auto_phrase = auto_phrase and fi.has_positions  # MatchQueryBuilder: no phrases without positions
        stacked = graph_query.stacked_query(fi.path, tokens, phrase=False, operator=operator, auto_phrase=auto_phrase)
        if not isinstance(stacked, BoolQ):
            return stacked
        bq = stacked
    else:
        clauses = tuple(term_query(fi.path, t) for t in terms)
        bq = BoolQ(must=clauses) if operator == "and" else BoolQ(should=clauses)
    if msm is not None and bq.should:
        n = min_should_match.calculate(len(bq.should), msm)
        if n > 0:
            bq = BoolQ(should=bq.should, msm=n)
    return bq


def _phrase_field(
    ctx: CompileContext,
    fi: FieldInfo,
    text: Any,
    *,
    slop: int,
    analyzer: str | None,
    zero_terms: str,
    lenient: bool = False,
) -> LQuery:
    if fi.type != "text":
        return _exact(fi, text, ctx, lenient)
    an = _analyzer_for(ctx, fi, analyzer, "match_phrase")
    terms, positions = an.terms(query_text(text))
    if not fi.has_positions:
        # TextFieldType.multiPhraseQuery's check, for stacked tokens over several positions
        multi = graph_query.is_stacked(positions) and len(set(positions)) > 1
        what = "MultiPhraseQuery" if multi else "PhraseQuery (phrase=...)"
        raise query_shard_error(f"field:[{fi.path}] was indexed without position data; cannot run {what}")
    if not terms:
        return _zero_terms(zero_terms)
    if len(terms) == 1:
        return TermQ(fi.path, terms[0])
    if (on_subfield := subfields.phrase_on_subfield(fi, terms, positions, slop)) is not None:
        return on_subfield  # index_phrases, search_as_you_type's shingles
    if graph_query.is_stacked(positions):  # SynonymQuery, or a graph's sloppy phrases
        tokens = graph_query.graph_tokens(an, query_text(text))
        return graph_query.stacked_query(fi.path, tokens, phrase=True, operator="or", slop=slop)
    return PhraseQ(fi.path, tuple(terms), tuple(positions), slop)


def semantic_search(ctx: CompileContext, fi: FieldInfo, text: str) -> LQuery:
    """A semantic_text field searched by meaning: the nearest chunks' documents, as kNN hits.

    Elasticsearch runs a nested kNN query over the field's chunk embeddings (score = best chunk);
    retrievo searches the chunks exactly and keeps the top ``window`` documents. On a field whose chunks
    are sparse (a ``sparse_embedding`` endpoint) it is a nested ``sparse_vector`` query instead.
    """
    snapshot = ctx.searcher.vector(fi.path)
    endpoint = fi.inference_id or ""
    if isinstance(snapshot, SparseSemanticField) or (snapshot is None and ctx.is_sparse_endpoint(endpoint)):
        tokens = ctx.expand_sparse(endpoint, text)
        if snapshot is None:  # no chunks indexed yet: no model settings, no match (after the expansion)
            return MatchNoneQ("the field has no inference results")
        return sparse_chunks_query(ctx, fi.path, tokens, _field_pruning(fi))
    k = max(ctx.window, 1)
    search = KnnSearch(
        field=fi.path,
        k=k,
        num_candidates=min(max(100, 2 * k), NUM_CANDIDATES_LIMIT),
        query_vector_builder=TextEmbeddingBuilder(model_id=fi.inference_id or "", model_text=text),
    )
    return KnnHitsQ(ctx.add_search(search, per_shard=True), fi.path)


def _semantic(q: dsl.SemanticQuery, ctx: CompileContext) -> LQuery:
    fi = ctx.searcher.field_info(q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    if fi.type != "semantic_text":
        if q.lenient:  # SemanticQueryBuilder: lenient answers MatchNoneQueryBuilder on such a field
            return MatchNoneQ(f"field [{q.field}] is not a semantic_text field")
        raise query_shard_error(f"Field [{q.field}] of type [{fi.type}] does not support semantic queries")
    return semantic_search(ctx, fi, q.query)


def knn_query_k(q: KnnQuery, window: int) -> tuple[int, int]:
    """``k`` and ``num_candidates`` of a ``knn`` query compiled for a search of ``size`` ``window``
    (``KnnVectorQueryBuilder.doToQuery``): ``k`` defaults to the size, capped by ``num_candidates``;
    ``num_candidates`` to ``round(min(1.5 k, 10000))``."""
    k = q.k if q.k is not None else window if q.num_candidates is None else min(window, q.num_candidates)
    num_candidates = q.num_candidates if q.num_candidates is not None else int(min(1.5 * k, NUM_CANDIDATES_LIMIT) + 0.5)
    return k, num_candidates


def _knn_failure(ctx: CompileContext, reason: str) -> BadRequestError:
    """What the ``knn`` query's ``toQuery`` throws (an ``IllegalArgumentException``), failing the shard."""
    return query_shard_failure(ctx, reason, error_cause("illegal_argument_exception", reason))


def _knn_query(q: KnnQuery, ctx: CompileContext) -> LQuery:
    """The ``knn`` query: its top ``k`` documents by similarity (after its pre-filters), scored as the
    field's similarity scores them; no other document matches. On a ``semantic_text`` field it searches
    the chunk embeddings (Elasticsearch's nested kNN query, scored by the best chunk)."""
    size = ctx.window - ctx.request_from if ctx.depth <= 1 else ctx.window
    k, num_candidates = knn_query_k(q, max(size, 0))
    fi = ctx.searcher.field_info(q.field)
    semantic = fi is not None and fi.type == "semantic_text"
    if q.model_text is not None and q.model_id is None and not semantic:
        # only a semantic_text field names the endpoint; elsewhere the builder runs without one (coordinator)
        raise illegal_argument("[model_id] must not be null.")
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    if not semantic and fi.type != "dense_vector":
        raise _knn_failure(ctx, "[knn] queries are only supported on [dense_vector] fields")
    endpoint = fi.inference_id or ""
    if semantic and (  # on sparse chunks the nested query lands on a sparse_vector field
        isinstance(ctx.searcher.vector(fi.path), SparseSemanticField) or ctx.is_sparse_endpoint(endpoint)
    ):
        raise _knn_failure(ctx, "[knn] queries are only supported on [dense_vector] fields")
    builder = None
    if q.model_text is not None:
        model_id = q.model_id if q.model_id is not None else endpoint
        builder = TextEmbeddingBuilder(model_id=model_id, model_text=q.model_text)
    if not semantic and not fi.indexed:
        raise _knn_failure(
            ctx, f"to perform knn search on field [{q.field}], its mapping must have [index] set to [true]"
        )
    if q.query_vector is not None and fi.dims is not None and len(q.query_vector) != fi.dims:
        raise _knn_failure(
            ctx,
            f"The query vector has a different number of dimensions [{len(q.query_vector)}] "
            f"than the document vectors [{fi.dims}].",
        )
    if num_candidates < 1:  # Lucene's kNN query is built with num_candidates as its k
        raise _knn_failure(ctx, f"k must be at least 1, got: {num_candidates}")
    filters = tuple(ctx.rewrite(compile_query(f, ctx)) for f in q.filter)
    search = KnnSearch(
        field=fi.path,
        k=k,
        num_candidates=num_candidates,
        query_vector=q.query_vector,
        query_vector_builder=builder,
        similarity=q.similarity,
        rescore_oversample=q.rescore_oversample,
    )
    return KnnHitsQ(ctx.add_search(search, filters, per_shard=True), fi.path, from_query=True)


def _match(q: dsl.MatchQuery, ctx: CompileContext) -> LQuery:
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    if fi.type == "semantic_text":
        if q.fuzzy is not None:
            raise not_supported("[match] with [fuzziness] on a [semantic_text] field")
        return semantic_search(ctx, fi, query_text(q.query))
    return _match_field(
        ctx,
        fi,
        q.query,
        operator=q.operator,
        msm=q.minimum_should_match,
        analyzer=q.analyzer,
        zero_terms=q.zero_terms_query,
        lenient=q.lenient,
        auto_phrase=q.auto_generate_synonyms_phrase_query,
        fuzzy=q.fuzzy,
    )


def _match_phrase(q: dsl.MatchPhraseQuery, ctx: CompileContext) -> LQuery:
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    return _phrase_field(ctx, fi, q.query, slop=q.slop, analyzer=q.analyzer, zero_terms=q.zero_terms_query)


def _match_phrase_prefix(q: MatchPhrasePrefixQuery, ctx: CompileContext) -> LQuery:
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    return _phrase_prefix_field(
        ctx,
        fi,
        q.query,
        slop=q.slop,
        max_expansions=q.max_expansions,
        analyzer=q.analyzer,
        zero_terms=q.zero_terms_query,
    )


def _no_text_search(ctx: CompileContext, reason: str, lenient: bool) -> LQuery:
    """A field type the query cannot run on: ``MatchNoDocsQuery`` when lenient, else the shard fails."""
    if lenient:
        return MatchNoneQ(reason)
    raise query_shard_failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})


def _phrase_prefix_field(
    ctx: CompileContext,
    fi: FieldInfo,
    text: Any,
    *,
    slop: int,
    max_expansions: int,
    analyzer: str | None,
    zero_terms: str,
    lenient: bool = False,
) -> LQuery:
    """``MatchQueryParser`` with ``PHRASE_PREFIX``: the field's ``phrasePrefixQuery``, rewritten (``phrase_prefix``)."""
    if fi.type in NO_TEXT_SEARCH:
        return _no_text_search(ctx, f"Field [{fi.path}] of type [{fi.type}] does not support match queries", lenient)
    if fi.type != "text":  # MappedFieldType.phrasePrefixQuery
        reason = f"Can only use phrase prefix queries on text fields - not on [{fi.path}] which is of type [{fi.type}]"
        return _no_text_search(ctx, reason, lenient)
    an = _analyzer_for(ctx, fi, analyzer, "match_phrase_prefix")
    terms, positions = an.terms(query_text(text))
    if not terms:
        return _zero_terms(zero_terms)
    if len(set(positions)) > 1 and not fi.has_positions:
        raise query_shard_error(
            f"field:[{fi.path}] was indexed without position data; cannot run PhraseQuery (phrase=...)"
        )
    if (shingled := subfields.phrase_prefix_field(fi, terms, positions, slop)) is not None:
        shingle_fi = ctx.searcher.field_info(shingled[0])  # search_as_you_type: onto a shingle field
        if shingle_fi is not None:
            fi, terms, positions = shingle_fi, shingled[1], shingled[2]
    if (on_subfield := subfields.phrase_prefix_on_subfield(fi, terms, positions, slop)) is not None:
        return on_subfield  # index_prefixes
    return phrase_prefix_query(ctx.searcher.inverted(fi.path), fi.path, terms, positions, slop, max_expansions)


def _match_bool_prefix(q: MatchBoolPrefixQuery, ctx: CompileContext) -> LQuery:
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    return _bool_prefix_field(
        ctx, fi, q.query, operator=q.operator, msm=q.minimum_should_match, analyzer=q.analyzer, fuzzy=q.fuzzy
    )


def _bool_prefix_field(
    ctx: CompileContext,
    fi: FieldInfo,
    text: Any,
    *,
    operator: str,
    msm: Any,
    analyzer: str | None,
    lenient: bool = False,
    fuzzy: FuzzyOptions | None = None,
) -> LQuery:
    """``MatchQueryParser`` with ``BOOLEAN_PREFIX``: term clauses, the last a prefix when the text ends with it."""
    if fi.type in NO_TEXT_SEARCH:
        return _no_text_search(ctx, f"Field [{fi.path}] of type [{fi.type}] does not support match queries", lenient)
    if fi.type == "keyword" and analyzer is None:  # the keyword analyzer: one prefix query on the whole value
        return ConstQ(DocSetQ("prefix", fi.path, (query_text(text), False)))
    if fi.type != "text":
        if fuzzy is not None:
            return fuzzy_exact(ctx, fi, query_text(text), fuzzy, lenient)
        return _exact(fi, text, ctx, lenient)
    an = _analyzer_for(ctx, fi, analyzer, "match_bool_prefix")
    value = query_text(text)
    terms, positions = an.terms(value)
    if not terms:
        return _zero_terms("none")
    analyze = getattr(an, "analyze", None)
    tokens = analyze(value) if analyze is not None else []
    last_end = tokens[-1].end_offset if tokens else len(value)
    if any(getattr(t, "position_length", 1) > 1 for t in tokens) and len(set(positions)) != len(positions):
        raise not_supported(
            "[match_bool_prefix] on a search analyzer that makes a token graph",
            "multi-word synonyms need Lucene's graph boolean query inside the bool",
        )
    term_query = TermQ if fuzzy is None else fuzzy_term_builder(ctx, fi, fuzzy)
    # the field type's prefixQuery: index_prefixes, search_as_you_type (planner/compile_subfields.py)
    clauses = subfields.bool_prefix_by_position(fi, terms, positions, last_end == len(value), term_query)
    if len(clauses) == 1:
        return clauses[0]
    if len(clauses) > MAX_CLAUSE_COUNT:
        raise too_many_clauses(ctx)
    bq = BoolQ(must=tuple(clauses)) if operator == "and" else BoolQ(should=tuple(clauses))
    if msm is not None and bq.should:
        n = min_should_match.calculate(len(bq.should), msm)
        if n > 0:
            bq = BoolQ(should=bq.should, msm=n)
    return bq


def parse_field_boost(spec: str) -> tuple[str, float]:
    name, _, boost = spec.partition("^")
    try:
        return name, float(boost) if boost else 1.0
    except ValueError:
        raise bad_request("parsing_exception", f"malformed field boost in [{spec}]") from None


def expand_fields(ctx: CompileContext, specs: tuple[str, ...]) -> tuple[list[tuple[FieldInfo, float]], bool]:
    """Resolve ``title^2``/``ti*``/``*`` into mapped fields; wildcards make the query lenient."""
    out: list[tuple[FieldInfo, float]] = []
    lenient = False
    for spec in specs or ("*",):
        name, boost = parse_field_boost(spec)
        if any(c in name for c in "*?"):
            lenient = True
            for path in ctx.searcher.searchable_fields():
                if fnmatch.fnmatchcase(path, name):
                    fi = ctx.searcher.field_info(path)
                    if fi is not None and fi.type in TERM_TYPES | NUMERIC_TYPES | {"date", "sparse_vector", "ip"}:
                        out.append((fi, boost))
        else:
            fi = _field(ctx, name)
            if fi is not None:
                out.append((fi, boost))
    return out, lenient


def _multi_match(q: dsl.MultiMatchQuery, ctx: CompileContext) -> LQuery:
    fields, wildcard = expand_fields(ctx, q.fields)
    lenient = q.lenient or wildcard
    if q.type == "cross_fields" and fields:
        return compile_cross_fields(q, ctx, fields, lenient, _cross_match, _cross_exact, _cross_analyzer)
    per_field: list[LQuery] = []
    for fi, boost in fields:
        if lenient and fi.type not in ("text", "keyword") and not _accepts(fi, q.query, ctx):
            continue
        if q.type == "phrase":
            fq = _phrase_field(ctx, fi, q.query, slop=q.slop, analyzer=q.analyzer, zero_terms="none", lenient=lenient)
        elif q.type == "phrase_prefix":
            fq = _phrase_prefix_field(
                ctx,
                fi,
                q.query,
                slop=q.slop,
                max_expansions=q.max_expansions,
                analyzer=q.analyzer,
                zero_terms="none",
                lenient=lenient,
            )
            if isinstance(fq, MatchNoneQ) and fq.reason == NO_PREFIX_TERMS:  # terms, none expanded: not zero terms
                fq = BoolQ(must=(fq,))
        elif q.type == "bool_prefix":
            fq = _bool_prefix_field(
                ctx,
                fi,
                q.query,
                operator=q.operator,
                msm=q.minimum_should_match,
                analyzer=q.analyzer,
                lenient=lenient,
                fuzzy=q.fuzzy,
            )
        else:
            fq = _match_field(
                ctx,
                fi,
                q.query,
                operator=q.operator,
                msm=q.minimum_should_match,
                analyzer=q.analyzer,
                zero_terms="none",
                lenient=lenient,
                fuzzy=q.fuzzy,
            )
        if isinstance(fq, MatchNoneQ):
            continue
        per_field.append(boosted(fq, boost))
    if not per_field:
        return _zero_terms(q.zero_terms_query)
    if len(per_field) == 1:
        return per_field[0]
    tie = 1.0 if q.type == "most_fields" else (q.tie_breaker or 0.0)
    if q.type == "bool_prefix" and q.tie_breaker is None:
        tie = 1.0  # MultiMatchQueryBuilder.Type.BOOL_PREFIX: the fields' scores add up, as most_fields'
    return DisMaxQ(tuple(per_field), tie)


def _cross_match(
    ctx: CompileContext, fi: FieldInfo, text: Any, op: str, msm: Any, an: str | None, zero: str, lenient: bool
) -> LQuery:
    """A ``cross_fields`` group of one field: a ``match`` on it (``compile_cross_fields``)."""
    return _match_field(ctx, fi, text, operator=op, msm=msm, analyzer=an, zero_terms=zero, lenient=lenient)


def _cross_exact(ctx: CompileContext, fi: FieldInfo, value: str, lenient: bool) -> LQuery:
    return _exact(fi, value, ctx, lenient)


def _cross_analyzer(ctx: CompileContext, name: str) -> TextAnalyzer:
    analyzer = ctx.searcher.find_analyzer(name)
    if analyzer is None:
        raise query_shard_error(f"[match] analyzer [{name}] not found")
    return analyzer


def _accepts(fi: FieldInfo, value: Any, ctx: CompileContext) -> bool:
    """Lenient multi-field queries skip fields the value cannot be parsed for."""
    try:
        _exact(fi, value, ctx)
        return True
    except BadRequestError:
        return False


# ------------------------------------------------------------------------------ term-level queries


def _metadata_terms(
    field: str, values: list[Any], ctx: CompileContext, case_insensitive: bool = False
) -> LQuery | None:
    """``term``/``terms`` on the ``_id`` and ``_index`` metadata fields, which have no mapping here
    but match in Elasticsearch: ``_id`` as an ``ids`` query, ``_index`` as all documents when a
    value names this index (else none). ``None`` for any other field."""
    if field not in ("_id", "_index"):
        return None
    if case_insensitive:
        raise query_shard_error(f"[{field}] does not support case_insensitive term queries in retrievo")
    names = {query_text(v) for v in values}
    if field == "_id":
        return ConstQ(DocSetQ("ids", "_id", tuple(sorted(names))))
    if ctx.searcher.index_name in names:
        return ConstQ(MatchAllQ())
    return MatchNoneQ(f"no index named {sorted(names)} here")


def _term(q: dsl.TermQuery, ctx: CompileContext) -> LQuery:
    meta = _metadata_terms(q.field, [q.value], ctx, q.case_insensitive)
    if meta is not None:
        return meta
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    if q.case_insensitive:
        if fi.type != "keyword" and fi.type != "text":
            raise query_shard_error(
                f"[term] query on field [{q.field}] of type [{fi.type}] does not support case_insensitive"
            )
        return ConstQ(DocSetQ("terms_ci", fi.path, (query_text(q.value).lower(),)))
    return _exact(fi, q.value, ctx)


def _terms(q: dsl.TermsQuery, ctx: CompileContext) -> LQuery:
    if len(q.values) > ctx.max_terms_count:  # TermsQueryBuilder.doToQuery, before the field is looked up
        reason = (
            f"The number of terms [{len(q.values)}] used in the Terms Query request has exceeded the allowed "
            f"maximum of [{ctx.max_terms_count}]. This maximum can be set by changing the [index.max_terms_count] "
            "index level setting."
        )
        raise query_shard_failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})
    meta = _metadata_terms(q.field, list(q.values), ctx)
    if meta is not None:
        return meta
    fi = _field(ctx, q.field)
    if fi is None or not q.values:
        return MatchNoneQ("no terms")
    if fi.type in ("text", "keyword"):
        return ConstQ(DocSetQ("terms", fi.path, tuple(sorted({query_text(v) for v in q.values}))))
    if fi.type == "boolean":
        return ConstQ(DocSetQ("terms", fi.path, tuple(sorted({_boolean_term(v) for v in q.values}))))
    if fi.type == "ip":
        return ip_terms(fi.path, list(q.values))
    if fi.type in NUMERIC_TYPES:
        nums = [_number(v, fi, False) for v in q.values]
        return ConstQ(DocSetQ("points", fi.path, tuple(sorted({n for n in nums if n is not None})), fi.type))
    if fi.type in ("date", "date_nanos"):
        millis = [
            ctx.searcher.parse_date_bound(fi, v, ctx.now_millis, round_up=False, fmt=None, tz=None) for v in q.values
        ]
        return ConstQ(DocSetQ("points", fi.path, tuple(sorted(set(millis))), fi.type))
    raise query_shard_error(f"field [{fi.path}] of type [{fi.type}] does not support terms queries")


def _range(q: dsl.RangeQuery, ctx: CompileContext) -> LQuery:
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    lo, lo_inc = (q.gte, True) if q.gte is not None else (q.gt, False)
    hi, hi_inc = (q.lte, True) if q.lte is not None else (q.lt, False)
    if fi.type in NUMERIC_TYPES:
        lo_n = None if lo is None else _number_bound(lo, fi)
        hi_n = None if hi is None else _number_bound(hi, fi)
        return ConstQ(DocSetQ("range", fi.path, (lo_n, lo_inc, hi_n, hi_inc), fi.type))
    if fi.type in ("date", "date_nanos"):
        # Elasticsearch rounds ``gt``/``lte`` bounds up and ``gte``/``lt`` down (date math "/d").
        lo_d = (
            None
            if lo is None
            else ctx.searcher.parse_date_bound(
                fi, lo, ctx.now_millis, round_up=not lo_inc, fmt=q.format, tz=q.time_zone
            )
        )
        hi_d = (
            None
            if hi is None
            else ctx.searcher.parse_date_bound(fi, hi, ctx.now_millis, round_up=hi_inc, fmt=q.format, tz=q.time_zone)
        )
        return ConstQ(DocSetQ("range", fi.path, (lo_d, lo_inc, hi_d, hi_inc), fi.type))
    if fi.type in ("keyword", "text"):
        lo_s = None if lo is None else query_text(lo)
        hi_s = None if hi is None else query_text(hi)
        return ConstQ(DocSetQ("term_range", fi.path, (lo_s, lo_inc, hi_s, hi_inc)))
    if fi.type == "boolean":
        lo_b = None if lo is None else _boolean_term(lo)
        hi_b = None if hi is None else _boolean_term(hi)
        return ConstQ(DocSetQ("term_range", fi.path, (lo_b, lo_inc, hi_b, hi_inc)))
    if fi.type == "ip":
        return ip_range(fi.path, lo, lo_inc, hi, hi_inc)
    raise query_shard_error(f"Field [{fi.path}] of type [{fi.type}] does not support range queries")


def _number_bound(value: Any, fi: FieldInfo) -> float:
    """A range bound as the field type parses it: ``float`` and ``half_float`` bounds are Java floats
    (``Float.parseFloat``), so ``gt: -3.4028235E38`` is ``gt: -Float.MAX_VALUE`` and excludes a value
    stored at that limit."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise query_shard_error(f'For input string: "{query_text(value)}"') from None
    if fi.type in ("float", "half_float"):
        with np.errstate(over="ignore"):
            return float(np.float32(number))
    return number


def _exists(q: dsl.ExistsQuery, ctx: CompileContext) -> LQuery:
    if q.field in ("_id", "_index"):
        return ConstQ(MatchAllQ())  # every document has both
    paths = ctx.searcher.existing_fields(q.field)
    if not paths:
        return MatchNoneQ(f"no mappings for [{q.field}]")
    if any((fi := ctx.searcher.field_info(p)) is not None and fi.type == "rank_features" for p in paths):
        raise query_shard_error("[rank_features] fields do not support [exists] queries")  # its existsQuery
    return ConstQ(DocSetQ("exists", q.field, tuple(paths)))


def _ids(q: dsl.IdsQuery, ctx: CompileContext) -> LQuery:
    return ConstQ(DocSetQ("ids", "_id", tuple(sorted(set(q.values)))))


def _prefix(q: dsl.PrefixQuery, ctx: CompileContext) -> LQuery:
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    if fi.type not in ("keyword", "text"):
        raise query_shard_error(
            # MappedFieldType.prefixQuery's own words (the wildcard type included)
            f"Can only use prefix queries on keyword, text and wildcard fields - not on [{fi.path}] which is of type "
            f"[{fi.type}]"
        )
    if (on_subfield := subfields.prefix_on_subfield(fi, q.value, q.rewrite, q.case_insensitive)) is not None:
        return on_subfield  # index_prefixes, search_as_you_type
    if q.rewrite is not None:  # an explicit rewrite method: the expanded terms (lucene/multi_term.py)
        return compile_prefix_rewrite(q, fi, ctx)
    value = q.value.lower() if q.case_insensitive else q.value
    return ConstQ(DocSetQ("prefix", fi.path, (value, q.case_insensitive)))


# ------------------------------------------------------------------------------ compound queries


def _bool(q: dsl.BoolQuery, ctx: CompileContext) -> LQuery:
    # BoolQueryBuilder.doToQuery compiles and adds the clauses in this order; the builder refuses
    # the clause after MAX_CLAUSE_COUNT, so an error in an earlier clause still comes first.
    added = 0

    def add_all(clauses: tuple[dsl.Query, ...]) -> tuple[LQuery, ...]:
        nonlocal added
        out = []
        for c in clauses:
            compiled = compile_query(c, ctx)
            if added >= MAX_CLAUSE_COUNT:
                raise too_many_clauses(ctx)
            added += 1
            out.append(compiled)
        return tuple(out)

    must = add_all(q.must)
    must_not = add_all(q.must_not)
    should = add_all(q.should)
    filt = add_all(q.filter)
    if not (must or must_not or should or filt):
        return MatchAllQ()
    msm = 0
    if q.minimum_should_match is not None and should:
        msm = min_should_match.calculate(len(should), q.minimum_should_match)
    if must_not and not (must or should or filt):
        filt = (MatchAllQ(),)  # Elasticsearch makes a purely negative bool match everything else
    return BoolQ(must=must, should=should, filter=filt, must_not=must_not, msm=msm)


def _constant_score(q: dsl.ConstantScoreQuery, ctx: CompileContext) -> LQuery:
    return ConstQ(compile_query(q.filter, ctx))


def _dis_max(q: dsl.DisMaxQuery, ctx: CompileContext) -> LQuery:
    subs = tuple(compile_query(c, ctx) for c in q.queries)
    if not subs:
        return MatchNoneQ("empty dis_max")
    return DisMaxQ(subs, q.tie_breaker)


def _match_all(q: dsl.MatchAllQuery, ctx: CompileContext) -> LQuery:
    return MatchAllQ()


def _match_none(q: dsl.MatchNoneQuery, ctx: CompileContext) -> LQuery:
    return MatchNoneQ("match_none")


def _pinned(q: PinnedQuery, ctx: CompileContext) -> LQuery:
    """``PinnedQueryBuilder.doToQuery``: ``dis_max`` of (``dis_max`` of the pins, each a constant
    ``pin_score`` on its ``_id``) and the organic query capped at 2^127. A doc naming another index keeps
    its slot but adds no clause. The cap is ``CappedScoreQuery``, whose rewrite drops a boost at the top
    of the rewritten organic query; retrievo reproduces that, but not the cap itself, which only binds for
    organic scores above 1.7e38 (boosts near 1e37)."""
    organic = ctx.rewrite(compile_query(q.organic, ctx))
    if isinstance(organic, BoostQ):
        organic = organic.query
    pins = q.pinned()
    if not pins:
        return organic
    index = ctx.searcher.index_name
    clauses = tuple(
        BoostQ(ConstQ(DocSetQ("ids", "_id", (d.id,))), pin_score(i, len(pins)))
        for i, d in enumerate(pins)
        if d.index is None or d.index == index
    )
    pinned: LQuery = DisMaxQ(clauses, 0.0) if clauses else MatchNoneQ("no pinned document in this index")
    return DisMaxQ((pinned, organic), 0.0)


def _field_pruning(fi: FieldInfo) -> PruningConfig | None:
    """The pruning a query without its own settings gets from the field's ``index_options`` (a
    semantic_text field's ``index_options.sparse_vector``; an index of 9.1 prunes by default)."""
    options = fi.sparse_options or DEFAULT_INDEX_OPTIONS
    if options.prune is False:
        return None
    return options.pruning_config or PruningConfig()


def _sparse_pruning(q: SparseVectorQuery, fi: FieldInfo) -> PruningConfig | None:
    """``SparseVectorFieldType.finalizeSparseVectorQuery``: the query's ``prune``/``pruning_config``, each
    falling back on the field's ``index_options`` (an index of 9.1 prunes by default)."""
    options = fi.sparse_options or DEFAULT_INDEX_OPTIONS
    prune = q.prune if q.prune is not None else options.prune
    if not prune:
        return None
    if q.pruning_config is not None:
        c = q.pruning_config
        return PruningConfig(c.tokens_freq_ratio_threshold, c.tokens_weight_threshold, c.only_score_pruned_tokens)
    return options.pruning_config or PruningConfig()


def weighted_feature_query(
    ctx: CompileContext, fi: FieldInfo, tokens: tuple[tuple[str, float], ...], pruning: PruningConfig | None
) -> LQuery:
    """``WeightedTokensUtils``: a ``bool`` (minimum should match 1) of one linear ``FeatureField`` query per
    kept token, boosted by its weight; pruning may keep none, or find the field empty."""
    kept = list(tokens)
    if pruning is not None:
        pruned = kept_tokens(ctx.searcher.inverted(fi.path), tokens, pruning)
        if pruned is None:
            return MatchNoneQ("query is against an empty field")
        kept = pruned
    clauses = []
    for token, weight in kept:
        if not math.isfinite(weight) or weight < 0 or (weight == 0 and math.copysign(1.0, weight) < 0):
            reason = f"boost must be a positive float, got {java_float_str(weight)}"
            raise query_shard_failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})
        clauses.append(BoostQ(FeatureQ(fi.path, token), weight))
    if len(clauses) > MAX_CLAUSE_COUNT:
        raise too_many_clauses(ctx)
    if not clauses:
        return MatchNoneQ("no tokens")
    return BoolQ(should=tuple(clauses), msm=1)


def sparse_chunks_query(
    ctx: CompileContext, path: str, tokens: tuple[tuple[str, float], ...], pruning: PruningConfig | None
) -> LQuery:
    """A sparse ``semantic_text`` field's nested ``sparse_vector`` query (``score_mode: max``), its tokens
    pruned with the statistics of the chunks' embeddings field."""
    snapshot = ctx.searcher.vector(path)
    kept = list(tokens)
    if pruning is not None:
        features = snapshot.features if isinstance(snapshot, SparseSemanticField) else None
        pruned = kept_tokens(features, tokens, pruning)
        if pruned is None:
            return MatchNoneQ("query is against an empty field")
        kept = pruned
    for _, weight in kept:
        if not math.isfinite(weight) or weight < 0 or (weight == 0 and math.copysign(1.0, weight) < 0):
            reason = f"boost must be a positive float, got {java_float_str(weight)}"
            raise query_shard_failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})
    if not kept:
        return MatchNoneQ("no tokens")
    return NestedFeaturesQ(path, tuple(kept))


def _sparse_on_semantic_text(q: SparseVectorQuery, ctx: CompileContext, fi: FieldInfo) -> LQuery:
    """``SemanticSparseVectorQueryRewriteInterceptor``: a ``sparse_vector`` query on a ``semantic_text``
    field becomes a nested one over its chunk embeddings, text expanded by the query's endpoint or the
    field's own."""
    tokens = q.query_vector
    if tokens is None:
        tokens = ctx.expand_sparse(q.inference_id or fi.inference_id or "", q.query or "")
    snapshot = ctx.searcher.vector(fi.path)
    if snapshot is not None and not isinstance(snapshot, SparseSemanticField):
        nested = f"{fi.path}.inference.chunks.embeddings"
        reason = f"field [{nested}] must be type [sparse_vector] but is type [dense_vector]"
        raise query_shard_failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})
    if snapshot is None:
        return MatchNoneQ("the field has no inference results yet")
    return sparse_chunks_query(ctx, fi.path, tokens, _sparse_pruning(q, fi))


def _sparse_vector(q: SparseVectorQuery, ctx: CompileContext) -> LQuery:
    """``SparseVectorQueryBuilder.doToQuery`` for a query with its tokens."""
    fi = ctx.searcher.field_info(q.field)
    if fi is not None and fi.type == "semantic_text":
        return _sparse_on_semantic_text(q, ctx, fi)
    tokens = q.query_vector
    if tokens is None:  # the rewrite phase: expand the text first, whatever the field
        if q.inference_id is None:
            raise illegal_argument("inference_id required to perform vector search on query string")
        tokens = ctx.expand_sparse(q.inference_id, q.query or "")
    if fi is None:
        return MatchNoneQ('The "sparse_vector" query is against a field that does not exist')
    if fi.type != "sparse_vector":
        reason = f"field [{q.field}] must be type [sparse_vector] but is type [{fi.type}]"
        raise query_shard_failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})
    return weighted_feature_query(ctx, fi, tokens, _sparse_pruning(q, fi))


def _rule(q: RuleQuery, ctx: CompileContext) -> LQuery:
    """A ``rule`` query is rewritten once its rulesets are read (``retrievo.query_rules.resolve``), before
    planning; one that reaches compilation came by a way that does not read them."""
    raise not_supported("a [rule] query here", "its query rulesets are read only by the search APIs")


def _weighted_tokens(q: WeightedTokensQuery, ctx: CompileContext) -> LQuery:
    """``WeightedTokensQueryBuilder.doToQuery``: ``sparse_vector`` (or ``rank_features``) fields only; pruned
    only with the query's own ``pruning_config``."""
    fi = ctx.searcher.field_info(q.field)
    if fi is None:
        return MatchNoneQ('The "weighted_tokens" query is against a field that does not exist')
    if fi.type not in ("sparse_vector", "rank_features"):
        reason = (
            f"[{fi.type}] is not an appropriate field type for this query. "
            "Allowed field types are [rank_features, sparse_vector]."
        )
        raise query_shard_failure(ctx, reason, {"type": "parse_exception", "reason": reason})
    pruning = None
    if q.pruning_config is not None:
        c = q.pruning_config
        pruning = PruningConfig(c.tokens_freq_ratio_threshold, c.tokens_weight_threshold, c.only_score_pruned_tokens)
    return weighted_feature_query(ctx, fi, q.tokens, pruning)


def _text_expansion(q: TextExpansionQuery, ctx: CompileContext) -> LQuery:
    """``TextExpansionQueryBuilder``: expand ``model_text`` with ``model_id``, then ``weighted_tokens`` when
    the query prunes, else a ``bool`` (minimum should match 1) of ``term`` queries boosted by the weights."""
    try:
        tokens = ctx.expand_sparse(q.model_id, q.model_text)
    except BadRequestError as failure:
        reason = error_reason(failure)
        if not reason.startswith("expected a result of type"):
            raise
        raise api_error("illegal_state_exception", reason, status=500) from None  # an IllegalStateException here
    if q.pruning_config is not None:
        return _weighted_tokens(WeightedTokensQuery(field=q.field, tokens=tokens, pruning_config=q.pruning_config), ctx)
    fi = _field(ctx, q.field)
    if fi is None:
        return MatchNoneQ(f"unmapped field [{q.field}]")
    clauses = tuple(boosted(_exact(fi, token, ctx), weight) for token, weight in tokens)
    if not clauses:
        return MatchNoneQ("no tokens")
    return BoolQ(should=clauses, msm=1)


def hybrid_without_processor() -> BadRequestError:
    """A top-level ``hybrid`` query searched without a pipeline whose ``normalization-processor`` turns
    it into a retriever: OpenSearch answers with its internal, unnormalised per-sub-query lists (delimiter
    entries and all, neural-search issue 1011); retrievo refuses instead of imitating that."""
    return bad_request(
        "illegal_argument_exception",
        "[hybrid] query without a search pipeline holding a [normalization-processor] is not supported in "
        "retrievo: OpenSearch would return its internal, unnormalised sub-query results",
    )


def _hybrid(q: HybridQuery, ctx: CompileContext) -> LQuery:
    """A ``hybrid`` query compiled as a clause of another query: OpenSearch's query phase refuses it
    (``HybridQueryPhaseSearcher.validateAndTransformQuery``) on the shard."""
    cause = {
        "type": "illegal_argument_exception",
        "reason": "hybrid query must be a top level query and cannot be wrapped into other queries. To use scoring "
        "wrapper queries (function_score, script_score, etc.) with hybrid sub-queries, replace the hybrid clause "
        "with a bool query using should clauses containing the same sub-queries",
    }
    raise shard_failure(ctx.searcher.index_name, cause)


_COMPILERS: dict[type, Callable[[Any, CompileContext], LQuery]] = {
    dsl.MatchQuery: _match,
    dsl.MatchPhraseQuery: _match_phrase,
    MatchPhrasePrefixQuery: _match_phrase_prefix,
    MatchBoolPrefixQuery: _match_bool_prefix,
    dsl.MultiMatchQuery: _multi_match,
    CombinedFieldsQuery: lambda q, ctx: compile_combined(q, ctx, query_shard_failure, expand_fields),
    MoreLikeThisQuery: lambda q, ctx: compile_mlt(q, ctx, query_shard_failure),
    dsl.TermQuery: _term,
    dsl.TermsQuery: _terms,
    dsl.RangeQuery: _range,
    dsl.ExistsQuery: _exists,
    dsl.IdsQuery: _ids,
    dsl.PrefixQuery: _prefix,
    FuzzyQuery: compile_fuzzy,
    WildcardQuery: compile_wildcard,
    RegexpQuery: compile_regexp,
    dsl.BoolQuery: _bool,
    dsl.ConstantScoreQuery: _constant_score,
    dsl.DisMaxQuery: _dis_max,
    dsl.MatchAllQuery: _match_all,
    dsl.MatchNoneQuery: _match_none,
    dsl.SemanticQuery: _semantic,
    HybridQuery: _hybrid,
    NestedQuery: lambda q, ctx: compile_nested(q, ctx, compile_query, query_shard_failure),
    PinnedQuery: _pinned,
    KnnQuery: _knn_query,
    RuleQuery: _rule,
    SparseVectorQuery: _sparse_vector,
    WeightedTokensQuery: _weighted_tokens,
    TextExpansionQuery: _text_expansion,
    fsq.FunctionScoreQuery: lambda q, ctx: cfs.compile_function_score(q, ctx, compile_query),
    fsq.BoostingQuery: lambda q, ctx: cfs.compile_boosting(q, ctx, compile_query),
    fsq.RankFeatureQuery: lambda q, ctx: cfs.compile_rank_feature(q, ctx, compile_query),
    fsq.TermsSetQuery: lambda q, ctx: cfs.compile_terms_set(q, ctx, compile_query),
    QueryStringQuery: lambda q, ctx: compile_query_string(q, ctx, compile_query),
    SimpleQueryStringQuery: lambda q, ctx: compile_simple_query_string(q, ctx, compile_query),
}
