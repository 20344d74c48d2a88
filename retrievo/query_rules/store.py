"""The rulesets the catalog keeps (Elasticsearch keeps them in the ``.query-rules`` system index).

Every change is handed to :attr:`RulesetStore.on_change` (the catalog persists it in the data
directory's manifest) before it takes effect: if that raises, nothing changed. Errors are
Elasticsearch's: a missing ruleset is ``resource_not_found_exception`` whose reason is its id; a missing
rule ``rule id R not found in ruleset S``; a ruleset over ``xpack.applications.rules.max_rules_per_ruleset``
rules (100) is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from retrievo.errors import ApiError, illegal_argument, not_found
from retrievo.query_rules.models import QueryRule, QueryRuleset, parse_ruleset, sorted_rules

#: ``xpack.applications.rules.max_rules_per_ruleset`` (its default).
MAX_RULES_PER_RULESET = 100
MAX_RULES_SETTING = "xpack.applications.rules.max_rules_per_ruleset"


def ruleset_not_found(ruleset_id: str) -> ApiError:
    return not_found("resource_not_found_exception", ruleset_id)


def rule_not_found(ruleset_id: str, rule_id: str) -> ApiError:
    return not_found("resource_not_found_exception", f"rule id {rule_id} not found in ruleset {ruleset_id}")


def _check_size(ruleset: QueryRuleset) -> None:
    if len(ruleset.rules) > MAX_RULES_PER_RULESET:
        raise illegal_argument(
            f"The number of rules in a ruleset cannot exceed [{MAX_RULES_PER_RULESET}]."
            f"This maximum can be set by changing the [{MAX_RULES_SETTING}] setting."
        )


class RulesetStore:
    """Rulesets by id, safe across request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rulesets: dict[str, QueryRuleset] = {}
        #: Called with every ruleset's definition by id before a change takes effect; if it raises, the
        #: change is not made.
        self.on_change: Callable[[dict[str, Any]], None] | None = None

    def _commit(self, after: dict[str, QueryRuleset]) -> None:
        """Persist ``after`` (caller holds the lock), then make it the state."""
        if self.on_change is not None:
            self.on_change({rid: r.to_json() for rid, r in after.items()})
        self._rulesets = after

    def get(self, ruleset_id: str) -> QueryRuleset:
        ruleset = self._rulesets.get(ruleset_id)
        if ruleset is None:
            raise ruleset_not_found(ruleset_id)
        return ruleset

    def get_rule(self, ruleset_id: str, rule_id: str) -> QueryRule:
        for rule in self.get(ruleset_id).rules:
            if rule.id == rule_id:
                return rule
        raise rule_not_found(ruleset_id, rule_id)

    def put(self, ruleset: QueryRuleset) -> bool:
        """Create or replace ``ruleset``; whether it was created."""
        _check_size(ruleset)
        with self._lock:
            created = ruleset.id not in self._rulesets
            self._commit({**self._rulesets, ruleset.id: ruleset})
            return created

    def put_rule(self, ruleset_id: str, rule: QueryRule) -> bool:
        """Add or replace one rule (a replaced rule moves to the end before the priority sort), creating
        the ruleset if it is missing; whether the rule was created."""
        with self._lock:
            current = self._rulesets.get(ruleset_id)
            before = current.rules if current is not None else ()
            created = all(r.id != rule.id for r in before)
            ruleset = QueryRuleset(ruleset_id, sorted_rules([r for r in before if r.id != rule.id] + [rule]))
            _check_size(ruleset)
            self._commit({**self._rulesets, ruleset_id: ruleset})
            return created

    def delete(self, ruleset_id: str) -> None:
        with self._lock:
            if ruleset_id not in self._rulesets:
                raise ruleset_not_found(ruleset_id)
            self._commit({k: v for k, v in self._rulesets.items() if k != ruleset_id})

    def delete_rule(self, ruleset_id: str, rule_id: str) -> None:
        """Remove one rule; a ruleset left without rules is deleted."""
        with self._lock:
            ruleset = self.get(ruleset_id)
            if all(r.id != rule_id for r in ruleset.rules):
                raise rule_not_found(ruleset_id, rule_id)
            rest = tuple(r for r in ruleset.rules if r.id != rule_id)
            after = {k: v for k, v in self._rulesets.items() if k != ruleset_id}
            if rest:
                after[ruleset_id] = QueryRuleset(ruleset_id, rest)
            self._commit(after)

    def all(self) -> list[QueryRuleset]:
        """Every ruleset, by id ascending (how the list API sorts them)."""
        rulesets = dict(self._rulesets)
        return [rulesets[k] for k in sorted(rulesets)]

    def definitions(self) -> dict[str, Any]:
        return {rid: r.to_json() for rid, r in self._rulesets.items()}

    def restore(self, definitions: Iterable[tuple[str, Any]]) -> None:
        """Load saved definitions (every one parsed before any is kept; a bad one raises)."""
        parsed = {rid: parse_ruleset(rid, {"rules": body["rules"]}) for rid, body in definitions}
        with self._lock:
            self._rulesets = {**self._rulesets, **parsed}
