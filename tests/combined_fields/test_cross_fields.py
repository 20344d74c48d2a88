"""``multi_match`` ``type: cross_fields``: blended document frequencies and ``dis_max`` scores by hand.

Index (every field value one token, so every length and average length is 1):

====  ==========  ==========
doc   first_name  last_name
====  ==========  ==========
1     peter       smith
2     smith       jones
3     will        smith
4     smith       smith
5     anna        smith
====  ==========  ==========

``smith``: df 2 in ``first_name``, 4 in ``last_name``; maxDoc 5, smallest sumTotalTermFreq 5. Elasticsearch's
``BlendedTermQuery.blend`` gives the most frequent pair the largest df (4) and each step down one more:
``first_name:smith`` is scored with df 5 (capped by docCount 5 and maxDoc 5), ``last_name:smith`` with 4.
``will`` occurs only in ``first_name`` (df 1), so it keeps df 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from elasticsearch import ApiError

from retrievo import Engine

F = np.float32
N = 5


def _bm25(df: int, boost: float = 1.0, freq: int = 1, dl: float = 1.0, avgdl: float = 1.0, n: int = N) -> float:
    idf = F(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    weight = F(F(F(boost) * F(2.2)) * idf)
    norm_inverse = F(1) / F(F(1.2) * F(F(0.25) + F(F(F(0.75) * F(dl)) / F(avgdl))))
    return float(F(weight - weight / F(F(1) + F(F(freq) * norm_inverse))))


def _dismax(scores: list[float], tie: float) -> float:
    best = max(scores)
    return float(F(best + (sum(scores) - best) * float(F(tie))))


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    props = {
        "first_name": {"type": "text"},
        "last_name": {"type": "text"},
        "bio": {"type": "text", "analyzer": "english"},
        "tag": {"type": "keyword"},
        "code": {"type": "keyword"},
    }
    engine.indices.create(index="p", mappings={"properties": props})
    people = [("peter", "smith"), ("smith", "jones"), ("will", "smith"), ("smith", "smith"), ("anna", "smith")]
    for i, (first, last) in enumerate(people, start=1):
        doc = {"first_name": first, "last_name": last, "tag": last, "code": "x" if i < 3 else "y"}
        engine.index(index="p", id=str(i), document=doc, refresh=True)
    return engine


def _scores(es: Engine, mm: dict[str, Any]) -> dict[str, float]:
    """Hit scores as the float32 values Elasticsearch prints (its JSON shows a float's shortest digits)."""
    resp = es.search(index="p", query={"multi_match": {"type": "cross_fields", **mm}})
    return {h["_id"]: float(F(h["_score"])) for h in resp["hits"]["hits"]}


def test_blended_doc_freqs_and_tie_breaker(es: Engine) -> None:
    got = _scores(es, {"query": "will smith", "fields": ["first_name", "last_name^2"], "tie_breaker": 0.3})
    first_smith, last_smith, will = _bm25(5), _bm25(4, boost=2), _bm25(1)
    assert got == {
        "1": last_smith,
        "2": first_smith,
        "3": float(F(will + last_smith)),
        "4": _dismax([first_smith, last_smith], 0.3),
        "5": last_smith,
    }


def test_operator_and_requires_every_token_in_some_field(es: Engine) -> None:
    got = _scores(es, {"query": "will smith", "fields": ["first_name", "last_name"], "operator": "and"})
    assert got == {"3": float(F(_bm25(1) + _bm25(4)))}
    # minimum_should_match over the positions, as for a match query
    got = _scores(es, {"query": "will smith anna", "fields": ["first_name", "last_name"], "minimum_should_match": 2})
    assert set(got) == {"3", "5"}


def test_single_field_groups_are_match_queries_under_dis_max(es: Engine) -> None:
    """``bio`` has its own analyzer (english): its group is a ``match`` on it (no document has a bio, so it
    adds nothing); keyword fields form the keyword analyzer's group, where the whole text is one term
    blended across ``tag`` and ``code``."""
    got = _scores(es, {"query": "smith", "fields": ["first_name", "last_name", "tag", "code", "bio^3"]})
    # text group: first_name df 5, last_name df 4 (see module doc); keyword group: tag:smith df 4, code: none
    # → the blend over (tag:smith df 4, code:smith df 0) keeps df 4.
    text_last, text_first, tag = _bm25(4), _bm25(5), _bm25(4)
    assert got["1"] == _dismax([text_last, tag], 0.0)
    assert got["2"] == text_first
    assert got["4"] == _dismax([_dismax([text_first, text_last], 0.0), tag], 0.0)


def test_fuzziness_is_refused_as_elasticsearch_does(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        _scores(es, {"query": "smith", "fields": ["first_name"], "fuzziness": 1})
    assert info.value.error == "parsing_exception"
    assert info.value.body["error"]["reason"] == "Fuzziness not allowed for type [cross_fields]"


def test_unmapped_fields_and_zero_terms(es: Engine) -> None:
    assert _scores(es, {"query": "smith", "fields": ["nope", "missing"]}) == {}
    got = _scores(es, {"query": "", "fields": ["first_name", "last_name"], "zero_terms_query": "all"})
    assert set(got) == {"1", "2", "3", "4", "5"}
