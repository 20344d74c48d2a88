"""A data directory keeps each document's routing: in the committed store (``docs.routing.json``) and
in the translog's index records (``"routing"``), so a reopened engine finds each document on the shard
it was written to, prints its ``_routing`` and keeps ``_routing.required``."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import BadRequestError, NotFoundError

from retrievo import Engine


def _fill(home: Path) -> None:
    es = Engine(path=home)
    es.indices.create(
        index="t",
        settings={"number_of_shards": 5, "number_of_routing_shards": 5},
        mappings={"_routing": {"required": True}},
    )
    es.index(index="t", id="1", routing="5", document={"n": 1})
    es.index(index="t", id="2", routing="4", document={"n": 2})
    es.delete(index="t", id="2", routing="4")
    es.indices.refresh(index="t")  # commits the store: the log restarts empty
    es.index(index="t", id="3", routing="5", document={"n": 3})  # only in the translog
    es.update(index="t", id="1", routing="5", doc={"m": 1})  # logged as an index record with its routing


@pytest.mark.parametrize("reopen", [lambda home: Engine(path=home), lambda home: Engine.load(home)])
def test_routing_survives_commit_and_replay(tmp_path: Path, reopen: object) -> None:
    home = tmp_path / "home"
    _fill(home)
    es: Engine = reopen(home)  # type: ignore[operator]
    assert es.indices.get_mapping(index="t")["t"]["mappings"]["_routing"] == {"required": True}
    one = es.get(index="t", id="1", routing="5")
    assert (one["_routing"], one["_source"], one["_version"]) == ("5", {"n": 1, "m": 1}, 2)
    assert es.get(index="t", id="3", routing="5")["_routing"] == "5"
    with pytest.raises(NotFoundError):
        es.get(index="t", id="1", routing="4")
    with pytest.raises(BadRequestError):
        es.get(index="t", id="3")
    es.indices.refresh(index="t")
    hits = es.search(index="t", routing="5", sort=["_doc"])["hits"]["hits"]
    assert sorted((h["_id"], h["_routing"]) for h in hits) == [("1", "5"), ("3", "5")]
    assert es.search(index="t", routing="4")["hits"]["hits"] == []


def test_translog_records_carry_the_routing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _fill(home)
    again = Engine(path=home)
    again.indices.refresh(index="t")  # the replayed writes committed, then read back from the store
    assert Engine(path=home).get(index="t", id="3", routing="5")["_routing"] == "5"
    assert list(home.rglob("docs.routing.json"))
