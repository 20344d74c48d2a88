"""``random_score`` with a ``seed`` and no ``field`` hashes each document's ``_seq_no``.

ES 9's ``RandomScoreFunctionBuilder.doToFunction`` falls back to ``SeqNoFieldMapper.NAME`` when no field
is given; the seq_no field data yields ``Long.toString`` bytes, hashed by ``RandomScoreFunction`` with
murmur3_x86_32 seeded by ``mix32(seed ^ salt)`` (salt ``(index.hashCode() << 10) | shard``). The expected
scores below are computed here from the sequence numbers the write APIs returned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from tests.random_score_reference import random_score

INDEX = "seqrand"


def _expected(seed: int, seq_no: int, index: str = INDEX) -> float:
    return random_score(seed, index, str(seq_no).encode())


def _write_history(es: Engine, index: str = INDEX) -> dict[str, int]:
    """Index, re-index, delete: returns each live document's ``_seq_no`` as the write APIs reported it."""
    es.indices.create(index=index, mappings={"properties": {"t": {"type": "keyword"}}})
    seq: dict[str, int] = {}
    for doc_id in ("a", "b", "c"):
        seq[doc_id] = es.index(index=index, id=doc_id, document={"t": doc_id})["_seq_no"]
    seq["b"] = es.index(index=index, id="b", document={"t": "b2"})["_seq_no"]  # an update: a new seq_no
    es.delete(index=index, id="a")
    del seq["a"]
    seq["d"] = es.index(index=index, id="d", document={"t": "d"}, refresh=True)["_seq_no"]
    assert seq == {"b": 3, "c": 2, "d": 5}
    return seq


def _scores(es: Engine, random: dict[str, Any], index: str = INDEX) -> dict[str, float]:
    query = {"function_score": {"random_score": random, "boost_mode": "replace"}}
    return {
        h["_id"]: float(np.float32(h["_score"])) for h in es.search(index=index, query=query, size=10)["hits"]["hits"]
    }


@pytest.mark.parametrize("random", [{"seed": 42}, {"seed": 42, "field": "_seq_no"}])
def test_seed_without_field_hashes_the_seq_no(random: dict[str, Any]) -> None:
    es = Engine()
    seq = _write_history(es)
    got = _scores(es, random)
    assert got == {doc_id: _expected(42, s) for doc_id, s in seq.items()}
    assert _scores(es, random) == got  # reproducible


def test_get_reports_each_documents_own_seq_no() -> None:
    es = Engine()
    seq = _write_history(es)
    for doc_id, s in seq.items():
        assert es.get(index=INDEX, id=doc_id)["_seq_no"] == s


def test_explanation_names_the_seq_no_field() -> None:
    es = Engine()
    _write_history(es)
    query = {"function_score": {"random_score": {"seed": 7}, "boost_mode": "replace"}}
    hit = es.search(index=INDEX, query=query, explain=True, size=1)["hits"]["hits"][0]
    text = str(hit["_explanation"])
    assert "random score function (seed: 7, field: _seq_no)" in text


def test_seq_nos_survive_a_commit_and_a_translog_replay(tmp_path: Path) -> None:
    home = tmp_path / "home"
    es = Engine(path=home)
    seq = _write_history(es)  # refresh=True on the last write commits
    es.index(index=INDEX, id="e", document={"t": "e"})  # only in the translog
    seq["e"] = 6
    es.indices.refresh(index=INDEX)
    before = _scores(es, {"seed": 3})
    assert before == {doc_id: _expected(3, s) for doc_id, s in seq.items()}
    es.index(index=INDEX, id="f", document={"t": "f"})  # uncommitted: replayed from the translog
    seq["f"] = 7
    reopened = Engine.load(home)
    reopened.indices.refresh(index=INDEX)
    assert _scores(reopened, {"seed": 3}) == {doc_id: _expected(3, s) for doc_id, s in seq.items()}
    assert reopened.get(index=INDEX, id="f")["_seq_no"] == 7


def test_sequence_numbers_are_kept_per_index() -> None:
    es = Engine()
    _write_history(es, "other")
    es.index(index="fresh", id="x", document={"t": "x"}, refresh=True)
    assert _scores(es, {"seed": 9}, "fresh") == {"x": _expected(9, 0, "fresh")}


def test_sort_on_seq_no() -> None:
    """``_seq_no`` has long doc values, so ES sorts on it (an update moves a document last)."""
    es = Engine()
    seq = _write_history(es)
    hits = es.search(index=INDEX, sort=["_seq_no"])["hits"]["hits"]
    assert [(h["_id"], h["sort"]) for h in hits] == sorted(((d, [s]) for d, s in seq.items()), key=lambda x: x[1])
    desc = es.search(index=INDEX, sort=[{"_seq_no": "desc"}], size=1, search_after=[5])["hits"]["hits"]
    assert [(h["_id"], h["sort"]) for h in desc] == [("b", [3])]


def test_300_sequence_numbers() -> None:
    """``search/300_sequence_numbers.yml``: the document indexed twice has ``_seq_no`` 1."""
    es = Engine()
    es.indices.create(index="test_1")
    es.index(index="test_1", id="1", document={"foo": "foo"})
    es.index(index="test_1", id="1", document={"foo": "bar"})
    es.indices.refresh(index="test_1")
    for kw in (
        {"body": {"query": {"match": {"foo": "bar"}}, "seq_no_primary_term": True}},
        {"query": {"match": {"foo": "bar"}}, "seq_no_primary_term": True},
    ):
        hit = es.search(index="_all", **kw)["hits"]["hits"][0]
        assert hit["_seq_no"] == 1 and hit["_primary_term"] >= 1
    hit = es.search(index="_all", query={"match": {"foo": "bar"}})["hits"]["hits"][0]
    assert "_seq_no" not in hit and "_primary_term" not in hit


def test_seq_no_primary_term_as_a_url_parameter() -> None:
    es = Engine()
    seq = _write_history(es)
    resp = es.perform_request("GET", f"/{INDEX}/_search", params={"seq_no_primary_term": "true"})
    assert {h["_id"]: h["_seq_no"] for h in resp["hits"]["hits"]} == seq
