"""The ``ip`` cases of Elasticsearch's ``search/160_exists_query.yml`` YAML REST test
(``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search/160_exists_query.yml``, elastic/elasticsearch):
``exists`` on a mapped ip field (with and without doc values), on an index where it is unmapped, and on an
index where it is mapped but holds no document. The other field types' cases are not ported here.
"""

from __future__ import annotations

import pytest

from retrievo import Engine


@pytest.fixture(scope="module")
def es() -> Engine:
    e = Engine()
    for index, extra in (("test", {}), ("test-no-dv", {"doc_values": False})):
        e.indices.create(
            index=index,
            mappings={"dynamic": False, "properties": {"ip": {"type": "ip", **extra}, "keyword": {"type": "keyword"}}},
        )
        for doc_id in ("1", "2", "3"):
            e.index(
                index=index,
                id=doc_id,
                document={"ip": "192.168.0.1", "keyword": "foo"},
                routing="route_me" if doc_id == "3" else None,
            )
        e.index(index=index, id="4", document={})
    e.indices.create(
        index="test-unmapped", mappings={"dynamic": False, "properties": {"unrelated": {"type": "keyword"}}}
    )
    e.index(index="test-unmapped", id="1", document={"unrelated": "foo"})
    e.indices.create(index="test-empty", mappings={"dynamic": False, "properties": {"ip": {"type": "ip"}}})
    e.indices.refresh(index="test,test-no-dv,test-unmapped,test-empty")
    return e


@pytest.mark.parametrize(
    ("index", "expected"), [("test", 3), ("test-no-dv", 3), ("test-unmapped", 0), ("test-empty", 0)]
)
def test_exists_query_on_ip_field(es: Engine, index: str, expected: int) -> None:
    resp = es.search(index=index, rest_total_hits_as_int=True, query={"exists": {"field": "ip"}})
    assert resp["hits"]["total"] == expected
