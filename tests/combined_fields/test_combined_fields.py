"""``combined_fields``: Elasticsearch's YAML test, BM25F scores computed by hand, and the builder's errors.

Hand computations follow Lucene 9+'s ``CombinedFieldQuery`` (what Elasticsearch 9 runs): the weighted
frequency sum, the combined length ``Σ weight × length`` over *every* queried field, ``docCount``/``docFreq``
as maxima and ``sumTotalTermFreq`` as the weighted sum, scored by BM25 at Elasticsearch's 2.2 scale.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from elasticsearch import ApiError

from retrievo import Engine

F = np.float32


def _bm25(freq: float, dl: float, avgdl: float, df: int, n: int, boost: float = 1.0) -> np.float32:
    """Lucene's ``BM25Scorer.score`` in float32: ``w - w / (1 + freq * normInverse)``."""
    idf = F(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    weight = F(F(F(boost) * F(2.2)) * idf)
    norm_inverse = F(1) / F(F(1.2) * F(F(0.25) + F(F(F(0.75) * F(dl)) / F(avgdl))))
    return F(weight - weight / F(F(1) + F(F(freq) * norm_inverse)))


@pytest.fixture
def es() -> Engine:
    engine = Engine()
    props = {"title": {"type": "text"}, "body": {"type": "text"}, "tag": {"type": "keyword"}}
    props["english"] = {"type": "text", "analyzer": "english"}
    engine.indices.create(index="t", mappings={"properties": props})
    docs = [
        {"title": "quick brown fox", "body": "the fox jumps over the lazy dog", "tag": "a"},
        {"title": "lazy dog", "body": "a dog sleeps", "tag": "b"},
        {"title": "fox", "body": "quick quick quick", "tag": "c"},
    ]
    for i, d in enumerate(docs):
        engine.index(index="t", id=str(i), document=d, refresh=True)
    return engine


def _search(es: Engine, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return dict(es.search(index="t", query={"combined_fields": body}, **kw))


def _scores(resp: dict[str, Any]) -> dict[str, np.float32]:
    return {h["_id"]: F(h["_score"]) for h in resp["hits"]["hits"]}


def test_es_yaml_360_combined_fields() -> None:
    """search/360_combined_fields.yml: ``operator: and`` over two fields matches across them."""
    es = Engine()
    props = {f: {"type": "text"} for f in ("title", "abstract", "body")}
    es.indices.create(index="test", mappings={"properties": props})
    es.index(
        index="test",
        id="1",
        document={
            "title": "Time, Clocks and the Ordering of Events in a Distributed System",
            "abstract": "The concept of one event happening before another...",
            "body": "The concept of time is fundamental to our way of thinking...",
        },
        refresh=True,
    )
    q = {"combined_fields": {"query": "time event", "fields": ["abstract", "body"], "operator": "and"}}
    resp = es.search(index="test", query=q)
    assert resp["hits"]["total"]["value"] == 1
    assert resp["hits"]["hits"][0]["_id"] == "1"


def test_term_missing_from_a_field_still_counts_its_length(es: Engine) -> None:
    """``jumps`` occurs only in ``body``; the combined length still adds 2 × the title's 3 tokens."""
    got = _scores(_search(es, {"query": "jumps", "fields": ["title^2", "body"]}))
    avgdl = (2 * (3 + 2 + 1) + (7 + 3 + 3)) / 3  # weighted sum of both fields' token counts / docCount
    assert got == {"0": _bm25(1, 2 * 3 + 7, avgdl, df=1, n=3)}


def test_weighted_frequencies_and_max_doc_freq(es: Engine) -> None:
    """``quick``: title of doc 0 (weight 2 × 1), body of doc 2 (3); df = max(1, 1) = 1."""
    got = _scores(_search(es, {"query": "quick", "fields": ["title^2", "body"]}))
    avgdl = 25 / 3
    assert got == {"0": _bm25(2, 13, avgdl, 1, 3), "2": _bm25(3, 5, avgdl, 1, 3)}
    # "dog": body docs 0, 1 and title doc 1 → df = max(1, 2) = 2; doc 1 has 2 × 1 + 1 = 3
    got = _scores(_search(es, {"query": "dog", "fields": ["title^2", "body"], "boost": 3}))
    assert got == {"0": _bm25(1, 13, avgdl, 2, 3, boost=3), "1": _bm25(3, 2 * 2 + 3, avgdl, 2, 3, boost=3)}


def test_operator_and_minimum_should_match(es: Engine) -> None:
    avgdl = 25 / 3
    fox_df = 2  # fox: title docs 0 and 2, body doc 0
    got = _scores(_search(es, {"query": "quick fox", "fields": ["title^2", "body"], "operator": "and"}))
    assert set(got) == {"0", "2"}
    expected0 = F(F(_bm25(2, 13, avgdl, 1, 3)) + F(_bm25(3, 13, avgdl, fox_df, 3)))
    assert got["0"] == expected0
    got = _scores(_search(es, {"query": "quick lazy sleeps", "fields": ["title", "body"], "minimum_should_match": 2}))
    assert set(got) == {"0", "1"}  # doc 0: quick + lazy; doc 1: lazy + sleeps; doc 2: quick only


def test_stacked_synonyms_share_one_combined_query() -> None:
    """Synonyms at one position are one ``CombinedFieldQuery`` over both terms: frequencies add up and the
    document frequency is the largest of the (field, term) pairs'."""
    es = Engine()
    analysis = {
        "filter": {"syn": {"type": "synonym", "synonyms": ["dog, hound"]}},
        "analyzer": {"syn": {"tokenizer": "standard", "filter": ["lowercase", "syn"]}},
    }
    props = {f: {"type": "text", "analyzer": "standard", "search_analyzer": "syn"} for f in ("a", "b")}
    es.indices.create(index="s", settings={"analysis": analysis}, mappings={"properties": props})
    es.index(index="s", id="1", document={"a": "dog hound", "b": "cat"}, refresh=True)
    es.index(index="s", id="2", document={"a": "bird", "b": "dog"}, refresh=True)
    resp = es.search(index="s", query={"combined_fields": {"query": "dog", "fields": ["a", "b"]}})
    got = {h["_id"]: F(h["_score"]) for h in resp["hits"]["hits"]}
    avgdl = (3 + 2) / 2
    # every (field, term) pair is in one document: df 1 (a sum would say 3)
    assert got == {"1": _bm25(2, 3, avgdl, 1, 2), "2": _bm25(1, 2, avgdl, 1, 2)}


def test_zero_terms_unmapped_and_named(es: Engine) -> None:
    assert _search(es, {"query": "", "fields": ["title"]})["hits"]["total"]["value"] == 0
    assert _search(es, {"query": "", "fields": ["title"], "zero_terms_query": "all"})["hits"]["total"]["value"] == 3
    assert _search(es, {"query": "fox", "fields": ["missing", "nope"]})["hits"]["total"]["value"] == 0
    resp = _search(es, {"query": "sleeps", "fields": ["title", "body", "missing"], "_name": "cf"})
    assert [h["matched_queries"] for h in resp["hits"]["hits"]] == [["cf"]]


def test_wildcard_fields_multiply_weights(es: Engine) -> None:
    """A field reached by two patterns gets the product of their weights (``resolveMappingFields``)."""
    a = _scores(_search(es, {"query": "quick", "fields": ["title^2", "body"]}))
    b = _scores(_search(es, {"query": "quick", "fields": ["ti*", "title^2", "bo*"]}))
    assert a == b


def _error(es: Engine, body: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as info:
        _search(es, body)
    return info.value


def test_builder_errors(es: Engine) -> None:
    err = _error(es, {"query": "fox", "fields": ["title", "tag"]})
    assert err.status_code == 400
    cause = err.body["error"]["caused_by"]
    assert cause["type"] == "query_shard_exception"
    assert cause["caused_by"]["reason"] == "Field [tag] of type [keyword] does not support [combined_fields] queries"
    err = _error(es, {"query": "fox", "fields": ["title", "english"]})
    assert (
        err.body["error"]["caused_by"]["caused_by"]["reason"]
        == "All fields in [combined_fields] query must have the same search analyzer"
    )
    err = _error(es, {"query": "fox", "fields": []})
    assert "In [combined_fields] query, at least one field must be provided" in str(err.body)


def test_parse_errors(es: Engine) -> None:
    err = _error(es, {"query": "fox", "fields": ["title^0.5"]})
    assert err.error == "x_content_parse_exception"
    assert err.body["error"]["reason"] == "[combined_fields] failed to parse field [fields]"
    assert err.body["error"]["caused_by"]["reason"] == "[combined_fields] requires field boosts to be >= 1.0"
    err = _error(es, {"query": "fox", "fields": ["title"], "fuzziness": 1})
    assert err.error == "x_content_parse_exception"
    assert err.body["error"]["reason"] == "[combined_fields] unknown field [fuzziness]"
    err = _error(es, {"fields": ["title"]})
    assert (err.status_code, err.body["error"]["reason"]) == (400, "Required [query]")
    err = _error(es, {"query": "fox", "fields": ["title"], "zero_terms_query": "some"})
    assert err.body["error"]["caused_by"]["reason"] == "Unsupported [zero_terms_query] value [some]"
    err = _error(es, {"query": "fox", "fields": ["title"], "operator": "xor"})
    assert err.body["error"]["reason"] == "[combined_fields] failed to parse field [operator]"


def test_plan_prints_lucene_query(es: Engine) -> None:
    """The compiled query prints as Lucene's ``CombinedFieldQuery.toString`` (fields by name, weights as floats)."""
    resp = es.search(
        index="t", query={"combined_fields": {"query": "fox", "fields": ["title^2", "body"]}}, profile=True
    )
    desc = resp["profile"]["shards"][0]["searches"][0]["query"][0]["description"]
    assert desc == "CombinedFieldQuery((body title^2.0)(fox))"


def _synonym_pair() -> Engine:
    """Two indices with the same documents: ``syn`` searches with a multi-word synonym graph (``ny`` ⇔
    ``new york``), ``plain`` with the standard analyzer, so each query has a hand-built equivalent."""
    es = Engine()
    analysis = {
        "filter": {"g": {"type": "synonym_graph", "synonyms": ["ny, new york"]}},
        "analyzer": {"syn": {"tokenizer": "standard", "filter": ["lowercase", "g"]}},
    }
    docs = [
        {"a": "new york city", "b": "big apple"},
        {"a": "ny", "b": "new york"},
        {"a": "york", "b": "new jersey"},
        {"a": "city", "b": "ny ny"},
    ]
    for index, search in (("syn", "syn"), ("plain", "standard")):
        props = {f: {"type": "text", "analyzer": "standard", "search_analyzer": search} for f in ("a", "b")}
        es.indices.create(index=index, settings={"analysis": analysis}, mappings={"properties": props})
        for i, d in enumerate(docs):
            es.index(index=index, id=str(i), document=d)
        es.indices.refresh(index=index)
    return es


def _hits(es: Engine, index: str, query: dict[str, Any]) -> dict[str, np.float32]:
    return {h["_id"]: F(h["_score"]) for h in es.search(index=index, query=query)["hits"]["hits"]}


def test_multi_word_synonyms_build_lucenes_graph_query() -> None:
    """``analyzeGraphBoolean``: the ``new york`` path is a phrase per field (``analyzePhrase``: a ``bool``
    of the fields' phrases), the ``ny`` path a combined field query, the paths SHOULD clauses."""
    es = _synonym_pair()
    got = _hits(es, "syn", {"combined_fields": {"query": "ny", "fields": ["a", "b^2"]}})
    phrases = {
        "bool": {
            "should": [{"match_phrase": {"a": "new york"}}, {"match_phrase": {"b": {"query": "new york", "boost": 2}}}]
        }
    }
    reference = {"bool": {"should": [phrases, {"combined_fields": {"query": "ny", "fields": ["a", "b^2"]}}]}}
    assert got == _hits(es, "plain", reference)
    assert set(got) == {"0", "1", "3"}


def test_multi_word_synonyms_in_cross_fields() -> None:
    """The same graph for ``multi_match`` ``cross_fields``: a ``dis_max`` of the fields' phrases (with the
    tie breaker) and a blended term for ``ny``."""
    es = _synonym_pair()
    mm = {"query": "ny", "type": "cross_fields", "fields": ["a", "b"], "tie_breaker": 0.5}
    got = _hits(es, "syn", {"multi_match": mm})
    phrases = {
        "dis_max": {
            "queries": [{"match_phrase": {"a": "new york"}}, {"match_phrase": {"b": "new york"}}],
            "tie_breaker": 0.5,
        }
    }
    reference = {"bool": {"should": [phrases, {"multi_match": mm}]}}
    assert got == _hits(es, "plain", reference)
