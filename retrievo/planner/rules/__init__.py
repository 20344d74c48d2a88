"""Rewrite rules, one per module, in two named, ordered tuples.

``QUERY_RULES`` are Lucene's own query rewrites (they live with the query engine, in
:mod:`retrievo.lucene.rules`): Elasticsearch scores the rewritten tree, so they are part of exact
scoring rather than optional optimisations. Each can still be switched off by name
(``Plan.explain(**{name: False})``) to see what it does.

``PLAN_RULES`` rewrite the plan around the queries: where filters are evaluated, which sub-trees and
query vectors are computed once, how many results a child hands to its parent, which branches run on
threads. None of them changes a search's results; each has a test that shows the plan before and
after and a test that results are identical with the rule off. A plan rule module has ``NAME``,
``STAGE`` (``"logical"``: a function of the retriever AST, applied before operators are planned;
``"physical"``: a function of the :class:`~retrievo.planner.physical_plan.PhysicalPlan`) and
``apply``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from retrievo.errors import illegal_argument
from retrievo.lucene.rules import QUERY_RULE_NAMES, QUERY_RULES
from retrievo.planner.rules import (
    flatten_single_child_rrf,
    parallel_branches,
    prune_top_k,
    prune_windows,
    push_down_filters,
    share_filter_bitsets,
    share_query_vectors,
    share_subtrees,
    simplify_filters,
)

__all__ = [
    "PLAN_RULES",
    "PLAN_RULE_NAMES",
    "QUERY_RULES",
    "QUERY_RULE_NAMES",
    "RULE_NAMES",
    "check_rule_names",
    "disabled_rules",
]

PLAN_RULES: tuple[ModuleType, ...] = (
    push_down_filters,
    flatten_single_child_rrf,
    simplify_filters,
    share_filter_bitsets,
    share_subtrees,
    prune_windows,
    share_query_vectors,
    parallel_branches,
    prune_top_k,
)
PLAN_RULE_NAMES: tuple[str, ...] = tuple(r.NAME for r in PLAN_RULES)

RULE_NAMES: tuple[str, ...] = QUERY_RULE_NAMES + PLAN_RULE_NAMES


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def check_rule_names(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` as a tuple, or an ``illegal_argument`` error naming the first unknown one."""
    names = tuple(names)
    for name in names:
        if name not in RULE_NAMES:
            raise illegal_argument(f"unknown rule [{name}], expected one of [{', '.join(RULE_NAMES)}]")
    return names


def disabled_rules(
    optimized: Any = None, switches: Mapping[str, Any] | None = None, current: Iterable[str] = ()
) -> tuple[str, ...]:
    """The rules switched off by ``explain(optimized, **switches)``, in rule order.

    The base is the ``current`` set of disabled rules when ``optimized`` is ``None``, every rule on
    when it is true and every rule off when it is false (as Polars' ``explain(optimized=False)``);
    each switch then turns one rule on or off by name.
    """
    switches = dict(switches or {})
    check_rule_names(switches)
    on = {name: _as_bool(name, value) for name, value in switches.items()}
    if optimized is None:
        off = set(current)
        base = {n: n not in off for n in RULE_NAMES}
    else:
        everything = _as_bool("optimized", optimized)
        base = {n: everything for n in RULE_NAMES}
    return tuple(n for n in RULE_NAMES if not on.get(n, base[n]))
