"""``engine.msearch``: Elasticsearch's request and response shapes, the same hits as the searches run one
by one, and real batching across searches -- counted through the inference registry's own stats."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.api.router import Router
from retrievo.api.types import RestRequest
from retrievo.errors import ApiError, BadRequestError, error_reason
from retrievo.multi_search import multi_search

DOCS = {
    "1": ("the moon phases and the solar eclipse", "sky"),
    "2": ("a quick brown fox jumps over the lazy dog", "animal"),
    "3": ("sun moon lake geography", "earth"),
    "4": ("the lazy cat and the fast dog", "animal"),
    "5": ("astronomy science of the sun and the moon", "sky"),
    "6": ("technology engine science", "tech"),
    "7": ("the dog and the moon", "animal"),
}


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("sentence_transformers")
    path = Path(__file__).resolve().parent / "inference" / "tiny_models.py"
    spec = importlib.util.spec_from_file_location("retrievo_msearch_tiny_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.save_tiny_bert(tmp_path_factory.mktemp("msearch-tiny-ce"))


def new_engine(tiny_cross_encoder: Path) -> Engine:
    """A fresh engine: empty caches, so every model call is counted."""
    engine = Engine()
    engine.indices.create(
        index="docs",
        mappings={
            "properties": {"text": {"type": "text"}, "tag": {"type": "keyword"}, "meaning": {"type": "semantic_text"}}
        },
    )
    ops: list[dict[str, Any]] = []
    for doc_id, (text, tag) in DOCS.items():
        ops += [{"index": {"_index": "docs", "_id": doc_id}}, {"text": text, "tag": tag, "meaning": text}]
    engine.bulk(operations=ops, refresh=True)
    engine.indices.create(index="other", mappings={"properties": {"text": {"type": "text"}}})
    engine.index(index="other", id="x", document={"text": "moon landing"}, refresh=True)
    engine.inference.put(
        inference_id="ce",
        task_type="rerank",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": str(tiny_cross_encoder), "device": "cpu"},
        },
    )
    return engine


def knn(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "knn": {
            "field": "meaning",
            "k": 3,
            "num_candidates": 7,
            **extra,
            "query_vector_builder": {"text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": text}},
        }
    }


def reranker(query: str, child: dict[str, Any] | None = None, window: int = 5) -> dict[str, Any]:
    return {
        "text_similarity_reranker": {
            "retriever": child or {"standard": {"query": {"match": {"text": "the moon dog"}}}},
            "field": "text",
            "inference_text": query,
            "inference_id": "ce",
            "rank_window_size": window,
        }
    }


def hits(resp: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(h["_index"], h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def one_by_one(engine: Engine, bodies: list[dict[str, Any]], index: str = "docs") -> list[dict[str, Any]]:
    return [engine.search(index=index, body=body) for body in bodies]


def alternating(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for body in bodies:
        out += [{}, body]
    return out


def embed_calls(engine: Engine) -> int:
    return engine.catalog.inference.cache_stats()["model_calls"]


def rerank_stats(engine: Engine) -> dict[str, Any]:
    return engine.catalog.inference.cache_stats()["rerank"]


def assert_same(multi: dict[str, Any], singles: list[dict[str, Any]], exact: bool = True) -> None:
    """The same hits in the same order with the same scores. Scores that come out of a model batch
    (``exact=False``) may differ in the last float32 bit: padding a text to a longer batch neighbour
    changes the encoder's arithmetic, exactly as the batch a text lands in already does between
    cached and uncached single searches."""
    assert isinstance(multi["took"], int)
    assert len(multi["responses"]) == len(singles)
    for item, single in zip(multi["responses"], singles):
        assert item["status"] == 200
        assert [h[:2] for h in hits(item)] == [h[:2] for h in hits(single)]
        got, want = [h[2] for h in hits(item)], [h[2] for h in hits(single)]
        assert got == (want if exact else pytest.approx(want, rel=1e-6, abs=0))
        assert item["hits"]["total"] == single["hits"]["total"]


def test_bm25_searches_match_one_by_one(tiny_cross_encoder: Path) -> None:
    engine = new_engine(tiny_cross_encoder)
    bodies = [
        {"query": {"match": {"text": "moon"}}},
        {"query": {"match": {"text": "dog lazy"}}, "size": 2},
        {"query": {"bool": {"must": {"match": {"text": "the"}}, "filter": {"term": {"tag": "animal"}}}}},
    ]
    multi = engine.msearch(searches=alternating(bodies), index="docs")
    assert_same(multi, one_by_one(engine, bodies))
    assert set(multi["responses"][0]) == {"took", "timed_out", "_shards", "hits", "status"}


def test_knn_query_embeddings_are_batched_across_searches(tiny_cross_encoder: Path) -> None:
    texts = ["lunar phases", "a loyal canine", "computers and machines"]
    bodies = [{"retriever": knn(t)} for t in texts] + [{"knn": knn("lunar phases")["knn"]}]
    singles_engine = new_engine(tiny_cross_encoder)
    before = embed_calls(singles_engine)
    singles = one_by_one(singles_engine, bodies)
    assert embed_calls(singles_engine) - before == 3  # one call per distinct text
    engine = new_engine(tiny_cross_encoder)
    before = embed_calls(engine)
    multi, report = multi_search(engine.catalog, alternating(bodies), "docs")
    assert embed_calls(engine) - before == 1  # all texts in one batched call
    assert report.embedded_texts == {".all-minilm-l6-v2": 3} and report.embed_requests == 1
    assert_same(multi, singles, exact=False)


def test_rrf_searches_match_one_by_one(tiny_cross_encoder: Path) -> None:
    engine = new_engine(tiny_cross_encoder)

    def rrf(q, t):
        return {
            "retriever": {
                "rrf": {
                    "retrievers": [
                        {"standard": {"query": {"match": {"text": q}}}},
                        knn(t),
                    ],
                    "rank_window_size": 10,
                }
            }
        }

    bodies = [rrf("moon", "night sky"), rrf("dog", "pets"), rrf("science", "night sky")]
    singles = one_by_one(new_engine(tiny_cross_encoder), bodies)
    before = embed_calls(engine)
    multi = engine.msearch(searches=alternating(bodies), index="docs")
    assert embed_calls(engine) - before == 1
    assert_same(multi, singles, exact=False)


def test_rerank_pairs_are_scored_in_one_batched_call(tiny_cross_encoder: Path) -> None:
    bodies = [
        {"retriever": reranker("moon phases"), "size": 5},
        {"retriever": reranker("lazy dog"), "size": 5},
        {"retriever": reranker("solar eclipse", {"standard": {"query": {"match": {"text": "sun"}}}}), "size": 5},
        {"retriever": reranker("moon phases"), "size": 5},
    ]  # the same pairs as the first search
    singles_engine = new_engine(tiny_cross_encoder)
    singles = one_by_one(singles_engine, bodies)
    alone = rerank_stats(singles_engine)
    engine = new_engine(tiny_cross_encoder)
    multi, report = multi_search(engine.catalog, alternating(bodies), "docs")
    together = rerank_stats(engine)
    assert_same(multi, singles, exact=False)
    # one by one: a model call per search (the 4th is served by the cache); together: one call
    assert (alone["model_calls"], alone["requests"]) == (3, 4)
    assert (together["model_calls"], together["requests"]) == (1, 1)
    window = [len(r["hits"]["hits"]) for r in singles]
    assert report.rerank_pairs == {"ce": sum(window)} and report.rerank_waves == 1
    distinct = sum(window[:3])
    assert together["pairs_scored"] == alone["pairs_scored"] == distinct
    assert together["deduplicated"] == window[3]  # the repeated search's pairs, scored once


def test_nested_rerankers_run_in_waves(tiny_cross_encoder: Path) -> None:
    inner = reranker("moon phases", window=5)
    bodies = [
        {"retriever": reranker("solar eclipse", inner, window=5), "size": 5},
        {"retriever": reranker("lazy dog"), "size": 5},
    ]
    singles = one_by_one(new_engine(tiny_cross_encoder), bodies)
    engine = new_engine(tiny_cross_encoder)
    multi, report = multi_search(engine.catalog, alternating(bodies), "docs")
    assert_same(multi, singles, exact=False)
    assert report.rerank_waves == 2 and report.rerank_requests == 2
    assert rerank_stats(engine)["model_calls"] == 2


def test_filters_shared_across_searches(tiny_cross_encoder: Path) -> None:
    engine = new_engine(tiny_cross_encoder)
    animal = {"term": {"tag": "animal"}}
    bodies = [
        {"retriever": {"standard": {"query": {"match": {"text": "dog"}}, "filter": animal}}},
        {"retriever": knn("pets", filter=animal)},
        {"retriever": {"standard": {"query": {"match": {"text": "moon"}}, "filter": animal}}},
        {"retriever": {"standard": {"query": {"match": {"text": "moon"}}, "filter": {"term": {"tag": "sky"}}}}},
    ]
    multi, report = multi_search(engine.catalog, alternating(bodies), "docs")
    assert (report.shared_filters, report.shared_filter_uses) == (1, 3)
    assert_same(multi, one_by_one(new_engine(tiny_cross_encoder), bodies), exact=False)


def test_a_failing_search_does_not_fail_the_others(tiny_cross_encoder: Path) -> None:
    engine = new_engine(tiny_cross_encoder)
    ok = {"query": {"match": {"text": "moon"}}}
    searches = [
        {"index": "docs"},
        ok,
        {"index": "missing"},
        ok,
        {"index": "other"},
        ok,
        {},
        {
            "retriever": {
                "rrf": {"retrievers": [{"standard": {"query": {"match_all": {}}}}] * 2, "rank_window_size": 2}
            },
            "size": 5,
        },
        {},
        {"retriever": reranker("moon", window=3) | {}} | {"size": 2},
    ]
    searches[-1]["retriever"]["text_similarity_reranker"]["inference_id"] = "no-such-endpoint"
    resp = engine.msearch(searches=searches, index="docs")
    statuses = [r["status"] for r in resp["responses"]]
    assert statuses == [200, 404, 200, 400, 404]
    missing = resp["responses"][1]
    assert missing["error"]["type"] == "index_not_found_exception"
    assert missing["error"]["root_cause"][0]["reason"] == "no such index [missing]"
    assert [h["_id"] for h in resp["responses"][2]["hits"]["hits"]] == ["x"]
    assert resp["responses"][3]["error"]["type"] == "action_request_validation_exception"
    assert hits(resp["responses"][0]) == hits(engine.search(index="docs", body=ok))


def test_ndjson_text_and_bytes(tiny_cross_encoder: Path) -> None:
    engine = new_engine(tiny_cross_encoder)
    lines = [
        {"index": "docs"},
        {"query": {"match": {"text": "moon"}}},
        {"index": "other"},
        {"query": {"match_all": {}}},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    from_list = engine.msearch(searches=lines)
    for payload in (text, text.encode(), text.replace("\n", "\r\n")):
        resp = engine.msearch(body=payload)
        assert [hits(r) for r in resp["responses"]] == [hits(r) for r in from_list["responses"]]
    # an empty header line is an empty header (the request's index applies)
    resp = engine.msearch(searches="\n" + json.dumps(lines[1]) + "\n", index="docs")
    assert hits(resp["responses"][0]) == hits(from_list["responses"][0])


def test_request_level_errors_fail_the_whole_request(tiny_cross_encoder: Path) -> None:
    engine = new_engine(tiny_cross_encoder)
    ok = {"query": {"match_all": {}}}

    def error(**kwargs: Any) -> ApiError:
        with pytest.raises(ApiError) as e:
            engine.msearch(**kwargs)
        return e.value

    err = error(searches=[{"index": "docs", "colour": "red"}, ok])
    assert err.status_code == 400 and error_reason(err) == "key [colour] is not supported in the metadata section"
    err = error(searches=[{"index": "docs"}, ok, {"index": "docs"}, {"query": {"match_alll": {}}}])
    assert err.status_code == 400 and "match_alll" in error_reason(err)  # a body that does not parse
    # the official client ends NDJSON with a newline itself: the REST layer's check, on raw bytes
    unterminated = (json.dumps({"index": "docs"}) + "\n" + json.dumps(ok)).encode()
    headers = {"content-type": "application/x-ndjson"}
    raw = Router(engine.catalog).handle(RestRequest("POST", "/_msearch", {}, unterminated, headers))
    assert raw.status == 400
    assert raw.body["error"]["reason"] == "The msearch request must be terminated by a newline [\n]"
    # no searches is an empty NDJSON body on the wire: Elasticsearch's answer to a missing body
    err = error(searches=[])
    assert err.error == "parse_exception" and error_reason(err) == "request body is required"
    err = error(searches=[{"search_type": "scan"}, ok], index="docs")
    assert error_reason(err) == "No search type for [scan]"
    err = error(searches=[{"ignore_unavailable": "maybe"}, ok], index="docs")  # index options are read
    assert isinstance(err, BadRequestError)
    assert error_reason(err) == "Failed to parse value [maybe] as only [true] or [false] are allowed."
    err = error(searches=[{"expand_wildcards": "sideways"}, ok], index="docs")
    assert error_reason(err) == "No valid expand wildcard value [sideways]"
    err = error(body="{not json}\n{}\n")
    assert err.error == "x_content_parse_exception"
    with pytest.raises(TypeError, match="Can't use 'searches' and 'body' parameters together"):  # the client's
        engine.msearch(searches=[{}, ok], body=[{}, ok])
    with pytest.raises(ValueError):
        engine.msearch()
    ok_headers = engine.msearch(
        searches=[
            {
                "index": ["docs"],
                "search_type": "dfs_query_then_fetch",
                "request_cache": "true",
                "preference": "_local",
                "routing": "r",
            },
            ok,
        ]
    )
    assert ok_headers["responses"][0]["status"] == 200


def test_profiled_search_inside_msearch_shows_batched_inference(tiny_cross_encoder: Path) -> None:
    engine = new_engine(tiny_cross_encoder)
    bodies = [
        {"retriever": reranker("moon phases"), "size": 5, "profile": True},
        {"retriever": reranker("lazy dog"), "size": 5},
        {"retriever": knn("lunar"), "profile": True},
        {"retriever": knn("canine")},
    ]
    resp = engine.msearch(searches=alternating(bodies), index="docs")
    assert "profile" not in resp["responses"][1] and "profile" not in resp["responses"][3]

    def find(entry: dict[str, Any], op: str) -> dict[str, Any]:
        if entry["type"] == op:
            return entry
        return next(found for c in entry["children"] if (found := find(c, op)) is not None)

    tree = resp["responses"][0]["profile"]["shards"][0]["searches"][0]["retrievo_operators"][0]
    stats = find(tree, "Rerank")["debug"]["rerank"]
    assert stats["model_calls"] == 0 and stats["batched"] == stats["pairs"] == 5
    tree = resp["responses"][2]["profile"]["shards"][0]["searches"][0]["retrievo_operators"][0]
    embed = find(tree, "VectorSearch")["debug"]["text_embedding"]
    assert (embed["model_calls"], embed["batched"], embed["texts"]) == (0, 1, 1)
