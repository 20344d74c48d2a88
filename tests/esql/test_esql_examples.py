"""The example searches written as ES|QL, side by side with their retriever-JSON form, on the same
index: the demo searches (retrievo/demo.py, on a slice of its corpus), the README example, and the
Elasticsearch YAML searches of spec §9 that ES|QL can express. Both forms return the same hits in
the same order with the same scores (a reranked row's ES|QL score is the model's raw score; the
retriever reports it normalised)."""

from __future__ import annotations

import pytest

from conftest import assert_same_hits, esql_hits, json_hits
from retrievo import Engine
from retrievo.errors import ApiError, error_reason
from retrievo.grammar.esql import to_esql
from retrievo.grammar.json import parse_search

# ------------------------------------------------------------------ the demo searches
#: A slice of the demo corpus (every module the demo searches are about), small enough to embed quickly.
DEMO_MODULES = {"json", "datetime", "re", "socket", "tempfile", "gzip", "bz2", "lzma", "string"}
EMBEDDER = ".all-minilm-l6-v2"
SHRINK = "shrink data so it takes less space"

#: (demo search title prefix, its ES|QL form); the JSON form is the demo's own body.
DEMO_ESQL = {
    "match": 'FROM pydocs METADATA _id, _score | WHERE MATCH(doc, "parse a date string into a datetime") '
    "| SORT _score DESC | LIMIT 5",
    "standard retriever": 'FROM pydocs METADATA _id, _score | WHERE MATCH(doc, "serialize object to a string") '
    'AND module == "json" AND kind == "function" | SORT _score DESC | LIMIT 5',
    "match_phrase": 'FROM pydocs METADATA _id, _score | WHERE MATCH_PHRASE(doc, "regular expression pattern", '
    '{"slop": 2}) | SORT _score DESC | LIMIT 5',
    "bool": 'FROM pydocs METADATA _id, _score | WHERE MATCH(doc, "socket connection") AND NOT kind == "module" '
    "AND lines >= 5 | SORT lines DESC NULLS LAST, _score DESC | LIMIT 5",
    "semantic": f'FROM pydocs METADATA _id, _score | WHERE meaning:"{SHRINK}" | SORT _score DESC | LIMIT 5',
    "hybrid": f'FROM pydocs METADATA _id, _score | WHERE MATCH(doc, "compress") OR KNN(meaning, '
    f'TEXT_EMBEDDING("{SHRINK}", "{EMBEDDER}"), {{"k": 10, "min_candidates": 50}}) '
    f"| SORT _score DESC | LIMIT 5",
}
#: ES|QL's MULTI_MATCH takes columns, with no per-field boost: the demo's ``name^3`` has no ES|QL form,
#: so this compares MULTI_MATCH with the same multi_match minus the boost.
MULTI_MATCH_ESQL = (
    'FROM pydocs METADATA _id, _score | WHERE MULTI_MATCH("temporary directory", name, summary, '
    'doc, {"tie_breaker": 0.3}) | SORT _score DESC | LIMIT 5'
)


@pytest.fixture(scope="module")
def pydocs() -> Engine:
    from retrievo.corpora.stdlib_docs import stdlib_documents
    from retrievo.demo import INDEX, MAPPINGS

    docs = [d for d in stdlib_documents() if d["module"].split(".")[0] in DEMO_MODULES]
    e = Engine()
    e.indices.create(index=INDEX, mappings=MAPPINGS)
    ops: list[dict] = []
    for i, doc in enumerate(docs):
        ops += [{"index": {"_index": INDEX, "_id": str(i)}}, {**doc, "meaning": doc["summary"]}]
    assert not e.bulk(operations=ops, refresh=True)["errors"]
    return e


def _demo_body(prefix: str) -> dict:
    from retrievo.demo import SEARCHES

    return next(body for title, body in SEARCHES if title.startswith(prefix))


@pytest.mark.parametrize("prefix", list(DEMO_ESQL))
def test_demo_search_as_esql(pydocs, prefix):
    esql = pydocs.esql.query(query=DEMO_ESQL[prefix])
    json = pydocs.search(index="pydocs", body=_demo_body(prefix), size=5)
    assert json["hits"]["hits"], prefix
    assert_same_hits(esql_hits(esql), json_hits(json))


def test_demo_multi_match_as_esql(pydocs):
    body = _demo_body("multi_match")
    with pytest.raises(ApiError, match="per-field boosts"):
        to_esql(parse_search("pydocs", body))
    unboosted = {"query": {"multi_match": {**body["query"]["multi_match"], "fields": ["name", "summary", "doc"]}}}
    esql = pydocs.esql.query(query=MULTI_MATCH_ESQL)
    json = pydocs.search(index="pydocs", body=unboosted, size=5)
    assert json["hits"]["hits"]
    assert_same_hits(esql_hits(esql), json_hits(json))


def test_demo_searches_print_back_to_the_same_esql(pydocs):
    for text in DEMO_ESQL.values():
        parsed = pydocs.esql.parse(text)
        assert pydocs.esql.parse(to_esql(parsed)) == parsed


# ------------------------------------------------------------------ the README example
def test_readme_example_as_esql():
    es = Engine()
    es.indices.create(
        index="books",
        mappings={
            "properties": {
                "title": {"type": "text", "analyzer": "english"},
                "year": {"type": "integer"},
                "genre": {"type": "keyword"},
            }
        },
    )
    es.bulk(
        operations=[
            {"index": {"_index": "books", "_id": "1"}},
            {"title": "The Left Hand of Darkness", "year": 1969, "genre": "sf"},
            {"index": {"_index": "books", "_id": "2"}},
            {"title": "A Wizard of Earthsea", "year": 1968, "genre": "fantasy"},
        ],
        refresh=True,
    )
    json = es.search(
        index="books",
        retriever={
            "standard": {"query": {"match": {"title": "darkness"}}, "filter": {"range": {"year": {"gte": 1960}}}}
        },
    )
    esql = es.esql.query(
        query='FROM books METADATA _id, _score | WHERE MATCH(title, "darkness") AND year >= 1960 '
        "| SORT _score DESC | LIMIT 10"
    )
    assert [h for h, _ in esql_hits(esql)] == ["1"]
    assert_same_hits(esql_hits(esql), json_hits(json))
    plan = es.plan(esql='FROM books METADATA _score | WHERE MATCH(title, "left hand") | SORT _score DESC')
    assert str(plan) == str(
        es.plan(
            index="books",
            retriever={"standard": {"query": {"match": {"title": {"query": "left hand", "lenient": True}}}}},
            size=1000,
        )
    )


# ------------------------------------------------------------------ spec §9.1: linear/10_linear_retriever.yml
@pytest.fixture(scope="module")
def linear() -> Engine:
    e = Engine()
    e.indices.create(
        index="test",
        mappings={
            "properties": {
                "vector": {
                    "type": "dense_vector",
                    "dims": 1,
                    "similarity": "l2_norm",
                    "index_options": {"type": "flat"},
                },
                "keyword": {"type": "keyword"},
                "other_keyword": {"type": "keyword"},
                "timestamp": {"type": "date"},
            }
        },
    )
    e.bulk(
        index="test",
        refresh=True,
        operations=[
            {"index": {"_id": 1}},
            {"vector": [1], "keyword": "one", "other_keyword": "other", "timestamp": "2021-01-01"},
            {"index": {"_id": 2}},
            {"vector": [2], "keyword": "two", "timestamp": "2022-01-01"},
            {"index": {"_id": 3}},
            {"vector": [3], "keyword": "three", "timestamp": "2023-01-01"},
            {"index": {"_id": 4}},
            {"vector": [4], "keyword": "four", "other_keyword": "other", "timestamp": "2024-01-01"},
        ],
    )
    return e


KNN4_ESQL = 'WHERE KNN(vector, [4], {"k": 1, "min_candidates": 1}) | SORT _score DESC | LIMIT 10'
KNN4_JSON = {"knn": {"field": "vector", "query_vector": [4], "k": 1, "num_candidates": 1}}


def _one(child_filter: str = "") -> str:
    return f'WHERE MATCH(keyword, "one"){child_filter} | SORT _score DESC | LIMIT 10'


def _one_json(extra: dict | None = None) -> dict:
    return {"standard": {"query": {"match": {"keyword": {"query": "one", "lenient": True}}}, **(extra or {})}}


LINEAR_CASES = [
    # case 1 (constant_score(one, 10) becomes a match on the keyword field): knn4 × 2 → doc 4 = 2.0
    (
        f"FROM test METADATA _id, _index, _score | FORK ({_one()}) ({KNN4_ESQL}) "
        f'| FUSE LINEAR WITH {{"weights": {{"fork1": 0.5, "fork2": 2}}}} | SORT _score DESC | LIMIT 10',
        {"linear": {"retrievers": [{"retriever": _one_json(), "weight": 0.5}, {"retriever": KNN4_JSON, "weight": 2}]}},
        ["4", "1"],
        2.0,
    ),
    # case 14: a filter on the linear retriever reaches the knn child as a pre-filter → [4: 2.0]
    (
        f'FROM test METADATA _id, _index, _score | WHERE keyword == "four" | FORK ({_one()}) ({KNN4_ESQL}) '
        f'| FUSE LINEAR WITH {{"weights": {{"fork1": 0.5, "fork2": 2}}}} | SORT _score DESC | LIMIT 10',
        {
            "linear": {
                "retrievers": [{"retriever": _one_json(), "weight": 0.5}, {"retriever": KNN4_JSON, "weight": 2}],
                "filter": {"term": {"keyword": "four"}},
            }
        },
        ["4"],
        2.0,
    ),
    # case 15: a filter on the standard child only → [4: 2.0]
    (
        f"FROM test METADATA _id, _index, _score | FORK ({_one(' AND keyword == ' + chr(34) + 'four' + chr(34))}) "
        f'({KNN4_ESQL}) | FUSE LINEAR WITH {{"weights": {{"fork1": 0.5, "fork2": 2}}}} | SORT _score DESC | LIMIT 10',
        {
            "linear": {
                "retrievers": [
                    {"retriever": _one_json({"filter": {"term": {"keyword": "four"}}}), "weight": 0.5},
                    {"retriever": KNN4_JSON, "weight": 2},
                ]
            }
        },
        ["4"],
        2.0,
    ),
    # minmax over the keyword match and knn4
    (
        f"FROM test METADATA _id, _index, _score | FORK ({_one()}) ({KNN4_ESQL}) "
        f'| FUSE LINEAR WITH {{"normalizer": "minmax", "weights": {{"fork1": 10, "fork2": 2}}}} | SORT _score DESC '
        f"| LIMIT 10",
        {
            "linear": {
                "retrievers": [{"retriever": _one_json(), "weight": 10}, {"retriever": KNN4_JSON, "weight": 2}],
                "normalizer": "minmax",
            }
        },
        ["1", "4"],
        10.0,
    ),
]


@pytest.mark.parametrize("esql,retriever,ids,top", LINEAR_CASES)
def test_linear_searches_as_esql(linear, esql, retriever, ids, top):
    json = linear.search(index="test", retriever=retriever)
    rows = esql_hits(linear.esql.query(query=esql))
    assert [d for d, _ in rows] == ids
    assert_same_hits(rows, json_hits(json))
    if top is not None:
        assert rows[0][1] == pytest.approx(top)


@pytest.mark.parametrize(
    "options,message",
    [
        ('{"normalizer": "aardvark"}', "[aardvark] is not a valid normalizer"),  # case 6
        ('{"weights": {"fork1": -10}}', "expected weight to be positive, got [-10]"),  # case 7
    ],
)
def test_linear_option_errors_as_esql(linear, options, message):
    with pytest.raises(ApiError) as info:
        linear.esql.query(
            query=f"FROM test METADATA _id, _index, _score | FORK ({_one()}) ({KNN4_ESQL}) "
            f"| FUSE LINEAR WITH {options} | SORT _score DESC"
        )
    assert info.value.body["error"]["type"] == "verification_exception"
    assert message in error_reason(info.value)


# ------------------------------------------------------------------ spec §9.2: rrf/320_rrf_weighted_retriever.yml
@pytest.fixture(scope="module")
def restaurants() -> Engine:
    e = Engine()
    e.indices.create(
        index="restaurants",
        mappings={
            "properties": {
                "name": {"type": "keyword"},
                "description": {"type": "text"},
                "city": {"type": "keyword"},
                "region": {"type": "keyword"},
                "vector": {"type": "dense_vector", "dims": 3},
            }
        },
    )
    for doc_id, doc in [
        (
            "1",
            {
                "name": "Pizza Palace",
                "description": "Best pizza in town",
                "city": "Vienna",
                "region": "Austria",
                "vector": [10, 22, 77],
            },
        ),
        (
            "2",
            {
                "name": "Burger House",
                "description": "Juicy burgers",
                "city": "Graz",
                "region": "Austria",
                "vector": [15, 25, 70],
            },
        ),
        (
            "3",
            {
                "name": "Sushi World",
                "description": "Fresh sushi",
                "city": "Linz",
                "region": "Austria",
                "vector": [11, 24, 75],
            },
        ),
    ]:
        e.index(index="restaurants", id=doc_id, document=doc)
    e.indices.refresh(index="restaurants")
    return e


def test_weighted_rrf_as_esql(restaurants):
    # case 1: multi_match "Austria" on city, region (w 0.3) + match description "pizza" (w 0.7) → doc 1 first
    esql = restaurants.esql.query(
        query=(
            "FROM restaurants METADATA _id, _index, _score "
            '| FORK (WHERE MULTI_MATCH("Austria", city, region) | SORT _score DESC | LIMIT 10) '
            '(WHERE MATCH(description, "pizza") | SORT _score DESC | LIMIT 10) '
            '| FUSE WITH {"weights": {"fork1": 0.3, "fork2": 0.7}} | SORT _score DESC | LIMIT 10'
        )
    )
    json = restaurants.search(
        index="restaurants",
        retriever={
            "rrf": {
                "retrievers": [
                    {
                        "retriever": {
                            "standard": {
                                "query": {
                                    "multi_match": {"query": "Austria", "fields": ["city", "region"], "lenient": True}
                                }
                            }
                        },
                        "weight": 0.3,
                    },
                    {"retriever": {"standard": {"query": {"match": {"description": "pizza"}}}}, "weight": 0.7},
                ]
            }
        },
    )
    rows = esql_hits(esql)
    assert len(rows) == 3 and rows[0][0] == "1"
    assert_same_hits(rows, json_hits(json))
    # case 3: match "pizza" (w 0.1) + match "burgers" (w 0.9) → [2: 0.01475, 1: 0.00164]
    esql = restaurants.esql.query(
        query=(
            "FROM restaurants METADATA _id, _index, _score "
            '| FORK (WHERE MATCH(description, "pizza") | SORT _score DESC | LIMIT 10) '
            '(WHERE MATCH(description, "burgers") | SORT _score DESC | LIMIT 10) '
            '| FUSE WITH {"weights": {"fork1": 0.1, "fork2": 0.9}} | SORT _score DESC | LIMIT 10'
        )
    )
    rows = esql_hits(esql)
    assert [d for d, _ in rows] == ["2", "1"]
    assert rows[0][1] == pytest.approx(0.01475, abs=1e-4) and rows[1][1] == pytest.approx(0.00164, abs=1e-4)
    json = restaurants.search(
        index="restaurants",
        retriever={
            "rrf": {
                "retrievers": [
                    {"retriever": {"standard": {"query": {"match": {"description": "pizza"}}}}, "weight": 0.1},
                    {"retriever": {"standard": {"query": {"match": {"description": "burgers"}}}}, "weight": 0.9},
                ]
            }
        },
    )
    assert_same_hits(rows, json_hits(json))
    # case 4: a negative weight is refused (ES|QL's wording)
    with pytest.raises(ApiError, match=r"expected weight to be positive, got \[-0.5\]"):
        restaurants.esql.query(
            query=(
                'FROM restaurants METADATA _id, _index, _score | FORK (WHERE MATCH(description, "pizza") | LIMIT 10) '
                '(WHERE MATCH(description, "burgers") | LIMIT 10) | FUSE WITH {"weights": {"fork1": -0.5}} '
                "| SORT _score DESC"
            )
        )


# ------------------------------------------------------------------ spec §9.4: inference/70 (rerank)
@pytest.fixture(scope="module")
def reranking() -> Engine:
    e = Engine()
    e.inference.put(
        task_type="rerank",
        inference_id="my-rerank-model",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "my_model", "api_key": "abc64"},
            "task_settings": {},
        },
    )
    e.indices.create(
        index="test-index",
        mappings={
            "properties": {
                "text": {"type": "text"},
                "topic": {"type": "keyword"},
                "subtopic": {"type": "keyword"},
                "inference_text_field": {"type": "text"},
            }
        },
    )
    for doc_id, topic, subtopic, score in [
        ("doc_2", "science", "astronomy", "0"),
        ("doc_3", "geography", None, "1"),
        ("doc_1", "science", "technology", "-1"),
    ]:
        doc = {"text": f"text of {doc_id}", "topic": topic, "inference_text_field": score}
        if subtopic:
            doc["subtopic"] = subtopic
        e.index(index="test-index", id=doc_id, refresh=True, document=doc)
    return e


QUESTION = "How often does the moon hide the sun?"


def _rerank_esql(where: str, inference_id: str = "my-rerank-model") -> str:
    return (
        f"FROM test-index METADATA _id, _score | WHERE {where} | SORT _score DESC | LIMIT 10 "
        f'| RERANK "{QUESTION}" ON inference_text_field WITH {{"inference_id": "{inference_id}"}} '
        f"| SORT _score DESC | LIMIT 10"
    )


def test_rerank_as_esql(reranking):
    # case 1 (its constant_score should-clauses become filters): [doc_2 (raw 0 → 1.0), doc_1 (raw -1 → e^-1)]
    where = 'subtopic == "technology" OR subtopic == "astronomy"'
    rows = esql_hits(reranking.esql.query(query=_rerank_esql(where)))
    json = reranking.search(
        index="test-index",
        retriever={
            "text_similarity_reranker": {
                "retriever": {
                    "standard": {
                        "filter": {
                            "bool": {
                                "should": [{"term": {"subtopic": "technology"}}, {"term": {"subtopic": "astronomy"}}]
                            }
                        }
                    }
                },
                "field": "inference_text_field",
                "inference_text": QUESTION,
                "inference_id": "my-rerank-model",
                "rank_window_size": 10,
            }
        },
    )
    assert rows == [("doc_2", 0.0), ("doc_1", -1.0)]  # ES|QL shows the model's raw scores
    assert_same_hits(rows, json_hits(json), reranked=True)
    assert json_hits(json)[1][1] == pytest.approx(0.36787945)
    # case 2: the reranker's filter, written in the child's WHERE → [doc_1]
    rows = esql_hits(reranking.esql.query(query=_rerank_esql('topic == "science" AND subtopic == "technology"')))
    json = reranking.search(
        index="test-index",
        retriever={
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": {"term": {"topic": "science"}}}},
                "field": "inference_text_field",
                "inference_text": QUESTION,
                "inference_id": "my-rerank-model",
                "rank_window_size": 10,
                "filter": {"term": {"subtopic": "technology"}},
            }
        },
    )
    assert [d for d, _ in rows] == ["doc_1"]
    assert_same_hits(rows, json_hits(json), reranked=True)


def test_rerank_with_a_missing_endpoint_as_esql(reranking):
    # case 3: the same error as the retriever's
    with pytest.raises(ApiError) as esql:
        reranking.esql.query(query=_rerank_esql('topic == "science"', inference_id="i-dont-exist"))
    with pytest.raises(ApiError) as json:
        reranking.search(
            index="test-index",
            retriever={
                "text_similarity_reranker": {
                    "retriever": {"standard": {"query": {"term": {"topic": "science"}}}},
                    "field": "inference_text_field",
                    "inference_text": QUESTION,
                    "inference_id": "i-dont-exist",
                    "rank_window_size": 10,
                }
            },
        )
    assert esql.value.body == json.value.body
