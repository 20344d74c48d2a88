"""Top-k pruning of term disjunctions (``prune_top_k``) answers exactly what the exhaustive path answers.

Each search is run twice from one plan -- with the rule and with it switched off -- and must give the
same documents, scores (bit for bit), tie order and reported ``hits.total``; scores are also checked
against an independent float64 BM25 (tests/bm25_reference.py) and totals against counts taken from
the corpus itself.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrievo import Engine
from retrievo.index import bm25
from retrievo.index.impacts import build_impacts
from retrievo.lucene import disjunction_kernel, pruning
from retrievo.planner.operators.pruned_top_docs import PrunedTopDocs
from retrievo.response import total_hits
from tests.bm25_reference import bm25_scores

N_DOCS = 1500
VOCAB = [f"w{i}" for i in range(200)]


def _corpus(seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """Zipf-distributed words: a few very common terms (df above the total limits used below), many
    rare ones; ``title`` is short so its norms differ from ``body``'s."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, len(VOCAB) + 1)
    p /= p.sum()
    body = [[VOCAB[i] for i in rng.choice(len(VOCAB), size=int(rng.integers(1, 60)), p=p)] for _ in range(N_DOCS)]
    title = [[VOCAB[i] for i in rng.choice(len(VOCAB), size=int(rng.integers(1, 6)), p=p)] for _ in range(N_DOCS)]
    return body, title


class Corpus(tuple):
    """(engine, body tokens, title tokens), with a short repr for hypothesis' reports."""

    def __repr__(self) -> str:
        return "Corpus(p)"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    es = Engine()
    es.indices.create(index="p", mappings={"properties": {"body": {"type": "text"}, "title": {"type": "text"}}})
    body, title = _corpus(7)
    ops: list[dict] = []
    for i, (b, t) in enumerate(zip(body, title)):
        ops += [{"index": {"_index": "p", "_id": str(i)}}, {"body": " ".join(b), "title": " ".join(t)}]
    es.bulk(operations=ops, refresh=True)
    return Corpus((es, body, title))


def _both(es: Engine, body: dict) -> tuple[tuple, tuple]:
    """(docs, scores, reported total) with pruning and with the rule off, from one plan."""
    plan = es.plan(index="p", body=body)
    track = body.get("track_total_hits", 10000)
    out = []
    for p in (plan, plan.with_rules(prune_top_k=False)):
        ranked, _ = p.execute()
        page = slice(body.get("from", 0), body.get("from", 0) + body.get("size", 10))
        out.append((ranked.docs.tolist(), ranked.scores.tolist(), total_hits(ranked.total, track), page))
    assert not isinstance(plan.with_rules(prune_top_k=False).root.children()[0], PrunedTopDocs)
    return out[0], out[1]


words = st.sampled_from([*VOCAB[:120], "nosuchword"])
boosts = st.sampled_from([1.0, 0.5, 2.0, 3.7, 0.0])
tracks = st.sampled_from([10000, True, False, 3, 40, 400])


@st.composite
def disjunctions(draw: st.DrawFn) -> dict:
    """A ``match``, a ``bool`` of boosted ``term`` clauses (one or two fields), or a ``multi_match``."""
    kind = draw(st.sampled_from(["match", "bool", "multi_match", "term"]))
    terms = draw(st.lists(words, min_size=1, max_size=7))
    if kind == "match":
        return {"match": {"body": " ".join(terms)}}
    if kind == "term":
        return {"term": {draw(st.sampled_from(["body", "title"])): {"value": terms[0], "boost": draw(boosts)}}}
    if kind == "multi_match":
        return {"multi_match": {"query": " ".join(terms), "fields": ["body", "title^2"], "type": "most_fields"}}
    should = [{"term": {draw(st.sampled_from(["body", "title"])): {"value": t, "boost": draw(boosts)}}} for t in terms]
    return {"bool": {"should": should, "boost": draw(st.sampled_from([1.0, 1.5]))}}


@pytest.fixture(params=["kernel-bounds", "kernel-dense", "bounds", "dense"])
def path(request, monkeypatch):
    """Every way the pruned operator ranks: compiled (when numba is installed) or numpy, each with bounds
    (large indices: MaxScore) and summing every posting (small ones); the corpus is small, so the size
    limit of the dense way is moved to choose."""
    if request.param.startswith("kernel"):
        if not disjunction_kernel.available():
            pytest.skip("numba is not installed: the compiled kernel does not run")
        monkeypatch.setattr(disjunction_kernel, "MIN_DOCS", 0)  # the corpus is small
    else:
        monkeypatch.setattr(disjunction_kernel, "ENABLED", False)
    monkeypatch.setattr(pruning, "DENSE_MAX_DOCS", 0 if request.param.endswith("bounds") else 10**9)
    return request.param


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=disjunctions(), size=st.integers(0, 40), from_=st.integers(0, 30), track=tracks)
def test_pruned_top_k_is_the_exhaustive_top_k(corpus, path, query, size, from_, track) -> None:
    es, _, _ = corpus
    body = {"query": query, "size": size, "from": from_, "track_total_hits": track}
    pruned, exhaustive = _both(es, body)
    assert pruned == exhaustive


@st.composite
def filtered_disjunctions(draw: st.DrawFn) -> dict:
    """A ``bool`` whose one ``must`` clause is a disjunction and whose other clauses only filter: terms and
    matches on ``title``, a range of ids, ``must_not`` terms (one filter at least)."""
    filters = draw(
        st.lists(
            st.one_of(
                words.map(lambda w: {"term": {"title": w}}),
                st.lists(words, min_size=1, max_size=3).map(lambda ws: {"match": {"title": " ".join(ws)}}),
                st.integers(0, N_DOCS).map(lambda i: {"range": {"_id": {"gte": str(i)}}}),
            ),
            max_size=2,
        )
    )
    excluded = draw(st.lists(words.map(lambda w: {"term": {"body": w}}), max_size=2))
    if not filters and not excluded:
        excluded = [{"term": {"body": VOCAB[0]}}]
    return {"bool": {"must": draw(disjunctions()), "filter": filters, "must_not": excluded}}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=filtered_disjunctions(), size=st.integers(0, 40), from_=st.integers(0, 30), track=tracks)
def test_filtered_pruned_top_k_is_the_exhaustive_top_k(corpus, path, query, size, from_, track) -> None:
    """The filters choose the documents (the compiled kernel skips the others' postings); scores, order
    and totals are the exhaustive path's."""
    es, _, _ = corpus
    body = {"query": query, "size": size, "from": from_, "track_total_hits": track}
    pruned, exhaustive = _both(es, body)
    assert pruned == exhaustive


def test_filtered_disjunctions_are_pruned_by_the_kernel(corpus, monkeypatch) -> None:
    """A ``match`` under filters plans as the pruned operator with the filters, and the compiled kernel
    answers it (not the exhaustive fallback): the filtered-out documents' postings add nothing."""
    if not disjunction_kernel.available():
        pytest.skip("numba is not installed: the compiled kernel does not run")
    monkeypatch.setattr(disjunction_kernel, "MIN_DOCS", 0)
    es, body_tokens, title_tokens = corpus
    query = {"bool": {"must": {"match": {"body": "w1 w5 w30"}}, "filter": {"term": {"title": "w0"}}}}
    plan = es.plan(index="p", body={"query": query, "size": 5, "track_total_hits": True})
    pruned = plan.root.children()[0]
    assert isinstance(pruned, PrunedTopDocs) and len(pruned.filters) == 1 and not pruned.excluded
    ran: list[object] = []
    real = disjunction_kernel.top_k
    monkeypatch.setattr(disjunction_kernel, "top_k", lambda *a: ran.append(a[3]) or real(*a))
    ranked, _ = plan.execute()
    assert len(ran) == 1 and ran[0] is not None  # the kernel ran, with the filters' documents
    want = {d for d in range(N_DOCS) if "w0" in title_tokens[d] and {"w1", "w5", "w30"} & set(body_tokens[d])}
    assert ranked.total == len(want) and set(ranked.docs.tolist()) <= want


@pytest.mark.parametrize(
    "query",
    [
        {"match": {"body": "w3 w40 w77"}},
        {"term": {"title": {"value": "w5", "boost": 2.0}}},
        {"bool": {"should": [{"term": {"body": "w2"}}, {"term": {"title": {"value": "w9", "boost": 3}}}]}},
        {"multi_match": {"query": "w3 w40", "fields": ["body", "title"], "type": "most_fields"}},
    ],
)
def test_term_disjunctions_are_pruned(corpus, query) -> None:
    es, _, _ = corpus
    plan = es.plan(index="p", body={"query": query})
    assert isinstance(plan.root.children()[0], PrunedTopDocs), str(plan)


def test_search_responses_are_identical_and_scores_match_a_float64_reference(corpus, path) -> None:
    es, docs, _ = corpus
    rng = np.random.default_rng(3)
    for _ in range(40):
        terms = [VOCAB[i] for i in rng.choice(80, size=int(rng.integers(2, 6)), replace=False)]
        body = {"query": {"match": {"body": " ".join(terms)}}, "size": 15}
        resp = es.search(index="p", body=body)
        plan = es.plan(index="p", body=body)
        ranked, _ = plan.with_rules(prune_top_k=False).execute()
        assert [h["_id"] for h in resp["hits"]["hits"]] == [str(d) for d in ranked.docs.tolist()]
        ref = bm25_scores(docs, terms)
        for h in resp["hits"]["hits"]:
            assert h["_score"] == pytest.approx(ref[int(h["_id"])], rel=1e-6)
        # the 15 best by the reference (ties by id) are the hits, apart from float32 near-ties at the cut
        best = sorted(range(N_DOCS), key=lambda d: (-ref[d], d))[:15]
        assert len({str(d) for d in best} & {h["_id"] for h in resp["hits"]["hits"]}) >= 14


def test_total_hits_follow_track_total_hits(corpus, path) -> None:
    es, docs, _ = corpus
    df = Counter(t for d in docs for t in set(d))
    common, rare = VOCAB[0], VOCAB[150]
    union = sum(1 for d in docs if common in d or rare in d)
    assert df[common] > 500 and union > 500
    q = {"match": {"body": f"{common} {rare}"}}
    assert es.search(index="p", query=q)["hits"]["total"] == {"value": union, "relation": "eq"}
    assert es.search(index="p", query=q, track_total_hits=True)["hits"]["total"] == {"value": union, "relation": "eq"}
    assert es.search(index="p", query=q, track_total_hits=500)["hits"]["total"] == {"value": 500, "relation": "gte"}
    assert es.search(index="p", query=q, track_total_hits=union)["hits"]["total"] == {"value": union, "relation": "eq"}
    assert "total" not in es.search(index="p", query=q, track_total_hits=False)["hits"]
    only_rare = {"match": {"body": rare}}
    assert es.search(index="p", query=only_rare, track_total_hits=1)["hits"]["total"] == {"value": 1, "relation": "gte"}


def test_shapes_that_need_every_match_are_not_pruned(corpus) -> None:
    es, _, _ = corpus
    q = {"match": {"body": "w1 w7 w30"}}
    plain = es.plan(index="p", body={"query": q})
    assert isinstance(plain.root.children()[0], PrunedTopDocs)
    assert "prune_top_k" in plain.explain()
    for extra in (
        {"aggs": {"n": {"value_count": {"field": "_id"}}}},
        {"explain": True},
        {"profile": True},
        {"sort": [{"_score": "desc"}]},
    ):
        plan = es.plan(index="p", body={"query": q, **extra})
        assert not isinstance(plan.root.children()[0], PrunedTopDocs), extra
    filtered = es.plan(index="p", body={"query": {"bool": {"should": q, "filter": {"term": {"title": "w1"}}}}})
    assert not isinstance(filtered.root.children()[0], PrunedTopDocs)
    phrase = es.plan(index="p", body={"query": {"match_phrase": {"body": "w1 w2"}}})
    assert not isinstance(phrase.root.children()[0], PrunedTopDocs)
    # explanations still come from the exhaustive path, with the same hits
    a = es.search(index="p", query=q, explain=True, size=3)["hits"]["hits"]
    b = es.search(index="p", query=q, size=3)["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in a] == [(h["_id"], h["_score"]) for h in b]
    assert a[0]["_explanation"]["value"] == a[0]["_score"]


def test_deleted_documents_fall_back_to_the_exhaustive_path() -> None:
    es = Engine()
    es.indices.create(index="d", mappings={"properties": {"body": {"type": "text"}}})
    body, _ = _corpus(11)
    ops: list[dict] = []
    for i, b in enumerate(body[:600]):
        ops += [{"index": {"_index": "d", "_id": str(i)}}, {"body": " ".join(b)}]
    es.bulk(operations=ops, refresh=True)
    q = {"match": {"body": "w0 w3 w9"}}
    top = es.search(index="d", query=q, size=1)["hits"]["hits"][0]["_id"]
    es.delete(index="d", id=top, refresh=True)
    resp = es.search(index="d", query=q, size=5)
    assert top not in [h["_id"] for h in resp["hits"]["hits"]]
    ranked, _ = es.plan(index="d", body={"query": q, "size": 5}).with_rules(prune_top_k=False).execute()
    assert [h["_id"] for h in resp["hits"]["hits"]] == [str(d) for d in ranked.docs.tolist()]
    assert resp["hits"]["total"]["value"] == ranked.total


def test_block_bounds_are_at_most_a_float16_step_above_the_best_posting_score() -> None:
    rng = np.random.default_rng(5)
    max_doc, n_terms = 1000, 6
    postings = [np.sort(rng.choice(max_doc, size=int(rng.integers(1, 400)), replace=False)) for _ in range(n_terms)]
    offsets = np.zeros(n_terms + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([p.size for p in postings])
    docs = np.concatenate(postings).astype(np.int32)
    freqs = rng.integers(1, 9, size=docs.size).astype(np.int32)
    norm_inverse = rng.uniform(0.3, 1.5, size=docs.size).astype(np.float32)
    imp = build_impacts(offsets, docs, freqs, norm_inverse, max_doc)
    weight = np.float32(2.5)
    for t in range(n_terms):
        lo, hi = offsets[t], offsets[t + 1]
        scores = bm25.score(weight, freqs[lo:hi], norm_inverse[lo:hi])
        blocks = docs[lo:hi] >> imp.shift
        entries = slice(imp.offsets[t], imp.offsets[t + 1])
        assert imp.blocks[entries].tolist() == sorted(set(blocks.tolist()))
        for b, x in zip(imp.blocks[entries], imp.max_x[entries]):
            best = scores[blocks == b].max()
            bound = bm25.score(weight, np.array([x]), np.ones(1, np.float32))[0]
            # x is the best freq * normInverse rounded up to a float16 (2**-10 relative at most)
            assert best <= bound <= best * (1 + 2**-10)
