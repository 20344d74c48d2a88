"""Plan.explain / to_dict / _repr_html_: both plans, estimates from index statistics, rule switches."""

from __future__ import annotations

import json

import pytest

from retrievo import BadRequestError
from retrievo.planner.rules import PLAN_RULE_NAMES, QUERY_RULE_NAMES, RULE_NAMES
from tests.planner.conftest import N_DOCS, knn, std

V = [0.3, 0.3, 0.3, -0.1]
HYBRID = {
    "retriever": {
        "rrf": {"filter": {"term": {"tag": "a"}}, "retrievers": [std({"match": {"body": "apple"}}), knn(V, k=7)]}
    },
    "size": 5,
}


def _df(engine, field, term):
    inv = engine.catalog.shards["docs"].searcher().inverted(field)
    return inv.doc_freq(inv.term_id(term))


def test_explain_prints_both_plans_with_estimates(engine):
    text = engine.plan(index="docs", body=HYBRID).explain()
    df = _df(engine, "body", "apple")
    assert text.startswith("Plan(index=docs)\nquery rules: " + ", ".join(QUERY_RULE_NAMES))
    assert "plan rules: " + ", ".join(PLAN_RULE_NAMES) in text
    logical, physical = text.split("LOGICAL PLAN\n")[1].split("\n\nPHYSICAL PLAN\n")
    assert logical.splitlines()[0].startswith("Search(index=docs, from=0, size=5)")
    assert logical.splitlines()[1].startswith("└─ Rrf(rank_constant=60, rank_window_size=10)")
    assert f"Bm25Score(query=body:apple)   est: in={N_DOCS}, out={df}, postings={df}" in physical
    assert f"Filter(filters=[tag:a]) [bitsets #1]   est: in={df}, out≤30, postings=30" in physical
    assert "VectorSearch(field=vec, k=7, num_candidates=50" in physical
    assert f"est: in={N_DOCS}, out≤7, vectors=30" in physical  # exact search over the filtered vectors
    assert "RrfFuse(rank_constant=60, rank_window_size=10) [emits 5]" in physical
    assert "\n#1 tag:a   est: docs≤30" in text


def test_rules_switch_off_by_name(engine):
    body = {"query": {"match": {"body": "apple apple pear"}}}
    plan = engine.plan(index="docs", body=body)
    assert "Bm25Score(query=(body:apple)^2.0 body:pear)" in plan.explain()
    off = plan.explain(merge_duplicate_clauses=False)
    assert "Bm25Score(query=body:apple body:apple body:pear)" in off
    assert "disabled: merge_duplicate_clauses" in off
    assert plan.with_rules(merge_duplicate_clauses=False).with_rules(optimized=True).disabled_rules == ()
    assert plan.with_rules(merge_duplicate_clauses=False).explain() == off  # a plan explains itself


def test_optimized_false_switches_every_rule_off(engine):
    plan = engine.plan(index="docs", body=HYBRID)
    assert plan.with_rules(optimized=False).disabled_rules == RULE_NAMES
    text = plan.explain(optimized=False)
    assert "query rules: none\nplan rules: none" in text
    assert "Rrf(rank_constant=60, rank_window_size=10, filter=" in text
    one = plan.with_rules(optimized=False, share_filter_bitsets=True)
    assert one.active_rules == ("share_filter_bitsets",)


@pytest.mark.parametrize(
    "call,reason",
    [
        (
            lambda p: p.explain(no_such_rule=False),
            "unknown rule [no_such_rule], expected one of [" + ", ".join(RULE_NAMES) + "]",
        ),
        (
            lambda p: p.with_rules(prune_windows="maybe"),
            "Failed to parse value [maybe] as only [true] or [false] are allowed.",
        ),
        (lambda p: p.explain(optimized=2), "Failed to parse value [2] as only [true] or [false] are allowed."),
    ],
)
def test_bad_switches_are_illegal_arguments(engine, call, reason):
    plan = engine.plan(index="docs", body=HYBRID)
    with pytest.raises(BadRequestError) as info:
        call(plan)
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == "illegal_argument_exception"
    assert info.value.body["error"]["reason"] == reason


def test_string_booleans_are_accepted(engine):
    plan = engine.plan(index="docs", body=HYBRID)
    assert plan.with_rules(prune_windows="false").disabled_rules == ("prune_windows",)


def test_to_dict(engine):
    d = engine.plan(index="docs", body=HYBRID).to_dict()
    json.dumps(d)  # plain data
    assert d["rules"] == {"query": list(QUERY_RULE_NAMES), "plan": list(PLAN_RULE_NAMES)}
    assert d["disabled_rules"] == []
    assert d["logical"]["node"] == "Search" and d["logical"]["children"][0]["node"] == "Rrf"
    page = d["physical"]
    assert page["operator"] == "Page" and page["params"] == {"from": "0", "size": "5"}
    topdocs = page["children"][0]["children"][0]
    assert topdocs["estimate"]["docs_out"] == min(10, _df(engine, "body", "apple"))
    assert d["bitsets"] == [{"id": "#1", "filter": "tag:a", "docs": 30}]
    assert set(d["applied"]) >= {"share_filter_bitsets", "prune_windows"}
    assert d["estimated_totals"] == {"model_calls": 0, "pairs": 0, "tokens": 0}


def test_repr_html(engine):
    body = {"query": {"match": {"body": "apple <b>"}}}
    html = engine.plan(index="docs", body=body)._repr_html_()
    assert html.startswith("<div") and html.endswith("</div>")
    assert "<b>Logical plan</b>" in html and "<b>Physical plan</b>" in html
    assert "<details open><summary><b>Page</b>" in html
    assert "<b>" not in html.split("apple")[1].split("</")[0]  # query text is escaped


def test_plans_with_rules_off_still_execute(engine):
    plan = engine.plan(index="docs", body=HYBRID)
    for rules in ({"optimized": False}, {}, {"push_down_filters": False, "share_subtrees": False}):
        ranked, _ = plan.with_rules(**rules).execute()
        assert ranked.docs.size == 5
