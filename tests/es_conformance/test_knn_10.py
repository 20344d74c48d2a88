"""Port of the 8.12-era ``knn`` retriever YAML REST tests.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.retrievers/10_knn_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``69cfca8ad14e4d1262c632ce31944672c681527e`` (the only stored
version; superseded upstream by ``20_knn_retriever.yml``, see ``test_knn_20.py``). It differs from 20 by
its mapping: no ``index_options`` (so the 9.x default for 5 dims, ``int8_hnsw``) and default shard
settings. Index and documents: ``knn10_engine`` (``build_knn_engine``) in ``conftest.py``. Spec:
/work/shared/spec/elasticsearch-retrievers.md §3 and §9 (table row ``10_knn_retriever.yml``).
"""

from __future__ import annotations

from typing import Any

from es_yaml import doc_value, ids, total, with_fields


def knn_search(e, **knn: Any) -> dict[str, Any]:
    body = {
        "retriever": {"knn": {"field": "vector", "query_vector": [2, 2, 2, 2, 3], "k": 2, "num_candidates": 3, **knn}}
    }
    return e.search(index="index1", body=with_fields(body, ["name"]))


# YAML: "kNN retriever"
def test_knn_retriever(knn10_engine):
    resp = knn_search(knn10_engine)
    assert ids(resp)[:2] == ["2", "3"]
    assert doc_value(resp["hits"]["hits"][0], "name") == "moose.jpg"
    assert doc_value(resp["hits"]["hits"][1], "name") == "rabbit.jpg"


# YAML: "kNN retriever with filter"
def test_knn_retriever_with_filter(knn10_engine):
    resp = knn_search(knn10_engine, filter={"term": {"name": "rabbit.jpg"}})
    assert total(resp) == 1
    assert ids(resp)[:1] == ["3"]
    assert doc_value(resp["hits"]["hits"][0], "name") == "rabbit.jpg"
