"""Synonyms sets survive a restart (the manifest's ``synonyms``, format version 8), and the updateable
analyzers of a reopened index are loaded from them, as Elasticsearch reloads them when a shard opens; a
data directory written before (format 7, no ``synonyms``) still loads, with no sets."""

from __future__ import annotations

import json
from pathlib import Path

from retrievo import Engine
from retrievo.index.persistence import FORMAT_VERSION, MANIFEST_NAME
from retrievo.index.persistence.files import canonical_digest

SETTINGS = {
    "analysis": {
        "filter": {"syn": {"type": "synonym_graph", "synonyms_set": "s", "updateable": True}},
        "analyzer": {"search": {"tokenizer": "standard", "filter": ["lowercase", "syn"]}},
    }
}
MAPPINGS = {"properties": {"t": {"type": "text", "search_analyzer": "search"}}}


def _ids(es: Engine, text: str) -> list[str]:
    return sorted(h["_id"] for h in es.search(index="i", query={"match": {"t": text}})["hits"]["hits"])


def _fill(es: Engine) -> None:
    es.synonyms.put_synonym(id="s", synonyms_set=[{"id": "r1", "synonyms": "car, automobile"}])
    es.indices.create(index="i", settings=SETTINGS, mappings=MAPPINGS)
    es.index(index="i", id="1", document={"t": "a red car"})
    es.index(index="i", id="2", document={"t": "an automobile"}, refresh=True)


def test_sets_and_reloaded_analyzers_survive_a_restart(tmp_path: Path) -> None:
    es = Engine(path=tmp_path / "data")
    _fill(es)
    es.synonyms.put_synonym_rule(set_id="s", rule_id="r2", synonyms="bike, bicycle")
    assert _ids(es, "automobile") == ["1", "2"]

    again = Engine(path=tmp_path / "data")
    assert again.synonyms.get_synonym(id="s").body == {
        "count": 2,
        "synonyms_set": [{"id": "r1", "synonyms": "car, automobile"}, {"id": "r2", "synonyms": "bike, bicycle"}],
    }
    assert _ids(again, "automobile") == ["1", "2"]  # the reopened index's analyzer reads the set
    manifest = json.loads((tmp_path / "data" / MANIFEST_NAME).read_text())
    assert manifest["format_version"] == FORMAT_VERSION == 8
    assert manifest["synonyms"] == {
        "s": [{"id": "r1", "synonyms": "car, automobile"}, {"id": "r2", "synonyms": "bike, bicycle"}]
    }

    again.synonyms.delete_synonym_rule(set_id="s", rule_id="r1")
    third = Engine.load(tmp_path / "data")
    assert third.synonyms.get_synonym(id="s")["count"] == 1
    assert _ids(third, "automobile") == ["2"]


def test_a_format_7_directory_loads_without_sets(tmp_path: Path) -> None:
    es = Engine()
    es.indices.create(index="i", mappings={"properties": {"t": {"type": "text"}}})
    es.index(index="i", id="1", document={"t": "hello"}, refresh=True)
    es.save(tmp_path / "old")
    path = tmp_path / "old" / MANIFEST_NAME
    body = json.loads(path.read_text())
    body.pop("checksum")
    body.pop("synonyms")
    body["format_version"] = 7
    body["checksum"] = canonical_digest(body)
    path.write_text(json.dumps(body))

    loaded = Engine.load(tmp_path / "old")
    assert loaded.synonyms.get_synonyms_sets().body == {"count": 0, "results": []}
    assert loaded.search(index="i", query={"match": {"t": "hello"}})["hits"]["total"]["value"] == 1
