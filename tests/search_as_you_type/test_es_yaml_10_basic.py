"""Port of ``modules/mapper-extras/src/yamlRestTest/.../search-as-you-type/10_basic.yml``: a
``search_as_you_type`` field (``simple`` analyzer, ``max_shingle_size: 4``) queried on its root,
shingle and prefix subfields; every case expects the first document alone."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

DOC = "quick brown fox jump lazy dog"


@pytest.fixture(scope="module")
def es() -> Engine:
    client = Engine()
    client.indices.create(
        index="test",
        settings={"number_of_replicas": 0},
        mappings={
            "properties": {"a_field": {"type": "search_as_you_type", "analyzer": "simple", "max_shingle_size": 4}}
        },
    )
    client.index(index="test", id="1", document={"a_field": DOC})
    client.index(index="test", id="2", document={"a_field": "xylophone xylophone xylophone"})
    client.indices.refresh(index="test")
    return client


def test_get_document(es: Engine) -> None:
    got = es.get(index="test", id="1")
    assert got["found"] is True
    assert got["_source"]["a_field"] == DOC


_FIELDS = ["a_field", "a_field._2gram", "a_field._3gram", "a_field._4gram"]

CASES: list[tuple[str, dict[str, Any]]] = [
    ("term query on root field", {"term": {"a_field": "quick"}}),
    *[
        (f"term query on 2gram {t}", {"term": {"a_field._2gram": t}})
        for t in ["quick brown", "brown fox", "fox jump", "jump lazy", "lazy dog"]
    ],
    *[
        (f"term query on 3gram {t}", {"term": {"a_field._3gram": t}})
        for t in ["quick brown fox", "brown fox jump", "fox jump lazy", "jump lazy dog"]
    ],
    *[
        (f"term query on 4gram {t}", {"term": {"a_field._4gram": t}})
        for t in ["quick brown fox jump", "brown fox jump lazy", "fox jump lazy dog"]
    ],
    ("term query on prefix field with prefix term", {"term": {"a_field._index_prefix": "quick br"}}),
    ("term query on prefix field with infix term", {"term": {"a_field._index_prefix": "jump la"}}),
    ("term query on prefix field with trailing term", {"term": {"a_field._index_prefix": "do"}}),
    ("prefix query on root field with prefix term", {"prefix": {"a_field": "quic"}}),
    ("prefix query on root field with infix term", {"prefix": {"a_field": "brown fo"}}),
    *[
        (f"prefix query on {n} with {kind} term", {"prefix": {f"a_field._{n}": v}})
        for n in ("2gram", "3gram", "4gram")
        for kind, v in (("prefix", "quic"), ("infix", "brown fo"))
    ],
    *[
        (f"prefix query on root field {v}", {"prefix": {"a_field": v}})
        for v in [
            "quic",
            "quick b",
            "quick brown fo",
            "quick brown fox ju",
            "fo",
            "fox jum",
            "fox jump la",
            "fox jump lazy do",
            "do",
        ]
    ],
    *[
        (f"phrase query on root field {v}", {"match_phrase": {"a_field": v}})
        for v in [
            "quick",
            "quick brown",
            "quick brown fox",
            "quick brown fox jump",
            "quick brown fox jump lazy",
            "brown",
            "brown fox",
            "brown fox jump",
            "brown fox jump lazy",
            "brown fox jump lazy dog",
            "dog",
        ]
    ],
    *[
        (f"phrase prefix query on root field {v}", {"match_phrase_prefix": {"a_field": v}})
        for v in [
            "qui",
            "quick b",
            "quick brown f",
            "quick brown fox ju",
            "quick brown fox jump la",
            "br",
            "brown f",
            "brown fox ju",
            "brown fox jump la",
            "brown fox jump lazy d",
            "do",
        ]
    ],
    *[
        (f"bool prefix query on root field {v}", {"match_bool_prefix": {"a_field": v}})
        for v in [
            "qui",
            "quick b",
            "quick brown f",
            "quick brown fox ju",
            "quick brown fox jump la",
            "br",
            "brown f",
            "brown fox j",
            "brown fox jump la",
            "brown fox jump lazy d",
            "do",
            "fox jump brown do",
            "fox jump brown qui",
        ]
    ],
    *[
        (f"multi match bool prefix query {v}", {"multi_match": {"query": v, "type": "bool_prefix", "fields": _FIELDS}})
        for v in [
            "qui",
            "quick br",
            "quick brown f",
            "quick brown fox ju",
            "quick brown fox jump la",
            "br",
            "brown f",
            "brown fox ju",
            "brown fox jump la",
            "do",
            "fox jump brown do",
            "fox jump lazy qui",
        ]
    ],
]


@pytest.mark.parametrize(("name", "query"), CASES, ids=[c[0] for c in CASES])
def test_matches_first_document_only(es: Engine, name: str, query: dict[str, Any]) -> None:
    resp = es.search(index="test", query=query, rest_total_hits_as_int=True)
    assert resp["hits"]["total"] == 1, name
    assert resp["hits"]["hits"][0]["_source"]["a_field"] == DOC
