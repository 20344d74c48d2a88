"""Port of Elasticsearch's ``knn`` retriever YAML REST tests.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.retrievers/20_knn_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``ebcf2f81bd9f052f090fc5fc5a498132080ef6ee`` (``gte_v8.14.0``,
single shard, ``int8_hnsw`` index options, plus the 9.x ``knn_quantized_vector_rescore_oversample``
case). Index and documents: ``knn20_engine`` (``build_knn_engine``) in ``conftest.py``. Spec:
/work/shared/spec/elasticsearch-retrievers.md §3.

Both retriever cases ask for ``fields: [name]``; the name is checked from ``fields`` once retrievo
accepts the option, from ``_source`` until then.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from es_yaml import doc_value, ids, total, with_fields

QUERY = [2, 2, 2, 2, 3]
VECTORS = {"1": [1, 1, 1, 1, 1], "2": [2, 2, 2, 2, 2], "3": [3, 3, 3, 3, 3]}


def knn_search(e, **knn: Any) -> dict[str, Any]:
    body = {"retriever": {"knn": {"field": "vector", "query_vector": QUERY, "k": 2, "num_candidates": 3, **knn}}}
    return e.search(index="index1", body=with_fields(body, ["name"]))


# YAML: "kNN retriever"
def test_knn_retriever(knn20_engine):
    resp = knn_search(knn20_engine)
    assert ids(resp)[:2] == ["2", "3"]
    assert doc_value(resp["hits"]["hits"][0], "name") == "moose.jpg"
    assert doc_value(resp["hits"]["hits"][1], "name") == "rabbit.jpg"


# YAML: "kNN retriever with filter"
def test_knn_retriever_with_filter(knn20_engine):
    resp = knn_search(knn20_engine, filter={"term": {"name": "rabbit.jpg"}})
    assert total(resp) == 1
    assert ids(resp)[:1] == ["3"]
    assert doc_value(resp["hits"]["hits"][0], "name") == "rabbit.jpg"


# YAML: "Vector rescoring has no effect for non-quantized vectors and provides same results as non-rescored knn"
def test_vector_rescoring_gives_the_exact_scores(knn20_engine):
    # Top-level knn with rescore_vector (oversample 1.5), k 3, num_candidates 3.
    resp = knn20_engine.search(
        index="index1",
        body={
            "knn": {
                "field": "vector",
                "query_vector": QUERY,
                "k": 3,
                "num_candidates": 3,
                "rescore_vector": {"oversample": 1.5},
            }
        },
    )
    assert total(resp) == 3  # YAML: rest_total_hits_as_int → hits.total: 3
    # The YAML's second request is a painless script_score computing the exact score,
    # 1.0 / (1.0 + l2norm(query, vector)^2) in double precision, then stored as a float score,
    # sorted by score. retrievo has no scripts, so that request is replaced by the same formula here.
    q = np.array(QUERY, dtype=np.float64)
    exact = {
        doc: np.float32(1.0 / (1.0 + np.linalg.norm(q - np.array(v, dtype=np.float64)) ** 2))
        for doc, v in VECTORS.items()
    }
    expected = sorted(exact.values(), reverse=True)
    # YAML compares hit i's _score of both responses (ids may differ on multi-shard clusters)
    assert [np.float32(h["_score"]) for h in resp["hits"]["hits"]] == expected
