"""JSON ↔ AST round trips, as properties over random trees (tests/ast_strategies.py).

* ``parse(print(ast)) == ast``: the printer loses nothing the parser reads back;
* ``print(parse(x)) == x`` for every canonical ``x`` (a printed tree), compared as JSON text so that
  ``1``/``1.0``/``true`` are told apart, after a real ``json.dumps``/``loads`` trip (what the wire does);
* the printed JSON of a random tree, sent through ``Engine.search``, finds the same hits with the same
  scores as the original tree executed directly, on a small real index (BM25, FAISS, a rerank endpoint).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrievo import Engine
from retrievo.errors import ApiError
from retrievo.grammar.json import parse_query, parse_retriever, parse_search
from retrievo.grammar.json.printer import dumps, print_json, print_query, print_retriever, print_search
from retrievo.planner.plan import build_plan
from retrievo.response import es_float
from retrievo.retrievers import Node, SearchRequest
from tests.ast_strategies import executable_vocab, queries, retrievers, search_requests

ROUND_TRIPS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def wire(value: Any) -> Any:
    """What reaches Elasticsearch: JSON text, read back."""
    return json.loads(json.dumps(value))


def text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def assert_same_tree(parsed: Node, original: Node) -> None:
    assert parsed == original
    assert parsed.canonical() == original.canonical()
    assert repr(parsed) == repr(original)  # tells True from 1 and 1 from 1.0 where == does not


@ROUND_TRIPS
@given(queries())
def test_query_round_trip(query) -> None:
    printed = wire(print_query(query))
    parsed = parse_query(printed)
    assert_same_tree(parsed, query)
    assert text(print_query(parsed)) == text(printed)


@ROUND_TRIPS
@given(retrievers())
def test_retriever_round_trip(retriever) -> None:
    printed = wire(print_retriever(retriever))
    parsed = parse_retriever(printed)
    assert_same_tree(parsed, retriever)
    assert text(print_retriever(parsed)) == text(printed)


@ROUND_TRIPS
@given(search_requests())
def test_search_round_trip(request: SearchRequest) -> None:
    printed = wire(print_search(request))
    parsed = parse_search(request.index, printed)
    assert_same_tree(parsed, request)
    assert text(print_search(parsed)) == text(printed)
    assert json.loads(dumps(parsed)) == printed and print_json(parsed) == print_search(parsed)


# ------------------------------------------------------------------ non-canonical spellings
@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ({"match": {"title": "red apple"}}, {"match": {"title": {"query": "red apple"}}}),
        ({"match": {"title": {"query": "x", "operator": "OR", "boost": 1}}}, {"match": {"title": {"query": "x"}}}),
        ({"term": {"tag": "x"}}, {"term": {"tag": {"value": "x"}}}),
        ({"prefix": {"tag": "x"}}, {"prefix": {"tag": {"value": "x"}}}),
        ({"bool": {"must": {"match_all": {}}}}, {"bool": {"must": [{"match_all": {}}]}}),
        ({"dis_max": {"queries": {"match_all": {}}, "tie_breaker": 0}}, {"dis_max": {"queries": [{"match_all": {}}]}}),
        ({"range": {"year": {"from": 1, "to": 5, "include_lower": False}}}, {"range": {"year": {"gt": 1, "lte": 5}}}),
        (
            {"multi_match": {"query": "x", "fields": "title", "type": "boolean"}},
            {"multi_match": {"query": "x", "fields": ["title"]}},
        ),
    ],
)
def test_non_canonical_queries_print_canonically(written: dict, canonical: dict) -> None:
    assert text(print_query(parse_query(written))) == text(canonical)
    assert parse_query(canonical) == parse_query(written)


def test_non_canonical_search_prints_canonically() -> None:
    written = {
        "retriever": {
            "standard": {"query": {"match": {"t": "x"}}, "filter": [{"term": {"g": "a"}}], "terminate_after": 0}
        },
        "size": 10,
        "from": 0,
        "_source": ["t", "t"],
        "track_total_hits": 2147483647,
    }
    canonical = {
        "retriever": {
            "standard": {"query": {"match": {"t": {"query": "x"}}}, "filter": {"term": {"g": {"value": "a"}}}}
        },
        "_source": {"includes": ["t"], "excludes": []},
        "track_total_hits": True,
    }
    assert text(print_search(parse_search("i", written))) == text(canonical)


# ------------------------------------------------------------------ printed JSON runs the same
WORDS = ("red", "apple", "green", "pie", "car", "sky", "blue", "fast", "slow", "tree")
TAGS = ("a", "b", "c")
VOCAB = executable_vocab(
    text_fields=("title", "body"),
    keyword_fields=("tag",),
    numeric_fields=("year",),
    vector_field="vec",
    dims=3,
    words=WORDS,
    keywords=TAGS,
    ids=tuple(str(i) for i in range(0, 24, 3)),
    rerank_ids=("len-rerank",),
)


@pytest.fixture(scope="module")
def small() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="test",
        mappings={
            "properties": {
                "title": {"type": "text"},
                "body": {"type": "text"},
                "tag": {"type": "keyword"},
                "year": {"type": "integer"},
                "vec": {"type": "dense_vector", "dims": 3, "similarity": "l2_norm", "index_options": {"type": "flat"}},
            }
        },
    )
    rng = np.random.default_rng(7)
    ops: list[dict[str, Any]] = []
    for i in range(24):
        doc: dict[str, Any] = {
            "title": " ".join(rng.choice(WORDS, size=int(rng.integers(1, 5)))),
            "body": ". ".join(" ".join(rng.choice(WORDS, size=6)) for _ in range(int(rng.integers(1, 8)))) + ".",
            "tag": str(rng.choice(TAGS)),
            "vec": [round(float(x), 3) for x in rng.normal(size=3)],
        }
        if i % 5:
            doc["year"] = int(rng.integers(1995, 2025))
        ops += [{"index": {"_index": "test", "_id": str(i)}}, doc]
    engine.bulk(operations=ops, refresh=True)
    # Elasticsearch's deterministic rerank mock: score = 1 / len(text); no model involved.
    engine.inference.put(
        inference_id="len-rerank",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "k"},
            "task_settings": {"use_text_length": True},
        },
    )
    return engine


def _run_tree(engine: Engine, request: SearchRequest) -> list[tuple[str, Any]]:
    """The original AST, planned and executed without any JSON in between."""
    shard = engine.catalog.shards[request.index]
    plan = build_plan(request, shard.searcher(), embed=engine.catalog.embed_query, inference=engine.catalog.inference)
    ranked, _ = plan.execute()
    ids = plan.searcher.ids
    show_score = not ranked.sorted_by_field or request.track_scores  # field-sorted hits print no score
    return [(ids[d], es_float(s) if show_score else None) for d, s in zip(ranked.docs.tolist(), ranked.scores.tolist())]


def _outcome(call: Any) -> Any:
    try:
        return call()
    except ApiError as err:
        return ("error", err.status_code, err.body["error"]["type"], err.body["error"]["reason"])


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_printed_json_runs_like_the_tree(small: Engine, data: st.DataObject) -> None:
    request = data.draw(search_requests(VOCAB, depth=2))
    direct = _outcome(lambda: _run_tree(small, request))
    body = wire(print_search(request))
    via_json = _outcome(
        lambda: [(h["_id"], h["_score"]) for h in small.search(index="test", body=body)["hits"]["hits"]]
    )
    assert via_json == direct
