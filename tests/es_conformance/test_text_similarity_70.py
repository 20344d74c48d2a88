"""Port of Elasticsearch's ``text_similarity_reranker`` retriever YAML REST tests.

Source: ``x-pack/plugin/inference/src/yamlRestTest/resources/rest-api-spec/test/inference/70_text_similarity_rank_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``0128e30676c6961849e4d2d0f92b6b1eb58e4433`` — the newest
stored version (``inference_text_field`` numeric scores, ``min_score`` fix, 9.2 ``chunk_rescorer`` and
9.3 chunk explain/profile cases); the older 8.15 version at ``1b8ff294`` asserted ``_score`` 0.4/0.2 of
the pre-normalization mock and is not ported. Index, documents and the ``my-rerank-model`` endpoint
(``test_reranking_service``, ES's mock, spec §8.4): ``build_rerank_engine`` in ``conftest.py``.
Spec: /work/shared/spec/elasticsearch-retrievers.md §6, §8.4 and §9.4.

The YAML setup also creates a sparse ``test_service`` endpoint and a ``semantic_text_field`` (via
``copy_to``); the cases that use them run on their own engine (``semantic_rerank_engine``, the YAML's
``copy_to`` from ``text`` included); the ``profile`` cases run there too (the YAML
runs them on that same index), reading the ``RankDocsQuery`` description (docs/profile.md). The alias
case runs over an alias of two indices of its own (a retriever over several indices).
Requests carry the YAML's ``fields`` option once retrievo accepts it.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import (
    RERANK_DOCS,
    RERANK_MODEL_CONFIG,
    RERANK_MODEL_ID,
    assert_catch_regex,
    assert_regex,
    at,
    ids,
    total,
    with_fields,
)
from retrievo import Engine
from retrievo.errors import ApiError

pytestmark = pytest.mark.requires("text_similarity_reranker")

needs_mock = pytest.mark.requires("test_reranking_service")

QUESTION = "How often does the moon hide the sun?"

#: bool.should[constant_score(subtopic technology, 10), constant_score(subtopic astronomy, 1)] → doc_1, doc_2
TECH_THEN_ASTRONOMY: dict[str, Any] = {
    "bool": {
        "should": [
            {"constant_score": {"filter": {"term": {"subtopic": "technology"}}, "boost": 10}},
            {"constant_score": {"filter": {"term": {"subtopic": "astronomy"}}, "boost": 1}},
        ]
    }
}


def reranker(
    query: dict[str, Any],
    *,
    field: str = "inference_text_field",
    inference_id: str = "my-rerank-model",
    inference_text: str = QUESTION,
    child_extra: dict[str, Any] | None = None,
    **params: Any,
) -> dict[str, Any]:
    return {
        "text_similarity_reranker": {
            "retriever": {"standard": {"query": query, **(child_extra or {})}},
            "rank_window_size": 10,
            "inference_id": inference_id,
            "inference_text": inference_text,
            "field": field,
            **params,
        }
    }


def rerank_search(
    e, retriever: dict[str, Any], index: str = "test-index", fields: tuple[str, ...] = ("text", "topic"), **body: Any
) -> dict[str, Any]:
    return e.search(
        index=index,
        body=with_fields({"track_total_hits": True, "retriever": retriever, "size": 10, **body}, list(fields)),
    )


# YAML: "Simple text similarity rank retriever"
@needs_mock
def test_simple_text_similarity_rank_retriever(rerank_engine):
    resp = rerank_search(rerank_engine, reranker(TECH_THEN_ASTRONOMY))
    assert total(resp) == 2
    assert len(resp["hits"]["hits"]) == 2
    assert ids(resp) == ["doc_2", "doc_1"]  # raw model scores "0" and "-1"


# YAML: "Simple text similarity rank retriever and filtering"
@needs_mock
def test_simple_text_similarity_rank_retriever_and_filtering(rerank_engine):
    resp = rerank_search(
        rerank_engine, reranker({"term": {"topic": "science"}}, filter={"term": {"subtopic": "technology"}})
    )
    assert total(resp) == 1
    assert len(resp["hits"]["hits"]) == 1
    assert ids(resp) == ["doc_1"]


# YAML: "Text similarity reranking fails if the inference ID does not exist"
def test_reranking_fails_if_the_inference_id_does_not_exist(rerank_engine):
    with pytest.raises(ApiError) as err:
        rerank_search(
            rerank_engine,
            reranker(
                {"term": {"topic": "science"}}, inference_id="i-dont-exist", filter={"term": {"subtopic": "technology"}}
            ),
        )
    assert_catch_regex(err.value, r"Inference endpoint not found")


# YAML: "Text similarity reranking fails if the inference ID does not exist and result set is empty"
def test_reranking_fails_if_the_inference_id_does_not_exist_and_result_set_is_empty(rerank_engine):
    with pytest.raises(ApiError) as err:
        rerank_search(
            rerank_engine,
            reranker({"term": {"topic": "asdfasdf"}}, inference_id="i-dont-exist", inference_text="asdfasdf"),
        )
    assert_catch_regex(err.value, r"Inference endpoint not found")


# YAML: "Text similarity reranking with allowed failure maintains custom sorting"
def test_allowed_rerank_failure_keeps_the_childs_custom_sort(rerank_engine):
    resp = rerank_search(
        rerank_engine,
        reranker(
            {"term": {"topic": "science"}},
            child_extra={"sort": ["subtopic"]},
            field="text",
            inference_id="failing-rerank-model",
            inference_text="science",
            allow_rerank_failures=True,
        ),
    )
    assert total(resp) == 2
    assert len(resp["hits"]["hits"]) == 2
    assert ids(resp) == ["doc_2", "doc_1"]  # astronomy < technology


# YAML: "text similarity reranking with explain"
@needs_mock
def test_text_similarity_reranking_with_explain(rerank_engine):
    resp = rerank_search(rerank_engine, reranker(TECH_THEN_ASTRONOMY), explain=True)
    assert ids(resp)[:2] == ["doc_2", "doc_1"]
    assert at(resp, "hits.hits.0._explanation.description") == "sum of:"
    assert_regex(
        r"text_similarity_reranker.match.using.inference.endpoint:.\[my-rerank-model\].on.document"
        r".field:.\[inference_text_field\].*",
        at(resp, "hits.hits.0._explanation.details.0.description"),
    )
    assert_regex(
        r"subtopic.*astronomy.*", at(resp, "hits.hits.0._explanation.details.0.details.0.details.0.description")
    )
    assert_regex(r"match.on.required.clause,.product.of:*", at(resp, "hits.hits.0._explanation.details.1.description"))


# YAML: "text similarity reranker properly handles aliases" — an empty index whose shard comes first, and
# the document on an index with two shards, both behind one alias: the reranked document is fetched from
# its own index and shard (api/multi_index_retrievers.py).
@needs_mock
def test_text_similarity_reranker_properly_handles_aliases(make_rerank_engine):
    e = make_rerank_engine()  # this case creates two more indices, so it gets its own engine
    properties = {"text": {"type": "text"}, "topic": {"type": "keyword"}, "subtopic": {"type": "keyword"}}
    e.indices.create(index="first-test-index", mappings={"properties": properties})
    e.indices.create(
        index="second-test-index",
        settings={"number_of_shards": 2, "number_of_replicas": 0},
        mappings={"properties": properties},
    )
    e.indices.put_alias(index="first-test-index", name="test-alias")
    e.indices.put_alias(index="second-test-index", name="test-alias")
    e.index(
        index="second-test-index",
        id="doc_1",
        refresh=True,
        document={k: v for k, v in RERANK_DOCS["doc_1"].items() if k in ("text", "topic", "subtopic")},
    )
    resp = e.search(
        index="test-alias",
        body={
            "track_total_hits": True,
            "retriever": reranker({"term": {"topic": "science"}}, field="text"),
            "size": 10,
        },
    )
    assert total(resp) == 1
    assert len(resp["hits"]["hits"]) == 1
    assert ids(resp) == ["doc_1"]


# YAML: "Text similarity reranker respects min_score"
@needs_mock
def test_reranker_respects_min_score(make_rerank_engine):
    e = make_rerank_engine()  # this case re-indexes doc_2, so it gets its own engine
    e.index(
        index="test-index",
        id="doc_2",
        refresh=True,
        document={
            "text": "The phases of the Moon come from the position of the Moon relative to the Earth and Sun.",
            "topic": ["science"],
            "subtopic": ["astronomy"],
            "inference_text_field": "10",
        },
    )
    resp = rerank_search(e, reranker(TECH_THEN_ASTRONOMY, min_score=10))
    assert total(resp) == 1
    assert len(resp["hits"]["hits"]) == 1
    assert ids(resp) == ["doc_2"]


# YAML: "Text similarity reranker with min_score zero includes all docs"
@needs_mock
def test_reranker_with_min_score_zero_includes_all_docs(make_rerank_engine):
    e = make_rerank_engine()  # this case creates a second index, so it gets its own engine
    e.indices.create(
        index="test-index-deterministic",
        mappings={
            "properties": {
                "text": {"type": "text"},
                "topic": {"type": "keyword"},
                "subtopic": {"type": "keyword"},
                "inference_text_field": {"type": "keyword"},
            }
        },
    )
    for doc_id, score_text in [("doc_1", "1"), ("doc_2", "2"), ("doc_3", "3")]:
        e.index(
            index="test-index-deterministic",
            id=doc_id,
            refresh=True,
            document={**RERANK_DOCS[doc_id], "inference_text_field": score_text},
        )
    resp = rerank_search(e, reranker({"match_all": {}}, min_score=0), index="test-index-deterministic")
    assert total(resp) == 3
    assert len(resp["hits"]["hits"]) == 3


# YAML: "Text similarity reranker with high min_score excludes all docs"
@needs_mock
def test_reranker_with_high_min_score_excludes_all_docs(rerank_engine):
    resp = rerank_search(rerank_engine, reranker({"match_all": {}}, min_score=1000))
    assert total(resp) == 0
    assert len(resp["hits"]["hits"]) == 0


# YAML: "Text similarity reranker specifying number of rescore_chunks must be > 0"
@needs_mock
def test_chunk_rescorer_size_must_be_positive(rerank_engine):
    with pytest.raises(ApiError) as err:
        rerank_search(rerank_engine, reranker({"match_all": {}}, chunk_rescorer={"size": 0}))
    assert_catch_regex(err.value, r"size must be greater than 0")
    assert err.value.body["status"] == 400


# YAML: "Reranking based on rescore_chunks"
@needs_mock
def test_reranking_based_on_rescore_chunks(rerank_engine):
    # one chunk per doc; the mock scores inputs by position, so the child's order [doc_2, doc_1] flips
    resp = rerank_search(
        rerank_engine, reranker({"match": {"topic": {"query": "science"}}}, field="text", chunk_rescorer={"size": 2})
    )
    assert total(resp) == 2
    assert len(resp["hits"]["hits"]) == 2
    assert ids(resp) == ["doc_1", "doc_2"]


# YAML: "Reranking based on rescore_chunks using defaults"
@needs_mock
def test_reranking_based_on_rescore_chunks_using_defaults(rerank_engine):
    resp = rerank_search(rerank_engine, reranker({"term": {"topic": "science"}}, field="text", chunk_rescorer={}))
    assert total(resp) == 2
    assert len(resp["hits"]["hits"]) == 2
    assert ids(resp) == ["doc_1", "doc_2"]


# --------------------------------------------------------------------------- the semantic_text cases
@pytest.fixture(scope="module")
def semantic_rerank_engine() -> Engine:
    """The YAML's whole setup: ``my-rerank-model``, the sparse ``test_service`` endpoint and
    ``semantic_text_field`` (word chunks of 10 words, overlap 1), filled by ``copy_to`` from ``text``."""
    e = Engine()
    e.inference.put(task_type="rerank", inference_id=RERANK_MODEL_ID, inference_config=RERANK_MODEL_CONFIG)
    sparse = {
        "service": "test_service",
        "service_settings": {"model": "my_model", "api_key": "abc64"},
        "task_settings": {},
    }
    e.inference.put(task_type="sparse_embedding", inference_id="sparse-inference-id", inference_config=sparse)
    semantic_field = {
        "type": "semantic_text",
        "inference_id": "sparse-inference-id",
        "chunking_settings": {"strategy": "word", "max_chunk_size": 10, "overlap": 1},
    }
    properties = {
        "text": {"type": "text", "copy_to": "semantic_text_field"},
        "topic": {"type": "keyword"},
        "subtopic": {"type": "keyword"},
        "inference_text_field": {"type": "text"},
        "semantic_text_field": semantic_field,
    }
    e.indices.create(index="test-index", mappings={"properties": properties})
    for doc_id, score_text in [("doc_2", "0"), ("doc_3", "1"), ("doc_1", "-1")]:
        doc = RERANK_DOCS[doc_id]
        source = {**doc, "inference_text_field": score_text}
        e.index(index="test-index", id=doc_id, refresh=True, document=source)
    return e


SEMANTIC_FIELDS = ("text", "semantic_text_field", "topic")
SCIENCE = {"match": {"topic": {"query": "science"}}}
LOWER_QUESTION = "how often does the moon hide the sun?"


def semantic_rerank(e: Engine, *, inference_text: str = LOWER_QUESTION, **params: Any) -> dict[str, Any]:
    retriever = reranker(SCIENCE, field="semantic_text_field", inference_text=inference_text, **params)
    return rerank_search(e, retriever, fields=SEMANTIC_FIELDS)


def assert_doc_1_then_doc_2(resp: dict[str, Any]) -> None:
    assert total(resp) == 2
    assert len(resp["hits"]["hits"]) == 2
    assert ids(resp) == ["doc_1", "doc_2"]


# YAML: "Reranking based on rescore_chunks on a semantic_text field"
@needs_mock
def test_rescore_chunks_on_a_semantic_text_field(semantic_rerank_engine):
    assert_doc_1_then_doc_2(semantic_rerank(semantic_rerank_engine, chunk_rescorer={"size": 2}))


# YAML: "Reranking based on rescore_chunks on a semantic_text field using defaults"
@needs_mock
def test_rescore_chunks_on_a_semantic_text_field_using_defaults(semantic_rerank_engine):
    assert_doc_1_then_doc_2(semantic_rerank(semantic_rerank_engine, chunk_rescorer={}))


# YAML: "Reranking based on rescore_chunks on a semantic_text field specifying chunking settings"
@needs_mock
def test_rescore_chunks_on_a_semantic_text_field_with_chunking_settings(semantic_rerank_engine):
    settings = {"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 0}
    assert_doc_1_then_doc_2(semantic_rerank(semantic_rerank_engine, chunk_rescorer={"chunking_settings": settings}))


# YAML: "Reranking based on rescore_chunks on a semantic_text field specifying chunking settings requires
#        valid chunking settings"
@needs_mock
def test_rescore_chunks_requires_valid_chunking_settings(semantic_rerank_engine):
    settings = {"strategy": "sentence", "max_chunk_size": 10, "sentence_overlap": 20}
    with pytest.raises(ApiError) as err:
        semantic_rerank(semantic_rerank_engine, chunk_rescorer={"size": 20, "chunking_settings": settings})
    assert_catch_regex(err.value, r"Invalid value")


# YAML: "Reranking based on rescore_chunks on a semantic_text field specifying chunk size"
@needs_mock
def test_rescore_chunks_on_a_semantic_text_field_with_chunk_size(semantic_rerank_engine):
    assert_doc_1_then_doc_2(semantic_rerank(semantic_rerank_engine, chunk_rescorer={"size": 20}))


# YAML: "Reranking based on chunk_rescorer specifying only max chunk size will default remaining chunking settings"
@needs_mock
def test_chunk_rescorer_with_only_max_chunk_size(semantic_rerank_engine):
    rescorer = {"size": 20, "chunking_settings": {"max_chunk_size": 20}}
    assert_doc_1_then_doc_2(semantic_rerank(semantic_rerank_engine, chunk_rescorer=rescorer))


# YAML: "Reranking based on chunk_rescorer will send in first chunk if no text matches found"
@needs_mock
def test_chunk_rescorer_sends_first_chunk_when_nothing_matches(semantic_rerank_engine):
    resp = semantic_rerank(
        semantic_rerank_engine, inference_text="iamanonsensefieldthatshouldreturnnoresults", chunk_rescorer={}
    )
    assert_doc_1_then_doc_2(resp)


# YAML: "Explain outputs information on chunk rescorer if selected"
@needs_mock
def test_explain_outputs_chunk_rescorer_information(semantic_rerank_engine):
    retriever = reranker(SCIENCE, field="semantic_text_field", inference_text=LOWER_QUESTION)
    resp = rerank_search(semantic_rerank_engine, retriever, fields=SEMANTIC_FIELDS, explain=True)
    assert total(resp) == 2
    assert len(resp["hits"]["hits"]) == 2
    assert at(resp, "hits.hits.0._explanation.details.0.description") == (
        "text_similarity_reranker match using inference endpoint: [my-rerank-model] on document field: "
        "[semantic_text_field] matching on source query "
    )
    retriever = reranker(SCIENCE, field="semantic_text_field", inference_text=LOWER_QUESTION, chunk_rescorer={})
    resp = rerank_search(semantic_rerank_engine, retriever, fields=SEMANTIC_FIELDS, explain=True)
    assert total(resp) == 2
    assert len(resp["hits"]["hits"]) == 2
    assert at(resp, "hits.hits.0._explanation.details.0.description") == (
        "text_similarity_reranker match using inference endpoint: [my-rerank-model] on document field: "
        "[semantic_text_field] matching on source query and rescoring considering only top [1] best chunks"
    )


def profiled_description(e: Engine, retriever: dict[str, Any], fields: tuple[str, ...], hits: int) -> str:
    """Run the YAML's profiled search; check its hit counts; the final query's description."""
    resp = rerank_search(e, retriever, fields=fields, profile=True)
    assert total(resp) == hits
    assert len(resp["hits"]["hits"]) == hits
    return at(resp, "profile.shards.0.searches.0.query.0.description")


def moon_reranker(inference_text: str, chunk_rescorer: dict[str, Any]) -> dict[str, Any]:
    return reranker(
        {"match": {"text": "moon"}}, field="text", inference_text=inference_text, chunk_rescorer=chunk_rescorer
    )


# YAML: "Profile outputs information on chunk rescorer if selected"
@needs_mock
def test_profile_outputs_chunk_rescorer_information(semantic_rerank_engine):
    retriever = reranker(SCIENCE, field="semantic_text_field", inference_text=LOWER_QUESTION)
    description = profiled_description(semantic_rerank_engine, retriever, SEMANTIC_FIELDS, 2)
    assert "+RankDocsQuery{rank_docs:[TextSimilarityRankDoc" in description
    assert "inferenceId=my-rerank-model, field=semantic_text_field, chunkScorerConfig=null}" in description
    retriever = reranker(SCIENCE, field="semantic_text_field", inference_text=LOWER_QUESTION, chunk_rescorer={})
    description = profiled_description(semantic_rerank_engine, retriever, SEMANTIC_FIELDS, 2)
    assert "+RankDocsQuery{rank_docs:[TextSimilarityRankDoc" in description
    assert (
        "inferenceId=my-rerank-model, field=semantic_text_field, chunkScorerConfig=ChunkScorerConfig{size=1, "
        "inferenceText=[null], chunkingSettings="
    ) in description
    assert '"max_chunk_size":333' in description


# YAML: "Test chunk rescorer auto-resolves from parent inference_id"
@needs_mock
def test_chunk_rescorer_auto_resolves_from_parent_inference_id(semantic_rerank_engine):
    retriever = moon_reranker(QUESTION, {"size": 3})
    description = profiled_description(semantic_rerank_engine, retriever, ("text",), 3)
    assert "chunkScorerConfig=ChunkScorerConfig{size=3" in description
    assert '"max_chunk_size":333' in description


# YAML: "Test explicit chunking_settings override inference endpoint window size"
@needs_mock
def test_explicit_chunking_settings_override_endpoint_window_size(semantic_rerank_engine):
    retriever = moon_reranker("moon science", {"size": 3, "chunking_settings": {"max_chunk_size": 100}})
    resp = rerank_search(semantic_rerank_engine, retriever, fields=("text",), profile=True)
    assert total(resp) == 3
    description = at(resp, "profile.shards.0.searches.0.query.0.description")
    assert "chunkScorerConfig=ChunkScorerConfig{size=3" in description
    assert '"max_chunk_size":100' in description


# YAML: "Test chunk rescorer on semantic_text field pulls from reranker inference_id"
@needs_mock
def test_chunk_rescorer_on_semantic_text_pulls_from_reranker_inference_id(semantic_rerank_engine):
    retriever = reranker(
        {"match": {"topic": "science"}},
        field="semantic_text_field",
        inference_text="moon eclipse",
        chunk_rescorer={"size": 3},
    )
    description = profiled_description(semantic_rerank_engine, retriever, ("text", "semantic_text_field"), 2)
    assert "chunkScorerConfig=ChunkScorerConfig{size=3" in description
    assert '"max_chunk_size":333' in description


# YAML: "Test NPE regression - chunk rescorer with null chunking_settings does not throw"
@needs_mock
def test_chunk_rescorer_without_chunking_settings_explains_chunks(rerank_engine):
    resp = rerank_search(
        rerank_engine,
        reranker({"match": {"text": "moon"}}, field="text", chunk_rescorer={"size": 3}),
        fields=("text",),
        explain=True,
    )
    assert total(resp) == 3
    assert len(resp["hits"]["hits"]) == 3
    assert at(resp, "hits.hits.0._score")  # is_true
    assert "rescoring considering only top [3] best chunks" in at(
        resp, "hits.hits.0._explanation.details.0.description"
    )


# YAML: "Test chunk rescorer with partial chunking_settings auto-completes remaining fields"
@needs_mock
def test_partial_chunking_settings_are_completed(semantic_rerank_engine):
    retriever = moon_reranker("moon science", {"size": 3, "chunking_settings": {"max_chunk_size": 50}})
    resp = rerank_search(semantic_rerank_engine, retriever, fields=("text",), profile=True)
    assert total(resp) == 3
    description = at(resp, "profile.shards.0.searches.0.query.0.description")
    assert "chunkScorerConfig=ChunkScorerConfig{size=3" in description
    assert '"max_chunk_size":50' in description
    assert '"strategy":"sentence"' in description


# YAML: "Test chunk rescorer empty object defaults to size=1 and inference endpoint window"
@needs_mock
def test_empty_chunk_rescorer_defaults(semantic_rerank_engine):
    resp = rerank_search(semantic_rerank_engine, moon_reranker("moon science", {}), fields=("text",), profile=True)
    assert total(resp) == 3
    description = at(resp, "profile.shards.0.searches.0.query.0.description")
    assert "chunkScorerConfig=ChunkScorerConfig{size=1" in description
    assert '"max_chunk_size":333' in description
