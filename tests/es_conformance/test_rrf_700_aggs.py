"""Port of Elasticsearch's ``rrf`` retriever aggregation YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/700_rrf_retriever_aggs.yml``
in ``elastic/elasticsearch``, read at commit ``456b1bcb5cceec73b91d1be3ffa040954b8fec4f``. Index and
documents: ``build_term_docs_engine`` in ``es_yaml_rrf.py``. Spec: /work/shared/spec/elasticsearch-retrievers.md
§1.6 (aggregations run over the union of the children's matches).

The ``terms`` case runs as written; the scripted-metric case needs painless and is skipped. Their hit
order, which aggregations do not change, is also checked by ``*_hits`` twins that send the same request
without ``aggs``.
Both fuse kNN on [6] (k 3: docs 6, 5, 7) with ``term text:term`` (BM25 grows with the term's frequency,
so docs 1, 2, 3, 4, 5 fill the window of 5) at k 10: doc 5 = 1/12 + 1/15 = 0.15, docs 1 and 6 = 1/11
(a tie, lower doc first).
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, at, ids
from es_yaml_rrf import build_term_docs_engine
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")

NEEDS_AGGS = "needs aggregations (issue 16)"
NEEDS_PAINLESS = "needs painless scripts (retrievo runs no painless; function_score without scripts is issue 16)"

RRF: dict[str, Any] = {
    "rrf": {
        "retrievers": [
            {"knn": {"field": "vector", "query_vector": [6.0], "k": 3, "num_candidates": 3}},
            {"standard": {"query": {"term": {"text": "term"}}}},
        ],
        "rank_window_size": 5,
        "rank_constant": 10,
    }
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_term_docs_engine()


def search(e: Engine, **extra: Any) -> dict[str, Any]:
    return e.search(index="test", body={"track_total_hits": False, "retriever": RRF, "size": 3, **extra})


def test_rrf_retriever_with_aggs(engine: Engine) -> None:
    resp = search(engine, aggs={"keyword_aggs": {"terms": {"field": "keyword"}}})
    assert ids(resp) == ["5", "1", "6"]
    buckets = "aggregations.keyword_aggs.buckets"
    assert (at(resp, f"{buckets}.0.key"), at(resp, f"{buckets}.0.doc_count")) == ("technology", 4)
    assert (at(resp, f"{buckets}.1.key"), at(resp, f"{buckets}.1.doc_count")) == ("biology", 2)
    assert (at(resp, f"{buckets}.2.key"), at(resp, f"{buckets}.2.doc_count")) == ("astronomy", 1)


def test_rrf_retriever_with_aggs_hits(engine: Engine) -> None:
    assert ids(search(engine)) == ["5", "1", "6"]


@pytest.mark.skip(reason=NEEDS_PAINLESS)
def test_rrf_retriever_with_aggs_scripted_metric_using_score(engine: Engine) -> None:
    resp = search(engine, aggs={"max_score": {"max": {"script": {"lang": "painless", "source": "_score"}}}})
    assert ids(resp) == ["5", "1", "6"]
    assert_close_to(at(resp, "aggregations.max_score.value"), 0.15, 0.001)


def test_rrf_retriever_with_aggs_scripted_metric_using_score_hits(engine: Engine) -> None:
    resp = search(engine)
    assert ids(resp) == ["5", "1", "6"]
    assert_close_to(resp["hits"]["max_score"], 0.15, 0.001)  # what the max-of-_score aggregation reads
