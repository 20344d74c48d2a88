"""kNN search over the FAISS-backed vector index, checked against independent numpy references:
score transforms, similarity thresholds, pre-filtering at several selectivities, deletions,
quantised candidates with exact rescoring, byte vectors, snapshots and query validation."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo.errors import BadRequestError
from retrievo.index.vectors import VectorField, VectorFieldWriter
from tests.vectors.numpy_reference import brute_force, reference_raw, reference_scores, unit_rows

SIMILARITIES = ("l2_norm", "cosine", "dot_product", "max_inner_product")
FORCE_ANN = {"exact_rows": 0, "exact_cost_ratio": 0}


def build(
    vectors: np.ndarray,
    similarity: str = "l2_norm",
    element_type: str = "float",
    index_options: dict | None = None,
    **tuning,
) -> tuple[VectorFieldWriter, VectorField]:
    writer = VectorFieldWriter(
        "v",
        vectors.shape[1],
        similarity,
        element_type,
        index_options if index_options is not None else {"type": "flat"},
        **tuning,
    )
    for doc, vector in enumerate(vectors):
        writer.add(doc, vector)
    n = len(vectors)
    return writer, writer.refresh(n, np.ones(n, dtype=bool), False)


def data_for(similarity: str, rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    if similarity == "dot_product":
        return unit_rows(rng, n, dims)
    return rng.standard_normal((n, dims)).astype(np.float32)


def query_for(similarity: str, rng: np.random.Generator, dims: int) -> np.ndarray:
    return data_for(similarity, rng, 1, dims)[0]


def recall(found: np.ndarray, expected: np.ndarray) -> float:
    return len(set(found.tolist()) & set(expected.tolist())) / max(len(expected), 1)


# ------------------------------------------------------------------------------- score transforms


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("index_options", [{"type": "flat"}, {"type": "hnsw"}, {"type": "int8_hnsw"}])
def test_float_scores_follow_elasticsearchs_transform(similarity, index_options):
    rng = np.random.default_rng(7)
    vectors = data_for(similarity, rng, 300, 16)
    query = query_for(similarity, rng, 16)
    _, field = build(vectors, similarity, index_options=index_options)
    docs, scores = field.search(query, 300, 300)
    assert docs.dtype == np.int32 and scores.dtype == np.float32
    expected_docs, expected_scores = brute_force(vectors, np.arange(300), query, similarity, 300)
    np.testing.assert_array_equal(docs, expected_docs)
    np.testing.assert_allclose(scores, expected_scores, rtol=2e-6, atol=1e-7)


def test_max_inner_product_transform_on_negative_and_positive_dots():
    vectors = np.array([[2.0, 0.0], [-3.0, 0.0], [0.5, 0.0], [0.0, 0.0]], dtype=np.float32)
    _, field = build(vectors, "max_inner_product")
    docs, scores = field.search(np.array([1.0, 0.0], dtype=np.float32), 4, 4)
    assert docs.tolist() == [0, 2, 3, 1]
    assert scores.tolist() == [3.0, 1.5, 1.0, 0.25]  # dot+1, dot+1, dot+1, 1/(1-dot)


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_byte_scores_follow_elasticsearchs_transform(similarity):
    rng = np.random.default_rng(11)
    vectors = rng.integers(-128, 128, size=(400, 12)).astype(np.float32)
    query = rng.integers(-128, 128, size=12).astype(np.float32)
    _, field = build(vectors, similarity, "byte", index_options={"type": "hnsw"})
    docs, scores = field.search(query, 400, 400)
    expected_docs, expected_scores = brute_force(vectors, np.arange(400), query, similarity, 400, "byte")
    np.testing.assert_array_equal(docs, expected_docs)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)


def test_byte_dot_product_score_is_half_plus_dot_over_dims_times_32768():
    vectors = np.array([[127, 127, 0, 0], [-128, 0, 0, 0]], dtype=np.float32)
    _, field = build(vectors, "dot_product", "byte")
    docs, scores = field.search(np.array([1, 1, 1, 1], dtype=np.float32), 2, 2)
    assert docs.tolist() == [0, 1]
    assert scores.tolist() == [
        np.float32(0.5) + np.float32(254) / np.float32(4 * 32768),
        np.float32(0.5) + np.float32(-128) / np.float32(4 * 32768),
    ]


def test_cosine_scores_ignore_magnitude():
    vectors = np.array([[3.0, 4.0], [30.0, 40.0], [4.0, -3.0]], dtype=np.float32)
    _, field = build(vectors, "cosine")
    docs, scores = field.search(np.array([6.0, 8.0], dtype=np.float32), 3, 3)
    assert docs.tolist() == [0, 1, 2]
    np.testing.assert_allclose(scores, [1.0, 1.0, 0.5], rtol=1e-6)


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_exact_scores_equal_search_scores_and_reference(similarity):
    rng = np.random.default_rng(3)
    vectors = data_for(similarity, rng, 500, 24)
    query = query_for(similarity, rng, 24)
    _, field = build(vectors, similarity, index_options={"type": "int8_flat"})
    docs, scores = field.search(query, 20, 100)
    np.testing.assert_array_equal(field.exact_scores(query, docs), scores)
    all_scores = field.exact_scores(query, np.arange(500))
    np.testing.assert_allclose(all_scores, reference_scores(vectors, query, similarity), rtol=2e-6, atol=1e-7)
    assert np.isnan(field.exact_scores(query, np.array([10_000]))).all()


# ------------------------------------------------------------------------------- similarity threshold


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_similarity_threshold_is_on_the_raw_similarity(similarity):
    rng = np.random.default_rng(5)
    vectors = data_for(similarity, rng, 400, 8)
    query = query_for(similarity, rng, 8)
    raw = reference_raw(vectors, query, similarity)
    ordered = np.sort(raw)
    threshold = float((ordered[200] + ordered[201]) / 2)  # between two values: no float32 borderline
    _, field = build(vectors, similarity)
    docs, _ = field.search(query, 400, 400, similarity_threshold=threshold)
    expected = np.flatnonzero(raw <= threshold) if similarity == "l2_norm" else np.flatnonzero(raw >= threshold)
    assert sorted(docs.tolist()) == expected.tolist()
    assert len(docs) == (201 if similarity == "l2_norm" else 199)


def test_threshold_applies_after_k_and_never_pads():
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((100, 4)).astype(np.float32)
    _, field = build(vectors, "l2_norm")
    docs, _ = field.search(vectors[0] + 100, 10, 100, similarity_threshold=0.5)
    assert docs.size == 0


def test_l2_threshold_zero_returns_only_the_exact_match():
    vectors = np.array([[1, 2, 3], [1, 2, 3.5], [0, 0, 0]], dtype=np.float32)
    _, field = build(vectors, "l2_norm")
    docs, scores = field.search(np.array([1, 2, 3], dtype=np.float32), 3, 3, similarity_threshold=0.0)
    assert docs.tolist() == [0] and scores.tolist() == [1.0]


def test_byte_dot_product_threshold_uses_the_byte_transform():
    vectors = np.array([[10, 0], [20, 0], [30, 0]], dtype=np.float32)
    _, field = build(vectors, "dot_product", "byte")
    docs, _ = field.search(np.array([1, 0], dtype=np.float32), 3, 3, similarity_threshold=20)
    assert sorted(docs.tolist()) == [1, 2]


# ------------------------------------------------------------------------------- pre-filtering

N_FILTER, DIMS_FILTER = 5000, 32


@pytest.fixture(scope="module")
def filter_data():
    rng = np.random.default_rng(42)
    vectors = rng.standard_normal((N_FILTER, DIMS_FILTER)).astype(np.float32)
    queries = rng.standard_normal((25, DIMS_FILTER)).astype(np.float32)
    masks = {s: rng.random(N_FILTER) < s for s in (0.01, 0.10, 0.50)}
    return vectors, queries, masks


@pytest.mark.parametrize("selectivity", [0.01, 0.10, 0.50])
@pytest.mark.parametrize("index_options", [{"type": "flat"}, {"type": "hnsw"}, None])
def test_filtered_search_is_exact_when_brute_force_applies(filter_data, selectivity, index_options):
    """flat always, and by default any segment this small: equal to brute force over passing docs."""
    vectors, queries, masks = filter_data
    mask = masks[selectivity]
    _, field = build(vectors, "l2_norm", index_options=index_options)
    passing = np.flatnonzero(mask)
    for query in queries[:10]:
        docs, scores = field.search(query, 10, 50, filter_mask=mask)
        expected_docs, expected_scores = brute_force(vectors[passing], passing, query, "l2_norm", 10)
        np.testing.assert_array_equal(docs, expected_docs)
        np.testing.assert_allclose(scores, expected_scores, rtol=2e-6)


@pytest.mark.parametrize("selectivity", [0.01, 0.10, 0.50])
@pytest.mark.parametrize("similarity", ["l2_norm", "cosine"])
def test_filtered_hnsw_search_is_a_prefilter_with_high_recall(filter_data, selectivity, similarity):
    vectors, queries, masks = filter_data
    mask = masks[selectivity]
    _, field = build(vectors, similarity, index_options={"type": "hnsw"}, **FORCE_ANN)
    assert field.describe()["segments"][0]["structure"] == "IndexHNSWFlat"
    passing = np.flatnonzero(mask)
    recalls = []
    for query in queries:
        docs, scores = field.search(query, 10, 50, filter_mask=mask)
        assert mask[docs].all()
        expected_docs, _ = brute_force(vectors[passing], passing, query, similarity, 10)
        recalls.append(recall(docs, expected_docs))
        np.testing.assert_allclose(scores, reference_scores(vectors[docs], query, similarity), rtol=2e-6)
    assert np.mean(recalls) >= 0.95


def test_filter_leaving_fewer_than_k_docs_returns_exactly_those(filter_data):
    vectors, queries, _ = filter_data
    mask = np.zeros(N_FILTER, dtype=bool)
    mask[[3, 1400, 4999]] = True
    for tuning in ({}, FORCE_ANN):
        _, field = build(vectors, "cosine", index_options={"type": "hnsw"}, **tuning)
        docs, _ = field.search(queries[0], 10, 100, filter_mask=mask)
        assert sorted(docs.tolist()) == [3, 1400, 4999]


def test_filter_matching_nothing_returns_empty_arrays(filter_data):
    vectors, queries, _ = filter_data
    _, field = build(vectors, "cosine", index_options={"type": "hnsw"}, **FORCE_ANN)
    docs, scores = field.search(queries[0], 10, 100, filter_mask=np.zeros(N_FILTER, dtype=bool))
    assert docs.dtype == np.int32 and scores.dtype == np.float32 and docs.size == scores.size == 0


def test_unfiltered_hnsw_recall(filter_data):
    vectors, queries, _ = filter_data
    _, field = build(vectors, "l2_norm", index_options={"type": "hnsw"}, **FORCE_ANN)
    recalls = [
        recall(field.search(q, 10, 100)[0], brute_force(vectors, np.arange(N_FILTER), q, "l2_norm", 10)[0])
        for q in queries
    ]
    assert np.mean(recalls) >= 0.95


# ------------------------------------------------------------------------------- deletions


@pytest.mark.parametrize("tuning", [{}, FORCE_ANN])
def test_deleted_docs_never_come_back(filter_data, tuning):
    vectors, queries, _ = filter_data
    writer, _ = build(vectors, "l2_norm", index_options={"type": "hnsw"}, **tuning)
    live = np.ones(N_FILTER, dtype=bool)
    nearest, _ = brute_force(vectors, np.arange(N_FILTER), queries[0], "l2_norm", 20)
    live[nearest[:5]] = False
    field = writer.refresh(N_FILTER, live, True)
    for mask in (None, np.ones(N_FILTER, dtype=bool), live):
        docs, _ = field.search(queries[0], 10, 100, filter_mask=mask)
        assert not set(docs.tolist()) & set(nearest[:5].tolist())
        assert set(docs.tolist()) <= set(nearest[5:].tolist()) or tuning
    assert field.count == N_FILTER - 5
    assert field.has_vector.sum() == N_FILTER - 5


def test_mass_deletion_compacts_the_main_segment():
    rng = np.random.default_rng(9)
    vectors = rng.standard_normal((600, 8)).astype(np.float32)
    writer, field = build(vectors, "l2_norm", index_options={"type": "hnsw"}, exact_rows=100)
    assert field.describe()["segments"][0]["structure"] == "IndexHNSWFlat"
    live = np.ones(600, dtype=bool)
    live[:400] = False
    compacted = writer.refresh(600, live, True)
    assert [s["rows"] for s in compacted.describe()["segments"]] == [200]
    docs, _ = compacted.search(vectors[0], 5, 50)
    assert docs.min() >= 400
    live[400:550] = False
    small = writer.refresh(600, live, True)
    assert small.describe()["segments"] == [{"structure": "exact", "index_type": "exact", "rows": 50, "live": 50}]


# ------------------------------------------------------------------------------- quantised types


@pytest.mark.parametrize(
    "index_options", [{"type": "int8_hnsw"}, {"type": "int8_flat"}, {"type": "int4_hnsw"}, {"type": "int4_flat"}]
)
def test_quantized_search_rescores_with_float_vectors(filter_data, index_options):
    vectors, queries, _ = filter_data
    _, field = build(vectors, "cosine", index_options=index_options, **FORCE_ANN)
    assert field.quantized
    recalls = []
    for query in queries:
        docs, scores = field.search(query, 10, 100, oversample=3.0)
        np.testing.assert_allclose(scores, reference_scores(vectors[docs], query, "cosine"), rtol=2e-6)
        assert np.all(np.diff(scores) <= 0)
        recalls.append(recall(docs, brute_force(vectors, np.arange(N_FILTER), query, "cosine", 10)[0]))
    assert np.mean(recalls) >= (0.9 if "int8" in index_options["type"] else 0.8)


def test_mapping_level_oversample_is_the_default(filter_data):
    vectors, queries, _ = filter_data
    _, plain = build(vectors, "cosine", index_options={"type": "int4_flat"}, **FORCE_ANN)
    _, oversampled = build(
        vectors, "cosine", index_options={"type": "int4_flat", "rescore_vector": {"oversample": 5}}, **FORCE_ANN
    )
    hits = [
        recall(oversampled.search(q, 10, 10)[0], brute_force(vectors, np.arange(N_FILTER), q, "cosine", 10)[0])
        for q in queries
    ]
    base = [
        recall(plain.search(q, 10, 10)[0], brute_force(vectors, np.arange(N_FILTER), q, "cosine", 10)[0])
        for q in queries
    ]
    assert np.mean(hits) > np.mean(base)
    same = [
        np.array_equal(oversampled.search(q, 10, 10)[0], plain.search(q, 10, 10, oversample=5)[0]) for q in queries[:5]
    ]
    assert all(same)


def test_default_options_for_384_dims_rescore_three_times_k():
    rng = np.random.default_rng(1)
    vectors = unit_rows(rng, 300, 384)
    writer = VectorFieldWriter("v", 384, "cosine", "float", None, **FORCE_ANN)
    assert writer.index_options.type == "int8_hnsw" and writer.index_options.oversample == 3.0
    for doc, vector in enumerate(vectors):
        writer.add(doc, vector)
    field = writer.refresh(300, np.ones(300, dtype=bool), False)
    docs, scores = field.search(vectors[7], 5, 20)
    assert docs[0] == 7
    np.testing.assert_allclose(scores, reference_scores(vectors[docs], vectors[7], "cosine"), rtol=2e-6)


# ------------------------------------------------------------------------------- refresh and snapshots


def test_snapshots_are_immutable_and_the_tail_folds_into_the_main_index():
    rng = np.random.default_rng(17)
    vectors = rng.standard_normal((900, 8)).astype(np.float32)
    writer = VectorFieldWriter("v", 8, "l2_norm", "float", {"type": "hnsw"}, exact_rows=250)
    snapshots = []
    for start in range(0, 900, 150):
        for doc in range(start, start + 150):
            writer.add(doc, vectors[doc])
        snapshots.append(writer.refresh(start + 150, np.ones(start + 150, dtype=bool), False))
    first = snapshots[0]
    assert first.count == 150 and first.search(vectors[899], 3, 10)[0].max() < 150
    last = snapshots[-1]
    assert last.describe()["segments"][0]["structure"] == "IndexHNSWFlat"
    assert last.count == 900
    for doc in (0, 450, 899):
        assert last.search(vectors[doc], 1, 50)[0].tolist() == [doc]
    assert writer.refresh(900, np.ones(900, dtype=bool), False) is last


def test_new_docs_are_visible_only_after_refresh():
    writer = VectorFieldWriter("v", 2, "l2_norm", "float", {"type": "flat"})
    writer.add(0, np.array([0.0, 0.0], dtype=np.float32))
    before = writer.refresh(1, np.ones(1, dtype=bool), False)
    writer.add(1, np.array([1.0, 1.0], dtype=np.float32))
    assert before.search([1.0, 1.0], 5, 5)[0].tolist() == [0]
    after = writer.refresh(2, np.ones(2, dtype=bool), False)
    assert after.search([1.0, 1.0], 5, 5)[0].tolist() == [1, 0]


def test_empty_field_and_ties_break_by_doc_id():
    writer = VectorFieldWriter("v", 2, "l2_norm", "float", {"type": "flat"})
    empty = writer.refresh(0, np.zeros(0, dtype=bool), False)
    assert empty.search([1.0, 1.0], 5, 5)[0].size == 0
    for doc in range(6):
        writer.add(doc, np.array([1.0, 1.0], dtype=np.float32))
    field = writer.refresh(6, np.ones(6, dtype=bool), False)
    assert field.search([0.0, 0.0], 4, 10)[0].tolist() == [0, 1, 2, 3]


def test_describe_and_memory():
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    _, field = build(vectors, "cosine", index_options={"type": "int8_hnsw", "m": 8}, **FORCE_ANN)
    info = field.describe()
    assert info["index_type"] == "int8_hnsw" and info["metric"] == "inner_product"
    assert (info["dims"], info["count"], info["m"], info["ef_construction"], info["bits"]) == (16, 300, 8, 100, 8)
    assert info["segments"][0]["structure"] == "IndexHNSWSQ"
    assert field.memory_bytes() >= 300 * 16 * 4 + 300 * 16


# ------------------------------------------------------------------------------- query validation


def query_error(field: VectorField, query) -> str:
    with pytest.raises(BadRequestError) as info:
        field.search(query, 1, 1)
    assert info.value.body["error"]["type"] == "illegal_argument_exception"
    return info.value.body["error"]["reason"]


def test_query_vectors_are_checked_like_elasticsearch():
    _, cosine = build(np.ones((2, 3), dtype=np.float32), "cosine")
    assert query_error(cosine, [1.0, 2.0]) == (
        "The query vector has a different number of dimensions [2] than the document vectors [3]."
    )
    assert query_error(cosine, [0.0, 0.0, 0.0]) == (
        "The [cosine] similarity does not support vectors with zero magnitude. Preview of invalid vector: "
        "[0.0, 0.0, 0.0]"
    )
    _, dot = build(unit_rows(np.random.default_rng(0), 2, 3), "dot_product")
    assert query_error(dot, [1.0, 1.0, 0.0]).startswith(
        "The [dot_product] similarity can only be used with unit-length vectors."
    )
    _, byte = build(np.ones((2, 3), dtype=np.float32), "l2_norm", "byte")
    assert query_error(byte, [1.5, 1.0, 0.0]) == (
        "element_type [byte] vectors only support non-decimal values but found decimal value [1.5] at dim [0]; "
        "Preview of invalid vector: [1.5, 1.0, 0.0]"
    )
    assert query_error(byte, [1.0, 1.0, 200.0]).startswith(
        "element_type [byte] vectors only support integers between [-128, 127] but found [200.0] at dim [2];"
    )


def test_cosine_query_needs_no_normalisation_by_the_caller():
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((50, 6)).astype(np.float32)
    _, field = build(vectors, "cosine", index_options={"type": "hnsw"})
    a = field.search(vectors[3] * 100, 5, 50)
    b = field.search(vectors[3], 5, 50)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)


# ------------------------------------------------------------------------------- from a mapping


def test_writer_from_mapping_uses_the_resolved_index_options():
    from retrievo.index.mappings import Mappings

    mappings = Mappings.from_json(
        {
            "properties": {
                "a": {"type": "dense_vector", "dims": 4},
                "b": {"type": "dense_vector", "dims": 4, "element_type": "byte", "similarity": "l2_norm"},
                "c": {"type": "dense_vector", "dims": 4, "index_options": None},
                "d": {"type": "dense_vector", "dims": 400, "index_options": {"type": "flat"}},
                "e": {"type": "dense_vector"},
            }
        }
    )
    a = VectorFieldWriter.from_mapping(mappings.field("a"))
    assert (a.dims, a.similarity, a.element_type, a.index_options.type) == (4, "cosine", "float", "int8_hnsw")
    b = VectorFieldWriter.from_mapping(mappings.field("b"))
    assert (b.similarity, b.element_type, b.index_options.type) == ("l2_norm", "byte", "hnsw")
    assert VectorFieldWriter.from_mapping(mappings.field("c")).index_options.type == "hnsw"
    assert VectorFieldWriter.from_mapping(mappings.field("d")).index_options.type == "flat"
    with pytest.raises(ValueError):
        VectorFieldWriter.from_mapping(mappings.field("e"))


def test_changed_index_options_apply_to_the_next_build():
    rng = np.random.default_rng(21)
    vectors = rng.standard_normal((400, 8)).astype(np.float32)
    writer = VectorFieldWriter("v", 8, "l2_norm", "float", {"type": "hnsw"}, exact_rows=100)
    for doc in range(200):
        writer.add(doc, vectors[doc])
    first = writer.refresh(200, np.ones(200, dtype=bool), False)
    assert first.describe()["segments"][0]["structure"] == "IndexHNSWFlat"
    writer.index_options = writer.index_options.__class__("int8_hnsw", 16, 100)
    for doc in range(200, 400):
        writer.add(doc, vectors[doc])
    second = writer.refresh(400, np.ones(400, dtype=bool), False)
    assert [s["structure"] for s in second.describe()["segments"]] == ["IndexHNSWSQ"]
    assert first.describe()["segments"][0]["structure"] == "IndexHNSWFlat"  # the old snapshot is untouched
    assert second.search(vectors[321], 1, 50)[0].tolist() == [321]


def test_deleted_docs_score_nan_in_exact_scores():
    vectors = np.eye(3, dtype=np.float32)
    writer, _ = build(vectors, "l2_norm")
    field = writer.refresh(3, np.array([True, False, True]), True)
    scores = field.exact_scores([1.0, 0.0, 0.0], np.array([0, 1, 2]))
    assert scores[0] == 1.0 and np.isnan(scores[1]) and scores[2] == np.float32(1 / 3)
