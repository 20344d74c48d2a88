"""ES|QL → the retriever AST: the mapping table of docs/esql.md, case by case (shown as the request's
retriever JSON), and the printer taking each AST back to ES|QL text that parses into it again."""

from __future__ import annotations

import pytest

from retrievo.errors import error_reason
from retrievo.grammar.esql import EsqlQuery, parse_esql, to_esql

MATCH_DARK = {"match": {"title": {"query": "dark", "lenient": True}}}
DOC = [{"_doc": {"order": "asc"}}]
GENRE_SF = {"term": {"genre": {"value": "sf"}}}
FUSE_FROM = "FROM lib METADATA _id, _index, _score | "

CASES = [
    # --- full-text functions and the match operator
    (
        'FROM lib METADATA _score | WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 5',
        {"standard": {"query": MATCH_DARK}},
        5,
    ),
    (
        'FROM lib METADATA _score | WHERE title:"dark" | SORT _score DESC | LIMIT 5',
        {"standard": {"query": MATCH_DARK}},
        5,
    ),
    (
        'FROM lib METADATA _score | WHERE MATCH(title, "dark", {"operator": "AND", "minimum_should_match": 1, '
        '"lenient": false}) | SORT _score DESC | LIMIT 3',
        {"standard": {"query": {"match": {"title": {"query": "dark", "operator": "and", "minimum_should_match": 1}}}}},
        3,
    ),
    (
        'FROM lib METADATA _score | WHERE MATCH_PHRASE(title, "dark hand", {"slop": 2, "boost": 2.5}) '
        "| SORT _score DESC | LIMIT 3",
        {"standard": {"query": {"match_phrase": {"title": {"query": "dark hand", "slop": 2, "boost": 2.5}}}}},
        3,
    ),
    (
        'FROM lib METADATA _score | WHERE MULTI_MATCH("dark", title, body, {"type": "most_fields", '
        '"tie_breaker": 0.3}) | SORT _score DESC',
        {
            "standard": {
                "query": {
                    "multi_match": {
                        "query": "dark",
                        "fields": ["title", "body"],
                        "type": "most_fields",
                        "tie_breaker": 0.3,
                        "lenient": True,
                    }
                }
            }
        },
        1000,
    ),
    # --- no SORT: the first rows in index order, as ES|QL reads them
    ('FROM lib | WHERE MATCH(title, "dark") | LIMIT 5', {"standard": {"query": MATCH_DARK, "sort": DOC}}, 5),
    # --- filters: everything but full-text functions filters and scores 0
    (
        'FROM lib | WHERE genre == "sf" AND year >= 1960 AND year < 2000 AND available AND rating > 2.5',
        {
            "standard": {
                "sort": DOC,
                "filter": [
                    GENRE_SF,
                    {"range": {"year": {"gte": 1960, "lt": 2000}}},
                    {"term": {"available": {"value": True}}},
                    {"range": {"rating": {"gt": 2.5}}},
                ],
            }
        },
        1000,
    ),
    (
        'FROM lib | WHERE genre != "sf" AND NOT year > 1960 AND tags NOT IN ("a", "b") AND pages IS NULL '
        "AND published IS NOT NULL | LIMIT 10",
        {
            "standard": {
                "sort": DOC,
                "filter": [
                    {"bool": {"filter": [{"exists": {"field": "genre"}}], "must_not": [GENRE_SF]}},
                    {"range": {"year": {"lte": 1960}}},
                    {
                        "bool": {
                            "filter": [{"exists": {"field": "tags"}}],
                            "must_not": [{"terms": {"tags": ["a", "b"]}}],
                        }
                    },
                    {"bool": {"must_not": [{"exists": {"field": "pages"}}]}},
                    {"exists": {"field": "published"}},
                ],
            }
        },
        10,
    ),
    (
        'FROM lib | WHERE genre IN ("sf", "fantasy") OR year < 1960 | LIMIT 10',
        {
            "standard": {
                "sort": DOC,
                "filter": {
                    "bool": {"should": [{"terms": {"genre": ["sf", "fantasy"]}}, {"range": {"year": {"lt": 1960}}}]}
                },
            }
        },
        10,
    ),
    (
        'FROM lib | WHERE NOT (genre == "sf" OR MATCH(title, "dark")) | LIMIT 10',
        {
            "standard": {
                "sort": DOC,
                "filter": [
                    {"bool": {"filter": [{"exists": {"field": "genre"}}], "must_not": [GENRE_SF]}},
                    {"bool": {"must_not": [MATCH_DARK]}},
                ],
            }
        },
        10,
    ),
    (
        'FROM lib METADATA _score | WHERE MATCH(title, "dark") OR genre == "sf" | SORT _score DESC | LIMIT 10',
        {
            "standard": {
                "query": {"bool": {"should": [MATCH_DARK, {"constant_score": {"filter": GENRE_SF, "boost": 0.0}}]}}
            }
        },
        10,
    ),
    (
        'FROM lib METADATA _score | WHERE (MATCH(title, "dark") OR MATCH(body, "sea")) AND genre == "sf" '
        "| SORT _score DESC | LIMIT 10",
        {
            "standard": {
                "query": {"bool": {"should": [MATCH_DARK, {"match": {"body": {"query": "sea", "lenient": True}}}]}},
                "filter": GENRE_SF,
            }
        },
        10,
    ),
    ("FROM lib | LIMIT 5", {"standard": {"sort": DOC, "filter": {"match_all": {}}}}, 5),
    # --- kNN
    (
        "FROM lib METADATA _score | WHERE KNN(vec, [0.1, 0.2, 0.3]) | SORT _score DESC | LIMIT 5",
        {"knn": {"field": "vec", "query_vector": [0.1, 0.2, 0.3], "k": 5, "num_candidates": 8}},
        5,
    ),
    (
        'FROM lib METADATA _score | WHERE KNN(vec, [0.1, 0.2, 0.3], {"k": 3, "min_candidates": 20, '
        '"similarity": 0.5}) AND genre == "sf" | SORT _score DESC | LIMIT 5',
        {
            "knn": {
                "field": "vec",
                "query_vector": [0.1, 0.2, 0.3],
                "k": 3,
                "num_candidates": 20,
                "similarity": 0.5,
                "filter": GENRE_SF,
            }
        },
        5,
    ),
    (
        'FROM lib METADATA _score | WHERE KNN(vec, TEXT_EMBEDDING("dark", "embedder")) | SORT _score DESC | LIMIT 4',
        {
            "knn": {
                "field": "vec",
                "query_vector_builder": {"text_embedding": {"model_id": "embedder", "model_text": "dark"}},
                "k": 4,
                "num_candidates": 6,
            }
        },
        4,
    ),
    (
        'FROM lib METADATA _score | WHERE KNN(vec, [1, 2, 3], {"boost": 2.0}) | SORT _score DESC | LIMIT 5',
        {
            "standard": {
                "knn": {"field": "vec", "query_vector": [1.0, 2.0, 3.0], "k": 5, "num_candidates": 8, "boost": 2.0}
            }
        },
        5,
    ),
    (
        'FROM lib METADATA _score | WHERE MATCH(title, "dark") OR KNN(vec, [1, 2, 3]) | SORT _score DESC | LIMIT 5',
        {
            "standard": {
                "query": MATCH_DARK,
                "knn": {"field": "vec", "query_vector": [1.0, 2.0, 3.0], "k": 5, "num_candidates": 8},
            }
        },
        5,
    ),
    (
        'FROM lib METADATA _score | WHERE (MATCH(title, "dark") OR KNN(vec, [1, 2, 3])) AND genre == "sf" '
        "| SORT _score DESC | LIMIT 5",
        {
            "standard": {
                "query": MATCH_DARK,
                "filter": GENRE_SF,
                "knn": {
                    "field": "vec",
                    "query_vector": [1.0, 2.0, 3.0],
                    "k": 5,
                    "num_candidates": 8,
                    "filter": GENRE_SF,
                },
            }
        },
        5,
    ),
    # --- SORT: ES|QL's null order (ASC: nulls last, DESC: nulls first)
    (
        "FROM lib METADATA _score | WHERE year > 2000 | SORT year DESC, _score DESC | LIMIT 5",
        {
            "standard": {
                "sort": [{"year": {"order": "desc", "missing": "_first"}}, {"_score": {"order": "desc"}}],
                "filter": {"range": {"year": {"gt": 2000}}},
            }
        },
        5,
    ),
    (
        "FROM lib | WHERE year > 2000 | SORT genre NULLS FIRST, year DESC NULLS LAST | LIMIT 5",
        {
            "standard": {
                "sort": [{"genre": {"order": "asc", "missing": "_first"}}, {"year": {"order": "desc"}}],
                "filter": {"range": {"year": {"gt": 2000}}},
            }
        },
        5,
    ),
    # --- LIMIT: default 1000, at most 10000, the smallest of several
    ("FROM lib | LIMIT 50000", {"standard": {"sort": DOC, "filter": {"match_all": {}}}}, 10000),
    ("FROM lib | LIMIT 5 | LIMIT 3", {"standard": {"sort": DOC, "filter": {"match_all": {}}}}, 3),
    # --- FORK / FUSE
    (
        FUSE_FROM + 'FORK (WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 20) (WHERE KNN(vec, [1,2,3]) '
        "| SORT _score DESC | LIMIT 20) | FUSE | SORT _score DESC | LIMIT 5",
        {
            "rrf": {
                "retrievers": [
                    {"retriever": {"standard": {"query": MATCH_DARK}}},
                    {
                        "retriever": {
                            "knn": {"field": "vec", "query_vector": [1.0, 2.0, 3.0], "k": 20, "num_candidates": 30}
                        }
                    },
                ],
                "rank_window_size": 20,
            }
        },
        5,
    ),
    (
        FUSE_FROM + 'FORK (WHERE MATCH(title, "dark") | SORT _score DESC) (WHERE title:"sea" | SORT _score DESC) '
        '| FUSE RRF WITH {"rank_constant": 20, "weights": {"fork2": 2}} | SORT _score DESC',
        {
            "rrf": {
                "retrievers": [
                    {"retriever": {"standard": {"query": MATCH_DARK}}},
                    {
                        "retriever": {"standard": {"query": {"match": {"title": {"query": "sea", "lenient": True}}}}},
                        "weight": 2.0,
                    },
                ],
                "rank_constant": 20,
                "rank_window_size": 1000,
            }
        },
        1000,
    ),
    (
        FUSE_FROM + 'WHERE genre == "sf" | FORK (WHERE title:"dark" | SORT _score DESC | LIMIT 10) '
        '(WHERE title:"sea" | SORT _score DESC | LIMIT 10) | FUSE LINEAR SCORE BY _score GROUP BY _fork '
        'KEY BY _id, _index WITH {"normalizer": "minmax", "weights": {"fork1": 0.7, "fork2": 0.3}} '
        "| SORT _score DESC | LIMIT 50",
        {
            "linear": {
                "retrievers": [
                    {"retriever": {"standard": {"query": MATCH_DARK}}, "weight": 0.7},
                    {
                        "retriever": {"standard": {"query": {"match": {"title": {"query": "sea", "lenient": True}}}}},
                        "weight": 0.3,
                    },
                ],
                "normalizer": "minmax",
                "filter": GENRE_SF,
            }
        },
        10,
    ),
    # --- RERANK: the preceding LIMIT is the window; without one, RERANK's 1000-row limit
    (
        'FROM lib METADATA _score | WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 100 '
        '| RERANK "a dark tale" ON title WITH {"inference_id": "rr"} | SORT _score DESC | LIMIT 10',
        {
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": MATCH_DARK}},
                "field": "title",
                "inference_text": "a dark tale",
                "inference_id": "rr",
                "rank_window_size": 100,
            }
        },
        10,
    ),
    (
        'FROM lib METADATA _score | WHERE MATCH(title, "dark") | RERANK "a dark tale" ON title | SORT _score DESC',
        {
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": MATCH_DARK, "sort": DOC}},
                "field": "title",
                "inference_text": "a dark tale",
                "rank_window_size": 1000,
            }
        },
        1000,
    ),
    (
        FUSE_FROM + 'FORK (WHERE title:"dark" | SORT _score DESC | LIMIT 20) (WHERE title:"sea" | SORT _score DESC '
        '| LIMIT 20) | FUSE | SORT _score DESC | LIMIT 10 | RERANK "q" ON title | SORT _score DESC | LIMIT 3',
        {
            "text_similarity_reranker": {
                "retriever": {
                    "rrf": {
                        "retrievers": [
                            {"retriever": {"standard": {"query": MATCH_DARK}}},
                            {
                                "retriever": {
                                    "standard": {"query": {"match": {"title": {"query": "sea", "lenient": True}}}}
                                }
                            },
                        ],
                        "rank_window_size": 20,
                    }
                },
                "field": "title",
                "inference_text": "q",
            }
        },
        3,
    ),
]


@pytest.mark.parametrize("esql,retriever,size", CASES, ids=[c[0][:70] for c in CASES])
def test_esql_maps_onto_the_retriever_ast(esql, retriever, size):
    parsed = parse_esql(esql)
    assert parsed.request.to_json() == {"retriever": retriever, **({"size": size} if size != 10 else {})}
    assert parse_esql(to_esql(parsed)) == parsed


def test_printer_output_reads_like_es_ql():
    parsed = parse_esql(
        FUSE_FROM + 'WHERE genre == "sf" | FORK (WHERE MATCH(title, "dark") | SORT _score DESC '
        "| LIMIT 10) (WHERE KNN(vec, [1, 2, 3]) | SORT _score DESC | LIMIT 10) "
        '| FUSE LINEAR WITH {"normalizer": "minmax"} | SORT _score DESC | LIMIT 5 | KEEP _id, _score'
    )
    assert to_esql(parsed) == (
        "FROM lib METADATA _id, _index, _score\n"
        '| WHERE genre == "sf"\n'
        '| FORK ( WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 10 )\n'
        "       ( WHERE KNN(vec, [1.0, 2.0, 3.0]) | SORT _score DESC | LIMIT 10 )\n"
        '| FUSE LINEAR WITH {"normalizer": "minmax"}\n'
        "| SORT _score DESC\n"
        "| LIMIT 5\n"
        "| KEEP _id, _score"
    )


def test_printer_quotes_what_es_ql_cannot_read_bare():
    parsed = parse_esql('FROM lib | WHERE `first` == "a\\"b" AND `my field` > -1.5e-07 | LIMIT 1')
    text = to_esql(parsed)
    assert '`first` == "a\\"b"' in text and "`my field` > -1.5e-07" in text
    assert parse_esql(text) == parsed
    assert parsed.request.retriever.filter[0].value == 'a"b'


def test_a_search_request_prints_with_default_metadata():
    from retrievo.grammar.json import parse_search

    request = parse_search(
        "lib",
        {"retriever": {"standard": {"query": {"match": {"title": {"query": "dark", "lenient": True}}}}}, "size": 3},
    )
    assert to_esql(request) == (
        'FROM lib METADATA _id, _index, _score\n| WHERE MATCH(title, "dark")\n| SORT _score DESC\n| LIMIT 3'
    )
    assert parse_esql(to_esql(request)).request == request


@pytest.mark.parametrize(
    "body,what",
    [
        ({"retriever": {"standard": {"query": {"match": {"title": "dark"}}, "min_score": 1}}}, "[min_score]"),
        ({"query": {"dis_max": {"queries": [{"match": {"title": "a"}}]}}}, "a [dis_max] query"),
        (
            {"query": {"bool": {"must": [{"match": {"title": "a"}}], "should": [{"match": {"title": "b"}}]}}},
            "a bool query mixing must and should clauses",
        ),
        ({"query": {"multi_match": {"query": "a", "fields": ["title^3", "body"]}}}, "per-field boosts"),
        (
            {
                "retriever": {
                    "rrf": {
                        "retrievers": [{"rrf": {"retrievers": [{"standard": {}}, {"standard": {}}]}}, {"standard": {}}]
                    }
                }
            },
            "inside another one",
        ),
        ({"query": {"match": {"title": "a"}}, "from": 5}, "[from]"),
    ],
)
def test_what_es_ql_cannot_express_is_refused(body, what):
    from retrievo.errors import ApiError
    from retrievo.grammar.json import parse_search

    with pytest.raises(ApiError) as info:
        to_esql(parse_search("lib", body))
    assert error_reason(info.value).startswith("cannot express in ES|QL: ")
    assert what in error_reason(info.value)


def test_query_parameters():
    positional = parse_esql("FROM lib | WHERE genre == ? AND year > ? | LIMIT ?", params=["sf", 1960, 7])
    named = parse_esql(
        "FROM lib | WHERE genre == ?g AND year > ?y | LIMIT ?n", params=[{"g": "sf"}, {"y": 1960}, {"n": 7}]
    )
    numbered = parse_esql("FROM lib | WHERE genre == ?1 AND year > ?2 | LIMIT ?3", params=["sf", 1960, 7])
    literal = parse_esql('FROM lib | WHERE genre == "sf" AND year > 1960 | LIMIT 7')
    assert positional == named == numbered == literal
    vector = parse_esql(
        "FROM lib METADATA _score | WHERE KNN(vec, ?v) | SORT _score DESC | LIMIT 2", params=[{"v": [0.5, 1, 2]}]
    )
    assert vector.request.retriever.search.query_vector == (0.5, 1.0, 2.0)


def test_keep_metadata_and_rerank_column_are_kept_for_the_table():
    parsed = parse_esql(
        'FROM lib METADATA _score, _id | WHERE title:"dark" | SORT _score DESC | LIMIT 50 '
        '| RERANK s = "a dark tale" ON title | SORT s DESC | LIMIT 5 | KEEP title, _score, s'
    )
    assert isinstance(parsed, EsqlQuery)
    assert parsed.metadata == ("_score", "_id")
    assert parsed.keep == (("title", "_score", "s"),)
    assert parsed.rerank_column == "s"
    assert parse_esql(to_esql(parsed)) == parsed


def test_the_official_esql_builder_renders_to_the_same_query(lib):
    from elasticsearch.esql import ESQL, E
    from elasticsearch.esql import functions as f

    built = (
        ESQL.from_("lib")
        .metadata("_id", "_index", "_score")
        .fork(
            ESQL.branch().where(f.match(E("title"), "dark")).sort("_score DESC").limit(10),
            ESQL.branch().where("KNN(vec, [1, 2, 3])").sort("_score DESC").limit(10),
        )
        .fuse("linear")
        .with_(normalizer="minmax")
        .sort("_score DESC")
        .limit(5)
        .keep("_id", "_score")
    )
    text = (
        FUSE_FROM + 'FORK (WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 10) (WHERE KNN(vec, [1,2,3]) '
        '| SORT _score DESC | LIMIT 10) | FUSE LINEAR WITH {"normalizer": "minmax"} | SORT _score DESC | LIMIT 5 '
        "| KEEP _id, _score"
    )
    assert lib.esql.parse(built) == lib.esql.parse(text)
    from_builder, from_text = lib.esql.query(query=built), lib.esql.query(query=text)
    from_builder.pop("took"), from_text.pop("took")
    assert from_builder == from_text and from_text["values"]
