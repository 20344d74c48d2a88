"""share_filter_bitsets: each distinct filter is one bitset per search, shared by BM25 and FAISS."""

from __future__ import annotations

import pytest

from retrievo.lucene.query import TermQ
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.query import Filter
from retrievo.planner.operators.vector import VectorSearch
from tests.planner.conftest import knn, same_with_rule_off, std

V = [-0.2, 0.3, 0.3, 0.6]
BODY = {
    "retriever": {
        "rrf": {
            "filter": {"term": {"tag": "a"}},
            "retrievers": [std({"match": {"body": "apple"}}), knn(V), std({"match": {"title": "pear"}})],
        }
    }
}


def _filter_objects(plan):
    return [f for op in walk(plan.root) if isinstance(op, (Filter, VectorSearch)) for f in op.filters]


def test_plan_before_and_after(engine):
    after = engine.plan(index="docs", body=BODY)
    before = after.with_rules(share_filter_bitsets=False)
    objs_before, objs_after = _filter_objects(before), _filter_objects(after)
    assert len(objs_before) == len(objs_after) == 3 and all(f == TermQ("tag", "a") for f in objs_after)
    assert len({id(f) for f in objs_before}) == 3  # three equal filters, compiled three times
    assert len({id(f) for f in objs_after}) == 1  # one object: one bitset
    assert after.physical.bitsets == (TermQ("tag", "a"),) and before.physical.bitsets == ()
    text = after.explain()
    assert "Filter(filters=[tag:a]) [bitsets #1]" in text
    assert "prefilter=[tag:a]) [bitsets #1]" in text
    assert "BITSETS (each evaluated once per search)\n#1 tag:a   est: docs≤30" in text
    assert "[bitsets" not in before.explain()


def _evaluations_of(plan, q):
    _, ctx = plan.execute()
    return sum(1 for (key, _boost) in ctx.evaluator.memo if any(id(k) == key and k == q for k in ctx.evaluator._keep))


def test_each_filter_is_evaluated_once_per_search(engine):
    after = engine.plan(index="docs", body=BODY)
    before = after.with_rules(share_filter_bitsets=False)
    assert _evaluations_of(after, TermQ("tag", "a")) == 1
    assert _evaluations_of(before, TermQ("tag", "a")) == 3


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        {
            "retriever": {
                "linear": {
                    "filter": [{"term": {"tag": "b"}}, {"range": {"year": {"gte": 2004}}}],
                    "retrievers": [
                        {"retriever": knn(V, k=20), "normalizer": "minmax"},
                        {
                            "retriever": std({"match": {"body": "kiwi lime"}}, filter={"term": {"tag": "b"}}),
                            "normalizer": "minmax",
                        },
                    ],
                    "rank_window_size": 15,
                }
            },
            "size": 15,
        },
        {
            "knn": {"field": "vec", "query_vector": V, "k": 5, "filter": {"term": {"tag": "c"}}},
            "query": {"bool": {"must": {"match": {"body": "grape"}}, "filter": {"term": {"tag": "c"}}}},
        },
    ],
)
def test_results_are_identical_with_the_rule_off(engine, body):
    same_with_rule_off(engine, body, "share_filter_bitsets")
