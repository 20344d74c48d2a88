"""Issue 16 item 9's leftovers, each checked against Elasticsearch's behaviour.

* ``indices.refresh`` takes a list of indices (``RestRefreshAction`` reads ``index`` as a comma list);
* ``rank_eval(index="foo,")``: ``Strings.splitStringByCommaToArray`` drops the empty expression after
  the trailing comma, so only ``foo`` is searched (never every index);
* a top-level ``knn`` section's ``_name`` lists the search's hits in ``matched_queries``
  (``KnnSearchBuilder.queryName`` goes onto the query built from its hits);
* ``search_after`` takes a date written in the sort field's own ``format``;
* an ``int8_hnsw`` ``confidence_interval`` of 0.9 is accepted (allowed: 0 or [0.9, 1.0]);
* ``range`` on a ``float`` with ``gt: -3.4028235E38`` (``-Float.MAX_VALUE``) matches every finite value.
Expected outcomes are worked out by hand from the documents indexed in each test.
"""

from __future__ import annotations

import pytest
from elasticsearch import ApiError

from retrievo import Engine


@pytest.fixture()
def es() -> Engine:
    return Engine()


def test_refresh_with_a_list_of_indices(es: Engine) -> None:
    es.indices.create(index="a", settings={"refresh_interval": "-1"})
    es.indices.create(index="b", settings={"refresh_interval": "-1"})
    assert es.count(index="a,b")["count"] == 0  # publishes each index's first (empty) snapshot
    es.index(index="a", id="1", document={"x": 1})
    es.index(index="b", id="1", document={"x": 1})
    assert es.count(index="a,b")["count"] == 0
    r = es.indices.refresh(index=["a", "b"])
    assert r["_shards"] == {"total": 2, "successful": 2, "failed": 0}
    assert es.count(index="a,b")["count"] == 2
    es.index(index="a", id="2", document={"x": 1})
    assert es.indices.refresh(index="a,b")["_shards"]["successful"] == 2
    assert es.count(index="a")["count"] == 2
    with pytest.raises(ApiError) as err:
        es.indices.refresh(index=["a", "missing"])
    assert err.value.status_code == 404
    assert err.value.body["error"]["type"] == "index_not_found_exception"


def test_rank_eval_with_a_trailing_comma_searches_only_that_index(es: Engine) -> None:
    for index in ("foo", "other"):
        es.index(index=index, id="1", document={"t": "x"})
        es.index(index=index, id="2", document={"t": "x"}, refresh=True)
    r = es.rank_eval(
        index="foo,",
        requests=[
            {
                "id": "q",
                "request": {"query": {"match_all": {}}},
                "ratings": [{"_index": "foo", "_id": "1", "rating": 1}],
            }
        ],
        metric={"precision": {"k": 10, "ignore_unlabeled": False}},
    )
    details = r["details"]["q"]
    assert {h["hit"]["_index"] for h in details["hits"]} == {"foo"}
    assert details["metric_details"]["precision"] == {"relevant_docs_retrieved": 1, "docs_retrieved": 2}
    assert r["metric_score"] == 0.5


@pytest.fixture()
def vectors(es: Engine) -> Engine:
    es.indices.create(
        index="k",
        mappings={
            "properties": {"v": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm"}, "t": {"type": "text"}}
        },
    )
    for doc_id, v, t in (("1", [1, 0], "a"), ("2", [0, 1], "b"), ("3", [0, 5], "b")):
        es.index(index="k", id=doc_id, document={"v": v, "t": t})
    es.indices.refresh(index="k")
    return es


def _matched(es: Engine, **body: object) -> list[tuple[str, list[str] | None]]:
    return [(h["_id"], h.get("matched_queries")) for h in es.search(index="k", **body)["hits"]["hits"]]


def test_knn_section_name_in_matched_queries(vectors: Engine) -> None:
    knn = {"field": "v", "query_vector": [1, 0], "k": 2, "num_candidates": 5, "_name": "kn"}
    # l2_norm score 1 / (1 + d^2): doc 1 at d=0 scores 1, doc 2 at d^2=2 scores 1/3; doc 3 is not in the top 2
    assert _matched(vectors, knn=knn) == [("1", ["kn"]), ("2", ["kn"])]
    with_query = _matched(vectors, knn={**knn, "k": 1}, query={"match": {"t": {"query": "b", "_name": "m"}}})
    assert sorted(with_query) == [("1", ["kn"]), ("2", ["m"]), ("3", ["m"])]
    two = [
        {"field": "v", "query_vector": [1, 0], "k": 1, "num_candidates": 5, "_name": "k1"},
        {"field": "v", "query_vector": [0, 1], "k": 1, "num_candidates": 5, "_name": "k2"},
    ]
    assert sorted(_matched(vectors, knn=two)) == [("1", ["k1"]), ("2", ["k2"])]
    unnamed = _matched(vectors, knn={k: v for k, v in knn.items() if k != "_name"})
    assert unnamed == [("1", None), ("2", None)]


def test_search_after_in_the_fields_date_format(es: Engine) -> None:
    es.indices.create(index="d", mappings={"properties": {"d": {"type": "date", "format": "dd/MM/yyyy"}}})
    for doc_id, day in (("1", "01/02/2020"), ("2", "03/02/2020"), ("3", "02/02/2020")):
        es.index(index="d", id=doc_id, document={"d": day})
    es.indices.refresh(index="d")
    first = es.search(index="d", sort=[{"d": "asc"}], size=1)["hits"]["hits"]
    assert [(h["_id"], h["sort"]) for h in first] == [("1", [1580515200000])]  # 2020-02-01T00:00Z
    after = es.search(index="d", sort=[{"d": "asc"}], search_after=["01/02/2020"])["hits"]["hits"]
    assert [h["_id"] for h in after] == ["3", "2"]
    desc = es.search(index="d", sort=[{"d": "desc"}], search_after=["02/02/2020"])["hits"]["hits"]
    assert [h["_id"] for h in desc] == ["1"]


def test_int8_confidence_interval_0_9_is_accepted(es: Engine) -> None:
    options = {"type": "int8_hnsw", "confidence_interval": 0.9}
    es.indices.create(
        index="q", mappings={"properties": {"v": {"type": "dense_vector", "dims": 2, "index_options": options}}}
    )
    got = es.indices.get_mapping(index="q")["q"]["mappings"]["properties"]["v"]["index_options"]
    assert got["type"] == "int8_hnsw" and got["confidence_interval"] == 0.9
    es.index(index="q", id="1", document={"v": [1, 0]}, refresh=True)
    r = es.search(index="q", knn={"field": "v", "query_vector": [1, 0], "k": 1, "num_candidates": 1})
    assert [h["_id"] for h in r["hits"]["hits"]] == ["1"]
    with pytest.raises(ApiError) as err:
        es.indices.create(
            index="q2",
            mappings={
                "properties": {
                    "v": {"type": "dense_vector", "dims": 2, "index_options": {**options, "confidence_interval": 0.8}}
                }
            },
        )
    assert err.value.status_code == 400


def test_range_on_float_above_minus_float_max(es: Engine) -> None:
    es.indices.create(index="f", mappings={"properties": {"f": {"type": "float"}}})
    for doc_id, value in (("1", 1.5), ("2", -2.0), ("3", -3.4028235e38)):
        es.index(index="f", id=doc_id, document={"f": value})
    es.indices.refresh(index="f")
    r = es.search(index="f", query={"range": {"f": {"gt": -3.4028235e38}}})
    assert sorted(h["_id"] for h in r["hits"]["hits"]) == ["1", "2"]  # -Float.MAX_VALUE itself is excluded
    r = es.search(index="f", query={"range": {"f": {"gte": -3.4028235e38}}})
    assert r["hits"]["total"]["value"] == 3
