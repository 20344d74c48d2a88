"""Elasticsearch's query rules (x-pack ent-search): rulesets of ``pinned``/``exclude`` rules, matched
against a search's ``match_criteria`` by the ``rule`` query and the ``rule`` retriever.

``criteria`` holds the matching of each criteria type as pure functions, ``models`` the ruleset and rule
objects with Elasticsearch's validation, ``store`` the rulesets the catalog keeps (and persists), and
``apply`` what a set of rulesets does to one search: the documents to pin and to exclude.
"""

from retrievo.query_rules.apply import AppliedRules, apply_rulesets
from retrievo.query_rules.models import QueryRule, QueryRuleset
from retrievo.query_rules.store import RulesetStore

__all__ = ["AppliedRules", "QueryRule", "QueryRuleset", "RulesetStore", "apply_rulesets"]
