"""The operator contract and the run context every operator executes against.

An operator knows its children, prints its parameters (``describe``) and runs (``run``) against an
:class:`ExecContext`. Scoring operators yield :class:`Matches`; ranking operators yield
:class:`Ranked`. The tree prints itself, which is what ``engine.plan(...)`` shows.

Operators are immutable once planned: ``run`` never assigns to the operator. What a run learns on the way
(fused ranks, the texts a reranker sent, kNN hits) goes into the context's :class:`RunTrace` and fields,
which is what lets one plan run on many threads at once and be kept for reuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from retrievo.index.searcher import Searcher
from retrievo.inference.protocols import Embedder, Reranker
from retrievo.lucene.query import LQuery
from retrievo.lucene.scoring import Evaluator
from retrievo.lucene.shard_scoring import ShardedEvaluator
from retrievo.planner.costs import Estimate
from retrievo.retrievers.retriever import Retriever

if TYPE_CHECKING:
    from retrievo.planner.children import OnceResults
    from retrievo.planner.costs import CostModel
    from retrievo.planner.parallel import Fanout

__all__ = ["Embedder", "ExecContext", "Operator", "Origin", "PlannedFields", "Profiler", "Reranker", "RunTrace"]

R = TypeVar("R")


class Profiler(Protocol):
    """Something that runs an operator on the plan's behalf and watches it (timings, usage, results):
    :class:`retrievo.planner.profile.ProfileCollector`, or ES|QL's result capture."""

    def record(self, op: Operator, ctx: ExecContext) -> Any: ...


class RunTrace:
    """What operators noted about one run for whoever reads it afterwards (``explain``, ES|QL's rerank
    column, a notebook): fused ranks and scores, the texts a reranker sent and what its model call cost.

    Entries are keyed by operator identity. Operators are value-equal dataclasses (two equal subtrees
    compare equal but are distinct runs), so identity is the key, not equality; the trace keeps each
    operator alive so its id stays its own for as long as the trace lives. Each operator writes only its
    own entry, and a dict item assignment is atomic, so branches running on threads need no lock.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[Operator, Any]] = {}

    def __setitem__(self, op: Operator, record: Any) -> None:
        self._entries[id(op)] = (op, record)

    def __getitem__(self, op: Operator) -> Any:
        """The operator's record; ``KeyError`` when it did not run (or has nothing to note)."""
        return self._entries[id(op)][1]

    def __contains__(self, op: object) -> bool:
        return id(op) in self._entries

    def of(self, op: Operator, kind: type[R]) -> R | None:
        """The operator's record when it ran and noted a ``kind``; ``None`` otherwise."""
        entry = self._entries.get(id(op))
        return entry[1] if entry is not None and isinstance(entry[1], kind) else None


@dataclass
class ExecContext:
    """Everything one run of a plan reads and writes. A plan and its operators never change while they
    run; a run's own numbers live here, so one plan can run on many threads at once, each with its own
    context (:meth:`retrievo.planner.plan.Plan.context`)."""

    searcher: Searcher
    embed: Embedder | None = None
    #: The rerank endpoints' side of the inference registry; supplied by the engine.
    inference: Reranker | None = None
    #: Collects per-operator timings and counts when the search asked for ``profile``; ``None`` costs nothing.
    profiler: Profiler | None = None
    #: Results computed ahead of the plan's own run, by operator identity (``id(op)``): a multi-search
    #: runs every plan up to its rerank stage first, then finishes it without running anything twice.
    ready: dict[int, Any] | None = None
    #: Results of operators shared by several parents (the ``share_subtrees`` rule), computed once
    #: per search; ``None`` when nothing is shared.
    once: OnceResults | None = None
    #: The hits of each kNN search of the run, by the slot the planner gave it, as (docs, scores): what
    #: the query tree's ``KnnHitsQ`` clauses score and what ``explain`` shows for a kNN hit.
    knn_hits: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: Per-operator records of this run (see :class:`RunTrace`).
    trace: RunTrace = field(default_factory=RunTrace)
    #: The plan's scoring queries compiled on each shard (``PlanningContext.shard_variants``).
    shard_variants: Mapping[int, tuple[LQuery, tuple[LQuery, ...]]] = field(default_factory=dict)
    #: The run's query evaluator: its memo holds every score the run computed (``explain`` reads them).
    evaluator: Evaluator = field(init=False)

    def __post_init__(self) -> None:
        if self.searcher.shard_views:  # per-shard statistics (lucene/shard_scoring.py)
            self.evaluator = ShardedEvaluator(self.searcher, self.knn_hits, self.shard_variants)
        else:
            self.evaluator = Evaluator(self.searcher, self.knn_hits)


@dataclass(frozen=True)
class Origin:
    """The retriever an operator executes, as the planner attaches it to the top operator of each
    retriever's chain (plan rules carry it along, and ``flatten_single_child_rrf`` extends it)."""

    #: The retriever planned, with the filters it inherited from its parents.
    retriever: Retriever
    #: The ``k`` it was planned for; ``None`` when it ranks into a window of its own (``own_window``).
    #: Two operators with equal ``retriever`` and ``k`` compute the same list (``share_subtrees``).
    k: int | None
    #: The node the logical plan shows for it: a child as written, before its parent's filters reached it.
    written_as: Retriever | None = None
    #: How a failing fusion names this child (its retriever kind); ``None`` outside a fusion.
    retriever_kind: str | None = None
    #: The single-child rrfs it was lifted out of, innermost first, as (kind, label): a failure is
    #: wrapped once for each, as those rrfs would have wrapped it.
    flattened_from: tuple[tuple[str, str], ...] = ()


@dataclass(kw_only=True, eq=False)
class PlannedFields:
    """What the planner and the plan rules decide about an operator besides its own parameters:
    keyword-only fields every operator inherits, set at construction or by ``dataclasses.replace``
    (operators are never changed once built)."""

    #: Set by the planner on the top operator of each retriever's chain; ``None`` below it.
    origin: Origin | None = None
    #: Set by ``share_subtrees``: several parents run this operator, so it runs once per search.
    shared: bool = False


class Operator(PlannedFields):
    """The operator contract. Plan rules, cost estimates, ``explain`` and the plan view read operators
    only through it, so none of them names an operator class; a new operator fills in what applies."""

    name: str = "Operator"
    #: Whether the operator reads the index itself (its input is every live document) rather than
    #: its children's output; the profile's ``documents in`` depends on it.
    scans_index: bool = False
    #: The window it ranks its children's results into (a fusion's or reranker's ``rank_window_size``),
    #: the operator-side twin of ``Retriever.own_window``; ``None`` for every other operator. Such an
    #: operator reads at most ``window`` of each child's results, and ``prune_windows`` may cut its output.
    window: int | None = None
    #: Hands up at most this many results (``prune_windows`` sets it on windowed operators;
    #: ``terminate_after`` is one too); ``None``: everything it computes.
    limit: int | None = None
    #: A :class:`retrievo.planner.parallel.Fanout` set by ``parallel_branches`` on a windowed operator
    #: with several children: they run on threads. ``None``: one after the other.
    fanout: Fanout | None = None
    #: Its filters choose what it may return before anything is scored (kNN pre-filters), rather than
    #: cut scored matches: they never show in an explanation, and a ``match_all`` among them filters nothing.
    prefilters: bool = False
    #: It does its work outside the GIL (FAISS, NumPy kernels, model calls), so it gains from a thread.
    releases_gil: bool = False

    @property
    def retriever_kind(self) -> str:
        """How a failing parent names this operator's retriever: the kind the planner labelled it with,
        else the operator's own name."""
        kind = self.origin.retriever_kind if self.origin is not None else None
        return kind if kind is not None else self.name

    def child_window(self) -> int | None:
        """How many of each child's results it reads; ``None``: all of them."""
        return self.window

    # ------------------------------------------------------------------ what plan rules rewrite
    def filter_queries(self) -> tuple[LQuery, ...]:
        """The filters it evaluates (as masks or as kNN pre-filters); rules simplify and share them."""
        return ()

    def with_filter_queries(self, filters: tuple[LQuery, ...]) -> Operator:
        raise TypeError(f"{self.name} has no filters")

    def scoring_query(self) -> LQuery | None:
        """The Lucene query it scores every document with, if any (equal ones are scored once)."""
        return None

    def with_scoring_query(self, query: LQuery) -> Operator:
        raise TypeError(f"{self.name} scores no query")

    def knn_slots(self) -> tuple[int, ...]:
        """The kNN searches it runs, by the slot where a query's ``KnnHitsQ`` clause finds their hits."""
        return ()

    def embeds(self) -> tuple[str, str] | None:
        """The (inference endpoint, text) it embeds into a query vector before it runs, if any."""
        return None

    # ------------------------------------------------------------------ estimates and explanations
    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        """What it is expected to take in and hand out, given its children's estimates (in child order)
        and the index statistics of ``costs``. By default it passes its inputs through."""
        inflow = sum(e.docs_out for e in inputs)
        return Estimate(inflow, inflow)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """Its part of ``doc``'s explanation, topped by ``score``, from what the run ``ctx`` recorded
        (children explain through :func:`retrievo.planner.explain.explain_child`); ``None`` when ``doc``
        is not among its results or it has nothing to explain."""
        return None

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        """The score it gave ``doc`` in the run ``ctx``: what its explanation's top value must equal when
        a parent explains it."""
        return 0.0

    # ------------------------------------------------------------------ profile (Elasticsearch's shape)
    def ranked_window(self, ctx: ExecContext) -> tuple[np.ndarray, np.ndarray] | None:
        """For a compound operator: the whole window it ranked in the run ``ctx`` (docs, scores), before a
        page limit cut it — Elasticsearch's rank docs are the whole window. ``None``: its output is all."""
        return None

    def rank_doc_strings(
        self, ctx: ExecContext, docs: list[int], scores: list[float], child_results: list[Any]
    ) -> list[str] | None:
        """Elasticsearch's ``RankDoc.toString`` of each ranked doc (rank order, ranks from 1), for a kind
        with a rank doc of its own (``RRFRankDoc``, ``TextSimilarityRankDoc``); ``None``: the plain
        ``RankDoc``. ``child_results`` are its children's results in the run, in child order."""
        return None

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

    def children(self) -> tuple[Operator, ...]:
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
        return {
            "operator": self.name,
            **{k: str(v) for k, v in self.describe().items()},
            "children": [c.to_dict() for c in self.children()],
        }
