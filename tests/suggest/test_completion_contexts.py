"""Category contexts of the completion suggester (Elasticsearch's ``ContextMappings`` over Lucene's
``ContextSuggestField``/``ContextQuery``).

Ports of ``suggest/30_context.yml`` (``12f3f8e9``; its category cases: the ``geo`` ones need ``geo_point``,
which retrievo refuses, and the multi-context case is run with its category context only), the context
case of ``40_typed_keys.yml`` (``ec956d4b``) and the context cases of ``50_completion_with_multi_fields.yml``
(including "Duplicate suggestions in different contexts in sub-fields", Elasticsearch 9). The scoring cases
were checked against Lucene 8.8's ``ContextQuery`` (a context's boost adds to the inner query's, then
``weight × boost``; the boost is the longest query context starting the indexed one, exact or not).
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError, BadRequestError

from retrievo import Engine

COLOR = [{"name": "color", "type": "category"}]


def _suggest(es: Engine, index: str, completion: dict[str, Any], text: str = "foo") -> list[dict[str, Any]]:
    body = {"result": {"text": text, "completion": completion}}
    out = es.search(index=index, suggest=body)["suggest"]["result"]
    assert len(out) == 1
    return list(out[0]["options"])


def _shard_reason(es: Engine, index: str, completion: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(BadRequestError) as caught:
        es.search(index=index, suggest={"result": {"text": "foo", "completion": completion}})
    error = caught.value.body["error"]
    assert caught.value.meta.status == 400
    assert error["type"] == "search_phase_execution_exception"
    return dict(error["failed_shards"][0]["reason"])


@pytest.fixture
def es() -> Engine:
    """``30_context.yml``'s setup, its category fields only."""
    engine = Engine()
    engine.indices.create(
        index="test",
        mappings={
            "properties": {
                "suggest_context": {"type": "completion", "contexts": COLOR},
                "suggest_context_with_path": {
                    "type": "completion",
                    "contexts": [{"name": "color", "type": "category", "path": "color"}],
                },
                "suggest_multi_contexts": {
                    "type": "completion",
                    "contexts": [
                        {"name": "shape", "type": "category", "path": "shape"},
                        {"name": "color", "type": "category", "path": "color"},
                    ],
                },
            }
        },
    )
    return engine


# ------------------------------------------------------------------ 30_context.yml
def test_simple_context_suggestion_should_work(es: Engine) -> None:
    es.index(index="test", id="1", document={"suggest_context": {"input": "foo red", "contexts": {"color": "red"}}})
    es.index(index="test", id="2", document={"suggest_context": {"input": "foo blue", "contexts": {"color": "blue"}}})
    es.indices.refresh(index="test")
    options = _suggest(es, "test", {"field": "suggest_context", "contexts": {"color": "red"}})
    assert [o["text"] for o in options] == ["foo red"]
    assert options[0]["_id"] == "1" and options[0]["_score"] == 1.0
    assert options[0]["contexts"] == {"color": ["red"]}
    assert list(options[0]) == ["text", "_index", "_id", "_score", "_source", "contexts"]


def test_category_suggest_context_from_path_should_work(es: Engine) -> None:
    field = "suggest_context_with_path"
    es.index(index="test", id="1", document={field: {"input": "Foo red", "contexts": {"color": "red"}}})
    es.index(index="test", id="2", document={field: "Foo blue", "color": "blue"})
    es.indices.refresh(index="test")
    red = _suggest(es, "test", {"field": field, "contexts": {"color": "red"}})
    assert [(o["text"], o["contexts"]) for o in red] == [("Foo red", {"color": ["red"]})]
    blue = _suggest(es, "test", {"field": field, "contexts": {"color": "blue"}})
    assert [(o["text"], o["contexts"]) for o in blue] == [("Foo blue", {"color": ["blue"]})]
    both = _suggest(es, "test", {"field": field, "contexts": {"color": ["blue", "red"]}})
    # equal scores: Lucene's queue orders them by input, then document
    assert [o["text"] for o in both] == ["Foo blue", "Foo red"]


def test_multi_contexts_should_work(es: Engine) -> None:
    es.index(index="test", id="1", document={"suggest_multi_contexts": "Marriot in Amsterdam", "color": "red"})
    es.index(index="test", id="2", document={"suggest_multi_contexts": "Marriot in Berlin", "color": "blue"})
    es.index(index="test", id="3", document={"suggest_multi_contexts": "Marriot in Paris", "shape": "round"})
    es.indices.refresh(index="test")
    blue = _suggest(es, "test", {"field": "suggest_multi_contexts", "contexts": {"color": "blue"}}, text="mar")
    assert [o["text"] for o in blue] == ["Marriot in Berlin"]
    shape = _suggest(es, "test", {"field": "suggest_multi_contexts", "contexts": {"shape": "round"}}, text="mar")
    assert [(o["text"], o["contexts"]) for o in shape] == [("Marriot in Paris", {"shape": ["round"]})]


def test_skip_duplicates_with_contexts_should_work(es: Engine) -> None:
    es.index(index="test", id="1", document={"suggest_context": {"input": "foo", "contexts": {"color": "red"}}})
    es.index(index="test", id="1", document={"suggest_context": {"input": "foo", "contexts": {"color": "red"}}})
    es.index(index="test", id="2", document={"suggest_context": {"input": "foo", "contexts": {"color": "blue"}}})
    es.indices.refresh(index="test")
    completion = {"field": "suggest_context", "skip_duplicates": True, "contexts": {"color": "red"}}
    assert [o["text"] for o in _suggest(es, "test", completion)] == ["foo"]


def test_indexing_and_querying_without_contexts_is_forbidden(es: Engine) -> None:
    es.index(
        index="test",
        id="1",
        document={
            "suggest_context": {"input": "foo", "contexts": {"color": "red"}},
            "suggest_multi_contexts": {"input": "bar", "contexts": {"color": "blue"}},
        },
    )
    with pytest.raises(BadRequestError) as caught:
        es.index(index="test", id="2", document={"suggest_context": {"input": "foo"}})
    assert caught.value.body["error"] == {
        "root_cause": [
            {
                "type": "illegal_argument_exception",
                "reason": "Contexts are mandatory in context enabled completion field [suggest_context]",
            }
        ],
        "type": "illegal_argument_exception",
        "reason": "Contexts are mandatory in context enabled completion field [suggest_context]",
    }
    es.indices.refresh(index="test")
    missing = {"type": "illegal_argument_exception", "reason": "Missing mandatory contexts in context query"}
    assert _shard_reason(es, "test", {"field": "suggest_context"}) == missing
    assert _shard_reason(es, "test", {"field": "suggest_context", "contexts": {}}) == missing
    assert _shard_reason(es, "test", {"field": "suggest_multi_contexts", "contexts": {"shape": []}}) == missing


# -------------------------------------------- 40_typed_keys.yml, 50_completion_with_multi_fields.yml
def test_typed_keys_with_a_context_suggester() -> None:
    es = Engine()
    es.indices.create(
        index="test",
        mappings={
            "properties": {
                "title": {"type": "keyword"},
                "suggestions": {"type": "completion", "contexts": [{"name": "format", "type": "category"}]},
            }
        },
    )
    docs = [
        {
            "title": "Elasticsearch in Action",
            "suggestions": {"input": "ELK in Action", "contexts": {"format": "ebook"}},
        },
        {
            "title": "Elasticsearch - The Definitive Guide",
            "suggestions": {"input": ["Elasticsearch in Action"], "contexts": {"format": "ebook"}},
        },
    ]
    operations: list[dict[str, Any]] = []
    for doc in docs:
        operations += [{"index": {}}, doc]
    assert not es.bulk(index="test", operations=operations, refresh=True)["errors"]
    body = {
        "text": "Elastic",
        "term_suggester": {"term": {"field": "title"}},
        "context_suggester": {
            "prefix": "Elastic",
            "completion": {"field": "suggestions", "contexts": {"format": "ebook"}},
        },
    }
    out = es.search(index="test", query={"match_all": {}}, suggest=body, typed_keys=True)["suggest"]
    assert out["term#term_suggester"]
    (entry,) = out["completion#context_suggester"]
    assert [o["text"] for o in entry["options"]] == ["Elasticsearch in Action"]


@pytest.fixture
def sub_fields() -> Engine:
    es = Engine()
    es.indices.create(
        index="completion_with_context",
        mappings={
            "properties": {
                "suggest_1": {
                    "type": "completion",
                    "contexts": COLOR,
                    "fields": {"suggest_2": {"type": "completion", "contexts": COLOR}},
                }
            }
        },
    )
    return es


def test_search_by_suggestion_on_sub_field_with_context(sub_fields: Engine) -> None:
    es = sub_fields
    es.index(
        index="completion_with_context",
        id="1",
        document={"suggest_1": {"input": "foo red", "contexts": {"color": "red"}}},
    )
    es.index(
        index="completion_with_context",
        id="2",
        document={"suggest_1": {"input": "foo blue", "contexts": {"color": "blue"}}},
    )
    es.indices.refresh(index="completion_with_context")
    options = _suggest(es, "completion_with_context", {"field": "suggest_1.suggest_2", "contexts": {"color": "red"}})
    assert [o["text"] for o in options] == ["foo red"]


def test_duplicate_suggestions_in_different_contexts_in_sub_fields(sub_fields: Engine) -> None:
    es = sub_fields
    document = {
        "suggest_1": [
            {"input": "foox", "weight": 2, "contexts": {"color": ["red"]}},
            {"input": "foox", "weight": 3, "contexts": {"color": ["blue", "green"]}},
        ]
    }
    es.index(index="completion_with_context", id="1", document=document, refresh=True)
    red = _suggest(es, "completion_with_context", {"field": "suggest_1.suggest_2", "contexts": {"color": "red"}})
    assert [(o["text"], o["_score"]) for o in red] == [("foox", 2.0)]
    blue = _suggest(es, "completion_with_context", {"field": "suggest_1.suggest_2", "contexts": {"color": "blue"}})
    assert [(o["text"], o["_score"]) for o in blue] == [("foox", 3.0)]


# ------------------------------------------------------------------ scoring and order (Lucene 8.8 ContextQuery)
@pytest.fixture(scope="module")
def scored() -> Engine:
    es = Engine()
    es.indices.create(
        index="t",
        mappings={"properties": {"s": {"type": "completion", "contexts": [{"name": "c", "type": "category"}]}}},
    )
    docs = [
        ("1", "foo red", 1, ["red"]),
        ("2", "foo blue", 3, ["blue", "red"]),
        ("3", "food", 2, ["green"]),
        ("4", "fool", 5, ["reddish"]),
        ("5", "foot", 0, ["red"]),
        ("6", "fox", 4, ["re"]),
    ]
    for doc_id, text, weight, contexts in docs:
        es.index(index="t", id=doc_id, document={"s": {"input": text, "weight": weight, "contexts": {"c": contexts}}})
    es.indices.refresh(index="t")
    return es


def _ranked(es: Engine, contexts: list[Any], prefix: str = "fo", **options: Any) -> list[tuple[str, float, list[str]]]:
    completion = {"field": "s", "contexts": {"c": contexts}, **options}
    out = es.search(index="t", suggest={"r": {"prefix": prefix, "completion": completion}})["suggest"]["r"][0]
    return [(o["_id"], o["_score"], o["contexts"]["c"]) for o in out["options"]]


def test_boost_multiplies_the_weight_and_a_document_lists_every_matched_context(scored: Engine) -> None:
    # doc 2 matches through red (3 × 2) and blue (3 × 1); weight 0 scores the boost alone
    got = _ranked(scored, [{"context": "red", "boost": 2}, "blue"])
    assert got == [("2", 6.0, ["red", "blue"]), ("1", 2.0, ["red"]), ("5", 2.0, ["red"])]


def test_prefix_contexts(scored: Engine) -> None:
    got = _ranked(scored, [{"context": "re", "boost": 3, "prefix": True}])
    expected = [
        ("4", 15.0, ["reddish"]),
        ("6", 12.0, ["re"]),
        ("2", 9.0, ["red"]),
        ("1", 3.0, ["red"]),
        ("5", 3.0, ["red"]),
    ]
    assert got == expected


def test_the_longest_query_context_gives_the_boost_even_when_exact(scored: Engine) -> None:
    # "reddish" is accepted through the prefix "r" but boosted by the exact "re" (ContextCompletionWeight)
    got = _ranked(scored, [{"context": "re", "boost": 3}, {"context": "r", "boost": 7, "prefix": "true"}])
    assert [(doc, score) for doc, score, _ in got] == [("4", 15.0), ("6", 12.0), ("2", 9.0), ("1", 3.0), ("5", 3.0)]


def test_size_counts_documents(scored: Engine) -> None:
    got = _ranked(scored, ["red", "blue", "green", "reddish", "re"], size=2)
    assert got == [("4", 5.0, ["reddish"]), ("6", 4.0, ["re"])]


def test_skip_duplicates_keeps_the_first_context_of_a_repeated_input(scored: Engine) -> None:
    # doc 2 ties at 3 under blue and red: the key with "blue" sorts first, the other is a duplicate
    got = _ranked(scored, ["red", "blue"], skip_duplicates=True)
    assert got == [("2", 3.0, ["blue"]), ("1", 1.0, ["red"]), ("5", 1.0, ["red"])]


def test_fuzzy_boost_adds_to_the_context_boost(scored: Engine) -> None:
    # FuzzyCompletionQuery's boost (the exact common prefix, 1) adds to the context's: weight × (2 + 1)
    got = _ranked(scored, [{"context": "red", "boost": 2}, "blue"], prefix="fpo", fuzzy=True)
    assert got == [("2", 9.0, ["red", "blue"]), ("1", 3.0, ["red"]), ("5", 3.0, ["red"])]


def test_regex_with_contexts(scored: Engine) -> None:
    # the regex runs over the analysed form, where a separator (U+001F) stands between the tokens
    completion = {"field": "s", "contexts": {"c": [{"context": "red", "boost": 4}]}}
    out = scored.search(index="t", suggest={"r": {"regex": "fo+.[rb]", "completion": completion}})["suggest"]["r"]
    assert [(o["_id"], o["_score"]) for o in out[0]["options"]] == [("2", 12.0), ("1", 4.0)]


def test_deprecated_context_name(scored: Engine) -> None:
    out = scored.search(
        index="t", suggest={"r": {"prefix": "fo", "completion": {"field": "s", "context": {"c": "green"}}}}
    )
    assert [o["_id"] for o in out["suggest"]["r"][0]["options"]] == ["3"]


def test_context_values_of_every_json_scalar() -> None:
    es = Engine()
    es.indices.create(index="t", mappings={"properties": {"s": {"type": "completion", "contexts": COLOR}}})
    es.index(index="t", id="1", document={"s": {"input": "foo", "contexts": {"color": [7, True, "x"]}}}, refresh=True)
    assert [o["_id"] for o in _suggest(es, "t", {"field": "s", "contexts": {"color": 7}})] == ["1"]
    assert [o["_id"] for o in _suggest(es, "t", {"field": "s", "contexts": {"color": "true"}})] == ["1"]
    assert [o["_id"] for o in _suggest(es, "t", {"field": "s", "contexts": {"color": {"context": False}}})] == []


def test_path_reads_indexed_values_of_keyword_text_and_boolean_fields() -> None:
    es = Engine()
    contexts = [
        {"name": "tag", "type": "category", "path": "tag"},
        {"name": "flag", "type": "category", "path": "flag"},
        {"name": "body", "type": "category", "path": "body"},
    ]
    mappings = {
        "s": {"type": "completion", "contexts": contexts},
        "tag": {"type": "keyword", "ignore_above": 5},
        "flag": {"type": "boolean"},
        "body": {"type": "text"},
    }
    es.indices.create(index="t", mappings={"properties": mappings})
    es.index(index="t", id="1", document={"s": "foo", "tag": ["short", "too long"], "flag": True, "body": "Two Words"})
    es.indices.refresh(index="t")
    (option,) = _suggest(es, "t", {"field": "s", "contexts": {"flag": "T"}})
    assert option["contexts"] == {"flag": ["T"]}  # the contexts it matched through
    every = {"flag": "T", "tag": "short", "body": "Two Words"}
    (option,) = _suggest(es, "t", {"field": "s", "contexts": every})
    assert option["contexts"] == {"flag": ["T"], "tag": ["short"], "body": ["Two Words"]}
    assert _suggest(es, "t", {"field": "s", "contexts": {"tag": "too long"}}) == []
    # a value dropped by ignore_above gives no context: this input has none
    with pytest.raises(BadRequestError) as caught:
        es.index(index="t", id="2", document={"s": "bar", "tag": "too long"})
    assert caught.value.body["error"]["reason"] == "Contexts are mandatory in context enabled completion field [s]"


def test_path_to_a_numeric_field_is_refused_at_indexing() -> None:
    es = Engine()
    contexts = [{"name": "n", "type": "category", "path": "n"}]
    es.indices.create(
        index="t", mappings={"properties": {"s": {"type": "completion", "contexts": contexts}, "n": {"type": "long"}}}
    )
    with pytest.raises(BadRequestError) as caught:
        es.index(index="t", id="1", document={"s": {"input": "foo", "contexts": {"n": "x"}}, "n": 3})
    assert caught.value.body["error"]["type"] == "illegal_argument_exception"
    assert (
        caught.value.body["error"]["reason"]
        == "Failed to parse context field [n], only keyword and text fields are accepted"
    )


# ------------------------------------------------------------------ mapping
def test_get_mapping_prints_the_contexts() -> None:
    es = Engine()
    contexts = [{"name": "place_type", "type": "category"}, {"name": "tag", "type": "Category", "path": "tags"}]
    es.indices.create(index="t", mappings={"properties": {"s": {"type": "completion", "contexts": contexts}}})
    es.indices.create(
        index="u", mappings={"properties": {"s": {"type": "completion", "contexts": {"name": "a", "type": "category"}}}}
    )
    assert es.indices.get_mapping(index="t")["t"]["mappings"]["properties"]["s"] == {
        "type": "completion",
        "analyzer": "simple",
        "preserve_separators": True,
        "preserve_position_increments": True,
        "max_input_length": 50,
        "contexts": [{"name": "place_type", "type": "CATEGORY"}, {"name": "tag", "type": "CATEGORY", "path": "tags"}],
    }
    assert es.indices.get_mapping(index="u")["u"]["mappings"]["properties"]["s"]["contexts"] == [
        {"name": "a", "type": "CATEGORY"}
    ]


@pytest.mark.parametrize(
    ("contexts", "cause"),
    [
        ([], {"type": "parse_exception", "reason": "expected at least one context mapping"}),
        ("x", {"type": "parse_exception", "reason": "expected a list or an entry of context mapping"}),
        ([{"type": "category"}], {"type": "parse_exception", "reason": "missing [name] in context mapping"}),
        ([{"name": "a"}], {"type": "parse_exception", "reason": "missing [type] in context mapping"}),
        ([{"name": "a", "type": "foo"}], {"type": "illegal_argument_exception", "reason": "No context type for [foo]"}),
        (
            [{"name": "a", "type": "category", "foo": 1, "precision": "5km"}],
            {
                "type": "mapper_parsing_exception",
                "reason": "Mapping definition for [a] has unsupported parameters:  [foo : 1] [precision : 5km]",
            },
        ),
        (
            [{"name": f"c{i}", "type": "category"} for i in range(11)],
            {
                "type": "illegal_argument_exception",
                "reason": "Limit of completion field contexts [10] has been exceeded",
            },
        ),
    ],
)
def test_mapping_errors(contexts: Any, cause: dict[str, Any]) -> None:
    es = Engine()
    with pytest.raises(BadRequestError) as caught:
        es.indices.create(index="t", mappings={"properties": {"s": {"type": "completion", "contexts": contexts}}})
    error = caught.value.body["error"]
    assert error["type"] == "mapper_parsing_exception"
    assert error["reason"] == f"Failed to parse mapping: {cause['reason']}"
    assert error["caused_by"] == cause


def test_geo_contexts_are_refused_by_name() -> None:
    es = Engine()
    contexts = [{"name": "location", "type": "geo", "precision": "5km"}]
    with pytest.raises(BadRequestError) as caught:
        es.indices.create(index="t", mappings={"properties": {"s": {"type": "completion", "contexts": contexts}}})
    error = caught.value.body["error"]
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"].startswith("[geo] completion contexts is not supported in retrievo")


def test_contexts_cannot_be_updated() -> None:
    es = Engine()
    es.indices.create(index="t", mappings={"properties": {"s": {"type": "completion", "contexts": COLOR}}})
    with pytest.raises(BadRequestError) as caught:
        es.indices.put_mapping(
            index="t", properties={"s": {"type": "completion", "contexts": [{"name": "b", "type": "category"}]}}
        )
    assert "Cannot update parameter [contexts]" in caught.value.body["error"]["reason"]


# ------------------------------------------------------------------ indexing errors
@pytest.mark.parametrize(
    ("value", "cause"),
    [
        (
            {"input": "x", "contexts": {"shape": "a"}},
            {"type": "illegal_argument_exception", "reason": "Unknown context name [shape], must be one of [color]"},
        ),
        (
            {"input": "x", "contexts": ["a"]},
            {
                "type": "illegal_argument_exception",
                "reason": "contexts must be an object or an array , but was [START_ARRAY]",
            },
        ),
        (
            {"input": "x", "contexts": {"color": {"a": 1}}},
            {
                "type": "parse_exception",
                "reason": "contexts must be a string, number or boolean or a list of string, number or boolean, "
                "but was [START_OBJECT]",
            },
        ),
        (
            {"input": "x", "contexts": {"color": ["a", None]}},
            {
                "type": "parse_exception",
                "reason": "context array must have string, number or boolean values, but was [VALUE_NULL]",
            },
        ),
    ],
)
def test_inline_context_errors(value: Any, cause: dict[str, Any]) -> None:
    es = Engine()
    es.indices.create(index="t", mappings={"properties": {"s": {"type": "completion", "contexts": COLOR}}})
    with pytest.raises(BadRequestError) as caught:
        es.index(index="t", id="1", document={"s": value})
    assert caught.value.body["error"]["type"] == "document_parsing_exception"
    assert caught.value.body["error"]["caused_by"] == cause


def test_contexts_on_a_field_without_context_mappings() -> None:
    es = Engine()
    es.indices.create(index="t", mappings={"properties": {"s": {"type": "completion"}}})
    with pytest.raises(BadRequestError) as caught:
        es.index(index="t", id="1", document={"s": {"input": "x", "contexts": {"color": "red"}}})
    assert caught.value.body["error"]["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "contexts field is not supported for field: [s]",
    }
    es.index(index="t", id="1", document={"s": "foo"}, refresh=True)
    assert _shard_reason(es, "t", {"field": "s", "contexts": {"color": "red"}}) == {
        "type": "illegal_argument_exception",
        "reason": "suggester [s] doesn't expect any context",
    }


# ------------------------------------------------------------------ query errors
@pytest.mark.parametrize(
    ("contexts", "reason"),
    [
        (
            {"shape": "a"},
            {"type": "illegal_argument_exception", "reason": "Unknown context name [shape], must be one of [color]"},
        ),
        (
            {"color": {"context": "red", "boost": 0}},
            {"type": "x_content_parse_exception", "reason": "category context must be a string, number or boolean"},
        ),
        (
            {"color": {"context": "red", "weight": 2}},
            {"type": "x_content_parse_exception", "reason": "category context must be a string, number or boolean"},
        ),
        (
            {"color": [None]},
            {
                "type": "x_content_parse_exception",
                "reason": "category context must be an object, string, number or boolean",
            },
        ),
    ],
)
def test_query_context_errors(es: Engine, contexts: dict[str, Any], reason: dict[str, Any]) -> None:
    es.index(
        index="test", id="1", document={"suggest_context": {"input": "foo", "contexts": {"color": "red"}}}, refresh=True
    )
    assert _shard_reason(es, "test", {"field": "suggest_context", "contexts": contexts}) == reason


def test_a_category_object_without_context_fails_with_a_null_pointer(es: Engine) -> None:
    es.index(
        index="test", id="1", document={"suggest_context": {"input": "foo", "contexts": {"color": "red"}}}, refresh=True
    )
    with pytest.raises(ApiError) as caught:
        es.search(
            index="test",
            suggest={
                "r": {"text": "f", "completion": {"field": "suggest_context", "contexts": {"color": {"boost": 2}}}}
            },
        )
    assert caught.value.meta.status == 500
    error = caught.value.body["error"]
    assert error["type"] == "search_phase_execution_exception"
    assert error["failed_shards"][0]["reason"] == {
        "type": "null_pointer_exception",
        "reason": "category must not be null",
    }


def test_contexts_must_be_an_object(es: Engine) -> None:
    with pytest.raises(BadRequestError) as caught:
        es.search(
            index="test", suggest={"r": {"text": "f", "completion": {"field": "suggest_context", "contexts": "red"}}}
        )
    assert caught.value.body["error"]["type"] == "x_content_parse_exception"
    assert caught.value.body["error"]["reason"] == "[completion] contexts doesn't support values of type: VALUE_STRING"
