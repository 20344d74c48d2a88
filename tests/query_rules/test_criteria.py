"""Every criteria type, hand-computed (``QueryRuleCriteriaType``), through the ``_test`` API; bad rules are
refused whole and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from rules_helpers import failure, rule


@pytest.fixture(scope="module")
def es() -> Engine:
    return Engine()


def matches(es: Engine, ctype: str, values: list[Any] | None, value: Any) -> bool:
    criterion: dict[str, Any] = {"type": ctype}
    if values is not None:
        criterion.update(metadata="q", values=values)
    es.query_rules.put_ruleset(ruleset_id="c", rules=[rule("r", "pinned", [criterion], {"ids": ["1"]})])
    return es.query_rules.test(ruleset_id="c", match_criteria={"q": value}).body["total_matched_rules"] == 1


@pytest.mark.parametrize(
    ("ctype", "values", "value", "expected"),
    [
        ("always", None, "anything", True),
        ("exact", ["puggle"], "puggle", True),
        ("exact", ["puggle"], "Puggle", False),  # case-sensitive
        ("exact", [10], 10, True),  # "10" read as a double against 10
        ("exact", ["10"], 10.0, False),  # Java prints 10.0 as "10.0": string inequality
        ("exact", ["10"], 10, True),
        ("exact", ["a", "b"], "b", True),  # any value
        # fuzzy: 1 - edits / longer length (float) > 0.5
        ("fuzzy", ["puggles"], "pugles", True),  # 1 edit / 7 -> 0.857
        ("fuzzy", ["bar"], "baz", True),  # 1 / 3 -> 0.667
        ("fuzzy", ["ab"], "ac", False),  # 1 / 2 -> 0.5, not above
        ("fuzzy", ["abcd"], "abxy", False),  # 2 / 4 -> 0.5
        ("fuzzy", ["abcd"], "abcx", True),  # 1 / 4 -> 0.75
        ("fuzzy", ["bar"], 100, False),  # numbers are not valid input
        ("prefix", ["pug"], "puggles", True),
        ("prefix", ["gle"], "puggles", False),
        ("suffix", ["gles"], "puggles", True),
        ("contains", ["ggl"], "puggles", True),
        ("contains", ["x"], "puggles", False),
        ("lt", ["100"], 99.5, True),
        ("lt", ["100"], 100, False),
        ("lte", ["100"], 100, True),
        ("lte", [100], "100.0", True),  # text read by Double.parseDouble
        ("lte", [100], " 1e2 ", True),  # parseDouble trims and reads exponents
        ("gt", ["2023"], 2024, True),
        ("gt", ["2023"], "2023", False),
        ("gte", ["2023"], "2023", True),
        ("gte", ["50"], "not a number", False),  # invalid input: no match, no error
        ("lt", ["1"], "0x10", False),  # not Java decimal syntax: invalid
    ],
)
def test_criteria_type(es: Engine, ctype: str, values: list[Any] | None, value: Any, expected: bool) -> None:
    assert matches(es, ctype, values, value) is expected


def test_all_criteria_must_match(es: Engine) -> None:
    criteria = [
        {"type": "prefix", "metadata": "q", "values": ["elastic"]},
        {"type": "suffix", "metadata": "q", "values": ["search"]},
        {"type": "gte", "metadata": "year", "values": [2020]},
    ]
    es.query_rules.put_ruleset(ruleset_id="all", rules=[rule("r", "pinned", criteria, {"ids": ["1"]})])

    def hit(**mc: Any) -> int:
        return int(es.query_rules.test(ruleset_id="all", match_criteria=mc).body["total_matched_rules"])

    assert hit(q="elastic - you know, for search", year=2021) == 1
    assert hit(q="elastic - you know, for search", year=2019) == 0
    assert hit(q="elastic - you know, for search") == 1  # criteria on keys not given are not asked
    assert hit(other="x") == 0  # no criterion asked: no match


BAD_RULES: list[tuple[dict[str, Any], str, str]] = [
    (
        {"type": "pinned", "criteria": [{"type": "exact", "metadata": "q", "values": ["a"]}], "actions": {}},
        "x_content_parse_exception",
        "Query rule actions cannot be empty",
    ),
    (
        {"type": "pinned", "criteria": [], "actions": {"ids": ["1"]}},
        "x_content_parse_exception",
        "Query rule criteria cannot be empty",
    ),
    (
        {"type": "boost", "criteria": [{"type": "always"}], "actions": {"ids": ["1"]}},
        "x_content_parse_exception",
        "Unknown QueryRuleType: boost",
    ),
    (
        {"type": "pinned", "criteria": [{"type": "always"}], "actions": {"ids": ["1"], "docs": [{"_id": "1"}]}},
        "x_content_parse_exception",
        "pinned query rule actions must contain only one of either ids or docs",
    ),
    (
        {"type": "exclude", "criteria": [{"type": "always"}], "actions": {"ids": []}},
        "x_content_parse_exception",
        "exclude query rule actions cannot be empty",
    ),
    (
        {"type": "pinned", "criteria": [{"type": "always"}], "actions": {"ids": [str(i) for i in range(101)]}},
        "x_content_parse_exception",
        "pinned documents cannot exceed 100",
    ),
    (
        {"type": "pinned", "criteria": [{"type": "always"}], "actions": {"ids": ["1"]}, "priority": 1000001},
        "x_content_parse_exception",
        "Priority was 1000001, must be between 0 and 1000000",
    ),
    (
        {
            "type": "pinned",
            "criteria": [{"type": "bogus", "metadata": "q", "values": ["a"]}],
            "actions": {"ids": ["1"]},
        },
        "x_content_parse_exception",
        "Unknown QueryRuleCriteriaType: bogus",
    ),
    (
        {"type": "pinned", "criteria": [{"type": "exact", "values": ["a"]}], "actions": {"ids": ["1"]}},
        "x_content_parse_exception",
        "criteriaMetadata cannot be blank",
    ),
    (
        {"type": "pinned", "criteria": [{"type": "exact", "metadata": "q", "values": []}], "actions": {"ids": ["1"]}},
        "x_content_parse_exception",
        "criteriaValues cannot be null or empty",
    ),
    (
        {"type": "pinned", "criteria": [{"type": "always"}], "actions": {"ids": ["1"]}, "tags": ["x"]},
        "x_content_parse_exception",
        "[query_rule] unknown field [tags]",
    ),
]


@pytest.mark.parametrize(("body", "error", "reason"), BAD_RULES)
def test_bad_rule_changes_nothing(body: dict[str, Any], error: str, reason: str) -> None:
    es = Engine()
    good = [rule("keep", "pinned", [{"type": "always"}], {"ids": ["1"]})]
    es.query_rules.put_ruleset(ruleset_id="rs", rules=good)
    before = es.query_rules.get_ruleset(ruleset_id="rs").body
    err = failure(lambda: es.query_rules.put_ruleset(ruleset_id="rs", rules=[{"rule_id": "r", **body}]))
    assert (err.meta.status, err.body["error"]["type"]) == (400, error)
    assert reason in str(err.body)
    err = failure(lambda: es.query_rules.put_rule(ruleset_id="rs", rule_id="r", body=body))
    assert err.meta.status == 400
    assert es.query_rules.get_ruleset(ruleset_id="rs").body == before
    assert es.query_rules.list_rulesets().body["count"] == 1


def test_ruleset_validation(es: Engine) -> None:
    err = failure(lambda: es.query_rules.put_ruleset(ruleset_id="v", rules=[]))
    assert err.body["error"]["reason"] == "Validation Failed: 1: rules cannot be null or empty;"
    no_id = {"type": "pinned", "criteria": [{"type": "always"}], "actions": {"ids": ["1"]}}
    err = failure(lambda: es.query_rules.put_ruleset(ruleset_id="v", rules=[no_id]))
    assert err.body["error"]["reason"] == "Validation Failed: 1: rule_id cannot be null or empty;"
    many = [rule(f"r{i}", "pinned", [{"type": "always"}], {"ids": ["1"]}) for i in range(101)]
    err = failure(lambda: es.query_rules.put_ruleset(ruleset_id="v", rules=many))
    assert err.body["error"]["reason"] == (
        "The number of rules in a ruleset cannot exceed [100].This maximum can be set by changing the "
        "[xpack.applications.rules.max_rules_per_ruleset] setting."
    )
    assert failure(lambda: es.query_rules.get_ruleset(ruleset_id="v")).meta.status == 404
