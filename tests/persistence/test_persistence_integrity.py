"""Damaged, foreign, too-new and half-written data directories: each is reported with an
Elasticsearch-shaped error naming the file and the problem, never loaded, never a traceback; a save
that fails (or a process that dies) half way leaves the previous save loadable."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from persistence_corpus import outcome
from retrievo import ApiError, Engine
from retrievo.errors import error_reason
from retrievo.index.persistence import FORMAT_VERSION, MANIFEST_NAME, directory, files
from retrievo.index.persistence.files import canonical_digest

BODY = {"query": {"match": {"t": "fox"}}}


def _engine(n: int = 40) -> Engine:
    engine = Engine()
    engine.indices.create(
        index="i",
        mappings={
            "properties": {"t": {"type": "text"}, "n": {"type": "long"}, "v": {"type": "dense_vector", "dims": 3}}
        },
    )
    words = ["quick brown fox", "lazy dog", "fox and dog", "brown bread"]
    engine.bulk(
        operations=[
            op
            for k in range(n)
            for op in (
                {"index": {"_index": "i", "_id": str(k)}},
                {"t": words[k % 4] + f" w{k}", "n": k, "v": [k, 1, -k]},
            )
        ],
        refresh=True,
    )
    return engine


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Engine, Path]:
    engine = _engine()
    engine.save(tmp_path / "saved")
    return engine, tmp_path / "saved"


def _error(call) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    err = info.value
    assert err.body["status"] == err.status_code and err.body["error"]["root_cause"]
    return err


def _index_file(path: Path, rel: str) -> Path:
    entry = json.loads((path / MANIFEST_NAME).read_text())["indices"][0]
    return path / entry["dir"] / rel


def _rewrite_manifest(path: Path, change) -> None:
    body = json.loads((path / MANIFEST_NAME).read_text())
    change(body)
    (path / MANIFEST_NAME).write_text(json.dumps(body))


@pytest.mark.parametrize(
    "rel", ["shard.json", "docs.sources.0000000000-0000000040.jsonl", "field-0.postings.pack", "field-2.tail.rows.pack"]
)
def test_a_truncated_file_is_reported_not_loaded(saved: tuple[Engine, Path], rel: str) -> None:
    _, path = saved
    victim = _index_file(path, rel)
    size = victim.stat().st_size
    os.truncate(victim, size // 2)
    err = _error(lambda: Engine.load(path))
    assert err.status_code == 500 and err.error == "corrupt_index_exception"
    assert error_reason(err) == f"file truncated: expected [{size}] bytes, found [{size // 2}] (resource=[{victim}])"
    # Opening it as an engine's home fails the same way; nothing is created over it.
    assert error_reason(_error(lambda: Engine(path=path))) == error_reason(err)


def test_a_changed_byte_fails_the_checksum(saved: tuple[Engine, Path]) -> None:
    _, path = saved
    victim = _index_file(path, "field-0.postings.pack")
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0x01
    victim.write_bytes(bytes(data))
    err = _error(lambda: Engine.load(path))
    assert err.error == "corrupt_index_exception"
    assert error_reason(err).startswith("checksum failed (hardware problem?) : expected=[sha256:")
    assert error_reason(err).endswith(f"(resource=[{victim}])")


def test_a_missing_file_is_named(saved: tuple[Engine, Path]) -> None:
    _, path = saved
    victim = _index_file(path, "docs.live.npy")
    victim.unlink()
    err = _error(lambda: Engine.load(path))
    assert error_reason(err) == f"file listed in the manifest is missing (resource=[{victim}])"


def _forge_shard_json(path: Path, change) -> Path:
    """Edit shard.json and re-sign it in the manifest, as a buggy or malicious writer could."""
    shard_json = _index_file(path, "shard.json")
    body = json.loads(shard_json.read_text())
    change(body)
    shard_json.unlink()
    shard_json.write_text(json.dumps(body))

    def sign(manifest: dict) -> None:
        record = manifest["indices"][0]["files"]["shard.json"]
        record["sha256"] = files._digest_file(shard_json)
        record["bytes"] = shard_json.stat().st_size
        manifest.pop("checksum")
        manifest["checksum"] = canonical_digest(manifest)

    _rewrite_manifest(path, sign)
    return shard_json


def test_content_of_the_wrong_shape_is_refused_even_with_matching_checksums(saved: tuple[Engine, Path]) -> None:
    _, path = saved

    def retype(body: dict) -> None:
        body["fields"]["inverted"][0]["facts"]["snapshot"]["layout"]["offsets"]["dtype"] = "<i4"

    _forge_shard_json(path, retype)
    err = _error(lambda: Engine.load(path))
    assert error_reason(err) == (
        f"expected a 1-d array [offsets] of [int64] (resource=[{_index_file(path, 'field-0.postings.pack')}])"
    )

    def outside(body: dict) -> None:
        body["fields"]["inverted"][0]["facts"]["snapshot"]["layout"]["offsets"]["offset"] = 1 << 40

    _forge_shard_json(path, outside)
    err = _error(lambda: Engine.load(path))
    assert "unexpected pack layout: array [offsets] does not fit the file" in error_reason(err)

    def nonsense(body: dict) -> None:
        body["store"]["segments"] = [[0, 5, 0]]

    shard_json = _forge_shard_json(path, nonsense)
    err = _error(lambda: Engine.load(path))
    assert error_reason(err) == f"document segments do not cover [0, 40) (resource=[{shard_json}])"


def test_manifest_problems(saved: tuple[Engine, Path]) -> None:
    _, path = saved
    manifest = path / MANIFEST_NAME
    original = manifest.read_bytes()

    manifest.write_bytes(original[: len(original) // 3])
    err = _error(lambda: Engine.load(path))
    assert (
        err.error == "corrupt_index_exception"
        and str(manifest) in error_reason(err)
        and "not valid JSON" in error_reason(err)
    )

    manifest.write_bytes(original.replace(b'"generation":', b'"generation":1'))
    err = _error(lambda: Engine.load(path))
    assert error_reason(err).startswith("checksum failed") and str(manifest) in error_reason(err)

    manifest.write_bytes(
        original.replace(
            f'"format_version":{FORMAT_VERSION}'.encode(), f'"format_version":{FORMAT_VERSION + 1}'.encode()
        )
    )
    err = _error(lambda: Engine.load(path))
    assert err.status_code == 500 and err.error == "index_format_too_new_exception"
    assert error_reason(err).startswith(
        f"Format version is not supported (resource [{manifest}]): {FORMAT_VERSION + 1} "
        f"(needs to be between 1 and {FORMAT_VERSION})"
    )

    manifest.write_text(json.dumps({"name": "some other tool's manifest"}))
    err = _error(lambda: Engine.load(path))
    assert err.status_code == 400 and err.error == "illegal_argument_exception"
    assert error_reason(err).startswith(f"[{path.resolve()}] is not a retrievo data directory")


def test_a_manifest_cannot_point_outside_its_directory(saved: tuple[Engine, Path]) -> None:
    _, path = saved

    def escape(body: dict) -> None:
        entry = body["indices"][0]
        entry["files"] = {"../../../etc/passwd": next(iter(entry["files"].values()))}
        body.pop("checksum")
        body["checksum"] = canonical_digest(body)

    _rewrite_manifest(path, escape)
    err = _error(lambda: Engine.load(path))
    assert err.error == "corrupt_index_exception" and "leaves its directory" in error_reason(err)


def test_paths_that_hold_no_saved_engine(tmp_path: Path) -> None:
    err = _error(lambda: Engine.load(tmp_path / "nothing"))
    assert err.status_code == 404 and err.error == "resource_not_found_exception"
    assert error_reason(err) == f"no saved engine at [{(tmp_path / 'nothing').resolve()}]"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    err = _error(lambda: Engine(path=foreign))
    assert err.status_code == 400 and "it is not empty (it holds [notes.txt])" in error_reason(err)
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    err = _error(lambda: Engine().save(foreign / "notes.txt"))
    assert err.status_code == 400 and error_reason(err).endswith("is not a retrievo data directory: it is a file")


def test_nothing_is_pickled(saved: tuple[Engine, Path]) -> None:
    _, path = saved
    for file in path.rglob("*"):
        if not file.is_file():
            continue
        head = file.read_bytes()[:2]
        assert head[:1] != b"\x80", f"{file} looks like a pickle"
        if file.suffix == ".npy":
            assert np.load(file, allow_pickle=False).dtype != object


# ------------------------------------------------------------------ failures while saving


def _fail_after(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Make the file writer run out of disk after ``count`` files."""
    real = files.GenerationWriter._write
    written = {"n": 0}

    def failing(self, rel, key, body):
        if written["n"] >= count:
            raise OSError(errno.ENOSPC, "No space left on device")
        written["n"] += 1
        return real(self, rel, key, body)

    monkeypatch.setattr(files.GenerationWriter, "_write", failing)


@pytest.mark.parametrize("after", [0, 3, 8])
def test_a_failed_save_leaves_the_previous_save_loadable(
    saved: tuple[Engine, Path], after: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = saved
    expected = outcome(Engine.load(path).search(index="i", body=BODY))
    engine.index(index="i", id="extra", document={"t": "another fox"}, refresh=True)
    with monkeypatch.context() as patch:
        _fail_after(patch, after)
        err = _error(lambda: engine.save(path))
    assert err.status_code == 500 and err.error == "io_exception" and "No space left on device" in error_reason(err)
    assert outcome(Engine.load(path).search(index="i", body=BODY)) == expected
    assert len(list((path / "indices").glob("*/*"))) == 1  # the half-written generation is gone
    engine.save(path)  # and the next save succeeds
    assert Engine.load(path).exists(index="i", id="extra")


def test_a_failed_manifest_swap_leaves_the_previous_save_loadable(
    saved: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = saved
    engine.delete(index="i", id="0", refresh=True)
    with monkeypatch.context() as patch:

        def no_replace(src, dst):
            raise OSError(errno.EIO, "Input/output error")

        patch.setattr(directory.os, "replace", no_replace)
        err = _error(lambda: engine.save(path))
    assert err.error == "io_exception" and str(path / MANIFEST_NAME) in error_reason(err)
    assert Engine.load(path).exists(index="i", id="0")
    assert not list(path.glob(".retrievo-manifest.*"))


def test_a_process_killed_mid_save_leaves_the_previous_state(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.index(index="k", id="1", document={"t": "survivor"}, refresh=True)
    del engine
    child = """
import os, sys
from retrievo import Engine
from retrievo.index.persistence import files
real, seen = files.GenerationWriter._write, []
def dying(self, rel, key, body):
    if len(seen) == 4:
        os._exit(3)             # no cleanup, no exception handling: as if the power went
    seen.append(rel)
    return real(self, rel, key, body)
files.GenerationWriter._write = dying
engine = Engine(path=sys.argv[1])
engine.index(index="k", id="2", document={"t": "logged"}, refresh=True)
"""
    done = subprocess.run([sys.executable, "-c", child, str(home)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr[-2000:]
    assert len(list((home / "indices").glob("*/*"))) == 2  # a half-written generation was left
    reopened = Engine(path=home)
    # The previous generation loads; "2" was in the translog before the refresh that died (written
    # ahead, as Elasticsearch's translog holds an operation before its commit), so it is replayed.
    assert [h["_id"] for h in reopened.search(index="k", query={"match_all": {}})["hits"]["hits"]] == ["1", "2"]
    reopened.index(index="k", id="3", document={"t": "after"}, refresh=True)
    assert len(list((home / "indices").glob("*/*"))) == 1  # the garbage was collected
    assert Engine.load(home).count(index="k")["count"] == 3


def test_two_engines_on_one_directory_are_caught(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = Engine(path=home)
    second = Engine(path=home)
    second.index(index="a", id="1", document={"t": "x"}, refresh=True)
    err = _error(lambda: first.index(index="b", id="1", document={"t": "y"}, refresh=True))
    assert err.error == "illegal_state_exception"
    assert error_reason(err).startswith(f"[{home.resolve()}] was changed by another engine since this one opened it")
    assert Engine.load(home).indices.exists(index="a")


def test_a_directory_left_by_a_crash_before_the_first_manifest_can_be_opened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "indices" / "abc" / "00000001").mkdir(parents=True)
    engine = Engine(path=home)
    engine.index(index="z", id="1", document={"t": "x"}, refresh=True)
    assert not (home / "indices" / "abc").exists()
    shutil.rmtree(home)
