"""Ports of Elasticsearch's ``search.aggregation/42_ip_range.yml`` and ``450_ip_prefix.yml``
(``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.aggregation/``, elastic/elasticsearch),
plus ``terms``/``cardinality``/``missing``/``value_count``/``top_hits`` on an ip field.

``450_ip_prefix.yml`` is ported with the builder's parameter names, ``prefix_length`` and
``append_prefix_length`` (``IpPrefixAggregationBuilder``'s ``ParseField``s; the YAML's older revision
spells them ``prefix_len``), and the bucket's ``prefix_length`` as ``InternalIpPrefix`` prints it.
Every case of both files runs.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine
from tests.es_conformance.es_yaml import assert_catch_regex, at

# ------------------------------------------------------------------------------------- 42_ip_range


@pytest.fixture(scope="module")
def ranges_es() -> Engine:
    es = Engine()
    es.indices.create(index="test", mappings={"properties": {"ip": {"type": "ip"}}})
    es.bulk(
        index="test",
        refresh=True,
        operations=[
            {"index": {}},
            {"ip": "::1", "v": 1},
            {"index": {}},
            {"ip": "192.168.0.1", "v": 2},
            {"index": {}},
            {"ip": "192.168.0.7", "v": 3},
        ],
    )
    return es


def _aggs(es: Engine, aggs: dict[str, Any]) -> dict[str, Any]:
    resp = es.search(index="test", size=0, aggs=aggs, rest_total_hits_as_int=True)
    assert resp["hits"]["total"] in (3, 10)
    return dict(resp["aggregations"])


THREE_RANGES = [{"to": "192.168.0.0"}, {"from": "192.168.0.0", "to": "192.169.0.0"}, {"from": "192.169.0.0"}]


@pytest.mark.parametrize(
    "ranges",
    [
        THREE_RANGES,
        [
            {"from": None, "to": "192.168.0.0"},
            {"from": "192.168.0.0", "to": "192.169.0.0"},
            {"from": "192.169.0.0", "to": None},
        ],
    ],
)
def test_ip_range(ranges_es: Engine, ranges: list[dict[str, Any]]) -> None:
    r = _aggs(ranges_es, {"ip_range": {"ip_range": {"field": "ip", "ranges": ranges}}})
    assert len(at(r, "ip_range.buckets")) == 3
    assert "from" not in at(r, "ip_range.buckets.0")
    assert at(r, "ip_range.buckets.0.to") == "192.168.0.0"
    assert at(r, "ip_range.buckets.0.doc_count") == 1
    assert at(r, "ip_range.buckets.1.from") == "192.168.0.0"
    assert at(r, "ip_range.buckets.1.to") == "192.169.0.0"
    assert at(r, "ip_range.buckets.1.doc_count") == 2
    assert at(r, "ip_range.buckets.2.from") == "192.169.0.0"
    assert "to" not in at(r, "ip_range.buckets.2")
    assert at(r, "ip_range.buckets.2.doc_count") == 0


def test_ip_range_masks(ranges_es: Engine) -> None:
    r = _aggs(
        ranges_es,
        {"ip_range": {"ip_range": {"field": "ip", "ranges": [{"mask": "::/24"}, {"mask": "192.168.0.0/16"}]}}},
    )
    assert len(at(r, "ip_range.buckets")) == 2
    assert at(r, "ip_range.buckets.0.key") == "::/24"
    assert at(r, "ip_range.buckets.0.to") == "0:100::"
    assert at(r, "ip_range.buckets.0.doc_count") == 3
    assert at(r, "ip_range.buckets.1.key") == "192.168.0.0/16"
    assert at(r, "ip_range.buckets.1.from") == "192.168.0.0"
    assert at(r, "ip_range.buckets.1.to") == "192.169.0.0"
    assert at(r, "ip_range.buckets.1.doc_count") == 2


def test_ip_range_key_generation(ranges_es: Engine) -> None:
    r = _aggs(ranges_es, {"ip_range": {"ip_range": {"field": "ip", "ranges": THREE_RANGES}}})
    assert [b["key"] for b in r["ip_range"]["buckets"]] == ["*-192.168.0.0", "192.168.0.0-192.169.0.0", "192.169.0.0-*"]


def _avg_bucket_case(es: Engine) -> dict[str, Any]:
    return _aggs(
        es,
        {
            "range": {"ip_range": {"field": "ip", "ranges": THREE_RANGES}, "aggs": {"v": {"sum": {"field": "v"}}}},
            "range_avg_v": {"avg_bucket": {"buckets_path": "range.v"}},
        },
    )


def test_ip_range_avg_bucket(ranges_es: Engine) -> None:
    r = _avg_bucket_case(ranges_es)
    assert [(b["key"], b["doc_count"], b["v"]["value"]) for b in r["range"]["buckets"]] == [
        ("*-192.168.0.0", 1, 1),
        ("192.168.0.0-192.169.0.0", 2, 5),
        ("192.169.0.0-*", 0, 0),
    ]


def test_ip_range_avg_bucket_value(ranges_es: Engine) -> None:
    assert _avg_bucket_case(ranges_es)["range_avg_v"]["value"] == 3


def test_ip_range_keyed_and_errors(ranges_es: Engine) -> None:
    r = _aggs(
        ranges_es, {"r": {"ip_range": {"field": "ip", "keyed": True, "ranges": [{"key": "local", "mask": "::/120"}]}}}
    )
    assert r["r"]["buckets"] == {"local": {"from": "::", "to": "::100", "doc_count": 1}}
    with pytest.raises(BadRequestError) as err:
        _aggs(ranges_es, {"r": {"ip_range": {"field": "ip", "ranges": [{"from": "nope"}]}}})
    assert_catch_regex(err.value, "'nope' is not an IP string literal.")
    with pytest.raises(BadRequestError) as err:
        _aggs(ranges_es, {"r": {"ip_range": {"field": "v", "ranges": [{"from": "1.1.1.1"}]}}})
    assert_catch_regex(err.value, r"Field \[v\] of type \[long\] is not supported for aggregation \[ip_range\]")


# ----------------------------------------------------------------------------------- 450_ip_prefix

ROWS = [
    ("192.168.1.10", "2001:db8:a4f8:112a:6001:0:12:7f10", 10, "192.168.1.10"),
    ("192.168.1.12", "2001:db8:a4f8:112a:6001:0:12:7f12", 20, "2001:db8:a4f8:112a:6001:0:12:7f12"),
    ("192.168.1.33", "2001:db8:a4f8:112a:6001:0:12:7f33", 40, "192.168.1.33"),
    ("192.168.1.10", "2001:db8:a4f8:112a:6001:0:12:7f10", 20, "2001:db8:a4f8:112a:6001:0:12:7f10"),
    ("192.168.1.33", "2001:db8:a4f8:112a:6001:0:12:7f33", 70, "192.168.1.33"),
    ("192.168.2.41", "2001:db8:a4f8:112c:6001:0:12:7f41", 20, "2001:db8:a4f8:112c:6001:0:12:7f41"),
    ("192.168.2.10", "2001:db8:a4f8:112c:6001:0:12:7f10", 30, "192.168.2.10"),
    ("192.168.2.23", "2001:db8:a4f8:112c:6001:0:12:7f23", 50, "2001:db8:a4f8:112c:6001:0:12:7f23"),
    ("192.168.2.41", "2001:db8:a4f8:112c:6001:0:12:7f41", 60, "192.168.2.41"),
    ("192.168.2.10", "2001:db8:a4f8:112c:6001:0:12:7f10", 10, "2001:db8:a4f8:112c:6001:0:12:7f10"),
]


@pytest.fixture(scope="module")
def prefix_es() -> Engine:
    es = Engine()
    es.indices.create(
        index="test",
        mappings={
            "properties": {
                "ipv4": {"type": "ip"},
                "ipv6": {"type": "ip"},
                "ip": {"type": "ip"},
                "value": {"type": "long"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for ipv4, ipv6, value, ip in ROWS:
        ops += [{"index": {}}, {"ipv4": ipv4, "ipv6": ipv6, "value": value, "ip": ip}]
    es.bulk(index="test", refresh=True, operations=ops)
    return es


def _prefix(es: Engine, **params: Any) -> list[dict[str, Any]]:
    r = _aggs(es, {"ip_prefix": {"ip_prefix": params}})
    return list(r["ip_prefix"]["buckets"])


def _v4(key: str, count: int, length: int, netmask: str) -> dict[str, Any]:
    return {"key": key, "netmask": netmask, "doc_count": count, "is_ipv6": False, "prefix_length": length}


def _v6(key: str, count: int, length: int) -> dict[str, Any]:
    return {"key": key, "doc_count": count, "is_ipv6": True, "prefix_length": length}


def test_ipv4_prefix(prefix_es: Engine) -> None:
    assert _prefix(prefix_es, field="ipv4", is_ipv6=False, prefix_length=24) == [
        _v4("192.168.1.0", 5, 24, "255.255.255.0"),
        _v4("192.168.2.0", 5, 24, "255.255.255.0"),
    ]


def test_ipv4_prefix_with_incorrect_is_ipv6(prefix_es: Engine) -> None:
    assert _prefix(prefix_es, field="ipv4", is_ipv6=True, prefix_length=24) == [_v6("::", 10, 24)]


def test_ipv4_short_prefix(prefix_es: Engine) -> None:
    r = _aggs(
        prefix_es,
        {
            "first": {"ip_prefix": {"field": "ipv4", "is_ipv6": False, "prefix_length": 13}},
            "second": {"ip_prefix": {"field": "ipv4", "is_ipv6": False, "prefix_length": 6}},
        },
    )
    assert r["first"]["buckets"] == [_v4("192.168.0.0", 10, 13, "255.248.0.0")]
    assert r["second"]["buckets"] == [_v4("192.0.0.0", 10, 6, "252.0.0.0")]


def test_ipv6_prefix(prefix_es: Engine) -> None:
    assert _prefix(prefix_es, field="ipv6", is_ipv6=True, prefix_length=64) == [
        _v6("2001:db8:a4f8:112a::", 5, 64),
        _v6("2001:db8:a4f8:112c::", 5, 64),
    ]


def test_ipv6_prefix_with_incorrect_is_ipv6(prefix_es: Engine) -> None:
    assert _prefix(prefix_es, field="ipv6", is_ipv6=False, prefix_length=16) == [_v4("0.18.0.0", 10, 16, "255.255.0.0")]


@pytest.mark.parametrize(("field", "is_ipv6", "length", "limit"), [("ipv4", False, 44, 32), ("ipv6", True, 170, 128)])
def test_invalid_prefix(prefix_es: Engine, field: str, is_ipv6: bool, length: int, limit: int) -> None:
    with pytest.raises(BadRequestError) as err:
        _prefix(prefix_es, field=field, is_ipv6=is_ipv6, prefix_length=length)
    assert_catch_regex(err.value, rf"\[prefix_length\] must be in range \[0, {limit}\]")


def test_ipv4_prefix_sub_aggregation(prefix_es: Engine) -> None:
    r = _aggs(
        prefix_es,
        {
            "top_ip_prefix": {
                "ip_prefix": {"field": "ipv4", "is_ipv6": False, "prefix_length": 16},
                "aggs": {"sub_ip_prefix": {"ip_prefix": {"field": "ipv4", "is_ipv6": False, "prefix_length": 24}}},
            }
        },
    )
    top = r["top_ip_prefix"]["buckets"]
    assert len(top) == 1
    sub = top[0].pop("sub_ip_prefix")["buckets"]
    assert top[0] == _v4("192.168.0.0", 10, 16, "255.255.0.0")
    assert sub == [_v4("192.168.1.0", 5, 24, "255.255.255.0"), _v4("192.168.2.0", 5, 24, "255.255.255.0")]


def test_ipv6_prefix_sub_aggregation(prefix_es: Engine) -> None:
    r = _aggs(
        prefix_es,
        {
            "top_ip_prefix": {
                "ip_prefix": {"field": "ipv6", "is_ipv6": True, "prefix_length": 48},
                "aggs": {"sub_ip_prefix": {"ip_prefix": {"field": "ipv6", "is_ipv6": True, "prefix_length": 64}}},
            }
        },
    )
    top = r["top_ip_prefix"]["buckets"]
    sub = top[0].pop("sub_ip_prefix")["buckets"]
    assert top == [_v6("2001:db8:a4f8::", 10, 48)]
    assert sub == [_v6("2001:db8:a4f8:112a::", 5, 64), _v6("2001:db8:a4f8:112c::", 5, 64)]


def test_ipv6_prefix_metric_sub_aggregation(prefix_es: Engine) -> None:
    r = _aggs(
        prefix_es,
        {
            "ip_prefix": {
                "ip_prefix": {"field": "ipv6", "is_ipv6": True, "prefix_length": 64},
                "aggs": {"sum": {"sum": {"field": "value"}}},
            }
        },
    )
    assert [(b["key"], b["doc_count"], b["sum"]["value"]) for b in r["ip_prefix"]["buckets"]] == [
        ("2001:db8:a4f8:112a::", 5, 160),
        ("2001:db8:a4f8:112c::", 5, 170),
    ]


def test_prefix_appended(prefix_es: Engine) -> None:
    v4 = _prefix(prefix_es, field="ipv4", is_ipv6=False, prefix_length=24, append_prefix_length=True)
    assert [b["key"] for b in v4] == ["192.168.1.0/24", "192.168.2.0/24"]
    v6 = _prefix(prefix_es, field="ipv6", is_ipv6=True, prefix_length=64, append_prefix_length=True)
    assert [b["key"] for b in v6] == ["2001:db8:a4f8:112a::/64", "2001:db8:a4f8:112c::/64"]


def test_mixed_ipv4_and_ipv6(prefix_es: Engine) -> None:
    assert _prefix(prefix_es, field="ip", is_ipv6=False, prefix_length=16) == [
        _v4("0.18.0.0", 5, 16, "255.255.0.0"),
        _v4("192.168.0.0", 5, 16, "255.255.0.0"),
    ]
    assert _prefix(prefix_es, field="ip", is_ipv6=True, prefix_length=64) == [
        _v6("::", 5, 64),
        _v6("2001:db8:a4f8:112a::", 2, 64),
        _v6("2001:db8:a4f8:112c::", 3, 64),
    ]


def test_prefix_keyed_and_min_doc_count(prefix_es: Engine) -> None:
    r = _aggs(
        prefix_es,
        {"p": {"ip_prefix": {"field": "ipv4", "prefix_length": 32, "keyed": True, "min_doc_count": 2}}},
    )
    # 192.168.1.10, .1.33, .2.10 and .2.41 appear twice; .1.12 and .2.23 once
    assert list(r["p"]["buckets"]) == ["192.168.1.10", "192.168.1.33", "192.168.2.10", "192.168.2.41"]
    assert r["p"]["buckets"]["192.168.1.33"] == {
        "netmask": "255.255.255.255",
        "doc_count": 2,
        "is_ipv6": False,
        "prefix_length": 32,
    }


# ------------------------------------------------------------- other aggregations over an ip field


def test_terms_cardinality_missing_value_count_top_hits(prefix_es: Engine) -> None:
    r = _aggs(
        prefix_es,
        {
            "t": {"terms": {"field": "ip", "size": 3}},
            "c": {"cardinality": {"field": "ip"}},
            "m": {"missing": {"field": "ip"}},
            "vc": {"value_count": {"field": "ip"}},
            "th": {"top_hits": {"size": 2, "sort": [{"ip": "desc"}], "_source": False}},
        },
    )
    # counts per address: 192.168.1.33 ×2, 2001:db8:a4f8:112c:6001:0:12:7f10 ×1 ... ties broken by key (bytes)
    assert r["t"]["buckets"] == [
        {"key": "192.168.1.33", "doc_count": 2},
        {"key": "192.168.1.10", "doc_count": 1},
        {"key": "192.168.2.10", "doc_count": 1},
    ]
    assert r["t"]["sum_other_doc_count"] == 6
    assert r["c"]["value"] == 9
    assert r["m"]["doc_count"] == 0
    assert r["vc"]["value"] == 10
    assert [h["sort"] for h in r["th"]["hits"]["hits"]] == [
        ["2001:db8:a4f8:112c:6001:0:12:7f41"],
        ["2001:db8:a4f8:112c:6001:0:12:7f23"],
    ]


def test_terms_missing_sorts_by_address() -> None:
    es = Engine()
    es.indices.create(index="m", mappings={"properties": {"ip": {"type": "ip"}}})
    es.index(index="m", id="1", document={"ip": "10.0.0.1"})
    es.index(index="m", id="2", document={"ip": "9.0.0.1"})
    es.index(index="m", id="3", document={"other": 1})
    es.indices.refresh(index="m")

    def buckets(missing: str) -> list[tuple[str, int]]:
        aggs = {"a": {"terms": {"field": "ip", "missing": missing, "order": {"_key": "asc"}}}}
        resp = es.search(index="m", size=0, aggs=aggs)
        return [(b["key"], b["doc_count"]) for b in resp["aggregations"]["a"]["buckets"]]

    # 200.0.0.0 sorts last by bytes, although "200..." < "9..." as text
    assert buckets("200.0.0.0") == [("9.0.0.1", 1), ("10.0.0.1", 1), ("200.0.0.0", 1)]
    assert buckets("::ffff:9.0.0.1") == [("9.0.0.1", 2), ("10.0.0.1", 1)]  # the same address, spelled IPv6
    with pytest.raises(BadRequestError) as err:
        buckets("zz")
    assert_catch_regex(err.value, "'zz' is not an IP string literal.")
