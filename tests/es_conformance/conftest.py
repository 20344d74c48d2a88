"""Fixtures for the port of Elasticsearch's retriever YAML REST tests (``tests/es_conformance``).

Every ``setup:`` section of a ported YAML file is a builder function here (``build_<suite>()``),
exposed as a module-scoped fixture (``<suite>_engine``). Tests that write to the index (the YAML
runner gives each test a fresh cluster, so a module-scoped engine would leak the write into later
tests) ask for the ``make_<suite>_engine`` fixture instead and build a private engine.

Features that other work is still bringing in (``rrf``, ``linear``, ``text_similarity_reranker``, the
``test_reranking_service`` rerank mock, the ``fields`` search option) are detected at run time by
:func:`requires` — also usable as the ``@pytest.mark.requires(...)`` marker, handled here — which
skips a test while retrievo answers the feature with its "... is not supported in retrievo" 400 and
runs it as soon as the feature lands, with no edit to this suite. Anything else the feature does
(including any other error) is a real result, so a half-finished feature fails instead of skipping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from es_yaml import (
    ANIMALS,
    PUG_TEXTS,
    RERANK_DOCS,
    RERANK_MODEL_CONFIG,
    RERANK_MODEL_ID,
    RRF800_DOCS,
    missing,
    requires,
)
from retrievo import Engine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(*features): skip while retrievo answers the feature with its "
        "'not supported in retrievo' 400 (see tests/es_conformance/conftest.py)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # tryfirst: decide before fixtures are built, so a skipped test never builds its engine.
    for mark in item.iter_markers("requires"):
        requires(*mark.args)


# --------------------------------------------------------------------------- setup: linear/10
def build_linear_engine() -> Engine:
    """``linear/10_linear_retriever.yml`` setup: index ``test``, four docs, 1-dim l2_norm vectors."""
    e = Engine()
    e.indices.create(
        index="test",
        mappings={
            "properties": {
                "vector": {
                    "type": "dense_vector",
                    "dims": 1,
                    "index": True,
                    "similarity": "l2_norm",
                    "index_options": {"type": "flat"},
                },
                "keyword": {"type": "keyword"},
                "other_keyword": {"type": "keyword"},
                "timestamp": {"type": "date"},
            }
        },
    )
    e.bulk(
        index="test",
        refresh=True,
        operations=[
            {"index": {"_id": 1}},
            {"vector": [1], "keyword": "one", "other_keyword": "other", "timestamp": "2021-01-01T00:00:00"},
            {"index": {"_id": 2}},
            {"vector": [2], "keyword": "two", "timestamp": "2022-01-01T00:00:00"},
            {"index": {"_id": 3}},
            {"vector": [3], "keyword": "three", "timestamp": "2023-01-01T00:00:00"},
            {"index": {"_id": 4}},
            {"vector": [4], "keyword": "four", "other_keyword": "other", "timestamp": "2024-01-01T00:00:00"},
        ],
    )
    return e


# --------------------------------------------------------------------------- setup: rrf/300
def build_rrf300_engine() -> Engine:
    """``rrf/300_rrf_retriever.yml`` setup: three docs with text/keyword/1-dim hnsw vector, in the YAML's
    five shards (murmur3 routing puts docs 1, 2, 3 on shards 4, 3, 0)."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 5},
        mappings={
            "properties": {
                "text": {"type": "text"},
                "keyword": {"type": "keyword"},
                "vector": {
                    "type": "dense_vector",
                    "dims": 1,
                    "index": True,
                    "similarity": "l2_norm",
                    "index_options": {"type": "hnsw", "ef_construction": 100, "m": 16},
                },
            }
        },
    )
    for doc_id, doc in [
        ("1", {"text": "term term", "keyword": "other", "vector": [0.0]}),
        ("2", {"text": "other", "keyword": "other", "vector": [1.0]}),
        ("3", {"text": "term", "keyword": "keyword", "vector": [2.0]}),
    ]:
        e.index(index="test", id=doc_id, document=doc)
    e.indices.refresh()
    return e


# --------------------------------------------------------------------------- setup: rrf/320
def build_restaurants_engine() -> Engine:
    """``rrf/320_rrf_weighted_retriever.yml`` setup: index ``restaurants``, three docs."""
    e = Engine()
    e.indices.create(
        index="restaurants",
        mappings={
            "properties": {
                "name": {"type": "keyword"},
                "description": {"type": "text"},
                "city": {"type": "keyword"},
                "region": {"type": "keyword"},
                "vector": {"type": "dense_vector", "dims": 3},
            }
        },
    )
    for doc_id, doc in [
        (
            "1",
            {
                "name": "Pizza Palace",
                "description": "Best pizza in town",
                "city": "Vienna",
                "region": "Austria",
                "vector": [10, 22, 77],
            },
        ),
        (
            "2",
            {
                "name": "Burger House",
                "description": "Juicy burgers",
                "city": "Graz",
                "region": "Austria",
                "vector": [15, 25, 70],
            },
        ),
        (
            "3",
            {
                "name": "Sushi World",
                "description": "Fresh sushi",
                "city": "Linz",
                "region": "Austria",
                "vector": [11, 24, 75],
            },
        ),
    ]:
        e.index(index="restaurants", id=doc_id, document=doc)
    e.indices.refresh(index="restaurants")
    return e


# --------------------------------------------------------------------------- setup: rrf/350
def build_pagination_engine() -> Engine:
    """``rrf/350_rrf_retriever_pagination.yml`` setup: docs 1–5 with (number_val, char_val) = (n, A..E)."""
    e = Engine()
    e.indices.create(
        index="test",
        mappings={
            "properties": {
                "number_val": {"type": "keyword"},
                "char_val": {"type": "keyword"},
            }
        },
    )
    for n, c in zip("12345", "ABCDE"):
        e.index(index="test", id=n, document={"number_val": n, "char_val": c})
    e.indices.refresh()
    return e


# --------------------------------------------------------------------------- setup: rrf/500
def build_rrf_explain_engine() -> Engine:
    """``rrf/500_rrf_retriever_explain.yml`` setup: 1 shard, text/integer/1-dim hnsw vector."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "properties": {
                "text": {"type": "text"},
                "integer": {"type": "integer"},
                "vector": {
                    "type": "dense_vector",
                    "dims": 1,
                    "index": True,
                    "similarity": "l2_norm",
                    "index_options": {"type": "hnsw", "ef_construction": 100, "m": 16},
                },
            }
        },
    )
    for doc_id, doc in [
        ("1", {"text": "term", "integer": 1, "vector": [5]}),
        ("2", {"text": "term term", "integer": 2, "vector": [4]}),
        ("3", {"text": "term term term", "integer": 3, "vector": [3]}),
        ("4", {"text": "term term term term", "integer": 3}),
        ("5", {"integer": 1, "vector": [0]}),
    ]:
        e.index(index="test", id=doc_id, document=doc)
    e.indices.refresh()
    return e


# --------------------------------------------------------------------------- setup: inference/70
def put_rerank_model(e: Engine) -> None:
    e.inference.put(task_type="rerank", inference_id=RERANK_MODEL_ID, inference_config=RERANK_MODEL_CONFIG)


def build_rerank_engine() -> Engine:
    """``inference/70_text_similarity_rank_retriever.yml`` setup, without its semantic_text parts.

    The YAML also creates a sparse ``test_service`` endpoint and a ``semantic_text_field`` (filled by
    ``copy_to`` from ``text``); both serve only the semantic_text cases, which build their own engine
    (``semantic_rerank_engine`` in ``test_text_similarity_70.py``), so they are left out here. The rerank endpoint is created only once retrievo has ``test_reranking_service``
    (the cases that do not call it — missing endpoints, allowed failures — run without it).
    Documents are indexed in the YAML's order — doc_2, doc_3, doc_1 — each with a refresh: the
    order decides ties (internal doc id) and therefore the position-based mock's scores.
    """
    e = Engine()
    if missing("test_reranking_service") is None:
        put_rerank_model(e)
    e.indices.create(
        index="test-index",
        mappings={
            "properties": {
                "text": {"type": "text"},
                "topic": {"type": "keyword"},
                "subtopic": {"type": "keyword"},
                "inference_text_field": {"type": "text"},
            }
        },
    )
    for doc_id, score_text in [("doc_2", "0"), ("doc_3", "1"), ("doc_1", "-1")]:
        e.index(
            index="test-index",
            id=doc_id,
            refresh=True,
            document={**RERANK_DOCS[doc_id], "inference_text_field": score_text},
        )
    return e


# --------------------------------------------------------------------------- setup: search.retrievers/10_standard
def build_animals_engine() -> Engine:
    """``search.retrievers/10_standard_retriever.yml`` setup: index ``animals``, 15 docs, ``_id`` = count."""
    e = Engine()
    e.indices.create(
        index="animals",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "properties": {
                "type": {"type": "keyword"},
                "name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
                "color": {"type": "keyword"},
                "count": {"type": "integer"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for kind, name, color, count in ANIMALS:
        ops += [{"index": {"_id": count}}, {"type": kind, "name": name, "color": color, "count": count}]
    e.bulk(index="animals", refresh=True, operations=ops)
    return e


# --------------------------------------------------------------------------- setup: search.retrievers knn
def build_knn_engine(index_options: dict[str, Any] | None, single_shard: bool) -> Engine:
    """``search.retrievers/{10,20}_knn_retriever.yml`` setup: index ``index1``, three 5-dim l2 vectors."""
    e = Engine()
    vector: dict[str, Any] = {"type": "dense_vector", "dims": 5, "index": True, "similarity": "l2_norm"}
    if index_options is not None:
        vector["index_options"] = index_options
    e.indices.create(
        index="index1",
        settings={"number_of_shards": 1, "number_of_replicas": 0} if single_shard else None,
        mappings={"properties": {"name": {"type": "keyword"}, "vector": vector}},
    )
    e.bulk(
        index="index1",
        refresh=True,
        operations=[
            {"index": {"_id": 1}},
            {"name": "cow.jpg", "vector": [1, 1, 1, 1, 1]},
            {"index": {"_id": 2}},
            {"name": "moose.jpg", "vector": [2, 2, 2, 2, 2]},
            {"index": {"_id": 3}},
            {"name": "rabbit.jpg", "vector": [3, 3, 3, 3, 3]},
        ],
    )
    return e


# --------------------------------------------------------------------------- module-scoped fixtures
def _fixture(name: str, builder: Callable[[], Engine]) -> Any:
    def engine_fixture() -> Engine:
        return builder()

    engine_fixture.__doc__ = builder.__doc__
    return pytest.fixture(scope="module", name=name)(engine_fixture)


def _factory(name: str, builder: Callable[..., Engine]) -> Any:
    def factory_fixture() -> Callable[..., Engine]:
        return builder

    factory_fixture.__doc__ = f"The builder itself, for a test that needs a private engine: {builder.__doc__}"
    return pytest.fixture(name=name)(factory_fixture)


linear_engine = _fixture("linear_engine", build_linear_engine)
rrf300_engine = _fixture("rrf300_engine", build_rrf300_engine)
restaurants_engine = _fixture("restaurants_engine", build_restaurants_engine)
pagination_engine = _fixture("pagination_engine", build_pagination_engine)
rrf_explain_engine = _fixture("rrf_explain_engine", build_rrf_explain_engine)
rerank_engine = _fixture("rerank_engine", build_rerank_engine)
animals_engine = _fixture("animals_engine", build_animals_engine)
knn20_engine = _fixture("knn20_engine", lambda: build_knn_engine({"type": "int8_hnsw"}, single_shard=True))
knn10_engine = _fixture("knn10_engine", lambda: build_knn_engine(None, single_shard=False))
make_rerank_engine = _factory("make_rerank_engine", build_rerank_engine)


# --------------------------------------------------------------------------- setup: rrf/800
def build_rrf800_engine() -> Engine:
    """``rrf/800_rrf_with_text_similarity_reranker_retriever.yml`` setup: the ``my-rerank-model`` mock,
    index ``test-index`` (1 shard) and three documents indexed doc_2, doc_3, doc_1, then one refresh."""
    e = Engine()
    put_rerank_model(e)
    e.indices.create(
        index="test-index",
        settings={"number_of_shards": 1},
        mappings={
            "properties": {
                "text": {"type": "text"},
                "topic": {"type": "keyword"},
                "subtopic": {"type": "keyword"},
                "integer": {"type": "integer"},
            }
        },
    )
    for doc_id, doc in RRF800_DOCS:
        e.index(index="test-index", id=doc_id, document=doc)
    e.indices.refresh()
    return e


# --------------------------------------------------------------------------- setup: rrf/950
def build_pinned950_engine() -> Engine:
    """``rrf/950_pinned_interaction.yml`` setup: index ``test-index1`` (dynamic mapping), doc1–doc5
    ``{"text": "document <n>"}`` in one bulk."""
    e = Engine()
    e.indices.create(index="test-index1")
    ops: list[dict[str, Any]] = []
    for doc_id, word in [("doc1", "one"), ("doc2", "two"), ("doc3", "three"), ("doc4", "four"), ("doc5", "five")]:
        ops += [{"index": {"_id": doc_id}}, {"text": f"document {word}"}]
    e.bulk(index="test-index1", refresh=True, operations=ops)
    return e


# --------------------------------------------------------------------------- setup: inference/80
def build_random_rerank_engine() -> Engine:
    """``inference/80_random_rerank_retriever.yml`` setup: index ``test-index`` (1 shard), doc_1–doc_5 in
    one bulk, so their shard doc ids — what ``random_reranker`` seeds with — are 0–4."""
    e = Engine()
    e.indices.create(
        index="test-index",
        settings={"number_of_shards": 1},
        mappings={
            "properties": {"text": {"type": "text"}, "topic": {"type": "keyword"}, "subtopic": {"type": "keyword"}}
        },
    )
    ops: list[dict[str, Any]] = []
    for i, text in enumerate(PUG_TEXTS, start=1):
        ops += [{"index": {"_id": f"doc_{i}"}}, {"text": text}]
    e.bulk(index="test-index", refresh=True, operations=ops)
    return e


rrf800_engine = _fixture("rrf800_engine", build_rrf800_engine)
pinned950_engine = _fixture("pinned950_engine", build_pinned950_engine)
random_rerank_engine = _fixture("random_rerank_engine", build_random_rerank_engine)
