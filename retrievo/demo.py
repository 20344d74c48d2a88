"""The demo searches: index the standard library's docstrings, then run a few searches.

Run with ``make demo`` (or ``python -m retrievo.demo``). Every response printed is exactly what the
engine returns — Elasticsearch's response shape — trimmed to the fields worth reading. The last search
is the seed pipeline (a ``text_similarity_reranker`` over ``rrf`` of BM25 and kNN), sent twice: through
the official client in-process, then as raw JSON over HTTP to a ``retrievo serve`` that the demo starts
on the saved index and stops again — the two answers are the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

from retrievo import Engine
from retrievo.corpora.stdlib_docs import stdlib_documents

INDEX = "pydocs"
MAPPINGS = {
    "properties": {
        "module": {"type": "keyword"},
        "name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "qualname": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "summary": {"type": "text", "analyzer": "english"},
        "doc": {"type": "text", "analyzer": "english"},
        "lines": {"type": "integer"},
        # Embedded at ingest with the packaged all-MiniLM-L6-v2 (retrievo's default endpoint).
        "meaning": {"type": "semantic_text"},
    }
}

SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("match: a plain BM25 query", {"query": {"match": {"doc": "parse a date string into a datetime"}}}),
    (
        "multi_match best_fields, name boosted ×3",
        {
            "query": {
                "multi_match": {
                    "query": "temporary directory",
                    "fields": ["name^3", "summary", "doc"],
                    "tie_breaker": 0.3,
                }
            }
        },
    ),
    (
        "standard retriever: query + filter (only the json module's functions)",
        {
            "retriever": {
                "standard": {
                    "query": {"match": {"doc": "serialize object to a string"}},
                    "filter": [{"term": {"module": "json"}}, {"term": {"kind": "function"}}],
                }
            }
        },
    ),
    (
        "match_phrase with slop",
        {"query": {"match_phrase": {"doc": {"query": "regular expression pattern", "slop": 2}}}},
    ),
    (
        "bool: must + must_not + range, sorted by docstring length",
        {
            "query": {
                "bool": {
                    "must": [{"match": {"doc": "socket connection"}}],
                    "must_not": [{"term": {"kind": "module"}}],
                    "filter": [{"range": {"lines": {"gte": 5}}}],
                }
            },
            "sort": [{"lines": "desc"}, "_score"],
        },
    ),
    (
        "semantic: the summaries searched by meaning (semantic_text, packaged MiniLM)",
        {"query": {"semantic": {"field": "meaning", "query": "shrink data so it takes less space"}}},
    ),
    (
        "hybrid: BM25 match + top-level knn over the embeddings (Elasticsearch adds the scores)",
        {
            "query": {"match": {"doc": "compress"}},
            "knn": {
                "field": "meaning",
                "k": 10,
                "num_candidates": 50,
                "query_vector_builder": {
                    "text_embedding": {
                        "model_id": ".all-minilm-l6-v2",
                        "model_text": "shrink data so it takes less space",
                    }
                },
            },
        },
    ),
]


# The seed pipeline: BM25 and kNN fused with rrf, the fused top 20 reranked by a rerank endpoint.
# Elasticsearch's own default reranker (.rerank-v1-elasticsearch) is a hub model that cannot be
# downloaded here; the preconfigured bi-encoder reranker runs offline on the packaged MiniLM.
SEED_QUERY = "shrink data so it takes less space"
SEED_PIPELINE: dict[str, Any] = {
    "retriever": {
        "text_similarity_reranker": {
            "retriever": {
                "rrf": {
                    "retrievers": [
                        {"standard": {"query": {"match": {"doc": SEED_QUERY}}}},
                        {
                            "knn": {
                                "field": "meaning",
                                "k": 20,
                                "num_candidates": 100,
                                "query_vector_builder": {
                                    "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": SEED_QUERY}
                                },
                            }
                        },
                    ],
                    "rank_window_size": 20,
                }
            },
            "field": "summary",
            "inference_id": ".all-minilm-l6-v2-rerank",
            "inference_text": SEED_QUERY,
            "rank_window_size": 20,
        }
    },
    "size": 5,
}


def _trim(resp: Any, size: int = 5) -> dict[str, Any]:
    hits = [
        {k: v for k, v in h.items() if k != "_source"}
        | {"_source": {k: h["_source"][k] for k in ("qualname", "module", "summary") if k in h.get("_source", {})}}
        for h in resp["hits"]["hits"][:size]
    ]
    return {
        "took": resp["took"],
        "hits": {"total": resp["hits"]["total"], "max_score": resp["hits"]["max_score"], "hits": hits},
    }


def main(argv: list[str] | None = None) -> int:
    t0 = time.perf_counter()
    docs = stdlib_documents()
    engine = Engine()
    engine.indices.create(index=INDEX, mappings=MAPPINGS)
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        ops += [{"index": {"_index": INDEX, "_id": str(i)}}, {**doc, "meaning": doc["summary"]}]
    bulk = engine.bulk(operations=ops, refresh=True)
    elapsed = time.perf_counter() - t0
    print(
        f"Indexed {len(docs)} docstrings from Python {sys.version.split()[0]}'s standard library "
        f"in {elapsed:.1f}s, summaries embedded for semantic search (bulk errors: {bulk['errors']})\n"
    )
    for title, body in SEARCHES:
        print(f"── {title}")
        print("   request:", json.dumps(body))
        resp = engine.search(index=INDEX, body=body, size=5)
        print(json.dumps(_trim(resp), indent=2, ensure_ascii=False))
        print()
    _seed_pipeline(engine)
    print("── the plan of the multi_match search (engine.plan(...)):")
    print(engine.plan(index=INDEX, body=SEARCHES[1][1]))
    print("\n── the plan of the hybrid search:")
    print(engine.plan(index=INDEX, body=SEARCHES[-1][1]))
    return 0


def _seed_pipeline(engine: Engine) -> None:
    """The seed pipeline in-process, then the same JSON over HTTP to a server on the saved index."""
    print("── the seed pipeline: text_similarity_reranker over rrf(BM25 match, kNN), in-process")
    print("   request:", json.dumps(SEED_PIPELINE))
    local = engine.search(index=INDEX, body=SEED_PIPELINE)
    print(json.dumps(_trim(local), indent=2, ensure_ascii=False))
    with tempfile.TemporaryDirectory(prefix="retrievo-demo-") as data:
        engine.save(data)
        server = subprocess.Popen(
            [sys.executable, "-m", "retrievo", "serve", "--port", "0", "--data", data],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip().rpartition(" ")[2]
            if not url.startswith("http"):
                raise RuntimeError("retrievo serve did not start")
            print(f"\n── the same request over HTTP to `retrievo serve --data {data}` at {url}")
            print(f"   curl -s -H 'Content-Type: application/json' '{url}/{INDEX}/_search' -d '<the JSON above>'")
            request = urllib.request.Request(
                f"{url}/{INDEX}/_search",
                data=json.dumps(SEED_PIPELINE).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=300) as answer:
                remote = json.loads(answer.read())
            print(json.dumps(_trim(remote), indent=2, ensure_ascii=False))
            # Model scores can differ in their last float32 bit between the two processes: the
            # in-process engine reuses embeddings cached at ingest (computed in other batches, with
            # other padding), the fresh server computes them again.
            same_hits = [h["_id"] for h in remote["hits"]["hits"]] == [h["_id"] for h in local["hits"]["hits"]]
            close = all(
                abs(a["_score"] - b["_score"]) <= 1e-6 * abs(b["_score"])
                for a, b in zip(remote["hits"]["hits"], local["hits"]["hits"])
            )
            print(f"   same hits in the same order as in-process: {same_hits}; scores within 1e-6: {close}\n")
        finally:
            server.terminate()
            server.wait(60)


if __name__ == "__main__":
    raise SystemExit(main())
