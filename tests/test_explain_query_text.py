"""Explanations of doc-set queries print Lucene's ``toString`` of what Elasticsearch builds.

``ConstantScoreWeight.explain`` describes a match with its query's ``toString``; Elasticsearch's
``NumberFieldMapper``/``DateFieldMapper`` build point range queries (a ``term`` on a number or a date is
the range from the value to itself), ``PointRangeQuery.toString`` prints ``field:[lo TO hi]`` with
inclusive bounds -- an exclusive or fractional bound already moved to the next value the type holds, an
open side the type's extreme. ``terms`` on a number is ``PointInSetQuery`` (``field:{a b}``), on a
keyword ``TermInSetQuery`` (``field:(a b)``); a keyword ``range`` is ``TermRangeQuery``
(``field:[a TO c}``); ``prefix`` is ``field:b*``; ``exists`` is ``ExistsQueryBuilder``'s
``ConstantScoreQuery`` around ``FieldExistsQuery``; ``ids`` is a ``TermInSetQuery`` over the
``Uid.encodeId`` bytes. Every expected string below is written from those rules by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine
from retrievo.lucene.query_text import point_range_text, term_set_text


@pytest.fixture(scope="module")
def es() -> Iterator[Engine]:
    e = Engine()
    e.indices.create(
        index="t",
        mappings={
            "properties": {
                "integer": {"type": "integer"},
                "l": {"type": "long"},
                "f": {"type": "float"},
                "d": {"type": "double"},
                "h": {"type": "half_float"},
                "dt": {"type": "date"},
                "k": {"type": "keyword"},
            }
        },
    )
    doc = {"integer": 2, "l": 5, "f": 2.5, "d": 1.5, "h": 1.5, "dt": "2015-01-01T10:00:00Z", "k": "b"}
    e.index(index="t", id="1", document=doc, refresh=True)
    yield e


def _description(es: Engine, query: dict[str, Any]) -> str:
    hits = es.search(index="t", query=query, explain=True)["hits"]["hits"]
    assert len(hits) == 1, query
    return str(hits[0]["_explanation"]["description"])


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"term": {"integer": 2}}, "integer:[2 TO 2]"),
        ({"range": {"integer": {"gt": 1}}}, "integer:[2 TO 2147483647]"),
        ({"range": {"integer": {"gte": 1.5, "lt": 3}}}, "integer:[2 TO 2]"),
        ({"range": {"integer": {"gt": -1.5, "lte": 2.5}}}, "integer:[-1 TO 2]"),
        ({"range": {"l": {"gte": 5}}}, "l:[5 TO 9223372036854775807]"),
        ({"range": {"l": {"lt": 6}}}, "l:[-9223372036854775808 TO 5]"),
        ({"term": {"f": 2.5}}, "f:[2.5 TO 2.5]"),
        ({"range": {"f": {"gt": 2}}}, "f:[2.0000002 TO Infinity]"),
        ({"range": {"d": {"lte": 2}}}, "d:[-Infinity TO 2.0]"),
        ({"range": {"d": {"lt": 2}}}, "d:[-Infinity TO 1.9999999999999998]"),
        ({"range": {"h": {"gte": 1.5}}}, "h:[1.5 TO Infinity]"),
        (
            {"range": {"dt": {"gte": "2015-01-01", "lt": "2016-01-01"}}},
            "dt:[1420070400000 TO 1451606399999]",
        ),
        ({"terms": {"integer": [7, 2, 2]}}, "integer:{2 7}"),
        ({"terms": {"k": ["b", "a"]}}, "k:(a b)"),
        ({"range": {"k": {"gte": "a", "lt": "c"}}}, "k:[a TO c}"),
        ({"range": {"k": {"gt": "a"}}}, "k:{a TO *]"),
        ({"prefix": {"k": "b"}}, "k:b*"),
        ({"exists": {"field": "k"}}, "ConstantScore(FieldExistsQuery [field=k])"),
        ({"ids": {"values": ["1"]}}, "_id:([fe 1f])"),
    ],
)
def test_doc_set_explanations_print_lucene_strings(es: Engine, query: dict[str, Any], expected: str) -> None:
    assert _description(es, query) == expected


def test_constant_score_around_a_numeric_term(es: Engine) -> None:
    """The rrf/800 YAML's clause: ``ConstantScoreQuery(IntField.newExactQuery)`` boosted 10."""
    query = {"constant_score": {"filter": {"term": {"integer": 2}}, "boost": 10}}
    assert _description(es, query) == "ConstantScore(integer:[2 TO 2])^10.0"


def test_a_term_on_a_date_matches_the_rounded_up_day(es: Engine) -> None:
    """``DateFieldType.termQuery`` is ``rangeQuery(v, v, true, true)``: the upper bound rounds up, so
    ``2015-01-01`` covers the whole day and matches a document at 10:00 that day."""
    assert _description(es, {"term": {"dt": "2015-01-01"}}) == "dt:[1420070400000 TO 1420156799999]"


def test_bounds_pushed_past_the_type_are_no_docs() -> None:
    """``NumberType.INTEGER.rangeQuery``: ``gt`` the largest int (or ``lt`` the smallest) is ``MatchNoDocsQuery``."""
    assert point_range_text("i", "integer", 2147483647, False, None, False) == 'MatchNoDocsQuery("")'
    assert point_range_text("i", "integer", None, False, -2147483648, False) == 'MatchNoDocsQuery("")'


def test_half_float_bounds_are_half_floats() -> None:
    """``HalfFloatPoint.nextUp``/``nextDown`` around float-parsed bounds (spacing 2^-10 between 1 and 2);
    a term is ``newExactQuery`` of the value rounded to the nearest half float."""
    assert point_range_text("h", "half_float", 1.5, False, 2.0, False) == "h:[1.5009766 TO 1.9990234]"
    assert point_range_text("h", "half_float", 1.3, True, 1.3, True) == "h:[1.2998047 TO 1.2998047]"


def test_term_sets_print_in_byte_order() -> None:
    """``TermInSetQuery`` keeps its terms as sorted UTF-8 bytes: ``Z`` (0x5a) before ``a``, ``é`` after ``z``."""
    assert term_set_text("k", ["é", "a", "Z", "z"]) == "k:(Z a z é)"
