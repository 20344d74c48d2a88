"""``diversify`` with ``query_vector_builder.text_embedding`` on the packaged all-MiniLM-L6-v2 endpoint:
the built vector is the one the inference API returns for the same text, and with ``lambda: 1`` MMR keeps
the documents with the highest inner product with it (computed here with NumPy)."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo import Engine

ENDPOINT = ".all-minilm-l6-v2"
TEXTS = [
    "The cat sat on the mat.",
    "Stock markets fell sharply on inflation fears.",
    "Kittens and cats enjoy long naps.",
    "The central bank raised interest rates.",
    "A recipe for sourdough bread.",
]
QUERY = "interest rates and inflation"


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="docs", mappings={"properties": {"vec": {"type": "dense_vector", "dims": 384, "similarity": "cosine"}}}
    )
    vectors = e.inference.text_embedding(inference_id=ENDPOINT, input=TEXTS)["text_embedding"]
    for i, v in enumerate(vectors):
        e.index(index="docs", id=str(i), document={"vec": v["embedding"]})
    e.indices.refresh(index="docs")
    return e


def test_builder_vector_drives_relevance(engine):
    embedded = engine.inference.text_embedding(inference_id=ENDPOINT, input=[QUERY])["text_embedding"][0]["embedding"]
    docs = np.asarray(
        [v["embedding"] for v in engine.inference.text_embedding(inference_id=ENDPOINT, input=TEXTS)["text_embedding"]],
        dtype=np.float32,
    )
    dots = docs @ np.asarray(embedded, dtype=np.float32)
    top2 = sorted(str(i) for i in np.argsort(-dots, kind="stable")[:2])

    def run(**qv: object) -> list[str]:
        body = {
            "retriever": {
                "diversify": {
                    "type": "mmr",
                    "field": "vec",
                    "lambda": 1.0,
                    "size": 2,
                    **qv,
                    "retriever": {"standard": {"query": {"match_all": {}}}},
                }
            }
        }
        return [h["_id"] for h in engine.search(index="docs", body=body)["hits"]["hits"]]

    built = run(query_vector_builder={"text_embedding": {"model_id": ENDPOINT, "model_text": QUERY}})
    assert built == top2  # child order is index order, so the kept ids come back ascending
    assert built == run(query_vector=[float(x) for x in embedded])
