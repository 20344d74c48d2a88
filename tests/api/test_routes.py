"""The route table and dispatch: matching, HEAD, percent-decoding, no-handler and wrong-method answers."""

from __future__ import annotations

import re

from api_helpers import error_of, send
from retrievo.api.router import Router
from retrievo.api.routes import ROUTES
from retrievo.api.types import RestRequest, RestResponse
from retrievo.catalog import Catalog
from retrievo.errors import not_found


def test_route_table_reads_top_to_bottom() -> None:
    seen = set()
    for route in ROUTES:
        assert route.pattern.startswith("/") and route.methods, route
        assert set(route.methods) <= {"GET", "POST", "PUT", "DELETE", "HEAD"}, route
        assert route.body in ("none", "json", "required", "ndjson", "raw"), route
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", route.api), route
        for method in route.methods:
            assert (method, route.pattern) not in seen, f"{method} {route.pattern} listed twice"
            seen.add((method, route.pattern))
    apis = {route.api for route in ROUTES}
    for name in ("info", "ping", "search", "msearch", "count", "bulk", "index", "create", "get", "exists", "delete"):
        assert name in apis
    for name in ("indices.create", "indices.get_mapping", "cluster.health", "inference.rerank", "esql.query"):
        assert name in apis


def test_unknown_path_is_400_no_handler(router: Router) -> None:
    r = send(router, "GET", "/_nothing/here/at/all")
    assert r.status == 400
    assert r.body == {"error": "no handler found for uri [/_nothing/here/at/all] and method [GET]", "status": 400}
    r = send(router, "GET", "/_nothing/here", pretty="true")
    assert r.body["error"] == "no handler found for uri [/_nothing/here?pretty=true] and method [GET]"


def test_known_path_with_wrong_method_is_405_with_allow(router: Router) -> None:
    r = send(router, "DELETE", "/books/_doc")
    assert r.status == 405
    assert r.body == {
        "error": "Incorrect HTTP method for uri [/books/_doc] and method [DELETE], allowed: [POST]",
        "status": 405,
    }
    assert r.headers["allow"] == "POST"
    r = send(router, "GET", "/books/_update/1")
    assert r.status == 405 and r.headers["allow"] == "POST"


def test_literal_segments_win_and_a_route_without_the_method_lets_a_wider_one_answer(router: Router) -> None:
    # ``PUT /_search``: ``/_search`` has no PUT, ``PUT /{index}`` answers (Elasticsearch does the same)
    r = send(router, "PUT", "/_search")
    assert r.status == 400 and error_of(r)["type"] == "invalid_index_name_exception"
    # ``/_inference/rerank/{id}`` beats ``/_inference/{task_type}/{id}``: both name the rerank task
    assert send(router, "POST", "/_inference/rerank/missing", {"query": "q", "input": ["a"]}).status == 404


def test_head_answers_with_the_status_and_no_body(router: Router) -> None:
    r = send(router, "HEAD", "/")
    assert (r.status, r.body) == (200, None)
    r = send(router, "HEAD", "/_cluster/health")  # a GET route answers HEAD
    assert r.status == 200 and r.body is None
    assert send(router, "HEAD", "/books").status == 200
    assert (send(router, "HEAD", "/nope").status, send(router, "HEAD", "/nope").body) == (404, None)
    assert send(router, "HEAD", "/books/_doc/0").status == 200
    r = send(router, "HEAD", "/books/_doc/99")
    assert (r.status, r.body) == (404, None)
    r = send(router, "HEAD", "/books/_search", size="x")  # errors keep their status, lose their body
    assert (r.status, r.body) == (400, None)


def test_options_lists_the_methods(router: Router) -> None:
    r = send(router, "OPTIONS", "/_search")
    assert r.status == 200 and r.body is None
    assert r.headers["allow"].split(",")[:2] == ["GET", "POST"]


def test_path_parts_are_percent_decoded(router: Router) -> None:
    r = send(router, "PUT", "/books/_doc/a%2Fb%20c", {"title": "slash"})
    assert r.status == 201 and r.body["_id"] == "a/b c"
    r = send(router, "GET", "/books/_doc/a%2Fb%20c")
    assert r.status == 200 and r.body["_source"] == {"title": "slash"}
    assert send(router, "GET", "/%62ooks/_count").body["count"] == 5


def test_a_body_where_none_is_read_is_refused(router: Router) -> None:
    r = send(router, "GET", "/", {"a": 1})
    assert r.status == 400
    assert error_of(r)["reason"] == "request [GET /] does not support having a body"


def test_required_body_missing_and_bad_json(router: Router) -> None:
    r = send(router, "POST", "/books/_doc")
    assert r.status == 400
    assert error_of(r)["type"] == "parse_exception" and error_of(r)["reason"] == "request body is required"
    r = send(router, "POST", "/books/_search", "{bad json")
    assert r.status == 400 and error_of(r)["type"] == "x_content_parse_exception"
    assert error_of(r)["reason"].startswith("[1:2] ")
    r = send(router, "POST", "/books/_search", b"\xff\xfe")
    assert r.status == 400 and error_of(r)["type"] == "x_content_parse_exception"


def test_errors_become_responses_and_unexpected_ones_a_500_without_traceback() -> None:
    def boom(call: object) -> object:
        raise KeyError("secret")

    def missing(call: object) -> object:
        raise not_found("resource_not_found_exception", "gone")

    router = Router(Catalog())
    first = router.routes[0]
    router.routes = (first.__class__(("GET",), "/_boom", "boom", boom, frozenset()),) + router.routes
    router.routes = (first.__class__(("GET",), "/_gone", "gone", missing, frozenset()),) + router.routes
    r = router.handle(RestRequest("GET", "/_boom"))
    assert r.status == 500
    assert r.body["error"]["type"] == "key_error" and "Traceback" not in str(r.body)
    assert r.body["error"]["root_cause"][0]["type"] == "key_error"
    r = router.handle(RestRequest("GET", "/_gone"))
    assert r.status == 404 and r.body["error"]["reason"] == "gone"
    assert isinstance(r, RestResponse)


def test_content_type_of_a_body(router: Router) -> None:
    def search(content_type: str) -> RestResponse:
        return router.handle(RestRequest("POST", "/books/_search", {}, b"{}", {"content-type": content_type}))

    assert search("application/json").status == 200
    assert search("application/vnd.elasticsearch+json; compatible-with=9").status == 200
    r = search("application/x-www-form-urlencoded")
    assert r.status == 406
    assert r.body == {
        "error": "Content-Type header [application/x-www-form-urlencoded] is not supported",
        "status": 406,
    }
    assert search("application/yaml").status == 400
    bulk = b'{"index": {"_id": "z"}}\n{"title": "z"}\n'
    r = router.handle(RestRequest("POST", "/books/_bulk", {}, bulk, {"content-type": "application/x-ndjson"}))
    assert r.status == 200 and r.body["errors"] is False
