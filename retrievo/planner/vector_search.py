"""Run one kNN search against a snapshot: resolve the query vector, build the pre-filter, search.

Validation follows Elasticsearch: a field missing from the mappings gives no hits, a field of another
type is an error, and a query vector of the wrong length is an error naming both lengths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from retrievo.errors import BadRequestError, illegal_argument
from retrievo.planner.lucene_query import LQuery
from retrievo.retrievers.knn import KnnSearch

if TYPE_CHECKING:
    from retrievo.planner.physical import ExecContext

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
