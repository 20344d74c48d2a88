"""``search_as_you_type``'s ``store`` and ``copy_to`` (``SearchAsYouTypeFieldMapper`` takes both, as
``text`` does), and the ``text`` parameters retrievo's ``text`` does not honour, refused here too.

Expected values by hand: a stored ``search_as_you_type`` value comes back from ``stored_fields`` as the
string indexed (``valueForDisplay`` of a text type), and a copied value is searchable in the target
exactly as if the document had held it there.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

MAPPING = {
    "properties": {
        "title": {"type": "search_as_you_type", "store": True, "copy_to": ["all", "tags"]},
        "all": {"type": "text"},
        "tags": {"type": "keyword"},
        "plain": {"type": "search_as_you_type"},
    }
}


@pytest.fixture()
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="s", mappings=MAPPING)
    engine.index(index="s", id="1", document={"title": "quick brown fox", "plain": "slow"})
    engine.index(index="s", id="2", document={"title": ["lazy dog", "brown cow"], "plain": "fast"})
    engine.indices.refresh(index="s")
    return engine


def _ids(r: Any) -> list[str]:
    return sorted(h["_id"] for h in r["hits"]["hits"])


def test_mapping_round_trip(es: Engine) -> None:
    props = es.indices.get_mapping(index="s")["s"]["mappings"]["properties"]
    assert props["title"] == {
        "type": "search_as_you_type",
        "doc_values": False,
        "max_shingle_size": 3,
        "store": True,
        "copy_to": ["all", "tags"],
    }
    assert props["plain"] == {"type": "search_as_you_type", "doc_values": False, "max_shingle_size": 3}
    # a mapping read back can be sent again unchanged
    again = Engine()
    again.indices.create(index="s", mappings={"properties": props})
    assert again.indices.get_mapping(index="s")["s"]["mappings"]["properties"] == props


def test_copy_to_a_single_name_prints_as_a_list() -> None:
    es = Engine()
    es.indices.create(
        index="c",
        mappings={"properties": {"t": {"type": "search_as_you_type", "copy_to": "k"}, "k": {"type": "keyword"}}},
    )
    assert es.indices.get_mapping(index="c")["c"]["mappings"]["properties"]["t"]["copy_to"] == ["k"]


def test_stored_fields(es: Engine) -> None:
    r = es.search(index="s", stored_fields=["title", "plain"], sort=["_doc"])
    assert [(h["_id"], h.get("fields")) for h in r["hits"]["hits"]] == [
        ("1", {"title": ["quick brown fox"]}),
        ("2", {"title": ["lazy dog", "brown cow"]}),
    ]
    assert all("_source" not in h for h in r["hits"]["hits"])
    got = es.get(index="s", id="2", stored_fields="title,plain")
    assert got["fields"] == {"title": ["lazy dog", "brown cow"]}
    assert "_source" not in got


def test_copy_to_targets(es: Engine) -> None:
    assert _ids(es.search(index="s", query={"match": {"all": "brown"}})) == ["1", "2"]
    assert _ids(es.search(index="s", query={"match": {"all": "dog"}})) == ["2"]
    assert _ids(es.search(index="s", query={"term": {"tags": "brown cow"}})) == ["2"]
    assert _ids(es.search(index="s", query={"term": {"tags": "quick brown fox"}})) == ["1"]
    aggs = es.search(index="s", size=0, aggs={"t": {"terms": {"field": "tags"}}})["aggregations"]["t"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in aggs] == [("brown cow", 1), ("lazy dog", 1), ("quick brown fox", 1)]


def test_the_source_field_still_serves_as_you_type_queries(es: Engine) -> None:
    query = {
        "multi_match": {
            "query": "brown c",
            "type": "bool_prefix",
            "fields": ["title", "title._2gram", "title._3gram"],
        }
    }
    assert _ids(es.search(index="s", query=query)) == ["1", "2"]
    phrase = {"match_phrase_prefix": {"title": "brown c"}}
    assert _ids(es.search(index="s", query=phrase)) == ["2"]


def test_copy_into_a_search_as_you_type_field() -> None:
    """A value copied into a ``search_as_you_type`` target fills its subfields too (the target's
    mapper parses the copy)."""
    es = Engine()
    es.indices.create(
        index="t",
        mappings={"properties": {"src": {"type": "text", "copy_to": "sayt"}, "sayt": {"type": "search_as_you_type"}}},
    )
    es.index(index="t", id="1", document={"src": "quick brown fox"}, refresh=True)
    for field in ("sayt._2gram", "sayt._3gram"):
        assert _ids(es.search(index="t", query={"match": {field: "quick brown fox"}})) == ["1"]
    assert _ids(es.search(index="t", query={"match_phrase_prefix": {"sayt": "quick bro"}})) == ["1"]


def test_store_cannot_change() -> None:
    es = Engine()
    es.indices.create(index="u", mappings={"properties": {"t": {"type": "search_as_you_type", "store": True}}})
    with pytest.raises(BadRequestError) as err:
        es.indices.put_mapping(index="u", properties={"t": {"type": "search_as_you_type"}})
    assert err.value.body["error"]["reason"] == (
        "Mapper for [t] conflicts with existing mapper:\n\tCannot update parameter [store] from [true] to [false]"
    )


@pytest.mark.parametrize(
    ("param", "value"),
    [("similarity", "BM25"), ("index_options", "docs"), ("term_vector", "yes"), ("search_quote_analyzer", "simple")],
)
def test_parameters_text_does_not_honour_are_refused(param: str, value: str) -> None:
    es = Engine()
    with pytest.raises(BadRequestError) as err:
        es.indices.create(index="r", mappings={"properties": {"t": {"type": "search_as_you_type", param: value}}})
    assert err.value.body["error"]["type"] == "mapper_parsing_exception"
    assert err.value.body["error"]["caused_by"]["reason"] == (
        f"parameter [{param}] on mapper [t] of type [search_as_you_type] is not supported by retrievo"
    )
    assert not es.indices.exists(index="r")
