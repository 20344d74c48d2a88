"""The store's compact ``_id`` columns (issue 18 item 4): :class:`IdColumn` (internal doc → ``_id``) and
:class:`IdTable` (``_id`` → internal doc) answer exactly as the list and ``dict`` they replace, checked
against a plain ``dict`` driven by the same random writes."""

from __future__ import annotations

import random
import threading

import pytest

import retrievo.index.store as store_module
from retrievo import Engine
from retrievo.index.store import IdColumn, IdTable

#: ids a dict tells apart and a careless byte comparison might not: a prefix of another, the empty id,
#: non-ASCII text, a lone surrogate (what JSON's ``\ud800`` escape gives).
_SPECIAL = ["", "a", "ab", "é", "e\u0301", "\ud800", "\ud800x", "日本", "1", "01", "1.0"]


@pytest.mark.parametrize("young", [1, 3, 64, store_module.YOUNG_IDS])
def test_random_writes_answer_like_a_dict(monkeypatch: pytest.MonkeyPatch, young: int) -> None:
    monkeypatch.setattr(store_module, "YOUNG_IDS", young)
    rng = random.Random(young)
    keys = [str(rng.randrange(2000)) for _ in range(3000)] + _SPECIAL
    column, ids, ref = IdColumn(), [], {}
    table = IdTable(column)
    for step in range(20_000):
        key = rng.choice(keys)
        if rng.random() < 0.3 and key in ref:
            del ref[key]
            del table[key]
            continue
        column.append(key)
        ids.append(key)
        doc = len(ids) - 1
        if key in ref or rng.random() < 0.5:
            table[key] = doc
        else:
            table.add(key, doc)  # the caller looked the key up and found it absent
        ref[key] = doc
        if step % 2500 == 0:
            assert len(table) == len(ref) and dict(table) == ref
    assert column == ids and len(column) == len(ids) and column[-1] == ids[-1] and column[3:9] == ids[3:9]
    for key in keys:
        assert table.get(key) == ref.get(key) and (key in table) == (key in ref)
    assert list(table) == sorted(ref, key=ref.__getitem__)  # internal doc order
    assert dict(IdTable.of(column, ref)) == ref
    with pytest.raises(KeyError):
        del table["never written"]
    with pytest.raises(IndexError):
        column[len(ids)]


def test_keys_of_other_types_are_not_found() -> None:
    column = IdColumn(["1", "None"])
    table = IdTable.of(column, {"1": 0, "None": 1})
    assert 1 not in table and None not in table and b"1" not in table and table.get(1.0) is None
    assert table["1"] == 0 and table["None"] == 1


def test_readers_find_every_id_that_stays_while_the_writer_moves_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """Searchers read without the shard's lock: an id present throughout a lookup is always found."""
    monkeypatch.setattr(store_module, "YOUNG_IDS", 16)  # many moves to the compact part, many rebuilds
    column = IdColumn()
    table = IdTable(column)
    stable = [f"stable-{i}" for i in range(200)]
    for i, key in enumerate(stable):
        column.append(key)
        table.add(key, i)
    stop = threading.Event()
    misses: list[str] = []

    def read() -> None:
        while not stop.is_set():
            for i, key in enumerate(stable):
                if table.get(key) != i:
                    misses.append(key)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for r in readers:
        r.start()
    try:
        for n in range(20_000):
            key = f"churn-{n % 500}"
            if key in table and n % 3 == 0:
                del table[key]
            else:
                column.append(key)
                table[key] = len(column) - 1
    finally:
        stop.set()
        for r in readers:
            r.join()
    assert misses == []


def test_the_engine_keeps_ids_compact_and_answers_by_id() -> None:
    es = Engine()
    es.indices.create(index="d")
    ops: list[dict] = []
    for i in range(3000):
        ops += [{"index": {"_index": "d", "_id": f"id-{i}"}}, {"n": i}]
    assert not es.bulk(operations=ops, refresh=True)["errors"]
    es.index(index="d", id="id-5", document={"n": -5}, refresh=True)  # re-indexed: a new internal doc
    es.delete(index="d", id="id-7", refresh=True)
    store = es.catalog.shards["d"].store
    assert isinstance(store.ids, IdColumn) and isinstance(store.by_id, IdTable)
    assert len(store.by_id) == 2999 and store.by_id["id-5"] == 3000 and "id-7" not in store.by_id
    assert es.get(index="d", id="id-5")["_source"] == {"n": -5}
    assert es.get(index="d", id="id-2999")["_version"] == 1
    hits = es.search(index="d", query={"ids": {"values": ["id-1", "id-5", "id-7"]}})["hits"]["hits"]
    assert sorted(h["_id"] for h in hits) == ["id-1", "id-5"]


def test_a_page_of_ids_reads_as_one_id_at_a_time() -> None:
    rng = random.Random(3)
    ids = ["", "a", "é", "\ud83d\ude00x", "\udc80lone", *[f"doc-{rng.randrange(10**9)}" for _ in range(200)]]
    column = IdColumn(ids)
    docs = [rng.randrange(len(ids)) for _ in range(500)]
    assert column.take(docs) == [ids[d] for d in docs] == [column[d] for d in docs]
