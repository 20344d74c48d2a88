"""Aliases (filtered too), index resolution through them, delete/update by query, field_caps."""

from __future__ import annotations

from api_helpers import error_of, send
from retrievo.api.router import Router


def test_put_get_delete_alias(router: Router) -> None:
    assert send(router, "PUT", "/books/_alias/library").body == {"acknowledged": True}
    r = send(router, "GET", "/_alias/library")
    assert r.status == 200 and r.body == {"books": {"aliases": {"library": {}}}}
    assert send(router, "HEAD", "/_alias/library").status == 200
    assert send(router, "HEAD", "/_alias/nothing").status == 404
    r = send(router, "GET", "/_alias")
    assert r.body == {"books": {"aliases": {"library": {}}}, "films": {"aliases": {}}}
    r = send(router, "GET", "/_alias/nothing")
    assert r.status == 404 and r.body["error"] == "alias [nothing] missing"
    assert send(router, "GET", "/books").body["books"]["aliases"] == {"library": {}}
    assert send(router, "DELETE", "/books/_alias/library").body == {"acknowledged": True}
    r = send(router, "DELETE", "/books/_alias/library")
    assert r.status == 404 and error_of(r)["type"] == "aliases_not_found_exception"
    r = send(router, "PUT", "/books/_alias/films")
    assert r.status == 400 and error_of(r)["type"] == "invalid_alias_name_exception"
    r = send(router, "PUT", "/books/_alias/ok", {"filter": {"nonsense": {}}})
    assert r.status == 400


def test_search_count_and_documents_through_aliases(router: Router) -> None:
    r = send(
        router,
        "POST",
        "/_aliases",
        {
            "actions": [
                {"add": {"index": "books", "alias": "recent", "filter": {"range": {"year": {"gte": 2005}}}}},
                {"add": {"indices": ["books", "films"], "alias": "everything"}},
            ]
        },
    )
    assert r.status == 200 and r.body["acknowledged"] is True
    r = send(router, "POST", "/recent/_search", {"query": {"match": {"title": "fox"}}})
    assert [h["_id"] for h in r.body["hits"]["hits"]] == ["2", "1"]
    direct = send(router, "POST", "/books/_search", {"query": {"match": {"title": "fox"}}}).body["hits"]["hits"]
    assert [h["_score"] for h in r.body["hits"]["hits"]] == [h["_score"] for h in direct if h["_id"] in ("2", "1")]
    assert send(router, "GET", "/recent/_count").body["count"] == 2
    assert send(router, "GET", "/everything/_count").body["count"] == 5
    # an index named directly and through a filtered alias is not filtered
    assert send(router, "GET", "/recent,books/_count").body["count"] == 4
    assert send(router, "GET", "/rec*/_count").body["count"] == 2
    # single-document APIs go through an alias of one index
    assert send(router, "GET", "/recent/_doc/0").body["_index"] == "books"
    r = send(router, "GET", "/everything/_doc/0")
    assert r.status == 400 and "more than one index" in error_of(r)["reason"]
    assert send(router, "PUT", "/recent/_doc/new", {"title": "via alias", "year": 2030}).body["_index"] == "books"
    r = send(router, "POST", "/_aliases", {"actions": [{"remove": {"index": "books", "alias": "recent"}}]})
    assert r.status == 200 and send(router, "GET", "/_alias/recent").status == 404


def test_create_index_with_aliases_and_delete_drops_them(router: Router) -> None:
    r = send(router, "PUT", "/notes", {"aliases": {"memo": {"is_write_index": True}}})
    assert r.status == 200
    assert send(router, "GET", "/_alias/memo").body == {"notes": {"aliases": {"memo": {"is_write_index": True}}}}
    r = send(router, "PUT", "/memo")
    assert r.status == 400 and error_of(r)["type"] == "invalid_index_name_exception"
    send(router, "DELETE", "/notes")
    assert send(router, "GET", "/_alias/memo").status == 404


def test_delete_by_query(router: Router) -> None:
    r = send(router, "POST", "/books/_delete_by_query", {"query": {"match": {"title": "fox"}}}, refresh="true")
    assert r.status == 200
    assert (r.body["total"], r.body["deleted"], r.body["failures"], r.body["batches"]) == (3, 3, [], 1)
    assert send(router, "GET", "/books/_count").body["count"] == 1
    r = send(router, "POST", "/books/_delete_by_query", {"query": {"match_all": {}}, "max_docs": 0})
    assert r.status == 400
    r = send(router, "POST", "/books/_delete_by_query", {})
    assert r.status == 400 and "query is missing" in error_of(r)["reason"]
    r = send(router, "POST", "/books/_delete_by_query", {"query": {"match_all": {}}}, wait_for_completion="false")
    assert r.status == 400


def test_update_by_query(router: Router) -> None:
    before = send(router, "GET", "/books/_doc/0").body["_version"]
    r = send(router, "POST", "/books/_update_by_query", {"query": {"term": {"tags": "animal"}}})
    assert (r.body["total"], r.body["updated"], r.body["deleted"]) == (2, 2, 0)
    assert send(router, "GET", "/books/_doc/0").body["_version"] == before + 1
    r = send(router, "POST", "/books/_update_by_query", {"script": {"source": "ctx._source.x = 1"}})
    assert r.status == 400 and error_of(r)["reason"].startswith("[script] is not supported in retrievo")


def test_field_caps(router: Router) -> None:
    r = send(router, "GET", "/books,films/_field_caps", fields="title,year")
    assert r.status == 200
    assert r.body == {
        "indices": ["books", "films"],
        "fields": {
            "title": {"text": {"type": "text", "metadata_field": False, "searchable": True, "aggregatable": False}},
            "year": {"integer": {"type": "integer", "metadata_field": False, "searchable": True, "aggregatable": True}},
        },
    }
    r = send(router, "POST", "/_field_caps", {"fields": ["t*"]})
    assert set(r.body["fields"]) == {"title", "tags"}
    r = send(router, "GET", "/_field_caps")
    assert r.status == 400 and error_of(r)["type"] == "action_request_validation_exception"


def test_scroll_pages_through_everything_then_clears(router: Router) -> None:
    r = send(router, "POST", "/books/_search", {"sort": "_doc", "size": 3}, scroll="1m")
    assert r.status == 200 and r.body["hits"]["total"] == {"value": 4, "relation": "eq"}
    scroll_id = r.body["_scroll_id"]
    seen = [h["_id"] for h in r.body["hits"]["hits"]]
    assert seen == ["0", "1", "2"]
    r = send(router, "POST", "/_search/scroll", {"scroll_id": scroll_id, "scroll": "1m"})
    assert [h["_id"] for h in r.body["hits"]["hits"]] == ["3"] and r.body["_scroll_id"] == scroll_id
    r = send(router, "GET", f"/_search/scroll/{scroll_id}", rest_total_hits_as_int="true")
    assert r.body["hits"]["hits"] == [] and r.body["hits"]["total"] == 4
    assert send(router, "DELETE", "/_search/scroll", {"scroll_id": [scroll_id]}).body == {
        "succeeded": True,
        "num_freed": 1,
    }
    r = send(router, "POST", "/_search/scroll", {"scroll_id": scroll_id})
    assert r.status == 404 and error_of(r)["type"] == "search_context_missing_exception"
    assert send(router, "DELETE", f"/_search/scroll/{scroll_id}").status == 404
    r = send(router, "POST", "/books/_search", {"from": 1}, scroll="1m")
    assert r.status == 400
    r = send(router, "POST", "/books/_search", scroll="forever")
    assert r.status == 400
