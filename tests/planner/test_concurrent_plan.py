"""One plan, eight threads: a plan never changes while it runs, so runs of the same ``Plan`` object may
overlap and each still answers exactly what a run alone answers — hits, scores, explanations and the
profile's structure. The search mixes the operators that record per-run numbers: rrf, linear over BM25
and kNN, and a reranker on top (Elasticsearch's deterministic test rerank service), with ``explain`` and
``profile`` on. It runs through the same two steps a search takes (``prepare_search``, ``finish_search``),
planned once and finished many times, each run with its own context."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from retrievo import Engine
from retrievo.grammar.json import parse_search
from retrievo.planner.execute import PreparedSearch, finish_search, prepare_search
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.fusion import LinearFuse, RrfFuse
from retrievo.planner.operators.rerank import Rerank
from tests.planner.conftest import knn, std

THREADS = 8
ROUNDS = 6
BODY = {
    "retriever": {
        "text_similarity_reranker": {
            "retriever": {
                "rrf": {
                    "rank_window_size": 20,
                    "filter": {"range": {"year": {"gte": 2002}}},
                    "retrievers": [
                        std({"match": {"body": "apple pear"}}),
                        {
                            "linear": {
                                "rank_window_size": 30,
                                "retrievers": [
                                    {
                                        "retriever": std({"match": {"title": "plum fig kiwi"}}),
                                        "weight": 2.0,
                                        "normalizer": "minmax",
                                    },
                                    {
                                        "retriever": knn([0.3, -0.2, 0.5, 0.1], k=15),
                                        "weight": 1.5,
                                        "normalizer": "minmax",
                                    },
                                ],
                            }
                        },
                    ],
                }
            },
            "field": "body",
            "inference_id": "len-rerank",
            "inference_text": "apple",
            "rank_window_size": 12,
        }
    },
    "size": 6,
    "explain": True,
    "profile": True,
}


@pytest.fixture(scope="module")
def prepared(engine: Engine) -> PreparedSearch:
    # Elasticsearch's rerank mock, scoring 1 / len(text): deterministic, no model, never cached.
    engine.inference.put(
        inference_id="len-rerank",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "k"},
            "task_settings": {"use_text_length": True},
        },
    )
    shard = engine.catalog.shard("docs")
    request = parse_search("docs", BODY, max_result_window=shard.settings.max_result_window)
    return prepare_search(shard, request, embed=engine.catalog.embed_query, inference=engine.catalog.inference)


def _timeless(value: Any) -> Any:
    """A response without what varies between identical runs: wall times (``took``, ``*nanos*``, the
    time entries of a profile ``breakdown``); counts stay."""
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in ("took", "rewrite_time") or "nanos" in key:
            continue
        if key == "breakdown":
            item = {k: v for k, v in item.items() if k.endswith("_count")}
        out[key] = _timeless(item)
    return out


def _fields(prepared: PreparedSearch) -> dict[int, dict[str, Any]]:
    return {id(op): dict(vars(op)) for op in walk(prepared.plan.root)}


def test_the_search_exercises_every_recording_operator(prepared: PreparedSearch) -> None:
    kinds = {type(op) for op in walk(prepared.plan.root)}
    assert {RrfFuse, LinearFuse, Rerank} <= kinds
    response = finish_search(prepared.fresh_run())
    hits = response["hits"]["hits"]
    assert len(hits) == 6 and all("_explanation" in h for h in hits)
    assert "rrf score" in str(hits[0]["_explanation"]) and "weighted linear combination" in str(hits[0]["_explanation"])
    assert response["profile"]["shards"][0]["searches"][0]["retrievo_operators"][0]["type"] == "Page"


def test_one_plan_on_eight_threads_answers_as_serial_runs(prepared: PreparedSearch) -> None:
    before = _fields(prepared)
    serial = [_timeless(finish_search(prepared.fresh_run())) for _ in range(2)]
    assert serial[0] == serial[1]
    start = threading.Barrier(THREADS)

    def run(_: int) -> list[Any]:
        start.wait()
        return [_timeless(finish_search(prepared.fresh_run())) for _ in range(ROUNDS)]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # hand the GIL over often, so the runs really interleave
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            results = [r for batch in pool.map(run, range(THREADS)) for r in batch]
    finally:
        sys.setswitchinterval(interval)
    assert len(results) == THREADS * ROUNDS
    for got in results:
        assert got == serial[0]
    assert _fields(prepared) == before  # no operator attribute was assigned by any run
