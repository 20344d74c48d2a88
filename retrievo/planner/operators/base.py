"""The operator contract and the run context every operator executes against.

An operator knows its children, prints its parameters (``describe``) and runs (``run``) against an
:class:`ExecContext`. Scoring operators yield :class:`Matches`; ranking operators yield
:class:`Ranked`. The tree prints itself, which is what ``engine.plan(...)`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from retrievo.index.searcher import Searcher
from retrievo.lucene.scoring import Evaluator


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
