"""The ``phrase`` suggester (``PhraseSuggester``): the reference documentation's example (its published
score), and scores worked out by hand from ``WordScorer``/``StupidBackoffScorer``/``LaplaceScorer`` over
the token statistics of a two-document index, plus the builder's validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

SETTINGS = {
    "index": {
        "number_of_shards": 1,
        "analysis": {
            "analyzer": {
                "trigram": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "shingle"]},
                "reverse": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "reverse"]},
            },
            "filter": {"shingle": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 3}},
        },
    }
}
MAPPINGS = {
    "properties": {
        "title": {
            "type": "text",
            "fields": {
                "trigram": {"type": "text", "analyzer": "trigram"},
                "reverse": {"type": "text", "analyzer": "reverse"},
            },
        }
    }
}
DOCS = ["noble warriors", "nobel prize"]
RWL = float(np.float32(0.95))  # real_word_error_likelihood, a Java float
DISCOUNT = float(np.float32(0.4))  # the default StupidBackoff's 0.4f
NOBEL = 0.8  # internal distance noble → nobel: 1 - 1 edit / 5
# title.trigram holds 6 tokens (3 per document: two words and their shingle), 6 distinct terms
VOCABULARY = 6


def _index(one_segment: bool) -> Engine:
    es = Engine()
    es.indices.create(index="test", settings=SETTINGS, mappings=MAPPINGS)
    for title in DOCS:
        es.index(index="test", document={"title": title}, refresh=not one_segment)
    if one_segment:
        es.indices.refresh(index="test")
    return es


@pytest.fixture(scope="module")
def es() -> Engine:
    return _index(one_segment=False)  # as the documentation's example: one refresh per document


def _phrase(es: Engine, text: str, **options: Any) -> dict[str, Any]:
    body = {"field": "title.trigram", **options}
    return es.search(index="test", suggest={"text": text, "s": {"phrase": body}})["suggest"]["s"][0]


def _score(*factors: float) -> float:
    """CandidateScorer: the base-10 logs of channel × probability added, then ``Math.exp``."""
    return math.exp(sum(math.log10(f) for f in factors))


def test_reference_documentation_example(es: Engine) -> None:
    entry = _phrase(
        es,
        "noble prize",
        size=1,
        gram_size=3,
        direct_generator=[{"field": "title.trigram", "suggest_mode": "always"}],
        highlight={"pre_tag": "<em>", "post_tag": "</em>"},
    )
    assert entry["text"] == "noble prize" and entry["offset"] == 0 and entry["length"] == 11
    assert entry["options"] == [{"text": "nobel prize", "highlighted": "<em>nobel</em> prize", "score": 0.48614594}]


def test_hand_computed_over_several_segments(es: Engine) -> None:
    # two segments: WordScorer's term count is maxDoc (2); P(nobel) = (1 + 1) / (6 + 2); "nobel prize" occurs
    # once and nobel once: P(prize | nobel) = 1 / (1 + 1e-11)
    expected = _score(NOBEL * 2 / (VOCABULARY + 2), RWL * 1 / (1 + 0.00000000001))
    entry = _phrase(es, "noble prize", direct_generator=[{"field": "title.trigram", "suggest_mode": "always"}])
    assert [o["text"] for o in entry["options"]] == ["nobel prize"]
    assert entry["options"][0]["score"] == pytest.approx(expected, rel=1e-6)


def test_hand_computed_over_one_segment() -> None:
    es = _index(one_segment=True)  # Terms.size(): the 6 distinct terms
    expected = _score(NOBEL * 2 / (VOCABULARY + 6), RWL * 1 / (1 + 0.00000000001))
    entry = _phrase(es, "noble prize", direct_generator=[{"field": "title.trigram", "suggest_mode": "always"}])
    assert entry["options"][0]["score"] == pytest.approx(expected, rel=1e-6)


def test_gram_size_defaults_to_the_shingle_size(es: Engine) -> None:
    gen = [{"field": "title.trigram", "suggest_mode": "always"}]
    assert _phrase(es, "noble prize", direct_generator=gen) == _phrase(
        es, "noble prize", direct_generator=gen, gram_size=3
    )
    # with unigrams only, P(prize) replaces P(prize | nobel): (1 + 1) / 8
    unigram = _phrase(es, "noble prize", direct_generator=gen, gram_size=1)["options"]
    assert unigram == []  # the same unigram probabilities: nobel's 0.8 channel cannot beat noble's 0.95


def test_confidence_zero_keeps_the_input_phrase(es: Engine) -> None:
    gen = [{"field": "title.trigram", "suggest_mode": "always"}]
    options = _phrase(es, "noble prize", direct_generator=gen, confidence=0.0)["options"]
    unseen_bigram = RWL * DISCOUNT * (1 + 1) / (VOCABULARY + 2)  # "noble prize" never occurs: backoff to P(prize)
    expected = {
        "nobel prize": _score(NOBEL * 2 / 8, RWL / (1 + 0.00000000001)),
        "noble prize": _score(RWL * 2 / 8, unseen_bigram),
    }
    assert [o["text"] for o in options] == ["nobel prize", "noble prize"]
    assert {o["text"]: o["score"] for o in options} == pytest.approx(expected, rel=1e-6)


def test_laplace_smoothing(es: Engine) -> None:
    gen = [{"field": "title.trigram", "suggest_mode": "always"}]
    options = _phrase(es, "noble prize", direct_generator=gen, smoothing={"laplace": {"alpha": 0.7}})["options"]
    alpha = 0.7  # LaplaceScorer reads a double
    terms = 2  # maxDoc, several segments
    expected = _score(NOBEL * (alpha + 1) / (VOCABULARY + alpha * terms), RWL * (alpha + 1) / (1 + alpha * terms))
    assert [o["text"] for o in options] == ["nobel prize"]
    assert options[0]["score"] == pytest.approx(expected, rel=1e-6)


def test_missing_mode_leaves_indexed_words_alone(es: Engine) -> None:
    # the default generator (suggest_mode missing) draws nothing for words in the index
    assert _phrase(es, "noble prize")["options"] == []
    # a word not in the index gets candidates: "prise" → "prize" (1 - 1/5)
    options = _phrase(es, "nobel prise")["options"]
    expected = _score(RWL * 2 / 8, 0.8 * 1 / (1 + 0.00000000001))
    assert [o["text"] for o in options] == ["nobel prize"]
    assert options[0]["score"] == pytest.approx(expected, rel=1e-6)


def test_typed_keys_and_global_text(es: Engine) -> None:
    out = es.search(
        index="test", suggest={"text": "nobel prise", "p": {"phrase": {"field": "title.trigram"}}}, typed_keys=True
    )["suggest"]
    assert out["phrase#p"][0]["options"][0]["text"] == "nobel prize"


def test_token_limit(es: Engine) -> None:
    # token_limit 2: two candidate sets reach the limit, so nothing is suggested
    assert _phrase(es, "nobel prise", token_limit=2)["options"] == []


@pytest.mark.parametrize(
    ("body", "kind", "reason"),
    [
        ({}, "parse_exception", "the required field option [field] is missing"),
        ({"field": "title", "foo": 1}, "parsing_exception", "suggester[phrase] doesn't support field [foo]"),
        ({"field": "title", "max_errors": 0}, "illegal_argument_exception", "max_error must be > 0.0"),
        ({"field": "title", "gram_size": 0}, "illegal_argument_exception", "gramSize must be >= 1"),
        ({"field": "title", "confidence": -1}, "illegal_argument_exception", "confidence must be >= 0.0"),
        ({"field": "title", "token_limit": 0}, "illegal_argument_exception", "token_limit must be >= 1"),
        (
            {"field": "title", "highlight": {"pre_tag": "<em>"}},
            "illegal_argument_exception",
            "Pre and post tag must both be null or both not be null.",
        ),
        (
            {"field": "title", "smoothing": {"linear_interpolation": {"trigram_lambda": 0.5}}},
            "illegal_argument_exception",
            "linear smoothing lambdas must sum to 1",
        ),
        (
            {"field": "title", "direct_generator": [{"field": "title", "max_edits": 3}]},
            "illegal_argument_exception",
            "Illegal max_edits value 3",
        ),
        (
            {"field": "title", "collate": {"query": {"id": "stored"}}},
            "illegal_argument_exception",
            "is not supported in retrievo",
        ),
    ],
)
def test_builder_errors(es: Engine, body: dict[str, Any], kind: str, reason: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        es.search(index="test", suggest={"text": "x", "s": {"phrase": body}})
    error = caught.value.body["error"]
    assert error["type"] == kind
    assert reason in error["reason"]


def test_unmapped_field_fails_the_shard(es: Engine) -> None:
    with pytest.raises(BadRequestError) as caught:
        es.search(index="test", suggest={"text": "x", "s": {"phrase": {"field": "nope"}}})
    error = caught.value.body["error"]
    assert error["type"] == "search_phase_execution_exception"
    assert error["failed_shards"][0]["reason"]["reason"] == "no mapping found for field [nope]"
