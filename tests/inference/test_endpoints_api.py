"""The ``_inference`` endpoint API: response shapes and Elasticsearch's errors. No model is loaded here."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceClient, InferenceRegistry

MINILM = {
    "service": "sentence_transformers",
    "service_settings": {"model_id": "sentence-transformers/all-MiniLM-L6-v2"},
}
ELAND = {
    "service": "elasticsearch",
    "service_settings": {"model_id": "sentence-transformers__all-minilm-l6-v2", "num_threads": 1, "num_allocations": 1},
}
DEFAULT_CHUNKING = {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1}


def api_error(call: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as e:
        call(**kwargs)
    return e.value


PRECONFIGURED_EMBEDDING = {
    "inference_id": ".all-minilm-l6-v2",
    "task_type": "text_embedding",
    "service": "sentence_transformers",
    "service_settings": {
        "model_id": "sentence-transformers/all-MiniLM-L6-v2",
        "device": "auto",
        "batch_size": 32,
        "dtype": "float32",
        "dimensions": 384,
        "similarity": "cosine",
    },
    "chunking_settings": DEFAULT_CHUNKING,
}
PRECONFIGURED_RERANK = [
    {
        "inference_id": ".all-minilm-l6-v2-rerank",
        "task_type": "rerank",
        "service": "bi_encoder",
        "service_settings": {"text_embedding_id": ".all-minilm-l6-v2"},
    },
    {
        "inference_id": ".rerank-v1-elasticsearch",
        "task_type": "rerank",
        "service": "elasticsearch",
        "service_settings": {
            "num_threads": 1,
            "model_id": "cross-encoder__ms-marco-minilm-l-6-v2",
            "adaptive_allocations": {"enabled": True, "min_number_of_allocations": 0, "max_number_of_allocations": 32},
        },
        "task_settings": {"return_documents": True},
    },
]


def test_preconfigured_endpoints_are_listed(client: InferenceClient) -> None:
    assert client.get() == {"endpoints": [PRECONFIGURED_EMBEDDING, *PRECONFIGURED_RERANK]}
    assert client.get(inference_id="_all") == client.get()
    assert client.get(task_type="text_embedding") == {"endpoints": [PRECONFIGURED_EMBEDDING]}
    assert client.get(task_type="rerank") == {"endpoints": PRECONFIGURED_RERANK}


def test_put_echoes_the_configuration(client: InferenceClient) -> None:
    config = {
        "service": "sentence_transformers",
        "service_settings": {
            "model_id": "sentence-transformers/all-MiniLM-L6-v2",
            "device": "cpu",
            "batch_size": 8,
            "dtype": "bfloat16",
            "normalize": True,
        },
        "chunking_settings": {"strategy": "word", "max_chunk_size": 100, "overlap": 10},
    }
    expected = {
        "inference_id": "my-minilm",
        "task_type": "text_embedding",
        "service": "sentence_transformers",
        "service_settings": {
            "model_id": "sentence-transformers/all-MiniLM-L6-v2",
            "device": "cpu",
            "batch_size": 8,
            "dtype": "bfloat16",
            "normalize": True,
        },
        "chunking_settings": {"strategy": "word", "max_chunk_size": 100, "overlap": 10},
    }
    assert client.put(inference_id="my-minilm", task_type="text_embedding", inference_config=config) == expected
    assert client.get(inference_id="my-minilm") == {"endpoints": [expected]}
    assert [e["inference_id"] for e in client.get(task_type="text_embedding")["endpoints"]] == [
        ".all-minilm-l6-v2",
        "my-minilm",
    ]


def test_put_task_type_from_body_or_url(client: InferenceClient) -> None:
    assert client.put(inference_id="a", body={**MINILM, "task_type": "text_embedding"})["task_type"] == "text_embedding"
    assert (
        error_reason(api_error(client.put, inference_id="b", body=MINILM))
        == "model is missing required setting [task_type]"
    )
    e = api_error(client.put, inference_id="c", task_type="text_embedding", body={**MINILM, "task_type": "rerank"})
    assert error_reason(e) == (
        "Cannot resolve conflicting task_type parameter in the request URL [text_embedding] "
        "and the request body [rerank]"
    )
    assert (
        error_reason(api_error(client.put, inference_id="d", task_type="magic", body=MINILM))
        == "Unknown task_type [magic]"
    )


def test_put_elasticsearch_service_echo(client: InferenceClient) -> None:
    response = client.put_elasticsearch(
        task_type="text_embedding",
        elasticsearch_inference_id="eland",
        service="elasticsearch",
        service_settings={
            "model_id": "sentence-transformers__all-minilm-l6-v2",
            "num_threads": 2,
            "adaptive_allocations": {"enabled": True, "min_number_of_allocations": 1, "max_number_of_allocations": 4},
        },
    )
    assert response == {
        "inference_id": "eland",
        "task_type": "text_embedding",
        "service": "elasticsearch",
        "service_settings": {
            "num_threads": 2,
            "model_id": "sentence-transformers__all-minilm-l6-v2",
            "adaptive_allocations": {"enabled": True, "min_number_of_allocations": 1, "max_number_of_allocations": 4},
            "similarity": "cosine",
            "element_type": "float",
        },
        "chunking_settings": DEFAULT_CHUNKING,
    }


def test_existing_and_reserved_ids(client: InferenceClient) -> None:
    client.put(inference_id="dup", task_type="text_embedding", inference_config=MINILM)
    e = api_error(client.put, inference_id="dup", task_type="text_embedding", inference_config=MINILM)
    assert (e.status_code, e.error, error_reason(e)) == (
        400,
        "resource_already_exists_exception",
        "Inference endpoint [dup] already exists",
    )
    e = api_error(client.put, inference_id=".all-minilm-l6-v2", task_type="text_embedding", inference_config=MINILM)
    assert (e.status_code, error_reason(e)) == (
        400,
        "[.all-minilm-l6-v2] is a reserved inference ID. Cannot create a new inference endpoint with a reserved ID.",
    )
    e = api_error(client.put, inference_id="Bad Id", task_type="text_embedding", inference_config=MINILM)
    assert e.error == "action_request_validation_exception"
    assert error_reason(e) == (
        "Validation Failed: 1: Invalid inference_id; 'Bad Id' can contain lowercase alphanumeric "
        "(a-z and 0-9), hyphens or underscores; must start and end with alphanumeric;"
    )


def test_unknown_and_missing_service(client: InferenceClient) -> None:
    e = api_error(
        client.put,
        inference_id="x",
        task_type="text_embedding",
        inference_config={"service": "openai", "service_settings": {}},
    )
    assert (e.status_code, e.error, error_reason(e)) == (400, "status_exception", "Unknown service [openai]")
    e = api_error(client.put, inference_id="x", task_type="text_embedding", inference_config={"service_settings": {}})
    assert error_reason(e) == "Inference endpoint configuration is missing the [service] setting"
    e = api_error(
        client.put, inference_id="x", task_type="text_embedding", inference_config={"service": "sentence_transformers"}
    )
    assert error_reason(e) == "Missing required field [service_settings]"


def test_service_settings_validation(client: InferenceClient) -> None:
    def put_error(settings: dict[str, Any], service: str = "sentence_transformers", **extra: Any) -> ApiError:
        return api_error(
            client.put,
            inference_id="x",
            task_type="text_embedding",
            inference_config={"service": service, "service_settings": settings, **extra},
        )

    e = put_error({})
    assert (e.error, error_reason(e)) == (
        "validation_exception",
        "Validation Failed: 1: [service_settings] does not contain the required setting [model_id];",
    )
    e = put_error({"model_id": "m", "batch_size": "32", "dtype": "float64", "device": "tpu"})
    assert error_reason(e) == (
        "Validation Failed: 1: [service_settings] Invalid value [tpu] received. [device] must be one of "
        "[auto, cpu, cuda, cuda:<n>, mps];2: field [batch_size] is not of the expected type. The value [32] "
        "cannot be converted to a [Integer];3: [service_settings] Invalid value [float64] received. [dtype] "
        "must be one of [bfloat16, float16, float32];"
    )
    e = put_error({"model_id": "m", "colour": "blue"})
    assert (
        error_reason(e)
        == "Configuration contains settings [{colour=blue}] unknown to the [sentence_transformers] service"
    )
    e = put_error({"model_id": "m"}, task_settings={"truncate": True})
    assert (
        error_reason(e)
        == "Configuration contains settings [{truncate=true}] unknown to the [sentence_transformers] service"
    )
    e = put_error({"model_id": "m"}, extra_field=1)
    assert (
        error_reason(e)
        == "Configuration contains settings [{extra_field=1}] unknown to the [sentence_transformers] service"
    )
    e = put_error({"model_id": "m"}, chunking_settings={"strategy": "sentence", "max_chunk_size": 5})
    assert (
        e.error == "validation_exception"
        and "[max_chunk_size] must be greater than or equal to [20.0]" in error_reason(e)
    )
    e = put_error({"model_id": "./no/such/dir"})
    assert "Could not load model [./no/such/dir]" in error_reason(e)


def test_elasticsearch_service_validation(client: InferenceClient) -> None:
    def put_error(settings: dict[str, Any]) -> ApiError:
        return api_error(
            client.put,
            inference_id="x",
            task_type="text_embedding",
            inference_config={"service": "elasticsearch", "service_settings": settings},
        )

    e = put_error({"model_id": "sentence-transformers__all-minilm-l6-v2"})
    assert error_reason(e) == (
        "Validation Failed: 1: [service_settings] does not contain the required setting "
        "[num_threads];2: [service_settings] does not contain one of the required settings "
        "[num_allocations, adaptive_allocations];"
    )
    e = put_error({"model_id": "m", "num_threads": 1, "num_allocations": 0})
    assert error_reason(e) == (
        "Validation Failed: 1: [service_settings] Invalid value [0]. [num_allocations] must be a "
        "positive integer;2: [service_settings] does not contain one of the required settings "
        "[num_allocations, adaptive_allocations];"
    )
    e = put_error({"model_id": "m", "num_threads": 1, "adaptive_allocations": {"enabled": True, "size": 3}})
    assert error_reason(e) == "Validation Failed: 1: [adaptive_allocations] does not allow the setting [size];"
    for builtin in (".multilingual-e5-small", ".elser_model_2"):
        e = put_error({"model_id": builtin, "num_threads": 1, "num_allocations": 1})
        assert (
            e.status_code == 400
            and "not supported in retrievo" in error_reason(e)
            and "[.all-minilm-l6-v2]" in error_reason(e)
        )
    e = put_error({"model_id": "m", "num_threads": 1, "num_allocations": 1, "element_type": "byte"})
    assert "not supported in retrievo" in error_reason(e)


def test_hugging_face_service_is_rejected_with_the_alternative(client: InferenceClient) -> None:
    e = api_error(
        client.put,
        inference_id="hf",
        task_type="text_embedding",
        inference_config={
            "service": "hugging_face",
            "service_settings": {"url": "https://x.endpoints.huggingface.cloud", "api_key": "k"},
        },
    )
    assert e.status_code == 400 and "[sentence_transformers]" in error_reason(e)


def test_task_types_a_service_does_not_support(client: InferenceClient) -> None:
    e = api_error(client.put, inference_id="x", task_type="sparse_embedding", inference_config=ELAND)
    assert e.status_code == 400 and "task_type [sparse_embedding] is not supported in retrievo" in error_reason(e)
    e = api_error(client.put, inference_id="x", task_type="completion", inference_config=MINILM)
    assert "task_type [completion] is not supported in retrievo" in error_reason(e)


def test_get_errors(client: InferenceClient) -> None:
    e = api_error(client.get, inference_id="nope")
    assert (e.status_code, e.error, error_reason(e)) == (
        404,
        "resource_not_found_exception",
        "Inference endpoint not found [nope]",
    )
    e = api_error(client.get, inference_id=".all-minilm-l6-v2", task_type="rerank")
    assert (e.status_code, error_reason(e)) == (
        400,
        "Requested task type [rerank] does not match the inference endpoint's task type [text_embedding]",
    )
    e = api_error(client.get, inference_id=".multilingual-e5-small-elasticsearch")
    assert e.status_code == 400 and "[.all-minilm-l6-v2]" in error_reason(e)


def test_delete(client: InferenceClient) -> None:
    client.put(inference_id="gone", task_type="text_embedding", inference_config=MINILM)
    assert client.delete(inference_id="gone", task_type="text_embedding") == {
        "acknowledged": True,
        "pipelines": [],
        "indexes": [],
    }
    assert api_error(client.get, inference_id="gone").status_code == 404
    assert error_reason(api_error(client.delete, inference_id="gone")) == "Inference endpoint not found [gone]"
    client.put(inference_id="typed", task_type="text_embedding", inference_config=MINILM)
    assert error_reason(api_error(client.delete, inference_id="typed", task_type="rerank")) == (
        "Requested task type [rerank] does not match the inference endpoint's task type [text_embedding]"
    )


def test_preconfigured_endpoint_cannot_be_deleted(client: InferenceClient) -> None:
    e = api_error(client.delete, inference_id=".all-minilm-l6-v2")
    assert (e.status_code, error_reason(e)) == (
        400,
        "[.all-minilm-l6-v2] is a reserved inference endpoint. Use the "
        "force=true query parameter to delete the inference endpoint.",
    )
    # force resets it (as in Elasticsearch, the default endpoint comes back): it is still there.
    assert client.delete(inference_id=".all-minilm-l6-v2", force=True)["acknowledged"] is True
    assert client.get(inference_id=".all-minilm-l6-v2")["endpoints"][0]["inference_id"] == ".all-minilm-l6-v2"


def test_delete_refuses_endpoints_used_by_index_mappings() -> None:
    registry = InferenceRegistry(index_references=lambda inference_id: ["books"] if inference_id == "used" else [])
    client = InferenceClient(registry)
    client.put(inference_id="used", task_type="text_embedding", inference_config=MINILM)
    dry = client.delete(inference_id="used", dry_run=True)
    assert dry["acknowledged"] is False and dry["indexes"] == ["books"]
    e = api_error(client.delete, inference_id="used")
    assert e.status_code == 409
    assert error_reason(e) == (
        " Inference endpoint used is being used in the mapping for indexes: [books]. Ensure that no "
        "index mappings are using this inference endpoint, or use force to ignore this warning and "
        "delete the inference endpoint."
    )
    assert client.delete(inference_id="used", force=True)["acknowledged"] is True


def test_inference_request_validation(client: InferenceClient) -> None:
    e = api_error(client.text_embedding, inference_id=".all-minilm-l6-v2", input=[])
    assert (e.error, error_reason(e)) == (
        "action_request_validation_exception",
        "Validation Failed: 1: Field [input] cannot be an empty array;",
    )
    e = api_error(client.inference, inference_id=".all-minilm-l6-v2", input="x", query="q")
    assert error_reason(e) == "Validation Failed: 1: Field [query] cannot be specified for task type [text_embedding];"
    e = api_error(client.inference, inference_id=".all-minilm-l6-v2", task_type="rerank", input="x")
    assert (e.status_code, error_reason(e)) == (
        400,
        "Incompatible task_type, the requested type [rerank] does not match the model type [text_embedding]",
    )
    e = api_error(client.text_embedding, inference_id=".all-minilm-l6-v2", input="x", input_type="internal_search")
    assert error_reason(e) == "Unrecognized input_type [internal_search]"
    e = api_error(client.text_embedding, inference_id="missing", input="x")
    assert e.status_code == 404 and error_reason(e) == "Inference endpoint not found [missing]"
    e = api_error(client.text_embedding, inference_id=".all-minilm-l6-v2", body={"input": "x", "inputs": "y"})
    assert e.error == "x_content_parse_exception" and "unknown field [inputs]" in error_reason(e)


def test_client_side_argument_errors_match_the_official_client(client: InferenceClient) -> None:
    with pytest.raises(ValueError, match="Empty value passed for parameter 'inference_id'"):
        client.put(inference_id="", inference_config=MINILM)
    with pytest.raises(ValueError, match="Cannot set both 'inference_config' and 'body'"):
        client.put(inference_id="x", inference_config=MINILM, body=MINILM)
    with pytest.raises(ValueError, match="Empty value passed for parameter 'input'"):
        client.text_embedding(inference_id=".all-minilm-l6-v2")
