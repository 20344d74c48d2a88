"""Lucene's own query rewrites, one per module, in one named, ordered tuple.

Elasticsearch scores the rewritten tree, so these are part of exact scoring rather than optional
optimisations. Each can still be switched off by name (``Plan.explain(**{name: False})``) to see what
it does. :mod:`retrievo.lucene.rewrite` drives them to a fixpoint as ``IndexSearcher.rewrite`` does.
"""

from __future__ import annotations

from types import ModuleType

from retrievo.lucene.rules import (
    collapse_boosts,
    dismax_rewrite,
    flatten_disjunctions,
    merge_duplicate_clauses,
    unwrap_single_clause,
)

QUERY_RULES: tuple[ModuleType, ...] = (
    unwrap_single_clause,
    collapse_boosts,
    dismax_rewrite,
    merge_duplicate_clauses,
    flatten_disjunctions,
)
QUERY_RULE_NAMES: tuple[str, ...] = tuple(r.NAME for r in QUERY_RULES)
