"""Vector search operators: ``VectorSearch`` (one kNN search, pre-filtered, scored as Elasticsearch
scores it) and ``KnnScore`` (a ``knn`` retriever's matches).

Running one search: resolve the query vector, build the pre-filter, search.

Validation follows Elasticsearch: a field missing from the mappings gives no hits, a field of another
type is an error, and a query vector of the wrong length is an error naming both lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import BadRequestError, illegal_argument
from retrievo.lucene.query import LQuery
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.ranked import Matches
from retrievo.retrievers.knn import KnnSearch

VECTOR_TYPES = frozenset({"dense_vector", "semantic_text"})
_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


def query_vector(ctx: "ExecContext", search: KnnSearch) -> np.ndarray:
    if search.query_vector is not None:
        return np.asarray(search.query_vector, dtype=np.float32)
    builder = search.query_vector_builder
    assert builder is not None
    if ctx.embed is None:
        raise illegal_argument("[query_vector_builder] needs an inference endpoint registry")
    return np.asarray(ctx.embed(builder.model_id, builder.model_text), dtype=np.float32)


def run_vector_search(ctx: "ExecContext", search: KnnSearch,
                      filters: tuple[LQuery, ...]) -> tuple[np.ndarray, np.ndarray]:
    s = ctx.searcher
    fi = s.field_info(search.field)
    if fi is None:
        return _EMPTY
    if fi.type not in VECTOR_TYPES:
        raise BadRequestError("illegal_argument_exception",
                              "[knn] queries are only supported on [dense_vector] fields")
    field = s.vector(search.field)
    if not fi.indexed:
        raise illegal_argument(f"to perform knn search on field [{search.field}], its mapping must have "
                               f"[index] set to [true]")
    vec = query_vector(ctx, search)
    dims = fi.dims
    if dims is not None and vec.shape[0] != dims:
        raise illegal_argument(f"The query vector has a different number of dimensions [{vec.shape[0]}] "
                               f"than the document vectors [{dims}].")
    if field is None:
        return _EMPTY
    # The field's snapshot already skips deleted docs (it shares the searcher's live mask), so
    # an unfiltered search passes no mask at all and skips a max_doc-sized copy and gather.
    mask: np.ndarray | None = None
    for f in filters:
        mask = ctx.evaluator.mask(f) & s.live if mask is None else mask & ctx.evaluator.mask(f)
    docs, scores = field.search(vec, search.k, search.num_candidates, mask, search.similarity,
                                search.rescore_oversample)
    return np.asarray(docs, dtype=np.int32), np.asarray(scores, dtype=np.float32)


@dataclass
class VectorSearch(Operator):
    """k nearest neighbours of one ``knn`` search, pre-filtered, scored as Elasticsearch scores them.

    Its (docs, scores) are stored in the evaluator under ``slot`` so a query tree can add them as a
    clause (the top-level ``knn`` section), or a ``knn`` retriever can rank them directly.
    """
    search: KnnSearch
    filters: tuple[LQuery, ...]
    slot: int
    index: dict[str, Any]
    name: str = "VectorSearch"
    scans_index = True

    def describe(self) -> dict[str, Any]:
        s = self.search
        out: dict[str, Any] = {"field": s.field, "k": s.k, "num_candidates": s.num_candidates}
        out.update({k: v for k, v in self.index.items() if k in ("index_type", "similarity", "dims", "m",
                                                                  "ef_construction", "chunks")})
        if self.index.get("segments"):
            out["structure"] = "+".join(seg["structure"] for seg in self.index["segments"])
        if s.query_vector_builder is not None:
            out["embed"] = f"{s.query_vector_builder.model_id}({s.query_vector_builder.model_text!r})"
        if s.similarity is not None:
            out["similarity_threshold"] = s.similarity
        if s.rescore_oversample is not None:
            out["oversample"] = s.rescore_oversample
        if self.filters:
            out["prefilter"] = "[" + ", ".join(str(f) for f in self.filters) + "]"
        return out

    def run(self, ctx: ExecContext) -> tuple[np.ndarray, np.ndarray]:
        docs, scores = run_vector_search(ctx, self.search, self.filters)
        ctx.evaluator.precomputed[self.slot] = (docs, scores)
        return docs, scores


@dataclass
class KnnScore(Operator):
    """A ``knn`` retriever: its matches are exactly the k neighbours found, with their scores."""
    child: VectorSearch
    name: str = "KnnScore"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def run(self, ctx: ExecContext) -> Matches:
        docs, scores = self.child.execute(ctx)
        n = ctx.searcher.max_doc
        mask = np.zeros(n, dtype=bool)
        dense = np.zeros(n, dtype=np.float32)
        mask[docs] = True
        dense[docs] = scores
        return Matches(mask=mask, scores=dense)
