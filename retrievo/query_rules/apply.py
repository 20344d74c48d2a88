"""What a search's rulesets do to it (``QueryRule.applyRule``, ``AppliedQueryRules``): the documents to
pin and the documents to exclude.

Every rule of every ruleset named (in the order named, each ruleset in its priority order) that matches
``match_criteria`` adds its documents to the pinned or the excluded list; each list keeps the first
occurrence of a document (``(index, id)``: an ``ids`` entry and a ``docs`` entry naming the same id are
two documents). A document both pinned and excluded is excluded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from retrievo.query_rules.models import QueryRule, QueryRuleset

#: One document a rule names: ``(index, id)``, ``index`` ``None`` for any index.
Doc = tuple[str | None, str]


@dataclass(frozen=True)
class AppliedRules:
    pinned: tuple[Doc, ...] = ()
    excluded: tuple[Doc, ...] = ()


def matching_rules(ruleset: QueryRuleset, match_criteria: Mapping[str, Any]) -> list[QueryRule]:
    """The ruleset's rules that match, in its order (``_test`` lists these)."""
    return [rule for rule in ruleset.rules if rule.matches(match_criteria)]


def _distinct(docs: list[Doc]) -> tuple[Doc, ...]:
    return tuple(dict.fromkeys(docs))


def apply_rulesets(rulesets: Sequence[QueryRuleset], match_criteria: Mapping[str, Any]) -> AppliedRules:
    """The pinned and excluded documents of every matching rule, each list without repeats."""
    pinned: list[Doc] = []
    excluded: list[Doc] = []
    for ruleset in rulesets:
        for rule in matching_rules(ruleset, match_criteria):
            (pinned if rule.type == "pinned" else excluded).extend(rule.documents())
    return AppliedRules(_distinct(pinned), _distinct(excluded))
