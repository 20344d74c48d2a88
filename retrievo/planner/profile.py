"""``profile: true``: what a search cost, in Elasticsearch's ``profile`` shape.

Elasticsearch reports, per shard, the Lucene query tree of the final search with each node's wall time
and Lucene's timing breakdown; users and Elasticsearch's own tests read ``searches[].query`` that way.
So that is what ``query[0]`` holds here too (built by :mod:`retrievo.planner.lucene_profile` from the
operators that ran), and retrievo's executable tree -- its operators, each with its time, documents in
and out, model calls, pairs, tokens and cache hits -- is added beside it under ``retrievo_operators``
(one entry per operator with Elasticsearch's keys: ``type``, ``description``, ``time_in_nanos``,
``breakdown``, ``debug``, ``children``). See ``docs/profile.md`` for every key.

Collection goes through :meth:`retrievo.planner.operators.base.Operator.execute`: when the search asked
for a profile, the execution context carries a :class:`ProfileCollector`, and every operator run
(the root, and every child a parent runs) is timed and metered by :meth:`ProfileCollector.record`.
Inference usage is charged through :mod:`retrievo.inference.usage` to the operator whose own code
made the call, so a parent never counts its children's model calls; entries are keyed by operator,
so children run on other threads (parallel fusion) land in the right place.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from retrievo.inference.usage import UsageMeter, metering
from retrievo.planner.lucene_profile import (
    Measured,
    dfs_section,
    final_query_entry,
    knn_searches,
    legacy_rank_entry,
    section_knn_count,
)
from retrievo.planner.ranked import Matches, Ranked

if TYPE_CHECKING:
    from retrievo.planner.operators.base import ExecContext, Operator
    from retrievo.retrievers.search import SearchRequest

#: ``profile.shards[].node_id``: a single in-process node.
NODE_ID = "retrievo"
#: How the per-task usage keys read in ``debug`` (``inputs`` is pairs for rerank, texts for embedding).
_INPUT_NAME = {"rerank": "pairs", "text_embedding": "texts"}


@dataclass
class OperatorProfile:
    """What one operator's runs cost (an operator normally runs once per search)."""

    runs: int = 0
    nanos: int = 0  # wall time of its runs, children included
    documents_out: int = 0
    failed: int = 0  # runs that raised
    usage: UsageMeter = field(default_factory=UsageMeter)
    #: Its last ranked list (the Lucene view prints a compound retriever's rank docs from it).
    result: Ranked | None = None


def documents_of(result: Any) -> int:
    """How many documents an operator's result holds: the matches of a candidate set, the entries of
    a ranked list, the neighbours of a kNN search."""
    if isinstance(result, Ranked):
        return int(result.docs.size)
    if isinstance(result, Matches):
        return int(np.count_nonzero(result.mask))
    if isinstance(result, tuple) and result and isinstance(result[0], np.ndarray):
        return int(result[0].size)
    return 0


class ProfileCollector:
    """Per-operator timings, document counts and inference usage of one search execution."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_op: dict[int, OperatorProfile] = {}
        self._ops: list[Any] = []  # keeps operators alive so their ids stay theirs

    def record(self, op: Operator, ctx: ExecContext) -> Any:
        """Run ``op`` (its children go through their own ``record``), timing and metering it."""
        meter = UsageMeter()
        began = time.perf_counter_ns()
        result: Any = None
        ok = False
        try:
            with metering(meter):
                result = op.run(ctx)
            ok = True
            return result
        finally:
            elapsed = time.perf_counter_ns() - began
            out = documents_of(result) if ok else 0
            with self._lock:
                entry = self._entry(op)
                entry.runs += 1
                entry.nanos += elapsed
                entry.documents_out += out
                entry.failed += 0 if ok else 1
                entry.usage.merge(meter)
                if isinstance(result, Ranked):
                    entry.result = result

    def _entry(self, op: Any) -> OperatorProfile:
        entry = self._by_op.get(id(op))
        if entry is None:
            entry = self._by_op[id(op)] = OperatorProfile()
            self._ops.append(op)
        return entry

    def of(self, op: Any) -> OperatorProfile:
        """The operator's profile (empty when it never ran)."""
        with self._lock:
            return self._by_op.get(id(op)) or OperatorProfile()

    def measured(self, op: Operator) -> Measured:
        """The operator's time, documents out and ranked list, for the Lucene view of the profile."""
        prof = self.of(op)
        return Measured(prof.nanos, prof.documents_out, prof.result, prof.runs)

    # ------------------------------------------------------------------ the operator tree

    def query_entry(self, op: Operator, live_documents: int) -> dict[str, Any]:
        """The operator and its subtree as Elasticsearch query-profile entries."""
        prof = self.of(op)
        children = [self.query_entry(c, live_documents) for c in op.children()]
        child_nanos = sum(c["time_in_nanos"] for c in children)
        documents_in = live_documents if op.scans_index else sum(c["debug"]["documents_out"] for c in children)
        model_nanos = sum(u.model_nanos for u in prof.usage.tasks.values())
        model_calls = sum(u.model_calls for u in prof.usage.tasks.values())
        breakdown = {
            "execute": max(prof.nanos - child_nanos - model_nanos, 0),
            "execute_count": prof.runs,
            "inference": model_nanos,
            "inference_count": model_calls,
        }
        debug: dict[str, Any] = {"documents_in": documents_in, "documents_out": prof.documents_out}
        if prof.failed:
            debug["failed_runs"] = prof.failed
        for task, usage in prof.usage.tasks.items():
            detail = usage.as_dict()
            detail[_INPUT_NAME.get(task, "inputs")] = detail.pop("inputs")
            debug[task] = detail
        if prof.usage.endpoints:
            debug["inference_ids"] = list(prof.usage.endpoints)
        return {
            "type": op.name,
            "description": describe(op),
            "time_in_nanos": prof.nanos,
            "breakdown": breakdown,
            "debug": debug,
            "children": children,
        }


def describe(op: Operator) -> str:
    """The operator's parameters as the plan prints them (what Lucene's ``toString`` is to a query)."""
    params = op.describe()
    if set(params) == {"query"}:
        return str(params["query"])
    return ", ".join(f"{k}={v}" for k, v in params.items())


@dataclass
class FetchProfile:
    """The fetch phase: building the hits (``_source`` loading and filtering, explanations)."""

    nanos: int = 0
    hits: int = 0
    source_nanos: int = 0
    explain_nanos: int = 0
    explained: int = 0

    def to_json(self) -> dict[str, Any]:
        children = [
            {
                "type": "FetchSourcePhase",
                "description": "",
                "time_in_nanos": self.source_nanos,
                "breakdown": {
                    "process": self.source_nanos,
                    "process_count": self.hits,
                    "next_reader": 0,
                    "next_reader_count": 0,
                },
                "debug": {"fast_path": 0},
            }
        ]
        if self.explained:
            children.append(
                {
                    "type": "ExplainPhase",
                    "description": "",
                    "time_in_nanos": self.explain_nanos,
                    "breakdown": {
                        "process": self.explain_nanos,
                        "process_count": self.explained,
                        "next_reader": 0,
                        "next_reader_count": 0,
                    },
                }
            )
        return {
            "type": "fetch",
            "description": "",
            "time_in_nanos": self.nanos,
            "breakdown": {
                "load_stored_fields": 0,
                "load_stored_fields_count": 0,
                "load_source": self.source_nanos,
                "load_source_count": self.hits,
                "next_reader": 0,
                "next_reader_count": 0,
            },
            "debug": {"stored_fields": ["_id", "_routing", "_source"]},
            "children": children,
        }


@dataclass(frozen=True)
class SearchShape:
    """What of the request and index the Lucene view depends on besides the run itself."""

    #: The index has nested documents (``semantic_text`` chunks): Elasticsearch filters them out.
    has_nested: bool = False
    #: The request used the deprecated ``rank`` section (profiled as its legacy dfs + query phase).
    legacy_rank: bool = False
    #: The hits are sorted by a field (a field collector rather than a top-score one).
    sorted_by_field: bool = False
    #: How many kNN searches ran in Elasticsearch's ``dfs`` phase (:func:`section_knn_count`).
    dfs_knn: int = 0


def search_shape(request: SearchRequest, has_nested: bool, sorted_by_field: bool) -> SearchShape:
    """The :class:`SearchShape` of a parsed request on its index."""
    legacy = request.legacy_rank
    return SearchShape(has_nested, legacy, sorted_by_field, section_knn_count(request.retriever, legacy))


def shard_profile(
    index: str,
    root: Operator,
    collector: ProfileCollector,
    live_documents: int,
    plan_nanos: int,
    fetch: FetchProfile | None,
    ctx: ExecContext,
    shape: SearchShape = SearchShape(),
) -> dict[str, Any]:
    """One ``profile.shards[]`` entry: Elasticsearch's Lucene query tree of the final search as the
    query profile (:mod:`retrievo.planner.lucene_profile`), planning as ``rewrite_time``, the plan's
    execution as the top-hits collector, a ``dfs`` section for top-level kNN searches, the fetch phase;
    and, as retrievo's own addition, the operator tree that ran under ``retrievo_operators``."""
    operators = collector.query_entry(root, live_documents)
    measure = collector.measured
    if shape.legacy_rank:
        query = legacy_rank_entry(root, ctx, measure)
        searches = knn_searches(root)[-shape.dfs_knn :] if shape.dfs_knn else []
    else:
        query = final_query_entry(root, ctx, measure, shape.has_nested)
        searches = knn_searches(root)[: shape.dfs_knn]
    total = operators["time_in_nanos"]
    top_hits = "SimpleFieldCollector" if shape.sorted_by_field else "TopScoreDocCollector"
    shard: dict[str, Any] = {
        "id": f"[{NODE_ID}][{index}][0]",
        "node_id": NODE_ID,
        "shard_id": 0,
        "index": index,
        "cluster": "(local)",
        "searches": [
            {
                "query": [query],
                "rewrite_time": plan_nanos,
                "collector": [
                    {
                        "name": "QueryPhaseCollector",
                        "reason": "search_query_phase",
                        "time_in_nanos": total,
                        "children": [{"name": top_hits, "reason": "search_top_hits", "time_in_nanos": total}],
                    }
                ],
                "retrievo_operators": [operators],
            }
        ],
        "aggregations": [],
    }
    if searches:
        shard["dfs"] = dfs_section(searches, measure)
    if fetch is not None and fetch.hits:
        shard["fetch"] = fetch.to_json()
    return shard
