"""``version: true`` on hits, and the external versions that set them.

Ports: ``search/110_field_collapsing.yml`` "field collapsing, inner_hits and version" (as written; its
setup indexes with ``version_type: external``), ``search.aggregation/200_top_hits.yml`` "version", and
``search.inner_hits/10_basic.yml`` "Nested doc version and seqIDs" without its ``docvalue_fields:
[_seq_no]`` (retrievo refuses doc values of ``_seq_no``; ``seq_no_primary_term`` gives the same number).
Expected versions are the YAML's or follow ES's rules by hand: internal writes count up from 1 per
``_id`` (a delete counts too, and a re-created id continues from its tombstone); an external write takes
the caller's number when it is higher (``external``) or not lower (``external_gte``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine

#: (id, numeric_group, tag, sort) of 110_field_collapsing.yml's setup; each indexed with version id * 11.
DOCS = [(1, 1, "A", 10), (2, 1, "B", 6), (3, 1, "A", 24), (4, 25, "B", 10), (5, 25, "A", 5), (6, 3, "B", 36)]


@pytest.fixture(scope="module")
def collapse_index() -> Engine:
    es = Engine()
    es.indices.create(
        index="test", mappings={"properties": {"numeric_group": {"type": "integer"}, "tag": {"type": "keyword"}}}
    )
    for doc_id, group, tag, sort in DOCS:
        es.index(
            index="test",
            id=str(doc_id),
            version=doc_id * 11,
            version_type="external",
            document={"numeric_group": group, "tag": tag, "sort": sort},
        )
    es.indices.refresh(index="test")
    return es


def test_yaml_110_field_collapsing_inner_hits_and_version(collapse_index: Engine) -> None:
    r = collapse_index.search(
        index="test",
        rest_total_hits_as_int=True,
        body={
            "collapse": {
                "field": "numeric_group",
                "inner_hits": {"name": "sub_hits", "version": True, "size": 2, "sort": [{"sort": "asc"}]},
            },
            "sort": [{"sort": "desc"}],
            "version": True,
        },
    )
    assert r["hits"]["total"] == 6
    hits = r["hits"]["hits"]
    assert [(h["_id"], h["fields"]["numeric_group"], h["sort"], h["_version"]) for h in hits] == [
        ("6", [3], [36], 66),
        ("3", [1], [24], 33),
        ("4", [25], [10], 44),
    ]
    inner = [[(i["_id"], i["_version"]) for i in h["inner_hits"]["sub_hits"]["hits"]["hits"]] for h in hits]
    assert inner == [[("6", 66)], [("2", 22), ("1", 11)], [("5", 55), ("4", 44)]]
    assert [h["inner_hits"]["sub_hits"]["hits"]["total"] for h in hits] == [1, 3, 2]


def test_yaml_200_top_hits_version() -> None:
    es = Engine()
    es.indices.create(
        index="test",
        settings={"number_of_shards": 1},
        mappings={"properties": {"page": {"type": "integer"}, "text": {"type": "text"}}},
    )
    texts = ["the quick brown fox", "jumped over the lazy dog", "The vorpal blade went snicker-snack!"]
    ops: list[dict[str, Any]] = []
    for page, text in zip([1, 1, 2], texts, strict=True):
        ops += [{"index": {}}, {"page": page, "text": text}]
    es.bulk(index="test", operations=ops, refresh=True)
    aggs = {"page": {"terms": {"field": "page"}, "aggs": {"top_hits": {"top_hits": {"version": True}}}}}
    r = es.search(index="test", aggs=aggs)
    assert r["hits"]["total"]["value"] == 3
    buckets = r["aggregations"]["page"]["buckets"]
    assert [b["key"] for b in buckets] == [1, 2]
    assert [[h["_version"] for h in b["top_hits"]["hits"]["hits"]] for b in buckets] == [[1, 1], [1]]


def test_yaml_inner_hits_10_nested_doc_version() -> None:
    es = Engine()
    es.indices.create(index="test", mappings={"properties": {"nested_field": {"type": "nested"}}})
    body = {
        "query": {
            "nested": {
                "path": "nested_field",
                "query": {"match_all": {}},
                "inner_hits": {"version": True},
            }
        },
        "version": True,
        "seq_no_primary_term": True,
    }
    for version, foo in ((1, "bar"), (2, "baz")):
        es.index(index="test", id="1", document={"nested_field": [{"foo": foo}]}, refresh=True)
        r = es.search(index="test", rest_total_hits_as_int=True, body=body)
        assert r["hits"]["total"] == 1
        hit = r["hits"]["hits"][0]
        assert (hit["_index"], hit["_id"], hit["_version"], hit["_seq_no"]) == ("test", "1", version, version - 1)
        inner = hit["inner_hits"]["nested_field"]["hits"]["hits"][0]
        assert inner["_version"] == version
        assert inner["_nested"] == {"field": "nested_field", "offset": 0}


@pytest.fixture()
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="v", mappings={"properties": {"k": {"type": "keyword"}}})
    return engine


def _versions(es: Engine, **kw: Any) -> dict[str, int]:
    r = es.search(index="v", query={"match_all": {}}, **kw)
    return {h["_id"]: h["_version"] for h in r["hits"]["hits"]}


def test_internal_versions_count_updates_deletes_and_recreates(es: Engine) -> None:
    es.index(index="v", id="a", document={"k": "x"})
    es.index(index="v", id="a", document={"k": "y"})
    es.index(index="v", id="b", document={"k": "x"})
    assert es.delete(index="v", id="b")["_version"] == 2
    assert es.index(index="v", id="b", document={"k": "z"})["_version"] == 3  # continues from the tombstone
    es.update(index="v", id="a", doc={"k": "w"})
    es.indices.refresh(index="v")
    assert _versions(es, version=True) == {"a": 3, "b": 3}
    assert all("_version" not in h for h in es.search(index="v")["hits"]["hits"])  # off by default


def test_hits_show_the_version_their_snapshot_saw(es: Engine) -> None:
    es.index(index="v", id="a", document={"k": "x"}, refresh=True)
    es.indices.put_settings(index="v", settings={"refresh_interval": "-1"})
    es.index(index="v", id="a", document={"k": "y"})  # not refreshed: the search still sees version 1
    r = es.search(index="v", version=True)
    assert [(h["_source"]["k"], h["_version"]) for h in r["hits"]["hits"]] == [("x", 1)]
    es.indices.refresh(index="v")
    assert _versions(es, version=True) == {"a": 2}


def test_url_parameter_msearch_explain_and_body_false(es: Engine) -> None:
    es.index(index="v", id="a", document={"k": "x"}, version=7, version_type="external", refresh=True)
    assert _versions(es, version="true") == {"a": 7}
    body_false = es.search(index="v", body={"version": False})["hits"]["hits"][0]
    assert "_version" not in body_false
    m = es.msearch(searches=[{"index": "v"}, {"version": True}, {"index": "v"}, {}])
    assert m["responses"][0]["hits"]["hits"][0]["_version"] == 7
    assert "_version" not in m["responses"][1]["hits"]["hits"][0]
    explained = es.search(index="v", version=True, explain=True)["hits"]["hits"][0]
    assert explained["_version"] == 7 and "_explanation" in explained


def test_version_with_a_standard_retriever(es: Engine) -> None:
    es.index(index="v", id="a", document={"k": "x"})
    es.index(index="v", id="a", document={"k": "x"}, refresh=True)
    r = es.search(index="v", body={"retriever": {"standard": {"query": {"term": {"k": "x"}}}}, "version": True})
    assert [h["_version"] for h in r["hits"]["hits"]] == [2]


def test_external_versions(es: Engine) -> None:
    created = es.index(index="v", id="a", document={"k": "x"}, version=10, version_type="external")
    assert (created["result"], created["_version"]) == ("created", 10)
    with pytest.raises(ApiError) as err:
        es.index(index="v", id="a", document={"k": "y"}, version=10, version_type="external")
    assert err.value.status_code == 409
    assert err.value.body["error"]["type"] == "version_conflict_engine_exception"
    assert err.value.body["error"]["reason"] == (
        "[a]: version conflict, current version [10] is higher or equal to the one provided [10]"
    )
    same = es.index(index="v", id="a", document={"k": "y"}, version=10, version_type="external_gte")
    assert (same["result"], same["_version"]) == ("updated", 10)
    with pytest.raises(ApiError) as err:
        es.index(index="v", id="a", document={"k": "y"}, version=9, version_type="external_gte")
    assert err.value.body["error"]["reason"] == (
        "[a]: version conflict, current version [10] is higher than the one provided [9]"
    )
    assert es.index(index="v", id="a", document={"k": "z"}, version=15, version_type="external_gt")["_version"] == 15
    assert es.delete(index="v", id="a", version=20, version_type="external")["_version"] == 20
    with pytest.raises(ApiError) as err:  # the tombstone keeps version 20
        es.index(index="v", id="a", document={"k": "z"}, version=20, version_type="external")
    assert err.value.status_code == 409
    assert es.index(index="v", id="a", document={"k": "z"}, refresh=True)["_version"] == 21
    assert _versions(es, version=True) == {"a": 21}


@pytest.mark.parametrize(
    ("kw", "op", "reason"),
    [
        (
            {"version": 3},
            "index",
            "Validation Failed: 1: internal versioning can not be used for optimistic concurrency control. "
            "Please use `if_seq_no` and `if_primary_term` instead;",
        ),
        (
            {"version_type": "external"},
            "index",
            "Validation Failed: 1: illegal version value [-3] for version type [EXTERNAL];",
        ),
        (
            {"version": 3, "version_type": "external"},
            "create",
            "Validation Failed: 1: create operations only support internal versioning. use index instead;",
        ),
    ],
)
def test_version_validation(es: Engine, kw: dict[str, Any], op: str, reason: str) -> None:
    with pytest.raises(ApiError) as err:
        getattr(es, op)(index="v", id="a", document={"k": "x"}, **kw)
    assert err.value.status_code == 400
    assert err.value.body["error"]["type"] == "action_request_validation_exception"
    assert err.value.body["error"]["reason"] == reason


def test_unknown_version_type(es: Engine) -> None:
    with pytest.raises(ApiError) as err:
        es.index(index="v", id="a", document={}, version=1, version_type="force")
    assert err.value.body["error"] == {
        **err.value.body["error"],
        "type": "illegal_argument_exception",
        "reason": "No version type match [force]",
    }


def test_bulk_external_versions(es: Engine) -> None:
    r = es.bulk(
        index="v",
        operations=[
            {"index": {"_id": "a", "version": 5, "version_type": "external"}},
            {"k": "x"},
            {"index": {"_id": "a", "version": 4, "version_type": "external"}},
            {"k": "y"},
            {"delete": {"_id": "a", "version": 9, "version_type": "external"}},
            {"index": {"_id": "b", "version": 3, "version_type": "external"}},
            {"k": "x"},
        ],
        refresh=True,
    )
    items = r["items"]
    assert items[0]["index"]["_version"] == 5 and items[0]["index"]["status"] == 201
    assert items[1]["index"]["status"] == 409
    assert items[2]["delete"]["_version"] == 9 and items[2]["delete"]["result"] == "deleted"
    assert _versions(es, version=True) == {"b": 3}


def test_versions_survive_a_restart(tmp_path: Path) -> None:
    """External versions replay from the translog as written, and a saved store gives each live
    document its version back."""
    first = Engine(path=tmp_path)
    first.index(index="p", id="a", document={"k": "x"}, version=40, version_type="external")
    first.index(index="p", id="b", document={"k": "x"})
    first.index(index="p", id="b", document={"k": "y"}, refresh=True)
    first.close()
    second = Engine(path=tmp_path)
    r = second.search(index="p", version=True)
    assert {h["_id"]: h["_version"] for h in r["hits"]["hits"]} == {"a": 40, "b": 2}
    second.indices.flush(index="p")
    second.close()
    third = Engine(path=tmp_path)
    r = third.search(index="p", version=True)
    assert {h["_id"]: h["_version"] for h in r["hits"]["hits"]} == {"a": 40, "b": 2}
    third.close()


def test_version_across_indices_and_compound_retrievers() -> None:
    es = Engine()
    for index in ("x", "y"):
        es.index(index=index, id="1", document={"t": "a b"})
        es.index(index=index, id="1", document={"t": "a b"}, refresh=True)
    es.index(index="y", id="2", document={"t": "a"}, refresh=True)
    r = es.search(index="x,y", version=True, query={"match": {"t": "a"}})
    assert sorted((h["_index"], h["_id"], h["_version"]) for h in r["hits"]["hits"]) == [
        ("x", "1", 2),
        ("y", "1", 2),
        ("y", "2", 1),
    ]
    rrf = {
        "rrf": {
            "retrievers": [
                {"standard": {"query": {"match": {"t": "a"}}}},
                {"standard": {"query": {"match": {"t": "b"}}}},
            ]
        }
    }
    r = es.search(index="y", body={"version": True, "retriever": rrf})
    assert {h["_id"]: h["_version"] for h in r["hits"]["hits"]} == {"1": 2, "2": 1}
    assert es.search(index="x", body={"version": True}, filter_path="hits.hits._version") == {
        "hits": {"hits": [{"_version": 2}]}
    }
