"""``semantic_text`` on a ``sparse_embedding`` endpoint (Elasticsearch's ``test_service`` mock): ingest into
sparse chunks, the ``semantic``, ``match`` and ``sparse_vector`` queries over them (a nested query whose
document score is its best chunk's), persistence, and the sparse cases of the inference plugin's YAML tests.

Sources in ``elastic/elasticsearch``, ``x-pack/plugin/inference/src/yamlRestTest/resources/rest-api-spec/test/
inference/``: ``46_semantic_text_sparse_vector.yml`` (commit ``69716ade1a797cd20c3835bc00740ea467858b38``),
``40_semantic_text_query.yml`` (commit ``a19fd6e6b2e712524d133f32bab51287dab35b3c``) and
``45_semantic_text_match.yml`` (commit ``945fc8e83c4fd3df6f1c12e468ae0a4db92cb710``). As in the dense port
(``tests/inference/test_es_test_services_semantic.py``), the YAML's ``length: {..._source.inference_field.
inference.chunks: N}`` checks read the legacy ``_source`` format, which retrievo does not write; they are left
out. Cases needing the ``nested`` query or ``inner_hits`` are skipped by name.

The mock gives a text the tokens ``feature_0`` .. ``feature_4`` weighing ``abs(hashCode) + 1 + j`` as a float;
each value of the field is one chunk carrying its own text's tokens. A chunk scores
Σ float32(query weight × stored weight) (summed in double, rounded once), where a stored weight keeps only
its top 17 bits (``FeatureField``); a document scores its best chunk. All recomputed here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.errors import ApiError

F32 = np.float32
NESTED_SKIP = "needs the [nested] query (issue 16)"
INNER_HITS_SKIP = (
    "[inner_hits] on the [semantic] query: this YAML case is from 8.x development; Elasticsearch rolled the "
    "parameter back before release (elastic/elasticsearch#113986), so 9.x (and retrievo) answer it as an unknown field"
)
SPARSE_ENDPOINT = {"service": "test_service", "service_settings": {"model": "my_model", "api_key": "abc64"}}
TWO_CHUNKS = ["inference test", "another inference test"]
QUERY_VECTOR = {"feature_0": 1, "feature_1": 2, "feature_2": 3, "feature_3": 4, "feature_4": 5}


def hash_code(text: str) -> int:
    """``String.hashCode`` over UTF-16 code units, as a signed 32-bit int."""
    data = text.encode("utf-16-le")
    units = [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
    total = sum(u * 31 ** (len(units) - 1 - i) for i, u in enumerate(units)) % 2**32
    return total - 2**32 if total >= 2**31 else total


def int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def mock_tokens(text: str) -> dict[str, float]:
    magnitude = int32(abs(hash_code(text)))
    return {f"feature_{j}": float(F32(int32(magnitude + 1 + j))) for j in range(5)}


def stored(weight: float) -> F32:
    bits = struct.unpack(">I", struct.pack(">f", weight))[0]
    return F32(struct.unpack(">f", struct.pack(">I", (bits >> 15) << 15))[0])


def chunk_score(query: dict[str, float], chunk: dict[str, float], boost: float = 1.0) -> F32:
    total = 0.0
    for token, weight in query.items():
        if token in chunk:
            total += float(F32(F32(F32(boost) * F32(weight)) * stored(chunk[token])))
    return F32(total)


def best_score(query: dict[str, float], chunks: list[str], boost: float = 1.0) -> F32:
    """The float32 score; responses print it as its shortest decimal, which reads back to the same float32."""
    return max(chunk_score(query, mock_tokens(c), boost) for c in chunks)


def f32(score: Any) -> F32:
    return F32(score)


def put_sparse(es: Engine, inference_id: str) -> None:
    es.inference.put(
        task_type="sparse_embedding", inference_id=inference_id, body={**SPARSE_ENDPOINT, "task_settings": {}}
    )


def semantic_index(es: Engine, index: str, inference_id: str, **field: Any) -> None:
    es.indices.create(
        index=index,
        mappings={
            "properties": {
                "inference_field": {"type": "semantic_text", "inference_id": inference_id, **field},
                "non_inference_field": {"type": "text"},
            }
        },
    )


@pytest.fixture
def es() -> Iterator[Engine]:
    """The sparse parts of the YAML setups."""
    engine = Engine()
    put_sparse(engine, "sparse-inference-id")
    put_sparse(engine, "sparse-inference-id-2")
    semantic_index(engine, "test-sparse-index", "sparse-inference-id")
    yield engine


def index_doc(es: Engine, index: str, doc_id: str, **source: Any) -> None:
    es.index(index=index, id=doc_id, document=source, refresh=True)


def search(es: Engine, index: str | list[str], query: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return es.search(index=index, query=query, **extra).body


def semantic(query: str, **extra: Any) -> dict[str, Any]:
    return {"semantic": {"field": "inference_field", "query": query, **extra}}


def sparse_vector(**params: Any) -> dict[str, Any]:
    return {"sparse_vector": {"field": "inference_field", **params}}


# ------------------------------------------------------------------------- 40_semantic_text_query.yml


def test_query_using_a_sparse_embedding_model(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS, non_inference_field="non inference test")
    hits = search(es, "test-sparse-index", semantic("inference test"))["hits"]
    assert hits["total"]["value"] == 1
    assert hits["hits"][0]["_id"] == "doc_1"
    assert hits["hits"][0]["_score"] == pytest.approx(3.7837332e17, abs=1e10)
    assert f32(hits["hits"][0]["_score"]) == best_score(mock_tokens("inference test"), TWO_CHUNKS)


@pytest.mark.skip(reason=INNER_HITS_SKIP)
def test_query_using_a_sparse_embedding_model_and_inner_hits() -> None: ...


def test_numeric_query_using_a_sparse_embedding_model(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=[40, 49.678])
    hits = search(es, "test-sparse-index", semantic("40"))["hits"]
    assert hits["total"]["value"] == 1
    assert hits["hits"][0]["_id"] == "doc_1"


def test_boolean_query_using_a_sparse_embedding_model(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=True)
    hits = search(es, "test-sparse-index", semantic("true"))["hits"]
    assert hits["total"]["value"] == 1
    assert f32(hits["hits"][0]["_score"]) == best_score(mock_tokens("true"), ["true"])


def test_query_using_a_sparse_embedding_model_via_a_search_inference_id(es: Engine) -> None:
    field = {
        "type": "semantic_text",
        "inference_id": "sparse-inference-id",
        "search_inference_id": "sparse-inference-id-2",
    }
    es.indices.put_mapping(index="test-sparse-index", properties={"inference_field": field})
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS, non_inference_field="non inference test")
    hits = search(es, "test-sparse-index", semantic("inference test"))["hits"]
    assert hits["total"]["value"] == 1
    assert hits["hits"][0]["_score"] == pytest.approx(3.7837332e17, abs=1e10)


def test_query_a_field_that_has_no_indexed_inference_results(es: Engine) -> None:
    assert search(es, "test-sparse-index", semantic("inference test"))["hits"]["total"]["value"] == 0


# ------------------------------------------------------------------------- 45_semantic_text_match.yml


def test_match_using_a_sparse_embedding_model(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS, non_inference_field="non inference test")
    hits = search(es, "test-sparse-index", {"match": {"inference_field": {"query": "inference test"}}})["hits"]
    assert hits["total"]["value"] == 1
    assert hits["hits"][0]["_id"] == "doc_1"
    assert f32(hits["hits"][0]["_score"]) == best_score(mock_tokens("inference test"), TWO_CHUNKS)


def test_match_through_an_index_alias(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS, non_inference_field="non inference test")
    es.indices.put_alias(index="test-sparse-index", name="my-alias")
    hits = search(es, "my-alias", {"match": {"inference_field": {"query": "inference test"}}})["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["doc_1"]


def test_match_over_semantic_text_and_regular_text(es: Engine) -> None:
    es.indices.create(
        index="test-text-only-index",
        mappings={"properties": {"inference_field": {"type": "text"}, "non_inference_field": {"type": "text"}}},
    )
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS, non_inference_field="non inference test")
    index_doc(
        es,
        "test-text-only-index",
        "doc_2",
        inference_field=["inference test", "not an inference field"],
        non_inference_field="non inference test",
    )
    query = {"match": {"inference_field": {"query": "inference test"}}}
    assert search(es, ["test-sparse-index", "test-text-only-index"], query)["hits"]["total"]["value"] == 2
    semantic_index(es, "test-sparse-index-2", "sparse-inference-id")
    index_doc(es, "test-sparse-index-2", "doc_3", inference_field="another inference test")
    assert search(es, ["test-sparse-index*", "test-text-only-index"], query)["hits"]["total"]["value"] == 3


def test_match_on_a_field_that_has_no_indexed_inference_results(es: Engine) -> None:
    query = {"match": {"inference_field": {"query": "inference test"}}}
    assert search(es, "test-sparse-index", query)["hits"]["total"]["value"] == 0


# ------------------------------------------------------------------ 46_semantic_text_sparse_vector.yml


@pytest.fixture
def yaml46() -> Iterator[Engine]:
    engine = Engine()
    put_sparse(engine, "sparse-inference-id")
    put_sparse(engine, "sparse-inference-id-2")
    semantic_index(engine, "test-semantic-text-index", "sparse-inference-id")
    semantic_index(engine, "test-semantic-text-index-2", "sparse-inference-id-2")
    engine.indices.create(
        index="test-sparse-vector-index", mappings={"properties": {"inference_field": {"type": "sparse_vector"}}}
    )
    index_doc(engine, "test-semantic-text-index", "doc_1", inference_field=TWO_CHUNKS)
    index_doc(engine, "test-semantic-text-index-2", "doc_3", inference_field=TWO_CHUNKS)
    index_doc(engine, "test-sparse-vector-index", "doc_2", inference_field=QUERY_VECTOR)
    yield engine


@pytest.mark.skip(reason=NESTED_SKIP)
def test_nested_sparse_vector_old_format_with_inference() -> None: ...


@pytest.mark.skip(reason=NESTED_SKIP)
def test_nested_sparse_vector_old_format_with_query_vectors() -> None: ...


def test_sparse_vector_on_semantic_text_with_a_specified_inference_id(yaml46: Engine) -> None:
    query = sparse_vector(inference_id="sparse-inference-id", query="inference test")
    hits = search(yaml46, "test-semantic-text-index", query)["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["doc_1"]
    assert f32(hits["hits"][0]["_score"]) == best_score(mock_tokens("inference test"), TWO_CHUNKS)


def test_sparse_vector_on_semantic_text_with_the_fields_inference_id(yaml46: Engine) -> None:
    hits = search(yaml46, "test-semantic-text-index", sparse_vector(query="inference test"))["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["doc_1"]


def test_sparse_vector_on_semantic_text_with_query_vectors(yaml46: Engine) -> None:
    hits = search(yaml46, "test-semantic-text-index", sparse_vector(query_vector=QUERY_VECTOR))["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["doc_1"]
    assert f32(hits["hits"][0]["_score"]) == best_score(QUERY_VECTOR, TWO_CHUNKS)


def test_sparse_vector_on_combined_fields_with_inference(yaml46: Engine) -> None:
    indices = ["test-semantic-text-index", "test-sparse-vector-index"]
    query = sparse_vector(inference_id="sparse-inference-id", query="inference test")
    assert search(yaml46, indices, query)["hits"]["total"]["value"] == 2


def test_sparse_vector_on_combined_fields_still_requires_an_inference_id(yaml46: Engine) -> None:
    with pytest.raises(ApiError) as info:
        search(yaml46, ["test-semantic-text-index", "test-sparse-vector-index"], sparse_vector(query="inference test"))
    assert info.value.status_code == 400
    error = info.value.body["error"]
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"] == "inference_id required to perform vector search on query string"


def test_sparse_vector_on_combined_fields_with_query_vectors(yaml46: Engine) -> None:
    indices = ["test-semantic-text-index", "test-sparse-vector-index"]
    hits = search(yaml46, indices, sparse_vector(query_vector=QUERY_VECTOR))["hits"]
    assert hits["total"]["value"] == 2
    scores = {h["_id"]: h["_score"] for h in hits["hits"]}
    assert scores["doc_2"] == 1 * 1 + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 5


def test_sparse_vector_on_semantic_text_fields_with_different_inference_ids(yaml46: Engine) -> None:
    indices = ["test-semantic-text-index", "test-semantic-text-index-2"]
    assert search(yaml46, indices, sparse_vector(query="inference test"))["hits"]["total"]["value"] == 2


# ------------------------------------------------------------------------------------- by hand


def test_documents_rank_by_their_best_chunk(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "a", inference_field=["soccer", "inference test"])
    index_doc(es, "test-sparse-index", "b", inference_field="another inference test")
    query = mock_tokens("inference test")
    hits = search(es, "test-sparse-index", semantic("inference test"))["hits"]["hits"]
    expected = {
        "a": best_score(query, ["soccer", "inference test"]),
        "b": best_score(query, ["another inference test"]),
    }
    assert {h["_id"]: f32(h["_score"]) for h in hits} == expected
    assert [h["_id"] for h in hits] == sorted(expected, key=lambda d: -expected[d])


def test_boost_reaches_the_token_weights(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS)
    hits = search(es, "test-sparse-index", semantic("inference test", boost=0.5, _name="s"))["hits"]["hits"]
    assert f32(hits[0]["_score"]) == best_score(mock_tokens("inference test"), TWO_CHUNKS, boost=0.5)
    assert hits[0]["matched_queries"] == ["s"]


def test_deleted_documents_no_longer_match(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS)
    index_doc(es, "test-sparse-index", "doc_2", inference_field="inference test")
    es.delete(index="test-sparse-index", id="doc_1", refresh=True)
    hits = search(es, "test-sparse-index", semantic("inference test"))["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["doc_2"]


def test_sparse_vector_on_a_dense_semantic_text_field_is_refused() -> None:
    es = Engine()
    es.inference.put(
        task_type="text_embedding",
        inference_id="dense",
        body={
            "service": "text_embedding_test_service",
            "service_settings": {"model": "m", "dimensions": 4, "api_key": "k", "similarity": "cosine"},
        },
    )
    semantic_index(es, "dense-index", "dense")
    index_doc(es, "dense-index", "doc_1", inference_field="inference test")
    with pytest.raises(ApiError) as info:
        search(es, "dense-index", sparse_vector(query_vector={"feature_0": 1.0}))
    assert info.value.status_code == 400
    reason = (
        "field [inference_field.inference.chunks.embeddings] must be type [sparse_vector] but is type [dense_vector]"
    )
    assert info.value.body["error"]["caused_by"]["caused_by"]["reason"] == reason


def test_sparse_chunks_survive_a_restart(tmp_path: Path) -> None:
    first = Engine(path=tmp_path / "data")
    put_sparse(first, "sparse-inference-id")
    semantic_index(first, "test-sparse-index", "sparse-inference-id")
    index_doc(first, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS)  # committed by the refresh
    first.index(index="test-sparse-index", id="doc_2", document={"inference_field": "inference test"})  # translog
    again = Engine(path=tmp_path / "data")
    again.indices.refresh(index="test-sparse-index")
    hits = search(again, "test-sparse-index", semantic("inference test"))["hits"]["hits"]
    query = mock_tokens("inference test")
    assert {h["_id"]: f32(h["_score"]) for h in hits} == {
        "doc_1": best_score(query, TWO_CHUNKS),
        "doc_2": best_score(query, ["inference test"]),
    }


def test_knn_on_a_sparse_semantic_text_field_is_refused(es: Engine) -> None:
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS)
    knn = {"field": "inference_field", "query_vector": [1.0, 2.0], "k": 1, "num_candidates": 5}
    for body in ({"knn": knn}, {"retriever": {"knn": knn}}):
        with pytest.raises(ApiError) as info:
            es.search(index="test-sparse-index", body=body)
        assert info.value.status_code == 400
        assert info.value.body["error"]["reason"] == "[knn] queries are only supported on [dense_vector] fields"


def test_knn_query_on_a_sparse_semantic_text_field_fails_the_shard(es: Engine) -> None:
    # the knn query's nested kNN search lands on the chunks' sparse_vector embeddings: toQuery fails
    index_doc(es, "test-sparse-index", "doc_1", inference_field=TWO_CHUNKS)
    knn = {"field": "inference_field", "query_vector": [1.0, 2.0], "k": 1}
    with pytest.raises(ApiError) as info:
        es.search(index="test-sparse-index", query={"knn": knn})
    assert info.value.status_code == 400
    cause = info.value.body["error"]["caused_by"]
    assert cause["type"] == "query_shard_exception"
    assert cause["reason"] == "failed to create query: [knn] queries are only supported on [dense_vector] fields"
