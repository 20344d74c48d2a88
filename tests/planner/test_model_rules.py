"""Plan rules around model calls, with the packaged all-MiniLM-L6-v2 endpoints (embedding and
bi-encoder rerank): query vectors embedded once per search, rerank windows, shared rerank sub-trees
and the rerank cost estimates."""

from __future__ import annotations

import math

import pytest

from retrievo import Engine
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.rerank import Rerank
from retrievo.planner.profile import ProfileCollector
from tests.planner.conftest import outcome, same_with_rule_off

DOCS = [
    "Cats are small domesticated felines. They purr and sleep a lot.",
    "The stock market closed higher after the central bank held rates.",
    "Dogs are loyal companions and love long walks in the park.",
    "Kittens grow into cats; feline health needs regular vet visits.",
    "Sourdough bread needs a starter, flour, water and patience.",
    "Interest rates and inflation drive bond prices down.",
]
EMBED = ".all-minilm-l6-v2"
RERANK = ".all-minilm-l6-v2-rerank"


@pytest.fixture(scope="module")
def e() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="m",
        mappings={
            "properties": {"text": {"type": "text"}, "meaning": {"type": "semantic_text"}, "topic": {"type": "keyword"}}
        },
    )
    ops = []
    for i, t in enumerate(DOCS):
        ops += [
            {"index": {"_index": "m", "_id": str(i)}},
            {"text": t, "meaning": t, "topic": "pets" if i in (0, 2, 3) else "money"},
        ]
    engine.bulk(operations=ops, refresh=True)
    return engine


def _knn(text: str, k: int = 4) -> dict:
    return {
        "knn": {
            "field": "meaning",
            "k": k,
            "num_candidates": 10,
            "query_vector_builder": {"text_embedding": {"model_id": EMBED, "model_text": text}},
        }
    }


def _usage(plan, task: str) -> list[dict]:
    ctx = plan.context(profiler=ProfileCollector())
    plan.execute(ctx)
    out = []
    for op in walk(plan.root):
        usage = ctx.profiler.of(op).usage.tasks.get(task)
        if usage is not None:
            out.append(usage.as_dict())
    return out


# ------------------------------------------------------------------------------ share_query_vectors

VECTORS = {
    "retriever": {
        "rrf": {
            "retrievers": [
                _knn("feline pets"),
                {"standard": {"query": {"semantic": {"field": "meaning", "query": "feline pets"}}}},
                {"standard": {"query": {"match": {"text": "cats"}}, "filter": {"term": {"topic": "pets"}}}},
            ]
        }
    }
}


def test_query_vectors_plan_before_and_after(e):
    after = e.plan(index="m", body=VECTORS)
    before = after.with_rules(share_query_vectors=False)
    assert after.physical.share_vectors and not before.physical.share_vectors
    text = after.explain()
    assert text.count("[query vector shared]") == 2
    assert "share_query_vectors: 1 query text(s) embedded once, 1 model call(s) saved" in text
    assert "ESTIMATED TOTALS: model_calls=1," in text
    assert "ESTIMATED TOTALS: model_calls=2," in before.explain()


def test_query_vectors_are_embedded_once_per_search(e):
    after = e.plan(index="m", body=VECTORS)
    assert [u["requests"] for u in _usage(after, "text_embedding")] == [1]
    before = after.with_rules(share_query_vectors=False)
    assert [u["requests"] for u in _usage(before, "text_embedding")] == [1, 1]
    same_with_rule_off(e, VECTORS, "share_query_vectors", index="m")


def test_query_vector_errors_are_shared_too(e):
    body = {
        "retriever": {
            "rrf": {
                "retrievers": [
                    {
                        "knn": {
                            "field": "meaning",
                            "k": 2,
                            "num_candidates": 5,
                            "query_vector_builder": {
                                "text_embedding": {"model_id": "no-such-endpoint", "model_text": "x"}
                            },
                        }
                    },
                    {
                        "knn": {
                            "field": "meaning",
                            "k": 3,
                            "num_candidates": 5,
                            "query_vector_builder": {
                                "text_embedding": {"model_id": "no-such-endpoint", "model_text": "x"}
                            },
                        }
                    },
                ]
            }
        }
    }
    plan = same_with_rule_off(e, body, "share_query_vectors", index="m")
    assert outcome(plan)["status"] == 404


# ------------------------------------------------------------------------------ rerank


def _rerank(child: dict, window: int, **extra) -> dict:
    return {
        "text_similarity_reranker": {
            "retriever": child,
            "field": "text",
            "inference_id": RERANK,
            "inference_text": "pets that purr",
            "rank_window_size": window,
            **extra,
        }
    }


LEXICAL = {"standard": {"query": {"match": {"text": "cats dogs rates bread the"}}}}


def test_a_reranker_under_a_smaller_window_emits_only_that_window(e):
    body = {
        "retriever": {"rrf": {"rank_window_size": 3, "retrievers": [_rerank(LEXICAL, 6), _knn("kittens")]}},
        "size": 3,
    }
    after = e.plan(index="m", body=body)
    rerank = after.root.child.children_ops[0]
    assert isinstance(rerank, Rerank) and rerank.limit == 3
    assert after.with_rules(prune_windows=False).root.child.children_ops[0].limit is None
    assert "Rerank(" in after.explain() and "[emits 3]" in after.explain()
    pairs = [u["inputs"] for u in _usage(after, "rerank")]
    assert pairs == [6]  # every document of the reranker's own window is still scored
    same_with_rule_off(e, body, "prune_windows", index="m")


def test_a_compound_under_a_reranker_hands_over_only_the_rerank_window(e):
    inner = {"rrf": {"retrievers": [LEXICAL, _knn("money")], "rank_window_size": 6}}
    body = {"retriever": _rerank(inner, 3), "size": 3}
    plan = e.plan(index="m", body=body)
    assert [u["inputs"] for u in _usage(plan, "rerank")] == [3]
    for rules in ({}, {"optimized": False}):
        assert [u["inputs"] for u in _usage(plan.with_rules(**rules), "rerank")] == [3]


def test_a_shared_reranker_scores_once(e):
    shared = _rerank(LEXICAL, 5)
    body = {
        "retriever": {
            "rrf": {
                "rank_window_size": 5,
                "retrievers": [
                    shared,
                    {
                        "linear": {
                            "rank_window_size": 5,
                            "retrievers": [
                                {"retriever": shared, "normalizer": "minmax"},
                                {"retriever": _knn("cats"), "normalizer": "minmax"},
                            ],
                        }
                    },
                ],
            }
        },
        "size": 5,
    }
    after = e.plan(index="m", body=body)
    assert [u["requests"] for u in _usage(after, "rerank")] == [1]
    before = after.with_rules(share_subtrees=False)
    assert [u["requests"] for u in _usage(before, "rerank")] == [1, 1]
    same_with_rule_off(e, body, "share_subtrees", index="m")


def test_named_semantic_queries_of_a_dropped_copy_still_report(e):
    named = {
        "standard": {
            "query": {
                "bool": {
                    "should": [
                        {"semantic": {"field": "meaning", "query": "money", "_name": "sem"}},
                        {"match": {"text": "bank"}},
                    ]
                }
            }
        }
    }
    body = {"retriever": {"rrf": {"retrievers": [named, {"rrf": {"retrievers": [named, LEXICAL]}}]}}}
    plan = same_with_rule_off(e, body, "share_subtrees", index="m")
    assert plan.physical.shared == 1
    ranked, _ = plan.execute()
    assert any("sem" in names for names in ranked.named.values())


def test_rerank_estimates_pairs_and_tokens(e):
    body = {"retriever": _rerank(LEXICAL, 4), "size": 4}
    node = e.plan(index="m", body=body).to_dict()["physical"]["children"][0]
    assert node["operator"] == "Rerank"
    est = node["estimate"]
    inv = e.catalog.shards["m"].searcher().inverted("text")
    words = float(inv.avgdl)
    assert est["pairs"] == 4 and est["model_calls"] == 1 and est["chunks_per_doc"] == 1
    assert est["tokens"] == round(4 * (3 + words))
    chunked = e.plan(
        index="m",
        body={
            "retriever": _rerank(
                LEXICAL,
                4,
                chunk_rescorer={
                    "size": 3,
                    "chunking_settings": {"strategy": "word", "max_chunk_size": 5, "overlap": 0},
                },
            ),
            "size": 4,
        },
    )
    est = chunked.to_dict()["physical"]["children"][0]["estimate"]
    chunks = min(3, math.ceil(words / 5))
    assert est["chunks_per_doc"] == chunks and est["pairs"] == 4 * chunks
    assert est["tokens"] == round(4 * chunks * (3 + min(words, 5)))
