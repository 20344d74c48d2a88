"""Port of Elasticsearch's ``search/310_match_bool_prefix.yml`` (``match_bool_prefix`` and ``multi_match``
``bool_prefix``).

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search/310_match_bool_prefix.yml`` in
``elastic/elasticsearch`` (commit ``1fb7113b1458a22fa6a1d99a545f292d84d5fda1``). Every case is ported except
``cutoff_frequency``: Elasticsearch 9 no longer has the parameter (it is an unknown ``multi_match``
parameter there, not a ``bool_prefix`` check).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

DOCS = {
    "1": {"my_field1": "brown fox jump", "my_field2": "xylophone"},
    "2": {"my_field1": "brown emu jump", "my_field2": "xylophone"},
    "3": {"my_field1": "jumparound", "my_field2": "emu"},
    "4": {"my_field1": "dog", "my_field2": "brown fox jump lazy"},
}


@pytest.fixture(scope="module")
def es() -> Engine:
    e = Engine()
    e.indices.create(
        index="test", mappings={"properties": {"my_field1": {"type": "text"}, "my_field2": {"type": "text"}}}
    )
    for _id, doc in DOCS.items():
        e.index(index="test", id=_id, document=doc)
    e.indices.refresh(index="test")
    return e


def _search(es: Engine, query: dict[str, Any]) -> tuple[int, list[str]]:
    resp = es.search(index="test", query=query)
    return resp["hits"]["total"]["value"], [h["_id"] for h in resp["hits"]["hits"]]


def test_scoring_complete_term(es: Engine) -> None:
    assert _search(es, {"match_bool_prefix": {"my_field1": "brown fox jump"}}) == (3, ["1", "2", "3"])


def test_scoring_partial_term(es: Engine) -> None:
    assert _search(es, {"match_bool_prefix": {"my_field1": "brown fox ju"}}) == (3, ["1", "2", "3"])


def test_minimum_should_match(es: Engine) -> None:
    q = {"match_bool_prefix": {"my_field1": {"query": "brown fox jump", "minimum_should_match": 3}}}
    assert _search(es, q) == (1, ["1"])


def test_analyzer(es: Engine) -> None:
    q = {"match_bool_prefix": {"my_field1": {"query": "BROWN dog", "analyzer": "whitespace"}}}
    assert _search(es, q) == (1, ["4"])


def test_operator(es: Engine) -> None:
    q = {"match_bool_prefix": {"my_field1": {"query": "brown fox jump", "operator": "AND"}}}
    assert _search(es, q) == (1, ["1"])


def test_fuzziness(es: Engine) -> None:
    q = {
        "match_bool_prefix": {
            "my_field2": {
                "query": "xylophoen foo",
                "fuzziness": 1,
                "prefix_length": 1,
                "max_expansions": 10,
                "fuzzy_transpositions": True,
                "fuzzy_rewrite": "constant_score",
            }
        }
    }
    total, ids = _search(es, q)
    assert total == 2 and sorted(ids) == ["1", "2"]


def _mm(query: str, fields: list[str], **extra: Any) -> dict[str, Any]:
    return {"multi_match": {"query": query, "type": "bool_prefix", "fields": fields, **extra}}


def test_multi_match_single_field_complete_term(es: Engine) -> None:
    assert _search(es, _mm("brown fox jump", ["my_field1"])) == (3, ["1", "2", "3"])


def test_multi_match_single_field_partial_term(es: Engine) -> None:
    assert _search(es, _mm("brown fox ju", ["my_field1"])) == (3, ["1", "2", "3"])


def test_multi_match_multiple_fields_complete_term(es: Engine) -> None:
    assert _search(es, _mm("brown fox jump lazy", ["my_field1", "my_field2"])) == (3, ["4", "1", "2"])


def test_multi_match_multiple_fields_partial_term(es: Engine) -> None:
    assert _search(es, _mm("brown fox jump laz", ["my_field1", "my_field2"])) == (3, ["4", "1", "2"])


def test_multi_match_multiple_fields_with_analyzer(es: Engine) -> None:
    q = _mm("BROWN FOX JUMP dog", ["my_field1", "my_field2"], analyzer="whitespace")
    assert _search(es, q) == (1, ["4"])


def test_multi_match_multiple_fields_with_minimum_should_match(es: Engine) -> None:
    q = _mm("brown fox jump la", ["my_field1", "my_field2"], minimum_should_match=4)
    assert _search(es, q) == (1, ["4"])


def test_multi_match_multiple_fields_with_fuzziness(es: Engine) -> None:
    assert _search(es, _mm("dob nomatch", ["my_field1", "my_field2"], fuzziness=1)) == (1, ["4"])


def test_multi_match_multiple_fields_with_boost(es: Engine) -> None:
    _, ids = _search(es, _mm("brown emu", ["my_field1", "my_field2^10"], fuzziness=1))
    assert ids[0] == "3"


def test_multi_match_multiple_fields_with_slop_throws_exception(es: Engine) -> None:
    with pytest.raises(BadRequestError) as caught:
        es.search(index="test", query=_mm("brown", ["my_field1", "my_field2"], slop=1))
    assert re.search(r"\[slop\] not allowed for type \[bool_prefix\]", str(caught.value.body["error"]))
