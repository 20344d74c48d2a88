"""The per-search fast paths (issue 18 item 3) answer exactly what the full paths answer.

Each shortcut skips work only when the request cannot need it; these tests drive the official
client through the requests that *do* need it, next to the plain ones the shortcuts serve:

* the query-rules walk only descends into fields that can hold an AST node
  (:func:`retrievo.retrievers.node_fields.node_fields`): a ``rule`` query nested inside other queries
  is still found and rewritten;
* a search without URL parameters skips the parameter checks: with parameters they still apply;
* hits that show no ``_source`` and fetch no fields skip reading the document, but ``_ignored``
  (which is computed from the source) still appears;
* the router remembers (method, path) matches: a wrong method is still a 405, a new table applies.
"""

from __future__ import annotations

import elasticsearch
import pytest

from retrievo import Engine
from retrievo.api.router import Router
from retrievo.api.routes import ROUTES
from retrievo.retrievers.node_fields import node_fields
from retrievo.retrievers.queries import BoolQuery, MatchQuery
from retrievo.retrievers.search import SearchRequest, SourceFilter


@pytest.fixture
def es() -> Engine:
    client = Engine()
    client.indices.create(
        index="pets",
        mappings={"properties": {"text": {"type": "text"}, "tag": {"type": "keyword", "ignore_above": 3}}},
    )
    docs = [
        {"text": "pugs are small dogs", "tag": "dog"},
        {"text": "cats and dogs", "tag": "mixed"},  # "mixed" is over ignore_above: _ignored = [tag]
        {"text": "a parrot", "tag": "elephant"},
    ]
    for i, doc in enumerate(docs, 1):
        client.index(index="pets", id=str(i), document=doc)
    client.indices.refresh(index="pets")
    return client


def test_node_fields_skip_scalars_only():
    assert node_fields(MatchQuery) == ("fuzzy",)  # field, query, operator ... are plain values
    assert node_fields(SourceFilter) == ()
    assert {"must", "should", "filter", "must_not"} <= set(node_fields(BoolQuery))
    assert "retriever" in node_fields(SearchRequest) and "size" not in node_fields(SearchRequest)


def test_nested_rule_query_is_still_rewritten(es):
    es.query_rules.put_ruleset(
        ruleset_id="pin",
        rules=[
            {
                "rule_id": "r1",
                "type": "pinned",
                "criteria": [{"type": "exact", "metadata": "q", "values": ["parrot"]}],
                "actions": {"ids": ["3"]},
            }
        ],
    )
    rule = {"rule": {"organic": {"match": {"text": "dogs"}}, "ruleset_ids": ["pin"], "match_criteria": {"q": "parrot"}}}
    nested = {"bool": {"must": [{"constant_score": {"filter": {"match_all": {}}}}], "should": [rule]}}
    resp = es.search(index="pets", query=nested)
    ids = [h["_id"] for h in resp["hits"]["hits"]]
    # doc 3 does not match "dogs": only the pin (rewritten from the nested rule query) ranks it first
    assert ids[0] == "3" and set(ids) == {"1", "2", "3"}
    plain = es.search(
        index="pets", query={"bool": {"must": [{"match_all": {}}], "should": [{"match": {"text": "dogs"}}]}}
    )
    assert plain["hits"]["hits"][-1]["_id"] == "3"


def test_url_parameters_still_checked_and_applied(es):
    resp = es.search(index="pets", q="text:parrot")  # ?q= : the URL's query
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["3"]
    with pytest.raises(elasticsearch.BadRequestError) as info:
        es.search(index="pets", query={"match_all": {}}, search_type="nope")
    assert info.value.body["error"]["reason"] == "No search type for [nope]"
    resp = es.search(index="pets", query={"match": {"text": "dogs"}}, rest_total_hits_as_int=True)
    assert resp["hits"]["total"] == 2


def test_hits_without_source_keep_ignored_and_fields(es):
    resp = es.search(index="pets", query={"match": {"text": "dogs"}}, _source=False)
    hits = {h["_id"]: h for h in resp["hits"]["hits"]}
    assert set(hits) == {"1", "2"}
    assert all("_source" not in h for h in hits.values())
    assert hits["2"]["_ignored"] == ["tag"] and "_ignored" not in hits["1"]
    resp = es.search(index="pets", query={"match": {"text": "pugs"}}, _source=False, docvalue_fields=["tag"])
    (hit,) = resp["hits"]["hits"]
    assert hit["fields"] == {"tag": ["dog"]} and "_source" not in hit
    resp = es.search(index="pets", query={"match": {"text": "parrot"}})
    assert resp["hits"]["hits"][0]["_source"] == {"text": "a parrot", "tag": "elephant"}


def test_filtered_alias_still_resolved(es):
    es.indices.put_alias(index="pets", name="dogs_only", filter={"term": {"tag": "dog"}})
    resp = es.search(index="dogs_only", query={"match": {"text": "dogs"}})
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["1"]


def test_router_memo_matches_as_the_table_does(es):
    router = Router(es.catalog)
    first = router.match("GET", "/pets/_search")
    assert not isinstance(first, Exception) and isinstance(first, tuple)
    route, parts = first
    parts["index"] = "changed"  # a caller's copy: the next match is not affected
    again = router.match("GET", "/pets/_search")
    assert isinstance(again, tuple) and again[0] is route and again[1] == {"index": "pets"}
    for _ in range(2):  # a wrong method answers 405 every time (not remembered as a match)
        wrong = router.match("PUT", "/pets/_search")
        assert not isinstance(wrong, tuple) and wrong.status == 405
    router.routes = tuple(r for r in ROUTES if r.api != "search")
    gone = router.match("GET", "/pets/_search")
    assert not isinstance(gone, tuple) or gone[0].api != "search"
