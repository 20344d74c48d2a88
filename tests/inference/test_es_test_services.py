"""Elasticsearch's test inference mocks, ``text_embedding_test_service`` and ``test_service``, through the
official client: the vectors they answer, their settings validation and what ``GET _inference`` shows.

Expected values are derived here from the mocks' definitions (``TestDenseInferenceServiceExtension``,
``TestSparseInferenceServiceExtension`` in ``x-pack/plugin/inference/qa/test-service-plugin``), with an
independent ``String.hashCode`` (the polynomial over UTF-16 code units, taken mod 2^32 and read signed):

* dense: the ASCII codes of ``Integer.toString(hashCode)``, cycled to ``dimensions`` values
  (``dimensions / 8`` for ``element_type: bit``);
* sparse: ``feature_j`` = ``(float) (Math.abs(hashCode) + 1 + j)`` in 32-bit ``int`` arithmetic, j = 0..4,
  printed as Java prints a float (shortest round-trip digits), which is what the client reads back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

DENSE = "text_embedding_test_service"
SPARSE = "test_service"


def hash_code(text: str) -> int:
    """``String.hashCode``: sum of unit_i * 31^(n-1-i) over UTF-16 code units, as a signed 32-bit int."""
    data = text.encode("utf-16-le")
    units = [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
    total = sum(u * 31 ** (len(units) - 1 - i) for i, u in enumerate(units)) % 2**32
    return total - 2**32 if total >= 2**31 else total


def text_with_hash(target: int) -> str:
    """A string whose ``hashCode`` is ``target``: five code units, the first carrying the high part and
    the rest base-31 digits (``31*31*31*31*c0 + ... + c4 == target mod 2^32``)."""
    rest = target % 2**32
    digits = []
    for power in (31**4, 31**3, 31**2, 31, 1):
        digits.append(rest // power)
        rest %= power
    return "".join(chr(d) for d in digits)


@pytest.fixture
def es() -> Iterator[Engine]:
    yield Engine()


def put_dense(es: Engine, inference_id: str = "dense", **settings: Any) -> dict[str, Any]:
    service_settings = {"model": "my_model", "dimensions": 10, "api_key": "abc64", **settings}
    body = {"service": DENSE, "service_settings": service_settings, "task_settings": {}}
    return es.inference.put(task_type="text_embedding", inference_id=inference_id, body=body).body


def put_sparse(es: Engine, inference_id: str = "sparse", **settings: Any) -> dict[str, Any]:
    body = {"service": SPARSE, "service_settings": {"model": "my_model", "api_key": "abc64", **settings}}
    return es.inference.put(task_type="sparse_embedding", inference_id=inference_id, body=body).body


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    body = caught.value.body
    assert isinstance(body, dict)
    return caught.value.meta.status, body["error"]


# ------------------------------------------------------------------------------------------ hashCode


def test_hash_code_reference_values() -> None:
    # Java: "hello".hashCode() == 99162322, "".hashCode() == 0, "a".hashCode() == 97
    assert hash_code("hello") == 99162322
    assert hash_code("") == 0
    assert hash_code("a") == 97
    assert hash_code("inference test") == -48762823
    assert hash_code(text_with_hash(2**31 - 1)) == 2**31 - 1
    assert hash_code(text_with_hash(-(2**31))) == -(2**31)


# ------------------------------------------------------------------------------------------ dense


def test_dense_vectors_are_the_hash_digits_cycled(es: Engine) -> None:
    put_dense(es, dimensions=12)
    body = es.inference.inference(inference_id="dense", input=["hello", "inference test"]).body
    # "99162322" -> 9,9,1,6,2,3,2,2 -> ASCII 57,57,49,54,50,51,50,50 then again from the start
    hello = [57.0, 57.0, 49.0, 54.0, 50.0, 51.0, 50.0, 50.0, 57.0, 57.0, 49.0, 54.0]
    # "-48762823" -> '-' is 45; nine characters, then '-', '4', '8'
    inference_test = [45.0, 52.0, 56.0, 55.0, 54.0, 50.0, 56.0, 50.0, 51.0, 45.0, 52.0, 56.0]
    assert body == {"text_embedding": [{"embedding": hello}, {"embedding": inference_test}]}
    for text, row in zip(["hello", "inference test"], body["text_embedding"]):
        digits = str(hash_code(text))
        assert row["embedding"] == [float(ord(digits[i % len(digits)])) for i in range(12)]


def test_dense_vectors_shorter_than_the_digits(es: Engine) -> None:
    put_dense(es, dimensions=3)
    assert es.inference.text_embedding(inference_id="dense", input="hello").body == {
        "text_embedding": [{"embedding": [57.0, 57.0, 49.0]}]
    }


@pytest.mark.parametrize("element_type", ["float", "byte", "bfloat16", "FLOAT", " Byte "])
def test_dense_element_types_share_the_values(es: Engine, element_type: str) -> None:
    put_dense(es, dimensions=5, element_type=element_type)
    body = es.inference.inference(inference_id="dense", input=["hello"]).body
    assert body == {"text_embedding": [{"embedding": [57.0, 57.0, 49.0, 54.0, 50.0]}]}


def test_dense_bit_vectors_hold_eight_dimensions_per_value(es: Engine) -> None:
    put_dense(es, dimensions=24, element_type="bit")
    body = es.inference.inference(inference_id="dense", input=["hello"]).body
    assert body == {"text_embedding": [{"embedding": [57.0, 57.0, 49.0]}]}


def test_dense_get_shows_the_settings_as_given(es: Engine) -> None:
    created = put_dense(es, similarity="COSINE", element_type="byte", ignored_key=1)
    expected = {
        "inference_id": "dense",
        "task_type": "text_embedding",
        "service": DENSE,
        "service_settings": {"model": "my_model", "dimensions": 10, "similarity": "cosine", "element_type": "byte"},
    }
    assert created == expected
    assert es.inference.get(inference_id="dense").body == {"endpoints": [expected]}
    put_dense(es, "plain")
    assert es.inference.get(inference_id="plain").body["endpoints"][0]["service_settings"] == {
        "model": "my_model",
        "dimensions": 10,
    }


def test_dense_task_settings_temperature(es: Engine) -> None:
    body = {"service": DENSE, "service_settings": {"model": "m", "dimensions": 2, "api_key": "k"}}
    body["task_settings"] = {"temperature": 3, "other": "ignored"}
    created = es.inference.put(task_type="text_embedding", inference_id="warm", body=body).body
    assert created["task_settings"] == {"temperature": 3}
    # the mock never reads a request's task settings, whatever they hold
    answer = es.inference.inference(inference_id="warm", input=["hello"], task_settings={"anything": True}).body
    assert answer == {"text_embedding": [{"embedding": [57.0, 57.0]}]}


# ------------------------------------------------------------------------------------------ sparse


def test_sparse_weights_are_the_hash_plus_position_as_floats(es: Engine) -> None:
    put_sparse(es)
    body = es.inference.inference(inference_id="sparse", input=["hello"]).body
    # |99162322| + 1 + j = 99162323 .. 99162327; floats near 1e8 are 8 apart, so they round to
    # 99162320, 99162320 (a tie, to even), 99162328, 99162328, 99162328; Java prints 9.916232E7 and
    # 9.916233E7, which the client reads as 99162320.0 and 99162330.0
    assert body == {
        "sparse_embedding": [
            {
                "is_truncated": False,
                "embedding": {
                    "feature_0": 99162320.0,
                    "feature_1": 99162320.0,
                    "feature_2": 99162330.0,
                    "feature_3": 99162330.0,
                    "feature_4": 99162330.0,
                },
            }
        ]
    }


def test_sparse_small_hashes_are_exact(es: Engine) -> None:
    put_sparse(es)
    body = es.inference.sparse_embedding(inference_id="sparse", input=["a", ""]).body
    # "a" -> 97: 98..102; "" -> 0: 1..5
    assert [row["embedding"] for row in body["sparse_embedding"]] == [
        {f"feature_{j}": float(98 + j) for j in range(5)},
        {f"feature_{j}": float(1 + j) for j in range(5)},
    ]


@pytest.mark.parametrize("target", [2**31 - 1, -(2**31)])
def test_sparse_weights_wrap_like_java_ints(es: Engine, target: int) -> None:
    put_sparse(es)
    text = text_with_hash(target)
    body = es.inference.inference(inference_id="sparse", input=[text]).body
    # Math.abs(MAX) + 1 overflows to MIN; Math.abs(MIN) is MIN, + 1 + j is MIN + 1 + j. Either way the
    # weights are -2^31 + small, which as floats (256 apart there) are all -2^31, printed -2.1474836E9
    assert body["sparse_embedding"][0]["embedding"] == {f"feature_{j}": -2147483600.0 for j in range(5)}


def test_sparse_get_shows_hidden_field_only_when_asked(es: Engine) -> None:
    assert put_sparse(es, "quiet", hidden_field="secret")["service_settings"] == {"model": "my_model"}
    loud = put_sparse(es, "loud", hidden_field="secret", should_return_hidden_field=True)
    assert loud == {
        "inference_id": "loud",
        "task_type": "sparse_embedding",
        "service": SPARSE,
        "service_settings": {"model": "my_model", "hidden_field": "secret"},
    }


def test_sparse_request_validation(es: Engine) -> None:
    put_sparse(es)
    status, error = error_of(es.inference.inference, inference_id="sparse", input=["x"], query="q")
    assert status == 400
    assert error["type"] == "action_request_validation_exception"
    assert (
        error["reason"] == "Validation Failed: 1: Field [query] cannot be specified for task type [sparse_embedding];"
    )
    status, error = error_of(es.inference.text_embedding, inference_id="sparse", input=["x"])
    assert (status, error["type"]) == (400, "status_exception")
    assert error["reason"] == (
        "Incompatible task_type, the requested type [text_embedding] does not match the model type [sparse_embedding]"
    )


# ------------------------------------------------------------------------------------------ validation


def put_raw(es: Engine, task_type: str, service: str, service_settings: dict[str, Any], **extra: Any) -> None:
    body = {"service": service, "service_settings": service_settings, **extra}
    es.inference.put(task_type=task_type, inference_id="bad", body=body)


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"api_key": "k"}, "Validation Failed: 1: missing model;2: missing dimensions;"),
        ({"model": "m", "api_key": "k"}, "Validation Failed: 1: missing dimensions;"),
        ({"model": "m", "dimensions": 3}, "Validation Failed: 1: missing api_key;"),
    ],
)
def test_dense_missing_settings(es: Engine, settings: dict[str, Any], reason: str) -> None:
    status, error = error_of(put_raw, es, "text_embedding", DENSE, settings)
    assert (status, error["type"], error["reason"]) == (400, "validation_exception", reason)
    assert es.inference.get(inference_id="_all").body["endpoints"][-1]["inference_id"] != "bad"


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("similarity", "cosin", "No enum constant org.elasticsearch.inference.SimilarityMeasure.COSIN"),
        (
            "element_type",
            "half",
            "No enum constant org.elasticsearch.index.mapper.vectors.DenseVectorFieldMapper.ElementType.HALF",
        ),
    ],
)
def test_dense_enum_settings(es: Engine, key: str, value: str, reason: str) -> None:
    settings = {"model": "m", "dimensions": 4, "api_key": "k", key: value}
    status, error = error_of(put_raw, es, "text_embedding", DENSE, settings)
    assert (status, error["type"], error["reason"]) == (400, "illegal_argument_exception", reason)


def test_dense_enum_error_comes_before_missing_settings(es: Engine) -> None:
    # the enum is parsed before the collected "missing ..." errors are thrown
    status, error = error_of(put_raw, es, "text_embedding", DENSE, {"similarity": "x"})
    assert (status, error["type"]) == (400, "illegal_argument_exception")


@pytest.mark.parametrize(
    ("settings", "source", "target"),
    [
        ({"model": "m", "dimensions": "10", "api_key": "k"}, "java.lang.String", "java.lang.Integer"),
        ({"model": "m", "dimensions": 1.5, "api_key": "k"}, "java.lang.Double", "java.lang.Integer"),
        ({"model": "m", "dimensions": 2**40, "api_key": "k"}, "java.lang.Long", "java.lang.Integer"),
        ({"model": 7, "dimensions": 10, "api_key": "k"}, "java.lang.Integer", "java.lang.String"),
        ({"model": "m", "dimensions": 10, "api_key": ["k"]}, "java.util.ArrayList", "java.lang.String"),
    ],
)
def test_wrong_json_types_fail_like_java_casts(es: Engine, settings: dict[str, Any], source: str, target: str) -> None:
    status, error = error_of(put_raw, es, "text_embedding", DENSE, settings)
    assert (status, error["type"]) == (500, "class_cast_exception")
    assert error["reason"] == (
        f"class {source} cannot be cast to class {target} ({source} and {target} are in module java.base of "
        "loader 'bootstrap')"
    )


def test_negative_dimensions_fail_the_validation_call(es: Engine) -> None:
    status, error = error_of(put_raw, es, "text_embedding", DENSE, {"model": "m", "dimensions": -16, "api_key": "k"})
    assert (status, error["type"]) == (400, "status_exception")
    assert error["reason"] == (
        "Could not complete inference endpoint creation as validation call to service threw an exception."
    )
    assert error["caused_by"] == {"type": "illegal_argument_exception", "reason": "Illegal Capacity: -16"}
    # bit: -16 / 8
    bit = {"model": "m", "dimensions": -16, "api_key": "k", "element_type": "bit"}
    _, error = error_of(put_raw, es, "text_embedding", DENSE, bit)
    assert error["caused_by"]["reason"] == "Illegal Capacity: -2"


def test_temperature_must_be_an_integer(es: Engine) -> None:
    settings = {"model": "m", "api_key": "k"}
    status, error = error_of(put_raw, es, "sparse_embedding", SPARSE, settings, task_settings={"temperature": "hot"})
    assert (status, error["type"]) == (500, "class_cast_exception")


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"api_key": "k"}, "Validation Failed: 1: missing model;"),
        ({}, "Validation Failed: 1: missing model;"),  # thrown before the api_key is read
        ({"model": "m"}, "Validation Failed: 1: missing api_key;"),
    ],
)
def test_sparse_missing_settings(es: Engine, settings: dict[str, Any], reason: str) -> None:
    status, error = error_of(put_raw, es, "sparse_embedding", SPARSE, settings)
    assert (status, error["type"], error["reason"]) == (400, "validation_exception", reason)


def test_sparse_boolean_setting_is_cast(es: Engine) -> None:
    settings = {"model": "m", "api_key": "k", "should_return_hidden_field": "true"}
    status, error = error_of(put_raw, es, "sparse_embedding", SPARSE, settings)
    assert (status, error["type"]) == (500, "class_cast_exception")


@pytest.mark.parametrize(
    ("task_type", "service"), [("text_embedding", SPARSE), ("sparse_embedding", DENSE), ("rerank", DENSE)]
)
def test_services_take_only_their_task_type(es: Engine, task_type: str, service: str) -> None:
    settings = {"model": "m", "dimensions": 3, "api_key": "k"}
    status, error = error_of(put_raw, es, task_type, service, settings)
    assert (status, error["type"]) == (400, "status_exception")
    assert error["reason"] == f"The [{service}] service does not support task type [{task_type}]"


def test_sparse_rejects_input_type(es: Engine) -> None:
    put_sparse(es)
    status, error = error_of(es.inference.inference, inference_id="sparse", input=["x"], input_type="search")
    assert (status, error["type"]) == (400, "action_request_validation_exception")
    assert (
        error["reason"]
        == "Validation Failed: 1: Field [input_type] cannot be specified for task type [sparse_embedding];"
    )


def test_sparse_lone_surrogate_is_hashed_as_java_sees_it(es: Engine) -> None:
    put_sparse(es)
    body = es.inference.inference(inference_id="sparse", input=["\ud800"]).body
    # one UTF-16 unit 0xD800 = 55296: weights 55297 .. 55301
    assert body["sparse_embedding"][0]["embedding"] == {f"feature_{j}": float(55297 + j) for j in range(5)}


def test_elser_style_sparse_endpoints_are_not_supported(es: Engine) -> None:
    body = {"service": "elasticsearch", "service_settings": {"model_id": ".elser_model_2", "num_threads": 1}}
    status, error = error_of(es.inference.put, task_type="sparse_embedding", inference_id="elser", body=body)
    assert (status, error["type"]) == (400, "illegal_argument_exception")
    assert error["reason"].startswith("task_type [sparse_embedding] is not supported in retrievo")


# ------------------------------------------------------------------------------------------ completion


def test_completion_mock_upper_cases(es: Engine) -> None:
    body = {"service": "completion_test_service", "service_settings": {"model": "my_model", "api_key": "abc64"}}
    created = es.inference.put(task_type="completion", inference_id="done", body=body).body
    assert created == {
        "inference_id": "done",
        "task_type": "completion",
        "service": "completion_test_service",
        "service_settings": {"model": "my_model"},
    }
    answer = es.inference.completion(inference_id="done", input=["hello world", "straße"]).body
    assert answer == {"completion": [{"result": "HELLO WORLD"}, {"result": "STRASSE"}]}
    status, error = error_of(es.inference.inference, inference_id="done", input=["x"], input_type="ingest")
    assert (status, error["reason"]) == (
        400,
        "Validation Failed: 1: Field [input_type] cannot be specified for task type [completion];",
    )
    status, error = error_of(put_raw, es, "completion", "completion_test_service", {"api_key": "k"})
    assert (status, error["reason"]) == (400, "Validation Failed: 1: missing model;")


def test_streaming_completion_mock_is_refused(es: Engine) -> None:
    settings = {"model": "my_model", "api_key": "abc64"}
    status, error = error_of(put_raw, es, "completion", "streaming_completion_test_service", settings)
    assert (status, error["type"]) == (400, "illegal_argument_exception")
    assert "is not supported in retrievo" in error["reason"]


def test_dense_lone_surrogate_is_hashed_as_java_sees_it(es: Engine) -> None:
    put_dense(es, dimensions=5)
    body = es.inference.inference(inference_id="dense", input=["\ud800"]).body
    # hashCode 55296 -> "55296" -> 53, 53, 50, 57, 54
    assert body == {"text_embedding": [{"embedding": [53.0, 53.0, 50.0, 57.0, 54.0]}]}


# ------------------------------------------------------------------------------------------ chunk offsets


def test_mock_chunk_offsets_are_first_occurrences(es: Engine) -> None:
    # The mocks place each chunk at input.indexOf(chunk text). 30 words "a" (word i at 2i), word chunks of
    # 10 words overlapping by 1: words 0-9 -> [0, 19); 9-18 -> [17, 37) = " a" * 10; 18-27 -> [35, 55), the
    # same text; 27-29 -> [53, 59) = " a" * 3. " a" * 10 first occurs at 1, " a" * 3 too.
    put_dense(es, dimensions=3)
    put_sparse(es)
    registry = es.catalog.inference
    text = " ".join(["a"] * 30)
    word = {"strategy": "word", "max_chunk_size": 10, "overlap": 1}
    expected = [(0, 19), (1, 21), (1, 21), (1, 7)]
    dense = registry.embed_chunks("dense", [text], chunking_settings=word)[0]
    assert [(c.start, c.end) for c in dense] == expected
    sparse = registry.sparse_embed_chunks("sparse", [text], chunking_settings=word)[0]
    assert [(c.start, c.end) for c in sparse] == expected
    # every sparse chunk carries the whole input's embedding; dense chunks embed their own text
    whole = es.inference.inference(inference_id="sparse", input=[text]).body["sparse_embedding"][0]["embedding"]
    assert all(c.embedding == pytest.approx(whole, rel=1e-7) for c in sparse)
    pieces = [" ".join(["a"] * 10), " a" * 10, " a" * 10, " a" * 3]
    assert [c.embedding.tolist() for c in dense] == [[float(ord(d)) for d in str(hash_code(p))[:3]] for p in pieces]
