"""The ``ip`` field type end to end through the official client: mapping, indexing, queries, sorting,
``search_after``, ``fields``/``docvalue_fields``, errors.

Expected values are hand-computed from the addresses' 16-byte encodings (IPv4 as ``::ffff:a.b.c.d``,
so every IPv4 address sorts between ``::1`` and any global IPv6 address) and from Elasticsearch's
messages (``InetAddresses.forString``: "'x' is not an IP string literal.").
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

DOCS = {
    "1": "192.168.0.1",
    "2": "192.168.1.5",
    "3": "10.0.0.1",
    "4": "2001:db8::1",
    "5": "::1",
    "6": "2001:0db8:0000:0000:0000:0000:0000:0002",  # prints compressed: 2001:db8::2
    "7": "::ffff:10.0.0.2",  # IPv4-mapped: an IPv4 address
}
#: Byte order of the encodings.
ORDER = ["5", "3", "7", "1", "2", "4", "6"]


@pytest.fixture(scope="module")
def es() -> Engine:
    e = Engine()
    e.indices.create(
        index="ips",
        mappings={
            "properties": {
                "ip": {"type": "ip"},
                "nv": {"type": "ip", "null_value": "127.0.0.1"},
                "lenient": {"type": "ip", "ignore_malformed": True},
                "stored": {"type": "ip", "store": True},
                "nodv": {"type": "ip", "doc_values": False},
            }
        },
    )
    for doc_id, ip in DOCS.items():
        e.index(index="ips", id=doc_id, document={"ip": ip, "nv": None, "stored": ip, "nodv": ip})
    e.index(index="ips", id="8", document={"lenient": "not-an-ip", "nv": "::2"})
    e.indices.refresh(index="ips")
    return e


def _ids(es: Engine, query: dict[str, Any], **kw: Any) -> list[str]:
    resp = es.search(index="ips", query=query, size=20, **kw)
    return sorted(h["_id"] for h in resp["hits"]["hits"])


def test_mapping_round_trip(es: Engine) -> None:
    props = es.indices.get_mapping(index="ips")["ips"]["mappings"]["properties"]
    assert props["ip"] == {"type": "ip"}
    assert props["nv"] == {"type": "ip", "null_value": "127.0.0.1"}
    assert props["lenient"] == {"type": "ip", "ignore_malformed": True}


def test_term_exact_scores_one(es: Engine) -> None:
    resp = es.search(index="ips", query={"term": {"ip": {"value": "192.168.0.1", "boost": 2.5}}})
    assert [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]] == [("1", 2.5)]
    # the same address spelled differently matches the same document
    assert _ids(es, {"term": {"ip": "2001:db8:0:0:0:0:0:2"}}) == ["6"]
    assert _ids(es, {"term": {"ip": "10.0.0.2"}}) == ["7"]
    assert _ids(es, {"term": {"ip": "::ffff:192.168.0.1"}}) == ["1"]


def test_term_cidr(es: Engine) -> None:
    assert _ids(es, {"term": {"ip": "192.168.0.0/16"}}) == ["1", "2"]
    assert _ids(es, {"term": {"ip": "10.0.0.0/8"}}) == ["3", "7"]
    assert _ids(es, {"term": {"ip": "2001:db8::/32"}}) == ["4", "6"]
    assert _ids(es, {"term": {"ip": "0.0.0.0/0"}}) == ["1", "2", "3", "7"]  # every IPv4 address


def test_terms_mixes_addresses_and_blocks(es: Engine) -> None:
    assert _ids(es, {"terms": {"ip": ["::1", "192.168.1.5", "2001:db8::/126"]}}) == ["2", "4", "5", "6"]


def test_range_bounds(es: Engine) -> None:
    assert _ids(es, {"range": {"ip": {"gte": "10.0.0.1", "lte": "192.168.0.1"}}}) == ["1", "3", "7"]
    assert _ids(es, {"range": {"ip": {"gt": "10.0.0.1", "lt": "192.168.0.1"}}}) == ["7"]
    assert _ids(es, {"range": {"ip": {"gt": "192.168.1.5"}}}) == ["4", "6"]
    assert _ids(es, {"range": {"ip": {"lt": "10.0.0.1"}}}) == ["5"]
    assert _ids(es, {"range": {"ip": {"gt": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}}}) == []


def test_match_and_exists(es: Engine) -> None:
    assert _ids(es, {"match": {"ip": "::1"}}) == ["5"]
    assert _ids(es, {"exists": {"field": "ip"}}) == sorted(DOCS)
    assert _ids(es, {"exists": {"field": "lenient"}}) == []  # the malformed value was ignored
    assert _ids(es, {"term": {"nv": "127.0.0.1"}}) == sorted(DOCS)  # null_value stands in for null
    assert _ids(es, {"term": {"nv": "::2"}}) == ["8"]


def test_ignored_malformed_is_listed(es: Engine) -> None:
    hit = es.search(index="ips", query={"ids": {"values": ["8"]}})["hits"]["hits"][0]
    assert hit["_ignored"] == ["lenient"]
    assert hit["_source"]["lenient"] == "not-an-ip"  # _source untouched


def test_sort_by_address_bytes_and_search_after(es: Engine) -> None:
    resp = es.search(index="ips", query={"exists": {"field": "ip"}}, sort=[{"ip": "asc"}], size=20)
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == ORDER
    assert [h["sort"] for h in hits][:3] == [["::1"], ["10.0.0.1"], ["10.0.0.2"]]
    assert hits[-1]["sort"] == ["2001:db8::2"]
    desc = es.search(index="ips", query={"exists": {"field": "ip"}}, sort=[{"ip": "desc"}], size=20)
    assert [h["_id"] for h in desc["hits"]["hits"]] == ORDER[::-1]
    after = es.search(
        index="ips", query={"exists": {"field": "ip"}}, sort=[{"ip": "asc"}], search_after=["10.0.0.2"], size=20
    )
    assert [h["_id"] for h in after["hits"]["hits"]] == ORDER[3:]


def test_fields_and_docvalue_fields_print_canonical(es: Engine) -> None:
    resp = es.search(
        index="ips",
        query={"ids": {"values": ["6", "7"]}},
        fields=["ip", "nv"],
        docvalue_fields=["ip"],
        stored_fields=["stored"],
        sort=[{"ip": "asc"}],
    )
    by_id = {h["_id"]: h for h in resp["hits"]["hits"]}
    assert by_id["6"]["fields"]["ip"] == ["2001:db8::2"]
    assert by_id["7"]["fields"]["ip"] == ["10.0.0.2"]
    assert by_id["7"]["fields"]["nv"] == ["127.0.0.1"]
    assert by_id["6"]["fields"]["stored"] == ["2001:db8::2"]


def test_docvalue_fields_multi_valued_sorted_by_bytes(es: Engine) -> None:
    es.index(index="ips", id="m", document={"ip": ["2001:db8::1", "1.2.3.4", "::1", "1.2.3.4"]}, refresh=True)
    try:
        resp = es.search(index="ips", query={"ids": {"values": ["m"]}}, docvalue_fields=["ip"])
        assert resp["hits"]["hits"][0]["fields"]["ip"] == ["::1", "1.2.3.4", "2001:db8::1"]
    finally:
        es.delete(index="ips", id="m", refresh=True)


def test_explain_prints_inet_address_point_queries(es: Engine) -> None:
    def description(query: dict[str, Any]) -> str:
        resp = es.search(index="ips", query=query, explain=True, size=1)
        return str(resp["hits"]["hits"][0]["_explanation"]["description"])

    assert description({"term": {"ip": "192.168.0.1"}}) == "ip:192.168.0.1"
    assert description({"term": {"ip": "192.168.0.0/16"}}) == "ip:[192.168.0.0 TO 192.168.255.255]"
    assert description({"range": {"ip": {"gt": "192.168.0.0", "lt": "192.168.1.0"}}}) == (
        "ip:[192.168.0.1 TO 192.168.0.255]"
    )


@pytest.mark.parametrize("bad", ["x", "256.1.1.1", "01.2.3.4", "1.2.3", "::g"])
def test_malformed_document_value(es: Engine, bad: str) -> None:
    with pytest.raises(BadRequestError) as err:
        es.index(index="ips", id="bad", document={"ip": bad})
    body = err.value.body["error"]
    assert body["type"] == "document_parsing_exception"
    assert "failed to parse field [ip] of type [ip]" in body["reason"]
    assert body["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": f"'{bad}' is not an IP string literal.",
    }


def test_malformed_query_values(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="ips", query={"term": {"ip": "nope"}})
    assert err.value.body["error"]["reason"] == "failed to create query: 'nope' is not an IP string literal."
    with pytest.raises(BadRequestError):
        es.search(index="ips", query={"range": {"ip": {"gte": "nope"}}})
    with pytest.raises(BadRequestError) as err:
        es.search(index="ips", query={"prefix": {"ip": "192"}})
    assert "not on [ip] which is of type [ip]" in err.value.body["error"]["reason"]


def test_bad_null_value_and_script_refused() -> None:
    e = Engine()
    with pytest.raises(BadRequestError) as err:
        e.indices.create(index="bad", mappings={"properties": {"ip": {"type": "ip", "null_value": "nope"}}})
    assert "'nope' is not an IP string literal." in str(err.value.body)
    with pytest.raises(BadRequestError):
        e.indices.create(index="bad2", mappings={"properties": {"ip": {"type": "ip", "script": "emit('1.1.1.1')"}}})


def test_esql_reads_ip_columns() -> None:
    e = Engine()
    e.indices.create(index="eq", mappings={"properties": {"ip": {"type": "ip"}}})
    e.bulk(
        index="eq",
        refresh=True,
        operations=[
            {"index": {}},
            {"ip": "10.0.0.1"},
            {"index": {}},
            {"ip": "9.0.0.1"},  # before 10.0.0.1 by bytes, after it as text
            {"index": {}},
            {"ip": ["2001:0db8::1", "::1", "::1"]},
        ],
    )
    resp = e.esql.query(query="FROM eq | KEEP ip | SORT ip")
    assert resp["columns"] == [{"name": "ip", "type": "ip"}]
    assert resp["values"] == [[["::1", "2001:db8::1"]], ["9.0.0.1"], ["10.0.0.1"]]


def test_query_string_and_multi_match_reach_ip_fields() -> None:
    e = Engine()
    e.indices.create(index="qs", mappings={"properties": {"ip": {"type": "ip"}, "t": {"type": "text"}}})
    e.index(index="qs", id="1", document={"ip": "1.2.3.4", "t": "hello"})
    e.index(index="qs", id="2", document={"ip": "1.2.3.5", "t": "1.2.3.4"})
    e.indices.refresh(index="qs")

    def hits(query: dict[str, Any]) -> list[tuple[str, float]]:
        resp = e.search(index="qs", query=query)
        return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]

    assert [i for i, _ in hits({"query_string": {"query": 'ip:"1.2.0.0/16"'}})] == ["1", "2"]
    assert [i for i, _ in hits({"query_string": {"query": "ip:[1.2.3.0 TO 1.2.3.4]"}})] == ["1"]
    assert [i for i, _ in hits({"query_string": {"query": "ip:{1.2.3.4 TO *]"}})] == ["2"]
    # "*" expands to ip fields too (leniently): the address scores 1 on ip, BM25 on the text
    both = hits({"multi_match": {"query": "1.2.3.4", "fields": ["*"]}})
    assert both[0] == ("1", 1.0)
    assert [i for i, _ in hits({"multi_match": {"query": "hello", "fields": ["*"]}})] == ["1"]


def test_nested_ip_sort_and_query() -> None:
    e = Engine()
    e.indices.create(
        index="nest", mappings={"properties": {"n": {"type": "nested", "properties": {"ip": {"type": "ip"}}}}}
    )
    e.index(index="nest", id="1", document={"n": [{"ip": "10.0.0.1"}, {"ip": "2001:db8::1"}]})
    e.index(index="nest", id="2", document={"n": [{"ip": "9.0.0.1"}]})
    e.index(index="nest", id="3", document={"n": [{"ip": "::2"}]})
    e.indices.refresh(index="nest")

    def order(direction: str) -> list[tuple[str, list[Any]]]:
        sort = [{"n.ip": {"order": direction, "nested": {"path": "n"}}}]
        return [(h["_id"], h["sort"]) for h in e.search(index="nest", sort=sort)["hits"]["hits"]]

    assert order("asc") == [("3", ["::2"]), ("2", ["9.0.0.1"]), ("1", ["10.0.0.1"])]  # min per doc
    assert order("desc") == [("1", ["2001:db8::1"]), ("2", ["9.0.0.1"]), ("3", ["::2"])]  # max per doc
    nested = {"nested": {"path": "n", "query": {"term": {"n.ip": "10.0.0.0/8"}}}}
    assert [h["_id"] for h in e.search(index="nest", query=nested)["hits"]["hits"]] == ["1"]
