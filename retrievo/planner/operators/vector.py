"""Vector search operators: ``VectorSearch`` (one kNN search, pre-filtered, scored as Elasticsearch
scores it) and ``KnnScore`` (a ``knn`` retriever's matches), and the planning of the ``knn``
retriever: ``TopDocs(MinScore(KnnScore(VectorSearch)))``.

Running one search: resolve the query vector, build the pre-filter, search.

Validation follows Elasticsearch: a field missing from the mappings gives no hits, a field of another
type is an error, and a query vector of the wrong length is an error naming both lengths.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from retrievo.errors import NotFoundError, api_error, bad_request, illegal_argument
from retrievo.index.sparse_semantic import SparseSemanticField
from retrievo.lucene.java_format import java_float
from retrievo.lucene.query import LQuery
from retrievo.planner.compile_query import CompileContext
from retrievo.planner.costs import PAIR_WORK, CostModel, Estimate
from retrievo.planner.explain import node
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.query import MinScore
from retrievo.planner.operators.top_docs import TopDocs
from retrievo.planner.planning import PlanningContext
from retrievo.planner.ranked import Matches, score_order
from retrievo.retrievers.knn import KnnRetriever, KnnSearch, TextEmbeddingBuilder

VECTOR_TYPES = frozenset({"dense_vector", "semantic_text"})
#: Vectors an HNSW search compares per explored candidate (about 2 × M neighbours at M = 16).
HNSW_COMPARISONS_PER_CANDIDATE = 32
FLAT_INDEX_TYPES = ("flat", "int8_flat", "int4_flat", "bbq_flat")
_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


def query_vector(ctx: ExecContext, search: KnnSearch) -> np.ndarray:
    if search.query_vector is not None:
        return np.asarray(search.query_vector, dtype=np.float32)
    builder = search.query_vector_builder
    assert builder is not None
    return builder_vector(ctx, builder)


def builder_vector(ctx: ExecContext, builder: TextEmbeddingBuilder) -> np.ndarray:
    """A ``text_embedding`` query vector builder's vector. Elasticsearch resolves it with ML's
    ``CoordinatedInferenceAction``, which answers an id that is neither an inference endpoint nor a
    deployed model with its own 404 rather than the inference API's ``Inference endpoint not found``."""
    if ctx.embed is None:
        raise illegal_argument("[query_vector_builder] needs an inference endpoint registry")
    try:
        return np.asarray(ctx.embed(builder.model_id, builder.model_text), dtype=np.float32)
    except NotFoundError as err:
        if str(err.body.get("error", {}).get("reason", "")) != f"Inference endpoint not found [{builder.model_id}]":
            raise
        raise api_error(
            "status_exception",
            f"[{builder.model_id}] is not an inference service model or a deployed ml model",
            status=404,
        ) from None


def run_vector_search(
    ctx: ExecContext, search: KnnSearch, filters: tuple[LQuery, ...], per_shard: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """One kNN search. On an index with several shards each shard finds its own ``k`` among its
    ``num_candidates``; a top-level search keeps the best ``k`` of them all (its DFS phase), a query's
    search (``per_shard``) keeps every shard's."""
    s = ctx.searcher
    fi = s.field_info(search.field)
    if fi is None:
        return _EMPTY
    field = s.vector(search.field)
    if fi.type not in VECTOR_TYPES or isinstance(field, SparseSemanticField):
        # a semantic_text field on a sparse_embedding endpoint holds sparse chunks: the nested knn query
        # Elasticsearch builds on its embeddings finds a sparse_vector field
        raise bad_request("illegal_argument_exception", "[knn] queries are only supported on [dense_vector] fields")
    if not fi.indexed:
        raise illegal_argument(
            f"to perform knn search on field [{search.field}], its mapping must have [index] set to [true]"
        )
    vec = query_vector(ctx, search)
    dims = fi.dims
    if dims is not None and vec.shape[0] != dims:
        raise illegal_argument(
            f"The query vector has a different number of dimensions [{vec.shape[0]}] "
            f"than the document vectors [{dims}]."
        )
    if field is None:
        return _EMPTY
    # The field's snapshot already skips deleted docs (it shares the searcher's live mask), so
    # an unfiltered search passes no mask at all and skips a max_doc-sized copy and gather.
    mask: np.ndarray | None = None
    for f in filters:
        mask = ctx.evaluator.mask(f) & s.live if mask is None else mask & ctx.evaluator.mask(f)
    if s.shard_of is None:
        docs, scores = field.search(
            vec, search.k, search.num_candidates, mask, search.similarity, search.rescore_oversample
        )
        return np.asarray(docs, dtype=np.int32), np.asarray(scores, dtype=np.float32)
    found = [_EMPTY]
    allowed = s.live if mask is None else mask
    for shard in range(s.number_of_shards):
        in_shard = allowed & (s.shard_of == shard)
        if in_shard.any():
            docs, scores = field.search(
                vec, search.k, search.num_candidates, in_shard, search.similarity, search.rescore_oversample
            )
            found.append((np.asarray(docs, dtype=np.int32), np.asarray(scores, dtype=np.float32)))
    docs = np.concatenate([d for d, _ in found])
    scores = np.concatenate([sc for _, sc in found])
    order = score_order(docs, scores, s.tie_order)
    if not per_shard:
        order = order[: search.k]
    return docs[order], scores[order]


@dataclass
class VectorSearch(Operator):
    """k nearest neighbours of one ``knn`` search, pre-filtered, scored as Elasticsearch scores them.

    Its (docs, scores) go into the run's ``knn_hits`` under ``slot``, where a query tree's ``KnnHitsQ``
    clause (the top-level ``knn`` section) and ``explain`` find them; a ``knn`` retriever ranks them directly.
    """

    search: KnnSearch
    filters: tuple[LQuery, ...]
    slot: int
    index: dict[str, Any]
    name: str = "VectorSearch"
    #: kNN searches its pre-filters' ``knn`` (or ``semantic``) queries read; they run first.
    inputs: tuple[VectorSearch, ...] = ()
    #: A query's search: ``k`` neighbours on every shard, not ``k`` in all (``add_search``).
    per_shard: bool = False
    scans_index = True
    prefilters = True
    releases_gil = True

    def children(self) -> tuple[Operator, ...]:
        return self.inputs

    def describe(self) -> dict[str, Any]:
        s = self.search
        out: dict[str, Any] = {"field": s.field, "k": s.k, "num_candidates": s.num_candidates}
        out.update(
            {
                k: v
                for k, v in self.index.items()
                if k in ("index_type", "similarity", "dims", "m", "ef_construction", "chunks")
            }
        )
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

    def filter_queries(self) -> tuple[LQuery, ...]:
        return self.filters

    def with_filter_queries(self, filters: tuple[LQuery, ...]) -> VectorSearch:
        return replace(self, filters=filters)

    def knn_slots(self) -> tuple[int, ...]:
        return (self.slot,)

    def embeds(self) -> tuple[str, str] | None:
        builder = self.search.query_vector_builder
        return None if builder is None else (builder.model_id, builder.model_text)

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        """``k`` of the vectors passing the pre-filters; an exact search compares every row, an ANN search
        its candidates' neighbours, each comparison about ``dims / 16`` posting reads of work."""
        search = self.search
        # The snapshot's description (VectorField or semantic_text chunks) has the vector count.
        count = int(self.index.get("count", 0) or 0)
        passing = min([count] + [costs.query(f).matches for f in self.filters])
        exact = int(self.index.get("exact_rows", 0) or 0) >= passing or self.index.get("index_type") in FLAT_INDEX_TYPES
        compared = (
            passing if exact else min(passing, max(search.num_candidates, search.k) * HNSW_COMPARISONS_PER_CANDIDATE)
        )
        per_vector = max(1, int(self.index.get("dims", 16) or 16) // 16)
        est = Estimate(
            count,
            min(search.k, passing),
            work=(count if exact else compared) * per_vector,
            exact=not self.filters and search.similarity is None,
            extra={"vectors_compared": compared, "search": "exact" if exact else "ann"},
        )
        pair = self.embeds()
        if pair is not None and costs.charges_embedding(*pair):
            est.model_calls = 1
            est.tokens = len(pair[1].split())
            est.work += PAIR_WORK
        return est

    def run(self, ctx: ExecContext) -> tuple[np.ndarray, np.ndarray]:
        for op in self.inputs:
            op.execute(ctx)
        docs, scores = run_vector_search(ctx, self.search, self.filters, self.per_shard)
        ctx.knn_hits[self.slot] = (docs, scores)
        return docs, scores


@dataclass
class KnnScore(Operator):
    """A ``knn`` retriever: its matches are exactly the k neighbours found, with their scores."""

    child: VectorSearch
    name: str = "KnnScore"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        return Estimate(inputs[0].docs_out, inputs[0].docs_out, exact=inputs[0].exact)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """A kNN hit explains as one of the top ``k`` documents, with the similarity the run found."""
        hits = ctx.knn_hits.get(self.child.slot)
        if hits is None or doc not in set(hits[0].tolist()):
            return None
        value = float(hits[1][hits[0].tolist().index(doc)])
        return node(
            value,
            f"within top {self.child.search.k} documents",
            [node(value, f"found vector with calculated similarity: {java_float(value)}")],
        )

    def run(self, ctx: ExecContext) -> Matches:
        docs, scores = self.child.execute(ctx)
        n = ctx.searcher.max_doc
        mask = np.zeros(n, dtype=bool)
        dense = np.zeros(n, dtype=np.float32)
        mask[docs] = True
        dense[docs] = scores
        return Matches(mask=mask, scores=dense)


def vector_searches(ctx: CompileContext, first: int) -> tuple[VectorSearch, ...]:
    """VectorSearch operators for the kNN searches registered since slot ``first``."""
    ops = []
    for slot, search, filters in ctx.searches[first:]:
        field = ctx.searcher.vector(search.field)
        described = field.describe() if field is not None else {}
        ops.append(VectorSearch(search, filters, slot, described, per_shard=slot in ctx.per_shard_slots))
    return tuple(ops)


def plan_knn(r: KnnRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    ctx.window = k
    first = len(ctx.searches)  # a knn query in a pre-filter registers its own search first
    filters = tuple(ctx.compile_filter(f) for f in r.search.filter + r.filter)
    ctx.add_search(r.search, filters)
    *inputs, search = vector_searches(ctx, first)
    op: Operator = KnnScore(replace(search, inputs=tuple(inputs)))
    if r.min_score is not None:
        op = MinScore(op, r.min_score)
    return TopDocs(op, k)
