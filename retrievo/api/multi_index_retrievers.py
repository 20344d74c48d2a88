"""A compound retriever (``rrf``, ``linear``, ``text_similarity_reranker``) over several indices.

Elasticsearch ranks a compound retriever on the coordinating node (``CompoundRetrieverBuilder``): each
child runs as a search of its own over all the shards of all the target indices, with the parent's
``rank_window_size`` as its size; the child's hits are merged as any search's are (score descending,
then shard order — shard number, then index name — then doc) and its window fused (rrf by each
document's GLOBAL rank, linear by normalising the child's merged window, the reranker scoring the
child's merged window with one inference call). Only the final page is fetched, from each document's
own index (``RankDocsRetrieverBuilder``). ``hits.total`` is the union of what the children matched.

Here every document is keyed by a global integer id (the index's offset plus its internal doc id), so
the fusion functions of ``planner/operators/fusion.py`` and the reranker's inputs and normalisation
(``planner/operators/rerank.py``) run unchanged over all the indices. Each leaf (``standard``/``knn``)
is planned and run per index as a request of its own; a ``knn`` leaf keeps its best ``k`` over every
index, as the DFS phase does. The result is handed to each index's own plan as its already computed
root (``ExecContext.ready``), so hits, fields, highlighting (with the children's queries), named
queries and aggregations (over the union of matches) come from each index's normal fetch, and
``api/search.py`` merges the pages by the compound's score in the same tie order. ``explain`` is the
coordinator's: the fusion operators' and the reranker's own formats around each leaf's explanation
from its run on the document's index (:class:`Explainer`).

Other retriever kinds over several indices, a leaf ``standard`` with ``sort``/``collapse``/
``search_after``/``terminate_after``/``knn``, a top-level ``collapse`` and ``profile`` are refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo.api.multi_index_fields import TargetIndex, expand_over_indices, on_index
from retrievo.api.multi_index_sort import shard_failed
from retrievo.errors import ApiError, illegal_argument, not_supported
from retrievo.planner.execute import PreparedSearch, prepare_search, reranked_root_explanation
from retrievo.planner.explain import explain_operator
from retrievo.planner.operators.base import Embedder, Operator, Reranker
from retrievo.planner.operators.fusion import (
    FLOAT_MIN_VALUE,
    LinearFuse,
    RrfFuse,
    child_failure,
    linear_combine,
    rrf_combine,
)
from retrievo.planner.operators.rerank import Rerank, normalize
from retrievo.planner.planning import with_inherited_filters
from retrievo.planner.ranked import Ranked
from retrievo.response import es_float
from retrievo.retrievers import KnnRetriever, LinearRetriever, Retriever, RrfRetriever, StandardRetriever
from retrievo.retrievers.fusion import CompoundRetriever
from retrievo.retrievers.rerank import TextSimilarityReranker
from retrievo.retrievers.search import SearchRequest

F32 = np.float32
#: The compound kinds ranked on the coordinator, and the leaves each index runs.
COMPOUNDS = (RrfRetriever, LinearRetriever, TextSimilarityReranker)
LEAVES = (StandardRetriever, KnnRetriever)


def is_compound(r: Retriever) -> bool:
    return isinstance(r, COMPOUNDS)


def check_tree(request: SearchRequest) -> None:
    """Refuse, before anything runs, what this coordinator does not rank over several indices. A top-level
    ``standard`` or ``knn`` retriever is the query or ``knn`` section it stands for: it runs as one."""
    if isinstance(request.retriever, LEAVES):
        return
    if not is_compound(request.retriever):
        raise not_supported(f"the [{request.retriever.kind}] retriever in a search over several indices")
    if request.profile:
        raise not_supported("[profile] with a compound retriever in a search over several indices")
    if request.collapse is not None:
        raise not_supported("[collapse] with a compound retriever in a search over several indices")
    _check(request.retriever)


def _check(r: Retriever) -> None:
    if isinstance(r, StandardRetriever):
        for name, value in (
            ("sort", r.sort),
            ("collapse", r.collapse),
            ("search_after", r.search_after),
            ("terminate_after", r.terminate_after),
            ("knn", r.knn),
        ):
            if value:
                raise not_supported(
                    f"a [standard] retriever with [{name}] under a compound retriever over several indices"
                )
        return
    if isinstance(r, KnnRetriever):
        return
    if not isinstance(r, COMPOUNDS):
        raise not_supported(f"the [{r.kind}] retriever in a search over several indices")
    for child in r.children():
        _check(child)


@dataclass
class Merged:
    """One retriever's ranked window over every index: global ids and scores, best first; per index,
    its contribution to ``hits.total`` and the documents it matched."""

    gids: np.ndarray
    scores: np.ndarray
    totals: list[int]
    matched: list[np.ndarray]
    #: A document's explanation by this retriever, topped by its score here (``None``: not among its hits).
    explain: Callable[[int], dict[str, Any] | None] = field(default=lambda gid: None)

    def head(self, n: int) -> Merged:
        return Merged(self.gids[:n], self.scores[:n], self.totals, self.matched, self.explain)

    def as_ranked(self) -> Ranked:
        return Ranked(docs=self.gids, scores=self.scores, total=sum(self.totals))


class Coordinator:
    """Ranks one compound retriever over the planned indices (``prepared``, in index order)."""

    def __init__(self, prepared: Sequence[PreparedSearch], embed: Embedder | None, inference: Reranker | None):
        self.prepared = list(prepared)
        self.embed, self.inference = embed, inference
        sizes = [p.plan.searcher.max_doc for p in self.prepared]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    # ------------------------------------------------------------------ global ids
    def locate(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index position, internal doc) of each global id."""
        positions = np.searchsorted(self.offsets, gids, side="right") - 1
        return positions, gids - self.offsets[positions]

    def order(self, gids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Score descending, then shard number, index order and doc: Elasticsearch's shard order."""
        positions, docs = self.locate(gids)
        shard_no = np.zeros(gids.size, dtype=np.int64)
        for position, p in enumerate(self.prepared):
            shard_of = p.plan.searcher.shard_of
            here = positions == position
            if shard_of is not None and here.any():
                shard_no[here] = shard_of[docs[here]]
        return np.lexsort((docs, positions, shard_no, -scores.astype(np.float64)))

    def masks(self, gids: np.ndarray) -> list[np.ndarray]:
        """A per-index mask of the given documents."""
        positions, docs = self.locate(gids)
        out = []
        for position, p in enumerate(self.prepared):
            mask = np.zeros(p.plan.searcher.max_doc, dtype=bool)
            mask[docs[positions == position]] = True
            out.append(mask)
        return out

    def counts(self, gids: np.ndarray) -> list[int]:
        positions, _ = self.locate(gids)
        return [int((positions == position).sum()) for position in range(len(self.prepared))]

    # ------------------------------------------------------------------ ranking
    def rank(self, r: Retriever, window: int, min_score: float | None = None) -> Merged:
        """``r``'s ranked list over every index: a leaf's top ``window``, a compound's own window."""
        if isinstance(r, (RrfRetriever, LinearRetriever)):
            return self._fuse(r, min_score)
        if isinstance(r, TextSimilarityReranker):
            return self._rerank(r, min_score)
        return self._leaf(r, window)

    def _leaf(self, r: Retriever, window: int) -> Merged:
        """The leaf planned and run on each index as a request of its own (size = the window), the hits
        merged in shard order and cut to the window (a ``knn`` leaf: also to its ``k`` over them all)."""
        gids, scores, totals, matched = [], [], [], []
        runs: list[tuple[PreparedSearch, Any]] = []  # each index's leaf run, for explanations
        failed: list[ApiError] = []
        for position, p in enumerate(self.prepared):
            request = p.request.model_copy(
                update={
                    "retriever": on_index(r, p.shard.name),
                    "size": window,
                    "size_given": False,
                    "from_": 0,
                    "min_score": None,
                    "aggs": (),
                    "suggest": None,
                    "collapse": None,
                    "highlight": None,
                    "explain": False,
                    "profile": False,
                    "legacy_rank": False,
                }
            )
            try:
                leaf = prepare_search(p.shard, request, embed=self.embed, inference=self.inference)
                ranked, ran = leaf.plan.execute(leaf.ctx)
            except ApiError as err:
                # a shard's failure: the child's search answers from the other indices (a multi-search
                # item fails only when every shard failed)
                if not shard_failed(err) or len(failed) == len(self.prepared) - 1:
                    raise
                failed.append(err)
                ranked = Ranked(docs=np.zeros(0, np.int32), scores=np.zeros(0, F32), total=0)
                leaf, ran = p, p.ctx
            runs.append((leaf, ran))
            # a refresh since the index was planned: what its fetch snapshot cannot see is left out
            size = p.plan.searcher.max_doc
            seen = ranked.docs < size
            gids.append(ranked.docs[seen].astype(np.int64) + self.offsets[position])
            scores.append(ranked.scores[seen].astype(F32))
            totals.append(int(ranked.total))
            mask = np.zeros(size, dtype=bool)
            if ranked.matched is None:
                mask[ranked.docs[seen]] = True
            else:
                mask[: min(size, ranked.matched.size)] = ranked.matched[:size]
            matched.append(mask)
        all_gids, all_scores = np.concatenate(gids), np.concatenate(scores)
        keep = window if not isinstance(r, KnnRetriever) else min(window, r.search.k)
        order = self.order(all_gids, all_scores)[:keep]
        out_gids, out_scores = all_gids[order], all_scores[order]
        score_of = dict(zip(out_gids.tolist(), out_scores.tolist()))

        def explain(gid: int) -> dict[str, Any] | None:
            if gid not in score_of:
                return None
            position, doc = self.locate(np.asarray([gid]))
            leaf, ran = runs[int(position[0])]
            return explain_operator(leaf.plan.root, ran, int(doc[0]), score_of[gid])

        if isinstance(r, KnnRetriever):  # a kNN search counts (and matches) what it returned
            return Merged(out_gids, out_scores, self.counts(out_gids), self.masks(out_gids), explain)
        return Merged(out_gids, out_scores, totals, matched, explain)

    def _children(self, r: Retriever, entries: Sequence[Retriever], window: int) -> list[Merged]:
        """Each child's list, read to ``window``; failing children reported together, as the single
        index fusion reports them (``child_failure``)."""
        results, names, errors = [], [], []
        for written in entries:
            try:
                results.append(self.rank(with_inherited_filters(written, r.filter), window).head(window))
            except ApiError as err:
                names.append(written.name or written.kind)
                errors.append(err)
        if errors:
            raise child_failure(r.kind, names, errors)
        return results

    def _fuse(self, r: CompoundRetriever, min_score: float | None) -> Merged:
        window = r.rank_window_size
        children = self._children(r, [e.retriever for e in r.retrievers], window)
        weights = tuple(e.weight for e in r.retrievers)
        ranked = [c.as_ranked() for c in children]
        names = tuple(e.retriever.name for e in r.retrievers)
        fusion: RrfFuse | LinearFuse
        if isinstance(r, RrfRetriever):
            gids, scores, details = rrf_combine(ranked, weights, r.rank_constant)
            fusion = RrfFuse(
                kind=r.kind, child_names=names, weights=weights, window=window, rank_constant=r.rank_constant
            )
        else:
            assert isinstance(r, LinearRetriever)
            normalizers = tuple(r.normalizer_of(e) for e in r.retrievers)
            gids, scores, details = linear_combine(ranked, weights, normalizers)
            fusion = LinearFuse(kind=r.kind, child_names=names, weights=weights, window=window, normalizers=normalizers)
        gids = gids.astype(np.int64)
        if np.any(np.isnan(scores)) or np.any(scores < 0):
            raise illegal_argument("RankDoc scores must be positive values. Missing a normalization step?")
        order = self.order(gids, scores)[:window]
        gids, scores = gids[order], scores[order]
        scores = np.where(scores == 0, F32(FLOAT_MIN_VALUE), scores).astype(F32)
        matched = [np.logical_or.reduce([c.matched[i] for c in children]) for i in range(len(self.prepared))]
        totals = [int(m.sum()) for m in matched]
        cut = r.min_score if r.min_score is not None else min_score
        if cut is not None:
            keep = scores >= F32(cut)
            gids, scores = gids[keep], scores[keep]
            totals = self.counts(gids)
        elif any(e.retriever.min_score is not None for e in r.retrievers):  # ES: the fused count
            totals = self.counts(gids)
        fused = self.masks(gids)
        score_of = dict(zip(gids.tolist(), scores.tolist()))

        def explain(gid: int) -> dict[str, Any] | None:
            """Elasticsearch's rrf/linear explanation (the fusion operator's own format)."""
            if gid not in score_of:
                return None
            kids = [c.explain(gid) for c in children]
            return fusion.explain_fused(details[gid], es_float(score_of[gid]), kids)

        return Merged(gids, scores, totals, [m | f for m, f in zip(matched, fused)], explain)

    def _rerank(self, r: TextSimilarityReranker, min_score: float | None) -> Merged:
        window = r.rank_window_size
        child = self._children(r, [r.retriever], window)[0]
        op = Rerank(
            Operator(),
            r.field,
            r.inference_text,
            r.inference_id,
            window,
            min_score=r.min_score if r.min_score is not None else min_score,
            allow_failures=r.allow_rerank_failures,
            chunk=r.chunk_rescorer,
            child_kind=r.retriever.name or r.retriever.kind,
        )
        try:
            if self.inference is None:
                raise illegal_argument("text_similarity_reranker needs an inference registry")
            op.check_top_n(self.inference)
            kept: list[int] = []  # global ids with the field, in the child's order
            texts: list[str] = []
            owner: list[int] = []
            positions, docs = self.locate(child.gids)
            for gid, position, doc in zip(child.gids.tolist(), positions.tolist(), docs.tolist()):
                has, sent, _, _ = op.texts_for(self.prepared[position].ctx, [doc])
                if has:
                    owner.extend([len(kept)] * len(sent))
                    texts.extend(sent)
                    kept.append(gid)
            raw, _ = op.model_scores(self.inference, texts)
        except ApiError as err:
            if not r.allow_rerank_failures:
                raise child_failure("text_similarity_reranker", [op.child_kind], [err]) from None
            return self._keep_child_order(child, op.min_score)
        best = np.full(len(kept), -np.inf)
        for i, s in zip(owner, raw.tolist()):
            best[i] = max(best[i], s)
        out_gids = np.asarray(kept, dtype=np.int64)
        keep = np.ones(len(kept), dtype=bool) if op.min_score is None else best >= op.min_score
        out_gids = out_gids[keep]
        out_scores = np.asarray([normalize(s) for s in best[keep].tolist()], dtype=F32)
        order = self.order(out_gids, out_scores)[:window]
        out_gids, out_scores = out_gids[order], out_scores[order]
        totals = self.counts(out_gids) if op.min_score is not None else child.totals
        score_of = dict(zip(out_gids.tolist(), out_scores.tolist()))

        def explain(gid: int) -> dict[str, Any] | None:
            return op.explained(score_of[gid], child.explain(gid)) if gid in score_of else None

        return Merged(out_gids, out_scores, totals, child.matched, explain)

    @staticmethod
    def _keep_child_order(child: Merged, min_score: float | None) -> Merged:
        """``allow_rerank_failures``: the child's window in its own order and scores."""
        scores = child.scores.astype(F32).copy()
        for i in np.flatnonzero(np.isnan(scores)):
            scores[i] = F32(1.0 / (i + 1))
        keep = np.ones(scores.size, dtype=bool) if min_score is None else scores >= F32(min_score)
        return Merged(child.gids[keep], scores[keep], child.totals, child.matched)


@dataclass
class Explainer:
    """The explanations of a compound's hits over several indices: each index's fetch knows only its own
    documents, so the page's hits get theirs from the coordinator's ranking (children explained by the
    leaf runs on each document's own index), in the format one index gives."""

    gids: dict[tuple[str, str], int]
    explain: Callable[[int], dict[str, Any] | None]
    reranked: bool

    def explain_hits(self, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for hit in page:
            gid = self.gids.get((hit["_index"], hit["_id"]))
            main = self.explain(gid) if gid is not None else None
            if main is None:
                out.append(hit)
                continue
            score = float(hit["_score"])
            out.append({**hit, "_explanation": reranked_root_explanation(main, score) if self.reranked else main})
        return out


def seed(
    prepared: Sequence[PreparedSearch | None], page_end: int, embed: Embedder | None, inference: Reranker | None
) -> Explainer | None:
    """Rank the request's compound retriever over every planned index and hand each index's plan its
    share of the first ``page_end`` documents as its already computed root (scores, ``hits.total``
    contribution and matched documents for aggregations). With ``explain``: what explains those hits."""
    ready = [p for p in prepared if p is not None]
    if not ready:
        return None
    request = ready[0].request
    targets = [TargetIndex.of(p.plan.searcher, p.shard.settings.default_field) for p in ready]
    tree = expand_over_indices(request.retriever, targets)
    coordinator = Coordinator(ready, embed, inference)
    merged = coordinator.rank(tree, request.from_ + request.size, request.min_score)
    top = merged.head(page_end)
    positions, docs = coordinator.locate(top.gids)
    for position, p in enumerate(ready):
        here = positions == position
        mine = docs[here].astype(np.int32)
        ranked = Ranked(
            docs=mine,
            scores=top.scores[here],
            total=merged.totals[position],
            matched=merged.matched[position],
            fused=True,
        )
        if p.ctx.ready is None:
            p.ctx.ready = {}
        p.ctx.ready[id(p.plan.root)] = ranked
    if not request.explain:
        return None
    ids = {
        (ready[position].shard.name, ready[position].plan.searcher.ids[doc]): gid
        for gid, position, doc in zip(top.gids.tolist(), positions.tolist(), docs.tolist())
    }
    return Explainer(ids, merged.explain, isinstance(tree, TextSimilarityReranker))


__all__ = ["Coordinator", "Explainer", "Merged", "check_tree", "is_compound", "seed"]
