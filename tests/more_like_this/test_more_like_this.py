"""``more_like_this``: Elasticsearch's YAML tests (mlt/), documents as input, and the builder's errors.

Expected values are derived by hand from ``XMoreLikeThis``: a term is kept when its frequency in the
input reaches ``min_term_freq`` and its document frequency lies in ``[min_doc_freq, max_doc_freq]``; a
text's terms are looked up in every field and queried in the one where they are most frequent.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from elasticsearch import ApiError

from retrievo import Engine

F = np.float32


def _mlt(es: Engine, index: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return dict(es.search(index=index, query={"more_like_this": body}, track_total_hits=True, **kw))


def _ids(resp: dict[str, Any]) -> set[str]:
    return {h["_id"] for h in resp["hits"]["hits"]}


# ------------------------------------------------------------------------------ mlt/*.yml


def test_es_yaml_10_basic() -> None:
    """mlt/10_basic.yml: liking the only document, which is excluded (``include`` false), finds nothing."""
    es = Engine()
    es.indices.create(index="test_1", mappings={"properties": {"foo": {"type": "text"}, "title": {"type": "text"}}})
    es.index(index="test_1", id="1", document={"foo": "bar", "title": "howdy"}, refresh=True)
    resp = _mlt(es, "test_1", {"like": [{"_id": "1"}], "fields": ["title"]})
    assert resp["hits"]["total"]["value"] == 0


@pytest.fixture
def foo_index() -> Engine:
    es = Engine()
    es.indices.create(index="test_1")
    for i, text in enumerate(["bar", "baz", "foo"], start=1):
        es.index(index="test_1", id=str(i), document={"foo": text})
    es.indices.refresh(index="test_1")
    return es


def test_es_yaml_20_docs(foo_index: Engine) -> None:
    """mlt/20_docs.yml (and 25_docs_one_shard.yml): an artificial document and two stored ones."""
    like = [{"_index": "test_1", "doc": {"foo": "bar"}}, {"_index": "test_1", "_id": "2"}, {"_id": "3"}]
    resp = _mlt(foo_index, "test_1", {"like": like, "include": True, "min_doc_freq": 0, "min_term_freq": 0})
    assert resp["hits"]["total"]["value"] == 3


def test_es_yaml_30_unlike() -> None:
    """mlt/30_unlike.yml: the terms of the unliked document are skipped, leaving ``selected``."""
    es = Engine()
    es.indices.create(index="test_1")
    for i, text in enumerate(["bar baz selected", "bar", "bar baz"], start=1):
        es.index(index="test_1", id=str(i), document={"foo": text})
    es.indices.refresh(index="test_1")
    body = {
        "like": {"_index": "test_1", "_id": "1"},
        "unlike": {"_index": "test_1", "_id": "3"},
        "include": True,
        "min_doc_freq": 0,
        "min_term_freq": 0,
    }
    assert _mlt(es, "test_1", body)["hits"]["total"]["value"] == 1


# ------------------------------------------------------------------------------ behaviour


@pytest.fixture
def es() -> Engine:
    engine = Engine()
    props = {"title": {"type": "text"}, "body": {"type": "text"}, "n": {"type": "integer"}}
    engine.indices.create(index="m", mappings={"properties": props})
    docs = [
        {"title": "apple pie", "body": "apple apple banana", "n": 1},
        {"title": "banana bread", "body": "banana cherry", "n": 2},
        {"title": "cherry tart", "body": "apple cherry cherry", "n": 3},
        {"title": "plum jam", "body": "plum", "n": 4},
    ]
    for i, d in enumerate(docs, start=1):
        engine.index(index="m", id=str(i), document=d)
    engine.indices.refresh(index="m")
    return engine


def _bm25(df: int, n: int, freq: int, dl: int, avgdl: float) -> np.float32:
    idf = F(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    weight = F(F(2.2) * idf)
    norm_inverse = F(1) / F(F(1.2) * F(F(0.25) + F(F(F(0.75) * F(dl)) / F(avgdl))))
    return F(weight - weight / F(F(1) + F(F(freq) * norm_inverse)))


def test_text_terms_go_to_the_field_where_they_are_most_frequent(es: Engine) -> None:
    """``cherry`` has df 2 in body and 1 in title: it is queried in ``body``; ``tart`` only in ``title``."""
    body = {"fields": ["title", "body"], "like": "cherry tart", "min_term_freq": 1, "min_doc_freq": 1}
    resp = _mlt(es, "m", body)
    scores = {h["_id"]: F(h["_score"]) for h in resp["hits"]["hits"]}
    # default minimum_should_match 30% of 2 clauses = 0 → any clause matches
    cherry_body = {"2": _bm25(2, 4, 1, 2, 9 / 4), "3": _bm25(2, 4, 2, 3, 9 / 4)}
    tart_title = _bm25(1, 4, 1, 2, 2.0)
    assert scores == {"2": cherry_body["2"], "3": F(cherry_body["3"] + tart_title)}


def test_thresholds_filter_terms(es: Engine) -> None:
    # body: apple df 2, banana df 2, cherry df 2, plum df 1; min_doc_freq 2 drops plum
    resp = _mlt(es, "m", {"fields": ["body"], "like": "plum", "min_term_freq": 1, "min_doc_freq": 2})
    assert resp["hits"]["total"]["value"] == 0
    resp = _mlt(es, "m", {"fields": ["body"], "like": "plum", "min_term_freq": 1, "min_doc_freq": 1})
    assert _ids(resp) == {"4"}
    # min_term_freq 2 (the default): "apple" once in the text is not enough
    assert _mlt(es, "m", {"fields": ["body"], "like": "apple", "min_doc_freq": 1})["hits"]["total"]["value"] == 0
    resp = _mlt(es, "m", {"fields": ["body"], "like": "apple apple", "min_doc_freq": 1})
    assert _ids(resp) == {"1", "3"}
    # max_doc_freq 1 drops apple (df 2); stop words and word lengths drop the rest
    base = {"fields": ["body"], "min_term_freq": 1, "min_doc_freq": 1}
    assert _ids(_mlt(es, "m", {**base, "like": "apple plum", "max_doc_freq": 1})) == {"4"}
    assert _ids(_mlt(es, "m", {**base, "like": "apple plum", "stop_words": ["apple"]})) == {"4"}
    assert _ids(_mlt(es, "m", {**base, "like": "apple plum", "min_word_length": 5})) == {"1", "3"}
    assert _ids(_mlt(es, "m", {**base, "like": "apple plum", "max_word_length": 4})) == {"4"}
    # unlike text: its terms are skipped
    assert _ids(_mlt(es, "m", {**base, "like": "apple plum", "unlike": "apple"})) == {"4"}


def test_minimum_should_match_default_and_explicit(es: Engine) -> None:
    base = {"fields": ["body"], "like": "apple banana cherry plum", "min_term_freq": 1, "min_doc_freq": 1}
    # 4 clauses: 30% → 1 (a document needs one term); "75%" → 3
    assert _ids(_mlt(es, "m", base)) == {"1", "2", "3", "4"}
    assert _ids(_mlt(es, "m", {**base, "minimum_should_match": "75%"})) == set()
    assert _ids(_mlt(es, "m", {**base, "minimum_should_match": 2})) == {"1", "2", "3"}


def test_like_document_excluded_unless_include(es: Engine) -> None:
    like = {"like": [{"_id": "3"}], "fields": ["body"], "min_term_freq": 1, "min_doc_freq": 1}
    assert _ids(_mlt(es, "m", like)) == {"1", "2"}  # apple, cherry from doc 3's body; doc 3 itself excluded
    assert _ids(_mlt(es, "m", {**like, "include": True})) == {"1", "2", "3"}
    # a missing document contributes nothing
    assert _mlt(es, "m", {**like, "like": [{"_id": "nope"}]})["hits"]["total"]["value"] == 0
    # an artificial document is analysed, never excluded
    art = {**like, "like": [{"doc": {"body": "plum plum"}}]}
    assert _ids(_mlt(es, "m", art)) == {"4"}


def test_errors(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        _mlt(es, "m", {"fields": ["body", "n"], "like": "apple"})
    assert info.value.body["error"]["caused_by"]["caused_by"]["reason"] == (
        "more_like_this only supports text/keyword fields: [n]"
    )
    # fail_on_unsupported_field false: the numeric field is dropped
    body = {"fields": ["n", "body"], "like": "plum", "fail_on_unsupported_field": False, "min_term_freq": 1}
    assert _ids(_mlt(es, "m", {**body, "min_doc_freq": 1})) == {"4"}
    with pytest.raises(ApiError) as info:
        _mlt(es, "m", {"like": "apple"})
    assert "cannot infer the field to analyze the free text" in str(info.value.body)
    cases = [
        ({"fields": ["body"]}, "parsing_exception", "more_like_this requires 'like' to be specified"),
        ({"like": "x", "fields": []}, "parsing_exception", "more_like_this requires 'fields' to be non-empty"),
        ({"like": "x", "bogus": 1}, "parsing_exception", "[mlt] query does not support [bogus]"),
        (
            {"like": {"_id": "1", "doc": {}}},
            "parse_exception",
            "failed to parse More Like This item. either [_id] or [doc] can be specified, but not both!",
        ),
        ({"like": {"foo": 1}}, "parse_exception", "failed to parse More Like This item. unknown field [foo]"),
    ]
    for body, kind, reason in cases:
        with pytest.raises(ApiError) as info:
            _mlt(es, "m", body)
        assert (info.value.status_code, info.value.error, info.value.body["error"]["reason"]) == (400, kind, reason)


def test_artificial_document_feeds_multi_fields() -> None:
    """With dynamic mapping ``foo`` is text with a ``foo.keyword`` multi-field; an artificial document's
    term vector for ``foo.keyword`` is its ``foo`` value whole."""
    es = Engine()
    es.indices.create(index="d")
    for i, text in enumerate(["red apple", "red", "green apple"], start=1):
        es.index(index="d", id=str(i), document={"foo": text})
    es.indices.refresh(index="d")
    body = {"fields": ["foo.keyword"], "like": [{"doc": {"foo": "red apple"}}], "min_term_freq": 1, "min_doc_freq": 1}
    assert _ids(_mlt(es, "d", body)) == {"1"}
    body["fields"] = ["foo"]  # the text field: red (docs 1, 2) and apple (docs 1, 3)
    assert _ids(_mlt(es, "d", body)) == {"1", "2", "3"}
