"""One scripted session, run with the in-process client and over HTTP against ``retrievo serve``: the
response bodies must be identical both ways.

Only timing is dropped before comparing: ``took`` (in the search, ``delete_by_query`` and ES|QL bodies).
Everything else, ``delete_by_query``'s ``throttled_millis`` included, must match as it is.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

import retrievo
from server_process import ServerProcess

WORDS = (
    "river stone forest light shadow harbor signal winter garden copper silver engine lantern orbit "
    "meadow thunder glass paper candle valley bridge tower ember canyon"
).split()
TAGS = ("alpha", "beta", "gamma", "delta")
DOCS = 1200
#: Keys whose values depend on the clock, dropped at any depth before comparing.
TIMING = frozenset({"took"})


def _docs(index: str, count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for i in range(count):
        yield {
            "_index": index,
            "_id": f"{index}-{i}",
            "title": " ".join(rng.choices(WORDS, k=rng.randint(2, 6))),
            "tag": rng.choice(TAGS),
            "n": rng.randint(0, 500),
            "vec": [round(rng.uniform(-1, 1), 3) for _ in range(4)],
        }


MAPPINGS = {
    "properties": {
        "title": {"type": "text"},
        "tag": {"type": "keyword"},
        "n": {"type": "integer"},
        "vec": {"type": "dense_vector", "dims": 4, "similarity": "cosine"},
    }
}


def _session(es: Elasticsearch) -> list[tuple[str, Any]]:
    """Every step's label and response body (``helpers.bulk``: its ``(ok, errors)`` result)."""
    out: list[tuple[str, Any]] = []

    def step(label: str, resp: Any) -> None:
        out.append((label, resp.body if hasattr(resp, "body") else resp))

    step("create a", es.indices.create(index="a", mappings=MAPPINGS))
    step("create b", es.indices.create(index="b", mappings=MAPPINGS))
    step("bulk a", helpers.bulk(es, _docs("a", DOCS, seed=13), chunk_size=300))
    step("bulk b", helpers.bulk(es, _docs("b", 200, seed=14)))
    step("refresh", es.indices.refresh(index="a,b"))
    step(
        "inference.put",
        es.inference.put(
            task_type="rerank",
            inference_id="len-rerank",
            inference_config={
                "service": "test_reranking_service",
                "service_settings": {"model_id": "m", "api_key": "k"},
                "task_settings": {"use_text_length": True},
            },
        ),
    )
    standard = {"standard": {"query": {"match": {"title": "river stone"}}}}
    knn = {"knn": {"field": "vec", "query_vector": [0.5, -0.2, 0.1, 0.9], "k": 20, "num_candidates": 50}}
    step("rrf", es.search(index="a", retriever={"rrf": {"retrievers": [standard, knn], "rank_window_size": 50}}))
    step(
        "linear",
        es.search(
            index="a",
            retriever={
                "linear": {
                    "retrievers": [
                        {"retriever": standard, "weight": 2.0, "normalizer": "minmax"},
                        {"retriever": knn, "weight": 1.0, "normalizer": "minmax"},
                    ],
                    "rank_window_size": 30,
                }
            },
            size=15,
            source_includes=["title", "n"],
        ),
    )
    step(
        "reranker",
        es.search(
            index="a",
            retriever={
                "text_similarity_reranker": {
                    "retriever": standard,
                    "field": "title",
                    "inference_id": "len-rerank",
                    "inference_text": "river",
                    "rank_window_size": 20,
                }
            },
            size=10,
        ),
    )
    step(
        "esql",
        es.esql.query(
            query='FROM a METADATA _id, _score | WHERE MATCH(title, "forest") AND tag == "beta" '
            "| SORT _score DESC, n | KEEP _id, _score, title, n | LIMIT 10",
            format="json",
        ),
    )
    step("esql rows", es.esql.query(query="FROM a | WHERE n > 480 | SORT n DESC, tag | KEEP tag, n, title | LIMIT 5"))
    step("count", es.count(index="a", query={"term": {"tag": "alpha"}}))
    step("get", es.get(index="a", id="a-7"))
    step("get missing", es.options(ignore_status=404).get(index="a", id="nope"))
    step("mget", es.mget(index="a", ids=["a-1", "a-2", "nope"]))
    step("update", es.update(index="a", id="a-7", doc={"tag": "omega", "n": 999}, refresh=True))
    step("get updated", es.get(index="a", id="a-7"))
    step("delete_by_query", es.delete_by_query(index="a", query={"range": {"n": {"lt": 50}}}, refresh=True))
    step("count after", es.count(index="a"))
    step(
        "put_alias",
        es.indices.put_alias(index="a", name="betas", filter={"term": {"tag": "beta"}}),
    )
    step("get_alias", es.indices.get_alias(name="betas"))
    step("alias search", es.search(index="betas", query={"match": {"title": "forest"}}, size=5))
    step("alias count", es.count(index="betas"))
    multi = {"match": {"title": "copper lantern"}}
    step("a,b", es.search(index="a,b", query=multi, size=20))
    step("wildcard", es.search(index="*", query=multi, size=20, source_excludes=["vec"]))
    step("error body", es.options(ignore_status=400).search(index="a", query={"match": {"title": {"bogus": 1}}}))
    return out


def _drop_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list | tuple):
        return [_drop_timing(v) for v in value]
    return value


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    srv = ServerProcess("--no-persist")
    yield srv
    rc, stderr = srv.stop()
    assert rc == 0, stderr
    assert "Traceback" not in stderr, stderr


def test_the_session_reads_the_same_in_process_and_over_http(server: ServerProcess) -> None:
    local = _session(retrievo.Engine())
    with Elasticsearch(server.url) as remote_client:
        remote = _session(remote_client)
    assert [label for label, _ in local] == [label for label, _ in remote]
    for (label, mine), (_, theirs) in zip(local, remote, strict=True):
        assert _drop_timing(mine) == _drop_timing(theirs), label
    # The session did what it says: the searches found something and the steps took effect.
    bodies = dict(local)
    assert bodies["bulk a"] == (DOCS, [])
    for label in ("rrf", "linear", "reranker", "alias search", "a,b", "wildcard"):
        assert bodies[label]["hits"]["hits"], label
    assert {hit["_index"] for hit in bodies["a,b"]["hits"]["hits"]} == {"a", "b"}
    assert all(hit["_source"]["tag"] == "beta" for hit in bodies["alias search"]["hits"]["hits"])
    assert bodies["get updated"]["_source"]["n"] == 999
    assert bodies["count after"]["count"] == DOCS - bodies["delete_by_query"]["deleted"]
    assert bodies["error body"]["status"] == 400
