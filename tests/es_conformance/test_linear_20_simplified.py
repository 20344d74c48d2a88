"""Port of Elasticsearch's multi-field ("simplified") ``linear`` YAML REST tests, with 9.2 semantics.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/linear/20_linear_retriever_simplified.yml``
in ``elastic/elasticsearch``, read at commit ``05080f9705855991aca0da15da5014aa4c5abd8c``. That version
predates 9.2's top-level ``normalizer`` (PR #129693): its "Cannot set top-level normalizer when using
custom sub-retrievers" expects an error that 9.2 no longer raises (the top-level normalizer became the
default of every entry), so that case is ported as 9.2 behaves. Spec:
/work/shared/spec/elasticsearch-retrievers.md §5.1, §5.2.

The setup's two semantic_text fields run on ``text_embedding_test_service`` (dense) and ``test_service``
(sparse), Elasticsearch's deterministic test mocks.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, at, ids, scores, total
from retrievo import Engine
from retrievo.errors import ApiError

INDEX = "test-index"

LEXICAL_PROPERTIES: dict[str, Any] = {
    "keyword": {"type": "keyword"},
    "text_1": {"type": "text"},
    "text_2": {"type": "text"},
    "timestamp": {"type": "date"},
    "vector": {
        "type": "dense_vector",
        "dims": 1,
        "index": True,
        "similarity": "l2_norm",
        "index_options": {"type": "flat"},
    },
}
SEMANTIC_PROPERTIES: dict[str, Any] = {
    "dense_inference": {"type": "semantic_text", "inference_id": "dense-inference-id"},
    "sparse_inference": {"type": "semantic_text", "inference_id": "sparse-inference-id"},
}
DOCS: list[dict[str, Any]] = [
    {
        "keyword": "keyword match 1",
        "dense_inference": "you know",
        "sparse_inference": "for testing",
        "text_1": "foo match 1",
        "text_2": "x match 2",
        "timestamp": "2000-03-30",
        "vector": [1],
    },
    {
        "keyword": "keyword match 2",
        "dense_inference": "ElasticSearch is an open source",
        "sparse_inference": "distributed, RESTful, search engine",
        "text_1": "bar match 3",
        "text_2": "y match 4",
        "timestamp": "2010-02-08",
        "vector": [2],
    },
    {
        "keyword": "keyword match 3",
        "dense_inference": "which is built on top of Lucene internally",
        "sparse_inference": "and enjoys all the features it provides",
        "text_1": "baz match 5",
        "text_2": "z match 6",
        "timestamp": "2024-08-08",
        "vector": [3],
    },
]


def build_engine(full: bool) -> Engine:
    """The YAML setup (``full``), or the same index without its two semantic_text fields."""
    e = Engine()
    if full:
        sparse = {"service": "test_service", "service_settings": {"model": "my_model", "api_key": "abc64"}}
        e.inference.put(task_type="sparse_embedding", inference_id="sparse-inference-id", body=sparse)
        settings = {"model": "my_model", "dimensions": 128, "similarity": "cosine", "api_key": "abc64"}
        dense = {"service": "text_embedding_test_service", "service_settings": settings}
        e.inference.put(task_type="text_embedding", inference_id="dense-inference-id", body=dense)
    properties = {**LEXICAL_PROPERTIES, **(SEMANTIC_PROPERTIES if full else {})}
    e.indices.create(index=INDEX, mappings={"properties": properties})
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(DOCS, 1):
        ops += [{"index": {"_id": str(i)}}, {k: v for k, v in doc.items() if k in properties}]
    resp = e.bulk(index=INDEX, refresh=True, operations=ops)
    if resp["errors"]:
        raise RuntimeError(f"bulk failed: {resp}")
    return e


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine(full=True)


def linear(e: Engine, index: str = INDEX, **body: Any) -> dict[str, Any]:
    return e.search(index=index, body={"retriever": {"linear": body}})


def linear_error(e: Engine, **body: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        linear(e, **body)
    assert info.value.status_code == 400
    return info.value


def root_reason(err: ApiError) -> str:
    return str(at(err.body, "error.root_cause.0.reason"))


# YAML: "Query all fields using the simplified format"
def test_query_all_fields(engine):
    resp = linear(engine, query="match", normalizer="minmax")
    assert total(resp) == 3
    assert ids(resp) == ["3", "2", "1"]
    assert all(score <= 2.0 for score in scores(resp))


# YAML: "Lexical match per-field boosting using the simplified format"
def test_lexical_per_field_boosting(engine):
    resp = linear(engine, fields=["text_1", "text_2"], query="foo 1 z", normalizer="minmax")
    assert total(resp) == 2
    assert ids(resp) == ["1", "3"]
    assert_close_to(at(resp, "hits.hits.0._score"), 1.0, 0.0001)  # lexical only: minmax tops out at 1
    assert at(resp, "hits.hits.1._score") < 1.0

    resp = linear(engine, fields=["text_1", "text_2^3"], query="foo 1 z", normalizer="minmax")
    assert total(resp) == 2
    assert ids(resp) == ["3", "1"]
    assert_close_to(at(resp, "hits.hits.0._score"), 1.0, 0.0001)
    assert at(resp, "hits.hits.1._score") < 1.0


# YAML: "Semantic match per-field boosting using the simplified format"
def test_semantic_per_field_boosting(engine):
    query = "distributed, RESTful, search engine"
    resp = linear(engine, fields=["dense_inference", "sparse_inference"], query=query, normalizer="minmax")
    assert total(resp) == 3
    assert ids(resp) == ["2", "3", "1"]
    assert_close_to(at(resp, "hits.hits.0._score"), 1.0, 0.0001)  # semantic only: minmax tops out at 1
    assert at(resp, "hits.hits.1._score") < 1.0 and at(resp, "hits.hits.2._score") < 1.0

    resp = linear(engine, fields=["dense_inference^3", "sparse_inference"], query=query, normalizer="minmax")
    assert total(resp) == 3
    assert ids(resp) == ["3", "2", "1"]
    assert_close_to(at(resp, "hits.hits.0._score"), 1.0, 0.0001)
    assert at(resp, "hits.hits.1._score") < 1.0 and at(resp, "hits.hits.2._score") < 1.0


# YAML: "Can query keyword fields"
def test_can_query_keyword_fields(engine):
    resp = linear(engine, fields=["keyword"], query="keyword match 1", normalizer="minmax")
    assert total(resp) == 1
    assert ids(resp) == ["1"]
    assert_close_to(at(resp, "hits.hits.0._score"), 1.0, 0.0001)


# YAML: "Can query date fields"
def test_can_query_date_fields(engine):
    resp = linear(engine, fields=["timestamp"], query="2010-02-08", normalizer="minmax")
    assert total(resp) == 1
    assert ids(resp) == ["2"]
    assert_close_to(at(resp, "hits.hits.0._score"), 1.0, 0.0001)


# YAML: "Cannot query raw vector fields"
def test_cannot_query_raw_vector_fields(engine):
    err = linear_error(engine, fields=["vector"], query="foo", normalizer="minmax")
    assert "[linear] search failed - retrievers '[standard]' returned errors" in root_reason(err)
    shard_reason = at(err.body, "error.root_cause.0.suppressed.0.failed_shards.0.reason.reason")
    assert "Field [vector] of type [dense_vector] does not support match queries" in shard_reason


# YAML: "Filters are propagated"
def test_filters_are_propagated(engine):
    resp = linear(engine, query="match", normalizer="minmax", filter=[{"term": {"keyword": "keyword match 1"}}])
    assert total(resp) == 1
    assert ids(resp) == ["1"]
    assert_close_to(at(resp, "hits.hits.0._score"), 2.0, 0.0001)  # lexical 1 + semantic group 1


# YAML: "Wildcard index patterns that do not resolve to any index are handled gracefully"
def test_wildcard_index_pattern_without_index(engine):
    resp = linear(engine, index="wildcard-*", query="match", normalizer="minmax")
    assert total(resp) == 0
    assert ids(resp) == []


# YAML: "Multi-index searches are not allowed" — a 9.1 error ("[linear] does not support the simplified
# query format when querying multiple indices"). From 9.2 ``MultiFieldsInnerRetrieverUtils`` builds one child
# tree over all the target indices (lexical fields grouped per index, each semantic_text field filtered on
# the ``_index`` values that map it), so the search succeeds. Here test-index-2 has no fields: the lexical
# ``*`` child matches nothing there and the semantic children only run on test-index, so the answer is
# test-index's own, scores included (minmax over merged windows that only test-index fills).
def test_multi_index_searches_run_over_every_index(engine):
    engine.indices.create(index="test-index-2")
    try:
        single = linear(engine, query="match", normalizer="minmax")
        resp = linear(engine, index="test-index,test-index-2", query="match", normalizer="minmax")
    finally:
        engine.indices.delete(index="test-index-2")
    assert total(resp) == total(single) == 3
    assert [(h["_index"], h["_id"], h["_score"]) for h in resp["hits"]["hits"]] == [
        (h["_index"], h["_id"], h["_score"]) for h in single["hits"]["hits"]
    ]


# YAML: "Wildcard field patterns that do not resolve to any field are handled gracefully"
def test_wildcard_field_pattern_without_field(engine):
    resp = linear(engine, fields=["wildcard-*"], query="match", normalizer="minmax")
    assert total(resp) == 0
    assert ids(resp) == []


# YAML: "Cannot mix simplified query format with custom sub-retrievers"
def test_cannot_mix_query_and_retrievers(engine):
    child = {"retriever": {"standard": {"query": {"match": {"keyword": "bar"}}}}}
    err = linear_error(engine, query="foo", normalizer="minmax", retrievers=[child])
    assert "[linear] cannot combine [retrievers] and [query]" in root_reason(err)


# YAML: "Cannot set top-level normalizer when using custom sub-retrievers" — a 9.1 error. From 9.2 the
# top-level normalizer is the default of every entry without one of its own, so the request succeeds.
def test_top_level_normalizer_with_sub_retrievers_is_the_entries_default(engine):
    child = {"retriever": {"standard": {"query": {"match": {"keyword": "bar"}}}}}
    resp = linear(engine, normalizer="minmax", retrievers=[child])
    assert total(resp) == 0
    two = [
        {"retriever": {"standard": {"query": {"match": {"text_1": "foo"}}}}},
        {"retriever": {"standard": {"query": {"match": {"text_2": "z"}}}}},
    ]
    resp = linear(engine, normalizer="minmax", retrievers=two)
    # each child matches one document, which minmax maps to 1.0 (a one-document window)
    assert sorted(ids(resp)) == ["1", "3"]
    assert scores(resp) == [1.0, 1.0]


# YAML: "Missing required params"
def test_missing_required_params(engine):
    err = linear_error(engine, query="foo")
    assert "[linear] [normalizer] must be provided when [query] is specified" in root_reason(err)
    err = linear_error(engine, fields=["text_1", "text_2"])
    assert "[linear] [query] must be provided when [fields] is specified" in root_reason(err)
    err = linear_error(engine, fields=["text_1", "text_2"], query="")
    assert "[linear] [query] cannot be empty" in root_reason(err)
    err = linear_error(engine)
    assert "[linear] must provide [retrievers] or [query]" in root_reason(err)
    assert at(err.body, "error.type") == "action_request_validation_exception"
