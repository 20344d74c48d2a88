"""The ``sparse_vector`` query with ``query`` text expanded by a ``sparse_embedding`` inference endpoint
(Elasticsearch's ``test_service`` mock: a text's tokens ``feature_0`` .. ``feature_4`` weigh
``abs(hashCode) + 1 + j`` as floats), and the errors of that path.

Elasticsearch expands the text while rewriting the request (``SparseVectorQueryBuilder.doRewrite``), so an
endpoint problem fails the search whatever the field; the field is checked afterwards.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.errors import ApiError

F32 = np.float32
INDEX = "svi"


def hash_code(text: str) -> int:
    data = text.encode("utf-16-le")
    units = [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
    total = sum(u * 31 ** (len(units) - 1 - i) for i, u in enumerate(units)) % 2**32
    return total - 2**32 if total >= 2**31 else total


def mock_tokens(text: str) -> dict[str, float]:
    magnitude = abs(hash_code(text))
    return {f"feature_{j}": float(F32(magnitude + 1 + j)) for j in range(5)}


def stored(weight: float) -> F32:
    bits = struct.unpack(">I", struct.pack(">f", weight))[0]
    return F32(struct.unpack(">f", struct.pack(">I", (bits >> 15) << 15))[0])


@pytest.fixture(scope="module")
def es() -> Iterator[Engine]:
    engine = Engine()
    engine.inference.put(
        task_type="sparse_embedding",
        inference_id="sparse",
        body={"service": "test_service", "service_settings": {"model": "m", "api_key": "k"}},
    )
    engine.inference.put(
        task_type="text_embedding",
        inference_id="dense",
        body={
            "service": "text_embedding_test_service",
            "service_settings": {"model": "m", "dimensions": 4, "api_key": "k", "similarity": "cosine"},
        },
    )
    engine.indices.create(
        index=INDEX,
        mappings={"properties": {"tokens": {"type": "sparse_vector", "index_options": {"prune": False}}}},
    )
    engine.index(index=INDEX, id="small", document={"tokens": {"feature_0": 1.0, "feature_4": 0.5}})
    engine.index(index=INDEX, id="other", document={"tokens": {"unrelated": 1.0}}, refresh=True)
    yield engine


def query(**params: Any) -> dict[str, Any]:
    return {"sparse_vector": {"field": "tokens", **params}}


def test_text_is_expanded_by_the_endpoint(es: Engine) -> None:
    hits = es.search(index=INDEX, query=query(inference_id="sparse", query="hello"))["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["small"]
    tokens = mock_tokens("hello")
    expected = float(F32(F32(tokens["feature_0"]) * stored(1.0))) + float(F32(F32(tokens["feature_4"]) * stored(0.5)))
    assert F32(hits["hits"][0]["_score"]) == F32(expected)


def test_a_dense_endpoint_is_refused(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index=INDEX, query=query(inference_id="dense", query="hello"))
    assert info.value.status_code == 400
    assert info.value.body["error"]["reason"] == (
        "expected a result of type [text_expansion_result] received [text_embedding_result]. "
        "Is [dense] a compatible model?"
    )


def test_an_unknown_endpoint_is_not_found_even_for_an_unmapped_field(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index=INDEX, query={"sparse_vector": {"field": "nope", "inference_id": "missing", "query": "x"}})
    assert info.value.status_code == 404
    assert info.value.body["error"]["type"] == "resource_not_found_exception"


def test_unmapped_field_after_expansion_matches_nothing(es: Engine) -> None:
    resp = es.search(index=INDEX, query={"sparse_vector": {"field": "nope", "inference_id": "sparse", "query": "x"}})
    assert resp["hits"]["total"]["value"] == 0


def test_msearch_expands_text_too(es: Engine) -> None:
    single = es.search(index=INDEX, query=query(inference_id="sparse", query="hello"))["hits"]["hits"]
    resp = es.msearch(searches=[{"index": INDEX}, {"query": query(inference_id="sparse", query="hello")}])
    (item,) = resp["responses"]
    assert [(h["_id"], h["_score"]) for h in item["hits"]["hits"]] == [(h["_id"], h["_score"]) for h in single]


# ------------------------------------------------------------------- text_expansion (deprecated)


def expansion(**options: Any) -> dict[str, Any]:
    return {"text_expansion": {"tokens": {"model_id": "sparse", "model_text": "hello", **options}}}


def test_text_expansion_scores_like_sparse_vector(es: Engine) -> None:
    expected = es.search(index=INDEX, query=query(inference_id="sparse", query="hello", boost=2.0))["hits"]["hits"]
    for body in (expansion(boost=2.0), expansion(boost=2.0, pruning_config={"tokens_freq_ratio_threshold": 100})):
        hits = es.search(index=INDEX, query=body)["hits"]["hits"]
        assert [(h["_id"], h["_score"]) for h in hits] == [(h["_id"], h["_score"]) for h in expected]


def test_text_expansion_on_a_dense_endpoint_fails_the_search(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index=INDEX, query={"text_expansion": {"tokens": {"model_id": "dense", "model_text": "hello"}}})
    assert info.value.status_code == 500
    assert info.value.body["error"]["type"] == "illegal_state_exception"


@pytest.mark.parametrize(
    ("body", "error_type", "reason"),
    [
        ({"tokens": {"model_id": "sparse"}}, "parsing_exception", "No text specified for text query"),
        ({"tokens": {"model_text": "x"}}, "illegal_argument_exception", "[text_expansion] requires a model_id value"),
        (
            {"tokens": {"model_id": "sparse", "model_text": "x", "bogus": 1}},
            "parsing_exception",
            "[text_expansion] query does not support [bogus]",
        ),
        (
            {"tokens": {"model_id": "sparse", "model_text": "x", "other": {}}},
            "parsing_exception",
            "[text_expansion] unknown token [START_OBJECT] after [other]",
        ),
    ],
)
def test_text_expansion_parse_errors(es: Engine, body: dict[str, Any], error_type: str, reason: str) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index=INDEX, query={"text_expansion": body})
    assert info.value.status_code == 400
    assert (info.value.body["error"]["type"], info.value.body["error"]["reason"]) == (error_type, reason)
