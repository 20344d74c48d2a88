"""Physical operators: what a plan executes, one small class per step.

An operator knows its children, prints its parameters (``describe``) and runs (``run``) against an
:class:`ExecContext`. Scoring operators yield :class:`Matches`; ranking operators yield
:class:`Ranked`. The tree prints itself, which is what ``engine.plan(...)`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from retrievo.index.searcher import Searcher
from retrievo.planner.lucene_query import LQuery
from retrievo.planner.ranked import Matches, Ranked, top_k_by_score
from retrievo.planner.scoring import Evaluator
from retrievo.planner.sorting import sort_candidates
from retrievo.retrievers.knn import KnnSearch
from retrievo.retrievers.sort import SortField


#: Turns (inference endpoint id, text) into a query vector; supplied by the engine.
Embedder = Callable[[str, str], np.ndarray]


@dataclass
class ExecContext:
    searcher: Searcher
    evaluator: Evaluator
    embed: Embedder | None = None
    #: The inference registry (rerank endpoints); supplied by the engine.
    inference: Any = None
    #: Collects per-operator timings and counts when the search asked for ``profile``
    #: (a :class:`retrievo.planner.profile.ProfileCollector`); ``None`` costs nothing.
    profiler: Any = None
    #: Results computed ahead of the plan's own run, by operator identity (``id(op)``): a multi-search
    #: runs every plan up to its rerank stage first, then finishes it without running anything twice.
    ready: dict[int, Any] | None = None
    #: Results of operators shared by several parents (the ``share_subtrees`` rule), computed once
    #: per search (a :class:`retrievo.planner.children.OnceResults`); ``None`` when nothing is shared.
    once: Any = None


class Operator:
    name: str = "Operator"
    #: Whether the operator reads the index itself (its input is every live document) rather than
    #: its children's output; the profile's ``documents in`` depends on it.
    scans_index: bool = False

    def execute(self, ctx: ExecContext) -> Any:
        """The one entry point for running an operator: the plan runs its root and every parent runs
        its children through it (never through :meth:`run`), so profiling and results computed ahead
        of time apply to every step. With neither asked for it is just ``run``."""
        if ctx.ready is not None:
            done = ctx.ready.get(id(self))
            if done is not None:
                return done
        if ctx.profiler is None:
            return self.run(ctx)
        return ctx.profiler.record(self, ctx)

    def children(self) -> tuple["Operator", ...]:
        return ()

    def describe(self) -> dict[str, Any]:
        return {}

    def run(self, ctx: ExecContext) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self, indent: int = 0) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.describe().items())
        line = "  " * indent + (f"{self.name}({params})" if params else self.name)
        return "\n".join([line] + [c.render(indent + 1) for c in self.children()])

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.name, **{k: str(v) for k, v in self.describe().items()},
                "children": [c.to_dict() for c in self.children()]}


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
        from retrievo.planner.vector_search import run_vector_search
        docs, scores = run_vector_search(ctx, self.search, self.filters)
        ctx.evaluator.precomputed[self.slot] = (docs, scores)
        return docs, scores


@dataclass
class Bm25Score(Operator):
    """Scores every document against a rewritten Lucene query (BM25 leaves, boolean combinators).

    ``inputs`` are kNN searches whose hits the query adds as clauses (top-level ``knn``); they run first.
    """
    query: LQuery
    inputs: tuple[VectorSearch, ...] = ()
    name: str = "Bm25Score"
    scans_index = True

    def children(self) -> tuple[Operator, ...]:
        return self.inputs

    def describe(self) -> dict[str, Any]:
        return {"query": str(self.query)}

    def run(self, ctx: ExecContext) -> Matches:
        for op in self.inputs:
            op.execute(ctx)
        mask, scores = ctx.evaluator.evaluate(self.query).dense(ctx.searcher.max_doc)
        return Matches(mask=mask & ctx.searcher.live, scores=scores)


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


@dataclass
class ConstantScore(Operator):
    """No query: every live document matches with a constant score (1, or 0 next to filters)."""
    score: float
    name: str = "MatchAll"
    scans_index = True

    def describe(self) -> dict[str, Any]:
        return {"score": self.score}

    def run(self, ctx: ExecContext) -> Matches:
        live = ctx.searcher.live
        return Matches(mask=live.copy(), scores=np.where(live, np.float32(self.score), np.float32(0)))


@dataclass
class Filter(Operator):
    """Keeps documents matching every filter; filters never change scores."""
    child: Operator
    filters: tuple[LQuery, ...]
    name: str = "Filter"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"filters": "[" + ", ".join(str(f) for f in self.filters) + "]"}

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        mask = m.mask.copy()
        for f in self.filters:
            mask &= ctx.evaluator.mask(f)
        return Matches(mask=mask, scores=m.scores)


@dataclass
class MinScore(Operator):
    child: Operator
    min_score: float
    name: str = "MinScore"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"min_score": self.min_score}

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        return Matches(mask=m.mask & (m.scores >= np.float32(self.min_score)), scores=m.scores)


@dataclass
class TerminateAfter(Operator):
    """Stops collecting after N matching documents in index order, as a single shard does."""
    child: Operator
    limit: int
    name: str = "TerminateAfter"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"terminate_after": self.limit}

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        hits = np.flatnonzero(m.mask)
        if hits.size <= self.limit:
            return m
        mask = np.zeros_like(m.mask)
        mask[hits[: self.limit]] = True
        return Matches(mask=mask, scores=m.scores, terminated_early=True)


@dataclass
class TopDocs(Operator):
    """The best ``k`` matches by score (or by ``sort``), with the total count of matches."""
    child: Operator
    k: int
    sort: tuple[SortField, ...] = ()
    search_after: tuple[Any, ...] | None = None
    name: str = "TopDocs"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"k": self.k}
        if self.sort:
            out["sort"] = "[" + ", ".join(f"{s.field} {s.order}" for s in self.sort) + "]"
        if self.search_after is not None:
            out["search_after"] = list(self.search_after)
        return out

    def run(self, ctx: ExecContext) -> Ranked:
        m: Matches = self.child.execute(ctx)
        total = int(m.mask.sum())
        if not self.sort and self.search_after is None:
            docs, scores = top_k_by_score(m.mask, m.scores, self.k)
            return Ranked(docs=docs, scores=scores, total=total, terminated_early=m.terminated_early,
                          matched=m.mask)
        specs = self.sort or (SortField(field="_score", order="desc"),)
        cand = np.flatnonzero(m.mask).astype(np.int32)
        order, values = sort_candidates(ctx.searcher, specs, cand, m.scores[cand], self.search_after)
        order, values = order[: self.k], values[: self.k]
        by_field = bool(self.sort) and any(s.field != "_score" for s in self.sort)
        return Ranked(docs=cand[order], scores=m.scores[cand[order]], total=total, sort_values=values,
                      sorted_by_field=by_field, terminated_early=m.terminated_early, matched=m.mask)


@dataclass
class Page(Operator):
    """``from``/``size`` over the ranked list (hits beyond the list are simply absent)."""
    child: Operator
    from_: int
    size: int
    name: str = "Page"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"from": self.from_, "size": self.size}

    def run(self, ctx: ExecContext) -> Ranked:
        r: Ranked = self.child.execute(ctx)
        sl = slice(self.from_, self.from_ + self.size)
        return Ranked(docs=r.docs[sl], scores=r.scores[sl], total=r.total,
                      sort_values=r.sort_values[sl] if r.sort_values is not None else None,
                      sorted_by_field=r.sorted_by_field, terminated_early=r.terminated_early, fused=r.fused)


@dataclass
class NamedQueries:
    """Named sub-queries (``_name``) whose matches are reported per hit as ``matched_queries``."""
    names: tuple[tuple[str, LQuery], ...] = field(default=())

    def matched(self, ctx: ExecContext, docs: np.ndarray) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for name, q in self.names:
            mask = ctx.evaluator.mask(q)
            for d in docs.tolist():
                if mask[d]:
                    out.setdefault(d, []).append(name)
        return out
