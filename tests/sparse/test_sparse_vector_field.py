"""The ``sparse_vector`` field type: mapping parameters and their errors, document values and their
errors, ``_source`` round trips, the ``FeatureField`` truncation of stored weights, and persistence.

Expected numbers are computed here from Lucene's rule, independently of retrievo: a weight is stored as
``Float.floatToIntBits(w) >>> 15`` and read back as ``Float.intBitsToFloat(freq << 15)``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

INDEX = "sparse"


def stored(weight: float) -> float:
    """What FeatureField keeps of a float32 weight: its low 15 bits cleared."""
    bits = struct.unpack(">I", struct.pack(">f", weight))[0]
    return float(struct.unpack(">f", struct.pack(">I", (bits >> 15) << 15))[0])


def make(mapping: dict[str, Any] | None = None) -> Engine:
    es = Engine()
    es.indices.create(index=INDEX, mappings={"properties": {"tokens": mapping or {"type": "sparse_vector"}}})
    return es


def error_of(call: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    return info.value


def one_score(es: Engine, query_vector: dict[str, float]) -> float:
    hits = es.search(index=INDEX, query={"sparse_vector": {"field": "tokens", "query_vector": query_vector}})
    (hit,) = hits["hits"]["hits"]
    return float(hit["_score"])


# ------------------------------------------------------------------------------------------ mapping


def test_mapping_shows_only_what_differs_from_the_defaults() -> None:
    es = Engine()
    es.indices.create(
        index=INDEX,
        mappings={
            "properties": {
                "plain": {"type": "sparse_vector"},
                "defaults": {
                    "type": "sparse_vector",
                    "store": False,
                    "index_options": {"prune": True, "pruning_config": {}},
                },
                "pruned": {"type": "sparse_vector", "index_options": {"prune": True}},
                "tuned": {
                    "type": "sparse_vector",
                    "meta": {"unit": "tokens"},
                    "index_options": {
                        "prune": True,
                        "pruning_config": {"tokens_freq_ratio_threshold": 10, "tokens_weight_threshold": "0.5"},
                    },
                },
                "off": {"type": "sparse_vector", "index_options": {"prune": False}},
            }
        },
    )
    props = es.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    assert props["plain"] == {"type": "sparse_vector"}
    # prune true with the default config is the 9.1 default: not shown
    assert props["defaults"] == {"type": "sparse_vector"}
    assert props["pruned"] == {"type": "sparse_vector", "index_options": {"prune": True}}
    assert props["tuned"] == {
        "type": "sparse_vector",
        "meta": {"unit": "tokens"},
        "index_options": {
            "prune": True,
            "pruning_config": {"tokens_freq_ratio_threshold": 10.0, "tokens_weight_threshold": 0.5},
        },
    }
    assert props["off"] == {"type": "sparse_vector", "index_options": {"prune": False}}


@pytest.mark.parametrize(
    ("definition", "error_type", "reason"),
    [
        (
            {"index_options": {"pruning_config": {}}},
            "x_content_parse_exception",
            "Failed to build [index_options] after last required field arrived",
        ),
        (
            {"index_options": {"prune": False, "pruning_config": {"tokens_weight_threshold": 0.2}}},
            "x_content_parse_exception",
            "Failed to build [index_options] after last required field arrived",
        ),
        ({"index_options": {"bogus": 1}}, "x_content_parse_exception", "[index_options] unknown field [bogus]"),
        (
            {"index_options": "yes"},
            "parse_exception",
            "index_options should be a hash but was of type: class java.lang.String",
        ),
        (
            {"index_options": {"prune": True, "pruning_config": {"tokens_freq_ratio_threshold": 0.5}}},
            "x_content_parse_exception",
            "[index_options] failed to parse field [pruning_config]",
        ),
        ({"similarity": "dot_product"}, "mapper_parsing_exception", None),
        ({"fields": {"raw": {"type": "keyword"}}}, "mapper_parsing_exception", None),
    ],
)
def test_bad_mapping_parameters(definition: dict[str, Any], error_type: str, reason: str | None) -> None:
    es = Engine()
    err = error_of(
        lambda: es.indices.create(
            index=INDEX, mappings={"properties": {"tokens": {"type": "sparse_vector", **definition}}}
        )
    )
    assert err.status_code == 400
    error = err.body["error"]
    assert error["type"] == "mapper_parsing_exception"
    assert error["reason"].startswith("Failed to parse mapping: ")
    assert error["caused_by"]["type"] == error_type
    if reason is not None:
        assert error["caused_by"]["reason"] == reason
    assert not es.indices.exists(index=INDEX)


def test_pruning_config_range_error_names_the_value() -> None:
    es = Engine()
    err = error_of(
        lambda: es.indices.create(
            index=INDEX,
            mappings={
                "properties": {
                    "tokens": {
                        "type": "sparse_vector",
                        "index_options": {"prune": True, "pruning_config": {"tokens_freq_ratio_threshold": 101}},
                    }
                }
            },
        )
    )
    inner = err.body["error"]["caused_by"]["caused_by"]
    assert inner["reason"] == "Failed to build [pruning_config] after last required field arrived"
    assert inner["caused_by"]["reason"] == "[tokens_freq_ratio_threshold] must be between [1] and [100], got 101.0"


def test_store_true_is_refused_rather_than_ignored() -> None:
    err = error_of(lambda: make({"type": "sparse_vector", "store": True}))
    assert err.status_code == 400
    assert "not supported by retrievo" in err.body["error"]["caused_by"]["reason"]


def test_a_sparse_vector_cannot_be_a_multi_field() -> None:
    es = Engine()
    err = error_of(
        lambda: es.indices.create(
            index=INDEX,
            mappings={"properties": {"t": {"type": "text", "fields": {"sv": {"type": "sparse_vector"}}}}},
        )
    )
    assert "can't be used in multifields" in err.body["error"]["caused_by"]["reason"]


def test_index_options_can_be_updated() -> None:
    es = make()
    es.indices.put_mapping(
        index=INDEX, properties={"tokens": {"type": "sparse_vector", "index_options": {"prune": False}}}
    )
    props = es.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    assert props["tokens"] == {"type": "sparse_vector", "index_options": {"prune": False}}


# ------------------------------------------------------------------------------------------- values


def test_source_round_trips_and_dotted_feature_names_stay_whole() -> None:
    es = make()
    doc = {"tokens": {"running": 2.4097164, "5.0k": 2.489943, "a.b.c": 1}}
    es.index(index=INDEX, id="1", document=doc, refresh=True)
    assert es.get(index=INDEX, id="1")["_source"] == doc
    props = es.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    assert props == {"tokens": {"type": "sparse_vector"}}  # no sub-fields were created for the dots
    assert one_score(es, {"5.0k": 1.0}) == pytest.approx(stored(2.489943), rel=0, abs=0)
    assert one_score(es, {"a.b.c": 1.0}) == 1.0


@pytest.mark.parametrize("weight", [0.1, 0.3, 2.4097164, 1234.5678, 3.0e-5, 7.0])
def test_stored_weights_lose_their_low_mantissa_bits(weight: float) -> None:
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": {"f": weight}}, refresh=True)
    assert one_score(es, {"f": 1.0}) == pytest.approx(stored(weight), rel=1e-7)


def test_truncation_by_hand() -> None:
    # 0.1f = 0x3DCCCCCD; >>> 15 = 0x7B99; << 15 = 0x3DCC8000 = 1.59765625 * 2^-4 = 0.099853515625
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": {"f": 0.1}}, refresh=True)
    assert one_score(es, {"f": 1.0}) == pytest.approx(0.099853515625, rel=1e-7)
    assert one_score(es, {"f": 1.0}) != pytest.approx(0.1, rel=1e-6)


def test_numeric_strings_coerce_and_nulls_are_skipped() -> None:
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": {"a": "1.5", "b": None}}, refresh=True)
    assert one_score(es, {"a": 1.0}) == 1.5
    hits = es.search(index=INDEX, query={"sparse_vector": {"field": "tokens", "query_vector": {"b": 1.0}}})
    assert hits["hits"]["total"]["value"] == 0


def test_an_array_of_objects_keeps_each_features_largest_weight() -> None:
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": [{"a": 1.0, "b": 3.0}, {"a": 2.0, "b": 0.5}]}, refresh=True)
    assert one_score(es, {"a": 1.0}) == 2.0
    assert one_score(es, {"b": 1.0}) == 3.0


def test_an_empty_object_exists_but_matches_no_token() -> None:
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": {}}, refresh=True)
    assert es.search(index=INDEX, query={"exists": {"field": "tokens"}})["hits"]["total"]["value"] == 1
    hits = es.search(index=INDEX, query={"sparse_vector": {"field": "tokens", "query_vector": {"a": 1.0}}})
    assert hits["hits"]["total"]["value"] == 0


MIN_NORMAL = "1.1754944E-38"


@pytest.mark.parametrize(
    ("source", "position", "reason", "cause_type"),
    [
        (
            {"tokens": "x"},
            "[1:11]",
            "[sparse_vector] fields must be json objects, expected a START_OBJECT but got: VALUE_STRING",
            "illegal_argument_exception",
        ),
        (
            {"tokens": [1, 2]},
            "[1:12]",
            "[sparse_vector] fields must be json objects, expected a START_OBJECT but got: VALUE_NUMBER",
            "illegal_argument_exception",
        ),
        (
            {"tokens": {"a": True}},
            "[1:16]",
            "[sparse_vector] fields take hashes that map a feature to a strictly positive float, but got "
            "unexpected token VALUE_BOOLEAN",
            "illegal_argument_exception",
        ),
        (
            {"tokens": {"a": [1.0]}},
            "[1:16]",
            "[sparse_vector] fields take hashes that map a feature to a strictly positive float, but got "
            "unexpected token START_ARRAY",
            "illegal_argument_exception",
        ),
        (
            {"tokens": {"a": -1}},
            "[1:16]",
            "featureValue must be a positive normal float, got: -1.0 for feature a on field tokens which is "
            f"less than the minimum positive normal float: {MIN_NORMAL}",
            "illegal_argument_exception",
        ),
        (
            {"tokens": {"a": 0}},
            "[1:16]",
            "featureValue must be a positive normal float, got: 0.0 for feature a on field tokens which is "
            f"less than the minimum positive normal float: {MIN_NORMAL}",
            "illegal_argument_exception",
        ),
        (
            {"tokens": {"a": 1e39}},
            "[1:16]",
            "featureValue must be finite, got: Infinity for feature a on field tokens",
            "illegal_argument_exception",
        ),
        ({"tokens": {"a": "lots"}}, "[1:16]", 'For input string: "lots"', "number_format_exception"),
    ],
)
def test_bad_values(source: dict[str, Any], position: str, reason: str, cause_type: str) -> None:
    es = make()
    err = error_of(lambda: es.index(index=INDEX, id="1", document=source))
    assert err.status_code == 400
    error = err.body["error"]
    assert error["type"] == "document_parsing_exception"
    assert error["reason"] == f"{position} failed to parse: {reason}"
    assert error["caused_by"] == {"type": cause_type, "reason": reason}
    assert es.count(index=INDEX)["count"] == 0  # nothing was written


NO_FIELDDATA = "[sparse_vector] fields do not support sorting, scripting or aggregating"


def test_sorting_and_docvalue_fields_are_refused() -> None:
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": {"a": 1.0}}, refresh=True)
    for request in ({"sort": [{"tokens": "asc"}]}, {"docvalue_fields": ["tokens"]}):
        with pytest.raises(ApiError) as info:
            es.search(index=INDEX, **request)
        assert info.value.status_code == 400
        assert info.value.body["error"]["root_cause"][0]["reason"] == NO_FIELDDATA


def test_fields_returns_the_source_object() -> None:
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": {"a": 0.1, "b.c": 2}}, refresh=True)
    hit = es.search(index=INDEX, fields=["tokens"])["hits"]["hits"][0]
    assert hit["fields"] == {"tokens": [{"a": 0.1, "b.c": 2}]}


def test_term_and_match_score_one_feature() -> None:
    es = make()
    es.index(index=INDEX, id="1", document={"tokens": {"a": 0.1, "b": 2}}, refresh=True)
    for query in ({"term": {"tokens": "a"}}, {"match": {"tokens": "a"}}):
        (hit,) = es.search(index=INDEX, query=query)["hits"]["hits"]
        assert hit["_score"] == pytest.approx(stored(0.1), rel=1e-7)


# -------------------------------------------------------------------------------------- persistence


def test_features_and_index_options_survive_a_restart(tmp_path: Path) -> None:
    first = Engine(path=tmp_path / "data")
    first.indices.create(
        index=INDEX,
        mappings={"properties": {"tokens": {"type": "sparse_vector", "index_options": {"prune": False}}}},
    )
    first.index(index=INDEX, id="1", document={"tokens": {"a": 0.1, "b": 2.4097164}}, refresh=True)
    first.index(index=INDEX, id="2", document={"tokens": {"a": 0.3}})  # in the translog only
    again = Engine(path=tmp_path / "data")
    props = again.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    assert props["tokens"] == {"type": "sparse_vector", "index_options": {"prune": False}}
    again.indices.refresh(index=INDEX)
    hits = again.search(index=INDEX, query={"sparse_vector": {"field": "tokens", "query_vector": {"a": 2.0}}})
    got = {h["_id"]: h["_score"] for h in hits["hits"]["hits"]}
    assert got == {"1": pytest.approx(2 * stored(0.1), rel=1e-7), "2": pytest.approx(2 * stored(0.3), rel=1e-7)}
    assert again.get(index=INDEX, id="1")["_source"] == {"tokens": {"a": 0.1, "b": 2.4097164}}
