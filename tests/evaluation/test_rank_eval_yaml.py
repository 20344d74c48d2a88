"""Elasticsearch's YAML REST tests for ``_rank_eval`` (modules/rank-eval, yamlRestTest: 10_basic,
20_dcg, 30_failures, 40_rank_eval_templated), same documents, requests and expected values.
The ``Alias resolution`` case is left out: retrievo has no index aliases."""

from __future__ import annotations

import pytest

from retrievo import Engine
from retrievo.errors import BadRequestError


@pytest.fixture(scope="module")
def foo() -> Engine:
    engine = Engine()
    engine.indices.create(index="foo", settings={"index": {"number_of_shards": 1}})
    for doc_id, text in (
        ("doc1", "berlin"),
        ("doc2", "amsterdam"),
        ("doc3", "amsterdam"),
        ("doc4", "something about amsterdam and berlin"),
    ):
        engine.index(index="foo", id=doc_id, document={"text": text})
    engine.indices.refresh()
    return engine


AMSTERDAM = {"query": {"match": {"text": "amsterdam"}}}
BERLIN = {"query": {"match": {"text": "berlin"}}, "size": 10}


def test_basic_response_format(foo):
    response = foo.rank_eval(
        index="foo",
        search_type="query_then_fetch",
        body={
            "requests": [
                {
                    "id": "amsterdam_query",
                    "request": AMSTERDAM,
                    "ratings": [
                        {"_index": "foo", "_id": "doc1", "rating": 0},
                        {"_index": "foo", "_id": "doc2", "rating": 1},
                        {"_index": "foo", "_id": "doc3", "rating": 1},
                    ],
                },
                {"id": "berlin_query", "request": BERLIN, "ratings": [{"_index": "foo", "_id": "doc1", "rating": 1}]},
            ],
            "metric": {"precision": {"ignore_unlabeled": True}},
        },
    )
    assert response["metric_score"] == 1
    amsterdam, berlin = response["details"]["amsterdam_query"], response["details"]["berlin_query"]
    assert amsterdam["metric_score"] == 1.0
    assert amsterdam["unrated_docs"] == [{"_index": "foo", "_id": "doc4"}]
    assert amsterdam["metric_details"]["precision"] == {"relevant_docs_retrieved": 2, "docs_retrieved": 2}
    assert [(h["hit"]["_id"], h["rating"]) for h in amsterdam["hits"]] == [("doc2", 1), ("doc3", 1), ("doc4", None)]
    assert berlin["metric_score"] == 1.0
    assert berlin["unrated_docs"] == [{"_index": "foo", "_id": "doc4"}]
    assert berlin["metric_details"]["precision"] == {"relevant_docs_retrieved": 1, "docs_retrieved": 1}
    assert [(h["hit"]["_id"], h["rating"]) for h in berlin["hits"]] == [("doc1", 1), ("doc4", None)]
    assert response["failures"] == {}


def test_mean_reciprocal_rank(foo):
    ratings = [{"_index": "foo", "_id": "doc4", "rating": 1}]
    response = foo.rank_eval(
        body={
            "requests": [
                {"id": "amsterdam_query", "request": AMSTERDAM, "ratings": ratings},
                {"id": "berlin_query", "request": BERLIN, "ratings": ratings},
            ],
            "metric": {"mean_reciprocal_rank": {}},
        }
    )
    assert 0.416 < response["metric_score"] < 0.417
    assert response["metric_score"] == 0.41666666666666663  # (1/3 + 1/2) / 2 in Java's summation order
    amsterdam, berlin = response["details"]["amsterdam_query"], response["details"]["berlin_query"]
    assert 0.333 < amsterdam["metric_score"] < 0.334
    assert amsterdam["metric_details"]["mean_reciprocal_rank"] == {"first_relevant": 3}
    assert amsterdam["unrated_docs"] == [{"_index": "foo", "_id": "doc2"}, {"_index": "foo", "_id": "doc3"}]
    assert berlin["metric_score"] == 0.5
    assert berlin["metric_details"]["mean_reciprocal_rank"] == {"first_relevant": 2}
    assert berlin["unrated_docs"] == [{"_index": "foo", "_id": "doc1"}]


def test_expected_reciprocal_rank(foo):
    ratings = [{"_index": "foo", "_id": "doc4", "rating": 1}]
    response = foo.rank_eval(
        body={
            "requests": [
                {"id": "amsterdam_query", "request": AMSTERDAM, "ratings": ratings},
                {"id": "berlin_query", "request": BERLIN, "ratings": ratings},
            ],
            "metric": {"expected_reciprocal_rank": {"maximum_relevance": 1, "k": 5}},
        }
    )
    assert 0.2083333 < response["metric_score"] < 0.2083334
    assert response["details"]["amsterdam_query"]["metric_details"]["expected_reciprocal_rank"]["unrated_docs"] == 2
    assert response["details"]["berlin_query"]["metric_details"]["expected_reciprocal_rank"]["unrated_docs"] == 1


@pytest.fixture(scope="module")
def bars() -> Engine:
    engine = Engine()
    for i in range(1, 7):
        engine.index(index="foo", id=f"doc{i}", document={"bar": i})
    engine.indices.refresh(index="foo")
    return engine


DCG_RATINGS = [{"_index": "foo", "_id": f"doc{i}", "rating": r} for i, r in zip(range(1, 7), (3, 2, 3, 0, 1, 2))]
ASC = {"id": "dcg_query", "request": {"query": {"match_all": {}}, "sort": ["bar"]}, "ratings": DCG_RATINGS}
DESC = {
    "id": "dcg_query_reverse",
    "request": {"query": {"match_all": {}}, "sort": [{"bar": "desc"}]},
    "ratings": DCG_RATINGS,
}


def test_dcg(bars):
    response = bars.rank_eval(body={"requests": [ASC], "metric": {"dcg": {}}})
    assert 13.848263 < response["metric_score"] < 13.848264
    assert 13.848263 < response["details"]["dcg_query"]["metric_score"] < 13.848264
    assert response["details"]["dcg_query"]["unrated_docs"] == []
    response = bars.rank_eval(body={"requests": [DESC], "metric": {"dcg": {}}})
    assert 10.299674 < response["metric_score"] < 10.299675
    response = bars.rank_eval(body={"requests": [ASC, DESC], "metric": {"dcg": {}}})
    assert 12.073969 < response["metric_score"] < 12.073970
    assert 13.848263 < response["details"]["dcg_query"]["metric_score"] < 13.848264
    assert 10.299674 < response["details"]["dcg_query_reverse"]["metric_score"] < 10.299675


def test_normalized_dcg(bars):
    response = bars.rank_eval(body={"requests": [ASC, DESC], "metric": {"dcg": {"normalize": True}}})
    assert 0.948810 < response["details"]["dcg_query"]["metric_score"] < 0.948811
    assert 0.705679 < response["details"]["dcg_query_reverse"]["metric_score"] < 0.705680
    assert response["details"]["dcg_query"]["metric_details"]["dcg"]["ideal_dcg"] == pytest.approx(14.595390756454922)


def test_failures_do_not_fail_the_other_requests():
    engine = Engine()
    engine.index(index="foo", id="doc1", document={"bar": 1}, refresh=True)
    ratings = [{"_index": "foo", "_id": "doc1", "rating": 1}]
    response = engine.rank_eval(
        body={
            "requests": [
                {"id": "amsterdam_query", "request": {"query": {"match_all": {}}}, "ratings": ratings},
                {
                    "id": "invalid_query",
                    "request": {"query": {"range": {"bar": {"gte": "Basel", "time_zone": "+01:00"}}}},
                    "ratings": ratings,
                },
            ],
            "metric": {"precision": {"ignore_unlabeled": True}},
        }
    )
    assert response["metric_score"] == 1
    assert response["details"]["amsterdam_query"]["metric_score"] == 1.0
    assert response["details"]["amsterdam_query"]["unrated_docs"] == []
    assert response["details"]["amsterdam_query"]["metric_details"]["precision"] == {
        "relevant_docs_retrieved": 1,
        "docs_retrieved": 1,
    }
    assert response["failures"]["invalid_query"]["error"]["type"]
    assert "status" not in response["failures"]["invalid_query"]
    assert "invalid_query" not in response["details"]


@pytest.fixture(scope="module")
def test_index() -> Engine:
    engine = Engine()
    engine.indices.create(index="test", settings={"index": {"number_of_shards": 1}})
    engine.index(index="test", id="1", document={"text": "berlin", "title": "Berlin, Germany"})
    for doc_id in "23456":
        engine.index(index="test", id=doc_id, document={"text": "amsterdam"})
    engine.indices.refresh()
    return engine


MATCH_TEMPLATE = [{"id": "match", "template": {"source": '{"query": { "match" : {"text" : "{{query_string}}" }}}'}}]


def test_templated_requests(test_index):
    response = test_index.rank_eval(
        body={
            "templates": MATCH_TEMPLATE,
            "requests": [
                {
                    "id": "amsterdam_query",
                    "params": {"query_string": "amsterdam"},
                    "template_id": "match",
                    "ratings": [{"_index": "test", "_id": i, "rating": 1} for i in "2345"],
                },
                {
                    "id": "berlin_query",
                    "params": {"query_string": "berlin"},
                    "template_id": "match",
                    "ratings": [{"_index": "test", "_id": "1", "rating": 1}],
                },
            ],
            "metric": {"precision": {}},
        }
    )
    assert response["metric_score"] == 0.9
    assert response["details"]["amsterdam_query"]["unrated_docs"][0]["_id"] == "6"


@pytest.mark.parametrize(
    "source, message",
    [
        (
            '{ "aggs" : { "avg_grade" : { "avg" : { "field" : "grade" }}}}',
            "Query in rated requests should not contain aggregations.",
        ),
        (
            '{"suggest" : {"my-suggestion" : {"text" : "Elastic","term" : {"field" : "message"}}}}',
            "Query in rated requests should not contain a suggest section.",
        ),
        (
            '{"highlight" : { "fields" : {"content" : {}}}}',
            "Query in rated requests should not contain a highlighter section.",
        ),
        ('{"profile" : "true" }', "Query in rated requests should not use profile."),
        ('{"explain" : "true" }', "Query in rated requests should not use explain."),
    ],
)
def test_illegal_request_parts(test_index, source, message):
    with pytest.raises(BadRequestError) as caught:
        test_index.rank_eval(
            body={
                "templates": [{"id": "match", "template": {"source": source}}],
                "requests": [
                    {
                        "id": "amsterdam_query",
                        "params": {"query_string": "amsterdam"},
                        "template_id": "match",
                        "ratings": [],
                    }
                ],
                "metric": {"precision": {}},
            }
        )
    assert message in str(caught.value.body)
    assert caught.value.status_code == 400


def test_max_concurrent_searches_batches_the_requests_without_changing_the_answer(foo):
    """``max_concurrent_searches`` bounds how many rated requests run in one ``_msearch`` batch; the
    response is the one Elasticsearch gives whatever the bound (10_basic's requests and ratings)."""
    requests = [
        {
            "id": "amsterdam_query",
            "request": AMSTERDAM,
            "ratings": [{"_index": "foo", "_id": "doc2", "rating": 1}, {"_index": "foo", "_id": "doc3", "rating": 1}],
        },
        {"id": "berlin_query", "request": BERLIN, "ratings": [{"_index": "foo", "_id": "doc1", "rating": 1}]},
        {
            "id": "both_query",
            "request": {"query": {"match": {"text": "amsterdam berlin"}}},
            "ratings": [{"_index": "foo", "_id": "doc4", "rating": 1}],
        },
    ]
    metric = {"precision": {"ignore_unlabeled": True}}
    one = foo.rank_eval(index="foo", body={"requests": requests, "metric": metric, "max_concurrent_searches": 1})
    two = foo.rank_eval(index="foo", body={"requests": requests, "metric": metric, "max_concurrent_searches": 2})
    assert one == two
    assert {k: v["metric_score"] for k, v in one["details"].items()} == {
        "amsterdam_query": 1.0,
        "berlin_query": 1.0,
        "both_query": 1.0,
    }
    assert one["metric_score"] == 1.0
