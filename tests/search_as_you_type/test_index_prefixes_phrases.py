"""``text`` fields with ``index_prefixes`` and ``index_phrases``: the hidden ``._index_prefix`` and
``._index_phrase`` subfields, and the queries Elasticsearch's ``TextFieldType`` moves onto them.
Expected scores are computed by hand from the token streams (``bm25_ref``)."""

from __future__ import annotations

import pytest

from retrievo import Engine
from retrievo.errors import ApiError
from tests.search_as_you_type import bm25_ref as ref

DOCS = {"1": "quick brown fox", "2": "quick quiet brown dog", "3": "the lazy dog"}
# t._index_prefix (grams of 2..5 characters; no norms, but frequencies as the parent's index options):
# 10 + 14 + 7 grams ("qu" and "qui" twice in "quick quiet")
PREFIX_AVGDL = 31 / 3
# t._index_phrase (2-shingles, with norms): 2 + 3 + 2 shingles
PHRASE_AVGDL = 7 / 3
TEXT_AVGDL = 10 / 3


@pytest.fixture(scope="module")
def es() -> Engine:
    client = Engine()
    client.indices.create(
        index="idx",
        mappings={
            "properties": {
                "t": {"type": "text", "index_prefixes": {}, "index_phrases": True},
                "plain": {"type": "text"},
            }
        },
    )
    for doc_id, text in DOCS.items():
        client.index(index="idx", id=doc_id, document={"t": text, "plain": text})
    client.indices.refresh(index="idx")
    return client


def _hits(es: Engine, query: dict) -> dict[str, float]:
    return {h["_id"]: h["_score"] for h in es.search(index="idx", query=query)["hits"]["hits"]}


def test_mapping_round_trip(es: Engine) -> None:
    props = es.indices.get_mapping(index="idx")["idx"]["mappings"]["properties"]
    assert props["t"] == {"type": "text", "index_prefixes": {"min_chars": 2, "max_chars": 5}, "index_phrases": True}


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"min_chars": 0}, "min_chars [0] must be greater than zero"),
        ({"max_chars": 20}, "max_chars [20] must be less than 20"),
        ({"min_chars": 4, "max_chars": 3}, "min_chars [4] must be less than max_chars [3]"),
    ],
)
def test_bad_prefix_config(config: dict, reason: str) -> None:
    es = Engine()
    with pytest.raises(ApiError) as err:
        es.indices.create(index="bad", mappings={"properties": {"t": {"type": "text", "index_prefixes": config}}})
    assert err.value.meta.status == 400
    assert reason in str(err.value.body)


def test_prefix_subfield_holds_grams(es: Engine) -> None:
    assert set(_hits(es, {"term": {"t._index_prefix": "qu"}})) == {"1", "2"}
    assert set(_hits(es, {"term": {"t._index_prefix": "quie"}})) == {"2"}
    assert _hits(es, {"term": {"t._index_prefix": "q"}}) == {}  # shorter than min_chars
    assert _hits(es, {"term": {"t._index_prefix": "quickl"}}) == {}  # longer than max_chars


@pytest.mark.parametrize("value", ["q", "qu", "quic", "quick", "quickly", "d"])
def test_prefix_query_same_documents_constant_score(es: Engine, value: str) -> None:
    got = _hits(es, {"prefix": {"t": value}})
    assert got == _hits(es, {"prefix": {"plain": value}})
    assert set(got.values()) <= {1.0}


def test_prefix_query_scoring_rewrite_scores_the_gram(es: Engine) -> None:
    # TextFieldType.prefixQuery: a non-constant rewrite returns the prefix field's TermQuery as is
    got = _hits(es, {"prefix": {"t": {"value": "qui", "rewrite": "scoring_boolean"}}})
    expected = {"1": ref.score(ref.idf(2, 3), 1, 1, PREFIX_AVGDL), "2": ref.score(ref.idf(2, 3), 2, 1, PREFIX_AVGDL)}
    assert got == pytest.approx(expected, rel=1e-6)


def test_match_phrase_two_words_is_a_shingle_term(es: Engine) -> None:
    got = _hits(es, {"match_phrase": {"t": "quick brown"}})
    assert got == pytest.approx({"1": ref.score(ref.idf(1, 3), 1, 2, PHRASE_AVGDL)}, rel=1e-6)
    assert got == _hits(es, {"term": {"t._index_phrase": "quick brown"}})


def test_match_phrase_three_words_is_a_shingle_phrase(es: Engine) -> None:
    got = _hits(es, {"match_phrase": {"t": "quick brown fox"}})
    expected = ref.score(ref.idf(1, 3) + ref.idf(1, 3), 1, 2, PHRASE_AVGDL)
    assert got == pytest.approx({"1": expected}, rel=1e-6)


def test_match_phrase_with_slop_stays_on_the_field(es: Engine) -> None:
    query = {"match_phrase": {"t": {"query": "quick brown", "slop": 1}}}
    plain = {"match_phrase": {"plain": {"query": "quick brown", "slop": 1}}}
    assert _hits(es, query) == _hits(es, plain)
    assert set(_hits(es, query)) == {"1", "2"}


def test_match_phrase_prefix_one_word_is_a_gram_term(es: Engine) -> None:
    got = _hits(es, {"match_phrase_prefix": {"t": "qui"}})
    # without norms every document's length reads as 1; "qui" twice in doc 2
    expected = {"1": ref.score(ref.idf(2, 3), 1, 1, PREFIX_AVGDL), "2": ref.score(ref.idf(2, 3), 2, 1, PREFIX_AVGDL)}
    assert got == pytest.approx(expected, rel=1e-6)


def test_match_phrase_prefix_long_prefix_expands_on_the_field(es: Engine) -> None:
    # "quickly" is longer than max_chars: the ordinary MultiPhrasePrefixQuery on the field
    assert _hits(es, {"match_phrase_prefix": {"t": "quickly"}}) == _hits(
        es, {"match_phrase_prefix": {"plain": "quickly"}}
    )


def test_match_phrase_prefix_words_is_a_masked_span(es: Engine) -> None:
    # spanNear([t:quick, mask(t._index_prefix:bro)]): both idfs over t's document count, t's norms
    got = _hits(es, {"match_phrase_prefix": {"t": "quick bro"}})
    expected = ref.score(ref.idf(2, 3) + ref.idf(2, 3), 1, 3, TEXT_AVGDL)
    assert got == pytest.approx({"1": expected}, rel=1e-6)
    explained = es.search(index="idx", query={"match_phrase_prefix": {"t": "quick bro"}}, explain=True)
    assert explained["hits"]["hits"][0]["_explanation"]["value"] == pytest.approx(expected, rel=1e-6)


def test_es_yaml_60_synonym_graph_index_phrases() -> None:
    """``analysis-common/.../search.query/60_synonym_graph.yml`` "index_phrases": a multi-word synonym's
    phrase over an ``index_phrases`` field (a graph path, so not moved onto the shingle field)."""
    es = Engine()
    es.indices.create(
        index="test",
        settings={
            "index": {"number_of_shards": 1},
            "analysis": {
                "filter": {
                    "graph_syns": {"type": "synonym_graph", "synonyms": ["wtf, what the fudge", "foo, bar baz"]}
                },
                "analyzer": {
                    "lower_graph_syns": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "graph_syns"],
                    }
                },
            },
        },
        mappings={"properties": {"field": {"type": "text"}, "phrase_field": {"type": "text", "index_phrases": True}}},
    )
    for doc_id, text in enumerate(["say wtf happened foo", "bar baz what the fudge man", "wtf"], start=1):
        es.index(index="test", id=str(doc_id), document={"text": text})
    es.index(index="test", id="9", document={"phrase_field": "bar baz"}, refresh=True)
    query = {"match": {"phrase_field": {"query": "bar baz", "analyzer": "lower_graph_syns"}}}
    assert es.search(index="test", query=query, rest_total_hits_as_int=True)["hits"]["total"] == 1
