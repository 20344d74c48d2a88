"""The synonyms sets the catalog keeps (Elasticsearch keeps them in the ``.synonyms`` system index).

Every change is handed to :attr:`SynonymsStore.on_change` (the catalog persists it in the data
directory's manifest) before it takes effect: if that raises, nothing changed. Rules are kept and
listed by id (the order Elasticsearch's retrieval sorts them in); sets are listed by id. Errors are
Elasticsearch's: a missing set or rule is ``resource_not_found_exception``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from retrievo.errors import ApiError, not_found
from retrievo.synonyms.models import SynonymRule, new_rule_id

Sets = dict[str, dict[str, SynonymRule]]


def set_not_found(set_id: str) -> ApiError:
    return not_found("resource_not_found_exception", f"synonyms set [{set_id}] not found")


def rule_not_found(set_id: str, rule_id: str) -> ApiError:
    return not_found("resource_not_found_exception", f"synonym rule [{rule_id}] not found")


class SynonymsStore:
    """Synonyms sets by id, each its rules by id; safe across request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: Sets = {}
        #: Called with every set's definition before a change takes effect; if it raises, no change.
        self.on_change: Callable[[dict[str, Any]], None] | None = None
        #: The node named in ``reloaded_node_ids`` (one node: this process).
        self.node_id = new_rule_id()

    @staticmethod
    def _definitions(sets: Sets) -> dict[str, Any]:
        return {sid: [r.to_json() for _, r in sorted(rules.items())] for sid, rules in sets.items()}

    def _commit(self, after: Sets) -> None:
        if self.on_change is not None:
            self.on_change(self._definitions(after))
        self._sets = after

    # ------------------------------------------------------------------ reads
    def exists(self, set_id: str) -> bool:
        return set_id in self._sets

    def rules(self, set_id: str) -> list[SynonymRule]:
        """A set's rules by id (``resource_not_found_exception`` when missing)."""
        found = self._sets.get(set_id)
        if found is None:
            raise set_not_found(set_id)
        return [found[k] for k in sorted(found)]

    def rule_lines(self, set_id: str) -> list[str] | None:
        """The Solr lines a synonym filter reads (None: no such set)."""
        found = self._sets.get(set_id)
        return None if found is None else [found[k].synonyms for k in sorted(found)]

    def rule(self, set_id: str, rule_id: str) -> SynonymRule:
        found = self._sets.get(set_id)
        if found is None:
            raise set_not_found(set_id)
        rule = found.get(rule_id)
        if rule is None:
            raise rule_not_found(set_id, rule_id)
        return rule

    def counts(self) -> list[tuple[str, int]]:
        """Every set with its number of rules, by set id."""
        sets = dict(self._sets)
        return [(sid, len(sets[sid])) for sid in sorted(sets)]

    def definitions(self) -> dict[str, Any]:
        return self._definitions(self._sets)

    # ------------------------------------------------------------------ writes
    def put_set(self, set_id: str, rules: Sequence[SynonymRule], *, append: bool = False) -> bool:
        """Create or replace a set (``append``: add to it, a rule of the same id replaced); whether it
        was created. A later rule with an id given earlier in the same request wins."""
        with self._lock:
            created = set_id not in self._sets
            merged = dict(self._sets.get(set_id, {})) if append else {}
            for rule in rules:
                merged[rule.id] = rule
            self._commit({**self._sets, set_id: merged})
            return created

    def put_rule(self, set_id: str, rule: SynonymRule) -> bool:
        """Add or replace one rule of an existing set; whether the rule was created."""
        with self._lock:
            current = self._sets.get(set_id)
            if current is None:
                raise set_not_found(set_id)
            created = rule.id not in current
            self._commit({**self._sets, set_id: {**current, rule.id: rule}})
            return created

    def delete_set(self, set_id: str) -> None:
        with self._lock:
            if set_id not in self._sets:
                raise set_not_found(set_id)
            self._commit({k: v for k, v in self._sets.items() if k != set_id})

    def delete_rule(self, set_id: str, rule_id: str) -> None:
        """Remove one rule; a set left without rules stays (empty)."""
        with self._lock:
            self.rule(set_id, rule_id)
            rest = {k: v for k, v in self._sets[set_id].items() if k != rule_id}
            self._commit({**self._sets, set_id: rest})

    def restore(self, definitions: Iterable[tuple[str, Any]]) -> None:
        """Load saved definitions (``{set_id: [{"id", "synonyms"}, ...]}``); a malformed one raises."""
        parsed: Sets = {}
        for set_id, rules in definitions:
            if not isinstance(rules, list):
                raise TypeError(f"synonyms set [{set_id}] must be a list of rules")
            parsed[str(set_id)] = {str(r["id"]): SynonymRule(str(r["id"]), str(r["synonyms"])) for r in rules}
        with self._lock:
            self._sets = {**self._sets, **parsed}
