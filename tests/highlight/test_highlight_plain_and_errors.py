"""The plain highlighter on hand-worked cases, and the ``highlight`` section's errors.

Plain fragments follow Lucene's ``Highlighter``: with the ``span`` fragmenter a new fragment starts at the
first token whose end offset reaches the next multiple of ``fragment_size`` while at least half a fragment
of text remains; fragments keep the text between tokens as it is (no trimming).
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

COUNTING = "one two three four five six seven eight nine ten fox eleven twelve thirteen fourteen fifteen"


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(index="hl", mappings={"properties": {"text": {"type": "text"}, "other": {"type": "text"}}})
    e.index(index="hl", id="1", document={"text": COUNTING, "other": "nothing"})
    e.index(index="hl", id="2", document={"text": ["a fox", "no match", "another fox here"], "other": "x"})
    e.indices.refresh()
    return e


def search(e: Engine, hl: dict[str, Any], query: dict[str, Any] | None = None) -> dict[str, Any]:
    return e.search(index="hl", query=query or {"match": {"text": "fox"}}, highlight=hl)


def highlights(e: Engine, hl: dict[str, Any], query: dict[str, Any] | None = None) -> dict[str, Any]:
    return {h["_id"]: h.get("highlight") for h in search(e, hl, query)["hits"]["hits"]}


def test_plain_span_fragments(engine: Engine) -> None:
    """Token ends 3 7 13 18 23…: "five" (23 ≥ 20) opens fragment 2, "nine" (44 ≥ 40) fragment 3, "twelve"
    (66 ≥ 60, 26 characters left) fragment 4; only fragment 3 holds "fox"."""
    hl = highlights(engine, {"type": "plain", "fields": {"text": {"fragment_size": 20}}})
    assert hl["1"] == {"text": [" nine ten <em>fox</em> eleven"]}


def test_plain_whole_field_and_values(engine: Engine) -> None:
    hl = highlights(engine, {"type": "plain", "fields": {"text": {"number_of_fragments": 0}}})
    assert hl["1"] == {"text": [COUNTING.replace("fox", "<em>fox</em>")]}
    assert hl["2"] == {"text": ["a <em>fox</em>", "another <em>fox</em> here"]}


def test_plain_phrase_terms(engine: Engine) -> None:
    hl = highlights(engine, {"type": "plain", "fields": {"text": {}}}, {"match_phrase": {"text": "ten fox"}})
    assert hl["1"] == {"text": [COUNTING[:48].replace("ten", "<em>ten</em>") + " <em>fox</em>" + COUNTING[52:]]}


def test_plain_no_match_size(engine: Engine) -> None:
    """No match in ``text``: the excerpt ends at the last token ending before 10 ("three" ends at 13)."""
    hl = highlights(
        engine, {"type": "plain", "fields": {"text": {"no_match_size": 10}}}, {"match": {"other": "nothing"}}
    )
    assert hl["1"] == {"text": ["one two"]}


# ------------------------------------------------------------------------------------------ errors


def error_of(e: Engine, hl: Any) -> dict[str, Any]:
    with pytest.raises(BadRequestError) as info:
        e.search(index="hl", query={"match": {"text": "fox"}}, highlight=hl)
    assert info.value.meta.status == 400
    body: dict[str, Any] = info.value.body["error"]
    return body


def test_unknown_keys(engine: Engine) -> None:
    top = error_of(engine, {"foo": 1, "fields": {"text": {}}})
    assert (top["type"], top["reason"]) == ("x_content_parse_exception", "[highlight] unknown field [foo]")
    field = error_of(engine, {"fields": {"text": {"bar": 1}}})
    assert (field["type"], field["reason"]) == (
        "x_content_parse_exception",
        "[highlight] failed to parse field [fields]",
    )
    assert field["caused_by"]["reason"] == "[highlight_field] unknown field [bar]"


def test_tags_must_come_in_pairs(engine: Engine) -> None:
    err = error_of(engine, {"pre_tags": ["<x>"], "fields": {"text": {}}})
    assert (err["type"], err["reason"]) == ("parsing_exception", "pre_tags are set but post_tags are not set")
    err = error_of(engine, {"tags_schema": "fancy", "fields": {"text": {}}})
    assert err["caused_by"]["reason"] == "Unknown tag schema [fancy]"


def test_field_level_number_of_fragments(engine: Engine) -> None:
    err = error_of(engine, {"fields": {"text": {"number_of_fragments": -2}}})
    assert err["reason"] == "[highlight] failed to parse field [fields]"
    assert err["caused_by"]["reason"] == "[highlight_field] failed to parse field [number_of_fragments]"
    assert err["caused_by"]["caused_by"]["reason"] == "[number_of_fragments] must be between [0] and [100000]"


def test_bad_boundary_scanner(engine: Engine) -> None:
    err = error_of(engine, {"boundary_scanner": "lines", "fields": {"text": {}}})
    assert err["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "No enum constant org.elasticsearch.search.fetch.subphase.highlight.HighlightBuilder."
        "BoundaryScannerType.LINES",
    }


def test_unknown_highlighter_type_and_fragmenter_fail_the_shard(engine: Engine) -> None:
    err = error_of(engine, {"fields": {"text": {"type": "fancy"}}})
    assert err["type"] == "search_phase_execution_exception"
    assert err["root_cause"][0] == {
        "type": "illegal_argument_exception",
        "reason": "unknown highlighter type [fancy] for the field [text]",
    }
    err = error_of(engine, {"type": "plain", "fragmenter": "odd", "fields": {"text": {}}})
    assert err["root_cause"][0]["reason"] == "unknown fragmenter option [odd] for the field [text]"


@pytest.mark.parametrize(
    ("hl", "feature"),
    [
        ({"type": "fvh", "fields": {"text": {}}}, "[highlight] type [fvh]"),
        ({"type": "semantic", "fields": {"text": {}}}, "[highlight] type [semantic]"),
    ],
)
def test_refused_features_name_themselves(engine: Engine, hl: dict[str, Any], feature: str) -> None:
    err = error_of(engine, hl)
    assert err["type"] == "illegal_argument_exception"
    assert err["reason"].startswith(f"{feature} is not supported in retrievo")


def test_highlight_section_prints_back() -> None:
    from retrievo.grammar.json import parse_search

    body = {
        "query": {"match": {"text": "fox"}},
        "highlight": {
            "pre_tags": ["<b>"],
            "post_tags": ["</b>"],
            "order": "score",
            "encoder": "html",
            "fields": [{"text": {"number_of_fragments": 0, "highlight_query": {"term": {"text": "fox"}}}}],
        },
    }
    request = parse_search("hl", body)
    printed = request.to_json()["highlight"]
    assert {k: v for k, v in printed.items() if k != "fields"} == {
        "pre_tags": ["<b>"],
        "post_tags": ["</b>"],
        "order": "score",
        "encoder": "html",
    }
    assert printed["fields"][0]["text"]["number_of_fragments"] == 0
    assert parse_search("hl", request.to_json()) == request


def test_semantic_text_fields_are_refused_by_name() -> None:
    """A ``semantic_text`` field named in ``fields`` needs Elasticsearch's semantic highlighter (its best
    chunks); a pattern passes over it, as Elasticsearch's patterns take text and keyword fields only."""
    e = Engine()
    service_settings = {"model": "my_model", "dimensions": 4, "api_key": "abc64"}
    body = {"service": "text_embedding_test_service", "service_settings": service_settings, "task_settings": {}}
    e.inference.put(task_type="text_embedding", inference_id="dense", body=body)
    properties = {"body": {"type": "semantic_text", "inference_id": "dense"}, "title": {"type": "text"}}
    e.indices.create(index="sem", mappings={"properties": properties})
    e.index(index="sem", id="1", document={"body": "a fox", "title": "a fox"}, refresh=True)
    with pytest.raises(BadRequestError) as info:
        e.search(index="sem", query={"match": {"title": "fox"}}, highlight={"fields": {"body": {}}})
    assert info.value.body["error"]["reason"] == (
        "[highlight] on [semantic_text] fields is not supported in retrievo: the semantic highlighter"
    )
    resp = e.search(index="sem", query={"match": {"title": "fox"}}, highlight={"fields": {"*": {}}})
    assert resp["hits"]["hits"][0]["highlight"] == {"title": ["a <em>fox</em>"]}


def test_plain_fragments_best_first_by_boosted_terms(engine: Engine) -> None:
    """Fragments 1 ("one two three four") and 3 (" nine ten fox eleven") match one term each: equal
    scores keep text order; a boost of 2 on "fox" puts fragment 3 first (``QueryScorer`` weighs by boost)."""
    hl = {"type": "plain", "fields": {"text": {"fragment_size": 20}}}
    plain = {"bool": {"should": [{"match": {"text": "two"}}, {"match": {"text": "fox"}}]}}
    assert highlights(engine, hl, plain)["1"] == {
        "text": ["one <em>two</em> three four", " nine ten <em>fox</em> eleven"]
    }
    boosted = {"bool": {"should": [{"match": {"text": "two"}}, {"match": {"text": {"query": "fox", "boost": 2}}}]}}
    assert highlights(engine, hl, boosted)["1"] == {
        "text": [" nine ten <em>fox</em> eleven", "one <em>two</em> three four"]
    }


def test_highlight_over_several_indices_and_in_msearch() -> None:
    e = Engine()
    for name in ("a", "b"):
        e.indices.create(index=name, mappings={"properties": {"text": {"type": "text"}}})
        e.index(index=name, id="1", document={"text": f"a fox in {name}"}, refresh=True)
    hl = {"fields": {"text": {}}}
    resp = e.search(index="a,b", query={"match": {"text": "fox"}}, highlight=hl)
    assert sorted((h["_index"], h["highlight"]["text"][0]) for h in resp["hits"]["hits"]) == [
        ("a", "a <em>fox</em> in a"),
        ("b", "a <em>fox</em> in b"),
    ]
    multi = e.msearch(searches=[{"index": "b"}, {"query": {"match": {"text": "fox"}}, "highlight": hl}])
    assert multi["responses"][0]["hits"]["hits"][0]["highlight"] == {"text": ["a <em>fox</em> in b"]}


def test_fields_array_entries_name_one_field(engine: Engine) -> None:
    err = error_of(engine, {"fields": [{"text": {}, "other": {}}]})
    assert err["reason"] == "[highlight] failed to parse field [fields]"
    assert err["caused_by"]["reason"] == (
        "[fields] can be a single object with any number of fields or an array where each entry is an object "
        "with a single field"
    )


def test_requests_with_highlight_stay_hashable() -> None:
    from retrievo.grammar.json import parse_search

    body = {"highlight": {"options": {"custom": {"nested": 1}}, "fields": {"text": {}}}}
    request = parse_search("hl", body)
    assert hash(request) == hash(parse_search("hl", body))
    assert request.to_json()["highlight"]["options"] == {"custom": {"nested": 1}}
