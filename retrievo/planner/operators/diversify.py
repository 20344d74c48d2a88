"""The ``diversify`` operator, ``Diversify(child)``, and its planning: Maximal Marginal Relevance over a
child's window (Elasticsearch's ``MMRResultDiversification``).

Facts carried over from Elasticsearch (``DiversifyRetrieverBuilder``, ``MMRResultDiversification``):

* Similarity, query–document and document–document alike, is Lucene's ``MAXIMUM_INNER_PRODUCT``
  whatever the field's own ``similarity``: ``dot < 0 ? 1 / (1 - dot) : dot + 1`` in Java floats
  (byte and bit vectors: the integer dot product of signed bytes).
* The first pick is the document with the highest query similarity among those with a vector (ties:
  the earlier one); with no query vector every similarity is 0, so it is the first document with one.
* Each next pick maximises ``λ·sim(q, d) − (1 − λ)·max_{s picked} sim(d, s)`` (strictly greater wins,
  so ties keep the earlier document); documents without a vector are never picked.
* The picked documents come back in the child's order with the child's scores.

The vectors are the documents' ``field`` values (what Elasticsearch fetches as doc values), read from the
stored sources of the run's searcher, so a cosine field's vectors are used as written, not normalised.
On a dense ``semantic_text`` field each document has several vectors, its chunks' embeddings as the
endpoint returned them (Elasticsearch 9.3 reads them from ``_inference_fields``): :func:`mmr_select_chunks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, bad_request
from retrievo.index.semantic import SemanticField
from retrievo.planner.children import run_child
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.explain import explain_child
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.fusion import child_failure
from retrievo.planner.operators.vector import builder_vector
from retrievo.planner.planning import PlanningContext, plan_retriever, with_inherited_filters
from retrievo.planner.ranked import Ranked
from retrievo.response import es_float
from retrievo.retrievers.diversify import DiversifyRetriever
from retrievo.retrievers.knn import TextEmbeddingBuilder

F32 = np.float32
NAME = "diversify"


def _source_value(source: dict[str, Any], path: str) -> Any:
    """The value of ``path`` in a source (nested objects or a flat dotted key)."""
    if path in source:
        return source[path]
    value: Any = source
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _as_vector(value: Any, as_bytes: bool) -> np.ndarray | None:
    """A source value as Elasticsearch's doc values hand it back: float32, or signed bytes (a hex string
    is how byte and bit vectors may be written)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return np.frombuffer(bytes.fromhex(value), dtype=np.int8).copy()
        except ValueError:
            return None
    if not isinstance(value, list) or not value or not all(isinstance(v, (int, float)) for v in value):
        return None
    if as_bytes:
        return np.asarray([int(v) for v in value], dtype=np.int64).astype(np.int8)
    return np.asarray(value, dtype=np.float64).astype(F32)


def max_inner_product(dots: np.ndarray) -> np.ndarray:
    """Lucene's ``scaleMaxInnerProductScore`` on float32 dot products."""
    d = dots.astype(F32)
    with np.errstate(divide="ignore"):
        return np.where(d < 0, F32(1.0) / (F32(1.0) + (-d)), d + F32(1.0)).astype(F32)


def _dots(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    if matrix.dtype == np.int8:
        return (matrix.astype(np.int64) @ vector.astype(np.int64)).astype(F32)
    return (matrix.astype(F32) @ vector.astype(F32)).astype(F32)


def mmr_select(vectors: list[np.ndarray | None], query: np.ndarray | None, lam: float, size: int) -> list[int]:
    """Positions (into ``vectors``, the child's order) that MMR keeps, ascending."""
    n = len(vectors)
    present = np.array([v is not None for v in vectors], dtype=bool)
    if not present.any():
        return []
    rows = [v for v in vectors if v is not None]
    dims = max(r.size for r in rows)
    byte_rows = all(r.dtype == np.int8 for r in rows)
    matrix = np.zeros((n, dims), dtype=np.int8 if byte_rows else F32)
    for i, v in enumerate(vectors):
        if v is not None:
            matrix[i, : v.size] = v
    query_sim = np.zeros(n, dtype=F32)
    if query is not None:
        q = query.astype(np.int8) if byte_rows else query.astype(F32)
        query_sim[present] = max_inner_product(_dots(matrix[present], q[:dims]))
    lam32 = F32(lam)
    relevance = (lam32 * query_sim).astype(F32)
    weight = F32(F32(1.0) - lam32)
    candidates = np.flatnonzero(present)
    first = int(candidates[int(np.argmax(query_sim[candidates]))])
    selected = [first]
    chosen = np.zeros(n, dtype=bool)
    chosen[first] = True
    max_sim = np.full(n, -np.inf, dtype=F32)
    prev = first
    while len(selected) < min(size, n):
        open_ = present & ~chosen
        if not open_.any():
            break
        sims = max_inner_product(_dots(matrix, matrix[prev]))
        max_sim[open_] = np.maximum(max_sim[open_], sims[open_])
        mmr = np.full(n, -np.inf, dtype=F32)
        mmr[open_] = relevance[open_] - (weight * max_sim[open_]).astype(F32)
        best = int(np.argmax(mmr))
        if not mmr[best] > -np.inf:
            break
        selected.append(best)
        chosen[best] = True
        prev = best
    return sorted(selected)


def mmr_select_chunks(
    vectors: list[list[np.ndarray]], scores: list[float], query: np.ndarray | None, lam: float, size: int
) -> list[int]:
    """Positions MMR keeps when each document has several vectors (a semantic_text field's chunks),
    ascending; Elasticsearch 9.3's ``MMRResultDiversification`` step by step:

    * query similarity is per chunk; the first pick is the document owning the best chunk (strictly
      greater wins), or without a query vector the document with the highest child score;
    * a candidate's similarity to a picked document, per chunk, is the best over the picked document's
      chunks; against all picks the candidate keeps the highest, taken at the chunk that ES's loop
      settles on: it compares each chunk's score with the running chunk *index*, so the last chunk
      scoring above that index wins — carried over as is;
    * the MMR score is ``λ·querySim[that chunk] − (1 − λ)·highest`` (no query: ``0 − (1 − λ)·highest``);
      documents without vectors are never picked; at most ``size`` rounds.
    """
    n = len(vectors)
    lam32 = F32(lam)
    weight = F32(F32(1.0) - lam32)
    matrices = [np.asarray(v, dtype=F32) if v else None for v in vectors]
    query_sims: list[np.ndarray | None] = [None] * n
    if query is not None:
        q = query.astype(F32)
        for i, m in enumerate(matrices):
            if m is not None:
                query_sims[i] = max_inner_product(_dots(m, q[: m.shape[1]]))
    if query is None:
        first = max(range(n), key=lambda i: (scores[i], -i))
    else:
        first, best = 0, F32(-np.inf)
        for i, sims in enumerate(query_sims):
            if sims is None:
                continue
            for value in sims.tolist():
                if value > best:
                    first, best = i, F32(value)
    selected = [first]
    pair_cache: dict[tuple[int, int], np.ndarray] = {}
    rounds = 0
    while rounds < size and len(selected) < size and len(selected) < n:
        rounds += 1
        pick, pick_score = -1, F32(-np.inf)
        for i in range(n):
            m = matrices[i]
            if i in selected or m is None:
                continue
            highest, at_chunk = F32(-np.inf), 0
            for j in selected:
                other = matrices[j]
                if other is None:
                    continue
                chunk_scores = pair_cache.get((i, j))
                if chunk_scores is None:
                    sims = max_inner_product((m @ other.T).astype(F32))
                    chunk_scores = pair_cache[(i, j)] = sims.max(axis=1).astype(F32)
                chosen = 0
                for c, value in enumerate(chunk_scores.tolist()):
                    if value > chosen:
                        chosen = c
                if chunk_scores[chosen] > highest:
                    highest, at_chunk = F32(chunk_scores[chosen]), chosen
            sims_q = query_sims[i]
            relevance = F32(0.0) if sims_q is None else F32(lam32 * sims_q[at_chunk])
            score = F32(relevance - F32(weight * highest))
            if score > pick_score:
                pick, pick_score = i, score
        if pick >= 0:
            selected.append(pick)
    return sorted(selected)


@dataclass(frozen=True)
class DiversifyTrace:
    """What one run noted: the score handed out for each kept document and its 1-based child rank."""

    scores: dict[int, float]
    ranks: dict[int, int]


@dataclass
class Diversify(Operator):
    child: Operator
    field: str
    lambda_: float
    size: int
    window: int
    query_vector: tuple[float, ...] | None = None
    query_vector_builder: TextEmbeddingBuilder | None = None
    min_score: float | None = None
    name: str = "Diversify"
    releases_gil = True
    #: Set by the ``prune_windows`` rule: hand out only this many of the kept documents.
    limit: int | None = None

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "mmr",
            "field": self.field,
            "lambda": self.lambda_,
            "size": self.size,
            "rank_window_size": self.window,
        }
        if self.query_vector is not None:
            out["query_vector"] = f"[{len(self.query_vector)} dims]"
        if self.query_vector_builder is not None:
            b = self.query_vector_builder
            out["embed"] = f"{b.model_id}({b.model_text!r})"
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out

    def embeds(self) -> tuple[str, str] | None:
        b = self.query_vector_builder
        return None if b is None else (b.model_id, b.model_text)

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        """Reads the child's window; each pick compares every open document with the last pick."""
        docs = min(self.window, inputs[0].docs_out)
        out = min(docs, self.size) if self.limit is None else min(docs, self.size, self.limit)
        return Estimate(docs, out, work=docs * max(1, min(self.size, docs)))

    def _query(self, ctx: ExecContext) -> np.ndarray | None:
        if self.query_vector is not None:
            return np.asarray(self.query_vector, dtype=np.float64).astype(F32)
        b = self.query_vector_builder
        if b is None:
            return None
        return builder_vector(ctx, b)

    def _vectors(self, ctx: ExecContext, docs: list[int]) -> list[np.ndarray | None]:
        """Each document's vector, ``None`` where it has none; all ``None`` for a field that is not a
        ``dense_vector`` (an unmapped one included). An unindexed ``dense_vector`` still has doc values
        in Elasticsearch, so its sources are read too."""
        info = ctx.searcher.field_info(self.field)
        if info is None or info.type != "dense_vector":
            return [None] * len(docs)
        field = ctx.searcher.vector(self.field)
        as_bytes = field is not None and field.element_type in ("byte", "bit")
        has = field.has_vector if field is not None else None
        out: list[np.ndarray | None] = []
        for doc in docs:
            value = _source_value(ctx.searcher.source(doc), self.field) if has is None or has[doc] else None
            out.append(_as_vector(value, as_bytes))
        return out

    def run(self, ctx: ExecContext) -> Ranked:
        # Elasticsearch builds the query vector while rewriting the retriever, before the child runs:
        # a failure is the request's own, whatever the child finds.
        query = self._query(ctx)
        child: Ranked = run_child(self.child, ctx, self.window)
        docs = child.docs.tolist()
        info = ctx.searcher.field_info(self.field)
        semantic = info is not None and info.type == "semantic_text"
        if not docs:
            ctx.trace[self] = DiversifyTrace({}, {})
            return Ranked(
                docs=child.docs[:0],
                scores=child.scores[:0].astype(F32),
                total=child.total,
                matched=child.matched,
                fused=True,
            )
        if semantic:
            return self._run_semantic(ctx, child, query)
        try:
            vectors = self._vectors(ctx, docs)
            if all(v is None for v in vectors):
                raise bad_request(
                    "status_exception",
                    f"Failed to retrieve vectors for field [{self.field}]. Is it a [dense_vector] field?",
                )
        except ApiError as err:
            raise child_failure(NAME, [NAME], [err]) from None
        keep = np.asarray(mmr_select(vectors, query, self.lambda_, self.size), dtype=np.int64)
        return self._kept(ctx, child, keep)

    def _kept(self, ctx: ExecContext, child: Ranked, keep: np.ndarray) -> Ranked:
        """The kept positions of the child's window, in the child's order with its scores."""
        out_docs = child.docs[keep]
        out_scores = child.scores[keep].astype(F32)
        if self.min_score is not None:
            passing = out_scores >= F32(self.min_score)
            keep, out_docs, out_scores = keep[passing], out_docs[passing], out_scores[passing]
        total = int(out_docs.size) if self.min_score is not None else child.total
        ranks = {int(d): int(i) + 1 for d, i in zip(out_docs.tolist(), keep.tolist())}
        if self.limit is not None:
            out_docs, out_scores = out_docs[: self.limit], out_scores[: self.limit]
        ctx.trace[self] = DiversifyTrace(dict(zip(out_docs.tolist(), out_scores.tolist())), ranks)
        return Ranked(docs=out_docs, scores=out_scores, total=total, matched=child.matched, fused=True)

    def _run_semantic(self, ctx: ExecContext, child: Ranked, query: np.ndarray | None) -> Ranked:
        """Elasticsearch 9.3 diversifies on a semantic_text field with its dense chunk embeddings (each
        document a list of vectors, :func:`mmr_select_chunks`); a sparse field has none to compare."""
        snapshot = ctx.searcher.vector(self.field)
        per_doc: list[list[np.ndarray]] = []
        if isinstance(snapshot, SemanticField):
            per_doc = [snapshot.doc_embeddings(d) for d in child.docs.tolist()]
        if not any(per_doc):
            reason = (
                f"Failed to retrieve vectors for field [{self.field}]. "
                "Is it a [dense_vector] or [semantic_text] field with dense vectors?"
            )
            raise child_failure(NAME, [NAME], [bad_request("status_exception", reason)]) from None
        keep = np.asarray(
            mmr_select_chunks(per_doc, child.scores.tolist(), query, self.lambda_, self.size), dtype=np.int64
        )
        return self._kept(ctx, child, keep)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """``RankDoc.explain``: the kept document's original score and child rank, over the child's
        own explanation."""
        trace = ctx.trace.of(self, DiversifyTrace)
        if trace is None or doc not in trace.scores:
            return None
        child_explanation = explain_child(self.child, ctx, doc)
        return {
            "value": es_float(score),
            "description": (
                f"doc [{doc}] with an original score of [{es_float(score)}] is at rank [{trace.ranks[doc]}] "
                "from the following source queries."
            ),
            "details": [child_explanation] if child_explanation else [],
        }

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        trace = ctx.trace.of(self, DiversifyTrace)
        return float(trace.scores.get(doc, 0.0)) if trace is not None else 0.0


def plan_diversify(r: DiversifyRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    child = plan_retriever(
        with_inherited_filters(r.retriever, r.filter), ctx, r.rank_window_size, written_as=r.retriever
    )
    vector = r.query_vector
    return Diversify(
        child,
        r.field,
        float(r.lambda_ if r.lambda_ is not None else 0.0),
        r.effective_size,
        r.rank_window_size,
        query_vector=None if vector is None or isinstance(vector, str) else vector,
        query_vector_builder=r.query_vector_builder,
        min_score=r.min_score if r.min_score is not None else min_score,
    )
