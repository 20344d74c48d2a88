"""Rulesets and rules (``QueryRuleset``, ``QueryRule``, ``QueryRuleCriteria``): parsed from their JSON with
Elasticsearch's object parsers' errors, printed back as ``GET`` answers them, and matched.

Facts carried over from Elasticsearch:

* A rule has a ``type`` (``pinned`` or ``exclude``), ``criteria`` (one object or an array), ``actions``
  (exactly one of ``ids`` or ``docs``, a non-empty list of at most 100) and an optional ``priority``
  (0 to 1,000,000). A ruleset keeps its rules sorted by priority, rules without one last, in the order
  given otherwise (a stable sort).
* A criterion has a ``type`` (see :mod:`retrievo.query_rules.criteria`), and unless it is ``always`` a
  ``metadata`` key and a non-empty ``values`` list; a numeric criterion's values must all read as numbers.
* A rule matches when every criterion whose ``metadata`` names a key of ``match_criteria`` (every
  ``always`` criterion, once per key) matches that key's value, and at least one criterion was asked.
* Constructor checks fail inside the object parser's build step: ``Failed to build [query_rule] after
  last required field arrived`` around the reason (an ``actions`` problem is a ``parse_exception``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from retrievo.errors import ApiError, error_cause, illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.objects import (
    OBJECT,
    OBJECT_ARRAY,
    STRING,
    STRING_ARRAY,
    Field,
    int_field,
    parse_array,
    parse_object,
)
from retrievo.json_copy import copy_json
from retrievo.query_rules import criteria as c

RULE_TYPES: tuple[str, ...] = ("exclude", "pinned")  # ``QueryRuleType`` in declaration order
MIN_PRIORITY, MAX_PRIORITY = 0, 1_000_000
#: ``QueryRule.MAX_NUM_DOCS_IN_RULE``.
MAX_DOCS_IN_RULE = 100


def _build_failure(parser: str, cause: dict[str, Any]) -> ApiError:
    """What ``ConstructingObjectParser`` makes of an exception thrown while building the object."""
    return x_content(f"Failed to build [{parser}] after last required field arrived", cause=cause)


def _illegal(reason: str) -> dict[str, Any]:
    return error_cause("illegal_argument_exception", reason)


@dataclass(frozen=True)
class Criterion:
    type: str
    metadata: str | None
    values: tuple[str, ...] | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.metadata is not None:
            out["metadata"] = self.metadata
        if self.values is not None:
            out["values"] = list(self.values)
        return out


@dataclass(frozen=True)
class QueryRule:
    id: str | None
    type: str
    criteria: tuple[Criterion, ...]
    #: The ``actions`` object as it was given (``GET`` answers it back).
    actions: Mapping[str, Any]
    priority: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.id,
            "type": self.type,
            "criteria": [x.to_json() for x in self.criteria],
            "actions": copy_json(dict(self.actions)),
        }
        if self.priority is not None:
            out["priority"] = self.priority
        return out

    def with_id(self, rule_id: str) -> QueryRule:
        return QueryRule(rule_id, self.type, self.criteria, self.actions, self.priority)

    def matches(self, match_criteria: Mapping[str, Any]) -> bool:
        """``QueryRule.isRuleMatch``: every criterion asked matches, and at least one was asked."""
        asked = False
        for criterion in self.criteria:
            for key, value in match_criteria.items():
                if criterion.type == "always" or criterion.metadata == key:
                    asked = True
                    if not c.criterion_matches(criterion.type, criterion.values or (), value):
                        return False
        return asked

    def documents(self) -> tuple[tuple[str | None, str], ...]:
        """The rule's documents as ``(index or None, id)``: ``ids`` name documents of any index."""
        if "ids" in self.actions:
            return tuple((None, jv.java_text(i)) for i in self.actions["ids"])
        docs = self.actions.get("docs") or ()
        return tuple((None if d.get("_index") is None else str(d["_index"]), jv.java_text(d.get("_id"))) for d in docs)


@dataclass(frozen=True)
class QueryRuleset:
    id: str
    rules: tuple[QueryRule, ...]

    def to_json(self) -> dict[str, Any]:
        return {"ruleset_id": self.id, "rules": [r.to_json() for r in self.rules]}


def sorted_rules(rules: list[QueryRule] | tuple[QueryRule, ...]) -> tuple[QueryRule, ...]:
    """``QueryRuleset``'s order: by priority, rules without one last; ties keep their order."""
    return tuple(sorted(rules, key=lambda r: (r.priority is None, r.priority or 0)))


# ---------------------------------------------------------------------------- parsing


def _values(value: Any) -> tuple[str, ...]:
    """``values`` (``declareStringArray``): one string or an array of scalars, each kept as its text
    (``[100]`` is ``["100"]``, as ``GET`` then answers it)."""

    def item(v: Any) -> str:
        if not jv.is_value(v):
            raise jv.BadValue(error_cause("illegal_state_exception", f"expected value but got [{jv.token_of(v)}]"))
        return jv.java_text(v)

    return tuple(parse_array(value, item))


def _criterion(body: Any) -> Criterion:
    """``QueryRuleCriteria.PARSER`` (``query_rule_criteria``) and its constructor's checks."""
    if not isinstance(body, dict):
        raise x_content(f"[query_rule_criteria] Expected START_OBJECT but was: {jv.token_of(body)}")
    fields = {
        "type": Field(STRING, lambda v: v),
        "metadata": Field(STRING | {jv.VALUE_NULL}, lambda v: v),
        "values": Field(STRING_ARRAY, _values),
    }
    parsed = parse_object("query_rule_criteria", body, fields)
    if "type" not in parsed:
        raise illegal_argument("Required [type]")
    try:
        ctype = c.criteria_type(parsed["type"])
    except ValueError as e:
        raise _build_failure("query_rule_criteria", _illegal(str(e))) from None
    metadata, values = parsed.get("metadata"), parsed.get("values")
    if ctype != "always":
        if not metadata:
            raise _build_failure("query_rule_criteria", _illegal("criteriaMetadata cannot be blank"))
        if not values:
            raise _build_failure("query_rule_criteria", _illegal("criteriaValues cannot be null or empty"))
    return Criterion(ctype, metadata, values)


def _criteria(value: Any) -> tuple[Criterion, ...]:
    return tuple(parse_array(value, _criterion))


def _actions(value: Any) -> dict[str, Any]:
    return copy_json(dict(value))


def _actions_problem(rule_type: str, actions: Mapping[str, Any]) -> str | None:
    """``QueryRule.validate`` for ``pinned`` and ``exclude``: exactly one of ``ids`` and ``docs``, a
    non-empty list of at most 100."""
    if ("ids" in actions) == ("docs" in actions):
        return f"{rule_type} query rule actions must contain only one of either ids or docs"
    action = actions.get("ids", actions.get("docs"))
    if action is not None:
        if not isinstance(action, list):
            return f"{rule_type} query rule actions must be a list"
        if not action:
            return f"{rule_type} query rule actions cannot be empty"
        if len(action) > MAX_DOCS_IN_RULE:
            return f"{rule_type} documents cannot exceed {MAX_DOCS_IN_RULE}"
    return None


def parse_rule(body: Any, rule_id: str | None = None) -> QueryRule:
    """``QueryRule.PARSER`` (``query_rule``) and the rule's constructor checks; ``rule_id`` (the URL's)
    replaces the body's, as ``PUT _query_rules/{ruleset}/_rule/{rule}`` does."""
    if not isinstance(body, dict):
        raise x_content(f"[query_rule] Expected START_OBJECT but was: {jv.token_of(body)}")
    fields = {
        "rule_id": Field(STRING | {jv.VALUE_NULL}, lambda v: v),
        "type": Field(STRING, lambda v: v),
        "criteria": Field(OBJECT_ARRAY, _criteria),
        "actions": Field(OBJECT, _actions),
        "priority": int_field(),
    }
    parsed = parse_object("query_rule", body, fields)
    for required in ("type", "criteria", "actions"):
        if required not in parsed:
            raise illegal_argument(f"Required [{required}]")
    rule_type = str(parsed["type"]).lower()
    if rule_type not in RULE_TYPES:
        raise _build_failure("query_rule", _illegal(f"Unknown QueryRuleType: {parsed['type']}"))
    criteria: tuple[Criterion, ...] = parsed["criteria"]
    actions: dict[str, Any] = parsed["actions"]
    priority: int | None = parsed.get("priority")
    if not criteria:
        raise _build_failure("query_rule", _illegal("Query rule criteria cannot be empty"))
    if not actions:
        raise _build_failure("query_rule", _illegal("Query rule actions cannot be empty"))
    if priority is not None and not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        reason = f"Priority was {priority}, must be between {MIN_PRIORITY} and {MAX_PRIORITY}"
        raise _build_failure("query_rule", _illegal(reason))
    problem = _actions_problem(rule_type, actions)
    if problem is not None:
        raise _build_failure("query_rule", error_cause("parse_exception", problem))
    for criterion in criteria:
        if criterion.type in c.NUMERIC_TYPES:
            for v in criterion.values or ():
                if not c.is_valid_input(criterion.type, v):
                    raise _build_failure("query_rule", _illegal(c.invalid_input(criterion.type, v)))
    given_id = parsed.get("rule_id")
    return QueryRule(rule_id if rule_id is not None else given_id, rule_type, criteria, actions, priority)


def _rules(value: Any) -> tuple[QueryRule, ...]:
    return tuple(parse_array(value, parse_rule))


def parse_ruleset(ruleset_id: str, body: Any) -> QueryRuleset:
    """``QueryRuleset.fromXContent`` (``query_ruleset``: ``rules``, one object or an array)."""
    if not isinstance(body, dict):
        raise x_content(f"[query_ruleset] Expected START_OBJECT but was: {jv.token_of(body)}")
    parsed = parse_object("query_ruleset", body, {"rules": Field(OBJECT_ARRAY, _rules)})
    if "rules" not in parsed:
        raise illegal_argument("Required [rules]")
    return QueryRuleset(ruleset_id, sorted_rules(parsed["rules"]))
