"""Port of Elasticsearch's "rrf retriever with custom nested sort" YAML REST test.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/1200_rrf_retriever_nested_sort.yml``
in ``elastic/elasticsearch``, read at commit ``456b1bcb5cceec73b91d1be3ffa040954b8fec4f``. Despite its name
the case needs no ``nested`` field: a child ``standard`` retriever sorts by a plain ``integer`` field, and
that sort (not the score) decides the child's ranks. Spec: /work/shared/spec/elasticsearch-retrievers.md
§1.4 and §2.
"""

from __future__ import annotations

import pytest

from es_yaml import ids
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")


@pytest.fixture(scope="module")
def engine() -> Engine:
    """Setup: docs 1 ("term", 3), 2 ("term term", 1), 3 ("term term term", keyword B, 2)."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "properties": {"text": {"type": "text"}, "keyword": {"type": "keyword"}, "integer": {"type": "integer"}}
        },
    )
    e.index(index="test", id="1", document={"text": "term", "integer": 3})
    e.index(index="test", id="2", document={"text": "term term", "integer": 1})
    e.index(index="test", id="3", document={"text": "term term term", "keyword": "B", "integer": 2})
    e.indices.refresh()
    return e


def test_rrf_retriever_with_custom_nested_sort(engine: Engine) -> None:
    # The sorted child ranks 1, 3, 2 and its window of 2 keeps 1, 3; the other child has doc 3 only.
    # k 10: doc 3 = 1/12 + 1/11, doc 1 = 1/11. The total is the union of both children's matches (3).
    resp = engine.search(
        index="test",
        rest_total_hits_as_int=True,
        body={
            "track_total_hits": True,
            "retriever": {
                "rrf": {
                    "retrievers": [
                        {"standard": {"query": {"term": {"text": "term"}}, "sort": [{"integer": {"order": "desc"}}]}},
                        {"standard": {"query": {"term": {"keyword": "B"}}}},
                    ],
                    "rank_window_size": 2,
                    "rank_constant": 10,
                }
            },
            "size": 2,
        },
    )
    assert resp["hits"]["total"] == 3
    assert ids(resp)[:2] == ["3", "1"]
