"""Ports of Elasticsearch's ``search/111_field_collapsing_with_max_score.yml``,
``search/112_field_collapsing_with_rescore.yml`` and ``search/115_multiple_field_collapsing.yml``.

Source directory: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search/`` in
``elastic/elasticsearch`` (111 at ``3b8b09de``, 112 at ``a018861e``, 115 at ``21e40b85``). Every
expectation is the YAML's own.

112 scores with painless ``script_score`` queries (``doc['score'].value``, ``doc['popularity'].value``);
retrievo runs no painless, so each script is replaced by ``constant_score`` clauses that give every
document exactly the value the script reads from it: the scores, hence the expectations, are the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine


def assert_close_to(actual: float, value: float, error: float) -> None:
    """The YAML runner's ``close_to``."""
    assert abs(actual - value) <= error, (actual, value)


# ------------------------------------------------------------------------------------------- 111
@pytest.fixture(scope="module")
def comments() -> Engine:
    e = Engine()
    e.indices.create(
        index="user_comments",
        settings={"index": {"number_of_shards": 1}},
        mappings={"properties": {"user_id": {"type": "keyword"}, "comment": {"type": "text"}}},
    )
    docs = [
        ("user1", "Canada is beautiful."),
        ("user1", "Canada is the second-largest country in the world by land area."),
        ("user2", "The capital of Canada is Ottawa."),
        ("user2", "Canada is cold."),
        ("user3", "Canada celebrates Canada Day on July 1st."),
    ]
    for i, (user, comment) in enumerate(docs, start=1):
        e.index(index="user_comments", id=str(i), document={"user_id": user, "comment": comment})
    e.indices.refresh(index="user_comments")
    return e


def canada(e: Engine, **body: Any) -> dict[str, Any]:
    query = {"match": {"comment": "Canada"}}
    return e.search(index="user_comments", body={"query": query, "collapse": {"field": "user_id"}, **body}).body


def test_max_score_returned_when_there_is_no_sort(comments: Engine) -> None:
    resp = canada(comments)
    assert resp["hits"]["total"]["value"] == 5
    assert len(resp["hits"]["hits"]) == 3
    assert resp["hits"]["hits"][0]["fields"]["user_id"] == ["user3"]
    assert resp["hits"]["max_score"] == resp["hits"]["hits"][0]["_score"]


def test_max_score_not_returned_with_sort_and_no_track_scores(comments: Engine) -> None:
    resp = canada(comments, sort={"user_id": "asc"})
    assert resp["hits"]["total"]["value"] == 5
    assert len(resp["hits"]["hits"]) == 3
    assert resp["hits"]["hits"][0]["fields"]["user_id"] == ["user1"]
    assert resp["hits"]["max_score"] is None


def test_max_score_over_all_documents_not_only_top_hits(comments: Engine) -> None:
    """With a sort and ``track_scores``, ``max_score`` is the best score of every match (user3's
    document), above the scores of the two hits shown."""
    best = canada(comments)["hits"]["max_score"]
    for size in (2, 10):
        resp = canada(comments, size=size, sort={"user_id": "asc"}, track_scores=True)
        assert resp["hits"]["total"]["value"] == 5
        hits = resp["hits"]["hits"]
        assert len(hits) == min(size, 3)
        assert [h["fields"]["user_id"] for h in hits[:2]] == [["user1"], ["user2"]]
        assert resp["hits"]["max_score"] == best
        assert best > hits[0]["_score"] > hits[1]["_score"]


def test_max_score_values(comments: Engine) -> None:
    assert_close_to(canada(comments)["hits"]["max_score"], 0.11545, 0.00001)
    resp = canada(comments, size=2, sort={"user_id": "asc"}, track_scores=True)
    assert_close_to(resp["hits"]["max_score"], 0.11545, 0.00001)
    assert_close_to(resp["hits"]["hits"][0]["_score"], 0.11030, 0.00001)
    assert_close_to(resp["hits"]["hits"][1]["_score"], 0.08817, 0.00001)


# ------------------------------------------------------------------------------------------- 112
#: (id, product_id, description, score, popularity)
PRODUCTS = [
    ("1", "0", "flat tv 4K HDR", 2, 30),
    ("2", "10", "LED Smart TV 32", 5, 100),
    ("3", "10", "LED Smart TV 65", 10, 50),
    ("4", "0", "flat tv", 1, 10),
    ("5", "129", "just a tv", 100, 3),
]


@pytest.fixture(scope="module")
def products() -> Engine:
    e = Engine()
    e.indices.create(
        index="products",
        mappings={
            "properties": {
                "product_id": {"type": "keyword"},
                "description": {"type": "text"},
                "popularity": {"type": "integer"},
            }
        },
    )
    for doc_id, product, description, score, popularity in PRODUCTS:
        doc = {"product_id": product, "description": description, "score": score, "popularity": popularity}
        e.index(index="products", id=doc_id, document=doc)
    e.indices.refresh(index="products")
    return e


def per_doc(column: int) -> dict[str, Any]:
    """What ``script_score`` over ``match_all`` with ``doc[<field>].value`` scores each document."""
    clauses = [{"constant_score": {"filter": {"ids": {"values": [p[0]]}}, "boost": p[column]}} for p in PRODUCTS]
    return {"bool": {"should": clauses}}


def rescored(e: Engine, **extra: Any) -> dict[str, Any]:
    body = {
        "query": {"bool": {"filter": {"match": {"description": "tv"}}, "should": per_doc(3)}},
        "collapse": {"field": "product_id"},
        "rescore": {
            **extra.pop("window", {}),
            "query": {"rescore_query": per_doc(4), "query_weight": 0, "rescore_query_weight": 1},
        },
        **extra,
    }
    return e.search(index="products", body=body).body


def test_field_collapsing_and_rescore(products: Engine) -> None:
    resp = rescored(products)
    assert resp["hits"]["total"]["value"] == 5
    hits = resp["hits"]["hits"]
    assert [(h["_id"], h["_score"], h["fields"]["product_id"]) for h in hits] == [
        ("3", 50.0, ["10"]),
        ("1", 30.0, ["0"]),
        ("5", 3.0, ["129"]),
    ]


def test_field_collapsing_and_rescore_with_window_size(products: Engine) -> None:
    resp = rescored(products, window={"window_size": 2}, size=1)
    assert resp["hits"]["total"]["value"] == 5
    hits = resp["hits"]["hits"]
    assert [(h["_id"], h["_score"], h["fields"]["product_id"]) for h in hits] == [("3", 50.0, ["10"])]


# ------------------------------------------------------------------------------------------- 115
ADDRESSES = [
    ("Canada", "Saskatoon", "701 Victoria Avenue"),
    ("Canada", "Toronto", "74 Victoria Street, Suite, 74 Victoria Street, Suite 300"),
    ("Canada", "Toronto", "350 Victoria St"),
    ("Canada", "Toronto", "20 Victoria Street"),
    ("UK", "London", "58 Victoria Street"),
    ("UK", "London", "Victoria Street Victoria Palace Theatre"),
    ("UK", "Manchester", "75 Victoria street Westminster"),
    ("UK", "London", "Victoria Station Victoria Arcade"),
]


@pytest.fixture(scope="module")
def addresses() -> Engine:
    e = Engine()
    e.indices.create(
        index="addresses",
        settings={"number_of_shards": 1},
        mappings={
            "properties": {"country": {"type": "keyword"}, "city": {"type": "keyword"}, "address": {"type": "text"}}
        },
    )
    for i, (country, city, address) in enumerate(ADDRESSES, start=1):
        e.index(index="addresses", id=str(i), document={"country": country, "city": city, "address": address})
    e.indices.refresh(index="addresses")
    return e


def victoria(e: Engine, inner_hits: dict[str, Any]) -> dict[str, Any]:
    body = {"query": {"match": {"address": "victoria"}}, "collapse": {"field": "country", "inner_hits": inner_hits}}
    return e.search(index="addresses", rest_total_hits_as_int=True, body=body).body


@pytest.mark.parametrize(
    "inner_collapse", [{"field": "city", "inner_hits": {}}, {"field": "city", "collapse": {"field": "city"}}]
)
def test_inner_collapse_with_more_than_a_field_is_a_parse_exception(addresses: Engine, inner_collapse: Any) -> None:
    with pytest.raises(ApiError) as err:
        victoria(addresses, {"collapse": inner_collapse})
    assert err.value.status_code == 400
    assert "parse_exception" in str(err.value.body)
    assert "Invalid token in the inner collapse" in str(err.value.body)


def by_location(hit: dict[str, Any]) -> tuple[int, list[tuple[str, list[str]]]]:
    hits = hit["inner_hits"]["by_location"]["hits"]
    return hits["total"], [(h["_id"], h["fields"]["city"]) for h in hits["hits"]]


def test_two_levels_top_scored(addresses: Engine) -> None:
    resp = victoria(addresses, {"name": "by_location", "size": 3, "collapse": {"field": "city"}})
    assert resp["hits"]["total"] == 8
    hits = resp["hits"]["hits"]
    assert [h["fields"]["country"] for h in hits] == [["UK"], ["Canada"]]
    # 2 inner hits instead of the 3 asked: they are collapsed by city
    assert by_location(hits[0]) == (4, [("8", ["London"]), ("7", ["Manchester"])])
    assert by_location(hits[1]) == (4, [("1", ["Saskatoon"]), ("3", ["Toronto"])])


def test_two_levels_sorted(addresses: Engine) -> None:
    inner = {"name": "by_location", "size": 3, "sort": [{"city": "desc"}], "collapse": {"field": "city"}}
    resp = victoria(addresses, inner)
    assert resp["hits"]["total"] == 8
    hits = resp["hits"]["hits"]
    assert [h["fields"]["country"] for h in hits] == [["UK"], ["Canada"]]
    assert by_location(hits[0]) == (4, [("7", ["Manchester"]), ("5", ["London"])])
    assert by_location(hits[1]) == (4, [("2", ["Toronto"]), ("1", ["Saskatoon"])])
