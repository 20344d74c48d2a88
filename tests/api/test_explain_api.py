"""The explain API (``/{index}/_explain/{id}``): a matching document's explanation is the one a search
with ``explain: true`` gives its hit; a miss is Lucene's no-match explanation."""

from __future__ import annotations

from typing import Any

import pytest

from api_helpers import error_of, send
from retrievo import BadRequestError, Engine, NotFoundError
from retrievo.api.router import Router

QUERIES: list[dict[str, Any]] = [
    {"match": {"title": "fox"}},
    {"match": {"title": "red fox"}},
    {"bool": {"must": [{"match": {"title": "fox"}}], "should": [{"term": {"tags": "colour"}}]}},
    {"bool": {"must": [{"match": {"title": "fox"}}], "filter": [{"term": {"tags": "animal"}}]}},
    {"multi_match": {"query": "fox tree", "fields": ["title", "tags"]}},
    {"multi_match": {"query": "fox jumps", "fields": ["title^2", "tags"], "type": "most_fields"}},
    {"term": {"tags": "plant"}},
    {"range": {"year": {"gte": 2003}}},
    {"match_phrase": {"title": "blue fox"}},
]


def _search_explanations(router: Router, query: dict[str, Any]) -> dict[str, Any]:
    r = send(router, "POST", "/books/_search", {"query": query, "explain": True, "size": 100})
    assert r.status == 200
    return {hit["_id"]: hit["_explanation"] for hit in r.body["hits"]["hits"]}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: next(iter(q)))
def test_matched_explanation_is_the_search_hits(router: Router, query: dict[str, Any]) -> None:
    expected = _search_explanations(router, query)
    assert expected
    for doc_id in "0123":
        r = send(router, "POST", f"/books/_explain/{doc_id}", {"query": query})
        assert r.status == 200
        assert list(r.body)[:3] == ["_index", "_id", "matched"]
        assert r.body["_index"] == "books" and r.body["_id"] == doc_id
        assert r.body["matched"] is (doc_id in expected)
        if doc_id in expected:
            assert r.body["explanation"] == expected[doc_id]
        else:
            assert r.body["explanation"]["value"] == 0.0
        assert "get" not in r.body


def test_matched_outside_the_top_hits(router: Router) -> None:
    query = {"match": {"title": "fox"}}
    top = send(router, "POST", "/books/_search", {"query": query, "explain": True, "size": 1}).body["hits"]["hits"]
    assert [h["_id"] for h in top] == ["2"]
    everything = _search_explanations(router, query)
    r = send(router, "GET", "/books/_explain/1", {"query": query})
    assert r.body["matched"] is True and r.body["explanation"] == everything["1"]


def test_no_match_explanations(router: Router) -> None:
    def miss(doc_id: str, query: dict[str, Any]) -> dict[str, Any]:
        r = send(router, "POST", f"/books/_explain/{doc_id}", {"query": query})
        assert r.status == 200 and r.body["matched"] is False
        return r.body["explanation"]

    assert miss("3", {"match": {"title": "fox"}}) == {"value": 0.0, "description": "no matching term", "details": []}
    assert miss("0", {"match_phrase": {"title": "blue fox"}})["description"] == "no matching term"
    assert miss("3", {"match": {"title": "red fox"}}) == {
        "value": 0.0,
        "description": "No matching clauses",
        "details": [],
    }
    assert miss("3", {"dis_max": {"queries": [{"term": {"tags": "x"}}, {"term": {"tags": "y"}}]}}) == {
        "value": 0.0,
        "description": "No matching clause",
        "details": [],
    }
    bool_miss = miss("3", {"bool": {"must": [{"match": {"title": "tree"}}], "filter": [{"term": {"tags": "animal"}}]}})
    assert bool_miss["description"] == "Failure to meet condition(s) of required/prohibited clause(s)"
    scored, required = bool_miss["details"]
    assert scored["description"] == "weight(title:tree in 3) [PerFieldSimilarity], result of:"
    assert required == {
        "value": 0.0,
        "description": "no match on required clause (tags:animal)",
        "details": [{"value": 0.0, "description": "no matching term", "details": []}],
    }
    prohibited = miss(
        "1", {"bool": {"must": [{"match": {"title": "fox"}}], "must_not": [{"term": {"tags": "colour"}}]}}
    )
    assert [d["description"] for d in prohibited["details"]] == [
        "weight(title:fox in 1) [PerFieldSimilarity], result of:",
        "match on prohibited clause (tags:colour)",
    ]
    assert prohibited["details"][1]["details"][0]["description"].startswith("weight(tags:colour in 1)")


def test_source_and_get(router: Router) -> None:
    query = {"query": {"match_all": {}}}
    r = send(router, "GET", "/books/_explain/1", query, _source="true")
    assert r.body["matched"] is True and r.body["explanation"]["value"] == 1.0
    assert r.body["get"]["found"] is True and r.body["get"]["_source"] == {
        "title": "blue fox jumps",
        "year": 2005,
        "tags": ["animal", "colour"],
    }
    assert {"_seq_no", "_primary_term"} <= set(r.body["get"])
    r = send(router, "GET", "/books/_explain/1", query, _source_includes="title")
    assert r.body["get"]["_source"] == {"title": "blue fox jumps"}
    r = send(router, "GET", "/books/_explain/1", query, _source_excludes="tags,year")
    assert r.body["get"]["_source"] == {"title": "blue fox jumps"}
    assert "get" not in send(router, "GET", "/books/_explain/1", query, _source="false").body


def test_through_a_filtered_alias(router: Router) -> None:
    actions = {"actions": [{"add": {"index": "books", "alias": "animals", "filter": {"term": {"tags": "animal"}}}}]}
    assert send(router, "POST", "/_aliases", actions).status == 200
    r = send(router, "GET", "/animals/_explain/1", {"query": {"match_all": {}}})
    assert r.status == 200 and r.body["_index"] == "books" and r.body["matched"] is True
    r = send(router, "GET", "/animals/_explain/3", {"query": {"match_all": {}}})
    assert r.status == 200 and r.body["matched"] is False


def test_missing_document_and_index(router: Router) -> None:
    r = send(router, "GET", "/books/_explain/nope", {"query": {"match_all": {}}})
    assert r.status == 404 and r.body == {"_index": "books", "_id": "nope", "matched": False}
    send(router, "DELETE", "/books/_doc/1", refresh="true")
    assert send(router, "GET", "/books/_explain/1", {"query": {"match_all": {}}}).status == 404
    r = send(router, "GET", "/nope/_explain/1", {"query": {"match_all": {}}})
    assert r.status == 404 and error_of(r)["type"] == "index_not_found_exception"


def test_bad_requests(router: Router) -> None:
    r = send(router, "POST", "/books/_explain/1", {"query": {"match_all": {}}, "size": 3})
    assert r.status == 400 and error_of(r) | {"root_cause": None} == {
        "type": "parsing_exception",
        "reason": "request does not support [size]",
        "root_cause": None,
    }
    r = send(router, "POST", "/books/_explain/1", {"match_all": {}})
    assert r.status == 400 and error_of(r)["type"] == "parsing_exception"
    r = send(router, "POST", "/books/_explain/1")
    assert r.status == 400 and error_of(r)["reason"] == "Validation Failed: 1: query is missing;"
    r = send(router, "GET", "/books/_explain/1", {"query": {"match_all": {}}}, stored_fields="x")
    assert r.status == 400 and error_of(r)["reason"] == "[stored_fields] is not supported in retrievo"
    r = send(router, "GET", "/books/_explain/1", {"query": {"match_all": {}}}, df="x")
    assert r.status == 400
    assert error_of(r)["reason"].endswith("contains parameters [df] but missing query string parameter 'q'.")
    r = send(router, "GET", "/books/_explain/1", {"query": {"match_all": {}}}, explain="true")
    assert r.status == 400 and error_of(r)["type"] == "illegal_argument_exception"


def test_through_the_official_client() -> None:
    es = Engine()
    es.indices.create(index="docs", mappings={"properties": {"title": {"type": "text"}}})
    es.index(index="docs", id="a", document={"title": "quick brown fox"}, refresh=True)
    es.index(index="docs", id="b", document={"title": "lazy dog"}, refresh=True)
    query = {"match": {"title": "fox"}}
    hit = es.search(index="docs", query=query, explain=True)["hits"]["hits"][0]
    r = es.explain(index="docs", id="a", query=query)
    assert r.meta.status == 200 and r.body["matched"] is True and r.body["explanation"] == hit["_explanation"]
    r = es.explain(index="docs", id="b", query=query, source=True)
    assert r.body["matched"] is False and r.body["get"]["_source"] == {"title": "lazy dog"}
    with pytest.raises(NotFoundError) as missing:
        es.explain(index="docs", id="zzz", query=query)
    assert missing.value.body == {"_index": "docs", "_id": "zzz", "matched": False}
    with pytest.raises(NotFoundError):
        es.explain(index="nope", id="a", query=query)
    with pytest.raises(BadRequestError):
        es.explain(index="docs", id="a", body={"query": query, "from": 1})
