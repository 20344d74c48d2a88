"""``lenient`` on the four multi-term kinds of ``query_string`` (prefix, wildcard, regexp, fuzzy).

Elasticsearch's ``QueryStringQueryParser`` builds each per field inside ``try { ... } catch
(RuntimeException e) { if (lenient) return newLenientFieldQuery(field, e); throw e; }`` —
``getPrefixQuerySingle``, ``getWildcardQuerySingle``, ``getRegexpQuerySingle`` and
``getFuzzyQuerySingle`` alike — so on a field type that cannot take the query every kind fails without
``lenient`` and matches nothing with it. The field type's refusal is ``MappedFieldType``'s: prefix and
wildcard name "keyword, text and wildcard fields", regexp and fuzzy "keyword and text fields". Prefix
and fuzzy first treat a field without text search (``TextSearchInfo.NONE``: ``dense_vector``,
``rank_feature``) as unmapped, lenient or not; the simple parser has no such check. A lucene
``ParseException`` (a leading wildcard when they are disallowed) is not a ``RuntimeException``: lenient
does not catch it. retrievo's own refusals surface whatever ``lenient`` says, for every kind.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

PREFIX_MSG = "Can only use prefix queries on keyword, text and wildcard fields - not on [n] which is of type [long]"
WILDCARD_MSG = "Can only use wildcard queries on keyword, text and wildcard fields - not on [n] which is of type [long]"
REGEXP_MSG = "Can only use regexp queries on keyword and text fields - not on [n] which is of type [long]"
FUZZY_MSG = "Can only use fuzzy queries on keyword and text fields - not on [n] which is of type [long]"

KINDS = [("n:5*", PREFIX_MSG), ("n:5?", WILDCARD_MSG), ("n:/5/", REGEXP_MSG), ("n:5~", FUZZY_MSG)]


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="q",
        settings={
            "analysis": {
                "filter": {"syn": {"type": "synonym", "synonyms": ["foo, bar"]}},
                "analyzer": {"syn": {"tokenizer": "standard", "filter": ["lowercase", "syn"]}},
            }
        },
        mappings={
            "properties": {
                "n": {"type": "long"},
                "t": {"type": "text"},
                "s": {"type": "text", "analyzer": "syn"},
                "v": {"type": "dense_vector", "dims": 2},
                "r": {"type": "rank_feature"},
            }
        },
    )
    engine.index(index="q", id="1", document={"n": 5, "t": "hello world", "s": "foo", "v": [1, 0], "r": 1.0})
    engine.index(index="q", id="2", document={"n": 55, "t": "other words", "s": "baz", "v": [0, 1], "r": 2.0})
    engine.indices.refresh(index="q")
    return engine


def _search(es: Engine, query: dict[str, Any]) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in es.search(index="q", query=query)["hits"]["hits"]]


def _reason(err: pytest.ExceptionInfo[BadRequestError]) -> str:
    return str(err.value.body["error"]["root_cause"][0]["reason"])


@pytest.mark.parametrize(("text", "message"), KINDS)
def test_not_lenient_every_kind_fails_on_a_long(es: Engine, text: str, message: str) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="q", query={"query_string": {"query": text, "lenient": False}})
    assert _reason(err) == f"failed to create query: {message}"


@pytest.mark.parametrize(("text", "message"), KINDS)
def test_lenient_every_kind_matches_nothing_on_a_long(es: Engine, text: str, message: str) -> None:
    assert _search(es, {"query_string": {"query": text, "lenient": True}}) == []
    # beside a clause that matches, the failed field adds nothing: the same hits and scores
    alone = _search(es, {"query_string": {"query": "t:hello"}})
    assert len(alone) == 1
    assert _search(es, {"query_string": {"query": f"{text} OR t:hello", "lenient": True}}) == alone


@pytest.mark.parametrize("text", ["5*", "5?", "/5.*/", "5~"])
def test_lenient_across_fields(es: Engine, text: str) -> None:
    """Several fields: the long field's query fails quietly, the text field's runs (nothing matches
    ``5`` there either, so no hits — and no error)."""
    assert _search(es, {"query_string": {"query": text, "fields": ["n", "t"], "lenient": True}}) == []
    with pytest.raises(BadRequestError):
        es.search(index="q", query={"query_string": {"query": text, "fields": ["n", "t"], "lenient": False}})


def test_the_simple_parser_is_lenient_the_same_way(es: Engine) -> None:
    for text in ("5*", "5~1"):
        assert _search(es, {"simple_query_string": {"query": text, "fields": ["n"], "lenient": True}}) == []
    with pytest.raises(BadRequestError) as err:
        es.search(index="q", query={"simple_query_string": {"query": "5~1", "fields": ["n"]}})
    assert FUZZY_MSG in _reason(err)


@pytest.mark.parametrize("field", ["v", "r"])
@pytest.mark.parametrize("suffix", ["*", "~"])
def test_prefix_and_fuzzy_skip_fields_without_text_search(es: Engine, field: str, suffix: str) -> None:
    for lenient in (False, True):
        assert _search(es, {"query_string": {"query": f"{field}:abc{suffix}", "lenient": lenient}}) == []


@pytest.mark.parametrize("field", ["v", "r"])
@pytest.mark.parametrize(
    ("text", "kind", "types"),
    [("ab?c", "wildcard", "keyword, text and wildcard"), ("/abc/", "regexp", "keyword and text")],
)
def test_wildcard_and_regexp_do_not_skip_them(es: Engine, field: str, text: str, kind: str, types: str) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="q", query={"query_string": {"query": f"{field}:{text}", "lenient": False}})
    type_name = {"v": "dense_vector", "r": "rank_feature"}[field]
    assert _reason(err) == (
        f"failed to create query: Can only use {kind} queries on {types} fields - not on [{field}] "
        f"which is of type [{type_name}]"
    )
    assert _search(es, {"query_string": {"query": f"{field}:{text}", "lenient": True}}) == []


def test_the_simple_parser_does_not_skip_them(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="q", query={"simple_query_string": {"query": "abc*", "fields": ["v"]}})
    assert "Can only use prefix queries on keyword, text and wildcard fields - not on [v]" in _reason(err)
    assert _search(es, {"simple_query_string": {"query": "abc*", "fields": ["v"], "lenient": True}}) == []


def test_a_bad_regexp_is_lenient_too(es: Engine) -> None:
    assert _search(es, {"query_string": {"query": "t:/[a/", "lenient": True}}) == []
    with pytest.raises(BadRequestError):
        es.search(index="q", query={"query_string": {"query": "t:/[a/", "lenient": False}})


def test_a_parse_exception_is_not_lenient(es: Engine) -> None:
    body = {"query": "t:*ello", "allow_leading_wildcard": False, "lenient": True}
    with pytest.raises(BadRequestError) as err:
        es.search(index="q", query={"query_string": body})
    assert _reason(err) == "Failed to parse query [t:*ello]"


@pytest.mark.parametrize("kind", ["query_string", "simple_query_string"])
def test_refusals_surface_under_lenient(es: Engine, kind: str) -> None:
    """``analyze_wildcard`` over stacked synonyms is refused by retrievo: matching nothing instead
    would silently differ from Elasticsearch, so ``lenient`` does not hide it."""
    body = {"query": "foo*", "fields": ["s"], "analyze_wildcard": True, "lenient": True}
    with pytest.raises(BadRequestError) as err:
        es.search(index="q", query={kind: body})
    assert "is not supported in retrievo" in _reason(err)
