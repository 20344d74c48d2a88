"""Port of Elasticsearch's multi-field ("simplified") ``rrf`` YAML REST tests (9.2+).

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/310_rrf_retriever_simplified.yml``
in ``elastic/elasticsearch``, read at commit ``069799853e52d482c61933c4c8104d1b8fde30f0`` (the 9.2 version:
per-field weights, ``[rrf] [fields] cannot be empty``, several indices). Spec:
/work/shared/spec/elasticsearch-retrievers.md §4.4.

The setup maps two ``semantic_text`` fields (a dense one over ``text_embedding_test_service`` with
``index_options``, a sparse one over ``test_service``) and a ``sparse_vector`` field.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import at, ids, total
from retrievo import Engine
from retrievo.errors import ApiError

INDEX = "test-index"
OTHER = "test-another-index"


def _endpoints(e: Engine) -> None:
    sparse = {"service": "test_service", "service_settings": {"model": "my_model", "api_key": "abc64"}}
    for inference_id in ("sparse-inference-id", "sparse-inference-another-id"):
        e.inference.put(task_type="sparse_embedding", inference_id=inference_id, body={**sparse, "task_settings": {}})
    for inference_id, key in (("dense-inference-id", "abc64"), ("dense-inference-another-id", "xyz")):
        settings = {"model": "my_model", "dimensions": 128, "similarity": "cosine", "api_key": key}
        body = {"service": "text_embedding_test_service", "service_settings": settings, "task_settings": {}}
        e.inference.put(task_type="text_embedding", inference_id=inference_id, body=body)


def _semantic(inference_id: str, dense: bool) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "semantic_text", "inference_id": inference_id}
    if dense:
        field["index_options"] = {"dense_vector": {"type": "int8_hnsw"}}
    return field


LEXICAL_PROPERTIES: dict[str, Any] = {
    "keyword": {"type": "keyword"},
    "text_1": {"type": "text"},
    "text_2": {"type": "text"},
    "timestamp": {"type": "date"},
    "dense_vector": {
        "type": "dense_vector",
        "dims": 1,
        "index": True,
        "similarity": "l2_norm",
        "index_options": {"type": "flat"},
    },
}
SEMANTIC_PROPERTIES: dict[str, Any] = {
    "dense_inference": _semantic("dense-inference-id", dense=True),
    "sparse_inference": _semantic("sparse-inference-id", dense=False),
    "sparse_vector": {"type": "sparse_vector"},
}
DOCS: list[dict[str, Any]] = [
    {
        "keyword": "keyword match 1",
        "dense_inference": "you know",
        "sparse_inference": "for testing",
        "text_1": "foo match 1",
        "text_2": "x match 2",
        "timestamp": "2000-03-30",
        "dense_vector": [1],
        "sparse_vector": {"foo": 1.0},
    },
    {
        "keyword": "keyword match 2",
        "dense_inference": "ElasticSearch is an open source",
        "sparse_inference": "distributed, RESTful, search engine",
        "text_1": "bar match 3",
        "text_2": "y match 4",
        "timestamp": "2010-02-08",
        "dense_vector": [2],
        "sparse_vector": {"bar": 1.0},
    },
    {
        "keyword": "keyword match 3",
        "dense_inference": "which is built on top of Lucene internally",
        "sparse_inference": "and enjoys all the features it provides",
        "text_1": "baz match 5",
        "text_2": "z match 6",
        "timestamp": "2024-08-08",
        "dense_vector": [3],
        "sparse_vector": {"baz": 1.0},
    },
]
OTHER_PROPERTIES: dict[str, Any] = {
    "keyword": {"type": "keyword"},
    "dense_inference": _semantic("dense-inference-id", dense=True),
    "sparse_inference": _semantic("sparse-inference-another-id", dense=False),
    "text_1": _semantic("dense-inference-another-id", dense=True),
    "text_2": {"type": "text"},
    "sparse_vector": {"type": "sparse_vector"},
}
OTHER_DOCS: list[dict[str, Any]] = [
    {
        "keyword": "keyword match 1",
        "dense_inference": "You know",
        "sparse_inference": "For Search",
        "text_1": "Be excellent to each other",
        "text_2": "xyz match match 2",
        "sparse_vector": {"foo": 1.0},
    },
    {
        "keyword": "keyword match 2",
        "dense_inference": "Elasticsearch is simply the best",
        "sparse_inference": "Better than all the rest",
        "text_1": "Better than another vector database",
        "text_2": "yy match match 4",
        "sparse_vector": {"bar": 1.0},
    },
    {
        "keyword": "keyword match 3",
        "dense_inference": "Elasticsearch is the best vector database",
        "sparse_inference": "Live long and prosper",
        "text_1": "Most excellent",
        "text_2": "z match match 6",
        "sparse_vector": {"baz": 1.0},
    },
]


def _bulk(e: Engine, index: str, docs: list[dict[str, Any]], first_id: int, keep: set[str]) -> None:
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        ops += [{"index": {"_id": str(first_id + i)}}, {k: v for k, v in doc.items() if k in keep}]
    resp = e.bulk(index=index, refresh=True, operations=ops)
    if resp["errors"]:
        raise RuntimeError(f"bulk failed: {resp}")


def build_engine(full: bool) -> Engine:
    """The YAML setup (``full``), or the same indices without the semantic_text and sparse_vector fields."""
    e = Engine()
    main = {**LEXICAL_PROPERTIES, **(SEMANTIC_PROPERTIES if full else {})}
    other = (
        OTHER_PROPERTIES if full else {k: v for k, v in OTHER_PROPERTIES.items() if v["type"] in ("keyword", "text")}
    )
    if full:
        _endpoints(e)
    e.indices.create(index=INDEX, mappings={"properties": main})
    _bulk(e, INDEX, DOCS, 1, set(main))
    e.indices.create(index=OTHER, mappings={"properties": other})
    _bulk(e, OTHER, OTHER_DOCS, 4, set(other))
    return e


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine(full=True)


def rrf(e: Engine, index: str = INDEX, **body: Any) -> dict[str, Any]:
    return e.search(index=index, body={"retriever": {"rrf": body}})


def rrf_error(e: Engine, **body: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        rrf(e, **body)
    assert info.value.status_code == 400
    return info.value


def root_reason(err: ApiError) -> str:
    return str(at(err.body, "error.root_cause.0.reason"))


# YAML: "Query all fields using the simplified format"
def test_query_all_fields(engine):
    resp = rrf(engine, query="match")
    assert total(resp) == 3
    assert sorted(ids(resp)) == ["1", "2", "3"]


# YAML: "Lexical match per-field boosting using the simplified format"
def test_lexical_per_field_boosting(engine):
    resp = rrf(engine, fields=["text_1", "text_2"], query="foo 1 z")
    assert total(resp) == 2
    assert ids(resp) == ["1", "3"]
    resp = rrf(engine, fields=["text_1", "text_2^3"], query="foo 1 z")
    assert total(resp) == 2
    assert ids(resp) == ["3", "1"]  # text_2^3: doc 3's "z" outweighs doc 1's "foo 1"


# YAML: "Semantic match per-field boosting using the simplified format"
def test_semantic_per_field_boosting(engine):
    resp = rrf(engine, fields=["dense_inference", "sparse_inference"], query="distributed, RESTful, search engine")
    assert total(resp) == 3
    assert ids(resp) == ["2", "3", "1"]
    resp = rrf(engine, fields=["dense_inference^3", "sparse_inference"], query="distributed, RESTful, search engine")
    assert total(resp) == 3
    assert ids(resp) == ["3", "2", "1"]


# YAML: "Negative weight validation"
def test_negative_weight_validation(engine):
    err = rrf_error(engine, fields=["text_1^-1"], query="foo")
    assert root_reason(err) == "[rrf] per-field weights must be non-negative"
    assert at(err.body, "error.type") == "illegal_argument_exception"


# YAML: "Can query text fields"
def test_can_query_text_fields(engine):
    resp = rrf(engine, fields=["text_1", "text_2"], query="foo z")
    assert total(resp) == 2
    assert ids(resp) == ["1", "3"]


# YAML: "Can query semantic text fields"
def test_can_query_semantic_text_fields(engine):
    resp = rrf(engine, fields=["sparse_inference", "dense_inference"], query="elasticsearch")
    assert total(resp) == 3
    assert sorted(ids(resp)) == ["1", "2", "3"]


# YAML: "Can query keyword fields"
def test_can_query_keyword_fields(engine):
    resp = rrf(engine, fields=["keyword"], query="keyword match 1")
    assert total(resp) == 1
    assert ids(resp) == ["1"]


# YAML: "Can query date fields"
def test_can_query_date_fields(engine):
    resp = rrf(engine, fields=["timestamp"], query="2010-02-08")
    assert total(resp) == 1
    assert ids(resp) == ["2"]


# YAML: "Can query sparse vector fields"
def test_can_query_sparse_vector_fields(engine):
    resp = rrf(engine, fields=["sparse_vector"], query="foo")
    assert total(resp) == 1
    assert ids(resp) == ["1"]


# YAML: "Cannot query dense vector fields"
def test_cannot_query_dense_vector_fields(engine):
    err = rrf_error(engine, fields=["dense_vector"], query="foo")
    assert "[rrf] search failed - retrievers '[standard]' returned errors" in root_reason(err)
    shard_reason = at(err.body, "error.root_cause.0.suppressed.0.failed_shards.0.reason.reason")
    assert "Field [dense_vector] of type [dense_vector] does not support match queries" in shard_reason


# YAML: "Filters are propagated"
def test_filters_are_propagated(engine):
    resp = rrf(engine, query="match", filter=[{"term": {"keyword": "keyword match 1"}}])
    assert total(resp) == 1
    assert ids(resp) == ["1"]


# YAML: "Wildcard index patterns that do not resolve to any index are handled gracefully"
def test_wildcard_index_pattern_without_index(engine):
    resp = rrf(engine, index="wildcard-*", query="match")
    assert total(resp) == 0
    assert ids(resp) == []


# YAML: "Wildcard field patterns that do not resolve to any field are handled gracefully"
def test_wildcard_field_pattern_without_field(engine):
    resp = rrf(engine, fields=["wildcard-*"], query="match")
    assert total(resp) == 0
    assert ids(resp) == []


# YAML: "Cannot mix simplified query format with custom sub-retrievers"
def test_cannot_mix_query_and_retrievers(engine):
    err = rrf_error(engine, query="foo", retrievers=[{"standard": {"query": {"match": {"keyword": "bar"}}}}])
    assert "[rrf] cannot combine [retrievers] and [query]" in root_reason(err)
    assert root_reason(err) == "Validation Failed: 1: [rrf] cannot combine [retrievers] and [query];"


# YAML: "Missing required params"
def test_missing_required_params(engine):
    err = rrf_error(engine, fields=["text_1", "text_2"])
    assert "[rrf] [query] must be provided when [fields] is specified" in root_reason(err)
    err = rrf_error(engine, fields=["text_1", "text_2"], query="")
    assert "[rrf] [query] cannot be empty" in root_reason(err)
    err = rrf_error(engine, fields=[], query="foo")
    assert "[rrf] [fields] cannot be empty" in root_reason(err)
    err = rrf_error(engine)
    assert "[rrf] must provide [retrievers] or [query]" in root_reason(err)
    assert at(err.body, "error.type") == "action_request_validation_exception"


# YAML: "Expansion to equivalent custom sub-retrievers returns the same results"
def test_expansion_equals_explicit_sub_retrievers(engine):
    simplified = rrf(engine, fields=["text_1", "text_2", "sparse_inference", "dense_inference"], query="match")
    assert total(simplified) == 3

    def semantic(field: str) -> dict[str, Any]:
        return {"standard": {"query": {"match": {field: {"query": "match"}}}}}

    lexical = {"multi_match": {"query": "match", "fields": ["text_1", "text_2"], "type": "most_fields"}}
    explicit = rrf(
        engine,
        retrievers=[
            {"standard": {"query": lexical}},
            {"rrf": {"retrievers": [semantic("dense_inference"), semantic("sparse_inference")]}},
        ],
    )
    assert total(explicit) == 3
    assert ids(explicit) == ids(simplified)


# YAML: "Queries multiple indices using default_field"
def test_multiple_indices_default_field(engine):
    resp = rrf(engine, index=f"{INDEX},{OTHER}", query="match")
    assert total(resp) == 6
    assert sorted(ids(resp)) == ["1", "2", "3", "4", "5", "6"]


# YAML: "Queries multiple indices with a list of fields"
def test_multiple_indices_list_of_fields(engine):
    resp = rrf(engine, index=f"{INDEX},{OTHER}", fields=["dense_inference", "text_1", "sparse_vector"], query="match")
    assert total(resp) == 6
    assert [h["_index"] for h in resp["hits"]["hits"]] == [INDEX] * 3 + [OTHER] * 3
    assert sorted(ids(resp)) == ["1", "2", "3", "4", "5", "6"]
