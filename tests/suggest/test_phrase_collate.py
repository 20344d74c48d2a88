"""The ``phrase`` suggester's ``collate`` (``PhraseSuggester``: a mustache template rendered per correction
into a query run on the index). Expected options are worked out by hand: which corrections the rendered
query matches in a two-document index (scores as ``WordScorer``/``StupidBackoffScorer`` give them, see
test_phrase_suggester.py), and the counts of Elasticsearch's own ``SuggestSearchIT.testPhraseSuggesterCollate``."""

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
            "analyzer": {"trigram": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "shingle"]}},
            "filter": {"shingle": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 3}},
        },
    }
}
MAPPINGS = {
    "properties": {
        "title": {"type": "text", "fields": {"trigram": {"type": "text", "analyzer": "trigram"}}},
        "lang": {"type": "keyword"},
    }
}
RWL = float(np.float32(0.95))
DISCOUNT = float(np.float32(0.4))
GENERATOR = [{"field": "title.trigram", "suggest_mode": "always"}]
MATCH_PHRASE = {"match_phrase": {"{{field_name}}": "{{suggestion}}"}}


def _score(*factors: float) -> float:
    return math.exp(sum(math.log10(f) for f in factors))


# "noble prize" with confidence 0 (two segments: the term count is maxDoc, 2; six tokens): the correction
# "nobel prize" (channel 0.8, seen bigram) and the input itself (unseen bigram: backoff to P(prize))
NOBEL_PRIZE = _score(0.8 * 2 / 8, RWL / (1 + 0.00000000001))
NOBLE_PRIZE = _score(RWL * 2 / 8, RWL * DISCOUNT * 2 / 8)


@pytest.fixture(scope="module")
def es() -> Engine:
    es = Engine()
    es.indices.create(index="test", settings=SETTINGS, mappings=MAPPINGS)
    for title in ("noble warriors", "nobel prize"):
        es.index(index="test", document={"title": title, "lang": "en"}, refresh=True)
    return es


def _options(es: Engine, collate: Any = None, **options: Any) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"field": "title.trigram", "direct_generator": GENERATOR, "confidence": 0.0, **options}
    if collate is not None:
        body["collate"] = collate
    out = es.search(index="test", suggest={"text": "noble prize", "s": {"phrase": body}})
    options_out: list[dict[str, Any]] = out["suggest"]["s"][0]["options"]
    return options_out


def _error(es: Engine, collate: Any) -> dict[str, Any]:
    with pytest.raises(BadRequestError) as caught:
        _options(es, collate)
    error: dict[str, Any] = caught.value.body["error"]
    return error


def test_without_collate_both_phrases(es: Engine) -> None:
    options = _options(es)
    assert [o["text"] for o in options] == ["nobel prize", "noble prize"]
    assert [o["score"] for o in options] == pytest.approx([NOBEL_PRIZE, NOBLE_PRIZE], rel=1e-6)


def test_unmatched_corrections_are_dropped(es: Engine) -> None:
    # no title holds the phrase "noble prize"; "nobel prize" is the second document
    collate = {"query": {"source": MATCH_PHRASE}, "params": {"field_name": "title"}}
    options = _options(es, collate)
    assert options == [{"text": "nobel prize", "score": pytest.approx(NOBEL_PRIZE, rel=1e-6)}]


def test_prune_keeps_every_correction_marked(es: Engine) -> None:
    collate = {"query": {"source": MATCH_PHRASE}, "params": {"field_name": "title"}, "prune": True}
    options = _options(es, collate, highlight={"pre_tag": "<em>", "post_tag": "</em>"})
    assert [list(o) for o in options] == [["text", "highlighted", "score", "collate_match"]] * 2
    assert [(o["text"], o["highlighted"], o["collate_match"]) for o in options] == [
        ("nobel prize", "<em>nobel</em> prize", True),
        ("noble prize", "noble prize", False),
    ]
    assert [o["score"] for o in options] == pytest.approx([NOBEL_PRIZE, NOBLE_PRIZE], rel=1e-6)


def test_prune_false_prints_no_collate_match(es: Engine) -> None:
    # a disjunction: "noble" alone matches the first document, so both corrections pass
    collate = {"query": {"source": {"match": {"title": "{{suggestion}}"}}}, "prune": "false"}
    options = _options(es, collate)
    assert [o["text"] for o in options] == ["nobel prize", "noble prize"]
    assert all("collate_match" not in o for o in options)


def test_string_template_and_to_json(es: Engine) -> None:
    source = '{"match_phrase": {"title": {{#toJson}}suggestion{{/toJson}}}}'
    assert [o["text"] for o in _options(es, {"query": source})] == ["nobel prize"]
    assert [o["text"] for o in _options(es, {"query": {"source": source}})] == ["nobel prize"]


def test_params_fill_the_template(es: Engine) -> None:
    source = {
        "bool": {
            "must": {"match_phrase": {"title": "{{suggestion}}"}},
            "filter": {"term": {"lang": "{{lang}}"}},
        }
    }
    assert [o["text"] for o in _options(es, {"query": {"source": source}, "params": {"lang": "en"}})] == ["nobel prize"]
    assert _options(es, {"query": {"source": source}, "params": {"lang": "de"}}) == []
    # a missing variable renders empty: term lang "" matches nothing
    assert _options(es, {"query": {"source": source}}) == []


def test_the_suggestion_variable_wins_over_params(es: Engine) -> None:
    collate = {"query": {"source": {"match_phrase": {"title": "{{suggestion}}"}}}, "params": {"suggestion": "x"}}
    assert [o["text"] for o in _options(es, collate)] == ["nobel prize"]


def test_collate_without_query_collates_nothing(es: Engine) -> None:
    # Elasticsearch sets up a collation only when [query] is given
    assert [o["text"] for o in _options(es, {"params": {"a": 1}, "prune": True})] == ["nobel prize", "noble prize"]


def test_rendered_query_errors_fail_the_shard(es: Engine) -> None:
    error = _error(es, {"query": {"source": {"pprefix": {"title": "{{suggestion}}"}}}})
    assert error["type"] == "search_phase_execution_exception"
    assert error["caused_by"]["type"] == "parsing_exception"
    assert error["caused_by"]["reason"].startswith("unknown query [pprefix]")
    assert error["failed_shards"][0]["index"] == "test"
    assert error["root_cause"] == [{"type": "parsing_exception", "reason": error["caused_by"]["reason"]}]
    # without params the query name renders empty
    error = _error(es, {"query": {"source": {"{{query_type}}": {"title": "{{suggestion}}"}}}})
    assert error["type"] == "search_phase_execution_exception"
    assert error["caused_by"]["reason"].startswith("unknown query []")


def test_template_language_is_checked_on_the_shard(es: Engine) -> None:
    error = _error(es, {"query": {"source": "{}", "lang": "painless"}})
    assert error["type"] == "search_phase_execution_exception"
    assert error["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "painless does not know how to handle context [template]",
    }


@pytest.mark.parametrize(
    ("collate", "kind", "reason"),
    [
        ({"query": {"source": "{}"}, "prune": 1}, "parsing_exception", "prune must be either 'true' or 'false'"),
        ({"query": {"source": "{}"}, "prune": "yes"}, "parsing_exception", "prune must be either 'true' or 'false'"),
        ({"query": {"source": "{}"}, "size": 1}, "parsing_exception", "[collate] doesn't support field [size]"),
        ({"query": {"lang": "mustache"}}, "illegal_argument_exception", "must specify either [source]"),
        ({"query": {"sorce": "{}"}}, "x_content_parse_exception", "[script] unknown field [sorce]"),
        ({"query": {"source": 1}}, "x_content_parse_exception", "source doesn't support values of type: VALUE_NUMBER"),
        ({"query": 1, "prune": True}, "x_content_parse_exception", "Expected START_OBJECT but was: FIELD_NAME"),
        ({"query": {"source": "{}", "options": {"x": "y"}}}, "illegal_argument_exception", "illegal compiler options"),
        ({"query": {"id": "stored"}}, "illegal_argument_exception", "is not supported in retrievo"),
        ({"query": {"source": "{}", "params": {"a": 1}}}, "illegal_argument_exception", "is not supported in retrievo"),
        ({"query": {"source": "{{>partial}}"}}, "illegal_argument_exception", "is not supported in retrievo"),
    ],
)
def test_builder_errors(es: Engine, collate: dict[str, Any], kind: str, reason: str) -> None:
    error = _error(es, collate)
    assert error["type"] == kind
    assert reason in error["reason"]
    assert "suggester[phrase][collate]" in error["reason"] or kind != "parsing_exception"


def test_elasticsearch_integration_counts() -> None:
    """``SuggestSearchIT.testPhraseSuggesterCollate``: 10 corrections of which 2 are titles."""
    es = Engine()
    settings = {
        "number_of_shards": 1,
        "analysis": {
            "analyzer": {"text": {"tokenizer": "standard", "filter": ["lowercase", "my_shingle"]}},
            "filter": {
                "my_shingle": {
                    "type": "shingle",
                    "output_unigrams": True,
                    "min_shingle_size": 2,
                    "max_shingle_size": 3,
                }
            },
        },
    }
    es.indices.create(
        index="test", settings=settings, mappings={"properties": {"title": {"type": "text", "analyzer": "text"}}}
    )
    titles = [
        "United States House of Representatives Elections in Washington 2006",
        "United States House of Representatives Elections in Washington 2005",
        "State",
        "Houses of Parliament",
        "Representative Government",
        "Election",
    ]
    for title in titles:
        es.index(index="test", document={"title": title})
    es.indices.refresh(index="test")
    base = {
        "field": "title",
        "direct_generator": [
            {"field": "title", "suggest_mode": "always", "max_term_freq": 0.99, "size": 10, "max_inspections": 200}
        ],
        "confidence": 0,
        "max_errors": 2,
        "shard_size": 30000,
        "size": 10,
    }
    text = "united states house of representatives elections in washington 2006"

    def options(extra: dict[str, Any], suggest_text: str = text) -> list[dict[str, Any]]:
        out = es.search(index="test", size=0, suggest={"title": {"text": suggest_text, "phrase": {**base, **extra}}})
        found: list[dict[str, Any]] = out["suggest"]["title"][0]["options"]
        return found

    assert len(options({})) == 10
    by_field = {"query": {"source": {"match_phrase": {"{{field}}": "{{suggestion}}"}}}, "params": {"field": "title"}}
    assert len(options({"collate": by_field})) == 2
    assert options({"collate": by_field}, "Elections of Representatives Parliament") == []
    with_params = {
        "query": {"source": {"{{query_type}}": {"{{query_field}}": "{{suggestion}}"}}},
        "params": {"query_type": "match_phrase", "query_field": "title"},
    }
    assert len(options({"collate": with_params})) == 2
    pruned = options({"collate": {**with_params, "prune": True}})
    assert len(pruned) == 10
    assert sum(o["collate_match"] for o in pruned) == 2
    assert {o["text"] for o in pruned if o["collate_match"]} == {t.lower() for t in titles[:2]}
