"""Port of Elasticsearch's ``search.inner_hits/10_basic.yml`` YAML REST test, plus inner hit options.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.inner_hits/10_basic.yml`` in
``elastic/elasticsearch`` (commit ``6b6b847a2327888a8b8da65876d0e518fbbb46c8``).

Cases: "Nested inner hits" runs as written. "Nested doc version and seqIDs" is ported in
``tests/versions/test_version_on_hits.py`` (its ``docvalue_fields: [_seq_no]`` is refused). "Inner hits with disabled
_source" runs with ``_source`` enabled (retrievo refuses ``_source.enabled: false``): its ``_id`` and
``_nested`` assertions are checked, and the nested objects' sources are asserted as well.
"""

from __future__ import annotations

import numpy as np
import pytest
from elasticsearch import ApiError

from retrievo import Engine
from tests.bm25_reference import bm25_scores


def test_nested_inner_hits() -> None:
    e = Engine()
    e.indices.create(index="test", mappings={"properties": {"nested_field": {"type": "nested"}}})
    e.index(index="test", id="1", document={"nested_field": [{"foo": "bar"}]})
    e.indices.refresh()
    resp = e.search(
        index="test",
        rest_total_hits_as_int=True,
        body={"query": {"nested": {"path": "nested_field", "query": {"match_all": {}}, "inner_hits": {}}}},
    )
    assert resp["hits"]["total"] == 1
    hit = resp["hits"]["hits"][0]
    assert (hit["_index"], hit["_id"]) == ("test", "1")
    inner = hit["inner_hits"]["nested_field"]["hits"]["hits"][0]
    assert (inner["_index"], inner["_id"]) == ("test", "1")
    assert inner["_nested"] == {"field": "nested_field", "offset": 0}
    assert "child" not in inner["_nested"]
    assert inner["_source"] == {"foo": "bar"}


@pytest.mark.skip(reason="ported in tests/search_fields/test_seq_no_docvalue_fields.py")
def test_nested_doc_version_and_seq_ids() -> None:  # pragma: no cover
    raise AssertionError


@pytest.fixture(scope="module")
def deep() -> Engine:
    e = Engine()
    e.indices.create(
        index="disabled_source",
        mappings={
            "properties": {"nested_field": {"type": "nested", "properties": {"sub_nested_field": {"type": "nested"}}}}
        },
    )
    e.index(
        index="disabled_source",
        id="1",
        document={"nested_field": {"field": "value", "sub_nested_field": {"field": "value"}}},
    )
    e.indices.refresh()
    return e


def test_inner_hits_of_a_deeper_path(deep: Engine) -> None:
    resp = deep.search(
        index="disabled_source",
        rest_total_hits_as_int=True,
        body={
            "query": {"nested": {"path": "nested_field.sub_nested_field", "query": {"match_all": {}}, "inner_hits": {}}}
        },
    )
    assert resp["hits"]["total"] == 1
    assert resp["hits"]["hits"][0]["_id"] == "1"
    inner = resp["hits"]["hits"][0]["inner_hits"]["nested_field.sub_nested_field"]["hits"]["hits"][0]
    assert inner["_id"] == "1"
    assert inner["_nested"] == {
        "field": "nested_field",
        "offset": 0,
        "_nested": {"field": "sub_nested_field", "offset": 0},
    }
    assert inner["_source"] == {"field": "value"}


def test_inner_hits_inside_inner_hits(deep: Engine) -> None:
    query = {
        "nested": {
            "path": "nested_field",
            "inner_hits": {},
            "query": {
                "nested": {"path": "nested_field.sub_nested_field", "query": {"match_all": {}}, "inner_hits": {}}
            },
        }
    }
    resp = deep.search(index="disabled_source", rest_total_hits_as_int=True, body={"query": query})
    assert resp["hits"]["total"] == 1
    outer = resp["hits"]["hits"][0]["inner_hits"]["nested_field"]["hits"]["hits"][0]
    assert outer["_id"] == "1"
    assert outer["_source"] == {"field": "value", "sub_nested_field": {"field": "value"}}
    sub = outer["inner_hits"]["nested_field.sub_nested_field"]["hits"]["hits"][0]
    assert sub["_id"] == "1"
    assert sub["_nested"] == {
        "field": "nested_field",
        "offset": 0,
        "_nested": {"field": "sub_nested_field", "offset": 0},
    }


@pytest.fixture(scope="module")
def shop() -> Engine:
    e = Engine()
    e.indices.create(
        index="shop",
        mappings={
            "properties": {
                "name": {"type": "keyword"},
                "offers": {
                    "type": "nested",
                    "properties": {
                        "seller": {"type": "keyword"},
                        "note": {"type": "text"},
                        "price": {"type": "double"},
                    },
                },
            }
        },
    )
    e.index(
        index="shop",
        id="1",
        document={
            "name": "lamp",
            "offers": [
                {"seller": "a", "note": "cheap lamp", "price": 10.0},
                {"seller": "b", "note": "lamp lamp deal", "price": 30.0},
                {"seller": "c", "note": "lamp", "price": 20.0},
            ],
        },
    )
    e.index(index="shop", id="2", document={"name": "desk", "offers": [{"seller": "a", "note": "desk", "price": 99.0}]})
    e.indices.refresh()
    return e


def _inner(resp: dict, name: str, i: int = 0) -> dict:
    return resp["hits"]["hits"][i]["inner_hits"][name]["hits"]


def test_inner_hit_options(shop: Engine) -> None:
    query = {
        "nested": {
            "path": "offers",
            "query": {"match": {"offers.note": "lamp"}},
            "inner_hits": {
                "name": "best",
                "from": 1,
                "size": 1,
                "sort": [{"offers.price": "desc"}],
                "_source": ["offers.seller"],
                "fields": ["offers.price"],
            },
        }
    }
    resp = shop.search(index="shop", query=query)
    inner = _inner(resp, "best")
    assert inner["total"] == {"value": 3, "relation": "eq"}
    assert inner["max_score"] is None  # sorted by a field without track_scores
    [hit] = inner["hits"]
    assert hit["_nested"] == {"field": "offers", "offset": 2}  # prices 30, 20, 10: the second is offer 2
    assert hit["_score"] is None
    assert hit["sort"] == [20.0]
    assert hit["_source"] == {"seller": "c"}
    assert hit["fields"] == {"offers": [{"price": [20.0]}]}


def test_inner_hits_by_score_then_object_order(shop: Engine) -> None:
    resp = shop.search(
        index="shop",
        query={"nested": {"path": "offers", "query": {"match": {"offers.note": "lamp"}}, "inner_hits": {}}},
    )
    hits = _inner(resp, "offers")["hits"]
    scores = [h["_score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert _inner(resp, "offers")["max_score"] == scores[0]
    notes = [["cheap", "lamp"], ["lamp", "lamp", "deal"], ["lamp"], ["desk"]]  # every offer is a nested doc
    expected = [float(np.float32(x)) for x in bm25_scores(notes, ["lamp"])[:3]]
    assert scores == pytest.approx(sorted(expected, reverse=True), rel=1e-6)
    assert [h["_nested"]["offset"] for h in hits] == sorted(range(3), key=lambda i: -expected[i])
    assert resp["hits"]["hits"][0]["_score"] == pytest.approx(sum(scores) / 3, rel=1e-6)


def test_duplicate_inner_hit_names(shop: Engine) -> None:
    nested = {"nested": {"path": "offers", "query": {"match_all": {}}, "inner_hits": {"name": "x"}}}
    with pytest.raises(ApiError) as err:
        shop.search(index="shop", query={"bool": {"should": [nested, nested]}})
    assert err.value.body["error"]["reason"] == "[inner_hits] already contains an entry for key [x]"


def test_inner_hit_options_retrievo_lacks_are_refused(shop: Engine) -> None:
    for option, value in (("seq_no_primary_term", True), ("collapse", {"field": "offers.seller"})):
        with pytest.raises(ApiError) as err:
            shop.search(
                index="shop",
                query={"nested": {"path": "offers", "query": {"match_all": {}}, "inner_hits": {option: value}}},
            )
        assert err.value.body["error"]["type"] == "illegal_argument_exception"
        assert "is not supported in retrievo" in err.value.body["error"]["reason"]


def test_inner_hits_highlight_nested_fields(shop: Engine) -> None:
    query = {
        "nested": {
            "path": "offers",
            "query": {"match": {"offers.note": "deal"}},
            "inner_hits": {"highlight": {"fields": {"offers.note": {}}}},
        }
    }
    [hit] = _inner(shop.search(index="shop", query=query), "offers")["hits"]
    assert hit["highlight"] == {"offers.note": ["lamp lamp <em>deal</em>"]}


def test_inner_hits_explain_and_docvalue_fields(shop: Engine) -> None:
    query = {
        "nested": {
            "path": "offers",
            "query": {"match": {"offers.note": "desk"}},
            "inner_hits": {"explain": True, "docvalue_fields": ["offers.price"], "_source": False},
        }
    }
    resp = shop.search(index="shop", query=query)
    [inner] = _inner(resp, "offers")["hits"]
    assert inner["fields"] == {"offers": [{"price": [99.0]}]}
    explanation = inner["_explanation"]
    assert explanation["value"] == inner["_score"]
    assert explanation["description"].startswith("weight(offers.note:desk in ")
    assert "_shard" not in inner and "_node" not in inner  # inner hits carry no shard (SearchHit)
    # idf over the 4 offers (nested documents), of which 1 has "desk"
    idf = explanation["details"][0]["details"][1]
    assert [d["value"] for d in idf["details"]] == [1.0, 4.0]
    assert "_source" not in inner
