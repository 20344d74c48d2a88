"""Port of Elasticsearch's ``rrf`` retriever ``collapse`` YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/800_rrf_retriever_collapse.yml``
in ``elastic/elasticsearch``, read at commit ``456b1bcb5cceec73b91d1be3ffa040954b8fec4f``. Index and
documents: ``build_term_docs_engine`` in ``es_yaml_rrf.py``. Both cases run as written: a top-level
``collapse`` over the fused ranking (inner hits from everything a child matched) and a ``collapse``
inside a ``standard`` child (that child's hits collapsed before fusion).
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import at, ids
from es_yaml_rrf import build_term_docs_engine
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")

TERM: dict[str, Any] = {"term": {"text": "term"}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_term_docs_engine()


def rrf(knn_candidates: int, standard: dict[str, Any]) -> dict[str, Any]:
    return {
        "rrf": {
            "retrievers": [
                {"knn": {"field": "vector", "query_vector": [6.0], "k": 3, "num_candidates": knn_candidates}},
                {"standard": standard},
            ],
            "rank_window_size": 5,
            "rank_constant": 10,
        }
    }


def test_rrf_retriever_with_top_level_collapse(engine: Engine) -> None:
    resp = engine.search(
        index="test",
        rest_total_hits_as_int=True,
        body={
            "track_total_hits": True,
            "retriever": rrf(3, {"query": TERM}),
            "size": 3,
            "collapse": {"field": "keyword", "inner_hits": {"name": "sub_hits", "size": 2}},
        },
    )
    assert ids(resp) == ["5", "1", "6"]
    sub = "inner_hits.sub_hits.hits"
    assert at(resp, f"hits.hits.0.{sub}.total") == 4
    assert [h["_id"] for h in at(resp, f"hits.hits.0.{sub}.hits")] == ["5", "3"]
    assert [h["_id"] for h in at(resp, f"hits.hits.1.{sub}.hits")] == ["1", "4"]
    assert [h["_id"] for h in at(resp, f"hits.hits.2.{sub}.hits")] == ["6", "2"]


def test_rrf_retriever_with_inner_level_collapse(engine: Engine) -> None:
    standard = {"query": TERM, "collapse": {"field": "keyword", "inner_hits": {"name": "sub_hits", "size": 1}}}
    resp = engine.search(
        index="test",
        rest_total_hits_as_int=True,
        body={"track_total_hits": True, "retriever": rrf(10, standard), "size": 3},
    )
    assert ids(resp) == ["7", "1", "6"]
