"""Index resolution where a single name used to be taken as it is: ``_bulk`` items (write indices of
aliases), single-document writes and reads through aliases, and ``_msearch`` headers (comma lists,
wildcards, aliases, filtered aliases) resolved as ``_search`` resolves its path."""

from __future__ import annotations

from typing import Any

import pytest

import retrievo
from api_helpers import error_of, ndjson, send
from retrievo.api.router import Router

NO_WRITE_INDEX = (
    "no write index is defined for alias [{}]. The write index may be explicitly disabled using "
    "is_write_index=false or the alias points to multiple indices without one being designated as a write index"
)


@pytest.fixture
def aliased(router: Router) -> Router:
    actions = [
        {"add": {"index": "books", "alias": "one"}},
        {"add": {"indices": ["books", "films"], "alias": "both"}},
        {"add": {"index": "films", "alias": "writer", "is_write_index": True}},
        {"add": {"index": "books", "alias": "writer"}},
        {"add": {"index": "books", "alias": "recent", "filter": {"range": {"year": {"gte": 2005}}}}},
        {"add": {"index": "films", "alias": "disabled", "is_write_index": False}},
    ]
    assert send(router, "POST", "/_aliases", {"actions": actions}).status == 200
    return router


def _ids(router: Router, index: str) -> set[str]:
    hits = send(router, "POST", f"/{index}/_search", {"size": 100}).body["hits"]["hits"]
    return {h["_id"] for h in hits}


def test_bulk_items_write_through_aliases(aliased: Router) -> None:
    body = ndjson(
        {"index": {"_index": "one", "_id": "a1"}},
        {"title": "one-index alias"},
        {"index": {"_index": "writer", "_id": "w1"}},
        {"title": "write-index alias"},
        {"index": {"_index": "both", "_id": "b1"}},
        {"title": "no write index"},
        {"create": {"_index": "disabled", "_id": "d1"}},
        {"title": "write index disabled"},
        {"update": {"_index": "writer", "_id": "w1"}},
        {"doc": {"extra": 1}},
        {"delete": {"_index": "one", "_id": "0"}},
        {"index": {"_index": "boo*", "_id": "x"}},
        {"title": "wildcard"},
    )
    r = send(aliased, "POST", "/_bulk", body, refresh="true")
    assert r.status == 200 and r.body["errors"] is True
    items = [next(iter(item.values())) for item in r.body["items"]]
    assert [i["_index"] for i in items[:2]] == ["books", "films"]
    assert [i["status"] for i in items[:2]] == [201, 201]
    for item, alias in ((items[2], "both"), (items[3], "disabled")):
        assert item["status"] == 400 and item["_index"] == alias
        assert item["error"]["type"] == "illegal_argument_exception"
        assert item["error"]["reason"] == NO_WRITE_INDEX.format(alias)
    assert items[4]["_index"] == "films" and items[4]["result"] == "updated"
    assert items[5]["_index"] == "books" and items[5]["result"] == "deleted"
    assert items[6]["status"] == 400 and items[6]["error"]["type"] == "invalid_index_name_exception"
    assert "a1" in _ids(aliased, "books") and "0" not in _ids(aliased, "books")
    assert "w1" in _ids(aliased, "films") and "b1" not in _ids(aliased, "both")
    assert set(send(aliased, "GET", "/_all").body) == {"books", "films"}  # no index made under an alias name


def test_bulk_path_index_is_an_alias(aliased: Router) -> None:
    r = send(aliased, "POST", "/writer/_bulk", ndjson({"index": {"_id": "p1"}}, {"title": "path"}))
    assert r.body["items"][0]["index"]["_index"] == "films"
    r = send(
        aliased, "POST", "/both/_bulk", ndjson({"index": {"_id": "p2"}}, {"title": "x"}, {"delete": {"_id": "p3"}})
    )
    assert r.status == 200 and r.body["errors"] is True
    assert [next(iter(i.values()))["error"]["reason"] for i in r.body["items"]] == [NO_WRITE_INDEX.format("both")] * 2


def test_single_document_apis_through_aliases(aliased: Router) -> None:
    assert send(aliased, "PUT", "/writer/_doc/s1", {"title": "single"}, refresh="true").body["_index"] == "films"
    assert send(aliased, "PUT", "/writer/_create/s2", {"title": "single"}).body["_index"] == "films"
    assert send(aliased, "POST", "/writer/_update/s1", {"doc": {"n": 1}}).body["_index"] == "films"
    assert send(aliased, "DELETE", "/writer/_doc/s2").body["_index"] == "films"
    for method, path, body in (
        ("PUT", "/both/_doc/x", {"title": "x"}),
        ("POST", "/both/_update/0", {"doc": {"n": 1}}),
        ("DELETE", "/both/_doc/0", None),
        ("PUT", "/disabled/_doc/x", {"title": "x"}),
    ):
        r = send(aliased, method, path, body)
        assert r.status == 400 and error_of(r)["reason"] == NO_WRITE_INDEX.format(path.split("/")[1])
    # reads never pick the write index: an alias of several indices is refused
    r = send(aliased, "GET", "/writer/_doc/s1")
    assert r.status == 400
    assert error_of(r)["reason"] == (
        "alias [writer] has more than one index associated with it [books, films], can't execute a single index op"
    )
    assert send(aliased, "GET", "/disabled/_doc/s1").body["_index"] == "films"
    # mget: such an alias fails its own item only
    r = send(aliased, "POST", "/_mget", {"docs": [{"_index": "writer", "_id": "s1"}, {"_index": "one", "_id": "1"}]})
    assert r.status == 200
    assert r.body["docs"][0]["error"]["type"] == "illegal_argument_exception"
    assert r.body["docs"][1]["_index"] == "books" and r.body["docs"][1]["found"] is True


def _without_took(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("took", "status")}


@pytest.mark.parametrize(
    "header",
    [
        {"index": "both"},
        {"index": "books,films"},
        {"index": ["books", "films"]},
        {"index": "b*,f*"},
        {"index": "*"},
        {"index": "_all"},
        {},
        {"index": "recent"},
        {"index": "recent,films"},
        {"index": "one"},
        {"index": "nothing*"},
    ],
)
def test_msearch_headers_resolve_as_search_does(aliased: Router, header: dict[str, Any]) -> None:
    body = {"query": {"match": {"title": "fox"}}}
    r = send(aliased, "POST", "/_msearch", ndjson(header, body, {"index": "books"}, body))
    assert r.status == 200
    index = header.get("index")
    path = ",".join(index) if isinstance(index, list) else index
    expected = send(aliased, "POST", f"/{path}/_search" if path else "/_search", body)
    assert expected.status == 200
    first, second = r.body["responses"]
    assert first["status"] == 200 and second["status"] == 200
    assert _without_took(first) == _without_took(expected.body)
    assert _without_took(second) == _without_took(send(aliased, "POST", "/books/_search", body).body)


def test_msearch_filtered_alias_filters_and_errors_stay_per_search(aliased: Router) -> None:
    body = {"query": {"match": {"title": "fox"}}}
    r = send(
        aliased,
        "POST",
        "/_msearch",
        ndjson({"index": "recent"}, body, {"index": "missing"}, body, {"index": "books"}, body),
    )
    recent, missing, books = r.body["responses"]
    assert {h["_id"] for h in recent["hits"]["hits"]} == {"1", "2"}
    assert {h["_id"] for h in books["hits"]["hits"]} == {"0", "1", "2"}
    assert missing["status"] == 404 and missing["error"]["type"] == "index_not_found_exception"
    # the path index is each header's default, an alias too
    r = send(aliased, "POST", "/recent/_msearch", ndjson({}, body))
    assert {h["_id"] for h in r.body["responses"][0]["hits"]["hits"]} == {"1", "2"}
    # the request's ignore_unavailable applies to every header
    r = send(aliased, "POST", "/_msearch", ndjson({"index": "missing,books"}, body), ignore_unavailable="true")
    assert r.body["responses"][0]["hits"]["total"]["value"] == 3


def test_engine_client_goes_through_the_same_resolution() -> None:
    es = retrievo.Engine()
    es.indices.create(index="a")
    es.indices.create(index="b", aliases={"logs": {"is_write_index": True}})
    es.indices.put_alias(index="a", name="logs")
    r = es.bulk(operations=[{"index": {"_index": "logs", "_id": "1"}}, {"t": "fox"}], refresh=True)
    assert r["items"][0]["index"]["_index"] == "b"
    es.index(index="a", id="2", document={"t": "fox"}, refresh=True)
    r = es.msearch(searches=[{"index": "logs"}, {"query": {"match": {"t": "fox"}}}])
    assert sorted(h["_index"] for h in r["responses"][0]["hits"]["hits"]) == ["a", "b"]


def test_rank_eval_resolves_its_index_expression(aliased: Router) -> None:
    ratings = [{"_index": "books", "_id": i, "rating": 1} for i in ("1", "2")]
    body = {
        "requests": [{"id": "q", "request": {"query": {"match": {"title": "fox"}}}, "ratings": ratings}],
        "metric": {"precision": {"k": 10, "ignore_unlabeled": True}},
    }
    r = send(aliased, "POST", "/recent/_rank_eval", body)
    assert r.status == 200 and r.body["metric_score"] == 1.0
    assert {h["hit"]["_id"] for h in r.body["details"]["q"]["hits"]} == {"1", "2"}
    r = send(aliased, "POST", "/books,films/_rank_eval", body)
    assert r.status == 200 and len(r.body["details"]["q"]["hits"]) == 4


def test_esql_from_an_alias(aliased: Router) -> None:
    def years(source: str) -> list[int]:
        r = send(aliased, "POST", "/_query", {"query": f"FROM {source} | KEEP year | SORT year | LIMIT 10"})
        assert r.status == 200, r.body
        return [row[0] for row in r.body["values"]]

    assert years("one") == years("books") and len(years("one")) == 4
    assert years("recent") == [2005, 2010]
    r = send(aliased, "POST", "/_query", {"query": "FROM both | LIMIT 1"})
    assert r.status == 400 and "more than one index" in error_of(r)["reason"]


def test_msearch_header_index_options_override_the_request(aliased: Router) -> None:
    body = {"query": {"match_all": {}}}
    lines = ndjson(
        {"index": "missing,books", "ignore_unavailable": True},
        body,
        {"index": "missing,books"},
        body,
        {"index": "nothing*", "allowNoIndices": "false"},
        body,
        {"index": "b*", "expand_wildcards": "none"},
        body,
    )
    kept, missing, none_allowed, unexpanded = send(aliased, "POST", "/_msearch", lines).body["responses"]
    assert kept["hits"]["total"]["value"] == 4
    assert missing["status"] == 404 and missing["error"]["type"] == "index_not_found_exception"
    assert none_allowed["status"] == 404 and none_allowed["error"]["reason"] == "no such index [nothing*]"
    assert unexpanded["hits"]["total"]["value"] == 0
    # the header wins over the request's parameter
    r = send(
        aliased,
        "POST",
        "/_msearch",
        ndjson({"index": "missing", "ignore_unavailable": "false"}, body),
        ignore_unavailable="true",
    )
    assert r.body["responses"][0]["status"] == 404


def test_require_alias(aliased: Router) -> None:
    reason = "no such index [books] and [require_alias] request flag is [true] and [books] is not an alias"
    r = send(aliased, "PUT", "/books/_doc/r1", {"title": "x"}, require_alias="true")
    assert r.status == 404 and error_of(r)["type"] == "index_not_found_exception" and error_of(r)["reason"] == reason
    assert send(aliased, "PUT", "/one/_doc/r1", {"title": "x"}, require_alias="true").body["_index"] == "books"
    lines = ndjson(
        {"index": {"_index": "books", "_id": "r2", "require_alias": True}},
        {"title": "x"},
        {"index": {"_index": "one", "_id": "r3", "require_alias": True}},
        {"title": "x"},
        {"index": {"_index": "books", "_id": "r4"}},
        {"title": "x"},
    )
    items = [next(iter(i.values())) for i in send(aliased, "POST", "/_bulk", lines).body["items"]]
    assert items[0]["status"] == 404 and items[0]["error"]["reason"] == reason
    assert [items[1]["_index"], items[2]["_index"]] == ["books", "books"]
    items = send(aliased, "POST", "/_bulk", lines, require_alias="true").body["items"]
    assert [next(iter(i.values()))["status"] for i in items] == [404, 200, 404]  # r3 is replaced
