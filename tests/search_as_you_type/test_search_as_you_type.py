"""The ``search_as_you_type`` field: mapping, subfield statistics and the queries its field types
delegate (``SearchAsYouTypeFieldMapper``). Scores are computed by hand (``bm25_ref``)."""

from __future__ import annotations

import pytest

from retrievo import Engine
from retrievo.errors import ApiError
from tests.search_as_you_type import bm25_ref as ref

DOCS = {"1": "quick brown fox", "2": "brown fox jumps"}


@pytest.fixture(scope="module")
def es() -> Engine:
    client = Engine()
    client.indices.create(index="sayt", mappings={"properties": {"f": {"type": "search_as_you_type"}}})
    for doc_id, text in DOCS.items():
        client.index(index="sayt", id=doc_id, document={"f": text})
    client.indices.refresh(index="sayt")
    return client


def _hits(es: Engine, query: dict) -> dict[str, float]:
    return {h["_id"]: h["_score"] for h in es.search(index="sayt", query=query)["hits"]["hits"]}


def test_get_mapping_prints_doc_values_and_shingle_size(es: Engine) -> None:
    props = es.indices.get_mapping(index="sayt")["sayt"]["mappings"]["properties"]
    assert props["f"] == {"type": "search_as_you_type", "doc_values": False, "max_shingle_size": 3}


def test_explicit_parameters_round_trip() -> None:
    es = Engine()
    body = {"type": "search_as_you_type", "max_shingle_size": 2, "analyzer": "simple", "search_analyzer": "standard"}
    es.indices.create(index="m", mappings={"properties": {"f": body}})
    got = es.indices.get_mapping(index="m")["m"]["mappings"]["properties"]["f"]
    assert got == {**body, "doc_values": False}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"max_shingle_size": 5}, "[max_shingle_size] must be at least [2] and at most [4], got [5]"),
        ({"max_shingle_size": 1}, "[max_shingle_size] must be at least [2] and at most [4], got [1]"),
        ({"doc_values": True}, "Cannot set [doc_values] on field of type [search_as_you_type]"),
        ({"similarity": "BM25"}, "is not supported by retrievo"),  # store: test_search_as_you_type_params.py
    ],
)
def test_bad_parameters(params: dict, reason: str) -> None:
    es = Engine()
    with pytest.raises(ApiError) as err:
        es.indices.create(index="bad", mappings={"properties": {"f": {"type": "search_as_you_type", **params}}})
    assert err.value.meta.status == 400
    assert reason in str(err.value.body)


def test_shingle_fields_hold_exact_shingles(es: Engine) -> None:
    assert set(_hits(es, {"term": {"f._2gram": "brown fox"}})) == {"1", "2"}
    assert set(_hits(es, {"term": {"f._3gram": "quick brown fox"}})) == {"1"}
    assert _hits(es, {"term": {"f._2gram": "quick"}}) == {}
    # the prefix field: edge n-grams of 3-shingles padded at the end ("fox  ", with the empty filler)
    assert set(_hits(es, {"term": {"f._index_prefix": "fox  "}})) == {"1"}
    assert set(_hits(es, {"term": {"f._index_prefix": "jumps  "}})) == {"2"}


def test_match_phrase_two_words_is_a_2gram_term(es: Engine) -> None:
    # _2gram: two shingles in each document (avgdl 2); "brown fox" in both
    expected = ref.score(ref.idf(2, 2), 1, 2, 2)
    assert _hits(es, {"match_phrase": {"f": "brown fox"}}) == pytest.approx({"1": expected, "2": expected}, rel=1e-6)


def test_match_phrase_three_words_is_a_3gram_term(es: Engine) -> None:
    expected = ref.score(ref.idf(1, 2), 1, 1, 1)
    assert _hits(es, {"match_phrase": {"f": "quick brown fox"}}) == pytest.approx({"1": expected}, rel=1e-6)


def test_match_phrase_prefix_is_a_prefix_field_term(es: Engine) -> None:
    # f._index_prefix: 15 + 10 + 5 grams of doc 1, 15 + 10 + 7 of doc 2 (no norms): avgdl 31
    expected = ref.score(ref.idf(2, 2), 1, 1, 31)
    got = _hits(es, {"match_phrase_prefix": {"f": "brown fo"}})
    assert got == pytest.approx({"1": expected, "2": expected}, rel=1e-6)


def test_match_phrase_prefix_past_max_shingle_size_is_a_masked_span(es: Engine) -> None:
    # 4 positions over max_shingle_size 3: spanNear([f._3gram:"quick brown fox", mask(f._index_prefix:"brown fox j")])
    es2 = Engine()
    es2.indices.create(index="s", mappings={"properties": {"f": {"type": "search_as_you_type"}}})
    es2.index(index="s", id="1", document={"f": "quick brown fox jumps"}, refresh=True)
    es2.index(index="s", id="2", document={"f": "quick brown fox"}, refresh=True)
    got = {
        h["_id"]: h["_score"]
        for h in es2.search(index="s", query={"match_phrase_prefix": {"f": "quick brown fox j"}})["hits"]["hits"]
    }
    # _3gram: doc 1 has 2 shingles, doc 2 one (avgdl 1.5); the shingle is in both, the gram in doc 1 only
    expected = ref.score(ref.idf(2, 2) + ref.idf(1, 2), 1, 2, 1.5)
    assert got == pytest.approx({"1": expected}, rel=1e-6)


def test_bool_prefix_across_shingle_fields(es: Engine) -> None:
    fields = ["f", "f._2gram", "f._3gram"]
    got = _hits(es, {"multi_match": {"query": "quick br", "type": "bool_prefix", "fields": fields}})
    # BOOL_PREFIX's tie breaker is 1.0: f (quick + prefix "br" 1.0) plus f._2gram (prefix "quick br" on the
    # prefix field: 1.0); f._3gram has no tokens for two words. Doc 2 only has the prefix "br" on f.
    root = ref.score(ref.idf(1, 2), 1, 3, 3) + 1.0
    assert got == pytest.approx({"1": root + 1.0, "2": 1.0}, rel=1e-6)


def test_highlight_root_field_ignores_the_prefix_clause() -> None:
    # 20_highlighting.yml ("phrase query", "bool prefix query", root field of the multi_match cases)
    es = Engine()
    es.indices.create(
        index="test",
        mappings={
            "properties": {"a_field": {"type": "search_as_you_type", "analyzer": "simple", "max_shingle_size": 4}}
        },
    )
    es.index(index="test", id="1", document={"a_field": "quick brown fox jump lazy dog"}, refresh=True)
    hl = {"fields": {"a_field": {"type": "unified"}}}
    cases = [
        ({"match_phrase": {"a_field": "brown"}}, "quick <em>brown</em> fox jump lazy dog"),
        ({"match_bool_prefix": {"a_field": "brown fo"}}, "quick <em>brown</em> fox jump lazy dog"),
        (
            {
                "multi_match": {
                    "query": "brown fox jump la",
                    "type": "bool_prefix",
                    "fields": ["a_field", "a_field._2gram"],
                }
            },
            "quick <em>brown</em> <em>fox</em> <em>jump</em> lazy dog",
        ),
    ]
    for query, expected in cases:
        hit = es.search(index="test", query=query, highlight=hl)["hits"]["hits"][0]
        assert hit["highlight"]["a_field"] == [expected]
