"""The compiled disjunction kernel (numba) ranks exactly as the numpy paths do, bit for bit.

Both of its ways are driven directly through :func:`retrievo.lucene.pruning.top_k_disjunction` on a
Zipf corpus (frequent terms, many tied scores): summing every posting (small indices) and MaxScore (large
ones, when ``hits.total`` needs no count: ``track_total_hits`` false or below a term's document count).
The reference is the numpy dense sum, itself checked against the exhaustive evaluator and a float64
BM25 in ``test_pruning.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrievo import Engine
from retrievo.index import bm25
from retrievo.index.searcher import Searcher
from retrievo.lucene import disjunction_kernel, pruning
from retrievo.lucene.pruning import TermClause
from retrievo.response import total_hits

pytestmark = pytest.mark.skipif(not disjunction_kernel.available(), reason="numba is not installed")

N_DOCS = 3000
VOCAB = [f"w{i}" for i in range(300)]


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    rng = np.random.default_rng(11)
    p = 1.0 / np.arange(1, len(VOCAB) + 1)
    p /= p.sum()
    es = Engine()
    es.indices.create(index="k", mappings={"properties": {"body": {"type": "text"}}})
    ops: list[dict] = []
    for i in range(N_DOCS):
        words = [VOCAB[j] for j in rng.choice(len(VOCAB), size=int(rng.integers(1, 40)), p=p)]
        ops += [{"index": {"_index": "k", "_id": str(i)}}, {"body": " ".join(words)}]
    es.bulk(operations=ops, refresh=True)
    return es.catalog.shard("k").searcher()


def _rank(
    searcher: Searcher,
    clauses: tuple[TermClause, ...],
    k: int,
    track: bool | int,
    way: str,
    monkeypatch: pytest.MonkeyPatch,
    span: int = disjunction_kernel.SPAN,
) -> tuple[list[int], list[int], dict | None] | None:
    with monkeypatch.context() as m:
        m.setattr(disjunction_kernel, "MIN_DOCS", 0)
        m.setattr(disjunction_kernel, "SPAN", span)
        m.setattr(disjunction_kernel, "ENABLED", way != "numpy")
        m.setattr(pruning, "DENSE_MAX_DOCS", 0 if way == "max_score" else 10**9)
        found = pruning.top_k_disjunction(searcher, clauses, k, track)
    if found is None:
        return None
    docs, scores, total = found
    return docs.tolist(), scores.view(np.uint32).tolist(), total_hits(total, track)  # as the response reports it


clause_lists = st.lists(
    st.tuples(st.sampled_from([*VOCAB[:150], "nosuchword"]), st.sampled_from([1.0, 1.0, 0.5, 2.0, 3.7])),
    min_size=1,
    max_size=7,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    clauses=clause_lists,
    k=st.integers(1, 60),
    track=st.sampled_from([False, 3, 40, 10000, True]),
    span=st.sampled_from([64, 640, disjunction_kernel.SPAN]),  # several doc-id spans, or one
)
def test_both_compiled_ways_rank_as_the_numpy_sum(searcher, monkeypatch, clauses, k, track, span) -> None:
    terms = tuple(TermClause("body", word, boost) for word, boost in clauses)
    want = _rank(searcher, terms, k, track, "numpy", monkeypatch)
    assert want is not None
    for way in ("sum", "max_score"):
        assert _rank(searcher, terms, k, track, way, monkeypatch, span) == want, way


def test_max_score_skips_clauses(searcher, monkeypatch) -> None:
    """A frequent term under rare ones: once the rare terms' k-th score is known, documents holding only
    the frequent term cannot enter, so MaxScore leaves its postings unsummed -- and still ranks the same."""
    inv = searcher.inverted("body")
    assert inv is not None
    frequent, rare = "w0", "w120"
    assert inv.doc_freq(inv.terms[frequent]) > 20 * inv.doc_freq(inv.terms[rare])
    terms = (TermClause("body", frequent, 1.0), TermClause("body", rare, 1.0))
    want = _rank(searcher, terms, 5, False, "numpy", monkeypatch)
    assert _rank(searcher, terms, 5, False, "max_score", monkeypatch) == want

    def own_scores(term: str) -> np.ndarray:
        """The term's score in each of its documents, from the scorer's formula over its postings."""
        tid = inv.terms[term]
        span = inv.posting_slice(tid)
        return bm25.score(bm25.term_weight(1.0, inv.idfs[tid]), inv.freqs[span], inv.doc_norm_inverse[span])

    best_frequent = own_scores(frequent).max()
    fifth_rare = np.sort(own_scores(rare))[-5]
    # the frequent term alone cannot reach the rare term's 5th best score: it is non-essential
    assert best_frequent < fifth_rare
    tid = inv.terms[frequent]
    weight = np.array([bm25.term_weight(1.0, inv.idfs[tid])], dtype=np.float32)
    assert disjunction_kernel.term_bounds(inv, np.array([tid]), weight)[0] == best_frequent


def test_block_rows_bound_each_blocks_scores(searcher, monkeypatch) -> None:
    """MaxScore's block-max bounds: a frequent term's row holds, per 128-document block, ``x / (1 + x)``
    for the largest ``x = freq * cache[norm]`` of its postings there, raised by ``2**-21`` (0 for a block
    without one), computed here with numpy from the postings; at any weight ``w`` it bounds every score
    of the block from above (``w * row``), and by less than a millionth of ``w``. A rare term has none."""
    inv = searcher.inverted("body")
    assert inv is not None
    terms = (TermClause("body", "w0", 1.0), TermClause("body", "w2", 1.0), TermClause("body", "w150", 1.0))
    want = _rank(searcher, terms, 5, False, "numpy", monkeypatch)
    assert _rank(searcher, terms, 5, False, "max_score", monkeypatch) == want
    rows = disjunction_kernel._block_rows(inv)
    shift = disjunction_kernel.BLOCK_SHIFT
    n_blocks = ((inv.max_doc - 1) >> shift) + 1
    assert rows.table.shape[1] == n_blocks
    for term in ("w0", "w2", "w150"):
        tid = inv.terms[term]
        span = inv.posting_slice(tid)
        docs = inv.docs[span]
        row = rows.rows_of(inv, np.array([tid]))[0]
        if docs.size < n_blocks:  # rare: no row, its global bound is used
            assert row < 0, term
            continue
        products = inv.freqs[span].astype(np.float32) * inv.doc_norm_inverse[span]
        best = np.zeros(n_blocks, dtype=np.float32)
        np.maximum.at(best, docs >> shift, products)
        x = best.astype(np.float64)
        expected = np.where(x > 0, (x / (1 + x) + 2.0**-21).astype(np.float32), np.float32(0))
        assert row >= 0 and np.array_equal(rows.table[row], expected), term
        for boost in (1.0, 0.5, 3.7, 1e-3):
            w = bm25.term_weight(boost, inv.idfs[tid])
            scores = bm25.score(w, inv.freqs[span], inv.doc_norm_inverse[span]).astype(np.float64)
            block_bound = np.float64(w) * rows.table[row][docs >> shift].astype(np.float64)
            assert (block_bound >= scores).all(), (term, boost)
            best_in_block = np.zeros(n_blocks)
            np.maximum.at(best_in_block, docs >> shift, scores)
            assert (np.float64(w) * rows.table[row] - best_in_block).max() < 1e-6 * w, (term, boost)


def test_top_products_give_the_rarest_clauses_kth_score(searcher) -> None:
    """MaxScore's seed: a term's ``k`` largest products, kept per field snapshot, are those of its ``k``
    best-scoring documents at any weight, and the ``k``-th largest gives its ``k``-th best score exactly."""
    inv = searcher.inverted("body")
    assert inv is not None
    for term in ("w0", "w5", "w60"):
        tid = inv.terms[term]
        span = inv.posting_slice(tid)
        for k in (1, 7, 30):
            docs, product = disjunction_kernel._top_products(inv).of(inv, tid, k)
            for boost in (1.0, 2.0, 0.3):
                w = bm25.term_weight(boost, inv.idfs[tid])
                scores = bm25.score(w, inv.freqs[span], inv.doc_norm_inverse[span])
                kth = np.sort(scores)[-k]
                assert np.float32(w - w / (np.float32(1.0) + product)) == kth, (term, k, boost)
                by_doc = dict(zip(inv.docs[span].tolist(), scores.tolist()))
                assert len(set(docs.tolist())) == k and min(by_doc[d] for d in docs.tolist()) == kth


@pytest.mark.parametrize("boost", [0.0, 1e-45])
def test_clauses_scoring_zero_rank_as_the_numpy_sum(searcher, monkeypatch, boost) -> None:
    """A clause whose postings score 0 (boost 0, or a boost so small that ``w - w / (1 + x)`` rounds to 0)
    still matches: the kernel, which lists a document when its sum first leaves 0, must not take it."""
    terms = (TermClause("body", "w3", boost), TermClause("body", "w40", 1.0), TermClause("body", "w7", boost))
    for track in (True, False):
        want = _rank(searcher, terms, N_DOCS, track, "numpy", monkeypatch)
        assert want is not None and 0 in want[1]  # documents scoring 0 are among the hits
        for way in ("sum", "max_score"):
            assert _rank(searcher, terms, N_DOCS, track, way, monkeypatch) == want, way


def test_threads_rank_as_one_at_a_time(searcher, monkeypatch) -> None:
    """The kernels release the GIL and keep their scratch per thread: searches running at once on several
    threads (the server's pool) rank as they do alone, both compiled ways."""
    rng = np.random.default_rng(5)
    queries = [
        tuple(
            TermClause("body", VOCAB[int(j)], 1.0) for j in rng.choice(120, size=int(rng.integers(2, 6)), replace=False)
        )
        for _ in range(40)
    ]
    want = [_rank(searcher, q, 10, False, "numpy", monkeypatch) for q in queries]
    with monkeypatch.context() as m:
        m.setattr(disjunction_kernel, "MIN_DOCS", 0)
        for dense_max in (10**9, 0):  # summing every posting, then MaxScore
            m.setattr(pruning, "DENSE_MAX_DOCS", dense_max)

            def ranked(i: int) -> tuple[list[int], list[int]]:
                found = pruning.top_k_disjunction(searcher, queries[i % len(queries)], 10, False)
                assert found is not None
                return found[0].tolist(), found[1].view(np.uint32).tolist()

            with ThreadPoolExecutor(max_workers=4) as pool:
                got = list(pool.map(ranked, range(8 * len(queries))))
            assert all(got[i] == want[i % len(queries)][:2] for i in range(len(got)))
