"""Port of Elasticsearch's ``search/110_field_collapsing.yml`` YAML REST tests.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search/110_field_collapsing.yml``
in ``elastic/elasticsearch`` (read at ``c3e16f5895f1ff80f25889b45d820fa17a61b31e`` and ``0799d729``).
Every expectation below is the YAML's own. Cases the YAML itself skips for "Awaits fix" (multi-shard
issues 52416/73316) run here: on one shard their expectations hold.

Not ported as written:

* "field collapsing and rescore" expects ``cannot use `collapse` in conjunction with `rescore```; that
  case was deleted in 8.15 (elastic/elasticsearch#107779 made collapse and rescore work together), so
  the 9.x behaviour is tested from ``112_field_collapsing_with_rescore.yml`` in
  ``test_collapse_yaml_111_112_115.py`` instead.
* "field collapsing, inner_hits and version" is ported in ``tests/versions/test_version_on_hits.py``
  (its setup's external versions); "... and seq_no" is ported in
  ``tests/loose_ends/test_stored_fields_top_hits_collapse.py``.
* "field collapsing on a field alias" maps an ``alias`` field (a type retrievo does not have) and
  searches two indices at once (a ``collapse`` with ``inner_hits`` over two indices is checked here).
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine

#: (id, numeric_group, tag, sort) of the YAML's setup.
DOCS = [(1, 1, "A", 10), (2, 1, "B", 6), (3, 1, "A", 24), (4, 25, "B", 10), (5, 25, "A", 5), (6, 3, "B", 36)]


def build() -> Engine:
    e = Engine()
    e.indices.create(
        index="test", mappings={"properties": {"numeric_group": {"type": "integer"}, "tag": {"type": "keyword"}}}
    )
    for doc_id, group, tag, sort in DOCS:
        e.index(index="test", id=str(doc_id), document={"numeric_group": group, "tag": tag, "sort": sort})
    e.indices.refresh(index="test")
    return e


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build()


def search(e: Engine, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    return e.search(index="test", rest_total_hits_as_int=True, body=body, **params).body


def check_hit(hit: dict[str, Any], doc_id: str, group: int, sort: int) -> None:
    assert hit["_index"] == "test"
    assert hit["_id"] == doc_id
    assert hit["fields"]["numeric_group"] == [group]
    assert hit["sort"] == [sort]


def inner(hit: dict[str, Any], name: str = "sub_hits") -> tuple[int, list[str]]:
    hits = hit["inner_hits"][name]["hits"]
    return hits["total"], [h["_id"] for h in hits["hits"]]


def test_field_collapsing(engine: Engine) -> None:
    resp = search(engine, {"collapse": {"field": "numeric_group"}, "sort": [{"sort": "desc"}]})
    assert resp["hits"]["total"] == 6
    hits = resp["hits"]["hits"]
    assert len(hits) == 3
    check_hit(hits[0], "6", 3, 36)
    check_hit(hits[1], "3", 1, 24)
    check_hit(hits[2], "4", 25, 10)
    assert all("inner_hits" not in h for h in hits)


def test_field_collapsing_and_from(engine: Engine) -> None:
    resp = search(engine, {"from": 2, "collapse": {"field": "numeric_group"}, "sort": [{"sort": "desc"}]})
    assert resp["hits"]["total"] == 6
    hits = resp["hits"]["hits"]
    assert len(hits) == 1
    check_hit(hits[0], "4", 25, 10)
    assert "inner_hits" not in hits[0]


INNER_ASC = {"name": "sub_hits", "size": 2, "sort": [{"sort": "asc"}]}
EXPECTED_INNER = [(1, ["6"]), (3, ["2", "1"]), (2, ["5", "4"])]


@pytest.mark.parametrize("extra", [{}, {"max_concurrent_group_searches": 10}], ids=["plain", "max_concurrent"])
def test_field_collapsing_and_inner_hits(engine: Engine, extra: dict[str, Any]) -> None:
    resp = search(
        engine, {"collapse": {"field": "numeric_group", **extra, "inner_hits": INNER_ASC}, "sort": [{"sort": "desc"}]}
    )
    assert resp["hits"]["total"] == 6
    hits = resp["hits"]["hits"]
    assert len(hits) == 3
    for hit, (doc_id, group, sort), expected in zip(hits, [("6", 3, 36), ("3", 1, 24), ("4", 25, 10)], EXPECTED_INNER):
        check_hit(hit, doc_id, group, sort)
        assert inner(hit) == expected


def test_field_collapsing_inner_hits_and_fields(engine: Engine) -> None:
    resp = search(
        engine,
        {
            "collapse": {"field": "numeric_group", "inner_hits": {**INNER_ASC, "fields": ["tag"]}},
            "sort": [{"sort": "desc"}],
        },
    )
    hits = resp["hits"]["hits"]
    assert len(hits) == 3
    got = [[(h["_id"], h["fields"]["tag"]) for h in hit["inner_hits"]["sub_hits"]["hits"]["hits"]] for hit in hits]
    assert got == [[("6", ["B"])], [("2", ["B"]), ("1", ["A"])], [("5", ["A"]), ("4", ["B"])]]


def test_field_collapsing_and_scroll(engine: Engine) -> None:
    with pytest.raises(ApiError) as err:
        search(engine, {"collapse": {"field": "numeric_group"}}, scroll="1s")
    assert err.value.status_code == 400
    assert "cannot use `collapse` in a scroll context" in err.value.body["error"]["reason"]


@pytest.mark.parametrize(
    "search_after, sort",
    [([6], [{"sort": "desc"}]), ([6, 42], [{"numeric_group": "asc", "sort": "desc"}])],
    ids=["other_field", "two_fields"],
)
def test_field_collapsing_and_search_after_with_invalid_sort(
    engine: Engine, search_after: list[int], sort: list[Any]
) -> None:
    with pytest.raises(ApiError) as err:
        search(engine, {"collapse": {"field": "numeric_group"}, "search_after": search_after, "sort": sort})
    assert err.value.status_code == 400
    error = err.value.body["error"]
    assert error["type"] == "search_phase_execution_exception"
    assert error["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "Cannot use [collapse] in conjunction with [search_after] unless the search is sorted on the "
        "same field. Multiple sort fields are not allowed.",
    }


def test_field_collapsing_and_search_after(engine: Engine) -> None:
    first = engine.search(
        index="test", body={"collapse": {"field": "numeric_group"}, "sort": [{"numeric_group": "desc"}], "size": 1}
    ).body
    assert first["hits"]["total"]["value"] == 6
    assert [(h["fields"]["numeric_group"], h["sort"]) for h in first["hits"]["hits"]] == [([25], [25])]
    resp = engine.search(
        index="test",
        body={
            "collapse": {"field": "numeric_group"},
            "sort": [{"numeric_group": "desc"}],
            "search_after": [25],
            "size": 2,
        },
    ).body
    assert resp["hits"]["total"]["value"] == 6
    assert [(h["_index"], h["fields"]["numeric_group"], h["sort"]) for h in resp["hits"]["hits"]] == [
        ("test", [3], [3]),
        ("test", [1], [1]),
    ]


def test_no_hits_and_inner_hits(engine: Engine) -> None:
    body = {
        "size": 0,
        "collapse": {"field": "numeric_group", "inner_hits": {"name": "sub_hits", "size": 1}},
        "sort": [{"sort": "desc"}],
    }
    resp = search(engine, body)
    assert resp["hits"]["total"] == 6
    assert resp["hits"]["hits"] == []
    assert resp["hits"]["max_score"] is None


def test_field_collapsing_and_multiple_inner_hits(engine: Engine) -> None:
    body = {
        "collapse": {
            "field": "numeric_group",
            "inner_hits": [
                {"name": "sub_hits_asc", "size": 2, "sort": [{"sort": "asc"}]},
                {"name": "sub_hits_desc", "size": 1, "sort": [{"sort": "desc"}]},
            ],
        },
        "sort": [{"sort": "desc"}],
    }
    resp = search(engine, body)
    assert resp["hits"]["total"] == 6
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["6", "3", "4"]
    assert [inner(h, "sub_hits_asc") for h in hits] == [(1, ["6"]), (3, ["2", "1"]), (2, ["5", "4"])]
    assert [inner(h, "sub_hits_desc") for h in hits] == [(1, ["6"]), (3, ["3"]), (2, ["4"])]


@pytest.mark.skip(
    reason="retrievo has no `alias` field type (its mapping is refused), and the case searches two indices"
)
def test_field_collapsing_on_a_field_alias() -> None:
    """The YAML searches ``[alias-test, test]``; kept for when aliases land (totals 8; groups 3, 1, 25
    with inner totals 1, 4, 3)."""


def test_collapse_inner_hits_across_several_indices() -> None:
    """An empty second index changes nothing: the expand searches run over both indices
    (``tests/multi_index/test_multi_index_collapse.py`` has groups spread over several)."""
    e = build()
    e.indices.create(index="other", mappings={"properties": {"numeric_group": {"type": "integer"}}})
    body = {"collapse": {"field": "numeric_group", "inner_hits": INNER_ASC}, "sort": [{"sort": "desc"}]}
    resp = e.search(index="test,other", rest_total_hits_as_int=True, body=body).body
    hits = resp["hits"]["hits"]
    for hit, (doc_id, group, sort), expected in zip(hits, [("6", 3, 36), ("3", 1, 24), ("4", 25, 10)], EXPECTED_INNER):
        check_hit(hit, doc_id, group, sort)
        assert inner(hit) == expected
