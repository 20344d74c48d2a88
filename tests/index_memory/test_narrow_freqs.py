"""Term frequencies kept in the narrowest dtype (issue 18 item 4): one byte a posting for text fields,
widened to uint16/int32 only when a count needs it, with scores, explanations and statistics unchanged.

Expected scores are worked out by hand from ES 9's BM25 (LegacyBM25Similarity's scale: ``idf * (k1 + 1) *
freq / (freq + k1 * (1 - b + b * dl / avgdl))``, k1 = 1.2, b = 0.75): documents of 280 tokens (a length
the norm byte stores exactly: 24 + 256) make ``dl = avgdl``, so a score is ``idf * 2.2 * freq / (freq + 1.2)``."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import numpy as np
import pytest

from retrievo import Engine
from retrievo.index import bm25
from retrievo.index.inverted import InvertedField, InvertedFieldWriter


def _engine(*texts: str, refresh_each: bool = False) -> Engine:
    es = Engine()
    es.indices.create(index="t", mappings={"properties": {"body": {"type": "text"}}})
    for i, text in enumerate(texts):
        es.index(index="t", id=str(i), document={"body": text}, refresh=refresh_each)
    es.indices.refresh(index="t")
    return es


def _body(es: Engine) -> InvertedField:
    inv = es.catalog.shards["t"].searcher().inverted("body")
    assert inv is not None
    return inv


def _typecode(buffer: array | list[int]) -> str:
    assert isinstance(buffer, array)
    return buffer.typecode


def _bm25(freq: int, docs: int, doc_freq: int) -> float:
    idf = math.log(1 + (docs - doc_freq + 0.5) / (doc_freq + 0.5))
    return idf * 2.2 * freq / (freq + 1.2)


@pytest.mark.parametrize(
    ("count", "dtype"),
    [(255, np.uint8), (256, np.uint16), (70_000, np.int32)],
)
def test_a_count_picks_the_narrowest_dtype_and_scores_as_before(count: int, dtype: type) -> None:
    filler = 280 if count <= 280 else count  # both documents as long as each other: dl = avgdl
    doc0 = " ".join(["x"] * count + ["z"] * (filler - count))
    doc1 = " ".join(["y"] * (filler // 2) + ["w"] * (filler - filler // 2))
    es = _engine(doc0, doc1)
    inv = _body(es)
    assert inv.freqs.dtype == dtype
    assert int(inv.freqs.max()) == count
    assert inv.sum_total_term_freq == 2 * filler
    resp = es.search(index="t", query={"match": {"body": "x"}}, explain=True)
    (hit,) = resp["hits"]["hits"]
    assert hit["_id"] == "0"
    if filler == 280:  # dl = avgdl = 280 exactly (most lengths above 24 are stored lossily)
        assert hit["_score"] == pytest.approx(_bm25(count, 2, 1), rel=1e-6)
    details = hit["_explanation"]["details"][0]["details"]
    tf = next(d for d in details if d["description"].startswith("tf,"))
    freq = next(d for d in tf["details"] if d["description"] == "freq, occurrences of term within document")
    assert freq["value"] == float(count)


def test_a_large_count_in_a_later_refresh_widens_the_merged_postings() -> None:
    es = _engine(" ".join(["x"] * 3 + ["y"] * 200 + ["w"] * 77), " ".join(["y"] * 255 + ["w"] * 25), refresh_each=True)
    assert _body(es).freqs.dtype == np.uint8
    es.index(index="t", id="2", document={"body": " ".join(["x"] * 280)}, refresh=True)
    inv = _body(es)
    assert inv.freqs.dtype == np.uint16
    docs, freqs = inv.postings(inv.terms["x"])
    assert docs.tolist() == [0, 2] and freqs.tolist() == [3, 280]
    docs, freqs = inv.postings(inv.terms["y"])
    assert docs.tolist() == [0, 1] and freqs.tolist() == [200, 255]
    hits = es.search(index="t", query={"match": {"body": "x"}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["2", "0"]
    # every document 280 tokens long: avgdl = dl, idf of a term in 2 of 3 documents
    assert [h["_score"] for h in hits] == pytest.approx([_bm25(280, 3, 2), _bm25(3, 3, 2)], rel=1e-6)


def test_the_writer_widens_its_byte_buffer_on_the_first_count_above_255() -> None:
    w = InvertedFieldWriter("body", with_positions=False)  # a positional field queues no counts at all
    assert _typecode(w.pending_tfs) == "B"
    w.add(0, ["a", "b", "a"], [0, 1, 2])
    w.add(1, ["c"] * 300 + ["a"], list(range(301)))
    assert _typecode(w.pending_tfs) == "i"
    assert list(w.pending_tfs) == [2, 1, 300, 1]
    inv = w.refresh(2, np.ones(2, dtype=bool), False)
    assert _typecode(w.pending_tfs) == "B"  # the next batch starts narrow again
    assert inv.freqs.dtype == np.uint16
    assert inv.postings(inv.terms["a"])[1].tolist() == [2, 1]
    assert inv.postings(inv.terms["c"])[1].tolist() == [300]
    assert inv.sum_total_term_freq == 304


def test_keyword_and_sparse_vector_freqs() -> None:
    es = Engine()
    es.indices.create(
        index="k",
        mappings={"properties": {"tag": {"type": "keyword"}, "feats": {"type": "sparse_vector"}}},
    )
    es.index(index="k", id="a", document={"tag": ["p", "q"], "feats": {"w": 2.5}})
    es.index(index="k", id="b", document={"tag": "p", "feats": {"w": 0.5}}, refresh=True)
    searcher = es.catalog.shards["k"].searcher()
    tag, feats = searcher.inverted("tag"), searcher.inverted("feats")
    assert tag is not None and feats is not None
    assert tag.freqs.dtype == np.uint8
    # a positive float32's bits >> 15 (FeatureField's encoding) fit in 16 bits
    assert feats.freqs.dtype == np.uint16
    hits = es.search(index="k", query={"sparse_vector": {"field": "feats", "query_vector": {"w": 2.0}}})["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in hits] == [("a", 5.0), ("b", 1.0)]


def test_narrow_freqs_survive_save_and_load(tmp_path: Path) -> None:
    es = _engine(" ".join(["x"] * 3 + ["y"] * 253), " ".join(["x"] * 256))
    before = es.search(index="t", query={"match": {"body": "x"}})["hits"]["hits"]
    es.save(tmp_path / "saved")
    loaded = Engine.load(tmp_path / "saved")
    inv = _body(loaded)
    assert inv.freqs.dtype == np.uint16
    assert loaded.search(index="t", query={"match": {"body": "x"}})["hits"]["hits"] == before


def _random_docs(rng: np.random.Generator, n: int) -> list[list[str]]:
    return [[f"t{int(t)}" for t in rng.zipf(1.3, size=int(rng.integers(0, 40))) % 50] for _ in range(n)]


@pytest.mark.parametrize("chunk", [7, 1 << 18])
def test_postings_counted_from_tokens_equal_the_queued_ones(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """A positional field counts its postings from the token stream at refresh; a field without
    positions queues them per document (``Counter``): both must give the same snapshot, across
    refreshes, deletions and chunk boundaries (7 tokens: most documents span a chunk of their own)."""
    import retrievo.index.postings_merge as postings_merge

    monkeypatch.setattr(postings_merge, "CHUNK", chunk)
    rng = np.random.default_rng(7)
    by_tokens, queued = InvertedFieldWriter("f"), InvertedFieldWriter("f", with_positions=False)
    live = np.ones(300, dtype=bool)
    doc = 0
    for batch in (120, 0, 180):
        for terms in _random_docs(rng, batch):
            for w in (by_tokens, queued):
                w.add(doc, terms, list(range(len(terms))))
            doc += 1
        assert not by_tokens.pending_tids
        assert len(queued.pending_tids) > 100 if batch else not queued.pending_tids
        live[rng.integers(0, doc, size=10)] = False
        a = by_tokens.refresh(doc, live, True)
        b = queued.refresh(doc, live, True)
        assert a.offsets.tolist() == b.offsets.tolist()
        assert a.docs.tolist() == b.docs.tolist()
        assert a.freqs.tolist() == b.freqs.tolist() and a.freqs.dtype == b.freqs.dtype == np.uint8
        assert (a.doc_count, a.sum_total_term_freq, a.sum_doc_freq) == (
            b.doc_count,
            b.sum_total_term_freq,
            b.sum_doc_freq,
        )
        assert a.norms is not None and b.norms is not None
        assert a.has_value.tolist() == b.has_value.tolist() and a.norms.tolist() == b.norms.tolist()
    # hand-checked on one document: "a b a c a" -> a:3, b:1, c:1
    w = InvertedFieldWriter("g")
    w.add(0, ["x"], [0])
    w.add(1, ["a", "b", "a", "c", "a"], [0, 1, 2, 3, 4])
    inv = w.refresh(2, np.ones(2, dtype=bool), False)
    assert {t: inv.postings(i)[1].tolist() for t, i in inv.terms.items()} == {"x": [1], "a": [3], "b": [1], "c": [1]}
    assert {t: inv.postings(i)[0].tolist() for t, i in inv.terms.items()} == {"x": [0], "a": [1], "b": [1], "c": [1]}


def test_a_batch_loaded_with_queued_postings_keeps_queuing() -> None:
    """A save made before postings were counted at refresh has the batch's postings as lists: the
    writer keeps queuing them for that batch (``_counts_at_refresh``), and the merge reads them."""
    w = InvertedFieldWriter("f")
    w.terms = {"a": 0, "b": 1}
    w.pending_docs, w.pending_unique, w.pending_lengths = [0], [2], [3]
    w.pending_tids, w.pending_tfs = [0, 1], [2, 1]
    w.pending_fwd_tids, w.pending_fwd_pos = [0, 1, 0], []
    w.add(1, ["b", "c", "b"], [0, 1, 2])
    assert list(w.pending_tids) == [0, 1, 1, 2] and list(w.pending_tfs) == [2, 1, 2, 1]
    inv = w.refresh(2, np.ones(2, dtype=bool), False)
    assert inv.docs.tolist() == [0, 0, 1, 1] and inv.freqs.tolist() == [2, 1, 2, 1]
    assert inv.offsets.tolist() == [0, 1, 3, 4]


def test_cached_unit_scores_built_in_chunks_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The boost-1 scores a small field caches are computed a chunk at a time (7 postings here, so
    chunks straddle terms): bit for bit the scores of one pass."""
    import retrievo.index.posting_views as posting_views

    monkeypatch.setattr(posting_views, "_MATERIALIZE_CHUNK", 7)
    w = InvertedFieldWriter("f")
    for doc, terms in enumerate(_random_docs(np.random.default_rng(3), 200)):
        w.add(doc, terms, list(range(len(terms))))
    inv = w.refresh(200, np.ones(200, dtype=bool), False)
    view = posting_views.UnitScoresView(inv.offsets, inv.freqs, inv.doc_norm_inverse, bm25.term_weights(inv.idfs))
    cached = inv.unit_scores
    assert isinstance(cached, np.ndarray) and cached.tobytes() == view[:].tobytes()
    assert view.materialize().tobytes() == view[:].tobytes()
