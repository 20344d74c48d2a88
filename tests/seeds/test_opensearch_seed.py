"""The OpenSearch seed: reranking search results with a cross-encoder, as OpenSearch's guides set it up.

The requests are the guides' own, verbatim (only the host, the port and the ids the server hands back
differ): "OpenSearch-provided pretrained models" (cluster settings, a model group, registering the
``huggingface/cross-encoders/ms-marco-MiniLM-L-6-v2`` cross-encoder from its table, deploying it), then
"Reranking search results using a cross-encoder model" (the ``rerank`` search pipeline, an index whose
``index.search.default_pipeline`` is that pipeline, the ``_bulk`` of three passages, the search with
``ext.rerank.query_context.query_text``), then the rerank processor page's ``query_text_path`` search.
They run once through ``opensearch-py`` and once as raw HTTP, each against its own ``retrievo serve``.

The model id resolves through the real Hugging Face cache: a tiny cross-encoder built here is placed
under the hub id the pretrained model names (``cross-encoder/ms-marco-MiniLM-L-6-v2``). The reranked
order and scores are checked against ``CrossEncoder(<that model>).predict(pairs,
activation_fn=Identity())`` (the raw logits ML Commons' text-similarity translator returns).
"""

from __future__ import annotations

import json
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
pytest.importorskip("sentence_transformers")

HUB_ID = "cross-encoder/ms-marco-MiniLM-L-6-v2"

# ---------------------------------------------------------------------------------------- the guides' bodies

CLUSTER_SETTINGS = {
    "persistent": {
        "plugins": {
            "ml_commons": {
                "only_run_on_ml_node": "false",
                "model_access_control_enabled": "true",
                "native_memory_threshold": "99",
            }
        }
    }
}
MODEL_GROUP = {"name": "local_model_group", "description": "A model group for local models"}


def register_body(model_group_id: str) -> dict[str, Any]:
    # the pretrained guide's register request, with the cross-encoder from its table
    return {
        "name": "huggingface/cross-encoders/ms-marco-MiniLM-L-6-v2",
        "version": "1.0.2",
        "model_group_id": model_group_id,
        "model_format": "TORCH_SCRIPT",
    }


def pipeline_body(model_id: str) -> dict[str, Any]:
    return {
        "description": "Pipeline for reranking with a cross-encoder",
        "response_processors": [
            {"rerank": {"ml_opensearch": {"model_id": model_id}, "context": {"document_fields": ["passage_text"]}}}
        ],
    }


INDEX = {
    "settings": {"index.search.default_pipeline": "my_pipeline"},
    "mappings": {"properties": {"passage_text": {"type": "text"}}},
}
BULK = """{ "index": { "_index": "my-index" } }
{ "passage_text" : "I said welcome to them and we entered the house" }
{ "index": { "_index": "my-index" } }
{ "passage_text" : "I feel welcomed in their family" }
{ "index": { "_index": "my-index" } }
{ "passage_text" : "Welcoming gifts are great" }

"""
QUERY_TEXT = "how to welcome in family"
SEARCH = {
    "query": {"match": {"passage_text": "how to welcome in family"}},
    "ext": {"rerank": {"query_context": {"query_text": "how to welcome in family"}}},
}


def rerank_pipeline_body(model_id: str) -> dict[str, Any]:
    # the rerank processor page's pipeline, with this index's field
    return {
        "response_processors": [
            {"rerank": {"ml_opensearch": {"model_id": model_id}, "context": {"document_fields": ["passage_text"]}}}
        ]
    }


PATH_SEARCH = {
    "query": {"match": {"passage_text": {"query": "how to welcome in family"}}},
    "ext": {"rerank": {"query_context": {"query_text_path": "query.match.passage_text.query"}}},
}

# ---------------------------------------------------------------------------------------- two ways in


class Http:
    """The guides' requests as raw HTTP."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def send(self, method: str, target: str, body: Any = None, ndjson: bool = False) -> Any:
        headers = {"Content-Type": "application/x-ndjson"} if ndjson else None
        status, _, payload = self.server.request(method, target, body, headers)
        answer = json.loads(payload) if payload else None
        assert status == 200, (target, status, answer)
        return answer

    def setup_model(self) -> str:
        self.send("PUT", "/_cluster/settings", CLUSTER_SETTINGS)
        group = self.send("POST", "/_plugins/_ml/model_groups/_register", MODEL_GROUP)
        task = self.send("POST", "/_plugins/_ml/models/_register", register_body(group["model_group_id"]))
        registered = self.send("GET", f"/_plugins/_ml/tasks/{task['task_id']}")
        assert registered["state"] == "COMPLETED" and registered["task_type"] == "REGISTER_MODEL"
        model_id = str(registered["model_id"])
        task = self.send("POST", f"/_plugins/_ml/models/{model_id}/_deploy")
        deployed = self.send("GET", f"/_plugins/_ml/tasks/{task['task_id']}")
        assert deployed["state"] == "COMPLETED" and deployed["task_type"] == "DEPLOY_MODEL"
        return model_id

    def guide(self, model_id: str) -> dict[str, Any]:
        assert self.send("PUT", "/_search/pipeline/my_pipeline", pipeline_body(model_id)) == {"acknowledged": True}
        self.send("PUT", "/my-index", INDEX)
        assert self.send("POST", "/_bulk", BULK, ndjson=True)["errors"] is False
        return dict(self.send("POST", "/my-index/_search", SEARCH))

    def path_search(self, model_id: str) -> dict[str, Any]:
        self.send("PUT", "/_search/pipeline/rerank_pipeline", rerank_pipeline_body(model_id))
        return dict(self.send("POST", "/my-index/_search?search_pipeline=rerank_pipeline", PATH_SEARCH))

    def plain(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.send("POST", "/my-index/_search?search_pipeline=_none", body))


class Client:
    """The guides' requests through opensearch-py's own API methods."""

    def __init__(self, server: ServerProcess) -> None:
        self.client = opensearchpy.OpenSearch(hosts=[{"host": server.host, "port": server.port}], timeout=120)

    def setup_model(self) -> str:
        ml = self.client.plugins.ml
        self.client.cluster.put_settings(body=CLUSTER_SETTINGS)
        group = ml.register_model_group(body=MODEL_GROUP)
        task = ml.register_model(body=register_body(group["model_group_id"]))
        registered = ml.get_task(task_id=task["task_id"])
        assert registered["state"] == "COMPLETED"
        model_id = str(registered["model_id"])
        task = ml.deploy_model(model_id=model_id)
        assert ml.get_task(task_id=task["task_id"])["state"] == "COMPLETED"
        return model_id

    def guide(self, model_id: str) -> dict[str, Any]:
        assert self.client.search_pipeline.put(id="my_pipeline", body=pipeline_body(model_id)) == {"acknowledged": True}
        self.client.indices.create(index="my-index", body=INDEX)
        assert self.client.bulk(body=BULK)["errors"] is False
        return dict(self.client.search(index="my-index", body=SEARCH))

    def path_search(self, model_id: str) -> dict[str, Any]:
        self.client.search_pipeline.put(id="rerank_pipeline", body=rerank_pipeline_body(model_id))
        return dict(
            self.client.search(index="my-index", body=PATH_SEARCH, params={"search_pipeline": "rerank_pipeline"})
        )

    def plain(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.search(index="my-index", body=body, params={"search_pipeline": "_none"}))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("ms-marco-tiny"))


@pytest.fixture(scope="module", params=["opensearch-py", "http"])
def seed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[Any]:
    """One server per way in, with the model set up and the guide run on it."""
    hf_home = tmp_path_factory.mktemp("hf-home")
    place_in_hub_cache(hf_home, HUB_ID, model_dir)
    server = ServerProcess("--no-persist", env=hub_env(hf_home))
    way: Http | Client = Client(server) if request.param == "opensearch-py" else Http(server)
    try:
        model_id = way.setup_model()
        yield way, server, model_id, way.guide(model_id)
    finally:
        server.stop()


def raw_logits(model_dir: Path, query: str, texts: list[str]) -> list[float]:
    """The model's own scores, computed without retrievo."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device="cpu")
    scores = model.predict([(query, t) for t in texts], activation_fn=torch.nn.Identity())
    return [float(np.float32(s)) for s in scores]


def check_reranked(response: dict[str, Any], plain: dict[str, Any], model_dir: Path) -> None:
    """The page the plain search returned, re-sorted by the model's scores (descending)."""
    page = plain["hits"]["hits"]
    texts = [h["_source"]["passage_text"] for h in page]
    scores = raw_logits(model_dir, QUERY_TEXT, texts)
    expected = sorted(zip([h["_id"] for h in page], scores), key=lambda item: -item[1])
    hits = response["hits"]["hits"]
    assert [h["_id"] for h in hits] == [i for i, _ in expected]
    assert np.allclose([h["_score"] for h in hits], [s for _, s in expected], atol=1e-5)
    assert response["hits"]["max_score"] == hits[0]["_score"]
    assert response["hits"]["total"] == plain["hits"]["total"]
    assert [h["_source"] for h in hits] == [next(p["_source"] for p in page if p["_id"] == i) for i, _ in expected]


# ---------------------------------------------------------------------------------------- the seed


def test_reranking_guide(seed: Any, model_dir: Path) -> None:
    """Step 4 of the guide: the index's default pipeline reranks the match query's hits."""
    way, _, _, response = seed
    plain = way.plain({"query": SEARCH["query"]})
    assert plain["hits"]["total"]["value"] >= 2  # "welcome" and "family" match two of the three passages
    check_reranked(response, plain, model_dir)


def test_query_text_path(seed: Any, model_dir: Path) -> None:
    """The rerank processor page's ``query_text_path`` into the request's ``match`` query."""
    way, _, model_id, _ = seed
    check_reranked(way.path_search(model_id), way.plain({"query": PATH_SEARCH["query"]}), model_dir)


def test_ignore_failure_and_errors(seed: Any) -> None:
    """The guide's pipeline verbatim still names the guide's model id, which this cluster lacks: the
    search fails with ML Commons' error for it, wrapped as a failed search processor; with
    ``ignore_failure`` the response is the plain search's. A pipeline without its context is refused."""
    way, server, _, _ = seed
    literal = pipeline_body("gnDIbI0BfUsSoeNT_jAw")
    status, _, payload = server.request("PUT", "/_search/pipeline/guide_literal", literal)
    assert status == 200, payload
    status, _, payload = server.request("POST", "/my-index/_search?search_pipeline=guide_literal", SEARCH)
    answer = json.loads(payload)
    p_status, _, p_payload = server.request(
        "POST", "/_plugins/_ml/models/gnDIbI0BfUsSoeNT_jAw/_predict", {"query_text": "q", "text_docs": ["d"]}
    )
    direct = json.loads(p_payload)
    assert status == p_status and status >= 400
    assert answer["error"]["type"] == "search_pipeline_processing_exception"
    assert answer["error"]["root_cause"] == direct["error"]["root_cause"]
    assert answer["error"]["caused_by"] == {k: v for k, v in direct["error"].items() if k != "root_cause"}

    lenient = json.loads(json.dumps(literal))
    lenient["response_processors"][0]["rerank"]["ignore_failure"] = True
    status, _, payload = server.request("PUT", "/_search/pipeline/guide_lenient", lenient)
    assert status == 200, payload
    status, _, payload = server.request("POST", "/my-index/_search?search_pipeline=guide_lenient", SEARCH)
    assert status == 200
    assert json.loads(payload)["hits"] == way.plain({"query": SEARCH["query"]})["hits"]

    no_context = json.loads(json.dumps(literal))
    del no_context["response_processors"][0]["rerank"]["context"]
    status, _, payload = server.request("PUT", "/_search/pipeline/guide_broken", no_context)
    cause = {
        "type": "parse_exception",
        "reason": "[context] required property is missing",
        "processor_type": "rerank",
        "property_name": "context",
    }
    assert (status, json.loads(payload)) == (400, {"error": {"root_cause": [cause], **cause}, "status": 400})
    status, _, payload = server.request("GET", "/_search/pipeline/guide_broken")
    assert (status, json.loads(payload)) == (404, {})


def test_undeployed_model(seed: Any) -> None:
    """Undeploying the model makes the guide's search fail with ML Commons' own error, wrapped."""
    _, server, model_id, _ = seed
    status, _, payload = server.request("POST", f"/_plugins/_ml/models/{model_id}/_undeploy")
    assert status == 200, payload
    try:
        status, _, payload = server.request("POST", "/my-index/_search", SEARCH)
        answer = json.loads(payload)
        p_status, _, p_payload = server.request(
            "POST", f"/_plugins/_ml/models/{model_id}/_predict", {"query_text": "q", "text_docs": ["d"]}
        )
        direct = json.loads(p_payload)
        assert (status, answer["error"]["caused_by"]) == (
            p_status,
            {k: v for k, v in direct["error"].items() if k != "root_cause"},
        )
        assert answer["error"]["type"] == "search_pipeline_processing_exception"
    finally:
        status, _, payload = server.request("POST", f"/_plugins/_ml/models/{model_id}/_deploy")
        assert status == 200, payload
