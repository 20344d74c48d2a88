"""Rewrite rules, one per module, applied in the fixed order of ``QUERY_RULES``.

``QUERY_RULES`` are Lucene's own query rewrites: Elasticsearch scores the rewritten tree, so they
are part of exact scoring rather than optional optimisations. Each can still be switched off by name
(``Plan.explain(**{name: False})``) to see what it does.
"""

from __future__ import annotations

from types import ModuleType

from retrievo.planner.rules import (
    collapse_boosts, dismax_rewrite, flatten_disjunctions, merge_duplicate_clauses, unwrap_single_clause,
)

QUERY_RULES: tuple[ModuleType, ...] = (
    unwrap_single_clause, collapse_boosts, dismax_rewrite, merge_duplicate_clauses, flatten_disjunctions,
)
QUERY_RULE_NAMES: tuple[str, ...] = tuple(r.NAME for r in QUERY_RULES)
