"""``copy_to``: values indexed again into other fields, never into ``_source``.

Expectations follow Elasticsearch 9's ``DocumentParser.parseCopyFields`` (copied per value, ``null``
included, not transitive, missing targets created by dynamic mapping), ``FieldMapper.validate`` (its
three ``copy_to`` errors) and ``FieldTypeLookup.sourcePaths`` (``fields`` on a target reads its sources),
and the documentation's ``copy_to`` example (``first_name``/``last_name`` into ``full_name``). The
``semantic_text`` case is the seed setup's: ``title`` copied into a ``semantic_text`` field, whose copied
text must score exactly as the same text given directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

NAMES_MAPPING: dict[str, Any] = {
    "properties": {
        "first_name": {"type": "text", "copy_to": "full_name"},
        "last_name": {"type": "text", "copy_to": "full_name"},
        "full_name": {"type": "text"},
    }
}


@pytest.fixture
def es() -> Iterator[Engine]:
    yield Engine()


def ids(resp: Any) -> list[str]:
    return sorted(hit["_id"] for hit in resp["hits"]["hits"])


def test_documentation_example_full_name(es: Engine) -> None:
    """The reference's example: ``match`` on ``full_name`` with ``operator: and`` finds John Smith."""
    es.indices.create(index="people", mappings=NAMES_MAPPING)
    es.index(index="people", id="1", document={"first_name": "John", "last_name": "Smith"}, refresh=True)
    es.index(index="people", id="2", document={"first_name": "John", "last_name": "Doe"}, refresh=True)
    resp = es.search(index="people", query={"match": {"full_name": {"query": "John Smith", "operator": "and"}}})
    assert ids(resp) == ["1"]
    hit = resp["hits"]["hits"][0]
    assert hit["_source"] == {"first_name": "John", "last_name": "Smith"}  # copies never enter _source
    # GET _mapping shows copy_to as an array
    mapping = es.indices.get_mapping(index="people")["people"]["mappings"]["properties"]
    assert mapping["first_name"] == {"type": "text", "copy_to": ["full_name"]}
    assert mapping["full_name"] == {"type": "text"}


def test_copied_text_positions_follow_the_gap(es: Engine) -> None:
    """Each copied value is one more value of the target: a phrase across two values does not match
    (position_increment_gap 100), within one it does."""
    es.indices.create(index="people", mappings=NAMES_MAPPING)
    es.index(index="people", id="1", document={"first_name": "John", "last_name": "Smith"}, refresh=True)
    assert ids(es.search(index="people", query={"match_phrase": {"full_name": "john smith"}})) == []
    assert ids(
        es.search(index="people", query={"match_phrase": {"full_name": {"query": "john smith", "slop": 101}}})
    ) == ["1"]


def test_keyword_and_numeric_targets_are_aggregatable(es: Engine) -> None:
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "a": {"type": "keyword", "copy_to": ["tags", "obj.all"]},
                "b": {"type": "keyword", "copy_to": "tags"},
                "tags": {"type": "keyword"},
                "obj": {"properties": {"all": {"type": "keyword"}}},
                "n": {"type": "integer", "copy_to": "total"},
                "total": {"type": "long"},
            }
        },
    )
    es.index(index="t", id="1", document={"a": "x", "b": ["y", "z"], "n": 3}, refresh=True)
    es.index(index="t", id="2", document={"a": "y", "n": [5, 7]}, refresh=True)
    resp = es.search(
        index="t",
        size=0,
        aggs={
            "tags": {"terms": {"field": "tags"}},
            "sum": {"sum": {"field": "total"}},
            "all": {"terms": {"field": "obj.all"}},
        },
    )
    buckets = {b["key"]: b["doc_count"] for b in resp["aggregations"]["tags"]["buckets"]}
    assert buckets == {"x": 1, "y": 2, "z": 1}
    assert resp["aggregations"]["sum"]["value"] == 15.0
    assert {b["key"] for b in resp["aggregations"]["all"]["buckets"]} == {"x", "y"}
    assert ids(es.search(index="t", query={"range": {"total": {"gte": 6}}})) == ["2"]
    # sort on the target reads its copied doc values
    resp = es.search(index="t", sort=[{"total": "desc"}])
    assert [h["sort"] for h in resp["hits"]["hits"]] == [[7], [3]]


def test_fields_and_docvalue_fields_read_the_sources(es: Engine) -> None:
    """``fields`` on a target reads its sources' paths (``FieldTypeLookup.sourcePaths``)."""
    es.indices.create(
        index="t",
        mappings={"properties": {"a": {"type": "keyword", "copy_to": "c"}, "c": {"type": "keyword"}}},
    )
    es.index(index="t", id="1", document={"a": ["q", "p"]}, refresh=True)
    hit = es.search(index="t", fields=["c"], docvalue_fields=["c"])["hits"]["hits"][0]
    assert hit["fields"]["c"] == ["q", "p"]  # fields replaces the doc values entry, source order
    hit = es.search(index="t", docvalue_fields=["c"])["hits"]["hits"][0]
    assert hit["fields"]["c"] == ["p", "q"]  # doc values: sorted


def test_copy_to_is_not_transitive(es: Engine) -> None:
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "a": {"type": "keyword", "copy_to": "b"},
                "b": {"type": "keyword", "copy_to": "c"},
                "c": {"type": "keyword"},
            }
        },
    )
    es.index(index="t", id="1", document={"a": "va"}, refresh=True)
    es.index(index="t", id="2", document={"b": "vb"}, refresh=True)
    assert ids(es.search(index="t", query={"term": {"b": "va"}})) == ["1"]
    assert ids(es.search(index="t", query={"term": {"c": "va"}})) == []
    assert ids(es.search(index="t", query={"term": {"c": "vb"}})) == ["2"]


def test_null_copies_use_the_target_null_value(es: Engine) -> None:
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "a": {"type": "keyword", "copy_to": "b"},
                "b": {"type": "keyword", "null_value": "NULL"},
            }
        },
    )
    es.index(index="t", id="1", document={"a": None}, refresh=True)
    assert ids(es.search(index="t", query={"term": {"b": "NULL"}})) == ["1"]


def test_missing_target_is_created_dynamically(es: Engine) -> None:
    es.indices.create(index="t", mappings={"properties": {"a": {"type": "long", "copy_to": "x.y"}}})
    es.index(index="t", id="1", document={"a": 12}, refresh=True)
    mapping = es.indices.get_mapping(index="t")["t"]["mappings"]["properties"]
    assert mapping["x"] == {"properties": {"y": {"type": "long"}}}
    assert ids(es.search(index="t", query={"term": {"x.y": 12}})) == ["1"]
    assert es.get(index="t", id="1")["_source"] == {"a": 12}


def test_strict_root_refuses_a_missing_target(es: Engine) -> None:
    es.indices.create(
        index="t", mappings={"dynamic": "strict", "properties": {"a": {"type": "keyword", "copy_to": "z"}}}
    )
    with pytest.raises(ApiError) as failure:
        es.index(index="t", id="1", document={"a": "v"})
    assert failure.value.status_code == 400
    assert failure.value.body["error"]["type"] == "strict_dynamic_mapping_exception"
    assert "dynamic introduction of [z] within [_doc] is not allowed" in failure.value.body["error"]["reason"]


def test_target_value_type_errors_name_the_target(es: Engine) -> None:
    es.indices.create(
        index="t",
        mappings={"properties": {"a": {"type": "keyword", "copy_to": "n"}, "n": {"type": "long"}}},
    )
    with pytest.raises(ApiError) as failure:
        es.index(index="t", id="1", document={"a": "abc"})
    assert failure.value.body["error"]["type"] == "document_parsing_exception"
    assert "failed to parse field [n] of type [long]" in failure.value.body["error"]["reason"]


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        (
            {"a": {"type": "keyword", "copy_to": "o"}, "o": {"properties": {"x": {"type": "keyword"}}}},
            "Cannot copy to field [o] since it is mapped as an object",
        ),
        (
            {
                "a": {"type": "keyword", "copy_to": "t.raw"},
                "t": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
            },
            "[copy_to] may not be used to copy to a multi-field: [t.raw]",
        ),
        (
            {"t": {"type": "text", "fields": {"raw": {"type": "keyword", "copy_to": "x"}}}, "x": {"type": "keyword"}},
            "[copy_to] may not be used to copy from a multi-field: [t.raw]",
        ),
    ],
)
def test_mapping_errors(es: Engine, properties: dict[str, Any], reason: str) -> None:
    with pytest.raises(ApiError) as failure:
        es.indices.create(index="t", mappings={"properties": properties})
    assert failure.value.status_code == 400
    assert failure.value.body["error"]["type"] == "illegal_argument_exception"
    assert failure.value.body["error"]["reason"] == reason
    assert not es.indices.exists(index="t")


def test_put_mapping_adds_copy_to_and_checks_it(es: Engine) -> None:
    es.indices.create(index="t", mappings={"properties": {"a": {"type": "keyword"}, "o": {"type": "object"}}})
    with pytest.raises(ApiError) as failure:
        es.indices.put_mapping(index="t", properties={"a": {"type": "keyword", "copy_to": "o"}})
    assert failure.value.body["error"]["reason"] == "Cannot copy to field [o] since it is mapped as an object"
    es.indices.put_mapping(index="t", properties={"a": {"type": "keyword", "copy_to": ["b", "c"]}})
    mapping = es.indices.get_mapping(index="t")["t"]["mappings"]["properties"]
    assert mapping["a"] == {"type": "keyword", "copy_to": ["b", "c"]}
    es.index(index="t", id="1", document={"a": "v"}, refresh=True)
    assert ids(es.search(index="t", query={"term": {"c": "v"}})) == ["1"]


def test_bulk_and_update_copy(es: Engine) -> None:
    es.indices.create(index="src", mappings=NAMES_MAPPING)
    es.indices.create(index="dst", mappings=NAMES_MAPPING)
    es.bulk(
        operations=[{"index": {"_index": "src", "_id": "1"}}, {"first_name": "Ada", "last_name": "Lovelace"}],
        refresh=True,
    )
    assert ids(es.search(index="src", query={"match": {"full_name": "lovelace"}})) == ["1"]
    es.update(index="src", id="1", doc={"last_name": "Byron"}, refresh=True)
    assert ids(es.search(index="src", query={"match": {"full_name": "lovelace"}})) == []
    assert ids(es.search(index="src", query={"match": {"full_name": "byron"}})) == ["1"]
    # retrievo has no _reindex; re-indexing a fetched source is the same path
    es.index(index="dst", id="1", document=es.get(index="src", id="1")["_source"], refresh=True)
    assert ids(es.search(index="dst", query={"match": {"full_name": {"query": "ada byron", "operator": "and"}}})) == [
        "1"
    ]


def test_date_copy_reparses_with_target_format(es: Engine) -> None:
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "d": {"type": "date", "copy_to": ["k", "d2"]},
                "k": {"type": "keyword"},
                "d2": {"type": "date"},
            }
        },
    )
    es.index(index="t", id="1", document={"d": "2020-01-02"}, refresh=True)
    assert ids(es.search(index="t", query={"term": {"k": "2020-01-02"}})) == ["1"]
    assert ids(es.search(index="t", query={"range": {"d2": {"gte": "2020-01-02", "lte": "2020-01-02"}}})) == ["1"]


SPARSE_ENDPOINT = {"service": "test_service", "service_settings": {"model": "my_model", "api_key": "abc64"}}
DENSE_ENDPOINT = {
    "service": "text_embedding_test_service",
    "service_settings": {"model": "my_model", "dimensions": 10, "api_key": "abc64", "similarity": "cosine"},
}


@pytest.mark.parametrize(
    ("task_type", "endpoint"), [("sparse_embedding", SPARSE_ENDPOINT), ("text_embedding", DENSE_ENDPOINT)]
)
def test_copy_into_semantic_text(es: Engine, task_type: str, endpoint: dict[str, Any]) -> None:
    """The seed setup's shape: ``title`` copied into a ``semantic_text`` field. The copied text is chunked
    and embedded like a value of the target: a ``semantic`` query scores it exactly as the same text indexed
    directly, and it stays out of ``_source``."""
    es.inference.put(task_type=task_type, inference_id="ep", body={**endpoint, "task_settings": {}})
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "title": {"type": "text", "copy_to": "semantic"},
                "semantic": {"type": "semantic_text", "inference_id": "ep"},
            }
        },
    )
    es.index(index="t", id="copied", document={"title": "inference test"}, refresh=True)
    es.index(index="t", id="direct", document={"semantic": "inference test"}, refresh=True)
    es.index(index="t", id="other", document={"semantic": "something else entirely"}, refresh=True)
    resp = es.search(index="t", query={"semantic": {"field": "semantic", "query": "inference test"}})
    scores = {hit["_id"]: hit["_score"] for hit in resp["hits"]["hits"]}
    assert scores["copied"] == scores["direct"]
    assert scores["other"] != scores["copied"]  # the mock's embeddings depend on the text
    copied = next(hit for hit in resp["hits"]["hits"] if hit["_id"] == "copied")
    assert copied["_source"] == {"title": "inference test"}


def test_semantic_text_copy_to_calculates_embeddings_for_source_fields(es: Engine) -> None:
    """``30_semantic_text_inference.yml`` "semantic_text copy_to calculates embeddings for source fields"
    (x-pack/plugin/inference yamlRestTest, commit ``01f70d0f92ccb6c7d13b31ba28a47589677c1087``): the YAML reads
    three chunk groups (one per source field, one chunk each) from ``_inference_fields``, which retrievo does
    not write into ``_source``. What it observes instead: the document holds exactly those three chunks, so a
    ``semantic`` query scores it as its best chunk, the best of three documents each holding one of the texts."""
    es.inference.put(
        task_type="sparse_embedding", inference_id="sparse-inference-id", body={**SPARSE_ENDPOINT, "task_settings": {}}
    )
    es.indices.create(
        index="test-copy-to-index",
        mappings={
            "properties": {
                "sparse_field": {"type": "semantic_text", "inference_id": "sparse-inference-id"},
                "source_field": {"type": "text", "copy_to": "sparse_field"},
                "another_source_field": {"type": "text", "copy_to": "sparse_field"},
            }
        },
    )
    texts = ["copy_to inference test", "inference test", "another copy_to inference test"]
    es.index(
        index="test-copy-to-index",
        id="doc_1",
        document={"source_field": texts[0], "sparse_field": texts[1], "another_source_field": texts[2]},
        refresh=True,
    )
    for i, text in enumerate(texts):
        es.index(index="test-copy-to-index", id=f"single_{i}", document={"sparse_field": text}, refresh=True)
    for query in texts:
        hits = es.search(index="test-copy-to-index", query={"semantic": {"field": "sparse_field", "query": query}})[
            "hits"
        ]["hits"]
        scores = {hit["_id"]: hit["_score"] for hit in hits}
        assert scores["doc_1"] == max(scores[f"single_{i}"] for i in range(3))
    source = es.get(index="test-copy-to-index", id="doc_1")["_source"]
    assert source == {"source_field": texts[0], "sparse_field": texts[1], "another_source_field": texts[2]}


def test_ignore_above_on_a_target_lists_it_in_ignored(es: Engine) -> None:
    """A copied value the target drops (``ignore_above``) puts the target in ``_ignored``; the source keeps it."""
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "a": {"type": "keyword", "copy_to": "short"},
                "short": {"type": "keyword", "ignore_above": 3},
            }
        },
    )
    es.index(index="t", id="1", document={"a": "toolong"}, refresh=True)
    es.index(index="t", id="2", document={"a": "ok"}, refresh=True)
    hits = {h["_id"]: h for h in es.search(index="t")["hits"]["hits"]}
    assert hits["1"]["_ignored"] == ["short"]
    assert "_ignored" not in hits["2"]
    assert ids(es.search(index="t", query={"term": {"short": "ok"}})) == ["2"]
    assert ids(es.search(index="t", query={"term": {"a": "toolong"}})) == ["1"]


def test_highlight_on_a_target_reads_its_sources(es: Engine) -> None:
    """The highlighter loads a field's values through its value fetcher, whose source paths include the
    ``copy_to`` sources: highlighting ``full_name`` shows the copied names."""
    es.indices.create(index="people", mappings=NAMES_MAPPING)
    es.index(index="people", id="1", document={"first_name": "John", "last_name": "Smith"}, refresh=True)
    resp = es.search(
        index="people",
        query={"match": {"full_name": "smith"}},
        highlight={"fields": {"full_name": {}}},
    )
    assert resp["hits"]["hits"][0]["highlight"] == {"full_name": ["<em>Smith</em>"]}


def test_nested_scopes(es: Engine) -> None:
    """``checkNestedScopeCompatibility``: from a nested object to its parent is fine (the value lands in the
    parent document); into a nested object from outside it is refused."""
    es.indices.create(
        index="ok",
        mappings={
            "properties": {
                "n": {"type": "nested", "properties": {"a": {"type": "keyword", "copy_to": "top"}}},
                "top": {"type": "keyword"},
            }
        },
    )
    es.index(index="ok", id="1", document={"n": [{"a": "v1"}, {"a": "v2"}]}, refresh=True)
    assert ids(es.search(index="ok", query={"term": {"top": "v2"}})) == ["1"]
    with pytest.raises(ApiError) as failure:
        es.indices.create(
            index="bad",
            mappings={
                "properties": {
                    "n": {"type": "nested", "properties": {"a": {"type": "keyword"}}},
                    "top": {"type": "keyword", "copy_to": "n.a"},
                }
            },
        )
    assert failure.value.body["error"]["reason"] == (
        "Illegal combination of [copy_to] and [nested] mappings: [copy_to] may only copy data to the current "
        "nested document or any of its parents, however one [copy_to] directive is trying to copy data from "
        "nested object [null] to [n]"
    )


def test_copy_to_itself_indexes_the_value_twice(es: Engine) -> None:
    """Elasticsearch has no check against a field copying into itself: the copy is one more value (copies
    are not followed further, so it stops there)."""
    es.indices.create(index="t", mappings={"properties": {"n": {"type": "long", "copy_to": "n"}}})
    es.index(index="t", id="1", document={"n": 5}, refresh=True)
    hit = es.search(index="t", docvalue_fields=["n"])["hits"]["hits"][0]
    assert hit["fields"]["n"] == [5, 5]
    assert es.search(index="t", size=0, aggs={"s": {"sum": {"field": "n"}}})["aggregations"]["s"]["value"] == 10.0
