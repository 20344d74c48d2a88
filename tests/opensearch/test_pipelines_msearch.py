"""Search pipelines on every search path: each search of an ``_msearch`` and of a ``_rank_eval`` runs
through its own pipeline, a scroll refuses a ``hybrid`` query, and ``Engine.plan`` plans a search as its
pipeline makes it run.

OpenSearch runs each search of an ``_msearch`` as its own ``SearchRequest`` (``TransportMultiSearchAction``
calls ``client.search`` per item), so ``SearchPipelineService.resolvePipeline`` picks each one's pipeline:
the body's ``search_pipeline`` (a name since OpenSearch 2.18, PR #15923, or an inline object), else the
index's ``index.search.default_pipeline``; ``RestMultiSearchAction`` reads no ``search_pipeline`` URL
parameter and ``MultiSearchRequest.readMultiLineFormat`` no such header key. ``TransportRankEvalAction``
sends its searches through ``client.multiSearch`` the same way.

Every expectation is computed here: ``by_field`` orders are the documents' own ``p`` values sorted by
hand over the page a plain search returns; hybrid scores are min-max normalised and averaged in numpy
from each sub-query's own scores (a plain search of that sub-query alone); ranking metrics by hand.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from retrievo import ApiError, Engine

#: Texts searched (``t``) and the ``p`` field ``by_field`` reranks by (distinct per document).
DOCS = {
    "1": ("apple banana", 3.5),
    "2": ("apple apple cherry", 1.25),
    "3": ("banana cherry date", 9.0),
    "4": ("cherry cherry cherry", 4.0),
    "5": ("apple date", 7.75),
    "6": ("banana banana apple cherry", 2.0),
    "7": ("fig", 5.5),
    "8": ("grape apple", 6.0),
}
APPLE = {"match": {"t": "apple"}}
CHERRY = {"match": {"t": "cherry"}}
HYBRID = {"hybrid": {"queries": [APPLE, CHERRY]}}
JSON = {"content-type": "application/json", "accept": "application/json"}
BY_FIELD = {"response_processors": [{"rerank": {"by_field": {"target_field": "p"}}}]}
NORMALIZE = {"phase_results_processors": [{"normalization-processor": {}}]}


def fill(client: Any, index: str, settings: dict[str, Any] | None = None) -> None:
    client.indices.create(
        index=index,
        body={
            "settings": settings or {},
            "mappings": {"properties": {"t": {"type": "text"}, "p": {"type": "float"}}},
        },
    )
    for doc_id, (text, price) in DOCS.items():
        client.index(index=index, id=doc_id, body={"t": text, "p": price})
    client.indices.refresh(index=index)


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    fill(e, "m")
    fill(e, "m-default", {"index.search.default_pipeline": "bf"})
    for name, body in (("bf", BY_FIELD), ("hy", NORMALIZE), ("hy-bf", {**NORMALIZE, **BY_FIELD})):
        e.perform_request("PUT", f"/_search/pipeline/{name}", body=body, headers=JSON)
    return e


# ---------------------------------------------------------------------------------------- expectations


def plain(client: Any, query: dict[str, Any], size: int = 10, index: str = "m") -> list[tuple[str, float]]:
    """A search without any pipeline (``search_pipeline=_none``): its hits as (id, score)."""
    body = {"query": query, "size": size}
    if isinstance(client, Engine):
        params = {"search_pipeline": "_none"}
        found = client.perform_request("POST", f"/{index}/_search", params=params, body=body, headers=JSON).body
    else:
        found = client.search(index=index, body=body, params={"search_pipeline": "_none"})
    return [(h["_id"], h["_score"]) for h in found["hits"]["hits"]]


def by_field(page: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The page re-sorted by each document's ``p``, descending; the score becomes ``p``."""
    return sorted(((d, DOCS[d][1]) for d, _ in page), key=lambda item: -item[1])


def hybrid(client: Any, size: int, index: str = "m") -> list[tuple[str, float]]:
    """The normalization-processor's defaults (min_max, arithmetic_mean) over each sub-query's own top
    ``size`` hits: min-max per sub-query (0.001 for the minimum, 1.0 for a lone score), the mean over
    the sub-queries (a document a sub-query missed counts 0 there), by score then doc id."""
    subs = [dict(plain(client, q, size, index)) for q in (APPLE, CHERRY)]
    normalized = []
    for sub in subs:
        ids = list(sub)
        scores = np.array([sub[d] for d in ids], dtype=np.float64)
        lo, hi = scores.min(), scores.max()
        if hi == lo:
            norm = np.ones_like(scores)
        else:
            norm = (scores - lo) / (hi - lo)
            norm[norm == 0] = 0.001
        normalized.append(dict(zip(ids, norm.tolist())))
    docs = sorted({d for sub in subs for d in sub}, key=int)
    combined = {d: float(np.mean([n.get(d, 0.0) for n in normalized])) for d in docs}
    ranked = sorted(combined.items(), key=lambda item: (-np.float32(item[1]), int(item[0])))
    return ranked[:size]


def hits(response: dict[str, Any]) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in response["hits"]["hits"]]


def assert_close(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert [d for d, _ in got] == [d for d, _ in want]
    for (_, g), (_, w) in zip(got, want):
        assert g == pytest.approx(w, rel=2e-6, abs=1e-7)


def error_item(status: int, error_type: str, reason: str) -> dict[str, Any]:
    cause = {"type": error_type, "reason": reason}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def processing_error(reason: str) -> dict[str, Any]:
    """``SearchPipelineProcessingException`` around an ``IllegalArgumentException``."""
    cause = {"type": "illegal_argument_exception", "reason": reason}
    return {
        "root_cause": [cause],
        "type": "search_pipeline_processing_exception",
        "reason": f"java.lang.IllegalArgumentException: {reason}",
        "caused_by": cause,
    }


def api_error(fn: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------------------------- _msearch


def test_each_item_runs_its_own_pipeline(engine: Engine) -> None:
    inline = {"response_processors": [{"rerank": {"by_field": {"target_field": "p", "keep_previous_score": True}}}]}
    searches = [
        {"index": "m"},
        {"query": APPLE, "search_pipeline": "bf"},
        {"index": "m"},
        {"query": APPLE},
        {"index": "m"},
        {"query": HYBRID, "size": 4, "search_pipeline": "hy"},
        {"index": "m"},
        {"query": APPLE, "search_pipeline": "nope"},
        {"index": "m"},
        {"query": APPLE, "size": 3, "search_pipeline": inline},
        {"index": "m"},
        {"query": HYBRID},
        {"index": "m"},
        {"query": HYBRID, "size": 3, "search_pipeline": "hy-bf"},
    ]
    responses = engine.msearch(searches=searches)["responses"]
    assert len(responses) == 7
    apple = plain(engine, APPLE)
    assert hits(responses[0]) == by_field(apple)
    assert hits(responses[1]) == apple  # no pipeline: the search as it is
    assert_close(hits(responses[2]), hybrid(engine, 4))
    assert responses[3] == error_item(400, "illegal_argument_exception", "Pipeline nope is not defined")
    top3 = apple[:3]
    assert hits(responses[4]) == by_field(top3)
    previous = {h["_id"]: h["_source"]["previous_score"] for h in responses[4]["hits"]["hits"]}
    assert previous == pytest.approx(dict(top3))
    # a hybrid query with no normalization-processor fails its own item only
    assert responses[5]["status"] == 400
    assert "normalization-processor" in responses[5]["error"]["reason"]
    # both phases: the hybrid page, then reordered by p
    assert hits(responses[6]) == by_field(hybrid(engine, 3))
    assert all(r["status"] == 200 for i, r in enumerate(responses) if i not in (3, 5))


def test_index_default_pipeline_applies_to_each_item(engine: Engine) -> None:
    searches = [
        {"index": "m-default"},
        {"query": APPLE},
        {"index": "m-default"},
        {"query": APPLE, "search_pipeline": "_none"},
        {"index": "m"},
        {"query": APPLE},
        {},  # the URL's index
        {"query": APPLE, "size": 2},
    ]
    responses = engine.msearch(index="m-default", searches=searches)["responses"]
    apple = plain(engine, APPLE)
    assert plain(engine, APPLE, index="m-default") == apple  # the same documents
    assert [hits(r) for r in responses] == [by_field(apple), apple, apple, by_field(apple[:2])]


def test_a_failing_processor_fails_only_its_item(engine: Engine) -> None:
    engine.perform_request(
        "PUT",
        "/_search/pipeline/bf-missing",
        body={"response_processors": [{"rerank": {"by_field": {"target_field": "absent"}}}]},
        headers=JSON,
    )
    searches = [{"index": "m"}, {"query": APPLE, "search_pipeline": "bf-missing"}, {"index": "m"}, {"query": APPLE}]
    failed, fine = engine.msearch(searches=searches)["responses"]
    first = plain(engine, APPLE)[0][0]
    assert failed == {"error": processing_error(f"The field to rerank by is not found at hit [{first}]"), "status": 400}
    assert hits(fine) == plain(engine, APPLE)


@pytest.mark.parametrize(
    ("header", "body", "error_type", "reason"),
    [
        (
            {"index": "m", "search_pipeline": "bf"},
            {"query": APPLE},
            "illegal_argument_exception",
            "key [search_pipeline] is not supported in the metadata section",
        ),
        (
            {"index": "m"},
            {"search_pipeline": None},
            "parsing_exception",
            "Unknown key for a VALUE_NULL in [search_pipeline].",
        ),
        (
            {"index": "m"},
            {"search_pipeline": ["bf"]},
            "parsing_exception",
            "Unknown key for a START_ARRAY in [search_pipeline].",
        ),
        ({"index": "m"}, {"ext": "x"}, "parsing_exception", "Unknown key for a VALUE_STRING in [ext]."),
    ],
)
def test_what_fails_the_whole_request(
    engine: Engine, header: dict[str, Any], body: dict[str, Any], error_type: str, reason: str
) -> None:
    """What the msearch parser refuses fails the request as a whole (the good search beside it too)."""
    err = api_error(engine.msearch, searches=[{"index": "m"}, {"query": APPLE}, header, body])
    assert (err.status_code, err.body["error"]["type"], err.body["error"]["reason"]) == (400, error_type, reason)


def test_the_url_cannot_name_a_pipeline(engine: Engine) -> None:
    ndjson = json.dumps({"index": "m"}) + "\n" + json.dumps({"query": APPLE}) + "\n"
    err = api_error(
        engine.perform_request,
        "POST",
        "/_msearch",
        params={"search_pipeline": "bf"},
        body=ndjson,
        headers={"content-type": "application/x-ndjson", "accept": "application/json"},
    )
    assert err.status_code == 400
    assert err.body["error"]["reason"].startswith(
        "request [/_msearch] contains unrecognized parameter: [search_pipeline]"
    )


def test_ext_rerank_without_a_pipeline_is_ignored(engine: Engine) -> None:
    body = {"query": APPLE, "ext": {"rerank": {"query_context": {"query_text": "apple"}}}}
    (response,) = engine.msearch(searches=[{"index": "m"}, body])["responses"]
    assert hits(response) == plain(engine, APPLE)


# ---------------------------------------------------------------------------------------- _rank_eval


def test_rank_eval_runs_the_index_default_pipeline(engine: Engine) -> None:
    """Each rated request runs through ``m-default``'s ``by_field`` pipeline: with ``p`` fetched (a
    summary field) the hits are reordered by it; with ``_source`` off (rank_eval's default) the
    processor finds no source and that request fails alone, as OpenSearch's would."""
    apple = plain(engine, APPLE)
    best_by_p = by_field(apple)[0][0]
    best_plain = apple[0][0]
    assert best_by_p != best_plain
    ratings = [{"_index": "m-default", "_id": best_plain, "rating": 1}]
    body = {
        "requests": [
            {"id": "fetched", "request": {"query": APPLE}, "ratings": ratings, "summary_fields": ["p"]},
            {"id": "no-source", "request": {"query": APPLE}, "ratings": ratings},
        ],
        "metric": {"mean_reciprocal_rank": {"k": 10}},
    }
    result = engine.rank_eval(index="m-default", body=body)
    rank = [d for d, _ in by_field(apple)].index(best_plain) + 1
    assert result["metric_score"] == pytest.approx(1.0 / rank)
    assert [h["hit"]["_id"] for h in result["details"]["fetched"]["hits"]] == [d for d, _ in by_field(apple)]
    first = apple[0][0]
    reason = f"There is no source field to be able to perform rerank on hit [{first}]"
    assert result["failures"] == {"no-source": {"error": processing_error(reason)}}
    # the same requests on the index without a default: the plain order, nothing fails
    plain_ratings = [{"_index": "m", "_id": best_plain, "rating": 1}]
    for request in body["requests"]:
        request["ratings"] = plain_ratings
    result = engine.rank_eval(index="m", body=body)
    assert result["metric_score"] == 1.0 and result["failures"] == {}


# ---------------------------------------------------------------------------------------- scroll


def test_a_scroll_refuses_a_hybrid_query(engine: Engine) -> None:
    err = api_error(
        engine.perform_request,
        "POST",
        "/m/_search",
        params={"search_pipeline": "hy", "scroll": "1m"},
        body={"query": HYBRID},
        headers=JSON,
    )
    assert err.status_code == 400
    assert err.body["error"]["type"] == "search_phase_execution_exception"
    assert err.body["error"]["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "Scroll operation is not supported in hybrid query",
    }
    # a scroll through a pipeline without a hybrid query still runs it: the first page by p
    page = engine.perform_request(
        "POST", "/m/_search", params={"search_pipeline": "bf", "scroll": "1m"}, body={"query": APPLE}, headers=JSON
    ).body
    assert hits(page) == by_field(plain(engine, APPLE))
    engine.clear_scroll(scroll_id=page["_scroll_id"])


# ---------------------------------------------------------------------------------------- Engine.plan


def test_plan_through_a_pipeline(engine: Engine) -> None:
    text = str(engine.plan(index="m", body={"query": HYBRID, "size": 4}, search_pipeline="hy"))
    assert "HybridFuse(normalization=min_max, combination=arithmetic_mean, window=4" in text
    # the body's search_pipeline, inline or by name, is read too
    inline = engine.plan(index="m", body={"query": HYBRID, "search_pipeline": NORMALIZE})
    assert "HybridFuse" in str(inline)
    # without a pipeline a hybrid query cannot be planned
    assert (
        "normalization-processor" in api_error(engine.plan, index="m", body={"query": HYBRID}).body["error"]["reason"]
    )
    # response processors reorder the hits after the search: refused by name, "_none" plans without them
    err = api_error(engine.plan, index="m-default", body={"query": APPLE})
    assert err.body["error"]["reason"] == (
        "a plan through search pipeline [bf], which has response processors is not supported in retrievo: they "
        "reorder the hits after the search, which a plan cannot show; plan with search_pipeline='_none'"
    )
    assert "HybridFuse" not in str(engine.plan(index="m-default", body={"query": APPLE}, search_pipeline="_none"))
    err = api_error(engine.plan, index="m", body={"query": APPLE}, search_pipeline="nope")
    assert err.body["error"]["reason"] == "Pipeline nope is not defined"


# ---------------------------------------------------------------------------------------- a real server


def test_msearch_with_opensearch_py_on_a_server(tmp_path: Any) -> None:
    """What an OpenSearch user writes: opensearch-py's ``msearch`` against ``retrievo serve``, one
    search naming a hybrid pipeline in its body, one through its index's default pipeline."""
    opensearchpy = pytest.importorskip("opensearchpy")
    from server_process import ServerProcess

    server = ServerProcess("--no-persist")
    try:
        client = opensearchpy.OpenSearch(hosts=[{"host": server.host, "port": server.port}], timeout=60)
        client.search_pipeline.put(id="bf", body=BY_FIELD)
        client.search_pipeline.put(id="hy", body=NORMALIZE)
        fill(client, "m")
        fill(client, "m-default", {"index.search.default_pipeline": "bf"})
        searches = [
            {"index": "m"},
            {"query": HYBRID, "size": 5, "search_pipeline": "hy"},
            {"index": "m-default"},
            {"query": APPLE},
            {"index": "m"},
            {"query": APPLE, "search_pipeline": "nope"},
        ]
        responses = client.msearch(body=searches)["responses"]
        assert_close(hits(responses[0]), hybrid(client, 5))
        assert hits(responses[1]) == by_field(plain(client, APPLE))
        assert responses[2] == error_item(400, "illegal_argument_exception", "Pipeline nope is not defined")
        assert not math.isnan(responses[0]["hits"]["max_score"])
    finally:
        server.stop()
