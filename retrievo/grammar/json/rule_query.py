"""The ``rule`` query (``RuleQueryBuilder``, also written ``rule_query``): ``organic``, ``match_criteria``
and the rulesets, as ``ruleset_ids`` or the deprecated single ``ruleset_id``.

``RuleQueryBuilder.fromXContent`` rethrows its ``ConstructingObjectParser``'s errors as a
``parsing_exception`` with the same message; the checks of the builder lambda and of the constructor fail
in the parser's build step (``Failed to build [rule] after last required field arrived``).
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import is_negative, negative_boost
from retrievo.grammar.json.objects import (
    OBJECT,
    STRING,
    STRING_ARRAY,
    Field,
    float_field,
    parse_array,
    parse_object,
    string_field,
)
from retrievo.grammar.json.pinned_query import as_parsing_exception, build_failure
from retrievo.grammar.json.query_common import QueryContext
from retrievo.json_copy import copy_json
from retrievo.retrievers.rule import MAX_RULESETS, RuleQuery

NAME = "rule"


def ruleset_list(value: Any) -> tuple[str | None, ...]:
    """``declareStringArray``: one string or an array (a ``null`` element is kept, for the constructor's
    check)."""
    return tuple(parse_array(value, lambda v: None if v is None else jv.java_text(v)))


def match_criteria(value: Any) -> dict[str, Any]:
    """``p.map()``: the object as given."""
    return copy_json(dict(value))


def rulesets_problem(ruleset_ids: tuple[str | None, ...], criteria: dict[str, Any]) -> str | None:
    """``RuleQueryBuilder``'s constructor checks, in its order."""
    if not criteria:
        return "matchCriteria must not be null or empty"
    if not ruleset_ids:
        return "rulesetIds must not be null or empty"
    if len(ruleset_ids) > MAX_RULESETS:
        return f"rulesetIds must not contain more than {MAX_RULESETS} rulesets"
    if any(not r for r in ruleset_ids):
        return "rulesetIds must not contain null or empty values"
    return None


def parse_rule_query(body: dict[str, Any], ctx: QueryContext) -> RuleQuery:
    fields: dict[str, Field] = {
        "organic": Field(OBJECT, ctx.inner),
        "match_criteria": Field(OBJECT, match_criteria),
        "ruleset_id": Field(STRING, lambda v: v),
        "ruleset_ids": Field(STRING_ARRAY, ruleset_list),
        "boost": float_field(),
        "_name": string_field(),
    }
    try:
        parsed = parse_object(NAME, body, fields)
        missing = [f for f in ("organic", "match_criteria") if f not in parsed]
        if missing:
            raise illegal_argument(f"Required [{', '.join(missing)}]")
        single, many = parsed.get("ruleset_id"), parsed.get("ruleset_ids")
        if (single is None) == (many is None):
            raise build_failure(NAME, "ruleset information not provided correctly")
        ids: tuple[str | None, ...] = many if many is not None else (single,)
        problem = rulesets_problem(ids, parsed["match_criteria"])
        if problem is not None:
            raise build_failure(NAME, problem)
        boost = parsed.get("boost", 1.0)
        if is_negative(boost):
            raise negative_boost(NAME, body)
        params: dict[str, Any] = {"boost": boost}
        if "_name" in parsed:
            params["name"] = parsed["_name"]
        return RuleQuery(
            organic=parsed["organic"],
            ruleset_ids=tuple(str(i) for i in ids),
            match_criteria=parsed["match_criteria"],
            **params,
        )
    except ApiError as err:
        raise as_parsing_exception(err) from None
