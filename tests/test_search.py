"""Search features end to end on a small index, against independently computed expectations."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo import BadRequestError, Engine
from tests.bm25_reference import bm25_scores

DOCS = [
    {
        "title": "The quick brown fox",
        "body": "a quick brown fox jumps over the lazy dog",
        "year": 2001,
        "tag": ["animals", "classic"],
        "price": 9.5,
    },
    {
        "title": "Lazy dogs",
        "body": "dogs sleep all day and the lazy dog dreams",
        "year": 1999,
        "tag": ["animals"],
        "price": 20.0,
    },
    {
        "title": "Foxes in the city",
        "body": "urban fox populations grow quick in cities",
        "year": 2015,
        "tag": ["urban"],
        "price": 15.25,
    },
    {"title": "Brown bread", "body": "a recipe for brown bread with quick yeast", "year": 2010, "tag": ["food"]},
    {"title": "Nothing here", "body": "completely unrelated text about databases", "year": 2020, "tag": []},
]


@pytest.fixture(scope="module")
def e() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="t",
        mappings={
            "properties": {
                "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
                "body": {"type": "text"},
                "year": {"type": "integer"},
                "tag": {"type": "keyword"},
                "price": {"type": "double"},
            }
        },
    )
    ops = []
    for i, d in enumerate(DOCS):
        ops += [{"index": {"_index": "t", "_id": str(i)}}, d]
    engine.bulk(operations=ops, refresh=True)
    return engine


def _ids(resp):
    return [h["_id"] for h in resp["hits"]["hits"]]


def test_match_scores_equal_independent_bm25(e):
    tokens = [d["body"].lower().split() for d in DOCS]
    want = bm25_scores(tokens, ["quick", "fox"])
    resp = e.search(index="t", query={"match": {"body": "quick fox"}})
    order = sorted((i for i, s in enumerate(want) if s > 0), key=lambda i: (-want[i], i))
    assert _ids(resp) == [str(i) for i in order]
    for h in resp["hits"]["hits"]:
        assert h["_score"] == pytest.approx(want[int(h["_id"])], rel=1e-6)
    assert resp["hits"]["max_score"] == resp["hits"]["hits"][0]["_score"]
    assert resp["hits"]["total"] == {"value": len(order), "relation": "eq"}


def test_operator_and_and_minimum_should_match(e):
    anded = e.search(index="t", query={"match": {"body": {"query": "quick brown", "operator": "and"}}})
    msm = e.search(index="t", query={"match": {"body": {"query": "quick brown", "minimum_should_match": "100%"}}})
    assert set(_ids(anded)) == {"0", "3"}
    assert _ids(msm) == _ids(anded)
    assert [h["_score"] for h in msm["hits"]["hits"]] == [h["_score"] for h in anded["hits"]["hits"]]


def test_standard_retriever_filter_does_not_change_scores(e):
    plain = e.search(index="t", query={"match": {"body": "quick"}})
    filtered = e.search(
        index="t",
        retriever={"standard": {"query": {"match": {"body": "quick"}}, "filter": {"range": {"year": {"gte": 2005}}}}},
    )
    scores = {h["_id"]: h["_score"] for h in plain["hits"]["hits"]}
    assert _ids(filtered) == [i for i in _ids(plain) if DOCS[int(i)]["year"] >= 2005]
    for h in filtered["hits"]["hits"]:
        assert h["_score"] == scores[h["_id"]]


def test_filter_only_scores_zero_and_no_query_scores_one(e):
    resp = e.search(index="t", retriever={"standard": {"filter": [{"term": {"tag": "animals"}}]}})
    assert sorted(_ids(resp)) == ["0", "1"]
    assert all(h["_score"] == 0.0 for h in resp["hits"]["hits"])
    resp = e.search(index="t", retriever={"standard": {}})
    assert _ids(resp) == ["0", "1", "2", "3", "4"] and all(h["_score"] == 1.0 for h in resp["hits"]["hits"])


def test_sort_by_field_and_paging(e):
    resp = e.search(index="t", query={"match_all": {}}, sort=[{"year": "desc"}], size=2, from_=1)
    assert _ids(resp) == ["2", "3"]  # years 2020, 2015, 2010, 2001, 1999 → skip one, take two
    assert [h["sort"] for h in resp["hits"]["hits"]] == [[2015], [2010]]
    assert all(h["_score"] is None for h in resp["hits"]["hits"]) and resp["hits"]["max_score"] is None
    resp = e.search(index="t", query={"match_all": {}}, sort=[{"price": {"order": "asc", "missing": "_first"}}])
    assert _ids(resp)[:2] == ["3", "4"] and _ids(resp)[2:] == ["0", "2", "1"]
    resp = e.search(index="t", query={"match_all": {}}, sort=[{"tag": "asc"}])
    assert _ids(resp) == ["0", "1", "3", "2", "4"]  # min tag per doc: animals, animals, food, urban, missing
    with pytest.raises(BadRequestError) as info:
        e.search(index="t", query={"match_all": {}}, sort=["title"])
    assert "Text fields are not optimised" in info.value.body["error"]["reason"]


def test_search_after_continues_a_sort(e):
    first = e.search(index="t", query={"match_all": {}}, sort=[{"year": "asc"}], size=2)
    after = first["hits"]["hits"][-1]["sort"]
    rest = e.search(index="t", query={"match_all": {}}, sort=[{"year": "asc"}], size=10, search_after=after)
    assert _ids(first) + _ids(rest) == ["1", "0", "3", "2", "4"]


def test_min_score_terminate_after_and_total_hits(e):
    all_hits = e.search(index="t", query={"match": {"body": "quick fox dog"}})
    cut = all_hits["hits"]["hits"][1]["_score"]
    resp = e.search(index="t", query={"match": {"body": "quick fox dog"}}, min_score=cut)
    assert _ids(resp) == _ids(all_hits)[:2] and resp["hits"]["total"]["value"] == 2
    resp = e.search(index="t", query={"match_all": {}}, terminate_after=2)
    assert resp["terminated_early"] is True and resp["hits"]["total"]["value"] == 2 and _ids(resp) == ["0", "1"]
    resp = e.search(index="t", query={"match_all": {}}, track_total_hits=3)
    assert resp["hits"]["total"] == {"value": 3, "relation": "gte"}
    resp = e.search(index="t", query={"match_all": {}}, track_total_hits=False)
    assert "total" not in resp["hits"]


def test_source_filtering_and_named_queries(e):
    resp = e.search(
        index="t",
        query={
            "bool": {
                "should": [
                    {"match": {"title": {"query": "fox", "_name": "title_fox"}}},
                    {"term": {"tag": {"value": "animals", "_name": "animal"}}},
                ]
            }
        },
        _source=["title", "year"],
    )
    hits = {h["_id"]: h for h in resp["hits"]["hits"]}
    assert hits["0"]["_source"] == {"title": "The quick brown fox", "year": 2001}
    assert sorted(hits["0"]["matched_queries"]) == ["animal", "title_fox"]
    assert hits["1"]["matched_queries"] == ["animal"]
    resp = e.search(index="t", query={"ids": {"values": ["2"]}}, _source={"excludes": ["body", "tag"]})
    assert resp["hits"]["hits"][0]["_source"] == {"title": "Foxes in the city", "year": 2015, "price": 15.25}


def test_term_range_exists_prefix_terms(e):
    assert sorted(_ids(e.search(index="t", query={"exists": {"field": "price"}}))) == ["0", "1", "2"]
    assert sorted(_ids(e.search(index="t", query={"range": {"price": {"gt": 9.5, "lte": 20}}}))) == ["1", "2"]
    assert sorted(_ids(e.search(index="t", query={"prefix": {"title.raw": "Bro"}}))) == ["3"]
    assert sorted(_ids(e.search(index="t", query={"terms": {"tag": ["food", "urban"]}}))) == ["2", "3"]
    resp = e.search(index="t", query={"constant_score": {"filter": {"term": {"tag": "animals"}}, "boost": 2.5}})
    assert [h["_score"] for h in resp["hits"]["hits"]] == [2.5, 2.5]


def test_dis_max_and_boost(e):
    a = e.search(index="t", query={"match": {"title": "fox"}})["hits"]["hits"]
    b = e.search(index="t", query={"match": {"body": "fox"}})["hits"]["hits"]
    title = {h["_id"]: h["_score"] for h in a}
    body = {h["_id"]: h["_score"] for h in b}
    resp = e.search(
        index="t",
        query={"dis_max": {"queries": [{"match": {"title": "fox"}}, {"match": {"body": "fox"}}], "tie_breaker": 0.5}},
    )
    for h in resp["hits"]["hits"]:
        t, bd = title.get(h["_id"], 0.0), body.get(h["_id"], 0.0)
        want = np.float32(max(t, bd) + min(t, bd) * float(np.float32(0.5)))
        assert np.float32(h["_score"]) == want
    boosted = e.search(index="t", query={"match": {"title": {"query": "fox", "boost": 2}}})["hits"]["hits"]
    for h in boosted:
        assert h["_score"] == pytest.approx(2 * title[h["_id"]], rel=1e-6)


def test_explain_matches_score_and_plan_prints(e):
    resp = e.search(index="t", query={"match": {"body": "quick fox"}}, explain=True, size=2)
    for h in resp["hits"]["hits"]:
        assert h["_explanation"]["value"] == h["_score"]
        assert h["_explanation"]["description"] == "sum of:"
    plan = e.plan(index="t", query={"match": {"body": "quick fox"}}, size=3)
    text = str(plan)
    assert "Bm25Score(query=body:quick body:fox)" in text and "Page(from=0, size=3)" in text


@pytest.mark.parametrize(
    "body,etype,reason",
    [
        ({"query": {"nope": {}}}, "parsing_exception", "unknown query [nope]"),
        (
            {"retriever": {"standard": {}}, "query": {"match_all": {}}},
            "illegal_argument_exception",
            "cannot specify [retriever] and [query]",
        ),
    ],
)
def test_malformed_requests(e, body, etype, reason):
    with pytest.raises(BadRequestError) as info:
        e.search(index="t", body=body)
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == etype
    assert info.value.body["error"]["reason"].startswith(reason)


def test_unknown_field_in_match_is_rejected(e):
    with pytest.raises(BadRequestError) as info:
        e.search(index="t", query={"match": {"body": {"query": "x", "bogus": 1}}})
    assert info.value.body["error"]["type"] == "parsing_exception"
    assert "bogus" in info.value.body["error"]["reason"]


def test_search_after_reads_a_date_in_the_fields_own_format():
    """``search_after`` strings for a date sort are parsed with the field's ``format``
    (``DocValueFormat.DateTime.parseLong``); numbers are epoch millis as the hits' sort values print them."""
    es = Engine()
    es.indices.create(index="d", mappings={"properties": {"d": {"type": "date", "format": "dd/MM/yyyy"}}})
    es.index(index="d", id="1", document={"d": "01/02/2020"})
    es.index(index="d", id="2", document={"d": "03/02/2020"}, refresh=True)
    first = es.search(index="d", sort=[{"d": "asc"}])["hits"]["hits"]
    assert [h["sort"] for h in first] == [[1580515200000], [1580688000000]]  # 2020-02-01 / 02-03 UTC
    for after in ("01/02/2020", 1580515200000):
        rest = es.search(index="d", sort=[{"d": "asc"}], search_after=[after])["hits"]["hits"]
        assert [h["_id"] for h in rest] == ["2"]
    with pytest.raises(BadRequestError) as info:
        es.search(index="d", sort=[{"d": "asc"}], search_after=["2020-02-01"])
    assert info.value.body["error"]["reason"] == "Failed to parse search_after value [2020-02-01] for field [d]"
