"""Search quality evaluation: Elasticsearch's ``_rank_eval`` (``Engine.rank_eval``), test collections
on disk (BEIR and TREC layouts) and a runner that evaluates one search template over a collection."""

from retrievo.evaluation.collections import Collection, CollectionFormatError, load_collection
from retrievo.evaluation.rank_eval import rank_eval
from retrievo.evaluation.runner import BM25_TEMPLATE, run_template

__all__ = ["BM25_TEMPLATE", "Collection", "CollectionFormatError", "load_collection", "rank_eval", "run_template"]
