"""``suggest`` in a search over several indices: every index's shards answer, and the answers are reduced as
one index's shards are (``suggest/shards.py``): term options merged by text with their ``freq`` summed,
completion options merged by score, then text, then shard order."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

DOCS = {"a": ["quick brown fox", "quick fix"], "b": ["quack duck", "quick quick"]}
BODY: dict[str, Any] = {
    "suggest": {
        "words": {"text": "quik", "term": {"field": "t"}},
        "names": {"prefix": "qu", "completion": {"field": "c", "size": 3}},
    }
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    for name, texts in DOCS.items():
        e.indices.create(index=name, mappings={"properties": {"t": {"type": "text"}, "c": {"type": "completion"}}})
        for i, text in enumerate(texts):
            e.index(index=name, id=f"{name}{i}", document={"t": text, "c": text})
        e.indices.refresh(index=name)
    return e


def test_term_options_sum_their_frequency_over_the_indices(engine: Engine) -> None:
    words = engine.search(index="a,b", **BODY)["suggest"]["words"][0]["options"]
    # "quick" is in two documents of a and one of b; "quack" only in b (one edit from "quik" each:
    # score 1 - 1/4 for "quick", 1 - 2/4 for "quack")
    assert words == [{"text": "quick", "score": 0.75, "freq": 3}, {"text": "quack", "score": 0.5, "freq": 1}]
    alone = engine.search(index="a", **BODY)["suggest"]["words"][0]["options"]
    assert alone == [{"text": "quick", "score": 0.75, "freq": 2}]


def test_completion_options_merge_by_score_then_text(engine: Engine) -> None:
    names = engine.search(index="a,b", **BODY)["suggest"]["names"][0]["options"]
    assert [(o["_index"], o["text"]) for o in names] == [
        ("b", "quack duck"),
        ("a", "quick brown fox"),
        ("a", "quick fix"),
    ]


def test_typed_keys_name_each_suggester(engine: Engine) -> None:
    resp = engine.search(index="a,b", typed_keys=True, **BODY)
    assert set(resp["suggest"]) == {"term#words", "completion#names"}
