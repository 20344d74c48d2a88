"""Fixtures of the ES|QL tests: one small library index with every field type the subset touches
(text, keyword, numbers, dates, booleans, a dense vector), a deterministic rerank endpoint, and the
helpers that run a search both as retriever JSON and as ES|QL."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from retrievo import Engine

MAPPINGS = {
    "properties": {
        "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "body": {"type": "text", "analyzer": "english"},
        "genre": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "year": {"type": "integer"},
        "pages": {"type": "long"},
        "rating": {"type": "float"},
        "published": {"type": "date"},
        "available": {"type": "boolean"},
        "vec": {"type": "dense_vector", "dims": 3, "similarity": "l2_norm", "index_options": {"type": "flat"}},
    }
}

GENRES = ("sf", "fantasy", "mystery", "history")
WORDS = ("dark", "light", "hand", "wizard", "sea", "stone", "night", "city", "river", "star")


def library_docs(n: int = 40) -> list[tuple[str, dict[str, Any]]]:
    """Deterministic documents; some fields are missing or multi-valued on purpose."""
    rng = np.random.default_rng(11)
    docs = []
    for i in range(n):
        words = [WORDS[j] for j in rng.choice(len(WORDS), size=int(rng.integers(2, 5)), replace=False)]
        doc: dict[str, Any] = {
            "title": " ".join(words),
            "body": " ".join(WORDS[j] for j in rng.integers(0, len(WORDS), size=int(rng.integers(3, 9)))),
            "year": int(1950 + rng.integers(0, 70)),
            "rating": round(float(rng.uniform(1, 5)), 2),
            "vec": [round(float(v), 3) for v in rng.normal(size=3)],
        }
        if i % 7 != 3:
            doc["genre"] = GENRES[i % len(GENRES)]
        if i % 3 == 0:
            doc["tags"] = [WORDS[i % len(WORDS)], WORDS[(i + 3) % len(WORDS)]]
        if i % 5 != 4:
            doc["pages"] = int(100 + 13 * i)
        if i % 4 != 1:
            doc["published"] = f"{doc['year']}-{1 + i % 12:02d}-{1 + i % 27:02d}"
        if i % 6 != 5:
            doc["available"] = bool(i % 2)
        docs.append((str(i + 1), doc))
    return docs


def build_library(n: int = 40) -> Engine:
    e = Engine()
    e.indices.create(index="lib", mappings=MAPPINGS)
    ops: list[dict[str, Any]] = []
    for doc_id, doc in library_docs(n):
        ops += [{"index": {"_index": "lib", "_id": doc_id}}, doc]
    assert not e.bulk(operations=ops, refresh=True)["errors"]
    e.inference.put(
        inference_id="rr",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "k"},
            "task_settings": {},
        },
    )
    return e


@pytest.fixture(scope="module")
def lib() -> Engine:
    return build_library()


def normalize_rerank(raw: float) -> float:
    """The retriever's rerank score from ES|QL's raw one: ``max(s, 0) + min(exp(s), 1)`` in float32."""
    s = np.float32(raw)
    return float(np.float32(max(s, np.float32(0)) + min(np.float32(math.exp(float(s))), np.float32(1))))


def esql_hits(resp: dict[str, Any]) -> list[tuple[str, float | None]]:
    """``(_id, _score)`` of each ES|QL row."""
    names = [c["name"] for c in resp["columns"]]
    i, s = names.index("_id"), names.index("_score")
    return [(row[i], row[s]) for row in resp["values"]]


def json_hits(resp: dict[str, Any]) -> list[tuple[str, float | None]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def assert_same_hits(
    esql: list[tuple[str, float | None]], json: list[tuple[str, float | None]], reranked: bool = False
) -> None:
    """Same documents in the same order; the same float32 scores where the JSON hit shows one."""
    assert [d for d, _ in esql] == [d for d, _ in json]
    for (doc, es), (_, js) in zip(esql, json):
        if js is None:
            continue
        got = normalize_rerank(es) if reranked else float(np.float32(es))
        assert got == pytest.approx(float(np.float32(js)), rel=1e-6, abs=1e-7), doc
