"""``engine.esql.query``: ES|QL's response body (columns with ES|QL types, rows of values), the
metadata and ``_fork`` columns, ``KEEP``, ``columnar`` / ``drop_null_columns`` / ``params`` /
``filter``, and ``engine.plan(esql=...)``."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_same_hits, esql_hits, json_hits, library_docs, normalize_rerank
from retrievo.errors import ApiError

DOCS = dict(library_docs())


def test_response_shape_and_column_types(lib):
    resp = lib.esql.query(
        query='FROM lib METADATA _id, _index, _score | WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 3',
        format="json",
    )
    assert set(resp) == {"took", "is_partial", "columns", "values"}
    assert resp["is_partial"] is False and isinstance(resp["took"], int)
    assert resp["columns"] == [
        {"name": "available", "type": "boolean"},
        {"name": "body", "type": "text"},
        {"name": "genre", "type": "keyword"},
        {"name": "pages", "type": "long"},
        {"name": "published", "type": "date"},
        {"name": "rating", "type": "double"},
        {"name": "tags", "type": "keyword"},
        {"name": "title", "type": "text"},
        {"name": "title.raw", "type": "keyword"},
        {"name": "vec", "type": "dense_vector"},
        {"name": "year", "type": "integer"},
        {"name": "_id", "type": "keyword"},
        {"name": "_index", "type": "keyword"},
        {"name": "_score", "type": "double"},
    ]
    assert len(resp["values"]) == 3
    json = lib.search(index="lib", query={"match": {"title": "dark"}}, size=3)
    assert_same_hits(esql_hits(resp), json_hits(json))


def test_values_come_back_as_es_ql_shows_them(lib):
    resp = lib.esql.query(query="FROM lib METADATA _id | KEEP _id, *")
    names = [c["name"] for c in resp["columns"]]
    assert names[0] == "_id"
    rows = {row[0]: dict(zip(names, row)) for row in resp["values"]}
    assert len(rows) == len(DOCS)
    for doc_id, src in DOCS.items():
        row = rows[doc_id]
        assert row["title"] == src["title"] and row["title.raw"] == src["title"]
        assert row["year"] == src["year"]
        assert row["rating"] == float(np.float32(src["rating"]))  # a float field, widened
        assert row["vec"] == [float(v) for v in src["vec"]]
        assert row["genre"] == src.get("genre")
        tags = src.get("tags")
        assert row["tags"] == (sorted(set(tags)) if tags else None)  # keywords: sorted, deduplicated
        assert row["pages"] == src.get("pages")
        assert row["available"] == src.get("available")
        if "published" in src:
            assert row["published"] == src["published"] + "T00:00:00.000Z"
        else:
            assert row["published"] is None


def test_without_a_full_text_function_every_score_is_zero(lib):
    resp = lib.esql.query(query='FROM lib METADATA _id, _score | WHERE genre == "sf" | KEEP _id, _score')
    assert resp["values"] and all(score == 0.0 for _, score in resp["values"])
    # no SORT: rows in index order
    assert [int(i) for i, _ in resp["values"]] == sorted(int(i) for i, _ in resp["values"])


def test_default_limit_is_1000_rows(lib):
    big = lib.esql.query(query="FROM lib METADATA _id | KEEP _id")
    assert len(big["values"]) == len(DOCS)
    assert lib.esql.parse("FROM lib").request.size == 1000


def test_fork_column_lists_the_branches_a_row_came_from(lib):
    resp = lib.esql.query(
        query="FROM lib METADATA _id, _index, _score "
        '| FORK (WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 5) '
        '(WHERE MATCH(body, "sea") | SORT _score DESC | LIMIT 5) '
        "| FUSE | SORT _score DESC | LIMIT 10 | KEEP _id, _score, _fork"
    )
    assert [c["name"] for c in resp["columns"]] == ["_id", "_score", "_fork"]
    first = {h["_id"] for h in lib.search(index="lib", query={"match": {"title": "dark"}}, size=5)["hits"]["hits"]}
    second = {h["_id"] for h in lib.search(index="lib", query={"match": {"body": "sea"}}, size=5)["hits"]["hits"]}
    for doc_id, _, fork in resp["values"]:
        want = [f for f, ids in (("fork1", first), ("fork2", second)) if doc_id in ids]
        assert fork == (want[0] if len(want) == 1 else want)
    json = lib.search(
        index="lib",
        retriever={
            "rrf": {
                "retrievers": [
                    {"standard": {"query": {"match": {"title": {"query": "dark", "lenient": True}}}}},
                    {"standard": {"query": {"match": {"body": {"query": "sea", "lenient": True}}}}},
                ],
                "rank_window_size": 5,
            }
        },
        size=5,
    )
    assert_same_hits(esql_hits(resp)[:5], json_hits(json))


def test_keep_order_and_precedence(lib):
    resp = lib.esql.query(query="FROM lib METADATA _id, _score | KEEP year, _*, title* | LIMIT 1")
    assert [c["name"] for c in resp["columns"]] == ["year", "_id", "_score", "title", "title.raw"]
    # an exact name wins over a wildcard, whatever their order
    resp = lib.esql.query(query="FROM lib METADATA _id | KEEP *, genre | LIMIT 1")
    assert [c["name"] for c in resp["columns"]][-1] == "genre"
    resp = lib.esql.query(query="FROM lib METADATA _id | KEEP title*, year | KEEP year | LIMIT 1")
    assert [c["name"] for c in resp["columns"]] == ["year"]


def test_columnar_and_drop_null_columns(lib):
    query = "FROM lib METADATA _id | WHERE pages IS NULL | SORT year | LIMIT 3 | KEEP _id, pages, year"
    rows = lib.esql.query(query=query)
    cols = lib.esql.query(query=query, columnar=True)
    assert cols["values"] == [list(c) for c in zip(*rows["values"])]
    dropped = lib.esql.query(query=query, drop_null_columns=True)
    assert [c["name"] for c in dropped["all_columns"]] == ["_id", "pages", "year"]
    assert [c["name"] for c in dropped["columns"]] == ["_id", "year"]
    assert dropped["values"] == [[r[0], r[2]] for r in rows["values"]]


def test_params_filter_and_body(lib):
    base = "FROM lib METADATA _id, _score | WHERE MATCH(title, ?q) | SORT _score DESC | LIMIT ?n | KEEP _id, _score"
    with_params = lib.esql.query(query=base, params=[{"q": "dark"}, {"n": 4}])
    literal = lib.esql.query(query=base.replace("?q", '"dark"').replace("?n", "4"))
    assert with_params["values"] == literal["values"]
    # the request's DSL filter narrows what FROM reads, and never scores
    filtered = lib.esql.query(query=base, params=[{"q": "dark"}, {"n": 50}], filter={"term": {"genre": "sf"}})
    json = lib.search(
        index="lib",
        retriever={"standard": {"query": {"match": {"title": "dark"}}, "filter": {"term": {"genre": "sf"}}}},
        size=50,
    )
    assert_same_hits(esql_hits(filtered), json_hits(json))
    via_body = lib.esql.query(body={"query": base, "params": [{"q": "dark"}, {"n": 4}]})
    assert via_body["values"] == literal["values"]


def test_rerank_scores_and_a_named_score_column(lib):
    child = (
        'FROM lib METADATA _id, _score | WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 10 '
        '| RERANK {col}"a tale" ON title WITH {{"inference_id": "rr"}} | SORT {sort} DESC | LIMIT 3'
    )
    plain = lib.esql.query(query=child.format(col="", sort="_score") + " | KEEP _id, _score")
    json = lib.search(
        index="lib",
        size=3,
        retriever={
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": {"match": {"title": "dark"}}}},
                "field": "title",
                "inference_text": "a tale",
                "inference_id": "rr",
                "rank_window_size": 10,
            }
        },
    )
    assert_same_hits(esql_hits(plain), json_hits(json), reranked=True)
    named = lib.esql.query(query=child.format(col="s = ", sort="s") + " | KEEP _id, _score, s")
    assert [row[0] for row in named["values"]] == [row[0] for row in plain["values"]]
    before = {
        h["_id"]: h["_score"]
        for h in lib.search(index="lib", query={"match": {"title": "dark"}}, size=10)["hits"]["hits"]
    }
    for (doc_id, score, s), (_, raw) in zip(named["values"], plain["values"]):
        assert s == raw  # the rerank score went to the new column
        assert float(np.float32(score)) == pytest.approx(before[doc_id])  # _score kept the match score
        assert normalize_rerank(raw) == pytest.approx(json_hits(json)[[h for h, _ in json_hits(json)].index(doc_id)][1])


def test_plan_of_an_esql_query(lib):
    plan = lib.plan(
        esql='FROM lib METADATA _score | WHERE MATCH(title, "dark") AND genre == "sf" | SORT _score DESC | LIMIT 5'
    )
    same = lib.plan(
        index="lib",
        retriever={
            "standard": {
                "query": {"match": {"title": {"query": "dark", "lenient": True}}},
                "filter": {"term": {"genre": "sf"}},
            }
        },
        size=5,
    )
    assert str(plan) == str(same)
    assert "Filter" in str(plan) and "title:dark" in str(plan)
    with pytest.raises(TypeError):
        lib.plan(index="lib", esql="FROM lib")


def test_allow_partial_results_is_checked_but_never_partial(lib):
    query = "FROM lib METADATA _id | SORT year | LIMIT 2 | KEEP _id"
    for value in (True, False, "true", "false"):
        assert lib.esql.query(query=query, allow_partial_results=value)["is_partial"] is False
    with pytest.raises(ApiError) as err:
        lib.esql.query(query=query, allow_partial_results="yes")
    assert err.value.status_code == 400
    assert err.value.body["error"]["type"] == "illegal_argument_exception"
    assert err.value.body["error"]["reason"] == "Failed to parse value [yes] as only [true] or [false] are allowed."
