"""A small engine with every kind of saved structure, and the searches that must answer the same
after a reload: shared by the in-process tests and by the fresh-process probe (reload_probe.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from retrievo import Engine

DIMS = 8
N = 240
WORDS = (
    "alpha beta gamma delta solar lunar river mountain quick brown fox lazy dog cat engine "
    "market bread tea forest volcano ash ocean"
).split()


def _text(rng: np.random.Generator, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS, size=int(rng.integers(lo, hi))))


def force_ann(engine: Engine, index: str, field: str) -> None:
    """Make a vector field build its FAISS structure even on a few hundred rows (set before the
    first refresh; the setting is saved with the field)."""
    writer = engine.catalog.shards[index].vectors[field]
    writer.exact_rows = 0
    writer.exact_cost_ratio = 0.0


ARTICLE_MAPPINGS: dict[str, Any] = {
    "properties": {
        "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "body": {"type": "text", "analyzer": "english"},
        "tag": {"type": "keyword"},
        "year": {"type": "integer"},
        "published": {"type": "date"},
        "flat_vec": {"type": "dense_vector", "dims": DIMS, "similarity": "cosine", "index_options": {"type": "flat"}},
        "hnsw_vec": {
            "type": "dense_vector",
            "dims": DIMS,
            "similarity": "l2_norm",
            "index_options": {"type": "hnsw", "m": 8, "ef_construction": 40},
        },
        "sq_vec": {
            "type": "dense_vector",
            "dims": DIMS,
            "similarity": "dot_product",
            "index_options": {"type": "int8_hnsw"},
        },
    }
}


def article(i: int, rng: np.random.Generator) -> dict[str, Any]:
    unit = rng.normal(size=DIMS)
    unit = unit / np.linalg.norm(unit)
    return {
        "title": _text(rng, 2, 6),
        "body": _text(rng, 5, 40),
        "tag": f"t{i % 7}",
        "year": 1990 + i % 30,
        "published": f"20{10 + i % 15:02d}-0{1 + i % 9}-1{i % 10}",
        "flat_vec": rng.normal(size=DIMS).tolist(),
        "hnsw_vec": (rng.normal(size=DIMS) * 3).tolist(),
        "sq_vec": unit.tolist(),
    }


def build_articles(engine: Engine, index: str = "articles", n: int = N, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    engine.indices.create(index=index, mappings=ARTICLE_MAPPINGS)
    ops: list[dict[str, Any]] = []
    for i in range(n):
        ops += [{"index": {"_index": index, "_id": str(i)}}, article(i, rng)]
    assert not engine.bulk(operations=ops)["errors"]
    for field in ("hnsw_vec", "sq_vec"):
        force_ann(engine, index, field)
    engine.indices.refresh(index=index)
    # Deletes and updates, refreshed: tombstones, moved documents, dead vector rows.
    for i in range(0, n, 17):
        engine.delete(index=index, id=str(i))
    for i in range(5, n, 23):
        engine.index(index=index, id=str(i), document=article(i + 1000, rng))
    engine.indices.refresh(index=index)


NOTES = {
    "n1": "Cats are small domesticated felines. They purr and sleep a lot.",
    "n2": "The stock market closed higher after the central bank held rates.",
    "n3": "Dogs are loyal companions and love long walks in the park.",
    "n4": "Kittens grow into cats; feline health needs regular vet visits.",
    "n5": "Sourdough bread needs a starter, flour, water and patience.",
    "n6": "Volcanic eruptions release ash and lava into the sky.",
}


def build_notes(engine: Engine, reranker_dir: Path | None) -> None:
    """``semantic_text`` with the packaged model, and a user-defined cross-encoder endpoint."""
    engine.indices.create(
        index="notes", mappings={"properties": {"text": {"type": "text"}, "meaning": {"type": "semantic_text"}}}
    )
    ops: list[dict[str, Any]] = []
    for doc_id, text in NOTES.items():
        ops += [{"index": {"_index": "notes", "_id": doc_id}}, {"text": text, "meaning": text}]
    assert not engine.bulk(operations=ops, refresh=True)["errors"]
    if reranker_dir is not None:
        engine.inference.put(
            task_type="rerank",
            inference_id="tiny-reranker",
            inference_config={"service": "sentence_transformers", "service_settings": {"model_id": str(reranker_dir)}},
        )


def save_tiny_reranker(path: Path) -> Path:
    """The rerank tests' tiny BERT cross-encoder, built on the spot."""
    spec = importlib.util.spec_from_file_location(
        "tiny_models", Path(__file__).resolve().parents[1] / "inference" / "tiny_models.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.save_tiny_bert(path)


ARTICLE_SEARCHES: list[dict[str, Any]] = [
    {"query": {"match": {"body": "solar river fox"}}, "size": 20},
    {"query": {"match_phrase": {"title": "quick brown"}}, "size": 20},
    {
        "query": {
            "bool": {
                "must": [{"match": {"title": "engine market"}}],
                "filter": [{"range": {"year": {"gte": 2000}}}, {"term": {"tag": "t3"}}],
            }
        },
        "size": 20,
    },
    {"query": {"range": {"published": {"gte": "2015-01-01"}}}, "sort": [{"year": "desc"}], "size": 15},
    {"query": {"multi_match": {"query": "volcano ash ocean", "fields": ["title^2", "body"]}}, "size": 20},
    {
        "knn": {
            "field": "flat_vec",
            "query_vector": [0.3, -1, 0.2, 0.5, 1, -0.4, 0.1, 0.9],
            "k": 10,
            "num_candidates": 50,
        }
    },
    {"knn": {"field": "hnsw_vec", "query_vector": [1, 2, -1, 0.5, 0, 3, -2, 1], "k": 10, "num_candidates": 20}},
    {
        "knn": {
            "field": "hnsw_vec",
            "query_vector": [-1, 0, 2, 1, 1, -3, 0, 2],
            "k": 5,
            "num_candidates": 10,
            "filter": {"term": {"tag": "t2"}},
        }
    },
    {
        "knn": {
            "field": "sq_vec",
            "query_vector": [0.5, 0.5, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0],
            "k": 10,
            "num_candidates": 30,
        }
    },
    {
        "retriever": {
            "rrf": {
                "retrievers": [
                    {"standard": {"query": {"match": {"body": "forest tea"}}}},
                    {
                        "knn": {
                            "field": "hnsw_vec",
                            "query_vector": [0, 1, 0, 1, 0, 1, 0, 1],
                            "k": 10,
                            "num_candidates": 20,
                        }
                    },
                ]
            }
        },
        "size": 10,
    },
]

NOTE_SEARCHES: list[dict[str, Any]] = [
    {"query": {"semantic": {"field": "meaning", "query": "a pet that purrs"}}},
    {
        "retriever": {
            "knn": {
                "field": "meaning",
                "k": 3,
                "num_candidates": 10,
                "query_vector_builder": {
                    "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "baking at home"}
                },
            }
        }
    },
]

RERANK_SEARCH: dict[str, Any] = {
    "retriever": {
        "text_similarity_reranker": {
            "retriever": {"standard": {"query": {"match": {"text": "cats dogs market bread"}}}},
            "field": "text",
            "inference_text": "the quick brown fox",
            "inference_id": "tiny-reranker",
            "rank_window_size": 10,
        }
    }
}


def outcome(response: dict[str, Any]) -> dict[str, Any]:
    """What must be identical: total, and every hit's id, score and source, in order."""
    hits = response["hits"]
    return {
        "total": hits["total"],
        "hits": [[h["_id"], h["_score"], h.get("_source")] for h in hits["hits"]],
        "sort": [h.get("sort") for h in hits["hits"]],
    }


def run_searches(engine: Engine, *, models: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"articles": [outcome(engine.search(index="articles", body=b)) for b in ARTICLE_SEARCHES]}
    out["get"] = {i: engine.get(index="articles", id=i) for i in ("1", "5", "28")}
    out["mapping"] = engine.indices.get_mapping(index="articles")
    out["settings"] = engine.indices.get_settings(index="articles")
    if models:
        out["notes"] = [outcome(engine.search(index="notes", body=b)) for b in NOTE_SEARCHES]
        out["rerank"] = outcome(engine.search(index="notes", body=RERANK_SEARCH))
        out["endpoint"] = engine.inference.get(inference_id="tiny-reranker")
    return out
