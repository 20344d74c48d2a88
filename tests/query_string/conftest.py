"""A small index shared by the query_string tests, and a helper comparing two searches hit for hit."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

MAPPING = {
    "properties": {
        "title": {
            "type": "text",
            "fields": {"exact": {"type": "text", "analyzer": "whitespace"}, "raw": {"type": "keyword"}},
        },
        "body": {"type": "text"},
        "tag": {"type": "keyword"},
        "n": {"type": "integer"},
        "day": {"type": "date"},
        "flag": {"type": "boolean"},
    }
}

DOCS = {
    "1": {"title": "Quick brown fox", "body": "jumps over the lazy dog", "tag": "A", "n": 1, "day": "2024-01-01"},
    "2": {"title": "Lazy dog", "body": "quick quick brown", "tag": "B", "n": 5, "day": "2024-01-02T23:30:00Z"},
    "3": {"title": "brown cow", "body": "the fox and the cow", "tag": "A", "n": 10, "flag": True},
    "4": {"title": "quick QUICK rabbit", "body": "a lazy afternoon", "n": 7},
    "5": {"title": "the end", "body": "nothing to see here"},
}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="t", mappings=MAPPING)
    for doc_id, doc in DOCS.items():
        engine.index(index="t", id=doc_id, document=doc)
    engine.indices.refresh(index="t")
    return engine


def hits(es: Engine, query: dict[str, Any], **kw: Any) -> list[tuple[str, float]]:
    resp = es.search(index=kw.pop("index", "t"), query=query, size=20, **kw)
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def assert_same(es: Engine, query: dict[str, Any], expected: dict[str, Any], **kw: Any) -> list[tuple[str, float]]:
    """Both queries find the same documents in the same order with the same scores."""
    got = hits(es, query, **kw)
    want = hits(es, expected, **kw)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-6)
    return got
