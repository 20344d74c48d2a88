"""Requests built with the official client's ``elasticsearch.dsl`` run exactly like the same JSON.

Each test builds a request with the builders (``Search``, ``Q``, ``query.*``, ``types.*``, a
``Document`` class), runs it on a small real index, and compares hits and scores with the request
written as plain JSON. The 9.x client has no retriever classes: retrievers are dicts, so builder
objects are tested *inside* retriever dicts, nested at every level.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch.dsl import AttrList, Document, Keyword, Q, Search, Text, query, types, wrappers

from retrievo import ApiError, Engine
from retrievo.grammar.json import parse_retriever, parse_search

TITLES = [
    "red apple pie",
    "green apple",
    "red car",
    "blue sky apple apple",
    "fast red car",
    "apple tree in the green park",
    "slow blue car",
    "pie and apple pie",
]


@pytest.fixture(scope="module")
def e() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="docs",
        mappings={
            "properties": {
                "title": {"type": "text"},
                "tag": {"type": "keyword"},
                "year": {"type": "integer"},
                "vec": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "flat"}},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for i, title in enumerate(TITLES):
        ops += [
            {"index": {"_index": "docs", "_id": str(i)}},
            {"title": title, "tag": "ab"[i % 2], "year": 2000 + i, "vec": [float(i), 1.0]},
        ]
    engine.bulk(operations=ops, refresh=True)
    engine.inference.put(
        inference_id="len-rerank",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "k"},
            "task_settings": {"use_text_length": True},
        },
    )
    return engine


def hits(resp: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def same(e: Engine, built: dict[str, Any], json_body: dict[str, Any]) -> list[tuple[str, Any]]:
    """Run both forms; assert identical responses (hits, scores, totals); return the hits."""
    a = e.search(index="docs", **built)
    b = e.search(index="docs", body=json_body)
    assert hits(a) == hits(b) and a["hits"]["total"] == b["hits"]["total"]
    assert hits(a), "the comparison should be about something"
    return hits(a)


# ------------------------------------------------------------------ Search objects
def test_search_object_as_body_takes_its_index(e: Engine) -> None:
    s = Search(index="docs").query("match", title="red apple").filter("term", tag="a")
    json_body = {"query": {"bool": {"must": [{"match": {"title": "red apple"}}], "filter": [{"term": {"tag": "a"}}]}}}
    assert hits(e.search(body=s)) == hits(e.search(index="docs", body=json_body))
    assert hits(e.search(body=s.to_dict(), index="docs")) == hits(e.search(index="docs", body=json_body))
    assert [h[0] for h in hits(e.search(body=s))] == ["0", "2", "4"]


def test_search_object_slicing_sort_source_and_extra(e: Engine) -> None:
    s = (
        Search(index="docs")
        .query("match", title="apple")
        .sort("-year", "_score")
        .source(["title"])
        .extra(track_total_hits=True, track_scores=True)[1:4]
    )
    json_body = {
        "query": {"match": {"title": "apple"}},
        "sort": [{"year": {"order": "desc"}}, "_score"],
        "_source": ["title"],
        "track_total_hits": True,
        "track_scores": True,
        "from": 1,
        "size": 3,
    }
    a, b = e.search(body=s), e.search(index="docs", body=json_body)
    assert a == {**b, "took": a["took"]}
    assert [h["_id"] for h in a["hits"]["hits"]] == ["5", "3", "1"]
    first = a["hits"]["hits"][0]
    assert first["_source"] == {"title": TITLES[5]} and first["sort"][0] == 2005


def test_explicit_index_wins_and_index_lists_are_accepted(e: Engine) -> None:
    e.indices.create(index="other")
    s = Search(index="other").query("match", title="apple")
    assert e.search(body=s)["hits"]["total"]["value"] == 0
    assert e.search(body=s, index="docs")["hits"]["total"]["value"] == 5
    assert e.search(body=s, index=["docs"])["hits"]["total"]["value"] == 5
    e.indices.delete(index="other")


def test_search_params_become_search_arguments(e: Engine) -> None:
    s = Search(index="docs").query("match", title="car").params(size=2, track_scores=True)
    assert len(e.search(body=s)["hits"]["hits"]) == 2
    assert len(e.search(body=s, size=1)["hits"]["hits"]) == 1  # an explicit argument wins
    with pytest.raises(ApiError) as info:
        e.search(body=Search(index="docs").params(routing="x"))
    assert info.value.status_code == 400
    assert info.value.body["error"]["reason"] == "[routing] search parameter is not supported in retrievo"


def test_search_knn_and_hybrid(e: Engine) -> None:
    s = (
        Search(index="docs")
        .query(Q("match", title="apple"))
        .knn(field="vec", k=3, num_candidates=8, query_vector=[2.0, 1.0], filter=Q("term", tag="a"), boost=2.0)
    )
    json_body = {
        "query": {"match": {"title": "apple"}},
        "knn": {
            "field": "vec",
            "k": 3,
            "num_candidates": 8,
            "query_vector": [2.0, 1.0],
            "filter": {"term": {"tag": "a"}},
            "boost": 2.0,
        },
    }
    found = same(e, {"body": s}, json_body)
    assert {"2", "4", "0"} <= {doc for doc, _ in found}


def test_document_class_search_and_instrumented_fields(e: Engine) -> None:
    class Post(Document):
        title = Text()
        tag = Keyword()

        class Index:
            name = "docs"

    s = Post.search().query(Q("match", **{str(Post.title): "pie"})).sort(Post.tag, "_score")
    assert s.to_dict()["_source"] == {"exclude_vectors": False}  # what the client sends on every request
    assert hits(e.search(body=s)) == hits(
        e.search(index="docs", body={"query": {"match": {"title": "pie"}}, "sort": ["tag", "_score"]})
    )
    # a Document attribute used as a value inside a plain dict names its field
    resp = e.search(index="docs", query={"match": {"title": "apple"}}, sort=[Post.tag, "_score"])
    assert [h["sort"][0] for h in resp["hits"]["hits"]] == ["a", "b", "b", "b", "b"]
    assert e.search(index="docs", query=Q("exists", field=Post.title))["hits"]["total"]["value"] == len(TITLES)
    with pytest.raises(ApiError) as info:
        e.search(index="docs", _source={"exclude_vectors": True})
    assert (
        info.value.body["error"]["reason"] == "[_source] parameter [exclude_vectors: true] is not supported in retrievo"
    )


# ------------------------------------------------------------------ query objects
QUERY_CASES = [
    (Q("match", title="red apple"), {"match": {"title": "red apple"}}),
    (
        query.Match("title", types.MatchQuery(query="red apple", operator="and")),
        {"match": {"title": {"query": "red apple", "operator": "and"}}},
    ),
    (
        Q("match", title={"query": "red car", "minimum_should_match": 2}),
        {"match": {"title": {"query": "red car", "minimum_should_match": 2}}},
    ),
    (
        query.MatchPhrase(title={"query": "red car", "slop": 1}),
        {"match_phrase": {"title": {"query": "red car", "slop": 1}}},
    ),
    (
        query.MultiMatch(query="apple car", fields=["title^2", "tag"], type="most_fields"),
        {"multi_match": {"query": "apple car", "fields": ["title^2", "tag"], "type": "most_fields"}},
    ),
    (
        Q("match", title="apple") & Q("term", tag="b"),
        {"bool": {"must": [{"match": {"title": "apple"}}, {"term": {"tag": "b"}}]}},
    ),
    (
        Q("match", title="apple") | Q("match", title="car"),
        {"bool": {"should": [{"match": {"title": "apple"}}, {"match": {"title": "car"}}]}},
    ),
    (
        Q("match", title="apple") & ~Q("term", tag="a"),
        {"bool": {"must": [{"match": {"title": "apple"}}], "must_not": [{"term": {"tag": "a"}}]}},
    ),
    (
        query.Bool(
            should=[Q("match", title="pie"), Q("match", title="car")],
            minimum_should_match=1,
            filter=[query.Range(year=wrappers.Range(gte=2001, lt=2007))],
        ),
        {
            "bool": {
                "should": [{"match": {"title": "pie"}}, {"match": {"title": "car"}}],
                "minimum_should_match": 1,
                "filter": [{"range": {"year": {"gte": 2001, "lt": 2007}}}],
            }
        },
    ),
    (query.Terms(tag=AttrList(["a"])), {"terms": {"tag": ["a"]}}),
    (query.Exists(field="year"), {"exists": {"field": "year"}}),
    (query.Ids(values=["1", "3", "99"]), {"ids": {"values": ["1", "3", "99"]}}),
    (
        query.Prefix(title=types.PrefixQuery(value="app", boost=3.0)),
        {"prefix": {"title": {"value": "app", "boost": 3.0}}},
    ),
    (
        query.Term(tag=types.TermQuery(value="A", case_insensitive=True)),
        {"term": {"tag": {"value": "A", "case_insensitive": True}}},
    ),
    (
        query.ConstantScore(filter=Q("match", title="car"), boost=1.5),
        {"constant_score": {"filter": {"match": {"title": "car"}}, "boost": 1.5}},
    ),
    (
        query.DisMax(queries=[Q("match", title="apple"), Q("match", title="pie")], tie_breaker=0.3),
        {"dis_max": {"queries": [{"match": {"title": "apple"}}, {"match": {"title": "pie"}}], "tie_breaker": 0.3}},
    ),
    (query.MatchAll(boost=2.0, _name="all"), {"match_all": {"boost": 2.0, "_name": "all"}}),
]


@pytest.mark.parametrize(("built", "json_query"), QUERY_CASES, ids=[type(q).__name__ for q, _ in QUERY_CASES])
def test_query_objects_match_their_json(e: Engine, built: Any, json_query: dict[str, Any]) -> None:
    same(e, {"query": built}, {"query": json_query})
    same(e, {"body": Search(index="docs").query(built)}, {"query": json_query})
    assert e.count(index="docs", query=built) == e.count(index="docs", query=json_query)


# ------------------------------------------------------------------ retrievers (dicts holding builder objects)
def test_rrf_of_standard_and_knn_built_with_objects(e: Engine) -> None:
    built = {
        "rrf": {
            "retrievers": [
                {"standard": {"query": Q("match", title="apple pie"), "filter": [Q("range", year={"lte": 2006})]}},
                {
                    "retriever": {
                        "knn": {
                            "field": "vec",
                            "query_vector": [3.0, 1.0],
                            "k": 4,
                            "num_candidates": 8,
                            "filter": ~Q("term", tag="b"),
                        }
                    },
                    "weight": 2.0,
                },
            ],
            "rank_window_size": 8,
            "rank_constant": 10,
        }
    }
    json_r = {
        "rrf": {
            "retrievers": [
                {
                    "standard": {
                        "query": {"match": {"title": "apple pie"}},
                        "filter": [{"range": {"year": {"lte": 2006}}}],
                    }
                },
                {
                    "retriever": {
                        "knn": {
                            "field": "vec",
                            "query_vector": [3.0, 1.0],
                            "k": 4,
                            "num_candidates": 8,
                            "filter": {"bool": {"must_not": [{"term": {"tag": "b"}}]}},
                        }
                    },
                    "weight": 2.0,
                },
            ],
            "rank_window_size": 8,
            "rank_constant": 10,
        }
    }
    same(e, {"retriever": built, "size": 8}, {"retriever": json_r, "size": 8})
    same(e, {"body": Search(index="docs").extra(retriever=built, size=8)}, {"retriever": json_r, "size": 8})


def test_linear_with_nested_rrf_and_types_helpers(e: Engine) -> None:
    inner = {
        "rrf": {
            "retrievers": [
                {"standard": {"query": query.Match(title="red")}},
                {"standard": {"query": query.Match(title="car")}},
            ],
            "rank_window_size": 10,
        }
    }
    built = {
        "linear": {
            "retrievers": [
                {"retriever": inner, "weight": 0.5, "normalizer": "minmax"},
                {
                    "retriever": {
                        "knn": {
                            "field": "vec",
                            "query_vector": [5.0, 1.0],
                            "k": 5,
                            "num_candidates": 8,
                            "rescore_vector": types.RescoreVector(oversample=2.0),
                        }
                    },
                    "normalizer": "l2_norm",
                },
            ],
            "rank_window_size": 10,
            "filter": Q("exists", field="year"),
        }
    }
    json_r = {
        "linear": {
            "retrievers": [
                {
                    "retriever": {
                        "rrf": {
                            "retrievers": [
                                {"standard": {"query": {"match": {"title": "red"}}}},
                                {"standard": {"query": {"match": {"title": "car"}}}},
                            ],
                            "rank_window_size": 10,
                        }
                    },
                    "weight": 0.5,
                    "normalizer": "minmax",
                },
                {
                    "retriever": {
                        "knn": {
                            "field": "vec",
                            "query_vector": [5.0, 1.0],
                            "k": 5,
                            "num_candidates": 8,
                            "rescore_vector": {"oversample": 2.0},
                        }
                    },
                    "normalizer": "l2_norm",
                },
            ],
            "rank_window_size": 10,
            "filter": {"exists": {"field": "year"}},
        }
    }
    same(e, {"retriever": built}, {"retriever": json_r})


def test_reranker_with_chunking_settings_object(e: Engine) -> None:
    built = {
        "text_similarity_reranker": {
            "retriever": {"standard": {"query": Q("match", title="apple") | Q("match", title="car")}},
            "field": "title",
            "inference_text": "which apple?",
            "inference_id": "len-rerank",
            "rank_window_size": 6,
            "chunk_rescorer": {
                "size": 1,
                "chunking_settings": types.ChunkingSettings(strategy="word", max_chunk_size=10, overlap=2),
            },
        }
    }
    json_r = {
        "text_similarity_reranker": {
            "retriever": {
                "standard": {
                    "query": {"bool": {"should": [{"match": {"title": "apple"}}, {"match": {"title": "car"}}]}}
                }
            },
            "field": "title",
            "inference_text": "which apple?",
            "inference_id": "len-rerank",
            "rank_window_size": 6,
            "chunk_rescorer": {
                "size": 1,
                "chunking_settings": {"strategy": "word", "max_chunk_size": 10, "overlap": 2},
            },
        }
    }
    found = same(e, {"retriever": built, "size": 6}, {"retriever": json_r, "size": 6})
    assert found[0][0] == "2"  # "red car": the shortest title scores 1 / len highest


def test_sort_and_source_helpers_as_search_arguments(e: Engine) -> None:
    built = {
        "query": Q("match_all"),
        "sort": [types.SortOptions("year", types.FieldSort(order="desc"))],
        "_source": types.SourceFilter(includes="title"),
    }
    json_body = {"query": {"match_all": {}}, "sort": [{"year": {"order": "desc"}}], "_source": {"includes": "title"}}
    a, b = e.search(index="docs", **built), e.search(index="docs", body=json_body)
    assert a["hits"]["hits"] == b["hits"]["hits"] and a["hits"]["hits"][0]["_source"] == {"title": TITLES[-1]}


# ------------------------------------------------------------------ plan, count, retrievo's own AST
def test_plan_and_count_accept_builders(e: Engine) -> None:
    s = Search(index="docs").query(Q("match", title="apple") & Q("term", tag="b"))
    assert str(e.plan(body=s)) == str(e.plan(index="docs", body=s.to_dict()))
    assert str(e.plan(index="docs", query=Q("match", title="red"))) == str(
        e.plan(index="docs", query={"match": {"title": "red"}})
    )
    assert (
        e.count(body=s)
        == e.count(index="docs", body=s.to_dict())
        == {"count": 4, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}
    )
    with pytest.raises(ApiError) as info:
        e.count(body=Search(index="docs").knn(field="vec", k=1, num_candidates=2, query_vector=[1, 1]))
    assert info.value.body["error"] == {
        "root_cause": [{"type": "parsing_exception", "reason": "request does not support [knn]"}],
        "type": "parsing_exception",
        "reason": "request does not support [knn]",
    }


def test_retrievo_ast_nodes_are_accepted_too(e: Engine) -> None:
    json_r = {
        "rrf": {
            "retrievers": [
                {"standard": {"query": {"match": {"title": "apple"}}}},
                {"knn": {"field": "vec", "query_vector": [1.0, 1.0], "k": 3, "num_candidates": 8}},
            ]
        }
    }
    same(e, {"retriever": parse_retriever(json_r)}, {"retriever": json_r})
    request = parse_search("docs", {"retriever": json_r, "size": 3})
    assert hits(e.search(body=request)) == hits(e.search(index="docs", body={"retriever": json_r, "size": 3}))


# ------------------------------------------------------------------ errors are Elasticsearch's
def test_builders_for_unsupported_features_fail_like_the_json(e: Engine) -> None:
    for built, json_query in [
        (
            Q("percolate", field="query", document={"title": "aple"}),
            {"percolate": {"field": "query", "document": {"title": "aple"}}},
        ),
        (
            query.Knn(field="vec", query_vector=[1.0, 1.0], k=0),
            {"knn": {"field": "vec", "query_vector": [1.0, 1.0], "k": 0}},
        ),
    ]:
        with pytest.raises(ApiError) as a:
            e.search(index="docs", query=built)
        with pytest.raises(ApiError) as b:
            e.search(index="docs", query=json_query)
        assert a.value.status_code == b.value.status_code == 400 and a.value.body == b.value.body
    highlighted = e.search(body=Search(index="docs").query("match", title="car").highlight("title"))
    assert highlighted["hits"]["hits"][0]["highlight"] == {"title": ["red <em>car</em>"]}


@pytest.mark.parametrize("odd", [object(), {1, 2}, Q("match_all").__class__])
def test_objects_that_are_not_json_fail_as_elasticsearch_errors(e: Engine, odd: Any) -> None:
    for args in (
        {"query": odd},
        {"retriever": {"standard": {"query": odd}}},
        {"knn": {"field": odd}},
        {"retriever": {"rrf": {"retrievers": [odd]}}},
        {"body": odd},
    ):
        with pytest.raises(ApiError) as info:
            e.search(index="docs", **args)
        assert info.value.status_code == 400
        assert info.value.body["error"]["type"] in {
            "parsing_exception",
            "x_content_parse_exception",
            "illegal_argument_exception",
        }


def test_a_search_object_where_a_query_belongs(e: Engine) -> None:
    with pytest.raises(ApiError) as info:
        e.search(index="docs", query=Search(index="docs"))
    assert info.value.body["error"]["reason"] == "query malformed, empty clause found"


def test_search_without_an_index_anywhere(e: Engine) -> None:
    # as in Elasticsearch, a search that names no index searches them all (issue 13: index resolution)
    everywhere = e.search(body=Search().query("match_all"))
    assert everywhere["hits"] == e.search(index="_all", body=Search().query("match_all"))["hits"]
    assert everywhere["hits"]["total"]["value"] == e.count(index="docs")["count"]
