"""Field collapsing beyond the YAML files: the null group, numeric values, paging over groups, totals,
inner hits' paging and ``_source``, ``collapse`` inside a ``standard`` retriever, errors, printing back.

Every expectation is worked out by hand from the five documents below, whose scores are fixed with
``constant_score`` boosts (a = 5, b = 4, c = 3, d = 2, e = 1), so the ranking before collapsing is
a, b, c, d, e.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine
from retrievo.grammar.json import parse_search

#: id → (fields, score). ``k`` is missing on b and d, ``n`` and ``price`` on d.
DOCS: dict[str, tuple[dict[str, Any], float]] = {
    "a": ({"k": "x", "n": 1, "price": 1.5, "day": "2024-01-01"}, 5.0),
    "b": ({"n": 2, "price": 2.5}, 4.0),
    "c": ({"k": "x", "n": 1, "price": 1.5}, 3.0),
    "d": ({}, 2.0),
    "e": ({"k": "y", "n": 2, "price": 2.5}, 1.0),
}
SCORED = {
    "bool": {
        "should": [
            {"constant_score": {"filter": {"ids": {"values": [doc_id]}}, "boost": score}}
            for doc_id, (_, score) in DOCS.items()
        ]
    }
}


def build() -> Engine:
    e = Engine()
    e.indices.create(
        index="shop",
        mappings={
            "properties": {
                "k": {"type": "keyword"},
                "n": {"type": "integer"},
                "price": {"type": "double"},
                "title": {"type": "text"},
                "day": {"type": "date"},
            }
        },
    )
    for doc_id, (fields, _) in DOCS.items():
        e.index(index="shop", id=doc_id, document=fields)
    e.index(index="shop", id="multi", document={"k": ["x", "y"]})  # matched by no scored query
    e.indices.refresh(index="shop")
    return e


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build()


def search(e: Engine, **body: Any) -> dict[str, Any]:
    return e.search(index="shop", body={"query": SCORED, **body}).body


def hits(resp: dict[str, Any]) -> list[tuple[str, float | None, Any]]:
    return [(h["_id"], h["_score"], h.get("fields")) for h in resp["hits"]["hits"]]


def inner(hit: dict[str, Any], name: str = "g") -> tuple[Any, list[str]]:
    group = hit["inner_hits"][name]["hits"]
    return group["total"], [h["_id"] for h in group["hits"]]


def test_documents_without_a_value_collapse_into_one_null_group(engine: Engine) -> None:
    resp = search(engine, collapse={"field": "k", "inner_hits": {"name": "g"}})
    assert resp["hits"]["total"] == {"value": 5, "relation": "eq"}
    assert resp["hits"]["max_score"] == 5.0
    assert hits(resp) == [("a", 5.0, {"k": ["x"]}), ("b", 4.0, {"k": [None]}), ("e", 1.0, {"k": ["y"]})]
    eq = "eq"
    assert [inner(h) for h in resp["hits"]["hits"]] == [
        ({"value": 2, "relation": eq}, ["a", "c"]),
        ({"value": 2, "relation": eq}, ["b", "d"]),
        ({"value": 1, "relation": eq}, ["e"]),
    ]
    first = resp["hits"]["hits"][0]["inner_hits"]["g"]["hits"]
    assert first["max_score"] == 5.0
    assert [(h["_index"], h["_score"], h["_source"]) for h in first["hits"]] == [
        ("shop", 5.0, DOCS["a"][0]),
        ("shop", 3.0, DOCS["c"][0]),
    ]


@pytest.mark.parametrize(
    "field, values",
    [("n", [("a", [1]), ("b", [2]), ("d", [None])]), ("price", [("a", [1.5]), ("b", [2.5]), ("d", [None])])],
)
def test_numeric_fields(engine: Engine, field: str, values: list[tuple[str, list[Any]]]) -> None:
    resp = search(engine, collapse={"field": field})
    assert [(doc_id, f[field]) for doc_id, _, f in hits(resp)] == values


@pytest.mark.parametrize("from_, size, expected", [(1, 1, ["b"]), (0, 2, ["a", "b"]), (2, 5, ["e"]), (3, 5, [])])
def test_from_and_size_page_over_groups(engine: Engine, from_: int, size: int, expected: list[str]) -> None:
    resp = search(engine, collapse={"field": "k"}, **{"from": from_, "size": size})
    assert [h["_id"] for h in resp["hits"]["hits"]] == expected
    assert resp["hits"]["total"]["value"] == 5  # every matching document, not the groups


def test_track_total_hits_counts_documents(engine: Engine) -> None:
    resp = search(engine, collapse={"field": "k"}, track_total_hits=2)
    assert resp["hits"]["total"] == {"value": 2, "relation": "gte"}
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["a", "b", "e"]


def test_inner_hits_from_size_and_source(engine: Engine) -> None:
    spec = [
        {"name": "g", "from": 1, "size": 1, "_source": False},
        {"name": "src", "size": 1, "_source": ["k"], "sort": [{"n": "desc"}], "track_scores": True},
    ]
    resp = search(engine, collapse={"field": "k", "inner_hits": spec})
    got = resp["hits"]["hits"]
    assert [inner(h)[1] for h in got] == [["c"], ["d"], []]
    assert all("_source" not in ih for h in got for ih in h["inner_hits"]["g"]["hits"]["hits"])
    x_group = got[0]["inner_hits"]["src"]["hits"]
    # x = {a, c}, both n = 1: the sort ties, doc order breaks it; track_scores keeps the score
    assert [(h["_id"], h["_score"], h["_source"], h["sort"]) for h in x_group["hits"]] == [("a", 5.0, {"k": "x"}, [1])]
    assert x_group["max_score"] == 5.0


def test_collapse_inside_a_standard_retriever(engine: Engine) -> None:
    inner_spec = {"name": "g", "size": 1}
    for body in (
        {"retriever": {"standard": {"query": SCORED, "collapse": {"field": "k", "inner_hits": inner_spec}}}},
        {"retriever": {"standard": {"query": SCORED}}, "collapse": {"field": "k", "inner_hits": inner_spec}},
    ):
        resp = engine.search(index="shop", body=body).body
        assert [h["_id"] for h in resp["hits"]["hits"]] == ["a", "b", "e"]
        assert [inner(h)[1] for h in resp["hits"]["hits"]] == [["a"], ["b"], ["e"]]


def test_a_multi_valued_document_fails_only_once_collected(engine: Engine) -> None:
    assert len(search(engine, collapse={"field": "k"})["hits"]["hits"]) == 3
    with pytest.raises(ApiError) as err:
        engine.search(index="shop", body={"query": {"match_all": {}}, "collapse": {"field": "k"}})
    assert err.value.status_code == 500
    error = err.value.body["error"]
    assert error["type"] == "search_phase_execution_exception"
    # "multi" is the sixth document indexed: internal doc 5
    assert error["caused_by"] == {
        "type": "illegal_state_exception",
        "reason": "failed to collapse 5, the collapse field `k` must be single valued",
    }


@pytest.mark.parametrize(
    "collapse, cause",
    [
        ({"field": "nope"}, "no mapping found for `nope` in order to collapse on"),
        ({"field": "title"}, "collapse is not supported for the field [title] of the type [text]"),
        ({}, "no collapse field specified"),
    ],
)
def test_shard_errors(engine: Engine, collapse: dict[str, Any], cause: str) -> None:
    with pytest.raises(ApiError) as err:
        search(engine, collapse=collapse)
    assert err.value.status_code == 400
    error = err.value.body["error"]
    assert (error["type"], error["reason"]) == ("search_phase_execution_exception", "all shards failed")
    assert error["caused_by"] == {"type": "illegal_argument_exception", "reason": cause}
    assert error["failed_shards"][0]["index"] == "shop"


@pytest.mark.parametrize(
    "collapse, reason, cause",
    [
        ({"field": "k", "foo": 1}, "[collapse] unknown field [foo]", None),
        (
            {"field": "k", "inner_hits": {"size": 1}},
            "[collapse] failed to parse field [inner_hits]",
            "inner_hits must have a [name]; set the [name] field in the inner_hits definition",
        ),
        (
            {"field": "k", "max_concurrent_group_searches": 0},
            "[collapse] failed to parse field [max_concurrent_group_searches]",
            "maxConcurrentGroupRequests` must be positive",
        ),
        (
            {"field": "k", "inner_hits": [1]},
            "[collapse] failed to parse field [inner_hits]",
            "Invalid token in inner_hits array",
        ),
    ],
)
def test_parse_errors(engine: Engine, collapse: dict[str, Any], reason: str, cause: str | None) -> None:
    with pytest.raises(ApiError) as err:
        search(engine, collapse=collapse)
    assert err.value.status_code == 400
    error = err.value.body["error"]
    assert error["reason"] == reason
    if cause is not None:
        assert error["caused_by"]["reason"] == cause


@pytest.mark.parametrize(
    "option", [{"highlight": {}}, {"explain": True}, {"script_fields": {}}, {"docvalue_fields": ["k"]}]
)
def test_inner_hits_options_retrievo_lacks_are_refused_by_name(engine: Engine, option: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as err:
        search(engine, collapse={"field": "k", "inner_hits": {"name": "g", **option}})
    assert err.value.status_code == 400
    assert f"[inner_hits] parameter [{next(iter(option))}] is not supported in retrievo" in str(err.value.body)


def test_collapse_on_a_date_field_is_refused_by_name(engine: Engine) -> None:
    with pytest.raises(ApiError) as err:
        search(engine, collapse={"field": "day"})
    assert err.value.status_code == 400
    assert "[collapse] on the [date] field [day] is not supported in retrievo" in str(err.value.body)


def test_collapse_prints_back() -> None:
    collapse = {
        "field": "k",
        "max_concurrent_group_searches": 4,
        "inner_hits": [{"name": "g", "size": 2, "sort": [{"n": {"order": "desc"}}], "collapse": {"field": "n"}}],
    }
    body = {"query": {"match_all": {}}, "collapse": collapse}
    assert parse_search("shop", body).to_json()["collapse"] == collapse
    retriever_body = {"retriever": {"rrf": {"retrievers": [{"standard": {"query": {"match_all": {}}}}] * 2}}}
    printed = parse_search("shop", {**retriever_body, "collapse": {"field": "k"}}).to_json()
    assert printed["collapse"] == {"field": "k"}


def test_a_collapse_below_a_compound_only_chooses_that_childs_hits(engine: Engine) -> None:
    """Elasticsearch runs the child's search (collapsed, expanded) inside the compound's rewrite and keeps
    only its ranked documents: the final hits carry neither ``fields.k`` nor ``inner_hits``."""
    child = {"standard": {"query": SCORED, "collapse": {"field": "k", "inner_hits": {"name": "g"}}}}
    rescore = {"window_size": 10, "query": {"rescore_query": {"match_all": {}}}}
    resp = engine.search(index="shop", body={"retriever": {"rescorer": {"rescore": rescore, "retriever": child}}}).body
    # match_all adds 1 to each collapsed hit (query_weight and rescore_query_weight default to 1)
    assert hits(resp) == [("a", 6.0, None), ("b", 5.0, None), ("e", 2.0, None)]
    assert all("inner_hits" not in h for h in resp["hits"]["hits"])


def test_negative_inner_hits_from_or_size(engine: Engine) -> None:
    for key in ("from", "size"):
        with pytest.raises(ApiError) as err:
            search(engine, collapse={"field": "k", "inner_hits": {"name": "g", key: -1}})
        assert err.value.status_code == 400
        assert (
            err.value.body["error"]["caused_by"]["caused_by"]["reason"] == f"illegal {key} value, at least 0 or higher"
        )
