"""Port of Elasticsearch's ``diversify`` retriever YAML REST tests over semantic_text and inference.

Source: ``x-pack/plugin/inference/src/yamlRestTest/resources/rest-api-spec/test/inference/70_semantic_text_diversify_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``040f1ddb7a524e93a3ea26c8dc875aa851128bea``. Spec:
/work/shared/spec/elasticsearch-retrievers.md §7.

The YAML's setup creates a dense ``text_embedding_test_service`` endpoint (``dense-inference-id``), a
sparse ``test_service`` endpoint and three indices (both are Elasticsearch's deterministic test mocks); the
validation cases need only the dense-vector index: Elasticsearch rejects them before any embedding.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_catch_regex, at, total
from retrievo import Engine
from retrievo.errors import ApiError

DENSE_INDEX = "test-result-diversification-dense-vector-index"
SEMANTIC_INDEX = "test-result-diversification-semantic-text-index"
SPARSE_INDEX = "test-result-diversification-sparse-semantic-text-index"

#: (textbody, textvector, keywordfield) of the dense-vector index, in bulk order (auto ids).
DENSE_DOCS: list[tuple[str, list[float], str]] = [
    ("first text", [0.4, 0.2, 0.4, 0.4], "test1"),
    ("second text", [0.4, 0.2, 0.3, 0.3], "test2"),
    ("second text duplicate", [0.4, 0.2, 0.3, 0.3], "test2_dup"),
    ("third text", [0.4, 0.1, 0.3, 0.3], "test3"),
    ("third text duplicate", [0.4, 0.1, 0.3, 0.3], "test3_dup"),
    ("fourth text", [0.1, 0.9, 0.5, 0.9], "test4"),
    ("fifth text", [0.1, 0.9, 0.5, 0.9], "test5"),
    ("sixth text", [0.05, 0.05, 0.05, 0.05], "test6"),
    ("seventh text", [0.1, 0.9, 0.5, 0.9], "test7"),
    ("eighth text", [0.1, 0.9, 0.5, 0.9], "test8"),
    ("ninth text", [0.05, 0.05, 0.05, 0.05], "test9"),
]

#: (id, content) of the semantic_text indices, in bulk order (the sparse index takes the first four).
CONTENT_DOCS: list[tuple[int, str]] = [
    (
        7130104,
        "This is the definition of RNA along with examples of types of RNA molecules. This is the definition "
        "of RNA along with examples of types of RNA molecules. RNA Definition",
    ),
    (
        7130335,
        "Best Answer: The AR designation comes from the name of the company that produced the firearm - "
        "Armalite. It is a common misconception that it stands for assault rifle. From Wikipedia: The AR-15 "
        "is based on the 7.62mm AR-10, designed by Eugene Stoner of the Fairchild ArmaLite corporation.",
    ),
    (
        7130336,
        "What does AR really mean? Posted by Quality AR barrels | Jul 29, 2016 | AR Articles | Over the years "
        "the media has programmed the public into thinking that AR stands for Assault Rifle. This is not the "
        "case. To follow is a short history and overview of the ArmaLite rifle.",
    ),
    (
        7130348,
        "Oxycontin is generally prescribed without acetominophen while oxycodone is generally prescribed with. "
        "The will show the same on a drug panel. They last in your system for upto 5 days after your last "
        "dose depending on your frequency, strength and personal metabolism. Laurie.",
    ),
    (
        8001869,
        "STRATEGIC FEDERAL CREDIT UNION Routing number is printed on the lower left corner of the Check Book. "
        "At the bottom of the check, you will find 3 groups of numbers. The first group is Routing number, the "
        "second group is your bank account number and the final group is your check number.",
    ),
    (
        8001870,
        "Strategic federal credit union routing number List of Strategic federal credit union routing numbers "
        "with branch details. What is Strategic federal credit union routing number? Strategic federal credit "
        "union routing number is a nine digit number used to identify bank transfers. Routing numbers will be "
        "different based on the account branch. It is based on the bank account origin by state and region. "
        "The routing number on check is available for each branch in the table below. In order to find the "
        "check routing number of the branch you are looking for, click on the Details link next to the branch "
        "name.",
    ),
    (
        7130674,
        "Just reformat the cell manually by (in Excel 2003 and older) going to Format > Cells > General or (in "
        "Excel 2007 and later) choosing General from the dropdown in the Format section of the Home tab. We "
        "need to convert this number of days into a number of years.",
    ),
    (
        7130867,
        "Binary (or base-2) a numeric system that only uses two digits — 0 and 1. Computers operate in binary, "
        "meaning they store data and perform calculations using only zeros and ones.",
    ),
]

KNN: dict[str, Any] = {
    "knn": {"field": "textvector", "query_vector": [0.5, 0.2, 0.4, 0.4], "k": 10, "num_candidates": 10}
}
MUSCLE_SORENESS: dict[str, Any] = {
    "standard": {"query": {"match": {"content": {"query": "What causes muscle soreness after running?"}}}}
}


def build_dense_index(e: Engine) -> None:
    e.indices.create(
        index=DENSE_INDEX,
        settings={"number_of_shards": 1},
        mappings={
            "properties": {
                "textbody": {"type": "text"},
                "keywordfield": {"type": "keyword"},
                "textvector": {"type": "dense_vector", "dims": 4},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for text, vector, keyword in DENSE_DOCS:
        ops += [{"index": {}}, {"textbody": text, "textvector": vector, "keywordfield": keyword}]
    e.bulk(index=DENSE_INDEX, refresh=True, operations=ops)


def build_full_setup() -> Engine:
    """The YAML's whole setup: both endpoints, the dense-vector index and both semantic_text indices."""
    e = Engine()
    e.inference.put(
        task_type="text_embedding",
        inference_id="dense-inference-id",
        inference_config={
            "service": "text_embedding_test_service",
            "service_settings": {"model": "my_model", "dimensions": 4, "similarity": "cosine", "api_key": "abc64"},
            "task_settings": {},
        },
    )
    e.inference.put(
        task_type="sparse_embedding",
        inference_id="sparse-inference-id",
        inference_config={
            "service": "test_service",
            "service_settings": {"model": "my_model", "api_key": "abc64"},
            "task_settings": {},
        },
    )
    build_dense_index(e)
    for index, inference_id, docs in [
        (SEMANTIC_INDEX, "dense-inference-id", CONTENT_DOCS),
        (SPARSE_INDEX, "sparse-inference-id", CONTENT_DOCS[:4]),
    ]:
        e.indices.create(
            index=index,
            mappings={
                "properties": {
                    "id": {"type": "long"},
                    "content": {"type": "semantic_text", "inference_id": inference_id},
                }
            },
        )
        ops: list[dict[str, Any]] = []
        for doc_id, content in docs:
            ops += [{"index": {}}, {"id": doc_id, "content": content}]
        e.bulk(index=index, refresh=True, operations=ops)
    return e


@pytest.fixture(scope="module")
def dense_engine() -> Engine:
    """Only the dense-vector index: what the validation cases read."""
    e = Engine()
    build_dense_index(e)
    return e


def diversify(**params: Any) -> dict[str, Any]:
    return {"retriever": {"diversify": {"type": "mmr", **params}}}


# YAML: "MMR diversification using a query_vector_builder"
def test_mmr_with_query_vector_builder():
    e = build_full_setup()
    body = diversify(
        field="textvector",
        query_vector_builder={"text_embedding": {"model_id": "dense-inference-id", "model_text": "test"}},
        size=3,
        retriever=KNN,
        **{"lambda": 0.3},
    )
    resp = e.search(index=DENSE_INDEX, body=body)
    assert total(resp) == 10
    assert len(resp["hits"]["hits"]) == 3


# YAML: "MMR diversification using semantic_text field"
def test_mmr_on_semantic_text_field():
    e = build_full_setup()
    body = diversify(field="content", size=3, retriever=MUSCLE_SORENESS, **{"lambda": 0.9})
    resp = e.search(index=SEMANTIC_INDEX, body=body)
    assert total(resp) == 8
    assert len(resp["hits"]["hits"]) == 3
    assert at(resp, "hits.hits.0._source.id") == 8001870
    assert at(resp, "hits.hits.1._source.id") == 7130104
    assert at(resp, "hits.hits.2._source.id") == 7130867


# YAML: "Validate diversification does not work with sparse vector data"
def test_mmr_rejects_sparse_semantic_text():
    e = build_full_setup()
    body = diversify(field="content", size=3, retriever=MUSCLE_SORENESS, **{"lambda": 0.9})
    with pytest.raises(ApiError) as err:
        e.search(index=SPARSE_INDEX, body=body)
    assert_catch_regex(err.value, r"Is it a \[dense_vector\] or \[semantic_text\] field with dense vectors\?")
    assert err.value.body["status"] == 400
    assert at(err.value.body, "error.type") == "status_exception"


# YAML: "Validate query_vector or query_vector_builder but not both"
def test_query_vector_and_builder_together_are_rejected(dense_engine):
    body = diversify(
        field="textvector",
        query_vector=[0.4, 0.2, 0.3, 0.3],
        query_vector_builder={"text_embedding": {"model_id": "dense-inference-id", "model_text": "test"}},
        size=3,
        retriever=KNN,
        **{"lambda": 0.3},
    )
    with pytest.raises(ApiError) as err:
        dense_engine.search(index=DENSE_INDEX, body=body)
    assert_catch_regex(
        err.value,
        r"\[diversify\] MMR result diversification can have one of \[query_vector\] or \[query_vector_builder\], "
        r"but not both",
    )
    assert err.value.body["status"] == 400
    assert at(err.value.body, "error.type") == "action_request_validation_exception"


# YAML: "Validate query_vector_builder validation and proper syntax" (unknown model)
def test_query_vector_builder_with_unknown_model(dense_engine):
    body = diversify(
        field="textvector",
        query_vector_builder={"text_embedding": {"model_id": "unknown-model-id", "model_text": "test"}},
        size=3,
        retriever=KNN,
        **{"lambda": 0.3},
    )
    with pytest.raises(ApiError) as err:
        dense_engine.search(index=DENSE_INDEX, body=body)
    assert_catch_regex(err.value, r"\[unknown-model-id\] is not an inference service model or a deployed ml model")
    assert err.value.body["status"] == 404
    assert at(err.value.body, "error.type") == "status_exception"


# YAML: "Validate query_vector_builder validation and proper syntax" (missing model_text)
def test_query_vector_builder_without_model_text(dense_engine):
    body = diversify(
        field="textvector",
        query_vector_builder={"text_embedding": {"model_id": "dense-inference-id"}},
        size=3,
        retriever=KNN,
        **{"lambda": 0.3},
    )
    with pytest.raises(ApiError) as err:
        dense_engine.search(index=DENSE_INDEX, body=body)
    assert_catch_regex(err.value, r"Required \[model_text\]")
    assert err.value.body["status"] == 400
    assert at(err.value.body, "error.type") == "x_content_parse_exception"


# ------------------------------------------------------------------ regressions beyond the YAML
UNKNOWN_BUILDER: dict[str, Any] = {"text_embedding": {"model_id": "unknown-model-id", "model_text": "test"}}


def assert_unknown_model(err: ApiError) -> None:
    """ML's ``CoordinatedInferenceAction`` answer, unwrapped (the vector is built while rewriting)."""
    assert err.status_code == 404
    assert at(err.body, "error.type") == "status_exception"
    assert at(err.body, "error.reason") == "[unknown-model-id] is not an inference service model or a deployed ml model"
    assert at(err.body, "error.root_cause.0.type") == "status_exception"


def test_unknown_builder_model_fails_even_when_the_child_finds_nothing():
    e = Engine()
    e.indices.create(index="empty", mappings={"properties": {"textvector": {"type": "dense_vector", "dims": 4}}})
    body = diversify(field="textvector", query_vector_builder=UNKNOWN_BUILDER, size=3, retriever=KNN, **{"lambda": 0.3})
    with pytest.raises(ApiError) as err:
        e.search(index="empty", body=body)
    assert_unknown_model(err.value)


def test_knn_retriever_with_unknown_builder_model(dense_engine):
    body = {
        "retriever": {
            "knn": {"field": "textvector", "query_vector_builder": UNKNOWN_BUILDER, "k": 3, "num_candidates": 5}
        }
    }
    with pytest.raises(ApiError) as err:
        dense_engine.search(index=DENSE_INDEX, body=body)
    assert_unknown_model(err.value)
