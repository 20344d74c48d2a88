"""simplify_filters: score-only structure leaves filters; equal document sets look equal."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo.lucene.query import BoolQ, BoostQ, ConstQ, DocSetQ, MatchAllQ, TermQ
from retrievo.lucene.scoring import Evaluator
from retrievo.planner.rules.simplify_filters import as_filter
from tests.planner.conftest import knn, same_with_rule_off, std

A, B, C = TermQ("tag", "a"), TermQ("body", "apple"), TermQ("body", "pear")
YEAR = ConstQ(DocSetQ("range", "year", (2003, True, 2008, True)))


@pytest.mark.parametrize(
    "before,after",
    [
        (BoostQ(ConstQ(A), 0.0), A),  # Lucene's form of bool{filter:[a]}
        (BoolQ(filter=(A,)), A),
        (BoolQ(must=(A,), filter=(B,)), BoolQ(filter=(A, B))),
        (BoolQ(filter=(BoolQ(filter=(A, B)), C)), BoolQ(filter=(A, B, C))),
        (BoolQ(filter=(A, A, MatchAllQ())), A),
        (BoolQ(must=(A,), should=(B, C)), A),  # optional clauses only add scores
        (BoolQ(should=(B, B)), B),
        (BoolQ(filter=(YEAR,)), YEAR.query),
    ],
)
def test_filter_forms(before, after):
    assert as_filter(before) == after


@pytest.mark.parametrize(
    "q",
    [
        BoolQ(should=(B, C), msm=2),  # minimum_should_match counts clauses
        BoolQ(should=(B, B, C), msm=2),
        BoolQ(filter=(A,), must_not=(B,)),
        BoolQ(filter=(MatchAllQ(),), must_not=(B,)),  # a purely negative bool
        BoolQ(filter=(A,), should=(B, C), msm=1),
        BoolQ(),
    ],
)
def test_same_documents_match(engine, q):
    ev = Evaluator(engine.catalog.shards["docs"].searcher())
    live = ev.s.live
    assert np.array_equal(ev.mask(q) & live, ev.mask(as_filter(q)) & live)


def test_plan_before_and_after(engine):
    body = {
        "retriever": {
            "rrf": {
                "retrievers": [
                    std({"match": {"body": "kiwi"}}, filter={"bool": {"filter": [{"term": {"tag": "a"}}]}}),
                    knn(
                        [0.2, 0.1, 0.0, -0.4], filter={"constant_score": {"filter": {"term": {"tag": "a"}}, "boost": 3}}
                    ),
                ]
            }
        }
    }
    after = engine.plan(index="docs", body=body)
    before = after.with_rules(simplify_filters=False)
    assert "Filter(filters=[(ConstantScore(tag:a))^0.0])" in before.explain()
    assert "prefilter=[(ConstantScore(tag:a))^3.0]" in before.explain()
    text = after.explain()
    assert "Filter(filters=[tag:a]) [bitsets #1]" in text and "prefilter=[tag:a]" in text
    assert "#1 tag:a" in text  # now one bitset serves both
    assert not before.physical.bitsets
    same_with_rule_off(engine, body, "simplify_filters")


def test_explained_standard_filters_keep_their_lucene_form(engine):
    body = {
        "explain": True,
        "retriever": std({"match": {"body": "apple"}}, filter={"bool": {"must": [{"term": {"tag": "a"}}]}}),
    }
    plan = same_with_rule_off(engine, body, "simplify_filters")
    assert "simplify_filters" not in plan.physical.notes


@pytest.mark.parametrize(
    "flt",
    [
        {"bool": {"must": [{"term": {"tag": "b"}}], "should": [{"match": {"body": "apple"}}]}},
        {"bool": {"should": [{"match": {"body": "apple"}}, {"match": {"body": "pear"}}], "minimum_should_match": 2}},
        {"bool": {"must_not": [{"term": {"tag": "c"}}]}},
        {"bool": {"filter": [{"match_all": {}}, {"range": {"year": {"lt": 2006}}}]}},
    ],
)
def test_results_are_identical_with_the_rule_off(engine, flt):
    body = {
        "retriever": {
            "rrf": {
                "filter": flt,
                "retrievers": [std({"match": {"body": "fig grape"}}), knn([0.5, 0.5, 0.1, 0.0], k=20)],
            }
        },
        "size": 10,
    }
    same_with_rule_off(engine, body, "simplify_filters")
