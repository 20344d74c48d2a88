"""Query parameters as Elasticsearch reads them: unknown ones, filter_path, totals, _source, refresh, values."""

from __future__ import annotations

from api_helpers import error_of, send
from retrievo.api import params as p
from retrievo.api.router import Router


def test_unknown_parameter_names_it_and_suggests_the_closest(router: Router) -> None:
    r = send(router, "GET", "/books/_search", siz="1")
    assert r.status == 400
    error = error_of(r)
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"] == "request [/books/_search] contains unrecognized parameter: [siz] -> did you mean [size]?"
    r = send(router, "GET", "/books/_doc/0", zzz="1", xyz="2")
    assert error_of(r)["reason"] == "request [/books/_doc/0] contains unrecognized parameters: [xyz], [zzz]"


def test_suggestions_follow_lucene_levenshtein() -> None:
    # 1 - edits / longest: "refres" is 1 edit from "refresh" (0.857); several candidates are listed best first
    message = p.unrecognized("/x", ["refres"], ["refresh", "routing", "timeout"])
    assert message == "request [/x] contains unrecognized parameter: [refres] -> did you mean [refresh]?"
    message = p.unrecognized("/x", ["_sourc"], ["_source", "_source_includes", "_source_excludes"])
    assert message == "request [/x] contains unrecognized parameter: [_sourc] -> did you mean [_source]?"
    assert "any of [from, form_x]" not in p.unrecognized("/x", ["fro"], ["from"])
    assert p.unrecognized("/x", ["abcd"], ["abce", "abcf"]).endswith("did you mean any of [abce, abcf]?")


def test_common_parameters_are_accepted_everywhere(router: Router) -> None:
    for params in ({"pretty": "true"}, {"human": "true"}, {"error_trace": "true"}, {"filter_path": "took"}):
        assert send(router, "GET", "/", **params).status == 200
        assert send(router, "GET", "/books/_doc/0", **params).status == 200
    r = send(router, "GET", "/books/_doc/missing", error_trace="true")
    assert r.status == 404 and "stack_trace" not in r.body


def test_filter_path_includes_wildcards_and_exclusions(router: Router) -> None:
    query = {"query": {"match": {"title": "fox"}}}
    r = send(router, "POST", "/books/_search", query, filter_path="hits.hits._id,hits.total.value")
    assert r.body == {"hits": {"total": {"value": 3}, "hits": [{"_id": "2"}, {"_id": "0"}, {"_id": "1"}]}}
    r = send(router, "POST", "/books/_search", query, filter_path="hits.hits._sour*.year")
    assert r.body == {"hits": {"hits": [{"_source": {"year": y}} for y in (2010, 2001, 2005)]}}
    r = send(router, "POST", "/books/_search", query, filter_path="**.relation")
    assert r.body == {"hits": {"total": {"relation": "eq"}}}
    r = send(router, "POST", "/books/_search", query, filter_path="-hits.hits,-_shards,-took")
    assert r.body == {
        "timed_out": False,
        "hits": {"total": {"value": 3, "relation": "eq"}, "max_score": r.body["hits"]["max_score"]},
    }
    r = send(router, "POST", "/books/_search", query, filter_path="nothing.matches")
    assert r.body == {}
    # error bodies are not filtered
    r = send(router, "GET", "/missing/_search", filter_path="took")
    assert r.status == 404 and error_of(r)["type"] == "index_not_found_exception"


def test_filter_path_function_directly() -> None:
    body = {"a": {"b": 1, "c": {"d": 2}}, "e": [{"f": 1, "g": 2}, {"f": 3}], "h": 5}
    assert p.filter_path(body, "a.c.d,h") == {"a": {"c": {"d": 2}}, "h": 5}
    assert p.filter_path(body, "e.f") == {"e": [{"f": 1}, {"f": 3}]}
    assert p.filter_path(body, "**.d") == {"a": {"c": {"d": 2}}}
    assert p.filter_path(body, "a.*") == {"a": {"b": 1, "c": {"d": 2}}}
    assert p.filter_path(body, "-a,-e") == {"h": 5}
    assert p.filter_path(body, "a,-a.c") == {"a": {"b": 1}}
    assert p.filter_path("text", "a") == "text"


def test_rest_total_hits_as_int(router: Router) -> None:
    r = send(router, "GET", "/books/_search", rest_total_hits_as_int="true")
    assert r.body["hits"]["total"] == 4
    r = send(router, "GET", "/books/_search", rest_total_hits_as_int="true", track_total_hits="false")
    assert r.body["hits"]["total"] == -1
    r = send(router, "GET", "/books/_search", rest_total_hits_as_int="true", track_total_hits="2")
    assert r.status == 400
    assert error_of(r)["reason"] == (
        "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got 2"
    )
    r = send(router, "GET", "/books/_search", track_total_hits="2")
    assert r.body["hits"]["total"] == {"value": 2, "relation": "gte"}


def test_source_parameters(router: Router) -> None:
    r = send(router, "GET", "/books/_doc/1", _source="false")
    assert "_source" not in r.body and r.body["found"] is True
    r = send(router, "GET", "/books/_doc/1", _source_includes="title,year")
    assert r.body["_source"] == {"title": "blue fox jumps", "year": 2005}
    r = send(router, "GET", "/books/_doc/1", _source_excludes="t*")
    assert r.body["_source"] == {"year": 2005}
    r = send(router, "GET", "/books/_doc/1", _source="title")
    assert r.body["_source"] == {"title": "blue fox jumps"}
    r = send(router, "GET", "/books/_search", _source_includes="year", size="1", sort="year:desc")
    assert r.body["hits"]["hits"][0]["_source"] == {"year": 2010}
    r = send(router, "GET", "/books/_search", _source="false", size="1")
    assert "_source" not in r.body["hits"]["hits"][0]


def test_url_parameters_override_the_body(router: Router) -> None:
    r = send(router, "POST", "/books/_search", {"size": 3, "sort": [{"year": "asc"}]}, size="1", sort="year:desc")
    assert [h["_id"] for h in r.body["hits"]["hits"]] == ["2"]
    r = send(router, "GET", "/books/_search", **{"from": "1", "size": "2", "sort": "year"})
    assert [h["_id"] for h in r.body["hits"]["hits"]] == ["0", "1"]


def test_refresh_modes() -> None:
    from retrievo.catalog import Catalog

    router = Router(Catalog())
    send(router, "PUT", "/r", {"settings": {"refresh_interval": "-1"}})

    def visible() -> int:
        return send(router, "GET", "/r/_count").body["count"]

    assert visible() == 0  # the first search publishes a snapshot; later ones reuse it until a refresh
    assert send(router, "PUT", "/r/_doc/1", {"a": 1}, refresh="false").status == 201
    assert visible() == 0
    assert send(router, "PUT", "/r/_doc/2", {"a": 1}, refresh="wait_for").status == 201
    assert visible() == 2
    send(router, "PUT", "/r/_doc/3", {"a": 1})
    assert visible() == 2
    send(router, "PUT", "/r/_doc/4", {"a": 1}, refresh="")
    assert visible() == 4
    send(router, "PUT", "/r/_doc/5", {"a": 1}, refresh="true")
    assert visible() == 5
    r = send(router, "PUT", "/r/_doc/6", {"a": 1}, refresh="maybe")
    assert r.status == 400 and error_of(r)["reason"] == "Unknown value for refresh: [maybe]."
    assert send(router, "GET", "/r/_doc/6").status == 404  # refused as a whole: nothing written


def test_value_checks(router: Router) -> None:
    r = send(router, "GET", "/books/_search", size="ten")
    assert error_of(r)["reason"] == "Failed to parse int parameter [size] with value [ten]"
    r = send(router, "GET", "/books/_search", explain="yes")
    assert error_of(r)["reason"] == "Failed to parse value [yes] as only [true] or [false] are allowed."
    r = send(router, "GET", "/books/_search", timeout="5 parsecs")
    assert error_of(r)["reason"] == (
        "failed to parse setting [timeout] with value [5 parsecs] as a time value: unit is missing or unrecognized"
    )
    assert send(router, "GET", "/books/_search", timeout="30s").status == 200
    r = send(router, "GET", "/books/_search", expand_wildcards="sideways")
    assert error_of(r)["reason"] == "No valid expand wildcard value [sideways]"
    assert send(router, "GET", "/books/_search", q="title:fox").status == 200  # a query_string query
    r = send(router, "GET", "/books/_search", q="title:(fox")
    assert r.status == 400 and error_of(r)["root_cause"][0]["reason"] == "Failed to parse query [title:(fox]"
    for params in ({"routing": "x"}, {"preference": "_local"}, {"typed_keys": "true"}, {"request_cache": "false"}):
        assert send(router, "GET", "/books/_search", **params).status == 200
    r = send(router, "GET", "/books/_search", search_type="scan")
    assert error_of(r)["reason"] == "No search type for [scan]"
