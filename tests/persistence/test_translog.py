"""The translog: every acknowledged write survives a crash (kill -9), of an in-process engine and of
``retrievo serve --data``; records are checksummed, a torn tail is dropped, a corrupt middle refused.

The files are read here with ``struct``/``zlib``/``json`` from the format the module docstring
describes, not with the module's reader, so the format itself is checked.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

for _folder in ("server", "inference"):
    _path = str(Path(__file__).resolve().parents[1] / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)

from retrievo import ApiError, Engine  # noqa: E402
from retrievo.errors import error_reason  # noqa: E402
from retrievo.index.persistence import MANIFEST_NAME  # noqa: E402
from retrievo.index.persistence.translog import recover, replay  # noqa: E402
from server_process import ServerProcess  # noqa: E402

WRITER = Path(__file__).with_name("translog_writer.py")
KILL_POINTS = 20


# ------------------------------------------------------------------------------------------- the format


def _log_files(home: Path, engine: Engine, index: str) -> list[Path]:
    directory = home / "translog" / engine.catalog.shards[index].uuid
    return sorted(directory.glob("translog-*.tlog"), key=lambda p: int(p.stem.split("-")[1]))


def _records(path: Path, uuid: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The operations of a translog file and the offset where each record ends."""
    data = path.read_bytes()
    header = b"RTLG" + struct.pack(">IH", 1, len(uuid)) + uuid.encode()
    assert data.startswith(header)
    offset, ops, ends = len(header), [], []
    while offset < len(data):
        length, crc = struct.unpack_from(">II", data, offset)
        payload = data[offset + 8 : offset + 8 + length]
        assert zlib.crc32(payload) == crc
        ops.append(json.loads(payload))
        offset += 8 + length
        ends.append(offset)
    return ops, ends


def _manifest_entry(home: Path, name: str) -> dict[str, Any]:
    manifest = json.loads((home / MANIFEST_NAME).read_text())
    return next(e for e in manifest["indices"] if e["name"] == name)


def test_each_acknowledged_write_is_one_checksummed_record(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.index(index="w", id="d1", document={"a": 1})
    engine.index(index="w", id="d2", document={"a": 2})
    engine.update(index="w", id="d1", doc={"b": 2})
    engine.delete(index="w", id="d2")
    engine.options(ignore_status=404).delete(index="w", id="missing")  # changes nothing: no record
    engine.bulk(
        operations=[{"index": {"_index": "w", "_id": "d3"}}, {"c": 3}, {"delete": {"_index": "w", "_id": "d1"}}]
    )
    uuid = engine.catalog.shards["w"].uuid
    [log] = _log_files(home, engine, "w")
    ops, _ = _records(log, uuid)
    assert ops == [
        {"op": "index", "seq_no": 0, "id": "d1", "version": 1, "source": {"a": 1}},
        {"op": "index", "seq_no": 1, "id": "d2", "version": 1, "source": {"a": 2}},
        {"op": "index", "seq_no": 2, "id": "d1", "version": 2, "source": {"a": 1, "b": 2}},  # the update's result
        {"op": "delete", "seq_no": 3, "id": "d2", "version": 2},
        {"op": "index", "seq_no": 4, "id": "d3", "version": 1, "source": {"c": 3}},
        {"op": "delete", "seq_no": 5, "id": "d1", "version": 3},
    ]
    # No refresh happened: the saved generation is the empty index, and the log is where it starts.
    assert _manifest_entry(home, "w")["translog_generation"] == int(log.stem.split("-")[1])
    reopened = Engine(path=home)
    assert reopened.get(index="w", id="d3")["_source"] == {"c": 3}
    assert reopened.count(index="w")["count"] == 1
    missing = reopened.options(ignore_status=404)
    assert missing.get(index="w", id="d1")["found"] is False and missing.get(index="w", id="d2")["found"] is False
    assert reopened.index(index="w", id="d1", document={"again": True})["_version"] == 4  # the tombstone's version


def test_a_commit_rolls_the_log_and_deletes_what_it_holds(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.index(index="w", id="1", document={"a": 1})
    [first] = _log_files(home, engine, "w")
    engine.indices.refresh(index="w")  # publishes, and so commits, the index
    [second] = _log_files(home, engine, "w")
    generation = int(second.stem.split("-")[1])
    assert generation == int(first.stem.split("-")[1]) + 1 and not first.exists()
    assert _manifest_entry(home, "w")["translog_generation"] == generation
    assert _records(second, engine.catalog.shards["w"].uuid)[0] == []
    engine.index(index="w", id="2", document={"a": 2})
    assert [op["id"] for op in _records(second, engine.catalog.shards["w"].uuid)[0]] == ["2"]
    engine.indices.refresh(index="w")
    engine.indices.refresh(index="w")  # nothing new: no new generation, nothing rewritten
    assert len(_log_files(home, engine, "w")) == 1
    assert sorted(h["_id"] for h in Engine.load(home).search(index="w")["hits"]["hits"]) == ["1", "2"]


def _three_unrefreshed_writes(home: Path) -> tuple[Path, str, list[int]]:
    engine = Engine(path=home)
    for i in range(3):
        engine.index(index="w", id=str(i), document={"n": i})
    [log] = _log_files(home, engine, "w")
    uuid = engine.catalog.shards["w"].uuid
    return log, uuid, _records(log, uuid)[1]


def test_a_torn_last_record_is_dropped_and_truncated_away(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log, _, ends = _three_unrefreshed_writes(home)
    with open(log, "r+b") as f:
        f.truncate(ends[2] - 5)  # the crash came in the middle of the third record
    assert sorted(h["_id"] for h in Engine.load(home).search(index="w")["hits"]["hits"]) == ["0", "1"]
    assert log.stat().st_size == ends[2] - 5  # Engine.load only reads
    engine = Engine(path=home)
    assert log.stat().st_size == ends[1]  # opened for writing: cut back to the last whole record
    engine.index(index="w", id="3", document={"n": 3})  # goes to a new generation after it
    assert sorted(h["_id"] for h in Engine(path=home).search(index="w")["hits"]["hits"]) == ["0", "1", "3"]


def test_a_zero_filled_tail_is_a_torn_write(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log, _, ends = _three_unrefreshed_writes(home)
    with open(log, "ab") as f:
        f.write(bytes(100))  # the file grew but its last blocks never reached the disk
    assert Engine(path=home).count(index="w")["count"] == 3
    assert log.stat().st_size == ends[2]


def test_a_corrupt_record_before_valid_ones_is_refused_naming_the_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log, _, ends = _three_unrefreshed_writes(home)
    data = bytearray(log.read_bytes())
    start = ends[0]  # the second record
    length, crc = struct.unpack_from(">II", data, start)
    data[start + 8 + 2] ^= 0x01  # one bit of its payload flips
    bad_crc = zlib.crc32(bytes(data[start + 8 : start + 8 + length]))
    log.write_bytes(bytes(data))
    for opening in (lambda: Engine(path=home), lambda: Engine.load(home)):
        with pytest.raises(ApiError) as caught:
            opening()
        assert caught.value.meta.status == 500 and caught.value.error == "translog_corrupted_exception"
        assert error_reason(caught.value) == (
            f"translog from source [{log.resolve()}] is corrupted, checksum verification failed - expected: "
            f"0x{crc:x}, got: 0x{bad_crc:x} (at offset [{start}], with [{len(data) - start}] bytes after)"
        )
    assert log.read_bytes() == bytes(data)  # nothing was "repaired"


def test_replay_is_idempotent(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.index(index="w", id="a", document={"n": 1}, refresh=True)  # committed
    engine.index(index="w", id="b", document={"n": 2})
    engine.index(index="w", id="a", document={"n": 3})
    engine.delete(index="w", id="b")
    del engine
    states = []
    for _ in range(3):  # each opening replays the same log over the same commit
        reopened = Engine(path=home)
        store = reopened.catalog.shards["w"].store
        states.append((dict(store.versions), store.seq_no, reopened.get(index="w", id="a")["_source"]))
    assert states == [({"a": 2, "b": 2}, 3, {"n": 3})] * 3
    shard = reopened.catalog.shards["w"]
    log_dir = home / "translog" / shard.uuid
    # Everything logged since the saved generation, replayed once more: all of it is already applied.
    assert replay(shard, recover(log_dir, shard.uuid, 0).operations) == 0
    assert (dict(shard.store.versions), shard.store.seq_no) == ({"a": 2, "b": 2}, 3)


def test_mapping_and_settings_changes_are_logged_before_the_writes_that_need_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.indices.create(index="w", mappings={"dynamic": "strict", "properties": {"a": {"type": "keyword"}}})
    shard = engine.catalog.shards["w"]
    # What put-mapping / put-settings do before their flush: a crash in between must not lose them,
    # since a document acknowledged after them may need them (here: a field the strict mapping lacked).
    shard.put_mappings(shard.mappings.merge({"properties": {"k": {"type": "keyword"}}}, shard.analysis))
    shard.put_settings(dataclasses.replace(shard.settings, max_result_window=77))
    engine.index(index="w", id="1", document={"a": "x", "k": "y"})
    [log] = _log_files(home, engine, "w")
    assert [op["op"] for op in _records(log, shard.uuid)[0]] == ["mappings", "settings", "index"]
    del engine, shard
    reopened = Engine(path=home)
    assert reopened.indices.get_mapping(index="w")["w"]["mappings"]["properties"]["k"] == {"type": "keyword"}
    assert reopened.indices.get_settings(index="w")["w"]["settings"]["index"]["max_result_window"] == "77"
    assert reopened.search(index="w", query={"term": {"k": "y"}})["hits"]["total"]["value"] == 1


def test_semantic_text_replays_the_embeddings_it_logged_without_the_model(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    from tiny_models import save_tiny_bert

    model = save_tiny_bert(tmp_path / "tiny", with_head=False)
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.inference.put(
        task_type="text_embedding",
        inference_id="tiny",
        inference_config={"service": "sentence_transformers", "service_settings": {"model_id": str(model)}},
    )
    engine.indices.create(index="s", mappings={"properties": {"m": {"type": "semantic_text", "inference_id": "tiny"}}})
    engine.index(index="s", id="1", document={"m": "the quick brown fox"})
    [record], _ = _records(_log_files(home, engine, "s")[0], engine.catalog.shards["s"].uuid)
    [[start, end, vector]] = record["inference"]["m"]
    expected = engine.catalog.inference.embed_chunks("tiny", ["the quick brown fox"])[0][0]
    assert (start, end) == (expected.start, expected.end) and len(vector) == 32
    assert vector == [float(x) for x in expected.embedding]  # float32 values, exactly
    del engine
    for part in model.iterdir():  # the model can no longer load: a replay that asked it again would fail
        shutil.rmtree(part) if part.is_dir() else part.unlink()
    probe = (  # a fresh process: this one's model cache still holds the model
        "import sys, json\nfrom retrievo import Engine\n"
        "w = Engine.load(sys.argv[1]).catalog.shards['s'].semantic['m']\n"
        "print(json.dumps([w.chunk_docs, [list(o) for o in w.chunk_offsets]]))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(home)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == [[0], [[start, end]]]


def test_translog_settings_are_elasticsearch_s(tmp_path: Path) -> None:
    engine = Engine(path=tmp_path / "home")
    bad = {
        "FSYNC": "No enum constant org.elasticsearch.index.translog.Translog.Durability.FSYNC",
    }
    for value, reason in bad.items():
        with pytest.raises(ApiError) as caught:
            engine.indices.create(index="x", settings={"index.translog.durability": value})
        assert caught.value.meta.status == 400 and error_reason(caught.value) == reason
    for value, reason in {
        "50ms": "failed to parse value [50ms] for setting [index.translog.sync_interval], must be >= [100ms]",
        "5": "failed to parse setting [index.translog.sync_interval] with value [5] as a time value: "
        "unit is missing or unrecognized",
        "1.5s": "failed to parse [1.5s], fractional time values are not supported",
    }.items():
        with pytest.raises(ApiError) as caught:
            engine.indices.create(index="x", settings={"translog": {"sync_interval": value}})
        assert caught.value.meta.status == 400 and error_reason(caught.value) == reason
    assert not engine.indices.exists(index="x")
    engine.indices.create(index="x", settings={"index": {"translog": {"durability": "ASYNC"}}})
    engine.indices.put_settings(index="x", settings={"index.translog.sync_interval": "200ms"})
    expected = {"durability": "ASYNC", "sync_interval": "200ms"}
    assert engine.indices.get_settings(index="x")["x"]["settings"]["index"]["translog"] == expected
    del engine
    reopened = Engine(path=tmp_path / "home")
    assert reopened.indices.get_settings(index="x")["x"]["settings"]["index"]["translog"] == expected
    reopened.indices.put_settings(index="x", settings={"index.translog.durability": None})  # back to the default
    assert reopened.indices.get_settings(index="x")["x"]["settings"]["index"]["translog"] == {"sync_interval": "200ms"}


def _count_log_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the file each ``os.fsync`` of a translog file is for (the OS call itself still runs)."""
    synced: list[str] = []
    real = os.fsync

    def counting(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        if target.endswith(".tlog"):
            synced.append(target)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return synced


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
def test_request_durability_syncs_once_per_request_and_async_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(path=tmp_path / "home")
    engine.indices.create(index="r")
    engine.indices.create(index="a", settings={"index.translog.durability": "async", "translog.sync_interval": "300ms"})
    synced = _count_log_fsyncs(monkeypatch)
    engine.index(index="r", id="1", document={"n": 1})
    assert len(synced) == 1
    ops = [x for i in range(50) for x in ({"index": {"_index": "r", "_id": str(i)}}, {"n": i})]
    engine.bulk(operations=ops)
    assert len(synced) == 2  # one fsync for the 50 writes, before the response
    engine.index(index="a", id="1", document={"n": 1})
    engine.bulk(operations=[{"index": {"_index": "a", "_id": str(i)}} if i % 2 == 0 else {"n": i} for i in range(20)])
    assert len(synced) == 2  # async: acknowledged before any fsync
    deadline = time.monotonic() + 5
    while len(synced) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(synced) == 3 and "/translog/" + engine.catalog.shards["a"].uuid + "/" in synced[2]


# ------------------------------------------------------------------------------------------- kill -9


class Model:
    """What the acknowledged writes say each document must be: id → (version, source or None)."""

    def __init__(self) -> None:
        self.docs: dict[str, tuple[int, dict[str, Any] | None]] = {}
        self.acknowledged = 0

    def ack(self, doc_id: str, version: int, source: dict[str, Any] | None) -> None:
        self.docs[doc_id] = (version, source)
        self.acknowledged += 1

    def check(self, found: dict[str, tuple[int, dict[str, Any]]], in_flight: set[str]) -> None:
        """``found``: every live document; a write in flight when the process died may or may not be there."""
        for doc_id in sorted(set(self.docs) | set(found)):
            if doc_id in in_flight:
                if doc_id in found and doc_id in self.docs:
                    assert found[doc_id][0] >= self.docs[doc_id][0], doc_id
                continue
            version, source = self.docs.get(doc_id, (0, None))
            if source is None:
                assert doc_id not in found, f"{doc_id} was deleted (version {version}) but is back: {found[doc_id]}"
            else:
                assert found.get(doc_id) == (version, source), f"acknowledged {doc_id} v{version} {source} lost"
        for doc_id in in_flight:  # whatever the crash left is the starting point of the next run
            if doc_id in found:
                self.docs[doc_id] = found[doc_id]
            elif doc_id in self.docs:
                self.docs[doc_id] = (self.docs[doc_id][0], None)


def _engine_state(home: Path) -> dict[str, tuple[int, dict[str, Any]]]:
    engine = Engine.load(home)
    if "w" not in engine.catalog.shards:
        return {}
    docs = engine.mget(index="w", ids=[f"d{i}" for i in range(40)])["docs"]  # the writer's ids
    assert engine.count(index="w")["count"] == sum(1 for d in docs if d["found"])  # and no other document
    return {d["_id"]: (d["_version"], d["_source"]) for d in docs if d["found"]}


def test_kill_9_of_an_in_process_writer_loses_no_acknowledged_write(tmp_path: Path) -> None:
    home = tmp_path / "home"
    model, rng = Model(), random.Random(20261207)
    for run in range(KILL_POINTS):
        writer = subprocess.Popen(
            [sys.executable, str(WRITER), str(home), str(run)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n", writer.stderr.read() if writer.stderr else ""
        time.sleep(rng.uniform(0.05, 0.6))
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
        output = writer.stdout.read()
        writer.stdout.close()
        assert writer.stderr is not None
        errors = writer.stderr.read()
        writer.stderr.close()
        assert "Traceback" not in errors, errors
        in_flight: set[str] = set()
        for line in output.split("\n")[:-1]:  # only whole lines: a cut one was never acknowledged
            kind, _, rest = line.partition(" ")
            if kind == "intent":
                in_flight = set(rest.split())
            elif kind == "ack":
                item = json.loads(rest)
                model.ack(item["id"], item["version"], item["source"])
        model.check(_engine_state(home), in_flight)
    assert model.acknowledged >= 20 * KILL_POINTS  # the kills landed among real work


_IDS = [f"d{i}" for i in range(40)]


def _server_state(server: ServerProcess) -> dict[str, tuple[int, dict[str, Any]]]:
    status, _, payload = server.request("POST", "/_mget", {"docs": [{"_index": "w", "_id": i} for i in _IDS]})
    assert status == 200, payload
    return {d["_id"]: (d["_version"], d["_source"]) for d in json.loads(payload)["docs"] if d.get("found")}


def _write_until_killed(server: ServerProcess, model: Model, rng: random.Random, delay: float) -> set[str]:
    """Send writes until the server dies (killed after ``delay`` s); the ids of the request in flight."""
    killer = threading.Timer(delay, server.process.kill)
    killer.start()
    try:
        while True:
            chosen = [rng.choice(_IDS) for _ in range(rng.randint(1, 10))]
            try:
                if len(chosen) == 1:
                    source: dict[str, Any] = {"n": rng.randint(0, 10**6)}
                    status, _, payload = server.request("PUT", f"/w/_doc/{chosen[0]}", source)
                    if status in (200, 201):
                        model.ack(chosen[0], json.loads(payload)["_version"], source)
                    continue
                lines: list[dict[str, Any]] = []
                sources: list[dict[str, Any] | None] = []
                for doc_id in chosen:
                    if rng.random() < 0.25:
                        lines.append({"delete": {"_index": "w", "_id": doc_id}})
                        sources.append(None)
                    else:
                        source = {"n": rng.randint(0, 10**6)}
                        lines += [{"index": {"_index": "w", "_id": doc_id}}, source]
                        sources.append(source)
                body = "".join(json.dumps(line) + "\n" for line in lines)
                headers = {"Content-Type": "application/x-ndjson"}
                status, _, payload = server.request("POST", "/_bulk", body, headers)
                if status == 200:
                    for item, doc_id, sent in zip(json.loads(payload)["items"], chosen, sources):
                        result = next(iter(item.values()))
                        if result.get("result") in ("created", "updated", "deleted"):
                            model.ack(doc_id, result["_version"], sent)
            except (OSError, http.client.HTTPException):
                return set(chosen)
    finally:
        killer.cancel()


def test_kill_9_of_the_server_loses_no_acknowledged_write(tmp_path: Path) -> None:
    home = tmp_path / "home"
    model, rng = Model(), random.Random(7)
    server = ServerProcess("--data", str(home))
    try:
        for _ in range(KILL_POINTS):
            in_flight = _write_until_killed(server, model, rng, rng.uniform(0.05, 0.6))
            server.process.wait(30)
            server.stop()
            server = ServerProcess("--data", str(home))  # recovers: the saved indices, then the translog
            model.check(_server_state(server), in_flight)
    finally:
        server.stop()
    assert model.acknowledged >= 10 * KILL_POINTS
