"""``collapse`` with ``inner_hits`` over several indices.

Elasticsearch's expand phase (``ExpandSearchPhase``) runs, for each collapsed hit and each
``inner_hits``, one search over the request's indices: the group's filter (a ``match`` on the group
value, or no value for the field) with the request's ``query`` as a MUST clause and its
``post_filter``; the inner hits are that search's hits, merged over the indices. Expected groups and
inner hits are worked out by hand from the documents.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

#: index → [(id, group or None, n)]
DOCS: dict[str, list[tuple[str, str | None, int]]] = {
    "c1": [("c1-0", "x", 1), ("c1-1", "y", 5), ("c1-2", "x", 7), ("c1-3", None, 2)],
    "c2": [("c2-0", "x", 3), ("c2-1", "z", 4), ("c2-2", "y", 9), ("c2-3", None, 8)],
}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    for index, docs in DOCS.items():
        engine.indices.create(
            index=index, mappings={"properties": {"g": {"type": "keyword"}, "n": {"type": "integer"}}}
        )
        for doc_id, group, n in docs:
            engine.index(index=index, id=doc_id, document={"n": n} if group is None else {"g": group, "n": n})
    engine.indices.refresh(index="c1,c2")
    return engine


def inner(hit: dict[str, Any], name: str) -> tuple[int, list[str]]:
    found = hit["inner_hits"][name]["hits"]
    return found["total"]["value"], [h["_id"] for h in found["hits"]]


def test_inner_hits_search_every_index(es: Engine) -> None:
    """By ``n`` descending the groups are y (c2-2, 9), no value (c2-3, 8), x (c1-2, 7), z (c2-1, 4);
    each group's inner hits, by ``n`` ascending, come from both indices."""
    response = es.search(
        index="c1,c2",
        sort=[{"n": "desc"}],
        collapse={"field": "g", "inner_hits": {"name": "low", "size": 2, "sort": [{"n": "asc"}]}},
    )
    page = response["hits"]["hits"]
    assert [h["_id"] for h in page] == ["c2-2", "c2-3", "c1-2", "c2-1"]
    assert [h["fields"]["g"] for h in page] == [["y"], [None], ["x"], ["z"]]
    assert [inner(h, "low") for h in page] == [
        (2, ["c1-1", "c2-2"]),
        (2, ["c1-3", "c2-3"]),
        (3, ["c1-0", "c2-0"]),
        (1, ["c2-1"]),
    ]
    low = page[2]["inner_hits"]["low"]["hits"]
    assert [(h["_index"], h["sort"], h["_score"]) for h in low["hits"]] == [("c1", [1], None), ("c2", [3], None)]
    assert low["max_score"] is None


def test_inner_hits_keep_the_query_and_each_spec(es: Engine) -> None:
    """With ``n >= 3`` (constant score 1), two inner hits: ``first`` (by score: ties go by index, then
    doc) and ``rest`` (``from`` 1, by ``n`` descending)."""
    response = es.search(
        index="c1,c2",
        query={"constant_score": {"filter": {"range": {"n": {"gte": 3}}}}},
        collapse={
            "field": "g",
            "inner_hits": [
                {"name": "first", "size": 1},
                {"name": "rest", "from": 1, "size": 5, "sort": [{"n": "desc"}]},
            ],
        },
    )
    page = response["hits"]["hits"]
    # every match scores 1: the merge goes by index then doc; c1: c1-1 y, c1-2 x; c2: c2-0 x, c2-1 z, c2-2 y, c2-3 none
    assert [h["_id"] for h in page] == ["c1-1", "c1-2", "c2-1", "c2-3"]
    assert [inner(h, "first") for h in page] == [(2, ["c1-1"]), (2, ["c1-2"]), (1, ["c2-1"]), (1, ["c2-3"])]
    assert [inner(h, "rest") for h in page] == [(2, ["c1-1"]), (2, ["c2-0"]), (1, []), (1, [])]
    first = page[0]["inner_hits"]["first"]["hits"]
    assert first["max_score"] == 1.0 and first["hits"][0]["_score"] == 1.0


def test_inner_hits_totals_as_int(es: Engine) -> None:
    response = es.search(
        index="c1,c2",
        query={"bool": {"filter": [{"exists": {"field": "g"}}, {"range": {"n": {"lte": 5}}}]}},
        collapse={"field": "g", "inner_hits": {"name": "all", "sort": ["n"]}},
        rest_total_hits_as_int=True,
    )
    page = response["hits"]["hits"]
    # the query leaves c1-0 x, c1-1 y, c2-0 x, c2-1 z
    assert [h["_id"] for h in page] == ["c1-0", "c1-1", "c2-1"]
    totals = [h["inner_hits"]["all"]["hits"]["total"] for h in page]
    assert totals == [2, 1, 1]
    assert [[i["_id"] for i in h["inner_hits"]["all"]["hits"]["hits"]] for h in page] == [
        ["c1-0", "c2-0"],
        ["c1-1"],
        ["c2-1"],
    ]
