"""The document store's compact columns (issue 18, item 4): ``_source`` kept as bytes (its pickle),
per-document numbers in ``array`` buffers, the ``_id`` → version map as a view over them.

Elasticsearch returns ``_source`` as it was sent; retrievo returns the parsed value written back, so what
must survive the store is every distinction JSON text carries: key order, ``1.0`` apart from ``1``,
``-0.0``, integers beyond 64 bits, every string (and the types of values that did not come from JSON).
The expectations are the documents themselves, compared as JSON text (``json.dumps`` tells ``1.0`` from
``1`` and sees key order; ``==`` does neither).
"""

from __future__ import annotations

import datetime
import gc
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.index.store import (
    COMPRESS_FROM,
    DocumentStore,
    SourceColumn,
    decode_source,
    encode_source,
)

EXACT: dict[str, Any] = {
    "z": 1.0,
    "a": 1,
    "negative_zero": -0.0,
    "big": 2**64 + 1,
    "huge_negative": -(10**30),
    "large": 1e300,
    "smallest": 5e-324,
    "third": 1 / 3,
    "unicode": "héllo 世界 🎉",
    "escapes": 'q"\\\n\t\u0000\u001f\u2028',
    "nested": [[1, [2.5, []]], {}, {"k": None, "b": [True, False]}],
    "t": True,
    "n": None,
    "obj": {"y": 2, "x": {"w": [1.5e-7, 10.0, -1]}},
}


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _engine() -> Engine:
    es = Engine()
    es.indices.create(index="docs", mappings={"dynamic": False, "properties": {"tag": {"type": "keyword"}}})
    return es


def test_sources_come_back_exactly_through_get_search_and_mget() -> None:
    es = _engine()
    es.index(index="docs", id="1", document=EXACT, refresh=True)
    assert _text(es.get(index="docs", id="1")["_source"]) == _text(EXACT)
    hit = es.search(index="docs", query={"ids": {"values": ["1"]}})["hits"]["hits"][0]
    assert _text(hit["_source"]) == _text(EXACT)
    assert _text(es.mget(index="docs", ids=["1"])["docs"][0]["_source"]) == _text(EXACT)


def test_a_partial_update_keeps_key_order_and_number_forms() -> None:
    es = _engine()
    es.index(index="docs", id="1", document={"b": 1.0, "a": [1, 2.0], "c": {"y": 1, "x": 2}})
    es.update(index="docs", id="1", doc={"c": {"x": 3.0, "w": 0}, "d": 10**20}, refresh=True)
    expected = {"b": 1.0, "a": [1, 2.0], "c": {"y": 1, "x": 3.0, "w": 0}, "d": 10**20}
    assert _text(es.get(index="docs", id="1")["_source"]) == _text(expected)


def test_a_large_source_is_compressed_and_still_exact() -> None:
    vector = [round(0.001 * i - 0.2, 6) for i in range(400)]
    doc = {"tag": "v", "text": "lorem ipsum " * 300, "vector": vector, "one": 1.0}
    entry = encode_source(doc)
    plain = pickle.dumps(doc, protocol=5)
    assert isinstance(entry, bytes) and len(plain) >= COMPRESS_FROM
    assert entry[0] != 0x80 and len(entry) < 0.75 * len(plain)  # zlib: the repeated text packs well
    assert _text(decode_source(entry)) == _text(doc)
    es = _engine()
    es.index(index="docs", id="big", document=doc, refresh=True)
    assert _text(es.get(index="docs", id="big")["_source"]) == _text(doc)
    assert _text(es.search(index="docs", query={"term": {"tag": "v"}})["hits"]["hits"][0]["_source"]) == _text(doc)


def test_a_small_source_is_stored_uncompressed_and_a_vector_stays_binary() -> None:
    small = encode_source({"a": [1, 2.0], "b": "é"})
    assert isinstance(small, bytes) and small[0] == 0x80 and len(small) < 64
    vector = {"v": [i / 7 for i in range(384)]}
    entry = encode_source(vector)
    assert isinstance(entry, bytes) and entry[0] == 0x80  # binary floats: zlib would not save a quarter
    assert len(entry) < 9 * 384 + 64 and decode_source(entry) == vector


def test_lone_surrogates_and_non_finite_floats_round_trip() -> None:
    doc = {"s": "\ud800x\udfff", "nan": float("nan"), "inf": float("inf"), "minus": float("-inf")}
    entry = encode_source(doc)
    assert isinstance(entry, bytes)
    back = decode_source(entry)
    assert back["s"] == "\ud800x\udfff" and back["inf"] == float("inf") and back["minus"] == float("-inf")
    assert back["nan"] != back["nan"] and list(back) == list(doc)


@pytest.mark.parametrize(
    "source",
    [
        {"t": (1, 2)},  # JSON would have made a list of it
        {"k": {1: "one"}},  # ... and a string of the key
        {"when": datetime.date(2024, 1, 2)},  # ... and has no form for it
    ],
)
def test_values_other_than_json_keep_their_types(source: dict[str, Any]) -> None:
    store = DocumentStore()
    store.append("1", source)
    first = store.sources[0]
    assert first == source and type(next(iter(first.values()))) is type(next(iter(source.values())))
    assert first is not source and store.sources[0] is not first  # a copy on the way in and each read


def test_a_source_without_a_pickle_is_kept_as_a_copy_of_its_objects() -> None:
    class Local:  # a local class has no pickle
        def __init__(self, n: int) -> None:
            self.n = n

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Local) and other.n == self.n

    source = {"obj": Local(3), "list": [1]}
    store = DocumentStore()
    store.append("1", source)
    assert type(store.sources.entry(0)).__name__ == "_Kept"
    first = store.sources[0]
    assert first == source and first is not source and first["list"] is not source["list"]
    first["list"].append(2)
    assert store.sources[0] == {"obj": Local(3), "list": [1]}


def test_objects_shared_inside_a_source_come_back_separate() -> None:
    shared = [1, 2]
    store = DocumentStore()
    store.append("1", {"a": shared, "b": shared})
    back = store.sources[0]
    assert back == {"a": [1, 2], "b": [1, 2]} and back["a"] is not back["b"]


def test_each_read_is_a_fresh_dict_callers_may_change() -> None:
    es = _engine()
    es.index(index="docs", id="1", document={"tag": "a", "list": [1, 2], "obj": {"k": "v"}}, refresh=True)
    shard = es.catalog.shards["docs"]
    searcher = shard.searcher()
    doc = searcher.by_id["1"]
    first = searcher.source(doc)
    first["list"].append(3)
    first["obj"]["k"] = "changed"
    first["new"] = True
    found = shard.store.get("1")
    assert found is not None
    found[1]["tag"] = "b"
    assert searcher.source(doc) == {"tag": "a", "list": [1, 2], "obj": {"k": "v"}}
    assert es.get(index="docs", id="1")["_source"] == {"tag": "a", "list": [1, 2], "obj": {"k": "v"}}


def test_the_store_keeps_bytes_and_machine_int_columns() -> None:
    es = _engine()
    for i in range(3):
        es.index(index="docs", id=str(i), document={"tag": f"t{i}", "n": i})
    es.delete(index="docs", id="1")
    store = es.catalog.shards["docs"].store
    assert [type(e).__name__ for e in (store.sources.entry(i) for i in range(3))] == ["bytes", "NoneType", "bytes"]
    assert store.doc_seq_nos.typecode == "q" and list(store.doc_seq_nos) == [0, 1, 2]
    assert store.doc_versions.typecode == "q" and list(store.doc_versions) == [1, 1, 1]
    assert bytes(store.live_list) == b"\x01\x00\x01"
    assert store.live_mask().tolist() == [True, False, True]
    assert store.tombstones == {"1": 2}  # only the deleted id's version is stored on its own


def test_versions_by_id_follow_writes_deletes_and_recreation() -> None:
    es = _engine()
    assert es.index(index="docs", id="a", document={"tag": "x"})["_version"] == 1
    assert es.index(index="docs", id="a", document={"tag": "y"})["_version"] == 2
    assert es.delete(index="docs", id="a")["_version"] == 3
    store = es.catalog.shards["docs"].store
    assert dict(store.versions) == {"a": 3} and "a" in store.versions and "a" not in store.by_id
    assert es.index(index="docs", id="a", document={"tag": "z"})["_version"] == 4
    es.index(index="docs", id="e", document={"tag": "e"}, version=42, version_type="external")
    assert dict(store.versions) == {"a": 4, "e": 42} and store.tombstones == {}
    assert store.versions == {"e": 42, "a": 4} and len(store.versions) == 2
    assert store.versions.get("missing") is None and "missing" not in store.versions
    with pytest.raises(KeyError):
        store.versions["missing"]
    assert es.get(index="docs", id="a")["_version"] == 4


def test_a_published_searcher_keeps_compressed_and_plain_sources_dropped_later() -> None:
    es = _engine()
    large = {"tag": "big", "text": "alpha beta " * 400}
    es.index(index="docs", id="small", document={"tag": "small"})
    es.index(index="docs", id="large", document=large, refresh=True)
    shard = es.catalog.shards["docs"]
    searcher = shard.refresh()
    small_doc, large_doc = searcher.by_id["small"], searcher.by_id["large"]
    es.delete(index="docs", id="small")
    es.index(index="docs", id="large", document={"tag": "replaced"}, refresh=True)
    assert shard.store.sources[small_doc] is None and shard.store.sources[large_doc] is None
    assert searcher.source(small_doc) == {"tag": "small"}
    assert _text(searcher.source(large_doc)) == _text(large)
    del searcher
    gc.collect()


def test_a_loaded_store_reads_sources_from_its_files_and_retires_unread_ones(tmp_path: Path) -> None:
    es = _engine()
    for i in range(5):
        es.index(index="docs", id=str(i), document={"tag": f"t{i}", "f": float(i), "k": [i]})
    es.indices.refresh(index="docs")
    es.save(tmp_path / "saved")
    loaded = Engine.load(tmp_path / "saved")
    shard = loaded.catalog.shards["docs"]
    searcher = shard.searcher()
    doc = searcher.by_id["3"]
    loaded.delete(index="docs", id="3")  # never read since the load
    loaded.index(index="docs", id="4", document={"tag": "new"}, refresh=True)
    assert _text(searcher.source(doc)) == _text({"tag": "t3", "f": 3.0, "k": [3]})
    assert not loaded.exists(index="docs", id="3")
    assert _text(loaded.get(index="docs", id="2")["_source"]) == _text({"tag": "t2", "f": 2.0, "k": [2]})
    assert loaded.get(index="docs", id="4")["_source"] == {"tag": "new"}
    assert dict(shard.store.versions) == {"0": 1, "1": 1, "2": 1, "3": 2, "4": 2}
    assert list(shard.store.sources) == [
        {"tag": "t0", "f": 0.0, "k": [0]},
        {"tag": "t1", "f": 1.0, "k": [1]},
        {"tag": "t2", "f": 2.0, "k": [2]},
        None,
        None,
        {"tag": "new"},
    ]
    loaded.save(tmp_path / "again")
    again = Engine.load(tmp_path / "again")
    assert dict(again.catalog.shards["docs"].store.versions) == dict(shard.store.versions)
    assert _text(again.get(index="docs", id="1")["_source"]) == _text({"tag": "t1", "f": 1.0, "k": [1]})


def test_a_source_column_acts_as_a_sequence() -> None:
    column = SourceColumn([{"a": 1}, None, {"b": [2.0]}])
    assert len(column) == 3 and column[-1] == {"b": [2.0]} and column[0:2] == [{"a": 1}, None]
    assert list(column) == [{"a": 1}, None, {"b": [2.0]}] and column == [{"a": 1}, None, {"b": [2.0]}]
    column[0] = None
    column.append({"c": "d"})
    assert list(column) == [None, None, {"b": [2.0]}, {"c": "d"}]


def test_a_searchers_ids_stay_those_of_its_refresh_without_a_copy() -> None:
    es = _engine()
    for doc_id in ("a", "b", "c"):
        es.index(index="docs", id=doc_id, document={"tag": doc_id})
    shard = es.catalog.shards["docs"]
    old = shard.refresh()
    assert dict(old.by_id) == {"a": 0, "b": 1, "c": 2} and len(old.by_id) == 3
    es.index(index="docs", id="a", document={"tag": "a2"})  # a → 3
    es.index(index="docs", id="a", document={"tag": "a3"})  # a → 4 (a's first drop since: 0)
    es.delete(index="docs", id="b")
    es.index(index="docs", id="d", document={"tag": "d"})  # 5, not in the old snapshot
    es.delete(index="docs", id="d")
    middle = shard.refresh()
    es.index(index="docs", id="c", document={"tag": "c2"})  # c → 6, dropped after both refreshes
    es.index(index="docs", id="b", document={"tag": "b2"})  # b → 7, back
    new = shard.refresh()
    assert [old.by_id.get(i) for i in "abcde"] == [0, 1, 2, None, None]
    assert [middle.by_id.get(i) for i in "abcde"] == [4, None, 2, None, None]
    assert [new.by_id.get(i) for i in "abcde"] == [4, 7, 6, None, None]
    assert old.by_id["a"] == 0 and "b" in old.by_id and "d" not in old.by_id and "d" not in middle.by_id
    with pytest.raises(KeyError):
        middle.by_id["b"]
    assert sorted(old.by_id) == ["a", "b", "c"] and sorted(middle.by_id) == ["a", "c"] and len(new.by_id) == 3
    assert old.source(old.by_id["a"]) == {"tag": "a"} and middle.source(middle.by_id["c"]) == {"tag": "c"}
    # what a search on each snapshot answers for the ids query
    assert sorted(
        es.search(index="docs", query={"ids": {"values": ["a", "b", "d"]}})["hits"]["hits"][i]["_id"] for i in range(2)
    ) == ["a", "b"]
