"""The AST: typed, immutable models of retrievers, queries and search requests."""

from retrievo.retrievers.base import Node
from retrievo.retrievers.diversify import DiversifyRetriever
from retrievo.retrievers.fusion import CompoundRetriever, LinearRetriever, RetrieverEntry, RrfRetriever
from retrievo.retrievers.knn import KnnRetriever, KnnSearch, TextEmbeddingBuilder
from retrievo.retrievers.pinned import PinnedDoc, PinnedRetriever
from retrievo.retrievers.queries import (
    QUERY_TYPES,
    BoolQuery,
    ConstantScoreQuery,
    DisMaxQuery,
    ExistsQuery,
    IdsQuery,
    MatchAllQuery,
    MatchNoneQuery,
    MatchPhraseQuery,
    MatchQuery,
    MultiMatchQuery,
    PrefixQuery,
    Query,
    RangeQuery,
    SemanticQuery,
    TermQuery,
    TermsQuery,
)
from retrievo.retrievers.random_rerank import RandomReranker
from retrievo.retrievers.rerank import ChunkRescorer, TextSimilarityReranker
from retrievo.retrievers.rescorer import QueryRescore, RescorerRetriever
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.rule import RuleQuery, RuleRetriever
from retrievo.retrievers.search import SearchRequest, SourceFilter
from retrievo.retrievers.sort import SortField
from retrievo.retrievers.standard import StandardRetriever

__all__ = [
    "QUERY_TYPES",
    "BoolQuery",
    "ChunkRescorer",
    "CompoundRetriever",
    "ConstantScoreQuery",
    "DisMaxQuery",
    "DiversifyRetriever",
    "ExistsQuery",
    "IdsQuery",
    "KnnRetriever",
    "KnnSearch",
    "LinearRetriever",
    "MatchAllQuery",
    "MatchNoneQuery",
    "MatchPhraseQuery",
    "MatchQuery",
    "MultiMatchQuery",
    "Node",
    "PinnedDoc",
    "PinnedRetriever",
    "PrefixQuery",
    "Query",
    "QueryRescore",
    "RandomReranker",
    "RangeQuery",
    "RescorerRetriever",
    "Retriever",
    "RetrieverEntry",
    "RrfRetriever",
    "RuleQuery",
    "RuleRetriever",
    "SearchRequest",
    "SemanticQuery",
    "SortField",
    "SourceFilter",
    "StandardRetriever",
    "TermQuery",
    "TermsQuery",
    "TextEmbeddingBuilder",
    "TextSimilarityReranker",
]
