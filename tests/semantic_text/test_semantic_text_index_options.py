"""``index_options`` on ``semantic_text`` (Elasticsearch 9.1+): the options of the field its chunk embeddings
go to, under that field's type -- ``{"dense_vector": {...}}`` for a ``text_embedding`` endpoint (the
``dense_vector`` index types, graph and quantisation parameters), ``{"sparse_vector": {...}}`` for a
``sparse_embedding`` one (the default token pruning of its queries). Parsed with those field types' own
rules, validated against the endpoint's task type, shown by ``GET _mapping``, persisted, and used.

Messages are Elasticsearch's (``SemanticTextFieldMapper``, ``SemanticTextIndexOptions``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

DENSE = {"service": "text_embedding_test_service", "service_settings": {"model": "m", "dimensions": 4, "api_key": "x"}}
SPARSE = {"service": "test_service", "service_settings": {"model": "m", "api_key": "x"}}


def engine() -> Engine:
    e = Engine()
    e.inference.put(task_type="text_embedding", inference_id="dense", body=DENSE)
    odd = {**DENSE, "service_settings": {**DENSE["service_settings"], "dimensions": 5}}
    e.inference.put(task_type="text_embedding", inference_id="dense-odd", body=odd)
    e.inference.put(task_type="sparse_embedding", inference_id="sparse", body=SPARSE)
    return e


def field(inference_id: str, options: Any) -> dict[str, Any]:
    return {"properties": {"c": {"type": "semantic_text", "inference_id": inference_id, "index_options": options}}}


def mapping_error(e: Engine, inference_id: str, options: Any) -> dict[str, Any]:
    with pytest.raises(ApiError) as info:
        e.indices.create(index="bad", mappings=field(inference_id, options))
    assert info.value.status_code == 400
    assert not e.indices.exists(index="bad")
    return dict(info.value.body["error"])


def test_dense_options_are_shown_with_their_defaults() -> None:
    e = engine()
    e.indices.create(index="i", mappings=field("dense", {"dense_vector": {"type": "int8_hnsw", "m": 20}}))
    shown = e.indices.get_mapping(index="i")["i"]["mappings"]["properties"]["c"]
    assert shown == {
        "type": "semantic_text",
        "inference_id": "dense",
        "index_options": {"dense_vector": {"type": "int8_hnsw", "m": 20, "ef_construction": 100}},
    }


def test_sparse_options_are_shown() -> None:
    e = engine()
    e.indices.create(index="i", mappings=field("sparse", {"sparse_vector": {"prune": False}}))
    shown = e.indices.get_mapping(index="i")["i"]["mappings"]["properties"]["c"]
    assert shown["index_options"] == {"sparse_vector": {"prune": False}}


@pytest.mark.parametrize(
    ("options", "error_type", "reason"),
    [
        ({"bogus": {}}, "illegal_argument_exception", "Unknown index options type [bogus]"),
        ({"dense_vector": {}}, "mapper_parsing_exception", "Required type"),
        ({"dense_vector": {"type": "invalid"}}, "mapper_parsing_exception", "Unsupported index options type invalid"),
        (
            {"dense_vector": {"type": "flat", "m": 16}},
            "mapper_parsing_exception",
            "Mapping definition for [c] has unsupported parameters:  [m : 16]",
        ),
    ],
)
def test_bad_dense_options(options: Any, error_type: str, reason: str) -> None:
    error = mapping_error(engine(), "dense", options)
    assert error["type"] == "mapper_parsing_exception"
    assert error["caused_by"]["type"] == error_type
    assert error["caused_by"]["reason"] == reason


def test_bad_sparse_options() -> None:
    error = mapping_error(engine(), "sparse", {"sparse_vector": {"bogus": 1}})
    assert error["caused_by"]["reason"] == "[index_options] unknown field [bogus]"


def test_options_must_fit_the_endpoint_task_type() -> None:
    e = engine()
    error = mapping_error(e, "sparse", {"dense_vector": {"type": "hnsw"}})
    assert error["caused_by"]["type"] == "illegal_argument_exception"
    assert error["caused_by"]["reason"] == (
        "Invalid task type for index options, required [text_embedding] but was [sparse_embedding]"
    )
    error = mapping_error(e, "dense", {"sparse_vector": {"prune": True}})
    assert error["caused_by"]["reason"] == (
        "Invalid task type for index options, required [sparse_embedding] but was [text_embedding]"
    )


def test_int4_needs_even_dimensions() -> None:
    error = mapping_error(engine(), "dense-odd", {"dense_vector": {"type": "int4_hnsw"}})
    assert error["caused_by"]["reason"] == "int4_hnsw only supports even dimensions; provided=5"


@pytest.mark.parametrize("kind", ["flat", "hnsw", "int8_flat", "int8_hnsw", "int4_flat", "int4_hnsw"])
def test_the_chunk_vectors_are_built_with_the_index_type(kind: str) -> None:
    e = engine()
    e.indices.create(index="i", mappings=field("dense", {"dense_vector": {"type": kind}}))
    e.index(index="i", id="1", document={"c": "hello"}, refresh=True)
    searcher = e.catalog.shard("i").searcher()
    assert searcher.vector("c").chunks.options.type == kind
    # [57, 57, 49, 54] against itself: cosine 1, so score 1 whatever the structure (rescored exactly).
    hits = e.search(index="i", query={"semantic": {"field": "c", "query": "hello"}})["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in hits] == [("1", pytest.approx(1.0, abs=1e-6))]


def sparse_index(options: Any) -> Engine:
    e = engine()
    e.indices.create(index="i", mappings=field("sparse", options))
    e.index(index="i", id="1", document={"c": "hello"}, refresh=True)
    e.index(index="i", id="2", document={"c": "world"}, refresh=True)
    return e


def semantic_ids(e: Engine) -> list[str]:
    hits = e.search(index="i", query={"semantic": {"field": "c", "query": "hello"}})["hits"]["hits"]
    return sorted(h["_id"] for h in hits)


def test_sparse_options_set_the_default_pruning_of_queries() -> None:
    # The mock gives every text the same five tokens, so each is in every chunk: its document ratio (1) is
    # at the field's average (1). With ``tokens_freq_ratio_threshold: 1`` every token is frequent, and all
    # five weigh within 0.4 of the best, so none is pruned; ``only_score_pruned_tokens`` then scores none.
    assert semantic_ids(sparse_index(None)) == ["1", "2"]
    assert semantic_ids(sparse_index({"sparse_vector": {"prune": False}})) == ["1", "2"]
    config = {"tokens_freq_ratio_threshold": 1, "only_score_pruned_tokens": True}
    assert semantic_ids(sparse_index({"sparse_vector": {"prune": True, "pruning_config": config}})) == []


def test_index_options_survive_a_restart(tmp_path: Path) -> None:
    first = Engine(path=tmp_path / "data")
    first.inference.put(task_type="text_embedding", inference_id="dense", body=DENSE)
    first.indices.create(index="i", mappings=field("dense", {"dense_vector": {"type": "int8_flat"}}))
    first.index(index="i", id="1", document={"c": "hello"})  # only in the translog
    again = Engine(path=tmp_path / "data")
    again.indices.refresh(index="i")
    shown = again.indices.get_mapping(index="i")["i"]["mappings"]["properties"]["c"]["index_options"]
    assert shown == {"dense_vector": {"type": "int8_flat"}}
    assert again.catalog.shard("i").searcher().vector("c").chunks.options.type == "int8_flat"
    again.indices.flush(index="i")
    third = Engine(path=tmp_path / "data")
    assert third.catalog.shard("i").searcher().vector("c").chunks.options.type == "int8_flat"


def test_put_mapping_checks_the_task_type_too() -> None:
    e = engine()
    e.indices.create(index="i")
    with pytest.raises(ApiError) as info:
        e.indices.put_mapping(index="i", properties=field("sparse", {"dense_vector": {"type": "hnsw"}})["properties"])
    assert info.value.status_code == 400
    assert info.value.body["error"]["caused_by"]["reason"] == (
        "Invalid task type for index options, required [text_embedding] but was [sparse_embedding]"
    )
    assert "c" not in e.indices.get_mapping(index="i")["i"]["mappings"].get("properties", {})


def put_options(e: Engine, options: Any) -> None:
    e.indices.put_mapping(index="i", properties=field("dense", options)["properties"])


def test_dense_options_change_as_a_dense_vector_field_s_may() -> None:
    e = engine()
    e.indices.create(index="i", mappings=field("dense", {"dense_vector": {"type": "int8_hnsw"}}))
    e.index(index="i", id="1", document={"c": "hello"}, refresh=True)
    with pytest.raises(ApiError) as info:  # a graph never loses connections, int8 never becomes float
        put_options(e, {"dense_vector": {"type": "hnsw"}})
    assert info.value.status_code == 400
    assert info.value.body["error"]["reason"] == (
        "Mapper for [c] conflicts with existing mapper:\n\tCannot update parameter [index_options] from "
        "[{dense_vector={type=int8_hnsw, m=16, ef_construction=100, confidence_interval=null, rescore_vector=none}}] "
        "to [{dense_vector={type=hnsw, m=16, ef_construction=100}}]"
    )
    with pytest.raises(ApiError):
        put_options(e, {"sparse_vector": {"prune": False}})
    put_options(e, {"dense_vector": {"type": "int4_hnsw", "m": 32}})
    shown = e.indices.get_mapping(index="i")["i"]["mappings"]["properties"]["c"]["index_options"]
    assert shown["dense_vector"]["type"] == "int4_hnsw"
    e.index(index="i", id="2", document={"c": "world"}, refresh=True)  # the next chunks: the new structure
    options = e.catalog.shard("i").searcher().vector("c").chunks.options
    assert (options.type, options.m) == ("int4_hnsw", 32)
    hits = e.search(index="i", query={"semantic": {"field": "c", "query": "hello"}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["1", "2"]


def test_quantised_types_need_float_embeddings() -> None:
    e = engine()
    byte = {**DENSE, "service_settings": {**DENSE["service_settings"], "element_type": "byte"}}
    e.inference.put(task_type="text_embedding", inference_id="bytes", body=byte)
    error = mapping_error(e, "bytes", {"dense_vector": {"type": "int8_hnsw"}})
    assert error["caused_by"]["reason"] == "[element_type] cannot be [byte] when using index type [int8_hnsw]"
    e.indices.create(index="ok", mappings=field("bytes", {"dense_vector": {"type": "hnsw", "m": 8}}))
    e.index(index="ok", id="1", document={"c": "hello"}, refresh=True)
    assert e.catalog.shard("ok").searcher().vector("c").chunks.options.m == 8


def test_an_endpoint_created_after_the_mapping_is_checked_at_ingest() -> None:
    e = Engine()
    e.indices.create(index="i", mappings=field("later", {"dense_vector": {"type": "hnsw"}}))
    e.inference.put(task_type="sparse_embedding", inference_id="later", body=SPARSE)
    with pytest.raises(ApiError) as info:
        e.index(index="i", id="1", document={"c": "hello"}, refresh=True)
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == "illegal_argument_exception"
    assert info.value.body["error"]["reason"] == (
        "Invalid task type for index options, required [text_embedding] but was [sparse_embedding]"
    )
    assert e.count(index="i")["count"] == 0
