"""The cluster settings store is saved in the data directory's manifest, persistent scope only.

Elasticsearch keeps persistent settings in the cluster state across a full restart and drops transient
ones; retrievo saves the persistent scope in the manifest's ``cluster_settings``. Data directories
written before that (manifest format 5) kept ML Commons' settings inside ``ml_commons`` as
``persistent_settings``; they are read from there and then saved in their own place.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.index.persistence import MANIFEST_NAME
from retrievo.index.persistence.files import canonical_digest

JSON = {"content-type": "application/json", "accept": "application/json"}


def _settings(es: Engine) -> Any:
    return es.cluster.get_settings(flat_settings=True).body


def _manifest(path: Path) -> dict[str, Any]:
    return json.loads((path / MANIFEST_NAME).read_text())


def test_persistent_settings_survive_a_restart_and_transient_ones_do_not(tmp_path: Path) -> None:
    es = Engine(path=tmp_path)
    es.cluster.put_settings(
        persistent={"search.default_search_timeout": "2s", "plugins.ml_commons.native_memory_threshold": 95},
        transient={"plugins.ml_commons.local_model.enabled": False},
    )
    assert _manifest(tmp_path)["cluster_settings"] == {
        "plugins.ml_commons.native_memory_threshold": "95",
        "search.default_search_timeout": "2s",
    }
    again = Engine(path=tmp_path)
    assert _settings(again) == {
        "persistent": {"plugins.ml_commons.native_memory_threshold": "95", "search.default_search_timeout": "2s"},
        "transient": {},
    }
    # ML Commons reads its settings from the same store
    assert again.catalog.ml_models.settings.number("native_memory_threshold") == 95
    assert again.catalog.cluster_settings.value("search.default_search_timeout") == "2s"
    again.cluster.put_settings(persistent={"search.default_search_timeout": None})
    assert Engine(path=tmp_path).catalog.cluster_settings.scopes()["persistent"] == {
        "plugins.ml_commons.native_memory_threshold": "95"
    }


def test_a_rejected_update_changes_nothing_saved(tmp_path: Path) -> None:
    es = Engine(path=tmp_path)
    es.cluster.put_settings(persistent={"search.default_search_timeout": "1s"})
    before = (tmp_path / MANIFEST_NAME).read_bytes()
    with pytest.raises(Exception) as failed:
        es.cluster.put_settings(
            persistent={"search.default_search_timeout": "5s", "plugins.ml_commons.native_memory_threshold": 101}
        )
    assert getattr(failed.value, "status_code", None) == 400
    assert (tmp_path / MANIFEST_NAME).read_bytes() == before
    assert _settings(es)["persistent"] == {"search.default_search_timeout": "1s"}


def test_settings_of_a_format_5_data_directory_are_read_and_moved(tmp_path: Path) -> None:
    first = Engine(path=tmp_path)
    first.perform_request("POST", "/_plugins/_ml/model_groups/_register", headers=JSON, body={"name": "g"})
    body = _manifest(tmp_path)
    # the layout of format 5: no cluster_settings; ML Commons' persistent settings inside its state
    del body["cluster_settings"], body["checksum"]
    body["format_version"] = 5
    body["ml_commons"] = {
        **body["ml_commons"],
        "persistent_settings": {"plugins.ml_commons.allow_registering_model_via_url": "true"},
    }
    body["checksum"] = canonical_digest(body)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(body))

    es = Engine(path=tmp_path)
    assert _settings(es)["persistent"] == {"plugins.ml_commons.allow_registering_model_via_url": "true"}
    assert es.catalog.ml_models.settings.flag("allow_registering_model_via_url")
    moved = _manifest(tmp_path)
    assert moved["cluster_settings"] == {"plugins.ml_commons.allow_registering_model_via_url": "true"}
    assert [g["name"] for g in moved["ml_commons"]["model_groups"]] == ["g"]
    # and from now on they come from their own place
    assert _settings(Engine(path=tmp_path))["persistent"] == {
        "plugins.ml_commons.allow_registering_model_via_url": "true"
    }
