"""Port of Elasticsearch's query rules API YAML REST tests (``x-pack/plugin/ent-search/qa/rest/src/
yamlRestTest/resources/rest-api-spec/test/entsearch/rules/``): ``5_query_rulesets_before_setup``,
``10_query_ruleset_put``, ``20_query_ruleset_list``, ``30_query_ruleset_delete``, ``50_query_rule_put``,
``55_numeric_validation``, ``60_query_rule_delete`` and ``70_query_rule_test``, through the official
client's ``query_rules`` methods.

The YAML's "Insufficient privilege" cases (a user without the ``manage_search_query_rules`` privilege) are
not ported: retrievo has no users or roles (its API keys authenticate, they do not authorise).
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from rules_helpers import exact, failure, rule


@pytest.fixture
def es() -> Engine:
    return Engine()


def ids_rule(rule_id: str, value: str, *ids: str) -> dict[str, Any]:
    return rule(rule_id, "pinned", [exact("query_string", value)], {"ids": list(ids)})


# ------------------------------------------------------------------------- 5_query_rulesets_before_setup
def test_before_setup(es: Engine) -> None:
    err = failure(lambda: es.query_rules.get_ruleset(ruleset_id="test-i-dont-exist"))
    assert (err.meta.status, err.body["error"]["type"]) == (404, "resource_not_found_exception")
    assert err.body["error"]["reason"] == "test-i-dont-exist"
    err = failure(lambda: es.query_rules.delete_ruleset(ruleset_id="test-i-dont-exist"))
    assert (err.meta.status, err.body["error"]["type"]) == (404, "resource_not_found_exception")
    assert es.query_rules.list_rulesets().body == {"count": 0, "results": []}


# ------------------------------------------------------------------------- 10_query_ruleset_put
def test_create_ruleset(es: Engine) -> None:
    rules = [
        ids_rule("query-rule-id1", "elastic", "id1", "id2"),
        rule(
            "query-rule-id2",
            "pinned",
            [exact("query_string", "kibana")],
            {"docs": [{"_index": "test-index1", "_id": "id3"}, {"_index": "test-index2", "_id": "id4"}]},
        ),
    ]
    resp = es.query_rules.put_ruleset(ruleset_id="test-ruleset", rules=rules)
    assert (resp.meta.status, resp.body) == (201, {"result": "created"})
    assert es.query_rules.get_ruleset(ruleset_id="test-ruleset").body == {"ruleset_id": "test-ruleset", "rules": rules}


def test_recreate_ruleset_is_updated(es: Engine) -> None:
    one = {
        "rule_id": "test-rule-1",
        "type": "pinned",
        "criteria": {"type": "exact", "metadata": "query_string", "values": ["elastic"]},
        "actions": {"ids": ["id1"]},
    }
    body: Any = {"rules": one}  # a single object where an array is expected
    assert es.query_rules.put_ruleset(ruleset_id="again", body=body).body == {"result": "created"}
    resp = es.query_rules.put_ruleset(ruleset_id="again", body={"rules": {**one, "actions": {"ids": ["id2"]}}})
    assert (resp.meta.status, resp.body) == (200, {"result": "updated"})
    stored = es.query_rules.get_ruleset(ruleset_id="again").body["rules"]
    assert stored == [{**one, "criteria": [one["criteria"]], "actions": {"ids": ["id2"]}}]


# ------------------------------------------------------------------------- 20_query_ruleset_list
@pytest.fixture
def listed(es: Engine) -> Engine:
    words = ["elastic", "kibana", "logstash", "beats"]
    for name, count in (("test-query-ruleset-3", 2), ("test-query-ruleset-1", 3), ("test-query-ruleset-2", 4)):
        rules = [ids_rule(f"query-rule-id{i + 1}", words[i], f"id{2 * i + 1}", f"id{2 * i + 2}") for i in range(count)]
        es.query_rules.put_ruleset(ruleset_id=name, rules=rules)
    return es


def summary(item: dict[str, Any]) -> tuple[str, int, dict[str, int]]:
    return item["ruleset_id"], item["rule_total_count"], item["rule_criteria_types_counts"]


def test_list(listed: Engine) -> None:
    resp = listed.query_rules.list_rulesets().body
    assert resp["count"] == 3
    assert [summary(r) for r in resp["results"]] == [
        ("test-query-ruleset-1", 3, {"exact": 3}),
        ("test-query-ruleset-2", 4, {"exact": 4}),
        ("test-query-ruleset-3", 2, {"exact": 2}),
    ]
    assert resp["results"][0]["rule_type_counts"] == {"pinned": 3}


def test_list_from_and_size(listed: Engine) -> None:
    resp = listed.query_rules.list_rulesets(from_=1).body
    assert resp["count"] == 3
    assert [r["ruleset_id"] for r in resp["results"]] == ["test-query-ruleset-2", "test-query-ruleset-3"]
    resp = listed.query_rules.list_rulesets(size=2).body
    assert resp["count"] == 3
    assert [r["ruleset_id"] for r in resp["results"]] == ["test-query-ruleset-1", "test-query-ruleset-2"]


def test_list_empty(listed: Engine) -> None:
    for name in ("test-query-ruleset-1", "test-query-ruleset-2", "test-query-ruleset-3"):
        listed.query_rules.delete_ruleset(ruleset_id=name)
    assert listed.query_rules.list_rulesets().body["count"] == 0


def test_list_with_many_criteria(listed: Engine) -> None:
    rules = [
        rule(
            "query-rule-id1",
            "pinned",
            [exact("query_string", "puggles"), {"type": "gt", "metadata": "year", "values": [2023]}],
            {"ids": ["id1", "id2"]},
        ),
        ids_rule("query-rule-id2", "pug", "id3", "id4"),
        rule(
            "query-rule-id3",
            "pinned",
            [{"type": "fuzzy", "metadata": "query_string", "values": ["puggles"]}],
            {"ids": ["id5", "id6"]},
        ),
        rule("query-rule-id4", "pinned", [{"type": "always"}], {"ids": ["id7", "id8"]}),
        rule(
            "query-rule-id5",
            "pinned",
            [
                {"type": "prefix", "metadata": "query_string", "values": ["pug"]},
                {"type": "suffix", "metadata": "query_string", "values": ["gle"]},
            ],
            {"ids": ["id9", "id10"]},
        ),
    ]
    listed.query_rules.put_ruleset(ruleset_id="a-test-query-ruleset-with-lots-of-criteria", rules=rules)
    resp = listed.query_rules.list_rulesets(from_=0, size=1).body
    assert resp["count"] == 4
    (item,) = resp["results"]
    assert item["ruleset_id"] == "a-test-query-ruleset-with-lots-of-criteria"
    assert item["rule_total_count"] == 5
    counts = {"exact": 2, "gt": 1, "fuzzy": 1, "prefix": 1, "suffix": 1, "always": 1}
    assert item["rule_criteria_types_counts"] == counts
    # Elasticsearch lists the types in QueryRuleCriteriaType's order (an EnumMap).
    assert list(item["rule_criteria_types_counts"]) == ["always", "exact", "fuzzy", "prefix", "suffix", "gt"]


# ------------------------------------------------------------------------- 30_query_ruleset_delete
def test_delete_ruleset(es: Engine) -> None:
    es.query_rules.put_ruleset(ruleset_id="test-query-ruleset-to-delete", rules=[ids_rule("r1", "elastic", "id1")])
    assert es.query_rules.delete_ruleset(ruleset_id="test-query-ruleset-to-delete").body == {"acknowledged": True}
    assert failure(lambda: es.query_rules.get_ruleset(ruleset_id="test-query-ruleset-to-delete")).meta.status == 404
    assert (
        failure(lambda: es.query_rules.delete_ruleset(ruleset_id="test-nonexistent-query-ruleset")).meta.status == 404
    )


# ------------------------------------------------------------------------- 50_query_rule_put
def test_put_rule_respects_priority(es: Engine) -> None:
    id1 = ids_rule("query-rule-id1", "elastic", "id1", "id2")
    id2 = {**ids_rule("query-rule-id2", "kibana", "id3", "id4"), "priority": 1}
    assert es.query_rules.put_ruleset(ruleset_id="test-ruleset", rules=[id1, id2]).body == {"result": "created"}
    assert es.query_rules.get_ruleset(ruleset_id="test-ruleset").body["rules"] == [id2, id1]

    resp = es.query_rules.put_rule(
        ruleset_id="test-ruleset",
        rule_id="query-rule-id3",
        type="pinned",
        criteria={"type": "exact", "metadata": "query_string", "values": ["logstash"]},
        actions={"ids": ["id1"]},
        priority=2,
    )
    assert (resp.meta.status, resp.body) == (201, {"result": "created"})
    id3 = {**ids_rule("query-rule-id3", "logstash", "id1"), "priority": 2}
    assert es.query_rules.get_ruleset(ruleset_id="test-ruleset").body["rules"] == [id2, id3, id1]

    es.query_rules.put_rule(
        ruleset_id="test-ruleset",
        rule_id="query-rule-id4",
        type="pinned",
        criteria={"type": "exact", "metadata": "query_string", "values": ["search"]},
        actions={"ids": ["id2"]},
    )
    id4 = ids_rule("query-rule-id4", "search", "id2")
    assert es.query_rules.get_ruleset(ruleset_id="test-ruleset").body["rules"] == [id2, id3, id1, id4]
    assert es.query_rules.get_rule(ruleset_id="test-ruleset", rule_id="query-rule-id3").body == id3


def test_put_rule_again_is_updated(es: Engine) -> None:
    args: dict[str, Any] = {
        "ruleset_id": "test-query-rule-recreating",
        "rule_id": "abc",
        "type": "pinned",
        "criteria": {"type": "exact", "metadata": "query_string", "values": ["elastic"]},
    }
    resp = es.query_rules.put_rule(**args, actions={"ids": ["id1"]}, priority=5)
    assert (resp.meta.status, resp.body) == (201, {"result": "created"})
    resp = es.query_rules.put_rule(**args, actions={"ids": ["id2"]}, priority=3)
    assert (resp.meta.status, resp.body) == (200, {"result": "updated"})
    stored = es.query_rules.get_rule(ruleset_id="test-query-rule-recreating", rule_id="abc").body
    assert (stored["actions"], stored["priority"]) == ({"ids": ["id2"]}, 3)


# ------------------------------------------------------------------------- 55_numeric_validation
def numeric_rule(*criteria: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule("numeric_rule", "pinned", list(criteria), {"ids": ["1"]})]


def test_numeric_validation(es: Engine) -> None:
    lte = {"type": "lte", "metadata": "price"}
    resp = es.query_rules.put_ruleset(
        ruleset_id="numeric_validation_test", rules=numeric_rule({**lte, "values": ["100"]})
    )
    assert resp.body == {"result": "created"}
    for values in (["not_a_number"], ["100", "not_a_number"]):
        err = failure(
            lambda v=values: es.query_rules.put_ruleset(ruleset_id="bad", rules=numeric_rule({**lte, "values": v}))
        )
        assert (err.meta.status, err.body["error"]["type"]) == (400, "x_content_parse_exception")
        cause = err.body["error"]["caused_by"]["caused_by"]
        assert cause["reason"] == "Input [not_a_number] is not valid for CriteriaType [lte]"
    assert failure(lambda: es.query_rules.get_ruleset(ruleset_id="bad")).meta.status == 404
    gte = {"type": "gte", "metadata": "price", "values": ["50"]}
    assert (
        es.query_rules.put_ruleset(ruleset_id="m", rules=numeric_rule(gte, {**lte, "values": ["100"]})).meta.status
        == 201
    )
    mixed = numeric_rule({**lte, "values": ["100"]}, exact("category", "electronics"))
    assert es.query_rules.put_ruleset(ruleset_id="mixed", rules=mixed).meta.status == 201


# ------------------------------------------------------------------------- 60_query_rule_delete
@pytest.fixture
def two_rules(es: Engine) -> Engine:
    for name in ("test-query-ruleset", "test-query-ruleset-to-delete"):
        rules = [
            ids_rule("query-rule-id1", "elastic", "id1", "id2"),
            ids_rule("query-rule-id2", "search", "id3", "id4"),
        ]
        es.query_rules.put_ruleset(ruleset_id=name, rules=rules)
    return es


def test_delete_rule(two_rules: Engine) -> None:
    es = two_rules
    assert es.query_rules.delete_rule(ruleset_id="test-query-ruleset", rule_id="query-rule-id1").body == {
        "acknowledged": True
    }
    err = failure(lambda: es.query_rules.get_rule(ruleset_id="test-query-ruleset", rule_id="query-rule-id1"))
    assert err.meta.status == 404
    assert err.body["error"]["reason"] == "rule id query-rule-id1 not found in ruleset test-query-ruleset"
    assert es.query_rules.get_ruleset(ruleset_id="test-query-ruleset").body["rules"][0]["rule_id"] == "query-rule-id2"


def test_delete_last_rule_deletes_ruleset(two_rules: Engine) -> None:
    es = two_rules
    name = "test-query-ruleset-to-delete"
    es.query_rules.delete_rule(ruleset_id=name, rule_id="query-rule-id1")
    assert es.query_rules.get_ruleset(ruleset_id=name).body["rules"][0]["rule_id"] == "query-rule-id2"
    es.query_rules.delete_rule(ruleset_id=name, rule_id="query-rule-id2")
    assert failure(lambda: es.query_rules.get_rule(ruleset_id=name, rule_id="query-rule-id2")).meta.status == 404
    assert failure(lambda: es.query_rules.get_ruleset(ruleset_id=name)).meta.status == 404


def test_delete_missing_rule(two_rules: Engine) -> None:
    err = failure(
        lambda: two_rules.query_rules.delete_rule(ruleset_id="test-query-ruleset", rule_id="nonexistent-rule")
    )
    assert (err.meta.status, err.body["error"]["type"]) == (404, "resource_not_found_exception")


# ------------------------------------------------------------------------- 70_query_rule_test
TEST_RULESET = [
    rule("rule1", "pinned", [exact("query_string", "search")], {"ids": ["doc1"]}),
    rule("rule2", "pinned", [exact("query_string", "ui")], {"docs": [{"_index": "test-index1", "_id": "doc2"}]}),
    rule(
        "rule3",
        "pinned",
        [{"type": "contains", "metadata": "query_string", "values": ["kibana", "logstash"]}],
        {"ids": ["doc2", "doc3"]},
    ),
    rule("rule4", "pinned", [exact("query_string", "ops")], {"ids": ["doc7"]}),
    rule("rule5", "exclude", [exact("query_string", "search")], {"ids": ["doc8"]}),
]


def matched(es: Engine, ruleset: str, **criteria: Any) -> list[str]:
    resp = es.query_rules.test(ruleset_id=ruleset, match_criteria=criteria).body
    assert resp["total_matched_rules"] == len(resp["matched_rules"])
    assert all(m["ruleset_id"] == ruleset for m in resp["matched_rules"])
    return [m["rule_id"] for m in resp["matched_rules"]]


def test_test_api(es: Engine) -> None:
    es.query_rules.put_ruleset(ruleset_id="test-ruleset", rules=TEST_RULESET)
    err = failure(lambda: es.query_rules.test(ruleset_id="nonexistent-ruleset", match_criteria={"foo": "bar"}))
    assert (err.meta.status, err.body["error"]["type"]) == (404, "resource_not_found_exception")
    assert failure(lambda: es.query_rules.test(ruleset_id="nonexistent-ruleset", body={})).meta.status == 400
    assert matched(es, "test-ruleset", query_string="search") == ["rule1", "rule5"]
    assert matched(es, "test-ruleset", query_string="ui") == ["rule2"]
    assert matched(es, "test-ruleset", query_string="no-match") == []
    assert matched(es, "test-ruleset", query_string="logstash") == ["rule3"]


def test_test_api_pinned_and_excluded(es: Engine) -> None:
    rules = [
        rule("rule1", "pinned", [exact("foo", "bar")], {"ids": ["doc8"]}),
        rule("rule2", "exclude", [exact("foo", "bar")], {"ids": ["doc8"]}),
    ]
    es.query_rules.put_ruleset(ruleset_id="double-jeopardy-ruleset", rules=rules)
    assert matched(es, "double-jeopardy-ruleset", foo="bar") == ["rule1", "rule2"]


def test_test_api_numeric_and_text(es: Engine) -> None:
    rules = [
        rule("rule1", "pinned", [exact("foo", "bar")], {"ids": ["doc1"]}),
        rule("rule2", "pinned", [{"type": "lte", "metadata": "foo", "values": [100]}], {"ids": ["doc2"]}),
    ]
    es.query_rules.put_ruleset(ruleset_id="combined-ruleset", rules=rules)
    assert matched(es, "combined-ruleset", foo=100) == ["rule2"]
    assert matched(es, "combined-ruleset", foo="bar") == ["rule1"]
    assert matched(es, "combined-ruleset", foo="baz") == []
