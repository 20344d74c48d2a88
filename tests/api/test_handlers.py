"""Every handler through the router: the happy path and one error each, bodies computed by hand."""

from __future__ import annotations

from api_helpers import error_of, ndjson, send
from retrievo.api.router import Router


def test_info_and_ping(router: Router) -> None:
    r = send(router, "GET", "/")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    assert r.body["version"]["number"].startswith("9.") and r.body["version"]["build_flavor"] == "default"
    assert r.body["tagline"] == "You Know, for Search"
    assert {"name", "cluster_name", "cluster_uuid"} <= set(r.body)
    assert send(router, "HEAD", "/").status == 200
    assert send(router, "POST", "/").status == 405


def test_index_create_get_delete(router: Router) -> None:
    r = send(router, "PUT", "/books/_doc/9", {"title": "new"})
    assert r.status == 201 and r.body["result"] == "created" and r.body["_version"] == 1
    assert r.body["_shards"] == {"total": 1, "successful": 1, "failed": 0}
    r = send(router, "POST", "/books/_doc/9", {"title": "newer"})
    assert r.status == 200 and r.body["result"] == "updated" and r.body["_version"] == 2
    r = send(router, "POST", "/books/_doc", {"title": "auto id"})
    assert r.status == 201 and r.body["_id"]
    r = send(router, "PUT", "/books/_create/9", {"title": "again"})
    assert r.status == 409 and error_of(r)["type"] == "version_conflict_engine_exception"
    r = send(router, "PUT", "/books/_doc/10", {"title": "x"}, op_type="create")
    assert r.status == 201
    r = send(router, "GET", "/books/_doc/9")
    assert r.body == {
        "_index": "books",
        "_id": "9",
        "_version": 2,
        "_seq_no": r.body["_seq_no"],
        "_primary_term": 1,
        "found": True,
        "_source": {"title": "newer"},
    }
    r = send(router, "DELETE", "/books/_doc/9")
    assert r.status == 200 and r.body["result"] == "deleted"
    r = send(router, "DELETE", "/books/_doc/9")
    assert r.status == 404 and r.body["result"] == "not_found"
    r = send(router, "GET", "/books/_doc/9")
    assert (r.status, r.body) == (404, {"_index": "books", "_id": "9", "found": False})
    r = send(router, "GET", "/nope/_doc/1")
    assert r.status == 404 and error_of(r)["type"] == "index_not_found_exception"
    r = send(router, "PUT", "/books/_doc/11", [1, 2])
    assert r.status == 400
    r = send(router, "PUT", "/books/_doc/11", {"a": 1}, pipeline="p")
    assert r.status == 400 and error_of(r)["reason"] == "[pipeline] is not supported in retrievo"


def test_bulk(router: Router) -> None:
    body = ndjson(
        {"index": {"_id": "b1"}},
        {"title": "bulk one"},
        {"create": {"_index": "films", "_id": "f2"}},
        {"title": "bulk film"},
        {"delete": {"_id": "nope"}},
        {"update": {"_id": "0"}},
        {"doc": {"year": 2002}},
    )
    r = send(router, "POST", "/books/_bulk", body, refresh="true")
    assert r.status == 200 and r.body["errors"] is False
    assert [next(iter(i)) for i in r.body["items"]] == ["index", "create", "delete", "update"]
    assert [next(iter(i.values()))["status"] for i in r.body["items"]] == [201, 201, 404, 200]
    assert send(router, "GET", "/books/_doc/0").body["_source"]["year"] == 2002
    r = send(router, "POST", "/_bulk", b'{"index": {"_index": "books"}}\n{bad\n')
    assert r.status == 400 and error_of(r)["type"] == "x_content_parse_exception"
    r = send(router, "POST", "/_bulk")
    assert r.status == 400 and error_of(r)["reason"] == "request body is required"


def test_mget(router: Router) -> None:
    r = send(router, "POST", "/_mget", {"docs": [{"_index": "books", "_id": "0"}, {"_index": "films", "_id": "x"}]})
    assert r.status == 200
    assert r.body["docs"][0]["_source"] == {"title": "red fox", "year": 2001, "tags": ["animal"]}
    assert r.body["docs"][1] == {"_index": "films", "_id": "x", "found": False}
    r = send(router, "GET", "/books/_mget", {"ids": ["1", "3"]}, _source_includes="year")
    assert [d["_source"] for d in r.body["docs"]] == [{"year": 2005}, {"year": 1999}]
    r = send(router, "GET", "/_mget", {"docs": [{"_index": "gone", "_id": "1"}]})
    assert r.body["docs"][0]["error"]["type"] == "index_not_found_exception"
    r = send(router, "GET", "/_mget", {"ids": ["1"]})
    assert r.status == 400 and error_of(r)["type"] == "action_request_validation_exception"


def test_update(router: Router) -> None:
    r = send(router, "POST", "/books/_update/0", {"doc": {"year": 2020}})
    assert r.status == 200 and r.body["result"] == "updated" and r.body["_version"] == 2
    assert send(router, "GET", "/books/_doc/0").body["_source"] == {
        "title": "red fox",
        "year": 2020,
        "tags": ["animal"],
    }
    r = send(router, "POST", "/books/_update/0", {"doc": {"year": 2020}})
    assert r.body["result"] == "noop" and r.body["_shards"]["total"] == 0
    r = send(router, "POST", "/books/_update/0", {"doc": {"year": 2020}, "detect_noop": False})
    assert r.body["result"] == "updated"
    r = send(router, "POST", "/books/_update/new", {"doc": {"title": "up"}, "doc_as_upsert": True})
    assert r.status == 201 and r.body["result"] == "created"
    r = send(router, "POST", "/books/_update/new2", {"doc": {"title": "x"}, "upsert": {"title": "seed"}})
    assert r.status == 201 and send(router, "GET", "/books/_doc/new2").body["_source"] == {"title": "seed"}
    r = send(router, "POST", "/books/_update/missing", {"doc": {"title": "x"}})
    assert r.status == 404 and error_of(r)["type"] == "document_missing_exception"
    r = send(router, "POST", "/books/_update/0", {"script": {"source": "ctx._source.year += 1"}})
    assert r.status == 400 and error_of(r)["reason"].startswith("[script] is not supported in retrievo")


def test_search_count_and_several_indices(router: Router) -> None:
    r = send(router, "POST", "/books/_search", {"query": {"match": {"title": "fox"}}})
    assert r.status == 200 and r.body["hits"]["total"] == {"value": 3, "relation": "eq"}
    assert all(h["_index"] == "books" for h in r.body["hits"]["hits"])
    assert send(router, "GET", "/books/_count").body == {
        "count": 4,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    }
    assert send(router, "POST", "/_count", {"query": {"match": {"title": "fox"}}}).body["count"] == 4
    # two indices: hits merged by score, each with its index; totals summed
    single = {
        name: send(router, "POST", f"/{name}/_search", {"query": {"match": {"title": "fox"}}}).body["hits"]["hits"]
        for name in ("books", "films")
    }
    merged = sorted(
        [
            (-h["_score"], i, rank, h["_index"], h["_id"])
            for i, name in enumerate(("books", "films"))
            for rank, h in enumerate(single[name])
        ]
    )
    for expression in ("books,films", "*", "_all", "b*,f*"):
        r = send(router, "POST", f"/{expression}/_search", {"query": {"match": {"title": "fox"}}})
        assert [(h["_index"], h["_id"]) for h in r.body["hits"]["hits"]] == [m[3:] for m in merged], expression
        assert r.body["hits"]["total"]["value"] == 4 and r.body["_shards"]["total"] == 2
    r = send(router, "POST", "/_search", {"query": {"match": {"title": "fox"}}, "size": 1, "from": 1})
    assert [(h["_index"], h["_id"]) for h in r.body["hits"]["hits"]] == [merged[1][3:]]
    r = send(router, "POST", "/books,nope/_search")
    assert r.status == 404 and error_of(r)["reason"] == "no such index [nope]"
    r = send(router, "POST", "/books,nope/_search", ignore_unavailable="true")
    assert r.status == 200 and r.body["hits"]["total"]["value"] == 4
    r = send(router, "POST", "/zz*/_search")
    assert r.status == 200 and r.body["hits"]["hits"] == [] and r.body["_shards"]["total"] == 0
    r = send(router, "POST", "/zz*/_search", allow_no_indices="false")
    assert r.status == 404
    pinned = {"pinned": {"ids": ["1"], "retriever": {"standard": {}}}}  # standard, knn and the compounds run
    r = send(router, "POST", "/books,films/_search", {"retriever": pinned})
    assert r.status == 400 and "several indices" in error_of(r)["reason"]
    r = send(router, "POST", "/books/_count", {"size": 1})
    assert r.status == 400 and error_of(r)["reason"] == "request does not support [size]"


def test_msearch(router: Router) -> None:
    body = ndjson({"index": "books"}, {"query": {"match": {"title": "fox"}}}, {"index": "nope"}, {})
    r = send(router, "POST", "/_msearch", body, rest_total_hits_as_int="true")
    assert r.status == 200
    first, second = r.body["responses"]
    assert first["hits"]["total"] == 3 and first["status"] == 200
    assert second["status"] == 404 and second["error"]["type"] == "index_not_found_exception"
    r = send(router, "POST", "/books/_msearch", ndjson({}, {"size": 1}))
    assert len(r.body["responses"][0]["hits"]["hits"]) == 1
    r = send(router, "POST", "/_msearch")
    assert r.status == 400


def test_indices_apis(router: Router) -> None:
    r = send(router, "PUT", "/books")
    assert r.status == 400 and error_of(r)["type"] == "resource_already_exists_exception"
    assert send(router, "PUT", "/Bad").status == 400
    assert send(router, "GET", "/books").body["books"]["aliases"] == {}
    r = send(router, "GET", "/books/_mapping")
    assert r.body["books"]["mappings"]["properties"]["year"] == {"type": "integer"}
    assert set(send(router, "GET", "/_mapping").body) == {"books", "films"}
    r = send(router, "PUT", "/books/_mapping", {"properties": {"extra": {"type": "keyword"}}})
    assert r.body == {"acknowledged": True}
    assert send(router, "GET", "/books/_mapping").body["books"]["mappings"]["properties"]["extra"] == {
        "type": "keyword"
    }
    r = send(router, "PUT", "/books/_mapping", {"properties": {"year": {"type": "text"}}})
    assert r.status == 400 and error_of(r)["type"] == "illegal_argument_exception"
    settings = send(router, "GET", "/books/_settings").body["books"]["settings"]["index"]
    assert settings["number_of_replicas"] == "1" and settings["provided_name"] == "books"
    r = send(router, "GET", "/books/_settings/index.number_of_*")
    assert r.body == {"books": {"settings": {"index": {"number_of_shards": "1", "number_of_replicas": "1"}}}}
    assert send(router, "POST", "/books/_refresh").body == {"_shards": {"total": 1, "successful": 1, "failed": 0}}
    assert send(router, "POST", "/_flush").body["_shards"]["total"] == 2
    r = send(router, "POST", "/_analyze", {"text": "Red FOX", "analyzer": "standard"})
    assert [t["token"] for t in r.body["tokens"]] == ["red", "fox"]
    r = send(router, "POST", "/books/_analyze", {"text": "x", "field": "year"})
    assert r.status == 400
    r = send(router, "GET", "/books/_stats/docs")
    assert r.body["indices"]["books"]["primaries"]["docs"]["count"] == 4
    assert r.body["_all"]["total"]["docs"]["count"] == 4
    assert send(router, "GET", "/_stats/store").status == 400
    assert send(router, "DELETE", "/films").body == {"acknowledged": True}
    assert send(router, "HEAD", "/films").status == 404
    assert send(router, "DELETE", "/films").status == 404
    assert send(router, "DELETE", "/films", ignore_unavailable="true").status == 200


def test_cluster_health(router: Router) -> None:
    r = send(router, "GET", "/_cluster/health")
    assert r.status == 200
    body = r.body
    assert (body["status"], body["number_of_nodes"], body["active_primary_shards"]) == ("yellow", 1, 2)
    assert body["unassigned_shards"] == 2 and body["active_shards_percent_as_number"] == 50.0
    r = send(router, "GET", "/_cluster/health", wait_for_status="green", timeout="1s")
    assert r.status == 408 and r.body["timed_out"] is True
    send(router, "PUT", "/solo", {"settings": {"number_of_replicas": 0}})
    r = send(router, "GET", "/_cluster/health/solo", level="indices")
    assert r.body["status"] == "green" and r.body["indices"]["solo"]["status"] == "green"
    r = send(router, "GET", "/_cluster/health", wait_for_status="purple")
    assert r.status == 400


def test_cluster_health_waits_are_checked_against_one_node(router: Router) -> None:
    # Two indices with the default one replica each: 2 active primaries, 2 unassigned replicas, 1 node.
    for params, status in (
        ({"wait_for_nodes": "1"}, 200),
        ({"wait_for_nodes": ">=1"}, 200),
        ({"wait_for_nodes": "le(3)"}, 200),
        ({"wait_for_nodes": "2"}, 408),
        ({"wait_for_nodes": "gt(1)"}, 408),
        ({"wait_for_active_shards": "2"}, 200),
        ({"wait_for_active_shards": "3"}, 408),
        ({"wait_for_active_shards": "all"}, 408),
        ({"wait_for_events": "languid"}, 200),
    ):
        r = send(router, "GET", "/_cluster/health", **params)
        assert (r.status, r.body["timed_out"]) == (status, status == 408), params
    for params in ({"wait_for_nodes": "two"}, {"wait_for_active_shards": "many"}, {"wait_for_events": "soon"}):
        assert send(router, "GET", "/_cluster/health", **params).status == 400, params


def test_inference_apis(router: Router) -> None:
    config = {"service": "test_reranking_service", "service_settings": {"model_id": "m", "api_key": "k"}}
    r = send(router, "PUT", "/_inference/rerank/mock", config)
    assert r.status == 200 and r.body["inference_id"] == "mock" and r.body["task_type"] == "rerank"
    r = send(router, "GET", "/_inference/rerank/mock")
    assert [e["inference_id"] for e in r.body["endpoints"]] == ["mock"]
    assert "mock" in [e["inference_id"] for e in send(router, "GET", "/_inference/rerank").body["endpoints"]]
    r = send(router, "POST", "/_inference/rerank/mock", {"query": "q", "input": ["1", "3", "2"]})
    assert [x["index"] for x in r.body["rerank"]] == [1, 2, 0]
    r = send(router, "POST", "/_inference/mock", {"query": "q", "input": ["1", "3"]})
    assert [x["index"] for x in r.body["rerank"]] == [1, 0]
    r = send(router, "POST", "/_inference/text_embedding/mock", {"input": ["x"]})
    assert r.status == 400
    r = send(router, "POST", "/_inference/rerank/mock", {"query": "q"})
    assert r.status == 400
    assert send(router, "DELETE", "/_inference/rerank/mock").status == 200
    assert send(router, "GET", "/_inference/mock").status == 404


def test_esql(router: Router) -> None:
    query = {"query": "FROM books | WHERE year > 2000 | SORT year | KEEP title, year"}
    r = send(router, "POST", "/_query", query)
    assert r.status == 200
    assert r.body["columns"] == [{"name": "title", "type": "text"}, {"name": "year", "type": "integer"}]
    assert r.body["values"] == [["red fox", 2001], ["blue fox jumps", 2005], ["fox fox fox", 2010]]
    r = send(router, "POST", "/_query", {**query, "columnar": True})
    assert r.body["values"] == [["red fox", "blue fox jumps", "fox fox fox"], [2001, 2005, 2010]]
    r = send(router, "POST", "/_query", query, format="csv")
    assert r.body == "title,year\r\nred fox,2001\r\nblue fox jumps,2005\r\nfox fox fox,2010\r\n"
    assert r.headers["content-type"].startswith("text/csv")
    r = send(router, "POST", "/_query", query, format="csv", delimiter=";")
    assert r.body.splitlines()[0] == "title;year"
    r = send(router, "POST", "/_query", query, format="tsv")
    assert r.body == "title\tyear\nred fox\t2001\nblue fox jumps\t2005\nfox fox fox\t2010\n"
    r = send(router, "POST", "/_query", query, format="txt")
    assert r.body.splitlines() == [
        "     title     |     year      ",
        "---------------+---------------",
        "red fox        |2001           ",
        "blue fox jumps |2005           ",
        "fox fox fox    |2010           ",
    ]
    r = send(router, "POST", "/_query", {**query, "columnar": True}, format="txt")
    assert r.status == 400
    r = send(router, "POST", "/_query", query, delimiter=";")
    assert r.status == 400
    r = send(router, "POST", "/_query", {"query": "FROM nope"})
    assert r.status in (400, 404)


def test_rank_eval(router: Router) -> None:
    body = {
        "requests": [
            {
                "id": "fox",
                "request": {"query": {"match": {"title": "fox"}}},
                "ratings": [{"_index": "books", "_id": "2", "rating": 1}],
            }
        ],
        "metric": {"precision": {"k": 1}},
    }
    r = send(router, "POST", "/books/_rank_eval", body)
    assert r.status == 200 and r.body["metric_score"] == 1.0
    r = send(router, "POST", "/books/_rank_eval", {"requests": []})
    assert r.status == 400


def test_put_settings(router: Router) -> None:
    r = send(router, "PUT", "/books/_settings", {"index": {"number_of_replicas": 0, "max_result_window": 3}})
    assert r.status == 200 and r.body == {"acknowledged": True}
    settings = send(router, "GET", "/books/_settings").body["books"]["settings"]["index"]
    assert (settings["number_of_replicas"], settings["max_result_window"]) == ("0", "3")
    assert send(router, "GET", "/books/_search", size="4").status == 400  # the new window applies
    assert send(router, "PUT", "/books/_settings", {"index.max_result_window": None}).status == 200
    assert send(router, "GET", "/books/_search", size="4").status == 200
    r = send(router, "PUT", "/books/_settings", {"number_of_shards": 2})
    assert r.status == 400 and error_of(r)["reason"].startswith(
        "Can't update non dynamic settings [[index.number_of_shards]] for open indices [[books/"
    )
    r = send(router, "PUT", "/books/_settings", {"index": {"bogus": 1}})
    assert r.status == 400 and error_of(r)["reason"].startswith("unknown setting [index.bogus]")
    assert send(router, "GET", "/_cluster/health/books").body["status"] == "green"


def test_delete_index_needs_concrete_names(router: Router) -> None:
    for expression in ("*", "_all", "b*"):
        r = send(router, "DELETE", f"/{expression}")
        assert r.status == 400 and error_of(r)["reason"] == "Wildcard expressions or all indices are not allowed"
    send(router, "PUT", "/books/_alias/lib")
    r = send(router, "DELETE", "/lib")
    assert r.status == 400 and error_of(r)["reason"].startswith("The provided expression [lib] matches an alias")
    assert send(router, "HEAD", "/books").status == 200
    assert send(router, "DELETE", "/books,films").body == {"acknowledged": True}
    assert send(router, "GET", "/_mapping").body == {}
