"""Elasticsearch's query rules API (``_query_rules``): rulesets, single rules, the list and ``_test``.

Answers as the ent-search REST actions do: ``PUT`` a ruleset or a rule answers ``{"result": "created"}``
(201) or ``{"result": "updated"}`` (200); ``GET`` a ruleset ``{"ruleset_id", "rules"}``, a rule the rule;
``DELETE`` ``{"acknowledged": true}`` (deleting a ruleset's last rule deletes the ruleset); the list
(``from``, default 0; ``size``, default 100) ``{"count", "results"}`` sorted by ruleset id, each with
``rule_total_count``, ``rule_criteria_types_counts`` and ``rule_type_counts`` (types in declaration
order); ``_test`` ``{"total_matched_rules", "matched_rules"}``. A missing ruleset is 404
``resource_not_found_exception`` whose reason is its id.
"""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, reply
from retrievo.api.types import RestResponse
from retrievo.errors import ApiError, bad_request, illegal_argument, validation_error
from retrievo.grammar.json.objects import OBJECT, Field, parse_object
from retrievo.grammar.json.rule_query import match_criteria
from retrievo.query_rules.apply import matching_rules
from retrievo.query_rules.criteria import CRITERIA_TYPES
from retrievo.query_rules.models import RULE_TYPES, QueryRuleset, parse_rule, parse_ruleset

DEFAULT_LIST_SIZE = 100


def _result(created: bool) -> RestResponse:
    return reply(201 if created else 200, {"result": "created" if created else "updated"})


def _required_body(call: Call) -> Any:
    if call.body is None:  # RestRequest.contentOrSourceParam
        raise bad_request("parse_exception", "request body or source parameter is required")
    return call.body


def _check_ruleset(ruleset: QueryRuleset) -> None:
    """``PutQueryRulesetAction.Request.validate``."""
    problems = []
    if not ruleset.rules:
        problems.append("rules cannot be null or empty")
    elif any(not rule.id for rule in ruleset.rules):
        problems.append("rule_id cannot be null or empty")
    if problems:
        raise validation_error(*problems)


def put_ruleset(call: Call) -> RestResponse:
    """``PUT _query_rules/{ruleset_id}``: create or replace the whole ruleset."""
    ruleset = parse_ruleset(str(call.part("ruleset_id")), body_object(_required_body(call), "query_ruleset"))
    _check_ruleset(ruleset)
    return _result(call.catalog.query_rules.put(ruleset))


def get_ruleset(call: Call) -> dict[str, Any]:
    return call.catalog.query_rules.get(str(call.part("ruleset_id"))).to_json()


def delete_ruleset(call: Call) -> dict[str, Any]:
    call.catalog.query_rules.delete(str(call.part("ruleset_id")))
    return {"acknowledged": True}


def _non_negative(name: str, value: Any, default: int) -> int:
    number = p.as_int(name, value, default)
    assert number is not None
    if number < 0:
        raise illegal_argument(f"[{name}] parameter cannot be negative, found [{number}]")
    return number


def _list_item(ruleset: QueryRuleset) -> dict[str, Any]:
    """``QueryRulesetListItem``: counts by criteria type and by rule type, in declaration order."""
    criteria = {t: 0 for t in CRITERIA_TYPES}
    types = {t: 0 for t in RULE_TYPES}
    for rule in ruleset.rules:
        types[rule.type] += 1
        for criterion in rule.criteria:
            criteria[criterion.type] += 1
    return {
        "ruleset_id": ruleset.id,
        "rule_total_count": len(ruleset.rules),
        "rule_criteria_types_counts": {t: n for t, n in criteria.items() if n},
        "rule_type_counts": {t: n for t, n in types.items() if n},
    }


def list_rulesets(call: Call) -> dict[str, Any]:
    """``GET _query_rules``: ``count`` is every ruleset, ``results`` the page."""
    start = _non_negative("from", call.param("from"), 0)
    size = _non_negative("size", call.param("size"), DEFAULT_LIST_SIZE)
    rulesets = call.catalog.query_rules.all()
    return {"count": len(rulesets), "results": [_list_item(r) for r in rulesets[start : start + size]]}


def put_rule(call: Call) -> RestResponse:
    """``PUT _query_rules/{ruleset_id}/_rule/{rule_id}``: add or replace one rule (creating the ruleset)."""
    rule_id = str(call.part("rule_id"))
    rule = parse_rule(body_object(_required_body(call), "query_rule"), rule_id=rule_id)
    return _result(call.catalog.query_rules.put_rule(str(call.part("ruleset_id")), rule))


def get_rule(call: Call) -> dict[str, Any]:
    rule = call.catalog.query_rules.get_rule(str(call.part("ruleset_id")), str(call.part("rule_id")))
    return rule.to_json()


def delete_rule(call: Call) -> dict[str, Any]:
    call.catalog.query_rules.delete_rule(str(call.part("ruleset_id")), str(call.part("rule_id")))
    return {"acknowledged": True}


def test(call: Call) -> dict[str, Any]:
    """``POST _query_rules/{ruleset_id}/_test``: which rules ``match_criteria`` matches, in ruleset order."""
    body = body_object(_required_body(call), "query_rules_test")
    try:
        parsed = parse_object("query_rules_test", body, {"match_criteria": Field(OBJECT, match_criteria)})
    except ApiError:
        raise
    if "match_criteria" not in parsed:
        raise illegal_argument("Required [match_criteria]")
    ruleset_id = str(call.part("ruleset_id"))
    ruleset = call.catalog.query_rules.get(ruleset_id)
    matched = matching_rules(ruleset, parsed["match_criteria"])
    return {
        "total_matched_rules": len(matched),
        "matched_rules": [{"ruleset_id": ruleset_id, "rule_id": rule.id} for rule in matched],
    }
