"""The AST: typed, immutable models of retrievers, queries and search requests."""

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import (
    QUERY_TYPES, BoolQuery, ConstantScoreQuery, DisMaxQuery, ExistsQuery, IdsQuery, MatchAllQuery,
    MatchNoneQuery, MatchPhraseQuery, MatchQuery, MultiMatchQuery, PrefixQuery, Query, RangeQuery,
    SemanticQuery, TermQuery, TermsQuery,
)
from retrievo.retrievers.fusion import CompoundRetriever, LinearRetriever, RetrieverEntry, RrfRetriever
from retrievo.retrievers.knn import KnnRetriever, KnnSearch, TextEmbeddingBuilder
from retrievo.retrievers.rerank import ChunkRescorer, TextSimilarityReranker
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import SearchRequest, SourceFilter
from retrievo.retrievers.sort import SortField
from retrievo.retrievers.standard import StandardRetriever

__all__ = [
    "Node", "Query", "QUERY_TYPES", "BoolQuery", "ConstantScoreQuery", "DisMaxQuery", "ExistsQuery",
    "IdsQuery", "MatchAllQuery", "MatchNoneQuery", "MatchPhraseQuery", "MatchQuery", "MultiMatchQuery",
    "PrefixQuery", "RangeQuery", "SemanticQuery", "TermQuery", "TermsQuery", "Retriever", "SearchRequest", "SourceFilter",
    "SortField", "StandardRetriever", "KnnRetriever", "KnnSearch", "TextEmbeddingBuilder",
    "CompoundRetriever", "LinearRetriever", "RetrieverEntry", "RrfRetriever", "ChunkRescorer",
    "TextSimilarityReranker",
]
