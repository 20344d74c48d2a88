"""OpenSearch search pipelines live in the data directory: a put or a delete is one manifest swap, and
an index whose ``index.search.default_pipeline`` names a pipeline finds it again after a restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.index.persistence import MANIFEST_NAME

JSON = {"content-type": "application/json", "accept": "application/json"}
BY_FIELD = {"response_processors": [{"rerank": {"by_field": {"target_field": "rank"}}}]}


def _request(es: Engine, method: str, path: str, body: Any = None) -> Any:
    return es.perform_request(method, path, headers=JSON, body=body).body


def _fill(es: Engine) -> None:
    _request(es, "PUT", "/_search/pipeline/by_rank", BY_FIELD)
    es.indices.create(
        index="docs",
        settings={"index.search.default_pipeline": "by_rank"},
        mappings={"properties": {"text": {"type": "text"}, "rank": {"type": "float"}}},
    )
    es.index(index="docs", id="1", document={"text": "red apple", "rank": 1.0})
    es.index(index="docs", id="2", document={"text": "red red apple", "rank": 5.0}, refresh=True)


def _ids(es: Engine) -> list[tuple[str, float]]:
    hits = es.search(index="docs", query={"match": {"text": "red"}})["hits"]["hits"]
    return [(h["_id"], h["_score"]) for h in hits]


def test_a_pipeline_survives_a_restart_of_an_attached_engine(tmp_path: Path) -> None:
    first = Engine(path=tmp_path / "data")
    _fill(first)
    assert _ids(first) == [("2", 5.0), ("1", 1.0)]  # the default pipeline reranks by the field
    manifest = json.loads((tmp_path / "data" / MANIFEST_NAME).read_text())
    assert manifest["search_pipelines"] == {"by_rank": BY_FIELD}

    again = Engine(path=tmp_path / "data")
    assert _request(again, "GET", "/_search/pipeline/by_rank") == {"by_rank": BY_FIELD}
    assert _ids(again) == [("2", 5.0), ("1", 1.0)]
    _request(again, "DELETE", "/_search/pipeline/by_rank")
    assert json.loads((tmp_path / "data" / MANIFEST_NAME).read_text())["search_pipelines"] == {}


def test_save_and_load_carry_the_pipelines(tmp_path: Path) -> None:
    es = Engine()
    _fill(es)
    es.save(tmp_path / "saved")
    loaded = Engine.load(tmp_path / "saved")
    assert _request(loaded, "GET", "/_search/pipeline") == {"by_rank": BY_FIELD}
    assert _ids(loaded) == [("2", 5.0), ("1", 1.0)]


def test_a_pipeline_the_data_directory_cannot_take_is_not_made(tmp_path: Path) -> None:
    es = Engine(path=tmp_path / "data")
    (tmp_path / "data" / MANIFEST_NAME).write_text("{}")  # someone else's manifest now
    with pytest.raises(Exception) as failed:
        _request(es, "PUT", "/_search/pipeline/by_rank", BY_FIELD)
    assert getattr(failed.value, "status_code", None) is not None  # an API error, not a traceback
    es.catalog.search_pipelines.on_change = None  # detached: the registry shows the put did not happen
    assert es.catalog.search_pipelines.get("by_rank") is None
