"""Ports of Elasticsearch's YAML REST tests for ``prefix``/``wildcard``/``regexp`` on keyword fields and
the regexp length limit.

Sources (``elastic/elasticsearch``, ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/``):

* ``search/398_keyword_doc_values_multiterm_search.yml`` (commit ``08b36b52``): the same queries and
  expectations, on an *indexed* ``keyword`` field — the YAML's field is doc-values-only
  (``index: false``, ``doc_values.cardinality``), a mapping retrievo does not search; the matches of
  these queries are the same for both.
* ``search/30_limits.yml`` "Regexp length limit" (commit ``19448162``): a 1110-character regexp
  (the YAML's is an e-mail regexp of that length; the check only reads the length) and the message.
"""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

AIRPORTS = {
    "1": "London Heathrow Airport",
    "2": "London Gatwick Airport",
    "3": "Singapore Changi Airport",
    "4": "New York JFK Airport",
}


@pytest.fixture(scope="module")
def kw() -> Engine:
    es = Engine()
    es.indices.create(
        index="test_kw", mappings={"dynamic": False, "properties": {"keyword_field": {"type": "keyword"}}}
    )
    for doc_id, value in AIRPORTS.items():
        es.index(index="test_kw", id=doc_id, document={"keyword_field": value})
    es.indices.refresh(index="test_kw")
    return es


def _hits(es: Engine, query: dict) -> list[str]:
    return [h["_id"] for h in es.search(index="test_kw", query=query)["hits"]["hits"]]


# YAML: "Test prefix query on sorted-set doc-values-only keyword field"
def test_prefix(kw):
    assert len(_hits(kw, {"prefix": {"keyword_field": {"value": "London"}}})) == 2


# YAML: "Test case-insensitive prefix query on ... keyword field"
def test_prefix_case_insensitive(kw):
    assert len(_hits(kw, {"prefix": {"keyword_field": {"value": "london", "case_insensitive": True}}})) == 2


# YAML: "Test wildcard query on ... keyword field"
def test_wildcard(kw):
    assert _hits(kw, {"wildcard": {"keyword_field": {"value": "*Changi*"}}}) == ["3"]


# YAML: "Test case-insensitive wildcard query on ... keyword field"
def test_wildcard_case_insensitive(kw):
    assert _hits(kw, {"wildcard": {"keyword_field": {"value": "*changi*", "case_insensitive": True}}}) == ["3"]


# YAML: "Test regexp query on ... keyword field"
def test_regexp(kw):
    assert len(_hits(kw, {"regexp": {"keyword_field": {"value": "London.*"}}})) == 2


# YAML: "Test case-insensitive regexp query on ... keyword field"
def test_regexp_case_insensitive(kw):
    assert len(_hits(kw, {"regexp": {"keyword_field": {"value": "london.*", "case_insensitive": True}}})) == 2


def test_without_case_insensitive_nothing_matches_lowercase(kw):
    """The contrast the YAML implies: the lowercase pattern alone matches none of the capitalised values."""
    assert _hits(kw, {"wildcard": {"keyword_field": {"value": "*changi*"}}}) == []
    assert _hits(kw, {"regexp": {"keyword_field": {"value": "london.*"}}}) == []


# 30_limits.yml: "Regexp length limit"
def test_regexp_length_limit():
    es = Engine()
    es.index(index="test_1", id="1", document={"foo": "bar", "foo2": "bar", "foo3": "bar"}, refresh=True)
    pattern = "a" * 1110
    with pytest.raises(BadRequestError) as err:
        es.search(index="test_1", query={"regexp": {"foo": pattern}})
    assert (
        "The length of regex [1110] used in the Regexp Query request has exceeded the allowed maximum of [1000]. "
        "This maximum can be set by changing the [index.max_regex_length] index level setting."
    ) in str(err.value.info)
    # exactly at the limit the query runs
    assert es.search(index="test_1", query={"regexp": {"foo": "a" * 1000}})["hits"]["total"]["value"] == 0
