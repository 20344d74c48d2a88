"""Rulesets are kept in the data directory's manifest: saved, loaded, and back after a restart."""

from __future__ import annotations

from pathlib import Path

from retrievo import Engine
from rules_helpers import exact, rule

RULES = [
    rule("r1", "pinned", [exact("q", "x")], {"ids": ["a", "b"]}, priority=3),
    rule("r2", "exclude", [{"type": "lte", "metadata": "n", "values": [10]}], {"docs": [{"_index": "i", "_id": "c"}]}),
]


def test_restart_keeps_rulesets(tmp_path: Path) -> None:
    es = Engine(path=tmp_path / "data")
    es.query_rules.put_ruleset(ruleset_id="rs", rules=RULES)
    es.query_rules.put_rule(
        ruleset_id="other", rule_id="o", type="pinned", criteria={"type": "always"}, actions={"ids": ["z"]}
    )
    es.query_rules.delete_rule(ruleset_id="rs", rule_id="r2")
    expected = es.query_rules.get_ruleset(ruleset_id="rs").body
    es.close()
    again = Engine(path=tmp_path / "data")
    assert again.query_rules.get_ruleset(ruleset_id="rs").body == expected
    assert again.query_rules.list_rulesets().body["count"] == 2
    assert again.query_rules.test(ruleset_id="rs", match_criteria={"q": "x"}).body["total_matched_rules"] == 1


def test_save_and_load(tmp_path: Path) -> None:
    es = Engine()
    es.query_rules.put_ruleset(ruleset_id="rs", rules=RULES)
    es.save(tmp_path / "snap")
    loaded = Engine.load(tmp_path / "snap")
    assert loaded.query_rules.get_ruleset(ruleset_id="rs").body == es.query_rules.get_ruleset(ruleset_id="rs").body
