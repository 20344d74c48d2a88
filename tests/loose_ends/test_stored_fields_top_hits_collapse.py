"""``stored_fields`` inside ``top_hits`` and collapse ``inner_hits``.

The ``top_hits`` case ports ``search.aggregation/200_top_hits.yml``'s "stored fields" (its setup maps
``text`` with ``store: true``). The rest follows ``FetchContext.buildFetchSourceContext``: naming stored
fields turns the implicit ``_source`` off unless ``_source`` is named or asked for, and ``_none_`` drops
``_id`` and ``_source``; expected values are the indexed documents themselves.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

TEXTS = ["the quick brown fox", "jumped over the lazy dog", "The vorpal blade went snicker-snack!"]


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="test",
        settings={"number_of_shards": 1},
        mappings={
            "properties": {
                "page": {"type": "integer", "store": True},
                "text": {"type": "text", "store": True},
                "when": {"type": "date", "store": True, "format": "yyyy/MM/dd"},
                "plain": {"type": "keyword"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for i, (page, text) in enumerate(zip([1, 1, 2], TEXTS, strict=True)):
        ops += [{"index": {"_id": str(i)}}, {"page": page, "text": text, "when": f"2020/01/0{i + 1}", "plain": "p"}]
    engine.bulk(index="test", operations=ops, refresh=True)
    return engine


def _top_hits(es: Engine, top_hits: dict[str, Any]) -> list[list[dict[str, Any]]]:
    aggs = {"page": {"terms": {"field": "page"}, "aggs": {"top_hits": {"top_hits": top_hits}}}}
    r = es.search(index="test", aggs=aggs, size=0)
    assert r["hits"]["total"]["value"] == 3
    buckets = r["aggregations"]["page"]["buckets"]
    assert [b["key"] for b in buckets] == [1, 2]
    return [b["top_hits"]["hits"]["hits"] for b in buckets]


def test_200_top_hits_stored_fields(es: Engine) -> None:
    b0, b1 = _top_hits(es, {"stored_fields": "text"})
    assert [h["fields"]["text"] for h in b0] == [[TEXTS[0]], [TEXTS[1]]]
    assert [h["fields"]["text"] for h in b1] == [[TEXTS[2]]]
    assert all("_source" not in h and "_id" in h for h in b0 + b1)  # the implicit _source is off


def test_top_hits_stored_fields_with_source_and_patterns(es: Engine) -> None:
    b0, _ = _top_hits(es, {"stored_fields": ["p*", "when", "plain", "_source"], "_source": ["page"]})
    # "plain" is not stored: nothing; dates print in the field's format; _source named: source on, filtered
    assert b0[0]["fields"] == {"page": [1], "when": ["2020/01/01"]}
    assert b0[0]["_source"] == {"page": 1}
    b0, _ = _top_hits(es, {"stored_fields": ["page"], "_source": True})
    assert b0[0]["_source"]["text"] == TEXTS[0] and b0[0]["fields"] == {"page": [1]}


def test_top_hits_stored_fields_none(es: Engine) -> None:
    b0, b1 = _top_hits(es, {"stored_fields": "_none_"})
    assert all("_id" not in h and "_source" not in h and "fields" not in h for h in b0 + b1)
    assert len(b0) == 2 and len(b1) == 1


def test_top_hits_stored_fields_errors(es: Engine) -> None:
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError) as err:
        _top_hits(es, {"stored_fields": ["_none_", "text"]})
    assert "cannot combine _none_ with other fields" in str(err.value.body)


def _collapse(es: Engine, inner: dict[str, Any]) -> list[dict[str, Any]]:
    r = es.search(
        index="test",
        collapse={"field": "page", "inner_hits": {"name": "g", "sort": [{"_doc": "asc"}], **inner}},
        sort=[{"page": "asc"}],
    )
    return [h["inner_hits"]["g"]["hits"]["hits"] for h in r["hits"]["hits"]]


def test_collapse_inner_hits_stored_fields(es: Engine) -> None:
    g1, g2 = _collapse(es, {"stored_fields": ["text", "when"]})
    assert [(h["_id"], h["fields"]) for h in g1] == [
        ("0", {"text": [TEXTS[0]], "when": ["2020/01/01"]}),
        ("1", {"text": [TEXTS[1]], "when": ["2020/01/02"]}),
    ]
    assert [(h["_id"], h["fields"]) for h in g2] == [("2", {"text": [TEXTS[2]], "when": ["2020/01/03"]})]
    assert all("_source" not in h for h in g1 + g2)


def test_collapse_inner_hits_stored_fields_beside_fields_and_source(es: Engine) -> None:
    g1, _ = _collapse(
        es, {"stored_fields": ["page", "_source"], "fields": ["plain"], "_source": {"includes": ["text"]}}
    )
    assert g1[0]["fields"] == {"page": [1], "plain": ["p"]}
    assert g1[0]["_source"] == {"text": TEXTS[0]}
    g1, _ = _collapse(es, {"stored_fields": "_none_"})
    assert all("_id" not in h and "_source" not in h for h in g1) and len(g1) == 2


def test_collapse_inner_hits_stored_fields_print_back(es: Engine) -> None:
    from retrievo.grammar.json.collapse import parse_inner_hits

    inner = parse_inner_hits({"name": "g", "stored_fields": ["text", "page"]})
    assert inner.to_json()["stored_fields"] == ["text", "page"]
    assert parse_inner_hits(inner.to_json()) == inner


# ------------------------------------------------------------------------------ seq_no_primary_term


def test_200_top_hits_sequence_number_and_primary_term(es: Engine) -> None:
    b0, b1 = _top_hits(es, {"seq_no_primary_term": True})
    # the fixture bulk-indexed ids 0, 1, 2 in that order: their sequence numbers
    assert [(h["_id"], h["_seq_no"], h["_primary_term"]) for h in b0 + b1] == [("0", 0, 1), ("1", 1, 1), ("2", 2, 1)]
    b0, _ = _top_hits(es, {})
    assert "_seq_no" not in b0[0]


def test_110_field_collapsing_inner_hits_and_seq_no() -> None:
    """``search/110_field_collapsing.yml`` "field collapsing, inner_hits and seq_no" (its setup: six
    documents indexed once each, so each ``_seq_no`` is its indexing position)."""
    es = Engine()
    es.indices.create(index="test", mappings={"properties": {"numeric_group": {"type": "integer"}}})
    docs = [(1, 1, "A", 10), (2, 1, "B", 6), (3, 1, "A", 24), (4, 25, "B", 10), (5, 25, "A", 5), (6, 3, "B", 36)]
    for doc_id, group, tag, sort in docs:
        es.index(index="test", id=str(doc_id), document={"numeric_group": group, "tag": tag, "sort": sort})
    es.indices.refresh(index="test")
    inner = {"name": "sub_hits", "seq_no_primary_term": True, "size": 2, "sort": [{"sort": "asc"}]}
    resp = es.search(
        index="test",
        rest_total_hits_as_int=True,
        collapse={"field": "numeric_group", "inner_hits": inner},
        sort=[{"sort": "desc"}],
    )
    assert resp["hits"]["total"] == 6
    hits = resp["hits"]["hits"]
    assert [(h["_id"], h["fields"]["numeric_group"], h["sort"]) for h in hits] == [
        ("6", [3], [36]),
        ("3", [1], [24]),
        ("4", [25], [10]),
    ]
    groups = [h["inner_hits"]["sub_hits"]["hits"] for h in hits]
    assert [g["total"] for g in groups] == [1, 3, 2]
    got = [[(x["_id"], x["_seq_no"], x["_primary_term"]) for x in g["hits"]] for g in groups]
    assert got == [[("6", 5, 1)], [("2", 1, 1), ("1", 0, 1)], [("5", 4, 1), ("4", 3, 1)]]
    assert all("_seq_no" not in h for h in hits)  # only the inner hits asked for it
