"""The document segment log: new documents cost a small new segment, blocks stay few-segmented,
mostly-deleted segments are compacted — and after any sequence of writes, refreshes and reopenings
the directory holds exactly what the engine holds."""

from __future__ import annotations

import numpy as np
import pytest

from persistence_corpus import outcome
from retrievo import Engine
from retrievo.index.persistence import store_codec
from retrievo.index.persistence.store_codec import plan_segments


def _simulate(batches: list[int], block: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list, int]:
    """Commit ``batches`` of new docs one after another; returns the final segments and the
    number of documents encoded in total."""
    monkeypatch.setattr(store_codec, "BLOCK_DOCS", block)
    segments: list[tuple[int, int, int]] = []
    encoded = max_doc = 0
    for added in batches:
        max_doc += added
        plan = plan_segments(segments, max_doc, np.zeros(max_doc, dtype=bool))
        encoded += sum(e - s for s, e, rewrite in plan if rewrite)
        segments = [(s, e, 0) for s, e, _ in plan]
    return segments, encoded


def test_one_document_per_commit_stays_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    segments, encoded = _simulate([1] * 3000, 1024, monkeypatch)
    assert segments[0] == (0, 1024, 0) and segments[1] == (1024, 2048, 0)  # complete blocks: one segment
    assert len(segments) <= 2 + 11  # the open block: O(log n)
    assert [s for s, _, _ in segments] == [0] + [e for _, e, _ in segments[:-1]] and segments[-1][1] == 3000
    assert encoded < 3000 * 14  # each document rewritten O(log block) times, not O(n)


def test_large_batches_are_cut_at_block_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    segments, encoded = _simulate([2500], 1024, monkeypatch)
    assert segments == [(0, 1024, 0), (1024, 2048, 0), (2048, 2500, 0)] and encoded == 2500


def test_mostly_deleted_segments_are_rewritten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_codec, "BLOCK_DOCS", 8)
    dead = np.zeros(24, dtype=bool)
    previous = [(0, 8, 0), (8, 16, 0), (16, 24, 0)]
    dead[8:13] = True  # 5 of 8 deleted in the second segment
    dead[16:18] = True  # 2 of 8 in the third: kept as is
    assert plan_segments(previous, 24, dead) == [(0, 8, False), (8, 16, True), (16, 24, False)]
    assert plan_segments([(0, 8, 0), (8, 16, 5), (16, 24, 0)], 24, dead)[1] == (8, 16, False)


def test_random_writes_and_reopenings_match_the_engine(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small blocks, so that merging, compaction and lazy decoding all happen on a small corpus."""
    monkeypatch.setattr(store_codec, "BLOCK_DOCS", 8)
    rng = np.random.default_rng(11)
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.indices.create(
        index="r",
        mappings={
            "properties": {"t": {"type": "text"}, "n": {"type": "long"}, "v": {"type": "dense_vector", "dims": 2}}
        },
    )
    words = ["red", "green", "blue", "fox", "dog"]
    for step in range(160):
        doc_id = str(int(rng.integers(0, 60)))
        roll = rng.random()
        if roll < 0.65:
            doc = {"t": " ".join(rng.choice(words, size=int(rng.integers(1, 5)))), "n": int(rng.integers(0, 9))}
            if rng.random() < 0.5:
                doc["v"] = rng.normal(size=2).tolist()
            engine.index(index="r", id=doc_id, document=doc, refresh=bool(rng.random() < 0.5))
        elif roll < 0.85 and engine.exists(index="r", id=doc_id):
            engine.delete(index="r", id=doc_id, refresh=bool(rng.random() < 0.5))
        else:
            engine.indices.refresh(index="r")
        if step % 40 == 39:  # reopen: the persisted state is the refreshed one
            engine.indices.refresh(index="r")
            reopened = Engine(path=home)
            for body in (
                {"query": {"match": {"t": "red fox"}}, "size": 100},
                {"query": {"range": {"n": {"gte": 4}}}, "size": 100},
                {"knn": {"field": "v", "query_vector": [1, 0], "k": 10, "num_candidates": 50}},
            ):
                assert outcome(reopened.search(index="r", body=body)) == outcome(engine.search(index="r", body=body))
            ours, theirs = engine.catalog.shards["r"].store, reopened.catalog.shards["r"].store
            assert theirs.ids == ours.ids and theirs.versions == ours.versions and theirs.by_id == ours.by_id
            assert list(theirs.sources) == list(ours.sources)
            del reopened
            engine = Engine(path=home)  # carry on from the reopened directory
