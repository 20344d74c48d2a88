"""What plan rules read and return: the operator tree with what the planner knows about it.

A physical rule is a pure function ``PhysicalPlan -> PhysicalPlan``; the fields besides ``root`` are
the facts rules hand to each other and to the plan view (which filters became shared bitsets, whether
query vectors are shared, which rules actually changed something).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from retrievo.index.searcher import Searcher
from retrievo.inference.protocols import Reranker
from retrievo.lucene.query import LQuery
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.base import Operator
from retrievo.planner.operators.query import NamedQueries
from retrievo.retrievers import SearchRequest
from retrievo.retrievers.knn import KnnSearch


@dataclass(frozen=True)
class RuleEnv:
    """Read-only facts a rule may consult: the request, the index snapshot, the inference registry."""

    request: SearchRequest
    searcher: Searcher
    inference: Reranker | None = None

    @property
    def explaining(self) -> bool:
        """``explain: true`` prints filters and nesting as Elasticsearch does, so rules that would
        change an explanation's wording leave the plan alone."""
        return bool(self.request.explain)


@dataclass(frozen=True)
class PhysicalPlan:
    root: Operator
    named: NamedQueries
    #: kNN searches by evaluator slot (their ``k`` bounds a ``KnnHits`` clause's matches).
    searches: dict[int, KnnSearch] = field(default_factory=dict)
    #: Filters evaluated once into a bitset that several operators share (``share_filter_bitsets``).
    bitsets: tuple[LQuery, ...] = ()
    #: Query vectors are computed once per (endpoint, text) per search (``share_query_vectors``).
    share_vectors: bool = False
    #: Operators that several parents share (``share_subtrees``): run once per search.
    shared: int = 0
    #: Some fusion runs its branches on threads (``parallel_branches``): model calls are serialised.
    parallel: bool = False
    #: What each rule changed, in one line, for the plan view.
    notes: dict[str, str] = field(default_factory=dict)

    @cached_property
    def ops(self) -> tuple[Operator, ...]:
        """Every distinct operator, in pre-order (computed once per plan value; rules that change
        nothing pass the same plan on, so one walk serves them all)."""
        return tuple(walk(self.root))

    @cached_property
    def has_compound(self) -> bool:
        """Whether any operator ranks its children into a window of its own -- fuses or reranks them
        (most rules have nothing to do otherwise)."""
        return any(op.window is not None for op in self.ops)

    def replace(self, **changes: Any) -> PhysicalPlan:
        new = dataclasses.replace(self, **changes)
        if new.root is self.root:  # the same tree: keep what was computed about it
            for name in ("ops", "has_compound"):
                if name in self.__dict__:
                    new.__dict__[name] = self.__dict__[name]
        return new

    def noted(self, rule: str, note: str, **changes: Any) -> PhysicalPlan:
        return self.replace(notes={**self.notes, rule: note}, **changes)
