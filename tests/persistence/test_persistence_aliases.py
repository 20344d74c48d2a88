"""Aliases survive persistence: ``Engine(path=...)``, ``save``/``load`` and ``retrievo serve --data``
bring back plain, filtered and write-index aliases (kept in each index's manifest entry), a removed
alias stays removed, and a directory written before aliases were persisted still loads."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

from retrievo import Engine
from retrievo.index.persistence import FORMAT_VERSION, MANIFEST_NAME
from retrievo.index.persistence.files import canonical_digest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from server_process import ServerProcess

FILTER = {"term": {"tag": "red"}}
SEARCH = {"query": {"match": {"t": "fox"}}, "size": 50}


def _fill(engine: Engine, *, aliases: bool = True) -> None:
    for index in ("a", "b"):
        engine.indices.create(
            index=index,
            mappings={"properties": {"t": {"type": "text"}, "tag": {"type": "keyword"}, "n": {"type": "long"}}},
        )
        engine.bulk(
            operations=[
                op
                for k in range(12)
                for op in (
                    {"index": {"_index": index, "_id": f"{index}{k}"}},
                    {"t": "quick fox" if k % 2 else "lazy fox dog", "tag": "red" if k % 3 else "blue", "n": k},
                )
            ],
            refresh=True,
        )
    if not aliases:
        return
    engine.indices.put_alias(index="a,b", name="both")
    engine.indices.put_alias(index="a", name="reds", filter=FILTER, routing="1")
    engine.indices.update_aliases(
        actions=[
            {"add": {"index": "a", "alias": "logs", "is_write_index": True}},
            {"add": {"index": "b", "alias": "logs", "is_write_index": False, "search_routing": "2"}},
        ]
    )


def _aliases(engine: Engine) -> dict[str, Any]:
    return dict(engine.indices.get_alias().body)


def _hits(engine: Engine, index: str) -> list[tuple[str, str]]:
    response = engine.search(index=index, body=SEARCH)
    return [(h["_index"], h["_id"]) for h in response["hits"]["hits"]]


def test_aliases_come_back_with_engine_path_and_load(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Engine(path=data)
    _fill(first)
    expected = _aliases(first)
    assert expected["a"]["aliases"]["reds"] == {"filter": FILTER, "index_routing": "1", "search_routing": "1"}
    assert expected["a"]["aliases"]["logs"] == {"is_write_index": True}
    filtered = _hits(first, "reds")
    assert filtered and len(filtered) < len(_hits(first, "a"))
    del first

    for engine in (Engine(path=data), Engine.load(data)):
        assert _aliases(engine) == expected
        assert _hits(engine, "reds") == filtered
        assert len(_hits(engine, "both")) == 24
        # the write index still takes the single-document writes through the alias
        assert engine.index(index="logs", id="w", document={"t": "fox", "n": 99})["_index"] == "a"

    saved = tmp_path / "saved"
    Engine.load(data).save(saved)
    reloaded = Engine.load(saved)
    assert _aliases(reloaded) == expected
    assert _hits(reloaded, "reds") == filtered


def test_removed_aliases_stay_removed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Engine(path=data)
    _fill(first)
    first.indices.update_aliases(actions=[{"remove": {"index": "a", "alias": "reds"}}])
    first.indices.delete_alias(index="b", name="logs")
    first.indices.delete(index="b")  # "both" stays on "a" only
    expected = _aliases(first)
    assert "reds" not in expected["a"]["aliases"] and set(expected) == {"a"}
    del first

    for engine in (Engine(path=data), Engine.load(data)):
        assert _aliases(engine) == expected
        assert not engine.indices.exists_alias(name="reds")
        assert dict(engine.indices.get_alias(name="logs").body) == {
            "a": {"aliases": {"logs": {"is_write_index": True}}}
        }


def test_saving_does_not_lose_aliases_and_writes_keep_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = Engine(path=data)
    _fill(engine)
    engine.index(index="a", id="late", document={"t": "fox", "tag": "red", "n": 50}, refresh=True)
    manifest = json.loads((data / MANIFEST_NAME).read_text())
    entry = next(e for e in manifest["indices"] if e["name"] == "a")
    assert sorted(entry["aliases"]) == ["both", "logs", "reds"]
    engine.save(data)  # saving onto its own directory
    assert _aliases(Engine.load(data)) == _aliases(engine)


def _downgrade(path: Path) -> None:
    """Rewrite ``path``'s manifest as format version 1 wrote it: no aliases in its index entries."""
    manifest_path = path / MANIFEST_NAME
    body = json.loads(manifest_path.read_text())
    body.pop("checksum")
    body["format_version"] = 1
    for entry in body["indices"]:
        entry.pop("aliases")
    body["checksum"] = canonical_digest(body)
    manifest_path.write_text(json.dumps(body))


def test_a_directory_written_before_aliases_were_persisted_still_loads(tmp_path: Path) -> None:
    engine = Engine()
    _fill(engine, aliases=False)
    engine.save(tmp_path / "old")
    _downgrade(tmp_path / "old")
    expected = _hits(engine, "a")

    loaded = Engine.load(tmp_path / "old")
    assert _aliases(loaded) == {"a": {"aliases": {}}, "b": {"aliases": {}}}
    assert _hits(loaded, "a") == expected

    attached = Engine(path=tmp_path / "old")
    attached.indices.put_alias(index="b", name="later")
    again = Engine.load(tmp_path / "old")
    assert dict(again.indices.get_alias(name="later").body) == {"b": {"aliases": {"later": {}}}}
    assert json.loads((tmp_path / "old" / MANIFEST_NAME).read_text())["format_version"] == FORMAT_VERSION


def test_an_alias_put_over_http_survives_a_server_restart(tmp_path: Path) -> None:
    alias_on = "a"
    data = tmp_path / "data"
    first = ServerProcess("--data", str(data))
    try:
        status, _, payload = first.request(
            "PUT", f"/{alias_on}", {"mappings": {"properties": {"tag": {"type": "keyword"}}}}
        )
        assert status == 200, payload
        status, _, payload = first.request(
            "PUT", f"/{alias_on}/_alias/reds", {"filter": FILTER, "is_write_index": True}
        )
        assert status == 200, payload
        status, _, expected = first.request("GET", "/_alias")
        assert status == 200
    finally:
        rc, stderr = first.stop(signal.SIGTERM)
    assert rc == 0, stderr

    second = ServerProcess("--data", str(data))
    try:
        status, _, payload = second.request("GET", "/_alias")
        assert status == 200 and json.loads(payload) == json.loads(expected)
        assert json.loads(payload) == {alias_on: {"aliases": {"reds": {"filter": FILTER, "is_write_index": True}}}}
    finally:
        rc, stderr = second.stop(signal.SIGTERM)
    assert rc == 0, stderr
