"""OpenSearch search pipelines on a real ``retrievo serve``: the ``_search/pipeline`` API through
``opensearch-py`` and raw HTTP, the ``rerank`` response processor's ``by_field`` and ``ml_opensearch``
types, ``index.search.default_pipeline``, ``search_pipeline=_none``, ``ext`` and ``ignore_failure``.

Every expectation is computed here: ``by_field`` orders by hand from the documents' own field values
(a stable sort on the page the plain search returned, as Java's ``Collections.sort`` is);
``ml_opensearch`` scores come from ``CrossEncoder(<the tiny model>).predict(pairs, activation_fn=Identity())``
on the same model the server loads; error bodies are OpenSearch's, quoted from its source
(neural-search's rerank classes, core's ``SearchPipelineService``/``PipelineWithMetrics``/``ConfigurationUtils``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_cache import hub_env, place_in_hub_cache
from server_process import ServerProcess
from tiny_models import save_tiny_bert

opensearchpy = pytest.importorskip("opensearchpy")
torch = pytest.importorskip("torch")

CROSS_ENCODER = "huggingface/cross-encoders/ms-marco-MiniLM-L-6-v2"
HUB_ID = "cross-encoder/ms-marco-MiniLM-L-6-v2"

#: id → document. ``r`` is the by_field target; ``t`` the text searched.
DOCS: dict[str, dict[str, Any]] = {
    "1": {"t": "moon sun", "r": {"score": 2}, "title": "the moon"},
    "2": {"t": "moon moon lake", "r": {"score": "10.5", "note": "kept"}, "title": "lake"},
    "3": {"t": "moon", "r": {"score": -1.25}, "title": ["solar", "eclipse"]},
    "4": {"t": "sun lake solar", "r": {"score": 2}, "title": 7},
    "5": {
        "t": "moon sun lake eclipse",
        "r": {"score": 0},
        "title": {"a": 1},
        "parts": [{"x": "lake"}, {"y": 1}, {"x": 2.5}],
    },
    "6": {"t": "fox dog", "r": {"score": "abc"}},
}
MOON = {"match": {"t": "moon"}}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("pipelines") / "cross-encoder")


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    hf_home = tmp_path_factory.mktemp("hf-home")
    place_in_hub_cache(hf_home, HUB_ID, model_dir)
    proc = ServerProcess("--no-persist", env=hub_env(hf_home))
    try:
        settings = {"persistent": {"plugins.ml_commons.only_run_on_ml_node": "false"}}
        status, _, payload = proc.request("PUT", "/_cluster/settings", settings)
        assert status == 200, payload
        # only ``t`` is indexed: the other fields hold values of every JSON type, kept in _source
        index_body = {"mappings": {"dynamic": False, "properties": {"t": {"type": "text"}}}}
        status, _, payload = proc.request("PUT", "/docs", index_body)
        assert status == 200, payload
        ops = "".join(
            json.dumps({"index": {"_index": "docs", "_id": i}}) + "\n" + json.dumps(d) + "\n" for i, d in DOCS.items()
        )
        status, _, payload = proc.request("POST", "/_bulk?refresh=true", ops, {"Content-Type": "application/x-ndjson"})
        assert status == 200 and not json.loads(payload)["errors"], payload
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Any:
    return opensearchpy.OpenSearch(hosts=[{"host": server.host, "port": server.port}], timeout=120)


@pytest.fixture(scope="module")
def model_id(server: ServerProcess) -> str:
    """The tiny cross-encoder registered and deployed as OpenSearch's pretrained-model guide does."""
    status, answer = call(
        server,
        "POST",
        "/_plugins/_ml/models/_register?deploy=true",
        {"name": CROSS_ENCODER, "version": "1.0.2", "model_format": "TORCH_SCRIPT"},
    )
    assert status == 200, answer
    status, task = call(server, "GET", f"/_plugins/_ml/tasks/{answer['task_id']}")
    assert status == 200 and task["state"] == "COMPLETED", task
    return str(task["model_id"])


def call(server: ServerProcess, method: str, target: str, body: Any = None) -> tuple[int, Any]:
    status, _, payload = server.request(method, target, body)
    return status, json.loads(payload) if payload else None


def error_of(status: int, error_type: str, reason: str, **extra: Any) -> dict[str, Any]:
    cause = {"type": error_type, "reason": reason, **extra}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def processing_error(status: int, java_class: str, error_type: str, reason: str) -> dict[str, Any]:
    """``SearchPipelineProcessingException`` around a Java exception, as OpenSearch renders it."""
    cause = {"type": error_type, "reason": reason}
    return {
        "error": {
            "root_cause": [cause],
            "type": "search_pipeline_processing_exception",
            "reason": f"{java_class}: {reason}",
            "caused_by": cause,
        },
        "status": status,
    }


def by_field(**settings: Any) -> dict[str, Any]:
    return {"response_processors": [{"rerank": {"by_field": {"target_field": "r.score", **settings}}}]}


def plain(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The same search without any pipeline."""
    return dict(client.search(index="docs", body=body, params={"search_pipeline": "_none"}))


def java_float(value: Any) -> float:
    return float(np.float32(float(value)))


def expected_by_field(page: list[dict[str, Any]], field: str = "score") -> list[tuple[str, float]]:
    """The page re-sorted by ``r.<field>`` descending; ties keep the page's order (a stable sort)."""
    scored = [(h["_id"], java_float(DOCS[h["_id"]]["r"][field])) for h in page]
    return sorted(scored, key=lambda item: -item[1])


# ---------------------------------------------------------------------------------------- the API


def test_put_get_delete(client: Any, server: ServerProcess) -> None:
    first = {"description": "first", "version": 3, **by_field()}
    second = {"response_processors": [{"rerank": {"by_field": {"target_field": "x"}, "tag": "t1"}}]}
    assert client.search_pipeline.put(id="api-one", body=first) == {"acknowledged": True}
    assert client.search_pipeline.put(id="api-two", body=second) == {"acknowledged": True}
    assert client.search_pipeline.get(id="api-one") == {"api-one": first}  # the definition as it was put
    assert client.search_pipeline.get(id="api-*") == {"api-one": first, "api-two": second}
    assert client.search_pipeline.get(id="api-two,api-one") == {"api-two": second, "api-one": first}
    everything = client.search_pipeline.get()
    assert everything["api-one"] == first and everything["api-two"] == second
    # a missing pipeline: 404 with an empty object, as GetSearchPipelineResponse.status() answers
    assert call(server, "GET", "/_search/pipeline/api-missing") == (404, {})
    with pytest.raises(opensearchpy.NotFoundError):
        client.search_pipeline.get(id="api-missing")
    # put replaces
    client.search_pipeline.put(id="api-two", body=first)
    assert client.search_pipeline.get(id="api-two") == {"api-two": first}
    assert client.search_pipeline.delete(id="api-*") == {"acknowledged": True}
    assert call(server, "GET", "/_search/pipeline/api-one") == (404, {})
    assert call(server, "DELETE", "/_search/pipeline/api-one") == (
        404,
        error_of(404, "resource_not_found_exception", "pipeline [api-one] is missing"),
    )


def test_put_without_body(server: ServerProcess) -> None:
    assert call(server, "PUT", "/_search/pipeline/nobody") == (
        400,
        error_of(400, "parse_exception", "request body or source parameter is required"),
    )
    # anything but an object reads as an empty map (XContentParser.map()): an empty pipeline
    status, _, payload = server.request(
        "PUT", "/_search/pipeline/not-an-object", "[1, 2]", {"Content-Type": "application/json"}
    )
    assert (status, json.loads(payload)) == (200, {"acknowledged": True})
    assert call(server, "GET", "/_search/pipeline/not-an-object") == (200, {"not-an-object": {}})
    # a text names a pipeline (SearchSourceBuilder since OpenSearch 2.18); null is no value there
    status, answer = call(server, "POST", "/docs/_search", {"query": MOON, "search_pipeline": "x"})
    assert (status, answer) == (400, error_of(400, "illegal_argument_exception", "Pipeline x is not defined"))
    status, answer = call(server, "POST", "/docs/_search", {"query": MOON, "search_pipeline": None})
    assert (status, answer) == (
        400,
        error_of(400, "parsing_exception", "Unknown key for a VALUE_NULL in [search_pipeline]."),
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"response_processors": [{"rerank": {}}]},
            error_of(
                400,
                "illegal_argument_exception",
                "No rerank type found. Possible rerank types are: [ml_opensearch, by_field]",
            ),
        ),
        (
            {
                "response_processors": [
                    {"rerank": {"ml_opensearch": {"model_id": "m"}, "by_field": {"target_field": "x"}}}
                ]
            },
            # the keys as Java's HashMap iterates them
            error_of(
                400,
                "illegal_argument_exception",
                "Multiple rerank types found: [by_field, ml_opensearch]. Only one is permitted.",
            ),
        ),
        (
            {"response_processors": [{"rerank": {"ml_opensearch": {"model_id": "m"}}}]},
            error_of(
                400,
                "parse_exception",
                "[context] required property is missing",
                processor_type="rerank",
                property_name="context",
            ),
        ),
        (
            {"response_processors": [{"rerank": {"ml_opensearch": {}, "context": {"document_fields": ["t"]}}}]},
            error_of(
                400,
                "parse_exception",
                "[model_id] required property is missing",
                processor_type="rerank",
                property_name="model_id",
            ),
        ),
        (
            {
                "response_processors": [
                    {"rerank": {"tag": "t9", "ml_opensearch": {"model_id": 5}, "context": {"document_fields": ["t"]}}}
                ]
            },
            error_of(
                400,
                "parse_exception",
                "[model_id] property isn't a string, but of type [java.lang.Integer]",
                processor_type="rerank",
                processor_tag="t9",
                property_name="model_id",
            ),
        ),
        (
            {
                "response_processors": [
                    {"rerank": {"ml_opensearch": {"model_id": "m"}, "context": {"document_fields": "t"}}}
                ]
            },
            error_of(400, "illegal_argument_exception", "document_fields must be a list of field names"),
        ),
        (
            {
                "response_processors": [
                    {"rerank": {"ml_opensearch": {"model_id": "m"}, "context": {"document_fields": []}}}
                ]
            },
            error_of(400, "illegal_argument_exception", "document_fields must be nonempty"),
        ),
        (
            {"response_processors": [{"rerank": {"ml_opensearch": {"model_id": "m"}, "context": {"fields": ["t"]}}}]},
            error_of(400, "illegal_argument_exception", "unrecognized context field: fields"),
        ),
        (
            {"response_processors": [{"rerank": {"ml_opensearch": {"model_id": "m"}, "context": "t"}}]},
            error_of(
                400,
                "parse_exception",
                "[context] property isn't a map, but of type [java.lang.String]",
                processor_type="rerank",
                property_name="context",
            ),
        ),
        (
            {
                "response_processors": [
                    {"rerank": {"by_field": {"target_field": "x"}, "context": {"document_fields": ["t"]}}}
                ]
            },
            # by_field reads no context, so it is left over
            error_of(
                400,
                "parse_exception",
                "processor [rerank] doesn't support one or more provided configuration parameters: [context]",
            ),
        ),
        (
            {"response_processors": [{"rerank": {"by_field": {"target_field": "x", "keep_previous_score": "yes"}}}]},
            error_of(
                400,
                "parse_exception",
                "[keep_previous_score] property isn't a boolean, but of type [java.lang.String]",
                processor_type="rerank",
                property_name="keep_previous_score",
            ),
        ),
        (
            {"response_processors": [{"rerank": {"by_field": {"target_field": "x"}, "ignore_failure": "true"}}]},
            error_of(
                400,
                "parse_exception",
                "[ignore_failure] property isn't a boolean, but of type [java.lang.String]",
                property_name="ignore_failure",
            ),
        ),
        (
            {"response_processors": [{"bogus": {}}]},
            error_of(400, "illegal_argument_exception", "Invalid processor type bogus"),
        ),
        (
            {"request_processors": [{"rerank": {"by_field": {"target_field": "x"}}}]},  # a response processor
            error_of(400, "illegal_argument_exception", "Invalid processor type rerank"),
        ),
        (
            {"response_processors": [{"rename_field": {"field": "a", "target_field": "b"}}]},
            error_of(
                400, "illegal_argument_exception", "the [rename_field] search processor is not supported in retrievo"
            ),
        ),
        (
            {"response_processors": "rerank"},
            error_of(
                400,
                "parse_exception",
                "[response_processors] property isn't a list, but of type [java.lang.String]",
                property_name="response_processors",
            ),
        ),
        (
            {"version": "v1"},
            error_of(
                400, "parse_exception", "[version] property cannot be converted to an int [v1]", property_name="version"
            ),
        ),
        (
            {"descriptio": "typo", "processors": []},
            # in the order a java.util.HashMap of the two keys iterates them (checked with a JDK)
            error_of(
                400,
                "parse_exception",
                "pipeline [bad] doesn't support one or more provided configuration parameters [descriptio, processors]",
            ),
        ),
    ],
)
def test_put_errors(client: Any, server: ServerProcess, body: dict[str, Any], expected: dict[str, Any]) -> None:
    """OpenSearch's validation at PUT time; a refused pipeline changes nothing."""
    client.search_pipeline.put(id="bad", body={"description": "before"})
    status, answer = call(server, "PUT", "/_search/pipeline/bad", body)
    assert (status, answer) == (expected["status"], expected)
    assert client.search_pipeline.get(id="bad") == {"bad": {"description": "before"}}


def test_a_processor_that_is_not_a_map(server: ServerProcess) -> None:
    status, answer = call(server, "PUT", "/_search/pipeline/bad", {"response_processors": ["rerank"]})
    reason = (
        "class java.lang.String cannot be cast to class java.util.Map (java.lang.String and java.util.Map are in "
        "module java.base of loader 'bootstrap')"
    )
    assert (status, answer) == (500, error_of(500, "class_cast_exception", reason))


def test_the_model_is_not_checked_at_put_time(client: Any) -> None:
    """``RerankProcessorFactory`` builds the processor without asking ML Commons about the model."""
    body = {
        "response_processors": [
            {"rerank": {"ml_opensearch": {"model_id": "no-such-model"}, "context": {"document_fields": ["t"]}}}
        ]
    }
    assert client.search_pipeline.put(id="lazy-model", body=body) == {"acknowledged": True}


# ---------------------------------------------------------------------------------------- by_field


def test_by_field_reorders_the_page(client: Any) -> None:
    client.search_pipeline.put(id="bf", body=by_field())
    before = plain(client, {"query": MOON})
    after = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "bf"})
    expected = expected_by_field(before["hits"]["hits"])
    assert [(h["_id"], h["_score"]) for h in after["hits"]["hits"]] == expected
    assert after["hits"]["max_score"] == expected[0][1]
    assert after["hits"]["total"] == before["hits"]["total"]
    # nothing else of a hit changes (the source keeps its target field by default)
    for hit in after["hits"]["hits"]:
        assert hit["_source"] == DOCS[hit["_id"]]


def test_by_field_sees_only_the_returned_page(client: Any) -> None:
    client.search_pipeline.put(id="bf", body=by_field())
    for body in ({"query": MOON, "size": 2}, {"query": MOON, "size": 2, "from": 1}):
        page = plain(client, body)["hits"]["hits"]
        after = client.search(index="docs", body=body, params={"search_pipeline": "bf"})
        assert [(h["_id"], h["_score"]) for h in after["hits"]["hits"]] == expected_by_field(page)


def test_by_field_ties_keep_the_search_order(client: Any) -> None:
    """Docs 1 and 4 both score 2 by field: they stay in the order the search gave them."""
    client.search_pipeline.put(id="bf", body=by_field())
    for query in ({"match": {"t": "sun"}}, {"match": {"t": "lake sun solar"}}):
        page = plain(client, {"query": query})["hits"]["hits"]
        order = [h["_id"] for h in page]
        assert {"1", "4"} <= set(order)
        after = client.search(index="docs", body={"query": query}, params={"search_pipeline": "bf"})
        got = [h["_id"] for h in after["hits"]["hits"]]
        assert [i for i in got if i in ("1", "4")] == [i for i in order if i in ("1", "4")]


def test_by_field_keep_previous_score_and_remove_target_field(client: Any) -> None:
    client.search_pipeline.put(
        id="bf-keep",
        body=by_field(keep_previous_score=True, remove_target_field=True, previous_score_field="was"),
    )
    before = plain(client, {"query": MOON})
    previous = {h["_id"]: h["_score"] for h in before["hits"]["hits"]}
    after = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "bf-keep"})
    assert [(h["_id"], h["_score"]) for h in after["hits"]["hits"]] == expected_by_field(before["hits"]["hits"])
    for hit in after["hits"]["hits"]:
        source = {k: v for k, v in DOCS[hit["_id"]].items()}
        rest = {k: v for k, v in source["r"].items() if k != "score"}
        expected = {k: v for k, v in source.items() if k != "r"}
        if rest:  # the emptied parent object goes too; one with other keys stays
            expected["r"] = rest
        expected["was"] = previous[hit["_id"]]
        assert hit["_source"] == expected


def test_by_field_default_previous_score_field(client: Any) -> None:
    client.search_pipeline.put(id="bf-prev", body=by_field(keep_previous_score=True))
    before = plain(client, {"query": MOON})
    after = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "bf-prev"})
    previous = {h["_id"]: h["_score"] for h in before["hits"]["hits"]}
    for hit in after["hits"]["hits"]:
        assert hit["_source"] == {**DOCS[hit["_id"]], "previous_score": previous[hit["_id"]]}


def test_by_field_writes_the_source_as_java_hashmap_orders_it(client: Any, server: ServerProcess) -> None:
    """OpenSearch re-serialises the source map it changed: its keys come out in ``HashMap`` order
    (for doc 1's ``t, r, title`` plus ``previous_score``: ``r, t, previous_score, title``, as a JDK's
    ``HashMap`` iterates them)."""
    client.search_pipeline.put(id="bf-prev", body=by_field(keep_previous_score=True))
    status, _, payload = server.request(
        "POST", "/docs/_search?search_pipeline=bf-prev", {"query": {"ids": {"values": ["1"]}}}
    )
    assert status == 200
    (hit,) = json.loads(payload)["hits"]["hits"]
    assert list(hit["_source"]) == ["r", "t", "previous_score", "title"]
    _, _, plain_payload = server.request("POST", "/docs/_search", {"query": {"ids": {"values": ["1"]}}})
    assert list(json.loads(plain_payload)["hits"]["hits"][0]["_source"]) == ["t", "r", "title"]  # untouched as sent


def test_by_field_failures(client: Any, server: ServerProcess) -> None:
    client.search_pipeline.put(id="bf-missing", body=by_field(target_field="r.nothing"))
    client.search_pipeline.put(id="bf", body=by_field())
    first = plain(client, {"query": MOON})["hits"]["hits"][0]["_id"]
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=bf-missing", {"query": MOON})
    reason = f"The field to rerank by is not found at hit [{first}]"
    assert (status, answer) == (
        400,
        processing_error(400, "java.lang.IllegalArgumentException", "illegal_argument_exception", reason),
    )
    # a string that is not a number (doc 6), found by the check that runs over every hit first
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=bf", {"query": {"match": {"t": "fox"}}})
    reason = "The field mapping to rerank by [abc] is not Numerical, instead of type [String]"
    assert (status, answer) == (
        400,
        processing_error(400, "java.lang.IllegalArgumentException", "illegal_argument_exception", reason),
    )
    # no _source to read
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=bf", {"query": MOON, "_source": False})
    reason = f"There is no source field to be able to perform rerank on hit [{first}]"
    assert (status, answer) == (
        400,
        processing_error(400, "java.lang.IllegalArgumentException", "illegal_argument_exception", reason),
    )
    with pytest.raises(opensearchpy.RequestError) as caught:
        client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "bf-missing"})
    assert caught.value.status_code == 400 and caught.value.error == "search_pipeline_processing_exception"


def test_ignore_failure_passes_the_response_through(client: Any) -> None:
    body = {
        "response_processors": [
            {"rerank": {"by_field": {"target_field": "r.nothing"}, "ignore_failure": True}},
            {"rerank": {"by_field": {"target_field": "r.score"}}},
        ]
    }
    client.search_pipeline.put(id="bf-ignore", body=body)
    before = plain(client, {"query": MOON})
    after = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "bf-ignore"})
    # the first processor failed and was skipped; the second ran on the unchanged response
    assert [(h["_id"], h["_score"]) for h in after["hits"]["hits"]] == expected_by_field(before["hits"]["hits"])
    only_failing = {"response_processors": [body["response_processors"][0]]}
    client.search_pipeline.put(id="bf-ignore-only", body=only_failing)
    after = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "bf-ignore-only"})
    assert after["hits"] == before["hits"]


def test_nothing_matched_is_left_alone(client: Any) -> None:
    client.search_pipeline.put(id="bf-missing", body=by_field(target_field="r.nothing"))
    response = client.search(
        index="docs", body={"query": {"match": {"t": "grape"}}}, params={"search_pipeline": "bf-missing"}
    )
    assert response["hits"]["total"] == {"value": 0, "relation": "eq"} and response["hits"]["hits"] == []


def test_matches_beyond_the_page_and_an_empty_page(server: ServerProcess, client: Any) -> None:
    """Hits matched but none returned (``size: 0``): OpenSearch reads the first hit's score and fails."""
    client.search_pipeline.put(id="bf", body=by_field())
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=bf", {"query": MOON, "size": 0})
    assert (status, answer) == (
        500,
        processing_error(
            500,
            "java.lang.ArrayIndexOutOfBoundsException",
            "array_index_out_of_bounds_exception",
            "Index 0 out of bounds for length 0",
        ),
    )


# ---------------------------------------------------------------------------------------- which pipeline runs


def test_unknown_pipeline_and_none(client: Any, server: ServerProcess) -> None:
    assert call(server, "POST", "/docs/_search?search_pipeline=nope", {"query": MOON}) == (
        400,
        error_of(400, "illegal_argument_exception", "Pipeline nope is not defined"),
    )
    # the unknown pipeline is reported before the missing index
    assert call(server, "POST", "/no-such-index/_search?search_pipeline=nope", {"query": MOON})[0] == 400


def test_index_default_pipeline(client: Any, server: ServerProcess) -> None:
    client.search_pipeline.put(id="bf", body=by_field())
    client.indices.create(
        index="with-default",
        body={
            "settings": {"index.search.default_pipeline": "bf"},
            "mappings": {"dynamic": False, "properties": {"t": {"type": "text"}}},
        },
    )
    try:
        for i, doc in DOCS.items():
            client.index(index="with-default", id=i, body=doc)
        client.indices.refresh(index="with-default")
        settings = client.indices.get_settings(index="with-default")["with-default"]["settings"]["index"]
        assert settings["search"] == {"default_pipeline": "bf"}
        body = {"query": MOON}
        plain_hits = client.search(index="with-default", body=body, params={"search_pipeline": "_none"})["hits"]["hits"]
        expected = expected_by_field(plain_hits)
        reranked = client.search(index="with-default", body=body)
        assert [(h["_id"], h["_score"]) for h in reranked["hits"]["hits"]] == expected
        # each search of an _msearch runs through it too (tests/opensearch/test_pipelines_msearch.py)
        (item,) = client.msearch(body=[{"index": "with-default"}, body])["responses"]
        assert [(h["_id"], h["_score"]) for h in item["hits"]["hits"]] == expected
        # a named pipeline wins over the default
        client.search_pipeline.put(id="bf-other", body=by_field(target_field="title"))
        status, answer = call(server, "POST", "/with-default/_search?search_pipeline=bf-other", body)
        assert status == 400 and answer["error"]["type"] == "search_pipeline_processing_exception"
        # two indices with different defaults: none runs; the same default: it runs
        client.indices.put_settings(index="docs", body={"index.search.default_pipeline": "bf-other"})
        both = client.search(index="with-default,docs", body=body)
        plain_both = client.search(index="with-default,docs", body=body, params={"search_pipeline": "_none"})
        assert both["hits"] == plain_both["hits"]
        client.indices.put_settings(index="docs", body={"index": {"search": {"default_pipeline": "bf"}}})
        both = client.search(index="with-default,docs", body=body)
        assert [(h["_id"], h["_score"]) for h in both["hits"]["hits"]] == expected_by_field(plain_both["hits"]["hits"])
        # reset: the setting goes away
        client.indices.put_settings(index="docs", body={"index.search.default_pipeline": None})
        assert "search" not in client.indices.get_settings(index="docs")["docs"]["settings"]["index"]
        # a default naming a pipeline that does not exist fails the search
        client.indices.put_settings(index="with-default", body={"index.search.default_pipeline": "gone"})
        assert call(server, "POST", "/with-default/_search", body) == (
            400,
            error_of(400, "illegal_argument_exception", "Pipeline gone is not defined"),
        )
    finally:
        client.indices.delete(index="with-default")


def test_inline_pipeline(client: Any, server: ServerProcess) -> None:
    before = plain(client, {"query": MOON})
    after = client.search(index="docs", body={"query": MOON, "search_pipeline": by_field()})
    assert [(h["_id"], h["_score"]) for h in after["hits"]["hits"]] == expected_by_field(before["hits"]["hits"])
    status, answer = call(
        server, "POST", "/docs/_search?search_pipeline=bf", {"query": MOON, "search_pipeline": by_field()}
    )
    assert (status, answer) == (
        400,
        error_of(
            400,
            "illegal_argument_exception",
            "Both named and inline search pipeline were specified. Please only specify one or the other.",
        ),
    )
    status, answer = call(
        server, "POST", "/docs/_search", {"query": MOON, "search_pipeline": {"response_processors": [{"x": {}}]}}
    )
    cause = {"type": "illegal_argument_exception", "reason": "Invalid processor type x"}
    assert (status, answer) == (
        400,
        {
            "error": {
                "root_cause": [cause],
                "type": "search_pipeline_processing_exception",
                "reason": "java.lang.IllegalArgumentException: Invalid processor type x",
                "caused_by": cause,
            },
            "status": 400,
        },
    )


def test_ext(client: Any, server: ServerProcess) -> None:
    """``ext.rerank`` is always accepted (neural-search registers it) and ignored without a reader."""
    body = {"query": MOON}
    with_ext = client.search(index="docs", body={**body, "ext": {"rerank": {"query_context": {"query_text": "x"}}}})
    assert with_ext["hits"] == plain(client, body)["hits"]
    status, answer = call(server, "POST", "/docs/_search", {**body, "ext": {"generative_qa_parameters": {}}})
    assert (status, answer) == (
        400,
        error_of(400, "illegal_argument_exception", "[ext.generative_qa_parameters] is not supported in retrievo"),
    )
    status, answer = call(server, "POST", "/docs/_search", {**body, "ext": "rerank"})
    assert (status, answer) == (400, error_of(400, "parsing_exception", "Unknown key for a VALUE_STRING in [ext]."))


# ---------------------------------------------------------------------------------------- ml_opensearch


def ml_pipeline(model: str, fields: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "response_processors": [
            {"rerank": {"ml_opensearch": {"model_id": model}, "context": {"document_fields": fields}, **extra}}
        ]
    }


def cross_scores(model_dir: Path, query: str, texts: list[str]) -> list[float]:
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device="cpu")
    raw = model.predict([(query, t) for t in texts], activation_fn=torch.nn.Identity())
    return [float(np.float32(s)) for s in raw]


def document_text(doc: dict[str, Any], fields: list[str]) -> str:
    """neural-search's document context, written out: each field's value as Java prints it, the
    fields concatenated without a separator; a list of strings prints as ``[a, b]`` (it comes back
    wrapped in another list), a map as ``{k=v}``, a missing field as ``""``."""
    out = []
    for name in fields:
        if name == "parts.x":  # a path through a list of objects: the values found, joined by spaces
            out.append(" ".join(str(p["x"]) for p in doc.get("parts", []) if "x" in p))
            continue
        value = doc.get(name)
        if value is None:
            out.append("")
        elif isinstance(value, list):
            out.append("[" + ", ".join(value) + "]")
        elif isinstance(value, dict):
            out.append("{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}")
        else:
            out.append(str(value))
    return "".join(out)


def test_ml_opensearch_document_fields(client: Any, model_id: str, model_dir: Path) -> None:
    fields = ["title", "t", "missing", "parts.x"]
    client.search_pipeline.put(id="ml", body=ml_pipeline(model_id, fields))
    query = "moon eclipse"
    body = {"query": MOON, "ext": {"rerank": {"query_context": {"query_text": query}}}}
    page = plain(client, {"query": MOON})["hits"]["hits"]
    ids = [h["_id"] for h in page]
    scores = cross_scores(model_dir, query, [document_text(DOCS[i], fields) for i in ids])
    expected = sorted(zip(ids, scores), key=lambda item: -item[1])
    response = client.search(index="docs", body=body, params={"search_pipeline": "ml"})
    got = [(h["_id"], h["_score"]) for h in response["hits"]["hits"]]
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
    assert response["hits"]["max_score"] == got[0][1]


def test_ml_opensearch_query_text_path(client: Any, model_id: str, model_dir: Path) -> None:
    """The path reads the request as OpenSearch prints it: ``match``'s short form has a ``query`` key."""
    client.search_pipeline.put(id="ml", body=ml_pipeline(model_id, ["t"]))
    query_text = "moon lake"
    body = {
        "query": {"match": {"t": query_text}},
        "ext": {"rerank": {"query_context": {"query_text_path": "query.match.t.query"}}},
    }
    page = plain(client, {"query": {"match": {"t": query_text}}})["hits"]["hits"]
    ids = [h["_id"] for h in page]
    scores = cross_scores(model_dir, query_text, [DOCS[i]["t"] for i in ids])
    response = client.search(index="docs", body=body, params={"search_pipeline": "ml"})
    assert [h["_id"] for h in response["hits"]["hits"]] == [i for i, _ in sorted(zip(ids, scores), key=lambda x: -x[1])]
    assert np.allclose(
        sorted((h["_score"] for h in response["hits"]["hits"]), reverse=True), sorted(scores, reverse=True), atol=1e-5
    )


@pytest.mark.parametrize(
    ("query_context", "status", "java_class", "error_type", "reason"),
    [
        (None, 500, "java.lang.NullPointerException", "null_pointer_exception", None),
        ({}, 400, "java.lang.IllegalArgumentException", "illegal_argument_exception", "must specify query_context"),
        (
            {"query_context": "x"},
            400,
            "java.lang.IllegalArgumentException",
            "illegal_argument_exception",
            "query_context must be a map",
        ),
        (
            {"query_context": {"query_text": "a", "query_text_path": "query"}},
            400,
            "java.lang.IllegalArgumentException",
            "illegal_argument_exception",
            'Cannot specify both "query_text" and "query_text_path"',
        ),
        (
            {"query_context": {}},
            400,
            "java.lang.IllegalArgumentException",
            "illegal_argument_exception",
            'Must specify either "query_text" or "query_text_path"',
        ),
        (
            {"query_context": {"query_text_path": "query.match.t"}},  # an object, not a string
            400,
            "java.lang.IllegalArgumentException",
            "illegal_argument_exception",
            "query_text_path must point to a string field",
        ),
        (
            {"query_context": {"query_text_path": "x" * 1001}},
            400,
            "java.lang.IllegalArgumentException",
            "illegal_argument_exception",
            "query_text_path exceeded the maximum path length of 1000 characters",
        ),
        (
            {"query_context": {"query_text_path": ".".join("q" * 21)}},
            400,
            "java.lang.IllegalArgumentException",
            "illegal_argument_exception",
            "query_text_path exceeded the maximum path length of 20 nested fields",
        ),
    ],
)
def test_ml_opensearch_query_context_errors(
    server: ServerProcess,
    client: Any,
    query_context: dict[str, Any] | None,
    status: int,
    java_class: str,
    error_type: str,
    reason: str | None,
) -> None:
    client.search_pipeline.put(id="ml-ctx", body=ml_pipeline("any-model", ["t"]))
    body: dict[str, Any] = {"query": MOON}
    if query_context is not None:
        body["ext"] = {"rerank": query_context}
    got_status, answer = call(server, "POST", "/docs/_search?search_pipeline=ml-ctx", body)
    if reason is None:  # no ext.rerank at all: the JDK's helpful NullPointerException message
        reason = answer["error"]["caused_by"]["reason"]
        assert "RerankSearchExtBuilder.getParams()" in reason
    assert (got_status, answer) == (status, processing_error(status, java_class, error_type, reason))


def test_ml_opensearch_model_errors(client: Any, server: ServerProcess, model_id: str) -> None:
    ext = {"rerank": {"query_context": {"query_text": "moon"}}}
    client.search_pipeline.put(id="ml-missing", body=ml_pipeline("no-such-model", ["t"]))
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=ml-missing", {"query": MOON, "ext": ext})
    # the model layer's own error, wrapped as a failed processor: its status and root cause carry over
    status_direct, direct = call(
        server, "POST", "/_plugins/_ml/models/no-such-model/_predict", {"query_text": "q", "text_docs": ["d"]}
    )
    assert status == status_direct
    assert answer["error"]["type"] == "search_pipeline_processing_exception"
    assert answer["error"]["root_cause"] == direct["error"]["root_cause"]
    assert answer["error"]["caused_by"] == {k: v for k, v in direct["error"].items() if k != "root_cause"}
    # ignore_failure: the search answers as if there were no pipeline
    client.search_pipeline.put(id="ml-ignore", body=ml_pipeline("no-such-model", ["t"], ignore_failure=True))
    response = client.search(index="docs", body={"query": MOON, "ext": ext}, params={"search_pipeline": "ml-ignore"})
    assert response["hits"] == plain(client, {"query": MOON})["hits"]


def test_ml_opensearch_without_document_fields(client: Any, server: ServerProcess, model_id: str) -> None:
    client.search_pipeline.put(
        id="ml-noctx",
        body={"response_processors": [{"rerank": {"ml_opensearch": {"model_id": model_id}, "context": {}}}]},
    )
    ext = {"rerank": {"query_context": {"query_text": "moon"}}}
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=ml-noctx", {"query": MOON, "ext": ext})
    reason = 'No document context found! Perhaps "context.document_fields" is missing from the pipeline definition?'
    assert (status, answer) == (
        500,
        processing_error(500, "java.lang.IllegalStateException", "illegal_state_exception", reason),
    )


def test_two_rerank_processors_share_one_query_context(client: Any, server: ServerProcess, model_id: str) -> None:
    """The first rerank processor removes ``query_context`` from ``ext.rerank``: the second finds none."""
    one = ml_pipeline(model_id, ["t"])["response_processors"][0]
    client.search_pipeline.put(id="ml-twice", body={"response_processors": [one, one]})
    ext = {"rerank": {"query_context": {"query_text": "moon"}}}
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=ml-twice", {"query": MOON, "ext": ext})
    assert (status, answer) == (
        400,
        processing_error(
            400, "java.lang.IllegalArgumentException", "illegal_argument_exception", "must specify query_context"
        ),
    )


# ---------------------------------------------------------------------------- oversample, truncate_hits, filter_query


def test_oversample_rerank_truncate(client: Any) -> None:
    """The reranker sees ``ceil(size * sample_factor)`` candidates; the caller gets ``size`` of them."""
    body = {
        "request_processors": [{"oversample": {"sample_factor": 1.5}}],
        "response_processors": [{"rerank": {"by_field": {"target_field": "r.score"}}}, {"truncate_hits": {}}],
    }
    client.search_pipeline.put(id="over", body=body)
    candidates = plain(client, {"query": MOON, "size": 3})  # ceil(2 * 1.5)
    response = client.search(index="docs", body={"query": MOON, "size": 2}, params={"search_pipeline": "over"})
    expected = expected_by_field(candidates["hits"]["hits"])[:2]
    assert [(h["_id"], h["_score"]) for h in response["hits"]["hits"]] == expected
    assert response["hits"]["total"] == candidates["hits"]["total"]
    assert response["hits"]["max_score"] == expected[0][1]  # the reranked page's, kept by truncate_hits
    # no size: OpenSearch's default of 10, so 15 candidates and 10 back (there are only 5 moon documents)
    response = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "over"})
    assert [(h["_id"], h["_score"]) for h in response["hits"]["hits"]] == expected_by_field(
        plain(client, {"query": MOON, "size": 15})["hits"]["hits"]
    )


def test_truncate_hits(client: Any, server: ServerProcess) -> None:
    client.search_pipeline.put(id="cut", body={"response_processors": [{"truncate_hits": {"target_size": 2}}]})
    before = plain(client, {"query": MOON})
    response = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "cut"})
    assert response["hits"] == {**before["hits"], "hits": before["hits"]["hits"][:2]}
    client.search_pipeline.put(id="cut-ctx", body={"response_processors": [{"truncate_hits": {}}]})
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=cut-ctx", {"query": MOON})
    reason = "Must specify target_size unless an earlier processor set original_size"
    assert (status, answer) == (
        500,
        processing_error(500, "java.lang.IllegalStateException", "illegal_state_exception", reason),
    )
    prefixed = {
        "request_processors": [{"oversample": {"sample_factor": 2, "context_prefix": "a"}}],
        "response_processors": [{"truncate_hits": {"context_prefix": "b"}}],
    }
    client.search_pipeline.put(id="cut-prefix", body=prefixed)
    status, answer = call(server, "POST", "/docs/_search?search_pipeline=cut-prefix", {"query": MOON, "size": 1})
    reason = "Must specify target_size unless an earlier processor set b.original_size"
    assert (status, answer) == (
        500,
        processing_error(500, "java.lang.IllegalStateException", "illegal_state_exception", reason),
    )
    prefixed["response_processors"][0]["truncate_hits"]["context_prefix"] = "a"
    client.search_pipeline.put(id="cut-prefix", body=prefixed)
    response = client.search(index="docs", body={"query": MOON, "size": 1}, params={"search_pipeline": "cut-prefix"})
    assert [h["_id"] for h in response["hits"]["hits"]] == [h["_id"] for h in before["hits"]["hits"][:1]]


def test_filter_query(client: Any) -> None:
    client.search_pipeline.put(
        id="only-sun", body={"request_processors": [{"filter_query": {"query": {"match": {"t": "sun"}}}}]}
    )
    moon = plain(client, {"query": MOON})["hits"]["hits"]
    sun_ids = {h["_id"] for h in plain(client, {"query": {"match": {"t": "sun"}}})["hits"]["hits"]}
    response = client.search(index="docs", body={"query": MOON}, params={"search_pipeline": "only-sun"})
    # the filter does not score: the moon scores of the documents that also mention the sun
    assert [(h["_id"], h["_score"]) for h in response["hits"]["hits"]] == [
        (h["_id"], h["_score"]) for h in moon if h["_id"] in sun_ids
    ]
    # no query of its own: only the filter, so every hit scores 0
    response = client.search(index="docs", body={}, params={"search_pipeline": "only-sun"})
    assert {h["_id"] for h in response["hits"]["hits"]} == sun_ids
    assert {h["_score"] for h in response["hits"]["hits"]} == {0.0}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"request_processors": [{"filter_query": {}}]},
            error_of(
                400,
                "illegal_argument_exception",
                "Did not specify the query property in processor of type filter_query",
            ),
        ),
        (
            {"request_processors": [{"oversample": {"sample_factor": 0.5}}]},
            error_of(
                400,
                "parse_exception",
                "[sample_factor] Value must be >= 1.0",
                processor_type="oversample",
                property_name="sample_factor",
            ),
        ),
        (
            {"request_processors": [{"oversample": {"sample_factor": "many"}}]},
            error_of(
                400,
                "parse_exception",
                "[sample_factor] property cannot be converted to a double [many]",
                processor_type="oversample",
                property_name="sample_factor",
            ),
        ),
        (
            {"response_processors": [{"truncate_hits": {"target_size": -1}}]},
            error_of(
                400,
                "parse_exception",
                "[target_size] Value must be >= 0",
                processor_type="truncate_hits",
                property_name="target_size",
            ),
        ),
    ],
)
def test_common_processor_errors(server: ServerProcess, body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert call(server, "PUT", "/_search/pipeline/bad-common", body) == (expected["status"], expected)


def test_filter_query_is_parsed_when_put(server: ServerProcess) -> None:
    status, answer = call(
        server,
        "PUT",
        "/_search/pipeline/bad-common",
        {"request_processors": [{"filter_query": {"query": {"nope": {}}}}]},
    )
    assert status == 400 and "nope" in answer["error"]["reason"]
    assert call(server, "GET", "/_search/pipeline/bad-common") == (404, {})


def test_default_pipeline_setting_is_saved_with_the_index(tmp_path: Path) -> None:
    """``index.search.default_pipeline`` persists with its index (the pipelines themselves are in memory)."""
    from retrievo import Engine

    engine = Engine()
    engine.indices.create(index="x", settings={"index.search.default_pipeline": "p1"})
    engine.save(tmp_path)
    restored = Engine.load(tmp_path)
    assert restored.indices.get_settings(index="x")["x"]["settings"]["index"]["search"] == {"default_pipeline": "p1"}


def test_verbose_pipeline_is_refused(server: ServerProcess) -> None:
    reason = "[verbose_pipeline] is not supported in retrievo: retrievo does not report each search processor's results"
    for target, body in (("/docs/_search?verbose_pipeline=true", {}), ("/docs/_search", {"verbose_pipeline": True})):
        assert call(server, "POST", target, body) == (400, error_of(400, "illegal_argument_exception", reason))
    assert call(server, "POST", "/docs/_search?verbose_pipeline=false", {"size": 0})[0] == 200
