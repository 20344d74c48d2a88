"""The demo searches: index the standard library's docstrings, then run a few searches.

Run with ``make demo`` (or ``python -m retrievo.demo``). Every response printed is exactly what the
engine returns — Elasticsearch's response shape — trimmed to the fields worth reading.
"""

from __future__ import annotations

import json
import sys
import time
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


def _trim(resp: dict[str, Any], size: int = 5) -> dict[str, Any]:
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
    print("── the plan of the multi_match search (engine.plan(...)):")
    print(engine.plan(index=INDEX, body=SEARCHES[1][1]))
    print("\n── the plan of the hybrid search:")
    print(engine.plan(index=INDEX, body=SEARCHES[-1][1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
