"""OpenSearch ML Commons' state lives in the data directory: model groups, models, tasks and the
persistent ``plugins.ml_commons.*`` settings are saved at every change (the manifest's ``ml_commons``),
and a model that was deployed is deployed again after a restart, as ML Commons' auto-redeploy does,
so a search pipeline that names it keeps reranking. Expected scores come from sentence-transformers'
``CrossEncoder`` on the same files (raw logits, as ML Commons' text-similarity translator returns them).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

for _folder in ("server", "inference", "seeds"):
    _path = str(Path(__file__).resolve().parents[1] / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)

from hub_cache import hub_env, place_in_hub_cache  # noqa: E402
from retrievo import ApiError, Engine  # noqa: E402
from retrievo.index.persistence import FORMAT_VERSION, MANIFEST_NAME  # noqa: E402
from server_process import ServerProcess  # noqa: E402
from tiny_models import save_tiny_bert  # noqa: E402

torch = pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

JSON = {"content-type": "application/json", "accept": "application/json"}
SETTINGS = {
    "persistent": {
        "plugins.ml_commons.allow_registering_model_via_url": "true",
        "plugins.ml_commons.native_memory_threshold": 100,
    },
    "transient": {"plugins.ml_commons.only_run_on_ml_node": "false"},
}
QUERY = "moon phases"
DOCS = {"1": "the moon and its phases", "2": "a quiet lake", "3": "moon moon landing", "4": "solar eclipse phases"}


def _request(es: Engine, method: str, path: str, body: Any = None) -> Any:
    return es.perform_request(method, path, headers=JSON, body=body).body


def _logits(model_dir: Path, query: str, texts: list[str]) -> list[float]:
    from sentence_transformers import CrossEncoder

    scores = CrossEncoder(str(model_dir), device="cpu").predict(
        [(query, t) for t in texts], activation_fn=torch.nn.Identity()
    )
    return [float(np.float32(s)) for s in scores]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-ce"))


def _setup(es: Engine, source: Path) -> dict[str, str]:
    """Settings, a group, a model registered from ``source`` and deployed, a rerank pipeline that is the
    default of an index holding :data:`DOCS`; the ids handed out."""
    _request(es, "PUT", "/_cluster/settings", SETTINGS)
    group_id = _request(es, "POST", "/_plugins/_ml/model_groups/_register", {"name": "local"})["model_group_id"]
    body = {
        "name": "ce",
        "function_name": "TEXT_SIMILARITY",
        "model_format": "TORCH_SCRIPT",
        "model_group_id": group_id,
        "url": str(source),
        "model_config": {},
    }
    register_task = _request(es, "POST", "/_plugins/_ml/models/_register", body)["task_id"]
    model_id = _request(es, "GET", f"/_plugins/_ml/tasks/{register_task}")["model_id"]
    deploy_task = _request(es, "POST", f"/_plugins/_ml/models/{model_id}/_deploy")["task_id"]
    pipeline = {
        "response_processors": [
            {"rerank": {"ml_opensearch": {"model_id": model_id}, "context": {"document_fields": ["text"]}}}
        ]
    }
    _request(es, "PUT", "/_search/pipeline/rerank", pipeline)
    es.indices.create(
        index="docs",
        settings={"index.search.default_pipeline": "rerank"},
        mappings={"properties": {"text": {"type": "text"}}},
    )
    for doc_id, text in DOCS.items():
        es.index(index="docs", id=doc_id, document={"text": text})
    es.indices.refresh(index="docs")
    return {"group": group_id, "model": model_id, "register_task": register_task, "deploy_task": deploy_task}


def _search(es: Engine) -> list[tuple[str, float]]:
    body = {"query": {"match": {"text": QUERY}}, "ext": {"rerank": {"query_context": {"query_text": QUERY}}}}
    hits = _request(es, "POST", "/docs/_search", body)["hits"]["hits"]
    return [(h["_id"], h["_score"]) for h in hits]


def _expected(model_dir: Path, es: Engine) -> list[tuple[str, float]]:
    """The plain match's hits re-sorted by the model's own scores."""
    plain = _request(es, "POST", "/docs/_search?search_pipeline=_none", {"query": {"match": {"text": QUERY}}})
    ids = [h["_id"] for h in plain["hits"]["hits"]]
    scores = _logits(model_dir, QUERY, [DOCS[i] for i in ids])
    return sorted(zip(ids, scores, strict=True), key=lambda item: -item[1])


def _check(found: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    assert [i for i, _ in found] == [i for i, _ in expected]
    np.testing.assert_allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)


def _records(es: Engine, ids: dict[str, str]) -> dict[str, Any]:
    return {
        "group": _request(es, "GET", f"/_plugins/_ml/model_groups/{ids['group']}"),
        "model": _request(es, "GET", f"/_plugins/_ml/models/{ids['model']}"),
        "register_task": _request(es, "GET", f"/_plugins/_ml/tasks/{ids['register_task']}"),
        "deploy_task": _request(es, "GET", f"/_plugins/_ml/tasks/{ids['deploy_task']}"),
    }


def _same_but_redeployed(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Everything as before except the redeploy's own times (a later deploy)."""
    moved = ("last_deployed_time", "last_updated_time")
    assert {k: v for k, v in after["model"].items() if k not in moved} == {
        k: v for k, v in before["model"].items() if k not in moved
    }
    assert after["model"]["last_deployed_time"] >= before["model"]["last_deployed_time"]
    for key in ("group", "register_task", "deploy_task"):
        assert after[key] == before[key]


def _manifest(path: Path) -> dict[str, Any]:
    return dict(json.loads((path / MANIFEST_NAME).read_text()))


def _tasks_saved(path: Path) -> list[dict[str, Any]]:
    return list(_manifest(path)["ml_commons"]["tasks"])


def _redeploy_task(manifest: dict[str, Any], model_id: str) -> dict[str, Any]:
    tasks = [
        t for t in manifest["ml_commons"]["tasks"] if t["task_type"] == "DEPLOY_MODEL" and t["model_id"] == model_id
    ]
    return dict(max(tasks, key=lambda t: t["create_time"]))


def test_models_survive_a_restart_of_an_attached_engine(tmp_path: Path, model_dir: Path) -> None:
    first = Engine(path=tmp_path / "data")
    ids = _setup(first, model_dir)
    expected = _expected(model_dir, first)
    _check(_search(first), expected)
    before = _records(first, ids)
    assert before["model"]["model_state"] == "DEPLOYED"
    manifest = _manifest(tmp_path / "data")
    assert manifest["format_version"] == FORMAT_VERSION
    saved = manifest["ml_commons"]
    assert [m["model_id"] for m in saved["models"]] == [ids["model"]]
    assert saved["models"][0]["source"] == str(model_dir.resolve()) and saved["models"][0]["state"] == "DEPLOYED"
    # persistent settings are saved, transient ones are not (a full cluster restart clears them)
    assert "persistent_settings" not in saved  # the cluster settings have a place of their own
    assert manifest["cluster_settings"] == {
        "plugins.ml_commons.allow_registering_model_via_url": "true",
        "plugins.ml_commons.native_memory_threshold": "100",
    }

    again = Engine(path=tmp_path / "data")
    _check(_search(again), expected)
    _same_but_redeployed(before, _records(again, ids))
    settings = _request(again, "GET", "/_cluster/settings?flat_settings=true")
    assert settings["transient"] == {} and settings["persistent"] == manifest["cluster_settings"]
    redeploy = _redeploy_task(_manifest(tmp_path / "data"), ids["model"])
    assert redeploy["task_id"] != ids["deploy_task"]
    assert _request(again, "GET", f"/_plugins/_ml/tasks/{redeploy['task_id']}")["state"] == "COMPLETED"
    # a change after the restart is saved too
    _request(again, "POST", f"/_plugins/_ml/models/{ids['model']}/_undeploy")
    assert _manifest(tmp_path / "data")["ml_commons"]["models"][0]["state"] == "UNDEPLOYED"
    third = Engine(path=tmp_path / "data")
    assert _request(third, "GET", f"/_plugins/_ml/models/{ids['model']}")["model_state"] == "UNDEPLOYED"


def test_save_and_load_carry_the_models(tmp_path: Path, model_dir: Path) -> None:
    es = Engine()
    ids = _setup(es, model_dir)
    expected = _expected(model_dir, es)
    before = _records(es, ids)
    es.save(tmp_path / "saved")
    loaded = Engine.load(tmp_path / "saved")
    _check(_search(loaded), expected)
    _same_but_redeployed(before, _records(loaded, ids))
    texts = list(DOCS.values())
    predicted = _request(
        loaded, "POST", f"/_plugins/_ml/models/{ids['model']}/_predict", {"query_text": QUERY, "text_docs": texts}
    )
    scores = [r["output"][0]["data"][0] for r in predicted["inference_results"]]
    np.testing.assert_allclose(scores, _logits(model_dir, QUERY, texts), atol=1e-5)


def _not_ready(es: Engine, model_id: str) -> None:
    with pytest.raises(ApiError) as failed:
        _request(es, "POST", f"/_plugins/_ml/models/{model_id}/_predict", {"query_text": "q", "text_docs": ["d"]})
    assert failed.value.meta.status == 400
    cause = {"type": "illegal_argument_exception", "reason": "Model not ready yet. Please deploy the model first."}
    assert failed.value.body == {"error": {"root_cause": [cause], **cause}, "status": 400}


def test_without_auto_redeploy_a_deployed_model_comes_back_deploy_failed(tmp_path: Path, model_dir: Path) -> None:
    first = Engine(path=tmp_path / "data")
    ids = _setup(first, model_dir)
    off = {"persistent": {"plugins.ml_commons.model_auto_redeploy.enable": False}}
    _request(first, "PUT", "/_cluster/settings", off)

    again = Engine(path=tmp_path / "data")
    model = _request(again, "GET", f"/_plugins/_ml/models/{ids['model']}")
    assert model["model_state"] == "DEPLOY_FAILED" and model["current_worker_node_count"] == 0
    assert model["auto_redeploy_retry_times"] == 0
    _not_ready(again, ids["model"])
    # deploying it by hand works as ever
    task = _request(again, "POST", f"/_plugins/_ml/models/{ids['model']}/_deploy")["task_id"]
    assert _request(again, "GET", f"/_plugins/_ml/tasks/{task}")["state"] == "COMPLETED"
    _check(_search(again), _expected(model_dir, again))


def test_a_model_that_no_longer_loads_fails_its_redeploy_on_use(tmp_path: Path, model_dir: Path) -> None:
    source = shutil.copytree(model_dir, tmp_path / "ce")
    first = Engine(path=tmp_path / "data")
    ids = _setup(first, source)
    # the first engine goes away as a stopped process would: its endpoint gives back the shared loaded
    # weights, and nothing more is saved
    first.catalog.ml_models.on_change = None
    first.catalog.ml_models.undeploy(ids["model"])
    for weights in source.glob("*.safetensors"):
        weights.unlink()  # the directory is still there, the weights are not

    again = Engine(path=tmp_path / "data")
    _not_ready(again, ids["model"])
    model = _request(again, "GET", f"/_plugins/_ml/models/{ids['model']}")
    assert model["model_state"] == "DEPLOY_FAILED" and model["auto_redeploy_retry_times"] == 1
    redeploy = _redeploy_task(_manifest(tmp_path / "data"), ids["model"])
    task = _request(again, "GET", f"/_plugins/_ml/tasks/{redeploy['task_id']}")
    assert task["state"] == "FAILED" and list(json.loads(task["error"])) == [task["worker_node"][0]]
    with pytest.raises(ApiError) as failed:
        _search(again)
    assert failed.value.meta.status == 400
    assert failed.value.body["error"]["type"] == "search_pipeline_processing_exception"
    # the failure is saved: the next start does not try again with a fresh count
    assert _manifest(tmp_path / "data")["ml_commons"]["models"][0]["auto_redeploy_retry_times"] == 1


def test_a_model_whose_directory_is_gone_fails_its_redeploy_at_once(tmp_path: Path, model_dir: Path) -> None:
    source = shutil.copytree(model_dir, tmp_path / "ce")
    ids = _setup(Engine(path=tmp_path / "data"), source)
    shutil.rmtree(source)
    again = Engine(path=tmp_path / "data")
    assert _request(again, "GET", f"/_plugins/_ml/models/{ids['model']}")["model_state"] == "DEPLOY_FAILED"
    task = _redeploy_task(_manifest(tmp_path / "data"), ids["model"])
    assert task["state"] == "FAILED"
    reason = f"Model file [{source}] does not exist or is not a directory or zip of a saved model"
    assert json.loads(task["error"]) == {task["worker_node"][0]: reason}
    _not_ready(again, ids["model"])


def test_a_model_registered_from_a_zip_is_unpacked_again(tmp_path: Path, model_dir: Path) -> None:
    """The data directory keeps the zip's path, not the temporary directory it was unpacked into."""
    archive = Path(shutil.make_archive(str(tmp_path / "ce"), "zip", root_dir=model_dir))
    first = Engine(path=tmp_path / "data")
    ids = _setup(first, archive)
    expected = _expected(model_dir, first)
    (saved,) = _manifest(tmp_path / "data")["ml_commons"]["models"]
    assert saved["url"] == str(archive) and saved["source"] != str(archive)
    first.catalog.ml_models.on_change = None  # gone, as a stopped process (and its temporary files)
    first.catalog.ml_models.undeploy(ids["model"])
    shutil.rmtree(saved["source"])

    again = Engine(path=tmp_path / "data")
    _check(_search(again), expected)
    assert _request(again, "GET", f"/_plugins/_ml/models/{ids['model']}")["model_state"] == "DEPLOYED"


def test_a_change_the_data_directory_cannot_take_is_not_made(tmp_path: Path) -> None:
    es = Engine(path=tmp_path / "data")
    _request(es, "POST", "/_plugins/_ml/model_groups/_register", {"name": "kept"})
    (tmp_path / "data" / MANIFEST_NAME).write_text("{}")  # someone else's manifest now
    models = es.catalog.ml_models
    with pytest.raises(ApiError) as failed:
        _request(es, "POST", "/_plugins/_ml/model_groups/_register", {"name": "lost"})
    assert failed.value.meta.status == 500
    with pytest.raises(ApiError):
        _request(es, "PUT", "/_cluster/settings", SETTINGS)
    models.on_change = None  # detached: the registry shows that neither change happened
    es.catalog.cluster_settings.on_change = None
    assert [g["name"] for g in models.state()["model_groups"]] == ["kept"]
    assert es.catalog.cluster_settings.scopes() == {"persistent": {}, "transient": {}}


# ---------------------------------------------------------------------------------------- a real restart


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    from test_opensearch_seed import HUB_ID

    home = tmp_path_factory.mktemp("hf-home")
    place_in_hub_cache(home, HUB_ID, model_dir)
    return home


@pytest.fixture
def served(tmp_path: Path, hf_home: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    yield tmp_path / "data", hub_env(hf_home)


def test_a_restarted_server_reranks_with_the_model_it_deployed(
    served: tuple[Path, dict[str, str]], model_dir: Path
) -> None:
    """The OpenSearch guide's setup (pretrained cross-encoder, rerank pipeline as the index's default),
    then ``retrievo serve`` stops and starts again on the same data directory."""
    from test_opensearch_seed import SEARCH, Http, check_reranked

    data, env = served
    server = ServerProcess("--data", str(data), env=env)
    try:
        way = Http(server)
        model_id = way.setup_model()
        first = way.guide(model_id)
        model = way.send("GET", f"/_plugins/_ml/models/{model_id}")
        group = way.send("GET", f"/_plugins/_ml/model_groups/{model['model_group_id']}")
        settings = way.send("GET", "/_cluster/settings")
        tasks = {t["task_id"]: way.send("GET", f"/_plugins/_ml/tasks/{t['task_id']}") for t in _tasks_saved(data)}
        assert {t["task_type"] for t in tasks.values()} == {"REGISTER_MODEL", "DEPLOY_MODEL"}
    finally:
        server.stop()
    saved = _manifest(data)["ml_commons"]
    assert [m["model_id"] for m in saved["models"]] == [model_id] and saved["models"][0]["state"] == "DEPLOYED"

    server = ServerProcess("--data", str(data), env=env)
    try:
        way = Http(server)
        again = way.send("POST", "/my-index/_search", SEARCH)
        check_reranked(again, way.plain({"query": SEARCH["query"]}), model_dir)
        assert again["hits"] == first["hits"]
        after = way.send("GET", f"/_plugins/_ml/models/{model_id}")
        moved = ("last_deployed_time", "last_updated_time")
        assert {k: v for k, v in after.items() if k not in moved} == {k: v for k, v in model.items() if k not in moved}
        assert way.send("GET", f"/_plugins/_ml/model_groups/{model['model_group_id']}") == group
        assert way.send("GET", "/_cluster/settings") == settings
        assert {task_id: way.send("GET", f"/_plugins/_ml/tasks/{task_id}") for task_id in tasks} == tasks
    finally:
        server.stop()
