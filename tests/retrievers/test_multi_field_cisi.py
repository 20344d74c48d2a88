"""On a real corpus (a CISI slice), the multi-field format answers exactly what its explicit expansion
answers: the same hits, order, scores and totals, for ``rrf`` and ``linear``, with and without boosts
and ``rank_window_size`` (spec §4.4; YAML ``310``'s "Expansion to equivalent custom sub-retrievers")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from retrievo import Engine
from tests.conftest import shared_path

SLICE = 400
QUERIES = 12


@pytest.fixture(scope="module")
def cisi() -> tuple[Engine, list[str]]:
    root = shared_path("fixtures", "cisi")
    e = Engine()
    e.indices.create(
        index="cisi",
        mappings={"properties": {"title": {"type": "text"}, "author": {"type": "text"}, "text": {"type": "text"}}},
    )
    ops: list[dict[str, Any]] = []
    with open(root / "corpus.jsonl", encoding="utf-8") as f:
        for line in list(f)[:SLICE]:
            doc = json.loads(line)
            ops += [{"index": {"_id": doc["_id"]}}, {k: doc.get(k, "") for k in ("title", "author", "text")}]
    e.bulk(index="cisi", refresh=True, operations=ops)
    with open(root / "queries.jsonl", encoding="utf-8") as f:
        queries = [json.loads(line)["text"] for line in list(f)[:QUERIES]]
    return e, queries


def answer(e: Engine, retriever: dict[str, Any]) -> tuple[list[tuple[str, float]], Any]:
    resp = e.search(index="cisi", body={"retriever": retriever, "size": 20})
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]], resp["hits"]["total"]


def lexical(query: str, fields: list[str]) -> dict[str, Any]:
    return {"standard": {"query": {"multi_match": {"query": query, "fields": fields, "type": "most_fields"}}}}


@pytest.mark.parametrize("fields", [None, ["title^2", "text"], ["t*", "author^0.5"]])
def test_rrf_equals_its_expansion(cisi: tuple[Engine, list[str]], fields: list[str] | None) -> None:
    e, queries = cisi
    expanded_fields = fields if fields is not None else ["*"]
    for query in queries:
        simplified: dict[str, Any] = {"query": query, "rank_window_size": 30, "rank_constant": 20}
        if fields is not None:
            simplified["fields"] = fields
        explicit = {"retrievers": [lexical(query, expanded_fields)], "rank_window_size": 30, "rank_constant": 20}
        got = answer(e, {"rrf": simplified})
        assert got == answer(e, {"rrf": explicit})
        assert got[0], query


@pytest.mark.parametrize("normalizer", ["minmax", "l2_norm", "none"])
def test_linear_equals_its_expansion(cisi: tuple[Engine, list[str]], normalizer: str) -> None:
    e, queries = cisi
    for query in queries:
        simplified = {"query": query, "fields": ["title^3", "text"], "normalizer": normalizer, "rank_window_size": 25}
        child = {"retriever": lexical(query, ["text", "title^3"]), "normalizer": normalizer}
        explicit = {"retrievers": [child], "normalizer": normalizer, "rank_window_size": 25}
        got = answer(e, {"linear": simplified})
        assert got == answer(e, {"linear": explicit})
        assert got[0], query
